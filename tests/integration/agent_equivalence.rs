//! Flow equivalence (issue 6): for one topology, the real ovn-controller programs a chassis, its
//! br-int is dumped, it is stopped and the bridge wiped (flows, groups, meters, TLV map), then
//! ovn-agent programs the same chassis for the same Southbound and br-int is dumped again. The
//! two normalized dumps must be identical.
//!
//! Why the same chassis: it keeps everything that is not the agent's choice identical (ofport
//! numbers, the Chassis row, the persisted ct zones), as in a real in-place upgrade. The wipe
//! makes the agent build every flow, group and the Geneve TLV mapping itself rather than
//! inherit them. A fake remote chassis (`ovn-sbctl chassis-add`, ports bound to it with
//! `lsp-bind`) gives the tunnel and remote-output flows without a second OVS.

use std::time::Duration;

use testkit::{Central, Chassis, Pod};

use crate::support::assert_torn_down;
use crate::support_agent::{
    FlowDiff, Normalize, agent_log_tail, dump_flows, dump_groups, normalize, start_ovn_agent,
    wait_flows_settled,
};

/// The remote chassis every topology has, with ports bound to it (never runs anything).
const REMOTE: &str = "hv9";
const REMOTE_IP: &str = "172.16.0.99";

/// How many differing lines a report lists per direction (`AGENT_EQ_SHOW` overrides).
fn show() -> usize {
    std::env::var("AGENT_EQ_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25)
}

/// Which agent programs the chassis the second time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Second {
    OvnAgent,
    /// The real ovn-controller again: the control run proving the harness itself sees no
    /// difference where there is none.
    OvnController,
}

/// A topology: what the chassis needs before any agent starts, and the NB configuration.
struct Topology {
    name: &'static str,
    /// Extra `Open_vSwitch .` settings and bridges (e.g. bridge mappings + provider bridge).
    prepare: fn(&Chassis),
    /// Creates the pods on `hv1` and the NB objects; returns the pods (kept alive) and the
    /// logical ports to bind to the remote chassis.
    build: fn(&Central, &Chassis) -> Built,
}

/// The pods of a topology (kept alive) and the logical ports to bind to the remote chassis.
type Built = (Vec<Pod>, Vec<&'static str>);

fn nb(central: &Central, args: &[&str]) {
    central
        .nbctl(args)
        .unwrap_or_else(|e| panic!("ovn-nbctl {args:?}: {e}"));
}

fn add_lsp(central: &Central, ls: &str, name: &str, addresses: &str) {
    nb(
        central,
        &[
            "lsp-add",
            ls,
            name,
            "--",
            "lsp-set-addresses",
            name,
            addresses,
        ],
    );
}

/// Router port `lr-ls` with `mac`/`cidr` and its peer switch port `ls-lr`.
fn connect_router(central: &Central, lr: &str, ls: &str, mac: &str, cidr: &str) {
    let lrp = format!("{lr}-{ls}");
    let lsp = format!("{ls}-{lr}");
    nb(central, &["lrp-add", lr, &lrp, mac, cidr]);
    nb(
        central,
        &[
            "lsp-add",
            ls,
            &lsp,
            "--",
            "lsp-set-type",
            &lsp,
            "router",
            "--",
            "lsp-set-addresses",
            &lsp,
            "router",
            "--",
            "lsp-set-options",
            &lsp,
            &format!("router-port={lrp}"),
        ],
    );
}

fn pod(ch: &Chassis, name: &str, mac: &str, cidr: &str, gw: Option<&str>) -> Pod {
    ch.add_pod(name, mac, cidr, gw)
        .unwrap_or_else(|e| panic!("pod {name}: {e}"))
}

fn no_prepare(_: &Chassis) {}

fn switch(central: &Central, hv1: &Chassis) -> Built {
    let p1 = pod(hv1, "p1", "00:00:00:00:01:01", "10.0.1.11/24", None);
    let p2 = pod(hv1, "p2", "00:00:00:00:01:02", "10.0.1.12/24", None);
    nb(central, &["ls-add", "ls1"]);
    add_lsp(central, "ls1", "p1", &p1.lsp_addresses());
    add_lsp(central, "ls1", "p2", &p2.lsp_addresses());
    add_lsp(central, "ls1", "p3", "00:00:00:00:01:03 10.0.1.13");
    (vec![p1, p2], vec!["p3"])
}

fn router(central: &Central, hv1: &Chassis) -> Built {
    let p1 = pod(
        hv1,
        "p1",
        "00:00:00:00:01:01",
        "10.0.1.11/24",
        Some("10.0.1.1"),
    );
    let p2 = pod(
        hv1,
        "p2",
        "00:00:00:00:02:02",
        "10.0.2.12/24",
        Some("10.0.2.1"),
    );
    nb(central, &["ls-add", "ls1"]);
    nb(central, &["ls-add", "ls2"]);
    nb(central, &["lr-add", "lr1"]);
    connect_router(central, "lr1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    connect_router(central, "lr1", "ls2", "00:00:00:00:ff:02", "10.0.2.1/24");
    add_lsp(central, "ls1", "p1", &p1.lsp_addresses());
    add_lsp(central, "ls2", "p2", &p2.lsp_addresses());
    add_lsp(central, "ls2", "p3", "00:00:00:00:02:03 10.0.2.13");
    (vec![p1, p2], vec!["p3"])
}

fn acls(central: &Central, hv1: &Chassis) -> Built {
    let (pods, remote) = switch(central, hv1);
    // p3 is remote: ovn-controller expands `@pg_web` to the local members only.
    nb(central, &["pg-add", "pg_web", "p1", "p2", "p3"]);
    nb(
        central,
        &[
            "create",
            "Address_Set",
            "name=as_clients",
            "addresses=\"10.0.1.12\",\"10.0.1.13\"",
        ],
    );
    // Stateless-style drop naming one source, and a stateful policy on the port group: default
    // drop, allow-related from the address set to two ports (a conjunctive match), egress allowed.
    for acl in [
        &[
            "acl-add",
            "ls1",
            "to-lport",
            "1001",
            "ip4.src == 10.0.1.13 && icmp4",
            "drop",
        ][..],
        &[
            "acl-add",
            "pg_web",
            "to-lport",
            "1000",
            "outport == @pg_web && ip4",
            "drop",
        ],
        &[
            "acl-add",
            "pg_web",
            "to-lport",
            "1002",
            "outport == @pg_web && ip4.src == $as_clients && tcp.dst == {80, 443, 8080}",
            "allow-related",
        ],
        &[
            "acl-add",
            "pg_web",
            "to-lport",
            "1002",
            "outport == @pg_web && ip4.src == $pg_web_ip4 && icmp4",
            "allow-related",
        ],
        &[
            "acl-add",
            "pg_web",
            "from-lport",
            "1002",
            "inport == @pg_web && ip4",
            "allow-related",
        ],
    ] {
        nb(central, acl);
    }
    (pods, remote)
}

fn load_balancer(central: &Central, hv1: &Chassis) -> Built {
    let (pods, remote) = switch(central, hv1);
    nb(
        central,
        &[
            "lb-add",
            "lb1",
            "10.0.1.100:80",
            "10.0.1.12:8080,10.0.1.13:8080",
            "tcp",
        ],
    );
    nb(central, &["ls-lb-add", "ls1", "lb1"]);
    (pods, remote)
}

fn provider_bridge(hv1: &Chassis) {
    hv1.ovs().add_bridge("br-ex", "netdev").expect("br-ex");
    hv1.vsctl(&[
        "set",
        "Open_vSwitch",
        ".",
        "external_ids:ovn-bridge-mappings=physnet1:br-ex",
    ])
    .expect("bridge mappings");
}

fn gateway(central: &Central, hv1: &Chassis) -> Built {
    let p1 = pod(
        hv1,
        "p1",
        "00:00:00:00:01:01",
        "10.0.1.11/24",
        Some("10.0.1.1"),
    );
    nb(central, &["ls-add", "ls1"]);
    nb(central, &["ls-add", "ext"]);
    nb(
        central,
        &[
            "lr-add",
            "gw1",
            "--",
            "set",
            "Logical_Router",
            "gw1",
            "options:chassis=hv1",
        ],
    );
    connect_router(central, "gw1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    connect_router(
        central,
        "gw1",
        "ext",
        "00:00:00:00:ff:10",
        "172.16.100.1/24",
    );
    nb(
        central,
        &[
            "lsp-add",
            "ext",
            "ln-ext",
            "--",
            "lsp-set-type",
            "ln-ext",
            "localnet",
            "--",
            "lsp-set-addresses",
            "ln-ext",
            "unknown",
            "--",
            "lsp-set-options",
            "ln-ext",
            "network_name=physnet1",
        ],
    );
    nb(
        central,
        &["lr-nat-add", "gw1", "snat", "172.16.100.1", "10.0.1.0/24"],
    );
    nb(
        central,
        &["lr-route-add", "gw1", "0.0.0.0/0", "172.16.100.254"],
    );
    add_lsp(central, "ls1", "p1", &p1.lsp_addresses());
    add_lsp(central, "ls1", "p3", "00:00:00:00:01:03 10.0.1.13");
    (vec![p1], vec!["p3"])
}

/// Everything of br-int that an agent programs, normalized.
struct Dump {
    flows: Vec<String>,
    groups: Vec<String>,
    tlv: String,
}

fn dump(ch: &Chassis) -> Dump {
    let flows = wait_flows_settled(ch, Duration::from_secs(1), Duration::from_secs(20));
    Dump {
        flows,
        groups: dump_groups(ch),
        tlv: ch.ofctl(&["dump-tlv-map"]).expect("dump-tlv-map"),
    }
}

fn compare(title: &str, a: &Dump, b: &Dump, cookies: bool) -> FlowDiff {
    let how = Normalize { cookies };
    let mut ea = a.flows.clone();
    ea.extend(a.groups.iter().cloned());
    let mut eb = b.flows.clone();
    eb.extend(b.groups.iter().cloned());
    let d = FlowDiff::of(&normalize(&ea, how), &normalize(&eb, how));
    eprintln!("{}", d.report(title, show()));
    d
}

/// With `AGENT_EQ_DUMP=<dir>`, writes both raw dumps there (`<topology>.{reference,actual}.txt`)
/// for a closer look with diff.
fn save_dumps(name: &str, reference: &Dump, actual: &Dump) {
    let Some(dir) = std::env::var_os("AGENT_EQ_DUMP") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create AGENT_EQ_DUMP dir");
    for (what, d) in [("reference", reference), ("actual", actual)] {
        let mut lines = d.flows.clone();
        lines.extend(d.groups.iter().cloned());
        lines.sort();
        let text = lines.join("\n") + "\n" + &d.tlv;
        std::fs::write(dir.join(format!("{name}.{what}.txt")), text).expect("write dump");
    }
}

/// Only the `tlv_metadata` mapping lines (class, type, length, index).
fn tlv_mappings(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("0x"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn run(topo: &Topology, second: Second) {
    let central = Central::start().expect("central");
    let root = central.root().to_owned();
    let id = central.id().to_owned();
    {
        let mut hv1 = Chassis::start(&central, "hv1").expect("hv1");
        (topo.prepare)(&hv1);
        central
            .sbctl(&["chassis-add", REMOTE, "geneve", REMOTE_IP])
            .expect("fake remote chassis");
        hv1.start_ovn_controller().expect("ovn-controller");
        let (_pods, remote_ports) = (topo.build)(&central, &hv1);
        central.nbctl(&["--wait=sb", "sync"]).expect("--wait=sb");
        for lsp in remote_ports {
            central
                .sbctl(&["lsp-bind", lsp, REMOTE])
                .unwrap_or_else(|e| panic!("bind {lsp} to {REMOTE}: {e}"));
        }
        central
            .nbctl(&["--timeout=30", "--wait=hv", "sync"])
            .expect("--wait=hv with ovn-controller");
        let reference = dump(&hv1);
        assert!(
            reference.flows.len() > 50,
            "ovn-controller programmed only {} flows",
            reference.flows.len()
        );

        hv1.stop_agent();
        for cmd in ["del-flows", "del-groups", "del-meters", "del-tlv-map"] {
            hv1.ofctl(&[cmd])
                .unwrap_or_else(|e| panic!("ovs-ofctl {cmd}: {e}"));
        }
        assert!(dump_flows(&hv1).is_empty(), "br-int not wiped");

        let who = match second {
            Second::OvnAgent => {
                start_ovn_agent(&mut hv1);
                "ovn-agent"
            }
            Second::OvnController => {
                hv1.start_ovn_controller().expect("ovn-controller again");
                "ovn-controller (control run)"
            }
        };
        // A failed --wait=hv is reported after the comparison, which says more about why.
        let acked = central.nbctl(&["--timeout=30", "--wait=hv", "sync"]);
        let actual = dump(&hv1);
        assert!(
            hv1.agent_running(),
            "{who} died:\n{}",
            agent_log_tail(&hv1, 30)
        );

        let title = format!(
            "[{}] ovn-controller {} flows + {} groups vs {who} {} flows + {} groups",
            topo.name,
            reference.flows.len(),
            reference.groups.len(),
            actual.flows.len(),
            actual.groups.len()
        );
        save_dumps(topo.name, &reference, &actual);
        let loose = compare(
            &format!("{title} (cookies ignored)"),
            &reference,
            &actual,
            false,
        );
        let strict = compare(
            &format!("{title} (cookies kept)"),
            &reference,
            &actual,
            true,
        );
        assert_eq!(
            tlv_mappings(&reference.tlv).len(),
            1,
            "ovn-controller's Geneve TLV map: {}",
            reference.tlv
        );
        assert_eq!(
            tlv_mappings(&reference.tlv),
            tlv_mappings(&actual.tlv),
            "[{}] Geneve TLV map differs",
            topo.name
        );
        if let Err(e) = acked {
            panic!(
                "[{}] --wait=hv did not return with {who}: {e}\nagent log:\n{}",
                topo.name,
                agent_log_tail(&hv1, 15)
            );
        }
        assert!(
            loose.is_empty() && strict.is_empty(),
            "[{}] {who} programs br-int differently from ovn-controller: {} missing, {} extra \
             (cookies ignored: {} missing, {} extra); see the report above\n{}",
            topo.name,
            strict.missing.len(),
            strict.extra.len(),
            loose.missing.len(),
            loose.extra.len(),
            agent_log_tail(&hv1, 15),
        );
    }
    drop(central);
    assert_torn_down(&root, &id);
}

const SWITCH: Topology = Topology {
    name: "switch",
    prepare: no_prepare,
    build: switch,
};
const ROUTER: Topology = Topology {
    name: "router",
    prepare: no_prepare,
    build: router,
};
const ACLS: Topology = Topology {
    name: "acls",
    prepare: no_prepare,
    build: acls,
};
const LOAD_BALANCER: Topology = Topology {
    name: "load-balancer",
    prepare: no_prepare,
    build: load_balancer,
};
const GATEWAY: Topology = Topology {
    name: "gateway",
    prepare: provider_bridge,
    build: gateway,
};

#[test]
fn agent_equivalence_control_run_sees_no_difference() {
    // The harness itself: ovn-controller against ovn-controller on the richest topology.
    run(&ACLS, Second::OvnController);
}

#[test]
fn agent_equivalence_switch() {
    run(&SWITCH, Second::OvnAgent);
}

#[test]
fn agent_equivalence_router() {
    run(&ROUTER, Second::OvnAgent);
}

#[test]
fn agent_equivalence_acls() {
    run(&ACLS, Second::OvnAgent);
}

#[test]
fn agent_equivalence_load_balancer() {
    run(&LOAD_BALANCER, Second::OvnAgent);
}

#[test]
fn agent_equivalence_gateway_snat_localnet() {
    run(&GATEWAY, Second::OvnAgent);
}
