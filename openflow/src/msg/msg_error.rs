//! `MsgError`: everything that can go wrong decoding or encoding an OpenFlow message.

/// A message could not be decoded (untrusted input) or encoded (a value does not fit the wire).
///
/// Offsets are relative to the start of the message (the `ofp_header`), so an error can be located
/// in an `ovs-ofctl ofp-print` hex dump of the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsgError {
    /// Fewer bytes than a fixed-size structure or a declared length needs.
    #[error("{context}: truncated at offset {offset} (need {need} bytes, have {have})")]
    Truncated {
        context: &'static str,
        offset: usize,
        need: usize,
        have: usize,
    },
    /// A length field that is impossible (smaller than its header, not 8-aligned where required,
    /// larger than its container).
    #[error("{context}: bad length {len} at offset {offset}")]
    BadLength {
        context: &'static str,
        offset: usize,
        len: usize,
    },
    /// A field holds a value this implementation does not accept.
    #[error("{context}: bad value {value:#x} at offset {offset}")]
    BadValue {
        context: &'static str,
        offset: usize,
        value: u64,
    },
    /// The header's version is not OpenFlow 1.5.
    #[error("unsupported OpenFlow version {0:#04x} (only OpenFlow 1.5 = 0x06)")]
    BadVersion(u8),
    /// An encoded message would exceed the 16-bit `ofp_header.length`.
    #[error("{context}: encoded length {len} exceeds 65535")]
    TooLong { context: &'static str, len: usize },
    /// The match or an action/instruction list failed to decode.
    #[error("{context} at offset {offset}: {detail}")]
    Codec {
        context: &'static str,
        offset: usize,
        detail: String,
    },
}
