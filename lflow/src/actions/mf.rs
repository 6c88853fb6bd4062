//! `MfField`: the OpenFlow fields (OVS `enum mf_field_id`) that OVN's symbol table and actions
//! touch, with the three names OVS prints them under and their OpenFlow 1.5 wire header.
//!
//! This is the thin internal stand-in for `openflow::field` while that crate is being written;
//! only the facts the action encoder needs are here (names, widths, value formatting, OXM/NXM
//! header).

use std::fmt;

/// How `ovs-ofctl` prints a value of the field (OVS `enum mf_string`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfFormat {
    /// Decimal integer (masks in hex).
    Decimal,
    /// `0x…` (or `0`).
    Hex,
    /// `aa:bb:cc:dd:ee:ff`.
    Ethernet,
    /// Dotted quad.
    Ipv4,
    /// RFC 5952 text.
    Ipv6,
    /// Formats we never load into (ct_state, ip_frag, tcp_flags); printed as hex.
    Other,
}

/// One OpenFlow field.  Registers carry their index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MfField {
    /// `reg0`..`reg15` (NXM_NX_REG*).
    Reg(u8),
    /// `xreg0`..`xreg7` (OXM_OF_PKT_REG*).
    XReg(u8),
    /// `xxreg0`..`xxreg3` (NXM_NX_XXREG*).
    XxReg(u8),
    /// Fixed (non-register) fields, indexed into `FIXED`.
    Fixed(Fixed),
}

/// The non-register fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Fixed {
    Metadata,
    InPort,
    PktMark,
    CtState,
    CtZone,
    CtMark,
    CtLabel,
    EthSrc,
    EthDst,
    EthType,
    VlanTci,
    Ipv4Src,
    Ipv4Dst,
    Ipv6Src,
    Ipv6Dst,
    Ipv6Label,
    IpProto,
    IpDscp,
    IpDscpShifted,
    IpEcn,
    IpTtl,
    IpFrag,
    ArpOp,
    ArpSpa,
    ArpTpa,
    ArpSha,
    ArpTha,
    TcpSrc,
    TcpDst,
    TcpFlags,
    UdpSrc,
    UdpDst,
    SctpSrc,
    SctpDst,
    Icmpv4Type,
    Icmpv4Code,
    Icmpv6Type,
    Icmpv6Code,
    NdTarget,
    NdSll,
    NdTll,
    ConjId,
}

/// Static facts of a fixed field.
struct Info {
    id: Fixed,
    /// OVS `mf_field.name` (used by `set_field:…->NAME` and OVN's group strings).
    name: &'static str,
    n_bits: u16,
    /// Bytes of the value (`mf_field.n_bytes`).
    n_bytes: u8,
    format: MfFormat,
    /// NXM name and (class, field) if the field has an NXM code.
    nxm: Option<(&'static str, u16, u8)>,
    /// OXM name and field number (class 0x8000) if it has an OpenFlow 1.2–1.5 OXM.
    oxm: Option<(&'static str, u8)>,
}

macro_rules! info {
    ($id:ident, $name:literal, $bits:literal, $bytes:literal, $fmt:ident, $nxm:expr, $oxm:expr) => {
        Info {
            id: Fixed::$id,
            name: $name,
            n_bits: $bits,
            n_bytes: $bytes,
            format: MfFormat::$fmt,
            nxm: $nxm,
            oxm: $oxm,
        }
    };
}

const FIXED: &[Info] = &[
    info!(
        Metadata,
        "metadata",
        64,
        8,
        Hex,
        None,
        Some(("OXM_OF_METADATA", 2))
    ),
    info!(
        InPort,
        "in_port",
        16,
        2,
        Decimal,
        Some(("NXM_OF_IN_PORT", 0, 0)),
        None
    ),
    info!(
        PktMark,
        "pkt_mark",
        32,
        4,
        Hex,
        Some(("NXM_NX_PKT_MARK", 1, 33)),
        None
    ),
    info!(
        CtState,
        "ct_state",
        32,
        4,
        Other,
        Some(("NXM_NX_CT_STATE", 1, 105)),
        None
    ),
    info!(
        CtZone,
        "ct_zone",
        16,
        2,
        Hex,
        Some(("NXM_NX_CT_ZONE", 1, 106)),
        None
    ),
    info!(
        CtMark,
        "ct_mark",
        32,
        4,
        Hex,
        Some(("NXM_NX_CT_MARK", 1, 107)),
        None
    ),
    info!(
        CtLabel,
        "ct_label",
        128,
        16,
        Hex,
        Some(("NXM_NX_CT_LABEL", 1, 108)),
        None
    ),
    info!(
        EthSrc,
        "eth_src",
        48,
        6,
        Ethernet,
        Some(("NXM_OF_ETH_SRC", 0, 2)),
        Some(("OXM_OF_ETH_SRC", 4))
    ),
    info!(
        EthDst,
        "eth_dst",
        48,
        6,
        Ethernet,
        Some(("NXM_OF_ETH_DST", 0, 1)),
        Some(("OXM_OF_ETH_DST", 3))
    ),
    info!(
        EthType,
        "eth_type",
        16,
        2,
        Hex,
        Some(("NXM_OF_ETH_TYPE", 0, 3)),
        Some(("OXM_OF_ETH_TYPE", 5))
    ),
    info!(
        VlanTci,
        "vlan_tci",
        16,
        2,
        Hex,
        Some(("NXM_OF_VLAN_TCI", 0, 4)),
        None
    ),
    info!(
        Ipv4Src,
        "ip_src",
        32,
        4,
        Ipv4,
        Some(("NXM_OF_IP_SRC", 0, 7)),
        Some(("OXM_OF_IPV4_SRC", 11))
    ),
    info!(
        Ipv4Dst,
        "ip_dst",
        32,
        4,
        Ipv4,
        Some(("NXM_OF_IP_DST", 0, 8)),
        Some(("OXM_OF_IPV4_DST", 12))
    ),
    info!(
        Ipv6Src,
        "ipv6_src",
        128,
        16,
        Ipv6,
        Some(("NXM_NX_IPV6_SRC", 1, 19)),
        Some(("OXM_OF_IPV6_SRC", 26))
    ),
    info!(
        Ipv6Dst,
        "ipv6_dst",
        128,
        16,
        Ipv6,
        Some(("NXM_NX_IPV6_DST", 1, 20)),
        Some(("OXM_OF_IPV6_DST", 27))
    ),
    info!(
        Ipv6Label,
        "ipv6_label",
        20,
        4,
        Hex,
        Some(("NXM_NX_IPV6_LABEL", 1, 27)),
        Some(("OXM_OF_IPV6_FLABEL", 28))
    ),
    info!(
        IpProto,
        "nw_proto",
        8,
        1,
        Decimal,
        Some(("NXM_OF_IP_PROTO", 0, 6)),
        Some(("OXM_OF_IP_PROTO", 10))
    ),
    info!(
        IpDscp,
        "nw_tos",
        8,
        1,
        Decimal,
        Some(("NXM_OF_IP_TOS", 0, 5)),
        None
    ),
    info!(
        IpDscpShifted,
        "ip_dscp",
        6,
        1,
        Decimal,
        None,
        Some(("OXM_OF_IP_DSCP", 8))
    ),
    info!(
        IpEcn,
        "nw_ecn",
        2,
        1,
        Decimal,
        Some(("NXM_NX_IP_ECN", 1, 28)),
        Some(("OXM_OF_IP_ECN", 9))
    ),
    info!(
        IpTtl,
        "nw_ttl",
        8,
        1,
        Decimal,
        Some(("NXM_NX_IP_TTL", 1, 29)),
        None
    ),
    info!(
        IpFrag,
        "ip_frag",
        2,
        1,
        Other,
        Some(("NXM_NX_IP_FRAG", 1, 26)),
        None
    ),
    info!(
        ArpOp,
        "arp_op",
        16,
        2,
        Decimal,
        Some(("NXM_OF_ARP_OP", 0, 15)),
        Some(("OXM_OF_ARP_OP", 21))
    ),
    info!(
        ArpSpa,
        "arp_spa",
        32,
        4,
        Ipv4,
        Some(("NXM_OF_ARP_SPA", 0, 16)),
        Some(("OXM_OF_ARP_SPA", 22))
    ),
    info!(
        ArpTpa,
        "arp_tpa",
        32,
        4,
        Ipv4,
        Some(("NXM_OF_ARP_TPA", 0, 17)),
        Some(("OXM_OF_ARP_TPA", 23))
    ),
    info!(
        ArpSha,
        "arp_sha",
        48,
        6,
        Ethernet,
        Some(("NXM_NX_ARP_SHA", 1, 17)),
        Some(("OXM_OF_ARP_SHA", 24))
    ),
    info!(
        ArpTha,
        "arp_tha",
        48,
        6,
        Ethernet,
        Some(("NXM_NX_ARP_THA", 1, 18)),
        Some(("OXM_OF_ARP_THA", 25))
    ),
    info!(
        TcpSrc,
        "tcp_src",
        16,
        2,
        Decimal,
        Some(("NXM_OF_TCP_SRC", 0, 9)),
        Some(("OXM_OF_TCP_SRC", 13))
    ),
    info!(
        TcpDst,
        "tcp_dst",
        16,
        2,
        Decimal,
        Some(("NXM_OF_TCP_DST", 0, 10)),
        Some(("OXM_OF_TCP_DST", 14))
    ),
    info!(
        TcpFlags,
        "tcp_flags",
        12,
        2,
        Other,
        Some(("NXM_NX_TCP_FLAGS", 1, 34)),
        Some(("OXM_OF_TCP_FLAGS", 42))
    ),
    info!(
        UdpSrc,
        "udp_src",
        16,
        2,
        Decimal,
        Some(("NXM_OF_UDP_SRC", 0, 11)),
        Some(("OXM_OF_UDP_SRC", 15))
    ),
    info!(
        UdpDst,
        "udp_dst",
        16,
        2,
        Decimal,
        Some(("NXM_OF_UDP_DST", 0, 12)),
        Some(("OXM_OF_UDP_DST", 16))
    ),
    info!(
        SctpSrc,
        "sctp_src",
        16,
        2,
        Decimal,
        None,
        Some(("OXM_OF_SCTP_SRC", 17))
    ),
    info!(
        SctpDst,
        "sctp_dst",
        16,
        2,
        Decimal,
        None,
        Some(("OXM_OF_SCTP_DST", 18))
    ),
    info!(
        Icmpv4Type,
        "icmp_type",
        8,
        1,
        Decimal,
        Some(("NXM_OF_ICMP_TYPE", 0, 13)),
        Some(("OXM_OF_ICMPV4_TYPE", 19))
    ),
    info!(
        Icmpv4Code,
        "icmp_code",
        8,
        1,
        Decimal,
        Some(("NXM_OF_ICMP_CODE", 0, 14)),
        Some(("OXM_OF_ICMPV4_CODE", 20))
    ),
    info!(
        Icmpv6Type,
        "icmpv6_type",
        8,
        1,
        Decimal,
        Some(("NXM_NX_ICMPV6_TYPE", 1, 21)),
        Some(("OXM_OF_ICMPV6_TYPE", 29))
    ),
    info!(
        Icmpv6Code,
        "icmpv6_code",
        8,
        1,
        Decimal,
        Some(("NXM_NX_ICMPV6_CODE", 1, 22)),
        Some(("OXM_OF_ICMPV6_CODE", 30))
    ),
    info!(
        NdTarget,
        "nd_target",
        128,
        16,
        Ipv6,
        Some(("NXM_NX_ND_TARGET", 1, 23)),
        Some(("OXM_OF_IPV6_ND_TARGET", 31))
    ),
    info!(
        NdSll,
        "nd_sll",
        48,
        6,
        Ethernet,
        Some(("NXM_NX_ND_SLL", 1, 24)),
        Some(("OXM_OF_IPV6_ND_SLL", 32))
    ),
    info!(
        NdTll,
        "nd_tll",
        48,
        6,
        Ethernet,
        Some(("NXM_NX_ND_TLL", 1, 25)),
        Some(("OXM_OF_IPV6_ND_TLL", 33))
    ),
    info!(
        ConjId,
        "conj_id",
        32,
        4,
        Decimal,
        Some(("NXM_NX_CONJ_ID", 1, 37)),
        None
    ),
];

impl From<crate::symtab::OfField> for MfField {
    fn from(f: crate::symtab::OfField) -> MfField {
        use crate::symtab::OfField as O;
        let fixed = match f {
            O::Reg(i) => return MfField::Reg(i),
            O::Xreg(i) => return MfField::XReg(i),
            O::Xxreg(i) => return MfField::XxReg(i),
            O::Metadata => Fixed::Metadata,
            O::CtState => Fixed::CtState,
            O::CtMark => Fixed::CtMark,
            O::CtLabel => Fixed::CtLabel,
            O::EthSrc => Fixed::EthSrc,
            O::EthDst => Fixed::EthDst,
            O::EthType => Fixed::EthType,
            O::VlanTci => Fixed::VlanTci,
            O::IpProto => Fixed::IpProto,
            O::IpDscpShifted => Fixed::IpDscpShifted,
            O::IpEcn => Fixed::IpEcn,
            O::IpTtl => Fixed::IpTtl,
            O::Ipv4Src => Fixed::Ipv4Src,
            O::Ipv4Dst => Fixed::Ipv4Dst,
            O::Icmpv4Type => Fixed::Icmpv4Type,
            O::Icmpv4Code => Fixed::Icmpv4Code,
            O::Ipv6Src => Fixed::Ipv6Src,
            O::Ipv6Dst => Fixed::Ipv6Dst,
            O::Ipv6Label => Fixed::Ipv6Label,
            O::Icmpv6Type => Fixed::Icmpv6Type,
            O::Icmpv6Code => Fixed::Icmpv6Code,
            O::IpFrag => Fixed::IpFrag,
            O::ArpOp => Fixed::ArpOp,
            O::ArpSpa => Fixed::ArpSpa,
            O::ArpSha => Fixed::ArpSha,
            O::ArpTpa => Fixed::ArpTpa,
            O::ArpTha => Fixed::ArpTha,
            O::NdTarget => Fixed::NdTarget,
            O::NdSll => Fixed::NdSll,
            O::NdTll => Fixed::NdTll,
            O::TcpSrc => Fixed::TcpSrc,
            O::TcpDst => Fixed::TcpDst,
            O::TcpFlags => Fixed::TcpFlags,
            O::UdpSrc => Fixed::UdpSrc,
            O::UdpDst => Fixed::UdpDst,
            O::SctpSrc => Fixed::SctpSrc,
            O::SctpDst => Fixed::SctpDst,
            O::PktMark => Fixed::PktMark,
            O::ConjId => Fixed::ConjId,
        };
        MfField::Fixed(fixed)
    }
}

fn info(id: Fixed) -> &'static Info {
    // FIXED is declared in enum order; the fallback search keeps this total even if not.
    FIXED
        .get(id as usize)
        .filter(|i| i.id == id)
        .or_else(|| FIXED.iter().find(|i| i.id == id))
        .unwrap_or(&FIXED[0])
}

const REG_NAMES: [&str; 16] = [
    "reg0", "reg1", "reg2", "reg3", "reg4", "reg5", "reg6", "reg7", "reg8", "reg9", "reg10",
    "reg11", "reg12", "reg13", "reg14", "reg15",
];
const XREG_NAMES: [&str; 8] = [
    "xreg0", "xreg1", "xreg2", "xreg3", "xreg4", "xreg5", "xreg6", "xreg7",
];
const XXREG_NAMES: [&str; 4] = ["xxreg0", "xxreg1", "xxreg2", "xxreg3"];

impl MfField {
    /// `MFF_LOG_FLAGS`.
    pub const LOG_FLAGS: MfField = MfField::Reg(10);
    /// `MFF_LOG_DNAT_ZONE`.
    pub const LOG_DNAT_ZONE: MfField = MfField::Reg(11);
    /// `MFF_LOG_SNAT_ZONE`.
    pub const LOG_SNAT_ZONE: MfField = MfField::Reg(12);
    /// `MFF_LOG_CT_ZONE`.
    pub const LOG_CT_ZONE: MfField = MfField::Reg(13);
    /// `MFF_LOG_INPORT`.
    pub const LOG_INPORT: MfField = MfField::Reg(14);
    /// `MFF_LOG_OUTPORT`.
    pub const LOG_OUTPORT: MfField = MfField::Reg(15);

    /// OVS's `mf_field.name` (`reg14`, `eth_dst`, `ip_src` …).
    pub fn name(self) -> &'static str {
        match self {
            MfField::Reg(i) => REG_NAMES.get(i as usize).copied().unwrap_or("reg?"),
            MfField::XReg(i) => XREG_NAMES.get(i as usize).copied().unwrap_or("xreg?"),
            MfField::XxReg(i) => XXREG_NAMES.get(i as usize).copied().unwrap_or("xxreg?"),
            MfField::Fixed(f) => info(f).name,
        }
    }

    /// Width in bits.
    pub fn n_bits(self) -> u16 {
        match self {
            MfField::Reg(_) => 32,
            MfField::XReg(_) => 64,
            MfField::XxReg(_) => 128,
            MfField::Fixed(f) => info(f).n_bits,
        }
    }

    /// Width of the value in bytes.
    pub fn n_bytes(self) -> usize {
        match self {
            MfField::Reg(_) => 4,
            MfField::XReg(_) => 8,
            MfField::XxReg(_) => 16,
            MfField::Fixed(f) => info(f).n_bytes as usize,
        }
    }

    /// How values are printed.
    pub fn format(self) -> MfFormat {
        match self {
            MfField::Fixed(f) => info(f).format,
            _ => MfFormat::Hex,
        }
    }

    /// The name `mf_format_subfield` prints (`NXM_NX_REG14`, `OXM_OF_METADATA` …): the first
    /// NXM/OXM code OVS knows for the field.
    pub fn nxm_name(self) -> &'static str {
        const REG: [&str; 16] = [
            "NXM_NX_REG0",
            "NXM_NX_REG1",
            "NXM_NX_REG2",
            "NXM_NX_REG3",
            "NXM_NX_REG4",
            "NXM_NX_REG5",
            "NXM_NX_REG6",
            "NXM_NX_REG7",
            "NXM_NX_REG8",
            "NXM_NX_REG9",
            "NXM_NX_REG10",
            "NXM_NX_REG11",
            "NXM_NX_REG12",
            "NXM_NX_REG13",
            "NXM_NX_REG14",
            "NXM_NX_REG15",
        ];
        const XREG: [&str; 8] = [
            "OXM_OF_PKT_REG0",
            "OXM_OF_PKT_REG1",
            "OXM_OF_PKT_REG2",
            "OXM_OF_PKT_REG3",
            "OXM_OF_PKT_REG4",
            "OXM_OF_PKT_REG5",
            "OXM_OF_PKT_REG6",
            "OXM_OF_PKT_REG7",
        ];
        const XXREG: [&str; 4] = [
            "NXM_NX_XXREG0",
            "NXM_NX_XXREG1",
            "NXM_NX_XXREG2",
            "NXM_NX_XXREG3",
        ];
        match self {
            MfField::Reg(i) => REG.get(i as usize).copied().unwrap_or("?"),
            MfField::XReg(i) => XREG.get(i as usize).copied().unwrap_or("?"),
            MfField::XxReg(i) => XXREG.get(i as usize).copied().unwrap_or("?"),
            MfField::Fixed(f) => {
                let i = info(f);
                i.nxm.map(|n| n.0).or(i.oxm.map(|o| o.0)).unwrap_or(i.name)
            }
        }
    }

    /// The 32-bit header OVS uses for this field in OpenFlow 1.5 (`mf_oxm_header`): the OXM if
    /// the field has one up to OF1.5, otherwise its NXM.  `masked` sets the has-mask bit and
    /// doubles the length.
    pub fn header_of15(self, masked: bool) -> u32 {
        let (class, field): (u32, u32) = match self {
            MfField::Reg(i) => (0x0001, u32::from(i)),
            MfField::XReg(i) => (0x8001, u32::from(i)),
            MfField::XxReg(i) => (0x0001, 111 + u32::from(i)),
            MfField::Fixed(f) => {
                let i = info(f);
                match (i.oxm, i.nxm) {
                    (Some((_, code)), _) => (0x8000, u32::from(code)),
                    (None, Some((_, class, code))) => (u32::from(class), u32::from(code)),
                    (None, None) => (0, 0),
                }
            }
        };
        let len = self.n_bytes() as u32 * if masked { 2 } else { 1 };
        (class << 16) | (field << 9) | (u32::from(masked) << 8) | len
    }

    /// The header OVS writes where it asks for the field's NXM header (`nxm_header_from_mff`,
    /// `nx_put_mff_header(…, 0, …)`): the first NXM/OXM code the field has, never masked.
    pub fn nxm_header(self) -> u32 {
        let (class, field): (u32, u32) = match self {
            MfField::Reg(i) => (0x0001, u32::from(i)),
            MfField::XReg(i) => (0x8001, u32::from(i)),
            MfField::XxReg(i) => (0x0001, 111 + u32::from(i)),
            MfField::Fixed(f) => {
                let i = info(f);
                match (i.nxm, i.oxm) {
                    (Some((_, class, code)), _) => (u32::from(class), u32::from(code)),
                    (None, Some((_, code))) => (0x8000, u32::from(code)),
                    (None, None) => (0, 0),
                }
            }
        };
        (class << 16) | (field << 9) | self.n_bytes() as u32
    }

    /// Every field this table knows.
    pub fn all() -> impl Iterator<Item = MfField> {
        (0..16u8)
            .map(MfField::Reg)
            .chain((0..8u8).map(MfField::XReg))
            .chain((0..4u8).map(MfField::XxReg))
            .chain(FIXED.iter().map(|i| MfField::Fixed(i.id)))
    }

    /// The same field in the `openflow` crate (for the switch-over to `openflow::action`).
    pub fn to_openflow(self) -> Option<openflow::field::Field> {
        openflow::field::Field::from_name(self.name())
    }

    /// Looks a field up by its OVS name, NXM name or OXM name (`reg14`, `NXM_NX_REG14`,
    /// `OXM_OF_PKT_REG4`, `eth_dst`, `NXM_OF_ETH_DST` …).
    pub fn from_name(name: &str) -> Option<MfField> {
        let strip = |p: &str| name.strip_prefix(p).and_then(|n| n.parse::<u8>().ok());
        if let Some(i) = strip("reg")
            .or_else(|| strip("NXM_NX_REG"))
            .filter(|&i| i < 16)
        {
            return Some(MfField::Reg(i));
        }
        if let Some(i) = strip("xreg")
            .or_else(|| strip("OXM_OF_PKT_REG"))
            .filter(|&i| i < 8)
        {
            return Some(MfField::XReg(i));
        }
        if let Some(i) = strip("xxreg")
            .or_else(|| strip("NXM_NX_XXREG"))
            .filter(|&i| i < 4)
        {
            return Some(MfField::XxReg(i));
        }
        let lower = name.to_ascii_lowercase();
        FIXED
            .iter()
            .find(|i| {
                i.name == lower
                    || i.nxm.is_some_and(|n| n.0 == name)
                    || i.oxm.is_some_and(|o| o.0 == name)
                    || format!("mff_{}", i.name) == lower
            })
            .map(|i| MfField::Fixed(i.id))
            .or_else(|| mff_alias(&lower))
    }
}

/// OVS `MFF_*` identifiers whose names differ from `mf_field.name`.
fn mff_alias(lower: &str) -> Option<MfField> {
    let f = match lower.strip_prefix("mff_").unwrap_or(lower) {
        "ipv4_src" => Fixed::Ipv4Src,
        "ipv4_dst" => Fixed::Ipv4Dst,
        "ip_proto" => Fixed::IpProto,
        "ip_ttl" => Fixed::IpTtl,
        "ip_ecn" => Fixed::IpEcn,
        "ip_dscp_shifted" => Fixed::IpDscpShifted,
        "icmpv4_type" => Fixed::Icmpv4Type,
        "icmpv4_code" => Fixed::Icmpv4Code,
        "dl_src" => Fixed::EthSrc,
        "dl_dst" => Fixed::EthDst,
        "dl_type" => Fixed::EthType,
        _ => return None,
    };
    Some(MfField::Fixed(f))
}

impl fmt::Display for MfField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bit range of a field (OVS `struct mf_subfield`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MfSubfield {
    /// The field.
    pub field: MfField,
    /// First bit.
    pub ofs: u16,
    /// Number of bits.
    pub n_bits: u16,
}

impl MfSubfield {
    /// The whole field.
    pub fn whole(field: MfField) -> Self {
        MfSubfield {
            field,
            ofs: 0,
            n_bits: field.n_bits(),
        }
    }
}

impl fmt::Display for MfSubfield {
    /// `mf_format_subfield`: `NAME[]`, `NAME[b]` or `NAME[a..b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field.nxm_name())?;
        if self.ofs == 0 && self.n_bits == self.field.n_bits() {
            f.write_str("[]")
        } else if self.n_bits == 1 {
            write!(f, "[{}]", self.ofs)
        } else {
            write!(
                f,
                "[{}..{}]",
                self.ofs,
                i64::from(self.ofs) + i64::from(self.n_bits) - 1
            )
        }
    }
}

/// Writes `bytes` the way OVS's `ds_put_hex` does: `0x` and digits without leading zeros, or `0`.
pub fn put_hex(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    match bytes.iter().position(|&b| b != 0) {
        None => f.write_char('0'),
        Some(i) => {
            write!(f, "0x{:x}", bytes[i])?;
            for b in &bytes[i + 1..] {
                write!(f, "{b:02x}")?;
            }
            Ok(())
        }
    }
}

/// Formats `value`/`mask` (right-aligned in the field's `n_bytes`) as OVS `mf_format` does.
pub fn format_value(
    f: &mut impl fmt::Write,
    field: MfField,
    value: u128,
    mask: u128,
) -> fmt::Result {
    let n = field.n_bytes();
    let all = if n >= 16 {
        u128::MAX
    } else {
        (1u128 << (8 * n)) - 1
    };
    let masked = mask & all != all;
    let vb = value.to_be_bytes();
    let mb = mask.to_be_bytes();
    let vbytes = &vb[16 - n..];
    let mbytes = &mb[16 - n..];
    match field.format() {
        MfFormat::Ethernet => {
            let mac = |f: &mut dyn fmt::Write, b: &[u8]| {
                write!(
                    f,
                    "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    b[0], b[1], b[2], b[3], b[4], b[5]
                )
            };
            mac(f, vbytes)?;
            if masked {
                f.write_char('/')?;
                mac(f, mbytes)?;
            }
            Ok(())
        }
        MfFormat::Ipv4 => {
            let v = value as u32;
            write!(
                f,
                "{}.{}.{}.{}",
                v >> 24,
                (v >> 16) & 0xff,
                (v >> 8) & 0xff,
                v & 0xff
            )?;
            if masked {
                let m = mask as u32;
                if m.leading_ones() + m.trailing_zeros() == 32 {
                    write!(f, "/{}", m.leading_ones())?;
                } else {
                    write!(
                        f,
                        "/{}.{}.{}.{}",
                        m >> 24,
                        (m >> 16) & 0xff,
                        (m >> 8) & 0xff,
                        m & 0xff
                    )?;
                }
            }
            Ok(())
        }
        MfFormat::Ipv6 => {
            crate::lex::addr::format_ipv6(f, value)?;
            if masked {
                if mask.leading_ones() + mask.trailing_zeros() == 128 {
                    write!(f, "/{}", mask.leading_ones())?;
                } else {
                    f.write_char('/')?;
                    crate::lex::addr::format_ipv6(f, mask)?;
                }
            }
            Ok(())
        }
        MfFormat::Decimal => {
            write!(f, "{}", value as u64 & (all as u64))?;
            if masked {
                f.write_char('/')?;
                put_hex(f, mbytes)?;
            }
            Ok(())
        }
        MfFormat::Hex | MfFormat::Other => {
            put_hex(f, vbytes)?;
            if masked {
                f.write_char('/')?;
                put_hex(f, mbytes)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_ovs() {
        assert_eq!(
            MfField::Fixed(Fixed::EthDst).header_of15(false),
            0x8000_0606
        );
        assert_eq!(
            MfField::Fixed(Fixed::EthSrc).header_of15(false),
            0x8000_0806
        );
        assert_eq!(
            MfField::Fixed(Fixed::NdTarget).header_of15(false),
            0x8000_3e10
        );
        assert_eq!(MfField::Fixed(Fixed::NdTll).header_of15(false), 0x8000_4206);
        assert_eq!(MfField::Reg(14).header_of15(false), 0x0001_1c04);
        assert_eq!(MfField::XxReg(0).header_of15(false), 0x0001_de10);
    }

    #[test]
    fn names_round_trip() {
        for f in FIXED {
            assert_eq!(
                MfField::from_name(f.name),
                Some(MfField::Fixed(f.id)),
                "{}",
                f.name
            );
        }
        for (i, f) in FIXED.iter().enumerate() {
            assert_eq!(f.id as usize, i, "FIXED out of enum order at {}", f.name);
        }
        assert_eq!(MfField::from_name("NXM_NX_XXREG1"), Some(MfField::XxReg(1)));
        assert_eq!(MfField::from_name("xreg4"), Some(MfField::XReg(4)));
    }
}
