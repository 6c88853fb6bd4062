//! Packet-out → `controller(pause)` → NXT_PACKET_IN2 with userdata and a continuation →
//! NXT_RESUME, against a real ovs-vswitchd; and the continuation going stale after a restart.

use std::time::Duration;

use bytes::Bytes;
use openflow::action::parse_actions;
use openflow::flow_match::Match;
use openflow::io::{AsyncEvent, Client, Events, Options, Target, ofctl};
use openflow::msg::*;
use testkit::Ovs;

/// A broadcast ARP request, padded to 60 bytes.
fn arp_frame() -> Bytes {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x0a, 0x58, 0, 0, 0, 1, 0x08, 0x06]);
    f.extend_from_slice(&[
        0, 1, 8, 0, 6, 4, 0, 1, 0x0a, 0x58, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ]);
    f.resize(60, 0);
    f.into()
}

async fn next_packet_in(events: &mut Events) -> PacketIn2 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("no packet-in")
            .unwrap()
        {
            AsyncEvent::Message {
                msg: Message::PacketIn2(p),
                ..
            } => return p,
            AsyncEvent::Message { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_packet_in2_and_resume() {
    let mut ovs = Ovs::start().expect("ovs-vswitchd and ovsdb-server must be installed");
    ovs.add_bridge("br0", "dummy").unwrap();
    ovs.vsctl(&[
        "add-port",
        "br0",
        "p1",
        "--",
        "set",
        "Interface",
        "p1",
        "type=dummy",
        "ofport_request=1",
    ])
    .unwrap();
    let t = Target::Unix(ovs.mgmt("br0"));
    let opts = Options {
        backoff_min: Duration::from_millis(50),
        ..Options::default()
    };
    let (client, mut events, _) = Client::connect(&t, opts).await.unwrap();
    client
        .send_all(vec![
            Message::SetPacketInFormat(PacketInFormat::NXT_PACKET_IN2),
            Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 0xffff,
            }),
        ])
        .await
        .unwrap();
    let flows = "table=0,priority=10,in_port=1,arp actions=controller(userdata=01.02.03.04,pause),resubmit(,1)\n\
                 table=1,priority=10,arp actions=drop\n";
    client
        .send_bundle(
            ofctl::parse_flow_file(flows, ofctl::FlowCmd::Add)
                .unwrap()
                .into_iter()
                .map(Message::FlowMod),
        )
        .await
        .unwrap();

    let po = PacketOut::new(
        RawMatch::from_match(&"in_port=1".parse::<Match>().unwrap()),
        RawActions::from_actions(&parse_actions("resubmit(,0)").unwrap()),
        arp_frame(),
    );
    client.send(Message::PacketOut(po)).await.unwrap();
    let pin = next_packet_in(&mut events).await;
    assert_eq!(pin.packet, arp_frame());
    assert_eq!(pin.table_id, 0);
    assert_eq!(pin.userdata.as_deref(), Some(&[1u8, 2, 3, 4][..]));
    assert!(
        pin.continuation.is_some(),
        "pause must yield a continuation"
    );
    let meta = pin.metadata_match().unwrap().to_string();
    assert!(meta.contains("in_port=1"), "{meta}");

    // Before the resume, table 1 has seen nothing; after it, one packet.
    let n_packets = |ovs: &Ovs| {
        let d = ovs.ofctl_br("br0", &["dump-flows", "table=1"]).unwrap();
        d.split("n_packets=")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap()
            .to_owned()
    };
    assert_eq!(n_packets(&ovs), "0");
    client
        .send(Message::Resume(Resume::from_packet_in(&pin)))
        .await
        .unwrap();
    client.barrier().await.unwrap();
    assert!(
        testkit::wait_until(Duration::from_secs(5), || n_packets(&ovs) == "1"),
        "resumed packet never reached table 1"
    );

    // After a restart the continuation refers to a dead pipeline: NXR_STALE.
    tokio::task::block_in_place(|| ovs.restart_vswitchd()).unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), events.next())
            .await
            .unwrap()
            .unwrap()
        {
            AsyncEvent::Connected { .. } => break,
            AsyncEvent::Disconnected(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let xid = client
        .send(Message::Resume(Resume::from_packet_in(&pin)))
        .await
        .unwrap();
    client.barrier().await.unwrap();
    match events.next().await.unwrap() {
        AsyncEvent::Error { xid: x, error } => {
            assert_eq!(x, xid);
            assert_eq!(error.name(), Some("NXR_STALE"));
        }
        other => panic!("unexpected {other:?}"),
    }
}
