//! `OfField`: the OpenFlow (OXM/NXM) fields that OVN's logical fields map onto, as data (upstream
//! `struct mf_field` properties that the expression compiler needs).  Converted to the `openflow`
//! crate's field type at the boundary.

/// An OpenFlow field used by OVN's symbol table (upstream `enum mf_field_id`, subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OfField {
    /// `reg0`..`reg15` (32 bits).
    Reg(u8),
    /// `xreg0`..`xreg7` (64 bits; xreg N = reg 2N (high) + 2N+1).
    Xreg(u8),
    /// `xxreg0`..`xxreg3` (128 bits; xxreg N = reg 4N (high) .. 4N+3).
    Xxreg(u8),
    /// `metadata` (64 bits).
    Metadata,
    /// `ct_state` (32 bits).
    CtState,
    /// `ct_mark` (32 bits).
    CtMark,
    /// `ct_label` (128 bits).
    CtLabel,
    /// `dl_src`.
    EthSrc,
    /// `dl_dst`.
    EthDst,
    /// `dl_type`.
    EthType,
    /// `vlan_tci`.
    VlanTci,
    /// `nw_proto`.
    IpProto,
    /// `ip_dscp` (6 bits, shifted).
    IpDscpShifted,
    /// `nw_ecn`.
    IpEcn,
    /// `nw_ttl`.
    IpTtl,
    /// `nw_src`.
    Ipv4Src,
    /// `nw_dst`.
    Ipv4Dst,
    /// `icmp_type`.
    Icmpv4Type,
    /// `icmp_code`.
    Icmpv4Code,
    /// `ipv6_src`.
    Ipv6Src,
    /// `ipv6_dst`.
    Ipv6Dst,
    /// `ipv6_label`.
    Ipv6Label,
    /// `icmpv6_type`.
    Icmpv6Type,
    /// `icmpv6_code`.
    Icmpv6Code,
    /// `nw_frag`.
    IpFrag,
    /// `arp_op`.
    ArpOp,
    /// `arp_spa`.
    ArpSpa,
    /// `arp_sha`.
    ArpSha,
    /// `arp_tpa`.
    ArpTpa,
    /// `arp_tha`.
    ArpTha,
    /// `nd_target`.
    NdTarget,
    /// `nd_sll`.
    NdSll,
    /// `nd_tll`.
    NdTll,
    /// `tcp_src`.
    TcpSrc,
    /// `tcp_dst`.
    TcpDst,
    /// `tcp_flags`.
    TcpFlags,
    /// `udp_src`.
    UdpSrc,
    /// `udp_dst`.
    UdpDst,
    /// `sctp_src`.
    SctpSrc,
    /// `sctp_dst`.
    SctpDst,
    /// `pkt_mark`.
    PktMark,
    /// `conj_id` (only produced by conjunctive matching).
    ConjId,
}

impl OfField {
    /// The `openflow` crate's field.
    pub fn to_openflow(self) -> openflow::field::Field {
        use OfField::*;
        use openflow::field::Field as F;
        match self {
            Reg(i) => F::reg(i),
            Xreg(i) => F::xreg(i),
            Xxreg(i) => F::xxreg(i),
            Metadata => F::METADATA,
            CtState => F::CT_STATE,
            CtMark => F::CT_MARK,
            CtLabel => F::CT_LABEL,
            EthSrc => F::ETH_SRC,
            EthDst => F::ETH_DST,
            EthType => F::ETH_TYPE,
            VlanTci => F::VLAN_TCI,
            IpProto => F::IP_PROTO,
            IpDscpShifted => F::IP_DSCP_SHIFTED,
            IpEcn => F::IP_ECN,
            IpTtl => F::IP_TTL,
            Ipv4Src => F::IPV4_SRC,
            Ipv4Dst => F::IPV4_DST,
            Icmpv4Type => F::ICMPV4_TYPE,
            Icmpv4Code => F::ICMPV4_CODE,
            Ipv6Src => F::IPV6_SRC,
            Ipv6Dst => F::IPV6_DST,
            Ipv6Label => F::IPV6_LABEL,
            Icmpv6Type => F::ICMPV6_TYPE,
            Icmpv6Code => F::ICMPV6_CODE,
            IpFrag => F::IP_FRAG,
            ArpOp => F::ARP_OP,
            ArpSpa => F::ARP_SPA,
            ArpSha => F::ARP_SHA,
            ArpTpa => F::ARP_TPA,
            ArpTha => F::ARP_THA,
            NdTarget => F::ND_TARGET,
            NdSll => F::ND_SLL,
            NdTll => F::ND_TLL,
            TcpSrc => F::TCP_SRC,
            TcpDst => F::TCP_DST,
            TcpFlags => F::TCP_FLAGS,
            UdpSrc => F::UDP_SRC,
            UdpDst => F::UDP_DST,
            SctpSrc => F::SCTP_SRC,
            SctpDst => F::SCTP_DST,
            PktMark => F::PKT_MARK,
            ConjId => F::CONJ_ID,
        }
    }

    /// Width in bits.
    pub fn n_bits(self) -> u32 {
        use OfField::*;
        match self {
            Reg(_) | CtState | CtMark | Ipv4Src | Ipv4Dst | ArpSpa | ArpTpa | PktMark | ConjId => {
                32
            }
            Xreg(_) | Metadata => 64,
            Xxreg(_) | CtLabel | Ipv6Src | Ipv6Dst | NdTarget => 128,
            EthSrc | EthDst | ArpSha | ArpTha | NdSll | NdTll => 48,
            EthType | VlanTci | ArpOp | TcpSrc | TcpDst | UdpSrc | UdpDst | SctpSrc | SctpDst => 16,
            IpProto | IpTtl | Icmpv4Type | Icmpv4Code | Icmpv6Type | Icmpv6Code => 8,
            IpDscpShifted => 6,
            IpEcn | IpFrag => 2,
            Ipv6Label => 20,
            TcpFlags => 12,
        }
    }

    /// True if OVS allows arbitrary bitwise masks on the field (`MFM_FULLY`).
    pub fn maskable(self) -> bool {
        use OfField::*;
        !matches!(
            self,
            EthType
                | IpProto
                | IpDscpShifted
                | IpEcn
                | IpTtl
                | Icmpv4Type
                | Icmpv4Code
                | Icmpv6Type
                | Icmpv6Code
                | ArpOp
                | ConjId
        )
    }

    /// True if actions may write the field.
    pub fn writable(self) -> bool {
        use OfField::*;
        !matches!(
            self,
            EthType | IpProto | CtState | TcpFlags | IpFrag | ConjId
        )
    }

    /// The field's name as `nx_format_field_name(…, OFP15_VERSION)` prints it.
    pub fn nx_name(self) -> String {
        use OfField::*;
        match self {
            Reg(i) => format!("NXM_NX_REG{i}"),
            Xreg(i) => format!("OXM_OF_PKT_REG{i}"),
            Xxreg(i) => format!("NXM_NX_XXREG{i}"),
            other => other.nx_name_static().to_string(),
        }
    }

    fn nx_name_static(self) -> &'static str {
        use OfField::*;
        match self {
            Metadata => "OXM_OF_METADATA",
            CtState => "NXM_NX_CT_STATE",
            CtMark => "NXM_NX_CT_MARK",
            CtLabel => "NXM_NX_CT_LABEL",
            EthSrc => "OXM_OF_ETH_SRC",
            EthDst => "OXM_OF_ETH_DST",
            EthType => "OXM_OF_ETH_TYPE",
            VlanTci => "NXM_OF_VLAN_TCI",
            IpProto => "OXM_OF_IP_PROTO",
            IpDscpShifted => "OXM_OF_IP_DSCP",
            IpEcn => "OXM_OF_IP_ECN",
            IpTtl => "NXM_NX_IP_TTL",
            Ipv4Src => "OXM_OF_IPV4_SRC",
            Ipv4Dst => "OXM_OF_IPV4_DST",
            Icmpv4Type => "OXM_OF_ICMPV4_TYPE",
            Icmpv4Code => "OXM_OF_ICMPV4_CODE",
            Ipv6Src => "OXM_OF_IPV6_SRC",
            Ipv6Dst => "OXM_OF_IPV6_DST",
            Ipv6Label => "OXM_OF_IPV6_FLABEL",
            Icmpv6Type => "OXM_OF_ICMPV6_TYPE",
            Icmpv6Code => "OXM_OF_ICMPV6_CODE",
            IpFrag => "NXM_NX_IP_FRAG",
            ArpOp => "OXM_OF_ARP_OP",
            ArpSpa => "OXM_OF_ARP_SPA",
            ArpSha => "OXM_OF_ARP_SHA",
            ArpTpa => "OXM_OF_ARP_TPA",
            ArpTha => "OXM_OF_ARP_THA",
            NdTarget => "OXM_OF_IPV6_ND_TARGET",
            NdSll => "OXM_OF_IPV6_ND_SLL",
            NdTll => "OXM_OF_IPV6_ND_TLL",
            TcpSrc => "OXM_OF_TCP_SRC",
            TcpDst => "OXM_OF_TCP_DST",
            TcpFlags => "OXM_OF_TCP_FLAGS",
            UdpSrc => "OXM_OF_UDP_SRC",
            UdpDst => "OXM_OF_UDP_DST",
            SctpSrc => "OXM_OF_SCTP_SRC",
            SctpDst => "OXM_OF_SCTP_DST",
            PktMark => "NXM_NX_PKT_MARK",
            ConjId => "NXM_NX_CONJ_ID",
            Reg(_) | Xreg(_) | Xxreg(_) => "",
        }
    }

    /// The name `ovs-ofctl` uses for the field in actions (`load:…->NAME`, `set_field:…->NAME`).
    pub fn ofctl_name(self) -> String {
        use OfField::*;
        match self {
            Reg(i) => format!("reg{i}"),
            Xreg(i) => format!("xreg{i}"),
            Xxreg(i) => format!("xxreg{i}"),
            Metadata => "metadata".into(),
            CtState => "ct_state".into(),
            CtMark => "ct_mark".into(),
            CtLabel => "ct_label".into(),
            EthSrc => "eth_src".into(),
            EthDst => "eth_dst".into(),
            EthType => "eth_type".into(),
            VlanTci => "vlan_tci".into(),
            IpProto => "ip_proto".into(),
            IpDscpShifted => "ip_dscp".into(),
            IpEcn => "nw_ecn".into(),
            IpTtl => "nw_ttl".into(),
            Ipv4Src => "ip_src".into(),
            Ipv4Dst => "ip_dst".into(),
            Icmpv4Type => "icmp_type".into(),
            Icmpv4Code => "icmp_code".into(),
            Ipv6Src => "ipv6_src".into(),
            Ipv6Dst => "ipv6_dst".into(),
            Ipv6Label => "ipv6_label".into(),
            Icmpv6Type => "icmpv6_type".into(),
            Icmpv6Code => "icmpv6_code".into(),
            IpFrag => "ip_frag".into(),
            ArpOp => "arp_op".into(),
            ArpSpa => "arp_spa".into(),
            ArpSha => "arp_sha".into(),
            ArpTpa => "arp_tpa".into(),
            ArpTha => "arp_tha".into(),
            NdTarget => "nd_target".into(),
            NdSll => "nd_sll".into(),
            NdTll => "nd_tll".into(),
            TcpSrc => "tcp_src".into(),
            TcpDst => "tcp_dst".into(),
            TcpFlags => "tcp_flags".into(),
            UdpSrc => "udp_src".into(),
            UdpDst => "udp_dst".into(),
            SctpSrc => "sctp_src".into(),
            SctpDst => "sctp_dst".into(),
            PktMark => "pkt_mark".into(),
            ConjId => "conj_id".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OfField::{self, *};

    const ALL: &[OfField] = &[
        Reg(0),
        Reg(15),
        Xreg(4),
        Xxreg(1),
        Metadata,
        CtState,
        CtMark,
        CtLabel,
        EthSrc,
        EthDst,
        EthType,
        VlanTci,
        IpProto,
        IpDscpShifted,
        IpEcn,
        IpTtl,
        Ipv4Src,
        Ipv4Dst,
        Icmpv4Type,
        Icmpv4Code,
        Ipv6Src,
        Ipv6Dst,
        Ipv6Label,
        Icmpv6Type,
        Icmpv6Code,
        IpFrag,
        ArpOp,
        ArpSpa,
        ArpSha,
        ArpTpa,
        ArpTha,
        NdTarget,
        NdSll,
        NdTll,
        TcpSrc,
        TcpDst,
        TcpFlags,
        UdpSrc,
        UdpDst,
        SctpSrc,
        SctpDst,
        PktMark,
        ConjId,
    ];

    /// Our field data agrees with the `openflow` crate's table (generated from OVS).
    #[test]
    fn agrees_with_openflow_crate() {
        for &f in ALL {
            let of = f.to_openflow();
            assert_eq!(u32::from(of.n_bits()), f.n_bits(), "{f:?} width");
            assert_eq!(of.info().maskable, f.maskable(), "{f:?} maskable");
            assert_eq!(of.info().writable, f.writable(), "{f:?} writable");
        }
    }
}
