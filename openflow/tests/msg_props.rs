//! Property tests: decoders never panic on arbitrary bytes, and encode → decode → encode is the
//! identity for generated messages.

use bytes::{Bytes, BytesMut};
use openflow::conn::{Config, Connection, Framer};
use openflow::msg::*;
use proptest::prelude::*;

fn framed(ty: u8, body: &[u8]) -> Bytes {
    let mut v = vec![6, ty, 0, 0, 0, 0, 0, 1];
    v.extend_from_slice(body);
    let len = u16::try_from(v.len()).unwrap_or(u16::MAX);
    v[2..4].copy_from_slice(&len.to_be_bytes());
    v.truncate(usize::from(len));
    v.into()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn message_decode_never_panics(ty in 0u8..40, body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Message::decode(&framed(ty, &body));
    }

    #[test]
    fn nx_message_decode_never_panics(sub in prop_oneof![Just(16u32), Just(20), Just(24), Just(25), Just(26), Just(28), Just(29), Just(30), any::<u32>()],
                                      body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut b = vec![0, 0, 0x23, 0x20];
        b.extend_from_slice(&sub.to_be_bytes());
        b.extend_from_slice(&body);
        let _ = Message::decode(&framed(4, &b));
    }

    #[test]
    fn multipart_bodies_never_panic(ty in prop_oneof![Just(1u16), Just(2), Just(7), Just(10), Just(13)],
                                    body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let body = Bytes::from(body);
        let reply = MultipartReply { ty: MultipartType(ty), flags: 0, body: body.clone() };
        let _ = reply.ports();
        for r in FlowStatsIter::new(body.clone()) { let _ = r; }
        let _ = GroupDesc::decode_reply(&body);
        let _ = MeterConfig::decode_reply(&body);
        let _ = AggregateStats::decode_reply(&body);
    }

    #[test]
    fn framer_and_connection_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20)) {
        let now = std::time::Instant::now();
        let mut conn = Connection::new(Config::default(), now);
        let mut framer = Framer;
        let mut buf = BytesMut::new();
        for c in &chunks {
            conn.handle_bytes(now, c);
            buf.extend_from_slice(c);
            while let Ok(Some(_)) = framer.decode(&mut buf) {}
        }
        while conn.poll_event().is_some() {}
    }

    #[test]
    fn flow_text_never_panics(s in "[a-z_=,:0-9x./()+ -]{0,120}", body in proptest::collection::vec(any::<u8>(), 0..300)) {
        for cmd in [FlowModCommand::ADD, FlowModCommand::DELETE, FlowModCommand::DELETE_STRICT] {
            let _ = FlowMod::parse_ofctl(&s, cmd);
        }
        let _ = FlowMod::parse_ofctl_filter(&s);
        let body = Bytes::from(body);
        for fs in FlowStatsIter::new(body.clone()).flatten() {
            let mut out = String::new();
            let _ = format_flow_stats(&mut out, &fs, true);
        }
        if let Ok(groups) = GroupDesc::decode_reply(&body) {
            for g in groups {
                let _ = format_group(&mut String::new(), &g);
            }
        }
    }

    #[test]
    fn text_parsers_never_panic(s in ".{0,80}") {
        let _ = TlvMap::parse_list(&s);
        let _ = s.parse::<MeterConfig>();
        let _ = s.parse::<openflow::io::Target>();
    }

    #[test]
    fn flow_mod_round_trips(cookie in any::<u64>(), table in any::<u8>(), cmd in 0u8..5, prio in any::<u16>(),
                            idle in any::<u16>(), hard in any::<u16>(), flags in any::<u16>(), imp in any::<u16>(),
                            metadata in any::<u64>(), xid in any::<u32>()) {
        let mut m = vec![0x80, 0x00, 0x04, 0x08];
        m.extend_from_slice(&metadata.to_be_bytes());
        let fm = FlowMod {
            cookie, cookie_mask: !cookie, table_id: table, command: FlowModCommand(cmd), idle_timeout: idle,
            hard_timeout: hard, priority: prio, flags, importance: imp,
            match_: RawMatch(m.into()),
            instructions: RawInstructions(Bytes::from_static(&[0, 4, 0, 8, 0, 0, 0, 0])),
            ..FlowMod::default()
        };
        let msg = Message::FlowMod(fm);
        let b = msg.to_bytes(xid).unwrap();
        let (h, back) = Message::decode(&b).unwrap();
        prop_assert_eq!(h.xid, xid);
        prop_assert_eq!(&back, &msg);
        prop_assert_eq!(back.to_bytes(xid).unwrap(), b);
    }

    #[test]
    fn session_messages_round_trip(xid in any::<u32>(), a in any::<u32>(), b in any::<u16>(), c in any::<u64>(),
                                   payload in proptest::collection::vec(any::<u8>(), 0..64),
                                   maps in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..32, 0u16..64), 0..5)) {
        let maps: Vec<TlvMap> = maps.into_iter().map(|(c, t, l, i)| TlvMap { option_class: c, option_type: t, option_len: l * 4, index: i }).collect();
        let msgs = vec![
            Message::EchoRequest(payload.clone().into()),
            Message::SetConfig(SwitchConfig { flags: b, miss_send_len: b }),
            Message::RoleRequest(Role { role: a, generation_id: c }),
            Message::SetPacketInFormat(PacketInFormat(a)),
            Message::SetControllerId(ControllerId(b)),
            Message::CtFlushZone(CtFlushZone(b)),
            Message::TlvTableMod(TlvTableMod { command: b % 3, maps: maps.clone() }),
            Message::TlvTableReply(TlvTableReply { max_option_space: a, max_fields: b, maps }),
            Message::BundleControl(BundleCtrl::new(a, BundleCtrlType(b % 8), b)),
            Message::MeterMod(MeterMod { command: MeterCommand(b % 3), meter: MeterConfig { meter_id: a, flags: b, bands: vec![MeterBand::Drop { rate: a, burst_size: a / 2 }] } }),
            Message::PacketIn2(PacketIn2 { packet: payload.clone().into(), full_len: Some(a), buffer_id: None, table_id: 3, cookie: Some(c), reason: 1,
                metadata: Bytes::from_static(&[0x80, 0, 0, 4, 0, 0, 0, 1]), userdata: Some(payload.clone().into()), continuation: Some(Bytes::from_static(&[0, 0, 0, 0, 0x80, 0, 0, 8, 1, 2, 3, 4])) }),
            Message::Error(ErrorMsg { ty: b, code: b, experimenter: if b == 0xffff { Some(a) } else { None }, data: payload.into() }),
        ];
        for msg in msgs {
            let bytes = msg.to_bytes(xid).unwrap();
            let (_, back) = Message::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &msg);
            prop_assert_eq!(back.to_bytes(xid).unwrap(), bytes);
        }
    }
}
