//! The one error type of the decoding layer.

use std::fmt;

/// What went wrong while decoding; see [`DecodeError`] for where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended `needed` bytes in, but only `available` were left.
    Truncated { needed: usize, available: usize },
    /// A length field is impossible (too short for its own header, not a multiple of 8, ...).
    BadLength { len: usize },
    /// A field holds a value the protocol does not allow (`value` is the raw value, widened).
    BadValue { value: u64 },
    /// A type/subtype/field code we do not know and cannot carry as raw bytes.
    Unknown { code: u64 },
    /// An OXM field appears whose prerequisites (e.g. `eth_type=0x800` for `ipv4_dst`) were
    /// not established by the fields before it (OVS: `OFPBMC_BAD_PREREQ`).
    BadPrereq { field: u8 },
    /// The same field appears twice in one match (OVS: `OFPBMC_DUP_FIELD`).
    DupField { field: u8 },
    /// A mask was given for a field that cannot be masked (OVS: `OFPBMC_BAD_MASK`).
    BadMask { field: u8 },
    /// Bytes are left over where the structure should have ended.
    TrailingBytes { len: usize },
}

/// A structured decoding failure: the kind, the byte offset (from the start of the outermost
/// buffer handed to [`Reader::new`](super::Reader::new)) and a static description of the
/// structure being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    pub offset: usize,
    pub context: &'static str,
}

impl DecodeError {
    pub fn new(kind: DecodeErrorKind, offset: usize, context: &'static str) -> Self {
        DecodeError {
            kind,
            offset,
            context,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad {} at offset {}: ", self.context, self.offset)?;
        match self.kind {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(
                    f,
                    "truncated (needed {needed} bytes, {available} available)"
                )
            }
            DecodeErrorKind::BadLength { len } => write!(f, "invalid length {len}"),
            DecodeErrorKind::BadValue { value } => write!(f, "invalid value {value:#x}"),
            DecodeErrorKind::Unknown { code } => write!(f, "unknown code {code:#x}"),
            DecodeErrorKind::BadPrereq { field } => {
                write!(
                    f,
                    "prerequisites of field {} not met",
                    crate::field::Field(field)
                )
            }
            DecodeErrorKind::DupField { field } => {
                write!(f, "duplicate field {}", crate::field::Field(field))
            }
            DecodeErrorKind::BadMask { field } => {
                write!(f, "field {} cannot be masked", crate::field::Field(field))
            }
            DecodeErrorKind::TrailingBytes { len } => write!(f, "{len} trailing bytes"),
        }
    }
}
