//! Tunnel encapsulation types and what each one can carry (ovn-util.h `chassis_tunnel_type`).

use std::fmt;

/// An encapsulation OVN knows. The discriminants are upstream's bit values; a higher value is
/// preferred (`GENEVE = 4 > STT = 2 > VXLAN = 1`), so the derived `Ord` is the preference order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EncapType {
    Vxlan = 1,
    Stt = 2,
    Geneve = 4,
}

/// How much of the logical pipeline state a tunnel packet carries across chassis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelEncoding {
    /// Geneve (VNI + 32-bit OVN option) and STT (64-bit key): 24-bit datapath key, 15-bit logical
    /// ingress port, 16-bit logical egress port.
    Full,
    /// VXLAN: only a 24-bit VNI, split into a 12-bit datapath key and a 12-bit egress port key;
    /// the ingress port is lost, which is why northd limits keys when any chassis uses VXLAN.
    VxlanReduced,
}

impl EncapType {
    /// All types, most preferred first.
    pub const ALL: [EncapType; 3] = [EncapType::Geneve, EncapType::Stt, EncapType::Vxlan];

    /// Parses an SB `Encap.type` / OVS `Interface.type`. Upstream's `get_tunnel_type` compares
    /// exactly (case-sensitive); anything else is not a tunnel type OVN uses.
    pub fn parse(s: &str) -> Option<EncapType> {
        match s {
            "geneve" => Some(EncapType::Geneve),
            "stt" => Some(EncapType::Stt),
            "vxlan" => Some(EncapType::Vxlan),
            _ => None,
        }
    }

    /// The OVS `Interface.type` and SB `Encap.type` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EncapType::Geneve => "geneve",
            EncapType::Stt => "stt",
            EncapType::Vxlan => "vxlan",
        }
    }

    pub fn encoding(self) -> TunnelEncoding {
        match self {
            EncapType::Geneve | EncapType::Stt => TunnelEncoding::Full,
            EncapType::Vxlan => TunnelEncoding::VxlanReduced,
        }
    }

    /// Outer header bytes added to each packet (lib/ovn-util.h `GENEVE/STT/VXLAN_TUNNEL_OVERHEAD`),
    /// used for path-MTU decisions.
    pub fn overhead(self) -> u16 {
        match self {
            EncapType::Geneve => 38,
            EncapType::Stt => 18,
            EncapType::Vxlan => 30,
        }
    }
}

impl fmt::Display for EncapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type upstream's `preferred_encap` picks towards a remote chassis: the most preferred type
/// that the remote advertises and the local chassis also has. `None` when they share none.
pub fn preferred_encap<'a, L, R>(local: L, remote: R) -> Option<EncapType>
where
    L: IntoIterator<Item = &'a EncapType>,
    R: IntoIterator<Item = EncapType>,
{
    let local: Vec<EncapType> = local.into_iter().copied().collect();
    remote.into_iter().filter(|t| local.contains(t)).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_exact() {
        for t in EncapType::ALL {
            assert_eq!(EncapType::parse(t.as_str()), Some(t));
        }
        for bad in ["Geneve", "GENEVE", " geneve", "gre", "", "vxlan "] {
            assert_eq!(EncapType::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn preference_geneve_stt_vxlan() {
        use EncapType::*;
        let cases: &[(&[EncapType], &[EncapType], Option<EncapType>)] = &[
            (&[Geneve, Vxlan], &[Vxlan, Geneve], Some(Geneve)),
            (&[Geneve, Stt, Vxlan], &[Vxlan, Stt], Some(Stt)),
            (&[Vxlan], &[Geneve, Stt, Vxlan], Some(Vxlan)),
            (&[Geneve], &[Vxlan], None),
            (&[], &[Geneve], None),
            (&[Geneve], &[], None),
        ];
        for (local, remote, want) in cases {
            assert_eq!(
                preferred_encap(local.iter(), remote.iter().copied()),
                *want,
                "local {local:?} remote {remote:?}"
            );
        }
    }

    #[test]
    fn encodings() {
        assert_eq!(EncapType::Geneve.encoding(), TunnelEncoding::Full);
        assert_eq!(EncapType::Stt.encoding(), TunnelEncoding::Full);
        assert_eq!(EncapType::Vxlan.encoding(), TunnelEncoding::VxlanReduced);
    }
}
