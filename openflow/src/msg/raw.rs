//! Opaque wire forms of the parts the match/action codec models: a match's OXM TLVs and an
//! instruction or action list. Messages keep these bytes as received, so a decoded message
//! always re-encodes byte for byte even when the codec does not know a field or action.

use bytes::Bytes;

/// The OXM TLVs of an `ofp_match` (without its 4-byte header and padding).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RawMatch(pub Bytes);

/// An encoded instruction list (`OFPIT_*` TLVs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RawInstructions(pub Bytes);

/// An encoded action list (`OFPAT_*` / NX action TLVs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RawActions(pub Bytes);
