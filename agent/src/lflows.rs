//! Southbound `Logical_Flow` rows compiled into OpenFlow flows for the local datapaths
//! (controller/lflow.c `consider_logical_flow__`).
//!
//! Per logical flow: the actions are parsed once (their prerequisites are ANDed into the match),
//! then for every local datapath of the flow (its own, or each of its `Logical_DP_Group`) the
//! match is parsed in that datapath's context (port groups are per datapath), annotated,
//! simplified, `is_chassis_resident()` evaluated, normalized and turned into OpenFlow matches,
//! each ANDed with `metadata=<datapath key>`; the actions are encoded with that datapath's
//! parameters. Conjunctive matches get a conjunction-id range per (flow, datapath).
//!
//! A logical flow that fails to parse or encode is reported with its uuid and skipped; every
//! other flow is still compiled.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr as _;

use lflow::actions::{ActionsContext, EncodeTables, ExtendTable, OfAction, Pipeline};
use lflow::context::Context;
use lflow::expr;
use lflow::symtab::Symtab;
use openflow::action::{Action, Instructions};
use ovsdb::Replica;
use ovsdb::Uuid;
use ovsdb::views::ovn_sb::{AddressSet, LogicalDpGroup, LogicalFlow, PortGroup};

use crate::daemon::DesiredFlow;
use crate::sb::snapshot::SbSnapshot;

/// Logical tables per pipeline in OVN 23.03 (`LOG_PIPELINE_LEN`).
pub const LOG_PIPELINE_LEN: u8 = 29;
/// First OpenFlow table of the logical ingress pipeline.
pub const OFTABLE_LOG_INGRESS_PIPELINE: u8 = 8;
/// First OpenFlow table of the logical egress pipeline.
pub const OFTABLE_LOG_EGRESS_PIPELINE: u8 = 42;
/// Where `output;` goes from the ingress pipeline.
pub const OFTABLE_OUTPUT_LARGE_PKT_DETECT: u8 = 37;
/// Where `output;` goes from the egress pipeline.
pub const OFTABLE_SAVE_INPORT: u8 = 64;

/// A logical flow that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileIssue {
    /// The Logical_Flow row.
    pub lflow: Uuid,
    /// What went wrong (upstream's wording where it has one).
    pub message: String,
}

/// The compiler and what it keeps between runs (group and meter ids).
#[derive(Debug)]
pub struct LflowCompiler {
    symtab: Symtab,
    groups: ExtendTable,
    meters: ExtendTable,
    /// Compiled flows by logical flow, with the hash of what they were compiled from.
    cache: HashMap<Uuid, (u64, Vec<DesiredFlow>)>,
    /// Fingerprint of the compile context of the last run; a change recompiles everything.
    ctx_fingerprint: Option<u64>,
    /// Address set and port group hashes of the last run.
    set_hashes: HashMap<String, u64>,
    /// The address sets and port groups each logical flow's match names.
    refs: HashMap<Uuid, Vec<String>>,
    /// Flows recompiled because an address set or port group they name changed.
    pub recompiled_for_sets: u64,
    /// Next conjunction id: every (re)compiled flow takes a fresh range, so ids never collide
    /// with those of flows being replaced in the same install.
    next_conj: u32,
    /// Number of flows compiled in the last run.
    pub last_compiled: usize,
    /// Runs that recompiled everything (context changed, or the first run).
    pub full_recomputes: u64,
    /// Runs that recompiled only changed logical flows.
    pub incremental_runs: u64,
}

/// What a run changed, by source row.
#[derive(Debug, Default)]
pub struct LflowOutput {
    /// Everything was recompiled: `changed` holds every logical flow's flows.
    pub full: bool,
    /// Logical flows whose OpenFlow flows are new or different.
    pub changed: Vec<(u128, Vec<DesiredFlow>)>,
    /// Logical flows that no longer exist (or are no longer local).
    pub removed: Vec<u128>,
    /// Flows that could not be compiled.
    pub issues: Vec<CompileIssue>,
}

impl Default for LflowCompiler {
    fn default() -> Self {
        Self::new()
    }
}

/// What a run reads.
#[derive(Debug)]
pub struct CompileInput<'a> {
    /// The Southbound replica.
    pub sb: &'a Replica,
    /// Its snapshot (datapaths, port bindings).
    pub snap: &'a SbSnapshot,
    /// Tunnel keys of the local datapaths.
    pub local_datapaths: &'a BTreeSet<u32>,
    /// Logical ports resident on this chassis (`is_chassis_resident`).
    pub resident: &'a BTreeSet<String>,
    /// Logical ports related to this chassis (resident, localports, gateways here): port
    /// groups keep only these.
    pub related: &'a BTreeSet<String>,
    /// The datapath supports `ct_zero_snat` (Datapath capability).
    pub ct_zero_snat: bool,
    /// The datapath supports symmetric L4 `dp_hash` (`max_hash_alg` ≥ 1).
    pub dp_hash_l4_sym: bool,
}

fn uuid_parts(u: Uuid) -> [u32; 4] {
    let b = u.0;
    [
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
    ]
}

/// Port lookups of actions on one datapath, as ovn-controller's `lookup_port_cb`: a port of
/// that datapath, else one of its multicast groups.
struct DpPorts<'a> {
    ctx: &'a Context,
    dp: i64,
}

impl lflow::actions::PortLookup for DpPorts<'_> {
    fn port_key(&self, name: &str) -> Option<u32> {
        self.ctx.port_key_on(self.dp, name)
    }
    fn tunnel_ofport(&self, _name: &str) -> Option<u32> {
        // fwd_group(liveness=true) watches tunnel ports; without BFD there is nothing to watch.
        None
    }
}

/// A hash of what every flow's compilation depends on besides the flow itself and the address
/// sets and port groups it names: a change (a port added, residency, local datapaths …)
/// recompiles every flow.
fn fingerprint(ctx: &Context, inp: &CompileInput<'_>) -> u64 {
    use std::collections::BTreeMap;
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let ports: BTreeMap<&String, &u32> = ctx.ports.iter().collect();
    ports.hash(&mut h);
    inp.resident.hash(&mut h);
    inp.related.hash(&mut h);
    inp.local_datapaths.hash(&mut h);
    (inp.ct_zero_snat, inp.dp_hash_l4_sym).hash(&mut h);
    let mut dps: Vec<(u32, bool, bool)> = inp
        .snap
        .datapaths
        .values()
        .map(|d| {
            (
                d.key,
                d.external_ids.contains_key("logical-switch"),
                d.external_ids.contains_key("snat-ct-zone"),
            )
        })
        .collect();
    dps.sort_unstable();
    dps.hash(&mut h);
    h.finish()
}

/// A hash per address set (`as:<name>`) and port group (`pg:<Southbound name>`): a change
/// recompiles only the flows that name it.
fn set_hashes(inp: &CompileInput<'_>) -> HashMap<String, u64> {
    use std::hash::{Hash, Hasher};
    let hash = |v: &[&str]| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut v = v.to_vec();
        v.sort_unstable();
        v.hash(&mut h);
        h.finish()
    };
    let mut out = HashMap::new();
    if let Some(t) = inp.sb.typed::<AddressSet>() {
        for a in t.iter() {
            out.insert(
                format!("as:{}", a.name()),
                hash(&a.addresses().collect::<Vec<_>>()),
            );
        }
    }
    if let Some(t) = inp.sb.typed::<PortGroup>() {
        for g in t.iter() {
            out.insert(
                format!("pg:{}", g.name()),
                hash(&g.ports().collect::<Vec<_>>()),
            );
        }
    }
    out
}

/// Converts encoded actions to the `openflow` crate's instructions; when an action has no
/// typed counterpart, through their common text form (both sides print and parse exactly
/// ovs-ofctl's syntax).
fn to_instructions(acts: &[OfAction]) -> Result<Instructions, String> {
    if acts.is_empty() {
        return Ok(Instructions::default());
    }
    if let Some(v) = lflow::actions::to_openflow_actions(acts) {
        return Ok(Instructions::apply(v));
    }
    let mut text = String::new();
    lflow::actions::format_ofpacts(&mut text, acts).map_err(|e| e.to_string())?;
    let actions: Vec<Action> = Instructions::from_str(&text)
        .map_err(|e| format!("encoded actions {text:?} do not parse: {e}"))?
        .apply_actions()
        .iter()
        // OVN's `ip.ttl--` is OVS's decrement with an empty controller-id list
        // (NXAST_DEC_TTL_CNT_IDS), not OFPAT_DEC_NW_TTL; both print `dec_ttl` before encoding.
        .map(|a| match a {
            Action::DecTtl => Action::DecTtlCntIds(Box::default()),
            other => other.clone(),
        })
        .collect();
    Ok(Instructions::apply(actions))
}

impl LflowCompiler {
    /// The groups the compiled flows use, by id, with their specification.
    pub fn desired_groups(&self) -> std::collections::BTreeMap<u32, String> {
        self.groups
            .desired()
            .into_iter()
            .map(|(id, s)| (id, s.to_owned()))
            .collect()
    }

    /// The meters the compiled flows use, by id, with their name (`__string: …` for inline
    /// `set_meter` meters, else a Southbound Meter name).
    pub fn desired_meters(&self) -> std::collections::BTreeMap<u32, String> {
        self.meters
            .desired()
            .into_iter()
            .map(|(id, s)| (id, s.to_owned()))
            .collect()
    }

    /// Marks the desired groups and meters as installed (ids of removed ones become free).
    pub fn sync_tables(&mut self) {
        self.groups.sync();
        self.meters.sync();
    }

    /// A compiler with OVN 23.03's symbol table.
    pub fn new() -> Self {
        Self {
            symtab: Symtab::ovn(),
            groups: ExtendTable::new(),
            meters: ExtendTable::new(),
            cache: HashMap::new(),
            ctx_fingerprint: None,
            set_hashes: HashMap::new(),
            refs: HashMap::new(),
            recompiled_for_sets: 0,
            next_conj: 1,
            last_compiled: 0,
            full_recomputes: 0,
            incremental_runs: 0,
        }
    }

    /// Compiles every logical flow of the local datapaths.
    pub fn compile_all(&mut self, inp: &CompileInput<'_>) -> LflowOutput {
        let mut result = LflowOutput::default();
        let mut issues = Vec::new();
        let mut seen: HashSet<Uuid> = HashSet::new();

        // The expression context: ports (resolved on their own datapath only), multicast
        // groups, address sets, port groups (reduced to the ports related to this chassis, as
        // ovn-controller does), residency.
        let mut ctx = Context::for_chassis();
        for pb in &inp.snap.port_bindings {
            ctx.ports.insert(pb.logical_port.clone(), pb.tunnel_key);
            ctx.port_datapath
                .insert(pb.logical_port.clone(), i64::from(pb.datapath));
        }
        for mc in &inp.snap.mc_groups {
            ctx.multicast_groups
                .insert((i64::from(mc.datapath), mc.name.clone()), mc.key);
        }
        ctx.chassis_resident = inp.resident.iter().cloned().collect::<HashSet<String>>();
        let related: HashSet<&str> = inp
            .snap
            .port_bindings
            .iter()
            .filter(|pb| {
                inp.related.contains(&pb.logical_port)
                    || matches!(
                        pb.ty,
                        crate::binding::PortType::Patch
                            | crate::binding::PortType::Localnet
                            | crate::binding::PortType::Vtep
                    )
            })
            .map(|pb| pb.logical_port.as_str())
            .collect();
        if let Some(t) = inp.sb.typed::<AddressSet>() {
            for a in t.iter() {
                ctx.add_address_set(a.name(), a.addresses());
            }
        }
        if let Some(t) = inp.sb.typed::<PortGroup>() {
            for g in t.iter() {
                ctx.add_port_group_filtered(g.name(), g.ports(), &|p| related.contains(p));
            }
        }
        let mut actx = ActionsContext {
            ports: ctx.ports.clone(),
            tunnel_ofports: HashMap::new(),
            n_tables: LOG_PIPELINE_LEN,
            collector_ids: None,
            dp_meter_support: true,
            ct_zero_snat: inp.ct_zero_snat,
            dp_hash_l4_sym: inp.dp_hash_l4_sym,
            ..ActionsContext::default()
        };

        let dp_by_uuid = &inp.snap.datapaths;
        let fp = fingerprint(&ctx, inp);
        let full = self.ctx_fingerprint != Some(fp);
        if full {
            self.full_recomputes += 1;
            self.ctx_fingerprint = Some(fp);
        } else {
            self.incremental_runs += 1;
        }
        result.full = full;
        let new_sets = set_hashes(inp);
        let changed_sets: HashSet<String> = new_sets
            .iter()
            .filter(|(k, v)| self.set_hashes.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .chain(
                self.set_hashes
                    .keys()
                    .filter(|k| !new_sets.contains_key(*k))
                    .cloned(),
            )
            .collect();
        self.set_hashes = new_sets;
        let groups = inp.sb.typed::<LogicalDpGroup>();
        let Some(lflows) = inp.sb.typed::<LogicalFlow>() else {
            result.removed = self.cache.drain().map(|(u, _)| u.as_u128()).collect();
            return result;
        };
        for lf in lflows.iter() {
            // The flow's local datapaths.
            let mut dps: Vec<u32> = Vec::new();
            if let Some(d) = lf.logical_datapath().and_then(|u| dp_by_uuid.get(&u)) {
                dps.push(d.key);
            }
            if let Some(g) = lf
                .logical_dp_group()
                .and_then(|u| groups.as_ref().and_then(|t| t.get(&u)))
            {
                dps.extend(
                    g.datapaths()
                        .filter_map(|u| dp_by_uuid.get(&u))
                        .map(|d| d.key),
                );
            }
            dps.retain(|k| inp.local_datapaths.contains(k));
            if dps.is_empty() {
                continue;
            }
            // Flows northd tags with the port they are about are only needed where that port
            // is related to this chassis (lflow.c `tags:in_out_port`).
            if let Some(p) = lf.tags().get("in_out_port")
                && !related.contains(p)
            {
                continue;
            }
            let content = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (
                    lf.match_(),
                    lf.actions(),
                    lf.pipeline(),
                    lf.table_id(),
                    lf.priority(),
                    &dps,
                    lf.controller_meter(),
                )
                    .hash(&mut h);
                h.finish()
            };
            seen.insert(lf.uuid());
            if !full
                && self
                    .cache
                    .get(&lf.uuid())
                    .is_some_and(|(h, _)| *h == content)
            {
                let names_changed = self
                    .refs
                    .get(&lf.uuid())
                    .is_some_and(|r| r.iter().any(|n| changed_sets.contains(n)));
                if !names_changed {
                    continue;
                }
                self.recompiled_for_sets += 1;
            }
            let mut lf_refs = lflow::expr::ExprRefs::default();
            let mut out: Vec<DesiredFlow> = Vec::new();
            // Groups and meters of the previous compilation of this flow are released first.
            self.groups.remove_lflow(lf.uuid().as_u128());
            self.meters.remove_lflow(lf.uuid().as_u128());
            let pipeline = match lf.pipeline() {
                "ingress" => Pipeline::Ingress,
                "egress" => Pipeline::Egress,
                other => {
                    issues.push(CompileIssue {
                        lflow: lf.uuid(),
                        message: format!("unknown pipeline {other:?}"),
                    });
                    continue;
                }
            };
            let (Ok(ltable), Ok(priority)) =
                (u8::try_from(lf.table_id()), u16::try_from(lf.priority()))
            else {
                issues.push(CompileIssue {
                    lflow: lf.uuid(),
                    message: "table or priority out of range".into(),
                });
                continue;
            };
            let ptable = match pipeline {
                Pipeline::Ingress => OFTABLE_LOG_INGRESS_PIPELINE,
                Pipeline::Egress => OFTABLE_LOG_EGRESS_PIPELINE,
            }
            .saturating_add(ltable);
            actx.cur_ltable = ltable;
            actx.pipeline = pipeline;
            // `output;` enters the output stage from ingress, and the delivery stage from egress.
            actx.tables.output = match pipeline {
                Pipeline::Ingress => OFTABLE_OUTPUT_LARGE_PKT_DETECT,
                Pipeline::Egress => OFTABLE_SAVE_INPORT,
            };
            actx.lflow_uuid = uuid_parts(lf.uuid());

            let parsed = {
                let pp = actx.parse_params(&self.symtab);
                match lflow::actions::parse_actions_str(lf.actions(), &pp) {
                    Ok(p) => p,
                    Err(e) => {
                        issues.push(CompileIssue {
                            lflow: lf.uuid(),
                            message: format!("actions: {e}"),
                        });
                        continue;
                    }
                }
            };
            let cookie = crate::physical::cookie_of(lf.uuid().as_u128());
            let source = lf.uuid().as_u128();

            for dp_key in dps {
                let dp = dp_by_uuid.values().find(|d| d.key == dp_key);
                actx.dp_key = dp_key;
                actx.is_switch = dp.is_some_and(|d| d.external_ids.contains_key("logical-switch"));
                actx.common_nat_ct_zone =
                    if dp.is_some_and(|d| d.external_ids.contains_key("snat-ct-zone")) {
                        lflow::actions::MfField::LOG_SNAT_ZONE
                    } else {
                        lflow::actions::MfField::LOG_DNAT_ZONE
                    };

                // Match, with the actions' prerequisites.
                let mut matches = match expr::compile_with(
                    lf.match_(),
                    parsed.prereqs.clone(),
                    &self.symtab,
                    &ctx,
                    i64::from(dp_key),
                    Some(&mut lf_refs),
                ) {
                    Ok(m) => m,
                    Err(err) => {
                        issues.push(CompileIssue {
                            lflow: lf.uuid(),
                            message: format!("match: {err}"),
                        });
                        break;
                    }
                };
                if matches.is_empty() {
                    continue;
                }
                if matches.n_conjs > 0 {
                    matches.offset_conj_ids(self.next_conj - 1);
                    self.next_conj = self.next_conj.wrapping_add(matches.n_conjs).max(1);
                }

                // Actions for this datapath.
                let mut ofpacts: Vec<OfAction> = Vec::new();
                {
                    let dp_ports = DpPorts {
                        ctx: &ctx,
                        dp: i64::from(dp_key),
                    };
                    let mut ep = actx.encode_params();
                    ep.ports = &dp_ports;
                    let mut tables = EncodeTables {
                        groups: &mut self.groups,
                        meters: &mut self.meters,
                    };
                    lflow::actions::encode_actions(&parsed.actions, &ep, &mut tables, &mut ofpacts);
                }
                let instructions = match to_instructions(&ofpacts) {
                    Ok(i) => i,
                    Err(err) => {
                        issues.push(CompileIssue {
                            lflow: lf.uuid(),
                            message: err,
                        });
                        break;
                    }
                };

                for m in matches.iter() {
                    let mut of = m.m.clone();
                    of.set_field(
                        lflow::symtab::OfField::Metadata,
                        u128::from(dp_key),
                        u128::from(u64::MAX),
                    );
                    let om = match of.to_openflow() {
                        Ok(om) => om,
                        Err(err) => {
                            issues.push(CompileIssue {
                                lflow: lf.uuid(),
                                message: format!("match: {err}"),
                            });
                            continue;
                        }
                    };
                    if m.conjunctions.is_empty() {
                        out.push(DesiredFlow {
                            table: ptable,
                            priority,
                            cookie,
                            source,
                            matches: om,
                            instructions: instructions.clone(),
                            conjunctive: false,
                        });
                    } else {
                        let acts: Vec<Action> = m
                            .conjunctions
                            .iter()
                            .filter_map(|c| {
                                Action::from_str(&format!(
                                    "conjunction({},{}/{})",
                                    c.id,
                                    c.clause + 1,
                                    c.n_clauses
                                ))
                                .ok()
                            })
                            .collect();
                        out.push(DesiredFlow {
                            table: ptable,
                            priority,
                            // Conjunction clause flows carry no cookie in 23.03 (lflow.c adds them with 0).
                            cookie: 0,
                            source,
                            matches: om,
                            instructions: Instructions::apply(acts),
                            conjunctive: true,
                        });
                    }
                }
            }
            self.cache.insert(lf.uuid(), (content, out.clone()));
            let names: Vec<String> = lf_refs
                .address_sets
                .keys()
                .map(|n| format!("as:{n}"))
                .chain(lf_refs.port_groups.iter().map(|n| format!("pg:{n}")))
                .collect();
            if names.is_empty() {
                self.refs.remove(&lf.uuid());
            } else {
                self.refs.insert(lf.uuid(), names);
            }
            result.changed.push((source, out));
        }
        let gone: Vec<Uuid> = self
            .cache
            .keys()
            .filter(|u| !seen.contains(u))
            .copied()
            .collect();
        for u in gone {
            self.cache.remove(&u);
            result.removed.push(u.as_u128());
            self.refs.remove(&u);
            self.groups.remove_lflow(u.as_u128());
            self.meters.remove_lflow(u.as_u128());
        }
        self.last_compiled = self.cache.values().map(|(_, f)| f.len()).sum();
        result.issues = issues;
        result
    }
}
