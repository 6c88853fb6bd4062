//! Everything the physical flows depend on (ovn-controller's `struct physical_ctx`), as plain
//! owned data, plus the derivation of the local datapaths (local_data.c).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use openflow::field::Field;
use tunnel::ChassisTunnels;

use crate::binding::{PortBinding, PortType, Residence};
use crate::ct_zones::{CtZones, NatKind, nat_zone_key};

/// This chassis, as physical.c compares Port_Binding chassis references with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChassisIdentity {
    /// Chassis name (system-id).
    pub name: String,
    /// Hostname (`requested-chassis` may name it).
    pub hostname: String,
}

/// A patch (or l3gateway) port of a local datapath and its peer (`struct peer_ports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerPort {
    /// The port in this datapath.
    pub local: String,
    /// Its peer in the other datapath.
    pub remote: String,
}

/// A datapath this chassis programs (`struct local_datapath`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalDatapath {
    /// Tunnel key.
    pub key: u32,
    /// The Datapath_Binding row UUID, as text: NAT zone users are `<uuid>_dnat`/`<uuid>_snat`.
    pub uuid: String,
    /// `external_ids:interconn-ts` is set (an OVN-IC transit switch).
    pub is_transit_switch: bool,
    /// The localnet port whose network is bridge-mapped here, if any.
    pub localnet_port: Option<String>,
    /// Ports of type `external` in this datapath.
    pub external_ports: BTreeSet<String>,
    /// VIFs of this datapath with additional chassis.
    pub multichassis_ports: BTreeSet<String>,
    /// Patch/l3gateway ports towards other local datapaths.
    pub peer_ports: Vec<PeerPort>,
}

/// A Southbound datapath, as needed to make it local.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatapathInfo {
    /// Row UUID as text.
    pub uuid: String,
    /// `external_ids:interconn-ts` is set.
    pub is_transit_switch: bool,
}

/// A Multicast_Group row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MulticastGroup {
    /// Row UUID.
    pub uuid: u128,
    /// The datapath's tunnel key.
    pub datapath: u32,
    /// `tunnel_key` (≥ 32768).
    pub tunnel_key: u32,
    /// Member logical ports, by name (any order: they are visited in UUID order, as the
    /// Southbound set column is).
    pub ports: Vec<String>,
}

/// How a logical port is attached to an OVS interface here (a `local_binding` with its primary
/// or localport lport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalOfport {
    /// The interface's OpenFlow port.
    pub ofport: u16,
    /// Bound as the interface's main port (a VIF), as opposed to a localport.
    pub primary: bool,
}

/// A remote chassis' `ovn-chassis-mac-mappings` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteChassisMac {
    /// The Chassis row UUID (the flow's cookie).
    pub chassis_uuid: u128,
    /// The MAC.
    pub mac: [u8; 6],
}

/// Inputs of the physical flow computation.
#[derive(Debug, Clone)]
pub struct PhysicalInput {
    /// This chassis.
    pub chassis: ChassisIdentity,
    /// Chassis with a BFD session up (`active_tunnels`); empty without BFD.
    pub active_tunnels: BTreeSet<String>,
    /// Every Port_Binding, by logical port.
    pub port_bindings: BTreeMap<String, PortBinding>,
    /// Local datapaths by tunnel key.
    pub local_datapaths: BTreeMap<u32, LocalDatapath>,
    /// Logical ports attached to local OVS interfaces, by logical port (`local_bindings`).
    pub local_ofports: HashMap<String, LocalOfport>,
    /// OpenFlow ports of the localnet/l2gateway patch ports, by logical port
    /// (`patch_ofports`).
    pub patch_ofports: HashMap<String, u16>,
    /// Conntrack zones.
    pub ct_zones: CtZones,
    /// Tunnels to other chassis.
    pub tunnels: ChassisTunnels,
    /// Chassis with `other_config:is-vtep=true`.
    pub vtep_chassis: BTreeSet<String>,
    /// Other chassis' `ovn-chassis-mac-mappings` MACs.
    pub remote_chassis_macs: Vec<RemoteChassisMac>,
    /// This chassis' `ovn-chassis-mac-mappings`, by physical network.
    pub local_chassis_macs: BTreeMap<String, [u8; 6]>,
    /// Every Multicast_Group row.
    pub mc_groups: Vec<MulticastGroup>,
    /// The `tun_metadataN` field that carries OVN's Geneve option.
    pub geneve_field: Field,
}

impl Default for PhysicalInput {
    fn default() -> Self {
        Self {
            chassis: ChassisIdentity::default(),
            active_tunnels: BTreeSet::new(),
            port_bindings: BTreeMap::new(),
            local_datapaths: BTreeMap::new(),
            local_ofports: HashMap::new(),
            patch_ofports: HashMap::new(),
            ct_zones: CtZones::default(),
            tunnels: ChassisTunnels::default(),
            vtep_chassis: BTreeSet::new(),
            remote_chassis_macs: Vec::new(),
            local_chassis_macs: BTreeMap::new(),
            mc_groups: Vec::new(),
            geneve_field: Field::tun_metadata(0),
        }
    }
}

/// Conntrack zones of a port: its own and its datapath's NAT zones (`struct zone_ids`, 0 = none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneIds {
    /// `MFF_LOG_CT_ZONE`.
    pub ct: u16,
    /// `MFF_LOG_DNAT_ZONE`.
    pub dnat: u16,
    /// `MFF_LOG_SNAT_ZONE`.
    pub snat: u16,
}

impl PhysicalInput {
    /// `lport_lookup_by_name`.
    pub fn pb(&self, name: &str) -> Option<&PortBinding> {
        self.port_bindings.get(name)
    }

    /// `get_local_datapath`.
    pub fn ld(&self, key: u32) -> Option<&LocalDatapath> {
        self.local_datapaths.get(&key)
    }

    /// `get_zone_ids`: the datapath's NAT zones are found through its local datapath entry (a
    /// non-local datapath has none allocated).
    pub fn zone_ids(&self, pb: &PortBinding) -> ZoneIds {
        let z = |user: &str| self.ct_zones.get(user).unwrap_or(0);
        let (dnat, snat) = match self.ld(pb.datapath) {
            Some(ld) => (
                z(&nat_zone_key(&ld.uuid, NatKind::Dnat)),
                z(&nat_zone_key(&ld.uuid, NatKind::Snat)),
            ),
            None => (0, 0),
        };
        ZoneIds {
            ct: z(&pb.logical_port),
            dnat,
            snat,
        }
    }

    /// `local_binding_get_lport_ofport`.
    pub fn lport_ofport(&self, name: &str) -> Option<u16> {
        self.local_ofports.get(name).map(|l| l.ofport)
    }

    /// Whether `name` is bound to a local interface as its main port
    /// (`local_binding_get_primary_pb`).
    pub fn is_primary_local(&self, name: &str) -> bool {
        self.local_ofports.get(name).is_some_and(|l| l.primary)
    }

    /// `pb->chassis == chassis`.
    pub fn on_this_chassis(&self, pb: &PortBinding) -> bool {
        pb.chassis.as_deref() == Some(self.chassis.name.as_str())
    }

    /// `get_binding_peer`: the peer of a patch/l3gateway port, of the same type and pointing
    /// back.
    pub fn binding_peer(&self, pb: &PortBinding) -> Option<&PortBinding> {
        let peer = self.pb(pb.options.get("peer")?)?;
        (peer.ty == pb.ty && peer.options.get("peer") == Some(&pb.logical_port)).then_some(peer)
    }
}

/// The local ofports from binding's residence (`local_bindings`): VIFs on an interface are
/// primary, localports are not; containers and virtual ports use their parent's entry.
pub fn local_ofports(
    resident: &BTreeMap<String, Residence>,
    port_bindings: &BTreeMap<String, PortBinding>,
) -> HashMap<String, LocalOfport> {
    let mut out = HashMap::new();
    for (name, r) in resident {
        let (iface, primary) = match r {
            Residence::Iface(i) => (i, true),
            Residence::Localport(i) => (i, false),
            Residence::Gateway => continue,
        };
        if primary
            && port_bindings
                .get(name)
                .is_some_and(|pb| !matches!(pb.ty, PortType::Vif))
        {
            continue;
        }
        let Some(ofport) = iface
            .ofport
            .filter(|p| (1..=0xffff).contains(p))
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        out.insert(name.clone(), LocalOfport { ofport, primary });
    }
    out
}

/// The datapaths an HA group makes local although not active here (binding.c
/// `consider_ha_lport`: a member of a chassisredirect/external port's group programs its
/// datapath).
pub fn ha_member_datapaths<'a>(
    port_bindings: impl IntoIterator<Item = &'a PortBinding>,
    chassis: &str,
) -> BTreeSet<u32> {
    port_bindings
        .into_iter()
        .filter(|pb| matches!(pb.ty, PortType::ChassisRedirect | PortType::External))
        .filter(|pb| {
            pb.ha_chassis
                .iter()
                .any(|h| h.chassis.as_deref() == Some(chassis))
        })
        .map(|pb| pb.datapath)
        .collect()
}

/// local_data.c `need_add_peer_to_local`.
fn need_add_peer_to_local(
    pbs: &BTreeMap<String, PortBinding>,
    pb: &PortBinding,
    chassis: &str,
) -> bool {
    if pb.ty == PortType::L3Gateway && pb.chassis.as_deref() == Some(chassis) {
        return true;
    }
    if pb.ty != PortType::Patch {
        return false;
    }
    let Some(crp) = pb.options.get("chassis-redirect-port") else {
        return true;
    };
    let Some(crp) = pbs.get(crp) else {
        return false;
    };
    if !crp
        .options
        .get("always-redirect")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return true;
    }
    crp.ha_chassis
        .iter()
        .any(|h| h.chassis.as_deref() == Some(chassis))
}

/// Builds the local datapaths the way binding.c/local_data.c do: every `seed` datapath (where
/// a port is resident, plus [`ha_member_datapaths`]) and, recursively, the peers of its
/// patch/l3gateway ports; then each datapath's localnet port (the first whose `network_name`
/// is in `networks`), external ports and multichassis VIFs.
///
/// `datapaths` gives every Southbound datapath by tunnel key; an unknown key gets an empty
/// UUID (so no NAT zones).
pub fn local_datapaths(
    seeds: impl IntoIterator<Item = u32>,
    datapaths: &HashMap<u32, DatapathInfo>,
    pbs: &BTreeMap<String, PortBinding>,
    chassis: &str,
    networks: &BTreeSet<String>,
) -> BTreeMap<u32, LocalDatapath> {
    let mut by_dp: HashMap<u32, Vec<&PortBinding>> = HashMap::new();
    for pb in pbs.values() {
        by_dp.entry(pb.datapath).or_default().push(pb);
    }
    let mut out: BTreeMap<u32, LocalDatapath> = BTreeMap::new();
    let new_ld = |key: u32| {
        let info = datapaths.get(&key).cloned().unwrap_or_default();
        LocalDatapath {
            key,
            uuid: info.uuid,
            is_transit_switch: info.is_transit_switch,
            ..LocalDatapath::default()
        }
    };
    let add_peer = |ld: &mut LocalDatapath, local: &str, remote: &str| {
        if !ld.peer_ports.iter().any(|p| p.local == local) {
            ld.peer_ports.push(PeerPort {
                local: local.to_owned(),
                remote: remote.to_owned(),
            });
        }
    };
    // add_local_datapath__ is depth-first; an explicit stack visits the same set of datapaths
    // and records the same peer pairs.
    let mut stack: Vec<u32> = Vec::new();
    for seed in seeds {
        if let std::collections::btree_map::Entry::Vacant(e) = out.entry(seed) {
            e.insert(new_ld(seed));
            stack.push(seed);
        }
        while let Some(dp) = stack.pop() {
            for pb in by_dp.get(&dp).into_iter().flatten() {
                if !matches!(pb.ty, PortType::Patch | PortType::L3Gateway) {
                    continue;
                }
                let Some(peer) = pb.options.get("peer").and_then(|p| pbs.get(p)) else {
                    continue;
                };
                if !need_add_peer_to_local(pbs, pb, chassis) {
                    continue;
                }
                let peer_dp = peer.datapath;
                if let std::collections::btree_map::Entry::Vacant(e) = out.entry(peer_dp) {
                    e.insert(new_ld(peer_dp));
                    stack.push(peer_dp);
                }
                if let Some(ld) = out.get_mut(&peer_dp) {
                    add_peer(ld, &peer.logical_port, &pb.logical_port);
                }
                if let Some(ld) = out.get_mut(&dp) {
                    add_peer(ld, &pb.logical_port, &peer.logical_port);
                }
            }
        }
    }
    for pb in pbs.values() {
        let Some(ld) = out.get_mut(&pb.datapath) else {
            continue;
        };
        match pb.ty {
            PortType::Localnet => {
                let plugged = pb
                    .options
                    .get("network_name")
                    .is_some_and(|n| networks.contains(n));
                if plugged && ld.localnet_port.is_none() {
                    ld.localnet_port = Some(pb.logical_port.clone());
                }
            }
            PortType::External => {
                ld.external_ports.insert(pb.logical_port.clone());
            }
            PortType::Vif if !pb.additional_chassis.is_empty() => {
                ld.multichassis_ports.insert(pb.logical_port.clone());
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::{HaChassis, LocalIface};

    fn pb(name: &str, ty: &str, dp: u32, peer: Option<&str>) -> PortBinding {
        let mut p = PortBinding {
            logical_port: name.into(),
            ty: PortType::classify(ty, None),
            datapath: dp,
            ..PortBinding::default()
        };
        if let Some(peer) = peer {
            p.options.insert("peer".into(), peer.into());
        }
        p
    }

    fn map(v: Vec<PortBinding>) -> BTreeMap<String, PortBinding> {
        v.into_iter().map(|p| (p.logical_port.clone(), p)).collect()
    }

    #[test]
    fn expands_through_patches_and_local_gateways_only() {
        let mut gw_sw = pb("ls1-gw", "l3gateway", 1, Some("gw-ls1"));
        gw_sw.chassis = Some("hv1".into());
        let mut gw_rt = pb("gw-ls1", "l3gateway", 5, Some("ls1-gw"));
        gw_rt.chassis = Some("hv1".into());
        let mut ln = pb("ln", "localnet", 3, None);
        ln.options.insert("network_name".into(), "phys".into());
        let mut ln_other = pb("ln-x", "localnet", 3, None);
        ln_other
            .options
            .insert("network_name".into(), "other".into());
        let pbs = map(vec![
            pb("vm1", "", 1, None),
            pb("ls1-lr", "patch", 1, Some("lr-ls1")),
            pb("lr-ls1", "patch", 2, Some("ls1-lr")),
            pb("lr-pub", "patch", 2, Some("pub-lr")),
            pb("pub-lr", "patch", 3, Some("lr-pub")),
            gw_sw,
            gw_rt,
            ln,
            ln_other,
            pb("ls9-x", "l3gateway", 9, Some("x-ls9")),
            pb("x-ls9", "l3gateway", 10, Some("ls9-x")),
        ]);
        let lds = local_datapaths(
            [1, 9],
            &HashMap::new(),
            &pbs,
            "hv1",
            &["phys".to_owned()].into_iter().collect(),
        );
        assert_eq!(lds.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 5, 9]);
        assert_eq!(lds[&3].localnet_port.as_deref(), Some("ln"));
        assert_eq!(lds[&1].peer_ports.len(), 2);
        assert_eq!(lds[&2].peer_ports.len(), 2);
        assert!(lds[&9].peer_ports.is_empty());
    }

    #[test]
    fn local_ofports_follow_residence() {
        let mut c = pb("c1", "", 1, None);
        c.ty = PortType::Container;
        let pbs = map(vec![
            pb("vm1", "", 1, None),
            pb("lp", "localport", 1, None),
            c,
        ]);
        let iface = |n: &str, p: i64| LocalIface {
            name: n.into(),
            ofport: Some(p),
        };
        let resident: BTreeMap<String, Residence> = [
            ("vm1".to_owned(), Residence::Iface(iface("vm1", 3))),
            ("c1".to_owned(), Residence::Iface(iface("vm1", 3))),
            ("lp".to_owned(), Residence::Localport(iface("lp", 4))),
            ("gw".to_owned(), Residence::Gateway),
        ]
        .into_iter()
        .collect();
        let o = local_ofports(&resident, &pbs);
        assert_eq!(o.len(), 2);
        assert_eq!(
            o["vm1"],
            LocalOfport {
                ofport: 3,
                primary: true
            }
        );
        assert!(!o["lp"].primary);
    }

    #[test]
    fn ha_members_make_their_datapath_local() {
        let mut cr = pb("cr-lrp", "chassisredirect", 7, None);
        cr.ha_chassis = vec![HaChassis {
            chassis: Some("hv1".into()),
            priority: 1,
        }];
        assert_eq!(
            ha_member_datapaths([&cr], "hv1")
                .into_iter()
                .collect::<Vec<_>>(),
            vec![7]
        );
        assert!(ha_member_datapaths([&cr], "hv2").is_empty());
    }
}
