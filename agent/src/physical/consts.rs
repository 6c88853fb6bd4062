//! OpenFlow tables, logical registers and flag bits of ovn-controller 23.03 (controller/lflow.h,
//! include/ovn/logical-fields.h) that the physical flows use.

use openflow::field::Field;

/// Physical to logical: classify the input port.
pub const OFTABLE_PHY_TO_LOG: u8 = 0;
/// First table of the logical ingress pipeline.
pub const OFTABLE_LOG_INGRESS_PIPELINE: u8 = 8;
/// `output;` from ingress enters here: oversize detection for multichassis ports.
pub const OFTABLE_OUTPUT_LARGE_PKT_DETECT: u8 = 37;
/// ICMP "too big" replies for oversize packets.
pub const OFTABLE_OUTPUT_LARGE_PKT_PROCESS: u8 = 38;
/// Output to other chassis (tunnels).
pub const OFTABLE_REMOTE_OUTPUT: u8 = 39;
/// Output to this chassis.
pub const OFTABLE_LOCAL_OUTPUT: u8 = 40;
/// Loopback check before the egress pipeline.
pub const OFTABLE_CHECK_LOOPBACK: u8 = 41;
/// First table of the logical egress pipeline.
pub const OFTABLE_LOG_EGRESS_PIPELINE: u8 = 42;
/// Egress `output;` target: hairpin handling.
pub const OFTABLE_SAVE_INPORT: u8 = 64;
/// Logical to physical: deliver to the port.
pub const OFTABLE_LOG_TO_PHY: u8 = 65;

/// `MFF_LOG_DATAPATH`.
pub const LOG_DATAPATH: Field = Field::METADATA;
/// `MFF_LOG_FLAGS`.
pub const LOG_FLAGS: Field = Field::reg(10);
/// `MFF_LOG_DNAT_ZONE`.
pub const LOG_DNAT_ZONE: Field = Field::reg(11);
/// `MFF_LOG_SNAT_ZONE`.
pub const LOG_SNAT_ZONE: Field = Field::reg(12);
/// `MFF_LOG_CT_ZONE`.
pub const LOG_CT_ZONE: Field = Field::reg(13);
/// `MFF_LOG_INPORT`.
pub const LOG_INPORT: Field = Field::reg(14);
/// `MFF_LOG_OUTPORT`.
pub const LOG_OUTPORT: Field = Field::reg(15);
/// `MFF_N_LOG_REGS`: reg0..reg9 are the logical scratch registers.
pub const N_LOG_REGS: u8 = 10;

/// `MLF_ALLOW_LOOPBACK_BIT`.
pub const MLF_ALLOW_LOOPBACK_BIT: u8 = 0;
/// `MLF_RCV_FROM_RAMP_BIT`.
pub const MLF_RCV_FROM_RAMP_BIT: u8 = 1;
/// `MLF_LOCAL_ONLY_BIT`.
pub const MLF_LOCAL_ONLY_BIT: u8 = 4;
/// `MLF_NESTED_CONTAINER_BIT`.
pub const MLF_NESTED_CONTAINER_BIT: u8 = 5;
/// `MLF_LOCALPORT_BIT`.
pub const MLF_LOCALPORT_BIT: u8 = 10;

/// `MLF_ALLOW_LOOPBACK`.
pub const MLF_ALLOW_LOOPBACK: u32 = 1 << MLF_ALLOW_LOOPBACK_BIT;
/// `MLF_RCV_FROM_RAMP`.
pub const MLF_RCV_FROM_RAMP: u32 = 1 << MLF_RCV_FROM_RAMP_BIT;
/// `MLF_LOCAL_ONLY`.
pub const MLF_LOCAL_ONLY: u32 = 1 << MLF_LOCAL_ONLY_BIT;
/// `MLF_NESTED_CONTAINER`.
pub const MLF_NESTED_CONTAINER: u32 = 1 << MLF_NESTED_CONTAINER_BIT;
/// `MLF_LOCALPORT`.
pub const MLF_LOCALPORT: u32 = 1 << MLF_LOCALPORT_BIT;

/// First multicast port key (`OVN_MIN_MULTICAST`).
pub const OVN_MIN_MULTICAST: u32 = 32768;
/// First multicast key in the 12-bit VXLAN port space (`OVN_VXLAN_MIN_MULTICAST`).
pub const OVN_VXLAN_MIN_MULTICAST: u32 = 2048;

/// OpenFlow 1.0 `OFPP_NONE` (printed `ANY` in OpenFlow 1.5).
pub const OFPP_NONE: u16 = 0xffff;

/// `CHASSIS_MAC_TO_ROUTER_MAC_CONJID`.
pub const CHASSIS_MAC_TO_ROUTER_MAC_CONJID: u32 = 100;

/// 802.1Q TPID.
pub const ETH_TYPE_VLAN_8021Q: u16 = 0x8100;
/// 802.1ad TPID (the `ethtype=802.11ad` option of a localnet port, spelled as upstream does).
pub const ETH_TYPE_VLAN_8021AD: u16 = 0x88a8;
/// `VLAN_CFI`: the "a VLAN header is present" bit of `vlan_tci`.
pub const VLAN_CFI: u16 = 0x1000;
/// RARP ethertype (activation-strategy=rarp).
pub const ETH_TYPE_RARP: u16 = 0x8035;
