//! The flows of one Port_Binding (physical.c `consider_port_binding`).

use openflow::field::Field;
use openflow::flow_match::Match;

use super::common::*;
use super::consts::*;
use super::ha::{ha_chassis_get_ordered, ha_chassis_group_is_active};
use super::input::{LocalDatapath, PhysicalInput, ZoneIds};
use super::ofpact::Ofpact;
use crate::binding::{PortBinding, PortType};

/// How a port with no local interface is reached (`enum access_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Local,
    Localnet,
    Remote,
    HaRemote,
}

/// `lport_can_bind_on_this_chassis` (main or additional).
fn can_bind_here(input: &PhysicalInput, pb: &PortBinding) -> bool {
    let me = &input.chassis;
    if pb.requested_chassis.as_deref() == Some(me.name.as_str())
        || pb.requested_additional_chassis.contains(&me.name)
    {
        return true;
    }
    match pb.options.get("requested-chassis").map(String::as_str) {
        None | Some("") => true,
        Some(list) => list
            .split(',')
            .filter(|c| !c.is_empty())
            .any(|c| c == me.name || c == me.hostname),
    }
}

/// `smap_get_bool(.., false)`: only "true" (any case) is true.
fn opt_true(pb: &PortBinding, key: &str) -> bool {
    pb.options
        .get(key)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The push-VLAN actions, with the TPID from a localnet port's `ethtype` option.
fn push_vlan(acts: &mut Vec<Ofpact>, localnet: Option<&PortBinding>, tag: u16) {
    let ethtype = match localnet.and_then(|l| l.options.get("ethtype")) {
        Some(t) if t.eq_ignore_ascii_case("802.11ad") => ETH_TYPE_VLAN_8021AD,
        _ => ETH_TYPE_VLAN_8021Q,
    };
    acts.push(Ofpact::PushVlan(ethtype));
    acts.push(Ofpact::set(
        Field::VLAN_VID,
        u128::from(VLAN_CFI | (tag & 0x0fff)),
    ));
}

/// `put_local_common_flows`: tables 40 (to 41 with zones), 41 (loopback drop) and 64 (hairpin).
fn put_local_common_flows(
    out: &mut Flows,
    dp_key: u32,
    pb: &PortBinding,
    parent: Option<&PortBinding>,
    zones: &ZoneIds,
) {
    let port_key = pb.tunnel_key;

    let mut acts = Vec::new();
    put_zones(&mut acts, zones);
    resubmit(&mut acts, OFTABLE_CHECK_LOOPBACK);
    out.add(
        OFTABLE_LOCAL_OUTPUT,
        100,
        pb.uuid,
        match_outport(dp_key, port_key),
        acts,
    );

    let mut m = Match::new();
    exact(&mut m, LOG_DATAPATH, u64::from(dp_key));
    match_flags(&mut m, 0, MLF_ALLOW_LOOPBACK);
    exact(&mut m, LOG_INPORT, port_key);
    exact(&mut m, LOG_OUTPORT, port_key);
    out.add(OFTABLE_CHECK_LOOPBACK, 100, pb.uuid, m, Vec::new());

    let mut m = match_outport(dp_key, port_key);
    if parent.is_none() {
        match_flags(&mut m, MLF_ALLOW_LOOPBACK, MLF_ALLOW_LOOPBACK);
    }
    out.add(OFTABLE_SAVE_INPORT, 100, pb.uuid, m, hairpin_actions());

    if let Some(parent) = parent {
        // Traffic from a container to its parent hairpins too. Upstream gives this flow, shared
        // by all containers of the parent, to no row (cookie 0); here each container
        // contributes it, so it goes away with the last of them.
        let mut m = match_outport(dp_key, parent.tunnel_key);
        match_flags(&mut m, MLF_NESTED_CONTAINER, MLF_NESTED_CONTAINER);
        out.add_with(OFTABLE_SAVE_INPORT, 100, 0, pb.uuid, m, hairpin_actions());
    }
}

/// Table 65 for a patch (or local l3gateway) port: clone into the peer's ingress pipeline.
fn patch_flows(input: &PhysicalInput, out: &mut Flows, pb: &PortBinding, peer: &PortBinding) {
    let dp_key = pb.datapath;
    put_local_common_flows(out, dp_key, pb, None, &input.zone_ids(pb));

    let mut inner = vec![Ofpact::CtClear];
    load32(&mut inner, LOG_DNAT_ZONE, 0);
    load32(&mut inner, LOG_SNAT_ZONE, 0);
    load32(&mut inner, LOG_CT_ZONE, 0);
    load_ingress_metadata(&mut inner, peer, &input.zone_ids(peer));
    load32(&mut inner, LOG_FLAGS, 0);
    load32(&mut inner, LOG_OUTPORT, 0);
    for i in 0..N_LOG_REGS {
        load32(&mut inner, Field::reg(i), 0);
    }
    resubmit(&mut inner, OFTABLE_LOG_INGRESS_PIPELINE);
    out.add(
        OFTABLE_LOG_TO_PHY,
        100,
        pb.uuid,
        match_outport(dp_key, pb.tunnel_key),
        vec![Ofpact::Clone(inner)],
    );
}

/// Table 40 on the active gateway of a chassisredirect port: continue as the distributed port.
fn chassisredirect_flows(input: &PhysicalInput, out: &mut Flows, pb: &PortBinding) {
    let mut acts = Vec::new();
    let distributed = pb
        .options
        .get("distributed-port")
        .map_or("", String::as_str);
    // A missing or foreign distributed port leaves the flow without actions: packets drop.
    if let Some(d) = input.pb(distributed).filter(|d| d.datapath == pb.datapath) {
        load32(&mut acts, LOG_OUTPORT, d.tunnel_key);
        put_zones(&mut acts, &input.zone_ids(d));
        resubmit(&mut acts, OFTABLE_CHECK_LOOPBACK);
    }
    out.add(
        OFTABLE_LOCAL_OUTPUT,
        100,
        pb.uuid,
        match_outport(pb.datapath, pb.tunnel_key),
        acts,
    );
}

/// `put_replace_chassis_mac_flows`: frames from the physical network that a remote chassis
/// routed carry its chassis MAC; swap in the router port's MAC (table 0, conjunctive p180).
fn replace_chassis_mac_flows(
    input: &PhysicalInput,
    out: &mut Flows,
    ld: &LocalDatapath,
    localnet: &PortBinding,
    ofport: u16,
) {
    let tag = localnet.tag.unwrap_or(0);
    let zones = input.zone_ids(localnet);
    for peer in &ld.peer_ports {
        let Some(rport) = input.pb(&peer.remote) else {
            continue;
        };
        // Upstream asserts exactly one MAC and gives up on the first unparsable one.
        if rport.mac.len() != 1 {
            continue;
        }
        let Some(router_mac) = rport.mac.first().and_then(|m| parse_leading_mac(m)) else {
            return;
        };
        let mut m = Match::new();
        exact(&mut m, Field::IN_PORT, ofport);
        exact(&mut m, Field::CONJ_ID, CHASSIS_MAC_TO_ROUTER_MAC_CONJID);
        if tag != 0 {
            match_vlan(&mut m, tag);
        } else {
            match_no_vlan(&mut m);
        }
        let mut acts = Vec::new();
        if tag != 0 {
            acts.push(Ofpact::PopVlan);
        }
        load_ingress_metadata(&mut acts, localnet, &zones);
        acts.push(Ofpact::set(Field::ETH_SRC, mac_value(router_mac)));
        resubmit(&mut acts, OFTABLE_LOG_INGRESS_PIPELINE);
        // Upstream owns these by no row; the localnet port owns them here so that they follow
        // it on incremental updates.
        let cookie = super::flow::cookie_of(rport.uuid);
        out.add_with(OFTABLE_PHY_TO_LOG, 180, cookie, localnet.uuid, m, acts);

        let mut m = Match::new();
        if tag != 0 {
            match_vlan(&mut m, tag);
        } else {
            match_no_vlan(&mut m);
        }
        let conj = Ofpact::Conjunction {
            id: CHASSIS_MAC_TO_ROUTER_MAC_CONJID,
            clause: 1,
            n_clauses: 2,
        };
        out.add_with(
            OFTABLE_PHY_TO_LOG,
            180,
            cookie,
            localnet.uuid,
            m,
            vec![conj],
        );
    }
}

/// `lport_is_chassis_resident`.
fn is_chassis_resident(input: &PhysicalInput, name: &str) -> bool {
    let Some(pb) = input.pb(name) else {
        return false;
    };
    if pb.chassis.is_none() {
        return false;
    }
    if pb.ty == PortType::ChassisRedirect {
        ha_chassis_group_is_active(pb, &input.active_tunnels, &input.chassis.name)
    } else {
        input.on_this_chassis(pb)
    }
}

/// `put_replace_router_port_mac_flows`: towards the physical network, routed frames leave with
/// this chassis' MAC instead of the distributed router port's (table 65 p150).
fn replace_router_port_mac_flows(
    input: &PhysicalInput,
    out: &mut Flows,
    ld: &LocalDatapath,
    localnet: &PortBinding,
    ofport: u16,
) {
    let tag = localnet.tag.unwrap_or(0);
    let Some(network) = localnet.options.get("network_name") else {
        return;
    };
    let Some(chassis_mac) = input.local_chassis_macs.get(network) else {
        return;
    };
    for peer in &ld.peer_ports {
        let Some(rport) = input.pb(&peer.remote) else {
            continue;
        };
        if is_chassis_resident(input, &format!("cr-{}", rport.logical_port)) {
            continue;
        }
        if rport.mac.len() != 1 {
            continue;
        }
        let Some(router_mac) = rport.mac.first().and_then(|m| parse_leading_mac(m)) else {
            return;
        };
        let mut m = match_outport(localnet.datapath, localnet.tunnel_key);
        exact(&mut m, Field::ETH_SRC, router_mac);
        let mut acts = vec![Ofpact::set(Field::ETH_SRC, mac_value(*chassis_mac))];
        if tag != 0 {
            push_vlan(&mut acts, Some(localnet), tag);
        }
        acts.push(Ofpact::Output(ofport));
        acts.push(Ofpact::set(Field::ETH_SRC, mac_value(router_mac)));
        if tag != 0 {
            acts.push(Ofpact::PopVlan);
        }
        out.add(OFTABLE_LOG_TO_PHY, 150, localnet.uuid, m, acts);
    }
}

/// Table 41 for a localnet port: no localport or LOCAL_ONLY traffic to the physical network,
/// except to the MACs of external ports bound here.
fn localnet_loopback_flows(
    input: &PhysicalInput,
    out: &mut Flows,
    ld: &LocalDatapath,
    pb: &PortBinding,
) {
    let (dp_key, port_key) = (pb.datapath, pb.tunnel_key);
    for flag in [MLF_LOCALPORT, MLF_LOCAL_ONLY] {
        let mut m = match_outport(dp_key, port_key);
        match_flags(&mut m, flag, flag);
        out.add(OFTABLE_CHECK_LOOPBACK, 160, pb.uuid, m, Vec::new());
    }
    for ext in &ld.external_ports {
        let Some(ext) = input.pb(ext) else { continue };
        if !input.on_this_chassis(ext) {
            continue;
        }
        let mut acts = Vec::new();
        for i in 0..N_LOG_REGS {
            load32(&mut acts, Field::reg(i), 0);
        }
        resubmit(&mut acts, OFTABLE_LOG_EGRESS_PIPELINE);
        for mac in ext.mac.iter().filter_map(|m| parse_leading_mac(m)) {
            let mut m = match_outport(dp_key, port_key);
            match_flags(&mut m, MLF_LOCALPORT, MLF_LOCALPORT);
            exact(&mut m, Field::ETH_DST, mac);
            out.add(OFTABLE_CHECK_LOOPBACK, 170, pb.uuid, m, acts.clone());
        }
    }
}

/// A port on an interface (or patch port) of this chassis.
#[allow(clippy::too_many_arguments)]
fn local_port_flows(
    input: &PhysicalInput,
    out: &mut Flows,
    ld: &LocalDatapath,
    pb: &PortBinding,
    parent: Option<&PortBinding>,
    ofport: u16,
    tag: u16,
    nested_container: bool,
) {
    let (dp_key, port_key) = (pb.datapath, pb.tunnel_key);
    let is_localnet = pb.ty == PortType::Localnet;
    let bridged = is_localnet || pb.ty == PortType::L2Gateway;
    let zones = input.zone_ids(pb);
    put_local_common_flows(out, dp_key, pb, parent, &zones);

    // Table 0: tagged traffic (containers, VLAN networks) at 150, untagged at 100.
    let mut m = Match::new();
    exact(&mut m, Field::IN_PORT, ofport);
    let mut acts = Vec::new();
    if tag != 0 || bridged {
        if nested_container {
            set_flag(&mut acts, MLF_NESTED_CONTAINER_BIT);
        }
        if !opt_true(pb, "vlan-passthru") || tag != 0 {
            match_vlan(&mut m, tag);
            acts.push(Ofpact::PopVlan);
        }
    }
    let vlan_prefix = acts.len();
    load_ingress_metadata(&mut acts, pb, &zones);
    if pb.ty == PortType::Localport {
        set_flag(&mut acts, MLF_LOCALPORT_BIT);
    }
    resubmit(&mut acts, OFTABLE_LOG_INGRESS_PIPELINE);
    let untagged = acts.get(vlan_prefix..).map(<[Ofpact]>::to_vec);
    out.add(
        OFTABLE_PHY_TO_LOG,
        if tag != 0 { 150 } else { 100 },
        pb.uuid,
        m.clone(),
        acts,
    );
    if tag == 0 && bridged {
        // The same for frames without any 802.1Q header (the flow above takes priority
        // tagged VID 0 ones).
        match_no_vlan(&mut m);
        out.add(
            OFTABLE_PHY_TO_LOG,
            100,
            pb.uuid,
            m,
            untagged.unwrap_or_default(),
        );
    }
    if is_localnet {
        replace_chassis_mac_flows(input, out, ld, pb, ofport);
    }

    // Table 65: deliver.
    let localnet_port = ld.localnet_port.as_deref().and_then(|l| input.pb(l));
    let mut acts = Vec::new();
    if tag != 0 {
        push_vlan(&mut acts, localnet_port, tag);
    }
    acts.push(Ofpact::Output(ofport));
    if tag != 0 {
        // Undo the tag so that a flood continuing to other ports does not carry it.
        acts.push(Ofpact::PopVlan);
    }
    out.add(
        OFTABLE_LOG_TO_PHY,
        100,
        pb.uuid,
        match_outport(dp_key, port_key),
        acts,
    );

    if is_localnet {
        replace_router_port_mac_flows(input, out, ld, pb, ofport);
        localnet_loopback_flows(input, out, ld, pb);
    }

    if pb.ty == PortType::Localport {
        // Traffic from a localport never leaves the chassis.
        let mut m = Match::new();
        exact(&mut m, LOG_INPORT, pb.tunnel_key);
        exact(&mut m, LOG_DATAPATH, u64::from(pb.datapath));
        out.add(
            OFTABLE_REMOTE_OUTPUT,
            150,
            pb.uuid,
            m,
            vec![Ofpact::Resubmit(OFTABLE_LOCAL_OUTPUT)],
        );
    }
}

/// `get_remote_tunnels`: the tunnels to the port's main chassis and additional chassis.
fn remote_tunnels<'a>(
    input: &'a PhysicalInput,
    pb: &PortBinding,
) -> Vec<&'a tunnel::ChassisTunnel> {
    let me = input.chassis.name.as_str();
    let mut out = Vec::new();
    if let Some(ch) = pb.chassis.as_deref().filter(|c| *c != me)
        && let Some(t) = input.tunnels.for_binding(ch, pb.encap_ip.as_deref())
    {
        out.push(t);
    }
    for ch in pb.additional_chassis.iter().filter(|c| *c != me) {
        // Upstream looks the additional encap up by the local chassis' name, not the
        // additional chassis'; kept for identical flows.
        let ip = pb.additional_encap.get(me).map(String::as_str);
        if let Some(t) = input.tunnels.for_binding(ch, ip) {
            out.push(t);
        }
    }
    out
}

/// Encapsulate and output to each tunnel (`put_remote_port_redirect_overlay`'s loop).
fn encap_to(
    input: &PhysicalInput,
    acts: &mut Vec<Ofpact>,
    tuns: &[&tunnel::ChassisTunnel],
    pb: &PortBinding,
) {
    let is_vtep = pb.ty == PortType::Vtep;
    if is_vtep {
        // Lets an ARP/ND responder answer back out of the port the request came from.
        acts.push(Ofpact::load(Field::IN_PORT, 0, 16, u64::from(OFPP_NONE)));
    }
    for t in tuns {
        put_encapsulation(
            acts,
            input.geneve_field,
            t,
            pb.datapath,
            pb.tunnel_key as u16,
            is_vtep,
        );
        acts.push(Ofpact::Output(t.ofport));
    }
}

/// `put_remote_port_redirect_overlay`.
fn remote_overlay_flows(input: &PhysicalInput, out: &mut Flows, pb: &PortBinding) {
    let tuns = remote_tunnels(input, pb);
    if tuns.is_empty() {
        return;
    }
    let mut acts = Vec::new();
    encap_to(input, &mut acts, &tuns, pb);
    resubmit(&mut acts, OFTABLE_LOCAL_OUTPUT);
    out.add(
        OFTABLE_REMOTE_OUTPUT,
        100,
        pb.uuid,
        match_outport(pb.datapath, pb.tunnel_key),
        acts,
    );
}

/// `put_remote_port_redirect_overlay_ha_remote`: one encapsulation, output through an
/// active/backup bundle of the HA members' tunnels in priority order.
fn ha_remote_flows(input: &PhysicalInput, out: &mut Flows, pb: &PortBinding, ha: &[(String, i64)]) {
    let mut first: Option<&tunnel::ChassisTunnel> = None;
    for (ch, _) in ha {
        match (first, input.tunnels.find(ch, None)) {
            (None, t) => first = t,
            (Some(f), Some(t)) if t.encap_type != f.encap_type => {
                tracing::error!(
                    port = %pb.logical_port,
                    "HA chassis with mixed encapsulations, only uniform ones are supported"
                );
                return;
            }
            _ => {}
        }
    }
    let Some(tun) = first else {
        tracing::error!(port = %pb.logical_port, "no tunnel to any HA chassis");
        return;
    };
    let mut acts = Vec::new();
    put_encapsulation(
        &mut acts,
        input.geneve_field,
        tun,
        pb.datapath,
        pb.tunnel_key as u16,
        pb.ty == PortType::Vtep,
    );
    // BUNDLE_MAX_MEMBERS.
    let members: Vec<u16> = ha
        .iter()
        .filter_map(|(ch, _)| input.tunnels.find(ch, None).map(|t| t.ofport))
        .take(2048)
        .collect();
    acts.push(Ofpact::BundleActiveBackup(members));
    out.add(
        OFTABLE_REMOTE_OUTPUT,
        100,
        pb.uuid,
        match_outport(pb.datapath, pb.tunnel_key),
        acts,
    );
}

/// `put_remote_port_redirect_bridged`: a `redirect-type=bridged` gateway port is reached
/// through the physical network of the switch its distributed port attaches to.
fn remote_bridged_flows(
    input: &PhysicalInput,
    out: &mut Flows,
    ld: &LocalDatapath,
    pb: &PortBinding,
) {
    if pb.ty != PortType::ChassisRedirect {
        return;
    }
    let Some(mac) = first_binding_mac(pb) else {
        return;
    };
    let distributed = pb.options.get("distributed-port");
    let ls_dp_key = ld
        .peer_ports
        .iter()
        .filter_map(|p| input.pb(&p.remote))
        .find(|s| s.options.contains_key("peer") && s.options.get("peer") == distributed)
        .map_or(0, |s| s.datapath);
    if ls_dp_key == 0 {
        return;
    }
    let Some(ln) = input
        .ld(ls_dp_key)
        .and_then(|l| l.localnet_port.as_deref())
        .and_then(|l| input.pb(l))
    else {
        return;
    };
    let acts = vec![
        Ofpact::set(Field::ETH_SRC, mac_value(mac)),
        Ofpact::set(LOG_DATAPATH, u128::from(ls_dp_key)),
        Ofpact::set(LOG_OUTPORT, u128::from(ln.tunnel_key)),
        Ofpact::Resubmit(OFTABLE_LOG_TO_PHY),
    ];
    out.add(
        OFTABLE_LOCAL_OUTPUT,
        100,
        pb.uuid,
        match_outport(pb.datapath, pb.tunnel_key),
        acts,
    );
}

/// `enforce_tunneling_for_multichassis_ports` (table 39 p110). The path-MTU flows of tables 37
/// and 38 need interface MTUs and are not produced.
fn multichassis_flows(
    input: &PhysicalInput,
    out: &mut Flows,
    ld: &LocalDatapath,
    pb: &PortBinding,
) {
    if ld.multichassis_ports.is_empty() {
        return;
    }
    let tuns = remote_tunnels(input, pb);
    if tuns.is_empty() {
        return;
    }
    for mcp in ld.multichassis_ports.iter().filter_map(|n| input.pb(n)) {
        let mut m = match_outport(pb.datapath, pb.tunnel_key);
        exact(&mut m, LOG_INPORT, mcp.tunnel_key);
        let mut acts = Vec::new();
        encap_to(input, &mut acts, &tuns, pb);
        out.add(OFTABLE_REMOTE_OUTPUT, 110, pb.uuid, m, acts);
    }
}

/// Appends the flows of `pb` to `out` (`consider_port_binding`).
pub fn consider_port_binding(input: &PhysicalInput, pb: &PortBinding, out: &mut Flows) {
    let dp_key = pb.datapath;
    let Some(ld) = input.ld(dp_key) else {
        return;
    };

    if pb.ty == PortType::Patch || (pb.ty == PortType::L3Gateway && input.on_this_chassis(pb)) {
        if let Some(peer) = input.binding_peer(pb) {
            patch_flows(input, out, pb, peer);
        }
        return;
    }
    if pb.ty == PortType::ChassisRedirect
        && (input.on_this_chassis(pb)
            || ha_chassis_group_is_active(pb, &input.active_tunnels, &input.chassis.name))
    {
        chassisredirect_flows(input, out, pb);
        return;
    }

    let mut tag = 0u16;
    let mut nested_container = false;
    let mut parent = None;
    let mut ofport = if let Some(parent_name) = pb.parent_port.as_deref().filter(|p| !p.is_empty())
    {
        let Some(t) = pb.tag else {
            return;
        };
        let ofport = input.lport_ofport(parent_name);
        if ofport.is_some() {
            tag = t;
            nested_container = true;
            parent = input.pb(parent_name);
        }
        ofport
    } else if matches!(pb.ty, PortType::Localnet | PortType::L2Gateway) {
        let ofport = input.patch_ofports.get(&pb.logical_port).copied();
        if ofport.is_some() {
            tag = pb.tag.unwrap_or(0);
        }
        ofport
    } else {
        // An interface for a port requested elsewhere does not count.
        input
            .lport_ofport(&pb.logical_port)
            .filter(|_| can_bind_here(input, pb))
    };
    ofport = ofport.filter(|p| *p != 0);

    let localnet_port = ld.localnet_port.as_deref().and_then(|l| input.pb(l));
    let ha = ha_chassis_get_ordered(pb);

    let access = match ofport {
        Some(_) => Access::Local,
        None => {
            // Multichassis ports are tunnelled so that the physical switch does not have to
            // flood to both chassis.
            if let Some(ln) = localnet_port.filter(|_| pb.additional_chassis.is_empty()) {
                ofport = input.patch_ofports.get(&ln.logical_port).copied();
                if ofport.is_none() {
                    return;
                }
                Access::Localnet
            } else if ha.as_ref().is_none_or(|h| h.len() < 2) {
                Access::Remote
            } else {
                Access::HaRemote
            }
        }
    };

    match access {
        Access::Local => {
            let ofport = ofport.unwrap_or_default();
            local_port_flows(input, out, ld, pb, parent, ofport, tag, nested_container);
        }
        Access::Localnet => {
            // A remote port reached through the physical network: output to the localnet port.
            let ln_key = localnet_port.map_or(0, |l| l.tunnel_key);
            let mut acts = Vec::new();
            load32(&mut acts, LOG_OUTPORT, ln_key);
            resubmit(&mut acts, OFTABLE_LOCAL_OUTPUT);
            out.add(
                OFTABLE_LOCAL_OUTPUT,
                100,
                pb.uuid,
                match_outport(dp_key, pb.tunnel_key),
                acts,
            );
            multichassis_flows(input, out, ld, pb);
        }
        Access::Remote | Access::HaRemote => {
            let bridged = pb
                .options
                .get("redirect-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("bridged"));
            if bridged {
                remote_bridged_flows(input, out, ld, pb);
            } else if access == Access::HaRemote {
                ha_remote_flows(input, out, pb, ha.as_deref().unwrap_or_default());
            } else {
                remote_overlay_flows(input, out, pb);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical::input::{ChassisIdentity, LocalOfport};
    use std::collections::BTreeMap;

    fn input_with(pbs: Vec<PortBinding>) -> PhysicalInput {
        let mut input = PhysicalInput {
            chassis: ChassisIdentity {
                name: "hv1".into(),
                hostname: "host1".into(),
            },
            port_bindings: pbs
                .into_iter()
                .map(|p| (p.logical_port.clone(), p))
                .collect::<BTreeMap<_, _>>(),
            ..PhysicalInput::default()
        };
        input.local_datapaths.insert(
            1,
            LocalDatapath {
                key: 1,
                uuid: "dp1".into(),
                ..LocalDatapath::default()
            },
        );
        input
    }

    fn texts(f: &Flows) -> Vec<String> {
        let mut v: Vec<String> = f.flows.iter().map(ToString::to_string).collect();
        v.sort();
        v
    }

    #[test]
    fn local_vif_gets_its_five_flows() {
        let pb = PortBinding {
            logical_port: "vm1".into(),
            datapath: 1,
            tunnel_key: 2,
            uuid: 0x96f9ce17_0000_4000_8000_000000000000,
            ..PortBinding::default()
        };
        let mut input = input_with(vec![pb.clone()]);
        input.local_ofports.insert(
            "vm1".into(),
            LocalOfport {
                ofport: 3,
                primary: true,
            },
        );
        let mut out = Flows::default();
        consider_port_binding(&input, &pb, &mut out);
        assert_eq!(
            texts(&out),
            vec![
                "cookie=0x96f9ce17, priority=100,in_port=3 actions=set_field:0x1->metadata,set_field:0x2->reg14,resubmit(,8)",
                "cookie=0x96f9ce17, table=40, priority=100,reg15=0x2,metadata=0x1 actions=resubmit(,41)",
                "cookie=0x96f9ce17, table=41, priority=100,reg10=0/0x1,reg14=0x2,reg15=0x2,metadata=0x1 actions=drop",
                "cookie=0x96f9ce17, table=64, priority=100,reg10=0x1/0x1,reg15=0x2,metadata=0x1 actions=push:NXM_OF_IN_PORT[],set_field:ANY->in_port,resubmit(,65),pop:NXM_OF_IN_PORT[]",
                "cookie=0x96f9ce17, table=65, priority=100,reg15=0x2,metadata=0x1 actions=output:3",
            ]
        );
        // Requested elsewhere: the interface is ignored and, without a tunnel, nothing is made.
        let mut pb2 = pb.clone();
        pb2.options.insert("requested-chassis".into(), "hv9".into());
        let mut out = Flows::default();
        consider_port_binding(&input, &pb2, &mut out);
        assert!(out.flows.is_empty());
        // Non-local datapath: nothing.
        let mut pb3 = pb;
        pb3.datapath = 7;
        consider_port_binding(&input, &pb3, &mut out);
        assert!(out.flows.is_empty());
    }

    #[test]
    fn container_without_tag_is_ignored() {
        let pb = PortBinding {
            logical_port: "c1".into(),
            ty: PortType::Container,
            parent_port: Some("vm1".into()),
            datapath: 1,
            tunnel_key: 4,
            ..PortBinding::default()
        };
        let mut input = input_with(vec![pb.clone()]);
        input.local_ofports.insert(
            "vm1".into(),
            LocalOfport {
                ofport: 3,
                primary: true,
            },
        );
        let mut out = Flows::default();
        consider_port_binding(&input, &pb, &mut out);
        assert!(out.flows.is_empty());
    }
}
