//! `R = put_dhcp_opts(…)`: the DHCPv4 server reply (upstream `pinctrl_handle_put_dhcp_opts`).
//! DISCOVER → OFFER, REQUEST → ACK (NAK if the requested address is not the offer),
//! INFORM → ACK without address/lease options; RELEASE and DECLINE are only logged. The
//! reply replaces the request in the paused pipeline, whose next actions swap the addresses
//! and output it; the result bit says whether there is a reply.

use std::net::Ipv4Addr;

use super::checksum::csum;
use super::handler::{Pin, PinctrlOutput};
use super::packet::{IPPROTO_UDP, L3, fmt_mac};
use super::userdata::pull_result;

/// BOOTP header length (op … file), without the magic cookie.
pub const DHCP_HEADER_LEN: usize = 236;
pub const DHCP_MAGIC_COOKIE: u32 = 0x6382_5363;
const DHCP_OP_REQUEST: u8 = 1;
const DHCP_OP_REPLY: u8 = 2;
const DHCP_BROADCAST_FLAG: u16 = 0x8000;

pub const DHCP_MSG_DISCOVER: u8 = 1;
pub const DHCP_MSG_OFFER: u8 = 2;
pub const DHCP_MSG_REQUEST: u8 = 3;
pub const DHCP_MSG_DECLINE: u8 = 4;
pub const DHCP_MSG_ACK: u8 = 5;
pub const DHCP_MSG_NAK: u8 = 6;
pub const DHCP_MSG_RELEASE: u8 = 7;
pub const DHCP_MSG_INFORM: u8 = 8;

const OPT_PAD: u8 = 0;
const OPT_END: u8 = 255;
const OPT_NETMASK: u8 = 1;
const OPT_REQ_IP: u8 = 50;
const OPT_LEASE_TIME: u8 = 51;
const OPT_MSG_TYPE: u8 = 53;
const OPT_T1: u8 = 58;
const OPT_T2: u8 = 59;
const OPT_ETHERBOOT: u8 = 175;
const OPT_BOOTFILE: u8 = 67;
const OPT_BOOTFILE_ALT: u8 = 254;
const OPT_NEXT_SERVER: u8 = 253;

/// Splits a code/len/value option list; a truncated last option ends the list.
fn split_opts(mut b: &[u8]) -> Vec<(u8, &[u8])> {
    let mut v = Vec::new();
    while let [code, len, rest @ ..] = b {
        let n = usize::from(*len);
        let Some(val) = rest.get(..n) else { break };
        v.push((*code, val));
        b = &rest[n..];
    }
    v
}

pub(crate) fn put_dhcp_opts(p: &Pin<'_>) -> Vec<PinctrlOutput> {
    let mut out = Vec::new();
    let (dst, rest) = match pull_result("PUT_DHCP_OPTS", p.payload) {
        Ok(x) => x,
        Err(e) => {
            out.push(PinctrlOutput::Warn(e));
            out.push(p.resume_result(None, false, None));
            return out;
        }
    };
    match reply(p, rest) {
        Ok(Some(pkt)) => out.push(p.resume_result(Some(dst), true, Some(pkt))),
        Ok(None) => out.push(p.resume_result(Some(dst), false, None)),
        Err(what) => {
            out.push(p.bad(what));
            out.push(p.resume_result(Some(dst), false, None));
        }
    }
    out
}

/// The reply packet, `None` for requests that get none.
fn reply(p: &Pin<'_>, rest: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let (Some(o), Some(opts)) = (rest.get(..4), rest.get(4..)) else {
        return Err("offset or offer_ip not present in the userdata".into());
    };
    let offer_ip = Ipv4Addr::new(o[0], o[1], o[2], o[3]);
    if opts.is_empty() {
        return Err("DHCP options not present in the userdata".into());
    }
    let (
        L3::Ipv4 {
            proto: IPPROTO_UDP, ..
        },
        Some(l4),
    ) = (p.h.l3, p.h.l4_ofs)
    else {
        return Err("Invalid or incomplete DHCP packet received".into());
    };
    let udp = p.packet.get(l4..).unwrap_or_default();
    let dhcp_in = udp
        .get(8..8 + DHCP_HEADER_LEN)
        .ok_or("Invalid or incomplete DHCP packet received, bad data length")?;
    if dhcp_in[0] != DHCP_OP_REQUEST {
        return Err(format!("Invalid opcode in the DHCP packet: {}", dhcp_in[0]));
    }
    let after = udp.get(8 + DHCP_HEADER_LEN..).unwrap_or_default();
    if after.get(..4) != Some(&DHCP_MAGIC_COOKIE.to_be_bytes()[..]) {
        return Err("DHCP magic cookie not present in the DHCP packet".into());
    }
    let ciaddr = Ipv4Addr::new(dhcp_in[12], dhcp_in[13], dhcp_in[14], dhcp_in[15]);
    let mut request_ip = ciaddr;
    let mut msg_type_in = None;
    let mut ipxe = false;
    let mut b = after.get(4..).unwrap_or_default();
    while let [code, tail @ ..] = b {
        match *code {
            OPT_END => break,
            OPT_PAD => {
                b = tail;
                continue;
            }
            _ => {}
        }
        let [len, val_tail @ ..] = tail else { break };
        let Some(val) = val_tail.get(..usize::from(*len)) else {
            break;
        };
        match (*code, val) {
            (OPT_MSG_TYPE, [t]) => msg_type_in = Some(*t),
            (OPT_REQ_IP, [a, b2, c, d]) => request_ip = Ipv4Addr::new(*a, *b2, *c, *d),
            (OPT_ETHERBOOT, _) => ipxe = true,
            _ => {}
        }
        b = &val_tail[usize::from(*len)..];
    }
    let Some(in_type) = msg_type_in else {
        return Err("Missing DHCP message type".into());
    };
    let mut reply_opts: Vec<(u8, &[u8])> = split_opts(opts);
    let msg_type = match in_type {
        DHCP_MSG_DISCOVER => DHCP_MSG_OFFER,
        DHCP_MSG_REQUEST => {
            if request_ip != offer_ip {
                tracing::warn!(%request_ip, %offer_ip, "DHCPREQUEST requested IP does not match offer");
                DHCP_MSG_NAK
            } else {
                DHCP_MSG_ACK
            }
        }
        DHCP_MSG_RELEASE => {
            tracing::info!("DHCPRELEASE {} {}", fmt_mac(&p.h.dl_src), ciaddr);
            return Ok(None);
        }
        DHCP_MSG_INFORM => {
            // RFC 2131 §3.4: no address, lease or renewal options.
            reply_opts
                .retain(|(c, _)| !matches!(*c, OPT_NETMASK | OPT_LEASE_TIME | OPT_T1 | OPT_T2));
            tracing::info!("DHCPINFORM from {}", fmt_mac(&p.h.dl_src));
            DHCP_MSG_ACK
        }
        DHCP_MSG_DECLINE => {
            if request_ip == offer_ip {
                tracing::info!(
                    "DHCPDECLINE from {}, {} duplicated",
                    fmt_mac(&p.h.dl_src),
                    offer_ip
                );
            }
            return Ok(None);
        }
        t => return Err(format!("Invalid DHCP message type: {t}")),
    };

    // next-server and the iPXE bootfile choice (bootfile_name is for iPXE clients,
    // bootfile_name_alt for the others; the encoder puts them first, in that order).
    let mut next_server = Ipv4Addr::new(dhcp_in[20], dhcp_in[21], dhcp_in[22], dhcp_in[23]);
    if let Some((_, [a, b2, c, d])) = reply_opts.iter().find(|(c, _)| *c == OPT_NEXT_SERVER) {
        next_server = Ipv4Addr::new(*a, *b2, *c, *d);
    }
    let boot = reply_opts.iter().position(|(c, _)| *c == OPT_BOOTFILE);
    let alt = reply_opts.iter().position(|(c, _)| *c == OPT_BOOTFILE_ALT);
    match (boot, alt) {
        (Some(b), Some(a)) if a == b + 1 => {
            if ipxe {
                reply_opts.remove(a);
            } else {
                reply_opts.remove(b);
                reply_opts[b].0 = OPT_BOOTFILE;
            }
        }
        (None, Some(a)) => reply_opts[a].0 = OPT_BOOTFILE,
        _ => {}
    }

    let nak = msg_type == DHCP_MSG_NAK;
    let mut opt_bytes = vec![OPT_MSG_TYPE, 1, msg_type];
    if !nak {
        for (c, v) in &reply_opts {
            opt_bytes.push(*c);
            opt_bytes.push(v.len() as u8);
            opt_bytes.extend_from_slice(v);
        }
    }
    opt_bytes.extend_from_slice(&[0, 0, 0, 0, OPT_END, 0, 0, 0, 0]);

    let new_l4 = 8 + DHCP_HEADER_LEN + 4 + opt_bytes.len();
    let new_l4_u16 = u16::try_from(new_l4).map_err(|_| "DHCP reply too long".to_string())?;
    let mut pkt = Vec::with_capacity(l4 + new_l4);
    pkt.extend_from_slice(p.packet.get(..l4).unwrap_or_default());
    pkt.extend_from_slice(udp.get(..8).unwrap_or_default());
    let mut dh = dhcp_in.to_vec();
    dh[0] = DHCP_OP_REPLY;
    let zero = Ipv4Addr::UNSPECIFIED;
    if in_type != DHCP_MSG_INFORM {
        dh[16..20].copy_from_slice(&if nak { zero } else { offer_ip }.octets());
        dh[20..24].copy_from_slice(&if nak { zero } else { next_server }.octets());
    } else {
        dh[16..20].copy_from_slice(&zero.octets());
    }
    let broadcast = u16::from_be_bytes([dh[10], dh[11]]) & DHCP_BROADCAST_FLAG != 0;
    pkt.extend_from_slice(&dh);
    pkt.extend_from_slice(&DHCP_MAGIC_COOKIE.to_be_bytes());
    pkt.extend_from_slice(&opt_bytes);

    // UDP length and a zero (absent) UDP checksum; IPv4 destination, length and checksum.
    pkt[l4 + 4..l4 + 6].copy_from_slice(&new_l4_u16.to_be_bytes());
    pkt[l4 + 6..l4 + 8].copy_from_slice(&[0, 0]);
    let l3 = p.h.l3_ofs;
    let ip_dst = if broadcast {
        Ipv4Addr::BROADCAST
    } else {
        offer_ip
    };
    let tot = u16::try_from(l4 - l3 + new_l4).map_err(|_| "DHCP reply too long".to_string())?;
    pkt[l3 + 16..l3 + 20].copy_from_slice(&ip_dst.octets());
    pkt[l3 + 2..l3 + 4].copy_from_slice(&tot.to_be_bytes());
    pkt[l3 + 10..l3 + 12].copy_from_slice(&[0, 0]);
    let c = csum(&pkt[l3..l4]);
    pkt[l3 + 10..l3 + 12].copy_from_slice(&c.to_be_bytes());
    tracing::info!(
        "DHCP{} {} {}",
        match msg_type {
            DHCP_MSG_OFFER => "OFFER",
            DHCP_MSG_ACK => "ACK",
            _ => "NAK",
        },
        fmt_mac(&p.h.dl_src),
        offer_ip
    );
    Ok(Some(pkt))
}
