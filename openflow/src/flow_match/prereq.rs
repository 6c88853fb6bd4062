//! Prerequisite checks (OVS `mf_are_prereqs_ok`): `nw_dst` needs `ip`, `tp_dst` needs
//! `tcp`/`udp`/`sctp`, `nd_target` needs an ND ICMPv6 type, …

use super::{Match, MatchError};
use crate::field::{Field, Prereq};

pub(crate) const ETH_TYPE_IP: u128 = 0x0800;
pub(crate) const ETH_TYPE_IPV6: u128 = 0x86dd;
pub(crate) const ETH_TYPE_ARP: u128 = 0x0806;
pub(crate) const ETH_TYPE_RARP: u128 = 0x8035;
pub(crate) const ETH_TYPE_MPLS: u128 = 0x8847;
pub(crate) const ETH_TYPE_MPLS_MCAST: u128 = 0x8848;

const CS_INVALID: u128 = 0x10;
const CS_TRACKED: u128 = 0x20;
/// new, est, rel, rpl, snat, dnat.
const CS_VALID_BITS: u128 = 0xcf;

impl Match {
    /// Whether the prerequisites of `prereq` hold, judged (as OVS does) from the values of
    /// the fields matched so far; an unmatched field counts as 0.
    pub fn prereq_ok(&self, prereq: Prereq) -> bool {
        let dl = self.value_of(Field::ETH_TYPE);
        let proto = self.value_of(Field::IP_PROTO);
        let ip = dl == ETH_TYPE_IP;
        let ip6 = dl == ETH_TYPE_IPV6;
        // OVS `is_tcp()` etc.: a later fragment has no L4 header.
        let l4 = self.value_of(Field::IP_FRAG) & 2 == 0;
        let nd = || {
            l4 && ip6
                && proto == 58
                && self.value_of(Field::ICMPV6_CODE) == 0
                && matches!(self.value_of(Field::ICMPV6_TYPE), 135 | 136)
        };
        match prereq {
            Prereq::None | Prereq::Ethernet => true,
            Prereq::Arp => dl == ETH_TYPE_ARP || dl == ETH_TYPE_RARP,
            Prereq::VlanVid => self.value_of(Field::VLAN_TCI) & 0x1000 != 0,
            Prereq::Ipv4 => ip,
            Prereq::Ipv6 => ip6,
            Prereq::IpAny => ip || ip6,
            Prereq::Ct => {
                // OVS `is_ct_valid` (with a mask): some state bit that implies a valid
                // connection, or +trk with an explicit -inv.
                let (v, m) = self
                    .get(Field::CT_STATE)
                    .map_or((0, 0), |e| (e.value_u128(), e.mask_u128()));
                v & CS_VALID_BITS != 0
                    || (v & CS_TRACKED != 0 && m & CS_INVALID != 0 && v & CS_INVALID == 0)
            }
            Prereq::Mpls => dl == ETH_TYPE_MPLS || dl == ETH_TYPE_MPLS_MCAST,
            Prereq::Tcp => l4 && (ip || ip6) && proto == 6,
            Prereq::Udp => l4 && (ip || ip6) && proto == 17,
            Prereq::Sctp => l4 && (ip || ip6) && proto == 132,
            Prereq::Icmpv4 => l4 && ip && proto == 1,
            Prereq::Icmpv6 => l4 && ip6 && proto == 58,
            Prereq::Nd => nd(),
            Prereq::NdSolicit => nd() && self.value_of(Field::ICMPV6_TYPE) == 135,
            Prereq::NdAdvert => nd() && self.value_of(Field::ICMPV6_TYPE) == 136,
        }
    }

    /// Rejects a match with a field whose prerequisites are not matched, as ovs-vswitchd
    /// does (`OFPBMC_BAD_PREREQ`); ovs-ofctl would instead silently drop such fields.
    pub fn check_prereqs(&self) -> Result<(), MatchError> {
        let dl = self.value_of(Field::ETH_TYPE);
        for e in self.iter() {
            let f = e.field;
            // ofputil_decode_flow_mod: the conntrack original-tuple addresses must be of the
            // match's IP version (OFPBAC_MATCH_INCONSISTENT).
            let family_ok = match f {
                _ if f == Field::CT_NW_SRC || f == Field::CT_NW_DST => dl == ETH_TYPE_IP,
                _ if f == Field::CT_IPV6_SRC || f == Field::CT_IPV6_DST => dl == ETH_TYPE_IPV6,
                _ => true,
            };
            if !family_ok || !self.prereq_ok(f.info().prereq) {
                return Err(MatchError::Prereq { field: f });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prereqs() {
        let mut m = Match::new();
        m.set(Field::IPV4_DST, [10, 0, 0, 1]).unwrap();
        assert_eq!(
            m.check_prereqs(),
            Err(MatchError::Prereq {
                field: Field::IPV4_DST
            })
        );
        m.set(Field::ETH_TYPE, 0x800u16).unwrap();
        assert!(m.check_prereqs().is_ok());
        m.set(Field::TCP_DST, 80u16).unwrap();
        assert!(m.check_prereqs().is_err());
        m.set(Field::IP_PROTO, 6u8).unwrap();
        assert!(m.check_prereqs().is_ok());
    }
}
