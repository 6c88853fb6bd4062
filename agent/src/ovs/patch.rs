//! OVS patch ports between the integration bridge and provider bridges (patch.c).
//!
//! Every `localnet` port of a local datapath, and every `l2gateway` port bound here, whose
//! `options:network_name` is in `ovn-bridge-mappings`, gets a pair of OVS patch ports:
//! `patch-<br-int>-to-<lport>` on the integration bridge and `patch-<lport>-to-<br-int>` on the
//! provider bridge, peers of each other, tagged with `external_ids:ovn-localnet-port=<lport>`
//! (`ovn-l2gateway-port` for l2gateway). Patch ports we made that are no longer wanted are
//! removed; other ports are never touched.

use std::collections::{BTreeMap, BTreeSet};

use ovsdb::{Atom, Clause, Condition, Datum, Mutation, Mutator, Operation};

use crate::binding::{PortBinding, PortType};
use crate::config::BridgeMapping;
use crate::ovs::snapshot::OvsSnapshot;

/// The `external_ids` keys that mark patch ports made by ovn-controller (and us).
const OWNED_KEYS: [&str; 4] = [
    "ovn-localnet-port",
    "ovn-l2gateway-port",
    "ovn-l3gateway-port",
    "ovn-logical-patch-port",
];

/// A patch port that should exist.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WantedPatch {
    /// The bridge it is on.
    pub bridge: String,
    /// Its name.
    pub name: String,
    /// Its peer's name.
    pub peer: String,
    /// `ovn-localnet-port` or `ovn-l2gateway-port`.
    pub key: &'static str,
    /// The logical port.
    pub lport: String,
}

/// `patch-<src>-to-<dst>`.
pub fn patch_port_name(src: &str, dst: &str) -> String {
    format!("patch-{src}-to-{dst}")
}

/// The patch ports that should exist.
pub fn wanted(
    br_int: &str,
    mappings: &[BridgeMapping],
    snap: &OvsSnapshot,
    pbs: &[PortBinding],
    local_datapaths: &BTreeSet<u32>,
    chassis: &str,
) -> (Vec<WantedPatch>, Vec<(String, String)>) {
    let by_net: BTreeMap<&str, &str> = mappings
        .iter()
        .map(|m| (m.network.as_str(), m.bridge.as_str()))
        .collect();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for pb in pbs {
        let key = match pb.ty {
            PortType::Localnet => "ovn-localnet-port",
            PortType::L2Gateway if pb.chassis.as_deref() == Some(chassis) => "ovn-l2gateway-port",
            _ => continue,
        };
        if !local_datapaths.contains(&pb.datapath) {
            continue;
        }
        let Some(network) = pb.options.get("network_name") else {
            continue;
        };
        let Some(br_ln) = by_net
            .get(network.as_str())
            .filter(|b| snap.bridges.contains_key(**b))
        else {
            missing.push((pb.logical_port.clone(), network.clone()));
            continue;
        };
        let n1 = patch_port_name(br_int, &pb.logical_port);
        let n2 = patch_port_name(&pb.logical_port, br_int);
        out.push(WantedPatch {
            bridge: br_int.to_owned(),
            name: n1.clone(),
            peer: n2.clone(),
            key,
            lport: pb.logical_port.clone(),
        });
        out.push(WantedPatch {
            bridge: (*br_ln).to_owned(),
            name: n2,
            peer: n1,
            key,
            lport: pb.logical_port.clone(),
        });
    }
    (out, missing)
}

/// Operations that create the missing patch ports and remove stale ones we own.
pub fn reconcile(snap: &OvsSnapshot, want: &[WantedPatch]) -> Vec<Operation> {
    let mut ops = Vec::new();
    let mut keep: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, w) in want.iter().enumerate() {
        let exists = snap.bridges.get(&w.bridge).is_some_and(|b| {
            b.ports.iter().any(|p| {
                p.ifaces.iter().any(|i| {
                    i.ty == "patch"
                        && i.options.get("peer").map(String::as_str) == Some(w.peer.as_str())
                })
            })
        });
        keep.insert((w.bridge.clone(), w.name.clone()));
        if exists {
            continue;
        }
        let iface = format!("piface{i}");
        let port = format!("pport{i}");
        ops.push(
            Operation::insert(
                "Interface",
                [
                    ("name", Datum::from(w.name.as_str())),
                    ("type", Datum::from("patch")),
                    ("options", Datum::map([("peer", w.peer.as_str())])),
                ],
            )
            .with_uuid_name(&iface),
        );
        ops.push(
            Operation::insert(
                "Port",
                [
                    ("name", Datum::from(w.name.as_str())),
                    ("interfaces", Datum::from(Atom::named_uuid(iface))),
                    ("external_ids", Datum::map([(w.key, w.lport.as_str())])),
                ],
            )
            .with_uuid_name(&port),
        );
        ops.push(Operation::mutate(
            "Bridge",
            Condition::new([Clause::eq("name", w.bridge.as_str())]),
            vec![Mutation::new(
                "ports",
                Mutator::Insert,
                Datum::from(Atom::named_uuid(port)),
            )],
        ));
    }
    for (bname, b) in &snap.bridges {
        for p in &b.ports {
            let owned = OWNED_KEYS.iter().any(|k| p.external_ids.contains_key(*k));
            // Logical patch ports of older releases are always stale; ours are kept if wanted.
            if owned && !keep.contains(&(bname.clone(), p.name.clone())) {
                ops.push(Operation::mutate(
                    "Bridge",
                    Condition::new([Clause::eq("_uuid", b.uuid)]),
                    vec![Mutation::new("ports", Mutator::Delete, Datum::from(p.uuid))],
                ));
            }
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovs::snapshot::{BridgeView, IfaceView, PortView};
    use ovsdb::Uuid;

    fn bridge(name: &str, n: u128, ports: Vec<PortView>) -> BridgeView {
        BridgeView {
            uuid: Uuid::from_u128(n),
            name: name.into(),
            datapath_type: String::new(),
            fail_mode: None,
            external_ids: BTreeMap::new(),
            other_config: BTreeMap::new(),
            ports,
        }
    }

    fn patch(name: &str, peer: &str, n: u128, key: &str, lport: &str) -> PortView {
        PortView {
            uuid: Uuid::from_u128(n),
            name: name.into(),
            external_ids: [(key.to_owned(), lport.to_owned())].into_iter().collect(),
            ifaces: vec![IfaceView {
                uuid: Uuid::from_u128(n + 1000),
                name: name.into(),
                ty: "patch".into(),
                ofport: Some(1),
                options: [("peer".to_owned(), peer.to_owned())].into_iter().collect(),
                external_ids: BTreeMap::new(),
            }],
        }
    }

    fn localnet(name: &str, dp: u32, net: &str) -> PortBinding {
        let mut pb = PortBinding {
            logical_port: name.into(),
            ty: PortType::Localnet,
            datapath: dp,
            ..Default::default()
        };
        pb.options.insert("network_name".into(), net.into());
        pb
    }

    #[test]
    fn localnet_ports_get_a_patch_pair_and_stale_ones_go() {
        let mut snap = OvsSnapshot::default();
        snap.bridges.insert(
            "br-int".into(),
            bridge(
                "br-int",
                1,
                vec![patch(
                    "patch-br-int-to-old",
                    "x",
                    10,
                    "ovn-localnet-port",
                    "old",
                )],
            ),
        );
        snap.bridges
            .insert("br-phys".into(), bridge("br-phys", 2, vec![]));
        let maps = vec![BridgeMapping {
            network: "phys".into(),
            bridge: "br-phys".into(),
        }];
        let pbs = vec![
            localnet("ln", 1, "phys"),
            localnet("ln-far", 9, "phys"),
            localnet("ln-nobr", 1, "other"),
        ];
        let (want, missing) = wanted(
            "br-int",
            &maps,
            &snap,
            &pbs,
            &[1].into_iter().collect(),
            "hv1",
        );
        assert_eq!(want.len(), 2);
        assert_eq!(want[0].name, "patch-br-int-to-ln");
        assert_eq!(want[1].bridge, "br-phys");
        assert_eq!(want[1].name, "patch-ln-to-br-int");
        assert_eq!(missing, vec![("ln-nobr".to_owned(), "other".to_owned())]);
        let ops = reconcile(&snap, &want);
        // Two creations (3 ops each) and one deletion.
        assert_eq!(ops.len(), 7);
    }

    #[test]
    fn existing_pairs_are_left_alone() {
        let mut snap = OvsSnapshot::default();
        snap.bridges.insert(
            "br-int".into(),
            bridge(
                "br-int",
                1,
                vec![patch(
                    "patch-br-int-to-ln",
                    "patch-ln-to-br-int",
                    10,
                    "ovn-localnet-port",
                    "ln",
                )],
            ),
        );
        snap.bridges.insert(
            "br-phys".into(),
            bridge(
                "br-phys",
                2,
                vec![patch(
                    "patch-ln-to-br-int",
                    "patch-br-int-to-ln",
                    20,
                    "ovn-localnet-port",
                    "ln",
                )],
            ),
        );
        let maps = vec![BridgeMapping {
            network: "phys".into(),
            bridge: "br-phys".into(),
        }];
        let (want, _) = wanted(
            "br-int",
            &maps,
            &snap,
            &[localnet("ln", 1, "phys")],
            &[1].into_iter().collect(),
            "hv1",
        );
        assert!(reconcile(&snap, &want).is_empty());
    }
}
