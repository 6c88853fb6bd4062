//! A plain snapshot of what binding and tunnels need from the Southbound replica, and the
//! Port_Binding writes (claim, release, up).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ovsdb::views::ovn_sb::{
    Chassis, DatapathBinding, Encap, HaChassis, HaChassisGroup, MulticastGroup, PortBinding,
    SbGlobal,
};
use ovsdb::{Clause, Condition, Datum, Operation, Replica, Uuid};

use crate::binding;

/// A logical datapath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatapathInfo {
    /// Row uuid.
    pub uuid: Uuid,
    /// `tunnel_key`.
    pub key: u32,
    /// `external_ids` (`name`, `logical-switch`/`logical-router`, `interconn-ts`, `snat-ct-zone`).
    pub external_ids: BTreeMap<String, String>,
}

/// A multicast group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McGroup {
    /// Row uuid.
    pub uuid: Uuid,
    /// Datapath tunnel key.
    pub datapath: u32,
    /// `name`.
    pub name: String,
    /// `tunnel_key`.
    pub key: u32,
    /// Member logical ports.
    pub ports: Vec<String>,
}

/// One of this chassis's Encap rows: uuid, type, ip.
pub type OwnEncap = (Uuid, String, String);

/// What the agent reads from the Southbound DB each iteration.
#[derive(Debug, Clone, Default)]
pub struct SbSnapshot {
    /// `SB_Global.nb_cfg`.
    pub nb_cfg: i64,
    /// Datapaths by uuid.
    pub datapaths: HashMap<Uuid, DatapathInfo>,
    /// Port bindings, in logical-port order.
    pub port_bindings: Vec<binding::PortBinding>,
    /// Port_Binding row uuids by logical port.
    pub pb_uuid: HashMap<String, Uuid>,
    /// Chassis names by uuid.
    pub chassis_names: HashMap<Uuid, String>,
    /// Other chassis, as the tunnel reconciler wants them.
    pub remote_chassis: Vec<tunnel::RemoteChassis>,
    /// Multicast groups.
    pub mc_groups: Vec<McGroup>,
    /// This chassis's row and its encaps, once registered.
    pub me: Option<(Uuid, Vec<OwnEncap>)>,
}

impl SbSnapshot {
    /// Reads the snapshot; `me` is this chassis's name.
    pub fn read(db: &Replica, me: &str) -> Self {
        let mut s = Self::default();
        if let Some(g) = db
            .typed::<SbGlobal>()
            .as_ref()
            .and_then(|t| t.iter().next())
        {
            s.nb_cfg = g.nb_cfg();
        }
        if let Some(dps) = db.typed::<DatapathBinding>() {
            for d in dps.iter() {
                let Ok(key) = u32::try_from(d.tunnel_key()) else {
                    continue;
                };
                s.datapaths.insert(
                    d.uuid(),
                    DatapathInfo {
                        uuid: d.uuid(),
                        key,
                        external_ids: d.external_ids().to_btree_map(),
                    },
                );
            }
        }
        let encaps = db.typed::<Encap>();
        if let Some(chassis) = db.typed::<Chassis>() {
            for c in chassis.iter() {
                s.chassis_names.insert(c.uuid(), c.name().to_owned());
                let cencaps: Vec<(Uuid, String, String, BTreeMap<String, String>)> = c
                    .encaps()
                    .filter_map(|u| encaps.as_ref().and_then(|e| e.get(&u)))
                    .map(|e| {
                        (
                            e.uuid(),
                            e.ty().to_owned(),
                            e.ip().to_owned(),
                            e.options().to_btree_map(),
                        )
                    })
                    .collect();
                if c.name() == me {
                    s.me = Some((
                        c.uuid(),
                        cencaps
                            .iter()
                            .map(|(u, t, ip, _)| (*u, t.clone(), ip.clone()))
                            .collect(),
                    ));
                    continue;
                }
                let oc = c.other_config().to_btree_map();
                s.remote_chassis.push(tunnel::RemoteChassis {
                    name: c.name().to_owned(),
                    encaps: cencaps
                        .into_iter()
                        .map(|(_, t, ip, options)| tunnel::Encap {
                            encap_type: t,
                            ip,
                            options,
                        })
                        .collect(),
                    transport_zones: c.transport_zones().map(str::to_owned).collect(),
                    is_remote: oc.get("is-remote").is_some_and(|v| v == "true"),
                    is_interconn: oc.get("is-interconn").is_some_and(|v| v == "true"),
                });
            }
        }
        let ha_groups = db.typed::<HaChassisGroup>();
        let ha = db.typed::<HaChassis>();
        if let Some(pbs) = db.typed::<PortBinding>() {
            for pb in pbs.iter() {
                let Some(dp) = s.datapaths.get(&pb.datapath()) else {
                    continue;
                };
                let name = |u: Option<Uuid>| u.and_then(|u| s.chassis_names.get(&u).cloned());
                let ha_chassis = pb
                    .ha_chassis_group()
                    .and_then(|g| ha_groups.as_ref().and_then(|t| t.get(&g)))
                    .map(|g| {
                        g.ha_chassis()
                            .filter_map(|h| ha.as_ref().and_then(|t| t.get(&h)))
                            .map(|h| binding::HaChassis {
                                chassis: name(h.chassis()),
                                priority: h.priority(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                s.pb_uuid.insert(pb.logical_port().to_owned(), pb.uuid());
                let encap_ip = |u: Uuid| {
                    encaps
                        .as_ref()
                        .and_then(|t| t.get(&u))
                        .map(|e| e.ip().to_owned())
                };
                // `additional_encap` (which tunnel of an additional chassis to use during live
                // migration) is not read yet: the first tunnel to that chassis is used.
                let additional_encap: BTreeMap<String, String> = BTreeMap::new();
                let ha_ref_chassis: Vec<String> = pb
                    .ha_chassis_group()
                    .and_then(|g| ha_groups.as_ref().and_then(|t| t.get(&g)))
                    .map(|g| {
                        g.ref_chassis()
                            .filter_map(|u| s.chassis_names.get(&u).cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                s.port_bindings.push(binding::PortBinding {
                    logical_port: pb.logical_port().to_owned(),
                    ty: binding::PortType::classify(pb.ty(), pb.parent_port()),
                    datapath: dp.key,
                    tunnel_key: u32::try_from(pb.tunnel_key()).unwrap_or(0),
                    chassis: name(pb.chassis()),
                    requested_chassis: name(pb.requested_chassis()),
                    options: pb.options().to_btree_map(),
                    parent_port: pb.parent_port().map(str::to_owned),
                    virtual_parent: pb.virtual_parent().map(str::to_owned),
                    ha_chassis,
                    up: pb.up(),
                    uuid: pb.uuid().as_u128(),
                    tag: pb.tag().and_then(|t| u16::try_from(t).ok()),
                    mac: pb.mac().map(str::to_owned).collect(),
                    encap_ip: pb.encap().and_then(encap_ip),
                    additional_chassis: pb
                        .additional_chassis()
                        .filter_map(|u| s.chassis_names.get(&u).cloned())
                        .collect(),
                    additional_encap,
                    requested_additional_chassis: pb
                        .requested_additional_chassis()
                        .filter_map(|u| s.chassis_names.get(&u).cloned())
                        .collect(),
                    ha_ref_chassis,
                });
            }
        }
        s.port_bindings
            .sort_by(|a, b| a.logical_port.cmp(&b.logical_port));
        if let Some(mcs) = db.typed::<MulticastGroup>() {
            let lport_of: HashMap<Uuid, &str> =
                s.pb_uuid.iter().map(|(lp, u)| (*u, lp.as_str())).collect();
            for mc in mcs.iter() {
                let Some(dp) = s.datapaths.get(&mc.datapath()) else {
                    continue;
                };
                s.mc_groups.push(McGroup {
                    uuid: mc.uuid(),
                    datapath: dp.key,
                    name: mc.name().to_owned(),
                    key: u32::try_from(mc.tunnel_key()).unwrap_or(0),
                    ports: mc
                        .ports()
                        .filter_map(|u| lport_of.get(&u).map(|s| (*s).to_owned()))
                        .collect(),
                });
            }
        }
        s
    }

    /// The datapath uuids of the local datapath keys (for NAT zone names and conditions).
    pub fn datapath_uuids(&self, keys: &BTreeSet<u32>) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self
            .datapaths
            .values()
            .filter(|d| keys.contains(&d.key))
            .map(|d| d.uuid)
            .collect();
        v.sort();
        v
    }
}

/// The Port_Binding writes of a binding run: claims set `chassis` (and `encap`, the encap row of
/// this chassis the port's traffic should use, the first one); releases clear `chassis`, `encap`
/// and `up`.
pub fn claim_ops(snap: &SbSnapshot, update: &binding::BindingUpdate) -> Vec<Operation> {
    let Some((me, encaps)) = &snap.me else {
        return Vec::new();
    };
    let mut ops = Vec::new();
    for lp in &update.claim {
        let Some(u) = snap.pb_uuid.get(lp) else {
            continue;
        };
        let mut row = vec![("chassis", Datum::from(*me))];
        if let Some((eu, _, _)) = encaps.first() {
            row.push(("encap", Datum::from(*eu)));
        }
        ops.push(Operation::update(
            "Port_Binding",
            Condition::new([Clause::eq("_uuid", *u)]),
            row,
        ));
    }
    for lp in &update.release {
        let Some(u) = snap.pb_uuid.get(lp) else {
            continue;
        };
        ops.push(Operation::update(
            "Port_Binding",
            Condition::new([Clause::eq("_uuid", *u)]),
            [
                ("chassis", Datum::empty_set()),
                ("encap", Datum::empty_set()),
                ("up", Datum::from(false)),
            ],
        ));
    }
    ops
}

/// Sets `Port_Binding.up` of a port.
pub fn up_op(snap: &SbSnapshot, logical_port: &str, up: bool) -> Option<Operation> {
    let u = snap.pb_uuid.get(logical_port)?;
    Some(Operation::update(
        "Port_Binding",
        Condition::new([Clause::eq("_uuid", *u)]),
        [("up", Datum::from(up))],
    ))
}
