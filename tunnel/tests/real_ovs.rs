//! The reconciler against a real ovsdb-server + ovs-vswitchd (dummy datapath, via testkit):
//! operations are translated to generic `ovs-vsctl` database commands (test only; the agent uses
//! the ovsdb crate), applied in one transaction, the rows read back with
//! `ovs-vsctl --format=json list`, and reconciling again must give nothing. The tunnel flows and
//! the TLV mapping are checked against what the switch itself reports.

use std::collections::{BTreeMap, BTreeSet};

mod common;

use common::json;
use testkit::Ovs;
use tunnel::flows::{decap_flows, encapsulation_actions, ramp_switch_flow};
use tunnel::{
    Encap, EncapType, LocalChassis, ObservedBridge, RemoteChassis, TlvMap, TlvMapping, TlvOp,
    TlvTable, TunnelOp, chassis_tunnels, ovn_tlv_mapping, reconcile,
};

const BR: &str = "br-int";

fn start() -> Ovs {
    let ovs = Ovs::start().expect("start ovsdb-server + ovs-vswitchd");
    ovs.add_bridge(BR, "dummy").expect("add br-int");
    ovs
}

/// The replica the agent would have, converted to the reconciler's input.
fn observe(ovs: &Ovs) -> ObservedBridge {
    json::observe(BR, |table| {
        ovs.vsctl(&["--format=json", "list", table])
            .expect("vsctl list")
    })
}

// ---- applying operations ---------------------------------------------------------------

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("quote")
}

/// The operations as generic database commands in one `ovs-vsctl` transaction, mirroring the
/// OVSDB transaction the agent will send (insert Interface + Port, mutate Bridge.ports).
fn vsctl_args(ops: &[TunnelOp]) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        match op {
            TunnelOp::DeletePort {
                bridge, port_uuid, ..
            } => {
                a.extend(["--", "remove", "Bridge", bridge, "ports", port_uuid].map(String::from));
            }
            TunnelOp::UpdatePort {
                iface_uuid,
                iface_type,
                options,
                ..
            } => {
                a.extend(["--", "clear", "Interface", iface_uuid, "options"].map(String::from));
                a.extend(["--", "set", "Interface", iface_uuid].map(String::from));
                a.push(format!("type={iface_type}"));
                a.extend(
                    options
                        .iter()
                        .map(|(k, v)| format!("options:{k}={}", quoted(v))),
                );
            }
            TunnelOp::CreatePort {
                bridge,
                name,
                iface_type,
                options,
                port_external_ids,
            } => {
                a.extend(["--", &format!("--id=@i{n}"), "create", "Interface"].map(String::from));
                a.push(format!("name={}", quoted(name)));
                a.push(format!("type={iface_type}"));
                a.extend(
                    options
                        .iter()
                        .map(|(k, v)| format!("options:{k}={}", quoted(v))),
                );
                a.extend(["--", &format!("--id=@p{n}"), "create", "Port"].map(String::from));
                a.push(format!("name={}", quoted(name)));
                a.push(format!("interfaces=@i{n}"));
                a.extend(
                    port_external_ids
                        .iter()
                        .map(|(k, v)| format!("external_ids:{k}={}", quoted(v))),
                );
                a.extend(
                    ["--", "add", "Bridge", bridge, "ports", &format!("@p{n}")].map(String::from),
                );
            }
        }
    }
    a
}

fn apply(ovs: &Ovs, ops: &[TunnelOp]) {
    if ops.is_empty() {
        return;
    }
    let args = vsctl_args(ops);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ovs.vsctl(&refs).expect("apply ops");
}

/// Reconciles, applies, re-reads, and checks the fixed point. Returns the ops applied.
fn converge(ovs: &Ovs, local: &LocalChassis, remotes: &[RemoteChassis]) -> Vec<TunnelOp> {
    let ops = reconcile(local, remotes, &observe(ovs)).ops;
    apply(ovs, &ops);
    let again = reconcile(local, remotes, &observe(ovs));
    assert_eq!(again.ops, vec![], "not converged after {ops:#?}");
    ops
}

/// `ovn-chassis-id` → (port name, interface type, options, ofport) of our tunnel ports.
type Tunnels = BTreeMap<String, (String, String, BTreeMap<String, String>, Option<i64>)>;

fn tunnels(ovs: &Ovs) -> Tunnels {
    observe(ovs)
        .ports
        .into_iter()
        .filter_map(|p| {
            let id = p.chassis_id()?.to_owned();
            assert_eq!(p.interfaces.len(), 1, "{p:?}");
            let i = &p.interfaces[0];
            Some((
                id,
                (
                    p.name.clone(),
                    i.iface_type.clone(),
                    i.options.clone(),
                    i.ofport,
                ),
            ))
        })
        .collect()
}

fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
}

fn local() -> LocalChassis {
    LocalChassis {
        name: "hv1".into(),
        encap_types: [EncapType::Geneve, EncapType::Vxlan].into(),
        encap_ips: vec!["172.16.0.1".into()],
        ..Default::default()
    }
}

fn remote(name: &str, encaps: Vec<Encap>) -> RemoteChassis {
    RemoteChassis {
        name: name.into(),
        encaps,
        ..Default::default()
    }
}

fn geneve(ip: &str) -> Encap {
    Encap::new("geneve", ip).with_option("csum", "true")
}

// ---- tests ------------------------------------------------------------------------------

#[test]
fn tunnels_converge_on_real_ovs() {
    let ovs = start();
    // A VIF and a port on another bridge whose name a tunnel would otherwise take.
    ovs.vsctl(&[
        "add-port",
        BR,
        "vif1",
        "--",
        "set",
        "Interface",
        "vif1",
        "type=internal",
    ])
    .expect("vif1");
    ovs.add_bridge("br-phy", "dummy").expect("br-phy");
    ovs.vsctl(&[
        "add-port",
        "br-phy",
        "ovn-hv3-0",
        "--",
        "set",
        "Interface",
        "ovn-hv3-0",
        "type=internal",
    ])
    .expect("squatter");
    // A tunnel port of ours with two interfaces (as a bond, one interface named like the port):
    // it is replaced by a one-interface port of the same name, in the same transaction.
    ovs.vsctl(&[
        "add-bond",
        BR,
        "ovn-hv5-0",
        "ovn-hv5-0",
        "hv5b",
        "--",
        "set",
        "Interface",
        "ovn-hv5-0",
        "type=internal",
        "--",
        "set",
        "Interface",
        "hv5b",
        "type=internal",
        "--",
        "set",
        "Port",
        "ovn-hv5-0",
        "external_ids:ovn-chassis-id=hv5@172.16.0.5",
    ])
    .expect("bond");

    let ic_gw = RemoteChassis {
        is_remote: true,
        ..remote("az2-gw", vec![geneve("172.16.9.1")])
    };
    let mut remotes = vec![
        remote("hv2", vec![geneve("172.16.0.2")]),
        remote(
            "hv3",
            vec![
                geneve("172.16.0.3").with_option("dst_port", "6082"),
                geneve("fd00::3"),
                Encap::new("vxlan", "172.16.0.3"),
            ],
        ),
        remote("hv4", vec![Encap::new("vxlan", "172.16.0.4")]),
        remote("hv5", vec![geneve("172.16.0.5")]),
        ic_gw,
    ];

    // Round 1: create everything from scratch (plus the by-name replacement of the bond).
    let bond_uuid = ovs
        .vsctl(&["get", "Port", "ovn-hv5-0", "_uuid"])
        .expect("uuid");
    let ops = converge(&ovs, &local(), &remotes);
    assert!(ops.contains(&TunnelOp::DeletePort {
        bridge: BR.into(),
        port_uuid: bond_uuid.trim().to_owned(),
        name: "ovn-hv5-0".into(),
    }));
    assert!(
        ops.iter()
            .any(|op| matches!(op, TunnelOp::CreatePort { name, .. } if name == "ovn-hv5-0"))
    );
    let t = tunnels(&ovs);
    let names: BTreeMap<&str, &str> = t
        .iter()
        .map(|(id, v)| (id.as_str(), v.0.as_str()))
        .collect();
    assert_eq!(
        names,
        BTreeMap::from([
            ("hv2@172.16.0.2", "ovn-hv2-0"),
            ("hv3@172.16.0.3", "ovn-hv3-1"),
            ("hv3@fd00::3", "ovn-hv3-2"),
            ("hv4@172.16.0.4", "ovn-hv4-0"),
            ("hv5@172.16.0.5", "ovn-hv5-0"),
        ]),
        "az2-gw is skipped (not interconn), ovn-hv3-0 is taken on br-phy"
    );
    let hv3 = &t["hv3@172.16.0.3"];
    assert_eq!(hv3.1, "geneve");
    assert_eq!(
        hv3.2,
        map(&[
            ("csum", "true"),
            ("dst_port", "6082"),
            ("key", "flow"),
            ("remote_ip", "172.16.0.3")
        ])
    );
    assert_eq!(t["hv4@172.16.0.4"].1, "vxlan");
    for (id, (name, _, _, ofport)) in &t {
        assert!(
            ofport.is_some_and(|p| p >= 1),
            "{id} {name}: ofport {ofport:?}"
        );
    }
    // The VIF and the other bridge's port are untouched.
    let vsctl = |args: &[&str]| ovs.vsctl(args).expect("vsctl").trim().to_owned();
    assert_eq!(vsctl(&["port-to-br", "vif1"]), BR);
    assert_eq!(vsctl(&["port-to-br", "ovn-hv3-0"]), "br-phy");
    let show = ovs.ofctl_br(BR, &["show"]).expect("ofctl show");
    for (name, ..) in t.values() {
        assert!(
            show.contains(&format!("({name})")),
            "{name} not in ovs-ofctl show:\n{show}"
        );
    }

    // Round 2: hv2 removed, hv3's dst_port changed, this chassis becomes an IC gateway.
    remotes.retain(|r| r.name != "hv2");
    remotes[0].encaps[0].options.remove("dst_port");
    let gw = LocalChassis {
        is_interconn: true,
        ..local()
    };
    // A hand-made, slightly different duplicate of hv4's tunnel: the correct one is kept.
    ovs.vsctl(&[
        "add-port",
        BR,
        "dup4",
        "--",
        "set",
        "Interface",
        "dup4",
        "type=vxlan",
        "options:remote_ip=172.16.0.4",
        "options:key=flow",
        "options:tos=8",
        "--",
        "set",
        "Port",
        "dup4",
        "external_ids:ovn-chassis-id=hv4@172.16.0.4",
    ])
    .expect("dup4");
    let hv3_ofport = t["hv3@172.16.0.3"].3;
    let ops = converge(&ovs, &gw, &remotes);
    let kinds: Vec<(&str, &str)> = ops
        .iter()
        .map(|op| match op {
            TunnelOp::CreatePort { name, .. } => ("create", name.as_str()),
            TunnelOp::DeletePort { name, .. } => ("delete", name.as_str()),
            TunnelOp::UpdatePort { name, .. } => ("update", name.as_str()),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("delete", "dup4"),
            ("delete", "ovn-hv2-0"),
            ("update", "ovn-hv3-1"),
            ("create", "ovn-az2-gw-0"),
        ]
    );
    let t2 = tunnels(&ovs);
    assert!(!t2.contains_key("hv2@172.16.0.2"));
    assert_eq!(
        t2["hv3@172.16.0.3"].2,
        map(&[
            ("csum", "true"),
            ("key", "flow"),
            ("remote_ip", "172.16.0.3")
        ])
    );
    assert_eq!(
        t2["hv3@172.16.0.3"].3, hv3_ofport,
        "updated in place keeps its ofport"
    );
    assert!(t2["az2-gw@172.16.9.1"].3.is_some_and(|p| p >= 1));
    assert!(
        ovs.vsctl(&["port-to-br", "dup4"]).is_err(),
        "duplicate removed"
    );

    // Round 3: everything gone → all our ports deleted, the VIF stays.
    converge(&ovs, &gw, &[]);
    assert!(tunnels(&ovs).is_empty());
    assert_eq!(vsctl(&["list-ports", BR]), "vif1");
}

/// Parses `ovs-ofctl dump-tlv-map` output.
fn tlv_table(ovs: &Ovs) -> TlvTable {
    let out = ovs.ofctl_br(BR, &["dump-tlv-map"]).expect("dump-tlv-map");
    let mut t = TlvTable::default();
    for line in out.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("max option space=") {
            let (space, fields) = rest.split_once(" max fields=").expect("limits line");
            t.max_option_space = space.parse().expect("space");
            t.max_fields = fields.parse().expect("fields");
        } else if let [class, ty, len, field] = line.split_whitespace().collect::<Vec<_>>()[..]
            && let Some(index) = field.strip_prefix("tun_metadata")
        {
            let hex = |s: &str| u16::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex");
            t.mappings.push(TlvMap {
                option_class: hex(class),
                option_type: u8::try_from(hex(ty)).expect("type"),
                option_len: len.parse().expect("len"),
                index: index.parse().expect("index"),
            });
        }
    }
    t
}

#[test]
fn tlv_mapping_and_flows_on_real_ovs() {
    let ovs = start();
    // Someone else's option already holds tun_metadata0: OVN must take the next free index.
    ovs.ofctl_br(
        BR,
        &[
            "add-tlv-map",
            "{class=0xffff,type=0x1,len=8}->tun_metadata0",
        ],
    )
    .expect("foreign tlv");
    let table = tlv_table(&ovs);
    assert_eq!((table.max_option_space, table.max_fields), (256, 64));
    let m = ovn_tlv_mapping(&table).expect("mapping");
    assert_eq!(
        m,
        TlvMapping {
            index: 1,
            op: TlvOp::Add
        }
    );
    let e = m.entry();
    ovs.ofctl_br(
        BR,
        &[
            "add-tlv-map",
            &format!(
                "{{class={:#x},type={:#x},len={}}}->tun_metadata{}",
                e.option_class, e.option_type, e.option_len, e.index
            ),
        ],
    )
    .expect("add tlv");
    // Next time the mapping is found and reused.
    assert_eq!(
        ovn_tlv_mapping(&tlv_table(&ovs)),
        Ok(TlvMapping {
            index: 1,
            op: TlvOp::None
        })
    );

    let remotes = vec![
        remote("hv2", vec![geneve("172.16.0.2")]),
        remote("hv3", vec![Encap::new("vxlan", "172.16.0.3")]),
    ];
    converge(&ovs, &local(), &remotes);
    let tuns = chassis_tunnels(&observe(&ovs), "hv1");
    assert_eq!(tuns.len(), 2);

    let mut want: BTreeSet<String> = BTreeSet::new();
    for (i, tun) in tuns.iter().enumerate() {
        // A hardware-VTEP binding behind the VXLAN tunnel (cookie as upstream: binding uuid).
        let ramp = ramp_switch_flow(tun, 5, 3, 0xab);
        assert_eq!(ramp.is_some(), tun.encap_type == EncapType::Vxlan);
        for flow in decap_flows(tun, Some(m.index))
            .expect("decap flows")
            .into_iter()
            .chain(ramp)
        {
            let text = flow.to_string();
            ovs.ofctl_br(BR, &["add-flow", &text]).expect("add-flow");
            want.insert(text);
        }
        // Encapsulation towards the tunnel, as table 39 would do for outport 2 of datapath 1.
        let mut actions: Vec<String> =
            encapsulation_actions(tun.encap_type, Some(m.index), 1, 2, false)
                .expect("encap actions")
                .iter()
                .map(ToString::to_string)
                .collect();
        actions.push(format!("output:{}", tun.ofport));
        let text = format!(
            "table=39, priority={},reg15=0x2,metadata=0x1 actions={}",
            100 + i,
            actions.join(",")
        );
        ovs.ofctl_br(BR, &["add-flow", &text])
            .expect("add encap flow");
        want.insert(text);
    }
    let dumped: BTreeSet<String> = ovs
        .ofctl_br(BR, &["dump-flows", "--no-stats"])
        .expect("dump-flows")
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        dumped, want,
        "ovs-ofctl prints the flows exactly as rendered"
    );

    // ovs-vswitchd restarts: the TLV table is empty again, so the agent must map the option anew
    // (before reinstalling flows); the tunnel ports live in the database and need nothing.
    let mut ovs = ovs;
    ovs.restart_vswitchd().expect("restart vswitchd");
    assert_eq!(
        ovn_tlv_mapping(&tlv_table(&ovs)),
        Ok(TlvMapping {
            index: 0,
            op: TlvOp::Add
        })
    );
    assert_eq!(reconcile(&local(), &remotes, &observe(&ovs)).ops, vec![]);
    let after = chassis_tunnels(&observe(&ovs), "hv1");
    assert_eq!(after.len(), 2, "tunnels have ofports again: {after:?}");
}
