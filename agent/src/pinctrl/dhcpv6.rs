//! `R = put_dhcpv6_opts(…)`: the stateful/stateless DHCPv6 server reply (upstream
//! `pinctrl_handle_put_dhcpv6_opts` and `compose_out_dhcpv6_opts`): SOLICIT → ADVERTISE,
//! REQUEST/CONFIRM/DECLINE/INFORMATION-REQUEST → REPLY, with the client id echoed, a DUID-LL
//! server id and the address wrapped in an IA_NA carrying the client's IAID.

use super::checksum::pseudo6;
use super::handler::{Pin, PinctrlOutput};
use super::packet::{IPPROTO_UDP, L3};
use super::userdata::pull_result;

const MSG_SOLICIT: u8 = 1;
const MSG_ADVT: u8 = 2;
const MSG_REQUEST: u8 = 3;
const MSG_CONFIRM: u8 = 4;
const MSG_REPLY: u8 = 7;
const MSG_DECLINE: u8 = 9;
const MSG_INFO_REQ: u8 = 11;

const OPT_CLIENT_ID: u16 = 1;
const OPT_SERVER_ID: u16 = 2;
const OPT_IA_NA: u16 = 3;
const OPT_IA_ADDR: u16 = 5;
const OPT_DNS_SERVER: u16 = 23;
const OPT_DOMAIN_SEARCH: u16 = 24;
const DUID_LL: u16 = 3;
const HW_TYPE_ETH: u16 = 1;

fn put_opt_header(out: &mut Vec<u8>, code: u16, len: usize) {
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
}

/// The reply options from the userdata's option TLVs; `None` for malformed userdata.
fn compose_opts(mut ud: &[u8], iaid: Option<[u8; 4]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while !ud.is_empty() {
        let h = ud.get(..4)?;
        let code = u16::from_be_bytes([h[0], h[1]]);
        let size = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let data = ud.get(4..4 + size)?;
        ud = &ud[4 + size..];
        match code {
            OPT_SERVER_ID => {
                // DUID based on the link-layer address (RFC 3315 §9.4).
                put_opt_header(&mut out, OPT_SERVER_ID, size + 4);
                out.extend_from_slice(&DUID_LL.to_be_bytes());
                out.extend_from_slice(&HW_TYPE_ETH.to_be_bytes());
                let mut mac = [0u8; 6];
                let n = data.len().min(6);
                mac[..n].copy_from_slice(&data[..n]);
                out.extend_from_slice(&mac);
            }
            OPT_IA_ADDR => {
                if size != 16 {
                    return None;
                }
                // Information requests get no address.
                let Some(iaid) = iaid else { continue };
                put_opt_header(&mut out, OPT_IA_NA, 12 + 28);
                out.extend_from_slice(&iaid);
                out.extend_from_slice(&[0xff; 8]); // T1, T2: infinite
                put_opt_header(&mut out, OPT_IA_ADDR, size + 8);
                out.extend_from_slice(data);
                out.extend_from_slice(&[0xff; 8]); // preferred and valid lifetimes
            }
            OPT_DNS_SERVER => {
                put_opt_header(&mut out, OPT_DNS_SERVER, size);
                out.extend_from_slice(data);
            }
            OPT_DOMAIN_SEARCH => {
                put_opt_header(&mut out, OPT_DOMAIN_SEARCH, size + 2);
                out.push(size as u8);
                out.extend_from_slice(data);
                out.push(0);
            }
            _ => return None,
        }
    }
    Some(out)
}

pub(crate) fn put_dhcpv6_opts(p: &Pin<'_>) -> Vec<PinctrlOutput> {
    let mut out = Vec::new();
    let (dst, opts) = match pull_result("PUT_DHCPV6_OPTS", p.payload) {
        Ok(x) => x,
        Err(e) => {
            out.push(PinctrlOutput::Warn(e));
            out.push(p.resume_result(None, false, None));
            return out;
        }
    };
    match reply(p, opts) {
        Ok(Some(pkt)) => out.push(p.resume_result(Some(dst), true, Some(pkt))),
        Ok(None) => out.push(p.resume_result(Some(dst), false, None)),
        Err(what) => {
            out.push(p.bad(what));
            out.push(p.resume_result(Some(dst), false, None));
        }
    }
    out
}

fn reply(p: &Pin<'_>, opts: &[u8]) -> Result<Option<Vec<u8>>, String> {
    if opts.is_empty() {
        return Err("DHCPv6 options not present in the userdata".into());
    }
    let (
        L3::Ipv6 {
            src,
            dst,
            next: IPPROTO_UDP,
            ..
        },
        Some(l4),
    ) = (p.h.l3, p.h.l4_ofs)
    else {
        return Err("truncated dhcpv6 packet".into());
    };
    let seg = p.packet.get(l4..).unwrap_or_default();
    let udp_len = seg
        .get(4..6)
        .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
    let end = udp_len.min(seg.len());
    let Some(&in_type) = seg.get(8) else {
        return Err("truncated dhcpv6 packet".into());
    };
    if end < 12 {
        return Err("truncated dhcpv6 packet".into());
    }
    let out_type = match in_type {
        MSG_SOLICIT => MSG_ADVT,
        MSG_REQUEST | MSG_CONFIRM | MSG_DECLINE | MSG_INFO_REQ => MSG_REPLY,
        _ => return Ok(None),
    };
    let mut iaid = None;
    let mut client_id: Option<&[u8]> = None;
    let mut b = &seg[12..end];
    while let Some(h) = b.get(..4) {
        let code = u16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let Some(whole) = b.get(..4 + len) else { break };
        match code {
            OPT_IA_NA => {
                if let Some(id) = whole.get(4..8) {
                    iaid = Some([id[0], id[1], id[2], id[3]]);
                }
            }
            OPT_CLIENT_ID => client_id = Some(whole),
            _ => {}
        }
        b = &b[4 + len..];
    }
    let Some(client_id) = client_id else {
        return Err("DHCPv6 option - Client id not present in the DHCPv6 packet".into());
    };
    // An all-zero IAID counts as absent, as upstream.
    let iaid = iaid.filter(|i| *i != [0; 4]);
    if iaid.is_none() && in_type != MSG_INFO_REQ {
        return Err("DHCPv6 option - IA NA not present in the DHCPv6 packet".into());
    }
    let body = compose_opts(opts, iaid).ok_or("Invalid userdata")?;
    let new_l4 = 8 + 4 + client_id.len() + body.len();
    let new_l4_u16 = u16::try_from(new_l4).map_err(|_| "DHCPv6 reply too long".to_string())?;
    let mut pkt = Vec::with_capacity(l4 + new_l4);
    pkt.extend_from_slice(p.packet.get(..l4).unwrap_or_default());
    pkt.extend_from_slice(&seg[..8]);
    pkt.push(out_type);
    pkt.extend_from_slice(&seg[9..12]);
    pkt.extend_from_slice(client_id);
    pkt.extend_from_slice(&body);
    pkt[l4 + 4..l4 + 6].copy_from_slice(&new_l4_u16.to_be_bytes());
    pkt[l4 + 6..l4 + 8].copy_from_slice(&[0, 0]);
    let l3 = p.h.l3_ofs;
    pkt[l3 + 4..l3 + 6].copy_from_slice(&new_l4_u16.to_be_bytes());
    let mut c = pseudo6(src, dst, IPPROTO_UDP, new_l4)
        .add(&pkt[l4..])
        .finish();
    if c == 0 {
        c = 0xffff;
    }
    pkt[l4 + 6..l4 + 8].copy_from_slice(&c.to_be_bytes());
    Ok(Some(pkt))
}
