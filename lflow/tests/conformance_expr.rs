//! Every vector of upstream's expression tests (tests/ovn.at, OVN 23.03.1), run through the
//! driver with upstream's test context (`upstream-context.json`).

mod common;

use std::collections::BTreeMap;

use lflow::context::Context;
use lflow::driver::{Mode, run};
use lflow::symtab::Symtab;

#[test]
fn expression_vectors() {
    let vectors = common::load("expressions.jsonl");
    assert_eq!(
        vectors.len(),
        198,
        "expressions.jsonl should hold 198 vectors"
    );
    let symtab = Symtab::ovn_test();
    let ctx = common::upstream_context();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for v in &vectors {
        let mode_name = v["mode"].as_str().expect("mode");
        let input = v["input"].as_str().expect("input");
        let mode = Mode::from_name(mode_name).expect("known mode");
        let expected: Vec<String> = match v.get("expected_lines") {
            Some(lines) => lines
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| l.as_str().expect("line").to_string())
                .collect(),
            None => vec![v["expected"].as_str().expect("expected").to_string()],
        };
        let out = run(mode, &symtab, &ctx, &format!("{input}\n"));
        let mut got: Vec<String> = out.lines().map(str::to_string).collect();
        if v.get("sorted").and_then(|s| s.as_bool()) == Some(true) {
            got.sort();
        }
        let entry = counts.entry(mode_name.to_string()).or_default();
        entry.1 += 1;
        if got == expected {
            entry.0 += 1;
        } else {
            failures.push(format!(
                "[{mode_name}] {input}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(m, (p, t))| format!("{m}: {p}/{t}"))
        .collect();
    println!("{}", summary.join(", "));
    assert!(
        failures.is_empty(),
        "{} of {} expression vectors fail ({}):\n{}",
        failures.len(),
        vectors.len(),
        summary.join(", "),
        failures.join("\n")
    );
}

#[test]
fn symtab_vectors() {
    let vectors = common::load("symtab.jsonl");
    assert_eq!(vectors.len(), 2);
    let symtab = Symtab::ovn();
    let dump = run(Mode::DumpSymtab, &symtab, &Context::new(), "");
    let mut failures = Vec::new();
    for v in &vectors {
        let filter = v["filter"].as_str().expect("filter");
        let expected: Vec<&str> = v["expected"]
            .as_array()
            .expect("expected")
            .iter()
            .map(|l| l.as_str().expect("line"))
            .collect();
        let mut got: Vec<&str> = match filter {
            "grep reg | sort" => dump.lines().filter(|l| l.contains("reg")).collect(),
            "grep ^ct | sort" => dump.lines().filter(|l| l.starts_with("ct")).collect(),
            other => panic!("unknown filter {other}"),
        };
        got.sort_unstable();
        if got != expected {
            failures.push(format!(
                "{filter}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our matches convert to the `openflow` crate's `Match`, which prints them the same way.
#[test]
fn matches_convert_to_openflow_crate() {
    let symtab = Symtab::ovn_test();
    let ctx = common::upstream_context();
    let mut inputs: Vec<String> = common::load("expressions.jsonl")
        .iter()
        .filter(|v| v["mode"] == "expr-to-flows")
        .map(|v| v["input"].as_str().expect("input").to_string())
        .collect();
    inputs.extend(
        [
            "arp.op == 1 && arp.tpa == 10.0.0.254 && arp.sha == 00:00:00:00:00:01",
            "nd_ns && nd.target == fe80::1 && nd.sll == 00:00:00:00:00:02",
            "icmp4.type == 3 && icmp4.code == 4",
            "icmp6.type == 128",
            "udp.dst == 53 || sctp.src == 9",
            "ip.dscp == 10 && ip.ecn == 1 && ip.ttl == 64",
            "ip.frag[0] && !ip.frag[1]",
            "vlan.vid == 10",
            "vlan.tci == 0x1234/0xf0f0",
            "ct_label.label == 5 && ct_mark.ecmp_reply_port == 3",
            "tcp.flags == 0x2 && tcp",
            "ip6.label == 0x12345",
            "xreg4 == 0x1/0x1 && reg9[3] && xxreg1[100..103] == 7",
            "pkt.mark == 0x10",
        ]
        .map(String::from),
    );
    let mut failures = Vec::new();
    for input in &inputs {
        let matches = match lflow::expr::compile(input, &symtab, &ctx, 0) {
            Ok(m) => m,
            Err(e) => panic!("{input}: {e}"),
        };
        for m in matches.iter() {
            let ours = m.m.to_string();
            match m.m.to_openflow() {
                Ok(theirs) if theirs.to_string() == ours => {}
                Ok(theirs) => failures.push(format!(
                    "{input}: ours {ours:?}, openflow {:?}",
                    theirs.to_string()
                )),
                Err(e) => failures.push(format!("{input}: {ours:?} does not convert: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
