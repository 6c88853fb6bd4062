//! Throughput smoke test: parsing and encoding the action mix of typical logical flows must
//! stay cheap (ovn-controller compiles 100k+ of them).  The bound is loose (debug builds, shared
//! CI machines); the point is to catch accidental quadratic or allocation-heavy paths.

use std::time::Instant;

use lflow::actions::{
    ActionsContext, EncodeTables, ExtendTable, encode_actions, parse_actions_str,
};
use lflow::symtab::Symtab;

const MIX: &[&str] = &[
    "next;",
    "reg0[0] = 1; next;",
    "ct_next;",
    "outport = \"lsp1\"; output;",
    "eth.dst = 00:00:00:00:00:01; next;",
    "ct_commit { ct_label.blocked = 0; }; next;",
    "reg1 = 10.0.0.1; reg2[0..15] = 80; ct_lb_mark(backends=10.0.0.1:80,10.0.0.2:80);",
    "eth.dst = eth.src; eth.src = 00:00:00:00:00:02; arp.op = 2; arp.tha = arp.sha; arp.sha = 00:00:00:00:00:02; arp.tpa <-> arp.spa; outport = inport; flags.loopback = 1; output;",
    "ip.ttl--; eth.src = 00:00:00:00:00:03; outport = \"lsp1\"; next;",
    "reg0[1] = lookup_arp(inport, arp.spa, arp.sha); next;",
    "ct_dnat(10.0.0.5);",
    "drop;",
];

#[test]
fn parse_and_encode_many_flows() {
    let symtab = Symtab::ovn();
    let ctx = ActionsContext::default();
    let pp = ctx.parse_params(&symtab);
    let ep = ctx.encode_params();
    let mut groups = ExtendTable::new();
    let mut meters = ExtendTable::new();
    let n = 100_000;
    let start = Instant::now();
    let mut n_ofpacts = 0;
    for i in 0..n {
        let s = MIX[i % MIX.len()];
        let parsed = parse_actions_str(s, &pp).unwrap_or_else(|e| panic!("{s}: {e}"));
        let mut out = Vec::new();
        encode_actions(
            &parsed.actions,
            &ep,
            &mut EncodeTables {
                groups: &mut groups,
                meters: &mut meters,
            },
            &mut out,
        );
        n_ofpacts += out.len();
    }
    let dt = start.elapsed();
    eprintln!(
        "{n} flows ({n_ofpacts} OpenFlow actions) in {dt:?} ({:?}/flow)",
        dt / n as u32
    );
    assert!(dt.as_secs() < 60, "{n} flows took {dt:?}");
}
