//! `openflow::io::ofctl` (what `ovn-agent ofctl` prints) against the real `ovs-ofctl -O
//! OpenFlow15` on the same testkit bridge: the outputs must be byte-identical (durations and
//! idle ages, which tick between the two dumps, are normalised).

use openflow::io::{Target, ofctl};
use openflow::msg::{MeterConfig, TlvMap};
use testkit::Ovs;

fn bridge() -> (Ovs, Target) {
    let ovs = Ovs::start().expect("ovs-vswitchd and ovsdb-server must be installed");
    ovs.add_bridge("br0", "dummy").unwrap();
    for (p, n) in [("p1", "1"), ("p7", "7"), ("p3", "3")] {
        ovs.vsctl(&[
            "add-port",
            "br0",
            p,
            "--",
            "set",
            "Interface",
            p,
            "type=dummy",
            &format!("ofport_request={n}"),
        ])
        .unwrap();
    }
    let t = Target::Unix(ovs.mgmt("br0"));
    (ovs, t)
}

fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let mut l = line.to_owned();
        for key in ["duration=", "idle_age="] {
            if let Some(i) = l.find(key) {
                let end = l[i..].find(',').map_or(l.len(), |e| i + e);
                l.replace_range(i + key.len()..end, "X");
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn ours(f: impl AsyncFnOnce(&mut Vec<u8>)) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = Vec::new();
    rt.block_on(f(&mut out));
    String::from_utf8(out).unwrap()
}

const FLOWS: &str = "\
table=3,priority=10,ip,nw_dst=10.0.0.0/8,reg14=0x1 actions=drop
cookie=0x5,table=7,priority=50,metadata=0x1,dl_dst=0a:58:00:00:00:01,idle_timeout=60,importance=3,send_flow_rem actions=drop
priority=0 actions=drop
tcp,tp_dst=80,ct_state=+trk-new actions=drop
table=20,priority=74,ipv6,ipv6_dst=fd00::/64,reg15=0x5/0xff actions=drop
table=20,priority=74,arp,arp_tpa=10.1.1.1,arp_op=1 actions=drop
cookie=0x1027c4d1,table=33,priority=50,metadata=0x1,dl_dst=0a:58:00:00:00:01 actions=set_field:0x1->reg15,resubmit(,34)
table=10,priority=100,ip,reg14=0x2,metadata=0x3,nw_src=10.0.0.5 actions=dec_ttl,set_field:0xa000001->reg0,set_field:0a:58:00:00:00:01->eth_src,set_field:0x1/0x1->reg10,resubmit(,21)
table=44,priority=2002,ct_state=+new-est+trk,ip,reg15=0x3,metadata=0x1 actions=ct(commit,zone=NXM_NX_REG13[0..15],exec(set_field:0x2/0x2->ct_mark)),resubmit(,45)
table=12,priority=110,tcp,metadata=0x1,nw_dst=10.0.0.10,tp_dst=80 actions=conjunction(17,1/2)
table=0,priority=100,in_port=1 actions=set_field:0x5->reg13,set_field:0x1->reg11,set_field:0x1->metadata,set_field:0x1->reg14,resubmit(,8)
table=27,priority=100,udp,metadata=0x2,tp_dst=67 actions=controller(userdata=00.00.00.02.00.00.00.00,pause),resubmit(,28)
table=13,priority=10,metadata=0x1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],group:1
";

#[test]
fn session_commands_are_byte_identical() {
    let (ovs, t) = bridge();
    let maps = TlvMap::parse_list("{class=0x102,type=0x80,len=4}->tun_metadata0").unwrap();
    let meter: MeterConfig = "meter=2,kbps,burst,bands=type=drop,rate=1000,burst_size=100"
        .parse()
        .unwrap();
    ours(async |_| {
        ofctl::add_tlv_map(&t, maps).await.unwrap();
        let (c, _) = ofctl::open(&t, 1, false).await.unwrap();
        c.send_all(vec![openflow::msg::Message::MeterMod(
            openflow::msg::MeterMod {
                command: openflow::msg::MeterCommand::ADD,
                meter,
            },
        )])
        .await
        .unwrap();
    });
    let br = |args: &[&str]| ovs.ofctl_br("br0", args).unwrap();
    assert_eq!(
        ours(async |o| ofctl::show(&t, o).await.unwrap()),
        br(&["show"])
    );
    assert_eq!(
        ours(async |o| ofctl::dump_ports_desc(&t, 0xffff_ffff, o).await.unwrap()),
        br(&["dump-ports-desc"])
    );
    assert_eq!(
        ours(async |o| ofctl::dump_ports_desc(&t, 7, o).await.unwrap()),
        br(&["dump-ports-desc", "7"])
    );
    assert_eq!(
        ours(async |o| ofctl::dump_tlv_map(&t, o).await.unwrap()),
        br(&["dump-tlv-map"])
    );
    assert_eq!(
        ours(async |o| ofctl::dump_meters(&t, 0xffff_ffff, o).await.unwrap()),
        br(&["dump-meters"])
    );
}

#[test]
fn dump_flows_is_byte_identical() {
    let (ovs, t) = bridge();
    let fms = ofctl::parse_flow_file(FLOWS, ofctl::FlowCmd::Add).unwrap();
    assert_eq!(fms.len(), 13);
    // The group the last flow outputs to must exist first; groups are added by ovs-ofctl.
    ovs.ofctl_br("br0", &["add-group", "group_id=1,type=select,selection_method=dp_hash,bucket=bucket_id:0,weight:100,actions=output:1,bucket=bucket_id:1,weight:50,watch_port:7,actions=output:7"]).unwrap();
    ovs.ofctl_br(
        "br0",
        &[
            "add-group",
            "group_id=2,type=all,bucket=actions=output:1,bucket=actions=resubmit(,3)",
        ],
    )
    .unwrap();
    ovs.ofctl_br(
        "br0",
        &[
            "add-group",
            "group_id=3,type=ff,bucket=watch_port:1,actions=output:1",
        ],
    )
    .unwrap();
    ours(async |_| ofctl::add_flows(&t, fms, true).await.unwrap());
    let groups = ours(async |o| {
        ofctl::dump_groups(&t, openflow::msg::OFPG_ALL, o, ofctl::format_group)
            .await
            .unwrap();
    });
    assert_eq!(groups, ovs.ofctl_br("br0", &["dump-groups"]).unwrap());
    assert_eq!(groups.lines().count(), 4, "{groups}");
    let br = |args: &[&str]| normalise(&ovs.ofctl_br("br0", args).unwrap());
    let dump = |filter: &'static str, stats: bool| {
        let t = t.clone();
        normalise(&ours(async move |o| {
            let req = ofctl::parse_stats_request(filter).unwrap();
            ofctl::dump_flows(&t, &req, stats, ofctl::dump_first_xid(filter, false), o)
                .await
                .unwrap();
        }))
    };
    let theirs = br(&["dump-flows"]);
    assert_eq!(theirs.lines().count(), 14, "{theirs}");
    assert_eq!(dump("", true), theirs);
    assert_eq!(dump("", false), br(&["dump-flows", "--no-stats"]));
    for filter in [
        "table=20",
        "cookie=0x5/-1",
        "ip",
        "table=3,reg14=1",
        "table=20,arp,out_port=ANY",
    ] {
        assert_eq!(
            dump(filter, true),
            br(&["dump-flows", filter]),
            "filter {filter}"
        );
        assert_eq!(
            dump(filter, false),
            br(&["dump-flows", "--no-stats", filter]),
            "filter {filter}"
        );
    }
    let agg = ours(async |o| {
        let req = ofctl::parse_stats_request("table=20").unwrap();
        ofctl::dump_aggregate(&t, &req, ofctl::dump_first_xid("table=20", false), o)
            .await
            .unwrap();
    });
    assert_eq!(agg, br(&["dump-aggregate", "table=20"]));
    // Like ovs-ofctl, a filter takes no priority.
    assert!(ofctl::parse_stats_request("priority=74,arp").is_err());
}

#[test]
fn multipart_dumps_are_byte_identical() {
    let (ovs, t) = bridge();
    // Enough flows for vswitchd to split the reply into several `flags=[more]` parts.
    let text: String = (0..3000u32)
        .map(|i| format!("table={},priority={},ip,metadata=0x{:x},nw_src=10.0.{}.{} actions=set_field:0x{:x}->reg15,resubmit(,{})\n", i % 5, 100 + i % 3, i / 256 + 1, i / 256, i % 256, i % 90 + 1, i % 5 + 1))
        .collect();
    ours(async |_| {
        ofctl::add_flows(
            &t,
            ofctl::parse_flow_file(&text, ofctl::FlowCmd::Add).unwrap(),
            true,
        )
        .await
        .unwrap();
    });
    let theirs = normalise(&ovs.ofctl_br("br0", &["dump-flows"]).unwrap());
    assert!(
        theirs.matches("flags=[more]").count() >= 2,
        "expected several parts"
    );
    let mine = normalise(&ours(async |o| {
        ofctl::dump_flows(&t, &Default::default(), true, 1, o)
            .await
            .unwrap();
    }));
    assert_eq!(mine, theirs);
    let mine = ours(async |o| {
        ofctl::dump_flows(&t, &Default::default(), false, 1, o)
            .await
            .unwrap();
    });
    assert_eq!(
        mine,
        ovs.ofctl_br("br0", &["dump-flows", "--no-stats"]).unwrap()
    );
}

#[test]
fn del_flows_replace_and_diff() {
    let (ovs, t) = bridge();
    // The first six flows (no group references); pipelined, not bundled.
    let simple: String = FLOWS.lines().take(6).map(|l| format!("{l}\n")).collect();
    ours(async |_| {
        let fms = ofctl::parse_flow_file(&simple, ofctl::FlowCmd::Add).unwrap();
        ofctl::add_flows(&t, fms, false).await.unwrap();
    });
    let count = || {
        ovs.ofctl_br("br0", &["dump-flows", "--no-stats"])
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(count(), 6);
    // Non-strict delete of table 20 removes both of its flows; strict needs the priority.
    ours(async |_| {
        let fm = ofctl::parse_flow_mod("table=20,arp", ofctl::FlowCmd::DeleteStrict).unwrap();
        ofctl::add_flows(&t, vec![fm], false).await.unwrap();
    });
    assert_eq!(
        count(),
        6,
        "strict delete without the right priority matches nothing"
    );
    ours(async |_| {
        let fm = ofctl::parse_flow_mod("table=20", ofctl::FlowCmd::Delete).unwrap();
        ofctl::add_flows(&t, vec![fm], true).await.unwrap();
    });
    assert_eq!(count(), 4);

    // replace-flows: the switch ends with exactly the file's flows.
    let file = "priority=0 actions=drop\ntable=9,priority=9,ip actions=drop\n";
    ours(async |_| {
        ofctl::replace_flows(
            &t,
            ofctl::parse_flow_file(file, ofctl::FlowCmd::Add).unwrap(),
            true,
        )
        .await
        .unwrap();
    });
    let dump = ovs.ofctl_br("br0", &["dump-flows", "--no-stats"]).unwrap();
    let mut lines: Vec<&str> = dump.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        vec![
            " priority=0 actions=drop",
            " table=9, priority=9,ip actions=drop"
        ]
    );

    // diff-flows between the switch and a file: one line each way.
    let other = ofctl::parse_flow_file(
        "priority=0 actions=drop\ntable=9,priority=8,ip actions=drop\n",
        ofctl::FlowCmd::Add,
    )
    .unwrap();
    let sw = ours(async |_| ()).len();
    assert_eq!(sw, 0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let current = rt.block_on(ofctl::fetch_flows(&t)).unwrap();
    let mut out = Vec::new();
    assert!(ofctl::diff_flows(&current, &other, &mut out).unwrap());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "-table=9 priority=9,ip actions=drop\n+table=9 priority=8,ip actions=drop\n"
    );
    let mut out = Vec::new();
    assert!(!ofctl::diff_flows(&current, &current, &mut out).unwrap());
    assert!(out.is_empty());
}
