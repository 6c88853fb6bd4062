//! Schema-agnostic OVSDB client: RFC 7047 plus the OVS extensions (`monitor_cond`, `update2`,
//! `monitor_cond_since`, `update3`, `monitor_cond_change`, `set_db_change_aware`).
//!
//! Layers, bottom up: the data model ([`Atom`], [`Datum`], [`Uuid`]) and its JSON forms
//! ([`json`]); the [`schema`] (types and constraints); the stream [`framer`] and [`jsonrpc`]
//! messages; transact [`operation`]s, [`monitor`] requests and [`condition`]s; [`update`]
//! decoding (schema-driven serde seeds, no `serde_json::Value` tree); the sans-IO [`Session`];
//! the [`Replica`] (an IDL) with coalesced change sets and secondary indexes; typed [`views`];
//! the [`Reconnect`] FSM; and the tokio driver ([`io::Client`], feature `tokio`) that ties them
//! together over `unix:`/`tcp:` remotes with reconnect, resume and persistent conditions.
//!
//! Scale notes: rows are arrays of [`Datum`] indexed by schema column position (no column names
//! per row); a one-element set (every scalar column) is stored inline; strings are `Arc<str>`,
//! and short repeated strings of one message share one allocation; row maps use a cheap
//! [`Uuid`] hasher. Measured with `bench/src/bin/ovsdb_monitor.rs`.
//!
//! Typical use by the agent:
//!
//! ```no_run
//! # async fn f() -> Result<(), ovsdb::io::ClientError> {
//! use ovsdb::io::{Client, ClientConfig};
//! use ovsdb::views::ovn_sb::PortBinding;
//! use ovsdb::{Clause, Condition, Datum, Operation};
//!
//! let mut cfg = ClientConfig::new("tcp:192.0.2.10:6642,tcp:192.0.2.11:6642", "OVN_Southbound");
//! cfg.indexes.push(("Port_Binding".into(), "logical_port".into()));
//! let sb = Client::start(cfg)?;
//! sb.set_condition("Port_Binding", Condition::new([Clause::eq("logical_port", "lsp1")]));
//! let mut changed = sb.subscribe();
//! sb.wait_synced().await;
//! loop {
//!     {
//!         let mut guard = sb.lock();
//!         let replica = guard.as_mut().expect("synced");
//!         let changes = replica.drain_changes();
//!         if let (Some(pbs), Some(ch)) = (replica.typed::<PortBinding>(), changes.table("Port_Binding")) {
//!             for uuid in &ch.inserted {
//!                 let pb = pbs.get(uuid).expect("inserted rows are present");
//!                 println!("new port {} tunnel key {}", pb.logical_port(), pb.tunnel_key());
//!             }
//!         }
//!     }
//!     sb.transact(vec![Operation::update(
//!         "Port_Binding",
//!         Condition::new([Clause::eq("logical_port", "lsp1")]),
//!         [("up", Datum::set([true]))],
//!     )])
//!     .await?;
//!     if changed.changed().await.is_err() {
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod atom;
pub mod condition;
pub mod datum;
pub mod framer;
pub mod json;
pub mod jsonrpc;
pub mod monitor;
pub mod operation;
pub mod reconnect;
pub mod remote;
pub mod replica;
pub mod row;
pub mod schema;
pub mod session;
pub mod update;
pub mod uuid;
pub mod views;

#[cfg(feature = "tokio")]
pub mod io;

pub use atom::{Atom, AtomType};
pub use condition::{Clause, Condition, Function, Mutation, Mutator};
pub use datum::Datum;
pub use framer::{FrameError, Framer};
pub use monitor::{MonitorKind, MonitorRequest, MonitorSelect};
pub use operation::{Operation, OperationResult, ServerError, TransactError};
pub use reconnect::Reconnect;
pub use remote::{Remote, RemoteError};
pub use replica::{ChangeSet, Index, Replica, ReplicaError, Table, TableChanges};
pub use row::Row;
pub use schema::{
    BaseType, ColumnSchema, ColumnType, ConstraintError, DatabaseSchema, SchemaError, TableSchema,
};
pub use session::{Event, RequestId, Session, SessionConfig, SessionError};
pub use update::{RowOp, RowUpdate, TableUpdate, TableUpdates, UpdateError, UpdateFormat};
pub use uuid::{Uuid, UuidMap};
