//! Differential test against the real ovn-controller 23.03: it and the reconciler must agree on
//! which tunnel ports exist and exactly how they are configured, in both directions.
//!
//! - ovn-controller builds the tunnels from a Southbound database; the reconciler, fed the same
//!   SB rows (read back with `ovn-sbctl --format=json`) and the resulting OVS rows, must find
//!   nothing to change, and its own plan from an empty bridge must match ovn-controller's ports.
//! - the reconciler builds the tunnels; a freshly started ovn-controller must keep every port
//!   (same row UUIDs), i.e. accept them as its own.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use common::json;
use testkit::{Cmd, Ovs, OvsdbServer, Process, Schema, find_binary, tail_of_file, wait_until};
use tunnel::{
    Encap, LocalChassis, ObservedBridge, RemoteChassis, TunnelOp, parse_transport_zones, reconcile,
    remove_all_tunnels, smap_bool,
};

const BR: &str = "br-int";
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

struct Bed {
    // Drop order: controller first, then OVS, then the SB.
    controller: Option<Process>,
    ovs: Ovs,
    sb: OvsdbServer,
    nb_cfg: u64,
}

impl Bed {
    fn start() -> Bed {
        let sb = OvsdbServer::start(Schema::OvnSb).expect("SB ovsdb-server");
        let ovs = Ovs::start().expect("ovsdb-server + ovs-vswitchd");
        ovs.add_bridge(BR, "dummy").expect("br-int");
        ovs.vsctl(&[
            "set",
            "Open_vSwitch",
            ".",
            "external_ids:system-id=hv1",
            &format!("external_ids:ovn-remote={}", sb.remote()),
            "external_ids:ovn-encap-type=geneve,vxlan",
            "external_ids:ovn-encap-ip=172.16.0.1",
            "external_ids:ovn-bridge=br-int",
            "external_ids:ovn-bridge-datapath-type=dummy",
        ])
        .expect("ovn external_ids");
        let bed = Bed {
            controller: None,
            ovs,
            sb,
            nb_cfg: 0,
        };
        bed.sbctl(&["init"]);
        bed
    }

    fn sbctl(&self, args: &[&str]) -> String {
        Cmd::new("ovn-sbctl")
            .arg(format!("--db={}", self.sb.remote()))
            .arg("--timeout=10")
            .args(args)
            .run()
            .expect("ovn-sbctl")
    }

    fn vsctl(&self, args: &[&str]) -> String {
        self.ovs.vsctl(args).expect("ovs-vsctl")
    }

    fn log(&self) -> String {
        tail_of_file(&self.ovs.rundir().join("ovn-controller.log"), 30)
    }

    fn start_controller(&mut self) {
        let dir = self.ovs.rundir().to_owned();
        let bin = find_binary("ovn-controller").expect("ovn-controller installed");
        let child = self
            .ovs
            .env(Cmd::new(bin.to_string_lossy()))
            .env("OVN_RUNDIR", &dir)
            .arg(format!(
                "--pidfile={}",
                dir.join("ovn-controller.pid").display()
            ))
            .arg(format!(
                "--log-file={}",
                dir.join("ovn-controller.log").display()
            ))
            .arg("-vconsole:off")
            .arg(self.ovs.db_remote())
            .command()
            .expect("command")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ovn-controller");
        self.controller = Some(Process::from_child("ovn-controller", child, &dir));
    }

    fn stop_controller(&mut self) {
        if let Some(mut p) = self.controller.take() {
            p.terminate();
        }
    }

    /// Bumps SB_Global.nb_cfg and waits until ovn-controller reports it in Chassis_Private: it
    /// has then run its main loop (tunnels included) on SB contents at least this new.
    fn sync(&mut self) {
        self.nb_cfg += 1;
        let n = self.nb_cfg.to_string();
        self.sbctl(&["set", "SB_Global", ".", &format!("nb_cfg={n}")]);
        let reached = wait_until(SYNC_TIMEOUT, || {
            self.sbctl(&[
                "--bare",
                "--columns=nb_cfg",
                "find",
                "Chassis_Private",
                "name=hv1",
            ])
            .trim()
                == n
        });
        assert!(
            reached,
            "ovn-controller did not reach nb_cfg {n}:\n{}",
            self.log()
        );
    }

    fn ovs_column(&self, column: &str) -> BTreeMap<String, String> {
        let rows = json::rows(&self.vsctl(&["--format=json", "list", "Open_vSwitch"]));
        json::smap(&rows[0][column])
    }

    fn ovs_ids(&self) -> BTreeMap<String, String> {
        self.ovs_column("external_ids")
    }

    fn ovs_other_config(&self) -> BTreeMap<String, String> {
        self.ovs_column("other_config")
    }

    fn observe(&self) -> ObservedBridge {
        json::observe(BR, |table| self.vsctl(&["--format=json", "list", table]))
    }

    /// The reconciler's inputs, converted from the SB and OVS rows as the agent would.
    fn inputs(&self) -> (LocalChassis, Vec<RemoteChassis>) {
        let encaps: BTreeMap<String, Encap> =
            json::rows(&self.sbctl(&["--format=json", "list", "Encap"]))
                .into_iter()
                .map(|r| {
                    let e = Encap {
                        encap_type: json::string(&r["type"]),
                        ip: json::string(&r["ip"]),
                        options: json::smap(&r["options"]),
                    };
                    (json::uuid(&r["_uuid"]), e)
                })
                .collect();
        let ovs_ids = self.ovs_ids();
        let mut local = None;
        let mut remotes = Vec::new();
        for r in json::rows(&self.sbctl(&["--format=json", "list", "Chassis"])) {
            let other_config = json::smap(&r["other_config"]);
            let chassis = RemoteChassis {
                name: json::string(&r["name"]),
                encaps: json::uuid_set(&r["encaps"])
                    .iter()
                    .map(|u| encaps[u].clone())
                    .collect(),
                transport_zones: json::string_set(&r["transport_zones"]),
                is_remote: smap_bool(&other_config, "is-remote", false),
                is_interconn: smap_bool(&other_config, "is-interconn", false),
            };
            if chassis.name != "hv1" {
                remotes.push(chassis);
                continue;
            }
            local = Some(LocalChassis {
                name: chassis.name.clone(),
                chassis_idx: String::new(),
                encap_types: chassis.encap_types().collect(),
                // One Encap row per (type, ip): each ip once, in row order.
                encap_ips: chassis.encaps.iter().fold(Vec::new(), |mut ips, e| {
                    if !ips.contains(&e.ip) {
                        ips.push(e.ip.clone());
                    }
                    ips
                }),
                transport_zones: parse_transport_zones(
                    ovs_ids
                        .get("ovn-transport-zones")
                        .map_or("", String::as_str),
                ),
                is_interconn: chassis.is_interconn,
                encap_tos: ovs_ids.get("ovn-encap-tos").cloned(),
                encap_df_default: ovs_ids.get("ovn-encap-df_default").cloned(),
                set_local_ip: smap_bool(&ovs_ids, "ovn-set-local-ip", false),
                ipsec: None,
            });
        }
        (local.expect("hv1 registered its Chassis row"), remotes)
    }

    /// Waits until the reconciler agrees with what ovn-controller did (its commit to the OVS
    /// database may land just after it reported nb_cfg), then returns the inputs used.
    fn assert_agreement(&self) -> (LocalChassis, Vec<RemoteChassis>) {
        let mut last = Vec::new();
        let mut from_config = None;
        let agreed = wait_until(SYNC_TIMEOUT, || {
            let (local, remotes) = self.inputs();
            last = reconcile(&local, &remotes, &self.observe()).ops;
            // The agent builds its local chassis from the OVS configuration directly; that must
            // match what ovn-controller published from the same configuration.
            let cfg =
                LocalChassis::from_ovs_config("hv1", &self.ovs_ids(), &self.ovs_other_config());
            let same = cfg == local;
            from_config = Some((cfg, local));
            last.is_empty() && same
        });
        assert!(
            agreed,
            "reconciler disagrees with ovn-controller: {last:#?}\n{from_config:#?}\n{:#?}\n{}",
            self.observe(),
            self.log()
        );
        self.inputs()
    }

    fn add_encap(&self, chassis: &str, encap_type: &str, ip: &str, options: &[&str]) {
        let mut args = vec![
            "--".to_owned(),
            "--id=@e".into(),
            "create".into(),
            "Encap".into(),
            format!("type={encap_type}"),
            format!("ip=\"{ip}\""),
            format!("chassis_name={chassis}"),
        ];
        args.extend(options.iter().map(|o| format!("options:{o}")));
        args.extend(["--", "add", "Chassis", chassis, "encaps", "@e"].map(String::from));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.sbctl(&refs);
    }
}

/// id → (type, options) of our tunnel ports.
type ById = BTreeMap<String, (String, BTreeMap<String, String>)>;

/// Our tunnel ports by id, plus the set of their names.
fn summary(b: &ObservedBridge) -> (ById, BTreeSet<String>) {
    let mut by_id = BTreeMap::new();
    let mut names = BTreeSet::new();
    for p in &b.ports {
        if let Some(id) = p.chassis_id() {
            let i = &p.interfaces[0];
            by_id.insert(id.to_owned(), (i.iface_type.clone(), i.options.clone()));
            names.insert(p.name.clone());
        }
    }
    (by_id, names)
}

/// Applies the reconciler's operations with generic database commands (test only).
fn apply(bed: &Bed, ops: &[TunnelOp]) {
    let q = |s: &str| serde_json::to_string(s).expect("quote");
    let mut a: Vec<String> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        match op {
            TunnelOp::DeletePort {
                bridge, port_uuid, ..
            } => {
                a.extend(["--", "remove", "Bridge", bridge, "ports", port_uuid].map(String::from));
            }
            TunnelOp::CreatePort {
                bridge,
                name,
                iface_type,
                options,
                port_external_ids,
            } => {
                a.extend(["--", &format!("--id=@i{n}"), "create", "Interface"].map(String::from));
                a.push(format!("name={}", q(name)));
                a.push(format!("type={iface_type}"));
                a.extend(options.iter().map(|(k, v)| format!("options:{k}={}", q(v))));
                a.extend(["--", &format!("--id=@p{n}"), "create", "Port"].map(String::from));
                a.push(format!("name={}", q(name)));
                a.push(format!("interfaces=@i{n}"));
                a.extend(
                    port_external_ids
                        .iter()
                        .map(|(k, v)| format!("external_ids:{k}={}", q(v))),
                );
                a.extend(
                    ["--", "add", "Bridge", bridge, "ports", &format!("@p{n}")].map(String::from),
                );
            }
            TunnelOp::UpdatePort { .. } => panic!("no updates expected here: {op:?}"),
        }
    }
    if !a.is_empty() {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        bed.vsctl(&refs);
    }
}

#[test]
fn agrees_with_ovn_controller_both_ways() {
    let mut bed = Bed::start();
    bed.sbctl(&["chassis-add", "hv2", "geneve", "172.16.0.2"]);
    bed.sbctl(&["chassis-add", "hv3", "geneve", "172.16.0.3"]);
    bed.add_encap(
        "hv3",
        "geneve",
        "172.16.1.3",
        &["csum=false", "dst_port=6082"],
    );
    bed.add_encap("hv3", "vxlan", "172.16.0.3", &[]);
    bed.sbctl(&["chassis-add", "hv4", "vxlan", "172.16.0.4"]);
    bed.sbctl(&["chassis-add", "hv5", "geneve", "172.16.0.5"]);
    bed.sbctl(&["set", "Chassis", "hv5", "transport_zones=tz9"]);
    bed.sbctl(&["chassis-add", "az2-gw", "geneve", "172.16.9.1"]);
    bed.sbctl(&["set", "Chassis", "az2-gw", "other_config:is-remote=true"]);
    bed.sbctl(&["chassis-add", "chassis-long-1", "geneve", "172.16.0.6"]);
    bed.sbctl(&["chassis-add", "chassis-long-2", "stt", "172.16.0.7"]);
    bed.add_encap("chassis-long-2", "vxlan", "fd00::7", &[]);

    // 1. ovn-controller creates the tunnels; the reconciler must agree with every port.
    bed.start_controller();
    bed.sync();
    let (local, remotes) = bed.assert_agreement();
    let upstream = bed.observe();
    let (by_id, names) = summary(&upstream);
    let ids: BTreeSet<&str> = by_id.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "chassis-long-1@172.16.0.6",
            "chassis-long-2@fd00::7",
            "hv2@172.16.0.2",
            "hv3@172.16.0.3",
            "hv3@172.16.1.3",
            "hv4@172.16.0.4",
        ]),
        "hv5 (other zone) and az2-gw (remote, we are no gateway) get none; stt is not ours"
    );
    assert_eq!(
        by_id["hv3@172.16.1.3"],
        (
            "geneve".to_owned(),
            common::map(&[
                ("csum", "false"),
                ("dst_port", "6082"),
                ("key", "flow"),
                ("remote_ip", "172.16.1.3")
            ])
        )
    );
    // The reconciler's own plan for an empty bridge is the same set of ports, names included
    // (the two chassi-* names may be swapped: upstream numbers them in hash order).
    let empty = ObservedBridge {
        ports: upstream
            .ports
            .iter()
            .filter(|p| p.chassis_id().is_none())
            .cloned()
            .collect(),
        ..upstream.clone()
    };
    let planned = reconcile(&local, &remotes, &empty).ops;
    let mut planned_by_id = BTreeMap::new();
    let mut planned_names = BTreeSet::new();
    for op in &planned {
        let TunnelOp::CreatePort {
            name,
            iface_type,
            options,
            port_external_ids,
            ..
        } = op
        else {
            panic!("only creates expected: {op:?}");
        };
        planned_by_id.insert(
            port_external_ids["ovn-chassis-id"].clone(),
            (iface_type.clone(), options.clone()),
        );
        planned_names.insert(name.clone());
    }
    assert_eq!(planned_by_id, by_id);
    assert_eq!(planned_names, names);

    // 2. Configuration changes, followed by ovn-controller; the reconciler must agree again.
    bed.sbctl(&["chassis-del", "hv2"]);
    bed.sbctl(&["set", "Chassis", "az2-gw", "transport_zones=tz9"]);
    bed.vsctl(&[
        "set",
        "Open_vSwitch",
        ".",
        "external_ids:ovn-is-interconn=true",
        "external_ids:ovn-transport-zones=tz9",
        "external_ids:ovn-set-local-ip=true",
        "external_ids:ovn-encap-tos=inherit",
        "external_ids:ovn-encap-df_default=false",
    ]);
    bed.sync();
    let (local, _) = bed.assert_agreement();
    assert!(local.is_interconn, "ovn-controller published is-interconn");
    let (by_id, _) = summary(&bed.observe());
    assert_eq!(
        by_id.keys().map(String::as_str).collect::<Vec<_>>(),
        ["az2-gw@172.16.9.1", "hv5@172.16.0.5"],
        "only chassis in tz9 remain, the remote one since we are now a gateway"
    );
    assert_eq!(
        by_id["az2-gw@172.16.9.1"].1,
        common::map(&[
            ("csum", "true"),
            ("df_default", "false"),
            ("key", "flow"),
            ("local_ip", "172.16.0.1"),
            ("remote_ip", "172.16.9.1"),
            ("tos", "inherit"),
        ])
    );

    // 3. The reconciler builds the tunnels while ovn-controller is down; when it comes back it
    //    must keep every one of them (same rows), as it does with its own.
    bed.stop_controller();
    let (local, remotes) = bed.inputs();
    apply(&bed, &remove_all_tunnels(&bed.observe()));
    assert!(summary(&bed.observe()).0.is_empty());
    apply(&bed, &reconcile(&local, &remotes, &bed.observe()).ops);
    let ours: BTreeSet<(String, String)> = bed
        .observe()
        .ports
        .iter()
        .filter(|p| p.chassis_id().is_some())
        .map(|p| (p.uuid.clone(), p.name.clone()))
        .collect();
    assert_eq!(ours.len(), 2);
    bed.start_controller();
    bed.sync();
    bed.assert_agreement();
    let after: BTreeSet<(String, String)> = bed
        .observe()
        .ports
        .iter()
        .filter(|p| p.chassis_id().is_some())
        .map(|p| (p.uuid.clone(), p.name.clone()))
        .collect();
    assert_eq!(
        after,
        ours,
        "ovn-controller replaced ports the reconciler made:\n{}",
        bed.log()
    );
}
