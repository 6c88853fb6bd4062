//! The local Open_vSwitch database side of the agent.
//!
//! - `snapshot`: a plain copy of the Open_vSwitch row, bridges, ports and interfaces;
//! - `ops`: the integration bridge, tunnel ports, ct-zone persistence, `ovn-installed`;
//! - `patch`: patch ports to provider bridges for localnet and l2gateway ports.

pub mod ops;
pub mod patch;
pub mod snapshot;
