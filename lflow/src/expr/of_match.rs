//! `OfMatch`: an OpenFlow match as a set of masked flow slots (the parts of OVS's `struct match`
//! that OVN's fields reach), with OVS's `mf_set` semantics and `match_format` text
//! (`ovs-ofctl` syntax).  Converted to the `openflow` crate's match type at the boundary.

use std::fmt::{self, Write};

use crate::lex::addr::{format_ipv6, is_ipv4_cidr, is_ipv6_cidr};
use crate::symtab::OfField;

/// One slot of OVS's `struct flow` (in `match_format` print order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// `pkt_mark`
    PktMark,
    /// `conj_id`
    ConjId,
    /// `ct_state` (8 bits)
    CtState,
    /// `ct_mark`
    CtMark,
    /// `ct_label`
    CtLabel,
    /// `dl_type`
    DlType,
    /// `reg0`..`reg15`
    Reg(u8),
    /// `metadata`
    Metadata,
    /// `vlan_tci`
    VlanTci,
    /// `dl_src`
    DlSrc,
    /// `dl_dst`
    DlDst,
    /// `nw_src` / `arp_spa`
    NwSrc,
    /// `nw_dst` / `arp_tpa`
    NwDst,
    /// `ipv6_src`
    Ipv6Src,
    /// `ipv6_dst`
    Ipv6Dst,
    /// `ipv6_label`
    Ipv6Label,
    /// `nw_proto` / `arp_op`
    NwProto,
    /// `arp_sha` / `nd_sll`
    ArpSha,
    /// `arp_tha` / `nd_tll`
    ArpTha,
    /// `nw_tos` (DSCP in bits 2..7, ECN in 0..1)
    NwTos,
    /// `nw_ttl`
    NwTtl,
    /// `nw_frag`
    NwFrag,
    /// `tp_src` / `icmp_type`
    TpSrc,
    /// `tp_dst` / `icmp_code`
    TpDst,
    /// `nd_target`
    NdTarget,
    /// `tcp_flags`
    TcpFlags,
}

/// A match: masked values of slots, sorted by slot, no slot with an empty mask.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfMatch {
    fields: Vec<(Slot, u128, u128)>,
}

/// How an OpenFlow field's bits map onto slots: (slot, bit offset of the slot's lsb within the
/// field, number of bits, shift of the value within the slot, slot bits affected).
fn slots_of(field: OfField) -> smallvec_like::Slots {
    use OfField::*;
    use smallvec_like::Slots;
    let one = |slot, bits: u32| Slots::one(slot, bits, 0);
    match field {
        Reg(i) => one(Slot::Reg(i), 32),
        Xreg(i) => Slots::regs(2 * i, 2),
        Xxreg(i) => Slots::regs(4 * i, 4),
        Metadata => one(Slot::Metadata, 64),
        CtState => one(Slot::CtState, 8),
        CtMark => one(Slot::CtMark, 32),
        CtLabel => one(Slot::CtLabel, 128),
        EthSrc => one(Slot::DlSrc, 48),
        EthDst => one(Slot::DlDst, 48),
        EthType => one(Slot::DlType, 16),
        VlanTci => one(Slot::VlanTci, 16),
        IpProto | ArpOp => one(Slot::NwProto, 8),
        IpDscpShifted => Slots::one(Slot::NwTos, 6, 2),
        IpEcn => one(Slot::NwTos, 2),
        IpTtl => one(Slot::NwTtl, 8),
        Ipv4Src | ArpSpa => one(Slot::NwSrc, 32),
        Ipv4Dst | ArpTpa => one(Slot::NwDst, 32),
        Icmpv4Type | Icmpv6Type => one(Slot::TpSrc, 8),
        Icmpv4Code | Icmpv6Code => one(Slot::TpDst, 8),
        Ipv6Src => one(Slot::Ipv6Src, 128),
        Ipv6Dst => one(Slot::Ipv6Dst, 128),
        Ipv6Label => one(Slot::Ipv6Label, 20),
        IpFrag => one(Slot::NwFrag, 2),
        ArpSha | NdSll => one(Slot::ArpSha, 48),
        ArpTha | NdTll => one(Slot::ArpTha, 48),
        NdTarget => one(Slot::NdTarget, 128),
        TcpSrc | UdpSrc | SctpSrc => one(Slot::TpSrc, 16),
        TcpDst | UdpDst | SctpDst => one(Slot::TpDst, 16),
        TcpFlags => one(Slot::TcpFlags, 12),
        PktMark => one(Slot::PktMark, 32),
        ConjId => one(Slot::ConjId, 32),
    }
}

mod smallvec_like {
    use super::Slot;

    /// Up to four (slot, field bit offset, bits, shift in slot) pieces.
    #[derive(Debug, Clone, Copy)]
    pub struct Slots {
        pub n: usize,
        pub v: [(Slot, u32, u32, u32); 4],
    }

    impl Slots {
        pub fn one(slot: Slot, bits: u32, shift: u32) -> Slots {
            Slots {
                n: 1,
                v: [(slot, 0, bits, shift); 4],
            }
        }

        /// `n` consecutive 32-bit registers from `first`, the first holding the high bits.
        pub fn regs(first: u8, n: u8) -> Slots {
            let mut v = [(Slot::Reg(first), 0, 32, 0); 4];
            for i in 0..n {
                v[usize::from(i)] = (Slot::Reg(first + i), 32 * u32::from(n - 1 - i), 32, 0);
            }
            Slots {
                n: usize::from(n),
                v,
            }
        }
    }
}

#[inline]
fn low(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

impl OfMatch {
    /// The match-everything match.
    pub fn catchall() -> Self {
        OfMatch::default()
    }

    /// The masked slots.
    pub fn fields(&self) -> &[(Slot, u128, u128)] {
        &self.fields
    }

    /// True if nothing is matched.
    pub fn is_catchall(&self) -> bool {
        self.fields.is_empty()
    }

    fn get(&self, slot: Slot) -> (u128, u128) {
        match self.fields.binary_search_by_key(&slot, |f| f.0) {
            Ok(i) => (self.fields[i].1, self.fields[i].2),
            Err(_) => (0, 0),
        }
    }

    fn put(&mut self, slot: Slot, value: u128, mask: u128) {
        match self.fields.binary_search_by_key(&slot, |f| f.0) {
            Ok(i) if mask == 0 => {
                self.fields.remove(i);
            }
            Ok(i) => self.fields[i] = (slot, value & mask, mask),
            Err(_) if mask == 0 => {}
            Err(i) => self.fields.insert(i, (slot, value & mask, mask)),
        }
    }

    /// Makes the match test `field` against `value`/`mask` (bits of the whole field), replacing
    /// whatever it tested on `field` (OVS `mf_mask_subfield`/`mf_set`).
    pub fn set_field(&mut self, field: OfField, value: u128, mask: u128) {
        // OVS widens exact matches on these into their wider flow members (`match_set_icmp_type`
        // sets all 16 bits of tp_src, `match_set_ipv6_label` all 32 bits of the label).
        let widen = |bits: u32, slot_bits: u32| {
            let m = mask & low(bits);
            if m == low(bits) { low(slot_bits) } else { m }
        };
        match field {
            OfField::Icmpv4Type | OfField::Icmpv6Type => {
                return self.put(Slot::TpSrc, value & 0xff, widen(8, 16));
            }
            OfField::Icmpv4Code | OfField::Icmpv6Code => {
                return self.put(Slot::TpDst, value & 0xff, widen(8, 16));
            }
            OfField::Ipv6Label => return self.put(Slot::Ipv6Label, value & 0xfffff, widen(20, 32)),
            _ => {}
        }
        let slots = slots_of(field);
        for &(slot, ofs, bits, shift) in &slots.v[..slots.n] {
            let v = ((value >> ofs) & low(bits)) << shift;
            let m = ((mask >> ofs) & low(bits)) << shift;
            let affected = low(bits) << shift;
            let (ov, om) = self.get(slot);
            self.put(slot, (ov & !affected) | v, (om & !affected) | m);
        }
    }

    /// The value and mask of `field` in this match.
    pub fn field(&self, field: OfField) -> (u128, u128) {
        let slots = slots_of(field);
        let (mut value, mut mask) = (0, 0);
        for &(slot, ofs, bits, shift) in &slots.v[..slots.n] {
            let (v, m) = self.get(slot);
            value |= ((v >> shift) & low(bits)) << ofs;
            mask |= ((m >> shift) & low(bits)) << ofs;
        }
        (value, mask)
    }

    /// Sets `conj_id`.
    pub fn set_conj_id(&mut self, id: u32) {
        self.put(Slot::ConjId, u128::from(id), u128::from(u32::MAX));
    }

    /// True if a packet with the given slot values matches (slots absent from `packet` are 0).
    pub fn matches(&self, packet: &OfMatch) -> bool {
        self.fields.iter().all(|&(slot, v, m)| {
            let (pv, _) = packet.get(slot);
            pv & m == v
        })
    }
}

impl OfMatch {
    /// The `openflow` crate's match for this one (shared OVS flow slots such as `nw_src` /
    /// `arp_spa` are named by the match's `dl_type` and `nw_proto`, as OVS prints them).
    pub fn to_openflow(
        &self,
    ) -> Result<openflow::flow_match::Match, openflow::flow_match::MatchError> {
        use openflow::field::{Field as F, Value};
        let (dl_type, _) = self.get(Slot::DlType);
        let (nw_proto, _) = self.get(Slot::NwProto);
        let arp = dl_type == 0x0806 || dl_type == 0x8035;
        let mut m = openflow::flow_match::Match::new();
        for &(slot, v, mask) in &self.fields {
            let (field, v, mask) = match slot {
                Slot::PktMark => (F::PKT_MARK, v, mask),
                Slot::ConjId => (F::CONJ_ID, v, mask),
                Slot::CtState => (F::CT_STATE, v, mask),
                Slot::CtMark => (F::CT_MARK, v, mask),
                Slot::CtLabel => (F::CT_LABEL, v, mask),
                Slot::DlType => (F::ETH_TYPE, v, mask),
                Slot::Reg(i) => (F::reg(i), v, mask),
                Slot::Metadata => (F::METADATA, v, mask),
                Slot::VlanTci => (F::VLAN_TCI, v, mask),
                Slot::DlSrc => (F::ETH_SRC, v, mask),
                Slot::DlDst => (F::ETH_DST, v, mask),
                Slot::NwSrc => (if arp { F::ARP_SPA } else { F::IPV4_SRC }, v, mask),
                Slot::NwDst => (if arp { F::ARP_TPA } else { F::IPV4_DST }, v, mask),
                Slot::Ipv6Src => (F::IPV6_SRC, v, mask),
                Slot::Ipv6Dst => (F::IPV6_DST, v, mask),
                Slot::Ipv6Label => (F::IPV6_LABEL, v, mask),
                Slot::NwProto => (if arp { F::ARP_OP } else { F::IP_PROTO }, v, mask),
                Slot::ArpSha => (if arp { F::ARP_SHA } else { F::ND_SLL }, v, mask),
                Slot::ArpTha => (if arp { F::ARP_THA } else { F::ND_TLL }, v, mask),
                Slot::NwTos => {
                    if mask & 0xfc != 0 {
                        let (dv, dm) = ((v & 0xfc) >> 2, (mask & 0xfc) >> 2);
                        set(&mut m, F::IP_DSCP_SHIFTED, dv, dm)?;
                    }
                    if mask & 0x03 == 0 {
                        continue;
                    }
                    (F::IP_ECN, v & 0x03, mask & 0x03)
                }
                Slot::NwTtl => (F::IP_TTL, v, mask),
                Slot::NwFrag => (F::IP_FRAG, v, mask),
                Slot::TpSrc | Slot::TpDst => {
                    let src = slot == Slot::TpSrc;
                    let f = match (dl_type, nw_proto) {
                        (0x0800, 1) => {
                            if src {
                                F::ICMPV4_TYPE
                            } else {
                                F::ICMPV4_CODE
                            }
                        }
                        (0x86dd, 58) => {
                            if src {
                                F::ICMPV6_TYPE
                            } else {
                                F::ICMPV6_CODE
                            }
                        }
                        (_, 17) => {
                            if src {
                                F::UDP_SRC
                            } else {
                                F::UDP_DST
                            }
                        }
                        (_, 132) => {
                            if src {
                                F::SCTP_SRC
                            } else {
                                F::SCTP_DST
                            }
                        }
                        _ => {
                            if src {
                                F::TCP_SRC
                            } else {
                                F::TCP_DST
                            }
                        }
                    };
                    (f, v, mask)
                }
                Slot::NdTarget => (F::ND_TARGET, v, mask),
                Slot::TcpFlags => (F::TCP_FLAGS, v, mask),
            };
            set(&mut m, field, v, mask)?;
        }
        return Ok(m);

        fn set(
            m: &mut openflow::flow_match::Match,
            field: openflow::field::Field,
            v: u128,
            mask: u128,
        ) -> Result<(), openflow::flow_match::MatchError> {
            let n = field.n_bytes();
            let full = field.full_mask().to_u128();
            // arp_op lives in the 8-bit nw_proto slot.
            if mask & full == full || (field == openflow::field::Field::ARP_OP && mask == 0xff) {
                m.set(field, Value::from_u128(v, n))?;
            } else {
                m.set_masked(field, Value::from_u128(v, n), Value::from_u128(mask, n))?;
            }
            Ok(())
        }
    }
}

const CT_STATE_NAMES: [&str; 8] = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"];
const TCP_FLAG_NAMES: [&str; 12] = [
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]",
];

fn format_flags(s: &mut String, names: &[&str], flags: u32) {
    if flags == 0 {
        s.push('0');
        return;
    }
    let mut bad = 0;
    let mut first = true;
    for i in 0..32 {
        if flags & (1 << i) == 0 {
            continue;
        }
        match names.get(i) {
            Some(n) => {
                if !first {
                    s.push('|');
                }
                first = false;
                s.push_str(n);
            }
            None => bad |= 1 << i,
        }
    }
    if bad != 0 {
        if !first {
            s.push('|');
        }
        let _ = write!(s, "{bad:#x}");
    }
}

fn format_flags_masked(
    s: &mut String,
    name: &str,
    names: &[&str],
    flags: u32,
    mask: u32,
    max: u32,
) {
    let _ = write!(s, "{name}=");
    if mask == max {
        format_flags(s, names, flags);
        return;
    }
    for i in 0..32 {
        if mask & (1 << i) != 0 {
            s.push(if flags & (1 << i) != 0 { '+' } else { '-' });
            s.push_str(names.get(i).copied().unwrap_or("[Unknown]"));
        }
    }
}

/// C's `%#x`: like Rust's `{:#x}` except that zero prints as `0`.
fn c_alt_hex(s: &mut String, v: u64) {
    if v == 0 {
        s.push('0');
    } else {
        let _ = write!(s, "{v:#x}");
    }
}

fn put_u32_masked(s: &mut String, name: &str, v: u128, m: u128) {
    if m != 0 {
        let _ = write!(s, "{name}=");
        c_alt_hex(s, u64::from(v as u32));
        if m as u32 != u32::MAX {
            s.push('/');
            c_alt_hex(s, u64::from(m as u32));
        }
        s.push(',');
    }
}

fn put_u16_masked(s: &mut String, name: &str, v: u128, m: u128) {
    if m != 0 {
        if m as u16 == u16::MAX {
            let _ = write!(s, "{name}={},", v as u16);
        } else {
            let _ = write!(s, "{name}={:#x}/{:#x},", v as u16, m as u16);
        }
    }
}

fn put_ip(s: &mut String, name: &str, v: u128, m: u128) {
    if m != 0 {
        let (v, m) = (v as u32, m as u32);
        let _ = write!(
            s,
            "{name}={}.{}.{}.{}",
            v >> 24,
            (v >> 16) & 0xff,
            (v >> 8) & 0xff,
            v & 0xff
        );
        if m != u32::MAX {
            if is_ipv4_cidr(m) {
                let _ = write!(s, "/{}", m.count_ones());
            } else {
                let _ = write!(
                    s,
                    "/{}.{}.{}.{}",
                    m >> 24,
                    (m >> 16) & 0xff,
                    (m >> 8) & 0xff,
                    m & 0xff
                );
            }
        }
        s.push(',');
    }
}

fn put_ipv6(s: &mut String, name: &str, v: u128, m: u128) {
    if m != 0 {
        let _ = write!(s, "{name}=");
        let _ = format_ipv6(s, v);
        if m != u128::MAX {
            if is_ipv6_cidr(m) {
                let _ = write!(s, "/{}", m.count_ones());
            } else {
                s.push('/');
                let _ = format_ipv6(s, m);
            }
        }
        s.push(',');
    }
}

fn write_eth(s: &mut String, v: u128) {
    let b = (v as u64).to_be_bytes();
    let _ = write!(
        s,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[2], b[3], b[4], b[5], b[6], b[7]
    );
}

fn put_eth(s: &mut String, name: &str, v: u128, m: u128) {
    if m != 0 {
        let _ = write!(s, "{name}=");
        write_eth(s, v);
        if m != low(48) {
            s.push('/');
            write_eth(s, m);
        }
        s.push(',');
    }
}

impl fmt::Display for OfMatch {
    /// OVS `match_format` with the default priority (so no `priority=`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(64);
        let g = |slot| self.get(slot);
        let (v, m) = g(Slot::PktMark);
        put_u32_masked(&mut s, "pkt_mark", v, m);
        let (v, m) = g(Slot::ConjId);
        if m != 0 {
            let _ = write!(s, "conj_id={},", v as u32);
        }
        let (v, m) = g(Slot::CtState);
        if m != 0 {
            if m as u8 == u8::MAX {
                s.push_str("ct_state=");
                format_flags(&mut s, &CT_STATE_NAMES, v as u32);
            } else {
                format_flags_masked(
                    &mut s,
                    "ct_state",
                    &CT_STATE_NAMES,
                    v as u32,
                    m as u32,
                    0xff,
                );
            }
            s.push(',');
        }
        let (v, m) = g(Slot::CtMark);
        put_u32_masked(&mut s, "ct_mark", v, m);
        let (v, m) = g(Slot::CtLabel);
        if m != 0 {
            s.push_str("ct_label=");
            let _ = super::tree::write_hex(&mut s, v);
            if m != u128::MAX {
                s.push('/');
                let _ = super::tree::write_hex(&mut s, m);
            }
            s.push(',');
        }

        let (dl_type, dl_type_mask) = g(Slot::DlType);
        let (nw_proto, nw_proto_mask) = g(Slot::NwProto);
        let mut skip_type = false;
        let mut skip_proto = false;
        if dl_type_mask != 0 {
            skip_type = true;
            let name = match dl_type {
                0x0800 if nw_proto_mask != 0 => {
                    skip_proto = true;
                    match nw_proto {
                        1 => "icmp",
                        6 => "tcp",
                        17 => "udp",
                        132 => "sctp",
                        _ => {
                            skip_proto = false;
                            "ip"
                        }
                    }
                }
                0x0800 => "ip",
                0x86dd if nw_proto_mask != 0 => {
                    skip_proto = true;
                    match nw_proto {
                        58 => "icmp6",
                        6 => "tcp6",
                        17 => "udp6",
                        132 => "sctp6",
                        _ => {
                            skip_proto = false;
                            "ipv6"
                        }
                    }
                }
                0x86dd => "ipv6",
                0x0806 => "arp",
                0x8035 => "rarp",
                0x8847 => "mpls",
                0x8848 => "mplsm",
                _ => {
                    skip_type = false;
                    ""
                }
            };
            if skip_type {
                s.push_str(name);
                s.push(',');
            }
        }
        for i in 0..16 {
            let (v, m) = g(Slot::Reg(i));
            put_u32_masked(&mut s, &format!("reg{i}"), v, m);
        }
        let (v, m) = g(Slot::Metadata);
        if m != 0 {
            s.push_str("metadata=");
            c_alt_hex(&mut s, v as u64);
            if m as u64 != u64::MAX {
                s.push('/');
                c_alt_hex(&mut s, m as u64);
            }
            s.push(',');
        }
        let (tci, tci_mask) = g(Slot::VlanTci);
        if tci_mask != 0 {
            let (tci, tci_mask) = (tci as u16, tci_mask as u16);
            let vid_mask = tci_mask & 0x0fff;
            let pcp_mask = tci_mask & 0xe000;
            let cfi = tci_mask & 0x1000;
            if cfi != 0
                && tci & 0x1000 != 0
                && (vid_mask == 0 || vid_mask == 0x0fff)
                && (pcp_mask == 0 || pcp_mask == 0xe000)
                && (vid_mask != 0 || pcp_mask != 0)
            {
                if vid_mask != 0 {
                    let _ = write!(s, "dl_vlan={},", tci & 0x0fff);
                }
                if pcp_mask != 0 {
                    let _ = write!(s, "dl_vlan_pcp={},", tci >> 13);
                }
            } else if tci_mask == 0xffff {
                let _ = write!(s, "vlan_tci=0x{tci:04x},");
            } else {
                let _ = write!(s, "vlan_tci=0x{tci:04x}/0x{tci_mask:04x},");
            }
        }
        let (v, m) = g(Slot::DlSrc);
        put_eth(&mut s, "dl_src", v, m);
        let (v, m) = g(Slot::DlDst);
        put_eth(&mut s, "dl_dst", v, m);
        if !skip_type && dl_type_mask != 0 {
            let _ = write!(s, "dl_type=0x{:04x},", dl_type as u16);
        }
        let is_arp = dl_type == 0x0806 || dl_type == 0x8035;
        if dl_type == 0x86dd {
            let (v, m) = g(Slot::Ipv6Src);
            put_ipv6(&mut s, "ipv6_src", v, m);
            let (v, m) = g(Slot::Ipv6Dst);
            put_ipv6(&mut s, "ipv6_dst", v, m);
            let (v, m) = g(Slot::Ipv6Label);
            if m as u32 == u32::MAX {
                let _ = write!(s, "ipv6_label=0x{:05x},", v as u32);
            } else if m != 0 {
                let _ = write!(s, "ipv6_label=0x{:05x}/0x{:05x},", v as u32, m as u32);
            }
        } else if is_arp {
            let (v, m) = g(Slot::NwSrc);
            put_ip(&mut s, "arp_spa", v, m);
            let (v, m) = g(Slot::NwDst);
            put_ip(&mut s, "arp_tpa", v, m);
        } else {
            let (v, m) = g(Slot::NwSrc);
            put_ip(&mut s, "nw_src", v, m);
            let (v, m) = g(Slot::NwDst);
            put_ip(&mut s, "nw_dst", v, m);
        }
        if !skip_proto && nw_proto_mask != 0 {
            let name = if is_arp { "arp_op" } else { "nw_proto" };
            let _ = write!(s, "{name}={},", nw_proto as u8);
        }
        if is_arp {
            let (v, m) = g(Slot::ArpSha);
            put_eth(&mut s, "arp_sha", v, m);
            let (v, m) = g(Slot::ArpTha);
            put_eth(&mut s, "arp_tha", v, m);
        }
        let (tos, tos_mask) = g(Slot::NwTos);
        if tos_mask & 0xfc != 0 {
            let _ = write!(s, "nw_tos={},", tos & 0xfc);
        }
        if tos_mask & 0x03 != 0 {
            let _ = write!(s, "nw_ecn={},", tos & 0x03);
        }
        let (v, m) = g(Slot::NwTtl);
        if m != 0 {
            let _ = write!(s, "nw_ttl={},", v as u8);
        }
        let (frag, frag_mask) = g(Slot::NwFrag);
        match frag_mask & 3 {
            3 => {
                let t = match frag & 3 {
                    3 => "later",
                    1 => "first",
                    2 => "<error>",
                    _ => "no",
                };
                let _ = write!(s, "nw_frag={t},");
            }
            1 => {
                let _ = write!(s, "nw_frag={},", if frag & 1 != 0 { "yes" } else { "no" });
            }
            2 => {
                let _ = write!(
                    s,
                    "nw_frag={},",
                    if frag & 2 != 0 { "later" } else { "not_later" }
                );
            }
            _ => {}
        }
        let (tps, tps_m) = g(Slot::TpSrc);
        let (tpd, tpd_m) = g(Slot::TpDst);
        if dl_type == 0x0800 && nw_proto == 1 {
            put_u16_masked(&mut s, "icmp_type", tps, tps_m);
            put_u16_masked(&mut s, "icmp_code", tpd, tpd_m);
        } else if dl_type == 0x86dd && nw_proto == 58 {
            put_u16_masked(&mut s, "icmp_type", tps, tps_m);
            put_u16_masked(&mut s, "icmp_code", tpd, tpd_m);
            let (v, m) = g(Slot::NdTarget);
            put_ipv6(&mut s, "nd_target", v, m);
            let (v, m) = g(Slot::ArpSha);
            put_eth(&mut s, "nd_sll", v, m);
            let (v, m) = g(Slot::ArpTha);
            put_eth(&mut s, "nd_tll", v, m);
        } else {
            put_u16_masked(&mut s, "tp_src", tps, tps_m);
            put_u16_masked(&mut s, "tp_dst", tpd, tpd_m);
        }
        let (v, m) = g(Slot::TcpFlags);
        if (dl_type == 0x0800 || dl_type == 0x86dd) && nw_proto == 6 && m != 0 {
            format_flags_masked(
                &mut s,
                "tcp_flags",
                &TCP_FLAG_NAMES,
                v as u32,
                m as u32,
                0x0fff,
            );
            s.push(',');
        }
        if s.ends_with(',') {
            s.pop();
        }
        f.write_str(&s)
    }
}
