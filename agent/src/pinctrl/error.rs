//! `PinctrlError`: why a packet-in was not handled. Handlers log these (rate-limited in
//! spirit: at debug level per packet) and go on with the next packet-in.

use thiserror::Error;

/// A packet-in pinctrl could not act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PinctrlError {
    #[error("packet-in userdata lacks action header ({len} bytes)")]
    ShortUserdata { len: usize },
    #[error("unrecognized packet-in opcode {0}")]
    UnknownOpcode(u32),
    #[error("malformed packet-in metadata at byte {offset}")]
    BadMetadata { offset: usize },
    #[error("bad result field (header {header:#010x}, bit {ofs})")]
    BadResultField { header: u32, ofs: u32 },
    #[error("{opcode}: userdata truncated ({what})")]
    BadUserdata {
        opcode: &'static str,
        what: &'static str,
    },
    #[error("{opcode}: {what}")]
    BadPacket { opcode: &'static str, what: String },
    #[error("{opcode}: packet-in has no continuation")]
    NoContinuation { opcode: &'static str },
}
