//! Errors pinctrl originates: `icmp4 { }`/`icmp6 { }` (destination unreachable),
//! `icmp4_error { }`/`icmp6_error { }` (the same packet, whose type/code the nested actions
//! rewrite, e.g. TTL exceeded or fragmentation needed), `tcp_reset { }`, `sctp_abort { }`,
//! `reject { }`, and `icmp4.frag_mtu = N` / `icmp6.frag_mtu = N` (upstream
//! `pinctrl_handle_icmp`, `_tcp_reset`, `_sctp_abort`, `_reject`, `_put_icmp_frag_mtu`).

use super::checksum::{csum, pseudo4, pseudo6};
use super::compose;
use super::handler::{Pin, PinctrlOutput};
use super::packet::{IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, L3};

const ICMP4_DST_UNREACH: u8 = 3;
const ICMP6_DST_UNREACH: u8 = 1;
const ICMP6_DST_UNREACH_NOPORT: u8 = 4;
const TCP_RST: u8 = 0x04;
const TCP_ACK: u8 = 0x10;
const SCTP_CHUNK_TYPE_INIT: u8 = 1;
const SCTP_CHUNK_TYPE_ABORT: u8 = 6;
const SCTP_ABORT_CHUNK_FLAG_T: u8 = 1;

/// Builds the ICMP(v6) destination-unreachable answer embedding as much of the original IP
/// packet as RFC 1122 / RFC 4443 allow (576 / 1280 bytes). `set_code`: port unreachable for
/// UDP (`icmp4 { }`), host unreachable otherwise. `loopback`: answer to the sender (`reject`).
pub(crate) fn icmp(p: &Pin<'_>, set_code: bool, loopback: bool) -> PinctrlOutput {
    let (eth_src, eth_dst) = if loopback {
        (p.h.dl_dst, p.h.dl_src)
    } else {
        (p.h.dl_src, p.h.dl_dst)
    };
    let l3 = p.packet.get(p.h.l3_ofs..).unwrap_or_default();
    let mut pkt = match p.h.l3 {
        L3::Ipv4 {
            src,
            dst,
            proto,
            tot_len,
            ..
        } => {
            if usize::from(tot_len) < 20 {
                return p.bad(format!(
                    "ICMP action on IP packet with invalid length ({tot_len})"
                ));
            }
            let (s, d) = if loopback { (dst, src) } else { (src, dst) };
            let room = 576 - (14 + 20 + 8);
            let n = usize::from(tot_len).min(room).min(l3.len());
            let code = if set_code && proto == IPPROTO_UDP {
                3
            } else {
                1
            };
            let mut msg = vec![ICMP4_DST_UNREACH, code, 0, 0, 0, 0, 0, 0];
            msg.extend_from_slice(&l3[..n]);
            let c = csum(&msg);
            msg[2..4].copy_from_slice(&c.to_be_bytes());
            compose::ipv4(eth_src, eth_dst, s, d, IPPROTO_ICMP, 255, &msg)
        }
        L3::Ipv6 {
            src,
            dst,
            next,
            plen,
            ..
        } => {
            let (s, d) = if loopback { (dst, src) } else { (src, dst) };
            let room = 1280 - (14 + 40 + 8);
            let n = (40 + usize::from(plen)).min(room).min(l3.len());
            let code = if set_code && next == IPPROTO_UDP {
                ICMP6_DST_UNREACH_NOPORT
            } else {
                1
            };
            let mut msg = vec![ICMP6_DST_UNREACH, code, 0, 0, 0, 0, 0, 0];
            msg.extend_from_slice(&l3[..n]);
            compose::icmp6_csum(s, d, &mut msg);
            compose::ipv6(eth_src, eth_dst, s, d, IPPROTO_ICMPV6, 255, &msg)
        }
        _ => {
            return p.bad(format!(
                "ICMP action on non-IP packet (eth_type 0x{:x})",
                p.h.dl_type
            ));
        }
    };
    if let Some(tci) = p.h.vlan_tci {
        compose::push_vlan(&mut pkt, tci);
    }
    p.packet_out(pkt)
}

fn addrs_ip(
    p: &Pin<'_>,
    loopback: bool,
    proto: u8,
    ttl: u8,
    mut l4: Vec<u8>,
    csum_at: Option<usize>,
) -> Option<Vec<u8>> {
    let (eth_src, eth_dst) = if loopback {
        (p.h.dl_dst, p.h.dl_src)
    } else {
        (p.h.dl_src, p.h.dl_dst)
    };
    Some(match p.h.l3 {
        L3::Ipv4 { src, dst, .. } => {
            let (s, d) = if loopback { (dst, src) } else { (src, dst) };
            if let Some(at) = csum_at {
                let ps = pseudo4(s, d, proto, l4.len());
                compose::set_l4_csum(&mut l4, at, ps);
            }
            compose::ipv4(eth_src, eth_dst, s, d, proto, ttl, &l4)
        }
        L3::Ipv6 { src, dst, .. } => {
            let (s, d) = if loopback { (dst, src) } else { (src, dst) };
            if let Some(at) = csum_at {
                let ps = pseudo6(s, d, proto, l4.len());
                compose::set_l4_csum(&mut l4, at, ps);
            }
            compose::ipv6(eth_src, eth_dst, s, d, proto, ttl, &l4)
        }
        _ => return None,
    })
}

/// `tcp_reset { }`: RST+ACK acknowledging the segment's sequence number + 1.
pub(crate) fn tcp_reset(p: &Pin<'_>, loopback: bool) -> PinctrlOutput {
    let (Some(IPPROTO_TCP), Some(l4)) = (p.h.nw_proto(), p.h.l4_ofs) else {
        return p.bad("TCP_RESET action on non-TCP packet");
    };
    let seq = p
        .packet
        .get(l4 + 4..l4 + 8)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let mut th = vec![0u8; 20];
    th[0..2].copy_from_slice(&p.h.tp_dst.to_be_bytes());
    th[2..4].copy_from_slice(&p.h.tp_src.to_be_bytes());
    th[8..12].copy_from_slice(&seq.wrapping_add(1).to_be_bytes());
    th[12] = 5 << 4;
    th[13] = TCP_RST | TCP_ACK;
    match addrs_ip(p, loopback, IPPROTO_TCP, 63, th, Some(16)) {
        Some(pkt) => p.packet_out(pkt),
        None => p.bad("TCP_RESET action on non-IP packet"),
    }
}

/// CRC-32C (Castagnoli, reflected), the SCTP checksum.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `sctp_abort { }`: an ABORT chunk, with the verification tag reflected (RFC 4960 §8.4).
pub(crate) fn sctp_abort(p: &Pin<'_>, loopback: bool) -> PinctrlOutput {
    let (Some(IPPROTO_SCTP), Some(l4)) = (p.h.nw_proto(), p.h.l4_ofs) else {
        return p.bad("SCTP_ABORT action on non-SCTP packet");
    };
    let Some(chunk_type) = p.packet.get(l4 + 12).copied() else {
        return p.bad("SCTP_ABORT action on SCTP packet with no chunks");
    };
    if chunk_type == SCTP_CHUNK_TYPE_ABORT {
        return p.bad("sctp_abort action on incoming SCTP ABORT.");
    }
    let vtag_in = p.packet.get(l4 + 4..l4 + 8).unwrap_or(&[0; 4]).to_vec();
    let init_tag = if chunk_type == SCTP_CHUNK_TYPE_INIT {
        match p.packet.get(l4 + 16..l4 + 20) {
            Some(t) => Some(t.to_vec()),
            None => return p.bad("Incomplete SCTP INIT chunk. Ignoring packet."),
        }
    } else {
        None
    };
    let mut sh = vec![0u8; 16];
    sh[0..2].copy_from_slice(&p.h.tp_dst.to_be_bytes());
    sh[2..4].copy_from_slice(&p.h.tp_src.to_be_bytes());
    let reflected = match (&init_tag, vtag_in == [0; 4]) {
        (Some(t), true) => {
            sh[4..8].copy_from_slice(t);
            false
        }
        _ => {
            sh[4..8].copy_from_slice(&vtag_in);
            true
        }
    };
    sh[12] = SCTP_CHUNK_TYPE_ABORT;
    sh[13] = if reflected {
        SCTP_ABORT_CHUNK_FLAG_T
    } else {
        0
    };
    sh[14..16].copy_from_slice(&4u16.to_be_bytes());
    // OVS stores the CRC as a host-order value in the big-endian field (crc32c returns the
    // little-endian wire order), so the wire bytes are the CRC's little-endian bytes.
    let c = crc32c(&sh);
    sh[8..12].copy_from_slice(&c.to_le_bytes());
    match addrs_ip(p, loopback, IPPROTO_SCTP, 63, sh, None) {
        Some(pkt) => p.packet_out(pkt),
        None => p.bad("SCTP_ABORT action on non-IP packet"),
    }
}

/// `reject { }`: TCP RST, SCTP ABORT or ICMP unreachable back to the sender, except for
/// packets that are themselves resets or unreachables.
pub(crate) fn reject(p: &Pin<'_>) -> Vec<PinctrlOutput> {
    let l4 = p.h.l4_ofs.and_then(|o| p.packet.get(o..));
    let ignore = match p.h.nw_proto() {
        Some(IPPROTO_TCP) => l4.and_then(|t| t.get(13)).is_none_or(|f| f & TCP_RST != 0),
        _ if matches!(
            p.h.l3,
            L3::Ipv4 {
                proto: IPPROTO_ICMP,
                ..
            }
        ) =>
        {
            l4.is_none() || p.h.tp_src == u16::from(ICMP4_DST_UNREACH)
        }
        _ if matches!(
            p.h.l3,
            L3::Ipv6 {
                next: IPPROTO_ICMPV6,
                ..
            }
        ) =>
        {
            l4.is_none() || p.h.tp_src == u16::from(ICMP6_DST_UNREACH)
        }
        _ => false,
    };
    if ignore {
        return Vec::new();
    }
    vec![match p.h.nw_proto() {
        Some(IPPROTO_TCP) => tcp_reset(p, true),
        Some(IPPROTO_SCTP) => sctp_abort(p, true),
        _ => icmp(p, true, true),
    }]
}

/// RFC 1624 incremental checksum update of one 16-bit word (`recalc_csum16`).
fn recalc_csum16(old_csum: u16, old: u16, new: u16) -> u16 {
    let mut s = u32::from(!old_csum) + u32::from(!old) + u32::from(new);
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// `icmp4.frag_mtu = N` / `icmp6.frag_mtu = N` inside an ICMP error: writes the MTU into
/// the ICMP header (next-hop MTU / packet-too-big MTU) and resumes.
pub(crate) fn put_frag_mtu(p: &Pin<'_>) -> Vec<PinctrlOutput> {
    let mut out = Vec::new();
    let mut pkt = p.packet.to_vec();
    let l4 = p.h.l4_ofs.unwrap_or(0);
    let done = if p.h.is_icmpv4() {
        match (p.payload.get(..2), pkt.get(l4..l4 + 8)) {
            (Some(m), Some(ih)) => {
                let new = u16::from_be_bytes([m[0], m[1]]);
                let old = u16::from_be_bytes([ih[6], ih[7]]);
                let c = u16::from_be_bytes([ih[2], ih[3]]);
                let nc = recalc_csum16(c, old, new);
                pkt[l4 + 6..l4 + 8].copy_from_slice(&new.to_be_bytes());
                pkt[l4 + 2..l4 + 4].copy_from_slice(&nc.to_be_bytes());
                let l3 = p.h.l3_ofs;
                if let Some(ip) = pkt.get_mut(l3..l4) {
                    ip[10] = 0;
                    ip[11] = 0;
                    let ic = csum(ip);
                    ip[10..12].copy_from_slice(&ic.to_be_bytes());
                }
                true
            }
            _ => false,
        }
    } else if p.h.is_icmpv6() {
        match (p.payload.get(..4), p.h.l3, pkt.len() >= l4 + 8) {
            (Some(m), L3::Ipv6 { src, dst, .. }, true) => {
                pkt[l4 + 4..l4 + 8].copy_from_slice(m);
                compose::icmp6_csum(src, dst, &mut pkt[l4..]);
                true
            }
            _ => false,
        }
    } else {
        out.push(p.bad("put_icmp(4/6)_frag_mtu action on non-ICMPv4/v6 packet"));
        false
    };
    out.push(p.resume(done.then_some(pkt), &p.md));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn incremental_checksum_matches_full() {
        let mut msg = vec![3u8, 4, 0, 0, 0, 0, 0x05, 0xdc, 1, 2, 3, 4];
        let c = csum(&msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        let nc = recalc_csum16(c, 0x05dc, 0x05a2);
        msg[6..8].copy_from_slice(&0x05a2u16.to_be_bytes());
        msg[2..4].copy_from_slice(&nc.to_be_bytes());
        assert_eq!(csum(&msg), 0);
    }
}
