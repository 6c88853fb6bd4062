//! The Southbound side of the agent: this chassis's rows and the writes it makes.
//!
//! - `chassis`: Chassis, Encap and Chassis_Private registration, nb_cfg acknowledgement.

pub mod chassis;
