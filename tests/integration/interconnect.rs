//! Interconnection testbed: two availability zones with ovn-ic, one gateway chassis each,
//! running the real ovn-controller.

use std::time::Duration;

use testkit::{Chassis, Ic, wait_for};

use crate::support::assert_torn_down;

#[test]
fn gateways_of_two_zones_learn_each_other() {
    let ic = Ic::start().expect("IC databases");
    let root = ic.root().to_owned();
    let id = ic.id().to_owned();
    {
        let az1 = ic.start_az("az1").expect("az1");
        let az2 = ic.start_az("az2").expect("az2");
        assert_eq!(az1.az(), Some("az1"));
        let mut hv1 = Chassis::start(&az1, "hv1").expect("hv1");
        let mut hv2 = Chassis::start(&az2, "hv2").expect("hv2");
        assert_ne!(hv1.encap_ip(), hv2.encap_ip(), "zones share one underlay");
        for hv in [&mut hv1, &mut hv2] {
            hv.set_interconn(true).unwrap();
            hv.start_ovn_controller().expect("ovn-controller");
        }
        // ovn-ic registers each zone's gateway in the IC SB...
        let gateways = wait_for("both gateways in IC SB", Duration::from_secs(20), || {
            let out = ic
                .ic_sbctl(&["--bare", "--columns=name", "list", "Gateway"])
                .ok()?;
            (out.contains("hv1") && out.contains("hv2")).then_some(out)
        })
        .expect("gateways");
        assert_eq!(gateways.split_whitespace().count(), 2, "{gateways}");
        // ...and copies the other zone's gateway into the local SB as a remote chassis.
        let remote = wait_for(
            "hv2 as remote chassis in az1",
            Duration::from_secs(20),
            || {
                az1.sbctl(&[
                    "--bare",
                    "--columns=other_config",
                    "find",
                    "Chassis",
                    "name=hv2",
                ])
                .ok()
                .filter(|o| o.contains("is-remote=true"))
            },
        )
        .expect("remote chassis");
        assert!(remote.contains("is-remote=true"), "{remote}");
        // The gateway tunnels to the remote gateway's encap over the shared underlay.
        let tunnel = wait_for("hv1 tunnel to hv2", Duration::from_secs(20), || {
            hv1.vsctl(&[
                "--bare",
                "--columns=options",
                "find",
                "Interface",
                "type=geneve",
            ])
            .ok()
            .filter(|o| o.contains(&hv2.encap_ip().to_string()))
        })
        .expect("tunnel");
        assert!(tunnel.contains("remote_ip"), "{tunnel}");
    }
    drop(ic);
    assert_torn_down(&root, &id);
}

/// Both zones' networks with one pod each (`ls1`/`ls2`), and transit switch `ts1` created and
/// seen in both zones' NB.
fn zones_with_pods_and_ts1(ic: &Ic, zones: [(&testkit::Central, &testkit::Pod); 2], t: Duration) {
    for (i, (az, pod)) in zones.iter().enumerate() {
        let n = u8::try_from(i + 1).unwrap();
        zone_network(az, n);
        az.nbctl(&[
            "lsp-add",
            &format!("ls{n}"),
            pod.name(),
            "--",
            "lsp-set-addresses",
            pod.name(),
            &pod.lsp_addresses(),
        ])
        .unwrap();
    }
    ic.ic_nbctl(&["ts-add", "ts1"]).unwrap();
    for (az, _) in zones {
        wait_for("ts1 in the zone's NB", t, || {
            az.nbctl(&[
                "--bare",
                "--columns=name",
                "find",
                "Logical_Switch",
                "name=ts1",
            ])
            .ok()
            .filter(|o| o.trim() == "ts1")
        })
        .expect("transit switch");
    }
}

/// Per zone: a router `lr<n>` with a pod subnet `10.0.<n>.0/24` on switch `ls<n>`.
fn zone_network(az: &testkit::Central, n: u8) {
    let lr = format!("lr{n}");
    let ls = format!("ls{n}");
    let lrp = format!("{lr}-{ls}");
    let lsp = format!("{ls}-{lr}");
    let nb = |args: &[&str]| az.nbctl(args).unwrap_or_else(|e| panic!("{e}"));
    nb(&["ls-add", &ls]);
    nb(&["lr-add", &lr]);
    nb(&[
        "lrp-add",
        &lr,
        &lrp,
        &format!("00:00:00:0{n}:00:01"),
        &format!("10.0.{n}.1/24"),
    ]);
    nb(&["lsp-add", &ls, &lsp, "--", "lsp-set-type", &lsp, "router"]);
    nb(&[
        "lsp-set-addresses",
        &lsp,
        "router",
        "--",
        "lsp-set-options",
        &lsp,
        &format!("router-port={lrp}"),
    ]);
}

/// Connects `lr<n>` to transit switch ts1 with gateway chassis `gw`.
fn zone_transit(az: &testkit::Central, n: u8, gw: &str) {
    let lr = format!("lr{n}");
    let lrp = format!("{lr}-ts1");
    let lsp = format!("ts1-{lr}");
    let nb = |args: &[&str]| az.nbctl(args).unwrap_or_else(|e| panic!("{e}"));
    nb(&[
        "lrp-add",
        &lr,
        &lrp,
        &format!("aa:aa:aa:aa:aa:0{n}"),
        &format!("169.254.100.{n}/24"),
    ]);
    nb(&["lsp-add", "ts1", &lsp, "--", "lsp-set-type", &lsp, "router"]);
    nb(&[
        "lsp-set-addresses",
        &lsp,
        "router",
        "--",
        "lsp-set-options",
        &lsp,
        &format!("router-port={lrp}"),
    ]);
    nb(&["lrp-set-gateway-chassis", &lrp, gw, "1"]);
}

#[test]
fn pods_in_two_zones_ping_through_the_transit_switch() {
    cross_zone_ping(false);
}

/// The same with ovn-agent in place of ovn-controller on both gateways (issue 7): it publishes
/// `is-interconn`, tunnels to the remote zone's gateway and outputs `remote` ports through it.
#[test]
fn pods_in_two_zones_ping_with_ovn_agent() {
    cross_zone_ping(true);
}

fn cross_zone_ping(ovn_agent: bool) {
    let t = Duration::from_secs(30);
    let ic = Ic::start().expect("IC databases");
    let root = ic.root().to_owned();
    let id = ic.id().to_owned();
    {
        let az1 = ic.start_az("az1").expect("az1");
        let az2 = ic.start_az("az2").expect("az2");
        let mut hv1 = Chassis::start(&az1, "hv1").expect("hv1");
        let mut hv2 = Chassis::start(&az2, "hv2").expect("hv2");
        for hv in [&mut hv1, &mut hv2] {
            hv.set_interconn(true).unwrap();
            if ovn_agent {
                crate::support_agent::start_ovn_agent(hv);
            } else {
                hv.start_ovn_controller().expect("ovn-controller");
            }
        }
        let a1 = hv1
            .add_pod("a1", "00:00:00:01:00:11", "10.0.1.11/24", Some("10.0.1.1"))
            .unwrap();
        let b1 = hv2
            .add_pod("b1", "00:00:00:02:00:11", "10.0.2.11/24", Some("10.0.2.1"))
            .unwrap();
        zones_with_pods_and_ts1(&ic, [(&az1, &a1), (&az2, &b1)], t);
        // One zone after the other: concurrent transit ports race for tunnel keys (guide §6).
        zone_transit(&az1, 1, "hv1");
        wait_for("ts1-lr1 as a remote port in az2", t, || {
            az2.nbctl(&[
                "--bare",
                "--columns=type",
                "find",
                "Logical_Switch_Port",
                "name=ts1-lr1",
            ])
            .ok()
            .filter(|o| o.trim() == "remote")
        })
        .expect("remote port");
        zone_transit(&az2, 2, "hv2");
        for (az, lr, prefix) in [(&az1, "lr1", "10.0.2.0/24"), (&az2, "lr2", "10.0.1.0/24")] {
            wait_for(&format!("{lr} to learn {prefix}"), t, || {
                az.nbctl(&["lr-route-list", lr])
                    .ok()
                    .filter(|o| o.contains(prefix))
            })
            .expect("learned route");
            az.nbctl(&["--wait=hv", "sync"]).expect("--wait=hv");
        }
        assert!(hv1.warm_underlay(hv2.encap_ip()));
        assert!(hv2.warm_underlay(hv1.encap_ip()));
        assert!(
            a1.wait_ping(b1.ip(), t),
            "no cross-zone ping a1→b1; hv1:\n{}\nhv2:\n{}",
            hv1.agent_log_tail(20),
            hv2.agent_log_tail(20)
        );
        assert!(b1.ping(a1.ip(), 3), "b1→a1");
    }
    drop(ic);
    assert_torn_down(&root, &id);
}

/// Issue 7, the harder interconnection cases with ovn-agent on every chassis: a pod on a
/// chassis that is not its zone's gateway (its traffic reaches the gateway over the zone's own
/// tunnel, through the distributed gateway port), and both zones configuring their transit
/// ports at the same moment — the race that makes ovn-ic renumber a transit port's tunnel key
/// (testbed guide, trap 6), after which every flow using the key must follow.
#[test]
fn ovn_agent_zones_ping_from_a_non_gateway_chassis_after_a_transit_race() {
    let t = Duration::from_secs(40);
    let ic = Ic::start().expect("IC databases");
    let root = ic.root().to_owned();
    let id = ic.id().to_owned();
    {
        let az1 = ic.start_az("az1").expect("az1");
        let az2 = ic.start_az("az2").expect("az2");
        let mut hv1 = Chassis::start(&az1, "hv1").expect("hv1");
        let mut hv3 = Chassis::start(&az1, "hv3").expect("hv3");
        let mut hv2 = Chassis::start(&az2, "hv2").expect("hv2");
        hv1.set_interconn(true).unwrap();
        hv2.set_interconn(true).unwrap();
        for hv in [&mut hv1, &mut hv3, &mut hv2] {
            crate::support_agent::start_ovn_agent(hv);
        }
        // a1 lives on hv3, which is not az1's gateway.
        let a1 = hv3
            .add_pod("a1", "00:00:00:01:00:11", "10.0.1.11/24", Some("10.0.1.1"))
            .unwrap();
        let b1 = hv2
            .add_pod("b1", "00:00:00:02:00:11", "10.0.2.11/24", Some("10.0.2.1"))
            .unwrap();
        zones_with_pods_and_ts1(&ic, [(&az1, &a1), (&az2, &b1)], t);
        // Both zones at once.
        std::thread::scope(|s| {
            s.spawn(|| zone_transit(&az1, 1, "hv1"));
            s.spawn(|| zone_transit(&az2, 2, "hv2"));
        });
        for (az, lr, prefix) in [(&az1, "lr1", "10.0.2.0/24"), (&az2, "lr2", "10.0.1.0/24")] {
            wait_for(&format!("{lr} to learn {prefix}"), t, || {
                az.nbctl(&["lr-route-list", lr])
                    .ok()
                    .filter(|o| o.contains(prefix))
            })
            .expect("learned route");
            az.nbctl(&["--wait=hv", "sync"]).expect("--wait=hv");
        }
        for (a, b) in [(&hv1, &hv2), (&hv2, &hv1), (&hv3, &hv1), (&hv1, &hv3)] {
            assert!(a.warm_underlay(b.encap_ip()));
        }
        assert!(
            a1.wait_ping(b1.ip(), t),
            "no cross-zone ping a1 (non-gateway hv3) → b1; hv1:\n{}\nhv3:\n{}\nhv2:\n{}",
            hv1.agent_log_tail(15),
            hv3.agent_log_tail(15),
            hv2.agent_log_tail(15)
        );
        assert!(b1.ping(a1.ip(), 3), "b1 → a1");
    }
    drop(ic);
    assert_torn_down(&root, &id);
}
