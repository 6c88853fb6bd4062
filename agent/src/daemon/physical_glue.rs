//! Assembles the physical-flow inputs from the daemon's snapshots, and turns the physical
//! flows into desired flows grouped by source row (so that unchanged rows cost nothing in the
//! flow table).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr as _;

use openflow::action::Instructions;
use openflow::field::Field;

use super::flows::{DesiredFlow, FlowUpdate};
use crate::binding::{BindingUpdate, PortBinding};
use crate::config::ChassisConfig;
use crate::ct_zones::CtZones;
use crate::ofctrl::flow_table::SourceId;
use crate::ovs::snapshot::OvsSnapshot;
use crate::physical::{self, ChassisIdentity, PhysicalInput};
use crate::sb::snapshot::SbSnapshot;

/// The local datapaths as local_data.c derives them: where a port is resident, the datapaths of
/// HA groups this chassis belongs to, and everything reachable from those through patch and
/// l3gateway ports.
pub fn local_datapaths(
    cfg: &ChassisConfig,
    sb: &SbSnapshot,
    update: &BindingUpdate,
) -> (
    BTreeMap<String, PortBinding>,
    BTreeMap<u32, physical::LocalDatapath>,
) {
    let pbs: BTreeMap<String, PortBinding> = sb
        .port_bindings
        .iter()
        .map(|pb| (pb.logical_port.clone(), pb.clone()))
        .collect();
    let datapaths: HashMap<u32, physical::DatapathInfo> = sb
        .datapaths
        .values()
        .map(|d| {
            (
                d.key,
                physical::DatapathInfo {
                    uuid: d.uuid.to_string(),
                    is_transit_switch: d.external_ids.contains_key("interconn-ts"),
                },
            )
        })
        .collect();
    let mut seeds: BTreeSet<u32> = update
        .resident
        .keys()
        .filter_map(|lp| pbs.get(lp))
        .map(|pb| pb.datapath)
        .collect();
    seeds.extend(physical::ha_member_datapaths(pbs.values(), &cfg.system_id));
    let networks: BTreeSet<String> = cfg
        .bridge_mappings
        .iter()
        .map(|m| m.network.clone())
        .collect();
    let lds = physical::local_datapaths(seeds, &datapaths, &pbs, &cfg.system_id, &networks);
    (pbs, lds)
}

/// The physical-flow input.
#[allow(clippy::too_many_arguments)]
pub fn physical_input(
    cfg: &ChassisConfig,
    ovs: &OvsSnapshot,
    sb: &SbSnapshot,
    update: &BindingUpdate,
    pbs: BTreeMap<String, PortBinding>,
    lds: BTreeMap<u32, physical::LocalDatapath>,
    zones: &CtZones,
    tlv_index: u16,
) -> PhysicalInput {
    let local_ofports = physical::local_ofports(&update.resident, &pbs);
    let mut patch_ofports = HashMap::new();
    if let Some(br) = ovs.bridges.get(&cfg.bridge) {
        for p in &br.ports {
            let lport = p
                .external_ids
                .get("ovn-localnet-port")
                .or_else(|| p.external_ids.get("ovn-l2gateway-port"));
            if let Some(lp) = lport
                && let Some(ofp) = p
                    .ifaces
                    .iter()
                    .find_map(|i| i.ofport)
                    .and_then(|o| u16::try_from(o).ok())
                && ofp > 0
            {
                patch_ofports.insert(lp.clone(), ofp);
            }
        }
    }
    let observed = ovs.observed_for_tunnels(&cfg.bridge);
    let tunnels = tunnel::chassis_tunnels(&observed, &cfg.system_id);
    let mc_groups = sb
        .mc_groups
        .iter()
        .map(|m| physical::MulticastGroup {
            uuid: m.uuid.as_u128(),
            datapath: m.datapath,
            tunnel_key: m.key,
            ports: m.ports.clone(),
        })
        .collect();
    PhysicalInput {
        chassis: ChassisIdentity {
            name: cfg.system_id.clone(),
            hostname: cfg.hostname.clone(),
        },
        active_tunnels: BTreeSet::new(),
        port_bindings: pbs,
        local_datapaths: lds,
        local_ofports,
        patch_ofports,
        ct_zones: zones.clone(),
        tunnels,
        vtep_chassis: BTreeSet::new(),
        remote_chassis_macs: Vec::new(),
        local_chassis_macs: BTreeMap::new(),
        mc_groups,
        geneve_field: Field::tun_metadata(u8::try_from(tlv_index).unwrap_or(0)),
    }
}

/// Physical flows as desired flows, with per-source change detection against the previous run.
#[derive(Debug, Default)]
pub struct PhysicalCache {
    by_source: HashMap<SourceId, Vec<DesiredFlow>>,
    /// Flows whose actions could not be converted (reported once by the caller).
    pub errors: Vec<String>,
}

impl PhysicalCache {
    /// Computes the physical flows and what changed since the last call.
    pub fn update(&mut self, input: &PhysicalInput) -> FlowUpdate {
        self.errors.clear();
        let mut now: HashMap<SourceId, Vec<DesiredFlow>> = HashMap::new();
        for f in physical::physical_run(input) {
            // The actions' text is the part after " actions=" of the flow's ovs-ofctl form.
            let printed = f.to_string();
            let text = printed.split_once(" actions=").map_or("", |(_, a)| a);
            let instructions = if f.actions.is_empty() {
                Instructions::default()
            } else {
                match Instructions::from_str(text) {
                    Ok(i) => i,
                    Err(e) => {
                        self.errors.push(format!("physical flow {f}: {e}"));
                        continue;
                    }
                }
            };
            now.entry(f.source).or_default().push(DesiredFlow {
                table: f.table,
                priority: f.priority,
                cookie: f.cookie,
                source: f.source,
                matches: f.matches,
                instructions,
                conjunctive: false,
            });
        }
        let mut out = FlowUpdate::default();
        for (src, flows) in &now {
            if self.by_source.get(src) != Some(flows) {
                out.changed.push((*src, flows.clone()));
            }
        }
        for src in self.by_source.keys() {
            if !now.contains_key(src) {
                out.removed.push(*src);
            }
        }
        self.by_source = now;
        out
    }
}
