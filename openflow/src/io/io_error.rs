//! `IoError`: failures of the tokio driver's operations.

use crate::conn::ConnError;
use crate::msg::{ErrorMsg, MsgError};

/// Why a request through `Client` failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IoError {
    /// Could not open the socket.
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    /// The connection dropped before the reply arrived (the request may or may not have been
    /// applied).
    #[error("connection lost")]
    Disconnected(#[source] ConnError),
    /// The driver task is gone (every `Client` clone was dropped or it was shut down).
    #[error("openflow driver stopped")]
    Stopped,
    /// The switch answered with an error.
    #[error("switch replied {0}")]
    Switch(ErrorMsg),
    /// A message could not be encoded.
    #[error("cannot encode message")]
    Encode(#[source] MsgError),
    /// A reply could not be decoded.
    #[error("cannot decode reply")]
    Decode(#[source] MsgError),
    /// The switch sent a reply of an unexpected kind.
    #[error("unexpected reply {0}")]
    UnexpectedReply(&'static str),
    /// Some messages of a pipelined batch (`Client::send_all`) failed: their 0-based indexes and
    /// errors; the others were applied.
    #[error("{} message(s) failed: {}", .failed.len(), describe_failed(.failed))]
    Batch { failed: Vec<(u32, ErrorMsg)> },
    /// A bundle failed and nothing of it was applied: the errors of its messages (by 0-based
    /// index) and, if the commit was attempted, the commit's error (`OFPBFC_MSG_FAILED` …).
    #[error("bundle failed: {}", describe_bundle(.failed, .commit))]
    Bundle {
        failed: Vec<(u32, ErrorMsg)>,
        commit: Option<ErrorMsg>,
    },
}

fn describe_failed(failed: &[(u32, ErrorMsg)]) -> String {
    let mut parts: Vec<String> = failed
        .iter()
        .take(5)
        .map(|(i, e)| format!("message #{i}: {e}"))
        .collect();
    if failed.len() > 5 {
        parts.push(format!("… {} more", failed.len() - 5));
    }
    parts.join("; ")
}

fn describe_bundle(failed: &[(u32, ErrorMsg)], commit: &Option<ErrorMsg>) -> String {
    let mut s = describe_failed(failed);
    if !s.is_empty() {
        s.push_str("; ");
    }
    match commit {
        Some(e) => s.push_str(&format!("commit: {e}")),
        None => s.push_str("bundle discarded"),
    }
    s
}
