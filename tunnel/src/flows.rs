//! Tunnel-related OpenFlow intent as data (physical.c): the table-0 flows that decapsulate
//! packets arriving on a tunnel into logical datapath/inport/outport, and the actions that
//! encapsulate a packet towards a chassis. `Display` renders ovs-ofctl's text (as
//! `ovs-ofctl -O OpenFlow15 dump-flows --no-stats` prints it, which `add-flow` also accepts), so
//! the agent can log or convert them and tests can compare against a real switch.

use std::fmt;

use crate::chassis_tunnel::ChassisTunnel;
use crate::encap::EncapType;

/// Physical-to-logical classification (`OFTABLE_PHY_TO_LOG`).
pub const OFTABLE_PHY_TO_LOG: u8 = 0;
/// First logical ingress table (`OFTABLE_LOG_INGRESS_PIPELINE`).
pub const OFTABLE_LOG_INGRESS_PIPELINE: u8 = 8;
/// Delivery to local ports (`OFTABLE_LOCAL_OUTPUT`): tunnel traffic skips the ingress pipeline,
/// the sender already ran it.
pub const OFTABLE_LOCAL_OUTPUT: u8 = 40;

/// First multicast port key (`OVN_MIN_MULTICAST`).
pub const OVN_MIN_MULTICAST: u16 = 32768;
/// First multicast key in VXLAN's 12-bit port space (`OVN_VXLAN_MIN_MULTICAST`).
pub const OVN_VXLAN_MIN_MULTICAST: u16 = 2048;
/// `MLF_RCV_FROM_RAMP_BIT` of the logical flags register.
pub const MLF_RCV_FROM_RAMP_BIT: u16 = 1;

/// The fields these flows touch. Logical datapath = metadata, logical flags = reg10, logical
/// inport = reg14, logical outport = reg15 (include/ovn/logical-fields.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    TunId,
    Metadata,
    Reg(u8),
    /// `tun_metadata<index>` mapped to the OVN option (4 bytes wide).
    TunMetadata(u16),
}

pub const MFF_LOG_DATAPATH: Field = Field::Metadata;
pub const MFF_LOG_FLAGS: Field = Field::Reg(10);
pub const MFF_LOG_INPORT: Field = Field::Reg(14);
pub const MFF_LOG_OUTPORT: Field = Field::Reg(15);

impl Field {
    pub fn n_bits(self) -> u16 {
        match self {
            Field::TunId | Field::Metadata => 64,
            Field::Reg(_) => 32,
            Field::TunMetadata(_) => u16::from(crate::tlv::OVN_GENEVE_LEN) * 8,
        }
    }
}

/// `field[ofs..ofs+n_bits-1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubField {
    pub field: Field,
    pub ofs: u16,
    pub n_bits: u16,
}

impl SubField {
    pub const fn new(field: Field, ofs: u16, n_bits: u16) -> Self {
        SubField { field, ofs, n_bits }
    }

    fn mask(self) -> u64 {
        let ones = if self.n_bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.n_bits) - 1
        };
        ones.checked_shl(u32::from(self.ofs)).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `move:src->dst` (NXAST_REG_MOVE), equal widths.
    Move {
        src: SubField,
        dst: SubField,
    },
    /// Load `value` into `dst` (OVN's `put_load`; a masked set_field in OpenFlow 1.5).
    Load {
        value: u64,
        dst: SubField,
    },
    Resubmit {
        table: u8,
    },
}

/// One flow of table 0 (or another table) matching a tunnel's in_port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TunnelFlow {
    pub table: u8,
    pub priority: u16,
    pub cookie: u64,
    pub in_port: u16,
    /// `(value, mask)`; mask `u64::MAX` is an exact match.
    pub tun_id: Option<(u64, u64)>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error(
        "Geneve tunnel {port} (ofport {ofport}) needs the OVN Geneve option, which has no \
         tun_metadata mapping"
    )]
    NoGeneveOption { port: String, ofport: u16 },
}

const fn mv(src: SubField, dst: SubField) -> Action {
    Action::Move { src, dst }
}

/// The table-0 flows for packets arriving on `tun` (physical.c, "Table 0, priority 100/105"):
/// - Geneve: VNI[0..23] → datapath, option[16..30] → inport, option[0..15] → outport;
/// - STT: key[40..54] → inport, key[24..39] → outport, key[0..23] → datapath;
/// - VXLAN: VNI[12..23] → outport[0..11], VNI[0..11] → datapath; plus, at priority 105, VNIs
///   with bit 23 set are 12-bit multicast keys restored to outport bit 15 + VNI[12..22].
///
/// All resubmit to the local output table. `geneve_index` is the OVN option's tun_metadata
/// index from [`crate::ovn_tlv_mapping`].
pub fn decap_flows(
    tun: &ChassisTunnel,
    geneve_index: Option<u16>,
) -> Result<Vec<TunnelFlow>, FlowError> {
    use Field::TunId;
    let resubmit = Action::Resubmit {
        table: OFTABLE_LOCAL_OUTPUT,
    };
    let flow = |priority, tun_id, actions| TunnelFlow {
        table: OFTABLE_PHY_TO_LOG,
        priority,
        cookie: 0,
        in_port: tun.ofport,
        tun_id,
        actions,
    };
    Ok(match tun.encap_type {
        EncapType::Geneve => {
            let Some(idx) = geneve_index else {
                return Err(FlowError::NoGeneveOption {
                    port: tun.port_name.clone(),
                    ofport: tun.ofport,
                });
            };
            let opt = Field::TunMetadata(idx);
            vec![flow(
                100,
                None,
                vec![
                    mv(
                        SubField::new(TunId, 0, 24),
                        SubField::new(MFF_LOG_DATAPATH, 0, 24),
                    ),
                    mv(
                        SubField::new(opt, 16, 15),
                        SubField::new(MFF_LOG_INPORT, 0, 15),
                    ),
                    mv(
                        SubField::new(opt, 0, 16),
                        SubField::new(MFF_LOG_OUTPORT, 0, 16),
                    ),
                    resubmit,
                ],
            )]
        }
        EncapType::Stt => vec![flow(
            100,
            None,
            vec![
                mv(
                    SubField::new(TunId, 40, 15),
                    SubField::new(MFF_LOG_INPORT, 0, 15),
                ),
                mv(
                    SubField::new(TunId, 24, 16),
                    SubField::new(MFF_LOG_OUTPORT, 0, 16),
                ),
                mv(
                    SubField::new(TunId, 0, 24),
                    SubField::new(MFF_LOG_DATAPATH, 0, 24),
                ),
                resubmit,
            ],
        )],
        EncapType::Vxlan => {
            let mcast = u64::from(OVN_VXLAN_MIN_MULTICAST) << 12;
            vec![
                flow(
                    100,
                    None,
                    vec![
                        mv(
                            SubField::new(TunId, 12, 12),
                            SubField::new(MFF_LOG_OUTPORT, 0, 12),
                        ),
                        mv(
                            SubField::new(TunId, 0, 12),
                            SubField::new(MFF_LOG_DATAPATH, 0, 12),
                        ),
                        resubmit,
                    ],
                ),
                flow(
                    105,
                    Some((mcast, mcast)),
                    vec![
                        Action::Load {
                            value: 1,
                            dst: SubField::new(MFF_LOG_OUTPORT, 15, 1),
                        },
                        mv(
                            SubField::new(TunId, 12, 11),
                            SubField::new(MFF_LOG_OUTPORT, 0, 11),
                        ),
                        mv(
                            SubField::new(TunId, 0, 12),
                            SubField::new(MFF_LOG_DATAPATH, 0, 12),
                        ),
                        resubmit,
                    ],
                ),
            ]
        }
    })
}

/// The priority-110 flow for a VXLAN "ramp switch" (hardware VTEP) port binding reached through
/// `tun`: VNI = datapath key, the binding becomes the inport, flagged as received from a ramp,
/// then the ingress pipeline runs. `None` for non-VXLAN tunnels. Upstream's cookie is the first
/// 32 bits of the Port_Binding UUID.
pub fn ramp_switch_flow(
    tun: &ChassisTunnel,
    datapath_key: u32,
    port_key: u16,
    cookie: u64,
) -> Option<TunnelFlow> {
    (tun.encap_type == EncapType::Vxlan).then(|| TunnelFlow {
        table: OFTABLE_PHY_TO_LOG,
        priority: 110,
        cookie,
        in_port: tun.ofport,
        tun_id: Some((u64::from(datapath_key), u64::MAX)),
        actions: vec![
            mv(
                SubField::new(Field::TunId, 0, 24),
                SubField::new(MFF_LOG_DATAPATH, 0, 24),
            ),
            Action::Load {
                value: u64::from(port_key),
                dst: SubField::new(MFF_LOG_INPORT, 0, 15),
            },
            Action::Load {
                value: 1,
                dst: SubField::new(MFF_LOG_FLAGS, MLF_RCV_FROM_RAMP_BIT, 1),
            },
            Action::Resubmit {
                table: OFTABLE_LOG_INGRESS_PIPELINE,
            },
        ],
    })
}

/// The actions that encapsulate a packet for logical `outport` of datapath `datapath_key`
/// towards a tunnel of type `encap` (physical.c `put_encapsulation`); the caller appends the
/// output to the tunnel port.
pub fn encapsulation_actions(
    encap: EncapType,
    geneve_index: Option<u16>,
    datapath_key: u32,
    outport: u16,
    is_ramp_switch: bool,
) -> Option<Vec<Action>> {
    use Field::TunId;
    let dp = u64::from(datapath_key);
    Some(match encap {
        EncapType::Geneve => {
            let opt = Field::TunMetadata(geneve_index?);
            vec![
                Action::Load {
                    value: dp,
                    dst: SubField::new(TunId, 0, 24),
                },
                Action::Load {
                    value: u64::from(outport),
                    dst: SubField::new(opt, 0, 32),
                },
                mv(
                    SubField::new(MFF_LOG_INPORT, 0, 15),
                    SubField::new(opt, 16, 15),
                ),
            ]
        }
        EncapType::Stt => vec![
            Action::Load {
                value: dp | (u64::from(outport) << 24),
                dst: SubField::new(TunId, 0, 64),
            },
            mv(
                SubField::new(MFF_LOG_INPORT, 0, 15),
                SubField::new(TunId, 40, 15),
            ),
        ],
        EncapType::Vxlan => {
            let mut vni = dp;
            if !is_ramp_switch {
                vni |= u64::from(vxlan_port_key(outport)) << 12;
            }
            vec![Action::Load {
                value: vni,
                dst: SubField::new(TunId, 0, 24),
            }]
        }
    })
}

/// Maps a 16-bit port key to VXLAN's 12 bits: multicast keys keep their low 11 bits under the
/// 12-bit multicast bit (physical.c `get_vxlan_port_key`); unicast keys pass unchanged (northd
/// keeps them below 2048 in VXLAN mode).
pub fn vxlan_port_key(port_key: u16) -> u16 {
    if port_key >= OVN_MIN_MULTICAST {
        OVN_VXLAN_MIN_MULTICAST | (port_key & (OVN_VXLAN_MIN_MULTICAST - 1))
    } else {
        port_key
    }
}

impl Field {
    /// The name ovs-ofctl uses in `move:` subfields.
    fn nxm_name(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::TunId => f.write_str("NXM_NX_TUN_ID"),
            Field::Metadata => f.write_str("OXM_OF_METADATA"),
            Field::Reg(n) => write!(f, "NXM_NX_REG{n}"),
            Field::TunMetadata(n) => write!(f, "NXM_NX_TUN_METADATA{n}"),
        }
    }

    /// The name ovs-ofctl uses in `set_field:` and matches.
    fn short_name(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::TunId => f.write_str("tun_id"),
            Field::Metadata => f.write_str("metadata"),
            Field::Reg(n) => write!(f, "reg{n}"),
            Field::TunMetadata(n) => write!(f, "tun_metadata{n}"),
        }
    }
}

impl fmt::Display for SubField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.field.nxm_name(f)?;
        if self.ofs == 0 && self.n_bits == self.field.n_bits() {
            f.write_str("[]")
        } else if self.n_bits == 1 {
            write!(f, "[{}]", self.ofs)
        } else {
            let last = u32::from(self.ofs) + u32::from(self.n_bits).saturating_sub(1);
            write!(f, "[{}..{last}]", self.ofs)
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Move { src, dst } => write!(f, "move:{src}->{dst}"),
            Action::Load { value, dst } => {
                let mask = dst.mask();
                let v = value.checked_shl(u32::from(dst.ofs)).unwrap_or(0) & mask;
                write!(f, "set_field:{v:#x}")?;
                if dst.ofs != 0 || dst.n_bits != dst.field.n_bits() {
                    write!(f, "/{mask:#x}")?;
                }
                f.write_str("->")?;
                dst.field.short_name(f)
            }
            Action::Resubmit { table } => write!(f, "resubmit(,{table})"),
        }
    }
}

impl fmt::Display for TunnelFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cookie != 0 {
            write!(f, "cookie={:#x}, ", self.cookie)?;
        }
        if self.table != 0 {
            write!(f, "table={}, ", self.table)?;
        }
        write!(f, "priority={}", self.priority)?;
        if let Some((value, mask)) = self.tun_id {
            write!(f, ",tun_id={value:#x}")?;
            if mask != u64::MAX {
                write!(f, "/{mask:#x}")?;
            }
        }
        write!(f, ",in_port={} actions=", self.in_port)?;
        for (i, a) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel_id::TunnelId;

    fn tun(t: EncapType, ofport: u16) -> ChassisTunnel {
        ChassisTunnel {
            id: TunnelId::new("hv2", "10.0.0.2"),
            encap_type: t,
            ofport,
            port_name: "ovn-hv2-0".into(),
        }
    }

    fn text(flows: &[TunnelFlow]) -> Vec<String> {
        flows.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn geneve_decap() {
        let flows = decap_flows(&tun(EncapType::Geneve, 1), Some(0)).unwrap();
        assert_eq!(
            text(&flows),
            [
                "priority=100,in_port=1 actions=move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],\
              move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14],\
              move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15],resubmit(,40)"
            ]
        );
        let flows = decap_flows(&tun(EncapType::Geneve, 3), Some(7)).unwrap();
        assert!(
            flows[0]
                .to_string()
                .contains("NXM_NX_TUN_METADATA7[16..30]")
        );
        assert_eq!(
            decap_flows(&tun(EncapType::Geneve, 3), None),
            Err(FlowError::NoGeneveOption {
                port: "ovn-hv2-0".into(),
                ofport: 3
            })
        );
    }

    #[test]
    fn stt_and_vxlan_decap() {
        assert_eq!(
            text(&decap_flows(&tun(EncapType::Stt, 2), None).unwrap()),
            [
                "priority=100,in_port=2 actions=move:NXM_NX_TUN_ID[40..54]->NXM_NX_REG14[0..14],\
              move:NXM_NX_TUN_ID[24..39]->NXM_NX_REG15[0..15],\
              move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],resubmit(,40)"
            ]
        );
        assert_eq!(
            text(&decap_flows(&tun(EncapType::Vxlan, 4), None).unwrap()),
            [
                "priority=100,in_port=4 actions=move:NXM_NX_TUN_ID[12..23]->NXM_NX_REG15[0..11],\
                 move:NXM_NX_TUN_ID[0..11]->OXM_OF_METADATA[0..11],resubmit(,40)",
                "priority=105,tun_id=0x800000/0x800000,in_port=4 actions=\
                 set_field:0x8000/0x8000->reg15,move:NXM_NX_TUN_ID[12..22]->NXM_NX_REG15[0..10],\
                 move:NXM_NX_TUN_ID[0..11]->OXM_OF_METADATA[0..11],resubmit(,40)",
            ]
        );
    }

    #[test]
    fn ramp_switch() {
        assert_eq!(ramp_switch_flow(&tun(EncapType::Geneve, 1), 5, 3, 0), None);
        assert_eq!(
            ramp_switch_flow(&tun(EncapType::Vxlan, 1), 5, 3, 0xab)
                .unwrap()
                .to_string(),
            "cookie=0xab, priority=110,tun_id=0x5,in_port=1 actions=\
             move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],set_field:0x3/0x7fff->reg14,\
             set_field:0x2/0x2->reg10,resubmit(,8)"
        );
    }

    #[test]
    fn encapsulation() {
        let s = |a: Option<Vec<Action>>| {
            a.unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            s(encapsulation_actions(
                EncapType::Geneve,
                Some(0),
                1,
                2,
                false
            )),
            "set_field:0x1/0xffffff->tun_id,set_field:0x2->tun_metadata0,\
             move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30]"
        );
        assert_eq!(
            encapsulation_actions(EncapType::Geneve, None, 1, 2, false),
            None
        );
        assert_eq!(
            s(encapsulation_actions(EncapType::Stt, None, 1, 2, false)),
            "set_field:0x2000001->tun_id,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_ID[40..54]"
        );
        assert_eq!(
            s(encapsulation_actions(
                EncapType::Vxlan,
                None,
                0x10,
                5,
                false
            )),
            "set_field:0x5010/0xffffff->tun_id"
        );
        assert_eq!(
            s(encapsulation_actions(
                EncapType::Vxlan,
                None,
                0x10,
                32768,
                false
            )),
            "set_field:0x800010/0xffffff->tun_id"
        );
        assert_eq!(
            s(encapsulation_actions(EncapType::Vxlan, None, 0x10, 5, true)),
            "set_field:0x10/0xffffff->tun_id"
        );
    }

    fn field() -> impl proptest::strategy::Strategy<Value = Field> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Field::TunId),
            Just(Field::Metadata),
            any::<u8>().prop_map(Field::Reg),
            any::<u16>().prop_map(Field::TunMetadata),
        ]
    }

    proptest::proptest! {
        #[test]
        fn rendering_never_panics(
            f in field(), ofs: u16, n_bits: u16, value: u64, g in field(), table: u8,
            priority: u16, cookie: u64, in_port: u16, tun_id: Option<(u64, u64)>,
        ) {
            let sf = SubField::new(f, ofs, n_bits);
            let flow = TunnelFlow {
                table, priority, cookie, in_port, tun_id,
                actions: vec![
                    Action::Load { value, dst: sf },
                    Action::Move { src: sf, dst: SubField::new(g, n_bits, ofs) },
                    Action::Resubmit { table },
                ],
            };
            let text = flow.to_string();
            proptest::prop_assert!(text.contains(" actions="));
        }
    }

    #[test]
    fn vxlan_keys() {
        for (k, want) in [
            (0, 0),
            (5, 5),
            (2047, 2047),
            (32768, 2048),
            (32769, 2049),
            (65535, 4095),
        ] {
            assert_eq!(vxlan_port_key(k), want, "{k}");
        }
    }
}
