//! Building the packets pinctrl injects (upstream `compose_arp__`, `pinctrl_compose_ipv4/6`,
//! `compose_nd_ns`, `compose_nd_na` of OVS lib/packets.c and controller/pinctrl.c), with
//! correct checksums.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::checksum::{Csum, csum, pseudo6};
use super::packet::{
    ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_VLAN, IPPROTO_ICMPV6, Mac,
    ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT,
};

/// `IP_DSCP_CS6`: the TOS of every IPv4 packet pinctrl originates.
const IP_DSCP_CS6: u8 = 0xc0;

/// The Ethernet header.
pub fn eth(out: &mut Vec<u8>, dst: Mac, src: Mac, ty: u16) {
    out.extend_from_slice(&dst);
    out.extend_from_slice(&src);
    out.extend_from_slice(&ty.to_be_bytes());
}

/// Inserts an 802.1Q tag with `tci` after the MAC addresses (`eth_push_vlan`).
pub fn push_vlan(frame: &mut Vec<u8>, tci: u16) {
    if frame.len() < 12 {
        return;
    }
    let mut tag = ETH_TYPE_VLAN.to_be_bytes().to_vec();
    // OVS keeps the CFI bit as "tag present"; the wire TCI carries PCP/DEI/VID as received.
    tag.extend_from_slice(&tci.to_be_bytes());
    frame.splice(12..12, tag);
}

/// An ARP request frame (`compose_arp__` then the fields pinctrl sets for `arp { }`).
pub fn arp(
    dst: Mac,
    src: Mac,
    op: u16,
    sha: Mac,
    spa: Ipv4Addr,
    tha: Mac,
    tpa: Ipv4Addr,
) -> Vec<u8> {
    let mut p = Vec::with_capacity(42);
    eth(&mut p, dst, src, ETH_TYPE_ARP);
    p.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4]);
    p.extend_from_slice(&op.to_be_bytes());
    p.extend_from_slice(&sha);
    p.extend_from_slice(&spa.octets());
    p.extend_from_slice(&tha);
    p.extend_from_slice(&tpa.octets());
    p
}

/// Ethernet + IPv4 header (`pinctrl_compose_ipv4`: TOS CS6, DF, id 0) followed by `payload`.
/// The caller fills L4 checksums; the IPv4 header checksum is set here.
pub fn ipv4(
    eth_src: Mac,
    eth_dst: Mac,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    ttl: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(34 + payload.len());
    eth(&mut p, eth_dst, eth_src, ETH_TYPE_IP);
    let tot = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[1] = IP_DSCP_CS6;
    ip[2..4].copy_from_slice(&tot.to_be_bytes());
    ip[6] = 0x40; // DF
    ip[8] = ttl;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&src.octets());
    ip[16..20].copy_from_slice(&dst.octets());
    let c = csum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&ip);
    p.extend_from_slice(payload);
    p
}

/// Ethernet + IPv6 header (traffic class and flow label 0) followed by `payload`.
pub fn ipv6(
    eth_src: Mac,
    eth_dst: Mac,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next: u8,
    hlim: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(54 + payload.len());
    eth(&mut p, eth_dst, eth_src, ETH_TYPE_IPV6);
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    let plen = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    p.extend_from_slice(&plen.to_be_bytes());
    p.push(next);
    p.push(hlim);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

/// Writes the L4 checksum at `l4[at..at+2]` over `l4` with `pseudo` (already zeroed field).
pub fn set_l4_csum(l4: &mut [u8], at: usize, pseudo: Csum) {
    let c = pseudo.add(l4).finish();
    if let Some(f) = l4.get_mut(at..at + 2) {
        f.copy_from_slice(&c.to_be_bytes());
    }
}

/// The ICMPv6 checksum of `msg` between `src` and `dst`.
pub fn icmp6_csum(src: Ipv6Addr, dst: Ipv6Addr, msg: &mut [u8]) {
    if msg.len() < 4 {
        return;
    }
    msg[2] = 0;
    msg[3] = 0;
    let ps = pseudo6(src, dst, IPPROTO_ICMPV6, msg.len());
    set_l4_csum(msg, 2, ps);
}

/// The solicited-node multicast address of `ip` (`in6_addr_solicited_node`).
pub fn solicited_node(ip: Ipv6Addr) -> Ipv6Addr {
    let o = ip.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// The Ethernet multicast address of an IPv6 multicast address (`33:33:` + low 32 bits).
pub fn ipv6_multicast_mac(ip: Ipv6Addr) -> Mac {
    let o = ip.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// The EUI-64 link-local address of `ea` (`in6_generate_lla`).
pub fn lla(ea: Mac) -> Ipv6Addr {
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        (u16::from(ea[0] ^ 0x02) << 8) | u16::from(ea[1]),
        (u16::from(ea[2]) << 8) | 0x00ff,
        0xfe00 | u16::from(ea[3]),
        u16::from_be_bytes([ea[4], ea[5]]),
    )
}

/// An ND message (NS or NA) with one link-layer address option.
struct Nd {
    eth_src: Mac,
    eth_dst: Mac,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    ty: u8,
    rso: u32,
    target: Ipv6Addr,
    opt_type: u8,
    opt_mac: Mac,
}

impl Nd {
    fn build(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(32);
        m.extend_from_slice(&[self.ty, 0, 0, 0]);
        m.extend_from_slice(&self.rso.to_be_bytes());
        m.extend_from_slice(&self.target.octets());
        m.extend_from_slice(&[self.opt_type, 1]);
        m.extend_from_slice(&self.opt_mac);
        icmp6_csum(self.src, self.dst, &mut m);
        ipv6(
            self.eth_src,
            self.eth_dst,
            self.src,
            self.dst,
            IPPROTO_ICMPV6,
            255,
            &m,
        )
    }
}

/// A neighbor solicitation for `target` from `eth_src`/`src` (`compose_nd_ns`): to the
/// solicited-node group, with the source link-layer address option.
pub fn nd_ns(eth_src: Mac, src: Ipv6Addr, target: Ipv6Addr) -> Vec<u8> {
    let sn = solicited_node(target);
    Nd {
        eth_src,
        eth_dst: ipv6_multicast_mac(sn),
        src,
        dst: sn,
        ty: ND_NEIGHBOR_SOLICIT,
        rso: 0,
        target,
        opt_type: 1,
        opt_mac: eth_src,
    }
    .build()
}

/// A neighbor advertisement (`compose_nd_na`): target `src`, target link-layer address
/// `eth_src`.
pub fn nd_na(eth_src: Mac, eth_dst: Mac, src: Ipv6Addr, dst: Ipv6Addr, rso: u32) -> Vec<u8> {
    Nd {
        eth_src,
        eth_dst,
        src,
        dst,
        ty: ND_NEIGHBOR_ADVERT,
        rso,
        target: src,
        opt_type: 2,
        opt_mac: eth_src,
    }
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinctrl::packet::{Headers, L3};

    #[test]
    fn lla_and_solicited_node() {
        let ea = [0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        assert_eq!(lla(ea), "fe80::200:ff:fe00:1".parse::<Ipv6Addr>().unwrap());
        let t: Ipv6Addr = "fd00::1:2:3".parse().unwrap();
        assert_eq!(
            solicited_node(t),
            "ff02::1:ff02:3".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            ipv6_multicast_mac(solicited_node(t)),
            [0x33, 0x33, 0xff, 0x02, 0, 3]
        );
    }

    #[test]
    fn ns_parses_back_with_valid_checksum() {
        let ea = [0x50, 0x54, 0, 0, 0, 1];
        let t: Ipv6Addr = "fd00::5".parse().unwrap();
        let p = nd_ns(ea, lla(ea), t);
        let h = Headers::parse(&p);
        assert!(h.is_nd());
        assert_eq!(h.nd_target, Some(t));
        assert_eq!(h.nd_sll, ea);
        let L3::Ipv6 { src, dst, plen, .. } = h.l3 else {
            panic!("not ipv6")
        };
        assert_eq!(plen, 32);
        let l4 = h.l4_ofs.unwrap();
        assert_eq!(
            pseudo6(src, dst, IPPROTO_ICMPV6, 32).add(&p[l4..]).finish(),
            0
        );
    }
}
