//! Table 0 for packets arriving on tunnels (physical_run): decapsulate the logical metadata and
//! go to local output; VXLAN's 12-bit multicast keys; VTEP ramp switches.

use openflow::field::Field;
use openflow::flow_match::Match;
use tunnel::EncapType;

use super::common::*;
use super::consts::*;
use super::flow::HARDCODED_SOURCE;
use super::input::PhysicalInput;
use super::ofpact::Ofpact;
use crate::binding::PortType;

/// Appends the tunnel flows of table 0 to `out`.
pub fn tunnel_flows(input: &PhysicalInput, out: &mut Flows) {
    let geneve = input.geneve_field;
    for tun in input.tunnels.iter() {
        let mut m = Match::new();
        exact(&mut m, Field::IN_PORT, tun.ofport);
        let mut acts = match tun.encap_type {
            EncapType::Geneve => vec![
                Ofpact::move_bits(Field::TUN_ID, 0, LOG_DATAPATH, 0, 24),
                Ofpact::move_bits(geneve, 16, LOG_INPORT, 0, 15),
                Ofpact::move_bits(geneve, 0, LOG_OUTPORT, 0, 16),
            ],
            EncapType::Stt => vec![
                Ofpact::move_bits(Field::TUN_ID, 40, LOG_INPORT, 0, 15),
                Ofpact::move_bits(Field::TUN_ID, 24, LOG_OUTPORT, 0, 16),
                Ofpact::move_bits(Field::TUN_ID, 0, LOG_DATAPATH, 0, 24),
            ],
            // VXLAN carries no input port: the VNI is split into datapath and output port.
            EncapType::Vxlan => vec![
                Ofpact::move_bits(Field::TUN_ID, 12, LOG_OUTPORT, 0, 12),
                Ofpact::move_bits(Field::TUN_ID, 0, LOG_DATAPATH, 0, 12),
            ],
        };
        resubmit(&mut acts, OFTABLE_LOCAL_OUTPUT);
        out.add_with(OFTABLE_PHY_TO_LOG, 100, 0, HARDCODED_SOURCE, m, acts);
    }

    for tun in input
        .tunnels
        .iter()
        .filter(|t| t.encap_type == EncapType::Vxlan)
    {
        // A 12-bit multicast key (0x800 | low bits) gets bit 15 back.
        let mcast = u64::from(OVN_VXLAN_MIN_MULTICAST) << 12;
        let mut m = Match::new();
        exact(&mut m, Field::IN_PORT, tun.ofport);
        masked(&mut m, Field::TUN_ID, mcast, mcast);
        let acts = vec![
            Ofpact::load(LOG_OUTPORT, 15, 1, 1),
            Ofpact::move_bits(Field::TUN_ID, 12, LOG_OUTPORT, 0, 11),
            Ofpact::move_bits(Field::TUN_ID, 0, LOG_DATAPATH, 0, 12),
            Ofpact::Resubmit(OFTABLE_LOCAL_OUTPUT),
        ];
        out.add_with(OFTABLE_PHY_TO_LOG, 105, 0, HARDCODED_SOURCE, m, acts);
    }

    for tun in input
        .tunnels
        .iter()
        .filter(|t| t.encap_type == EncapType::Vxlan)
    {
        for pb in input.port_bindings.values() {
            if pb.ty != PortType::Vtep || pb.chassis.as_deref() != Some(tun.id.chassis.as_str()) {
                continue;
            }
            // A hardware VTEP's VNI is the datapath key alone; the packet enters the logical
            // ingress pipeline as coming from the gateway's logical port.
            let mut m = Match::new();
            exact(&mut m, Field::IN_PORT, tun.ofport);
            exact(&mut m, Field::TUN_ID, u64::from(pb.datapath));
            let acts = vec![
                Ofpact::move_bits(Field::TUN_ID, 0, LOG_DATAPATH, 0, 24),
                Ofpact::load(LOG_INPORT, 0, 15, u64::from(pb.tunnel_key)),
                Ofpact::load(LOG_FLAGS, u16::from(MLF_RCV_FROM_RAMP_BIT), 1, 1),
                Ofpact::Resubmit(OFTABLE_LOG_INGRESS_PIPELINE),
            ];
            let cookie = super::flow::cookie_of(pb.uuid);
            out.add_with(OFTABLE_PHY_TO_LOG, 110, cookie, HARDCODED_SOURCE, m, acts);
        }
    }
}

/// The remote chassis MACs as the first clause of the chassis-MAC conjunction (table 0 p180,
/// `put_chassis_mac_conj_id_flow`).
pub fn chassis_mac_flows(input: &PhysicalInput, out: &mut Flows) {
    for mac in &input.remote_chassis_macs {
        let mut m = Match::new();
        exact(&mut m, Field::ETH_SRC, mac.mac);
        let conj = Ofpact::Conjunction {
            id: CHASSIS_MAC_TO_ROUTER_MAC_CONJID,
            clause: 0,
            n_clauses: 2,
        };
        let cookie = super::flow::cookie_of(mac.chassis_uuid);
        out.add_with(
            OFTABLE_PHY_TO_LOG,
            180,
            cookie,
            HARDCODED_SOURCE,
            m,
            vec![conj],
        );
    }
}
