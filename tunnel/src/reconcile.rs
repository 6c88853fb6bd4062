//! Desired tunnels vs observed OVS ports → operations (the OVS half of encaps.c `encaps_run`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::chassis::{LocalChassis, RemoteChassis};
use crate::desired::{DesiredTunnel, SkipReason, Skipped, desired_tunnels};
use crate::observed::{ObservedBridge, ObservedPort};
use crate::op::TunnelOp;
use crate::port_name::{allocate_from, name_base};
use crate::tunnel_id::OVN_CHASSIS_ID;

/// What to change in OVS, and which chassis got no tunnel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Deletes, then updates, then creates; one transaction (see [`TunnelOp`]).
    pub ops: Vec<TunnelOp>,
    pub skipped: Vec<Skipped>,
}

/// Computes the operations that bring `observed` to the tunnels `local` should have towards
/// `remotes`. Pure and deterministic (independent of the order of `remotes` and of the ports);
/// applying the result and reconciling again yields no operations.
///
/// Ports are ours when they carry `external_ids:ovn-chassis-id`; others are never touched. An
/// existing port with the right id is kept when it has exactly one interface of the right type
/// and exactly the right options (like upstream); with one interface it is updated in place,
/// otherwise replaced under the same name. Any other port of ours is deleted: stale ids, and all
/// but one of several ports with the same id (preferring one that is already correct).
pub fn reconcile(
    local: &LocalChassis,
    remotes: &[RemoteChassis],
    observed: &ObservedBridge,
) -> Reconciliation {
    let (desired, skipped) = desired_tunnels(local, remotes);
    let mut r = plan(&local.chassis_idx, &desired, observed);
    r.skipped.splice(0..0, skipped);
    r
}

/// The OVS half alone, for callers that computed [`desired_tunnels`] themselves (ids must be
/// unique, as [`desired_tunnels`] guarantees).
pub fn plan(
    chassis_idx: &str,
    desired: &[DesiredTunnel],
    observed: &ObservedBridge,
) -> Reconciliation {
    let want: BTreeMap<String, &DesiredTunnel> =
        desired.iter().map(|d| (d.id.to_string(), d)).collect();

    let mut used: BTreeSet<&str> = observed
        .names_elsewhere
        .iter()
        .map(String::as_str)
        .collect();
    let mut groups: BTreeMap<&str, Vec<&ObservedPort>> = BTreeMap::new();
    for port in &observed.ports {
        used.insert(&port.name);
        used.extend(port.interfaces.iter().map(|i| i.name.as_str()));
        if let Some(id) = port.chassis_id() {
            groups.entry(id).or_default().push(port);
        }
    }

    let mut deletes: Vec<&ObservedPort> = Vec::new();
    let mut keepers: BTreeMap<&str, &ObservedPort> = BTreeMap::new();
    for (id, mut ports) in groups {
        match want.get(id) {
            Some(d) => {
                ports.sort_by(|a, b| keeper_order(d, a, b));
                let mut it = ports.into_iter();
                if let Some(keep) = it.next() {
                    keepers.insert(id, keep);
                }
                deletes.extend(it);
            }
            None => deletes.extend(ports),
        }
    }

    let mut updates = Vec::new();
    let mut creates = Vec::new();
    let mut skipped = Vec::new();
    let mut new_names: BTreeSet<String> = BTreeSet::new();
    // Next candidate number per name base: names only get taken during a plan.
    let mut cursors: BTreeMap<String, u32> = BTreeMap::new();
    for d in desired {
        let id = d.id.to_string();
        match keepers.get(id.as_str()) {
            Some(p) if is_correct(d, p) => {}
            Some(p) => match p.interfaces.as_slice() {
                [iface] => updates.push(TunnelOp::UpdatePort {
                    port_uuid: p.uuid.clone(),
                    iface_uuid: iface.uuid.clone(),
                    name: p.name.clone(),
                    iface_type: d.encap_type.as_str().to_owned(),
                    options: d.options.clone(),
                }),
                _ => {
                    deletes.push(p);
                    creates.push(create_op(&observed.name, p.name.clone(), d, id));
                }
            },
            None => {
                let base = name_base(chassis_idx, &d.id.chassis);
                let start = cursors.get(&base).copied().unwrap_or(0);
                let found =
                    allocate_from(&base, start, |n| used.contains(n) || new_names.contains(n));
                match found {
                    Some((name, n)) => {
                        cursors.insert(base, n + 1);
                        new_names.insert(name.clone());
                        creates.push(create_op(&observed.name, name, d, id));
                    }
                    None => skipped.push(Skipped {
                        chassis: d.id.chassis.clone(),
                        reason: SkipReason::NoFreeName,
                    }),
                }
            }
        }
    }

    deletes.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.uuid.cmp(&b.uuid)));
    let mut ops: Vec<TunnelOp> = deletes
        .into_iter()
        .map(|p| TunnelOp::DeletePort {
            bridge: observed.name.clone(),
            port_uuid: p.uuid.clone(),
            name: p.name.clone(),
        })
        .collect();
    ops.extend(updates);
    ops.extend(creates);
    Reconciliation { ops, skipped }
}

/// Deletes every tunnel port of ours on `bridge` (encaps.c `encaps_cleanup`, on `exit`).
pub fn remove_all_tunnels(bridge: &ObservedBridge) -> Vec<TunnelOp> {
    clear_bridge(bridge, "")
}

/// Deletes tunnel ports of ours left on a bridge that is no longer the integration bridge
/// (encaps.c `clear_old_tunnels`). At startup upstream scans every other bridge but only removes
/// ports named `ovn<idx>-...`; when the integration bridge changes it clears the old one fully:
/// pass `Some(chassis_idx)` for the first case and `None` for the second.
pub fn clear_old_tunnels(bridge: &ObservedBridge, chassis_idx: Option<&str>) -> Vec<TunnelOp> {
    match chassis_idx {
        Some(idx) => clear_bridge(bridge, &format!("ovn{idx}-")),
        None => clear_bridge(bridge, ""),
    }
}

fn clear_bridge(bridge: &ObservedBridge, prefix: &str) -> Vec<TunnelOp> {
    let mut ports: Vec<&ObservedPort> = bridge
        .ports
        .iter()
        .filter(|p| p.external_ids.contains_key(OVN_CHASSIS_ID) && p.name.starts_with(prefix))
        .collect();
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    ports
        .into_iter()
        .map(|p| TunnelOp::DeletePort {
            bridge: bridge.name.clone(),
            port_uuid: p.uuid.clone(),
            name: p.name.clone(),
        })
        .collect()
}

fn is_correct(d: &DesiredTunnel, p: &ObservedPort) -> bool {
    match p.interfaces.as_slice() {
        [iface] => iface.iface_type == d.encap_type.as_str() && iface.options == d.options,
        _ => false,
    }
}

/// Correct ports first, then by name (and uuid) so the choice never depends on row order.
fn keeper_order(d: &DesiredTunnel, a: &ObservedPort, b: &ObservedPort) -> Ordering {
    is_correct(d, b)
        .cmp(&is_correct(d, a))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.uuid.cmp(&b.uuid))
}

fn create_op(bridge: &str, name: String, d: &DesiredTunnel, id: String) -> TunnelOp {
    TunnelOp::CreatePort {
        bridge: bridge.to_owned(),
        name,
        iface_type: d.encap_type.as_str().to_owned(),
        options: d.options.clone(),
        port_external_ids: BTreeMap::from([(OVN_CHASSIS_ID.to_owned(), id)]),
    }
}
