//! The OpenFlow 1.5 wire form of a match: `ofp_match` of type OXM, holding OXM/NXM TLVs
//! in the order OVS's `nx_put_raw` (lib/nx-match.c) emits them.

use bytes::BufMut;

use super::Match;
use super::store::{be_u128, in_port_wire};
use crate::codec::{Decode, DecodeError, DecodeErrorKind, Encode, Reader, pad8, put_zeros};
use crate::field::{Field, OxmHeader, OxmTlvHeader};
use crate::text::port_from_ofp11;

/// `ofp_match.type` for OXM matches (OF1.2+).
pub const OFPMT_OXM: u16 = 1;

impl Match {
    /// Visits the TLVs of the OF1.5 encoding as (header, value, mask). Registers go out as
    /// `xreg` pairs, `vlan_tci` as `vlan_vid` (+ `vlan_pcp`), `nw_tos` as shifted `ip_dscp`,
    /// `in_port` as the 32-bit OXM port, exactly as OVS does for OpenFlow 1.5.
    fn for_each_tlv(&self, mut sink: impl FnMut(OxmHeader, &[u8], Option<&[u8]>)) {
        let mut regs_done = false;
        for e in self.iter() {
            let f = e.field;
            let info = f.info();
            let Some(hdr) = info.oxm else { continue };
            if f.reg_index().is_some() {
                if regs_done {
                    continue;
                }
                regs_done = true;
                for n in 0..8u8 {
                    let hi = self.get(Field::reg(2 * n));
                    let lo = self.get(Field::reg(2 * n + 1));
                    if hi.is_none() && lo.is_none() {
                        continue;
                    }
                    let part = |e: Option<super::MatchEntry<'_>>| {
                        e.map_or((0, 0), |e| (e.value_u128() as u64, e.mask_u128() as u64))
                    };
                    let (hv, hm) = part(hi);
                    let (lv, lm) = part(lo);
                    let v = ((hv << 32) | lv).to_be_bytes();
                    let m = ((hm << 32) | lm).to_be_bytes();
                    let xh = Field::xreg(n).info().oxm.unwrap_or(hdr);
                    if m == [0xff; 8] {
                        sink(xh, &v, None);
                    } else {
                        sink(xh, &v, Some(&m));
                    }
                }
                continue;
            }
            if f == Field::IN_PORT {
                let h = Field::IN_PORT_OXM.info().oxm.unwrap_or(hdr);
                sink(h, &in_port_wire(e.value_u128()).to_be_bytes(), None);
            } else if f == Field::VLAN_TCI {
                let (v, m) = (e.value_u128() as u16, e.mask_u128() as u16);
                let h = Field::VLAN_VID.info().oxm.unwrap_or(hdr);
                let (vid, vm) = (v & 0x1fff, m & 0x1fff);
                if vm == 0x1fff {
                    sink(h, &vid.to_be_bytes(), None);
                } else if vm != 0 {
                    sink(h, &vid.to_be_bytes(), Some(&vm.to_be_bytes()));
                }
                if vid != 0 && (m >> 13) & 7 != 0 {
                    let h = Field::VLAN_PCP.info().oxm.unwrap_or(hdr);
                    sink(h, &[((v >> 13) & 7) as u8], None);
                }
            } else if f == Field::IP_DSCP {
                let h = Field::IP_DSCP_SHIFTED.info().oxm.unwrap_or(hdr);
                sink(h, &[(e.value_u128() as u8) >> 2], None);
            } else {
                sink(hdr, e.value, e.mask);
            }
        }
    }

    /// Length of the OXM TLVs (without the `ofp_match` header or padding).
    pub fn oxm_len(&self) -> usize {
        let mut n = 0;
        self.for_each_tlv(|h, v, m| n += h.header_len() + v.len() + m.map_or(0, <[u8]>::len));
        n
    }

    /// Appends just the OXM TLVs (as in `NXPINT_METADATA` or a packet-out match body).
    pub fn encode_oxm_fields<B: BufMut>(&self, out: &mut B) {
        self.for_each_tlv(|h, v, m| {
            h.encode(out, m.is_some(), v.len() + m.map_or(0, <[u8]>::len));
            out.put_slice(v);
            if let Some(m) = m {
                out.put_slice(m);
            }
        });
    }

    /// Decodes a run of OXM/NXM TLVs filling all of `r`, checking duplicates, masks,
    /// value-outside-mask bits and prerequisites in order (a field's prerequisites must be
    /// established by earlier TLVs, as in ovs-vswitchd).
    pub fn decode_oxm_fields(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        let mut m = Match::new();
        let mut seen = [0u64; 4];
        while !r.is_empty() {
            let start = r.offset();
            let OxmTlvHeader {
                header,
                has_mask,
                payload_len,
            } = OxmHeader::decode(r)?;
            let code = (u64::from(header.experimenter) << 32)
                | (u64::from(header.class) << 16)
                | u64::from(header.field);
            let field = Field::from_header(header)
                .ok_or_else(|| r.error_at(DecodeErrorKind::Unknown { code }, start))?;
            let payload = r
                .bytes(payload_len)
                .map_err(|e| DecodeError { offset: start, ..e })?;
            let bad_len = || r.error_at(DecodeErrorKind::BadLength { len: payload_len }, start);
            let vlen = if has_mask {
                if payload_len % 2 != 0 {
                    return Err(bad_len());
                }
                payload_len / 2
            } else {
                payload_len
            };
            if field.is_tun_metadata() {
                if vlen == 0 || vlen > 124 {
                    return Err(bad_len());
                }
            } else if vlen != field.n_bytes() {
                return Err(bad_len());
            }
            let info = field.info();
            if has_mask && !info.maskable {
                return Err(r.error_at(DecodeErrorKind::BadMask { field: field.0 }, start));
            }
            let idx = usize::from(field.0);
            if seen[idx / 64] >> (idx % 64) & 1 == 1 {
                return Err(r.error_at(DecodeErrorKind::DupField { field: field.0 }, start));
            }
            seen[idx / 64] |= 1 << (idx % 64);
            if !m.prereq_ok(info.prereq) {
                return Err(r.error_at(DecodeErrorKind::BadPrereq { field: field.0 }, start));
            }
            let (value, mask) = payload.split_at(vlen);
            let mask = has_mask.then_some(mask);
            if mask.is_some_and(|mask| value.iter().zip(mask).any(|(v, m)| v & !m != 0)) {
                // OVS: OFPBMC_BAD_WILDCARDS.
                return Err(r.error_at(
                    DecodeErrorKind::BadValue {
                        value: be_u128(value) as u64,
                    },
                    start,
                ));
            }
            let bad_value = || {
                r.error_at(
                    DecodeErrorKind::BadValue {
                        value: be_u128(value) as u64,
                    },
                    start,
                )
            };
            if field == Field::IN_PORT_OXM {
                let p = port_from_ofp11(be_u128(value) as u32).ok_or_else(bad_value)?;
                m.set(Field::IN_PORT, p).map_err(|_| bad_value())?;
                continue;
            }
            m.set_bytes(field, value, mask).map_err(|_| bad_value())?;
        }
        Ok(m)
    }
}

impl Encode for Match {
    /// The whole `ofp_match`: `type=OXM`, `length` (4 + TLVs, excluding padding), TLVs, zero
    /// padding to 8 bytes.
    fn encoded_len(&self) -> usize {
        let n = 4 + self.oxm_len();
        n + pad8(n)
    }

    fn encode<B: BufMut>(&self, out: &mut B) {
        let n = 4 + self.oxm_len();
        out.put_u16(OFPMT_OXM);
        // A match holds at most ~160 fields of ≤ 2*124+8 bytes, far below 64 KiB.
        out.put_u16(u16::try_from(n).unwrap_or(u16::MAX));
        self.encode_oxm_fields(out);
        put_zeros(out, pad8(n));
    }
}

impl<'a> Decode<'a> for Match {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let saved = r.context();
        r.set_context("ofp_match");
        let start = r.offset();
        let ty = r.u16()?;
        if ty != OFPMT_OXM {
            return Err(r.error_at(
                DecodeErrorKind::Unknown {
                    code: u64::from(ty),
                },
                start,
            ));
        }
        let len = usize::from(r.u16()?);
        if len < 4 {
            return Err(r.error_at(DecodeErrorKind::BadLength { len }, start));
        }
        let mut body = r.sub(len - 4)?;
        let m = Match::decode_oxm_fields(&mut body)?;
        r.skip(pad8(len))?;
        r.set_context(saved);
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Provenance: `ovs-ofctl --no-names -O OpenFlow15 add-flows unix:SOCK` against a fake
    /// switch capturing the FLOW_MOD (see tests/match_oracle.rs), flow
    /// `table=33,priority=50,metadata=0x1,dl_dst=0a:58:00:00:00:01 actions=…`.
    #[test]
    fn golden_metadata_dl_dst() {
        let wire = hex("0001001a 800006060a5800000001 800004080000000000000001 000000000000");
        let mut m = Match::new();
        m.set(Field::METADATA, 1u64).unwrap();
        m.set(Field::ETH_DST, [0x0a, 0x58, 0, 0, 0, 1]).unwrap();
        assert_eq!(m.to_vec(), wire);
        assert_eq!(Match::decode(&mut Reader::new(&wire)).unwrap(), m);
    }

    /// Provenance: as above, flow `reg14=1 actions=drop` → xreg7 masked.
    #[test]
    fn golden_reg_as_xreg() {
        let wire = hex("00010018 80010f10 00000001 00000000 ffffffff 00000000");
        let mut m = Match::new();
        m.set(Field::reg(14), 1u32).unwrap();
        assert_eq!(m.to_vec(), wire);
        assert_eq!(Match::decode(&mut Reader::new(&wire)).unwrap(), m);
    }

    #[test]
    fn rejects_bad_prereq_order() {
        // ipv4_dst before eth_type.
        let wire = hex("00010012 800018040a000001 80000a020800 000000000000");
        let e = Match::decode(&mut Reader::new(&wire)).unwrap_err();
        assert!(matches!(e.kind, DecodeErrorKind::BadPrereq { .. }), "{e}");
        assert_eq!(e.offset, 4);
    }
}
