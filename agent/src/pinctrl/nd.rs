//! Address resolution: `arp { }` (ARP request for an IPv4 packet's destination), `nd_ns { }`,
//! `nd_na { }` / `nd_na_router { }` and `put_nd_ra_opts` (upstream `pinctrl_handle_arp`,
//! `pinctrl_handle_nd_ns`, `pinctrl_handle_nd_na`, `pinctrl_handle_put_nd_ra_opts`).

use super::compose;
use super::handler::{Pin, PinctrlOutput};
use super::packet::{ETH_TYPE_IP, L3, ND_ROUTER_SOLICIT};
use super::userdata::pull_result;

const ARP_OP_REQUEST: u16 = 1;
const ND_RSO_ROUTER: u32 = 0x8000_0000;
const ND_RSO_SOLICITED: u32 = 0x4000_0000;
const ND_RSO_OVERRIDE: u32 = 0x2000_0000;

/// `arp { … }`: an ARP request from the IP packet's addresses, then the nested actions.
pub(crate) fn arp(p: &Pin<'_>) -> PinctrlOutput {
    let L3::Ipv4 { src, dst, .. } = p.h.l3 else {
        return p.bad(format!(
            "ARP action on non-IP packet (Ethertype {:x})",
            p.h.dl_type
        ));
    };
    debug_assert_eq!(p.h.dl_type, ETH_TYPE_IP);
    let mut pkt = compose::arp(
        p.h.dl_dst,
        p.h.dl_src,
        ARP_OP_REQUEST,
        p.h.dl_src,
        src,
        [0; 6],
        dst,
    );
    if let Some(tci) = p.h.vlan_tci {
        compose::push_vlan(&mut pkt, tci);
    }
    p.packet_out(pkt)
}

/// `nd_ns { … }`: a solicitation for the IPv6 packet's destination from eth.src's
/// link-local address.
pub(crate) fn nd_ns(p: &Pin<'_>) -> PinctrlOutput {
    let L3::Ipv6 { dst, .. } = p.h.l3 else {
        return p.bad("NS action on non-IPv6 packet");
    };
    let src = compose::lla(p.h.dl_src);
    p.packet_out(compose::nd_ns(p.h.dl_src, src, dst))
}

/// `nd_na { … }`: an advertisement answering a solicitation, target = the solicited address.
pub(crate) fn nd_na(p: &Pin<'_>, router: bool) -> PinctrlOutput {
    let (Some(target), L3::Ipv6 { src, .. }) = (p.h.nd_target, p.h.l3) else {
        return p.bad("NA action on non-ND packet");
    };
    // Not exactly RFC 4861 §7.2.4, as upstream notes: always solicited + override.
    let mut rso = ND_RSO_SOLICITED | ND_RSO_OVERRIDE;
    if router {
        rso |= ND_RSO_ROUTER;
    }
    p.packet_out(compose::nd_na(p.h.dl_dst, p.h.dl_src, target, src, rso))
}

/// `R = put_nd_ra_opts(…)`: replaces a router solicitation's ICMPv6 body with the router
/// advertisement carried in the userdata and resumes with the result bit set.
pub(crate) fn put_nd_ra_opts(p: &Pin<'_>) -> Vec<PinctrlOutput> {
    let mut out = Vec::new();
    let (dst, ra) = match pull_result("PUT_ND_RA_OPTS", p.payload) {
        Ok(x) => x,
        Err(e) => {
            out.push(PinctrlOutput::Warn(e));
            out.push(p.resume_result(None, false, None));
            return out;
        }
    };
    let fail = |out: &mut Vec<PinctrlOutput>, what: &str| {
        out.push(p.bad(what));
        out.push(p.resume_result(Some(dst), false, None));
    };
    if ra.is_empty() {
        fail(&mut out, "IPv6 ND RA options not present in the userdata");
        return out;
    }
    let (
        L3::Ipv6 {
            src, dst: ip_dst, ..
        },
        Some(l4),
    ) = (p.h.l3, p.h.l4_ofs)
    else {
        fail(
            &mut out,
            "put_nd_ra action on invalid or unsupported packet",
        );
        return out;
    };
    if !p.h.is_icmpv6() || p.h.tp_dst != 0 || p.h.tp_src != u16::from(ND_ROUTER_SOLICIT) {
        fail(
            &mut out,
            "put_nd_ra action on invalid or unsupported packet",
        );
        return out;
    }
    let Ok(plen) = u16::try_from(ra.len()) else {
        fail(&mut out, "RA too long");
        return out;
    };
    let mut pkt = p.packet.get(..l4).unwrap_or_default().to_vec();
    // The IPv6 payload length lives 4 bytes into the IPv6 header.
    if let Some(f) = pkt.get_mut(p.h.l3_ofs + 4..p.h.l3_ofs + 6) {
        f.copy_from_slice(&plen.to_be_bytes());
    }
    let mut msg = ra.to_vec();
    // Extension headers between IPv6 and ICMPv6 would change the pseudo-header's next header
    // only in name: it is always ICMPv6 here.
    compose::icmp6_csum(src, ip_dst, &mut msg);
    pkt.extend_from_slice(&msg);
    out.push(p.resume_result(Some(dst), true, Some(pkt)));
    out
}
