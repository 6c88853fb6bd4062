//! Property tests of the action compiler: no input makes parsing, formatting or encoding panic,
//! and whatever parses re-formats to a fixed point (upstream test-ovn's "bad reformat" check).

mod common;

use std::sync::OnceLock;

use lflow::actions::{
    ActionsContext, EncodeTables, ExtendTable, OfAction, encode_actions, encode_of15,
    format_actions, format_ofpacts, parse_actions_str,
};
use lflow::driver::parse_actions::{ActionsDriver, parse_actions_line};
use lflow::symtab::Symtab;
use proptest::prelude::*;

fn symtab() -> &'static Symtab {
    static S: OnceLock<Symtab> = OnceLock::new();
    S.get_or_init(Symtab::ovn_test)
}

/// Parses, formats, re-parses and encodes `s`; panics only on a property violation.
fn check(s: &str) {
    let ctx = ActionsContext::default();
    let pp = ctx.parse_params(symtab());
    let Ok(parsed) = parse_actions_str(s, &pp) else {
        return;
    };
    let text = format_actions(&parsed.actions, symtab());
    let again = parse_actions_str(&text, &pp)
        .unwrap_or_else(|e| panic!("{s:?} formats as {text:?}, which fails: {e}"));
    assert_eq!(
        format_actions(&again.actions, symtab()),
        text,
        "reformat of {s:?}"
    );
    if let Some(p) = &parsed.prereqs {
        let _ = p.display(symtab()).to_string();
    }
    let mut groups = ExtendTable::new();
    let mut meters = ExtendTable::new();
    let mut out: Vec<OfAction> = Vec::new();
    let ep = ctx.encode_params();
    encode_actions(
        &parsed.actions,
        &ep,
        &mut EncodeTables {
            groups: &mut groups,
            meters: &mut meters,
        },
        &mut out,
    );
    let mut txt = String::new();
    let _ = format_ofpacts(&mut txt, &out);
    let mut wire = Vec::new();
    let _ = encode_of15(&out, &mut wire);
    assert_eq!(
        wire.len() % 8,
        0,
        "OpenFlow actions are 8-byte aligned: {txt}"
    );
}

const WORDS: &[&str] = &[
    "next",
    "output",
    "drop",
    "ip.ttl",
    "--",
    "ct_next",
    "ct_commit",
    "ct_dnat",
    "ct_snat",
    "ct_dnat_in_czone",
    "ct_snat_in_czone",
    "ct_lb",
    "ct_lb_mark",
    "ct_clear",
    "ct_commit_nat",
    "clone",
    "arp",
    "icmp4",
    "icmp6",
    "icmp4_error",
    "icmp6_error",
    "igmp",
    "tcp_reset",
    "sctp_abort",
    "reject",
    "nd_na",
    "nd_na_router",
    "nd_ns",
    "get_arp",
    "put_arp",
    "get_nd",
    "put_nd",
    "lookup_arp",
    "lookup_nd",
    "lookup_arp_ip",
    "lookup_nd_ip",
    "put_dhcp_opts",
    "put_dhcpv6_opts",
    "put_nd_ra_opts",
    "dns_lookup",
    "set_queue",
    "log",
    "set_meter",
    "check_pkt_larger",
    "trigger_event",
    "bind_vport",
    "handle_svc_check",
    "fwd_group",
    "handle_dhcpv6_reply",
    "handle_bfd_msg",
    "chk_lb_hairpin",
    "chk_lb_hairpin_reply",
    "ct_snat_to_vip",
    "put_fdb",
    "get_fdb",
    "lookup_fdb",
    "check_in_port_sec",
    "check_out_port_sec",
    "commit_ecmp_nh",
    "chk_ecmp_nh_mac",
    "chk_ecmp_nh",
    "commit_lb_aff",
    "chk_lb_aff",
    "sample",
    "select",
    "push",
    "pop",
    "backends",
    "hash_fields",
    "skip_snat",
    "force_snat",
    "pipeline",
    "table",
    "ingress",
    "egress",
    "verdict",
    "allow",
    "severity",
    "info",
    "name",
    "meter",
    "liveness",
    "childports",
    "true",
    "false",
    "ipv6",
    "proto",
    "tcp",
    "udp",
    "vip",
    "backend",
    "timeout",
    "probability",
    "collector_set",
    "obs_domain",
    "obs_point",
    "$cookie",
    "event",
    "offerip",
    "router",
    "netmask",
    "mtu",
    "prefix",
    "slla",
    "addr_mode",
    "ia_addr",
    "dns_server",
    "domain_search_list",
    "classless_static_route",
    "tftp_server",
    "reg0",
    "reg1[0]",
    "reg2[5]",
    "reg9[16..31]",
    "xxreg0",
    "xreg4",
    "inport",
    "outport",
    "eth.src",
    "eth.dst",
    "ip4.src",
    "ip4.dst",
    "ip6.src",
    "ip6.dst",
    "arp.spa",
    "arp.sha",
    "nd.target",
    "nd.sll",
    "nd.tll",
    "ct_mark",
    "ct_label",
    "ct_label.blocked",
    "vlan.pcp",
    "tcp.dst",
    "icmp4.frag_mtu",
    "icmp6.frag_mtu",
    "pkt.mark",
    "flags",
    "big_string",
    "bad_prereq",
    "self_recurse",
    "=",
    "<->",
    ";",
    ",",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ":",
    "-",
    "..",
    "/",
    "1",
    "0",
    "80",
    "65535",
    "123456",
    "0x1f",
    "10.0.0.1",
    "192.168.1.2",
    "10.0.0.0/24",
    "fd0f::2",
    "aef0::/64",
    "00:11:22:33:44:55",
    "\"eth0\"",
    "\"lsp1\"",
    "\"tcp\"",
    "\"slaac\"",
    "\"10.0.0.1:80\"",
    "\"[::1]:8080\"",
    "\"empty_lb_backends\"",
    "\"ovn.org,abc.ovn.org\"",
    "\"12345678-abcd-9876-fedc-11119f8e7d6c\"",
    "@pg1",
    "$set1",
    "^tpl",
];

/// Upstream's action inputs (valid and invalid), used as seeds for mutation.
fn seeds() -> &'static [String] {
    static S: OnceLock<Vec<String>> = OnceLock::new();
    S.get_or_init(|| {
        common::load("actions.jsonl")
            .iter()
            .filter_map(|v| v["input"].as_str().map(str::to_string))
            .collect()
    })
}

/// A seed with a few byte-level edits (cut, duplicate, insert a word), on char boundaries.
fn mutated() -> impl Strategy<Value = String> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(
            (
                0u8..3,
                any::<prop::sample::Index>(),
                prop::sample::select(WORDS),
            ),
            0..4,
        ),
    )
        .prop_map(|(seed, edits)| {
            let seeds = seeds();
            let mut s = seeds[seed.index(seeds.len())].clone();
            for (op, at, word) in edits {
                let bounds: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
                let i = bounds[at.index(bounds.len())];
                match op {
                    0 => {
                        let j = bounds.iter().copied().find(|&j| j > i).unwrap_or(i);
                        s.replace_range(i..j, "");
                    }
                    1 => {
                        let tail = s[i..].chars().take(6).collect::<String>();
                        s.insert_str(i, &tail);
                    }
                    _ => s.insert_str(i, &format!(" {word} ")),
                }
            }
            s
        })
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..40).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,120}") {
        check(&s);
    }

    #[test]
    fn token_soup_never_panics(s in soup()) {
        check(&s);
    }

    #[test]
    fn mutated_upstream_inputs_never_panic(s in mutated()) {
        check(&s);
    }

    #[test]
    fn driver_never_panics(lines in prop::collection::vec(soup(), 1..8)) {
        let mut d = ActionsDriver::new(ActionsContext::default());
        let mut out = String::new();
        for l in &lines {
            parse_actions_line(&mut d, symtab(), l, &mut out);
        }
        prop_assert!(!out.contains("bad reformat") && !out.contains("reparse error"), "{}", out);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let s = "clone { ".repeat(40) + &"}; ".repeat(40);
    let ctx = ActionsContext::default();
    let e = parse_actions_str(&s, &ctx.parse_params(symtab()))
        .err()
        .map(|e| e.message);
    assert_eq!(
        e.as_deref(),
        Some("maximum depth of nested actions reached")
    );
}
