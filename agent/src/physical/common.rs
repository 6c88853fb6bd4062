//! Building blocks shared by the physical flows (physical.c's static helpers): matches on
//! logical ports, zone and metadata loads, tunnel encapsulation.

use openflow::field::{Field, Subfield, Value};
use openflow::flow_match::Match;
use tunnel::{ChassisTunnel, EncapType};

use super::consts::*;
use super::flow::{PhysicalFlow, cookie_of};
use super::input::ZoneIds;
use super::ofpact::{Ofpact, to_actions};
use crate::binding::PortBinding;
use crate::ofctrl::flow_table::SourceId;

/// Sets an exact match. Every caller passes a value of the field's own width or narrower, so
/// this cannot fail; a failure would be a programming error, caught in debug builds.
pub fn exact(m: &mut Match, field: Field, value: impl Into<Value>) {
    let r = m.set(field, value);
    debug_assert!(r.is_ok(), "match on {field} rejected");
}

/// Sets a masked match (same contract as [`exact`]).
pub fn masked(m: &mut Match, field: Field, value: impl Into<Value>, mask: impl Into<Value>) {
    let r = m.set_masked(field, value, mask);
    debug_assert!(r.is_ok(), "masked match on {field} rejected");
}

/// `match_outport_dp_and_port_keys`.
pub fn match_outport(dp_key: u32, port_key: u32) -> Match {
    let mut m = Match::new();
    exact(&mut m, LOG_DATAPATH, u64::from(dp_key));
    exact(&mut m, LOG_OUTPORT, port_key);
    m
}

/// `match_set_reg_masked(MFF_LOG_FLAGS, value, mask)`.
pub fn match_flags(m: &mut Match, value: u32, mask: u32) {
    masked(m, LOG_FLAGS, value, mask);
}

/// `match_set_dl_vlan(tag)`: a VLAN header with this VID.
pub fn match_vlan(m: &mut Match, tag: u16) {
    masked(m, Field::VLAN_TCI, VLAN_CFI | (tag & 0x0fff), 0x1fffu16);
}

/// `match_set_dl_tci_masked(0, VLAN_CFI)`: no VLAN header.
pub fn match_no_vlan(m: &mut Match) {
    masked(m, Field::VLAN_TCI, 0u16, VLAN_CFI);
}

/// `put_resubmit`.
pub fn resubmit(acts: &mut Vec<Ofpact>, table: u8) {
    acts.push(Ofpact::Resubmit(table));
}

/// `put_load(value, field, 0, 32)` into a 32-bit register.
pub fn load32(acts: &mut Vec<Ofpact>, field: Field, value: u32) {
    acts.push(Ofpact::load(field, 0, 32, u64::from(value)));
}

/// `put_load(1, MFF_LOG_FLAGS, bit, 1)`.
pub fn set_flag(acts: &mut Vec<Ofpact>, bit: u8) {
    acts.push(Ofpact::load(LOG_FLAGS, u16::from(bit), 1, 1));
}

/// `put_zones_ofpacts`: load the non-zero zones.
pub fn put_zones(acts: &mut Vec<Ofpact>, z: &ZoneIds) {
    for (zone, field) in [
        (z.ct, LOG_CT_ZONE),
        (z.dnat, LOG_DNAT_ZONE),
        (z.snat, LOG_SNAT_ZONE),
    ] {
        if zone != 0 {
            load32(acts, field, u32::from(zone));
        }
    }
}

/// `load_logical_ingress_metadata`: zones, datapath and logical input port.
pub fn load_ingress_metadata(acts: &mut Vec<Ofpact>, pb: &PortBinding, z: &ZoneIds) {
    put_zones(acts, z);
    acts.push(Ofpact::load(LOG_DATAPATH, 0, 64, u64::from(pb.datapath)));
    load32(acts, LOG_INPORT, pb.tunnel_key);
}

/// The hairpin actions of table 64: with `in_port` out of the way, resubmit to table 65.
pub fn hairpin_actions() -> Vec<Ofpact> {
    let in_port = Subfield::whole(Field::IN_PORT);
    vec![
        Ofpact::StackPush(in_port),
        Ofpact::load(Field::IN_PORT, 0, 16, u64::from(OFPP_NONE)),
        Ofpact::Resubmit(OFTABLE_LOG_TO_PHY),
        Ofpact::StackPop(in_port),
    ]
}

/// `get_vxlan_port_key`: multicast keys map into the 12-bit space as 0x800 | low 11 bits.
pub fn vxlan_port_key(port_key: u32) -> u32 {
    if port_key >= OVN_MIN_MULTICAST {
        OVN_VXLAN_MIN_MULTICAST | (port_key & (OVN_VXLAN_MIN_MULTICAST - 1))
    } else {
        port_key
    }
}

/// `put_encapsulation`: set the tunnel key (and Geneve option) so that the remote chassis
/// learns the datapath, output port and (Geneve/STT) input port.
pub fn put_encapsulation(
    acts: &mut Vec<Ofpact>,
    geneve: Field,
    tun: &ChassisTunnel,
    dp_key: u32,
    outport: u16,
    is_ramp_switch: bool,
) {
    match tun.encap_type {
        EncapType::Geneve => {
            acts.push(Ofpact::load(Field::TUN_ID, 0, 24, u64::from(dp_key)));
            acts.push(Ofpact::load(geneve, 0, 32, u64::from(outport)));
            acts.push(Ofpact::move_bits(LOG_INPORT, 0, geneve, 16, 15));
        }
        EncapType::Stt => {
            let key = u64::from(dp_key) | (u64::from(outport) << 24);
            acts.push(Ofpact::load(Field::TUN_ID, 0, 64, key));
            acts.push(Ofpact::move_bits(LOG_INPORT, 0, Field::TUN_ID, 40, 15));
        }
        EncapType::Vxlan => {
            let mut vni = u64::from(dp_key);
            if !is_ramp_switch {
                vni |= u64::from(vxlan_port_key(u32::from(outport))) << 12;
            }
            acts.push(Ofpact::load(Field::TUN_ID, 0, 24, vni));
        }
    }
}

/// Collects flows the way `ofctrl_add_flow` receives them.
#[derive(Debug, Default)]
pub struct Flows {
    /// The flows, in the order they were added.
    pub flows: Vec<PhysicalFlow>,
}

impl Flows {
    /// Adds a flow of row `uuid` (cookie = its first 32 bits).
    pub fn add(
        &mut self,
        table: u8,
        priority: u16,
        uuid: u128,
        matches: Match,
        actions: Vec<Ofpact>,
    ) {
        self.add_with(table, priority, cookie_of(uuid), uuid, matches, actions);
    }

    /// Adds a flow with an explicit cookie and source.
    pub fn add_with(
        &mut self,
        table: u8,
        priority: u16,
        cookie: u64,
        source: SourceId,
        matches: Match,
        actions: Vec<Ofpact>,
    ) {
        self.flows.push(PhysicalFlow {
            table,
            priority,
            cookie,
            source,
            matches,
            actions: to_actions(&actions),
        });
    }
}

/// The leading MAC of a `mac` column entry (`str_to_mac`, which ignores what follows).
pub fn parse_leading_mac(s: &str) -> Option<[u8; 6]> {
    let head = s.get(..17)?;
    let mut out = [0u8; 6];
    let mut parts = head.split(':');
    for b in &mut out {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    Some(out)
}

/// The first token of `mac[0]` that is a MAC (`extract_sbrec_binding_first_mac`).
pub fn first_binding_mac(pb: &PortBinding) -> Option<[u8; 6]> {
    pb.mac
        .first()?
        .split(' ')
        .filter(|t| !t.is_empty())
        .find_map(parse_leading_mac)
}

/// A MAC as a field value.
pub fn mac_value(mac: [u8; 6]) -> u128 {
    mac.iter().fold(0u128, |a, &b| (a << 8) | u128::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_and_vxlan_keys() {
        assert_eq!(
            parse_leading_mac("00:00:00:00:ff:02 172.24.0.1/24"),
            Some([0, 0, 0, 0, 0xff, 2])
        );
        assert_eq!(parse_leading_mac("router"), None);
        assert_eq!(parse_leading_mac("0:00:00:00:ff:02:9"), None);
        assert_eq!(parse_leading_mac("ü0:00:00:00:ff:02"), None);
        let pb = PortBinding {
            mac: vec!["unknown 0a:00:00:00:00:01".into()],
            ..PortBinding::default()
        };
        assert_eq!(first_binding_mac(&pb), Some([0x0a, 0, 0, 0, 0, 1]));
        assert_eq!(vxlan_port_key(5), 5);
        assert_eq!(vxlan_port_key(32768), 0x800);
        assert_eq!(vxlan_port_key(32772), 0x804);
        assert_eq!(mac_value([0, 0, 0, 0, 0xff, 2]), 0xff02);
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mac_parsers_never_panic(s in "[0-9a-f: ü]{0,40}", t in any::<String>()) {
            for s in [s, t] {
                let _ = parse_leading_mac(&s);
                let pb = PortBinding { mac: vec![s], ..PortBinding::default() };
                let _ = first_binding_mac(&pb);
            }
        }
    }
}
