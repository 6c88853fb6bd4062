//! ovn-agent in place of ovn-controller on one chassis (issue 6 "Done when"): traffic between
//! pods (switching, routing, ACLs, conntrack, load balancing), status reporting, restarts of
//! ovs-vswitchd and of the agent, and a malformed logical flow.
//!
//! `OVN_AGENT_UNDER_TEST=ovn-controller` runs them all with the real ovn-controller: they pass
//! there, which is what shows that a failure with ovn-agent is the agent's.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use testkit::{Central, Chassis, Pod};

use crate::support::assert_torn_down;
use crate::support_agent::{
    FlowDiff, Normalize, agent_log, agent_log_tail, connect, dump_flows, listen, normalize,
    ovn_installed, ping_counts, port_up, reference_mode, start_ovn_agent, tcp_transfer,
    wait_blocked, wait_flows_settled, wait_hv,
};

const PING_WAIT: Duration = Duration::from_secs(10);

fn nb(central: &Central, args: &[&str]) {
    central
        .nbctl(args)
        .unwrap_or_else(|e| panic!("ovn-nbctl {args:?}: {e}"));
}

fn add_lsp(central: &Central, ls: &str, pod: &Pod) {
    nb(
        central,
        &[
            "lsp-add",
            ls,
            pod.name(),
            "--",
            "lsp-set-addresses",
            pod.name(),
            &pod.lsp_addresses(),
        ],
    );
}

/// A testbed: central, one chassis running ovn-agent, pods `p1..pN` on `ls1` (10.0.1.1N/24).
fn one_switch(central: &Central, pods: u8) -> (Chassis, Vec<Pod>) {
    let mut hv1 = Chassis::start(central, "hv1").expect("hv1");
    start_ovn_agent(&mut hv1);
    nb(central, &["ls-add", "ls1"]);
    let pods: Vec<Pod> = (1..=pods)
        .map(|n| {
            let p = hv1
                .add_pod(
                    &format!("p{n}"),
                    &format!("00:00:00:00:01:{n:02x}"),
                    &format!("10.0.1.1{n}/24"),
                    None,
                )
                .expect("pod");
            add_lsp(central, "ls1", &p);
            p
        })
        .collect();
    wait_hv(central, &hv1, 30);
    (hv1, pods)
}

/// A testbed: one chassis running ovn-agent, router `lr1` with `10.0.N.1/24` on each switch
/// `lsN` of `switches` (name, pod count); pods `p1..` numbered across switches, addresses
/// `10.0.N.1K/24` with the router as gateway.
fn routed(central: &Central, switches: &[(&str, u8)]) -> (Chassis, Vec<Pod>) {
    let mut hv1 = Chassis::start(central, "hv1").expect("hv1");
    start_ovn_agent(&mut hv1);
    nb(central, &["lr-add", "lr1"]);
    let mut pods = Vec::new();
    let mut k = 0u8;
    for (n, (ls, count)) in switches.iter().enumerate() {
        let net = n + 1;
        nb(central, &["ls-add", ls]);
        let lrp = format!("lr1-{ls}");
        let lsp = format!("{ls}-lr1");
        nb(
            central,
            &[
                "lrp-add",
                "lr1",
                &lrp,
                &format!("00:00:00:00:ff:{net:02x}"),
                &format!("10.0.{net}.1/24"),
            ],
        );
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
        for _ in 0..*count {
            k += 1;
            let p = hv1
                .add_pod(
                    &format!("p{k}"),
                    &format!("00:00:00:00:{net:02x}:{k:02x}"),
                    &format!("10.0.{net}.1{k}/24"),
                    Some(&format!("10.0.{net}.1")),
                )
                .expect("pod");
            add_lsp(central, ls, &p);
            pods.push(p);
        }
    }
    wait_hv(central, &hv1, 30);
    (hv1, pods)
}

fn must_ping(hv: &Chassis, from: &Pod, to: &str) {
    assert!(
        from.wait_ping(to, PING_WAIT),
        "no ping {} → {to}; {} flows in br-int; agent log:\n{}",
        from.name(),
        dump_flows(hv).len(),
        agent_log_tail(hv, 30)
    );
}

/// Runs `f` with a fresh central; checks that teardown leaves nothing behind.
fn with_central(f: impl FnOnce(&Central)) {
    let central = Central::start().expect("central");
    let root = central.root().to_owned();
    let id = central.id().to_owned();
    f(&central);
    drop(central);
    assert_torn_down(&root, &id);
}

#[test]
fn agent_switch_pods_ping_tcp_and_report_up() {
    with_central(|central| {
        let (hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        // The drop-in control socket answers as ovn-controller's does.
        let version = hv1.ovn_appctl(&["version"]).expect("ovn-appctl version");
        assert!(!version.trim().is_empty(), "empty version");
        for p in [p1, p2] {
            assert!(
                testkit::wait_until(Duration::from_secs(10), || port_up(central, p.name())),
                "Port_Binding {} not up",
                p.name()
            );
            assert!(
                testkit::wait_until(Duration::from_secs(10), || ovn_installed(&hv1, &p.port())),
                "Interface {} has no ovn-installed",
                p.port()
            );
        }
        let chassis = central
            .sbctl(&[
                "--bare",
                "--columns=chassis",
                "find",
                "Port_Binding",
                "logical_port=p1",
            ])
            .unwrap();
        assert!(!chassis.trim().is_empty(), "p1 not claimed");
        must_ping(&hv1, p1, p2.ip());
        assert!(p2.ping(p1.ip(), 3), "ping p2 → p1");
        tcp_transfer(p2, p1, p2.ip(), 5001, 256 * 1024);
        // The debug tool annotates each flow with the Southbound row it came from.
        if !reference_mode() {
            let bin = crate::support_agent::agent_binary();
            let mgmt = format!("unix:{}/br-int.mgmt", hv1.dir().display());
            let db = format!("--db=unix:{}/db.sock", hv1.dir().display());
            let out = hv1
                .exec(&[
                    bin.to_str().unwrap(),
                    "ofctl",
                    "dump-flows",
                    &mgmt,
                    "--annotate",
                    &db,
                ])
                .expect("ovn-agent ofctl dump-flows --annotate");
            assert!(
                out.contains("# lflow "),
                "no logical flow annotation:\n{out}"
            );
            assert!(
                out.contains("# port_binding ") && out.contains("p1 (vif)"),
                "no port binding annotation:\n{out}"
            );
        }
        // --wait=hv keeps working on later changes.
        nb(central, &["ls-add", "ls-later"]);
        wait_hv(central, &hv1, 20);
    });
}

#[test]
fn agent_router_routes_between_subnets() {
    with_central(|central| {
        let (hv1, pods) = routed(central, &[("ls1", 1), ("ls2", 1)]);
        let (p1, p2) = (&pods[0], &pods[1]);
        must_ping(&hv1, p1, "10.0.1.1");
        must_ping(&hv1, p1, p2.ip());
        // The router decremented the TTL: one hop.
        let out = p1
            .exec(&["ping", "-n", "-c", "1", "-W", "1", p2.ip()])
            .unwrap();
        assert!(out.contains("ttl=63"), "not routed (TTL): {out}");
        tcp_transfer(p2, p1, p2.ip(), 5002, 64 * 1024);
    });
}

#[test]
fn agent_acl_drop_blocks_only_what_it_names() {
    with_central(|central| {
        let (hv1, pods) = one_switch(central, 3);
        let (p1, p2, p3) = (&pods[0], &pods[1], &pods[2]);
        must_ping(&hv1, p3, p1.ip());
        nb(
            central,
            &[
                "acl-add",
                "ls1",
                "to-lport",
                "1001",
                "outport == \"p1\" && ip4.src == 10.0.1.13 && icmp4",
                "drop",
            ],
        );
        wait_hv(central, &hv1, 20);
        assert!(
            wait_blocked(p3, p1.ip(), Duration::from_secs(10)),
            "ACL drop p3 → p1 (icmp) not enforced; agent log:\n{}",
            agent_log_tail(&hv1, 20)
        );
        // Everything the ACL does not name still passes.
        assert!(p2.ping(p1.ip(), 3), "p2 → p1 blocked by an ACL naming p3");
        assert!(p3.ping(p2.ip(), 3), "p3 → p2 blocked by an ACL naming p1");
        tcp_transfer(p1, p3, p1.ip(), 5003, 16 * 1024);
        // Removing it restores the ping.
        nb(central, &["acl-del", "ls1"]);
        wait_hv(central, &hv1, 20);
        must_ping(&hv1, p3, p1.ip());
    });
}

#[test]
fn agent_allow_related_through_conntrack() {
    with_central(|central| {
        let (hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        // p1 in a port group that drops every new inbound IPv4 connection but may open any
        // outbound one: replies reach p1 only as conntrack-established traffic.
        nb(central, &["pg-add", "pg1", "p1"]);
        nb(
            central,
            &[
                "acl-add",
                "pg1",
                "to-lport",
                "1000",
                "outport == @pg1 && ip4",
                "drop",
            ],
        );
        nb(
            central,
            &[
                "acl-add",
                "pg1",
                "from-lport",
                "1001",
                "inport == @pg1 && ip4",
                "allow-related",
            ],
        );
        wait_hv(central, &hv1, 20);
        assert!(
            wait_blocked(p2, p1.ip(), Duration::from_secs(10)),
            "new connection p2 → p1 not dropped; agent log:\n{}",
            agent_log_tail(&hv1, 20)
        );
        must_ping(&hv1, p1, p2.ip());
        assert!(p1.ping(p2.ip(), 3), "replies to p1 lost");
        // TCP opened by p1: the SYN-ACK and the data ACKs come back only through conntrack.
        tcp_transfer(p2, p1, p2.ip(), 5004, 64 * 1024);
        // And TCP opened towards p1 is refused.
        let _l = listen(p1, 5005);
        assert!(
            connect(p2, p1.ip(), 5005).is_err(),
            "TCP p2 → p1 connected through a drop ACL"
        );
    });
}

#[test]
fn agent_load_balancer_vip_reaches_backends() {
    with_central(|central| {
        // Client p1 on ls1, backends p2/p3 on ls2 behind router lr1; the VIP is in neither
        // subnet, so the client sends to its gateway MAC and ls1's load balancer DNATs.
        let (hv1, pods) = routed(central, &[("ls1", 1), ("ls2", 2)]);
        let (p1, p2, p3) = (&pods[0], &pods[1], &pods[2]);
        nb(
            central,
            &[
                "lb-add",
                "lb1",
                "10.0.0.100:80",
                "10.0.2.12:8080,10.0.2.13:8080",
                "tcp",
            ],
        );
        nb(central, &["ls-lb-add", "ls1", "lb1"]);
        wait_hv(central, &hv1, 20);
        must_ping(&hv1, p1, p2.ip());
        let backends = [(p2, listen(p2, 8080)), (p3, listen(p3, 8080))];
        for (_, l) in &backends {
            l.set_nonblocking(true).unwrap();
        }
        let mut hits: BTreeSet<String> = BTreeSet::new();
        let mut attempts = 0;
        while hits.len() < 2 && attempts < 24 {
            attempts += 1;
            let conn = connect(p1, "10.0.0.100", 80);
            let conn = conn.unwrap_or_else(|e| {
                panic!(
                    "connect to VIP 10.0.0.100:80 (attempt {attempts}): {e}; hits {hits:?}; \
                     agent log:\n{}",
                    agent_log_tail(&hv1, 20)
                )
            });
            drop(conn);
            let t0 = Instant::now();
            let mut got = false;
            while !got && t0.elapsed() < Duration::from_secs(2) {
                for (pod, l) in &backends {
                    if let Ok((c, _)) = l.accept() {
                        hits.insert(pod.name().to_owned());
                        drop(c);
                        got = true;
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(got, "a VIP connection reached no backend listener");
        }
        assert_eq!(
            hits.len(),
            2,
            "after {attempts} connections only {hits:?} were reached"
        );
    });
}

#[test]
fn agent_restores_flows_after_vswitchd_restart() {
    with_central(|central| {
        let (mut hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        let before = wait_flows_settled(&hv1, Duration::from_secs(1), Duration::from_secs(10));
        let sb_before = central.sbctl(&["list", "Port_Binding"]).unwrap();
        hv1.restart_vswitchd().expect("restart vswitchd");
        // No DB change: the agent alone notices the new switch and reprograms it.
        assert!(
            testkit::wait_until(Duration::from_secs(15), || dump_flows(&hv1).len()
                >= before.len()),
            "br-int not reprogrammed: {} of {} flows; agent log:\n{}",
            dump_flows(&hv1).len(),
            before.len(),
            agent_log_tail(&hv1, 20)
        );
        let after = wait_flows_settled(&hv1, Duration::from_secs(1), Duration::from_secs(10));
        let how = Normalize { cookies: true };
        let d = FlowDiff::of(&normalize(&before, how), &normalize(&after, how));
        assert!(d.is_empty(), "{}", d.report("after vswitchd restart", 20));
        must_ping(&hv1, p1, p2.ip());
        let sb_after = central.sbctl(&["list", "Port_Binding"]).unwrap();
        assert_eq!(
            sb_before, sb_after,
            "the SB changed across a vswitchd restart"
        );
    });
}

#[test]
fn agent_restart_keeps_flows_and_loses_no_packet() {
    with_central(|central| {
        let (mut hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        let before = wait_flows_settled(&hv1, Duration::from_secs(1), Duration::from_secs(10));
        let restart = |hv1: &mut Chassis| {
            let pid_before = hv1.agent_pid();
            hv1.stop_agent();
            // Upstream leaves its flows on exit; the datapath keeps forwarding.
            let left = dump_flows(hv1);
            assert_eq!(
                left.len(),
                before.len(),
                "flows changed when the agent stopped"
            );
            start_ovn_agent(hv1);
            wait_hv(central, hv1, 20);
            assert_ne!(pid_before, hv1.agent_pid(), "the agent was not restarted");
        };
        // 1. The same flows come back, once each.
        restart(&mut hv1);
        let after = wait_flows_settled(&hv1, Duration::from_secs(1), Duration::from_secs(10));
        let unique: BTreeSet<&String> = after.iter().collect();
        assert_eq!(unique.len(), after.len(), "duplicate flows after restart");
        let how = Normalize { cookies: true };
        let d = FlowDiff::of(&normalize(&before, how), &normalize(&after, how));
        assert!(d.is_empty(), "{}", d.report("after agent restart", 20));
        // 2. A ping running across a restart loses nothing.
        must_ping(&hv1, p1, p2.ip());
        std::thread::scope(|s| {
            // 300 pings 20 ms apart (6 s) across stop + start + resync.
            let pinger = s.spawn(|| ping_counts(p1, p2.ip(), 300, 20));
            std::thread::sleep(Duration::from_millis(500));
            restart(&mut hv1);
            let (tx, rx) = pinger.join().unwrap();
            assert!(tx >= 290, "ping sent only {tx}");
            if reference_mode() {
                // ovn-controller 23.03 clears br-int on connect and then installs the flows
                // (not atomically; hence its ovn-ofctrl-wait-before-clear): a packet or two may
                // go. ovn-agent installs delete-all + flows in one bundle and must lose none.
                assert!(rx * 100 >= tx * 95, "{} of {tx} pings lost", tx - rx);
            } else {
                assert_eq!(
                    tx,
                    rx,
                    "{} of {tx} pings lost across the agent restart",
                    tx - rx
                );
            }
        });
    });
}

#[test]
fn agent_reports_a_malformed_logical_flow_and_installs_the_rest() {
    with_central(|central| {
        let (hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        let before = wait_flows_settled(&hv1, Duration::from_secs(1), Duration::from_secs(10));
        // northd would delete rows it did not write; keep it out of the way.
        central.northd_appctl(&["pause"]).expect("pause northd");
        let dp = central
            .sbctl(&[
                "--bare",
                "--columns=_uuid",
                "find",
                "Datapath_Binding",
                "external_ids:name=ls1",
            ])
            .unwrap()
            .trim()
            .to_owned();
        assert!(!dp.is_empty(), "no datapath for ls1");
        let create = |table: &str, prio: &str, m: &str, a: &str| {
            central
                .sbctl(&[
                    "create",
                    "Logical_Flow",
                    &format!("logical_datapath={dp}"),
                    "pipeline=ingress",
                    &format!("table_id={table}"),
                    &format!("priority={prio}"),
                    &format!("match=\"{}\"", m.replace('"', "\\\"")),
                    &format!("actions=\"{}\"", a.replace('"', "\\\"")),
                ])
                .unwrap_or_else(|e| panic!("create Logical_Flow {m:?} / {a:?}: {e}"))
                .trim()
                .to_owned()
        };
        let bad_match_text = "ip4.dst == 10.0.1.999 && nonsense.field";
        let bad_action_text = "frobnicate(42);";
        let bad_match = create("0", "90", bad_match_text, "next;");
        let bad_action = create("0", "91", "eth.src == 00:00:00:00:99:01", bad_action_text);
        let good = create("0", "92", "eth.src == 00:00:00:00:99:02", "drop;");
        let good_cookie = format!("cookie=0x{}", good[..8].trim_start_matches('0'));
        let log = agent_log(&hv1);
        // ovn-agent must name the row; the reference ovn-controller only quotes the text.
        let logged = |uuid: &str, text: &str| {
            let needle = if reference_mode() { text } else { uuid };
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .any(|l| l.contains(needle))
        };
        assert!(
            testkit::wait_until(Duration::from_secs(10), || logged(
                &bad_match,
                bad_match_text
            ) && logged(
                &bad_action,
                bad_action_text
            )),
            "bad logical flows {bad_match} (match) / {bad_action} (action) not logged with their \
             uuid; agent log:\n{}",
            agent_log_tail(&hv1, 30)
        );
        assert!(
            testkit::wait_until(Duration::from_secs(10), || dump_flows(&hv1)
                .iter()
                .any(|f| f.starts_with(&good_cookie) && f.contains("00:00:00:00:99:02"))),
            "the valid flow added with the bad ones ({good}) is not installed"
        );
        let after = wait_flows_settled(&hv1, Duration::from_secs(1), Duration::from_secs(10));
        let missing: Vec<&String> = before.iter().filter(|f| !after.contains(f)).collect();
        assert!(
            missing.is_empty(),
            "{} flows lost next to the bad ones, e.g. {:?}",
            missing.len(),
            missing.first()
        );
        assert!(hv1.ovn_appctl(&["version"]).is_ok(), "agent unresponsive");
        must_ping(&hv1, p1, p2.ip());
        central.northd_appctl(&["resume"]).expect("resume northd");
    });
}

/// Issue 7: renumbering a patch port's tunnel key (`requested-tnl-key`, as ovn-ic does when
/// two zones race) must update every flow that uses the key, on both sides of the patch.
/// ovn-controller 23.03 keeps the old key in the peer's table-65 flow, so an ACL on
/// `inport == "ls2-lr1"` stops matching; with ovn-agent it keeps working.
#[test]
fn agent_patch_port_renumbering_keeps_traffic_and_acls() {
    with_central(|central| {
        let (hv1, pods) = routed(central, &[("ls1", 1), ("ls2", 1)]);
        let (p1, p2) = (&pods[0], &pods[1]);
        // Echo requests entering ls2 from the router are dropped; replies are not.
        nb(
            central,
            &[
                "acl-add",
                "ls2",
                "from-lport",
                "1001",
                r#"inport == "ls2-lr1" && icmp4.type == 8"#,
                "drop",
            ],
        );
        wait_hv(central, &hv1, 20);
        must_ping(&hv1, p2, p1.ip());
        assert!(
            wait_blocked(p1, p2.ip(), PING_WAIT),
            "ACL does not block p1 → p2"
        );

        nb(
            central,
            &[
                "set",
                "Logical_Switch_Port",
                "ls2-lr1",
                "options:requested-tnl-key=77",
            ],
        );
        assert!(
            testkit::wait_until(Duration::from_secs(20), || {
                central
                    .sbctl(&[
                        "--bare",
                        "--columns=tunnel_key",
                        "find",
                        "Port_Binding",
                        "logical_port=ls2-lr1",
                    ])
                    .is_ok_and(|k| k.trim() == "77")
            }),
            "northd did not renumber ls2-lr1"
        );
        wait_hv(central, &hv1, 20);
        // The peer's patch flow now enters ls2 with the new key ...
        let flows = dump_flows(&hv1);
        assert!(
            flows
                .iter()
                .any(|f| f.contains("table=65") && f.contains("set_field:0x4d->reg14")),
            "no table-65 flow loads the new key 0x4d:\n{}",
            flows
                .iter()
                .filter(|f| f.contains("table=65"))
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        // ... so traffic still flows and the ACL on that port still holds.
        must_ping(&hv1, p2, p1.ip());
        assert!(
            wait_blocked(p1, p2.ip(), PING_WAIT),
            "ACL on the renumbered port stopped matching"
        );
    });
}

/// Meters: a QoS rate limit compiles to `set_meter`, whose meter must be installed (meters go
/// outside the bundle) for the flow using it to be accepted; traffic still flows.
#[test]
fn agent_installs_meters_for_qos_rate_limits() {
    with_central(|central| {
        let (hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        nb(
            central,
            &[
                "qos-add",
                "ls1",
                "from-lport",
                "100",
                r#"inport == "p1""#,
                "rate=10000",
                "burst=1000",
            ],
        );
        wait_hv(central, &hv1, 20);
        let mgmt = format!("unix:{}/br-int.mgmt", hv1.dir().display());
        let meters = hv1
            .exec(&["ovs-ofctl", "-O", "OpenFlow15", "dump-meters", &mgmt])
            .unwrap();
        assert!(
            meters.contains("meter=") && meters.contains("rate=10000"),
            "no QoS meter:\n{meters}"
        );
        let flows = dump_flows(&hv1);
        assert!(
            flows.iter().any(|f| f.contains("meter:")),
            "no flow uses the meter"
        );
        must_ping(&hv1, p1, p2.ip());
    });
}

/// Incremental processing: changing an address set's members updates the flows of the ACL
/// that names it, without a full recompute of the logical flows (none is logged).
#[test]
fn agent_address_set_change_is_incremental() {
    with_central(|central| {
        let (hv1, pods) = one_switch(central, 2);
        let (p1, p2) = (&pods[0], &pods[1]);
        nb(
            central,
            &["create", "Address_Set", "name=blocked", "addresses=[]"],
        );
        nb(
            central,
            &[
                "acl-add",
                "ls1",
                "to-lport",
                "1001",
                "ip4.src == $blocked && icmp4",
                "drop",
            ],
        );
        wait_hv(central, &hv1, 20);
        must_ping(&hv1, p1, p2.ip());
        let full_recomputes = || {
            std::fs::read_to_string(crate::support_agent::agent_log(&hv1))
                .unwrap_or_default()
                .matches("logical flows recompiled")
                .count()
        };
        let before = full_recomputes();
        nb(
            central,
            &[
                "set",
                "Address_Set",
                "blocked",
                &format!("addresses=\"{}\"", p1.ip()),
            ],
        );
        wait_hv(central, &hv1, 20);
        assert!(
            wait_blocked(p1, p2.ip(), PING_WAIT),
            "p1 not blocked after joining the address set"
        );
        nb(central, &["clear", "Address_Set", "blocked", "addresses"]);
        wait_hv(central, &hv1, 20);
        must_ping(&hv1, p1, p2.ip());
        if !reference_mode() {
            assert_eq!(
                full_recomputes(),
                before,
                "an address set change recompiled every logical flow"
            );
        }
    });
}
