//! The driver's line handling (upstream `ds_get_test_line`) and modes, through the library.

mod common;

use lflow::context::Context;
use lflow::driver::{ExprSteps, Mode, run};
use lflow::symtab::Symtab;

#[test]
fn comments_and_blank_lines_are_echoed_like_upstream() {
    let symtab = Symtab::ovn_test();
    let ctx = common::upstream_context();
    let input = "# a comment line\n\nip4.src == 1.2.3.4 # trailing comment\n   \t\nvlan.pcp == 1\n";
    let out = run(Mode::Expr(ExprSteps::Parse), &symtab, &ctx, input);
    assert_eq!(
        out,
        "# a comment line\n\nip4.src == 0x1020304\n\nvlan.pcp == 0x1\n"
    );
}

#[test]
fn every_mode_by_name() {
    let symtab = Symtab::ovn_test();
    let ctx = common::upstream_context();
    let cases = [
        ("lex", "a==1.2.3.4/16", "a == 1.2.0.0/16\n"),
        ("parse-expr", "ip", "ip\n"),
        (
            "annotate-expr",
            "ip",
            "eth.type == 0x800 || eth.type == 0x86dd\n",
        ),
        (
            "simplify-expr",
            "tcp.dst >= 0",
            "ip.proto == 0x6 && (eth.type == 0x800 || eth.type == 0x86dd)\n",
        ),
        (
            "normalize-expr",
            "tcp && ip4",
            "eth.type == 0x800 && ip.proto == 0x6\n",
        ),
        (
            "expr-to-flows",
            "ip4.src == {1.1.1.1, 2.2.2.2}",
            "ip,nw_src=1.1.1.1\nip,nw_src=2.2.2.2\n",
        ),
        ("expr-to-flows", "0", "(no flows)\n"),
        ("expr-to-flows", "1", "\n"),
        (
            "parse-expr",
            "ip4.src = 1",
            "Syntax error at `=' expecting relational operator.\n",
        ),
    ];
    for (mode, input, want) in cases {
        let m = Mode::from_name(mode).expect("mode");
        assert_eq!(
            run(m, &symtab, &ctx, &format!("{input}\n")),
            want,
            "{mode} {input}"
        );
    }
    assert!(Mode::from_name("no-such-mode").is_none());
}

#[test]
fn one_bad_line_does_not_stop_the_rest() {
    let symtab = Symtab::ovn_test();
    let out = run(
        Mode::Expr(ExprSteps::ToFlows),
        &symtab,
        &Context::new(),
        "xyzzy\ninport == \"p\"\neth.type == 0x800\n",
    );
    assert_eq!(
        out,
        "Syntax error at `xyzzy' expecting field name.\n(no flows)\nip\n"
    );
}

#[test]
fn dump_symtab_has_every_symbol() {
    let symtab = Symtab::ovn();
    let out = run(Mode::DumpSymtab, &symtab, &Context::new(), "");
    assert_eq!(out.lines().count(), symtab.len());
    assert!(out.contains("ip4 = eth.type == 0x800\n"));
    assert!(out.contains("inport = NXM_NX_REG14\n"));
    assert!(out.contains("icmp4.frag_mtu = icmp4.frag_mtu\n"));
}

#[test]
fn conjunction_ids_can_be_offset() {
    let symtab = Symtab::ovn();
    let ctx = Context::new();
    let mut m = lflow::expr::compile(
        "ip4.src == {1.1.1.1, 2.2.2.2} && ip4.dst == {3.3.3.3, 4.4.4.4}",
        &symtab,
        &ctx,
        0,
    )
    .expect("compiles");
    assert_eq!(m.n_conjs, 1);
    m.offset_conj_ids(100);
    let mut lines = m.lines();
    lines.sort();
    assert_eq!(lines[0], "conj_id=101,ip");
    assert!(
        lines[1..].iter().all(|l| l.contains("conjunction(101, ")),
        "{lines:?}"
    );
}

#[test]
fn prepared_matches_equal_compiled_ones_on_every_datapath() {
    let symtab = Symtab::ovn();
    let mut ctx = Context::for_chassis();
    ctx.ports
        .extend([("a".to_string(), 1), ("b".to_string(), 2)]);
    ctx.add_port_group("1_pg", ["a"]);
    ctx.add_port_group("2_pg", ["b"]);
    for m in [
        "ip4 && tcp.dst == {80, 443} && outport == \"none\"",
        "outport == @pg && ip6",
        "inport == {\"a\", \"b\"}",
    ] {
        let p = lflow::expr::prepare(m, None, &symtab, &ctx, 1, None).expect("prepares");
        assert_eq!(p.is_datapath_independent(), !m.contains('@'), "{m}");
        for dp in [1, 2] {
            let want = lflow::expr::compile(m, &symtab, &ctx, dp)
                .expect("compiles")
                .lines();
            let p = if p.is_datapath_independent() {
                p.clone()
            } else {
                lflow::expr::prepare(m, None, &symtab, &ctx, dp, None).expect("prepares")
            };
            assert_eq!(p.matches(&symtab, &ctx, dp).lines(), want, "{m} on {dp}");
        }
    }
    let p = lflow::expr::prepare("outport == @pg", None, &symtab, &ctx, 2, None).expect("prepares");
    assert_eq!(p.matches(&symtab, &ctx, 2).lines(), ["reg15=0x2"]);
}
