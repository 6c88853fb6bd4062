//! Assembles the physical-flow inputs from the daemon's snapshots, and turns the physical
//! flows into desired flows grouped by source row (so that unchanged rows cost nothing in the
//! flow table).

use openflow::action::Instructions;
use openflow::field::Field;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// The lflow.c extras: MAC bindings (66/67), load balancer hairpin (68–70), FDB (71/72) and
/// port security of local VIFs (73–75), from the Southbound replica.
pub fn extra_flows(
    input: &PhysicalInput,
    sb: &ovsdb::Replica,
    me: &str,
) -> Vec<physical::PhysicalFlow> {
    use crate::lflow_extra as x;
    use ovsdb::views::ovn_sb::{
        Fdb, LoadBalancer, LogicalDpGroup, MacBinding, PortBinding as PbView, SbGlobal,
        StaticMacBinding,
    };
    let mut out = Vec::new();
    for b in sb.typed::<MacBinding>().iter().flat_map(|t| t.iter()) {
        out.extend(x::neighbor_flows(
            input,
            &x::MacBinding {
                uuid: b.uuid().as_u128(),
                logical_port: b.logical_port().to_owned(),
                ip: b.ip().to_owned(),
                mac: b.mac().to_owned(),
                static_override: None,
            },
        ));
    }
    for b in sb.typed::<StaticMacBinding>().iter().flat_map(|t| t.iter()) {
        out.extend(x::neighbor_flows(
            input,
            &x::MacBinding {
                uuid: b.uuid().as_u128(),
                logical_port: b.logical_port().to_owned(),
                ip: b.ip().to_owned(),
                mac: b.mac().to_owned(),
                static_override: Some(b.override_dynamic_mac()),
            },
        ));
    }
    for f in sb.typed::<Fdb>().iter().flat_map(|t| t.iter()) {
        out.extend(x::fdb_flows(
            input,
            &x::Fdb {
                uuid: f.uuid().as_u128(),
                mac: f.mac().to_owned(),
                dp_key: u32::try_from(f.dp_key()).unwrap_or(0),
                port_key: u32::try_from(f.port_key()).unwrap_or(0),
            },
        ));
    }
    // Port security of the VIFs bound here.
    for pb in sb.typed::<PbView>().iter().flat_map(|t| t.iter()) {
        let Some(b) = input.port_bindings.get(pb.logical_port()) else {
            continue;
        };
        if b.chassis.as_deref() != Some(me) || !input.local_ofports.contains_key(&b.logical_port) {
            continue;
        }
        let ps: Vec<String> = pb.port_security().map(str::to_owned).collect();
        if !ps.is_empty() {
            out.extend(x::port_sec_flows(b, &ps));
        }
    }
    // Load balancer hairpin.
    let use_ct_mark = sb
        .typed::<SbGlobal>()
        .as_ref()
        .and_then(|t| {
            t.iter()
                .next()
                .map(|g| g.options().get("lb_hairpin_use_ct_mark").map(str::to_owned))
        })
        .flatten()
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let dp_key: HashMap<ovsdb::Uuid, u32> = sb
        .typed::<ovsdb::views::ovn_sb::DatapathBinding>()
        .map(|t| {
            t.iter()
                .filter_map(|d| Some((d.uuid(), u32::try_from(d.tunnel_key()).ok()?)))
                .collect()
        })
        .unwrap_or_default();
    let groups = sb.typed::<LogicalDpGroup>();
    for lb in sb.typed::<LoadBalancer>().iter().flat_map(|t| t.iter()) {
        let mut datapaths: Vec<u32> = lb
            .datapaths()
            .filter_map(|u| dp_key.get(&u).copied())
            .collect();
        if let Some(g) = lb
            .datapath_group()
            .and_then(|g| groups.as_ref().and_then(|t| t.get(&g)))
        {
            datapaths.extend(g.datapaths().filter_map(|u| dp_key.get(&u).copied()));
        }
        let l = x::LoadBalancer {
            uuid: lb.uuid().as_u128(),
            vips: lb.vips().to_btree_map(),
            protocol: lb.protocol().map(str::to_owned),
            options: lb.options().to_btree_map(),
            datapaths,
        };
        out.extend(x::lb_hairpin_flows(input, &l, use_ct_mark));
    }
    out
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
    pub fn update(
        &mut self,
        input: &PhysicalInput,
        extra: Vec<physical::PhysicalFlow>,
    ) -> FlowUpdate {
        self.errors.clear();
        let mut now: HashMap<SourceId, Vec<DesiredFlow>> = HashMap::new();
        for f in physical::physical_run(input).into_iter().chain(extra) {
            let instructions = Instructions::apply(f.actions);
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
