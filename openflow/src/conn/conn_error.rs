//! `ConnError`: why a connection ended.

use crate::msg::MsgError;

/// The reason a `Connection` closed. After one of these the connection only drains events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnError {
    /// The byte stream could not be split into messages (the position in the stream is lost).
    #[error("bad OpenFlow framing")]
    Framing(#[source] MsgError),
    /// The peer does not speak OpenFlow 1.5.
    #[error(
        "version negotiation failed (we support version 0x06, peer supports version {peer:#04x})"
    )]
    VersionNegotiation { peer: u8 },
    /// The peer sent a non-hello message before its hello.
    #[error("peer sent {ty} before hello")]
    NoHello { ty: u8 },
    /// The peer refused our hello.
    #[error("peer rejected hello: {0}")]
    HelloFailed(String),
    /// Nothing was received for two probe intervals.
    #[error("inactivity probe timed out after {0:?}")]
    ProbeTimeout(std::time::Duration),
    /// The transport reported end of stream (set by the driver through `close`).
    #[error("connection closed by peer")]
    Eof,
    /// A transport error (set by the driver through `close`).
    #[error("transport error: {0}")]
    Io(String),
}
