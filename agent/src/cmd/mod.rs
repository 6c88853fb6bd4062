//! Debugging subcommands; one module per tool, each with `Args` and `run`.

pub mod lflow;
pub mod ofctl;
pub mod ovsdb;
