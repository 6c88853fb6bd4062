//! The sans-IO connection driven by hand: no sockets, no sleeping, time passed in.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use openflow::conn::{Config, ConnError, Connection, ErrorOrigin, Event, Framer};
use openflow::msg::*;

fn peer_hello(version: u8, bitmap: Option<u32>) -> Vec<u8> {
    let mut h = Hello::default();
    if let Some(b) = bitmap {
        h.bitmaps.push(b);
    }
    let mut v = Message::Hello(h).to_bytes(0x55).unwrap().to_vec();
    v[0] = version;
    v
}

fn drain(c: &mut Connection) -> Vec<Message> {
    let mut out = Vec::new();
    let mut buf = BytesMut::new();
    while let Some(b) = c.poll_transmit() {
        buf.extend_from_slice(&b);
    }
    while let Some(f) = Framer.decode(&mut buf).unwrap() {
        out.push(Message::decode(&f).unwrap().1);
    }
    out
}

fn ready(now: Instant) -> Connection {
    let mut c = Connection::new(
        Config {
            fetch_features: false,
            ..Config::default()
        },
        now,
    );
    c.handle_bytes(now, &peer_hello(6, Some(0x7e)));
    assert_eq!(c.poll_event(), Some(Event::Connected { features: None }));
    drain(&mut c);
    c
}

#[test]
fn sends_of15_only_hello_first_with_first_xid() {
    let mut c = Connection::new(
        Config {
            first_xid: 1,
            ..Config::default()
        },
        Instant::now(),
    );
    let b = c.poll_transmit().unwrap();
    assert_eq!(
        &b[..],
        &[6, 0, 0, 0x10, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x40]
    );
}

#[test]
fn negotiation_accepts_bitmap_or_version_and_rejects_older_peers() {
    let now = Instant::now();
    // OVS style: header version 6 with a bitmap of 1.0-1.5; features requested next.
    let mut c = Connection::new(Config::default(), now);
    drain(&mut c);
    c.handle_bytes(now, &peer_hello(6, Some(0x7e)));
    assert_eq!(drain(&mut c), vec![Message::FeaturesRequest]);
    let f = FeaturesReply {
        datapath_id: 1,
        n_buffers: 0,
        n_tables: 254,
        auxiliary_id: 0,
        capabilities: 0,
    };
    c.handle_bytes(now, &Message::FeaturesReply(f).to_bytes(2).unwrap());
    assert_eq!(c.poll_event(), Some(Event::Connected { features: Some(f) }));

    // A 1.3-only peer (bitmap without bit 6): we answer HELLO_FAILED and close.
    let mut c = Connection::new(Config::default(), now);
    drain(&mut c);
    c.handle_bytes(now, &peer_hello(4, Some(0x10)));
    match drain(&mut c).as_slice() {
        [Message::Error(e)] => assert_eq!(e.name(), Some("OFPHFC_INCOMPATIBLE")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.poll_event(),
        Some(Event::Closed(ConnError::VersionNegotiation { peer: 4 }))
    );
    assert!(c.is_closed());

    // No bitmap: the header version must be at least 1.5.
    let mut c = Connection::new(
        Config {
            fetch_features: false,
            ..Config::default()
        },
        now,
    );
    c.handle_bytes(now, &peer_hello(1, None));
    assert!(matches!(
        c.poll_event(),
        Some(Event::Closed(ConnError::VersionNegotiation { peer: 1 }))
    ));

    // Anything but a hello first is a protocol error.
    let mut c = Connection::new(Config::default(), now);
    c.handle_bytes(now, &Message::BarrierReply.to_bytes(1).unwrap());
    assert!(matches!(
        c.poll_event(),
        Some(Event::Closed(ConnError::NoHello { ty: 21 }))
    ));
}

#[test]
fn answers_echo_and_reassembles_split_and_batched_messages() {
    let now = Instant::now();
    let mut c = ready(now);
    let mut stream = Message::EchoRequest(Bytes::from_static(b"xyz"))
        .to_bytes(9)
        .unwrap()
        .to_vec();
    stream.extend_from_slice(&Message::BarrierReply.to_bytes(10).unwrap());
    stream.extend_from_slice(&Message::BarrierReply.to_bytes(11).unwrap());
    // Split at every possible point across two reads.
    for cut in 0..stream.len() {
        let mut c = ready(now);
        c.handle_bytes(now, &stream[..cut]);
        c.handle_bytes(now, &stream[cut..]);
        assert_eq!(
            drain(&mut c),
            vec![Message::EchoReply(Bytes::from_static(b"xyz"))]
        );
        let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        assert_eq!(
            evs,
            vec![
                Event::Reply {
                    xid: 10,
                    msg: Message::BarrierReply
                },
                Event::Reply {
                    xid: 11,
                    msg: Message::BarrierReply
                }
            ]
        );
    }
    c.handle_bytes(now, &stream);
    assert_eq!(drain(&mut c).len(), 1);
}

#[test]
fn inactivity_probe_sends_echo_then_times_out() {
    let t0 = Instant::now();
    let iv = Duration::from_secs(5);
    let mut c = Connection::new(
        Config {
            probe_interval: Some(iv),
            fetch_features: false,
            ..Config::default()
        },
        t0,
    );
    c.handle_bytes(t0, &peer_hello(6, Some(0x40)));
    drain(&mut c);
    assert_eq!(c.poll_timeout(), Some(t0 + iv));
    c.handle_timeout(t0 + iv - Duration::from_millis(1));
    assert!(drain(&mut c).is_empty());
    c.handle_timeout(t0 + iv);
    assert!(matches!(
        drain(&mut c).as_slice(),
        [Message::EchoRequest(_)]
    ));
    // Any input resets the probe.
    c.handle_bytes(
        t0 + iv + Duration::from_secs(1),
        &Message::EchoReply(Bytes::new()).to_bytes(3).unwrap(),
    );
    assert_eq!(
        c.poll_timeout(),
        Some(t0 + iv + Duration::from_secs(1) + iv)
    );
    let t1 = t0 + Duration::from_secs(20);
    c.handle_timeout(t1);
    assert!(matches!(
        drain(&mut c).as_slice(),
        [Message::EchoRequest(_)]
    ));
    c.handle_timeout(t1 + iv);
    assert!(matches!(
        std::iter::from_fn(|| c.poll_event()).last(),
        Some(Event::Closed(ConnError::ProbeTimeout(_)))
    ));
}

#[test]
fn bundle_errors_map_to_the_offending_message_index() {
    let now = Instant::now();
    let mut c = ready(now);
    c.open_bundle(9);
    let mut xids = Vec::new();
    for i in 0..10u64 {
        let fm = FlowMod {
            cookie: i,
            ..FlowMod::default()
        };
        xids.push(
            c.bundle_add(9, BUNDLE_ORDERED | BUNDLE_ATOMIC, &Message::FlowMod(fm))
                .unwrap(),
        );
        if i == 4 {
            c.barrier();
        }
    }
    let sent = drain(&mut c);
    // The inner message carries the outer xid.
    for m in &sent {
        if let Message::BundleAdd(a) = m {
            let h = Header::parse(&a.message).unwrap();
            assert!(xids.contains(&h.xid));
        }
    }
    let err = ErrorMsg::from_name("OFPBMC_BAD_PREREQ", Bytes::new()).unwrap();
    c.handle_bytes(now, &Message::Error(err.clone()).to_bytes(xids[7]).unwrap());
    assert_eq!(
        c.poll_event(),
        Some(Event::Error {
            xid: xids[7],
            error: err.clone(),
            origin: ErrorOrigin::Bundle {
                bundle_id: 9,
                index: 7
            }
        })
    );
    // After the commit reply, the same xid no longer maps to the bundle.
    c.handle_bytes(
        now,
        &Message::BundleControl(BundleCtrl::new(9, BundleCtrlType::COMMIT_REPLY, 0))
            .to_bytes(99)
            .unwrap(),
    );
    assert!(matches!(c.poll_event(), Some(Event::Reply { .. })));
    c.handle_bytes(now, &Message::Error(err.clone()).to_bytes(xids[7]).unwrap());
    assert_eq!(
        c.poll_event(),
        Some(Event::Error {
            xid: xids[7],
            error: err,
            origin: ErrorOrigin::Request
        })
    );
}

#[test]
fn multipart_parts_are_delivered_as_they_arrive() {
    let now = Instant::now();
    let mut c = ready(now);
    let xid = c
        .send(&Message::MultipartRequest(MultipartRequest::port_desc(
            0xffff_ffff,
        )))
        .unwrap();
    for more in [true, true, false] {
        let part = MultipartReply {
            ty: MultipartType::PORT_DESC,
            flags: u16::from(more),
            body: Bytes::new(),
        };
        c.handle_bytes(
            now,
            &Message::MultipartReply(part.clone()).to_bytes(xid).unwrap(),
        );
        assert_eq!(
            c.poll_event(),
            Some(Event::Reply {
                xid,
                msg: Message::MultipartReply(part)
            })
        );
    }
}

#[test]
fn bad_length_header_closes_the_connection() {
    let now = Instant::now();
    let mut c = ready(now);
    c.handle_bytes(now, &[6, 2, 0, 4, 0, 0, 0, 1]);
    assert!(matches!(
        c.poll_event(),
        Some(Event::Closed(ConnError::Framing(_)))
    ));
    // Later input is ignored.
    c.handle_bytes(now, &Message::BarrierReply.to_bytes(1).unwrap());
    assert_eq!(c.poll_event(), None);
}
