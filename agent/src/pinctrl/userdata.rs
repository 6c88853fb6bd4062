//! The controller action userdata OVN puts into `controller(userdata=…)`: a 32-bit opcode
//! (`ACTION_OPCODE_*`), 4 pad bytes, then the opcode's payload (include/ovn/actions.h
//! `struct action_header`).

use lflow::actions::Opcode;

use super::error::PinctrlError;
use super::metadata::RegBit;

/// All opcodes, indexed by value (the order of upstream's `enum action_opcode`).
const OPCODES: [Opcode; 27] = [
    Opcode::Arp,
    Opcode::PutArp,
    Opcode::PutDhcpOpts,
    Opcode::NdNa,
    Opcode::PutNd,
    Opcode::PutDhcpv6Opts,
    Opcode::DnsLookup,
    Opcode::Log,
    Opcode::PutNdRaOpts,
    Opcode::NdNs,
    Opcode::Icmp,
    Opcode::TcpReset,
    Opcode::NdNaRouter,
    Opcode::PutIcmp4FragMtu,
    Opcode::Icmp4Error,
    Opcode::Event,
    Opcode::Igmp,
    Opcode::BindVport,
    Opcode::HandleSvcCheck,
    Opcode::Dhcp6Server,
    Opcode::Icmp6Error,
    Opcode::PutIcmp6FragMtu,
    Opcode::Reject,
    Opcode::BfdMsg,
    Opcode::SctpAbort,
    Opcode::PutFdb,
    Opcode::ActivationStrategyRarp,
];

/// The opcode with wire value `v`.
pub fn opcode_from_u32(v: u32) -> Option<Opcode> {
    let op = *OPCODES.get(usize::try_from(v).ok()?)?;
    // The table is in enum order; the check keeps it honest if the enum ever changes.
    (op as u32 == v).then_some(op)
}

/// Upstream's `ovnact_op_to_string` names, for logs.
pub fn opcode_name(op: Opcode) -> &'static str {
    match op {
        Opcode::Arp => "ARP",
        Opcode::PutArp => "PUT_ARP",
        Opcode::PutDhcpOpts => "PUT_DHCP_OPTS",
        Opcode::NdNa => "ND_NA",
        Opcode::PutNd => "PUT_ND",
        Opcode::PutDhcpv6Opts => "PUT_DHCPV6_OPTS",
        Opcode::DnsLookup => "DNS_LOOKUP",
        Opcode::Log => "LOG",
        Opcode::PutNdRaOpts => "PUT_ND_RA_OPTS",
        Opcode::NdNs => "ND_NS",
        Opcode::Icmp => "ICMP",
        Opcode::TcpReset => "TCP_RESET",
        Opcode::NdNaRouter => "ND_NA_ROUTER",
        Opcode::PutIcmp4FragMtu => "PUT_ICMP4_FRAG_MTU",
        Opcode::Icmp4Error => "ICMP4_ERROR",
        Opcode::Event => "EVENT",
        Opcode::Igmp => "IGMP",
        Opcode::BindVport => "BIND_VPORT",
        Opcode::HandleSvcCheck => "HANDLE_SVC_CHECK",
        Opcode::Dhcp6Server => "DHCP6_SERVER",
        Opcode::Icmp6Error => "ICMP6_ERROR",
        Opcode::PutIcmp6FragMtu => "PUT_ICMP6_FRAG_MTU",
        Opcode::Reject => "REJECT",
        Opcode::BfdMsg => "BFD_MSG",
        Opcode::SctpAbort => "SCTP_ABORT",
        Opcode::PutFdb => "PUT_FDB",
        Opcode::ActivationStrategyRarp => "ACTIVATION_STRATEGY_RARP",
    }
}

/// A split userdata: the opcode and the payload after the 8-byte action header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Userdata<'a> {
    pub opcode: Opcode,
    pub payload: &'a [u8],
}

impl<'a> Userdata<'a> {
    /// Splits `ud`.
    pub fn parse(ud: &'a [u8]) -> Result<Userdata<'a>, PinctrlError> {
        let (Some(h), Some(payload)) = (ud.get(..4), ud.get(8..)) else {
            return Err(PinctrlError::ShortUserdata { len: ud.len() });
        };
        let v = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let opcode = opcode_from_u32(v).ok_or(PinctrlError::UnknownOpcode(v))?;
        Ok(Userdata { opcode, payload })
    }
}

/// Reads the result destination that `put_dhcp_opts`, `put_nd_ra_opts`, `dns_lookup` and
/// `put_dhcpv6_opts` put first in their payload (`nx_pull_header` + 32-bit offset): returns it
/// and the rest of the payload.
pub fn pull_result<'a>(
    opcode: &'static str,
    p: &'a [u8],
) -> Result<(RegBit, &'a [u8]), PinctrlError> {
    let short = |what| PinctrlError::BadUserdata { opcode, what };
    let h = p.get(..4).ok_or(short("result field"))?;
    let header = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    // Experimenter OXM headers carry 4 more bytes (never used for registers).
    let hlen = if header >> 16 == 0xffff { 8 } else { 4 };
    let o = p.get(hlen..hlen + 4).ok_or(short("result offset"))?;
    let ofs = u32::from_be_bytes([o[0], o[1], o[2], o[3]]);
    let rb = RegBit::from_header(header, ofs)?;
    Ok((rb, p.get(hlen + 4..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_opcode_round_trips() {
        for (i, op) in OPCODES.iter().enumerate() {
            assert_eq!(*op as u32, i as u32);
            assert_eq!(opcode_from_u32(i as u32), Some(*op));
        }
        assert_eq!(opcode_from_u32(27), None);
    }

    #[test]
    fn parse_splits_header() {
        let ud = [0, 0, 0, 1, 0, 0, 0, 0, 0xaa];
        let u = Userdata::parse(&ud).unwrap();
        assert_eq!(u.opcode, Opcode::PutArp);
        assert_eq!(u.payload, &[0xaa]);
        assert!(Userdata::parse(&ud[..7]).is_err());
        assert_eq!(
            Userdata::parse(&[0, 0, 1, 0, 0, 0, 0, 0]),
            Err(PinctrlError::UnknownOpcode(256))
        );
    }
}
