//! `Headers`: the fields pinctrl reads from a packet-in's packet (the subset of OVS's
//! `flow_extract` the handlers use), with the offsets of its L3 and L4 headers.
//!
//! Parsing never panics and never fails: a truncated or unknown layer just leaves the
//! fields of that layer and the ones above it unset, as `flow_extract` does.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Ethertypes.
pub const ETH_TYPE_IP: u16 = 0x0800;
pub const ETH_TYPE_ARP: u16 = 0x0806;
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
pub const ETH_TYPE_VLAN: u16 = 0x8100;
pub const ETH_TYPE_VLAN_8021AD: u16 = 0x88a8;

/// IP protocols.
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_ICMPV6: u8 = 58;
pub const IPPROTO_SCTP: u8 = 132;

/// ICMPv6 types.
pub const ND_ROUTER_SOLICIT: u8 = 133;
pub const ND_NEIGHBOR_SOLICIT: u8 = 135;
pub const ND_NEIGHBOR_ADVERT: u8 = 136;

/// A 48-bit Ethernet address.
pub type Mac = [u8; 6];

/// The layer-3 part of the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L3 {
    /// An IPv4 header. `tot_len` is the header's own value.
    Ipv4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        proto: u8,
        ttl: u8,
        /// The TOS byte (DSCP and ECN).
        tos: u8,
        tot_len: u16,
        /// A later fragment (offset != 0): no L4 header.
        later_frag: bool,
    },
    /// An IPv6 header; `next` is the protocol after the extension headers.
    Ipv6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
        next: u8,
        hlim: u8,
        /// Traffic class.
        tc: u8,
        /// Flow label.
        label: u32,
        plen: u16,
    },
    /// An Ethernet/IPv4 ARP packet.
    Arp {
        op: u16,
        sha: Mac,
        spa: Ipv4Addr,
        tha: Mac,
        tpa: Ipv4Addr,
    },
    /// Anything else (or a truncated L3 header).
    Other,
}

/// The parsed headers of a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    pub dl_dst: Mac,
    pub dl_src: Mac,
    /// The outer 802.1Q TCI, if the frame is tagged.
    pub vlan_tci: Option<u16>,
    /// The inner ethertype (after VLAN tags); 0 for a frame too short to have one.
    pub dl_type: u16,
    /// Offset of the L3 header.
    pub l3_ofs: usize,
    pub l3: L3,
    /// Offset of the L4 header, when there is a complete one for `tp_src`/`tp_dst`.
    pub l4_ofs: Option<usize>,
    /// TCP/UDP/SCTP ports; for ICMP(v6) the type and code, as OVS's flow does.
    pub tp_src: u16,
    pub tp_dst: u16,
    /// ND target, source and target link-layer addresses (NS/NA only).
    pub nd_target: Option<Ipv6Addr>,
    pub nd_sll: Mac,
    pub nd_tll: Mac,
}

fn mac_at(p: &[u8], ofs: usize) -> Option<Mac> {
    p.get(ofs..ofs + 6)?.try_into().ok()
}

fn u16_at(p: &[u8], ofs: usize) -> Option<u16> {
    Some(u16::from_be_bytes(p.get(ofs..ofs + 2)?.try_into().ok()?))
}

fn v4_at(p: &[u8], ofs: usize) -> Option<Ipv4Addr> {
    let b: [u8; 4] = p.get(ofs..ofs + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

fn v6_at(p: &[u8], ofs: usize) -> Option<Ipv6Addr> {
    let b: [u8; 16] = p.get(ofs..ofs + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(b))
}

impl Headers {
    /// Parses `packet` (an Ethernet frame).
    pub fn parse(packet: &[u8]) -> Headers {
        let mut h = Headers {
            dl_dst: mac_at(packet, 0).unwrap_or_default(),
            dl_src: mac_at(packet, 6).unwrap_or_default(),
            vlan_tci: None,
            dl_type: 0,
            l3_ofs: packet.len().min(14),
            l3: L3::Other,
            l4_ofs: None,
            tp_src: 0,
            tp_dst: 0,
            nd_target: None,
            nd_sll: [0; 6],
            nd_tll: [0; 6],
        };
        let Some(mut ty) = u16_at(packet, 12) else {
            return h;
        };
        let mut ofs = 14;
        // Up to two VLAN headers (802.1ad + 802.1Q), as OVS parses.
        for _ in 0..2 {
            if ty != ETH_TYPE_VLAN && ty != ETH_TYPE_VLAN_8021AD {
                break;
            }
            let (Some(tci), Some(inner)) = (u16_at(packet, ofs), u16_at(packet, ofs + 2)) else {
                return h;
            };
            if h.vlan_tci.is_none() {
                h.vlan_tci = Some(tci);
            }
            ty = inner;
            ofs += 4;
        }
        h.dl_type = ty;
        h.l3_ofs = ofs;
        match ty {
            ETH_TYPE_IP => h.parse_ipv4(packet, ofs),
            ETH_TYPE_IPV6 => h.parse_ipv6(packet, ofs),
            ETH_TYPE_ARP => h.parse_arp(packet, ofs),
            _ => {}
        }
        h
    }

    fn parse_arp(&mut self, p: &[u8], ofs: usize) {
        // Only Ethernet/IPv4 ARP (hrd 1, pro 0x0800, hln 6, pln 4).
        if p.get(ofs..ofs + 6) != Some(&[0, 1, 8, 0, 6, 4]) {
            return;
        }
        let f = || {
            Some(L3::Arp {
                op: u16_at(p, ofs + 6)?,
                sha: mac_at(p, ofs + 8)?,
                spa: v4_at(p, ofs + 14)?,
                tha: mac_at(p, ofs + 18)?,
                tpa: v4_at(p, ofs + 24)?,
            })
        };
        if let Some(l3) = f() {
            self.l3 = l3;
        }
    }

    fn parse_ipv4(&mut self, p: &[u8], ofs: usize) {
        let Some(&vihl) = p.get(ofs) else { return };
        let ihl = usize::from(vihl & 0x0f) * 4;
        if vihl >> 4 != 4 || ihl < 20 || p.len() < ofs + ihl {
            return;
        }
        let tos = p.get(ofs + 1).copied().unwrap_or(0);
        let (Some(tot_len), Some(frag), Some(&ttl), Some(&proto), Some(src), Some(dst)) = (
            u16_at(p, ofs + 2),
            u16_at(p, ofs + 6),
            p.get(ofs + 8),
            p.get(ofs + 9),
            v4_at(p, ofs + 12),
            v4_at(p, ofs + 16),
        ) else {
            return;
        };
        let later_frag = frag & 0x1fff != 0;
        self.l3 = L3::Ipv4 {
            src,
            dst,
            proto,
            ttl,
            tos,
            tot_len,
            later_frag,
        };
        if !later_frag {
            self.parse_l4(p, ofs + ihl, proto);
        }
    }

    fn parse_ipv6(&mut self, p: &[u8], ofs: usize) {
        let (Some(&v), Some(plen), Some(&first), Some(&hlim), Some(src), Some(dst)) = (
            p.get(ofs),
            u16_at(p, ofs + 4),
            p.get(ofs + 6),
            p.get(ofs + 7),
            v6_at(p, ofs + 8),
            v6_at(p, ofs + 24),
        ) else {
            return;
        };
        if v >> 4 != 6 {
            return;
        }
        let word = p
            .get(ofs..ofs + 4)
            .map_or(0, |w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
        let tc = ((word >> 20) & 0xff) as u8;
        let label = word & 0x000f_ffff;
        let mut next = first;
        let mut l4 = ofs + 40;
        let mut later_frag = false;
        // Hop-by-hop, routing, fragment and destination options headers, at most a few.
        for _ in 0..8 {
            match next {
                0 | 43 | 60 => {
                    let (Some(&n), Some(&len)) = (p.get(l4), p.get(l4 + 1)) else {
                        return;
                    };
                    next = n;
                    l4 += (usize::from(len) + 1) * 8;
                }
                44 => {
                    let (Some(&n), Some(off)) = (p.get(l4), u16_at(p, l4 + 2)) else {
                        return;
                    };
                    next = n;
                    later_frag = off & 0xfff8 != 0;
                    l4 += 8;
                }
                _ => break,
            }
        }
        self.l3 = L3::Ipv6 {
            src,
            dst,
            next,
            hlim,
            tc,
            label,
            plen,
        };
        if !later_frag {
            self.parse_l4(p, l4, next);
        }
    }

    fn parse_l4(&mut self, p: &[u8], ofs: usize, proto: u8) {
        let need = match proto {
            IPPROTO_TCP => 20,
            IPPROTO_UDP => 8,
            IPPROTO_SCTP => 12,
            IPPROTO_ICMP => 8,
            IPPROTO_ICMPV6 => 4,
            _ => return,
        };
        if p.len() < ofs + need {
            return;
        }
        self.l4_ofs = Some(ofs);
        match proto {
            IPPROTO_ICMP | IPPROTO_ICMPV6 => {
                self.tp_src = u16::from(p.get(ofs).copied().unwrap_or(0));
                self.tp_dst = u16::from(p.get(ofs + 1).copied().unwrap_or(0));
                if proto == IPPROTO_ICMPV6 {
                    self.parse_nd(p, ofs);
                }
            }
            _ => {
                self.tp_src = u16_at(p, ofs).unwrap_or(0);
                self.tp_dst = u16_at(p, ofs + 2).unwrap_or(0);
            }
        }
    }

    fn parse_nd(&mut self, p: &[u8], ofs: usize) {
        let ty = self.tp_src as u8;
        if self.tp_dst != 0 || (ty != ND_NEIGHBOR_SOLICIT && ty != ND_NEIGHBOR_ADVERT) {
            return;
        }
        let Some(target) = v6_at(p, ofs + 8) else {
            return;
        };
        self.nd_target = Some(target);
        let mut o = ofs + 24;
        while let (Some(&t), Some(&len)) = (p.get(o), p.get(o + 1)) {
            let n = usize::from(len) * 8;
            if n == 0 {
                break;
            }
            if len == 1
                && let Some(m) = mac_at(p, o + 2)
            {
                match t {
                    1 => self.nd_sll = m,
                    2 => self.nd_tll = m,
                    _ => {}
                }
            }
            o += n;
        }
    }

    /// `is_nd`: an ICMPv6 neighbor solicitation or advertisement with code 0.
    pub fn is_nd(&self) -> bool {
        self.nd_target.is_some()
    }

    /// The IP protocol (IPv4) or next header (IPv6), if IP.
    pub fn nw_proto(&self) -> Option<u8> {
        match self.l3 {
            L3::Ipv4 { proto, .. } => Some(proto),
            L3::Ipv6 { next, .. } => Some(next),
            _ => None,
        }
    }

    /// An ICMPv4 packet with a complete ICMP header.
    pub fn is_icmpv4(&self) -> bool {
        matches!(
            self.l3,
            L3::Ipv4 {
                proto: IPPROTO_ICMP,
                ..
            }
        ) && self.l4_ofs.is_some()
    }

    /// An ICMPv6 packet with a complete ICMPv6 header.
    pub fn is_icmpv6(&self) -> bool {
        matches!(
            self.l3,
            L3::Ipv6 {
                next: IPPROTO_ICMPV6,
                ..
            }
        ) && self.l4_ofs.is_some()
    }
}

/// `xx:xx:xx:xx:xx:xx`, as OVS's `ETH_ADDR_FMT`.
pub fn fmt_mac(m: &Mac) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// Multicast (group bit set), including broadcast.
pub fn is_multicast(m: &Mac) -> bool {
    m[0] & 1 != 0
}
