//! CNI support for ovn-agent: the spec types shared by the `ovn-agent-cni` shim and the agent's CNI
//! server, the shim↔agent protocol, and the server's kernel side (network namespaces, veths).
//!
//! The shim (`src/bin/ovn-agent-cni.rs`) uses only the blocking parts (`config`, `env`, `error`,
//! `result`, `version`, `protocol`'s client); the server parts run on the agent's tokio runtime and
//! do namespace work on dedicated threads (`netns`). The server reaches the agent's databases
//! through the `backend::Backend` trait; `ovsdb_backend::OvsdbBackend` implements it over `ovsdb`
//! replicas.

#![deny(clippy::print_stdout)]

mod fields;

pub mod backend;
pub mod config;
pub mod env;
pub mod error;
pub mod ethtool;
pub mod link;
pub mod locks;
pub mod mac;
pub mod netns;
pub mod ovsdb_backend;
pub mod port_binding;
pub mod protocol;
pub mod result;
pub mod server;
pub mod version;

pub use backend::{Backend, BackendError, OvsPort, OwnedPort, PortInfo, Readiness};
pub use config::{Attachment, NetConf, NetConfList};
pub use env::{CniArgs, CniEnv, Command};
pub use error::{CniError, ErrorResult};
pub use mac::Mac;
pub use result::{CniResult, Dns, Interface, IpConfig, Route};
pub use server::{CniServer, ServerConfig};
pub use version::{CniVersion, VersionResult};
