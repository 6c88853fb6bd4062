//! ofctrl: what is installed in the integration bridge, and how to change it.
//!
//! - `flow_table`: desired flows by source row, the installed mirror, and their diff;
//! - `extend_table`: group and meter ids, allocated stably by their specification.

pub mod extend_table;
pub mod flow_table;
