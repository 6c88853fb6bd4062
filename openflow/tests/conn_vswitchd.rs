//! The connection and the tokio driver against a real ovs-vswitchd (testkit::Ovs: dummy
//! datapath, private run directory). Checked with the real `ovs-ofctl -O OpenFlow15`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use openflow::conn::{Config, Connection, Event};
use openflow::io::{AsyncEvent, Client, IoError, Options, Target};
use openflow::msg::*;
use testkit::Ovs;

fn ovs_with_bridge() -> Ovs {
    let ovs = Ovs::start().expect("ovs-vswitchd and ovsdb-server must be installed");
    ovs.add_bridge("br0", "dummy").unwrap();
    ovs
}

fn target(ovs: &Ovs) -> Target {
    Target::Unix(ovs.mgmt("br0"))
}

/// OXM `metadata=V` (OPENFLOW_BASIC field 2, 8 bytes).
fn oxm_metadata(v: u64) -> Vec<u8> {
    let mut b = vec![0x80, 0x00, 0x04, 0x08];
    b.extend_from_slice(&v.to_be_bytes());
    b
}

/// `apply_actions(resubmit(,T))`: instruction APPLY_ACTIONS with NXAST_RESUBMIT_TABLE.
fn apply_resubmit(table: u8) -> Bytes {
    let mut b = BytesMut::new();
    b.put_u16(4);
    b.put_u16(24);
    b.put_u32(0);
    b.put_slice(&[
        0xff, 0xff, 0x00, 0x10, 0x00, 0x00, 0x23, 0x20, 0x00, 0x0e, 0xff, 0xf8, table, 0, 0, 0,
    ]);
    b.freeze()
}

fn flow(i: u32) -> FlowMod {
    FlowMod {
        cookie: u64::from(i),
        table_id: 10,
        priority: 100,
        match_: RawMatch(oxm_metadata(u64::from(i)).into()),
        instructions: RawInstructions(apply_resubmit(11)),
        ..Default::default()
    }
}

fn expected_line(i: u32) -> String {
    format!(" cookie={i:#x}, table=10, priority=100,metadata={i:#x} actions=resubmit(,11)")
        .replace("cookie=0x0, ", "")
        .replace("metadata=0x0", "metadata=0")
}

fn dump_no_stats(ovs: &Ovs) -> Vec<String> {
    let out = ovs.ofctl_br("br0", &["dump-flows", "--no-stats"]).unwrap();
    out.lines().map(str::to_owned).collect()
}

#[test]
fn sans_io_handshake_features_and_echo() {
    let ovs = ovs_with_bridge();
    let mut sock = UnixStream::connect(ovs.mgmt("br0")).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    let mut features = None;
    let mut echo_xid = None;
    let mut echoed = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !echoed {
        assert!(Instant::now() < deadline, "handshake timed out");
        while let Some(b) = conn.poll_transmit() {
            sock.write_all(&b).unwrap();
        }
        let mut buf = [0u8; 4096];
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0, "vswitchd closed the connection");
        // Feed byte by byte: the framer must reassemble messages split across reads.
        for b in &buf[..n] {
            conn.handle_bytes(Instant::now(), std::slice::from_ref(b));
        }
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Connected { features: f } => {
                    features = f;
                    echo_xid = Some(conn.echo(Bytes::from_static(b"ping")).unwrap());
                }
                Event::Reply {
                    xid,
                    msg: Message::EchoReply(p),
                } if Some(xid) == echo_xid => {
                    assert_eq!(&p[..], b"ping");
                    echoed = true;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let f = features.expect("features reply");
    assert_eq!(f.n_tables, 254);
    let show = ovs.ofctl_br("br0", &["show"]).unwrap();
    assert!(
        show.contains(&format!("dpid:{:016x}", f.datapath_id)),
        "{show}"
    );
    // Our rendering of the features reply is ovs-ofctl's.
    let first_lines: String = show.lines().take(3).collect::<Vec<_>>().join("\n") + "\n";
    let title = openflow::msg::print::title("OFPT_FEATURES_REPLY", 2);
    assert_eq!(format!("{title} {f}"), first_lines);
}

#[tokio::test(flavor = "current_thread")]
async fn bundle_installs_atomically_and_reads_back() {
    let ovs = ovs_with_bridge();
    let (client, _events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    let n = 5000;
    client
        .send_bundle((0..n).map(|i| Message::FlowMod(flow(i))))
        .await
        .unwrap();
    let lines = dump_no_stats(&ovs);
    assert_eq!(lines.len(), n as usize);
    let mut want: Vec<String> = (0..n).map(expected_line).collect();
    let mut got = lines.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // Our own streamed dump sees the same flows, in several REPLY_MORE parts.
    let mut dump = client
        .dump_flows(&FlowStatsRequest::default())
        .await
        .unwrap();
    let mut parts = 0;
    let mut cookies = Vec::new();
    while let Some(part) = dump.next_part().await {
        let part = part.unwrap();
        parts += 1;
        for fs in FlowStatsIter::new(part.body) {
            let fs = fs.unwrap();
            assert_eq!((fs.table_id, fs.priority), (10, 100));
            assert_eq!(fs.match_.0[..], oxm_metadata(fs.cookie)[..]);
            assert_eq!(fs.instructions.0, apply_resubmit(11));
            assert_eq!(fs.stats.packet_count, Some(0));
            cookies.push(fs.cookie);
        }
    }
    assert!(parts > 1, "5000 flows come in more than one part");
    cookies.sort_unstable();
    assert_eq!(cookies, (0..u64::from(n)).collect::<Vec<_>>());
}

#[tokio::test(flavor = "current_thread")]
async fn bundle_with_one_bad_flow_names_it_and_installs_nothing() {
    let ovs = ovs_with_bridge();
    let (client, _events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    let bad = 700;
    let msgs = (0..1000).map(|i| {
        let mut f = flow(i);
        if i == bad {
            // ipv4_dst without eth_type: vswitchd rejects it with OFPBMC_BAD_PREREQ.
            f.match_ = RawMatch(Bytes::from_static(&[0x80, 0x00, 0x18, 0x04, 10, 0, 0, 1]));
        }
        Message::FlowMod(f)
    });
    let err = client.send_bundle(msgs).await.unwrap_err();
    let IoError::Bundle { failed, commit } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failed.len(), 1, "{err}");
    assert_eq!(failed[0].0, bad);
    assert_eq!(failed[0].1.name(), Some("OFPBMC_BAD_PREREQ"));
    // vswitchd leaves a message that fails at BUNDLE_ADD time out of the bundle and would commit
    // the rest; the client saw the error before committing and discarded the bundle instead.
    assert_eq!(commit, &None);
    assert!(
        dump_no_stats(&ovs).is_empty(),
        "an atomic bundle with a bad flow must install nothing"
    );
    // The connection is still usable.
    client.barrier().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn encoded_bundle_path_and_errors_for_plain_sends() {
    let ovs = ovs_with_bridge();
    let (client, mut events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    let mut i = 0u32;
    client
        .send_bundle_encoded(move |out, xid| {
            if i == 20000 {
                return Ok(false);
            }
            flow(i).encode(xid, out)?;
            i += 1;
            Ok(true)
        })
        .await
        .unwrap();
    assert_eq!(dump_no_stats(&ovs).len(), 20000);

    // A bad plain flow_mod: the error comes back as an event carrying its xid.
    let mut f = flow(1);
    f.instructions = RawInstructions(Bytes::from_static(&[0x00, 0x06, 0x00, 0x08, 0, 0, 0, 1]));
    let xid = client.send(Message::FlowMod(f)).await.unwrap();
    client.barrier().await.unwrap();
    match events.next().await.unwrap() {
        AsyncEvent::Error { xid: x, error } => {
            assert_eq!(x, xid);
            // OF1.5 has no METER instruction.
            assert_eq!(error.name(), Some("OFPBIC_UNKNOWN_INST"));
        }
        other => panic!("{other:?}"),
    }
    let r = client
        .send_all(vec![
            Message::FlowMod(flow(30000)),
            Message::FlowMod(FlowMod {
                table_id: 0xff,
                ..flow(1)
            }),
        ])
        .await;
    let Err(IoError::Batch { failed }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(failed.iter().map(|f| f.0).collect::<Vec<_>>(), vec![1]);
}

#[tokio::test(flavor = "current_thread")]
async fn tlv_map_add_and_dump_match_ovs_ofctl() {
    let ovs = ovs_with_bridge();
    let (client, _events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    let maps = TlvMap::parse_list(
        "{class=0x102,type=0x80,len=4}->tun_metadata0,{class=0xffff,type=0,len=8}->tun_metadata5",
    )
    .unwrap();
    client
        .send(Message::TlvTableMod(TlvTableMod {
            command: TlvTableMod::ADD,
            maps: maps.clone(),
        }))
        .await
        .unwrap();
    client.barrier().await.unwrap();
    let Message::TlvTableReply(reply) = client.request(Message::TlvTableRequest).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(reply.maps, maps);
    let theirs = ovs.ofctl_br("br0", &["dump-tlv-map"]).unwrap();
    let ours = format!(
        "{}{reply}\n",
        openflow::msg::print::title("NXT_TLV_TABLE_REPLY", 2)
    );
    assert_eq!(ours, theirs);
    // Mapping the same option again races like two controllers: OVN retries on this error.
    let r = client
        .request(Message::TlvTableMod(TlvTableMod {
            command: TlvTableMod::ADD,
            maps: maps[..1].to_vec(),
        }))
        .await;
    let Err(IoError::Switch(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(e.name(), Some("NXTTMFC_ALREADY_MAPPED"));
}

#[tokio::test(flavor = "current_thread")]
async fn groups_and_meters_round_trip_with_ovs_ofctl() {
    let ovs = ovs_with_bridge();
    let (client, _events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    let meter: MeterConfig = "meter=3,pktps,burst,stats,bands=type=drop,rate=100,burst_size=10"
        .parse()
        .unwrap();
    client
        .send_all(vec![Message::MeterMod(MeterMod {
            command: MeterCommand::ADD,
            meter: meter.clone(),
        })])
        .await
        .unwrap();
    let mut parts = client
        .multipart(MultipartRequest::meter_config(0xffff_ffff))
        .await
        .unwrap();
    let part = parts.next().await.unwrap().unwrap();
    assert_eq!(
        MeterConfig::decode_reply(&part.body).unwrap(),
        vec![meter.clone()]
    );
    let theirs = ovs.ofctl_br("br0", &["dump-meters"]).unwrap();
    assert_eq!(
        theirs,
        format!("OFPST_METER_CONFIG reply (OF1.5) (xid=0x2):\n{meter}\n")
    );

    // A select group with weights and a watch port, buckets holding output:1 / output:2.
    let out = |p: u32| {
        let mut b = BytesMut::new();
        b.put_u16(0);
        b.put_u16(16);
        b.put_u32(p);
        b.put_u16(0xffff);
        b.put_bytes(0, 6);
        RawActions(b.freeze())
    };
    let mut b0 = Bucket::new(0, out(1));
    b0.weight = Some(100);
    let mut b1 = Bucket::new(1, out(2));
    b1.weight = Some(50);
    b1.watch_port = 2;
    let group = GroupDesc {
        group_id: 7,
        ty: GroupType::SELECT,
        buckets: vec![b0, b1],
        selection_method: Some(SelectionMethod {
            method: "dp_hash".into(),
            param: 0,
            fields: Bytes::new(),
        }),
    };
    client
        .send_bundle([Message::GroupMod(GroupMod {
            command: GroupCommand::ADD,
            command_bucket_id: BUCKET_ALL,
            group: group.clone(),
        })])
        .await
        .unwrap();
    let theirs = ovs.ofctl_br("br0", &["dump-groups"]).unwrap();
    assert_eq!(
        theirs,
        "OFPST_GROUP_DESC reply (OF1.5) (xid=0x2):\n group_id=7,type=select,selection_method=dp_hash,bucket=bucket_id:0,weight:100,actions=output:1,bucket=bucket_id:1,weight:50,watch_port:2,actions=output:2\n"
    );
    let mut parts = client
        .multipart(MultipartRequest::group_desc(OFPG_ALL))
        .await
        .unwrap();
    let part = parts.next().await.unwrap().unwrap();
    assert_eq!(GroupDesc::decode_reply(&part.body).unwrap(), vec![group]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_vswitchd_restart() {
    let mut ovs = ovs_with_bridge();
    let opts = Options {
        backoff_min: Duration::from_millis(50),
        ..Options::default()
    };
    let (client, mut events, first) = Client::connect(&target(&ovs), opts).await.unwrap();
    client
        .send_bundle((0..10).map(|i| Message::FlowMod(flow(i))))
        .await
        .unwrap();
    tokio::task::block_in_place(|| ovs.restart_vswitchd()).unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(ev, AsyncEvent::Disconnected(_)), "{ev:?}");
    let ev = tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .unwrap()
        .unwrap();
    let AsyncEvent::Connected { features } = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(
        features.map(|f| f.datapath_id),
        first.map(|f| f.datapath_id)
    );
    // vswitchd lost its flows; the client can replay them.
    assert!(dump_no_stats(&ovs).is_empty());
    client
        .send_bundle((0..10).map(|i| Message::FlowMod(flow(i))))
        .await
        .unwrap();
    assert_eq!(dump_no_stats(&ovs).len(), 10);
}

#[tokio::test(flavor = "current_thread")]
async fn commit_time_failure_is_mapped_and_rolled_back() {
    let ovs = ovs_with_bridge();
    let (client, _events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    // An existing flow; a bundled flow with check_overlap that overlaps it passes BUNDLE_ADD
    // validation but fails when the bundle is applied (OFPFMFC_OVERLAP at commit).
    client
        .send_bundle([Message::FlowMod(flow(1))])
        .await
        .unwrap();
    // Same table and priority, catch-all match: overlaps metadata=1 without being identical.
    let mut overlapping = flow(1);
    overlapping.cookie = 99;
    overlapping.match_ = RawMatch::default();
    overlapping.flags = flow_mod_flags::CHECK_OVERLAP;
    let msgs = vec![
        Message::FlowMod(flow(2)),
        Message::FlowMod(flow(3)),
        Message::FlowMod(overlapping),
    ];
    let err = client.send_bundle(msgs).await.unwrap_err();
    let IoError::Bundle { failed, commit } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        commit.as_ref().and_then(|e| e.name()),
        Some("OFPBFC_MSG_FAILED"),
        "{err}"
    );
    assert_eq!(failed.len(), 1, "{err}");
    assert_eq!(failed[0].0, 2);
    assert_eq!(failed[0].1.name(), Some("OFPFMFC_OVERLAP"));
    // Rolled back: only the first flow remains.
    assert_eq!(dump_no_stats(&ovs), vec![expected_line(1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_status_arrives_as_an_event() {
    let ovs = ovs_with_bridge();
    let (client, mut events, _) = Client::connect(&target(&ovs), Options::default())
        .await
        .unwrap();
    // vswitchd sends asynchronous messages on a service (mgmt socket) connection only once the
    // controller has set a nonzero miss_send_len (connmgr's ofconn_receives_async_msg).
    client
        .send_all(vec![Message::SetConfig(SwitchConfig {
            flags: 0,
            miss_send_len: 0xffff,
        })])
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        ovs.vsctl(&[
            "add-port",
            "br0",
            "p9",
            "--",
            "set",
            "Interface",
            "p9",
            "type=dummy",
            "ofport_request=9",
        ])
    })
    .unwrap();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .unwrap()
            .unwrap();
        if let AsyncEvent::Message {
            msg: Message::PortStatus(ps),
            ..
        } = ev
            && ps.port.port_no == 9
        {
            assert_eq!(ps.reason, 0, "OFPPR_ADD");
            assert_eq!(ps.port.name, "p9");
            break;
        }
    }
}
