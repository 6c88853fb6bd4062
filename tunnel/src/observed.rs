//! Reconciler input describing what OVS currently has: the integration bridge's ports as the
//! agent's OVSDB replica sees them. UUIDs are opaque strings so this crate needs no OVSDB types.

use std::collections::{BTreeMap, BTreeSet};

use crate::tunnel_id::OVN_CHASSIS_ID;

/// The integration bridge and the names the database already uses elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedBridge {
    /// `Bridge.name` of the integration bridge (`ovn-bridge`, usually `br-int`).
    pub name: String,
    pub ports: Vec<ObservedPort>,
    /// Port and Interface names in use on other bridges. Both tables index `name` database-wide,
    /// so a new tunnel name must avoid these too (upstream only looks at br-int and would have
    /// its transaction rejected).
    pub names_elsewhere: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedPort {
    pub uuid: String,
    pub name: String,
    pub external_ids: BTreeMap<String, String>,
    pub interfaces: Vec<ObservedInterface>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedInterface {
    pub uuid: String,
    pub name: String,
    /// `Interface.type` (`""` for system/internal ports).
    pub iface_type: String,
    pub options: BTreeMap<String, String>,
    /// `Interface.ofport`: `None` until ovs-vswitchd assigned one, `Some(-1)` on failure.
    pub ofport: Option<i64>,
}

impl ObservedPort {
    /// The `ovn-chassis-id` if this is one of our tunnel ports. Ports without it are never touched.
    pub fn chassis_id(&self) -> Option<&str> {
        self.external_ids.get(OVN_CHASSIS_ID).map(String::as_str)
    }
}
