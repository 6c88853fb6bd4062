//! Real-daemon oracle: the flows that the real ovn-controller 23.03 installs for a small but
//! feature-rich topology (ACLs with conntrack, a load balancer, a router, port security,
//! DHCP) are dumped with `ovs-ofctl -O OpenFlow15 --no-stats dump-flows br-int`; every dumped
//! line must parse with our `FromStr` and print back identically, and our encoding of it must
//! equal what `ovs-ofctl add-flows` sends for the same line.
//!
//! Needs root (the chassis runs in its own netns) and the OVS/OVN binaries; fails loudly
//! without them.

mod codec_support;

use std::time::{Duration, Instant};

use codec_support::{capture_flow_mods, ours};
use testkit::{Central, Chassis};

fn nb(c: &Central, args: &[&str]) {
    c.nbctl(args)
        .unwrap_or_else(|e| panic!("ovn-nbctl {args:?}: {e}"));
}

/// Flow lines without the `cookie=…, table=N, ` prefix stats; table kept as a key.
fn dump(hv: &Chassis) -> Vec<String> {
    let out = hv
        .ofctl(&["dump-flows", "--no-stats", "--no-names"])
        .expect("dump-flows");
    out.lines()
        .filter(|l| l.starts_with(' '))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn ovn_controller_flows_round_trip() {
    let central = Central::start().expect("start central (NB, SB, northd)");
    nb(&central, &["ls-add", "ls1"]);
    for (p, mac, ip) in [
        ("p1", "00:00:00:00:01:01", "10.0.1.11"),
        ("p2", "00:00:00:00:01:02", "10.0.1.12"),
    ] {
        nb(&central, &["lsp-add", "ls1", p]);
        let addr = format!("{mac} {ip}");
        nb(&central, &["lsp-set-addresses", p, &addr]);
        nb(&central, &["lsp-set-port-security", p, &addr]);
    }
    nb(
        &central,
        &[
            "acl-add",
            "ls1",
            "from-lport",
            "1001",
            "ip4 && tcp.dst == 80",
            "allow-related",
        ],
    );
    nb(
        &central,
        &[
            "acl-add",
            "ls1",
            "to-lport",
            "1000",
            "ip4.src == 10.0.1.12 && udp",
            "drop",
        ],
    );
    nb(
        &central,
        &["acl-add", "ls1", "to-lport", "900", "ip6", "allow"],
    );
    nb(
        &central,
        &[
            "lb-add",
            "lb1",
            "10.0.0.100:80",
            "10.0.1.11:8080,10.0.1.12:8080",
            "tcp",
        ],
    );
    nb(&central, &["ls-lb-add", "ls1", "lb1"]);
    nb(&central, &["lr-add", "lr1"]);
    nb(
        &central,
        &[
            "lrp-add",
            "lr1",
            "lr1-ls1",
            "00:00:00:00:ff:01",
            "10.0.1.1/24",
            "fd01::1/64",
        ],
    );
    nb(&central, &["lsp-add", "ls1", "ls1-lr1"]);
    nb(&central, &["lsp-set-type", "ls1-lr1", "router"]);
    nb(&central, &["lsp-set-addresses", "ls1-lr1", "router"]);
    nb(
        &central,
        &["lsp-set-options", "ls1-lr1", "router-port=lr1-ls1"],
    );
    nb(&central, &["ls-add", "ls2"]);
    nb(&central, &["lsp-add", "ls2", "p3"]);
    nb(
        &central,
        &["lsp-set-addresses", "p3", "00:00:00:00:02:03 10.0.2.13"],
    );
    nb(
        &central,
        &[
            "lrp-add",
            "lr1",
            "lr1-ls2",
            "00:00:00:00:ff:02",
            "10.0.2.1/24",
        ],
    );
    nb(&central, &["lsp-add", "ls2", "ls2-lr1"]);
    nb(&central, &["lsp-set-type", "ls2-lr1", "router"]);
    nb(&central, &["lsp-set-addresses", "ls2-lr1", "router"]);
    nb(
        &central,
        &["lsp-set-options", "ls2-lr1", "router-port=lr1-ls2"],
    );
    let dhcp = central
        .nbctl(&["create", "DHCP_Options", "cidr=10.0.1.0/24"])
        .expect("create DHCP_Options");
    let dhcp = dhcp.trim();
    nb(
        &central,
        &[
            "dhcp-options-set-options",
            dhcp,
            "lease_time=3600",
            "router=10.0.1.1",
            "server_id=10.0.1.1",
            "server_mac=00:00:00:00:ff:01",
        ],
    );
    nb(&central, &["lsp-set-dhcpv4-options", "p1", dhcp]);

    // Port groups + address sets make ovn-controller emit conjunctive flows; a gateway
    // router on hv1 with SNAT/DNAT gives ct(nat(...)); QoS gives meters; an IPv6 LB VIP.
    nb(&central, &["pg-add", "pg1", "p1", "p2"]);
    nb(
        &central,
        &[
            "acl-add",
            "pg1",
            "to-lport",
            "1002",
            "outport == @pg1 && ip4.src == $pg1_ip4 && tcp.dst == {80, 443, 8080}",
            "allow-related",
        ],
    );
    nb(
        &central,
        &[
            "acl-add",
            "pg1",
            "from-lport",
            "1002",
            "inport == @pg1 && ip4.dst == {10.0.2.0/24, 10.0.3.5} && udp.dst == {53, 123}",
            "allow",
        ],
    );
    nb(
        &central,
        &["set", "Logical_Router", "lr1", "options:chassis=hv1"],
    );
    nb(
        &central,
        &["lr-nat-add", "lr1", "snat", "172.16.1.1", "10.0.1.0/24"],
    );
    nb(
        &central,
        &[
            "lr-nat-add",
            "lr1",
            "dnat_and_snat",
            "172.16.1.5",
            "10.0.1.11",
        ],
    );
    nb(
        &central,
        &[
            "lrp-add",
            "lr1",
            "lr1-ext",
            "00:00:00:00:ff:03",
            "172.16.1.1/24",
        ],
    );
    nb(
        &central,
        &[
            "qos-add",
            "ls1",
            "from-lport",
            "100",
            "ip4 && udp",
            "rate=1000",
            "burst=100",
        ],
    );
    nb(
        &central,
        &["lb-add", "lb6", "[fd01::100]:80", "[fd01::11]:8080", "tcp"],
    );
    nb(&central, &["ls-lb-add", "ls1", "lb6"]);
    nb(&central, &["lr-lb-add", "lr1", "lb1"]);

    let mut hv = Chassis::start(&central, "hv1").expect("start chassis hv1");
    let _p1 = hv
        .add_pod("p1", "00:00:00:00:01:01", "10.0.1.11/24", Some("10.0.1.1"))
        .expect("pod p1");
    let _p2 = hv
        .add_pod("p2", "00:00:00:00:01:02", "10.0.1.12/24", Some("10.0.1.1"))
        .expect("pod p2");
    let _p3 = hv
        .add_pod("p3", "00:00:00:00:02:03", "10.0.2.13/24", Some("10.0.2.1"))
        .expect("pod p3");
    hv.start_ovn_controller().expect("start ovn-controller");

    // Wait until the flow table is populated and stable.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = 0;
    let mut stable = 0;
    let flows = loop {
        assert!(
            Instant::now() < deadline,
            "ovn-controller did not settle (last count {last})"
        );
        std::thread::sleep(Duration::from_millis(500));
        let f = dump(&hv);
        if f.len() > 200 && f.len() == last {
            stable += 1;
            if stable >= 3 {
                break f;
            }
        } else {
            stable = 0;
        }
        last = f.len();
    };

    let mut bad = Vec::new();
    let mut ok_flows = Vec::new();
    for line in &flows {
        // `cookie=0x…, table=N, priority=…` → drop the flow-level prefix for our comparison.
        let body = line
            .split(", ")
            .filter(|p| !p.starts_with("cookie=") && !p.starts_with("table="))
            .collect::<Vec<_>>()
            .join(", ");
        match ours(&body) {
            Ok((text, _)) if text == body => ok_flows.push(body),
            Ok((text, _)) => bad.push(format!("text differs\n  ours: {text}\n  ovs:  {body}")),
            Err(e) => bad.push(format!("parse error: {e}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} ovn-controller flows differ:\n{}",
        bad.len(),
        flows.len(),
        bad.join("\n")
    );

    // ovn-controller emits NXAST_DEC_TTL_CNT_IDS with no ids (`dec_ttl()`), which ovs-ofctl
    // cannot send in OpenFlow 1.5 ("no usable protocol"), so those flows have no ovs-ofctl
    // byte oracle.
    let refs: Vec<&str> = ok_flows
        .iter()
        .map(String::as_str)
        .filter(|f| !f.contains("dec_ttl()"))
        .collect();
    assert!(
        refs.len() > 500,
        "too few flows left for the wire check: {}",
        refs.len()
    );
    let mods = capture_flow_mods(&refs);
    assert_eq!(mods.len(), refs.len());
    let mut wire_bad = Vec::new();
    for (flow, m) in refs.iter().zip(&mods) {
        let (_, wire) = ours(flow).unwrap();
        if m[48..] != wire[..] {
            wire_bad.push((*flow).to_owned());
        }
    }
    assert!(
        wire_bad.is_empty(),
        "{} flows encode differently:\n{}",
        wire_bad.len(),
        wire_bad.join("\n")
    );
    // Refresh the recorded corpus used by the unprivileged `text_corpus_roundtrip` test:
    // `OPENFLOW_RECORD_OVN_FLOWS=$PWD/openflow/tests/text_ovn_flows.txt cargo test …`.
    if let Ok(path) = std::env::var("OPENFLOW_RECORD_OVN_FLOWS") {
        let mut out = String::from(
            "# Provenance: flows installed by the real ovn-controller 23.03.1 (OVS 3.1.0) for the\n\
             # topology of tests/codec_ovn_controller_flows.rs, dumped with\n\
             # `ovs-ofctl -O OpenFlow15 --no-stats dump-flows br-int` (cookie/table removed).\n\
             # Column 2 (after a TAB): hex of ofp_match + instructions that\n\
             # `ovs-ofctl --no-names -O OpenFlow15 add-flows` sends for the line (fake-switch capture).\n",
        );
        for (flow, m) in refs.iter().zip(&mods) {
            let hex: String = m[48..].iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!("{flow}\t{hex}\n"));
        }
        std::fs::write(&path, out).expect("write recorded corpus");
    }
    eprintln!("checked {} real ovn-controller flows", flows.len());
}
