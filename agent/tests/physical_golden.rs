//! Golden tests of the physical flows against the real ovn-controller 23.03.
//!
//! Each test builds a topology with real daemons (NB/SB/northd, an ovsdb-server and a dummy
//! ovs-vswitchd, and ovn-controller as chassis `hv1`), waits until ovn-controller's flows are
//! stable, dumps tables 0, 37–41, 64 and 65 of br-int, then reads the same Southbound and OVS
//! state, computes `agent::physical::physical_run` and compares the printed flows as sets.
//!
//! Where ovn-controller itself is not deterministic — two rows adding the same (table, priority,
//! match) with different cookies or actions, where the one installed depends on hash order — a
//! dumped flow equal to any of our candidates for that key counts as identical.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Stdio;
use std::time::{Duration, Instant};

use agent::binding::{self, HaChassis, LocalIface, PortBinding, PortType};
use agent::ct_zones::CtZones;
use agent::lflow_extra::{self, Fdb, MacBinding};
use agent::physical::{self, ChassisIdentity, DatapathInfo, MulticastGroup, PhysicalInput};
use openflow::field::Field;
use serde_json::Value;
use testkit::{Central, Cmd, Ovs, Process, find_binary};
use tunnel::{ObservedBridge, ObservedInterface, ObservedPort};

const TABLES: [u8; 8] = [0, 37, 38, 39, 40, 41, 64, 65];
/// The lflow.c extras: MAC bindings and FDB.
const EXTRA_TABLES: [u8; 4] = [66, 67, 71, 72];
/// The lflow.c extras: port security.
const PORT_SEC_TABLES: [u8; 3] = [73, 74, 75];
/// The lflow.c extras: load balancer hairpin.
const LB_TABLES: [u8; 3] = [68, 69, 70];
const ME: &str = "hv1";

/// Central + one OVS + the real ovn-controller as chassis `hv1`.
struct Testbed {
    // Drop order: ovn-controller first, then OVS, then the central daemons.
    controller: Option<Process>,
    ovs: Ovs,
    central: Central,
}

impl Testbed {
    fn start(bridge_mappings: Option<&str>) -> Testbed {
        let central = Central::start().expect("central");
        let ovs = Ovs::start().expect("ovs");
        let remote = format!("external_ids:ovn-remote={}", central.sb_remote());
        let mut args = vec![
            "set",
            "Open_vSwitch",
            ".",
            "external_ids:system-id=hv1",
            "external_ids:hostname=hv1",
            &remote,
            "external_ids:ovn-encap-type=geneve",
            "external_ids:ovn-encap-ip=172.16.0.1",
            "external_ids:ovn-bridge-datapath-type=dummy",
        ];
        let mappings = bridge_mappings.map(|m| format!("external_ids:ovn-bridge-mappings={m}"));
        if let Some(m) = &mappings {
            args.push(m);
        }
        ovs.vsctl(&args).expect("set external_ids");
        ovs.add_bridge("br-int", "dummy").expect("br-int");
        let bin = find_binary("ovn-controller").expect("ovn-controller is installed");
        let dir = ovs.rundir().to_owned();
        let d = dir.display();
        let cmd = ovs
            .env(Cmd::new(bin.to_string_lossy()))
            .env("OVN_RUNDIR", &dir)
            .args(["--no-chdir", "-vconsole:off", "-vfile:info"])
            .arg(format!("--pidfile={d}/ovn-controller.pid"))
            .arg(format!("--log-file={d}/ovn-controller.log"))
            .arg(ovs.db_remote());
        let child = cmd
            .command()
            .expect("command")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ovn-controller");
        let controller = Some(Process::from_child("ovn-controller", child, &dir));
        let tb = Testbed {
            controller,
            ovs,
            central,
        };
        tb.wait("chassis hv1 registered", || {
            tb.sb(&["--bare", "--columns=name", "list", "Chassis"])
                .lines()
                .any(|l| l.trim() == ME)
        });
        tb
    }

    fn nb(&self, args: &[&str]) -> String {
        self.central
            .nbctl(args)
            .unwrap_or_else(|e| panic!("ovn-nbctl {args:?}: {e}"))
    }

    fn sb(&self, args: &[&str]) -> String {
        self.central
            .sbctl(args)
            .unwrap_or_else(|e| panic!("ovn-sbctl {args:?}: {e}"))
    }

    fn vs(&self, args: &[&str]) -> String {
        self.ovs
            .vsctl(args)
            .unwrap_or_else(|e| panic!("ovs-vsctl {args:?}: {e}"))
    }

    fn wait(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cond() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; ovn-controller log:\n{}",
                testkit::tail_of_file(&self.ovs.rundir().join("ovn-controller.log"), 30)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Adds a dummy interface bound to logical port `lport`.
    fn add_vif(&self, name: &str, lport: &str) {
        let id = format!("external_ids:iface-id={lport}");
        self.vs(&[
            "add-port",
            "br-int",
            name,
            "--",
            "set",
            "Interface",
            name,
            "type=dummy",
            &id,
        ]);
    }

    /// The physical tables of br-int, one flow per line as `dump-flows --no-stats` prints them.
    fn dump(&self) -> BTreeSet<String> {
        let out = self
            .ovs
            .ofctl_br("br-int", &["dump-flows", "--no-stats"])
            .expect("dump-flows");
        out.lines()
            .filter(|l| l.contains(" actions="))
            .map(|l| l.trim().to_owned())
            .filter(|l| {
                let t = table_of(l);
                TABLES.contains(&t)
                    || EXTRA_TABLES.contains(&t)
                    || PORT_SEC_TABLES.contains(&t)
                    || LB_TABLES.contains(&t)
            })
            .collect()
    }

    /// Waits until ovn-controller caught up with the NB and its flows and our inputs stopped
    /// changing, and returns the dump with the matching inputs.
    fn settle(&self) -> (BTreeSet<String>, PhysicalInput) {
        let (real, input, _) = self.settle_with_snapshot();
        (real, input)
    }

    fn settle_with_snapshot(&self) -> (BTreeSet<String>, PhysicalInput, String) {
        self.nb(&["--wait=hv", "sync"]);
        let mut last: Option<(BTreeSet<String>, String)> = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = self.snapshot();
            let dump = self.dump();
            if state == self.snapshot() {
                if let Some((d, s)) = &last
                    && *d == dump
                    && *s == state
                {
                    let input = input_from(&state);
                    return (dump, input, state);
                }
                last = Some((dump, state));
            }
            assert!(Instant::now() < deadline, "flows never settled");
            std::thread::sleep(Duration::from_millis(400));
        }
    }

    /// Everything the inputs are read from, as one JSON text (so that "unchanged" is plain
    /// equality).
    fn snapshot(&self) -> String {
        let mut m = serde_json::Map::new();
        for t in [
            "Port_Binding",
            "Datapath_Binding",
            "Chassis",
            "Encap",
            "HA_Chassis_Group",
            "HA_Chassis",
            "Multicast_Group",
            "MAC_Binding",
            "Static_MAC_Binding",
            "FDB",
            "Load_Balancer",
            "Logical_DP_Group",
            "SB_Global",
        ] {
            m.insert(t.to_owned(), parse(&self.sb(&["--format=json", "list", t])));
        }
        for t in ["Bridge", "Port", "Interface"] {
            m.insert(
                format!("ovs:{t}"),
                parse(&self.vs(&["--format=json", "list", t])),
            );
        }
        let tlv = self
            .ovs
            .ofctl_br("br-int", &["dump-tlv-map"])
            .unwrap_or_default();
        m.insert("tlv".into(), Value::String(tlv));
        Value::Object(m).to_string()
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        if let Some(mut p) = self.controller.take() {
            p.terminate();
        }
    }
}

fn table_of(line: &str) -> u8 {
    line.split(", ")
        .find_map(|p| p.strip_prefix("table="))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// `table=T, priority=P,MATCH` of a flow line: what identifies it in OpenFlow.
fn key_of(line: &str) -> String {
    let head = line.split(" actions=").next().unwrap_or(line);
    let from = head.find("priority=").unwrap_or(0);
    format!("table={}, {}", table_of(line), &head[from..])
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("bad JSON ({e}): {s}"))
}

// ---- OVSDB JSON (`--format=json list`) -------------------------------------------------------

type Row = HashMap<String, Value>;

fn rows(table: &Value) -> Vec<Row> {
    let heads: Vec<String> = table["headings"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    table["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            heads
                .iter()
                .cloned()
                .zip(r.as_array().cloned().unwrap_or_default())
                .collect()
        })
        .collect()
}

/// The atoms of a column (a set, or one atom).
fn atoms(row: &Row, col: &str) -> Vec<Value> {
    match row.get(col) {
        Some(Value::Array(a)) if a.first().and_then(Value::as_str) == Some("set") => a
            .get(1)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    }
}

fn atom_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.len() == 2 => a[1].as_str().unwrap_or_default().to_owned(),
        other => other.to_string(),
    }
}

fn s(row: &Row, col: &str) -> String {
    atoms(row, col).first().map(atom_str).unwrap_or_default()
}

fn opt(row: &Row, col: &str) -> Option<String> {
    atoms(row, col).first().map(atom_str)
}

fn strs(row: &Row, col: &str) -> Vec<String> {
    atoms(row, col).iter().map(atom_str).collect()
}

fn int(row: &Row, col: &str) -> Option<i64> {
    atoms(row, col).first().and_then(Value::as_i64)
}

fn smap(row: &Row, col: &str) -> BTreeMap<String, String> {
    match row.get(col) {
        Some(Value::Array(a)) if a.first().and_then(Value::as_str) == Some("map") => a
            .get(1)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|kv| {
                let kv = kv.as_array()?;
                Some((atom_str(kv.first()?), atom_str(kv.get(1)?)))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn uuid128(s: &str) -> u128 {
    u128::from_str_radix(&s.replace('-', ""), 16).unwrap_or_else(|_| panic!("bad uuid {s}"))
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let v: Vec<u8> = s
        .split(':')
        .map(|p| u8::from_str_radix(p, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    v.try_into().ok()
}

// ---- Inputs from the databases ----------------------------------------------------------------

fn input_from(snapshot: &str) -> PhysicalInput {
    let snap = parse(snapshot);
    let t = |name: &str| rows(&snap[name]);

    let chassis_rows = t("Chassis");
    let chassis_name: HashMap<String, String> = chassis_rows
        .iter()
        .map(|r| (s(r, "_uuid"), s(r, "name")))
        .collect();
    let encap_ip: HashMap<String, String> = t("Encap")
        .iter()
        .map(|r| (s(r, "_uuid"), s(r, "ip")))
        .collect();
    let encap_chassis: HashMap<String, String> = t("Encap")
        .iter()
        .map(|r| (s(r, "_uuid"), s(r, "chassis_name")))
        .collect();
    let datapath_rows = t("Datapath_Binding");
    let dp_key: HashMap<String, u32> = datapath_rows
        .iter()
        .map(|r| (s(r, "_uuid"), int(r, "tunnel_key").unwrap_or(0) as u32))
        .collect();
    let ha_chassis: HashMap<String, HaChassis> = t("HA_Chassis")
        .iter()
        .map(|r| {
            (
                s(r, "_uuid"),
                HaChassis {
                    chassis: opt(r, "chassis").and_then(|c| chassis_name.get(&c).cloned()),
                    priority: int(r, "priority").unwrap_or(0),
                },
            )
        })
        .collect();
    let ha_groups: HashMap<String, (Vec<HaChassis>, Vec<String>)> = t("HA_Chassis_Group")
        .iter()
        .map(|r| {
            let members = strs(r, "ha_chassis")
                .iter()
                .filter_map(|u| ha_chassis.get(u).cloned())
                .collect();
            let refs = strs(r, "ref_chassis")
                .iter()
                .filter_map(|u| chassis_name.get(u).cloned())
                .collect();
            (s(r, "_uuid"), (members, refs))
        })
        .collect();

    let mut pbs: BTreeMap<String, PortBinding> = BTreeMap::new();
    let mut pb_name_by_uuid: HashMap<String, String> = HashMap::new();
    for r in t("Port_Binding") {
        let name = s(&r, "logical_port");
        let parent = opt(&r, "parent_port").filter(|p| !p.is_empty());
        let (ha, refs) = opt(&r, "ha_chassis_group")
            .and_then(|g| ha_groups.get(&g).cloned())
            .unwrap_or_default();
        let pb = PortBinding {
            logical_port: name.clone(),
            ty: PortType::classify(&s(&r, "type"), parent.as_deref()),
            datapath: dp_key.get(&s(&r, "datapath")).copied().unwrap_or(0),
            tunnel_key: int(&r, "tunnel_key").unwrap_or(0) as u32,
            chassis: opt(&r, "chassis").and_then(|c| chassis_name.get(&c).cloned()),
            requested_chassis: opt(&r, "requested_chassis")
                .and_then(|c| chassis_name.get(&c).cloned()),
            options: smap(&r, "options"),
            parent_port: parent,
            virtual_parent: opt(&r, "virtual_parent"),
            ha_chassis: ha,
            up: atoms(&r, "up").first().and_then(Value::as_bool),
            uuid: uuid128(&s(&r, "_uuid")),
            tag: int(&r, "tag").map(|t| t as u16),
            mac: strs(&r, "mac"),
            encap_ip: opt(&r, "encap").and_then(|e| encap_ip.get(&e).cloned()),
            additional_chassis: strs(&r, "additional_chassis")
                .iter()
                .filter_map(|c| chassis_name.get(c).cloned())
                .collect(),
            additional_encap: strs(&r, "additional_encap")
                .iter()
                .filter_map(|e| Some((encap_chassis.get(e)?.clone(), encap_ip.get(e)?.clone())))
                .collect(),
            requested_additional_chassis: strs(&r, "requested_additional_chassis")
                .iter()
                .filter_map(|c| chassis_name.get(c).cloned())
                .collect(),
            ha_ref_chassis: refs,
        };
        pb_name_by_uuid.insert(s(&r, "_uuid"), name.clone());
        pbs.insert(name, pb);
    }

    let mc_groups = t("Multicast_Group")
        .iter()
        .map(|r| MulticastGroup {
            uuid: uuid128(&s(r, "_uuid")),
            datapath: dp_key.get(&s(r, "datapath")).copied().unwrap_or(0),
            tunnel_key: int(r, "tunnel_key").unwrap_or(0) as u32,
            ports: strs(r, "ports")
                .iter()
                .filter_map(|u| pb_name_by_uuid.get(u).cloned())
                .collect(),
        })
        .collect();

    // OVS side.
    let bridges = rows(&snap["ovs:Bridge"]);
    let br_int = bridges
        .iter()
        .find(|b| s(b, "name") == "br-int")
        .expect("br-int row");
    let ports: HashMap<String, Row> = rows(&snap["ovs:Port"])
        .into_iter()
        .map(|r| (s(&r, "_uuid"), r))
        .collect();
    let ifaces: HashMap<String, Row> = rows(&snap["ovs:Interface"])
        .into_iter()
        .map(|r| (s(&r, "_uuid"), r))
        .collect();
    let mut observed = ObservedBridge {
        name: "br-int".into(),
        ports: Vec::new(),
        names_elsewhere: Default::default(),
    };
    let mut patch_ofports = HashMap::new();
    let mut local_ifaces: HashMap<String, LocalIface> = HashMap::new();
    for pu in strs(br_int, "ports") {
        let Some(p) = ports.get(&pu) else { continue };
        let ext = smap(p, "external_ids");
        let mut op = ObservedPort {
            uuid: pu.clone(),
            name: s(p, "name"),
            external_ids: ext.clone(),
            interfaces: Vec::new(),
        };
        for iu in strs(p, "interfaces") {
            let Some(i) = ifaces.get(&iu) else { continue };
            let ofport = int(i, "ofport");
            let ty = s(i, "type");
            if ty == "patch" {
                let lport = ext
                    .get("ovn-localnet-port")
                    .or_else(|| ext.get("ovn-l2gateway-port"));
                if let (Some(l), Some(o)) = (lport, ofport.filter(|o| *o > 0)) {
                    patch_ofports.insert(l.clone(), o as u16);
                }
            }
            if let Some(id) = smap(i, "external_ids").get("iface-id") {
                local_ifaces.insert(
                    id.clone(),
                    LocalIface {
                        name: s(i, "name"),
                        ofport,
                    },
                );
            }
            op.interfaces.push(ObservedInterface {
                uuid: iu,
                name: s(i, "name"),
                iface_type: ty,
                options: smap(i, "options"),
                ofport,
            });
        }
        observed.ports.push(op);
    }
    let tunnels = tunnel::chassis_tunnels(&observed, ME);
    let ct_zones = {
        let ext = smap(br_int, "external_ids");
        CtZones::restore(ext.iter())
    };
    let tlv = snap["tlv"].as_str().unwrap_or_default();
    let geneve_field = tlv
        .lines()
        .find(|l| l.contains("0x102") && l.contains("0x80"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|f| f.strip_prefix("tun_metadata"))
        .and_then(|n| n.parse::<u8>().ok())
        .map_or(Field::tun_metadata(0), Field::tun_metadata);

    // Who is resident: binding's decision over the same state.
    let me_row = chassis_rows
        .iter()
        .find(|r| s(r, "name") == ME)
        .expect("hv1 chassis");
    let networks: BTreeSet<String> = smap(me_row, "other_config")
        .get("ovn-bridge-mappings")
        .map(|m| {
            m.split(',')
                .filter_map(|kv| kv.split_once(':').map(|(n, _)| n.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let local_chassis = binding::LocalChassis {
        name: ME.into(),
        hostname: s(me_row, "hostname"),
        networks: networks.clone(),
        active_tunnels: Some(BTreeSet::new()),
    };
    let pb_list: Vec<PortBinding> = pbs.values().cloned().collect();
    let bound = binding::run(&local_chassis, &local_ifaces, &pb_list);
    let local_ofports = physical::local_ofports(&bound.resident, &pbs);

    let datapaths: HashMap<u32, DatapathInfo> = datapath_rows
        .iter()
        .map(|r| {
            (
                int(r, "tunnel_key").unwrap_or(0) as u32,
                DatapathInfo {
                    uuid: s(r, "_uuid"),
                    is_transit_switch: smap(r, "external_ids").contains_key("interconn-ts"),
                },
            )
        })
        .collect();
    let mut seeds = bound.local_datapaths;
    seeds.extend(physical::ha_member_datapaths(pbs.values(), ME));
    let local_datapaths = physical::local_datapaths(seeds, &datapaths, &pbs, ME, &networks);

    let mut remote_chassis_macs = Vec::new();
    let mut local_chassis_macs = BTreeMap::new();
    let mut vtep_chassis = BTreeSet::new();
    for r in &chassis_rows {
        let oc = smap(r, "other_config");
        if oc.get("is-vtep").map(String::as_str) == Some("true") {
            vtep_chassis.insert(s(r, "name"));
        }
        for kv in oc
            .get("ovn-chassis-mac-mappings")
            .map(String::as_str)
            .unwrap_or_default()
            .split(',')
        {
            let Some((net, mac)) = kv.split_once(':') else {
                continue;
            };
            let Some(mac) = parse_mac(mac) else { continue };
            if s(r, "name") == ME {
                local_chassis_macs.entry(net.to_owned()).or_insert(mac);
            } else {
                remote_chassis_macs.push(physical::RemoteChassisMac {
                    chassis_uuid: uuid128(&s(r, "_uuid")),
                    mac,
                });
            }
        }
    }

    PhysicalInput {
        chassis: ChassisIdentity {
            name: ME.into(),
            hostname: s(me_row, "hostname"),
        },
        active_tunnels: BTreeSet::new(),
        port_bindings: pbs,
        local_datapaths,
        local_ofports,
        patch_ofports,
        ct_zones,
        tunnels,
        vtep_chassis,
        remote_chassis_macs,
        local_chassis_macs,
        mc_groups,
        geneve_field,
    }
}

// ---- Comparison -------------------------------------------------------------------------------

/// How our flows compare with a dump.
#[derive(Debug, Default)]
struct Diff {
    identical: usize,
    same_key_choices: usize,
    missing: Vec<String>,
    extra: Vec<String>,
}

fn diff(real: &BTreeSet<String>, ours: &[physical::PhysicalFlow]) -> Diff {
    // Every candidate text per key, first added first.
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in ours {
        let text = f.to_string();
        let v = by_key.entry(key_of(&text)).or_default();
        if !v.contains(&text) {
            v.push(text);
        }
    }
    let mut d = Diff::default();
    let mut seen_keys = BTreeSet::new();
    for line in real {
        let key = key_of(line);
        match by_key.get(&key) {
            Some(c) if c.contains(line) => {
                d.identical += 1;
                if c.len() > 1 {
                    d.same_key_choices += 1;
                }
                seen_keys.insert(key);
            }
            _ => d.missing.push(line.clone()),
        }
    }
    d.extra = by_key
        .iter()
        .filter(|(k, _)| !seen_keys.contains(*k))
        .flat_map(|(_, v)| v.iter().cloned())
        .collect();
    d
}

/// Compares our flows with the dump; panics with the differences.
fn assert_same(name: &str, real: &BTreeSet<String>, input: &PhysicalInput) {
    let ours = physical::physical_run(input);
    let real: BTreeSet<String> = real
        .iter()
        .filter(|l| TABLES.contains(&table_of(l)))
        .cloned()
        .collect();
    let real = &real;
    let d = diff(real, &ours);
    eprintln!(
        "[{name}] real {} flows: identical {} (of which same-key choices {}), missing {}, extra {}",
        real.len(),
        d.identical,
        d.same_key_choices,
        d.missing.len(),
        d.extra.len()
    );
    for m in &d.missing {
        eprintln!("  MISSING  {m}");
    }
    for e in &d.extra {
        eprintln!("  EXTRA    {e}");
    }
    assert!(
        d.missing.is_empty() && d.extra.is_empty(),
        "[{name}] {} missing, {} extra flows",
        d.missing.len(),
        d.extra.len()
    );
    assert!(d.identical > 0);
    assert_openflow_prints_same(name, &ours);
    // Per-row recomputation gives exactly the row's share of the full run.
    for pb in input.port_bindings.values() {
        let one = physical::port_binding_flows(input, pb);
        let share: Vec<_> = ours
            .iter()
            .filter(|f| f.source == pb.uuid)
            .cloned()
            .collect();
        assert_eq!(one, share, "[{name}] flows of {}", pb.logical_port);
    }
    for mc in &input.mc_groups {
        let one = physical::mc_group_flows(input, mc);
        let share: Vec<_> = ours
            .iter()
            .filter(|f| f.source == mc.uuid)
            .cloned()
            .collect();
        assert_eq!(
            one, share,
            "[{name}] flows of multicast group {:x}",
            mc.uuid
        );
    }
}

/// The `openflow` crate's model of the same actions (what gets installed) prints identically.
fn assert_openflow_prints_same(name: &str, ours: &[physical::PhysicalFlow]) {
    for f in ours {
        let mut theirs = String::new();
        openflow::action::write_actions(&mut theirs, &f.openflow_actions()).expect("format");
        let ours_text = f.to_string();
        assert_eq!(
            ours_text.split(" actions=").nth(1),
            Some(theirs.as_str()),
            "[{name}] openflow::action prints differently"
        );
    }
}

/// The comparison notices a wrong input: without one VIF's ofport its five flows go missing
/// (and it becomes a remote port without a tunnel, so nothing replaces them).
fn assert_detects_difference(real: &BTreeSet<String>, input: &PhysicalInput, lport: &str) {
    let mut broken = input.clone();
    assert!(
        broken.local_ofports.remove(lport).is_some(),
        "{lport} is local"
    );
    let d = diff(real, &physical::physical_run(&broken));
    assert!(d.missing.len() >= 5, "{d:?}");
}

// ---- Topologies -------------------------------------------------------------------------------

#[test]
fn one_switch_two_vifs() {
    let tb = Testbed::start(None);
    tb.nb(&["ls-add", "ls1"]);
    for (p, mac) in [("vm1", "00:00:00:00:01:01"), ("vm2", "00:00:00:00:01:02")] {
        tb.nb(&["lsp-add", "ls1", p, "--", "lsp-set-addresses", p, mac]);
        tb.add_vif(p, p);
    }
    let (real, input) = tb.settle();
    assert_same("one_switch_two_vifs", &real, &input);
    assert_detects_difference(&real, &input, "vm1");
}

#[test]
fn router_and_two_switches() {
    let tb = Testbed::start(None);
    tb.nb(&["lr-add", "lr1"]);
    for (ls, vm, n) in [("ls1", "vm1", 1), ("ls2", "vm2", 2)] {
        let mac = format!("00:00:00:00:ff:0{n}");
        let net = format!("10.0.{n}.1/24");
        let lrp = format!("lr1-{ls}");
        let lsp = format!("{ls}-lr1");
        let rp = format!("router-port={lrp}");
        tb.nb(&["lrp-add", "lr1", &lrp, &mac, &net]);
        tb.nb(&["ls-add", ls]);
        tb.nb(&[
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
            &rp,
        ]);
        let vmac = format!("00:00:00:00:0{n}:01 10.0.{n}.11");
        tb.nb(&["lsp-add", ls, vm, "--", "lsp-set-addresses", vm, &vmac]);
        tb.add_vif(vm, vm);
    }
    let (real, input) = tb.settle();
    assert_same("router_and_two_switches", &real, &input);
}

/// Adds router port `lr`-`ls` and its switch-side router port.
fn connect(tb: &Testbed, lr: &str, ls: &str, mac: &str, net: &str) {
    let lrp = format!("{lr}-{ls}");
    let lsp = format!("{ls}-{lr}");
    let rp = format!("router-port={lrp}");
    tb.nb(&["lrp-add", lr, &lrp, mac, net]);
    tb.nb(&[
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
        &rp,
    ]);
}

fn add_localnet(tb: &Testbed, ls: &str, ln: &str, tag: Option<&str>) {
    tb.nb(&[
        "lsp-add",
        ls,
        ln,
        "--",
        "lsp-set-type",
        ln,
        "localnet",
        "--",
        "lsp-set-addresses",
        ln,
        "unknown",
        "--",
        "lsp-set-options",
        ln,
        "network_name=phys",
    ]);
    if let Some(t) = tag {
        let t = format!("tag_request={t}");
        tb.nb(&["set", "Logical_Switch_Port", ln, &t]);
    }
}

#[test]
fn localnet_with_bridge_mappings() {
    let tb = Testbed::start(Some("phys:br-phys"));
    tb.ovs.add_bridge("br-phys", "dummy").expect("br-phys");
    tb.sb(&["chassis-add", "hv2", "geneve", "172.16.0.2"]);
    // Untagged localnet, a local and a remote VIF, and a router (chassis-MAC conjunctions).
    tb.nb(&["ls-add", "ls1"]);
    add_localnet(&tb, "ls1", "ln1", None);
    for vm in ["vm1", "vm2"] {
        tb.nb(&[
            "lsp-add",
            "ls1",
            vm,
            "--",
            "lsp-set-addresses",
            vm,
            "unknown",
        ]);
    }
    tb.add_vif("vm1", "vm1");
    tb.nb(&["lr-add", "lr1"]);
    connect(&tb, "lr1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    // A tagged localnet on a second switch with a local VIF.
    tb.nb(&["ls-add", "ls2"]);
    add_localnet(&tb, "ls2", "ln2", Some("100"));
    tb.nb(&[
        "lsp-add",
        "ls2",
        "vm3",
        "--",
        "lsp-set-addresses",
        "vm3",
        "unknown",
    ]);
    tb.add_vif("vm3", "vm3");
    connect(&tb, "lr1", "ls2", "00:00:00:00:ff:02", "10.0.2.1/24");
    tb.nb(&["--wait=hv", "sync"]);
    tb.sb(&["lsp-bind", "vm2", "hv2"]);
    let (real, input) = tb.settle();
    assert!(real.iter().any(|l| l.contains("priority=180")));
    assert_same("localnet_with_bridge_mappings", &real, &input);
}

#[test]
fn gateways_and_remote_chassis() {
    let tb = Testbed::start(Some("phys:br-phys"));
    tb.ovs.add_bridge("br-phys", "dummy").expect("br-phys");
    tb.sb(&["chassis-add", "hv2", "geneve", "172.16.0.2"]);
    tb.nb(&["ls-add", "ls1"]);
    for vm in ["vm1", "vm2"] {
        tb.nb(&[
            "lsp-add",
            "ls1",
            vm,
            "--",
            "lsp-set-addresses",
            vm,
            "unknown",
        ]);
    }
    tb.add_vif("vm1", "vm1");
    // A distributed router whose gateway port has hv1 then hv2 (no BFD: stays remote, HA).
    tb.nb(&["lr-add", "lr1"]);
    connect(&tb, "lr1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    tb.nb(&["ls-add", "pub"]);
    add_localnet(&tb, "pub", "ln-pub", None);
    connect(&tb, "lr1", "pub", "00:00:00:00:ff:02", "172.24.0.1/24");
    tb.nb(&["lrp-set-gateway-chassis", "lr1-pub", "hv1", "20"]);
    tb.nb(&["lrp-set-gateway-chassis", "lr1-pub", "hv2", "10"]);
    // A second router with a single gateway chassis hv1: active here.
    tb.nb(&["lr-add", "lr2"]);
    connect(&tb, "lr2", "ls1", "00:00:00:00:fe:01", "10.0.1.2/24");
    tb.nb(&["ls-add", "ext2"]);
    add_localnet(&tb, "ext2", "ln-ext2", Some("200"));
    connect(&tb, "lr2", "ext2", "00:00:00:00:fe:02", "172.25.0.1/24");
    tb.nb(&["lrp-set-gateway-chassis", "lr2-ext2", "hv1", "10"]);
    // A gateway router on hv1 (l3gateway ports).
    tb.nb(&[
        "lr-add",
        "gw1",
        "--",
        "set",
        "Logical_Router",
        "gw1",
        "options:chassis=hv1",
    ]);
    connect(&tb, "gw1", "ls1", "00:00:00:00:ee:01", "10.0.1.254/24");
    tb.nb(&["--wait=hv", "sync"]);
    // A VIF on hv2: tunnelled unicast and multicast fan-out.
    tb.sb(&["lsp-bind", "vm2", "hv2"]);
    tb.wait("the tunnel to hv2", || {
        tb.vs(&[
            "--bare",
            "--columns=ofport",
            "find",
            "Interface",
            "type=geneve",
        ])
        .trim()
        .parse::<i64>()
        .is_ok_and(|p| p > 0)
    });
    let (real, input) = tb.settle();
    assert!(real.iter().any(|l| l.contains("bundle(")));
    assert!(real.iter().any(|l| l.contains("tun_metadata")));
    assert_same("gateways_and_remote_chassis", &real, &input);
}

#[test]
fn containers_and_localport() {
    let tb = Testbed::start(None);
    tb.nb(&["ls-add", "ls1"]);
    tb.nb(&[
        "lsp-add",
        "ls1",
        "vm1",
        "--",
        "lsp-set-addresses",
        "vm1",
        "unknown",
    ]);
    tb.nb(&[
        "lsp-add",
        "ls1",
        "c1",
        "vm1",
        "42",
        "--",
        "lsp-set-addresses",
        "c1",
        "unknown",
    ]);
    tb.nb(&[
        "lsp-add",
        "ls1",
        "c2",
        "vm1",
        "43",
        "--",
        "lsp-set-addresses",
        "c2",
        "unknown",
    ]);
    tb.nb(&[
        "lsp-add",
        "ls1",
        "lp1",
        "--",
        "lsp-set-type",
        "lp1",
        "localport",
        "--",
        "lsp-set-addresses",
        "lp1",
        "00:00:00:00:01:99 10.0.1.99",
    ]);
    tb.add_vif("vm1", "vm1");
    tb.add_vif("lp1", "lp1");
    let (real, input) = tb.settle();
    assert!(real.iter().any(|l| l.contains("push_vlan")));
    assert_same("containers_and_localport", &real, &input);
}

#[test]
fn multicast_fanout_to_several_chassis() {
    let tb = Testbed::start(None);
    tb.nb(&["ls-add", "ls1"]);
    let remote = [
        ("hv2", "172.16.0.2"),
        ("hv3", "172.16.0.3"),
        ("hv4", "172.16.0.4"),
        ("hv10", "172.16.0.10"),
    ];
    for (ch, ip) in remote {
        tb.sb(&["chassis-add", ch, "geneve", ip]);
    }
    tb.nb(&[
        "lsp-add",
        "ls1",
        "vm1",
        "--",
        "lsp-set-addresses",
        "vm1",
        "unknown",
    ]);
    tb.add_vif("vm1", "vm1");
    for (i, (ch, _)) in remote.iter().enumerate() {
        let vm = format!("r{i}");
        tb.nb(&[
            "lsp-add",
            "ls1",
            &vm,
            "--",
            "lsp-set-addresses",
            &vm,
            "unknown",
        ]);
        tb.nb(&["--wait=hv", "sync"]);
        tb.sb(&["lsp-bind", &vm, ch]);
    }
    tb.wait("tunnels to every chassis", || {
        tb.vs(&[
            "--bare",
            "--columns=ofport",
            "find",
            "Interface",
            "type=geneve",
        ])
        .split_whitespace()
        .filter(|p| p.parse::<i64>().is_ok_and(|p| p > 0))
        .count()
            == remote.len()
    });
    let (real, input) = tb.settle();
    assert!(
        real.iter()
            .any(|l| l.contains("reg15=0x8000") && l.matches("output:").count() == remote.len())
    );
    assert_same("multicast_fanout_to_several_chassis", &real, &input);
}

#[test]
fn localnet_extras_chassis_macs_external_and_l2gateway() {
    let tb = Testbed::start(Some("phys:br-phys"));
    tb.ovs.add_bridge("br-phys", "dummy").expect("br-phys");
    tb.vs(&[
        "set",
        "Open_vSwitch",
        ".",
        "external_ids:ovn-chassis-mac-mappings=\"phys:0a:00:00:00:00:01\"",
    ]);
    tb.sb(&["chassis-add", "hv2", "geneve", "172.16.0.2"]);
    tb.sb(&[
        "set",
        "Chassis",
        "hv2",
        "other_config:ovn-chassis-mac-mappings=\"phys:0a:00:00:00:00:02\"",
    ]);
    tb.nb(&["ls-add", "ls1"]);
    add_localnet(&tb, "ls1", "ln1", None);
    tb.nb(&[
        "lsp-add",
        "ls1",
        "vm1",
        "--",
        "lsp-set-addresses",
        "vm1",
        "00:00:00:00:01:01",
    ]);
    tb.add_vif("vm1", "vm1");
    tb.nb(&["lr-add", "lr1"]);
    connect(&tb, "lr1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    // An external port whose only HA chassis is hv1, and an l2gateway on hv1.
    tb.nb(&[
        "lsp-add",
        "ls1",
        "ext1",
        "--",
        "lsp-set-type",
        "ext1",
        "external",
        "--",
        "lsp-set-addresses",
        "ext1",
        "00:00:00:00:01:77 10.0.1.77",
    ]);
    tb.nb(&["ha-chassis-group-add", "grp1"]);
    tb.nb(&["ha-chassis-group-add-chassis", "grp1", "hv1", "30"]);
    let grp = tb.nb(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "HA_Chassis_Group",
        "name=grp1",
    ]);
    let grp = format!("ha_chassis_group={}", grp.trim());
    tb.nb(&["set", "Logical_Switch_Port", "ext1", &grp]);
    tb.nb(&["ls-add", "ls3"]);
    tb.nb(&[
        "lsp-add",
        "ls3",
        "l2gw",
        "--",
        "lsp-set-type",
        "l2gw",
        "l2gateway",
        "--",
        "lsp-set-addresses",
        "l2gw",
        "unknown",
        "--",
        "lsp-set-options",
        "l2gw",
        "network_name=phys",
        "l2gateway-chassis=hv1",
    ]);
    tb.nb(&[
        "lsp-add",
        "ls3",
        "vm3",
        "--",
        "lsp-set-addresses",
        "vm3",
        "unknown",
    ]);
    tb.add_vif("vm3", "vm3");
    let (real, input) = tb.settle();
    assert!(real.iter().any(|l| l.contains("priority=170")));
    assert!(real.iter().any(|l| l.contains("table=65, priority=150")));
    assert!(real.iter().any(|l| l.contains("conjunction(100,1/2)")));
    assert_same("localnet_extras", &real, &input);
}

/// MAC_Binding, Static_MAC_Binding and FDB rows of a snapshot.
fn extras_from(snapshot: &str) -> (Vec<MacBinding>, Vec<Fdb>) {
    let snap = parse(snapshot);
    let mut mbs: Vec<MacBinding> = rows(&snap["MAC_Binding"])
        .iter()
        .map(|r| MacBinding {
            uuid: uuid128(&s(r, "_uuid")),
            logical_port: s(r, "logical_port"),
            ip: s(r, "ip"),
            mac: s(r, "mac"),
            static_override: None,
        })
        .collect();
    mbs.extend(rows(&snap["Static_MAC_Binding"]).iter().map(|r| {
        MacBinding {
            uuid: uuid128(&s(r, "_uuid")),
            logical_port: s(r, "logical_port"),
            ip: s(r, "ip"),
            mac: s(r, "mac"),
            static_override: atoms(r, "override_dynamic_mac")
                .first()
                .and_then(Value::as_bool),
        }
    }));
    let fdbs = rows(&snap["FDB"])
        .iter()
        .map(|r| Fdb {
            uuid: uuid128(&s(r, "_uuid")),
            mac: s(r, "mac"),
            dp_key: int(r, "dp_key").unwrap_or(0) as u32,
            port_key: int(r, "port_key").unwrap_or(0) as u32,
        })
        .collect();
    (mbs, fdbs)
}

#[test]
fn mac_bindings_and_fdb() {
    let tb = Testbed::start(None);
    tb.nb(&["lr-add", "lr1"]);
    tb.nb(&["ls-add", "ls1"]);
    connect(&tb, "lr1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    tb.nb(&[
        "lsp-add",
        "ls1",
        "vm1",
        "--",
        "lsp-set-addresses",
        "vm1",
        "unknown",
    ]);
    tb.add_vif("vm1", "vm1");
    tb.nb(&[
        "static-mac-binding-add",
        "lr1-ls1",
        "10.0.1.60",
        "00:00:00:00:01:60",
    ]);
    tb.nb(&[
        "static-mac-binding-add",
        "lr1-ls1",
        "fd00::61",
        "00:00:00:00:01:61",
    ]);
    let smb = tb.nb(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "Static_MAC_Binding",
        "ip=10.0.1.60",
    ]);
    tb.nb(&[
        "set",
        "Static_MAC_Binding",
        smb.trim(),
        "override_dynamic_mac=true",
    ]);
    tb.nb(&["--wait=sb", "sync"]);
    let dp = tb.sb(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "Datapath_Binding",
        "external_ids:name=lr1",
    ]);
    let dp = format!("datapath={}", dp.trim());
    tb.sb(&[
        "create",
        "MAC_Binding",
        "logical_port=lr1-ls1",
        "ip=10.0.1.50",
        "mac=\"00:00:00:00:01:50\"",
        &dp,
    ]);
    tb.sb(&[
        "create",
        "MAC_Binding",
        "logical_port=lr1-ls1",
        "ip=\"fd00::51\"",
        "mac=\"00:00:00:00:01:51\"",
        &dp,
    ]);
    // A binding on a port that is not local, and a bad MAC: no flows.
    tb.sb(&[
        "create",
        "MAC_Binding",
        "logical_port=nowhere",
        "ip=10.0.9.9",
        "mac=\"00:00:00:00:09:09\"",
        &dp,
    ]);
    let ls1 = tb.sb(&[
        "--bare",
        "--columns=tunnel_key",
        "find",
        "Datapath_Binding",
        "external_ids:name=ls1",
    ]);
    let dpk = format!("dp_key={}", ls1.trim());
    tb.sb(&[
        "create",
        "FDB",
        "mac=\"00:00:00:00:01:33\"",
        &dpk,
        "port_key=2",
    ]);
    // An entry for a datapath that does not exist (northd deletes it).
    tb.sb(&[
        "create",
        "FDB",
        "mac=\"00:00:00:00:01:34\"",
        "dp_key=99",
        "port_key=2",
    ]);
    let (real, input, snapshot) = tb.settle_with_snapshot();
    let (mbs, fdbs) = extras_from(&snapshot);
    assert_eq!((mbs.len(), fdbs.len()), (5, 1));
    let mut ours: Vec<physical::PhysicalFlow> = Vec::new();
    for b in &mbs {
        ours.extend(lflow_extra::neighbor_flows(&input, b));
    }
    for f in &fdbs {
        ours.extend(lflow_extra::fdb_flows(&input, f));
    }
    let real_extra: BTreeSet<String> = real
        .iter()
        .filter(|l| EXTRA_TABLES.contains(&table_of(l)))
        .cloned()
        .collect();
    let d = diff(&real_extra, &ours);
    eprintln!(
        "[mac_bindings_and_fdb] real {} flows: identical {}, missing {}, extra {}",
        real_extra.len(),
        d.identical,
        d.missing.len(),
        d.extra.len()
    );
    for m in &d.missing {
        eprintln!("  MISSING  {m}");
    }
    for e in &d.extra {
        eprintln!("  EXTRA    {e}");
    }
    assert!(d.missing.is_empty() && d.extra.is_empty());
    assert_eq!(d.identical, 10);
    assert_same("mac_bindings_and_fdb", &real, &input);
}

/// Compares `ours` with the dumped flows of `tables`.
fn assert_tables(
    name: &str,
    real: &BTreeSet<String>,
    tables: &[u8],
    ours: &[physical::PhysicalFlow],
) {
    let real: BTreeSet<String> = real
        .iter()
        .filter(|l| tables.contains(&table_of(l)))
        .cloned()
        .collect();
    let d = diff(&real, ours);
    eprintln!(
        "[{name}] real {} flows: identical {} (of which same-key choices {}), missing {}, extra {}",
        real.len(),
        d.identical,
        d.same_key_choices,
        d.missing.len(),
        d.extra.len()
    );
    for m in &d.missing {
        eprintln!("  MISSING  {m}");
    }
    for e in &d.extra {
        eprintln!("  EXTRA    {e}");
    }
    assert!(
        d.missing.is_empty() && d.extra.is_empty(),
        "[{name}] differs"
    );
    assert!(d.identical > 0, "[{name}] nothing compared");
    assert_openflow_prints_same(name, ours);
}

#[test]
fn port_security() {
    let tb = Testbed::start(None);
    tb.nb(&["ls-add", "ls1"]);
    let ports: [(&str, &[&str]); 5] = [
        ("vm1", &["00:00:00:00:01:01 10.0.1.11/24 fd00::11"]),
        ("vm2", &["00:00:00:00:01:02"]),
        ("vm3", &["00:00:00:00:01:03 10.0.3.0/24 fd00:3::/64"]),
        (
            "vm4",
            &["00:00:00:00:01:04 10.0.1.14", "00:00:00:00:01:44 fd00::44"],
        ),
        ("vm5", &["00:00:00:00:01:05 10.0.1.15"]),
    ];
    for (vm, ps) in ports {
        tb.nb(&[
            "lsp-add",
            "ls1",
            vm,
            "--",
            "lsp-set-addresses",
            vm,
            "unknown",
        ]);
        let mut args = vec!["lsp-set-port-security", vm];
        args.extend_from_slice(ps);
        tb.nb(&args);
        if vm != "vm5" {
            tb.add_vif(vm, vm);
        }
    }
    let (real, input, snapshot) = tb.settle_with_snapshot();
    let snap = parse(&snapshot);
    let mut ours = Vec::new();
    for r in rows(&snap["Port_Binding"]) {
        let Some(pb) = input.port_bindings.get(&s(&r, "logical_port")) else {
            continue;
        };
        // Upstream: every local binding whose chassis is this one.
        if pb.chassis.as_deref() != Some(ME) || !input.local_ofports.contains_key(&pb.logical_port)
        {
            continue;
        }
        ours.extend(lflow_extra::port_sec_flows(pb, &strs(&r, "port_security")));
    }
    assert_tables("port_security", &real, &PORT_SEC_TABLES, &ours);
    assert_same("port_security", &real, &input);
}

#[test]
fn vxlan_and_geneve_tunnels() {
    let tb = Testbed::start(None);
    tb.vs(&[
        "set",
        "Open_vSwitch",
        ".",
        "external_ids:ovn-encap-type=geneve,vxlan",
    ]);
    tb.sb(&["chassis-add", "hv2", "vxlan", "172.16.0.2"]);
    tb.sb(&["chassis-add", "hv3", "geneve", "172.16.0.3"]);
    tb.nb(&["ls-add", "ls1"]);
    for vm in ["vm1", "vm2", "vm3"] {
        tb.nb(&[
            "lsp-add",
            "ls1",
            vm,
            "--",
            "lsp-set-addresses",
            vm,
            "unknown",
        ]);
    }
    tb.add_vif("vm1", "vm1");
    tb.nb(&["--wait=hv", "sync"]);
    tb.sb(&["lsp-bind", "vm2", "hv2"]);
    tb.sb(&["lsp-bind", "vm3", "hv3"]);
    tb.wait("a vxlan and a geneve tunnel", || {
        ["vxlan", "geneve"].iter().all(|t| {
            let ty = format!("type={t}");
            tb.vs(&["--bare", "--columns=ofport", "find", "Interface", &ty])
                .trim()
                .parse::<i64>()
                .is_ok_and(|p| p > 0)
        })
    });
    let (real, input) = tb.settle();
    assert!(
        real.iter().any(|l| l.contains("priority=105")),
        "VXLAN multicast decap"
    );
    assert_same("vxlan_and_geneve_tunnels", &real, &input);
}

/// Actions as the flow table stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Acts(Vec<openflow::action::Action>);

impl agent::ofctrl::flow_table::MergeActions for Acts {
    fn concat(parts: &[&Self]) -> Self {
        Acts(parts.iter().flat_map(|p| p.0.iter().cloned()).collect())
    }
}

type Table = agent::ofctrl::flow_table::FlowTable<openflow::flow_match::Match, Acts>;

fn add_flows(t: &mut Table, flows: Vec<physical::PhysicalFlow>) {
    for f in flows {
        let key = agent::ofctrl::flow_table::FlowKey {
            table: f.table,
            priority: f.priority,
            matches: f.matches,
        };
        t.add(f.source, key, f.cookie, Acts(f.actions));
    }
}

/// What the table believes installed, as flows.
fn installed(t: &mut Table) -> Vec<physical::PhysicalFlow> {
    let ops = t.diff();
    t.apply_installed(&ops);
    t.installed()
        .map(|(k, b)| physical::PhysicalFlow {
            table: k.table,
            priority: k.priority,
            cookie: b.cookie,
            source: 0,
            matches: k.matches.clone(),
            actions: b.actions.0.clone(),
        })
        .collect()
}

/// After a change, recomputing only the rows it touched (`affected_ports`, the groups with a
/// touched member, the hard-coded flows) leaves the flow table equal to the new dump.
#[test]
fn incremental_recomputation_tracks_ovn_controller() {
    let tb = Testbed::start(None);
    tb.sb(&["chassis-add", "hv2", "geneve", "172.16.0.2"]);
    tb.nb(&["ls-add", "ls1"]);
    for vm in ["vm1", "vm2", "vm3", "vm4"] {
        tb.nb(&[
            "lsp-add",
            "ls1",
            vm,
            "--",
            "lsp-set-addresses",
            vm,
            "unknown",
        ]);
    }
    tb.nb(&["lr-add", "lr1"]);
    connect(&tb, "lr1", "ls1", "00:00:00:00:ff:01", "10.0.1.1/24");
    tb.add_vif("vm1", "vm1");
    tb.add_vif("vm2", "vm2");
    tb.nb(&["--wait=hv", "sync"]);
    tb.sb(&["lsp-bind", "vm3", "hv2"]);
    let (real0, input0) = tb.settle();
    let mut t = Table::new();
    add_flows(&mut t, physical::physical_run(&input0));
    let d = diff(&filter_tables(&real0), &installed(&mut t));
    assert!(d.missing.is_empty() && d.extra.is_empty(), "{d:?}");

    // vm2 leaves this chassis, vm4 arrives, vm3 gets a second remote neighbour's port.
    tb.vs(&["del-port", "br-int", "vm2"]);
    tb.add_vif("vm4", "vm4");
    tb.nb(&[
        "lsp-add",
        "ls1",
        "vm5",
        "--",
        "lsp-set-addresses",
        "vm5",
        "unknown",
    ]);
    tb.nb(&["--wait=hv", "sync"]);
    tb.sb(&["lsp-bind", "vm5", "hv2"]);
    let (real1, input1) = tb.settle();

    let mut touched: BTreeSet<String> = BTreeSet::new();
    for (name, pb) in &input1.port_bindings {
        let before = input0.port_bindings.get(name);
        let ofport_changed = input0.local_ofports.get(name) != input1.local_ofports.get(name);
        if before != Some(pb) || ofport_changed {
            touched.extend(physical::affected_ports(&input1, pb));
        }
    }
    for (name, pb) in &input0.port_bindings {
        if !input1.port_bindings.contains_key(name) {
            t.remove_source(pb.uuid);
        }
    }
    assert!(touched.contains("vm2") && touched.contains("vm4") && touched.contains("vm5"));
    for name in &touched {
        let pb = &input1.port_bindings[name];
        t.remove_source(pb.uuid);
        add_flows(&mut t, physical::port_binding_flows(&input1, pb));
    }
    for mc in &input1.mc_groups {
        let old = input0.mc_groups.iter().find(|m| m.uuid == mc.uuid);
        if old != Some(mc) || mc.ports.iter().any(|p| touched.contains(p)) {
            t.remove_source(mc.uuid);
            add_flows(&mut t, physical::mc_group_flows(&input1, mc));
        }
    }
    t.remove_source(physical::HARDCODED_SOURCE);
    add_flows(&mut t, physical::hardcoded_flows(&input1));

    let d = diff(&filter_tables(&real1), &installed(&mut t));
    eprintln!(
        "[incremental] real {} flows: identical {}, missing {}, extra {}",
        real1.len(),
        d.identical,
        d.missing.len(),
        d.extra.len()
    );
    for m in &d.missing {
        eprintln!("  MISSING  {m}");
    }
    for e in &d.extra {
        eprintln!("  EXTRA    {e}");
    }
    assert!(d.missing.is_empty() && d.extra.is_empty());
    assert_ne!(real0, real1);
}

fn filter_tables(real: &BTreeSet<String>) -> BTreeSet<String> {
    real.iter()
        .filter(|l| TABLES.contains(&table_of(l)))
        .cloned()
        .collect()
}

#[test]
fn load_balancer_hairpin() {
    let tb = Testbed::start(None);
    tb.nb(&["ls-add", "ls1"]);
    for vm in ["vm1", "vm2"] {
        tb.nb(&[
            "lsp-add",
            "ls1",
            vm,
            "--",
            "lsp-set-addresses",
            vm,
            "unknown",
        ]);
        tb.add_vif(vm, vm);
    }
    tb.nb(&[
        "lb-add",
        "lb1",
        "10.0.1.100:80",
        "10.0.1.11:8080,10.0.1.12:8080",
        "tcp",
    ]);
    tb.nb(&["lb-add", "lb2", "10.0.1.101", "10.0.1.11,10.0.1.12"]);
    tb.nb(&["lb-add", "lb3", "[fd00::100]:53", "[fd00::11]:5353", "udp"]);
    tb.nb(&[
        "set",
        "Load_Balancer",
        "lb3",
        "options:hairpin_snat_ip=\"10.0.1.200 fd00::200\"",
    ]);
    for lb in ["lb1", "lb2", "lb3"] {
        tb.nb(&["ls-lb-add", "ls1", lb]);
    }
    let (real, input, snapshot) = tb.settle_with_snapshot();
    let snap = parse(&snapshot);
    let dp_key: HashMap<String, u32> = rows(&snap["Datapath_Binding"])
        .iter()
        .map(|r| (s(r, "_uuid"), int(r, "tunnel_key").unwrap_or(0) as u32))
        .collect();
    let groups: HashMap<String, Vec<u32>> = rows(&snap["Logical_DP_Group"])
        .iter()
        .map(|r| {
            let dps = strs(r, "datapaths")
                .iter()
                .filter_map(|d| dp_key.get(d).copied())
                .collect();
            (s(r, "_uuid"), dps)
        })
        .collect();
    // smap_get_bool(.., true): anything but "false" is true, and so is absence.
    let use_ct_mark = rows(&snap["SB_Global"]).first().is_none_or(|g| {
        !smap(g, "options")
            .get("lb_hairpin_use_ct_mark")
            .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    });
    let mut ours = Vec::new();
    let lbs = rows(&snap["Load_Balancer"]);
    assert_eq!(lbs.len(), 3);
    for r in &lbs {
        let mut datapaths: Vec<u32> = strs(r, "datapaths")
            .iter()
            .filter_map(|d| dp_key.get(d).copied())
            .collect();
        if let Some(g) = opt(r, "datapath_group").and_then(|g| groups.get(&g)) {
            datapaths.extend(g);
        }
        let lb = lflow_extra::LoadBalancer {
            uuid: uuid128(&s(r, "_uuid")),
            vips: smap(r, "vips"),
            protocol: opt(r, "protocol"),
            options: smap(r, "options"),
            datapaths,
        };
        ours.extend(lflow_extra::lb_hairpin_flows(&input, &lb, use_ct_mark));
    }
    assert_tables("load_balancer_hairpin", &real, &LB_TABLES, &ours);
}
