//! Southbound writes that packet-ins ask for (`put_arp`/`put_nd` → MAC_Binding, `put_fdb` →
//! FDB) and `SbBatch`, which buffers them and turns them into one transaction of inserts or
//! updates against the current [`PinctrlState`] (upstream `put_mac_bindings`/`put_fdbs`
//! and `run_put_mac_bindings`/`run_put_fdbs`).
//!
//! Never duplicate: entries are keyed (a repeated packet-in only refreshes the MAC), a row the
//! state already has with the same value is not written, and rows this batch inserted are
//! remembered until the replica shows them, so a second packet-in arriving before the
//! update echo does not insert the row again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use ovsdb::{Clause, Condition, Datum, Operation};

use super::packet::{Mac, fmt_mac};
use super::state::PinctrlState;

/// At most this many pending entries of each kind (upstream `MAX_MAC_BINDINGS`,
/// `MAX_FDB_ENTRIES`); further ones are dropped until the next commit.
pub const MAX_PENDING: usize = 1000;
/// Multicast-learned (GARP) bindings wait up to this long so that chassis that all saw the
/// same broadcast do not all race to insert (upstream `MAX_MAC_BINDING_DELAY_MSEC`).
pub const MAX_MAC_BINDING_DELAY: Duration = Duration::from_millis(50);
/// An event not seen in the replica after this long may be reported again (`EVENT_TIMEOUT`).
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A write a packet-in asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbWrite {
    /// Learn `ip` → `mac` on logical port (`dp_key`, `port_key`).
    MacBinding {
        dp_key: u32,
        port_key: u32,
        ip: IpAddr,
        mac: Mac,
        /// The packet was unicast: commit at once (no GARP race).
        unicast: bool,
    },
    /// Learn `mac` on port `port_key` of switch `dp_key`.
    Fdb {
        dp_key: u32,
        port_key: u32,
        mac: Mac,
    },
    /// `trigger_event(event = "empty_lb_backends", …)`: report a VIP without backends.
    EmptyLbBackends {
        vip: String,
        protocol: String,
        load_balancer: String,
    },
    /// `bind_vport(V, inport)`: claim virtual port `vport_key` here, with parent
    /// `parent_key` (both on datapath `dp_key`).
    BindVport {
        dp_key: u32,
        vport_key: u32,
        parent_key: u32,
    },
}

#[derive(Debug, Clone)]
struct PendingMac {
    mac: Mac,
    commit_at: Instant,
}

/// Buffered writes.
#[derive(Debug, Default)]
pub struct SbBatch {
    macs: HashMap<(u32, u32, IpAddr), PendingMac>,
    fdbs: HashMap<(u32, Mac), u32>,
    events: HashMap<(String, String, String), Instant>,
    vports: HashMap<(u32, u32), u32>,
    /// (logical_port, ip) → mac inserted or updated by an earlier batch, until the replica
    /// shows it.
    sent_macs: HashMap<(String, String), String>,
    /// (dp_key, mac) → port_key, likewise.
    sent_fdbs: HashMap<(u32, String), u32>,
    /// Events inserted and when, until the replica shows them (or `EVENT_TIMEOUT`).
    sent_events: HashMap<(String, String, String), Instant>,
    /// Last Controller_Event seq_num used.
    event_seq: i64,
    /// Entries dropped because the buffer was full.
    pub dropped: u64,
}

/// The MAC_Binding `ip` column text: dotted quad, or the compressed IPv6 form (an IPv4-mapped
/// address prints as IPv4, as `ipv6_format_mapped`).
pub fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => a.to_string(),
        },
    }
}

fn delay_for(key: &(u32, u32, IpAddr)) -> Duration {
    // A cheap spread in 1..=50 ms; it only has to differ between chassis and addresses.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = match key.2 {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    };
    for b in key
        .0
        .to_be_bytes()
        .iter()
        .chain(&key.1.to_be_bytes())
        .chain(&bytes)
    {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= u64::from(std::process::id());
    Duration::from_millis(1 + h % 50)
}

impl SbBatch {
    /// Adds a write.
    pub fn add(&mut self, w: SbWrite, now: Instant) {
        match w {
            SbWrite::MacBinding {
                dp_key,
                port_key,
                ip,
                mac,
                unicast,
            } => {
                let key = (dp_key, port_key, ip);
                if let Some(p) = self.macs.get_mut(&key) {
                    p.mac = mac;
                    if unicast {
                        p.commit_at = p.commit_at.min(now);
                    }
                    return;
                }
                if self.macs.len() >= MAX_PENDING {
                    self.dropped += 1;
                    return;
                }
                let commit_at = if unicast { now } else { now + delay_for(&key) };
                self.macs.insert(key, PendingMac { mac, commit_at });
            }
            SbWrite::Fdb {
                dp_key,
                port_key,
                mac,
            } => {
                if !self.fdbs.contains_key(&(dp_key, mac)) && self.fdbs.len() >= MAX_PENDING {
                    self.dropped += 1;
                    return;
                }
                self.fdbs.insert((dp_key, mac), port_key);
            }
            SbWrite::EmptyLbBackends {
                vip,
                protocol,
                load_balancer,
            } => {
                let k = (vip, protocol, load_balancer);
                if !self.events.contains_key(&k) && self.events.len() >= MAX_PENDING {
                    self.dropped += 1;
                    return;
                }
                self.events.entry(k).or_insert(now);
            }
            SbWrite::BindVport {
                dp_key,
                vport_key,
                parent_key,
            } => {
                if !self.vports.contains_key(&(dp_key, vport_key))
                    && self.vports.len() >= MAX_PENDING
                {
                    self.dropped += 1;
                    return;
                }
                self.vports.insert((dp_key, vport_key), parent_key);
            }
        }
    }

    /// Nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.macs.is_empty()
            && self.fdbs.is_empty()
            && self.events.is_empty()
            && self.vports.is_empty()
    }

    /// When the next delayed entry becomes ready.
    pub fn next_deadline(&self) -> Option<Instant> {
        let m = self.macs.values().map(|p| p.commit_at).min();
        if self.fdbs.is_empty() && self.events.is_empty() && self.vports.is_empty() {
            m
        } else {
            Some(m.map_or(Instant::now(), |m| m.min(Instant::now())))
        }
    }

    /// Takes the ready entries as operations against `state`. `wall_ms` is the wall-clock time
    /// for MAC_Binding `timestamp`. Entries for ports the state does not know are dropped
    /// (upstream warns "unknown logical port").
    pub fn take_ops(&mut self, state: &PinctrlState, now: Instant, wall_ms: i64) -> Vec<Operation> {
        // Forget what the replica now reflects. If it never does (the table is not monitored
        // for that datapath), the memory is bounded: forgetting only risks a failed insert.
        if self.sent_macs.len() + self.sent_fdbs.len() > 10 * MAX_PENDING {
            self.sent_macs.clear();
            self.sent_fdbs.clear();
        }
        self.sent_macs
            .retain(|k, mac| state.mac_bindings.get(k).is_none_or(|r| r.mac != *mac));
        self.sent_fdbs
            .retain(|k, port| state.fdbs.get(k).is_none_or(|r| r.port_key != *port));

        let mut ops = Vec::new();
        let ready: Vec<(u32, u32, IpAddr)> = self
            .macs
            .iter()
            .filter(|(_, p)| p.commit_at <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in ready {
            let Some(p) = self.macs.remove(&key) else {
                continue;
            };
            let (dp_key, port_key, ip) = key;
            let Some(port) = state.ports.get(&(dp_key, port_key)) else {
                tracing::warn!(dp_key, port_key, "unknown logical port for MAC_Binding");
                continue;
            };
            let ip_s = ip_text(ip);
            let mac_s = fmt_mac(&p.mac);
            let k = (port.logical_port.clone(), ip_s.clone());
            if self.sent_macs.get(&k) == Some(&mac_s) {
                continue;
            }
            let mut row = vec![("mac", Datum::from(mac_s.as_str()))];
            if state.mac_binding_timestamp {
                row.push(("timestamp", Datum::from(wall_ms)));
            }
            match state.mac_bindings.get(&k) {
                Some(r) if r.mac == mac_s => continue,
                Some(r) => ops.push(Operation::update(
                    "MAC_Binding",
                    Condition::new([Clause::eq("_uuid", r.uuid)]),
                    row,
                )),
                None if self.sent_macs.contains_key(&k) => {
                    // Inserted by an earlier batch the replica has not shown yet: update it
                    // by its key columns instead of inserting a duplicate.
                    ops.push(Operation::update(
                        "MAC_Binding",
                        Condition::new([
                            Clause::eq("logical_port", k.0.as_str()),
                            Clause::eq("ip", k.1.as_str()),
                        ]),
                        row,
                    ));
                }
                None => {
                    row.push(("logical_port", Datum::from(k.0.as_str())));
                    row.push(("ip", Datum::from(k.1.as_str())));
                    row.push(("datapath", Datum::from(port.datapath)));
                    ops.push(Operation::insert("MAC_Binding", row));
                }
            }
            self.sent_macs.insert(k, mac_s);
        }

        for ((dp_key, mac), port_key) in std::mem::take(&mut self.fdbs) {
            let mac_s = fmt_mac(&mac);
            let k = (dp_key, mac_s.clone());
            if self.sent_fdbs.get(&k) == Some(&port_key) {
                continue;
            }
            let pk = Datum::from(i64::from(port_key));
            match state.fdbs.get(&k) {
                Some(r) if r.port_key == port_key => continue,
                Some(r) => ops.push(Operation::update(
                    "FDB",
                    Condition::new([Clause::eq("_uuid", r.uuid)]),
                    [("port_key", pk)],
                )),
                None if self.sent_fdbs.contains_key(&k) => ops.push(Operation::update(
                    "FDB",
                    Condition::new([
                        Clause::eq("dp_key", i64::from(dp_key)),
                        Clause::eq("mac", mac_s.as_str()),
                    ]),
                    [("port_key", pk)],
                )),
                None => ops.push(Operation::insert(
                    "FDB",
                    [
                        ("dp_key", Datum::from(i64::from(dp_key))),
                        ("mac", Datum::from(mac_s.as_str())),
                        ("port_key", pk),
                    ],
                )),
            }
            self.sent_fdbs.insert(k, port_key);
        }

        self.take_event_ops(state, now, &mut ops);
        self.take_vport_ops(state, &mut ops);
        ops
    }

    fn take_event_ops(&mut self, state: &PinctrlState, now: Instant, ops: &mut Vec<Operation>) {
        self.sent_events
            .retain(|k, t| !state.lb_events.contains(k) && now.duration_since(*t) < EVENT_TIMEOUT);
        let Some(me) = state.chassis else {
            // Not registered yet: keep the events for later.
            return;
        };
        self.event_seq = self.event_seq.max(state.event_seq);
        for (k, _) in std::mem::take(&mut self.events) {
            if state.lb_events.contains(&k) || self.sent_events.contains_key(&k) {
                continue;
            }
            self.event_seq += 1;
            ops.push(Operation::insert(
                "Controller_Event",
                [
                    ("event_type", Datum::from("empty_lb_backends")),
                    (
                        "event_info",
                        Datum::map([
                            ("load_balancer", k.2.as_str()),
                            ("protocol", k.1.as_str()),
                            ("vip", k.0.as_str()),
                        ]),
                    ),
                    ("chassis", Datum::from(me)),
                    ("seq_num", Datum::from(self.event_seq)),
                ],
            ));
            self.sent_events.insert(k, now);
        }
    }

    fn take_vport_ops(&mut self, state: &PinctrlState, ops: &mut Vec<Operation>) {
        let Some(me) = state.chassis else {
            return;
        };
        for ((dp_key, vport_key), parent_key) in std::mem::take(&mut self.vports) {
            let Some(vp) = state.ports.get(&(dp_key, vport_key)) else {
                tracing::warn!(dp_key, vport_key, "unknown logical port for bind_vport");
                continue;
            };
            // Only virtual ports are claimed this way.
            if vp.ty != "virtual" {
                continue;
            }
            let Some(parent) = state.ports.get(&(dp_key, parent_key)) else {
                continue;
            };
            if vp.chassis == Some(me) && vp.virtual_parent.as_deref() == Some(&parent.logical_port)
            {
                continue;
            }
            tracing::info!(
                "Claiming virtual lport {} for this chassis with the virtual parent {}",
                vp.logical_port,
                parent.logical_port
            );
            ops.push(Operation::update(
                "Port_Binding",
                Condition::new([Clause::eq("_uuid", vp.uuid)]),
                [
                    ("chassis", Datum::from(me)),
                    ("virtual_parent", Datum::from(parent.logical_port.as_str())),
                ],
            ));
        }
    }

    /// A transaction failed: forget what it claimed to have written so the next packet-in
    /// retries from the replica's view.
    pub fn transaction_failed(&mut self) {
        self.sent_macs.clear();
        self.sent_fdbs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinctrl::state::{MacBindingRow, PortInfo};
    use ovsdb::Uuid;

    fn state() -> PinctrlState {
        let mut s = PinctrlState {
            mac_binding_timestamp: true,
            ..Default::default()
        };
        s.ports.insert(
            (1, 2),
            PortInfo {
                logical_port: "lrp0".into(),
                datapath: Uuid::from_u128(7),
                uuid: Uuid::from_u128(8),
                ty: String::new(),
                chassis: None,
                virtual_parent: None,
            },
        );
        s
    }

    fn learn(ip: &str, mac: u8, unicast: bool) -> SbWrite {
        SbWrite::MacBinding {
            dp_key: 1,
            port_key: 2,
            ip: ip.parse().unwrap(),
            mac: [0, 0, 0, 0, 0, mac],
            unicast,
        }
    }

    fn json(ops: &[Operation]) -> Vec<String> {
        ops.iter().map(|o| o.to_json().to_string()).collect()
    }

    #[test]
    fn insert_then_no_duplicate_then_update() {
        let mut st = state();
        let mut b = SbBatch::default();
        let t = Instant::now();
        b.add(learn("10.0.0.5", 1, true), t);
        b.add(learn("10.0.0.5", 2, true), t);
        let ops = b.take_ops(&st, t, 1234);
        assert_eq!(ops.len(), 1);
        let j = json(&ops)[0].clone();
        assert!(j.contains(r#""op":"insert""#), "{j}");
        assert!(j.contains(r#""mac":"00:00:00:00:00:02""#), "{j}");
        assert!(j.contains(r#""ip":"10.0.0.5""#), "{j}");
        assert!(j.contains(r#""logical_port":"lrp0""#), "{j}");
        assert!(j.contains(r#""timestamp":1234"#), "{j}");

        // Same binding again before the replica shows it: nothing.
        b.add(learn("10.0.0.5", 2, true), t);
        assert!(b.take_ops(&st, t, 1235).is_empty());
        // A new MAC before the echo: an update by key, never a second insert.
        b.add(learn("10.0.0.5", 3, true), t);
        let j = json(&b.take_ops(&st, t, 1236));
        assert_eq!(j.len(), 1);
        assert!(
            j[0].contains(r#""op":"update""#) && j[0].contains("logical_port"),
            "{j:?}"
        );

        // The replica shows the row: a different MAC updates by uuid, the same MAC is a no-op.
        st.mac_bindings.insert(
            ("lrp0".into(), "10.0.0.5".into()),
            MacBindingRow {
                uuid: Uuid::from_u128(9),
                mac: "00:00:00:00:00:03".into(),
            },
        );
        b.add(learn("10.0.0.5", 3, true), t);
        assert!(b.take_ops(&st, t, 1237).is_empty());
        b.add(learn("10.0.0.5", 4, true), t);
        let j = json(&b.take_ops(&st, t, 1238));
        assert_eq!(j.len(), 1);
        assert!(
            j[0].contains(r#""op":"update""#) && j[0].contains("_uuid"),
            "{j:?}"
        );
    }

    #[test]
    fn multicast_is_delayed_and_unknown_port_dropped() {
        let st = state();
        let mut b = SbBatch::default();
        let t = Instant::now();
        b.add(learn("fd00::1", 1, false), t);
        assert!(b.take_ops(&st, t, 0).is_empty());
        let ops = b.take_ops(&st, t + MAX_MAC_BINDING_DELAY, 0);
        assert_eq!(ops.len(), 1);
        assert!(json(&ops)[0].contains(r#""ip":"fd00::1""#));
        b.add(
            SbWrite::MacBinding {
                dp_key: 9,
                port_key: 9,
                ip: "1.1.1.1".parse().unwrap(),
                mac: [0; 6],
                unicast: true,
            },
            t,
        );
        assert!(b.take_ops(&st, t, 0).is_empty());
        assert!(b.is_empty());
    }

    #[test]
    fn fdb_insert_once() {
        let st = state();
        let mut b = SbBatch::default();
        let t = Instant::now();
        let w = SbWrite::Fdb {
            dp_key: 1,
            port_key: 2,
            mac: [0x50, 0x54, 0, 0, 0, 1],
        };
        b.add(w.clone(), t);
        let j = json(&b.take_ops(&st, t, 0));
        assert_eq!(j.len(), 1);
        assert!(j[0].contains(r#""mac":"50:54:00:00:00:01""#) && j[0].contains(r#""port_key":2"#));
        b.add(w, t);
        assert!(b.take_ops(&st, t, 0).is_empty());
    }
}
