//! Integration tests against the real OVS/OVN daemons (run as root; see README.md).
//!
//! One module per area. Every test builds its own testbed with unique names, so they run in
//! parallel, and checks that its teardown left no process, namespace or directory behind.

mod agent_behaviour;
mod agent_cni;
mod agent_equivalence;
mod agent_two_chassis;
mod foundation;
mod interconnect;
mod ovsdb_server;
mod support;
mod support_agent;
