//! `Action`: the parsed form of one OVN logical action (upstream `struct ovnact` and its 70
//! `OVNACT_*` payloads, include/ovn/actions.h at v23.03.1).
//!
//! Kept compact (big payloads are boxed) because ovn-controller holds one action list per
//! logical flow; `size_of::<Action>()` is checked by a test.

use std::sync::Arc;

use super::mf::MfSubfield;
pub use crate::expr::IntConst;
use crate::symtab::FieldRef;
pub use crate::symtab::OvnField;

/// Logical pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Pipeline {
    /// Ingress (logical tables follow `ingress_ptable`).
    #[default]
    Ingress,
    /// Egress.
    Egress,
}

/// A reference to a symbol or a bit range of it (upstream `struct expr_field`), with the
/// OpenFlow subfield it resolves to cached for the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Symbol and bit range.
    pub r: FieldRef,
    /// Resolved OpenFlow subfield (`expr_resolve_field`); a placeholder for OVN-internal fields.
    pub mf: MfSubfield,
    /// String field (`inport`, `outport`, …).
    pub string: bool,
}

/// A constant: integer or string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constant {
    /// Integer.
    Int(IntConst),
    /// String.
    Str(Box<str>),
}

/// A constant set (upstream `struct expr_constant_set`): `{a, b}` or a single value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConstSet {
    /// Values (all integers or all strings).
    pub values: Vec<Constant>,
    /// Written with `{}`.
    pub in_curlies: bool,
}

impl ConstSet {
    /// True if the set holds strings.
    pub fn is_string(&self) -> bool {
        matches!(self.values.first(), Some(Constant::Str(_)))
    }

    /// First value as an integer.
    pub fn first_int(&self) -> Option<&IntConst> {
        match self.values.first() {
            Some(Constant::Int(c)) => Some(c),
            _ => None,
        }
    }

    /// First value as a string.
    pub fn first_str(&self) -> Option<&str> {
        match self.values.first() {
            Some(Constant::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Type of a generic option (DHCP, DHCPv6, ND RA, controller events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptType {
    /// `bool`.
    Bool,
    /// `uint8`.
    Uint8,
    /// `uint16`.
    Uint16,
    /// `uint32`.
    Uint32,
    /// `ipv4`.
    Ipv4,
    /// `ipv6`.
    Ipv6,
    /// `mac`.
    Mac,
    /// `str`.
    Str,
    /// `host_id` (string or IPv4).
    HostId,
    /// `domains` (DNS-encoded list).
    Domains,
    /// `static_routes` (RFC 3442).
    StaticRoutes,
    /// `domain` (DHCPv6 FQDN; main branch only).
    Domain,
}

impl OptType {
    /// Parses upstream's type name.
    pub fn from_name(s: &str) -> Option<OptType> {
        Some(match s {
            "bool" => OptType::Bool,
            "uint8" => OptType::Uint8,
            "uint16" => OptType::Uint16,
            "uint32" => OptType::Uint32,
            "ipv4" => OptType::Ipv4,
            "ipv6" => OptType::Ipv6,
            "mac" => OptType::Mac,
            "str" => OptType::Str,
            "host_id" => OptType::HostId,
            "domains" => OptType::Domains,
            "static_routes" => OptType::StaticRoutes,
            "domain" => OptType::Domain,
            _ => return None,
        })
    }
}

/// One option definition (upstream `struct gen_opts_map`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptDef {
    /// Name.
    pub name: Arc<str>,
    /// Code.
    pub code: u16,
    /// Type.
    pub ty: OptType,
}

/// An option given to `put_dhcp_opts` & co. (upstream `struct ovnact_gen_option`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOption {
    /// Its definition.
    pub def: OptDef,
    /// Its value(s).
    pub value: ConstSet,
}

/// `next` (upstream `struct ovnact_next`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    /// Target pipeline.
    pub pipeline: Pipeline,
    /// Target logical table.
    pub ltable: u8,
    /// Pipeline of the flow.
    pub src_pipeline: Pipeline,
    /// Table of the flow.
    pub src_ltable: u8,
}

/// Legacy `ct_commit(ct_mark=…, ct_label=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CtCommitV1 {
    /// ct_mark value.
    pub ct_mark: u32,
    /// ct_mark mask (0 = not set).
    pub ct_mark_mask: u32,
    /// ct_label value.
    pub ct_label: u128,
    /// ct_label mask (0 = not set).
    pub ct_label_mask: u128,
}

/// NAT address of `ct_dnat`/`ct_snat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatIp {
    /// IPv4.
    V4(u32),
    /// IPv6.
    V6(u128),
}

/// `ct_dnat`, `ct_snat` and friends (upstream `struct ovnact_ct_nat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtNat {
    /// Address, if given (then the connection is committed).
    pub ip: Option<NatIp>,
    /// Port range (`lo`, `hi`; `hi == 0` = single port).
    pub ports: Option<(u16, u16)>,
    /// Commit.
    pub commit: bool,
    /// Table to resubmit to.
    pub ltable: u8,
}

/// One backend of `ct_lb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LbDst {
    /// Address.
    pub ip: NatIp,
    /// Port (0 = none).
    pub port: u16,
}

/// SNAT flag of `ct_lb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CtLbFlag {
    /// Neither.
    #[default]
    None,
    /// `skip_snat`.
    SkipSnat,
    /// `force_snat`.
    ForceSnat,
}

/// `ct_lb` / `ct_lb_mark` (upstream `struct ovnact_ct_lb`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtLb {
    /// Backends (empty = plain NAT of an established connection).
    pub dsts: Vec<LbDst>,
    /// `hash_fields="…"`.
    pub hash_fields: Option<Box<str>>,
    /// SNAT flag.
    pub flag: CtLbFlag,
    /// Table to resubmit to.
    pub ltable: u8,
}

/// `R = select(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    /// Result field.
    pub res: Field,
    /// `(id, weight)` members.
    pub dsts: Vec<(u16, u16)>,
    /// Table to resubmit to.
    pub ltable: u8,
}

/// Kinds of actions that wrap a nested action list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NestKind {
    /// `ct_commit { … }` (or bare `ct_commit;` with no nested actions).
    CtCommit,
    /// `clone { … }`.
    Clone,
    /// `arp { … }`.
    Arp,
    /// `icmp4 { … }`.
    Icmp4,
    /// `icmp4_error { … }`.
    Icmp4Error,
    /// `icmp6 { … }`.
    Icmp6,
    /// `icmp6_error { … }`.
    Icmp6Error,
    /// `tcp_reset { … }`.
    TcpReset,
    /// `sctp_abort { … }`.
    SctpAbort,
    /// `reject { … }`.
    Reject,
    /// `nd_na { … }`.
    NdNa,
    /// `nd_na_router { … }`.
    NdNaRouter,
    /// `nd_ns { … }`.
    NdNs,
}

impl NestKind {
    /// The action keyword.
    pub fn name(self) -> &'static str {
        match self {
            NestKind::CtCommit => "ct_commit",
            NestKind::Clone => "clone",
            NestKind::Arp => "arp",
            NestKind::Icmp4 => "icmp4",
            NestKind::Icmp4Error => "icmp4_error",
            NestKind::Icmp6 => "icmp6",
            NestKind::Icmp6Error => "icmp6_error",
            NestKind::TcpReset => "tcp_reset",
            NestKind::SctpAbort => "sctp_abort",
            NestKind::Reject => "reject",
            NestKind::NdNa => "nd_na",
            NestKind::NdNaRouter => "nd_na_router",
            NestKind::NdNs => "nd_ns",
        }
    }
}

/// Actions that store a 1-bit result of a table lookup (upstream `struct ovnact_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultKind {
    /// `dns_lookup()`.
    DnsLookup,
    /// `chk_lb_hairpin()`.
    ChkLbHairpin,
    /// `chk_lb_hairpin_reply()`.
    ChkLbHairpinReply,
    /// `check_in_port_sec()`.
    CheckInPortSec,
    /// `check_out_port_sec()`.
    CheckOutPortSec,
    /// `chk_ecmp_nh_mac()`.
    ChkEcmpNhMac,
    /// `chk_ecmp_nh()`.
    ChkEcmpNh,
    /// `chk_lb_aff()`.
    ChkLbAff,
}

impl ResultKind {
    /// The function name.
    pub fn name(self) -> &'static str {
        match self {
            ResultKind::DnsLookup => "dns_lookup",
            ResultKind::ChkLbHairpin => "chk_lb_hairpin",
            ResultKind::ChkLbHairpinReply => "chk_lb_hairpin_reply",
            ResultKind::CheckInPortSec => "check_in_port_sec",
            ResultKind::CheckOutPortSec => "check_out_port_sec",
            ResultKind::ChkEcmpNhMac => "chk_ecmp_nh_mac",
            ResultKind::ChkEcmpNh => "chk_ecmp_nh",
            ResultKind::ChkLbAff => "chk_lb_aff",
        }
    }
}

/// Which option set `R = put_*_opts(...)` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptsKind {
    /// `put_dhcp_opts`.
    Dhcpv4,
    /// `put_dhcpv6_opts`.
    Dhcpv6,
    /// `put_nd_ra_opts`.
    NdRa,
}

impl OptsKind {
    /// The function name.
    pub fn name(self) -> &'static str {
        match self {
            OptsKind::Dhcpv4 => "put_dhcp_opts",
            OptsKind::Dhcpv6 => "put_dhcpv6_opts",
            OptsKind::NdRa => "put_nd_ra_opts",
        }
    }
}

/// `R = put_dhcp_opts(...)` & co.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOpts {
    /// Which options.
    pub kind: OptsKind,
    /// Result bit.
    pub dst: Field,
    /// Options in order.
    pub options: Vec<GenOption>,
}

/// `log(...)` verdict (upstream `enum log_verdict`; the discriminant is the wire value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogVerdict {
    /// `allow` (0).
    Allow = 0,
    /// `drop` (1).
    Drop = 1,
    /// `reject` (2).
    Reject = 2,
}

/// `log(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// `name="…"`.
    pub name: Option<Box<str>>,
    /// Verdict.
    pub verdict: LogVerdict,
    /// Syslog severity (0..=7).
    pub severity: u8,
    /// `meter="…"`.
    pub meter: Option<Box<str>>,
}

/// `trigger_event(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerEvent {
    /// Event type (0 = `empty_lb_backends`).
    pub event: u8,
    /// Options.
    pub options: Vec<GenOption>,
}

/// `fwd_group(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FwdGroup {
    /// `liveness="true"`.
    pub liveness: bool,
    /// Child port names.
    pub child_ports: Vec<Box<str>>,
    /// Next table (unused by the encoding, kept like upstream).
    pub ltable: u8,
}

/// `sample(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Probability.
    pub probability: u16,
    /// Collector set id.
    pub collector_set_id: u32,
    /// Observation domain (8 bits).
    pub obs_domain_id: u8,
    /// Observation point.
    pub obs_point_id: u32,
    /// `obs_point=$cookie`.
    pub use_cookie: bool,
}

/// `commit_lb_aff(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitLbAff {
    /// VIP (IPv4 as an IPv4-mapped IPv6 address, like upstream).
    pub vip: u128,
    /// VIP port (0 = none).
    pub vip_port: u16,
    /// Backend.
    pub backend: u128,
    /// Backend port.
    pub backend_port: u16,
    /// IP protocol (0 = none).
    pub proto: u8,
    /// Idle timeout.
    pub timeout: u16,
}

/// One parsed logical action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `output;`
    Output,
    /// `next;` / `next(N);` / `next(pipeline=P, table=N);`
    Next(Next),
    /// `F = CONST;` (destination, value).
    Load(Box<(Field, Constant)>),
    /// `F = ovn_field_const;` (`icmp4.frag_mtu = 1500;`).
    OvnFieldLoad {
        /// Which field.
        field: OvnField,
        /// Value.
        value: u32,
    },
    /// `A = B;`
    Move(Box<(Field, Field)>),
    /// `A <-> B;`
    Exchange(Box<(Field, Field)>),
    /// `push(F);`
    Push(Box<Field>),
    /// `pop(F);`
    Pop(Box<Field>),
    /// `ip.ttl--;`
    DecTtl,
    /// `ct_next;`
    CtNext {
        /// Table.
        ltable: u8,
    },
    /// `ct_commit(...)`.
    CtCommitV1(Box<CtCommitV1>),
    /// Actions with a nested `{ … }` list (`ct_commit`, `clone`, `arp`, …).
    Nested(NestKind, Vec<Action>),
    /// `ct_dnat`.
    CtDnat(Box<CtNat>),
    /// `ct_snat`.
    CtSnat(Box<CtNat>),
    /// `ct_dnat_in_czone`.
    CtDnatInCzone(Box<CtNat>),
    /// `ct_snat_in_czone`.
    CtSnatInCzone(Box<CtNat>),
    /// `ct_commit_nat`.
    CtCommitNat(Box<CtNat>),
    /// `ct_lb`.
    CtLb(Box<CtLb>),
    /// `ct_lb_mark`.
    CtLbMark(Box<CtLb>),
    /// `R = select(...)`.
    Select(Box<Select>),
    /// `ct_clear;`
    CtClear,
    /// `igmp;`
    Igmp,
    /// `get_arp(P, IP);`
    GetArp(Box<(Field, Field)>),
    /// `get_nd(P, IP);`
    GetNd(Box<(Field, Field)>),
    /// `put_arp(P, IP, MAC);`
    PutArp(Box<(Field, Field, Field)>),
    /// `put_nd(P, IP, MAC);`
    PutNd(Box<(Field, Field, Field)>),
    /// `R = lookup_arp(P, IP, MAC);` (fields: dst, port, ip, mac).
    LookupArp(Box<[Field; 4]>),
    /// `R = lookup_nd(P, IP, MAC);`
    LookupNd(Box<[Field; 4]>),
    /// `R = lookup_arp_ip(P, IP);` (fields: dst, port, ip).
    LookupArpIp(Box<[Field; 3]>),
    /// `R = lookup_nd_ip(P, IP);`
    LookupNdIp(Box<[Field; 3]>),
    /// `R = put_dhcp_opts(...)`, `put_dhcpv6_opts`, `put_nd_ra_opts`.
    PutOpts(Box<PutOpts>),
    /// `handle_dhcpv6_reply;`
    Dhcp6Reply,
    /// `R = dns_lookup();` and the other 1-bit result lookups.
    Result(ResultKind, Box<Field>),
    /// `set_queue(N);`
    SetQueue(u16),
    /// `log(...)`.
    Log(Box<Log>),
    /// `set_meter(rate[, burst]);`
    SetMeter {
        /// kbps.
        rate: u64,
        /// Burst (0 = none).
        burst: u64,
    },
    /// `R = check_pkt_larger(N);`
    CheckPktLarger {
        /// Result bit.
        dst: Box<Field>,
        /// Length.
        pkt_len: u16,
    },
    /// `trigger_event(...)`.
    TriggerEvent(Box<TriggerEvent>),
    /// `bind_vport("V", P);`
    BindVport(Box<(Box<str>, Field)>),
    /// `handle_svc_check(P);`
    HandleSvcCheck(Box<Field>),
    /// `fwd_group(...)`.
    FwdGroup(Box<FwdGroup>),
    /// `ct_snat_to_vip;`
    CtSnatToVip,
    /// `handle_bfd_msg();`
    BfdMsg,
    /// `put_fdb(P, MAC);`
    PutFdb(Box<(Field, Field)>),
    /// `R = get_fdb(MAC);` (dst, mac).
    GetFdb(Box<(Field, Field)>),
    /// `R = lookup_fdb(P, MAC);` (dst, port, mac).
    LookupFdb(Box<[Field; 3]>),
    /// `sample(...)`.
    Sample(Box<Sample>),
    /// `commit_ecmp_nh(ipv6 = B, proto = P);`
    CommitEcmpNh {
        /// IPv6.
        ipv6: bool,
        /// IP protocol.
        proto: u8,
    },
    /// `commit_lb_aff(...)`.
    CommitLbAff(Box<CommitLbAff>),
}

/// A parsed action list.  Empty = `drop;`.
pub type Actions = Vec<Action>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_is_compact() {
        // One action per slot of a flow's action list; big payloads must stay boxed.
        assert!(std::mem::size_of::<Action>() <= 32);
        assert!(std::mem::size_of::<Field>() <= 20);
    }
}
