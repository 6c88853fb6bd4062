//! The sans-IO OpenFlow 1.5 connection: negotiation, echo and inactivity probes, xid
//! correlation, bundles with per-message error mapping, streamed multipart replies, and the
//! stream framer. No sockets, no clock: bytes and `Instant`s are passed in.

mod bundle_tracker;
mod conn_error;
mod connection;
mod event;
mod framer;

pub use conn_error::ConnError;
pub use connection::{Config, Connection};
pub use event::{ErrorOrigin, Event};
pub use framer::Framer;
