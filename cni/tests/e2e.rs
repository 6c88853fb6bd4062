//! End to end, the way a container runtime drives it: the `ovn-agent-cni` binary executed with the
//! CNI environment and stdin, talking to a `CniServer` started in this test, whose `Backend` reads and
//! writes the REAL databases of a testkit chassis (NB + SB + ovn-northd, ovsdb-server + ovs-vswitchd
//! with a netdev br-int, and the real ovn-controller standing in for the agent's flow programming,
//! which sets `ovn-installed`). Pods are real network namespaces; traffic between them proves the
//! flows and the veth configuration (including TX checksum offload, needed by the netdev datapath).
//!
//! The test backend shells out to ovs-vsctl/ovn-sbctl/ovn-nbctl: that is test scaffolding only; the
//! agent implements `Backend` with its OVSDB replicas.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cni::backend::{Backend, BackendError, OWNER, OvsPort, OwnedPort, PortInfo, Readiness};
use cni::ovsdb_backend::OvsdbBackend;
use cni::port_binding::{LspAddresses, parse_addresses, parse_router_networks, resolve};
use cni::server::{CniServer, ServerConfig, host_ifname};
use common::{TestNetns, unique};
use serde_json::{Value, json};

struct RealDbs {
    ovs: String,
    sb: String,
    nb: String,
}

fn ctl(bin: &str, db: &str, args: &[&str]) -> Result<String, BackendError> {
    let out = Command::new(bin)
        .arg(format!("--db={db}"))
        .arg("--timeout=10")
        .args(args)
        .output()
        .map_err(|e| BackendError::Unavailable(format!("{bin}: {e}")))?;
    if !out.status.success() {
        return Err(BackendError::Failed(format!(
            "{bin} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An OVSDB JSON cell as a list of strings (a set, or a single atom).
fn strings(cell: &Value) -> Vec<String> {
    match cell {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) if a.first() == Some(&json!("set")) => a
            .get(1)
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn map(cell: &Value) -> Vec<(String, String)> {
    cell.get(1)
        .and_then(Value::as_array)
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| {
                    Some((
                        p.get(0)?.as_str()?.to_owned(),
                        p.get(1)?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn find(
    bin: &str,
    db: &str,
    table: &str,
    columns: &str,
    cond: &[&str],
) -> Result<Vec<Vec<Value>>, BackendError> {
    let cols = format!("--columns={columns}");
    let mut args = vec!["--format=json", cols.as_str(), "find", table];
    args.extend_from_slice(cond);
    let v: Value = serde_json::from_str(&ctl(bin, db, &args)?)
        .map_err(|e| BackendError::Failed(e.to_string()))?;
    Ok(v["data"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_array().cloned()).collect())
        .unwrap_or_default())
}

impl Backend for RealDbs {
    fn port_binding(&self, lport: &str) -> Result<Option<PortInfo>, BackendError> {
        let cond = format!("logical_port={lport}");
        let rows = find(
            "ovn-sbctl",
            &self.sb,
            "Port_Binding",
            "mac,datapath",
            &[&cond],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let entries = strings(&row[0]);
        let Some(entry) = entries.first() else {
            return Ok(None);
        };
        let parsed = parse_addresses(entry).map_err(BackendError::Failed)?;
        let (mac, ips) = match parsed {
            LspAddresses::Static { mac, ips } => (mac, ips),
            LspAddresses::Dynamic => {
                // OVN's IPAM: the SB keeps "dynamic"; the assignment is in NB dynamic_addresses.
                let d = ctl(
                    "ovn-nbctl",
                    &self.nb,
                    &["get", "Logical_Switch_Port", lport, "dynamic_addresses"],
                )?;
                let d = d.trim().trim_matches('"');
                match parse_addresses(d) {
                    Ok(LspAddresses::Static { mac, ips }) if !ips.is_empty() => (mac, ips),
                    _ => return Ok(None), // not assigned yet
                }
            }
            _ => {
                return Err(BackendError::Failed(format!(
                    "{lport} has no pod addresses"
                )));
            }
        };
        // The router port on the same switch: a patch Port_Binding whose peer is the LRP.
        let dp = row[1]
            .get(1)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let dp_cond = format!("datapath={dp}");
        let mut router = Vec::new();
        for r in find(
            "ovn-sbctl",
            &self.sb,
            "Port_Binding",
            "options",
            &[&dp_cond, "type=patch"],
        )? {
            for (k, peer) in map(&r[0]) {
                if k != "peer" {
                    continue;
                }
                let c = format!("logical_port={peer}");
                for lrp in find("ovn-sbctl", &self.sb, "Port_Binding", "mac", &[&c])? {
                    for e in strings(&lrp[0]) {
                        if let Ok((_, nets)) = parse_router_networks(&e) {
                            router.extend(nets);
                        }
                    }
                }
            }
        }
        let (ips, gateways) = resolve(&ips, &router).map_err(BackendError::Failed)?;
        Ok(Some(PortInfo {
            mac,
            ips,
            gateways,
            routes: Vec::new(),
            mtu: None,
        }))
    }

    fn ovn_installed(&self, iface: &str) -> Result<bool, BackendError> {
        let rows = find(
            "ovs-vsctl",
            &self.ovs,
            "Interface",
            "external_ids",
            &[&format!("name={iface}")],
        )?;
        Ok(rows.first().is_some_and(|r| {
            map(&r[0])
                .iter()
                .any(|(k, v)| k == "ovn-installed" && v == "true")
        }))
    }

    fn bridge_is_userspace(&self, bridge: &str) -> Result<bool, BackendError> {
        Ok(ctl(
            "ovs-vsctl",
            &self.ovs,
            &["get", "Bridge", bridge, "datapath_type"],
        )?
        .trim()
            == "netdev")
    }

    fn underlay_mtu(&self) -> u32 {
        1500
    }

    fn readiness(&self) -> Readiness {
        match ctl("ovs-vsctl", &self.ovs, &["show"]) {
            Ok(_) => Readiness::Ready,
            Err(e) => Readiness::NotReady(e.to_string()),
        }
    }

    async fn add_ovs_port(&self, port: &OvsPort) -> Result<(), BackendError> {
        let mut args = vec![
            "--".to_owned(),
            "--may-exist".into(),
            "add-port".into(),
            port.bridge.clone(),
            port.name.clone(),
            "--".into(),
            "set".into(),
            "Port".into(),
            port.name.clone(),
            "other_config:transient=true".into(),
            "--".into(),
            "set".into(),
            "Interface".into(),
            port.name.clone(),
        ];
        for (k, v) in port.external_ids() {
            args.push(format!("external_ids:{k}=\"{v}\""));
        }
        let db = self.ovs.clone();
        tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            ctl("ovs-vsctl", &db, &a).map(drop)
        })
        .await
        .map_err(|e| BackendError::Failed(e.to_string()))?
    }

    async fn del_ovs_port(&self, bridge: &str, name: &str) -> Result<bool, BackendError> {
        let (db, bridge, name) = (self.ovs.clone(), bridge.to_owned(), name.to_owned());
        tokio::task::spawn_blocking(move || {
            let existed = ctl("ovs-vsctl", &db, &["list-ports", &bridge])?
                .lines()
                .any(|l| l == name);
            ctl(
                "ovs-vsctl",
                &db,
                &["--if-exists", "del-port", &bridge, &name],
            )?;
            Ok(existed)
        })
        .await
        .map_err(|e| BackendError::Failed(e.to_string()))?
    }

    fn owned_ports(&self) -> Result<Vec<OwnedPort>, BackendError> {
        let cond = format!("external_ids:owner={OWNER}");
        let rows = find(
            "ovs-vsctl",
            &self.ovs,
            "Interface",
            "name,external_ids",
            &[&cond],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let ids = map(&r[1]);
                let get = |k: &str| {
                    ids.iter()
                        .find(|(x, _)| x == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                OwnedPort {
                    name: r[0].as_str().unwrap_or_default().to_owned(),
                    container_id: get("cni-container-id"),
                    ifname: get("cni-ifname"),
                    netns: get("cni-netns"),
                    network: get("cni-network"),
                    iface_id: get("iface-id"),
                }
            })
            .collect())
    }
}

/// Runs the shim like a runtime: env + stdin; returns (exit code, stdout JSON or Null, elapsed).
fn shim(env: &[(&str, &str)], stdin: &Value) -> (i32, Value, Duration) {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ovn-agent-cni"))
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(stdin).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"))
    };
    (out.status.code().unwrap_or(-1), v, t.elapsed())
}

struct Attachment<'a> {
    cid: String,
    pod: &'a TestNetns,
    args: String,
}

impl Attachment<'_> {
    fn run(&self, cmd: &str, conf: &Value) -> (i32, Value, Duration) {
        let netns = self.pod.path();
        shim(
            &[
                ("CNI_COMMAND", cmd),
                ("CNI_CONTAINERID", &self.cid),
                ("CNI_NETNS", &netns),
                ("CNI_IFNAME", "eth0"),
                ("CNI_PATH", "/opt/cni/bin"),
                ("CNI_ARGS", &self.args),
            ],
            conf,
        )
    }
}

type MakeBackend<B> = fn(&testkit::Central, &testkit::Chassis, &tokio::runtime::Runtime) -> Arc<B>;

/// With the test's shell-out backend.
#[test]
fn runtime_drives_the_cni_server_with_a_shell_backend() {
    scenario::<RealDbs>(|central, hv, _| {
        Arc::new(RealDbs {
            ovs: hv.db_remote(),
            sb: central.sb_remote(),
            nb: central.nb_remote(),
        })
    });
}

/// With the product's backend over `ovsdb` replicas.
#[test]
fn runtime_drives_the_cni_server_with_the_ovsdb_backend() {
    scenario::<OvsdbBackend>(|central, hv, rt| {
        let b = rt
            .block_on(async {
                OvsdbBackend::start(
                    &hv.db_remote(),
                    &central.sb_remote(),
                    Some(&central.nb_remote()),
                    1500,
                )
            })
            .expect("ovsdb clients");
        Arc::new(b)
    });
}

fn scenario<B: Backend>(make: MakeBackend<B>) {
    common::require_root();
    let central = testkit::Central::start().expect("central (NB, SB, northd)");
    let mut hv = testkit::Chassis::start(&central, "hv1").expect("chassis");
    hv.start_ovn_controller().expect("ovn-controller");
    let nb = |a: &[&str]| {
        central
            .nbctl(a)
            .unwrap_or_else(|e| panic!("nbctl {a:?}: {e}"))
    };
    nb(&[
        "ls-add",
        "ls1",
        "--",
        "set",
        "Logical_Switch",
        "ls1",
        "other_config:subnet=10.0.1.0/24",
    ]);
    nb(&[
        "lr-add",
        "lr1",
        "--",
        "lrp-add",
        "lr1",
        "lr1-ls1",
        "00:00:00:00:ff:01",
        "10.0.1.1/24",
    ]);
    nb(&[
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
    ]);
    // Pod 1: static addresses. Pod 2: OVN's IPAM ("dynamic").
    nb(&[
        "lsp-add",
        "ls1",
        "default_web-0",
        "--",
        "lsp-set-addresses",
        "default_web-0",
        "0a:58:0a:00:01:05 10.0.1.5",
    ]);
    nb(&[
        "lsp-add",
        "ls1",
        "default_web-1",
        "--",
        "lsp-set-addresses",
        "default_web-1",
        "dynamic",
    ]);

    let dir = std::env::temp_dir().join(unique("cni-e2e-"));
    let socket = dir.join("ovn-agent-cni.sock");
    let mut cfg = ServerConfig::new(&socket);
    cfg.host_netns = Some(format!("/var/run/netns/{}", hv.netns()).into());
    cfg.port_binding_timeout = Duration::from_secs(20);
    cfg.flows_timeout = Duration::from_secs(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = make(&central, &hv, &rt);
    // The agent opens the socket only once its replicas are in sync.
    let deadline = Instant::now() + Duration::from_secs(10);
    while backend.readiness() != Readiness::Ready {
        assert!(
            Instant::now() < deadline,
            "backend never ready: {:?}",
            backend.readiness()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = Arc::new(CniServer::new(cfg, backend));
    let listener = rt.block_on(async { server.bind() }).unwrap();
    let mode = std::fs::metadata(&socket).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    rt.spawn(server.clone().serve(listener));

    let conf = json!({"cniVersion": "1.1.0", "name": "ovn-agent", "type": "ovn-agent-cni",
                      "socket": socket.to_str().unwrap(), "mtu": 1400});
    let pod1 = TestNetns::new("cnip");
    let pod2 = TestNetns::new("cnip");
    let a1 = Attachment {
        cid: unique("c1"),
        pod: &pod1,
        args: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u-1".into(),
    };
    let a2 = Attachment {
        cid: unique("c2"),
        pod: &pod2,
        args: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1".into(),
    };

    // Raw protocol: an unknown protocol version and an undecodable request get a 101 error frame.
    for (payload, want) in [
        (
            serde_json::to_vec(&json!({"v": 2, "cmd": "ADD", "config": conf, "deadlineMs": 1000}))
                .unwrap(),
            "v2",
        ),
        (b"{not json".to_vec(), "decode"),
    ] {
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        cni::protocol::write_frame(&mut s, &payload).unwrap();
        let resp: cni::protocol::Response =
            serde_json::from_slice(&cni::protocol::read_frame(&mut s).unwrap()).unwrap();
        let e = resp.error.expect("an error");
        assert_eq!(e.code, 101, "{e:?}");
        assert!(e.msg.contains(want), "{e:?}");
    }

    // A prevResult on ADD means another plugin ran first: refused (7) before anything is made.
    let mut chained = conf.clone();
    chained["prevResult"] = json!({"cniVersion": "1.1.0"});
    let (code, out, _) = a1.run("ADD", &chained);
    assert_eq!((code, out["code"].as_u64()), (1, Some(7)), "{out}");
    assert!(out["msg"].as_str().unwrap().contains("prevResult"), "{out}");

    // ADD pods 1 and 2 in parallel (different containers are not serialized against each other).
    let (add1, add2) = std::thread::scope(|s| {
        let h1 = s.spawn(|| a1.run("ADD", &conf));
        let h2 = s.spawn(|| a2.run("ADD", &conf));
        (h1.join().unwrap(), h2.join().unwrap())
    });
    let (code, r1, took) = add1;
    assert_eq!(code, 0, "ADD failed: {r1}\n{}", hv.agent_log_tail(30));
    eprintln!("ADD took {took:?}");
    assert_eq!(r1["cniVersion"], "1.1.0");
    let host1 = host_ifname(&a1.cid, "eth0");
    assert_eq!(r1["interfaces"][0]["name"], host1.as_str());
    assert_eq!(
        r1["interfaces"][1],
        json!({"name": "eth0", "mac": "0a:58:0a:00:01:05", "mtu": 1400, "sandbox": pod1.path()})
    );
    assert_eq!(
        r1["ips"],
        json!([{"address": "10.0.1.5/24", "gateway": "10.0.1.1", "interface": 1}])
    );
    assert_eq!(
        r1["routes"],
        json!([{"dst": "0.0.0.0/0", "gw": "10.0.1.1"}])
    );
    let l = pod1.ip_json(&["addr", "show", "eth0"]);
    assert_eq!(l[0]["address"], "0a:58:0a:00:01:05");
    assert_eq!(l[0]["mtu"], 1400);
    assert_eq!(l[0]["addr_info"][0]["local"], "10.0.1.5");
    let ids = hv
        .vsctl(&["get", "Interface", &host1, "external_ids"])
        .unwrap();
    for want in [
        "iface-id=default_web-0",
        "ovn-installed=\"true\"",
        &format!("cni-container-id={}", a1.cid),
        "cni-ifname=eth0",
        "iface-id-ver=u-1",
        "owner=ovn-agent",
    ] {
        assert!(ids.contains(want), "{want} missing from {ids}");
    }
    assert!(
        hv.vsctl(&["list-ports", "br-int"])
            .unwrap()
            .lines()
            .any(|p| p == host1)
    );
    let tx = cni::netns::NetNs::open(pod1.path())
        .unwrap()
        .run(|| cni::ethtool::tx_checksum_active("eth0"))
        .unwrap()
        .unwrap();
    assert!(
        !tx,
        "netdev datapath: TX checksum offload must be off in the pod"
    );

    // Pod 2 got an address from OVN's IPAM.
    let (code, r2, _) = add2;
    assert_eq!(code, 0, "ADD (dynamic) failed: {r2}");
    let ip2 = r2["ips"][0]["address"].as_str().unwrap().to_owned();
    assert!(
        ip2.starts_with("10.0.1.") && ip2.ends_with("/24") && ip2 != "10.0.1.5/24",
        "{ip2}"
    );
    let ip2 = ip2.trim_end_matches("/24").to_owned();

    // Traffic through br-int and OVN's pipeline: pod to router port, pod to pod.
    let ping = |ns: &TestNetns, ip: &str| {
        Command::new("ip")
            .args(["netns", "exec", &ns.name, "ping", "-c", "1", "-W", "1", ip])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(ping(&pod1, "10.0.1.1") && ping(&pod1, &ip2)) {
        assert!(
            Instant::now() < deadline,
            "pod 1 cannot reach the router port and pod 2"
        );
    }

    // CHECK with the ADD result as prevResult: passes; with a wrong address: fails with 103.
    let mut check_conf = conf.clone();
    check_conf["prevResult"] = r1;
    let (code, out, _) = a1.run("CHECK", &check_conf);
    assert_eq!(code, 0, "CHECK failed: {out}");
    check_conf["prevResult"]["ips"][0]["address"] = json!("10.0.1.99/24");
    let (code, out, _) = a1.run("CHECK", &check_conf);
    assert_eq!((code, out["code"].as_u64()), (1, Some(103)), "{out}");
    assert!(out["msg"].as_str().unwrap().contains("10.0.1.99"), "{out}");

    // The pod's sandbox is re-created (new container id, same pod): the new one takes the logical
    // port over and the old sandbox's port and veth go away.
    let pod1b = TestNetns::new("cnip");
    let a1b = Attachment {
        cid: unique("c1b"),
        pod: &pod1b,
        args: a1.args,
    };
    let (code, out, _) = a1b.run("ADD", &conf);
    assert_eq!(code, 0, "re-created sandbox ADD failed: {out}");
    let host1b = host_ifname(&a1b.cid, "eth0");
    let ports = hv.vsctl(&["list-ports", "br-int"]).unwrap();
    assert!(
        !ports.lines().any(|p| p == host1),
        "old sandbox still plugged: {ports}"
    );
    assert!(ports.lines().any(|p| p == host1b), "{ports}");
    assert!(
        pod1.ip_json(&["link", "show"])
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["ifname"] != "eth0")
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ping(&pod1b, "10.0.1.1") {
        assert!(
            Instant::now() < deadline,
            "the re-created sandbox cannot reach the router port"
        );
    }

    // STATUS: ready.
    let (code, out, _) = shim(&[("CNI_COMMAND", "STATUS")], &conf);
    assert_eq!(code, 0, "{out}");

    // GC keeping only pod 2: the re-created pod 1's port and veth go, pod 2's stay.
    let mut gc = conf.clone();
    gc["cni.dev/valid-attachments"] = json!([{"containerID": a2.cid, "ifname": "eth0"}]);
    let (code, out, _) = shim(&[("CNI_COMMAND", "GC")], &gc);
    assert_eq!(code, 0, "GC failed: {out}");
    let ports = hv.vsctl(&["list-ports", "br-int"]).unwrap();
    assert!(!ports.lines().any(|p| p == host1b), "{ports}");
    assert!(
        ports.lines().any(|p| p == host_ifname(&a2.cid, "eth0")),
        "{ports}"
    );
    assert!(
        pod1b
            .ip_json(&["link", "show"])
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["ifname"] != "eth0")
    );
    // GC of another network leaves ours alone.
    let mut other = gc.clone();
    other["name"] = json!("other-net");
    other["cni.dev/valid-attachments"] = json!([]);
    let (code, out, _) = shim(&[("CNI_COMMAND", "GC")], &other);
    assert_eq!(code, 0, "GC failed: {out}");
    assert!(
        hv.vsctl(&["list-ports", "br-int"])
            .unwrap()
            .lines()
            .any(|p| p == host_ifname(&a2.cid, "eth0"))
    );

    // DEL twice (idempotent), DEL of an unknown container, DEL without a netns.
    for _ in 0..2 {
        let (code, out, _) = a2.run("DEL", &conf);
        assert_eq!((code, &out), (0, &Value::Null));
    }
    assert!(
        !hv.vsctl(&["list-ports", "br-int"])
            .unwrap()
            .lines()
            .any(|p| p == host_ifname(&a2.cid, "eth0"))
    );
    assert!(
        pod2.ip_json(&["link", "show"])
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["ifname"] != "eth0")
    );
    let (code, _, _) = shim(
        &[
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "never-seen"),
            ("CNI_IFNAME", "eth0"),
        ],
        &conf,
    );
    assert_eq!(code, 0);

    // Reconcile: a pod whose netns vanished while the agent was away loses its port.
    let mut pod3 = TestNetns::new("cnip");
    let a3 = Attachment {
        cid: unique("c3"),
        pod: &pod3,
        args: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0".into(),
    };
    let (code, out, _) = a3.run("ADD", &conf);
    assert_eq!(code, 0, "{out}");
    let host3 = host_ifname(&a3.cid, "eth0");
    drop(a3);
    pod3.delete();
    let removed = rt.block_on(server.reconcile()).unwrap();
    assert_eq!(removed, vec![host3.clone()]);
    assert!(
        !hv.vsctl(&["list-ports", "br-int"])
            .unwrap()
            .lines()
            .any(|p| p == host3)
    );

    // Many pods at once: ADD eight in parallel, then DEL them in parallel; nothing is left and no
    // thread of this process stays in a pod's namespace.
    let n = 8;
    for i in 0..n {
        let lsp = format!("default_s-{i}");
        let addr = format!("0a:58:0a:00:01:{:02x} 10.0.1.{}", 0x20 + i, 0x20 + i);
        nb(&[
            "lsp-add",
            "ls1",
            &lsp,
            "--",
            "lsp-set-addresses",
            &lsp,
            &addr,
        ]);
    }
    let pods: Vec<TestNetns> = (0..n).map(|_| TestNetns::new("cnip")).collect();
    let many: Vec<Attachment> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| Attachment {
            cid: unique("cs"),
            pod: p,
            args: format!("K8S_POD_NAMESPACE=default;K8S_POD_NAME=s-{i}"),
        })
        .collect();
    for cmd in ["ADD", "DEL"] {
        let outs: Vec<_> = std::thread::scope(|sc| {
            let hs: Vec<_> = many
                .iter()
                .map(|a| sc.spawn(|| a.run(cmd, &conf)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (code, out, _) in outs {
            assert_eq!(code, 0, "parallel {cmd}: {out}");
        }
        let ports = hv.vsctl(&["list-ports", "br-int"]).unwrap();
        for a in &many {
            let plugged = ports.lines().any(|p| p == host_ifname(&a.cid, "eth0"));
            assert_eq!(plugged, cmd == "ADD", "after parallel {cmd}: {ports}");
        }
    }
    common::assert_no_thread_in_foreign_netns();
    drop(many);
    drop(pods);

    // Only root may talk to the agent: the socket (0600, in a 0700 directory) refuses others.
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_ovn-agent-cni"),
        ])
        .env_clear()
        .envs([
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "c-nobody"),
            ("CNI_IFNAME", "eth0"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(&serde_json::to_vec(&conf).unwrap())?;
            c.wait_with_output()
        })
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], 11, "{v}");
    assert!(
        v["msg"].as_str().unwrap().contains("ermission denied"),
        "{v}"
    );

    // A second server with short waits, for the failure paths.
    let socket2 = dir.join("short.sock");
    let mut cfg2 = ServerConfig::new(&socket2);
    cfg2.host_netns = Some(format!("/var/run/netns/{}", hv.netns()).into());
    cfg2.port_binding_timeout = Duration::from_millis(700);
    cfg2.flows_timeout = Duration::from_millis(700);
    let backend2 = make(&central, &hv, &rt);
    while backend2.readiness() != Readiness::Ready {
        std::thread::sleep(Duration::from_millis(50));
    }
    let server2 = Arc::new(CniServer::new(cfg2, backend2));
    let listener2 = rt.block_on(async { server2.bind() }).unwrap();
    rt.spawn(server2.serve(listener2));
    let mut short = conf;
    short["socket"] = json!(socket2.to_str().unwrap());

    // ADD for a logical port that never appears: 11, nothing created.
    let pod4 = TestNetns::new("cnip");
    let a4 = Attachment {
        cid: unique("c4"),
        pod: &pod4,
        args: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=ghost".into(),
    };
    let (code, out, took) = a4.run("ADD", &short);
    assert_eq!((code, out["code"].as_u64()), (1, Some(11)), "{out}");
    assert!(
        out["msg"].as_str().unwrap().contains("default_ghost"),
        "{out}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        pod4.ip_json(&["link", "show"])
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["ifname"] != "eth0")
    );

    // Flows never installed (no flow programmer running): 11 naming ovn-installed, and the ADD rolls
    // back the OVS port and the veth it made.
    hv.stop_agent();
    nb(&[
        "lsp-add",
        "ls1",
        "default_web-5",
        "--",
        "lsp-set-addresses",
        "default_web-5",
        "0a:58:0a:00:01:07 10.0.1.7",
    ]);
    let pod5 = TestNetns::new("cnip");
    let a5 = Attachment {
        cid: unique("c5"),
        pod: &pod5,
        args: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-5".into(),
    };
    let mut seen = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen {
        // northd may take a moment to create the Port_Binding: retry until the failure is the flow wait.
        let (code, out, _) = a5.run("ADD", &short);
        assert_eq!((code, out["code"].as_u64()), (1, Some(11)), "{out}");
        seen = out["msg"].as_str().unwrap().contains("ovn-installed");
        assert!(
            seen || Instant::now() < deadline,
            "never reached the flow wait: {out}"
        );
    }
    let host5 = host_ifname(&a5.cid, "eth0");
    assert!(
        !hv.vsctl(&["list-ports", "br-int"])
            .unwrap()
            .lines()
            .any(|p| p == host5),
        "OVS port not rolled back"
    );
    assert!(
        pod5.ip_json(&["link", "show"])
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["ifname"] != "eth0"),
        "veth not rolled back"
    );
    assert!(
        hv.exec(&["ip", "link", "show", &host5]).is_err(),
        "host veth not rolled back"
    );

    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
    common::assert_no_thread_in_foreign_netns();
}
