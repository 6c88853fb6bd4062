//! `NXT_SET_PACKET_IN_FORMAT` (NX subtype 16): which packet-in message the switch sends.

/// Packet-in format (`NXPIF_*`). OVN's pinctrl asks for `NXT_PACKET_IN2` to get continuations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketInFormat(pub u32);

impl PacketInFormat {
    /// The standard OpenFlow `OFPT_PACKET_IN`.
    pub const STANDARD: PacketInFormat = PacketInFormat(0);
    /// `NXT_PACKET_IN` (legacy NX).
    pub const NXT_PACKET_IN: PacketInFormat = PacketInFormat(1);
    /// `NXT_PACKET_IN2` (properties, continuations).
    pub const NXT_PACKET_IN2: PacketInFormat = PacketInFormat(2);
}
