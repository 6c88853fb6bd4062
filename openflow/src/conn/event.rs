//! What a `Connection` reports to its user.

use crate::msg::{ErrorMsg, FeaturesReply, Header, Message, MsgError, Xid};

use super::ConnError;

/// Where a failed request came from: a plain request, or message number `index` (0-based,
/// in `bundle_add` order) of bundle `bundle_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorOrigin {
    Request,
    Bundle { bundle_id: u32, index: u32 },
}

/// An event, drained with `Connection::poll_event`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Negotiation finished: OpenFlow 1.5 agreed, and the features reply when the connection
    /// was configured to fetch it.
    Connected { features: Option<FeaturesReply> },
    /// A reply to one of our requests (including each part of a multipart reply, as it arrives,
    /// and barrier / bundle-control replies).
    Reply { xid: Xid, msg: Message },
    /// The switch refused a request (or a message inside a bundle; see `origin`).
    Error {
        xid: Xid,
        error: ErrorMsg,
        origin: ErrorOrigin,
    },
    /// A message the switch sent on its own: packet-in2, port status, flow removed, …
    Async { xid: Xid, msg: Message },
    /// A message whose body could not be decoded; the connection carries on.
    Undecodable { header: Header, error: MsgError },
    /// The connection is over.
    Closed(ConnError),
}
