//! `Display` of a match exactly as `ovs-ofctl -O OpenFlow15 dump-flows` prints it
//! (OVS `match_format`, lib/match.c): a fixed field order, protocol shorthands (`ip`, `tcp6`,
//! `arp`, …) replacing `dl_type`/`nw_proto`, and per-field value formats.

use std::fmt::{self, Write};

use super::prereq::{
    ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, ETH_TYPE_RARP,
};
use super::{Match, MatchEntry};
use crate::field::Field;
use crate::text::{write_hex, write_ipv4_masked, write_ipv6_masked, write_mac_masked, write_port};

/// `ct_state` bit names in bit order (OVS `CS_STATES`).
pub(crate) const CT_STATE_NAMES: [&str; 8] =
    ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"];
/// `tcp_flags` bit names (OVS `packet_tcp_flag_to_string`).
pub(crate) const TCP_FLAG_NAMES: [&str; 12] = [
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]",
];

/// Writes comma-separated items, tracking whether one was written.
struct Items<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    first: bool,
}

impl<'b> Items<'_, 'b> {
    fn item(&mut self) -> Result<&mut fmt::Formatter<'b>, fmt::Error> {
        if !self.first {
            self.f.write_char(',')?;
        }
        self.first = false;
        Ok(self.f)
    }
}

/// `%#x` of C: `0` for zero, else `0x…`.
fn alt_hex(f: &mut impl Write, v: u128) -> fmt::Result {
    if v == 0 {
        f.write_char('0')
    } else {
        write!(f, "{v:#x}")
    }
}

/// `format_uint32_masked` / `format_be64_masked`: `name=%#x[/%#x]`.
fn hex_masked(o: &mut Items<'_, '_>, name: &str, e: Option<MatchEntry<'_>>) -> fmt::Result {
    if let Some(e) = e {
        let f = o.item()?;
        write!(f, "{name}=")?;
        alt_hex(f, e.value_u128())?;
        if e.mask.is_some() {
            f.write_char('/')?;
            alt_hex(f, e.mask_u128())?;
        }
    }
    Ok(())
}

/// `format_be16_masked` / `format_uint16_masked`: decimal when exact, `0x%x/0x%x` otherwise.
fn dec16_masked(o: &mut Items<'_, '_>, name: &str, e: Option<MatchEntry<'_>>) -> fmt::Result {
    if let Some(e) = e {
        let f = o.item()?;
        match e.mask {
            None => write!(f, "{name}={}", e.value_u128()),
            Some(_) => write!(f, "{name}={:#x}/{:#x}", e.value_u128(), e.mask_u128()),
        }?;
    }
    Ok(())
}

fn dec(o: &mut Items<'_, '_>, name: &str, e: Option<MatchEntry<'_>>) -> fmt::Result {
    if let Some(e) = e {
        write!(o.item()?, "{name}={}", e.value_u128())?;
    }
    Ok(())
}

fn ip4(o: &mut Items<'_, '_>, name: &str, e: Option<MatchEntry<'_>>) -> fmt::Result {
    if let Some(e) = e {
        let f = o.item()?;
        write!(f, "{name}=")?;
        write_ipv4_masked(f, e.value, e.mask)?;
    }
    Ok(())
}

fn ip6(o: &mut Items<'_, '_>, name: &str, e: Option<MatchEntry<'_>>) -> fmt::Result {
    if let Some(e) = e {
        let f = o.item()?;
        write!(f, "{name}=")?;
        write_ipv6_masked(f, e.value, e.mask)?;
    }
    Ok(())
}

fn mac(o: &mut Items<'_, '_>, name: &str, e: Option<MatchEntry<'_>>) -> fmt::Result {
    if let Some(e) = e {
        let f = o.item()?;
        write!(f, "{name}=")?;
        write_mac_masked(f, e.value, e.mask)?;
    }
    Ok(())
}

/// `format_flags_masked`: `a|b` when the mask is `max`, else `+a-b` in bit order.
pub(crate) fn write_flags_masked(
    f: &mut impl Write,
    names: &[&str],
    value: u128,
    mask: u128,
    max: u128,
) -> fmt::Result {
    let name = |bit: usize| names.get(bit).copied().filter(|n| !n.is_empty());
    if mask == max {
        if value == 0 {
            return f.write_char('0');
        }
        let mut bad = 0u128;
        let mut first = true;
        for bit in 0..128 {
            if value >> bit & 1 == 1 {
                match name(bit) {
                    Some(n) => {
                        if !first {
                            f.write_char('|')?;
                        }
                        first = false;
                        f.write_str(n)?;
                    }
                    None => bad |= 1 << bit,
                }
            }
        }
        if bad != 0 {
            if !first {
                f.write_char('|')?;
            }
            write!(f, "{bad:#x}")?;
        }
        return Ok(());
    }
    if mask == 0 {
        return f.write_str("0/0");
    }
    for bit in 0..128 {
        if mask >> bit & 1 == 1 {
            f.write_char(if value >> bit & 1 == 1 { '+' } else { '-' })?;
            f.write_str(name(bit).unwrap_or("[Unknown]"))?;
        }
    }
    Ok(())
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &mut Items { f, first: true };
        // One pass over the packed entries, then O(1) lookups by field in OVS's print order.
        let entries: Vec<MatchEntry<'_>> = self.iter().collect();
        let mut slot = [u8::MAX; 256];
        for (i, e) in entries.iter().enumerate() {
            slot[usize::from(e.field.0)] = i as u8;
        }
        let g = |x: Field| entries.get(usize::from(slot[usize::from(x.0)])).copied();

        hex_masked(o, "pkt_mark", g(Field::PKT_MARK))?;
        hex_masked(o, "recirc_id", g(Field::RECIRC_ID))?;
        hex_masked(o, "dp_hash", g(Field::DP_HASH))?;
        dec(o, "conj_id", g(Field::CONJ_ID))?;
        if let Some(e) = g(Field::ACTSET_OUTPUT) {
            let f = o.item()?;
            f.write_str("actset_output=")?;
            match crate::text::port_from_ofp11(e.value_u128() as u32) {
                Some(p) => write_port(f, p)?,
                None => write!(f, "{}", e.value_u128())?,
            }
        }
        if let Some(e) = g(Field::CT_STATE) {
            let f = o.item()?;
            f.write_str("ct_state=")?;
            // OVS keeps ct_state in 8 bits, so a full 32-bit mask prints as exact flags.
            let mask = e.mask_u128() & 0xff;
            write_flags_masked(f, &CT_STATE_NAMES, e.value_u128() & 0xff, mask, 0xff)?;
        }
        dec16_masked(o, "ct_zone", g(Field::CT_ZONE))?;
        hex_masked(o, "ct_mark", g(Field::CT_MARK))?;
        if let Some(e) = g(Field::CT_LABEL) {
            let f = o.item()?;
            f.write_str("ct_label=")?;
            write_hex(f, e.value)?;
            if let Some(m) = e.mask {
                f.write_char('/')?;
                write_hex(f, m)?;
            }
        }
        ip4(o, "ct_nw_src", g(Field::CT_NW_SRC))?;
        ip6(o, "ct_ipv6_src", g(Field::CT_IPV6_SRC))?;
        ip4(o, "ct_nw_dst", g(Field::CT_NW_DST))?;
        ip6(o, "ct_ipv6_dst", g(Field::CT_IPV6_DST))?;
        if g(Field::CT_NW_PROTO).is_some() {
            dec(o, "ct_nw_proto", g(Field::CT_NW_PROTO))?;
            dec16_masked(o, "ct_tp_src", g(Field::CT_TP_SRC))?;
            dec16_masked(o, "ct_tp_dst", g(Field::CT_TP_DST))?;
        }
        if g(Field::PACKET_TYPE).is_none()
            && g(Field::RECIRC_ID).is_some()
            && entries
                .iter()
                .any(|e| e.field.info().prereq != crate::field::Prereq::None)
        {
            // A recirc_id match makes OVS print the (implied Ethernet) packet type of a
            // datapath megaflow.
            o.item()?.write_str("eth")?;
        }
        if let Some(e) = g(Field::PACKET_TYPE) {
            let v = e.value_u128();
            write!(o.item()?, "packet_type=({},{:#x})", v >> 16, v & 0xffff)?;
        }

        let dl_e = g(Field::ETH_TYPE);
        let dl = dl_e.map_or(0, |e| e.value_u128());
        let proto_e = g(Field::IP_PROTO);
        let proto = proto_e.map(|e| e.value_u128());
        let mut skip_type = false;
        let mut skip_proto = false;
        if dl_e.is_some() {
            skip_type = true;
            let word = match dl {
                ETH_TYPE_IP => {
                    skip_proto = true;
                    match proto {
                        Some(1) => "icmp",
                        Some(6) => "tcp",
                        Some(17) => "udp",
                        Some(132) => "sctp",
                        _ => {
                            skip_proto = false;
                            "ip"
                        }
                    }
                }
                ETH_TYPE_IPV6 => {
                    skip_proto = true;
                    match proto {
                        Some(58) => "icmp6",
                        Some(6) => "tcp6",
                        Some(17) => "udp6",
                        Some(132) => "sctp6",
                        _ => {
                            skip_proto = false;
                            "ipv6"
                        }
                    }
                }
                ETH_TYPE_ARP => "arp",
                ETH_TYPE_RARP => "rarp",
                ETH_TYPE_MPLS => "mpls",
                ETH_TYPE_MPLS_MCAST => "mplsm",
                _ => {
                    skip_type = false;
                    ""
                }
            };
            if !word.is_empty() {
                o.item()?.write_str(word)?;
            }
        }

        for n in 0..16 {
            if let Some(e) = g(Field::reg(n)) {
                let f = o.item()?;
                write!(f, "reg{n}=")?;
                alt_hex(f, e.value_u128())?;
                if e.mask.is_some() {
                    f.write_char('/')?;
                    alt_hex(f, e.mask_u128())?;
                }
            }
        }

        // format_flow_tunnel
        hex_masked(o, "tun_id", g(Field::TUN_ID))?;
        ip4(o, "tun_src", g(Field::TUN_SRC))?;
        ip4(o, "tun_dst", g(Field::TUN_DST))?;
        ip6(o, "tun_ipv6_src", g(Field::TUN_IPV6_SRC))?;
        ip6(o, "tun_ipv6_dst", g(Field::TUN_IPV6_DST))?;
        dec16_masked(o, "tun_gbp_id", g(Field::TUN_GBP_ID))?;
        if let Some(e) = g(Field::TUN_GBP_FLAGS) {
            let f = o.item()?;
            f.write_str("tun_gbp_flags=")?;
            alt_hex(f, e.value_u128())?;
        }
        if let Some(e) = g(Field::TUN_FLAGS) {
            let f = o.item()?;
            f.write_str("tun_flags=")?;
            // The wire carries only the public `oam` bit; OVS's full flag mask is 0xf.
            write_flags_masked(
                f,
                &["oam", "df", "csum", "key"],
                e.value_u128() & 1,
                e.mask_u128() & 1,
                0xf,
            )?;
        }
        for n in 0..64 {
            if let Some(e) = g(Field::tun_metadata(n)) {
                let f = o.item()?;
                write!(f, "tun_metadata{n}=")?;
                write_hex(f, e.value)?;
                if let Some(m) = e.mask.filter(|m| !m.iter().all(|&b| b == 0xff)) {
                    f.write_char('/')?;
                    write_hex(f, m)?;
                }
            }
        }

        hex_masked(o, "metadata", g(Field::METADATA))?;
        if let Some(e) = g(Field::IN_PORT) {
            let f = o.item()?;
            f.write_str("in_port=")?;
            write_port(f, e.value_u128() as u16)?;
        }
        if let Some(e) = g(Field::VLAN_TCI) {
            let (v, m) = (e.value_u128() as u16, e.mask_u128() as u16);
            let (vid_m, pcp_m, cfi) = (m & 0x0fff, m & 0xe000, m & 0x1000);
            if cfi != 0
                && v & 0x1000 != 0
                && (vid_m == 0 || vid_m == 0x0fff)
                && (pcp_m == 0 || pcp_m == 0xe000)
                && (vid_m != 0 || pcp_m != 0)
            {
                if vid_m != 0 {
                    write!(o.item()?, "dl_vlan={}", v & 0x0fff)?;
                }
                if pcp_m != 0 {
                    write!(o.item()?, "dl_vlan_pcp={}", v >> 13)?;
                }
            } else if m == 0xffff {
                write!(o.item()?, "vlan_tci=0x{v:04x}")?;
            } else {
                write!(o.item()?, "vlan_tci=0x{v:04x}/0x{m:04x}")?;
            }
        }
        mac(o, "dl_src", g(Field::ETH_SRC))?;
        mac(o, "dl_dst", g(Field::ETH_DST))?;
        if !skip_type && dl_e.is_some() {
            write!(o.item()?, "dl_type=0x{dl:04x}")?;
        }
        ip6(o, "ipv6_src", g(Field::IPV6_SRC))?;
        ip6(o, "ipv6_dst", g(Field::IPV6_DST))?;
        if let Some(e) = g(Field::IPV6_LABEL) {
            let f = o.item()?;
            match e.mask {
                None => write!(f, "ipv6_label=0x{:05x}", e.value_u128())?,
                Some(_) => write!(
                    f,
                    "ipv6_label=0x{:05x}/0x{:05x}",
                    e.value_u128(),
                    e.mask_u128()
                )?,
            }
        }
        ip4(o, "arp_spa", g(Field::ARP_SPA))?;
        ip4(o, "arp_tpa", g(Field::ARP_TPA))?;
        ip4(o, "nw_src", g(Field::IPV4_SRC))?;
        ip4(o, "nw_dst", g(Field::IPV4_DST))?;
        dec(o, "arp_op", g(Field::ARP_OP))?;
        if !skip_proto {
            dec(o, "nw_proto", proto_e)?;
        }
        mac(o, "arp_sha", g(Field::ARP_SHA))?;
        mac(o, "arp_tha", g(Field::ARP_THA))?;
        if let Some(e) = g(Field::IP_DSCP) {
            write!(o.item()?, "nw_tos={}", e.value_u128() & 0xfc)?;
        }
        dec(o, "nw_ecn", g(Field::IP_ECN))?;
        dec(o, "nw_ttl", g(Field::IP_TTL))?;
        dec(o, "mpls_label", g(Field::MPLS_LABEL))?;
        dec(o, "mpls_tc", g(Field::MPLS_TC))?;
        dec(o, "mpls_ttl", g(Field::MPLS_TTL))?;
        dec(o, "mpls_bos", g(Field::MPLS_BOS))?;
        if let Some(e) = g(Field::IP_FRAG) {
            let (v, m) = (e.value_u128() & 3, e.mask_u128() & 3);
            let text = match m {
                3 => match v {
                    0 => "no",
                    1 => "first",
                    3 => "later",
                    _ => "<error>",
                },
                1 => {
                    if v & 1 != 0 {
                        "yes"
                    } else {
                        "no"
                    }
                }
                _ => {
                    if v & 2 != 0 {
                        "later"
                    } else {
                        "not_later"
                    }
                }
            };
            write!(o.item()?, "nw_frag={text}")?;
        }
        dec16_masked(o, "icmp_type", g(Field::ICMPV4_TYPE))?;
        dec16_masked(o, "icmp_code", g(Field::ICMPV4_CODE))?;
        dec16_masked(o, "icmp_type", g(Field::ICMPV6_TYPE))?;
        dec16_masked(o, "icmp_code", g(Field::ICMPV6_CODE))?;
        ip6(o, "nd_target", g(Field::ND_TARGET))?;
        mac(o, "nd_sll", g(Field::ND_SLL))?;
        mac(o, "nd_tll", g(Field::ND_TLL))?;
        for (s, d) in [
            (Field::TCP_SRC, Field::TCP_DST),
            (Field::UDP_SRC, Field::UDP_DST),
            (Field::SCTP_SRC, Field::SCTP_DST),
        ] {
            dec16_masked(o, "tp_src", g(s))?;
            dec16_masked(o, "tp_dst", g(d))?;
        }
        if let Some(e) = g(Field::TCP_FLAGS) {
            let f = o.item()?;
            f.write_str("tcp_flags=")?;
            write_flags_masked(
                f,
                &TCP_FLAG_NAMES,
                e.value_u128() & 0xfff,
                e.mask_u128() & 0xfff,
                0xfff,
            )?;
        }
        Ok(())
    }
}
