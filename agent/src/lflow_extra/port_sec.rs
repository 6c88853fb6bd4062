//! Port security of local VIFs → tables 73–75 (lflow.c `consider_port_sec_flows`): the
//! `check_in_port_sec()` / `check_out_port_sec()` actions resubmit here, and a result of
//! `MLF_CHECK_PORT_SEC` = 1 means "drop".
//!
//! The matches reproduce upstream's exactly, including what it carries over from one flow to the
//! next (the neighbour-advertisement flows keep the previous `nw_ttl=225`), and what OVS keeps of
//! them on the wire (`nd_sll` exists only for solicitations, `nd_tll` only for advertisements).

use std::net::{Ipv4Addr, Ipv6Addr};

use openflow::field::Field;
use openflow::flow_match::Match;

use super::parse_mac_exact;
use crate::binding::PortBinding;
use crate::physical::common::{Flows, exact, masked};
use crate::physical::consts::{LOG_DATAPATH, LOG_FLAGS, LOG_INPORT, LOG_OUTPORT};
use crate::physical::{Ofpact, PhysicalFlow};

/// `OFTABLE_CHK_IN_PORT_SEC`.
pub const OFTABLE_CHK_IN_PORT_SEC: u8 = 73;
/// `OFTABLE_CHK_IN_PORT_SEC_ND`.
pub const OFTABLE_CHK_IN_PORT_SEC_ND: u8 = 74;
/// `OFTABLE_CHK_OUT_PORT_SEC`.
pub const OFTABLE_CHK_OUT_PORT_SEC: u8 = 75;
/// `MLF_CHECK_PORT_SEC_BIT`.
pub const MLF_CHECK_PORT_SEC_BIT: u16 = 12;

const ETH_TYPE_IP: u16 = 0x0800;
const ETH_TYPE_ARP: u16 = 0x0806;
const ETH_TYPE_IPV6: u16 = 0x86dd;

/// An IPv4 address with its prefix (`struct ipv4_netaddr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V4 {
    addr: u32,
    plen: u8,
}

impl V4 {
    fn mask(self) -> u32 {
        if self.plen == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.plen))
        }
    }
    /// Exact unless the address is a whole subnet (host part zero).
    fn is_host(self) -> bool {
        self.plen == 32 || self.addr & !self.mask() != 0
    }
}

/// An IPv6 address with its prefix (`struct ipv6_netaddr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V6 {
    addr: u128,
    plen: u8,
}

impl V6 {
    fn mask(self) -> u128 {
        if self.plen == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.plen))
        }
    }
    fn is_host(self) -> bool {
        self.plen == 128 || self.addr & !self.mask() != 0
    }
    fn network(self) -> u128 {
        self.addr & self.mask()
    }
}

/// One `port_security` entry (`struct lport_addresses`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Addresses {
    ea: [u8; 6],
    v4: Vec<V4>,
    v6: Vec<V6>,
}

/// `extract_lsp_addresses`: a MAC, then IPv4/IPv6 addresses with optional `/plen`, up to the
/// first token that is neither (what follows is ignored, as upstream does after logging).
fn parse_addresses(s: &str) -> Option<Addresses> {
    let mut tokens = s.split_whitespace();
    let ea = parse_mac_exact(tokens.next()?)?;
    let mut out = Addresses {
        ea,
        v4: Vec::new(),
        v6: Vec::new(),
    };
    for t in tokens {
        let (ip, plen) = match t.split_once('/') {
            Some((ip, p)) => (ip, Some(p.parse::<u8>().ok())),
            None => (t, None),
        };
        if let Ok(a) = ip.parse::<Ipv4Addr>() {
            match plen {
                None => out.v4.push(V4 {
                    addr: u32::from(a),
                    plen: 32,
                }),
                Some(Some(p)) if p <= 32 => out.v4.push(V4 {
                    addr: u32::from(a),
                    plen: p,
                }),
                _ => break,
            }
        } else if let Ok(a) = ip.parse::<Ipv6Addr>() {
            match plen {
                None => out.v6.push(V6 {
                    addr: u128::from(a),
                    plen: 128,
                }),
                Some(Some(p)) if p <= 128 => out.v6.push(V6 {
                    addr: u128::from(a),
                    plen: p,
                }),
                _ => break,
            }
        } else {
            break;
        }
    }
    Some(out)
}

/// `in6_generate_lla`: the EUI-64 link-local address of a MAC.
fn lla(ea: [u8; 6]) -> u128 {
    let b = [
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        ea[0] ^ 0x02,
        ea[1],
        ea[2],
        0xff,
        0xfe,
        ea[3],
        ea[4],
        ea[5],
    ];
    u128::from_be_bytes(b)
}

fn deny() -> Vec<Ofpact> {
    vec![Ofpact::load(LOG_FLAGS, MLF_CHECK_PORT_SEC_BIT, 1, 1)]
}

fn allow() -> Vec<Ofpact> {
    vec![Ofpact::load(LOG_FLAGS, MLF_CHECK_PORT_SEC_BIT, 1, 0)]
}

fn adv_nd_check() -> Vec<Ofpact> {
    vec![Ofpact::Resubmit(OFTABLE_CHK_IN_PORT_SEC_ND)]
}

/// `reset_match_for_port_sec_flows`.
fn reset(pb: &PortBinding, reg: Field) -> Match {
    let mut m = Match::new();
    exact(&mut m, LOG_DATAPATH, u64::from(pb.datapath));
    exact(&mut m, reg, pb.tunnel_key);
    m
}

/// An ICMPv6 ND match as OVS puts it on the wire: `nd_sll` only with type 135, `nd_tll` only
/// with 136 (upstream's match may carry both; OVS never sees the other one).
fn nd(
    base: &Match,
    ttl: Option<u8>,
    icmp_type: u8,
    ll: Option<[u8; 6]>,
    target: Option<(u128, u128)>,
) -> Match {
    let mut m = nd_type(base, ttl, icmp_type);
    exact(&mut m, Field::ICMPV6_CODE, 0u8);
    if let Some((addr, mask)) = target {
        masked(&mut m, Field::ND_TARGET, addr, mask);
    }
    if let Some(ll) = ll {
        let f = if icmp_type == 135 {
            Field::ND_SLL
        } else {
            Field::ND_TLL
        };
        exact(&mut m, f, ll);
    }
    m
}

/// ICMPv6 of a type (and hop limit), without a code.
fn nd_type(base: &Match, ttl: Option<u8>, icmp_type: u8) -> Match {
    let mut m = base.clone();
    exact(&mut m, Field::ETH_TYPE, ETH_TYPE_IPV6);
    exact(&mut m, Field::IP_PROTO, 58u8);
    if let Some(t) = ttl {
        exact(&mut m, Field::IP_TTL, t);
    }
    exact(&mut m, Field::ICMPV6_TYPE, icmp_type);
    m
}

fn v4_match(m: &mut Match, field: Field, a: V4) {
    if a.is_host() {
        exact(m, field, a.addr);
    } else {
        masked(m, field, a.addr, a.mask());
    }
}

fn v6_match(m: &mut Match, field: Field, a: V6) {
    if a.is_host() {
        exact(m, field, a.addr);
    } else {
        masked(m, field, a.network(), a.mask());
    }
}

/// The port security flows of a VIF bound here with the given `port_security` entries
/// (upstream adds them for every local binding whose `chassis` is this chassis). Entries
/// without a leading MAC are skipped; none valid, no flows.
pub fn port_sec_flows(pb: &PortBinding, port_security: &[String]) -> Vec<PhysicalFlow> {
    let addrs: Vec<Addresses> = port_security
        .iter()
        .filter_map(|s| {
            let a = parse_addresses(s);
            if a.is_none() {
                tracing::info!(port = %pb.logical_port, entry = %s,
                    "invalid syntax in port security, no MAC address found");
            }
            a
        })
        .collect();
    let mut out = Flows::default();
    if addrs.is_empty() {
        return out.flows;
    }
    let id = pb.uuid;
    let inp = || reset(pb, LOG_INPORT);
    let outp = || reset(pb, LOG_OUTPORT);
    let t73 = OFTABLE_CHK_IN_PORT_SEC;
    let t74 = OFTABLE_CHK_IN_PORT_SEC_ND;
    let t75 = OFTABLE_CHK_OUT_PORT_SEC;

    // Defaults: drop everything from the port, except ARP (checked in 74) and ND.
    out.add(t73, 80, id, inp(), deny());
    let mut m = inp();
    exact(&mut m, Field::ETH_TYPE, ETH_TYPE_ARP);
    out.add(t73, 95, id, m.clone(), adv_nd_check());
    out.add(t74, 80, id, m, deny());
    out.add(t74, 80, id, nd_type(&inp(), Some(255), 136), deny());
    // Upstream's "hack": solicitations pass by default.
    out.add(t74, 80, id, nd_type(&inp(), Some(255), 135), allow());

    for a in &addrs {
        let with_src = |ty: Option<u16>| {
            let mut m = inp();
            exact(&mut m, Field::ETH_SRC, a.ea);
            if let Some(t) = ty {
                exact(&mut m, Field::ETH_TYPE, t);
            }
            m
        };
        // No IP: anything from the MAC goes on to the ND/ARP check.
        if a.v4.is_empty() && a.v6.is_empty() {
            out.add(t73, 90, id, with_src(None), adv_nd_check());
        }
        // IPv4 sources, and DHCP discovery from 0.0.0.0.
        if !a.v4.is_empty() {
            for v in &a.v4 {
                let mut m = with_src(Some(ETH_TYPE_IP));
                v4_match(&mut m, Field::IPV4_SRC, *v);
                out.add(t73, 90, id, m, allow());
            }
            let mut m = with_src(Some(ETH_TYPE_IP));
            exact(&mut m, Field::IPV4_SRC, 0u32);
            exact(&mut m, Field::IPV4_DST, u32::MAX);
            exact(&mut m, Field::IP_PROTO, 17u8);
            exact(&mut m, Field::UDP_SRC, 68u16);
            exact(&mut m, Field::UDP_DST, 67u16);
            out.add(t73, 90, id, m, allow());
        }
        // ARP from the MAC (and its IPv4 addresses), unless it only has IPv6 addresses.
        if !a.v4.is_empty() || a.v6.is_empty() {
            let arp = || {
                let mut m = with_src(Some(ETH_TYPE_ARP));
                exact(&mut m, Field::ARP_SHA, a.ea);
                m
            };
            if a.v4.is_empty() {
                out.add(t74, 90, id, arp(), allow());
            }
            for v in &a.v4 {
                let mut m = arp();
                v4_match(&mut m, Field::ARP_SPA, *v);
                out.add(t74, 90, id, m, allow());
            }
        }
        // IPv6 sources (and the link-local one) go on to the ND check; MLD reports pass.
        if !a.v6.is_empty() {
            for v in &a.v6 {
                let mut m = with_src(Some(ETH_TYPE_IPV6));
                v6_match(&mut m, Field::IPV6_SRC, *v);
                out.add(t73, 90, id, m, adv_nd_check());
            }
            let mut m = with_src(Some(ETH_TYPE_IPV6));
            exact(&mut m, Field::IPV6_SRC, lla(a.ea));
            out.add(t73, 90, id, m, adv_nd_check());
            let mut m = with_src(Some(ETH_TYPE_IPV6));
            exact(&mut m, Field::IPV6_SRC, 0u128);
            masked(
                &mut m,
                Field::IPV6_DST,
                0xff02u128 << 112,
                0xffffu128 << 112,
            );
            exact(&mut m, Field::IP_PROTO, 58u8);
            for (ty, acts) in [(131u8, allow()), (143, allow()), (135, adv_nd_check())] {
                let mut m = m.clone();
                exact(&mut m, Field::ICMPV6_TYPE, ty);
                exact(&mut m, Field::ICMPV6_CODE, 0u8);
                out.add(t73, 90, id, m, acts);
            }
        }
        // Neighbour solicitations and advertisements from the MAC.
        out.add(
            t74,
            90,
            id,
            nd(&inp(), Some(225), 135, Some([0; 6]), None),
            allow(),
        );
        out.add(
            t74,
            90,
            id,
            nd(&inp(), Some(225), 135, Some(a.ea), None),
            allow(),
        );
        let full = u128::MAX;
        if !a.v6.is_empty() {
            let l = Some((lla(a.ea), full));
            out.add(
                t74,
                90,
                id,
                nd(&inp(), Some(225), 136, Some([0; 6]), l),
                allow(),
            );
            out.add(
                t74,
                90,
                id,
                nd(&inp(), Some(225), 136, Some(a.ea), l),
                allow(),
            );
            for v in &a.v6 {
                let target = if v.is_host() {
                    (v.addr, full)
                } else {
                    (v.network(), v.mask())
                };
                let mut base = inp();
                exact(&mut base, Field::ETH_SRC, a.ea);
                for ll in [[0; 6], a.ea] {
                    out.add(
                        t74,
                        90,
                        id,
                        nd(&base, None, 136, Some(ll), Some(target)),
                        allow(),
                    );
                }
            }
        } else {
            for ll in [[0; 6], a.ea] {
                out.add(
                    t74,
                    90,
                    id,
                    nd(&inp(), Some(225), 136, Some(ll), None),
                    allow(),
                );
            }
        }
    }

    // Out port security.
    out.add(t75, 80, id, outp(), deny());
    for a in &addrs {
        let with_dst = |ty: Option<u16>| {
            let mut m = outp();
            exact(&mut m, Field::ETH_DST, a.ea);
            if let Some(t) = ty {
                exact(&mut m, Field::ETH_TYPE, t);
            }
            m
        };
        out.add(t75, 85, id, with_dst(None), allow());
        if a.v4.is_empty() && a.v6.is_empty() {
            continue;
        }
        out.add(t75, 90, id, with_dst(Some(ETH_TYPE_IP)), deny());
        if !a.v4.is_empty() {
            for v in &a.v4 {
                let mut m = with_dst(Some(ETH_TYPE_IP));
                if v.is_host() {
                    if v.plen != 32 {
                        // The subnet's broadcast address.
                        let mut b = m.clone();
                        exact(&mut b, Field::IPV4_DST, v.addr | !v.mask());
                        out.add(t75, 95, id, b, allow());
                    }
                    exact(&mut m, Field::IPV4_DST, v.addr);
                } else {
                    masked(&mut m, Field::IPV4_DST, v.addr, v.mask());
                }
                out.add(t75, 95, id, m, allow());
            }
            let mut m = with_dst(Some(ETH_TYPE_IP));
            exact(&mut m, Field::IPV4_DST, u32::MAX);
            out.add(t75, 95, id, m.clone(), allow());
            masked(&mut m, Field::IPV4_DST, 0xe000_0000u32, 0xf000_0000u32);
            out.add(t75, 95, id, m, allow());
        }
        out.add(t75, 90, id, with_dst(Some(ETH_TYPE_IPV6)), deny());
        if !a.v6.is_empty() {
            for v in &a.v6 {
                let mut m = with_dst(Some(ETH_TYPE_IPV6));
                v6_match(&mut m, Field::IPV6_DST, *v);
                out.add(t75, 95, id, m, allow());
            }
            let mut m = with_dst(Some(ETH_TYPE_IPV6));
            exact(&mut m, Field::IPV6_DST, lla(a.ea));
            out.add(t75, 95, id, m.clone(), allow());
            masked(&mut m, Field::IPV6_DST, 0xffu128 << 120, 0xffu128 << 120);
            out.add(t75, 95, id, m, allow());
        }
    }
    out.flows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_like_extract_lsp_addresses() {
        let a = parse_addresses("00:00:00:00:01:01 10.0.0.4/24 fd00::4 bogus 10.9.9.9").unwrap();
        assert_eq!(
            a.v4,
            vec![V4 {
                addr: 0x0a00_0004,
                plen: 24
            }]
        );
        assert_eq!(a.v6.len(), 1);
        assert!(a.v4[0].is_host());
        assert!(
            !V4 {
                addr: 0x0a00_0000,
                plen: 24
            }
            .is_host()
        );
        assert!(parse_addresses("10.0.0.4").is_none());
        assert!(parse_addresses("").is_none());
        assert_eq!(
            Ipv6Addr::from(lla([0, 0, 0, 0, 1, 1])).to_string(),
            "fe80::200:ff:fe00:101"
        );
    }

    #[test]
    fn mac_only_entry() {
        let pb = PortBinding {
            logical_port: "vm1".into(),
            datapath: 1,
            tunnel_key: 2,
            ..PortBinding::default()
        };
        let flows = port_sec_flows(&pb, &["00:00:00:00:01:01".to_owned()]);
        let t: Vec<String> = flows.iter().map(ToString::to_string).collect();
        assert!(t.contains(&"table=73, priority=90,reg14=0x2,metadata=0x1,dl_src=00:00:00:00:01:01 actions=resubmit(,74)".to_owned()), "{t:#?}");
        assert!(t.contains(&"table=75, priority=85,reg15=0x2,metadata=0x1,dl_dst=00:00:00:00:01:01 actions=set_field:0/0x1000->reg10".to_owned()), "{t:#?}");
        assert!(port_sec_flows(&pb, &["nonsense".to_owned()]).is_empty());
    }
}
