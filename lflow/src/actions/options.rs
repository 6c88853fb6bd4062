//! `OptTable`: the generic option tables that `put_dhcp_opts`, `put_dhcpv6_opts`,
//! `put_nd_ra_opts` and `trigger_event` take their option names from (upstream
//! `struct gen_opts_map` hmaps, lib/ovn-l7.h), and the payload encoders for those options.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Constant, GenOption, OptDef, OptType};

/// Options by name.
#[derive(Debug, Clone, Default)]
pub struct OptTable {
    by_name: HashMap<Arc<str>, OptDef>,
}

impl OptTable {
    /// An empty table.
    pub fn new() -> Self {
        OptTable::default()
    }

    /// Adds (or replaces) an option.
    pub fn add(&mut self, name: &str, code: u16, ty: OptType) {
        let name: Arc<str> = Arc::from(name);
        self.by_name.insert(name.clone(), OptDef { name, code, ty });
    }

    /// Looks an option up by name.
    pub fn get(&self, name: &str) -> Option<&OptDef> {
        self.by_name.get(name)
    }

    /// Number of options.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Upstream `nd_ra_opts_init` (lib/ovn-l7.h).
    pub fn nd_ra() -> Self {
        let mut t = OptTable::new();
        t.add("addr_mode", ND_RA_FLAG_ADDR_MODE, OptType::Str);
        t.add("router_preference", ND_RA_FLAG_PRF, OptType::Str);
        t.add("slla", ND_OPT_SOURCE_LINKADDR, OptType::Mac);
        t.add("prefix", ND_OPT_PREFIX_INFORMATION, OptType::Ipv6);
        t.add("mtu", ND_OPT_MTU, OptType::Uint32);
        t.add("rdnss", ND_OPT_RDNSS, OptType::Ipv6);
        t.add("dnssl", ND_OPT_DNSSL, OptType::Str);
        t.add("route_info", ND_OPT_ROUTE_INFO_TYPE, OptType::Str);
        t
    }

    /// Upstream `controller_event_opts_init` for `empty_lb_backends`.
    pub fn empty_lb_backends() -> Self {
        let mut t = OptTable::new();
        t.add("vip", EMPTY_LB_VIP, OptType::Str);
        t.add("protocol", EMPTY_LB_PROTOCOL, OptType::Str);
        t.add("load_balancer", EMPTY_LB_LOAD_BALANCER, OptType::Str);
        t
    }

    /// The DHCPv4 options upstream's test driver registers (tests/test-ovn.c `create_gen_opts`);
    /// ovn-controller builds the same from SB `DHCP_Options`.
    pub fn dhcpv4_test() -> Self {
        let mut t = OptTable::new();
        for &(name, code, ty) in DHCPV4_TEST {
            t.add(name, code, ty);
        }
        t
    }

    /// The DHCPv6 options of upstream's test driver.
    pub fn dhcpv6_test() -> Self {
        let mut t = OptTable::new();
        t.add("server_id", 2, OptType::Mac);
        t.add("ia_addr", 5, OptType::Ipv6);
        t.add("dns_server", 23, OptType::Ipv6);
        t.add("domain_search", 24, OptType::Str);
        t
    }
}

const DHCPV4_TEST: &[(&str, u16, OptType)] = &[
    ("offerip", 0, OptType::Ipv4),
    ("netmask", 1, OptType::Ipv4),
    ("router", 3, OptType::Ipv4),
    ("dns_server", 6, OptType::Ipv4),
    ("log_server", 7, OptType::Ipv4),
    ("lpr_server", 9, OptType::Ipv4),
    ("hostname", 12, OptType::Str),
    ("domain_name", 15, OptType::Str),
    ("swap_server", 16, OptType::Ipv4),
    ("policy_filter", 21, OptType::Ipv4),
    ("router_solicitation", 32, OptType::Ipv4),
    ("nis_server", 41, OptType::Ipv4),
    ("ntp_server", 42, OptType::Ipv4),
    ("server_id", 54, OptType::Ipv4),
    ("tftp_server", 66, OptType::HostId),
    ("classless_static_route", 121, OptType::StaticRoutes),
    ("ip_forward_enable", 19, OptType::Bool),
    ("router_discovery", 31, OptType::Bool),
    ("ethernet_encap", 36, OptType::Bool),
    ("default_ttl", 23, OptType::Uint8),
    ("tcp_ttl", 37, OptType::Uint8),
    ("mtu", 26, OptType::Uint16),
    ("lease_time", 51, OptType::Uint32),
    ("wpad", 252, OptType::Str),
    ("bootfile_name", 67, OptType::Str),
    ("path_prefix", 210, OptType::Str),
    ("tftp_server_address", 150, OptType::Ipv4),
    ("arp_cache_timeout", 35, OptType::Uint32),
    ("tcp_keepalive_interval", 38, OptType::Uint32),
    ("domain_search_list", 119, OptType::Domains),
    ("bootfile_name_alt", 254, OptType::Str),
    ("broadcast_address", 28, OptType::Ipv4),
    ("netbios_name_server", 44, OptType::Ipv4),
    ("netbios_node_type", 46, OptType::Uint8),
    ("next_server", 253, OptType::Ipv4),
];

// lib/ovn-l7.h codes.
/// ND RA: `addr_mode` pseudo-option.
pub const ND_RA_FLAG_ADDR_MODE: u16 = 0;
/// ND RA: `router_preference` pseudo-option.
pub const ND_RA_FLAG_PRF: u16 = 255;
/// ND option: source link-layer address.
pub const ND_OPT_SOURCE_LINKADDR: u16 = 1;
/// ND option: prefix information.
pub const ND_OPT_PREFIX_INFORMATION: u16 = 3;
/// ND option: MTU.
pub const ND_OPT_MTU: u16 = 5;
/// ND option: route information.
pub const ND_OPT_ROUTE_INFO_TYPE: u16 = 24;
/// ND option: RDNSS.
pub const ND_OPT_RDNSS: u16 = 25;
/// ND option: DNSSL.
pub const ND_OPT_DNSSL: u16 = 31;
/// `empty_lb_backends` option `vip`.
pub const EMPTY_LB_VIP: u16 = 1;
/// `empty_lb_backends` option `protocol`.
pub const EMPTY_LB_PROTOCOL: u16 = 2;
/// `empty_lb_backends` option `load_balancer`.
pub const EMPTY_LB_LOAD_BALANCER: u16 = 3;
/// DHCPv4 `bootfile_name`.
pub const DHCP_OPT_BOOTFILE_CODE: u16 = 67;
/// DHCPv4 `bootfile_name_alt`.
pub const DHCP_OPT_BOOTFILE_ALT_CODE: u16 = 254;
/// DHCPv4 `next_server`.
pub const DHCP_OPT_NEXT_SERVER_CODE: u16 = 253;

fn int_of(c: Option<&Constant>) -> u128 {
    match c {
        Some(Constant::Int(i)) => i.value,
        _ => 0,
    }
}

fn str_of(c: Option<&Constant>) -> &str {
    match c {
        Some(Constant::Str(s)) => s,
        _ => "",
    }
}

/// Appends one DHCPv4 option in TLV form (upstream `encode_put_dhcpv4_option`).
pub fn encode_dhcpv4_option(o: &GenOption, out: &mut Vec<u8>) {
    let hdr = out.len();
    out.push(o.def.code as u8);
    out.push(0);
    let values = &o.value.values;
    let first = values.first();
    let len: usize = match o.def.ty {
        OptType::Bool | OptType::Uint8 => {
            out.push(int_of(first) as u8);
            1
        }
        OptType::Uint16 => {
            out.extend_from_slice(&(int_of(first) as u16).to_be_bytes());
            2
        }
        OptType::Uint32 => {
            out.extend_from_slice(&(int_of(first) as u32).to_be_bytes());
            4
        }
        OptType::Ipv4 => {
            for v in values {
                out.extend_from_slice(&(int_of(Some(v)) as u32).to_be_bytes());
            }
            values.len() * 4
        }
        OptType::StaticRoutes => {
            let n = values.len() & !1;
            let mut len = 0;
            for pair in values[..n].chunks_exact(2) {
                let (net, plen) = match &pair[0] {
                    Constant::Int(c) if c.masked => {
                        (c.value as u32, (c.mask as u32).leading_ones())
                    }
                    c => (int_of(Some(c)) as u32, 32),
                };
                let nbytes = plen.div_ceil(8) as usize;
                out.push(plen as u8);
                out.extend_from_slice(&net.to_be_bytes()[..nbytes]);
                out.extend_from_slice(&(int_of(Some(&pair[1])) as u32).to_be_bytes());
                len += 1 + nbytes + 4;
            }
            len
        }
        OptType::Str => {
            let s = str_of(first).as_bytes();
            out.extend_from_slice(s);
            s.len()
        }
        OptType::HostId => match first {
            Some(Constant::Str(s)) => {
                out.extend_from_slice(s.as_bytes());
                s.len()
            }
            c => {
                out.extend_from_slice(&(int_of(c) as u32).to_be_bytes());
                4
            }
        },
        OptType::Domains => match encode_domains(str_of(first)) {
            Some(enc) => {
                out.extend_from_slice(&enc);
                enc.len()
            }
            // Upstream gives up on a too-long name and leaves an empty option behind.
            None => 0,
        },
        OptType::Ipv6 | OptType::Mac | OptType::Domain => 0,
    };
    if let Some(l) = out.get_mut(hdr + 1) {
        *l = len as u8;
    }
}

/// RFC 1035 §4.1.4 encoding of a comma-separated domain list with suffix compression, exactly
/// as upstream's `domains` DHCPv4 option (including its quirk of keying suffixes on the text
/// minus its last character).  `None` if a name exceeds 255 characters.
pub fn encode_domains(list: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(list.len() + 8);
    let mut offsets: Vec<(String, u16)> = Vec::new();
    for domain in list.split(',').filter(|d| !d.is_empty()) {
        if domain.len() > 255 {
            return None;
        }
        // Upstream copies strlen(domain) bytes with strlcpy, i.e. all but the last character.
        let key = |s: &str| -> String {
            let mut k = s.to_string();
            k.pop();
            k
        };
        let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
        let mut suffix = key(domain);
        let mut compressed = false;
        for (i, label) in labels.iter().enumerate() {
            if let Some(&(_, off)) = offsets.iter().find(|(k, _)| *k == suffix) {
                out.extend_from_slice(&(0xc000u16 | off).to_be_bytes());
                compressed = true;
                break;
            }
            offsets.push((suffix.clone(), out.len() as u16));
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
            if i + 1 < labels.len() {
                let rest = labels[i + 1..].join(".");
                suffix = key(&rest);
            }
        }
        if !compressed {
            out.push(0);
        }
    }
    Some(out)
}

/// Appends one DHCPv6 option (upstream `encode_put_dhcpv6_option`).
pub fn encode_dhcpv6_option(o: &GenOption, out: &mut Vec<u8>) {
    out.extend_from_slice(&o.def.code.to_be_bytes());
    let values = &o.value.values;
    match o.def.ty {
        OptType::Ipv6 => {
            out.extend_from_slice(&((values.len() * 16) as u16).to_be_bytes());
            for v in values {
                out.extend_from_slice(&int_of(Some(v)).to_be_bytes());
            }
        }
        OptType::Mac => {
            out.extend_from_slice(&6u16.to_be_bytes());
            out.extend_from_slice(&(int_of(values.first()) as u64).to_be_bytes()[2..]);
        }
        OptType::Str => {
            let s = str_of(values.first()).as_bytes();
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
            out.extend_from_slice(s);
        }
        // Upstream leaves the length uninitialized for other types; none are registered.
        _ => out.extend_from_slice(&0u16.to_be_bytes()),
    }
}

/// ICMPv6 RA constants (lib/ovn-l7.h).
const ND_ROUTER_ADVERT: u8 = 134;
const IPV6_ND_RA_CUR_HOP_LIMIT: u8 = 255;
const IPV6_ND_RA_LIFETIME: u16 = 0xffff;
const IPV6_ND_RA_FLAG_MANAGED_ADDR_CONFIG: u8 = 0x80;
const IPV6_ND_RA_FLAG_OTHER_ADDR_CONFIG: u8 = 0x40;
const IPV6_ND_RA_OPT_PRF_NORMAL: u8 = 0x00;
const IPV6_ND_RA_OPT_PRF_HIGH: u8 = 0x08;
const IPV6_ND_RA_OPT_PRF_LOW: u8 = 0x18;
const IPV6_ND_RA_OPT_PRF_RESET_MASK: u8 = 0xe7;
const IPV6_ND_RA_OPT_PREFIX_ON_LINK: u8 = 0x80;
const IPV6_ND_RA_OPT_PREFIX_AUTONOMOUS: u8 = 0x40;
const IPV6_ND_RA_OPT_PREFIX_VALID_LIFETIME: u32 = 0xffff_ffff;
const IPV6_ND_RA_OPT_PREFIX_PREFERRED_LIFETIME: u32 = 0xffff_ffff;

/// Appends the ICMPv6 Router Advertisement that `put_nd_ra_opts` carries (upstream
/// `encode_PUT_ND_RA_OPTS` after the result-field header).
pub fn encode_nd_ra(options: &[GenOption], out: &mut Vec<u8>) {
    let ra = out.len();
    // struct ovs_ra_msg: icmp6 header (4), cur_hop_limit, mo_flags, router_lifetime,
    // reachable_time, retrans_timer.
    out.extend_from_slice(&[ND_ROUTER_ADVERT, 0, 0, 0, IPV6_ND_RA_CUR_HOP_LIMIT, 0]);
    out.extend_from_slice(&IPV6_ND_RA_LIFETIME.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    let mo = ra + 5;
    for o in options {
        let c = o.value.values.first();
        match o.def.code {
            ND_RA_FLAG_ADDR_MODE => {
                let s = str_of(c);
                if s == "dhcpv6_stateful" {
                    out[mo] |= IPV6_ND_RA_FLAG_MANAGED_ADDR_CONFIG;
                } else if s == "dhcpv6_stateless" {
                    out[mo] |= IPV6_ND_RA_FLAG_OTHER_ADDR_CONFIG;
                }
            }
            ND_RA_FLAG_PRF => {
                out[mo] |= match str_of(c) {
                    "LOW" => IPV6_ND_RA_OPT_PRF_LOW,
                    "HIGH" => IPV6_ND_RA_OPT_PRF_HIGH,
                    _ => IPV6_ND_RA_OPT_PRF_NORMAL,
                };
            }
            ND_OPT_SOURCE_LINKADDR => {
                out.extend_from_slice(&[ND_OPT_SOURCE_LINKADDR as u8, 1]);
                out.extend_from_slice(&(int_of(c) as u64).to_be_bytes()[2..]);
            }
            ND_OPT_MTU => {
                out.extend_from_slice(&[ND_OPT_MTU as u8, 1, 0, 0]);
                out.extend_from_slice(&(int_of(c) as u32).to_be_bytes());
            }
            ND_OPT_PREFIX_INFORMATION => {
                let (value, mask) = match c {
                    Some(Constant::Int(i)) => (i.value, if i.masked { i.mask } else { u128::MAX }),
                    _ => (0, 0),
                };
                let mut la = IPV6_ND_RA_OPT_PREFIX_ON_LINK;
                if out[mo] & IPV6_ND_RA_FLAG_MANAGED_ADDR_CONFIG == 0 {
                    la |= IPV6_ND_RA_OPT_PREFIX_AUTONOMOUS;
                }
                out.extend_from_slice(&[
                    ND_OPT_PREFIX_INFORMATION as u8,
                    4,
                    mask.leading_ones() as u8,
                    la,
                ]);
                out.extend_from_slice(&IPV6_ND_RA_OPT_PREFIX_VALID_LIFETIME.to_be_bytes());
                out.extend_from_slice(&IPV6_ND_RA_OPT_PREFIX_PREFERRED_LIFETIME.to_be_bytes());
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(&value.to_be_bytes());
            }
            ND_OPT_RDNSS => {
                out.extend_from_slice(&[ND_OPT_RDNSS as u8, 3, 0, 0]);
                out.extend_from_slice(&0xffff_ffffu32.to_be_bytes());
                out.extend_from_slice(&int_of(c).to_be_bytes());
            }
            ND_OPT_DNSSL => {
                if let Some(body) = encode_dnssl(str_of(c)) {
                    let size = body.len() + 8;
                    out.extend_from_slice(&[ND_OPT_DNSSL as u8, (size / 8) as u8, 0, 0]);
                    out.extend_from_slice(&0xffff_ffffu32.to_be_bytes());
                    out.extend_from_slice(&body);
                }
            }
            ND_OPT_ROUTE_INFO_TYPE => encode_route_info(str_of(c), out),
            _ => {}
        }
    }
    // RFC 4191 §2.2: a router lifetime of 0 resets the preference bits.
    if out.get(ra + 6..ra + 8) == Some(&[0, 0]) {
        out[mo] &= IPV6_ND_RA_OPT_PRF_RESET_MASK;
    }
}

/// DNSSL option body after its 8-byte header, padded as upstream's `encode_ra_dnssl_opt`
/// (`None` if it does not fit upstream's 255-byte buffer).
fn encode_dnssl(list: &str) -> Option<Vec<u8>> {
    let mut size = 8usize;
    let mut buf = Vec::new();
    for name in list.split(',').filter(|s| !s.is_empty()) {
        size += name.len() + 2;
        if size > 255 {
            return None;
        }
        for label in name.split('.').filter(|s| !s.is_empty()) {
            let l = label.len().min(255);
            buf.push(l as u8);
            buf.extend_from_slice(&label.as_bytes()[..l]);
        }
        buf.push(0);
    }
    let total = size.div_ceil(8) * 8;
    buf.resize(total - 8, 0);
    Some(buf)
}

/// Route information options (RFC 4191) from `"PRF-prefix,PRF-prefix"`.
fn encode_route_info(list: &str, out: &mut Vec<u8>) {
    for route in list.split(',').filter(|s| !s.is_empty()) {
        let mut parts = route.split('-').filter(|s| !s.is_empty());
        let flags = match parts.next() {
            Some("HIGH") => IPV6_ND_RA_OPT_PRF_HIGH,
            Some("LOW") => IPV6_ND_RA_OPT_PRF_LOW,
            _ => IPV6_ND_RA_OPT_PRF_NORMAL,
        };
        let Some(prefix) = parts.next() else { continue };
        let Some((addr, plen)) = parse_ipv6_prefix(prefix) else {
            return;
        };
        let n = plen.div_ceil(64) as usize;
        out.extend_from_slice(&[
            ND_OPT_ROUTE_INFO_TYPE as u8,
            (1 + n) as u8,
            plen as u8,
            flags,
        ]);
        out.extend_from_slice(&0xffff_ffffu32.to_be_bytes());
        out.extend_from_slice(&addr.to_be_bytes()[..n * 8]);
    }
}

/// `addr/plen` or a bare address (plen 128), network bits only.
fn parse_ipv6_prefix(s: &str) -> Option<(u128, u32)> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, p.parse::<u32>().ok().filter(|&p| p <= 128)?),
        None => (s, 128),
    };
    let addr = crate::lex::addr::parse_ipv6(a)?;
    let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
    Some((addr & mask, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_list_matches_upstream_vector() {
        let enc = encode_domains("ovn.org,abc.ovn.org").unwrap_or_default();
        assert_eq!(
            enc,
            [
                3, b'o', b'v', b'n', 3, b'o', b'r', b'g', 0, 3, b'a', b'b', b'c', 0xc0, 0
            ]
        );
    }
}
