//! A rough throughput check of match compilation on typical northd-generated matches (ignored by
//! default: run with `cargo test --release -p lflow --test perf_smoke -- --ignored --nocapture`).

mod common;

use std::time::Instant;

use lflow::expr::compile;
use lflow::symtab::Symtab;

const MATCHES: &[&str] = &[
    "inport == \"lsp1\" && eth.src == {00:00:00:00:00:01}",
    "inport == \"lsp1\" && eth.src == 00:00:00:00:00:01 && ip4.src == {10.0.0.1}",
    "outport == \"lsp2\" && ip4 && ip4.dst == 10.0.0.0/8 && tcp.dst == 80",
    "ct.est && !ct.rel && !ct.new && !ct.inv && ct.rpl && ct_mark.blocked == 0",
    "ip4 && udp.src == 68 && udp.dst == 67",
    "nd_ns && nd.target == fe80::1",
    "eth.mcast",
    "ip && ct.trk && (ct.new || ct.est) && ct_label.blocked == 0",
    "outport == @pg1 && ip4 && ip4.src == $set1 && tcp.dst >= 1000 && tcp.dst <= 2000",
    "reg0[7] == 1 && (ip4.mcast || ip6.mcast_flood)",
    "ip4.dst == {10.0.0.1, 10.0.0.2, 10.0.0.3} && tcp.dst == {80, 443, 8080}",
    "arp.op == 1 && arp.tpa == 10.0.0.254",
    "1",
];

#[test]
#[ignore]
fn compile_throughput() {
    let symtab = Symtab::ovn();
    let ctx = common::upstream_context();
    let n = 100_000;
    let start = Instant::now();
    let mut flows = 0;
    for i in 0..n {
        let m = compile(MATCHES[i % MATCHES.len()], &symtab, &ctx, 0).expect("compiles");
        flows += m.len();
    }
    let dt = start.elapsed();
    println!(
        "{n} matches, {flows} flows in {dt:?} ({:.1} µs/match)",
        dt.as_secs_f64() * 1e6 / n as f64
    );
}

#[test]
#[ignore]
fn big_address_set() {
    let symtab = Symtab::ovn();
    let mut ctx = lflow::context::Context::new();
    let addrs: Vec<String> = (0..20_000u32)
        .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff))
        .collect();
    ctx.add_address_set("big", addrs.iter().map(String::as_str));
    let start = Instant::now();
    let m = compile("ip4.src == $big && tcp.dst == {80, 443}", &symtab, &ctx, 0).expect("compiles");
    println!(
        "20000-address set: {} flows in {:?}",
        m.len(),
        start.elapsed()
    );
    assert_eq!(m.len(), 20_000 + 2 + 1);
}
