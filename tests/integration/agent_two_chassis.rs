//! ovn-agent across chassis (issue 7): pods on two chassis talk over Geneve, and a chassis
//! running ovn-agent interoperates with one running the real ovn-controller.

use std::time::Duration;

use testkit::{Central, Chassis, Pod};

use crate::support::assert_torn_down;
use crate::support_agent::{agent_log_tail, dump_flows, start_ovn_agent, tcp_transfer, wait_hv};

fn two_chassis_switch(central: &Central, hv1: &Chassis, hv2: &Chassis) -> (Pod, Pod) {
    let p1 = hv1
        .add_pod("p1", "00:00:00:00:01:01", "10.0.1.11/24", None)
        .unwrap();
    let p2 = hv2
        .add_pod("p2", "00:00:00:00:01:02", "10.0.1.12/24", None)
        .unwrap();
    central.nbctl(&["ls-add", "ls1"]).unwrap();
    for p in [&p1, &p2] {
        central
            .nbctl(&[
                "lsp-add",
                "ls1",
                p.name(),
                "--",
                "lsp-set-addresses",
                p.name(),
                &p.lsp_addresses(),
            ])
            .unwrap();
    }
    (p1, p2)
}

fn logs(hv1: &Chassis, hv2: &Chassis) -> String {
    format!(
        "hv1 ({} flows):\n{}\nhv2 ({} flows):\n{}",
        dump_flows(hv1).len(),
        agent_log_tail(hv1, 20),
        dump_flows(hv2).len(),
        agent_log_tail(hv2, 20)
    )
}

/// Starts hv1 and hv2 (hv1 with the real ovn-controller if `mixed`), a pod on each on one
/// switch, and checks ping both ways, TCP, and Geneve on the wire.
fn run(mixed: bool) {
    let central = Central::start().expect("central");
    let root = central.root().to_owned();
    let id = central.id().to_owned();
    {
        let mut hv1 = Chassis::start(&central, "hv1").expect("hv1");
        let mut hv2 = Chassis::start(&central, "hv2").expect("hv2");
        if mixed {
            hv1.start_ovn_controller().expect("ovn-controller on hv1");
        } else {
            start_ovn_agent(&mut hv1);
        }
        start_ovn_agent(&mut hv2);
        let (p1, p2) = two_chassis_switch(&central, &hv1, &hv2);
        let capture = hv2.capture_underlay("udp port 6081").expect("tcpdump");
        wait_hv(&central, &hv2, 30);
        // Both chassis created a Geneve port towards the other's encap.
        for (hv, peer) in [(&hv1, &hv2), (&hv2, &hv1)] {
            let ok = testkit::wait_until(Duration::from_secs(10), || {
                hv.vsctl(&[
                    "--bare",
                    "--columns=options",
                    "find",
                    "Interface",
                    "type=geneve",
                ])
                .is_ok_and(|o| o.contains(&peer.encap_ip().to_string()))
            });
            assert!(ok, "{} has no tunnel to {}", hv.name(), peer.name());
        }
        assert!(hv1.warm_underlay(hv2.encap_ip()), "underlay hv1 → hv2");
        assert!(hv2.warm_underlay(hv1.encap_ip()), "underlay hv2 → hv1");
        assert!(
            p2.wait_ping(p1.ip(), Duration::from_secs(15)),
            "no ping p2@hv2 → p1@hv1 over Geneve\n{}",
            logs(&hv1, &hv2)
        );
        assert!(p1.ping(p2.ip(), 3), "ping p1 → p2\n{}", logs(&hv1, &hv2));
        tcp_transfer(&p1, &p2, p1.ip(), 5001, 256 * 1024);
        tcp_transfer(&p2, &p1, p2.ip(), 5002, 64 * 1024);
        let wire = capture.stop().expect("decode capture");
        let to_hv1 = format!("{}.6081", hv1.encap_ip());
        let to_hv2 = format!("{}.6081", hv2.encap_ip());
        assert!(
            wire.contains("Geneve")
                && wire.contains(&to_hv1)
                && wire.contains(&to_hv2)
                && wire.contains("ICMP echo request"),
            "no Geneve (UDP 6081) ping in both directions on hv2's link:\n{wire}"
        );
        // An ACL holds across chassis: p2's echo requests to p1 are dropped (on whichever
        // chassis the stage runs), p1's still get answers.
        central
            .nbctl(&[
                "--wait=hv",
                "acl-add",
                "ls1",
                "to-lport",
                "1001",
                &format!("ip4.src == {} && icmp4.type == 8", p2.ip()),
                "drop",
            ])
            .expect("acl-add");
        assert!(
            crate::support_agent::wait_blocked(&p2, p1.ip(), Duration::from_secs(10)),
            "ACL does not block p2@hv2 → p1@hv1\n{}",
            logs(&hv1, &hv2)
        );
        assert!(p1.ping(p2.ip(), 3), "the ACL also blocks p1 → p2");
        assert!(hv1.agent_running() && hv2.agent_running(), "an agent died");
    }
    drop(central);
    assert_torn_down(&root, &id);
}

#[test]
fn agent_pods_on_two_chassis_talk_over_geneve() {
    run(false);
}

#[test]
fn agent_interoperates_with_real_ovn_controller() {
    run(true);
}

/// Issue 7: a chassis removed from the Southbound loses its tunnel port on the others; added
/// back, it gets it again. Ports that are not tunnels are never touched.
#[test]
fn agent_removes_and_recreates_tunnels_with_chassis() {
    let central = Central::start().expect("central");
    let root = central.root().to_owned();
    let id = central.id().to_owned();
    {
        let mut hv1 = Chassis::start(&central, "hv1").expect("hv1");
        let mut hv2 = Chassis::start(&central, "hv2").expect("hv2");
        start_ovn_agent(&mut hv1);
        start_ovn_agent(&mut hv2);
        let tunnels = |hv: &Chassis| -> Vec<String> {
            hv.vsctl(&[
                "--bare",
                "--columns=name",
                "find",
                "Interface",
                "type=geneve",
            ])
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
        };
        let t = std::time::Duration::from_secs(15);
        assert!(
            testkit::wait_until(t, || tunnels(&hv1).len() == 1),
            "no tunnel hv1 → hv2"
        );
        let ports_before = hv1.vsctl(&["list-ports", "br-int"]).unwrap();

        // hv2's agent stops (leaving its rows, as ovn-controller does), then hv2 is deleted.
        hv2.stop_agent();
        central.sbctl(&["chassis-del", "hv2"]).expect("chassis-del");
        assert!(
            testkit::wait_until(t, || tunnels(&hv1).is_empty()),
            "tunnel to a deleted chassis not removed: {:?}\n{}",
            tunnels(&hv1),
            agent_log_tail(&hv1, 20)
        );
        let ports_after = hv1.vsctl(&["list-ports", "br-int"]).unwrap();
        assert_eq!(
            ports_after.lines().count() + 1,
            ports_before.lines().count(),
            "only the tunnel port may go: before {ports_before:?} after {ports_after:?}"
        );

        // hv2 comes back: it registers again and hv1 tunnels to it again.
        start_ovn_agent(&mut hv2);
        assert!(
            testkit::wait_until(t, || tunnels(&hv1).len() == 1),
            "tunnel to a re-added chassis not recreated\n{}",
            agent_log_tail(&hv1, 20)
        );
    }
    drop(central);
    assert_torn_down(&root, &id);
}
