//! Load balancer hairpin flows → tables 68–70 (lflow.c `consider_lb_hairpin_flows`): detect a
//! backend reaching itself through its VIP (68), learn the reply direction (into 69), and SNAT
//! such sessions to the VIP or `hairpin_snat_ip` (70).

use std::collections::BTreeMap;
use std::net::IpAddr;

use openflow::action::{Action, Ct, CtZone, Learn, LearnSpec, LearnSrc, Nat, NatRange};
use openflow::field::{Field, Subfield};
use openflow::flow_match::Match;

use crate::physical::common::{Flows, exact, masked};
use crate::physical::consts::{LOG_DATAPATH, LOG_FLAGS, LOG_SNAT_ZONE};
use crate::physical::{Ofpact, PhysicalFlow, PhysicalInput, cookie_of};

/// `OFTABLE_CHK_LB_HAIRPIN`.
pub const OFTABLE_CHK_LB_HAIRPIN: u8 = 68;
/// `OFTABLE_CHK_LB_HAIRPIN_REPLY`.
pub const OFTABLE_CHK_LB_HAIRPIN_REPLY: u8 = 69;
/// `OFTABLE_CT_SNAT_HAIRPIN`.
pub const OFTABLE_CT_SNAT_HAIRPIN: u8 = 70;
/// `MLF_LOOKUP_LB_HAIRPIN_BIT`.
const MLF_LOOKUP_LB_HAIRPIN_BIT: u16 = 7;
/// `OVN_CT_NATTED`.
const OVN_CT_NATTED: u32 = 2;
/// ct_state `+trk+dnat` bits.
const CS_TRK_DNAT: u32 = 0x20 | 0x80;

/// A Southbound Load_Balancer row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadBalancer {
    /// Row UUID.
    pub uuid: u128,
    /// `vips`: `"VIP[:port]"` → `"backend[:port],…"` (IPv6 in brackets when with a port).
    pub vips: BTreeMap<String, String>,
    /// `protocol` (`tcp` when empty).
    pub protocol: Option<String>,
    /// `options` (`hairpin_orig_tuple`, `hairpin_snat_ip`).
    pub options: BTreeMap<String, String>,
    /// Tunnel keys of `datapaths` then `datapath_group.datapaths`.
    pub datapaths: Vec<u32>,
}

/// `ip_address_and_port_from_lb_key`: `IP`, `IP:port`, `[IPv6]:port` or bare IPv6.
fn ip_port(s: &str) -> Option<(IpAddr, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, tail) = rest.split_once(']')?;
        let ip: std::net::Ipv6Addr = ip.parse().ok()?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
            None if tail.is_empty() => 0,
            None => return None,
        };
        return Some((IpAddr::V6(ip), port));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some((ip, 0));
    }
    let (ip, port) = s.rsplit_once(':')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    Some((
        IpAddr::V4(ip),
        port.parse::<u16>().ok().filter(|p| *p != 0)?,
    ))
}

/// One VIP with its backends (`struct ovn_lb_vip`).
struct Vip {
    ip: IpAddr,
    port: u16,
    backends: Vec<(IpAddr, u16)>,
}

/// `ovn_lb_vip_init_explicit`: a VIP with any bad backend is dropped entirely.
fn parse_vip(key: &str, value: &str) -> Option<Vip> {
    let (ip, port) = ip_port(key)?;
    let mut backends = Vec::new();
    for b in value.split(',').filter(|t| !t.is_empty()) {
        let (bip, bport) = ip_port(b)?;
        if bip.is_ipv4() != ip.is_ipv4() || (port != 0) != (bport != 0) {
            return None;
        }
        backends.push((bip, bport));
    }
    Some(Vip { ip, port, backends })
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

fn ip_value(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The L4 source/destination fields of a protocol.
fn l4_fields(proto: u8) -> (Field, Field) {
    match proto {
        17 => (Field::UDP_SRC, Field::UDP_DST),
        132 => (Field::SCTP_SRC, Field::SCTP_DST),
        _ => (Field::TCP_SRC, Field::TCP_DST),
    }
}

/// `add_lb_vip_hairpin_reply_action`: learn, in table 69, the reply of this hairpin session.
fn learn_reply(snat_vip: IpAddr, proto: u8, has_l4_port: bool, cookie: u64) -> Action {
    let v4 = snat_vip.is_ipv4();
    let whole = Subfield::whole;
    let (src_f, dst_f) = if v4 {
        (Field::IPV4_SRC, Field::IPV4_DST)
    } else {
        (Field::IPV6_SRC, Field::IPV6_DST)
    };
    let eth_type: u16 = if v4 { 0x0800 } else { 0x86dd };
    let mut specs = vec![
        LearnSpec::Match {
            src: LearnSrc::Field(whole(Field::METADATA)),
            dst: whole(Field::METADATA),
        },
        LearnSpec::Match {
            src: LearnSrc::Imm(eth_type.to_be_bytes().to_vec().into_boxed_slice()),
            dst: whole(Field::ETH_TYPE),
        },
        LearnSpec::Match {
            src: LearnSrc::Field(whole(src_f)),
            dst: whole(src_f),
        },
        LearnSpec::Match {
            src: LearnSrc::Imm(ip_bytes(snat_vip).into_boxed_slice()),
            dst: whole(dst_f),
        },
    ];
    if has_l4_port {
        specs.push(LearnSpec::Match {
            src: LearnSrc::Imm(vec![0, proto].into_boxed_slice()),
            dst: whole(Field::IP_PROTO),
        });
        let (l4_src, l4_dst) = l4_fields(proto);
        specs.push(LearnSpec::Match {
            src: LearnSrc::Field(whole(l4_dst)),
            dst: whole(l4_src),
        });
    } else {
        specs.push(LearnSpec::Match {
            src: LearnSrc::Field(whole(Field::IP_PROTO)),
            dst: whole(Field::IP_PROTO),
        });
    }
    specs.push(LearnSpec::Load {
        src: LearnSrc::Imm(vec![0, 1].into_boxed_slice()),
        dst: Subfield::new(LOG_FLAGS, MLF_LOOKUP_LB_HAIRPIN_BIT, 1),
    });
    Action::Learn(Box::new(Learn {
        flags: Learn::F_DELETE_LEARNED,
        table: OFTABLE_CHK_LB_HAIRPIN_REPLY,
        cookie,
        specs,
        ..Learn::default()
    }))
}

/// The parts of the match shared by tables 68 and 70: the original destination (conntrack's or
/// the one northd saved in registers) of a DNATted session.
fn orig_dst(m: &mut Match, orig_tuple: bool, vip: &Vip) {
    if !orig_tuple {
        masked(m, Field::CT_STATE, CS_TRK_DNAT, CS_TRK_DNAT);
    }
    match vip.ip {
        IpAddr::V4(a) => {
            exact(m, Field::ETH_TYPE, 0x0800u16);
            if orig_tuple {
                exact(m, Field::reg(1), u32::from(a));
            } else {
                exact(m, Field::CT_NW_DST, u32::from(a));
            }
        }
        IpAddr::V6(a) => {
            exact(m, Field::ETH_TYPE, 0x86ddu16);
            if orig_tuple {
                exact(m, Field::xxreg(1), u128::from(a));
            } else {
                exact(m, Field::CT_IPV6_DST, u128::from(a));
            }
        }
    }
}

fn orig_port(m: &mut Match, orig_tuple: bool, vip: &Vip, proto: u8) {
    if orig_tuple {
        masked(m, Field::reg(2), u32::from(vip.port), 0xffffu32);
    } else {
        exact(m, Field::CT_NW_PROTO, proto);
        exact(m, Field::CT_TP_DST, vip.port);
    }
}

/// The hairpin flows of one load balancer (none when none of its datapaths is local).
/// `use_ct_mark` is `SB_Global options:lb_hairpin_use_ct_mark`, true unless set to "false"
/// (`smap_get_bool` with default true).
pub fn lb_hairpin_flows(
    input: &PhysicalInput,
    lb: &LoadBalancer,
    use_ct_mark: bool,
) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    if !lb.datapaths.iter().any(|d| input.ld(*d).is_some()) {
        return out.flows;
    }
    let proto: u8 = match lb.protocol.as_deref() {
        Some("udp") => 17,
        Some("sctp") => 132,
        _ => 6,
    };
    let orig_tuple = lb
        .options
        .get("hairpin_orig_tuple")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let snat_ips: Vec<IpAddr> = lb
        .options
        .get("hairpin_snat_ip")
        .map(|s| s.split_whitespace().map_while(|t| t.parse().ok()).collect())
        .unwrap_or_default();
    let snat4 = snat_ips.iter().copied().find(IpAddr::is_ipv4);
    let snat6 = snat_ips.iter().copied().find(IpAddr::is_ipv6);
    let cookie = cookie_of(lb.uuid);
    let vips: Vec<Vip> = lb
        .vips
        .iter()
        .filter_map(|(k, v)| parse_vip(k, v))
        .collect();

    for vip in &vips {
        let snat_vip = if vip.ip.is_ipv4() { snat4 } else { snat6 }.unwrap_or(vip.ip);
        for &(bip, bport) in &vip.backends {
            let mut m = Match::new();
            if !orig_tuple {
                masked(&mut m, Field::CT_STATE, CS_TRK_DNAT, CS_TRK_DNAT);
            }
            let (src, dst, orig) = if bip.is_ipv4() {
                (Field::IPV4_SRC, Field::IPV4_DST, 0x0800u16)
            } else {
                (Field::IPV6_SRC, Field::IPV6_DST, 0x86dd)
            };
            exact(&mut m, Field::ETH_TYPE, orig);
            exact(&mut m, src, ip_value(bip));
            exact(&mut m, dst, ip_value(bip));
            match vip.ip {
                IpAddr::V4(a) if orig_tuple => exact(&mut m, Field::reg(1), u32::from(a)),
                IpAddr::V4(a) => exact(&mut m, Field::CT_NW_DST, u32::from(a)),
                IpAddr::V6(a) if orig_tuple => exact(&mut m, Field::xxreg(1), u128::from(a)),
                IpAddr::V6(a) => exact(&mut m, Field::CT_IPV6_DST, u128::from(a)),
            }
            if bport != 0 {
                exact(&mut m, Field::IP_PROTO, proto);
                exact(&mut m, l4_fields(proto).1, bport);
                orig_port(&mut m, orig_tuple, vip, proto);
            }
            if use_ct_mark {
                masked(&mut m, Field::CT_MARK, OVN_CT_NATTED, OVN_CT_NATTED);
            } else {
                masked(
                    &mut m,
                    Field::CT_LABEL,
                    u128::from(OVN_CT_NATTED),
                    u128::from(OVN_CT_NATTED),
                );
            }
            let acts = vec![
                Ofpact::load(LOG_FLAGS, MLF_LOOKUP_LB_HAIRPIN_BIT, 1, 1),
                Ofpact::Raw(learn_reply(snat_vip, proto, bport != 0, cookie)),
            ];
            out.add(OFTABLE_CHK_LB_HAIRPIN, 100, lb.uuid, m, acts);
        }
    }

    for vip in &vips {
        let snat = if vip.ip.is_ipv4() { snat4 } else { snat6 };
        let nat_ip = snat.unwrap_or(vip.ip);
        let range = match nat_ip {
            IpAddr::V4(a) => NatRange::V4 {
                min: a.octets(),
                max: None,
            },
            IpAddr::V6(a) => NatRange::V6 {
                min: a.octets(),
                max: None,
            },
        };
        let ct = Action::Ct(Box::new(Ct {
            commit: true,
            force: false,
            table: 255,
            zone: CtZone::Field(Subfield::new(LOG_SNAT_ZONE, 0, 16)),
            alg: 0,
            actions: vec![Action::Nat(Box::new(Nat {
                flags: Nat::F_SRC,
                range,
                proto_min: 0,
                proto_max: 0,
            }))],
        }));
        let mut m = Match::new();
        orig_dst(&mut m, orig_tuple, vip);
        if vip.port != 0 {
            exact(&mut m, Field::IP_PROTO, proto);
            orig_port(&mut m, orig_tuple, vip, proto);
        }
        let base = if vip.port != 0 { 0 } else { 10 };
        if snat.is_none() {
            out.add(
                OFTABLE_CT_SNAT_HAIRPIN,
                100 - base,
                lb.uuid,
                m,
                vec![Ofpact::Raw(ct)],
            );
        } else {
            for dp in lb.datapaths.iter().filter(|d| input.ld(**d).is_some()) {
                let mut m = m.clone();
                exact(&mut m, LOG_DATAPATH, u64::from(*dp));
                out.add(
                    OFTABLE_CT_SNAT_HAIRPIN,
                    200 - base,
                    lb.uuid,
                    m,
                    vec![Ofpact::Raw(ct.clone())],
                );
            }
        }
    }
    out.flows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vips_and_backends_parse_like_lb_c() {
        assert_eq!(
            ip_port("10.0.0.1:80"),
            Some(("10.0.0.1".parse().unwrap(), 80))
        );
        assert_eq!(ip_port("10.0.0.1"), Some(("10.0.0.1".parse().unwrap(), 0)));
        assert_eq!(
            ip_port("[fd00::1]:80"),
            Some(("fd00::1".parse().unwrap(), 80))
        );
        assert_eq!(ip_port("fd00::1"), Some(("fd00::1".parse().unwrap(), 0)));
        assert!(ip_port("10.0.0.1:0").is_none());
        assert!(ip_port("[fd00::1]x").is_none());
        assert!(parse_vip("10.0.0.1:80", "10.0.0.2:8080,10.0.0.3").is_none());
        assert!(parse_vip("10.0.0.1", "fd00::2").is_none());
        assert_eq!(
            parse_vip("10.0.0.1:80", "10.0.0.2:8080,10.0.0.3:8080")
                .unwrap()
                .backends
                .len(),
            2
        );
    }
}
