//! Issue 8 through the agent: the `ovn-agent-cni` shim, executed as a container runtime does
//! (CNI environment + stdin config), asks the CNI server inside a running `ovn-agent` for two
//! pods; the agent creates their veths, plugs them into br-int, installs their flows, and the
//! pods get the addresses OVN has for them and ping each other.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use testkit::{Central, Chassis, Netns};

use crate::support::assert_torn_down;
use crate::support_agent::{reference_mode, start_ovn_agent, wait_hv};

/// The shim next to the agent binary (`cargo build -p cni --bin ovn-agent-cni`).
fn shim_binary() -> PathBuf {
    let agent = crate::support_agent::agent_binary();
    let shim = agent.with_file_name("ovn-agent-cni");
    assert!(
        shim.is_file(),
        "{} missing: build it with `cargo build -p cni --bin ovn-agent-cni`",
        shim.display()
    );
    shim
}

fn shim(env: &[(&str, &str)], conf: &Value) -> (i32, Value) {
    let mut child = Command::new(shim_binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shim");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(conf.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    // A successful DEL prints nothing (CNI spec).
    if out.stdout.is_empty() {
        return (out.status.code().unwrap_or(-1), Value::Null);
    }
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "shim stdout is not JSON ({e}): {:?}; stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// Switch `ls1` (10.0.1.0/24) behind router `lr1`: the router port gives pods their prefix and
/// gateway.
fn ls1_behind_router(central: &Central) {
    central
        .nbctl(&[
            "ls-add",
            "ls1",
            "--",
            "lr-add",
            "lr1",
            "--",
            "lrp-add",
            "lr1",
            "lr1-ls1",
            "00:00:00:00:ff:01",
            "10.0.1.1/24",
            "--",
            "lsp-add",
            "ls1",
            "ls1-lr1",
            "--",
            "lsp-set-type",
            "ls1-lr1",
            "router",
            "--",
            "lsp-set-addresses",
            "ls1-lr1",
            "router",
            "--",
            "lsp-set-options",
            "ls1-lr1",
            "router-port=lr1-ls1",
        ])
        .unwrap();
}

#[test]
fn agent_serves_cni_add_del_for_pods_that_then_ping() {
    if reference_mode() {
        // The real ovn-controller has no CNI server.
        return;
    }
    let central = Central::start().expect("central");
    let root = central.root().to_owned();
    let id = central.id().to_owned();
    {
        let mut hv1 = Chassis::start(&central, "hv1").expect("hv1");
        // The CNI server reads OVN's IPAM results (`dynamic` addresses) from the Northbound.
        hv1.vsctl(&[
            "set",
            "Open_vSwitch",
            ".",
            &format!("external_ids:ovn-cni-nb-remote={}", central.nb_remote()),
        ])
        .unwrap();
        start_ovn_agent(&mut hv1);
        // The pods' prefix and gateway come from the router port on their switch.
        ls1_behind_router(&central);
        // pod1 has a static address; pod2 gets one from OVN's IPAM (ls1 other_config:subnet).
        central
            .nbctl(&[
                "set",
                "Logical_Switch",
                "ls1",
                "other_config:subnet=10.0.1.0/24",
            ])
            .unwrap();
        central
            .nbctl(&[
                "lsp-add",
                "ls1",
                "default_pod1",
                "--",
                "lsp-set-addresses",
                "default_pod1",
                "0a:00:00:00:01:11 10.0.1.11",
            ])
            .unwrap();
        central
            .nbctl(&[
                "lsp-add",
                "ls1",
                "default_pod2",
                "--",
                "lsp-set-addresses",
                "default_pod2",
                "dynamic",
            ])
            .unwrap();
        wait_hv(&central, &hv1, 20);

        let socket = hv1.dir().join("ovn-agent-cni.sock");
        assert!(
            testkit::wait_until(Duration::from_secs(10), || socket.exists()),
            "the agent's CNI socket {} did not appear",
            socket.display()
        );
        let conf = json!({"cniVersion": "1.0.0", "name": "ovn-agent", "type": "ovn-agent-cni",
                          "socket": socket.to_str().unwrap(), "mtu": 1400});
        let nss: Vec<Netns> = ["c1", "c2"]
            .iter()
            .map(|c| Netns::create(&format!("{id}-{c}")).expect("netns"))
            .collect();
        let mut ips = Vec::new();
        for (i, (ns, pod)) in nss.iter().zip(["pod1", "pod2"]).enumerate() {
            let netns = format!("/var/run/netns/{}", ns.name());
            let cid = format!("{id}-cid{i}");
            let args = format!("K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod}");
            let env = [
                ("CNI_COMMAND", "ADD"),
                ("CNI_CONTAINERID", cid.as_str()),
                ("CNI_NETNS", netns.as_str()),
                ("CNI_IFNAME", "eth0"),
                ("CNI_PATH", "/opt/cni/bin"),
                ("CNI_ARGS", args.as_str()),
            ];
            let (code, out) = shim(&env, &conf);
            assert_eq!(
                code,
                0,
                "ADD {pod} failed: {out}\nagent log:\n{}",
                hv1.agent_log_tail(30)
            );
            let ip = out["ips"][0]["address"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            // Static for pod1; for pod2 what OVN's IPAM assigned (NB dynamic_addresses).
            let want = if pod == "pod1" {
                "10.0.1.11".to_owned()
            } else {
                let dynamic = central
                    .nbctl(&[
                        "--bare",
                        "--columns=dynamic_addresses",
                        "find",
                        "Logical_Switch_Port",
                        "name=default_pod2",
                    ])
                    .unwrap();
                dynamic
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned()
            };
            assert!(
                !want.is_empty() && ip.starts_with(&format!("{want}/")),
                "ADD {pod}: got {out}, OVN has {want:?}"
            );
            ips.push(ip.split('/').next().unwrap().to_owned());
        }
        // Both pods have their OVN addresses and reach each other through br-int.
        let ping = |ns: &Netns, ip: &str| {
            testkit::wait_until(Duration::from_secs(10), || {
                ns.exec(&["ping", "-n", "-c", "1", "-W", "1", ip]).is_ok()
            })
        };
        assert!(
            ping(&nss[0], &ips[1]),
            "pod1 cannot ping pod2 ({}):\n{}\n{}\n{}\n{}",
            ips[1],
            hv1.vsctl(&["show"]).unwrap_or_default(),
            nss[0].exec(&["ip", "addr"]).unwrap_or_default(),
            hv1.ofctl(&["dump-flows", "br-int", "table=0"])
                .unwrap_or_default(),
            hv1.agent_log_tail(20)
        );
        assert!(ping(&nss[1], &ips[0]), "pod2 cannot ping pod1 ({})", ips[0]);
        assert!(ping(&nss[0], "10.0.1.1"), "pod1 cannot ping its gateway");
        // TCP between the two pods (the agent turned TX checksum offload off, or this breaks).
        let server_ns = nss[1].name().to_owned();
        let listener =
            testkit::run_in_netns(&server_ns, || std::net::TcpListener::bind("0.0.0.0:5101"))
                .expect("netns")
                .expect("listen in pod2");
        let received = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut conn, &mut buf).expect("read");
            buf.len()
        });
        let dest = format!("{}:5101", ips[1]);
        testkit::run_in_netns(nss[0].name(), move || {
            let mut c = std::net::TcpStream::connect_timeout(
                &dest.parse().unwrap(),
                Duration::from_secs(5),
            )
            .expect("connect pod1 → pod2");
            c.write_all(&vec![7u8; 256 * 1024]).expect("send");
        })
        .expect("netns");
        assert_eq!(
            received.join().unwrap(),
            256 * 1024,
            "TCP transfer pod1 → pod2 incomplete"
        );

        // A second interface of pod1 on a second network (switch ls2 behind the same router),
        // Multus-style: its own attachment (container id, ifname) and logical port.
        central
            .nbctl(&[
                "ls-add",
                "ls2",
                "--",
                "lrp-add",
                "lr1",
                "lr1-ls2",
                "00:00:00:00:ff:02",
                "10.0.2.1/24",
                "--",
                "lsp-add",
                "ls2",
                "ls2-lr1",
                "--",
                "lsp-set-type",
                "ls2-lr1",
                "router",
                "--",
                "lsp-set-addresses",
                "ls2-lr1",
                "router",
                "--",
                "lsp-set-options",
                "ls2-lr1",
                "router-port=lr1-ls2",
                "--",
                "lsp-add",
                "ls2",
                "blue_default_pod1",
                "--",
                "lsp-set-addresses",
                "blue_default_pod1",
                "0a:00:00:00:02:11 10.0.2.11",
            ])
            .unwrap();
        wait_hv(&central, &hv1, 20);
        let blue = json!({"cniVersion": "1.0.0", "name": "blue", "type": "ovn-agent-cni",
                          "socket": socket.to_str().unwrap(), "mtu": 1400, "logical_switch": "ls2"});
        let netns1 = format!("/var/run/netns/{}", nss[0].name());
        let cid1 = format!("{id}-cid0");
        let second = [
            ("CNI_COMMAND", "ADD"),
            ("CNI_CONTAINERID", cid1.as_str()),
            ("CNI_NETNS", netns1.as_str()),
            ("CNI_IFNAME", "net1"),
            ("CNI_PATH", "/opt/cni/bin"),
            ("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod1"),
        ];
        let (code, out) = shim(&second, &blue);
        assert_eq!(
            code,
            0,
            "ADD net1: {out}\nagent log:\n{}",
            hv1.agent_log_tail(30)
        );
        assert!(
            out["ips"][0]["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("10.0.2.11")),
            "net1 did not get the blue network's address: {out}"
        );
        assert!(
            ping(&nss[0], "10.0.2.1"),
            "pod1 cannot reach the blue network's router port through net1"
        );
        let mut del_second = second;
        del_second[0] = ("CNI_COMMAND", "DEL");
        let (code, out) = shim(&del_second, &blue);
        assert_eq!(code, 0, "DEL net1: {out}");

        // DEL is idempotent and removes the OVS port.
        for (i, ns) in nss.iter().enumerate() {
            let netns = format!("/var/run/netns/{}", ns.name());
            let cid = format!("{id}-cid{i}");
            for _ in 0..2 {
                let env = [
                    ("CNI_COMMAND", "DEL"),
                    ("CNI_CONTAINERID", cid.as_str()),
                    ("CNI_NETNS", netns.as_str()),
                    ("CNI_IFNAME", "eth0"),
                    ("CNI_PATH", "/opt/cni/bin"),
                ];
                let (code, out) = shim(&env, &conf);
                assert_eq!(code, 0, "DEL failed: {out}");
            }
        }
        let ports = hv1.vsctl(&["list-ports", "br-int"]).unwrap();
        assert!(
            !ports.lines().any(|p| p.starts_with("ovn")),
            "pod ports left on br-int after DEL: {ports}"
        );
        drop(nss);
    }
    drop(central);
    assert_torn_down(&root, &id);
}

/// 50 ADD/DEL cycles, 10 in parallel, through the shim and the agent: every ADD succeeds, and
/// nothing is left behind — no veth or OVS port, and no agent thread inside a pod namespace.
#[test]
fn agent_cni_50_cycles_10_parallel_leave_nothing_behind() {
    if reference_mode() {
        return;
    }
    let central = Central::start().expect("central");
    let root = central.root().to_owned();
    let id = central.id().to_owned();
    {
        let mut hv1 = Chassis::start(&central, "hv1").expect("hv1");
        start_ovn_agent(&mut hv1);
        ls1_behind_router(&central);
        for i in 0..10 {
            let lsp = format!("default_w{i}");
            central
                .nbctl(&[
                    "lsp-add",
                    "ls1",
                    &lsp,
                    "--",
                    "lsp-set-addresses",
                    &lsp,
                    &format!("0a:00:00:00:02:{:02x} 10.0.1.{}", i, 100 + i),
                ])
                .unwrap();
        }
        wait_hv(&central, &hv1, 20);
        let socket = hv1.dir().join("ovn-agent-cni.sock");
        assert!(
            testkit::wait_until(Duration::from_secs(10), || socket.exists()),
            "no CNI socket"
        );
        let conf = json!({"cniVersion": "1.0.0", "name": "ovn-agent", "type": "ovn-agent-cni",
                          "socket": socket.to_str().unwrap(), "mtu": 1400});
        let latencies = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for w in 0..10 {
                let (conf, id, latencies) = (&conf, &id, &latencies);
                s.spawn(move || {
                    for c in 0..5 {
                        let ns = Netns::create(&format!("{id}-w{w}c{c}")).expect("netns");
                        let netns = format!("/var/run/netns/{}", ns.name());
                        let cid = format!("{id}-w{w}-c{c}");
                        let args = format!("K8S_POD_NAMESPACE=default;K8S_POD_NAME=w{w}");
                        let env = |cmd: &'static str| {
                            vec![
                                ("CNI_COMMAND", cmd.to_owned()),
                                ("CNI_CONTAINERID", cid.clone()),
                                ("CNI_NETNS", netns.clone()),
                                ("CNI_IFNAME", "eth0".to_owned()),
                                ("CNI_PATH", "/opt/cni/bin".to_owned()),
                                ("CNI_ARGS", args.clone()),
                            ]
                        };
                        let add = env("ADD");
                        let add: Vec<(&str, &str)> =
                            add.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        let t0 = std::time::Instant::now();
                        let (code, out) = shim(&add, conf);
                        latencies.lock().unwrap().push(t0.elapsed());
                        assert_eq!(code, 0, "ADD w{w} cycle {c}: {out}");
                        let del = env("DEL");
                        let del: Vec<(&str, &str)> =
                            del.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        let (code, out) = shim(&del, conf);
                        assert_eq!(code, 0, "DEL w{w} cycle {c}: {out}");
                        drop(ns);
                    }
                });
            }
        });
        let mut l = latencies.into_inner().unwrap();
        l.sort();
        assert_eq!(l.len(), 50);
        println!(
            "CNI ADD latency, 10 in parallel: p50 {:?}, p99 {:?}",
            l[25], l[49]
        );
        let ports = hv1.vsctl(&["list-ports", "br-int"]).unwrap();
        assert!(
            !ports
                .lines()
                .any(|p| p.starts_with("ovn") && !p.starts_with("ovn-")),
            "OVS ports left: {ports}"
        );
        let links = hv1.exec(&["ip", "-o", "link"]).unwrap();
        assert!(
            !links
                .lines()
                .any(|l| l.contains(": ovn") && !l.contains("ovn-")),
            "veths left: {links}"
        );
        // No agent thread stayed in a pod namespace: all share the chassis namespace.
        let pid = hv1.agent_pid().expect("agent pid");
        let own = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
        for t in std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .flatten()
        {
            let ns = std::fs::read_link(t.path().join("ns/net")).unwrap();
            assert_eq!(
                ns,
                own,
                "agent thread {:?} is in another network namespace",
                t.file_name()
            );
        }
    }
    drop(central);
    assert_torn_down(&root, &id);
}
