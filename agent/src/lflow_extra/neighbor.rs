//! MAC_Binding / Static_MAC_Binding rows → tables 66 and 67 (lflow.c `consider_neighbor_flow`).

use std::net::{Ipv4Addr, Ipv6Addr};

use openflow::field::Field;
use openflow::flow_match::Match;

use super::{MLF_LOOKUP_MAC_BIT, OFTABLE_MAC_BINDING, OFTABLE_MAC_LOOKUP, parse_mac_exact};
use crate::physical::common::{Flows, exact, set_flag};
use crate::physical::consts::{LOG_DATAPATH, LOG_INPORT, LOG_OUTPORT};
use crate::physical::{Ofpact, PhysicalFlow, PhysicalInput};

/// A learnt (MAC_Binding) or configured (Static_MAC_Binding) IP → MAC binding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacBinding {
    /// Row UUID.
    pub uuid: u128,
    /// `logical_port`: the router port the binding was learnt on.
    pub logical_port: String,
    /// `ip` (IPv4 or IPv6 text).
    pub ip: String,
    /// `mac`.
    pub mac: String,
    /// `None` for a MAC_Binding row; for a Static_MAC_Binding, its `override_dynamic_mac`.
    pub static_override: Option<bool>,
}

impl MacBinding {
    /// Learnt bindings at 100; static ones above (150) or below (50) them.
    pub fn priority(&self) -> u16 {
        match self.static_override {
            None => 100,
            Some(true) => 150,
            Some(false) => 50,
        }
    }
}

/// The flows of one binding: nothing when its port is unknown or not on a local datapath, or
/// its MAC or IP does not parse.
pub fn neighbor_flows(input: &PhysicalInput, b: &MacBinding) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    let Some(pb) = input.pb(&b.logical_port) else {
        return out.flows;
    };
    if input.ld(pb.datapath).is_none() {
        return out.flows;
    }
    let Some(mac) = parse_mac_exact(&b.mac) else {
        tracing::warn!(mac = %b.mac, "bad 'mac' in MAC binding");
        return out.flows;
    };
    let mut get = Match::new();
    let mut lookup = Match::new();
    if b.ip.contains('.') {
        let Ok(ip) = b.ip.parse::<Ipv4Addr>() else {
            tracing::warn!(ip = %b.ip, "bad 'ip' in MAC binding");
            return out.flows;
        };
        exact(&mut get, Field::reg(0), u32::from(ip));
        exact(&mut lookup, Field::reg(0), u32::from(ip));
        exact(&mut lookup, Field::ETH_TYPE, 0x0806u16);
    } else {
        let Ok(ip) = b.ip.parse::<Ipv6Addr>() else {
            tracing::warn!(ip = %b.ip, "bad 'ip' in MAC binding");
            return out.flows;
        };
        exact(&mut get, Field::xxreg(0), u128::from(ip));
        exact(&mut lookup, Field::xxreg(0), u128::from(ip));
        exact(&mut lookup, Field::ETH_TYPE, 0x86ddu16);
        exact(&mut lookup, Field::IP_PROTO, 58u8);
        exact(&mut lookup, Field::ICMPV6_CODE, 0u8);
    }
    exact(&mut get, LOG_DATAPATH, u64::from(pb.datapath));
    exact(&mut get, LOG_OUTPORT, pb.tunnel_key);
    exact(&mut lookup, LOG_DATAPATH, u64::from(pb.datapath));
    exact(&mut lookup, LOG_INPORT, pb.tunnel_key);

    let mut acts = vec![Ofpact::load(Field::ETH_DST, 0, 48, mac_u64(mac))];
    set_flag(&mut acts, MLF_LOOKUP_MAC_BIT);
    out.add(OFTABLE_MAC_BINDING, b.priority(), b.uuid, get, acts);

    let mut acts = Vec::new();
    set_flag(&mut acts, MLF_LOOKUP_MAC_BIT);
    exact(&mut lookup, Field::ETH_SRC, mac);
    out.add(OFTABLE_MAC_LOOKUP, b.priority(), b.uuid, lookup, acts);
    out.flows
}

pub(crate) fn mac_u64(mac: [u8; 6]) -> u64 {
    mac.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::PortBinding;
    use crate::physical::LocalDatapath;

    #[test]
    fn ipv4_and_ipv6_bindings() {
        let mut input = PhysicalInput::default();
        input.port_bindings.insert(
            "lr-ls1".into(),
            PortBinding {
                logical_port: "lr-ls1".into(),
                datapath: 2,
                tunnel_key: 1,
                ..PortBinding::default()
            },
        );
        input.local_datapaths.insert(
            2,
            LocalDatapath {
                key: 2,
                ..LocalDatapath::default()
            },
        );
        let b = MacBinding {
            uuid: 0x1234_5678_0000_4000_8000_0000_0000_0000,
            logical_port: "lr-ls1".into(),
            ip: "10.0.1.50".into(),
            mac: "00:00:00:00:01:50".into(),
            static_override: None,
        };
        let t: Vec<String> = neighbor_flows(&input, &b)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            t,
            [
                "cookie=0x12345678, table=66, priority=100,reg0=0xa000132,reg15=0x1,metadata=0x2 actions=set_field:00:00:00:00:01:50->eth_dst,set_field:0x40/0x40->reg10",
                "cookie=0x12345678, table=67, priority=100,arp,reg0=0xa000132,reg14=0x1,metadata=0x2,dl_src=00:00:00:00:01:50 actions=set_field:0x40/0x40->reg10",
            ]
        );
        let v6 = MacBinding {
            ip: "fd00::50".into(),
            static_override: Some(false),
            ..b.clone()
        };
        let t: Vec<String> = neighbor_flows(&input, &v6)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            t[0].contains("priority=50,reg0=0xfd000000,reg1=0,reg2=0,reg3=0x50,"),
            "{t:?}"
        );
        assert!(t[1].contains("icmp6,"), "{t:?}");
        for bad in [
            MacBinding {
                mac: "nope".into(),
                ..b.clone()
            },
            MacBinding {
                ip: "10.0.1".into(),
                ..b.clone()
            },
            MacBinding {
                ip: "fd00:::1".into(),
                ..b.clone()
            },
            MacBinding {
                logical_port: "other".into(),
                ..b
            },
        ] {
            assert!(neighbor_flows(&input, &bad).is_empty(), "{bad:?}");
        }
    }
}
