//! `log(name=…, verdict=…, severity=…)`: the ACL log line (upstream lib/acl-log.c
//! `handle_acl_log`): `name="…", verdict=…, severity=…, direction=…: <flow>`, where the
//! flow is printed as OVS's `flow_format` prints a packet's headers.

use std::fmt::Write;

use super::handler::{Pin, PinctrlOutput};
use super::packet::{
    ETH_TYPE_ARP, Headers, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
    L3, fmt_mac,
};

/// Packet-ins from tables before the egress pipeline come from the ingress (from-lport)
/// ACLs (`OFTABLE_LOG_EGRESS_PIPELINE` = 42).
const OFTABLE_LOG_EGRESS_PIPELINE: u8 = 42;

fn verdict(v: u8) -> &'static str {
    match v {
        0 => "allow",
        1 => "drop",
        2 => "reject",
        _ => "<unknown>",
    }
}

fn severity(s: u8) -> &'static str {
    match s {
        1 => "alert",
        4 => "warning",
        5 => "notice",
        6 => "info",
        7 => "debug",
        _ => "<unknown>",
    }
}

/// JSON string escaping, as `json_string_escape`.
fn json_escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn tcp_flags(f: u16) -> String {
    const NAMES: [&str; 9] = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"];
    let v: Vec<&str> = NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| f & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    if v.is_empty() {
        "0".into()
    } else {
        v.join("|")
    }
}

/// The headers in OVS `flow_format` style (the fields a packet-in's packet has).
pub fn format_flow(h: &Headers, packet: &[u8]) -> String {
    let mut s = String::new();
    let (v6, proto) = match h.l3 {
        L3::Ipv4 { proto, .. } => (false, Some(proto)),
        L3::Ipv6 { next, .. } => (true, Some(next)),
        _ => (false, None),
    };
    let name = match (proto, v6) {
        (Some(IPPROTO_TCP), false) => "tcp",
        (Some(IPPROTO_UDP), false) => "udp",
        (Some(IPPROTO_SCTP), false) => "sctp",
        (Some(IPPROTO_ICMP), false) => "icmp",
        (Some(_), false) => "ip",
        (Some(IPPROTO_TCP), true) => "tcp6",
        (Some(IPPROTO_UDP), true) => "udp6",
        (Some(IPPROTO_SCTP), true) => "sctp6",
        (Some(IPPROTO_ICMPV6), true) => "icmp6",
        (Some(_), true) => "ipv6",
        (None, _) if h.dl_type == ETH_TYPE_ARP => "arp",
        (None, _) => "",
    };
    if !name.is_empty() {
        s.push_str(name);
        s.push(',');
    }
    match h.vlan_tci {
        Some(t) => {
            let _ = write!(s, "dl_vlan={},dl_vlan_pcp={},", t & 0x0fff, t >> 13);
        }
        None => s.push_str("vlan_tci=0x0000,"),
    }
    let _ = write!(
        s,
        "dl_src={},dl_dst={}",
        fmt_mac(&h.dl_src),
        fmt_mac(&h.dl_dst)
    );
    if name.is_empty() {
        let _ = write!(s, ",dl_type=0x{:04x}", h.dl_type);
    }
    // nw_frag is printed only for fragments (flow_format leaves it wildcarded otherwise).
    let frag = |later: bool| {
        let mf = packet.get(h.l3_ofs + 6).is_some_and(|f| f & 0x20 != 0);
        if later {
            ",nw_frag=later"
        } else if mf {
            ",nw_frag=first"
        } else {
            ""
        }
    };
    match h.l3 {
        L3::Ipv4 {
            src,
            dst,
            ttl,
            tos,
            later_frag,
            proto,
            ..
        } => {
            let _ = write!(
                s,
                ",nw_src={src},nw_dst={dst},{}nw_tos={},nw_ecn={},nw_ttl={ttl}{}",
                if matches!(
                    proto,
                    IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP | IPPROTO_ICMP
                ) {
                    String::new()
                } else {
                    format!("nw_proto={proto},")
                },
                tos & 0xfc,
                tos & 3,
                frag(later_frag)
            );
        }
        L3::Ipv6 {
            src,
            dst,
            hlim,
            tc,
            label,
            next,
            ..
        } => {
            let _ = write!(
                s,
                ",ipv6_src={src},ipv6_dst={dst},ipv6_label=0x{label:05x},{}nw_tos={},nw_ecn={},nw_ttl={hlim}",
                if matches!(
                    next,
                    IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP | IPPROTO_ICMPV6
                ) {
                    String::new()
                } else {
                    format!("nw_proto={next},")
                },
                tc & 0xfc,
                tc & 3
            );
        }
        L3::Arp {
            op,
            sha,
            spa,
            tha,
            tpa,
        } => {
            let _ = write!(
                s,
                ",arp_spa={spa},arp_tpa={tpa},arp_op={op},arp_sha={},arp_tha={}",
                fmt_mac(&sha),
                fmt_mac(&tha)
            );
        }
        L3::Other => {}
    }
    if let Some(l4) = h.l4_ofs {
        match proto {
            Some(IPPROTO_ICMP) => {
                let _ = write!(s, ",icmp_type={},icmp_code={}", h.tp_src, h.tp_dst);
            }
            Some(IPPROTO_ICMPV6) => {
                let _ = write!(s, ",icmp_type={},icmp_code={}", h.tp_src, h.tp_dst);
                if let Some(t) = h.nd_target {
                    let _ = write!(
                        s,
                        ",nd_target={t},nd_sll={},nd_tll={}",
                        fmt_mac(&h.nd_sll),
                        fmt_mac(&h.nd_tll)
                    );
                }
            }
            Some(IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP) => {
                let _ = write!(s, ",tp_src={},tp_dst={}", h.tp_src, h.tp_dst);
                if proto == Some(IPPROTO_TCP) {
                    let f = packet
                        .get(l4 + 12..l4 + 14)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) & 0x1ff);
                    let _ = write!(s, ",tcp_flags={}", tcp_flags(f));
                }
            }
            _ => {}
        }
    }
    s
}

pub(crate) fn log(p: &Pin<'_>) -> PinctrlOutput {
    let (Some(&v), Some(&sev)) = (p.payload.first(), p.payload.get(1)) else {
        return p.bad("log data missing");
    };
    let name = p.payload.get(2..).unwrap_or_default();
    let direction = if p.pin.table_id < OFTABLE_LOG_EGRESS_PIPELINE {
        "from-lport"
    } else {
        "to-lport"
    };
    let mut s = String::from("name=");
    if name.is_empty() {
        json_escape("<unnamed>", &mut s);
    } else {
        json_escape(&String::from_utf8_lossy(name), &mut s);
    }
    let _ = write!(
        s,
        ", verdict={}, severity={}, direction={direction}: ",
        verdict(v),
        severity(sev)
    );
    s.push_str(&format_flow(&p.h, p.packet));
    PinctrlOutput::Log(s)
}
