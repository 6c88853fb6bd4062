//! `R = dns_lookup();`: answers A, AAAA, ANY and PTR queries from the Southbound DNS records
//! of the packet's datapath (upstream `pinctrl_handle_dns_lookup`). The answer replaces the
//! query in the paused pipeline; the result bit says whether there is one.

use std::net::IpAddr;

use super::checksum::{csum, pseudo6};
use super::handler::{Pin, PinctrlOutput};
use super::packet::{IPPROTO_UDP, L3};
use super::state::PinctrlState;
use super::userdata::pull_result;

const DNS_HEADER_LEN: usize = 12;
const DNS_QUERY_TYPE_A: u16 = 1;
const DNS_QUERY_TYPE_PTR: u16 = 12;
const DNS_QUERY_TYPE_AAAA: u16 = 28;
const DNS_QUERY_TYPE_ANY: u16 = 255;
const DNS_CLASS_IN: u16 = 1;
const DNS_DEFAULT_RR_TTL: u32 = 3600;

pub(crate) fn dns_lookup(p: &Pin<'_>, state: &PinctrlState) -> Vec<PinctrlOutput> {
    let mut out = Vec::new();
    let (dst, _) = match pull_result("DNS_LOOKUP", p.payload) {
        Ok(x) => x,
        Err(e) => {
            out.push(PinctrlOutput::Warn(e));
            out.push(p.resume_result(None, false, None));
            return out;
        }
    };
    match answer(p, state) {
        Ok(Some(pkt)) => out.push(p.resume_result(Some(dst), true, Some(pkt))),
        Ok(None) => out.push(p.resume_result(Some(dst), false, None)),
        Err(what) => {
            out.push(p.bad(what));
            out.push(p.resume_result(Some(dst), false, None));
        }
    }
    out
}

/// A resource record's common part: the query name (copied as received), type, class, TTL.
fn base_answer(out: &mut Vec<u8>, qname: &[u8], ty: u16) {
    out.extend_from_slice(qname);
    out.extend_from_slice(&ty.to_be_bytes());
    out.extend_from_slice(&DNS_CLASS_IN.to_be_bytes());
    out.extend_from_slice(&DNS_DEFAULT_RR_TTL.to_be_bytes());
}

/// `name` in DNS label form (`vm1.ovn.org` → 3 vm1 3 ovn 3 org 0), as upstream encodes PTR
/// answers (length = name + 2).
fn encode_name(name: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(name.len() + 2);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        v.push(label.len().min(63) as u8);
        v.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    v.push(0);
    v
}

fn answer(p: &Pin<'_>, state: &PinctrlState) -> Result<Option<Vec<u8>>, String> {
    let Some(l4) = p.h.l4_ofs else {
        return Err("truncated dns packet".into());
    };
    if p.h.nw_proto() != Some(IPPROTO_UDP) {
        return Err("dns_lookup on non-UDP packet".into());
    }
    let seg = p.packet.get(l4..).unwrap_or_default();
    if seg.len() < 8 + DNS_HEADER_LEN {
        return Err("truncated dns packet".into());
    }
    let udp_len = usize::from(u16::from_be_bytes([seg[4], seg[5]]));
    let end = udp_len.min(seg.len());
    if end < 8 + DNS_HEADER_LEN {
        return Err("truncated dns packet".into());
    }
    let hdr = &seg[8..8 + DNS_HEADER_LEN];
    if hdr[2] & 0x80 != 0 {
        // A response: not ours to answer.
        return Ok(None);
    }
    if hdr[4..6] == [0, 0] {
        return Ok(None);
    }
    if hdr[10..12] != [0, 0] {
        tracing::debug!("Received DNS query with additional records, which is unsupported");
        return Ok(None);
    }
    let body = &seg[8 + DNS_HEADER_LEN..end];
    let mut idx = 0usize;
    let mut name = String::new();
    while let Some(&len) = body.get(idx) {
        if len == 0 {
            break;
        }
        idx += 1;
        let Some(label) = body.get(idx..idx + usize::from(len)) else {
            return Ok(None);
        };
        name.push_str(&String::from_utf8_lossy(label));
        name.push('.');
        idx += usize::from(len);
    }
    idx += 1;
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let Some(tc) = body.get(idx..idx + 4) else {
        return Ok(None);
    };
    let qtype = u16::from_be_bytes([tc[0], tc[1]]);
    if !matches!(
        qtype,
        DNS_QUERY_TYPE_A | DNS_QUERY_TYPE_AAAA | DNS_QUERY_TYPE_ANY | DNS_QUERY_TYPE_PTR
    ) {
        return Ok(None);
    }
    let qname = body.get(..idx).unwrap_or_default();
    let dp_key = p.md.metadata() as u32;
    let Some(data) = state.dns_lookup(dp_key, &name) else {
        return Ok(None);
    };

    let mut answers = Vec::new();
    let mut ancount: u16 = 0;
    if qtype == DNS_QUERY_TYPE_PTR {
        base_answer(&mut answers, qname, DNS_QUERY_TYPE_PTR);
        let enc = encode_name(data);
        answers.extend_from_slice(&(enc.len() as u16).to_be_bytes());
        answers.extend_from_slice(&enc);
        ancount = 1;
    } else {
        let mut addrs = Vec::new();
        for tok in data.split_whitespace() {
            // Addresses may carry a prefix length ("10.0.0.5/24"), as lport addresses do.
            let a = tok.split('/').next().unwrap_or(tok);
            match a.parse::<IpAddr>() {
                Ok(ip) => addrs.push(ip),
                Err(_) => return Err(format!("bad DNS record address {tok:?}")),
            }
        }
        for ip in &addrs {
            match ip {
                IpAddr::V4(a) if matches!(qtype, DNS_QUERY_TYPE_A | DNS_QUERY_TYPE_ANY) => {
                    base_answer(&mut answers, qname, DNS_QUERY_TYPE_A);
                    answers.extend_from_slice(&4u16.to_be_bytes());
                    answers.extend_from_slice(&a.octets());
                    ancount += 1;
                }
                _ => {}
            }
        }
        for ip in &addrs {
            match ip {
                IpAddr::V6(a) if matches!(qtype, DNS_QUERY_TYPE_AAAA | DNS_QUERY_TYPE_ANY) => {
                    base_answer(&mut answers, qname, DNS_QUERY_TYPE_AAAA);
                    answers.extend_from_slice(&16u16.to_be_bytes());
                    answers.extend_from_slice(&a.octets());
                    ancount += 1;
                }
                _ => {}
            }
        }
    }
    if ancount == 0 {
        return Ok(None);
    }

    let new_l4 = end + answers.len();
    let new_l4_u16 = u16::try_from(new_l4).map_err(|_| "DNS answer too long".to_string())?;
    let mut pkt = Vec::with_capacity(l4 + new_l4);
    pkt.extend_from_slice(p.packet.get(..l4).unwrap_or_default());
    pkt.extend_from_slice(&seg[..end]);
    pkt.extend_from_slice(&answers);
    let d = l4 + 8;
    pkt[d + 2] |= 0x80;
    pkt[d + 6..d + 8].copy_from_slice(&ancount.to_be_bytes());
    pkt[d + 10..d + 12].copy_from_slice(&[0, 0]);
    pkt[l4 + 4..l4 + 6].copy_from_slice(&new_l4_u16.to_be_bytes());
    pkt[l4 + 6..l4 + 8].copy_from_slice(&[0, 0]);
    let l3 = p.h.l3_ofs;
    match p.h.l3 {
        L3::Ipv4 { .. } => {
            let tot =
                u16::try_from(l4 - l3 + new_l4).map_err(|_| "DNS answer too long".to_string())?;
            pkt[l3 + 2..l3 + 4].copy_from_slice(&tot.to_be_bytes());
            pkt[l3 + 10..l3 + 12].copy_from_slice(&[0, 0]);
            let c = csum(&pkt[l3..l4]);
            pkt[l3 + 10..l3 + 12].copy_from_slice(&c.to_be_bytes());
        }
        L3::Ipv6 { src, dst, .. } => {
            pkt[l3 + 4..l3 + 6].copy_from_slice(&new_l4_u16.to_be_bytes());
            let mut c = pseudo6(src, dst, IPPROTO_UDP, new_l4)
                .add(&pkt[l4..])
                .finish();
            if c == 0 {
                c = 0xffff;
            }
            pkt[l4 + 6..l4 + 8].copy_from_slice(&c.to_be_bytes());
        }
        _ => return Err("dns_lookup on non-IP packet".into()),
    }
    Ok(Some(pkt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptr_name_encoding() {
        assert_eq!(
            encode_name("vm1tst.ovn.org"),
            b"\x06vm1tst\x03ovn\x03org\x00".to_vec()
        );
        assert_eq!(
            encode_name("vm1tst.ovn.org").len(),
            "vm1tst.ovn.org".len() + 2
        );
    }
}
