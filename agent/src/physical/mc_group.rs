//! The flows of one Multicast_Group (physical.c `consider_mc_group`): local members in table
//! 40, remote chassis and logical patch ports in table 39.

use super::common::*;
use super::consts::*;
use super::input::{MulticastGroup, PhysicalInput};
use super::ofpact::Ofpact;
use super::ovs_hash::sset_order;
use crate::binding::{PortBinding, PortType};

/// Encapsulates once per tunnel type and outputs to each chassis' first tunnel
/// (`fanout_to_chassis`).
fn fanout(
    input: &PhysicalInput,
    acts: &mut Vec<Ofpact>,
    chassis: &[String],
    mc: &MulticastGroup,
    is_ramp_switch: bool,
) {
    let mut prev: Option<tunnel::EncapType> = None;
    for name in chassis {
        let Some(tun) = input.tunnels.find(name, None) else {
            continue;
        };
        if prev != Some(tun.encap_type) {
            put_encapsulation(
                acts,
                input.geneve_field,
                tun,
                mc.datapath,
                mc.tunnel_key as u16,
                is_ramp_switch,
            );
            prev = Some(tun.encap_type);
        }
        acts.push(Ofpact::Output(tun.ofport));
    }
}

/// Adds `name` to an insertion-ordered set.
fn add_chassis(set: &mut Vec<String>, name: &str) {
    if !set.iter().any(|c| c == name) {
        set.push(name.to_owned());
    }
}

/// Appends the flows of `mc` to `out`.
///
/// Remote chassis are visited in the order of upstream's `sset` of their names (a hash order,
/// reproduced by [`sset_order`]), which fixes the order of the outputs within the flow.
pub fn consider_mc_group(input: &PhysicalInput, mc: &MulticastGroup, out: &mut Flows) {
    let Some(ld) = input.ld(mc.datapath) else {
        return;
    };
    let me = input.chassis.name.as_str();
    let has_localnet = ld.localnet_port.is_some();

    // The Southbound set column is ordered by UUID; so is upstream's walk over it.
    let mut ports: Vec<&PortBinding> = mc.ports.iter().filter_map(|n| input.pb(n)).collect();
    ports.sort_by_key(|p| p.uuid);

    let mut local = Vec::new();
    let mut remote = Vec::new();
    let mut remote_chassis: Vec<String> = Vec::new();
    let mut vtep_chassis: Vec<String> = Vec::new();
    let output = |acts: &mut Vec<Ofpact>, key: u32| {
        load32(acts, LOG_OUTPORT, key);
        resubmit(acts, OFTABLE_CHECK_LOOPBACK);
    };

    for port in ports {
        if port.datapath != mc.datapath {
            tracing::warn!(group = %format!("{:032x}", mc.uuid), port = %port.logical_port,
                "multicast group contains ports in wrong datapath");
            continue;
        }
        // Upstream loads the member's zone into the local actions whatever kind of member it
        // is (so a localport's zone load lands there even though it is output remotely).
        if let Some(z) = input.ct_zones.get(&port.logical_port).filter(|z| *z != 0) {
            load32(&mut local, LOG_CT_ZONE, u32::from(z));
        }
        let lport_name = port
            .parent_port
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(&port.logical_port);

        if port.ty == PortType::Patch {
            // Logical patch ports are output on the remote side (table 39) only, so that the
            // packet is not duplicated on every chassis; a transit switch's are processed on
            // each side after crossing the AZ boundary.
            if ld.is_transit_switch {
                output(&mut local, port.tunnel_key);
            } else {
                output(&mut remote, port.tunnel_key);
            }
        }
        // Not `else`: upstream's chain restarts here, and a patch port falls through it.
        if port.ty == PortType::Remote {
            if let Some(ch) = port.chassis.as_deref() {
                load32(&mut remote, LOG_OUTPORT, port.tunnel_key);
                if let Some(tun) = input.tunnels.find(ch, None) {
                    put_encapsulation(
                        &mut remote,
                        input.geneve_field,
                        tun,
                        mc.datapath,
                        port.tunnel_key as u16,
                        false,
                    );
                    remote.push(Ofpact::Output(tun.ofport));
                }
            }
        } else if port.ty == PortType::Localport {
            output(&mut remote, port.tunnel_key);
        } else if ((input.on_this_chassis(port) || port.additional_chassis.iter().any(|c| c == me))
            && (input.is_primary_local(lport_name) || port.ty == PortType::L3Gateway))
            || input.patch_ofports.contains_key(&port.logical_port)
        {
            // Bound here, or a localnet/l2gateway port with its patch port.
            output(&mut local, port.tunnel_key);
        } else if port.ty == PortType::ChassisRedirect && input.on_this_chassis(port) {
            if let Some(d) = port
                .options
                .get("distributed-port")
                .and_then(|d| input.pb(d))
                .filter(|d| d.datapath == port.datapath)
            {
                output(&mut local, d.tunnel_key);
            }
        } else if !has_localnet {
            // With a localnet port, remote members are reached through the physical network.
            for ch in port.chassis.iter().chain(&port.additional_chassis) {
                if input.vtep_chassis.contains(ch) {
                    add_chassis(&mut vtep_chassis, ch);
                } else {
                    add_chassis(&mut remote_chassis, ch);
                }
            }
        }
    }

    let m = match_outport(mc.datapath, mc.tunnel_key);
    let has_local = !local.is_empty();
    if has_local {
        // After the local copies, the group is the output port again.
        load32(&mut local, LOG_OUTPORT, mc.tunnel_key);
        out.add(OFTABLE_LOCAL_OUTPUT, 100, mc.uuid, m.clone(), local);
    }

    if !remote_chassis.is_empty() || !vtep_chassis.is_empty() || !remote.is_empty() {
        if !remote.is_empty() {
            load32(&mut remote, LOG_OUTPORT, mc.tunnel_key);
        }
        let order = |v: &[String]| -> Vec<String> {
            sset_order(v.iter().map(String::as_str))
                .into_iter()
                .map(str::to_owned)
                .collect()
        };
        fanout(input, &mut remote, &order(&remote_chassis), mc, false);
        fanout(input, &mut remote, &order(&vtep_chassis), mc, true);
        if !remote.is_empty() {
            if has_local {
                resubmit(&mut remote, OFTABLE_LOCAL_OUTPUT);
            }
            out.add(OFTABLE_REMOTE_OUTPUT, 100, mc.uuid, m, remote);
        }
    }
}
