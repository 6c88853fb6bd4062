//! Which Port_Bindings live on this chassis, and what to claim or release (binding.c).
//!
//! Pure: the glue turns replica rows into [`PortBinding`]s and OVS interfaces into
//! [`LocalIface`]s, and performs the returned [`BindingUpdate`] (Port_Binding chassis/encap/up
//! writes). The result also gives the local datapaths (where any port is resident, expanded
//! through patch ports: a router attached to a local switch is local too) and the local logical
//! ports that need a conntrack zone.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `Port_Binding.type`, as binding.c classifies it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum PortType {
    /// `""` without a parent: a VM/pod interface.
    #[default]
    Vif,
    /// `""` with `parent_port` (and usually `tag`): a container inside a VIF.
    Container,
    /// `patch`: the two ends of a logical link between datapaths; pure OpenFlow.
    Patch,
    /// `l3gateway`: a patch port pinned to one chassis.
    L3Gateway,
    /// `l2gateway`: bridged to a physical network on one chassis.
    L2Gateway,
    /// `localnet`: bridged to a physical network on every chassis that has the mapping.
    Localnet,
    /// `localport`: exists on every chassis with a matching interface, never claimed.
    Localport,
    /// `chassisredirect`: the distributed gateway port, bound to the active gateway chassis.
    ChassisRedirect,
    /// `external`: bound to the active chassis of its HA group, reached via localnet.
    External,
    /// `virtual`: bound where its parent (set by `bind_vport`) is.
    Virtual,
    /// `remote`: OVN-IC port in another zone; never bound here.
    Remote,
    /// `vtep`: hardware VTEP ramp switch port.
    Vtep,
    /// A type this agent does not know (logged, ignored).
    Unknown(String),
}

impl PortType {
    /// Classifies a Port_Binding by its `type` and `parent_port` columns.
    pub fn classify(ty: &str, parent_port: Option<&str>) -> Self {
        match ty {
            "" if parent_port.is_some_and(|p| !p.is_empty()) => Self::Container,
            "" => Self::Vif,
            "patch" => Self::Patch,
            "l3gateway" => Self::L3Gateway,
            "l2gateway" => Self::L2Gateway,
            "localnet" => Self::Localnet,
            "localport" => Self::Localport,
            "chassisredirect" => Self::ChassisRedirect,
            "external" => Self::External,
            "virtual" => Self::Virtual,
            "remote" => Self::Remote,
            "vtep" => Self::Vtep,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// A member of an HA chassis group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaChassis {
    /// Chassis name (`None` when the HA_Chassis row's chassis reference is empty).
    pub chassis: Option<String>,
    /// Priority: higher wins.
    pub priority: i64,
}

/// What binding needs of a Port_Binding row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortBinding {
    /// `logical_port`.
    pub logical_port: String,
    /// Classified `type`.
    pub ty: PortType,
    /// The datapath's tunnel key.
    pub datapath: u32,
    /// `tunnel_key`.
    pub tunnel_key: u32,
    /// `chassis`, by name.
    pub chassis: Option<String>,
    /// `requested_chassis`, by name.
    pub requested_chassis: Option<String>,
    /// `options` (`requested-chassis`, `l3gateway-chassis`, `l2gateway-chassis`, `peer`,
    /// `network_name`, …).
    pub options: BTreeMap<String, String>,
    /// `parent_port` (containers).
    pub parent_port: Option<String>,
    /// `virtual_parent` (virtual ports).
    pub virtual_parent: Option<String>,
    /// `ha_chassis_group` members.
    pub ha_chassis: Vec<HaChassis>,
    /// `up`.
    pub up: Option<bool>,
    /// The row UUID (physical flows take their cookie from its first 32 bits).
    pub uuid: u128,
    /// `tag`: the VLAN of a container (with `parent_port`) or of a localnet/l2gateway port.
    pub tag: Option<u16>,
    /// `mac` (each entry `"MAC [IP...]"`, or `"router"`, `"unknown"`).
    pub mac: Vec<String>,
    /// IP of the `encap` row: which of the main chassis' tunnels to use.
    pub encap_ip: Option<String>,
    /// `additional_chassis`, by name (multi-chassis ports during live migration).
    pub additional_chassis: Vec<String>,
    /// `additional_encap`: chassis name → encap IP.
    pub additional_encap: BTreeMap<String, String>,
    /// `requested_additional_chassis`, by name.
    pub requested_additional_chassis: Vec<String>,
    /// `ha_chassis_group.ref_chassis`, by name.
    pub ha_ref_chassis: Vec<String>,
}

/// A local OVS interface with an `external_ids:iface-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalIface {
    /// The OVS Interface name.
    pub name: String,
    /// `ofport` (None or ≤ 0 while ovs-vswitchd has not attached it).
    pub ofport: Option<i64>,
}

/// The chassis's identity as binding sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalChassis {
    /// Chassis name (system-id).
    pub name: String,
    /// Hostname (`requested-chassis` may name it).
    pub hostname: String,
    /// Networks of `ovn-bridge-mappings`.
    pub networks: BTreeSet<String>,
    /// Chassis we have a live tunnel to (BFD); `None` when BFD is not in use, in which case every
    /// HA member is assumed alive.
    pub active_tunnels: Option<BTreeSet<String>>,
}

/// Why a port is resident here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Residence {
    /// A VIF, container or virtual port on this OVS interface.
    Iface(LocalIface),
    /// A port without an interface that this chassis hosts (l3gateway, l2gateway,
    /// chassisredirect, external).
    Gateway,
    /// A localport with a local interface: resident but never claimed.
    Localport(LocalIface),
}

/// The outcome of a binding run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BindingUpdate {
    /// Ports resident on this chassis, by logical port.
    pub resident: BTreeMap<String, Residence>,
    /// Ports whose `chassis` must become this chassis.
    pub claim: Vec<String>,
    /// Ports whose `chassis` is this chassis but must be cleared.
    pub release: Vec<String>,
    /// Datapaths (tunnel keys) this chassis must program.
    pub local_datapaths: BTreeSet<u32>,
    /// Logical ports needing a conntrack zone (resident ports plus localnet ports of local
    /// datapaths).
    pub zone_users: BTreeSet<String>,
    /// Ports skipped with the reason (unknown types; requested elsewhere), for the log.
    pub skipped: Vec<(String, String)>,
}

/// Whether `pb` may be bound here (`lport_can_bind_on_this_chassis`, main binding only).
pub fn can_bind_here(pb: &PortBinding, me: &LocalChassis) -> bool {
    if pb.requested_chassis.as_deref() == Some(me.name.as_str()) {
        return true;
    }
    match pb.options.get("requested-chassis").map(String::as_str) {
        None | Some("") => pb.requested_chassis.is_none(),
        // A comma-separated list: the first one is the main chassis, the others additional.
        Some(list) => list
            .split(',')
            .next()
            .is_some_and(|c| c == me.name || c == me.hostname),
    }
}

/// Whether this chassis is the active member of an HA group (`ha_chassis_group_is_active`).
pub fn ha_is_active(members: &[HaChassis], me: &LocalChassis) -> bool {
    let present: Vec<&HaChassis> = members.iter().filter(|m| m.chassis.is_some()).collect();
    if present.is_empty() {
        return false;
    }
    if members.len() == 1 {
        return members[0].chassis.as_deref() == Some(me.name.as_str());
    }
    if present.len() == 1 {
        return present[0].chassis.as_deref() == Some(me.name.as_str());
    }
    let alive = |m: &&HaChassis| match (&me.active_tunnels, m.chassis.as_deref()) {
        (_, Some(c)) if c == me.name => true,
        (None, Some(_)) => true,
        (Some(up), Some(c)) => up.contains(c),
        (_, None) => false,
    };
    if me.active_tunnels.as_ref().is_some_and(BTreeSet::is_empty) {
        // No live tunnel at all: this chassis lost the others, and must not take over.
        return false;
    }
    present
        .iter()
        .copied()
        .filter(alive)
        .max_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| b.chassis.cmp(&a.chassis))
        })
        .is_some_and(|m| m.chassis.as_deref() == Some(me.name.as_str()))
}

/// Decides residence, claims and releases for all Port_Bindings.
pub fn run(
    me: &LocalChassis,
    ifaces: &HashMap<String, LocalIface>,
    pbs: &[PortBinding],
) -> BindingUpdate {
    let mut out = BindingUpdate::default();
    let mine = |pb: &PortBinding| pb.chassis.as_deref() == Some(me.name.as_str());
    let by_name: HashMap<&str, &PortBinding> = pbs
        .iter()
        .map(|pb| (pb.logical_port.as_str(), pb))
        .collect();

    for pb in pbs {
        let resident = match &pb.ty {
            PortType::Vif => match ifaces.get(&pb.logical_port) {
                Some(i) if can_bind_here(pb, me) => Some(Residence::Iface(i.clone())),
                Some(_) => {
                    out.skipped.push((
                        pb.logical_port.clone(),
                        "requested-chassis names another chassis".into(),
                    ));
                    None
                }
                None => None,
            },
            PortType::Container => pb
                .parent_port
                .as_deref()
                .and_then(|p| ifaces.get(p))
                .filter(|_| can_bind_here(pb, me))
                .map(|i| Residence::Iface(i.clone())),
            PortType::Virtual => pb
                .virtual_parent
                .as_deref()
                .filter(|p| {
                    by_name
                        .get(p)
                        .is_some_and(|parent| ifaces.contains_key(&parent.logical_port))
                })
                .and_then(|p| ifaces.get(p))
                .map(|i| Residence::Iface(i.clone())),
            PortType::Localport => ifaces
                .get(&pb.logical_port)
                .map(|i| Residence::Localport(i.clone())),
            PortType::L3Gateway => (pb.options.get("l3gateway-chassis") == Some(&me.name))
                .then_some(Residence::Gateway),
            PortType::L2Gateway => (pb.options.get("l2gateway-chassis") == Some(&me.name)
                && pb
                    .options
                    .get("network_name")
                    .is_some_and(|n| me.networks.contains(n)))
            .then_some(Residence::Gateway),
            PortType::ChassisRedirect | PortType::External => {
                let active = if pb.ha_chassis.is_empty() {
                    // Without an HA group, the gateway is whoever is named in the chassis column
                    // by northd's `options:redirect-chassis` era conventions.
                    pb.options
                        .get("redirect-chassis")
                        .is_some_and(|c| *c == me.name)
                } else {
                    ha_is_active(&pb.ha_chassis, me)
                };
                active.then_some(Residence::Gateway)
            }
            PortType::Patch | PortType::Localnet | PortType::Remote | PortType::Vtep => None,
            PortType::Unknown(t) => {
                out.skipped.push((
                    pb.logical_port.clone(),
                    format!("unknown port binding type {t:?}"),
                ));
                None
            }
        };

        match resident {
            Some(r) => {
                let claims = !matches!(r, Residence::Localport(_));
                if claims && !mine(pb) {
                    out.claim.push(pb.logical_port.clone());
                }
                if !claims && mine(pb) {
                    out.release.push(pb.logical_port.clone());
                }
                out.local_datapaths.insert(pb.datapath);
                out.zone_users.insert(pb.logical_port.clone());
                out.resident.insert(pb.logical_port.clone(), r);
            }
            None => {
                // Ports this chassis claimed earlier and no longer hosts are released; l3gateway
                // and patch-like ports nobody claims are left alone.
                let claimable = matches!(
                    pb.ty,
                    PortType::Vif
                        | PortType::Container
                        | PortType::Virtual
                        | PortType::L3Gateway
                        | PortType::L2Gateway
                        | PortType::ChassisRedirect
                        | PortType::External
                        | PortType::Localport
                );
                if claimable && mine(pb) {
                    out.release.push(pb.logical_port.clone());
                }
            }
        }
    }

    expand_through_patches(pbs, &mut out.local_datapaths);

    for pb in pbs {
        if pb.ty == PortType::Localnet && out.local_datapaths.contains(&pb.datapath) {
            out.zone_users.insert(pb.logical_port.clone());
        }
    }
    out
}

/// Adds every datapath reachable from a local one through patch (and l3gateway-on-this-side)
/// ports: a packet entering a local switch may traverse the router and the switches beyond it
/// entirely on this chassis.
fn expand_through_patches(pbs: &[PortBinding], local: &mut BTreeSet<u32>) {
    let by_name: HashMap<&str, &PortBinding> = pbs
        .iter()
        .map(|pb| (pb.logical_port.as_str(), pb))
        .collect();
    let mut links: HashMap<u32, Vec<u32>> = HashMap::new();
    for pb in pbs.iter().filter(|pb| pb.ty == PortType::Patch) {
        if let Some(peer) = pb.options.get("peer").and_then(|p| by_name.get(p.as_str())) {
            links.entry(pb.datapath).or_default().push(peer.datapath);
        }
    }
    let mut stack: Vec<u32> = local.iter().copied().collect();
    while let Some(dp) = stack.pop() {
        for &next in links.get(&dp).into_iter().flatten() {
            if local.insert(next) {
                stack.push(next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> LocalChassis {
        LocalChassis {
            name: "hv1".into(),
            hostname: "host1".into(),
            networks: ["phys".to_owned()].into_iter().collect(),
            active_tunnels: None,
        }
    }

    fn pb(name: &str, ty: &str, dp: u32) -> PortBinding {
        PortBinding {
            logical_port: name.into(),
            ty: PortType::classify(ty, None),
            datapath: dp,
            tunnel_key: 1,
            chassis: None,
            requested_chassis: None,
            options: BTreeMap::new(),
            parent_port: None,
            virtual_parent: None,
            ha_chassis: Vec::new(),
            up: None,
            ..PortBinding::default()
        }
    }

    fn with_opt(mut p: PortBinding, k: &str, v: &str) -> PortBinding {
        p.options.insert(k.into(), v.into());
        p
    }

    fn ifaces(names: &[&str]) -> HashMap<String, LocalIface> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    (*n).to_owned(),
                    LocalIface {
                        name: format!("v-{n}"),
                        ofport: Some(i as i64 + 1),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn vifs_with_a_local_interface_are_claimed_and_make_their_datapath_local() {
        let pbs = vec![pb("p1", "", 1), pb("p2", "", 1), pb("p3", "", 2)];
        let out = run(&me(), &ifaces(&["p1"]), &pbs);
        assert_eq!(out.claim, vec!["p1".to_owned()]);
        assert_eq!(out.local_datapaths, [1].into_iter().collect());
        assert!(out.zone_users.contains("p1"));
    }

    #[test]
    fn requested_chassis_elsewhere_prevents_binding_and_releases() {
        let mut p = with_opt(pb("p1", "", 1), "requested-chassis", "hv2");
        p.chassis = Some("hv1".into());
        let out = run(&me(), &ifaces(&["p1"]), &[p]);
        assert!(out.claim.is_empty());
        assert_eq!(out.release, vec!["p1".to_owned()]);
        assert_eq!(out.skipped.len(), 1);
        // The hostname counts too.
        let p = with_opt(pb("p1", "", 1), "requested-chassis", "host1");
        assert_eq!(
            run(&me(), &ifaces(&["p1"]), &[p]).claim,
            vec!["p1".to_owned()]
        );
    }

    #[test]
    fn already_claimed_ports_are_not_claimed_again_and_departed_ones_released() {
        let mut p1 = pb("p1", "", 1);
        p1.chassis = Some("hv1".into());
        let mut p2 = pb("p2", "", 1);
        p2.chassis = Some("hv1".into());
        let out = run(&me(), &ifaces(&["p1"]), &[p1, p2]);
        assert!(out.claim.is_empty());
        assert_eq!(out.release, vec!["p2".to_owned()]);
    }

    #[test]
    fn patch_ports_expand_local_datapaths_transitively() {
        let pbs = vec![
            pb("p1", "", 1),
            with_opt(pb("ls1-lr", "patch", 1), "peer", "lr-ls1"),
            with_opt(pb("lr-ls1", "patch", 10), "peer", "ls1-lr"),
            with_opt(pb("lr-ls2", "patch", 10), "peer", "ls2-lr"),
            with_opt(pb("ls2-lr", "patch", 2), "peer", "lr-ls2"),
            pb("p9", "", 9),
            pb("ln2", "localnet", 2),
        ];
        let out = run(&me(), &ifaces(&["p1"]), &pbs);
        assert_eq!(out.local_datapaths, [1, 2, 10].into_iter().collect());
        assert!(out.zone_users.contains("ln2"));
        assert!(out.claim == vec!["p1".to_owned()]);
    }

    #[test]
    fn gateways_and_localports() {
        let pbs = vec![
            with_opt(pb("gw", "l3gateway", 5), "l3gateway-chassis", "hv1"),
            with_opt(pb("gw2", "l3gateway", 6), "l3gateway-chassis", "hv2"),
            pb("lp", "localport", 1),
            with_opt(
                with_opt(pb("l2", "l2gateway", 7), "l2gateway-chassis", "hv1"),
                "network_name",
                "phys",
            ),
        ];
        let out = run(&me(), &ifaces(&["lp"]), &pbs);
        assert_eq!(out.claim, vec!["gw".to_owned(), "l2".to_owned()]);
        assert!(matches!(
            out.resident.get("lp"),
            Some(Residence::Localport(_))
        ));
        assert_eq!(out.local_datapaths, [1, 5, 7].into_iter().collect());
    }

    #[test]
    fn chassisredirect_follows_the_highest_priority_live_member() {
        let members = |a: i64, b: i64| {
            vec![
                HaChassis {
                    chassis: Some("hv1".into()),
                    priority: a,
                },
                HaChassis {
                    chassis: Some("hv2".into()),
                    priority: b,
                },
            ]
        };
        let mut cr = pb("cr-lrp", "chassisredirect", 10);
        cr.ha_chassis = members(20, 10);
        assert_eq!(
            run(&me(), &HashMap::new(), std::slice::from_ref(&cr)).claim,
            vec!["cr-lrp".to_owned()]
        );
        cr.ha_chassis = members(10, 20);
        assert!(
            run(&me(), &HashMap::new(), std::slice::from_ref(&cr))
                .claim
                .is_empty()
        );
        // hv2 is preferred but its tunnel is down (BFD): hv1 takes over.
        let mut m = me();
        m.active_tunnels = Some(["hv3".to_owned()].into_iter().collect());
        assert!(ha_is_active(&members(10, 20), &m));
        // No live tunnel at all: don't take over.
        m.active_tunnels = Some(BTreeSet::new());
        assert!(!ha_is_active(&members(10, 20), &m));
    }

    #[test]
    fn containers_and_unknown_types() {
        let mut c = pb("c1", "", 1);
        c.ty = PortType::classify("", Some("p1"));
        c.parent_port = Some("p1".into());
        let pbs = vec![pb("p1", "", 1), c, pb("x", "fancy", 1)];
        let out = run(&me(), &ifaces(&["p1"]), &pbs);
        assert_eq!(out.claim, vec!["p1".to_owned(), "c1".to_owned()]);
        assert_eq!(
            out.skipped,
            vec![(
                "x".to_owned(),
                "unknown port binding type \"fancy\"".to_owned()
            )]
        );
    }
}
