//! Reading `ovs-vsctl/ovn-sbctl --format=json list TABLE` output (OVSDB's JSON value encoding:
//! `["uuid", ..]`, `["set", [..]]`, `["map", [[k, v], ..]]`, bare atoms for 1-element sets).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tunnel::{ObservedBridge, ObservedInterface, ObservedPort};

/// One map per row, keyed by column name.
pub fn rows(json: &str) -> Vec<BTreeMap<String, Value>> {
    let v: Value = serde_json::from_str(json).expect("list json");
    let headings: Vec<String> = v["headings"]
        .as_array()
        .expect("headings")
        .iter()
        .map(|h| h.as_str().expect("heading").to_owned())
        .collect();
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|row| {
            headings
                .iter()
                .cloned()
                .zip(row.as_array().expect("row").iter().cloned())
                .collect()
        })
        .collect()
}

pub fn uuid(v: &Value) -> String {
    assert_eq!(v[0], "uuid", "{v}");
    v[1].as_str().expect("uuid").to_owned()
}

fn set_items(v: &Value) -> Vec<Value> {
    match v.as_array() {
        Some(a) if a.first().and_then(Value::as_str) == Some("set") => a
            .get(1)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => vec![v.clone()],
    }
}

pub fn uuid_set(v: &Value) -> Vec<String> {
    set_items(v).iter().map(uuid).collect()
}

pub fn string_set(v: &Value) -> BTreeSet<String> {
    set_items(v)
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

pub fn smap(v: &Value) -> BTreeMap<String, String> {
    assert_eq!(v[0], "map", "{v}");
    v[1].as_array()
        .expect("map")
        .iter()
        .map(|kv| {
            (
                kv[0].as_str().expect("key").to_owned(),
                kv[1].as_str().expect("value").to_owned(),
            )
        })
        .collect()
}

pub fn string(v: &Value) -> String {
    v.as_str().expect("string").to_owned()
}

/// The agent's view of bridge `bridge`, from `list Bridge`, `list Port`, `list Interface`.
pub fn observe(bridge: &str, list: impl Fn(&str) -> String) -> ObservedBridge {
    let ifaces: BTreeMap<String, ObservedInterface> = rows(&list("Interface"))
        .into_iter()
        .map(|r| {
            let i = ObservedInterface {
                uuid: uuid(&r["_uuid"]),
                name: string(&r["name"]),
                iface_type: string(&r["type"]),
                options: smap(&r["options"]),
                ofport: r["ofport"].as_i64(),
            };
            (i.uuid.clone(), i)
        })
        .collect();
    let ports: BTreeMap<String, ObservedPort> = rows(&list("Port"))
        .into_iter()
        .map(|r| {
            let p = ObservedPort {
                uuid: uuid(&r["_uuid"]),
                name: string(&r["name"]),
                external_ids: smap(&r["external_ids"]),
                interfaces: uuid_set(&r["interfaces"])
                    .iter()
                    .map(|u| ifaces[u].clone())
                    .collect(),
            };
            (p.uuid.clone(), p)
        })
        .collect();
    let mut ours = ObservedBridge {
        name: bridge.into(),
        ..Default::default()
    };
    for br in rows(&list("Bridge")) {
        for u in uuid_set(&br["ports"]) {
            let p = &ports[&u];
            if string(&br["name"]) == bridge {
                ours.ports.push(p.clone());
            } else {
                ours.names_elsewhere.insert(p.name.clone());
                ours.names_elsewhere
                    .extend(p.interfaces.iter().map(|i| i.name.clone()));
            }
        }
    }
    ours
}
