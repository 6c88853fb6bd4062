//! Operations on the local Open_vSwitch database: the integration bridge, tunnel ports, conntrack
//! zone persistence and `ovn-installed`. Pure builders of `ovsdb::Operation`s.

use std::collections::BTreeMap;

use ovsdb::{Atom, Clause, Condition, Datum, Mutation, Mutator, Operation, Uuid};

use crate::ct_zones::ZoneChanges;
use crate::ovs::snapshot::OvsSnapshot;

fn by_uuid(u: Uuid) -> Condition {
    Condition::new([Clause::eq("_uuid", u)])
}

fn by_name(name: &str) -> Condition {
    Condition::new([Clause::eq("name", name)])
}

fn map_of(m: &BTreeMap<String, String>) -> Datum {
    Datum::map(m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Creates the integration bridge when it is missing, and fixes what ovn-controller insists on
/// (`fail_mode=secure`, `other_config:disable-in-band=true`, the datapath type when configured)
/// when it exists. Nothing when it is right, or before the Open_vSwitch row exists.
pub fn ensure_integration_bridge(
    snap: &OvsSnapshot,
    bridge: &str,
    datapath_type: Option<&str>,
) -> Vec<Operation> {
    let Some(root) = snap.root else {
        return Vec::new();
    };
    match snap.bridges.get(bridge) {
        None => {
            let mut other = BTreeMap::new();
            other.insert("disable-in-band".to_owned(), "true".to_owned());
            let mut row = vec![
                ("name", Datum::from(bridge)),
                ("fail_mode", Datum::from("secure")),
                ("other_config", map_of(&other)),
                ("ports", Datum::from(Atom::named_uuid("port"))),
            ];
            if let Some(dt) = datapath_type {
                row.push(("datapath_type", Datum::from(dt)));
            }
            vec![
                Operation::insert(
                    "Interface",
                    [
                        ("name", Datum::from(bridge)),
                        ("type", Datum::from("internal")),
                    ],
                )
                .with_uuid_name("iface"),
                Operation::insert(
                    "Port",
                    [
                        ("name", Datum::from(bridge)),
                        ("interfaces", Datum::from(Atom::named_uuid("iface"))),
                    ],
                )
                .with_uuid_name("port"),
                Operation::insert("Bridge", row).with_uuid_name("bridge"),
                Operation::mutate(
                    "Open_vSwitch",
                    by_uuid(root),
                    vec![Mutation::new(
                        "bridges",
                        Mutator::Insert,
                        Datum::from(Atom::named_uuid("bridge")),
                    )],
                ),
            ]
        }
        Some(br) => {
            let mut row: Vec<(&'static str, Datum)> = Vec::new();
            if br.fail_mode.as_deref() != Some("secure") {
                row.push(("fail_mode", Datum::from("secure")));
            }
            if br.other_config.get("disable-in-band").map(String::as_str) != Some("true") {
                let mut other = br.other_config.clone();
                other.insert("disable-in-band".into(), "true".into());
                row.push(("other_config", map_of(&other)));
            }
            if let Some(dt) = datapath_type
                && br.datapath_type != dt
            {
                row.push(("datapath_type", Datum::from(dt)));
            }
            if row.is_empty() {
                Vec::new()
            } else {
                vec![Operation::update("Bridge", by_uuid(br.uuid), row)]
            }
        }
    }
}

/// Creates the `Datapath` row of the integration bridge's datapath type when
/// `Open_vSwitch.datapaths` lacks it, so that ovs-vswitchd reports the datapath's capabilities
/// (`ct_zero_snat`, `max_hash_alg`, …) that change how some actions are encoded.
pub fn ensure_datapath_row(snap: &OvsSnapshot, datapath_type: &str) -> Vec<Operation> {
    let Some(root) = snap.root else {
        return Vec::new();
    };
    let ty = if datapath_type.is_empty() {
        "system"
    } else {
        datapath_type
    };
    if snap.datapath_caps.contains_key(ty) {
        return Vec::new();
    }
    vec![
        Operation::insert("Datapath", []).with_uuid_name("dp"),
        Operation::mutate(
            "Open_vSwitch",
            by_uuid(root),
            vec![Mutation::new(
                "datapaths",
                Mutator::Insert,
                Datum::map([(Atom::from(ty), Atom::named_uuid("dp"))]),
            )],
        ),
    ]
}

/// Translates the tunnel reconciler's operations. Ports not found by uuid (raced away) are
/// skipped by the server's condition, never an error.
pub fn tunnel_ops(ops: &[tunnel::TunnelOp]) -> Vec<Operation> {
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            tunnel::TunnelOp::CreatePort {
                bridge,
                name,
                iface_type,
                options,
                port_external_ids,
            } => {
                let iface = format!("tiface{i}");
                let port = format!("tport{i}");
                out.push(
                    Operation::insert(
                        "Interface",
                        [
                            ("name", Datum::from(name.as_str())),
                            ("type", Datum::from(iface_type.as_str())),
                            ("options", map_of(options)),
                        ],
                    )
                    .with_uuid_name(&iface),
                );
                out.push(
                    Operation::insert(
                        "Port",
                        [
                            ("name", Datum::from(name.as_str())),
                            ("interfaces", Datum::from(Atom::named_uuid(iface))),
                            ("external_ids", map_of(port_external_ids)),
                        ],
                    )
                    .with_uuid_name(&port),
                );
                out.push(Operation::mutate(
                    "Bridge",
                    by_name(bridge),
                    vec![Mutation::new(
                        "ports",
                        Mutator::Insert,
                        Datum::from(Atom::named_uuid(port)),
                    )],
                ));
            }
            tunnel::TunnelOp::DeletePort {
                bridge, port_uuid, ..
            } => {
                if let Ok(u) = Uuid::parse(port_uuid) {
                    out.push(Operation::mutate(
                        "Bridge",
                        by_name(bridge),
                        vec![Mutation::new("ports", Mutator::Delete, Datum::from(u))],
                    ));
                }
            }
            tunnel::TunnelOp::UpdatePort {
                iface_uuid,
                iface_type,
                options,
                ..
            } => {
                if let Ok(u) = Uuid::parse(iface_uuid) {
                    out.push(Operation::update(
                        "Interface",
                        by_uuid(u),
                        [
                            ("type", Datum::from(iface_type.as_str())),
                            ("options", map_of(options)),
                        ],
                    ));
                }
            }
        }
    }
    out
}

/// Persists conntrack zone changes in the integration bridge's `external_ids`.
pub fn ct_zone_ops(bridge: Uuid, changes: &ZoneChanges) -> Vec<Operation> {
    let mut muts = Vec::new();
    if !changes.remove.is_empty() {
        muts.push(Mutation::new(
            "external_ids",
            Mutator::Delete,
            Datum::set(changes.remove.iter().map(String::as_str)),
        ));
    }
    if !changes.set.is_empty() {
        // A map insert does not overwrite existing keys: delete them first.
        muts.push(Mutation::new(
            "external_ids",
            Mutator::Delete,
            Datum::set(changes.set.keys().map(String::as_str)),
        ));
        muts.push(Mutation::new(
            "external_ids",
            Mutator::Insert,
            map_of(&changes.set),
        ));
    }
    if muts.is_empty() {
        Vec::new()
    } else {
        vec![Operation::mutate("Bridge", by_uuid(bridge), muts)]
    }
}

/// Sets or removes `external_ids:ovn-installed` (and `ovn-installed-ts`) on an interface.
pub fn ovn_installed_op(iface: &str, installed: bool, now_ms: i64) -> Operation {
    let keys = Datum::set(["ovn-installed", "ovn-installed-ts"]);
    let mut muts = vec![Mutation::new("external_ids", Mutator::Delete, keys)];
    if installed {
        let ts = now_ms.to_string();
        muts.push(Mutation::new(
            "external_ids",
            Mutator::Insert,
            Datum::map([("ovn-installed", "true"), ("ovn-installed-ts", ts.as_str())]),
        ));
    }
    Operation::mutate("Interface", by_name(iface), muts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovs::snapshot::BridgeView;

    fn snap_with_root() -> OvsSnapshot {
        OvsSnapshot {
            root: Some(Uuid::from_u128(1)),
            ..OvsSnapshot::default()
        }
    }

    #[test]
    fn missing_bridge_is_created_with_ovn_settings() {
        let ops = ensure_integration_bridge(&snap_with_root(), "br-int", Some("netdev"));
        assert_eq!(ops.len(), 4);
        let json =
            serde_json::to_string(&ops.iter().map(Operation::to_json).collect::<Vec<_>>()).unwrap();
        assert!(json.contains("\"fail_mode\":\"secure\""), "{json}");
        assert!(json.contains("disable-in-band"), "{json}");
        assert!(json.contains("\"datapath_type\":\"netdev\""), "{json}");
        assert!(ensure_integration_bridge(&OvsSnapshot::default(), "br-int", None).is_empty());
    }

    #[test]
    fn existing_bridge_is_only_fixed_where_needed() {
        let mut s = snap_with_root();
        let mut oc = BTreeMap::new();
        oc.insert("disable-in-band".to_owned(), "true".to_owned());
        s.bridges.insert(
            "br-int".into(),
            BridgeView {
                uuid: Uuid::from_u128(2),
                name: "br-int".into(),
                datapath_type: "netdev".into(),
                fail_mode: Some("secure".into()),
                external_ids: BTreeMap::new(),
                other_config: oc,
                ports: Vec::new(),
            },
        );
        assert!(ensure_integration_bridge(&s, "br-int", Some("netdev")).is_empty());
        assert_eq!(
            ensure_integration_bridge(&s, "br-int", Some("system")).len(),
            1
        );
    }

    #[test]
    fn ct_zone_changes_become_one_mutate() {
        let mut ch = ZoneChanges::default();
        ch.set.insert("ct-zone-p1".into(), "1".into());
        ch.remove.insert("ct-zone-p0".into());
        let ops = ct_zone_ops(Uuid::from_u128(2), &ch);
        assert_eq!(ops.len(), 1);
        assert!(ct_zone_ops(Uuid::from_u128(2), &ZoneChanges::default()).is_empty());
    }
}
