//! The 32-bit OXM/NXM TLV header (plus the experimenter id of class 0xffff).

use bytes::BufMut;

use crate::codec::{DecodeError, DecodeErrorKind, Reader};

/// OXM class of NXM_OF_* fields (OpenFlow 1.0 era Nicira match).
pub const CLASS_NXM_0: u16 = 0x0000;
/// OXM class of NXM_NX_* fields.
pub const CLASS_NXM_1: u16 = 0x0001;
/// OpenFlow basic class (OXM_OF_*).
pub const CLASS_OPENFLOW_BASIC: u16 = 0x8000;
/// OXM_OF_PKT_REG* (xreg0..7).
pub const CLASS_PACKET_REGS: u16 = 0x8001;
/// Experimenter class: a 32-bit experimenter id follows the header.
pub const CLASS_EXPERIMENTER: u16 = 0xffff;

/// Identity of an OXM/NXM field on the wire, without the has-mask bit and length:
/// `class u16 | field u7 | hasmask u1 | length u8`, then `experimenter u32` when
/// `class == 0xffff` (OVS `lib/nx-match.c:44-139`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OxmHeader {
    pub class: u16,
    pub field: u8,
    /// Experimenter id; 0 unless `class == CLASS_EXPERIMENTER`.
    pub experimenter: u32,
}

/// A decoded TLV header: identity, has-mask bit and payload length (value + mask, excluding
/// the experimenter id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OxmTlvHeader {
    pub header: OxmHeader,
    pub has_mask: bool,
    pub payload_len: usize,
}

impl OxmHeader {
    pub const fn is_experimenter(&self) -> bool {
        self.class == CLASS_EXPERIMENTER
    }

    /// Bytes the header itself occupies on the wire (4, or 8 for experimenter fields).
    pub const fn header_len(&self) -> usize {
        if self.is_experimenter() { 8 } else { 4 }
    }

    /// Appends the header for a payload of `payload_len` bytes (value, plus mask if masked).
    pub fn encode<B: BufMut>(&self, out: &mut B, has_mask: bool, payload_len: usize) {
        let extra = if self.is_experimenter() { 4 } else { 0 };
        // Payloads are at most 2*124+4 bytes (masked tun_metadata), so this fits in u8;
        // saturating keeps an out-of-range caller from wrapping silently.
        let len = u8::try_from(payload_len + extra).unwrap_or(u8::MAX);
        let word = (u32::from(self.class) << 16)
            | (u32::from(self.field & 0x7f) << 9)
            | (u32::from(has_mask) << 8)
            | u32::from(len);
        out.put_u32(word);
        if self.is_experimenter() {
            out.put_u32(self.experimenter);
        }
    }

    /// Same as [`encode`](Self::encode) but without the mask bit, with an explicit length —
    /// the header form used inside actions (`copy_field`, `output_reg2`, stack ops) where the
    /// length is the field's width.
    pub fn encode_plain<B: BufMut>(&self, out: &mut B, n_bytes: usize) {
        self.encode(out, false, n_bytes);
    }

    /// Reads a TLV header (and the experimenter id if any).
    pub fn decode(r: &mut Reader<'_>) -> Result<OxmTlvHeader, DecodeError> {
        let start = r.offset();
        let word = r.u32()?;
        let class = (word >> 16) as u16;
        let field = ((word >> 9) & 0x7f) as u8;
        let has_mask = (word >> 8) & 1 == 1;
        let mut len = (word & 0xff) as usize;
        let mut experimenter = 0;
        if class == CLASS_EXPERIMENTER {
            if len < 4 {
                return Err(r.error_at(DecodeErrorKind::BadLength { len }, start));
            }
            experimenter = r.u32()?;
            len -= 4;
        }
        Ok(OxmTlvHeader {
            header: OxmHeader {
                class,
                field,
                experimenter,
            },
            has_mask,
            payload_len: len,
        })
    }
}
