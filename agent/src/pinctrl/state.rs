//! `PinctrlState`: what the packet-in handlers need from the Southbound DB, read from the
//! replica (Port_Binding and Datapath_Binding for key → name, MAC_Binding and FDB for
//! insert-or-update, DNS for `dns_lookup`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use ovsdb::views::ovn_sb::{
    Chassis, ControllerEvent, DatapathBinding, Dns, Fdb, MacBinding, PortBinding,
};
use ovsdb::{Replica, Uuid};

/// A logical port as pinctrl resolves it from (datapath key, port key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub logical_port: String,
    /// Datapath_Binding row.
    pub datapath: Uuid,
    /// Port_Binding row.
    pub uuid: Uuid,
    /// Port_Binding `type` (`""`, `virtual`, `chassisredirect`, …).
    pub ty: String,
    /// The chassis it is bound to.
    pub chassis: Option<Uuid>,
    /// `virtual_parent`.
    pub virtual_parent: Option<String>,
}

/// An existing MAC_Binding row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacBindingRow {
    pub uuid: Uuid,
    pub mac: String,
}

/// An existing FDB row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdbRow {
    pub uuid: Uuid,
    pub port_key: u32,
}

/// The Southbound view of the handlers.
#[derive(Debug, Clone, Default)]
pub struct PinctrlState {
    /// (datapath tunnel key, port tunnel key) → port.
    pub ports: HashMap<(u32, u32), PortInfo>,
    /// (logical_port, ip) → row.
    pub mac_bindings: HashMap<(String, String), MacBindingRow>,
    /// (dp_key, mac) → row.
    pub fdbs: HashMap<(u32, String), FdbRow>,
    /// datapath key → the DNS record maps that apply to it (name lowercased → addresses).
    pub dns: HashMap<u32, Vec<Arc<BTreeMap<String, String>>>>,
    /// The Southbound MAC_Binding table has a `timestamp` column (schema ≥ 20.21).
    pub mac_binding_timestamp: bool,
    /// This chassis's `Chassis` row, once registered.
    pub chassis: Option<Uuid>,
    /// `empty_lb_backends` Controller_Events this chassis already reported: (vip, protocol,
    /// load_balancer).
    pub lb_events: HashSet<(String, String, String)>,
    /// The highest Controller_Event `seq_num` this chassis used.
    pub event_seq: i64,
}

impl PinctrlState {
    /// Reads the state from the Southbound replica for chassis `chassis` (its `name`).
    /// Tables that are not monitored read as empty.
    pub fn read(db: &Replica, chassis: &str) -> PinctrlState {
        let mut s = PinctrlState::default();
        if let Some(t) = db.typed::<Chassis>() {
            s.chassis = t.iter().find(|c| c.name() == chassis).map(|c| c.uuid());
        }
        if let (Some(t), Some(me)) = (db.typed::<ControllerEvent>(), s.chassis) {
            for e in t.iter().filter(|e| e.chassis() == Some(me)) {
                s.event_seq = s.event_seq.max(e.seq_num());
                if e.event_type() == "empty_lb_backends" {
                    let info = e.event_info();
                    let g = |k| info.get(k).unwrap_or_default().to_owned();
                    s.lb_events
                        .insert((g("vip"), g("protocol"), g("load_balancer")));
                }
            }
        }
        let mut dp_keys: HashMap<Uuid, u32> = HashMap::new();
        if let Some(t) = db.typed::<DatapathBinding>() {
            for d in t.iter() {
                if let Ok(k) = u32::try_from(d.tunnel_key()) {
                    dp_keys.insert(d.uuid(), k);
                }
            }
        }
        if let Some(t) = db.typed::<PortBinding>() {
            for pb in t.iter() {
                let (Some(&dk), Ok(pk)) =
                    (dp_keys.get(&pb.datapath()), u32::try_from(pb.tunnel_key()))
                else {
                    continue;
                };
                s.ports.insert(
                    (dk, pk),
                    PortInfo {
                        logical_port: pb.logical_port().to_owned(),
                        datapath: pb.datapath(),
                        uuid: pb.uuid(),
                        ty: pb.ty().to_owned(),
                        chassis: pb.chassis(),
                        virtual_parent: pb.virtual_parent().map(str::to_owned),
                    },
                );
            }
        }
        if let Some(t) = db.table("MAC_Binding") {
            s.mac_binding_timestamp = t.schema().column("timestamp").is_some();
        }
        if let Some(t) = db.typed::<MacBinding>() {
            for mb in t.iter() {
                s.mac_bindings.insert(
                    (mb.logical_port().to_owned(), mb.ip().to_owned()),
                    MacBindingRow {
                        uuid: mb.uuid(),
                        mac: mb.mac().to_owned(),
                    },
                );
            }
        }
        if let Some(t) = db.typed::<Fdb>() {
            for f in t.iter() {
                let (Ok(dk), Ok(pk)) = (u32::try_from(f.dp_key()), u32::try_from(f.port_key()))
                else {
                    continue;
                };
                s.fdbs.insert(
                    (dk, f.mac().to_owned()),
                    FdbRow {
                        uuid: f.uuid(),
                        port_key: pk,
                    },
                );
            }
        }
        if let Some(t) = db.typed::<Dns>() {
            // Upstream only serves rows northd tagged with `external_ids:dns_id`.
            let ext = t.table().schema().column_index("external_ids");
            for d in t.iter() {
                let tagged = ext.is_none_or(|c| d.row().get(c).get_str("dns_id").is_some());
                if !tagged {
                    continue;
                }
                let records: Arc<BTreeMap<String, String>> = Arc::new(
                    d.records()
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
                        .collect(),
                );
                for dp in d.datapaths() {
                    if let Some(&k) = dp_keys.get(&dp) {
                        s.dns.entry(k).or_default().push(records.clone());
                    }
                }
            }
        }
        s
    }

    /// The DNS answer for `name` (lowercased by the caller) on datapath `dp_key`.
    pub fn dns_lookup(&self, dp_key: u32, name: &str) -> Option<&str> {
        self.dns
            .get(&dp_key)?
            .iter()
            .find_map(|r| r.get(name).map(String::as_str))
    }
}
