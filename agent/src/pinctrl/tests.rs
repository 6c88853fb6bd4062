//! Golden tests of the handlers: real packet bytes in, the userdata exactly as the `lflow`
//! encoder produces it for the logical action, outputs checked field by field.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use lflow::actions::{
    ActionsContext, EncodeTables, ExtendTable, OfAction, encode_actions, parse_actions_str,
};
use lflow::symtab::Symtab;
use openflow::msg::PacketIn2;
use proptest::prelude::*;

use super::checksum::{csum, pseudo4, pseudo6};
use super::compose;
use super::learn::SbWrite;
use super::packet::{Headers, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, L3, Mac};
use super::state::PinctrlState;
use super::{PinMetadata, PinctrlOutput, handle_packet_in};

const VM_MAC: Mac = [0x50, 0x54, 0x00, 0x00, 0x00, 0x01];
const RTR_MAC: Mac = [0x00, 0x00, 0x00, 0x00, 0xff, 0x01];

/// The controller actions (userdata, pause) the encoder emits for `actions`.
pub(crate) fn controller_userdata(actions: &str) -> (Vec<u8>, bool) {
    let symtab = Symtab::ovn();
    let ctx = ActionsContext::default();
    let parsed = parse_actions_str(actions, &ctx.parse_params(&symtab))
        .unwrap_or_else(|e| panic!("{actions}: {e}"));
    let mut groups = ExtendTable::new();
    let mut meters = ExtendTable::new();
    let mut out = Vec::new();
    encode_actions(
        &parsed.actions,
        &ctx.encode_params(),
        &mut EncodeTables {
            groups: &mut groups,
            meters: &mut meters,
        },
        &mut out,
    );
    out.iter()
        .find_map(|a| match a {
            OfAction::Controller {
                userdata, pause, ..
            } => Some((userdata.clone(), *pause)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{actions}: no controller action in {out:?}"))
}

/// Packet-in metadata as OVS 3.1 encodes it for OpenFlow 1.5: in_port, metadata, then the
/// non-zero registers as (possibly half-masked) xregs.
pub(crate) fn metadata(dp: u64, regs: &[(u8, u32)]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x8000_0004u32.to_be_bytes());
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&0x8000_0408u32.to_be_bytes());
    b.extend_from_slice(&dp.to_be_bytes());
    for x in 0..8u8 {
        let hi = regs.iter().find(|(r, _)| *r == 2 * x).map(|(_, v)| *v);
        let lo = regs.iter().find(|(r, _)| *r == 2 * x + 1).map(|(_, v)| *v);
        if hi.is_none() && lo.is_none() {
            continue;
        }
        let v = (u64::from(hi.unwrap_or(0)) << 32) | u64::from(lo.unwrap_or(0));
        let m = (if hi.is_some() {
            0xffff_ffffu64 << 32
        } else {
            0
        }) | if lo.is_some() { 0xffff_ffff } else { 0 };
        let field = u32::from(x) << 9;
        if m == u64::MAX {
            b.extend_from_slice(&(0x8001_0008 | field).to_be_bytes());
            b.extend_from_slice(&v.to_be_bytes());
        } else {
            b.extend_from_slice(&(0x8001_0110 | field).to_be_bytes());
            b.extend_from_slice(&v.to_be_bytes());
            b.extend_from_slice(&m.to_be_bytes());
        }
    }
    b
}

pub(crate) fn pin(packet: Vec<u8>, ud: Vec<u8>, md: Vec<u8>, paused: bool) -> PacketIn2 {
    PacketIn2 {
        packet: Bytes::from(packet),
        table_id: 10,
        cookie: Some(0x1234),
        reason: 1,
        metadata: Bytes::from(md),
        userdata: Some(Bytes::from(ud)),
        continuation: paused.then(|| Bytes::from_static(&[0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef])),
        ..Default::default()
    }
}

fn udp4(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let mut p = compose::ipv4(VM_MAC, RTR_MAC, src, dst, IPPROTO_UDP, 64, &u);
    p[15] = 0; // TOS 0 like a normal guest packet.
    p[24] = 0;
    p[25] = 0;
    let c = csum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    p
}

fn ip4_ok(p: &[u8], l3: usize) {
    let ihl = usize::from(p[l3] & 0xf) * 4;
    assert_eq!(csum(&p[l3..l3 + ihl]), 0, "IPv4 header checksum");
}

fn only<T: std::fmt::Debug>(v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().unwrap()
}

fn packet_out(o: PinctrlOutput) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    match o {
        PinctrlOutput::PacketOut(po) => (
            po.match_.0.to_vec(),
            po.actions.0.to_vec(),
            po.packet.to_vec(),
        ),
        o => panic!("expected a packet-out, got {o:?}"),
    }
}

fn resume(o: PinctrlOutput) -> (PinMetadata, Vec<u8>, Option<Bytes>) {
    match o {
        PinctrlOutput::Resume(r) => (
            PinMetadata::decode(&r.packet_in.metadata).unwrap(),
            r.packet_in.packet.to_vec(),
            r.packet_in.continuation.clone(),
        ),
        o => panic!("expected a resume, got {o:?}"),
    }
}

#[test]
fn arp_action_builds_request_and_keeps_nested_actions() {
    let (ud, pause) = controller_userdata("arp { eth.dst = ff:ff:ff:ff:ff:ff; output; };");
    assert!(!pause);
    assert_eq!(&ud[..8], &[0, 0, 0, 0, 0, 0, 0, 0]);
    let pkt = udp4(
        Ipv4Addr::new(10, 0, 0, 5),
        Ipv4Addr::new(20, 0, 0, 7),
        1000,
        53,
        b"x",
    );
    let md = metadata(3, &[(14, 1), (15, 2), (0, 0x1400_0007)]);
    let outs = handle_packet_in(
        &pin(pkt.clone(), ud.clone(), md, false),
        &PinctrlState::default(),
    );
    assert_eq!(outs.len(), 2, "{outs:?}");
    // The triggering packet is buffered for outport reg15 = 2 and next hop reg0.
    let PinctrlOutput::Buffer(bp) = &outs[0] else {
        panic!("{outs:?}")
    };
    assert_eq!(
        (bp.dp_key, bp.port_key, bp.ip),
        (3, 2, Ipv4Addr::new(20, 0, 0, 7).into())
    );
    assert_eq!(bp.packet.as_ref(), &pkt[..]);
    // Reload (reg0, reg14, reg15, metadata), pkt_mark = 0, resubmit(CONTROLLER, 37).
    assert_eq!(bp.actions.len(), 64 + 16 + 16);
    assert_eq!(&bp.actions[64..72], &[0, 25, 0, 16, 0, 1, 0x42, 4]);
    assert_eq!(
        &bp.actions[80..],
        &[
            0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 14, 0xff, 0xfd, 37, 0, 0, 0
        ]
    );
    let (m, actions, out) = packet_out(outs[1].clone());
    // in_port=CONTROLLER.
    assert_eq!(m, [0x80, 0, 0, 4, 0xff, 0xff, 0xff, 0xfd]);
    // reg0, reg14, reg15 and metadata restored, then the nested actions verbatim.
    assert_eq!(&actions[0..8], &[0, 25, 0, 16, 0, 1, 0, 4]);
    assert_eq!(&actions[8..12], &0x1400_0007u32.to_be_bytes());
    assert_eq!(&actions[16..24], &[0, 25, 0, 16, 0, 1, 0x1c, 4]);
    assert_eq!(&actions[32..40], &[0, 25, 0, 16, 0, 1, 0x1e, 4]);
    assert_eq!(&actions[48..56], &[0, 25, 0, 16, 0x80, 0, 4, 8]);
    assert_eq!(&actions[56..64], &3u64.to_be_bytes());
    assert_eq!(&actions[64..], &ud[8..]);
    let mut want = Vec::new();
    want.extend_from_slice(&RTR_MAC);
    want.extend_from_slice(&VM_MAC);
    want.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    want.extend_from_slice(&VM_MAC);
    want.extend_from_slice(&[10, 0, 0, 5]);
    want.extend_from_slice(&[0; 6]);
    want.extend_from_slice(&[20, 0, 0, 7]);
    assert_eq!(out, want);
}

#[test]
fn arp_action_on_non_ip_warns() {
    let (ud, _) = controller_userdata("arp { output; };");
    let arp = compose::arp(
        [0xff; 6],
        VM_MAC,
        1,
        VM_MAC,
        Ipv4Addr::new(1, 1, 1, 1),
        [0; 6],
        Ipv4Addr::new(1, 1, 1, 2),
    );
    let o = only(handle_packet_in(
        &pin(arp, ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    ));
    assert!(matches!(o, PinctrlOutput::Warn(_)), "{o:?}");
}

#[test]
fn put_arp_learns_binding() {
    let (ud, pause) = controller_userdata("put_arp(inport, arp.spa, arp.sha);");
    assert!(!pause);
    assert_eq!(ud, [0, 0, 0, 1, 0, 0, 0, 0]);
    let spa = Ipv4Addr::new(172, 16, 0, 9);
    let reply = compose::arp(
        RTR_MAC,
        VM_MAC,
        2,
        VM_MAC,
        spa,
        RTR_MAC,
        Ipv4Addr::new(172, 16, 0, 1),
    );
    // The encoder moves arp.spa into reg0 and arp.sha into eth.src before the controller action.
    let md = metadata(4, &[(14, 2), (0, u32::from(spa))]);
    let o = only(handle_packet_in(
        &pin(reply, ud, md, false),
        &PinctrlState::default(),
    ));
    assert_eq!(
        o,
        PinctrlOutput::SbWrite(SbWrite::MacBinding {
            dp_key: 4,
            port_key: 2,
            ip: spa.into(),
            mac: VM_MAC,
            unicast: true,
        })
    );
}

#[test]
fn put_nd_uses_xxreg0_and_broadcast_is_not_unicast() {
    let (ud, _) = controller_userdata("put_nd(inport, nd.target, nd.tll);");
    assert_eq!(&ud[..4], &[0, 0, 0, 4]);
    let ip: Ipv6Addr = "fd00::1:2".parse().unwrap();
    let na = compose::nd_na(
        VM_MAC,
        [0x33, 0x33, 0, 0, 0, 1],
        ip,
        "ff02::1".parse().unwrap(),
        0x2000_0000,
    );
    let v = u128::from(ip);
    let regs = [
        (14, 3),
        (0, (v >> 96) as u32),
        (1, (v >> 64) as u32),
        (2, (v >> 32) as u32),
        (3, v as u32),
    ];
    let o = only(handle_packet_in(
        &pin(na, ud, metadata(5, &regs), false),
        &PinctrlState::default(),
    ));
    assert_eq!(
        o,
        PinctrlOutput::SbWrite(SbWrite::MacBinding {
            dp_key: 5,
            port_key: 3,
            ip: ip.into(),
            mac: VM_MAC,
            unicast: false,
        })
    );
}

#[test]
fn put_fdb_learns_source_mac() {
    let (ud, _) = controller_userdata("put_fdb(inport, eth.src);");
    assert_eq!(ud, [0, 0, 0, 25, 0, 0, 0, 0]);
    let p = udp4(
        Ipv4Addr::new(1, 2, 3, 4),
        Ipv4Addr::new(5, 6, 7, 8),
        1,
        2,
        b"",
    );
    let o = only(handle_packet_in(
        &pin(p, ud, metadata(7, &[(14, 9)]), false),
        &PinctrlState::default(),
    ));
    assert_eq!(
        o,
        PinctrlOutput::SbWrite(SbWrite::Fdb {
            dp_key: 7,
            port_key: 9,
            mac: VM_MAC
        })
    );
}

/// A DHCP client message from VM_MAC (xid 0x11223344, broadcast flag as given).
pub(crate) fn dhcp_request(msg_type: u8, requested: Option<Ipv4Addr>, broadcast: bool) -> Vec<u8> {
    let mut d = vec![0u8; 236];
    d[0] = 1;
    d[1] = 1;
    d[2] = 6;
    d[4..8].copy_from_slice(&0x1122_3344u32.to_be_bytes());
    if broadcast {
        d[10] = 0x80;
    }
    d[28..34].copy_from_slice(&VM_MAC);
    d.extend_from_slice(&0x6382_5363u32.to_be_bytes());
    d.extend_from_slice(&[53, 1, msg_type]);
    if let Some(r) = requested {
        d.extend_from_slice(&[50, 4]);
        d.extend_from_slice(&r.octets());
    }
    d.extend_from_slice(&[55, 3, 1, 3, 6, 255]);
    let mut p = udp4(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST, 68, 67, &d);
    p[0..6].copy_from_slice(&[0xff; 6]);
    p
}

const DHCP_ACTION: &str = "reg0[3] = put_dhcp_opts(offerip = 10.0.0.2, router = 10.0.0.1, netmask = 255.255.255.0, lease_time = 3600, server_id = 10.0.0.1);";

#[test]
fn dhcp_discover_gets_offer() {
    let (ud, pause) = controller_userdata(DHCP_ACTION);
    assert!(pause);
    // opcode 2, pad, xxreg0 header (OVN's reg0 is xxreg0[96..127]), bit 99, offer ip,
    // then the options.
    assert_eq!(
        &ud[..20],
        &[
            0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0xde, 0x10, 0, 0, 0, 99, 10, 0, 0, 2
        ]
    );
    let opts = ud[20..].to_vec();
    let req = dhcp_request(1, None, false);
    let md = metadata(1, &[(14, 1)]);
    let outs = handle_packet_in(&pin(req.clone(), ud, md, true), &PinctrlState::default());
    let (md2, p, cont) = resume(only(outs));
    assert_eq!(
        cont.as_deref(),
        Some(&[0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef][..])
    );
    assert_eq!(md2.reg(0), 1 << 3);
    assert_eq!(md2.reg(14), 1);
    assert_eq!(md2.metadata(), 1);
    let h = Headers::parse(&p);
    let L3::Ipv4 {
        dst,
        tot_len,
        proto,
        ..
    } = h.l3
    else {
        panic!()
    };
    assert_eq!((dst, proto), (Ipv4Addr::new(10, 0, 0, 2), IPPROTO_UDP));
    ip4_ok(&p, 14);
    let l4 = h.l4_ofs.unwrap();
    assert_eq!(usize::from(tot_len), p.len() - 14);
    assert_eq!(
        usize::from(u16::from_be_bytes([p[l4 + 4], p[l4 + 5]])),
        p.len() - l4
    );
    assert_eq!(&p[l4 + 6..l4 + 8], &[0, 0], "UDP checksum left absent");
    let d = &p[l4 + 8..];
    assert_eq!(d[0], 2, "BOOTREPLY");
    assert_eq!(&d[4..8], &0x1122_3344u32.to_be_bytes(), "xid kept");
    assert_eq!(&d[16..20], &[10, 0, 0, 2], "yiaddr");
    assert_eq!(&d[28..34], &VM_MAC, "chaddr kept");
    assert_eq!(&d[236..240], &0x6382_5363u32.to_be_bytes());
    let mut want = vec![53, 1, 2];
    want.extend_from_slice(&opts);
    want.extend_from_slice(&[0, 0, 0, 0, 255, 0, 0, 0, 0]);
    assert_eq!(&d[240..], &want[..]);
    // The options are router, netmask, lease time, server id (the encoder's order).
    assert!(
        opts.windows(6).any(|w| w == [3, 4, 10, 0, 0, 1]),
        "{opts:?}"
    );
    assert!(
        opts.windows(6).any(|w| w == [51, 4, 0, 0, 0x0e, 0x10]),
        "{opts:?}"
    );
    // The L2/L3 headers before UDP are the request's, apart from length/dst/checksum.
    assert_eq!(&p[..14], &req[..14]);
}

#[test]
fn dhcp_reply_keeps_ip_options_with_valid_checksum() {
    let (ud, _) = controller_userdata(DHCP_ACTION);
    let mut req = dhcp_request(1, None, false);
    // IHL 6: four NOP options after the 20-byte header.
    req.splice(34..34, [1u8, 1, 1, 1]);
    req[14] = 0x46;
    let tot = u16::from_be_bytes([req[16], req[17]]) + 4;
    req[16..18].copy_from_slice(&tot.to_be_bytes());
    req[24..26].copy_from_slice(&[0, 0]);
    let c = csum(&req[14..38]);
    req[24..26].copy_from_slice(&c.to_be_bytes());
    let (m, p, _) = resume(only(handle_packet_in(
        &pin(req, ud, metadata(1, &[]), true),
        &PinctrlState::default(),
    )));
    assert_eq!(m.reg(0), 1 << 3);
    ip4_ok(&p, 14);
    assert_eq!(&p[34..38], &[1, 1, 1, 1]);
    let h = Headers::parse(&p);
    assert_eq!(h.l4_ofs, Some(38));
    assert_eq!(p[38 + 8], 2, "BOOTREPLY after the options");
}

#[test]
fn dhcp_request_ack_nak_and_broadcast() {
    let (ud, _) = controller_userdata(DHCP_ACTION);
    let md = metadata(1, &[(14, 1), (0, 0x10)]);
    let st = PinctrlState::default();
    let run = |req: Vec<u8>| {
        resume(only(handle_packet_in(
            &pin(req, ud.clone(), md.clone(), true),
            &st,
        )))
    };
    let (m, p, _) = run(dhcp_request(3, Some(Ipv4Addr::new(10, 0, 0, 2)), true));
    assert_eq!(m.reg(0), 0x18, "result bit set, other reg0 bits kept");
    let l4 = Headers::parse(&p).l4_ofs.unwrap();
    assert_eq!(&p[l4 + 8 + 240..l4 + 8 + 243], &[53, 1, 5], "ACK");
    assert_eq!(
        &p[30..34],
        &[255, 255, 255, 255],
        "broadcast flag → broadcast IP"
    );
    ip4_ok(&p, 14);

    let (m, p, _) = run(dhcp_request(3, Some(Ipv4Addr::new(10, 0, 0, 9)), false));
    assert_eq!(m.reg(0), 0x18);
    let d = &p[l4 + 8..];
    assert_eq!(
        &d[240..],
        &[53, 1, 6, 0, 0, 0, 0, 255, 0, 0, 0, 0],
        "NAK has no options"
    );
    assert_eq!(&d[16..20], &[0; 4]);

    // DECLINE and garbage: resumed with the result bit cleared and the packet unchanged.
    let req = dhcp_request(4, Some(Ipv4Addr::new(10, 0, 0, 2)), false);
    let (m, p, _) = run(req.clone());
    assert_eq!((m.reg(0), p), (0x10, req));
    let mut bad = dhcp_request(1, None, false);
    bad.truncate(100);
    let outs = handle_packet_in(&pin(bad.clone(), ud.clone(), md.clone(), true), &st);
    assert_eq!(outs.len(), 2);
    assert!(matches!(outs[0], PinctrlOutput::Warn(_)));
    let (m, p, _) = resume(outs[1].clone());
    assert_eq!((m.reg(0), p), (0x10, bad));
}

fn icmp_echo4() -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0, 0, 1, 0, 1, 0xaa, 0xbb];
    let c = csum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    compose::ipv4(
        VM_MAC,
        RTR_MAC,
        Ipv4Addr::new(10, 0, 0, 5),
        Ipv4Addr::new(30, 0, 0, 1),
        IPPROTO_ICMP,
        1,
        &icmp,
    )
}

#[test]
fn icmp4_unreachable_embeds_original() {
    let (ud, _) =
        controller_userdata("icmp4 { eth.dst <-> eth.src; ip4.dst <-> ip4.src; output; };");
    assert_eq!(&ud[..4], &[0, 0, 0, 10]);
    let orig = udp4(
        Ipv4Addr::new(10, 0, 0, 5),
        Ipv4Addr::new(10, 0, 0, 6),
        4000,
        5000,
        b"hello",
    );
    let (_, actions, p) = packet_out(only(handle_packet_in(
        &pin(orig.clone(), ud.clone(), metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    assert!(actions.ends_with(&ud[8..]));
    let h = Headers::parse(&p);
    let L3::Ipv4 {
        src,
        dst,
        ttl,
        proto,
        tos,
        ..
    } = h.l3
    else {
        panic!()
    };
    assert_eq!(
        (src, dst, ttl, proto, tos),
        (
            Ipv4Addr::new(10, 0, 0, 5),
            Ipv4Addr::new(10, 0, 0, 6),
            255,
            IPPROTO_ICMP,
            0xc0
        )
    );
    assert_eq!(&p[0..12], &[RTR_MAC, VM_MAC].concat()[..]);
    ip4_ok(&p, 14);
    let l4 = h.l4_ofs.unwrap();
    assert_eq!((p[l4], p[l4 + 1]), (3, 3), "port unreachable for UDP");
    assert_eq!(csum(&p[l4..]), 0, "ICMP checksum");
    assert_eq!(&p[l4 + 8..], &orig[14..], "original IP packet embedded");
}

#[test]
fn icmp4_error_and_frag_mtu() {
    let (ud, _) = controller_userdata(
        "icmp4_error { icmp4.type = 3; icmp4.code = 4; icmp4.frag_mtu = 1442; output; };",
    );
    assert_eq!(&ud[..4], &[0, 0, 0, 14]);
    let orig = icmp_echo4();
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(orig, ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    let l4 = Headers::parse(&p).l4_ofs.unwrap();
    // pinctrl builds host-unreachable; the nested actions rewrite type/code in OVS.
    assert_eq!((p[l4], p[l4 + 1]), (3, 1));
    assert_eq!(csum(&p[l4..]), 0);
    // The nested icmp4.frag_mtu is itself a paused controller action: its userdata is what
    // the second packet-in carries.
    let (ud2, pause) = controller_userdata("icmp4.frag_mtu = 1442;");
    assert!(pause);
    assert_eq!(ud2, [0, 0, 0, 13, 0, 0, 0, 0, 0x05, 0xa2]);
    let outs = handle_packet_in(
        &pin(p.clone(), ud2, metadata(1, &[]), true),
        &PinctrlState::default(),
    );
    let (_, q, _) = resume(only(outs));
    assert_eq!(&q[l4 + 6..l4 + 8], &[0x05, 0xa2]);
    assert_eq!(csum(&q[l4..]), 0, "ICMP checksum after MTU rewrite");
    ip4_ok(&q, 14);
    assert_eq!(q.len(), p.len());
}

#[test]
fn icmp6_frag_mtu() {
    let mut msg = vec![2u8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    let s: Ipv6Addr = "fd00::1".parse().unwrap();
    let d: Ipv6Addr = "fd00::2".parse().unwrap();
    compose::icmp6_csum(s, d, &mut msg);
    let p = compose::ipv6(RTR_MAC, VM_MAC, s, d, IPPROTO_ICMPV6, 255, &msg);
    let (ud, _) = controller_userdata("icmp6.frag_mtu = 1400;");
    assert_eq!(ud, [0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0x05, 0x78]);
    let (_, q, _) = resume(only(handle_packet_in(
        &pin(p, ud, metadata(1, &[]), true),
        &PinctrlState::default(),
    )));
    assert_eq!(&q[54 + 4..54 + 8], &1400u32.to_be_bytes());
    assert_eq!(pseudo6(s, d, IPPROTO_ICMPV6, 12).add(&q[54..]).finish(), 0);
}

#[test]
fn icmp6_unreachable() {
    let (ud, _) =
        controller_userdata("icmp6 { eth.dst <-> eth.src; ip6.dst <-> ip6.src; output; };");
    let s: Ipv6Addr = "fd00::5".parse().unwrap();
    let d: Ipv6Addr = "fd00::6".parse().unwrap();
    let orig = compose::ipv6(
        VM_MAC,
        RTR_MAC,
        s,
        d,
        IPPROTO_UDP,
        64,
        &[0, 1, 0, 2, 0, 9, 0, 0, 7],
    );
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(orig.clone(), ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    let h = Headers::parse(&p);
    let L3::Ipv6 { src, dst, hlim, .. } = h.l3 else {
        panic!()
    };
    assert_eq!((src, dst, hlim), (s, d, 255));
    let l4 = h.l4_ofs.unwrap();
    assert_eq!((p[l4], p[l4 + 1]), (1, 4));
    assert_eq!(
        pseudo6(s, d, IPPROTO_ICMPV6, p.len() - l4)
            .add(&p[l4..])
            .finish(),
        0
    );
    assert_eq!(&p[l4 + 8..], &orig[14..]);
}

fn tcp_syn(flags: u8) -> Vec<u8> {
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&40000u16.to_be_bytes());
    t[2..4].copy_from_slice(&80u16.to_be_bytes());
    t[4..8].copy_from_slice(&0x0102_0304u32.to_be_bytes());
    t[12] = 0x50;
    t[13] = flags;
    let (s, d) = (Ipv4Addr::new(10, 0, 0, 5), Ipv4Addr::new(10, 0, 0, 6));
    let c = pseudo4(s, d, IPPROTO_TCP, 20).add(&t).finish();
    t[16..18].copy_from_slice(&c.to_be_bytes());
    compose::ipv4(VM_MAC, RTR_MAC, s, d, IPPROTO_TCP, 64, &t)
}

#[test]
fn tcp_reset_and_reject() {
    let (ud, _) =
        controller_userdata("tcp_reset { eth.dst <-> eth.src; ip4.dst <-> ip4.src; output; };");
    assert_eq!(&ud[..4], &[0, 0, 0, 11]);
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(tcp_syn(0x02), ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    let h = Headers::parse(&p);
    let L3::Ipv4 { src, dst, ttl, .. } = h.l3 else {
        panic!()
    };
    assert_eq!(
        (src, dst, ttl),
        (Ipv4Addr::new(10, 0, 0, 5), Ipv4Addr::new(10, 0, 0, 6), 63)
    );
    let l4 = h.l4_ofs.unwrap();
    assert_eq!((h.tp_src, h.tp_dst), (80, 40000));
    assert_eq!(
        &p[l4 + 8..l4 + 12],
        &0x0102_0305u32.to_be_bytes(),
        "ack = seq + 1"
    );
    assert_eq!((p[l4 + 12], p[l4 + 13]), (0x50, 0x14), "RST|ACK");
    assert_eq!(pseudo4(src, dst, IPPROTO_TCP, 20).add(&p[l4..]).finish(), 0);
    ip4_ok(&p, 14);

    // reject answers to the sender: addresses swapped.
    let (ud, _) = controller_userdata("reject { output; };");
    assert_eq!(&ud[..4], &[0, 0, 0, 22]);
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(tcp_syn(0x02), ud.clone(), metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    let h = Headers::parse(&p);
    assert_eq!(&p[0..12], &[VM_MAC, RTR_MAC].concat()[..]);
    let L3::Ipv4 { src, dst, .. } = h.l3 else {
        panic!()
    };
    assert_eq!(
        (src, dst),
        (Ipv4Addr::new(10, 0, 0, 6), Ipv4Addr::new(10, 0, 0, 5))
    );
    // …but never to a reset.
    assert!(
        handle_packet_in(
            &pin(tcp_syn(0x04), ud.clone(), metadata(1, &[]), false),
            &PinctrlState::default()
        )
        .is_empty()
    );
    // UDP gets port unreachable from the destination.
    let u = udp4(
        Ipv4Addr::new(10, 0, 0, 5),
        Ipv4Addr::new(10, 0, 0, 6),
        1,
        2,
        b"",
    );
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(u, ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    let h = Headers::parse(&p);
    let L3::Ipv4 { src, .. } = h.l3 else { panic!() };
    assert_eq!(src, Ipv4Addr::new(10, 0, 0, 6));
    assert_eq!(p[h.l4_ofs.unwrap() + 1], 3);
}

#[test]
fn nd_na_answers_solicitation() {
    let (ud, _) = controller_userdata(
        "nd_na { eth.src = 00:00:00:00:ff:01; nd.tll = 00:00:00:00:ff:01; outport = inport; flags.loopback = 1; output; };",
    );
    assert_eq!(&ud[..4], &[0, 0, 0, 3]);
    let target: Ipv6Addr = "fd00::1".parse().unwrap();
    let vm_ip: Ipv6Addr = "fd00::5".parse().unwrap();
    let ns = compose::nd_ns(VM_MAC, vm_ip, target);
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(ns.clone(), ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    let h = Headers::parse(&p);
    assert_eq!(h.nd_target, Some(target));
    let L3::Ipv6 { src, dst, .. } = h.l3 else {
        panic!()
    };
    assert_eq!((src, dst), (target, vm_ip));
    let l4 = h.l4_ofs.unwrap();
    assert_eq!(p[l4], 136);
    assert_eq!(
        &p[l4 + 4..l4 + 8],
        &0x6000_0000u32.to_be_bytes(),
        "solicited|override"
    );
    assert_eq!(
        pseudo6(src, dst, IPPROTO_ICMPV6, 32).add(&p[l4..]).finish(),
        0
    );
    assert_eq!(&p[0..6], &VM_MAC, "to the solicitor");

    let (ud, _) = controller_userdata("nd_na_router { output; };");
    let (_, _, p) = packet_out(only(handle_packet_in(
        &pin(ns, ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    )));
    assert_eq!(
        &p[54 + 4..54 + 8],
        &0xe000_0000u32.to_be_bytes(),
        "router flag"
    );
}

#[test]
fn nd_ns_for_destination() {
    let (ud, _) = controller_userdata("nd_ns { nd.target = xxreg0; output; };");
    assert_eq!(&ud[..4], &[0, 0, 0, 9]);
    let d: Ipv6Addr = "fd00::77".parse().unwrap();
    let orig = compose::ipv6(
        VM_MAC,
        RTR_MAC,
        "fd00::5".parse().unwrap(),
        d,
        IPPROTO_UDP,
        64,
        &[0; 8],
    );
    let v = u128::from(d);
    let regs = [
        (15, 4),
        (0, (v >> 96) as u32),
        (1, (v >> 64) as u32),
        (2, (v >> 32) as u32),
        (3, v as u32),
    ];
    let outs = handle_packet_in(
        &pin(orig.clone(), ud, metadata(1, &regs), false),
        &PinctrlState::default(),
    );
    assert_eq!(outs.len(), 2, "{outs:?}");
    let PinctrlOutput::Buffer(bp) = &outs[0] else {
        panic!("{outs:?}")
    };
    assert_eq!(
        (bp.dp_key, bp.port_key, bp.ip, bp.packet.as_ref()),
        (1, 4, d.into(), &orig[..])
    );
    let (_, _, p) = packet_out(outs[1].clone());
    let h = Headers::parse(&p);
    assert_eq!(h.nd_target, Some(d));
    assert_eq!(h.nd_sll, VM_MAC);
    assert_eq!(&p[0..6], &[0x33, 0x33, 0xff, 0, 0, 0x77]);
    let L3::Ipv6 { src, .. } = h.l3 else { panic!() };
    assert_eq!(src, compose::lla(VM_MAC));
}

fn dns_query(name: &str, qtype: u16) -> Vec<u8> {
    let mut d = vec![0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.split('.') {
        d.push(l.len() as u8);
        d.extend_from_slice(l.as_bytes());
    }
    d.push(0);
    d.extend_from_slice(&qtype.to_be_bytes());
    d.extend_from_slice(&1u16.to_be_bytes());
    udp4(
        Ipv4Addr::new(10, 0, 0, 5),
        Ipv4Addr::new(10, 0, 0, 1),
        5353,
        53,
        &d,
    )
}

#[test]
fn dns_lookup_answers_a_from_sb_records() {
    let (ud, pause) = controller_userdata("reg0[4] = dns_lookup();");
    assert!(pause);
    assert_eq!(ud, [0, 0, 0, 6, 0, 0, 0, 0, 0, 1, 0xde, 0x10, 0, 0, 0, 100]);
    let mut st = PinctrlState::default();
    let rec = [("vm1.ovn.org".to_string(), "10.0.0.4 aef0::4".to_string())]
        .into_iter()
        .collect();
    st.dns.insert(1, vec![std::sync::Arc::new(rec)]);
    let q = dns_query("VM1.ovn.org", 1);
    let (m, p, _) = resume(only(handle_packet_in(
        &pin(q.clone(), ud.clone(), metadata(1, &[]), true),
        &st,
    )));
    assert_eq!(m.reg(0), 1 << 4);
    ip4_ok(&p, 14);
    let l4 = 34;
    let dns = &p[l4 + 8..];
    assert_eq!(&dns[..4], &[0xab, 0xcd, 0x81, 0x00], "id kept, QR set");
    assert_eq!(&dns[6..8], &[0, 1], "one answer");
    let qlen = q.len() - l4 - 8;
    assert_eq!(&dns[12..qlen], &q[l4 + 8 + 12..], "question copied");
    let ans = &dns[qlen..];
    let qname = &q[l4 + 8 + 12..q.len() - 4];
    assert_eq!(&ans[..qname.len()], qname);
    assert_eq!(
        &ans[qname.len()..],
        &[0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, 0, 4]
    );
    assert_eq!(
        usize::from(u16::from_be_bytes([p[l4 + 4], p[l4 + 5]])),
        p.len() - l4
    );

    // Unknown name or other datapath: no answer, result 0, packet unchanged.
    let (m, p, _) = resume(only(handle_packet_in(
        &pin(
            dns_query("vm2.ovn.org", 1),
            ud.clone(),
            metadata(1, &[]),
            true,
        ),
        &st,
    )));
    assert_eq!((m.reg(0), p.len()), (0, dns_query("vm2.ovn.org", 1).len()));
    let (m, _, _) = resume(only(handle_packet_in(
        &pin(q, ud, metadata(2, &[]), true),
        &st,
    )));
    assert_eq!(m.reg(0), 0);
}

#[test]
fn acl_log_line() {
    let (ud, _) = controller_userdata("log(name=\"acl1\", verdict=drop, severity=alert);");
    assert_eq!(&ud[..4], &[0, 0, 0, 7]);
    let o = only(handle_packet_in(
        &pin(icmp_echo4(), ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    ));
    assert_eq!(
        o,
        PinctrlOutput::Log(
            "name=\"acl1\", verdict=drop, severity=alert, direction=from-lport: icmp,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=00:00:00:00:ff:01,nw_src=10.0.0.5,nw_dst=30.0.0.1,nw_tos=192,nw_ecn=0,nw_ttl=1,icmp_type=8,icmp_code=0".into()
        )
    );
}

#[test]
fn acl_log_matches_upstream_tcp_line() {
    // tests/ovn.at "ACL logging": the from-lport drop of a SYN 192.168.1.2:4361 → .3:81.
    let (ud, _) = controller_userdata("log(name=\"drop-flow\", verdict=drop, severity=alert);");
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&4361u16.to_be_bytes());
    t[2..4].copy_from_slice(&81u16.to_be_bytes());
    t[12] = 0x50;
    t[13] = 0x02;
    let mut p = compose::ipv4(
        [0xf0, 0, 0, 0, 0, 1],
        [0xf0, 0, 0, 0, 0, 2],
        Ipv4Addr::new(192, 168, 1, 2),
        Ipv4Addr::new(192, 168, 1, 3),
        IPPROTO_TCP,
        64,
        &t,
    );
    p[15] = 0;
    let o = only(handle_packet_in(
        &pin(p, ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    ));
    assert_eq!(
        o,
        PinctrlOutput::Log(
            "name=\"drop-flow\", verdict=drop, severity=alert, direction=from-lport: tcp,vlan_tci=0x0000,dl_src=f0:00:00:00:00:01,dl_dst=f0:00:00:00:00:02,nw_src=192.168.1.2,nw_dst=192.168.1.3,nw_tos=0,nw_ecn=0,nw_ttl=64,tp_src=4361,tp_dst=81,tcp_flags=syn".into()
        )
    );
}

#[test]
fn nd_ra_replaces_solicitation() {
    let (ud, pause) = controller_userdata(
        "reg0[5] = put_nd_ra_opts(addr_mode = \"slaac\", slla = 00:00:00:00:ff:01, prefix = fd00::/64);",
    );
    assert!(pause);
    let s = compose::lla(VM_MAC);
    let d: Ipv6Addr = "ff02::2".parse().unwrap();
    let mut rs = vec![133u8, 0, 0, 0, 0, 0, 0, 0];
    compose::icmp6_csum(s, d, &mut rs);
    let p = compose::ipv6(
        VM_MAC,
        [0x33, 0x33, 0, 0, 0, 2],
        s,
        d,
        IPPROTO_ICMPV6,
        255,
        &rs,
    );
    let (m, q, _) = resume(only(handle_packet_in(
        &pin(p, ud.clone(), metadata(1, &[]), true),
        &PinctrlState::default(),
    )));
    assert_eq!(m.reg(0), 1 << 5);
    let ra = &ud[16..];
    assert_eq!(ra[0], 134, "router advertisement");
    assert_eq!(
        &q[54..],
        ra.iter()
            .enumerate()
            .map(|(i, b)| if i == 2 || i == 3 { q[54 + i] } else { *b })
            .collect::<Vec<_>>()
            .as_slice()
    );
    assert_eq!(usize::from(u16::from_be_bytes([q[18], q[19]])), ra.len());
    assert_eq!(
        pseudo6(s, d, IPPROTO_ICMPV6, ra.len())
            .add(&q[54..])
            .finish(),
        0
    );
}

fn dhcpv6_msg(msg_type: u8, iaid: Option<u32>) -> Vec<u8> {
    let mut d = vec![msg_type, 0xaa, 0xbb, 0xcc];
    d.extend_from_slice(&[0, 1, 0, 10, 0, 3, 0, 1]);
    d.extend_from_slice(&VM_MAC);
    if let Some(i) = iaid {
        d.extend_from_slice(&[0, 3, 0, 12]);
        d.extend_from_slice(&i.to_be_bytes());
        d.extend_from_slice(&[0; 8]);
    }
    let mut u = vec![0x02, 0x22, 0x02, 0x23, 0, 0, 0, 0];
    u[4..6].copy_from_slice(&((8 + d.len()) as u16).to_be_bytes());
    u.extend_from_slice(&d);
    let s = compose::lla(VM_MAC);
    let dst: Ipv6Addr = "ff02::1:2".parse().unwrap();
    let c = pseudo6(s, dst, IPPROTO_UDP, u.len()).add(&u).finish();
    u[6..8].copy_from_slice(&c.to_be_bytes());
    compose::ipv6(
        VM_MAC,
        [0x33, 0x33, 0, 1, 0, 2],
        s,
        dst,
        IPPROTO_UDP,
        255,
        &u,
    )
}

#[test]
fn dhcpv6_solicit_gets_advertise_with_ia_na() {
    let (ud, pause) = controller_userdata(
        "reg0[3] = put_dhcpv6_opts(ia_addr = ae70::4, server_id = 00:00:00:00:10:02);",
    );
    assert!(pause);
    assert_eq!(&ud[..4], &[0, 0, 0, 5]);
    let sol = dhcpv6_msg(1, Some(0x0102_0304));
    let (m, p, _) = resume(only(handle_packet_in(
        &pin(sol.clone(), ud.clone(), metadata(1, &[]), true),
        &PinctrlState::default(),
    )));
    assert_eq!(m.reg(0), 1 << 3);
    let h = Headers::parse(&p);
    let L3::Ipv6 { src, dst, plen, .. } = h.l3 else {
        panic!()
    };
    let l4 = h.l4_ofs.unwrap();
    assert_eq!(usize::from(plen), p.len() - l4);
    assert_eq!(
        pseudo6(src, dst, IPPROTO_UDP, p.len() - l4)
            .add(&p[l4..])
            .finish(),
        0
    );
    let d = &p[l4 + 8..];
    assert_eq!(&d[..4], &[2, 0xaa, 0xbb, 0xcc], "ADVERTISE, xid kept");
    assert_eq!(&d[4..18], &sol[54 + 8 + 4..54 + 8 + 18], "client id echoed");
    let mut want = vec![0, 3, 0, 40, 1, 2, 3, 4];
    want.extend_from_slice(&[0xff; 8]);
    want.extend_from_slice(&[0, 5, 0, 24]);
    want.extend_from_slice(&"ae70::4".parse::<Ipv6Addr>().unwrap().octets());
    want.extend_from_slice(&[0xff; 8]);
    want.extend_from_slice(&[0, 2, 0, 10, 0, 3, 0, 1, 0, 0, 0, 0, 0x10, 2]);
    assert_eq!(&d[18..], &want[..]);

    // An information request gets no address; a solicit without IA_NA gets nothing.
    let (m, p, _) = resume(only(handle_packet_in(
        &pin(dhcpv6_msg(11, None), ud.clone(), metadata(1, &[]), true),
        &PinctrlState::default(),
    )));
    assert_eq!(m.reg(0), 1 << 3);
    assert_eq!(p[54 + 8], 7, "REPLY");
    assert!(!p[54 + 8 + 18..].windows(4).any(|w| w == [0, 3, 0, 40]));
    let outs = handle_packet_in(
        &pin(dhcpv6_msg(1, None), ud, metadata(1, &[]), true),
        &PinctrlState::default(),
    );
    assert_eq!(outs.len(), 2);
    assert_eq!(resume(outs[1].clone()).0.reg(0), 0);
}

#[test]
fn trigger_event_reports_once() {
    let (ud, pause) = controller_userdata(
        "trigger_event(event = \"empty_lb_backends\", vip = \"10.0.0.1:80\", protocol = \"tcp\", load_balancer = \"12345678-abcd-9876-fedc-11119f8e7d6c\");",
    );
    assert!(!pause);
    assert_eq!(&ud[..12], &[0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0]);
    let p = udp4(
        Ipv4Addr::new(1, 1, 1, 1),
        Ipv4Addr::new(10, 0, 0, 1),
        1,
        80,
        b"",
    );
    let o = only(handle_packet_in(
        &pin(p, ud, metadata(1, &[]), false),
        &PinctrlState::default(),
    ));
    let w = SbWrite::EmptyLbBackends {
        vip: "10.0.0.1:80".into(),
        protocol: "tcp".into(),
        load_balancer: "12345678-abcd-9876-fedc-11119f8e7d6c".into(),
    };
    assert_eq!(o, PinctrlOutput::SbWrite(w.clone()));
    let mut st = PinctrlState::default();
    let mut b = super::SbBatch::default();
    let t = std::time::Instant::now();
    b.add(w.clone(), t);
    // Not registered yet: kept, nothing written.
    assert!(b.take_ops(&st, t, 0).is_empty());
    st.chassis = Some(ovsdb::Uuid::from_u128(1));
    st.event_seq = 4;
    let ops = b.take_ops(&st, t, 0);
    assert_eq!(ops.len(), 1);
    let j = ops[0].to_json().to_string();
    assert!(
        j.contains(r#""table":"Controller_Event""#) && j.contains(r#""seq_num":5"#),
        "{j}"
    );
    assert!(
        j.contains("10.0.0.1:80") && j.contains("empty_lb_backends"),
        "{j}"
    );
    b.add(w, t);
    assert!(b.take_ops(&st, t, 0).is_empty(), "no duplicate event");
}

#[test]
fn bind_vport_claims_virtual_port() {
    let (ud, _) = controller_userdata("bind_vport(\"lsp1\", inport);");
    assert_eq!(ud, [0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0x11]);
    let arp = compose::arp(
        [0xff; 6],
        VM_MAC,
        1,
        VM_MAC,
        Ipv4Addr::new(10, 0, 0, 10),
        [0; 6],
        Ipv4Addr::new(10, 0, 0, 10),
    );
    let o = only(handle_packet_in(
        &pin(arp, ud, metadata(2, &[(14, 3)]), false),
        &PinctrlState::default(),
    ));
    let w = SbWrite::BindVport {
        dp_key: 2,
        vport_key: 0x11,
        parent_key: 3,
    };
    assert_eq!(o, PinctrlOutput::SbWrite(w.clone()));
    let mut st = PinctrlState {
        chassis: Some(ovsdb::Uuid::from_u128(1)),
        ..Default::default()
    };
    let port = |name: &str, ty: &str, u: u128| super::PortInfo {
        logical_port: name.into(),
        datapath: ovsdb::Uuid::ZERO,
        uuid: ovsdb::Uuid::from_u128(u),
        ty: ty.into(),
        chassis: None,
        virtual_parent: None,
    };
    st.ports.insert((2, 0x11), port("vip1", "virtual", 7));
    st.ports.insert((2, 3), port("vm1", "", 8));
    let mut b = super::SbBatch::default();
    let t = std::time::Instant::now();
    b.add(w, t);
    let ops = b.take_ops(&st, t, 0);
    assert_eq!(ops.len(), 1);
    let j = ops[0].to_json().to_string();
    assert!(
        j.contains(r#""op":"update""#) && j.contains(r#""virtual_parent":"vm1""#),
        "{j}"
    );
}

#[test]
fn unhandled_paused_opcode_still_resumes() {
    let (ud, _) = controller_userdata(DHCP_ACTION);
    let mut ud6 = ud;
    ud6[3] = 16; // IGMP, not implemented
    let outs = handle_packet_in(
        &pin(dhcp_request(1, None, false), ud6, metadata(1, &[]), true),
        &PinctrlState::default(),
    );
    assert_eq!(outs.len(), 2);
    assert!(matches!(outs[1], PinctrlOutput::Resume(_)));
}

#[test]
fn non_action_reason_and_bad_userdata() {
    let (ud, _) = controller_userdata("put_arp(inport, arp.spa, arp.sha);");
    let mut p = pin(icmp_echo4(), ud, metadata(1, &[]), false);
    p.reason = 0;
    assert!(handle_packet_in(&p, &PinctrlState::default()).is_empty());
    p.reason = 1;
    p.userdata = Some(Bytes::from_static(&[0, 0, 0, 99, 0, 0, 0, 0]));
    assert!(matches!(
        only(handle_packet_in(&p, &PinctrlState::default())),
        PinctrlOutput::Warn(_)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(
        packet in proptest::collection::vec(any::<u8>(), 0..200),
        ud in proptest::collection::vec(any::<u8>(), 0..64),
        md in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let _ = Headers::parse(&packet);
        let _ = PinMetadata::decode(&md);
        let _ = handle_packet_in(&pin(packet, ud, md, true), &PinctrlState::default());
    }

    #[test]
    fn dhcp_offer_carries_any_userdata_options(
        opts in proptest::collection::vec(
            (1u8..=252, proptest::collection::vec(any::<u8>(), 0..16))
                .prop_filter("special codes", |(c, _)| ![53, 67].contains(c)),
            1..12,
        ),
        broadcast in any::<bool>(),
    ) {
        let mut ud = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0xde, 0x10, 0, 0, 0, 99, 10, 0, 0, 2];
        let mut want = vec![53, 1, 2];
        for (c, v) in &opts {
            let o = [&[*c, v.len() as u8][..], v].concat();
            ud.extend_from_slice(&o);
            want.extend_from_slice(&o);
        }
        want.extend_from_slice(&[0, 0, 0, 0, 255, 0, 0, 0, 0]);
        let outs = handle_packet_in(
            &pin(dhcp_request(1, None, broadcast), ud, metadata(1, &[]), true),
            &PinctrlState::default(),
        );
        prop_assert_eq!(outs.len(), 1);
        let (m, p, _) = resume(outs[0].clone());
        prop_assert_eq!(m.reg(0), 1 << 3);
        prop_assert_eq!(csum(&p[14..34]), 0);
        prop_assert_eq!(usize::from(u16::from_be_bytes([p[16], p[17]])), p.len() - 14);
        prop_assert_eq!(usize::from(u16::from_be_bytes([p[38], p[39]])), p.len() - 34);
        let dst = if broadcast { [255, 255, 255, 255] } else { [10, 0, 0, 2] };
        prop_assert_eq!(&p[30..34], &dst[..]);
        prop_assert_eq!(&p[34 + 8 + 240..], &want[..]);
    }

    #[test]
    fn every_opcode_on_arbitrary_packets_never_panics(
        op in 0u32..27,
        base in 0usize..6,
        cut in 0usize..400,
        flip in proptest::collection::vec((0usize..400, any::<u8>()), 0..6),
        tail in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        // Start from real packets so the deep parsing paths are reached, then damage them.
        let mut packet = match base {
            0 => dhcp_request(1, None, false),
            1 => dns_query("a.b", 1),
            2 => tcp_syn(2),
            3 => icmp_echo4(),
            4 => compose::nd_ns(VM_MAC, "fd00::5".parse().unwrap(), "fd00::1".parse().unwrap()),
            _ => compose::arp([0xff; 6], VM_MAC, 1, VM_MAC, Ipv4Addr::new(1, 1, 1, 1), [0; 6], Ipv4Addr::new(1, 1, 1, 2)),
        };
        for (i, b) in flip {
            if let Some(x) = packet.get_mut(i) {
                *x = b;
            }
        }
        packet.truncate(cut);
        let mut ud = op.to_be_bytes().to_vec();
        ud.extend_from_slice(&[0; 4]);
        ud.extend_from_slice(&[0, 1, 0, 4, 0, 0, 0, 3]);
        ud.extend_from_slice(&tail);
        let mut st = PinctrlState::default();
        st.dns.insert(1, vec![std::sync::Arc::new([("a.b".to_string(), "1.2.3.4 ::1".to_string())].into_iter().collect())]);
        let _ = handle_packet_in(&pin(packet, ud, metadata(1, &[(14, 1), (0, 7)]), true), &st);
    }
}
