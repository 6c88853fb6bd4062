//! `PinMetadata`: the pipeline fields of a packet-in (`NXPINT_METADATA`, OXM/NXM TLVs) as
//! pinctrl reads and rewrites them: the logical datapath (`metadata`), registers (OpenFlow
//! 1.5 sends them as 64-bit `xreg`s), and writing a result bit before `NXT_RESUME`.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::PinctrlError;

const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
const OFPXMC_PACKET_REGS: u16 = 0x8001;
const OFPXMC_EXPERIMENTER: u16 = 0xffff;
const NXM_NX: u16 = 0x0001;
const OXM_METADATA: u8 = 2;
const OXM_IN_PORT: u8 = 0;
/// NXM_NX_XXREG0 is field 111 of class 1.
const NXM_XXREG0: u8 = 111;
/// NXM_NX_PKT_MARK is field 33 of class 1.
const NXM_PKT_MARK: u8 = 33;
/// `OFPAT_SET_FIELD`.
const OFPAT_SET_FIELD: u16 = 25;

/// One TLV, kept with its value and optional mask.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tlv {
    class: u16,
    field: u8,
    experimenter: Option<u32>,
    value: Vec<u8>,
    mask: Option<Vec<u8>>,
}

/// A packet-in's metadata TLVs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PinMetadata {
    tlvs: Vec<Tlv>,
}

fn be_uint(b: &[u8]) -> u128 {
    b.iter()
        .rev()
        .take(16)
        .rev()
        .fold(0u128, |a, &x| (a << 8) | u128::from(x))
}

/// Where a result header points: register `reg` (0–15), bit `bit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegBit {
    pub reg: u8,
    pub bit: u8,
}

impl RegBit {
    /// Maps an NXM/OXM header (as `put_dhcp_opts` & co. put it into the userdata) and a bit
    /// offset to a 32-bit register bit. OVN only stores results in registers.
    pub fn from_header(header: u32, ofs: u32) -> Result<RegBit, PinctrlError> {
        let class = (header >> 16) as u16;
        let field = ((header >> 9) & 0x7f) as u8;
        let bad = || PinctrlError::BadResultField { header, ofs };
        let ofs8 = u8::try_from(ofs).map_err(|_| bad())?;
        let (reg, bit) = match (class, field) {
            (NXM_NX, 0..=15) if ofs < 32 => (field, ofs8),
            (OFPXMC_PACKET_REGS, 0..=7) if ofs < 64 => {
                // xregN = reg(2N) << 32 | reg(2N+1).
                if ofs < 32 {
                    (2 * field + 1, ofs8)
                } else {
                    (2 * field, ofs8 - 32)
                }
            }
            (NXM_NX, f @ NXM_XXREG0..=114) if ofs < 128 => {
                let n = f - NXM_XXREG0;
                (4 * n + 3 - ofs8 / 32, ofs8 % 32)
            }
            _ => return Err(bad()),
        };
        Ok(RegBit { reg, bit })
    }
}

impl PinMetadata {
    /// Decodes the TLV list; any malformed TLV is an error.
    pub fn decode(b: &[u8]) -> Result<PinMetadata, PinctrlError> {
        let mut tlvs = Vec::new();
        let mut i = 0usize;
        while i < b.len() {
            let h = b
                .get(i..i + 4)
                .ok_or(PinctrlError::BadMetadata { offset: i })?;
            let header = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            let class = (header >> 16) as u16;
            let field = ((header >> 9) & 0x7f) as u8;
            let has_mask = header & 0x100 != 0;
            let mut len = (header & 0xff) as usize;
            let mut body_at = i + 4;
            let experimenter = if class == OFPXMC_EXPERIMENTER {
                let e = b
                    .get(body_at..body_at + 4)
                    .ok_or(PinctrlError::BadMetadata { offset: i })?;
                len = len
                    .checked_sub(4)
                    .ok_or(PinctrlError::BadMetadata { offset: i })?;
                body_at += 4;
                Some(u32::from_be_bytes([e[0], e[1], e[2], e[3]]))
            } else {
                None
            };
            let body = b
                .get(body_at..body_at + len)
                .ok_or(PinctrlError::BadMetadata { offset: i })?;
            let (value, mask) = if has_mask {
                if !len.is_multiple_of(2) {
                    return Err(PinctrlError::BadMetadata { offset: i });
                }
                let (v, m) = body.split_at(len / 2);
                (v.to_vec(), Some(m.to_vec()))
            } else {
                (body.to_vec(), None)
            };
            tlvs.push(Tlv {
                class,
                field,
                experimenter,
                value,
                mask,
            });
            i = body_at + len;
        }
        Ok(PinMetadata { tlvs })
    }

    /// Re-encodes the TLVs (same order; the format vswitchd accepts in `NXT_RESUME`).
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::new();
        for t in &self.tlvs {
            put_tlv(&mut out, t);
        }
        out.freeze()
    }

    fn find(&self, class: u16, field: u8) -> Option<&Tlv> {
        self.tlvs
            .iter()
            .find(|t| t.class == class && t.field == field && t.experimenter.is_none())
    }

    fn masked(t: &Tlv) -> (u128, u128) {
        let v = be_uint(&t.value);
        let m = t.mask.as_deref().map_or(u128::MAX, be_uint);
        (v & m, m)
    }

    /// Register `n` (0–15) and whether the packet-in carried it (value, present).
    pub fn reg_opt(&self, n: u8) -> (u32, bool) {
        if let Some(t) = self.find(NXM_NX, n) {
            let (v, m) = Self::masked(t);
            return (v as u32, m as u32 != 0);
        }
        if let Some(t) = self.find(OFPXMC_PACKET_REGS, n / 2) {
            let (v, m) = Self::masked(t);
            let shift = if n.is_multiple_of(2) { 32 } else { 0 };
            return ((v >> shift) as u32, (m >> shift) as u32 != 0);
        }
        (0, false)
    }

    /// Register `n`; 0 when absent (OVS omits zero registers).
    pub fn reg(&self, n: u8) -> u32 {
        self.reg_opt(n).0
    }

    /// `xxreg n` = reg(4n)..reg(4n+3), most significant first.
    pub fn xxreg(&self, n: u8) -> u128 {
        (0..4).fold(0u128, |a, i| (a << 32) | u128::from(self.reg(4 * n + i)))
    }

    /// The OpenFlow metadata field (OVN's logical datapath key) and whether it is present.
    pub fn metadata_opt(&self) -> (u64, bool) {
        self.find(OFPXMC_OPENFLOW_BASIC, OXM_METADATA)
            .map_or((0, false), |t| {
                let (v, m) = Self::masked(t);
                (v as u64, m as u64 != 0)
            })
    }

    /// The logical datapath key.
    pub fn metadata(&self) -> u64 {
        self.metadata_opt().0
    }

    /// `pkt_mark` (NXM_NX_PKT_MARK), 0 when absent.
    pub fn pkt_mark(&self) -> u32 {
        self.find(NXM_NX, NXM_PKT_MARK)
            .map_or(0, |t| Self::masked(t).0 as u32)
    }

    /// The OpenFlow in_port, if present.
    pub fn in_port(&self) -> Option<u32> {
        self.find(OFPXMC_OPENFLOW_BASIC, OXM_IN_PORT)
            .map(|t| be_uint(&t.value) as u32)
    }

    /// Sets register `reg` (exact match), in the xreg form OpenFlow 1.5 uses.
    pub fn set_reg(&mut self, reg: u8, value: u32) {
        if let Some(t) = self
            .tlvs
            .iter_mut()
            .find(|t| t.class == NXM_NX && t.field == reg && t.experimenter.is_none())
        {
            t.value = value.to_be_bytes().to_vec();
            t.mask = None;
            return;
        }
        let x = reg / 2;
        let shift = if reg.is_multiple_of(2) { 32 } else { 0 };
        let part = u64::from(u32::MAX) << shift;
        let pos = self.tlvs.iter().position(|t| {
            t.class == OFPXMC_PACKET_REGS && t.field == x && t.experimenter.is_none()
        });
        let t = match pos {
            Some(p) => &mut self.tlvs[p],
            None => {
                self.tlvs.push(Tlv {
                    class: OFPXMC_PACKET_REGS,
                    field: x,
                    experimenter: None,
                    value: vec![0; 8],
                    mask: Some(vec![0; 8]),
                });
                let last = self.tlvs.len() - 1;
                &mut self.tlvs[last]
            }
        };
        let v = be_uint(&t.value) as u64;
        let m = t.mask.as_deref().map_or(u64::MAX, |m| be_uint(m) as u64);
        let nv = (v & !part) | (u64::from(value) << shift);
        let nm = m | part;
        t.value = nv.to_be_bytes().to_vec();
        t.mask = if nm == u64::MAX {
            None
        } else {
            Some(nm.to_be_bytes().to_vec())
        };
    }

    /// Writes one result bit (`mf_write_subfield` of a 1-bit subfield).
    pub fn write_bit(&mut self, rb: RegBit, on: bool) {
        let old = self.reg(rb.reg);
        let bit = 1u32 << rb.bit;
        let new = if on { old | bit } else { old & !bit };
        self.set_reg(rb.reg, new);
    }

    /// Appends the `set_field` actions that restore the registers and the metadata field
    /// before nested actions in a packet-out (upstream `reload_metadata`).
    pub fn reload_actions(&self, out: &mut Vec<u8>) {
        for n in 0..16u8 {
            let (v, present) = self.reg_opt(n);
            if present {
                let header = (u32::from(NXM_NX) << 16) | (u32::from(n) << 9) | 4;
                set_field(out, header, &v.to_be_bytes());
            }
        }
        let (md, present) = self.metadata_opt();
        if present {
            let header =
                (u32::from(OFPXMC_OPENFLOW_BASIC) << 16) | (u32::from(OXM_METADATA) << 9) | 8;
            set_field(out, header, &md.to_be_bytes());
        }
    }
}

/// The actions that re-inject a buffered packet: the metadata reload, `pkt_mark`, and
/// `resubmit(CONTROLLER, table)` (upstream `buffered_push_packet`).
pub fn reinject_actions(md: &PinMetadata, table: u8) -> Vec<u8> {
    let mut a = Vec::with_capacity(320);
    md.reload_actions(&mut a);
    let header = (u32::from(NXM_NX) << 16) | (u32::from(NXM_PKT_MARK) << 9) | 4;
    set_field(&mut a, header, &md.pkt_mark().to_be_bytes());
    // NXAST_RESUBMIT_TABLE: experimenter action, Nicira, subtype 14, OF1.0 in_port, table.
    a.extend_from_slice(&[
        0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 14, 0xff, 0xfd, table, 0, 0, 0,
    ]);
    a
}

fn put_tlv(out: &mut BytesMut, t: &Tlv) {
    let vlen = t.value.len() + t.mask.as_ref().map_or(0, Vec::len);
    let elen = if t.experimenter.is_some() { 4 } else { 0 };
    let header = (u32::from(t.class) << 16)
        | (u32::from(t.field) << 9)
        | (u32::from(t.mask.is_some()) << 8)
        | ((vlen + elen) as u32 & 0xff);
    out.put_u32(header);
    if let Some(e) = t.experimenter {
        out.put_u32(e);
    }
    out.put_slice(&t.value);
    if let Some(m) = &t.mask {
        out.put_slice(m);
    }
}

/// An OpenFlow 1.5 `set_field` action: header, value, padded to 8 bytes.
pub fn set_field(out: &mut Vec<u8>, header: u32, value: &[u8]) {
    let body = 4 + 4 + value.len();
    let len = body.div_ceil(8) * 8;
    out.extend_from_slice(&OFPAT_SET_FIELD.to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&header.to_be_bytes());
    out.extend_from_slice(value);
    out.resize(out.len() + (len - body), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// in_port=5, metadata=0x1, xreg0 = reg0 0x0a000002 / reg1 absent (masked), xreg7 reg14=3.
    fn sample() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0x8000_0004u32.to_be_bytes());
        b.extend_from_slice(&5u32.to_be_bytes());
        b.extend_from_slice(&0x8000_0408u32.to_be_bytes());
        b.extend_from_slice(&1u64.to_be_bytes());
        b.extend_from_slice(&0x8001_0110u32.to_be_bytes());
        b.extend_from_slice(&0x0a00_0002_0000_0000u64.to_be_bytes());
        b.extend_from_slice(&0xffff_ffff_0000_0000u64.to_be_bytes());
        b.extend_from_slice(&0x8001_0f10u32.to_be_bytes());
        b.extend_from_slice(&0x0000_0003_0000_0000u64.to_be_bytes());
        b.extend_from_slice(&0xffff_ffff_0000_0000u64.to_be_bytes());
        b
    }

    #[test]
    fn decode_reads_regs_and_metadata() {
        let b = sample();
        let m = PinMetadata::decode(&b).unwrap();
        assert_eq!(m.in_port(), Some(5));
        assert_eq!(m.metadata(), 1);
        assert_eq!(m.reg_opt(0), (0x0a00_0002, true));
        assert_eq!(m.reg_opt(1), (0, false));
        assert_eq!(m.reg(14), 3);
        assert_eq!(m.xxreg(0), 0x0a00_0002_u128 << 96);
        assert_eq!(m.encode().as_ref(), &b[..]);
    }

    #[test]
    fn write_bit_sets_xreg_half() {
        let mut m = PinMetadata::decode(&sample()).unwrap();
        // reg0[3] (put_dhcp_opts result) in xreg0's high half.
        let rb = RegBit::from_header(0x0001_0004, 3).unwrap();
        assert_eq!(rb, RegBit { reg: 0, bit: 3 });
        m.write_bit(rb, true);
        assert_eq!(m.reg(0), 0x0a00_000a);
        // A bit in an absent register creates the TLV.
        m.write_bit(RegBit { reg: 9, bit: 0 }, true);
        assert_eq!(m.reg_opt(9), (1, true));
        let again = PinMetadata::decode(&m.encode()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn result_headers() {
        // xxreg0 bit 0 is reg3 bit 0; xreg0 bit 40 is reg0 bit 8.
        assert_eq!(
            RegBit::from_header(0x0001_de10, 0).unwrap(),
            RegBit { reg: 3, bit: 0 }
        );
        assert_eq!(
            RegBit::from_header(0x8001_0008, 40).unwrap(),
            RegBit { reg: 0, bit: 8 }
        );
        assert!(RegBit::from_header(0x8000_0408, 0).is_err());
        assert!(RegBit::from_header(0x0001_0004, 32).is_err());
    }

    #[test]
    fn reload_actions_are_set_fields() {
        let m = PinMetadata::decode(&sample()).unwrap();
        let mut a = Vec::new();
        m.reload_actions(&mut a);
        // reg0, reg14, metadata: 16 bytes each.
        assert_eq!(a.len(), 48);
        assert_eq!(&a[0..8], &[0, 25, 0, 16, 0, 1, 0, 4]);
        assert_eq!(&a[8..12], &0x0a00_0002u32.to_be_bytes());
        assert_eq!(&a[16..24], &[0, 25, 0, 16, 0, 1, 0x1c, 4]);
        assert_eq!(&a[32..40], &[0, 25, 0, 16, 0x80, 0, 4, 8]);
    }

    #[test]
    fn truncated_is_error() {
        let b = sample();
        for n in [1, 5, 9, 21] {
            assert!(PinMetadata::decode(&b[..n]).is_err(), "len {n}");
        }
    }
}
