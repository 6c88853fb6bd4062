//! The tunnels OVS actually has, with their OpenFlow ports (local_data.c
//! `local_nonvif_data_run`): the input for the tunnel flows and for choosing an output port
//! towards a chassis.

use std::collections::BTreeMap;

use crate::encap::EncapType;
use crate::observed::ObservedBridge;
use crate::tunnel_id::TunnelId;

/// OpenFlow 1.0 `OFPP_MAX`: larger numbers are reserved ports.
const OFPP_MAX: i64 = 0xff00;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChassisTunnel {
    pub id: TunnelId,
    pub encap_type: EncapType,
    pub ofport: u16,
    pub port_name: String,
}

impl ChassisTunnel {
    /// Whether the underlay is IPv6 (a larger outer header, for path-MTU checks).
    pub fn is_ipv6(&self) -> bool {
        self.id.ip.parse::<std::net::Ipv6Addr>().is_ok()
    }
}

/// The usable tunnels on the integration bridge, indexed by remote chassis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChassisTunnels {
    /// Per chassis, ordered by ofport.
    by_chassis: BTreeMap<String, Vec<ChassisTunnel>>,
}

impl ChassisTunnels {
    /// All tunnels, by chassis name then ofport.
    pub fn iter(&self) -> impl Iterator<Item = &ChassisTunnel> {
        self.by_chassis.values().flatten()
    }

    pub fn len(&self) -> usize {
        self.by_chassis.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_chassis.is_empty()
    }

    /// local_data.c `chassis_tunnel_find`: the tunnel to `chassis` at `encap_ip`, or with no IP
    /// given, the chassis' first tunnel (lowest ofport; upstream takes hash order).
    pub fn find(&self, chassis: &str, encap_ip: Option<&str>) -> Option<&ChassisTunnel> {
        let tunnels = self.by_chassis.get(chassis)?;
        match encap_ip {
            Some(ip) => tunnels.iter().find(|t| t.id.ip == ip),
            None => tunnels.first(),
        }
    }

    /// physical.c `get_port_binding_tun`: the tunnel to the encap a Port_Binding names, falling
    /// back to any tunnel to its chassis.
    pub fn for_binding(&self, chassis: &str, encap_ip: Option<&str>) -> Option<&ChassisTunnel> {
        encap_ip
            .and_then(|ip| self.find(chassis, Some(ip)))
            .or_else(|| self.find(chassis, None))
    }
}

/// Every usable tunnel on the bridge: ports with a parseable `ovn-chassis-id` not naming the
/// local chassis, whose first interface that has a valid ofport (1..=0xff00) and a tunnel type
/// is taken.
pub fn chassis_tunnels(bridge: &ObservedBridge, local_chassis: &str) -> ChassisTunnels {
    let mut out = Vec::new();
    for port in &bridge.ports {
        if port.name == bridge.name {
            continue;
        }
        let Some(raw) = port.chassis_id() else {
            continue;
        };
        let Some(id) = TunnelId::parse(raw) else {
            continue;
        };
        if id.chassis == local_chassis {
            continue;
        }
        let found = port.interfaces.iter().find_map(|iface| {
            let ofport = iface.ofport.filter(|p| (1..=OFPP_MAX).contains(p))?;
            let encap_type = EncapType::parse(&iface.iface_type)?;
            Some((u16::try_from(ofport).ok()?, encap_type))
        });
        if let Some((ofport, encap_type)) = found {
            out.push(ChassisTunnel {
                id,
                encap_type,
                ofport,
                port_name: port.name.clone(),
            });
        }
    }
    let mut by_chassis: BTreeMap<String, Vec<ChassisTunnel>> = BTreeMap::new();
    for t in out {
        by_chassis.entry(t.id.chassis.clone()).or_default().push(t);
    }
    for v in by_chassis.values_mut() {
        v.sort_by_key(|t| t.ofport);
    }
    ChassisTunnels { by_chassis }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::{ObservedInterface, ObservedPort};
    use std::collections::BTreeMap;

    fn port(name: &str, id: Option<&str>, ifaces: &[(&str, Option<i64>)]) -> ObservedPort {
        ObservedPort {
            uuid: format!("u-{name}"),
            name: name.into(),
            external_ids: id
                .map(|id| BTreeMap::from([("ovn-chassis-id".to_owned(), id.to_owned())]))
                .unwrap_or_default(),
            interfaces: ifaces
                .iter()
                .enumerate()
                .map(|(i, (t, ofport))| ObservedInterface {
                    uuid: format!("i-{name}-{i}"),
                    name: name.into(),
                    iface_type: (*t).into(),
                    options: BTreeMap::new(),
                    ofport: *ofport,
                })
                .collect(),
        }
    }

    #[test]
    fn table() {
        let bridge = ObservedBridge {
            name: "br-int".into(),
            ports: vec![
                port("br-int", None, &[("internal", Some(65534))]),
                port("vif1", None, &[("", Some(1))]),
                port("ovn-hv3-0", Some("hv3@10.0.0.3"), &[("vxlan", Some(7))]),
                port("ovn-hv2-0", Some("hv2@10.0.0.2"), &[("geneve", Some(5))]),
                port("ovn-hv4-0", Some("hv4@10.0.0.4"), &[("geneve", None)]),
                port("ovn-hv5-0", Some("hv5@10.0.0.5"), &[("geneve", Some(-1))]),
                port("ovn-hv6-0", Some("hv6"), &[("geneve", Some(9))]),
                port("ovn-hv1-0", Some("hv1@10.0.0.1"), &[("geneve", Some(10))]),
                port("ovn-hv7-0", Some("hv7@10.0.0.7"), &[("gre", Some(11))]),
                port(
                    "ovn-hv8-0",
                    Some("hv8@10.0.0.8"),
                    &[("gre", Some(12)), ("stt", Some(13))],
                ),
                port(
                    "ovn-hv9-0",
                    Some("hv9@10.0.0.9"),
                    &[("geneve", Some(0xff01))],
                ),
            ],
            names_elsewhere: Default::default(),
        };
        let tunnels = chassis_tunnels(&bridge, "hv1");
        let got: Vec<(String, EncapType, u16)> = tunnels
            .iter()
            .map(|t| (t.id.to_string(), t.encap_type, t.ofport))
            .collect();
        assert_eq!(
            got,
            vec![
                ("hv2@10.0.0.2".to_owned(), EncapType::Geneve, 5),
                ("hv3@10.0.0.3".to_owned(), EncapType::Vxlan, 7),
                ("hv8@10.0.0.8".to_owned(), EncapType::Stt, 13),
            ]
        );
        assert_eq!(tunnels.len(), 3);
    }

    #[test]
    fn lookups() {
        let bridge = ObservedBridge {
            name: "br-int".into(),
            ports: vec![
                port("a", Some("hv2@10.0.1.2"), &[("geneve", Some(9))]),
                port("b", Some("hv2@10.0.0.2"), &[("geneve", Some(4))]),
                port("c", Some("hv3@10.0.0.3"), &[("geneve", Some(2))]),
                port("d", Some("hv4@fd00::4"), &[("geneve", Some(3))]),
            ],
            names_elsewhere: Default::default(),
        };
        let t = chassis_tunnels(&bridge, "hv1");
        let port_of = |x: Option<&ChassisTunnel>| x.map(|t| t.ofport);
        assert_eq!(
            t.iter()
                .filter(|t| t.is_ipv6())
                .map(|t| t.ofport)
                .collect::<Vec<_>>(),
            [3]
        );
        assert_eq!(port_of(t.find("hv2", None)), Some(4));
        assert_eq!(port_of(t.find("hv2", Some("10.0.1.2"))), Some(9));
        assert_eq!(port_of(t.find("hv2", Some("10.9.9.9"))), None);
        assert_eq!(port_of(t.for_binding("hv2", Some("10.9.9.9"))), Some(4));
        assert_eq!(port_of(t.for_binding("hv2", Some("10.0.1.2"))), Some(9));
        assert_eq!(port_of(t.for_binding("hv5", None)), None);
        assert_eq!(
            t.iter().map(|t| t.ofport).collect::<Vec<_>>(),
            [4, 9, 2, 3],
            "by chassis, then ofport"
        );
    }
}
