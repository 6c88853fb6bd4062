//! The compact canonical storage of a match: one packed byte string.

use std::fmt;

use super::MatchError;
use crate::field::{Field, Value};
use crate::text::{port_from_ofp11, port_to_ofp11};

/// A set of `(field, value, mask)` — the match part of a flow.
///
/// Canonical: one entry per field, sorted by [`Field`] index (which is OVS's OXM emission
/// order), `value & !mask == 0`, exact matches stored without a mask, all-zero masks removed.
/// Two matches are equal iff they match the same packets field by field, so `Match` is
/// directly usable as (part of) a hash key, as OVN's desired/installed flow tables need.
///
/// Storage is a single boxed byte string of `[field u8][len u7 | masked u1][value][mask]`
/// entries: a typical OVN match (`reg14`, `metadata`, `eth_type`, `ipv4_dst`) takes ~30 bytes
/// plus the 16-byte box pointer, and an empty match allocates nothing.
///
/// Alias fields are decomposed on `set` the way OVS's `struct flow` stores them:
/// `xregN`/`xxregN` → `reg`s, `vlan_vid`/`vlan_pcp` → `vlan_tci`, `ip_dscp` → `nw_tos`,
/// `in_port_oxm` → `in_port`. `tcp_src`, `udp_src`, `sctp_src` stay distinct (the
/// prerequisite on `ip_proto` makes them unambiguous).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Match {
    data: Box<[u8]>,
}

/// One entry of a [`Match`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchEntry<'a> {
    pub field: Field,
    pub value: &'a [u8],
    /// `None` for an exact match.
    pub mask: Option<&'a [u8]>,
}

impl MatchEntry<'_> {
    /// The value as an integer (for entries of at most 16 bytes).
    pub fn value_u128(&self) -> u128 {
        be_u128(self.value)
    }
    /// The mask as an integer; all ones of the field's width when exact.
    pub fn mask_u128(&self) -> u128 {
        match self.mask {
            Some(m) => be_u128(m),
            None => self.field.full_mask().to_u128(),
        }
    }
}

pub(crate) fn be_u128(s: &[u8]) -> u128 {
    s.iter()
        .take(16)
        .fold(0u128, |a, &b| (a << 8) | u128::from(b))
}

/// Iterator over the entries of a [`Match`], in canonical order.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = MatchEntry<'a>;
    fn next(&mut self) -> Option<MatchEntry<'a>> {
        let (&field, rest) = self.rest.split_first()?;
        let (&lb, rest) = rest.split_first()?;
        let len = usize::from(lb & 0x7f);
        let masked = lb & 0x80 != 0;
        let total = if masked { 2 * len } else { len };
        let body = rest.get(..total)?;
        self.rest = rest.get(total..)?;
        let (value, mask) = if masked {
            let (v, m) = body.split_at(len);
            (v, Some(m))
        } else {
            (body, None)
        };
        Some(MatchEntry {
            field: Field(field),
            value,
            mask,
        })
    }
}

impl Match {
    /// The empty (catch-all) match.
    pub fn new() -> Match {
        Match::default()
    }

    pub fn iter(&self) -> Entries<'_> {
        Entries { rest: &self.data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The entry for a storage field.
    pub fn get(&self, field: Field) -> Option<MatchEntry<'_>> {
        self.iter().find(|e| e.field == field)
    }

    /// The value of `field` as an integer, 0 when the field is not matched (OVS's view of an
    /// unmatched field, used for prerequisite checks).
    pub fn value_of(&self, field: Field) -> u128 {
        self.get(field).map_or(0, |e| e.value_u128())
    }

    pub fn contains(&self, field: Field) -> bool {
        self.get(field).is_some()
    }

    /// Bytes of heap storage used (for capacity planning).
    pub fn storage_len(&self) -> usize {
        self.data.len()
    }

    /// Matches `field` exactly against `value` (resized to the field's width).
    pub fn set(&mut self, field: Field, value: impl Into<Value>) -> Result<&mut Self, MatchError> {
        let v = value.into();
        self.set_bytes(field, v.as_slice(), None)
    }

    /// Matches the bits of `field` selected by `mask`.
    pub fn set_masked(
        &mut self,
        field: Field,
        value: impl Into<Value>,
        mask: impl Into<Value>,
    ) -> Result<&mut Self, MatchError> {
        let (v, m) = (value.into(), mask.into());
        self.set_bytes(field, v.as_slice(), Some(m.as_slice()))
    }

    /// Builder-style [`set`](Self::set).
    pub fn with(mut self, field: Field, value: impl Into<Value>) -> Result<Self, MatchError> {
        self.set(field, value)?;
        Ok(self)
    }

    /// Builder-style [`set_masked`](Self::set_masked).
    pub fn with_masked(
        mut self,
        field: Field,
        value: impl Into<Value>,
        mask: impl Into<Value>,
    ) -> Result<Self, MatchError> {
        self.set_masked(field, value, mask)?;
        Ok(self)
    }

    /// Stops matching on `field` (aliases remove their parts).
    pub fn remove(&mut self, field: Field) {
        if field.is_storage() {
            self.put(field, None);
            return;
        }
        for (f, _, _) in decompose_parts(field) {
            self.put(f, None);
        }
    }

    /// General setter: big-endian `value` and optional `mask` of any length up to the
    /// field's width (right-aligned, i.e. numeric). For `tun_metadataN` the value length is
    /// the option length mapped in the TLV table (1..=124 bytes), kept as given.
    pub fn set_bytes(
        &mut self,
        field: Field,
        value: &[u8],
        mask: Option<&[u8]>,
    ) -> Result<&mut Self, MatchError> {
        if !field.is_valid() {
            return Err(MatchError::NotMatchable { field });
        }
        if field.is_tun_metadata() {
            return self.set_tun_metadata(field, value, mask);
        }
        let width = field.n_bytes();
        let too_wide = || MatchError::ValueTooWide {
            field,
            bits: field.n_bits(),
        };
        let v = Value::from_slice(value)
            .and_then(|v| v.resize(width))
            .ok_or_else(too_wide)?;
        let full = match field {
            // OXM vlan_vid carries OFPVID_PRESENT (0x1000) above its 12 VID bits.
            _ if field == Field::VLAN_VID => Value::from(0x1fffu16),
            // OVS keeps ct_state in 8 bits, so even an exact match goes out masked 0xff.
            _ if field == Field::CT_STATE => Value::from(0xffu32),
            _ => field.full_mask(),
        };
        if v.to_u128() & !full.to_u128() != 0 {
            return Err(too_wide());
        }
        let m = match mask {
            None => full,
            Some(m) => {
                if !field.info().maskable
                    && Value::from_slice(m).and_then(|m| m.resize(width)) != Some(full)
                {
                    // A full mask on a non-maskable field is just an exact match.
                    return Err(MatchError::NotMaskable { field });
                }
                let mv = Value::from_slice(m)
                    .and_then(|m| m.resize(width))
                    .ok_or_else(too_wide)?;
                Value::from_u128(mv.to_u128() & full.to_u128(), width)
            }
        };
        let (vv, mm) = (v.to_u128(), m.to_u128());
        if field == Field::PACKET_TYPE && vv == 0 && mm == full.to_u128() {
            // packet_type=(0,0) is Ethernet, the default: OVS neither prints nor sends it.
            self.put(field, None);
            return Ok(self);
        }
        if field.info().format == crate::field::Format::Port11
            && port_from_ofp11(vv as u32).is_none()
        {
            // 32-bit ports between 0xff00 and 0xffffff00 do not exist (OVS: OFPBMC_BAD_VALUE).
            return Err(MatchError::BadValue {
                field,
                text: format!("{vv:#x}"),
            });
        }
        if field == Field::CT_NW_PROTO && vv == 0 {
            // OVS sends ct_nw_proto (and ct_tp_*) only when it is non-zero, so this match
            // cannot be expressed; ovs-ofctl silently drops it, we refuse.
            return Err(MatchError::BadValue {
                field,
                text: "0".to_owned(),
            });
        }
        if field == Field::ARP_OP && vv > 0xff {
            // OVS keeps the ARP opcode in the 8-bit nw_proto slot.
            return Err(MatchError::ValueTooWide { field, bits: 8 });
        }
        if field == Field::IP_DSCP && vv & 3 != 0 {
            // nw_tos holds only the DSCP bits; ECN is nw_ecn.
            return Err(MatchError::BadValue {
                field,
                text: format!("{vv:#x}"),
            });
        }
        if field == Field::IP_FRAG && vv & mm & 2 != 0 && mm & 1 != 0 && vv & 1 == 0 {
            // "later fragment" implies "is a fragment".
            return Err(MatchError::BadValue {
                field,
                text: format!("{vv:#x}/{mm:#x}"),
            });
        }
        // Storage fields (the common case) skip the alias decomposition.
        let special = if field.is_storage() {
            None
        } else {
            alias_transform(field, vv, mm)
        };
        match special {
            Some(parts) => {
                for (f, pv, pm, keep) in parts {
                    self.merge(f, pv, pm, keep)?;
                }
            }
            None => self.put_int(field, vv & mm, mm),
        }
        Ok(self)
    }

    fn set_tun_metadata(
        &mut self,
        field: Field,
        value: &[u8],
        mask: Option<&[u8]>,
    ) -> Result<&mut Self, MatchError> {
        let len = value.len();
        if len == 0 || len > 124 || mask.is_some_and(|m| m.len() != len) {
            return Err(MatchError::ValueTooWide {
                field,
                bits: field.n_bits(),
            });
        }
        let mut buf = Vec::with_capacity(2 * len);
        // An explicit mask is kept even when all ones: ovs-ofctl sends it that way (and
        // prints it without the mask).
        match mask {
            Some(m) => {
                if m.iter().all(|&b| b == 0) {
                    self.put(field, None);
                    return Ok(self);
                }
                buf.extend(value.iter().zip(m).map(|(v, m)| v & m));
                buf.extend_from_slice(m);
                self.put(field, Some((len, true, &buf)));
            }
            _ => {
                buf.extend_from_slice(value);
                self.put(field, Some((len, false, &buf)));
            }
        }
        Ok(self)
    }

    /// Sets a storage field from integer value/mask (mask already limited to the width).
    fn put_int(&mut self, field: Field, v: u128, m: u128) {
        let width = field.n_bytes();
        if m == 0 {
            self.put(field, None);
            return;
        }
        // tun_flags is one public bit in a 16-bit field: OVS always sends it masked.
        let full = if field == Field::TUN_FLAGS {
            0xffff
        } else {
            field.full_mask().to_u128()
        };
        let vb = Value::from_u128(v, width);
        if m == full {
            self.put(field, Some((width, false, vb.as_slice())));
        } else {
            let mb = Value::from_u128(m, width);
            let mut buf = [0u8; 32];
            buf[..width].copy_from_slice(vb.as_slice());
            buf[width..2 * width].copy_from_slice(mb.as_slice());
            self.put(field, Some((width, true, &buf[..2 * width])));
        }
    }

    /// Replaces the bits `keep` of a storage field with (`v`, `m`), keeping its other bits.
    fn merge(&mut self, field: Field, v: u128, m: u128, keep: u128) -> Result<(), MatchError> {
        let (ov, om) = match self.get(field) {
            Some(e) => (e.value_u128(), e.mask_u128()),
            None => (0, 0),
        };
        let nm = (om & !keep) | (m & keep);
        let nv = ((ov & !keep) | (v & keep)) & nm;
        self.put_int(field, nv, nm);
        Ok(())
    }

    /// Low-level: replace (or remove, with `None`) the entry of `field`; `body` is
    /// (value length, masked, value ‖ mask bytes).
    fn put(&mut self, field: Field, body: Option<(usize, bool, &[u8])>) {
        let mut out = Vec::with_capacity(self.data.len() + body.map_or(0, |b| b.2.len() + 2));
        let mut inserted = body.is_none();
        let emit = |out: &mut Vec<u8>| {
            if let Some((len, masked, bytes)) = body {
                out.push(field.0);
                out.push(len as u8 | if masked { 0x80 } else { 0 });
                out.extend_from_slice(bytes);
            }
        };
        let mut rest: &[u8] = &self.data;
        while !rest.is_empty() {
            let mut it = Entries { rest };
            let before = it.rest.len();
            let Some(e) = it.next() else { break };
            let consumed = before - it.rest.len();
            if e.field.0 > field.0 && !inserted {
                emit(&mut out);
                inserted = true;
            }
            if e.field != field {
                out.extend_from_slice(&rest[..consumed]);
            }
            rest = it.rest;
        }
        if !inserted {
            emit(&mut out);
        }
        self.data = out.into_boxed_slice();
    }
}

/// For alias fields, the storage parts as (field, value, mask, bits-of-the-storage-field
/// this alias covers). `None` for storage fields.
fn alias_transform(field: Field, v: u128, m: u128) -> Option<Vec<(Field, u128, u128, u128)>> {
    let mut out = Vec::new();
    for (f, shift, keep) in decompose_parts(field) {
        if f == field {
            return None;
        }
        let (pv, pm) = match field {
            _ if field == Field::VLAN_PCP => {
                // OVS `match_set_vlan_pcp` also requires a VLAN header (CFI bit).
                (((v & 7) << 13) | 0x1000, ((m & 7) << 13) | 0x1000)
            }
            // nw_tos is not maskable: an ip_dscp match is an exact nw_tos match.
            _ if field == Field::IP_DSCP_SHIFTED => ((v << 2) & 0xfc, 0xff),
            _ if field == Field::IN_PORT_OXM => {
                let p = port_from_ofp11(v as u32).unwrap_or(0xffff);
                (u128::from(p), 0xffff)
            }
            _ => ((v >> shift) & keep, (m >> shift) & keep),
        };
        out.push((f, pv, pm, keep));
    }
    Some(out)
}

/// (storage field, right shift of the alias value, bits of the storage field covered).
fn decompose_parts(field: Field) -> Vec<(Field, u32, u128)> {
    let x = field.0;
    if (Field::XREG0.0..Field::XREG0.0 + 8).contains(&x) {
        let n = x - Field::XREG0.0;
        vec![
            (Field::reg(2 * n), 32, 0xffff_ffff),
            (Field::reg(2 * n + 1), 0, 0xffff_ffff),
        ]
    } else if (Field::XXREG0.0..Field::XXREG0.0 + 4).contains(&x) {
        let n = x - Field::XXREG0.0;
        (0..4)
            .map(|i| (Field::reg(4 * n + i), 96 - 32 * u32::from(i), 0xffff_ffff))
            .collect()
    } else if field == Field::VLAN_VID {
        vec![(Field::VLAN_TCI, 0, 0x1fff)]
    } else if field == Field::VLAN_PCP {
        vec![(Field::VLAN_TCI, 0, 0xf000)]
    } else if field == Field::IP_DSCP_SHIFTED {
        vec![(Field::IP_DSCP, 0, 0xff)]
    } else if field == Field::IN_PORT_OXM {
        vec![(Field::IN_PORT, 0, 0xffff)]
    } else {
        vec![(field, 0, u128::MAX)]
    }
}

/// The OF1.1+ wire form of the stored 16-bit `in_port`.
pub(crate) fn in_port_wire(v: u128) -> u32 {
    port_to_ofp11(v as u16)
}

impl fmt::Debug for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Match({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_is_one_pointer() {
        // 1M flows: a Match costs 16 bytes plus its packed entries.
        assert_eq!(std::mem::size_of::<Match>(), 16);
        assert_eq!(Match::new().storage_len(), 0);
    }

    #[test]
    fn canonical_and_aliases() {
        let mut m = Match::new();
        m.set(Field::METADATA, 1u64).unwrap();
        m.set(Field::reg(14), 1u32).unwrap();
        m.set(Field::ETH_TYPE, 0x800u16).unwrap();
        let fields: Vec<_> = m.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![Field::ETH_TYPE, Field::reg(14), Field::METADATA]
        );
        m.set(Field::reg(14), 2u32).unwrap();
        assert_eq!(m.value_of(Field::reg(14)), 2);
        assert_eq!(m.len(), 3);
        m.set_masked(Field::xreg(3), 0x55u64, 0xffu64).unwrap();
        assert_eq!(
            m.get(Field::reg(7)).unwrap().mask,
            Some(&[0, 0, 0, 0xff][..])
        );
        assert!(m.get(Field::reg(6)).is_none());
        m.set_masked(Field::reg(0), 0u32, 0u32).unwrap();
        assert!(m.get(Field::reg(0)).is_none());
        assert!(m.set(Field::reg(0), 1u64 << 40).is_err());
        assert!(m.set_masked(Field::ETH_TYPE, 1u16, 1u16).is_err());
        let mut a = Match::new();
        a.set(Field::ETH_TYPE, 0x800u16)
            .unwrap()
            .set(Field::IP_PROTO, 6u8)
            .unwrap();
        let mut b = Match::new();
        b.set(Field::IP_PROTO, 6u8)
            .unwrap()
            .set(Field::ETH_TYPE, 0x800u16)
            .unwrap();
        assert_eq!(a, b);
        m.remove(Field::xreg(3));
        assert!(m.get(Field::reg(7)).is_none());
    }
}
