//! The whole computation (`physical_run`) and the per-row entry points for incremental
//! recomputation (`physical_handle_flows_for_lport`, `physical_handle_mc_group_changes`).

use super::common::Flows;
use super::flow::PhysicalFlow;
use super::input::{MulticastGroup, PhysicalInput};
use super::mc_group::consider_mc_group;
use super::port_binding::consider_port_binding;
use super::static_flows::static_flows;
use super::tunnel::{chassis_mac_flows, tunnel_flows};
use crate::binding::{PortBinding, PortType};

/// Every physical flow, in the order ovn-controller adds them: remote chassis MACs, each
/// Port_Binding, each Multicast_Group, the tunnels, the static flows.
///
/// Several rows may yield the same (table, priority, match); as with `ofctrl_add_flow`, the
/// first one is what gets installed (the flow table keeps the others as fallbacks).
pub fn physical_run(input: &PhysicalInput) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    chassis_mac_flows(input, &mut out);
    for pb in input.port_bindings.values() {
        consider_port_binding(input, pb, &mut out);
    }
    for mc in &input.mc_groups {
        consider_mc_group(input, mc, &mut out);
    }
    tunnel_flows(input, &mut out);
    static_flows(&mut out);
    out.flows
}

/// The flows of one Port_Binding (all with `source == pb.uuid`).
pub fn port_binding_flows(input: &PhysicalInput, pb: &PortBinding) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    consider_port_binding(input, pb, &mut out);
    out.flows
}

/// The flows of one Multicast_Group (all with `source == mc.uuid`).
pub fn mc_group_flows(input: &PhysicalInput, mc: &MulticastGroup) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    consider_mc_group(input, mc, &mut out);
    out.flows
}

/// The flows owned by no row ([`super::HARDCODED_SOURCE`]): remote chassis MACs, tunnels,
/// static flows. Recompute them when tunnels, chassis MACs or the Geneve field change.
pub fn hardcoded_flows(input: &PhysicalInput) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    chassis_mac_flows(input, &mut out);
    tunnel_flows(input, &mut out);
    static_flows(&mut out);
    out.flows
}

/// The Port_Bindings whose flows must be recomputed when `pb` changes
/// (`physical_handle_flows_for_lport`): itself, its patch peer (whose table-65 clone loads
/// this side's zones), and for an external port its datapath's localnet port (whose table-41
/// exceptions list the external MACs). A change of additional chassis (multichassis state)
/// affects every port of the datapath: the caller recomputes the datapath then.
pub fn affected_ports(input: &PhysicalInput, pb: &PortBinding) -> Vec<String> {
    let mut out = vec![pb.logical_port.clone()];
    if pb.ty == PortType::Patch
        && let Some(peer) = input.binding_peer(pb)
    {
        out.push(peer.logical_port.clone());
    }
    if pb.ty == PortType::External
        && let Some(ln) = input.ld(pb.datapath).and_then(|l| l.localnet_port.clone())
    {
        out.push(ln);
    }
    out
}
