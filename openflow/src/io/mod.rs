//! The tokio driver (feature `tokio`): connects to `unix:PATH` / `tcp:HOST:PORT`, runs a
//! `conn::Connection` in a background task, and hands out a cloneable [`Client`].
//!
//! Bulk paths stream: `Client::send_bundle` passes messages to the driver in chunks and the
//! driver stops taking commands while 4 MiB are waiting for the socket, so a million flow_mods
//! are never all encoded in memory; flow dumps arrive part by part ([`FlowDump`]).

mod client;
mod driver;
mod io_error;
pub mod ofctl;
mod target;

pub use client::{AsyncEvent, Client, Events, FlowDump, MultipartStream, Options};
pub use io_error::IoError;
pub use target::{Target, TargetParseError};
