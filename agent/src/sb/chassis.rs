//! This chassis's own Southbound rows: `Chassis`, its `Encap`s and `Chassis_Private`
//! (chassis.c). Pure: the current rows in, the operations to make them right out.

use std::collections::BTreeMap;

use ovsdb::views::ovn_sb::{Chassis, ChassisPrivate, Encap};
use ovsdb::{Clause, Condition, Datum, Operation, Replica, Uuid};

use crate::config::ChassisConfig;

/// What the Chassis row must say, besides what the configuration gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChassisFacts {
    /// The integration bridge's `datapath_type`.
    pub datapath_type: String,
    /// `Open_vSwitch.iface_types`.
    pub iface_types: Vec<String>,
}

fn where_uuid(u: Uuid) -> Condition {
    Condition::new([Clause::eq("_uuid", u)])
}

fn map_of(m: &BTreeMap<String, String>) -> Datum {
    Datum::map(m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The operations that register or update this chassis, or nothing when the rows are right.
pub fn chassis_ops(cfg: &ChassisConfig, facts: &ChassisFacts, sb: &Replica) -> Vec<Operation> {
    let mut ops = Vec::new();
    let chassis_table = sb.typed::<Chassis>();
    let chassis = chassis_table
        .as_ref()
        .and_then(|t| t.iter().find(|c| c.name() == cfg.system_id))
        .map(|c| (c.uuid(), c));
    let encaps = sb.typed::<Encap>();

    // The Encap rows we want: every (ip, type) pair with options:csum.
    let want_encaps: Vec<(String, String)> = cfg
        .encaps()
        .iter()
        .map(|(t, ip)| (t.as_str().to_owned(), ip.to_string()))
        .collect();
    let encaps_ok = |c: &Chassis<'_>| {
        let Some(encaps) = &encaps else { return false };
        let mut have: Vec<(String, String)> = c
            .encaps()
            .filter_map(|u| encaps.get(&u))
            .filter(|e| e.options().get("csum") == Some(cfg.encap_csum.as_str()))
            .map(|e| (e.ty().to_owned(), e.ip().to_owned()))
            .collect();
        have.sort();
        let mut want = want_encaps.clone();
        want.sort();
        have == want && c.encaps().count() == want.len()
    };

    let mut encap_refs = Vec::new();
    let insert_encaps = |ops: &mut Vec<Operation>, refs: &mut Vec<ovsdb::Atom>| {
        for (i, (ty, ip)) in want_encaps.iter().enumerate() {
            let name = format!("encap{i}");
            ops.push(
                Operation::insert(
                    "Encap",
                    [
                        ("type", Datum::from(ty.as_str())),
                        ("ip", Datum::from(ip.as_str())),
                        ("options", Datum::map([("csum", cfg.encap_csum.as_str())])),
                        ("chassis_name", Datum::from(cfg.system_id.as_str())),
                    ],
                )
                .with_uuid_name(&name),
            );
            refs.push(ovsdb::Atom::named_uuid(name));
        }
    };

    let chassis_ref: ovsdb::Atom = match chassis {
        None => {
            insert_encaps(&mut ops, &mut encap_refs);
            let other_config = cfg.chassis_other_config(
                &BTreeMap::new(),
                &facts.datapath_type,
                &facts.iface_types,
            );
            ops.push(
                Operation::insert(
                    "Chassis",
                    [
                        ("name", Datum::from(cfg.system_id.as_str())),
                        ("hostname", Datum::from(cfg.hostname.as_str())),
                        ("encaps", Datum::set(encap_refs)),
                        ("other_config", map_of(&other_config)),
                        (
                            "transport_zones",
                            Datum::set(cfg.transport_zones.iter().map(String::as_str)),
                        ),
                    ],
                )
                .with_uuid_name("chassis"),
            );
            ovsdb::Atom::named_uuid("chassis")
        }
        Some((uuid, c)) => {
            let mut row: Vec<(&'static str, Datum)> = Vec::new();
            if c.hostname() != cfg.hostname {
                row.push(("hostname", Datum::from(cfg.hostname.as_str())));
            }
            let existing: BTreeMap<String, String> = c.other_config().to_btree_map();
            let other_config =
                cfg.chassis_other_config(&existing, &facts.datapath_type, &facts.iface_types);
            if other_config != existing {
                row.push(("other_config", map_of(&other_config)));
            }
            let mut tz: Vec<&str> = c.transport_zones().collect();
            tz.sort_unstable();
            let mut want_tz: Vec<&str> = cfg.transport_zones.iter().map(String::as_str).collect();
            want_tz.sort_unstable();
            if tz != want_tz {
                row.push(("transport_zones", Datum::set(want_tz)));
            }
            if !encaps_ok(&c) {
                insert_encaps(&mut ops, &mut encap_refs);
                row.push(("encaps", Datum::set(encap_refs)));
            }
            if !row.is_empty() {
                ops.push(Operation::update("Chassis", where_uuid(uuid), row));
            }
            ovsdb::Atom::Uuid(uuid)
        }
    };

    // Chassis_Private: name and chassis reference.
    let private = sb.typed::<ChassisPrivate>().and_then(|t| {
        t.iter()
            .find(|p| p.name() == cfg.system_id)
            .map(|p| (p.uuid(), p.chassis()))
    });
    match private {
        None => ops.push(Operation::insert(
            "Chassis_Private",
            [
                ("name", Datum::from(cfg.system_id.as_str())),
                ("chassis", Datum::from(chassis_ref)),
            ],
        )),
        Some((uuid, current)) => {
            let right =
                matches!((&chassis_ref, current), (ovsdb::Atom::Uuid(a), Some(b)) if *a == b);
            if !right {
                ops.push(Operation::update(
                    "Chassis_Private",
                    where_uuid(uuid),
                    [("chassis", Datum::from(chassis_ref))],
                ));
            }
        }
    }
    ops
}

/// The operation acknowledging `nb_cfg` (with its timestamp in ms) in Chassis_Private, as
/// 23.03 does for `ovn-nbctl --wait=hv`.
pub fn nb_cfg_ack(system_id: &str, nb_cfg: i64, now_ms: i64) -> Operation {
    Operation::update(
        "Chassis_Private",
        Condition::new([Clause::eq("name", system_id)]),
        [
            ("nb_cfg", Datum::from(nb_cfg)),
            ("nb_cfg_timestamp", Datum::from(now_ms)),
        ],
    )
}
