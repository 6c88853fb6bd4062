//! ofctrl: what is installed in the integration bridge, and how to change it.
//!
//! - `flow_table`: desired flows by source row, the installed mirror, and their diff;
//! - `extend_table`: group and meter ids, allocated stably by their specification;
//! - `group_spec`: group specifications in OVS's text, as the action encoder names them.

pub mod extend_table;
pub mod flow_table;
pub mod group_spec;
