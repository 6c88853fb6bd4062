//! The matches we print are what the real `ovs-ofctl` (OVS 3.1) prints: every generated match is
//! fed to `ovs-ofctl parse-flows`, which re-prints it canonically; both texts must be equal.
//! Fails loudly if `ovs-ofctl` is not installed.

mod common;

use std::io::Write;
use std::process::Command;

use lflow::symtab::Symtab;

const EXTRA: &[&str] = &[
    "arp.op == 1 && arp.tpa == 10.0.0.254 && arp.sha == 00:00:00:00:00:01",
    "rarp && rarp.spa == 10.0.0.0/8 && rarp.tha == 00:00:00:00:00:00/01:00:00:00:00:00",
    "nd_ns && nd.target == fe80::1 && nd.sll == 00:00:00:00:00:02",
    "nd_na && nd.tll == 00:00:00:00:00:03",
    "icmp4.type == 3 && icmp4.code == 4",
    "icmp6.type == 128",
    "udp.dst == 53 || sctp.src == 9",
    "ip.dscp == 10 && ip.ecn == 1 && ip.ttl == 64",
    "ip.frag[0] && !ip.frag[1]",
    "ip.later_frag",
    "vlan.vid == 10",
    "vlan.pcp == 3",
    "vlan.present",
    "!vlan.present",
    "vlan.tci == 0x1234/0xf0f0",
    "ct_label.label == 5 && ct_mark.ecmp_reply_port == 3",
    "ct_state == 0x21",
    "ct.new && !ct.est && ct.dnat",
    "tcp.flags == 0x12 && tcp",
    "tcp.flags[1] && ip4",
    "ip6.label == 0x12345",
    "ip6.label[0..3] == 1",
    "xreg4 == 0x1/0x1 && reg9[3] && xxreg1[100..103] == 7",
    "big_string == \"eth0\"",
    "reg0 == 0 && reg1 == 1",
    "pkt.mark == 0x10",
    "flags.loopback && eth.dst == ff:ff:ff:ff:ff:ff",
    "eth.mcast && eth.src == 00:00:00:00:00:00/01:00:00:00:00:00",
    "ip6.dst == ff02::1:ff00:0000/104 && ip6.src == ::/0",
    "ip6.src == ::1/::ffff && ip6",
    "ip4.dst == 0.0.0.0 && ip4.src == 10.0.0.0/255.0.255.0",
    "eth.type == 0x8847",
    "eth.type == 0x1234",
    "ip.proto == 99",
    "ip6 && ip.proto == 99",
    "igmp",
    "mldv1 || mldv2",
    "1",
];

#[test]
fn matches_print_like_ovs_ofctl() {
    let symtab = Symtab::ovn_test();
    let ctx = common::upstream_context();
    let mut inputs: Vec<String> = common::load("expressions.jsonl")
        .iter()
        .filter(|v| v["mode"] == "expr-to-flows")
        .map(|v| v["input"].as_str().expect("input").to_string())
        .collect();
    inputs.extend(EXTRA.iter().map(|s| s.to_string()));
    let mut ours = Vec::new();
    for input in &inputs {
        let matches = lflow::expr::compile(input, &symtab, &ctx, 0)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        ours.extend(matches.iter().map(|m| (input.clone(), m.m.to_string())));
    }
    let dir = std::env::temp_dir().join(format!("lflow-ofctl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("flows.txt");
    {
        let mut f = std::fs::File::create(&file).expect("create");
        for (_, m) in &ours {
            if m.is_empty() {
                writeln!(f, "actions=drop").expect("write");
            } else {
                writeln!(f, "{m},actions=drop").expect("write");
            }
        }
    }
    let out = Command::new("ovs-ofctl")
        .args(["-O", "OpenFlow15", "parse-flows"])
        .arg(&file)
        .output()
        .expect("ovs-ofctl must be installed (OVS 3.1) to run this test");
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert!(
        out.status.success(),
        "ovs-ofctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let theirs: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once(": ADD ").map(|(_, rest)| rest))
        .map(|rest| {
            rest.strip_suffix("actions=drop")
                .unwrap_or(rest)
                .trim_end()
                .trim_end_matches(',')
                .to_string()
        })
        .collect();
    assert_eq!(
        theirs.len(),
        ours.len(),
        "ovs-ofctl printed {} flows for {}:\n{text}",
        theirs.len(),
        ours.len()
    );
    let failures: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|((_, o), t)| o != *t)
        .map(|((i, o), t)| format!("{i}: ours {o:?}, ovs-ofctl {t:?}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
