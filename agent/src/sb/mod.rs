//! The Southbound side of the agent: this chassis's rows and the writes it makes.
//!
//! - `chassis`: Chassis, Encap and Chassis_Private registration, nb_cfg acknowledgement;
//! - `monitor`: conditional monitoring (local datapaths only) unless ovn-monitor-all;
//! - `snapshot`: datapaths, port bindings, chassis and multicast groups; Port_Binding writes.

pub mod chassis;
pub mod monitor;
pub mod snapshot;
