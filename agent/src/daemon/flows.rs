//! The flow side of the daemon: what the integration bridge should hold, the OpenFlow
//! connection to it, and installs as atomic bundles.
//!
//! Desired flows live in a [`FlowTable`] keyed by (table, priority, match) and tagged with the
//! Southbound row they came from. Each install sends the diff against the mirror of what is
//! installed as one ordered+atomic bundle; when the bundle commits, a barrier follows and its
//! reply acknowledges the install's sequence number (which lets ports be reported up and nb_cfg
//! be acknowledged only once their flows are really in). One install is in flight at a time.
//!
//! On every (re)connection the engine asks for the Geneve TLV mapping of OVN's option (adding
//! it when missing, as ovs-vswitchd forgets it on restart), then its first bundle starts with a
//! delete-all so that whatever the switch holds is replaced by exactly the desired flows —
//! without waiting for any database change.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use openflow::action::Instructions;
use openflow::codec::Encode as _;
use openflow::flow_match::Match;
use openflow::io::{AsyncEvent, Client as OfClient, Events, Options, Target};
use openflow::msg::{
    FlowMod, FlowModCommand, Message, RawInstructions, RawMatch, TlvMap, TlvTableMod,
};
use tracing::{debug, info, warn};

use crate::binding::BindingUpdate;
use crate::config::ChassisConfig;
use crate::ct_zones::CtZones;
use crate::if_status::Seqno;
use crate::ofctrl::flow_table::{FlowBody, FlowKey, FlowOp, FlowTable, MergeActions, SourceId};
use crate::ovs::snapshot::OvsSnapshot;
use crate::sb::snapshot::SbSnapshot;

/// Everything a flow computation reads.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The chassis configuration.
    pub cfg: &'a ChassisConfig,
    /// The local OVS snapshot.
    pub ovs: &'a OvsSnapshot,
    /// The Southbound snapshot.
    pub sb: &'a SbSnapshot,
    /// The Southbound replica (Logical_Flow and friends are read from it directly).
    pub sb_replica: &'a ovsdb::Replica,
    /// The binding outcome.
    pub binding: &'a BindingUpdate,
    /// Conntrack zones.
    pub zones: Option<&'a CtZones>,
}

/// One desired OpenFlow flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredFlow {
    /// Table.
    pub table: u8,
    /// Priority.
    pub priority: u16,
    /// Cookie (first 32 bits of the source row's uuid, as 23.03).
    pub cookie: u64,
    /// The source row.
    pub source: SourceId,
    /// Match.
    pub matches: Match,
    /// Instructions.
    pub instructions: Instructions,
    /// Conjunction-only actions, merged with other sources' for the same match.
    pub conjunctive: bool,
}

impl MergeActions for Instructions {
    fn concat(parts: &[&Self]) -> Self {
        let mut actions = Vec::new();
        for p in parts {
            actions.extend_from_slice(p.apply_actions());
        }
        Instructions::apply(actions)
    }
}

/// Desired flows that changed, by source row.
#[derive(Debug, Default)]
pub struct FlowUpdate {
    /// Everything this producer owns was recomputed (for the counters and logs).
    pub full: bool,
    /// Sources whose flows are (re)computed: their previous flows are replaced.
    pub changed: Vec<(SourceId, Vec<DesiredFlow>)>,
    /// Sources whose flows are gone.
    pub removed: Vec<SourceId>,
    /// The groups the flows use (id → OVS group specification), when known.
    pub groups: Option<std::collections::BTreeMap<u32, String>>,
    /// The meters the flows use (id → configuration), when known.
    pub meters: Option<std::collections::BTreeMap<u32, openflow::msg::MeterConfig>>,
}

/// The result of a computation.
#[derive(Debug, Default)]
pub struct Computed {
    /// Whether the desired table may differ from the installed one.
    pub changed: bool,
}

#[derive(Debug)]
struct Conn {
    client: OfClient,
    events: Events,
    /// `tun_metadata<N>` carrying the OVN option, once negotiated.
    tlv_index: Option<u16>,
    /// The next bundle must start by deleting everything (new connection).
    clear_first: bool,
}

/// The flow engine.
#[derive(Debug)]
pub struct FlowEngine {
    ovs_rundir: PathBuf,
    bridge: Option<String>,
    conn: Option<Conn>,
    next_attempt: Instant,
    table: FlowTable<Match, Instructions>,
    seqno: Seqno,
    acked: Option<Seqno>,
    full_recomputes: u64,
    pending_event: bool,
    /// Groups wanted and groups installed (id → specification).
    desired_groups: std::collections::BTreeMap<u32, String>,
    installed_groups: std::collections::BTreeMap<u32, String>,
    /// Meters wanted and installed.
    desired_meters: std::collections::BTreeMap<u32, openflow::msg::MeterConfig>,
    installed_meters: std::collections::BTreeMap<u32, openflow::msg::MeterConfig>,
    /// Flow operations the switch refused, with what was refused: not retried until the
    /// desired flow changes, so that one bad flow does not block every other one.
    rejected:
        std::collections::HashMap<std::sync::Arc<FlowKey<Match>>, Option<FlowBody<Instructions>>>,
    /// No install before this instant (after a refused bundle).
    retry_after: Option<Instant>,
}

fn raw_match(m: &Match) -> RawMatch {
    let mut b = BytesMut::with_capacity(m.oxm_len());
    m.encode_oxm_fields(&mut b);
    RawMatch(b.freeze())
}

fn raw_instructions(i: &Instructions) -> RawInstructions {
    let mut b = BytesMut::with_capacity(i.encoded_len());
    i.encode(&mut b);
    RawInstructions(b.freeze())
}

fn flow_mod(op: &FlowOp<Match, Instructions>) -> FlowMod {
    let (command, key, body): (_, &FlowKey<Match>, Option<&FlowBody<Instructions>>) = match op {
        FlowOp::Add(k, b) => (FlowModCommand::ADD, k, Some(b)),
        FlowOp::Modify(k, b) => (FlowModCommand::MODIFY_STRICT, k, Some(b)),
        FlowOp::Delete(k) => (FlowModCommand::DELETE_STRICT, k, None),
    };
    FlowMod {
        cookie: body.map_or(0, |b| b.cookie),
        table_id: key.table,
        command,
        priority: key.priority,
        match_: raw_match(&key.matches),
        instructions: body
            .map(|b| raw_instructions(&b.actions))
            .unwrap_or_default(),
        ..FlowMod::default()
    }
}

impl FlowEngine {
    /// An engine for bridges whose management sockets live in `ovs_rundir`.
    pub fn new(ovs_rundir: PathBuf) -> Self {
        Self {
            ovs_rundir,
            bridge: None,
            conn: None,
            next_attempt: Instant::now(),
            table: FlowTable::new(),
            seqno: 0,
            acked: None,
            full_recomputes: 0,
            pending_event: false,
            desired_groups: std::collections::BTreeMap::new(),
            installed_groups: std::collections::BTreeMap::new(),
            desired_meters: std::collections::BTreeMap::new(),
            installed_meters: std::collections::BTreeMap::new(),
            rejected: std::collections::HashMap::new(),
            retry_after: None,
        }
    }

    /// The Geneve `tun_metadata` index of the OVN option, once known.
    pub fn tlv_index(&self) -> Option<u16> {
        self.conn.as_ref().and_then(|c| c.tlv_index)
    }

    async fn connect(&mut self, bridge: &str) {
        if self.bridge.as_deref() != Some(bridge) {
            self.conn = None;
            self.bridge = Some(bridge.to_owned());
        }
        if self.conn.is_some() || Instant::now() < self.next_attempt {
            return;
        }
        let path = self.ovs_rundir.join(format!("{bridge}.mgmt"));
        let target = Target::Unix(path.clone());
        let opts = Options {
            fetch_features: false,
            ..Options::default()
        };
        match OfClient::connect(&target, opts).await {
            Ok((client, events, _)) => {
                info!(socket = %path.display(), "connected to the integration bridge");
                self.conn = Some(Conn {
                    client,
                    events,
                    tlv_index: None,
                    clear_first: true,
                });
                self.table.clear_installed();
            }
            Err(e) => {
                debug!(socket = %path.display(), error = %e, "cannot connect to the integration bridge yet");
                self.next_attempt = Instant::now() + Duration::from_millis(500);
            }
        }
    }

    /// Finds or adds the OVN Geneve option mapping.
    async fn negotiate_tlv(&mut self) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if conn.tlv_index.is_some() {
            return;
        }
        let reply = match conn.client.request(Message::TlvTableRequest).await {
            Ok(Message::TlvTableReply(r)) => r,
            Ok(other) => {
                warn!(
                    reply = other.name(),
                    "unexpected answer to the TLV table request"
                );
                return;
            }
            Err(e) => {
                warn!(error = %e, "TLV table request failed");
                self.conn = None;
                return;
            }
        };
        let table = tunnel::TlvTable {
            max_fields: reply.max_fields,
            max_option_space: reply.max_option_space,
            mappings: reply
                .maps
                .iter()
                .map(|m| tunnel::TlvMap {
                    option_class: m.option_class,
                    option_type: m.option_type,
                    option_len: m.option_len,
                    index: m.index,
                })
                .collect(),
        };
        match tunnel::ovn_tlv_mapping(&table) {
            Ok(mapping) => {
                if mapping.op == tunnel::TlvOp::Add {
                    let e = mapping.entry();
                    let add = Message::TlvTableMod(TlvTableMod {
                        command: TlvTableMod::ADD,
                        maps: vec![TlvMap {
                            option_class: e.option_class,
                            option_type: e.option_type,
                            option_len: e.option_len,
                            index: e.index,
                        }],
                    });
                    if let Err(e) = conn.client.send_all(vec![add]).await {
                        // Another controller may have raced us: ask again next time.
                        warn!(error = %e, "adding the Geneve TLV mapping failed; retrying");
                        return;
                    }
                }
                info!(
                    index = mapping.index,
                    "Geneve option mapped to tun_metadata{}", mapping.index
                );
                conn.tlv_index = Some(mapping.index);
            }
            Err(e) => warn!(error = %e, "cannot map the OVN Geneve option"),
        }
    }

    /// Connects to the integration bridge and negotiates the Geneve option, when needed.
    pub async fn prepare(&mut self, bridge: &str) {
        self.connect(bridge).await;
        self.negotiate_tlv().await;
    }

    /// Computes the desired flows for `inputs` (after `prepare`): `produce` returns what changed
    /// by source row, applied to the desired table.
    pub fn compute(
        &mut self,
        inputs: &Inputs<'_>,
        produce: impl FnOnce(&Inputs<'_>, u16) -> FlowUpdate,
    ) -> Computed {
        let Some(tlv) = self.tlv_index() else {
            return Computed::default();
        };
        let update = produce(inputs, tlv);
        // A full recompute lists every source in `changed` (and the vanished ones in
        // `removed`), so replacing source by source is enough and keeps other producers' flows.
        if update.full {
            self.full_recomputes += 1;
        }
        let mut changed = update.full || !update.changed.is_empty() || !update.removed.is_empty();
        if let Some(g) = update.groups
            && g != self.desired_groups
        {
            self.desired_groups = g;
            changed = true;
        }
        if let Some(m) = update.meters
            && m != self.desired_meters
        {
            self.desired_meters = m;
            changed = true;
        }
        for source in update.removed {
            self.table.remove_source(source);
        }
        for (source, flows) in update.changed {
            self.table.remove_source(source);
            for f in flows {
                let key = FlowKey {
                    table: f.table,
                    priority: f.priority,
                    matches: f.matches,
                };
                if f.conjunctive {
                    self.table
                        .add_conjunctive(f.source, key, f.cookie, f.instructions);
                } else {
                    self.table.add(f.source, key, f.cookie, f.instructions);
                }
            }
        }
        Computed { changed }
    }

    /// Number of desired and installed flows.
    pub fn counts(&self) -> (usize, usize) {
        (self.table.desired_len(), self.table.installed_len())
    }

    /// Installs what changed; returns the install's sequence number when one went out. The
    /// barrier after it has been answered when this returns `Some`.
    ///
    /// With `sync`, an install is reported even when nothing changed (what is desired is already
    /// installed and confirmed), so that a new nb_cfg or a newly claimed port is acknowledged.
    pub async fn install(&mut self, computed: Computed, sync: bool) -> Option<Seqno> {
        if self.retry_after.is_some_and(|t| Instant::now() < t) {
            return None;
        }
        let conn = self.conn.as_mut()?;
        if !computed.changed && !conn.clear_first && !sync {
            return None;
        }
        conn.tlv_index?;
        let clear = conn.clear_first;
        let mut ops = if clear {
            self.table.diff_all()
        } else {
            self.table.diff()
        };
        // Operations refused before, unchanged since, stay out.
        ops.retain(|op| {
            let (k, body) = match op {
                FlowOp::Add(k, b) | FlowOp::Modify(k, b) => (k, Some(b)),
                FlowOp::Delete(k) => (k, None),
            };
            self.rejected.get(k).is_none_or(|r| r.as_ref() != body)
        });
        // Groups: new or changed ones before the flows that use them, stale ones after.
        let mut group_adds: Vec<openflow::msg::GroupMod> = Vec::new();
        let mut group_dels: Vec<u32> = Vec::new();
        for (id, spec) in &self.desired_groups {
            if self.installed_groups.get(id) == Some(spec) {
                continue;
            }
            match crate::ofctrl::group_spec::parse_group_spec(*id, spec) {
                Ok(desc) => group_adds.push(openflow::msg::GroupMod {
                    command: if self.installed_groups.contains_key(id) {
                        openflow::msg::GroupCommand::MODIFY
                    } else {
                        openflow::msg::GroupCommand::ADD
                    },
                    command_bucket_id: openflow::msg::BUCKET_ALL,
                    group: desc,
                }),
                Err(e) => warn!(error = %e, "group not installed"),
            }
        }
        for id in self.installed_groups.keys() {
            if !self.desired_groups.contains_key(id) {
                group_dels.push(*id);
            }
        }
        // Meters cannot be bundled: new and changed ones go first (after a delete-all on a new
        // connection), stale ones after the bundle.
        let mut meter_msgs = Vec::new();
        if clear {
            meter_msgs.push(Message::MeterMod(openflow::msg::MeterMod {
                command: openflow::msg::MeterCommand::DELETE,
                meter: openflow::msg::MeterConfig {
                    meter_id: 0xffff_ffff,
                    flags: 0,
                    bands: Vec::new(),
                },
            }));
        }
        for (id, m) in &self.desired_meters {
            if self.installed_meters.get(id) == Some(m) {
                continue;
            }
            let command = if self.installed_meters.contains_key(id) {
                openflow::msg::MeterCommand::MODIFY
            } else {
                openflow::msg::MeterCommand::ADD
            };
            meter_msgs.push(Message::MeterMod(openflow::msg::MeterMod {
                command,
                meter: m.clone(),
            }));
        }
        if !meter_msgs.is_empty() {
            match conn.client.send_all(meter_msgs).await {
                Ok(()) => {}
                Err(e) => warn!(error = %e, "some meters were refused"),
            }
            // Whatever the switch took, record the wish; refused ones are logged above.
            self.installed_meters = self.desired_meters.clone();
        }
        let stale_meters: Vec<u32> = self
            .installed_meters
            .keys()
            .filter(|id| !self.desired_meters.contains_key(id))
            .copied()
            .collect();
        if ops.is_empty() && !clear && group_adds.is_empty() && group_dels.is_empty() {
            // Nothing to change: the state is already installed, acknowledge it right away.
            self.seqno += 1;
            self.acked = Some(self.seqno);
            return Some(self.seqno);
        }
        let mut msgs = Vec::with_capacity(ops.len() + group_adds.len() + group_dels.len() + 2);
        if clear {
            msgs.push(Message::FlowMod(FlowMod::delete_all()));
            msgs.push(Message::GroupMod(openflow::msg::GroupMod::delete_all()));
        }
        let n_pre = msgs.len() + group_adds.len();
        msgs.extend(group_adds.iter().cloned().map(Message::GroupMod));
        msgs.extend(ops.iter().map(|op| Message::FlowMod(flow_mod(op))));
        for id in &group_dels {
            let mut del = openflow::msg::GroupMod::delete_all();
            del.group.group_id = *id;
            msgs.push(Message::GroupMod(del));
        }
        let n = msgs.len();
        match conn.client.send_bundle(msgs).await {
            Ok(()) => {
                conn.clear_first = false;
                self.retry_after = None;
                self.table.apply_installed(&ops);
                for g in &group_adds {
                    if let Some(spec) = self.desired_groups.get(&g.group.group_id) {
                        self.installed_groups.insert(g.group.group_id, spec.clone());
                    }
                }
                for id in &group_dels {
                    self.installed_groups.remove(id);
                }
                if !stale_meters.is_empty() {
                    let dels = stale_meters
                        .iter()
                        .map(|id| {
                            Message::MeterMod(openflow::msg::MeterMod {
                                command: openflow::msg::MeterCommand::DELETE,
                                meter: openflow::msg::MeterConfig {
                                    meter_id: *id,
                                    flags: 0,
                                    bands: Vec::new(),
                                },
                            })
                        })
                        .collect();
                    if let Err(e) = conn.client.send_all(dels).await {
                        warn!(error = %e, "deleting stale meters failed");
                    }
                    for id in &stale_meters {
                        self.installed_meters.remove(id);
                    }
                }
                self.seqno += 1;
                match conn.client.barrier().await {
                    Ok(()) => {
                        debug!(flow_mods = n, seqno = self.seqno, "installed");
                        self.acked = Some(self.seqno);
                    }
                    Err(e) => {
                        warn!(error = %e, "barrier failed");
                        self.conn = None;
                    }
                }
                Some(self.seqno)
            }
            Err(e) => {
                // Set the refused flow operations aside (logged with their cookie, which names
                // the Southbound row) and retry the rest soon.
                if let openflow::io::IoError::Bundle { failed, .. } = &e {
                    for (idx, err) in failed {
                        let Some(i) = usize::try_from(*idx)
                            .ok()
                            .and_then(|i| i.checked_sub(n_pre))
                        else {
                            warn!(index = idx, error = ?err, "switch refused a group or the initial clear");
                            continue;
                        };
                        if let Some(op) = ops.get(i) {
                            let (k, body) = match op {
                                FlowOp::Add(k, b) | FlowOp::Modify(k, b) => (k, Some(b.clone())),
                                FlowOp::Delete(k) => (k, None),
                            };
                            warn!(
                                table = k.table,
                                priority = k.priority,
                                cookie = format_args!("{:#x}", body.as_ref().map_or(0, |b| b.cookie)),
                                flow = %k.matches,
                                error = ?err,
                                "switch refused a flow; it is left out"
                            );
                            self.rejected.insert(std::sync::Arc::clone(k), body);
                        }
                    }
                } else {
                    warn!(error = %e, flow_mods = n, "bundle failed; nothing of it was installed");
                }
                self.table.retry(&ops);
                if matches!(
                    e,
                    openflow::io::IoError::Stopped | openflow::io::IoError::Disconnected(_)
                ) {
                    self.conn = None;
                }
                self.retry_after = Some(Instant::now() + Duration::from_millis(200));
                self.pending_event = true;
                None
            }
        }
    }

    /// Forgets incremental state: the next computation starts from scratch.
    pub fn force_recompute(&mut self) {
        info!(
            recomputes = self.full_recomputes,
            "full recompute requested"
        );
        self.table.clear_desired();
    }

    /// The newest acknowledged install.
    pub fn acked(&self) -> Option<Seqno> {
        self.acked
    }

    /// Resolves when the OpenFlow side has something for the main loop (a reconnection, which
    /// requires reinstalling everything, or a lost connection).
    pub async fn wait_event(&mut self) {
        if self.pending_event {
            self.pending_event = false;
            return;
        }
        let Some(conn) = self.conn.as_mut() else {
            return std::future::pending().await;
        };
        match conn.events.next().await {
            Some(AsyncEvent::Connected { .. }) => {
                info!("integration bridge reconnected: reinstalling everything");
                conn.tlv_index = None;
                conn.clear_first = true;
                self.table.clear_installed();
                self.installed_groups.clear();
                self.installed_meters.clear();
                self.rejected.clear();
            }
            Some(AsyncEvent::Disconnected(e)) => {
                warn!(error = %e, "integration bridge connection lost");
            }
            Some(AsyncEvent::Error { xid, error }) => {
                warn!(xid, error = ?error, "switch refused a message");
            }
            Some(_) => {}
            None => {
                self.conn = None;
            }
        }
    }
}
