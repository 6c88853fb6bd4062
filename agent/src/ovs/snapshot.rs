//! A plain snapshot of what the agent reads from the local Open_vSwitch database, taken from the
//! replica once per loop iteration so that the pure modules (binding, tunnels, physical flows)
//! never hold the replica lock.

use std::collections::{BTreeMap, HashMap};

use ovsdb::Replica;
use ovsdb::views::vswitch::{Bridge, Interface, OpenVswitch, Port};

/// An OVS Interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceView {
    /// Row uuid.
    pub uuid: ovsdb::Uuid,
    /// `name`.
    pub name: String,
    /// `type`.
    pub ty: String,
    /// `ofport`.
    pub ofport: Option<i64>,
    /// `options`.
    pub options: BTreeMap<String, String>,
    /// `external_ids`.
    pub external_ids: BTreeMap<String, String>,
}

/// An OVS Port with its interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortView {
    /// Row uuid.
    pub uuid: ovsdb::Uuid,
    /// `name`.
    pub name: String,
    /// `external_ids`.
    pub external_ids: BTreeMap<String, String>,
    /// The interfaces.
    pub ifaces: Vec<IfaceView>,
}

/// An OVS Bridge with its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeView {
    /// Row uuid.
    pub uuid: ovsdb::Uuid,
    /// `name`.
    pub name: String,
    /// `datapath_type`.
    pub datapath_type: String,
    /// `fail_mode`.
    pub fail_mode: Option<String>,
    /// `external_ids` (ct-zone-* live here).
    pub external_ids: BTreeMap<String, String>,
    /// `other_config`.
    pub other_config: BTreeMap<String, String>,
    /// The ports.
    pub ports: Vec<PortView>,
}

/// The local OVS configuration and bridges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OvsSnapshot {
    /// The Open_vSwitch row's uuid (`None` before `ovs-vsctl init`).
    pub root: Option<ovsdb::Uuid>,
    /// `Open_vSwitch.external_ids`.
    pub external_ids: BTreeMap<String, String>,
    /// `Open_vSwitch.other_config`.
    pub other_config: BTreeMap<String, String>,
    /// `Open_vSwitch.iface_types`.
    pub iface_types: Vec<String>,
    /// Bridges by name.
    pub bridges: BTreeMap<String, BridgeView>,
    /// `Open_vSwitch.datapaths`: datapath type → the Datapath row's `capabilities` (filled in by
    /// ovs-vswitchd once the row exists).
    pub datapath_caps: BTreeMap<String, BTreeMap<String, String>>,
}

impl OvsSnapshot {
    /// Reads the snapshot from a replica of the Open_vSwitch database.
    pub fn read(db: &Replica) -> Self {
        let mut snap = Self::default();
        if let Some(root) = db
            .typed::<OpenVswitch>()
            .as_ref()
            .and_then(|t| t.iter().next())
        {
            snap.root = Some(root.uuid());
            snap.external_ids = root.external_ids().to_btree_map();
            snap.other_config = root.other_config().to_btree_map();
            snap.iface_types = root.iface_types().map(str::to_owned).collect();
            snap.iface_types.sort();
        }
        if let (Some(root_row), Some(ovs_t), Some(dp_t)) = (
            snap.root
                .and_then(|u| db.table("Open_vSwitch").and_then(|t| t.get(&u))),
            db.table("Open_vSwitch"),
            db.table("Datapath"),
        ) && let (Some(dps_col), Some(caps_col)) = (
            ovs_t.schema().column_index("datapaths"),
            dp_t.schema().column_index("capabilities"),
        ) {
            for (k, v) in root_row.get(dps_col).as_map() {
                let (Some(ty), Some(u)) = (k.as_str(), v.as_uuid()) else {
                    continue;
                };
                let caps = dp_t
                    .get(&u)
                    .map(|r| {
                        r.get(caps_col)
                            .as_map()
                            .iter()
                            .filter_map(|(a, b)| {
                                Some((a.as_str()?.to_owned(), b.as_str()?.to_owned()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                snap.datapath_caps.insert(ty.to_owned(), caps);
            }
        }
        let (Some(bridges), Some(ports), Some(ifaces)) = (
            db.typed::<Bridge>(),
            db.typed::<Port>(),
            db.typed::<Interface>(),
        ) else {
            return snap;
        };
        for b in bridges.iter() {
            let ports = b
                .ports()
                .filter_map(|pu| ports.get(&pu))
                .map(|p| PortView {
                    uuid: p.uuid(),
                    name: p.name().to_owned(),
                    external_ids: p.external_ids().to_btree_map(),
                    ifaces: p
                        .interfaces()
                        .filter_map(|iu| ifaces.get(&iu))
                        .map(|i| IfaceView {
                            uuid: i.uuid(),
                            name: i.name().to_owned(),
                            ty: i.ty().to_owned(),
                            ofport: i.ofport(),
                            options: i.options().to_btree_map(),
                            external_ids: i.external_ids().to_btree_map(),
                        })
                        .collect(),
                })
                .collect();
            snap.bridges.insert(
                b.name().to_owned(),
                BridgeView {
                    uuid: b.uuid(),
                    name: b.name().to_owned(),
                    datapath_type: b.datapath_type().to_owned(),
                    fail_mode: b.fail_mode().map(str::to_owned),
                    external_ids: b.external_ids().to_btree_map(),
                    other_config: b.other_config().to_btree_map(),
                    ports,
                },
            );
        }
        snap
    }

    /// A capability of the datapath of `datapath_type` (`ct_zero_snat`, `max_hash_alg`, …).
    pub fn datapath_cap(&self, datapath_type: &str, cap: &str) -> Option<&str> {
        let ty = if datapath_type.is_empty() {
            "system"
        } else {
            datapath_type
        };
        self.datapath_caps
            .get(ty)
            .and_then(|c| c.get(cap))
            .map(String::as_str)
    }

    /// The interfaces of `bridge` that carry `external_ids:iface-id`, by iface-id.
    ///
    /// When two interfaces claim the same iface-id, the first by name wins (deterministically),
    /// as a port can be bound once.
    pub fn vifs(&self, bridge: &str) -> HashMap<String, crate::binding::LocalIface> {
        let mut out: HashMap<String, crate::binding::LocalIface> = HashMap::new();
        let Some(br) = self.bridges.get(bridge) else {
            return out;
        };
        let mut all: Vec<&IfaceView> = br.ports.iter().flat_map(|p| &p.ifaces).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        for i in all {
            if let Some(id) = i.external_ids.get("iface-id") {
                out.entry(id.clone())
                    .or_insert_with(|| crate::binding::LocalIface {
                        name: i.name.clone(),
                        ofport: i.ofport.filter(|p| *p > 0),
                    });
            }
        }
        out
    }

    /// The integration bridge as the tunnel reconciler observes it.
    pub fn observed_for_tunnels(&self, bridge: &str) -> tunnel::ObservedBridge {
        let mut names_elsewhere = std::collections::BTreeSet::new();
        for (name, br) in &self.bridges {
            if name == bridge {
                continue;
            }
            for p in &br.ports {
                names_elsewhere.insert(p.name.clone());
                names_elsewhere.extend(p.ifaces.iter().map(|i| i.name.clone()));
            }
        }
        let ports = self
            .bridges
            .get(bridge)
            .map(|br| {
                br.ports
                    .iter()
                    .map(|p| tunnel::ObservedPort {
                        uuid: p.uuid.to_string(),
                        name: p.name.clone(),
                        external_ids: p.external_ids.clone(),
                        interfaces: p
                            .ifaces
                            .iter()
                            .map(|i| tunnel::ObservedInterface {
                                uuid: i.uuid.to_string(),
                                name: i.name.clone(),
                                iface_type: i.ty.clone(),
                                options: i.options.clone(),
                                ofport: i.ofport,
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        tunnel::ObservedBridge {
            name: bridge.to_owned(),
            ports,
            names_elsewhere,
        }
    }
}
