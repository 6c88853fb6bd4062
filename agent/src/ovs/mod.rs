//! The local Open_vSwitch database side of the agent.
//!
//! - `snapshot`: a plain copy of the Open_vSwitch row, bridges, ports and interfaces;
//! - `ops`: the integration bridge, tunnel ports, ct-zone persistence, `ovn-installed`.

pub mod ops;
pub mod snapshot;
