//! Encoding of parsed actions to OpenFlow (upstream `ovnacts_encode` and the `encode_*`
//! functions of lib/actions.c, v23.03.1).
//!
//! Controller actions carry upstream's exact userdata (the 32-bit `ACTION_OPCODE_*`, 4 pad
//! bytes, then the opcode's payload; nested actions as OpenFlow 1.5 actions) so that a packet-in
//! handler written against OVN's layout understands them.

use std::fmt::Write;

use super::ast::*;
use super::extend_table::IdTable;
use super::format::is_v4_mapped;
use super::mf::{Fixed, MfField, MfSubfield};
use super::ofpact::{Learn, LearnSpec, Nat, NatAddr, OfAction, encode_of15};
use super::options::{
    DHCP_OPT_BOOTFILE_ALT_CODE, DHCP_OPT_BOOTFILE_CODE, DHCP_OPT_NEXT_SERVER_CODE,
    encode_dhcpv4_option, encode_dhcpv6_option, encode_nd_ra,
};

/// Upstream `enum action_opcode` (include/ovn/actions.h, 23.03.1 order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[allow(missing_docs)]
pub enum Opcode {
    Arp = 0,
    PutArp = 1,
    PutDhcpOpts = 2,
    NdNa = 3,
    PutNd = 4,
    PutDhcpv6Opts = 5,
    DnsLookup = 6,
    Log = 7,
    PutNdRaOpts = 8,
    NdNs = 9,
    Icmp = 10,
    TcpReset = 11,
    NdNaRouter = 12,
    PutIcmp4FragMtu = 13,
    Icmp4Error = 14,
    Event = 15,
    Igmp = 16,
    BindVport = 17,
    HandleSvcCheck = 18,
    Dhcp6Server = 19,
    Icmp6Error = 20,
    PutIcmp6FragMtu = 21,
    Reject = 22,
    BfdMsg = 23,
    SctpAbort = 24,
    PutFdb = 25,
    ActivationStrategyRarp = 26,
}

/// Tables hard-coded in lib/actions.c (controller/lflow.h at 23.03.1).
const OFTABLE_ECMP_NH_MAC: u8 = 76;
const OFTABLE_ECMP_NH: u8 = 77;
const OFTABLE_CHK_LB_AFFINITY: u8 = 78;

// Bits of MFF_LOG_FLAGS (include/ovn/logical-fields.h).
const MLF_LOOKUP_MAC_BIT: u16 = 6;
const MLF_LOOKUP_LB_HAIRPIN_BIT: u16 = 7;
const MLF_LOOKUP_FDB_BIT: u16 = 8;
const MLF_CHECK_PORT_SEC_BIT: u16 = 12;
const MLF_LOOKUP_COMMIT_ECMP_NH_BIT: u16 = 13;
const MLF_USE_LB_AFF_SESSION_BIT: u16 = 14;

/// How logical port names map to tunnel keys and OpenFlow ports.
pub trait PortLookup {
    /// Tunnel key of logical port `name` (upstream `lookup_port`).
    fn port_key(&self, name: &str) -> Option<u32>;
    /// OpenFlow port of the tunnel towards `name`'s chassis (upstream `tunnel_ofport`).
    fn tunnel_ofport(&self, name: &str) -> Option<u32>;
}

/// Upstream test-ovn uses the same port map for both lookups.
impl PortLookup for crate::context::Context {
    fn port_key(&self, name: &str) -> Option<u32> {
        crate::context::Context::port_key(self, name)
    }
    fn tunnel_ofport(&self, name: &str) -> Option<u32> {
        crate::context::Context::port_key(self, name)
    }
}

/// Encoding parameters (upstream `struct ovnact_encode_params`).
#[derive(Clone, Copy)]
pub struct EncodeParams<'a> {
    /// Port lookups.
    pub ports: &'a dyn PortLookup,
    /// Logical switch (true) or router datapath.
    pub is_switch: bool,
    /// Pipeline of the flow.
    pub pipeline: Pipeline,
    /// First OpenFlow table of the ingress pipeline.
    pub ingress_ptable: u8,
    /// First OpenFlow table of the egress pipeline.
    pub egress_ptable: u8,
    /// Table `output` resubmits to.
    pub output_ptable: u8,
    /// MAC binding table (`get_arp`, `lookup_arp_ip`).
    pub mac_bind_ptable: u8,
    /// MAC lookup table (`lookup_arp`).
    pub mac_lookup_ptable: u8,
    /// `chk_lb_hairpin`.
    pub lb_hairpin_ptable: u8,
    /// `chk_lb_hairpin_reply`.
    pub lb_hairpin_reply_ptable: u8,
    /// `ct_snat_to_vip`.
    pub ct_snat_vip_ptable: u8,
    /// `get_fdb`.
    pub fdb_ptable: u8,
    /// `lookup_fdb`.
    pub fdb_lookup_ptable: u8,
    /// `check_in_port_sec`.
    pub in_port_sec_ptable: u8,
    /// `check_out_port_sec`.
    pub out_port_sec_ptable: u8,
    /// Zone register of `ct_*_in_czone`.
    pub common_nat_ct_zone: MfField,
    /// UUID of the logical flow, as upstream's four 32-bit parts.
    pub lflow_uuid: [u32; 4],
    /// Tunnel key of the datapath.
    pub dp_key: u32,
    /// Meter for controller actions (`None` = `NX_CTLR_NO_METER`).
    pub ctrl_meter_id: Option<u32>,
    /// IPFIX collector sets configured in OVS (`None`: `sample` encodes to nothing).
    pub collector_ids: Option<&'a [u32]>,
    /// OVS supports meters on the datapath (`OVS_DP_METER_SUPPORT`); without it controller
    /// actions carry no meter.
    pub dp_meter_support: bool,
    /// OVS supports all-zero SNAT (`OVS_CT_ZERO_SNAT_SUPPORT`): `ct_commit` adds `nat(src)`.
    pub ct_zero_snat: bool,
    /// OVS supports symmetric L4 dp_hash (`OVS_DP_HASH_L4_SYM_SUPPORT`).
    pub dp_hash_l4_sym: bool,
}

impl std::fmt::Debug for EncodeParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodeParams")
            .field("is_switch", &self.is_switch)
            .field("pipeline", &self.pipeline)
            .field("ingress_ptable", &self.ingress_ptable)
            .field("egress_ptable", &self.egress_ptable)
            .field("output_ptable", &self.output_ptable)
            .field("dp_key", &self.dp_key)
            .finish_non_exhaustive()
    }
}

impl EncodeParams<'_> {
    fn first_ptable(&self, p: Pipeline) -> u8 {
        match p {
            Pipeline::Ingress => self.ingress_ptable,
            Pipeline::Egress => self.egress_ptable,
        }
    }

    fn lflow_uuid_u128(&self) -> u128 {
        self.lflow_uuid
            .iter()
            .fold(0u128, |acc, &p| (acc << 32) | u128::from(p))
    }

    /// Upstream `UUID_FMT`.
    fn lflow_uuid_str(&self) -> String {
        let p = self.lflow_uuid;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:04x}{:08x}",
            p[0],
            p[1] >> 16,
            p[1] & 0xffff,
            p[2] >> 16,
            p[2] & 0xffff,
            p[3]
        )
    }

    fn ct_zone(&self) -> MfSubfield {
        let f = if self.is_switch {
            MfField::LOG_CT_ZONE
        } else {
            MfField::LOG_DNAT_ZONE
        };
        MfSubfield {
            field: f,
            ofs: 0,
            n_bits: 16,
        }
    }
}

/// The group and meter tables the encoder allocates ids from.
pub struct EncodeTables<'t> {
    /// Groups (`ct_lb`, `select`, `fwd_group`).
    pub groups: &'t mut dyn IdTable,
    /// Meters (`set_meter`, `log(meter=…)`).
    pub meters: &'t mut dyn IdTable,
}

impl std::fmt::Debug for EncodeTables<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncodeTables")
    }
}

/// Encodes `acts`, appending OpenFlow actions to `out`.
pub fn encode_actions(
    acts: &[Action],
    ep: &EncodeParams<'_>,
    t: &mut EncodeTables<'_>,
    out: &mut Vec<OfAction>,
) {
    encode_list(acts, ep, t, out, false);
}

/// `shared`: `out` continues a buffer that started before it (inside `clone`).
fn encode_list(
    acts: &[Action],
    ep: &EncodeParams<'_>,
    t: &mut EncodeTables<'_>,
    out: &mut Vec<OfAction>,
    shared: bool,
) {
    for a in acts {
        encode_action(a, ep, t, out, shared);
    }
}

fn low_mask(n: u16) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

fn shl(v: u128, n: u16) -> u128 {
    if n >= 128 { 0 } else { v << n }
}

/// Upstream `put_load`.
fn put_load(value: u128, dst: MfField, ofs: u16, n_bits: u16, out: &mut Vec<OfAction>) {
    out.push(OfAction::SetField {
        field: dst,
        value: shl(value & low_mask(n_bits), ofs),
        mask: shl(low_mask(n_bits), ofs),
    });
}

fn whole(f: MfField) -> MfSubfield {
    MfSubfield::whole(f)
}

/// Upstream `encode_setup_args`: save the destinations, then move the sources into them.
fn setup_args(args: &[(MfSubfield, MfField)], out: &mut Vec<OfAction>) {
    for (src, dst) in args {
        if src.field != *dst {
            out.push(OfAction::Push(whole(*dst)));
        }
    }
    for (src, dst) in args.iter().rev() {
        if src.field != *dst {
            out.push(OfAction::Push(*src));
        }
    }
    for (src, dst) in args {
        if src.field != *dst {
            out.push(OfAction::Pop(whole(*dst)));
        }
    }
}

/// Upstream `encode_restore_args`.
fn restore_args(args: &[(MfSubfield, MfField)], out: &mut Vec<OfAction>) {
    for (src, dst) in args.iter().rev() {
        if src.field != *dst {
            out.push(OfAction::Pop(whole(*dst)));
        }
    }
}

/// Starts a controller action's userdata: the opcode and 4 pad bytes.
fn userdata(op: Opcode) -> Vec<u8> {
    let mut v = Vec::with_capacity(16);
    v.extend_from_slice(&(op as u32).to_be_bytes());
    v.extend_from_slice(&[0; 4]);
    v
}

fn controller(
    ep: &EncodeParams<'_>,
    userdata: Vec<u8>,
    pause: bool,
    meter: Option<u32>,
) -> OfAction {
    OfAction::Controller {
        userdata,
        pause,
        meter_id: if ep.dp_meter_support { meter } else { None },
    }
}

fn controller_op(ep: &EncodeParams<'_>, op: Opcode) -> OfAction {
    controller(ep, userdata(op), false, ep.ctrl_meter_id)
}

/// Appends the OpenFlow 1.5 header of `f` and its bit offset (how `put_dhcp_opts` & co. tell
/// pinctrl where to store the result).
fn put_result_header(ud: &mut Vec<u8>, f: &MfSubfield) {
    ud.extend_from_slice(&f.field.header_of15(false).to_be_bytes());
    ud.extend_from_slice(&u32::from(f.ofs).to_be_bytes());
}

/// Upstream `encode_result_action__`.
fn result_action(dst: &Field, table: u8, bit: u16, out: &mut Vec<OfAction>) {
    put_load(0, MfField::LOG_FLAGS, bit, 1, out);
    out.push(OfAction::Resubmit(table));
    out.push(OfAction::Move {
        src: MfSubfield {
            field: MfField::LOG_FLAGS,
            ofs: bit,
            n_bits: 1,
        },
        dst: dst.mf,
    });
}

fn nested_opcode(kind: NestKind) -> Option<Opcode> {
    Some(match kind {
        NestKind::Arp => Opcode::Arp,
        NestKind::Icmp4 | NestKind::Icmp6 => Opcode::Icmp,
        NestKind::Icmp4Error => Opcode::Icmp4Error,
        NestKind::Icmp6Error => Opcode::Icmp6Error,
        NestKind::TcpReset => Opcode::TcpReset,
        NestKind::SctpAbort => Opcode::SctpAbort,
        NestKind::Reject => Opcode::Reject,
        NestKind::NdNa => Opcode::NdNa,
        NestKind::NdNaRouter => Opcode::NdNaRouter,
        NestKind::NdNs => Opcode::NdNs,
        NestKind::CtCommit | NestKind::Clone => return None,
    })
}

fn nat_ip(ip: NatIp) -> NatAddr {
    match ip {
        NatIp::V4(v) => NatAddr::V4(v),
        NatIp::V6(v) => NatAddr::V6(v),
    }
}

fn ipv4_str(v: u32) -> String {
    format!(
        "{}.{}.{}.{}",
        v >> 24,
        (v >> 16) & 0xff,
        (v >> 8) & 0xff,
        v & 0xff
    )
}

fn ipv6_str(v: u128) -> String {
    let mut s = String::new();
    let _ = crate::lex::addr::format_ipv6(&mut s, v);
    s
}

fn encode_action(
    a: &Action,
    ep: &EncodeParams<'_>,
    t: &mut EncodeTables<'_>,
    out: &mut Vec<OfAction>,
    shared: bool,
) {
    match a {
        Action::Output => out.push(OfAction::Resubmit(ep.output_ptable)),
        Action::Next(n) => {
            out.push(OfAction::Resubmit(
                ep.first_ptable(n.pipeline).wrapping_add(n.ltable),
            ));
        }
        Action::Load(b) => {
            let (dst, imm) = &**b;
            let f = dst.mf.field;
            match imm {
                Constant::Int(c) if !dst.string => {
                    let n = dst.mf.n_bits;
                    let value = shl(c.value & low_mask(n), dst.mf.ofs);
                    let mask = if c.masked {
                        shl(c.mask & low_mask(n), dst.mf.ofs)
                    } else {
                        shl(low_mask(n), dst.mf.ofs)
                    };
                    out.push(OfAction::SetField {
                        field: f,
                        value,
                        mask,
                    });
                }
                c => {
                    let name = match c {
                        Constant::Str(s) => &**s,
                        Constant::Int(_) => "",
                    };
                    let port = ep.ports.port_key(name).unwrap_or(0);
                    out.push(OfAction::SetField {
                        field: f,
                        value: u128::from(port) & low_mask(f.n_bits()),
                        mask: low_mask(f.n_bits()),
                    });
                }
            }
        }
        Action::OvnFieldLoad { field, value } => {
            let (op, bytes): (Opcode, Vec<u8>) = match field {
                OvnField::Icmp4FragMtu => (
                    Opcode::PutIcmp4FragMtu,
                    (*value as u16).to_be_bytes().to_vec(),
                ),
                OvnField::Icmp6FragMtu => (Opcode::PutIcmp6FragMtu, value.to_be_bytes().to_vec()),
            };
            let mut ud = userdata(op);
            ud.extend_from_slice(&bytes);
            out.push(controller(ep, ud, true, ep.ctrl_meter_id));
        }
        Action::Move(b) => out.push(OfAction::Move {
            src: b.1.mf,
            dst: b.0.mf,
        }),
        Action::Exchange(b) => {
            out.push(OfAction::Push(b.1.mf));
            out.push(OfAction::Push(b.0.mf));
            out.push(OfAction::Pop(b.1.mf));
            out.push(OfAction::Pop(b.0.mf));
        }
        Action::Push(f) => out.push(OfAction::Push(f.mf)),
        Action::Pop(f) => out.push(OfAction::Pop(f.mf)),
        Action::DecTtl => out.push(OfAction::DecTtl),
        Action::CtNext { ltable } => out.push(OfAction::Ct {
            commit: false,
            table: Some(ep.first_ptable(ep.pipeline).wrapping_add(*ltable)),
            zone: ep.ct_zone(),
            nat: None,
            exec: Vec::new(),
        }),
        Action::CtCommitV1(cc) => {
            let mut exec = Vec::new();
            if cc.ct_mark_mask != 0 {
                exec.push(OfAction::SetField {
                    field: MfField::Fixed(Fixed::CtMark),
                    value: u128::from(cc.ct_mark),
                    mask: u128::from(cc.ct_mark_mask),
                });
            }
            if cc.ct_label_mask != 0 {
                exec.push(OfAction::SetField {
                    field: MfField::Fixed(Fixed::CtLabel),
                    value: cc.ct_label,
                    mask: cc.ct_label_mask,
                });
            }
            let ct = OfAction::Ct {
                commit: true,
                table: None,
                zone: MfSubfield {
                    field: MfField::LOG_CT_ZONE,
                    ofs: 0,
                    n_bits: 16,
                },
                nat: zero_snat(ep),
                exec,
            };
            push_ct_commit(out, ct, shared);
        }
        Action::Nested(NestKind::CtCommit, inner) => {
            let mut exec = Vec::new();
            encode_actions(inner, ep, t, &mut exec);
            let ct = OfAction::Ct {
                commit: true,
                table: None,
                zone: ep.ct_zone(),
                nat: zero_snat(ep),
                exec,
            };
            push_ct_commit(out, ct, shared);
        }
        Action::Nested(NestKind::Clone, inner) => {
            let mut acts = Vec::new();
            encode_list(inner, ep, t, &mut acts, true);
            out.push(OfAction::Clone(acts));
        }
        Action::Nested(kind, inner) => {
            let mut acts = Vec::new();
            encode_actions(inner, ep, t, &mut acts);
            let op = nested_opcode(*kind).unwrap_or(Opcode::Arp);
            let mut ud = userdata(op);
            // Every action OVN nests here has an OpenFlow 1.5 form; an unsupported one is
            // dropped rather than corrupting the userdata.
            let mut wire = Vec::new();
            if encode_of15(&acts, &mut wire).is_ok() {
                ud.extend_from_slice(&wire);
            }
            out.push(controller(ep, ud, false, ep.ctrl_meter_id));
        }
        Action::CtDnat(cn) => ct_nat(cn, Some(false), ep, MfField::LOG_DNAT_ZONE, out),
        Action::CtSnat(cn) => ct_nat(cn, Some(true), ep, MfField::LOG_SNAT_ZONE, out),
        Action::CtDnatInCzone(cn) => ct_nat(cn, Some(false), ep, ep.common_nat_ct_zone, out),
        Action::CtSnatInCzone(cn) => ct_nat(cn, Some(true), ep, ep.common_nat_ct_zone, out),
        Action::CtCommitNat(cn) => ct_nat(cn, None, ep, ep.ct_zone().field, out),
        Action::CtLb(lb) => ct_lb(lb, false, ep, t, out),
        Action::CtLbMark(lb) => ct_lb(lb, true, ep, t, out),
        Action::Select(sel) => {
            let table = ep.first_ptable(ep.pipeline).wrapping_add(sel.ltable);
            let mut s = String::from("type=select,selection_method=dp_hash");
            if ep.dp_hash_l4_sym {
                s.push_str(",selection_method_param=0x100000000");
            }
            let sf = sel.res.mf;
            for (i, (id, w)) in sel.dsts.iter().enumerate() {
                let _ = write!(
                    s,
                    ",bucket=bucket_id={i},weight:{w},actions=load:{id}->{}[{}..{}],resubmit(,{table})",
                    sf.field.name(),
                    sf.ofs,
                    u32::from(sf.ofs) + u32::from(sf.n_bits) - 1
                );
            }
            if let Some(id) = t.groups.assign_id(&s, ep.lflow_uuid_u128()) {
                out.push(OfAction::Group(id));
            }
        }
        Action::CtClear => out.push(OfAction::CtClear),
        Action::Igmp => out.push(controller_op(ep, Opcode::Igmp)),
        Action::GetArp(b) | Action::GetNd(b) => {
            let ipf = if matches!(a, Action::GetArp(_)) {
                MfField::Reg(0)
            } else {
                MfField::XxReg(0)
            };
            let args = [(b.0.mf, MfField::LOG_OUTPORT), (b.1.mf, ipf)];
            setup_args(&args, out);
            put_load(0, MfField::Fixed(Fixed::EthDst), 0, 48, out);
            out.push(OfAction::Resubmit(ep.mac_bind_ptable));
            restore_args(&args, out);
        }
        Action::PutArp(b) | Action::PutNd(b) => {
            let (ipf, op) = if matches!(a, Action::PutArp(_)) {
                (MfField::Reg(0), Opcode::PutArp)
            } else {
                (MfField::XxReg(0), Opcode::PutNd)
            };
            let args = [
                (b.0.mf, MfField::LOG_INPORT),
                (b.1.mf, ipf),
                (b.2.mf, MfField::Fixed(Fixed::EthSrc)),
            ];
            setup_args(&args, out);
            out.push(controller_op(ep, op));
            restore_args(&args, out);
        }
        Action::LookupArp(b) | Action::LookupNd(b) => {
            let ipf = if matches!(a, Action::LookupArp(_)) {
                MfField::Reg(0)
            } else {
                MfField::XxReg(0)
            };
            let args = [
                (b[1].mf, MfField::LOG_INPORT),
                (b[2].mf, ipf),
                (b[3].mf, MfField::Fixed(Fixed::EthSrc)),
            ];
            setup_args(&args, out);
            result_action(&b[0], ep.mac_lookup_ptable, MLF_LOOKUP_MAC_BIT, out);
            restore_args(&args, out);
        }
        Action::LookupArpIp(b) | Action::LookupNdIp(b) => {
            let ipf = if matches!(a, Action::LookupArpIp(_)) {
                MfField::Reg(0)
            } else {
                MfField::XxReg(0)
            };
            let args = [(b[1].mf, MfField::LOG_OUTPORT), (b[2].mf, ipf)];
            setup_args(&args, out);
            out.push(OfAction::Push(whole(MfField::Fixed(Fixed::EthDst))));
            result_action(&b[0], ep.mac_bind_ptable, MLF_LOOKUP_MAC_BIT, out);
            out.push(OfAction::Pop(whole(MfField::Fixed(Fixed::EthDst))));
            restore_args(&args, out);
        }
        Action::PutOpts(po) => {
            let op = match po.kind {
                OptsKind::Dhcpv4 => Opcode::PutDhcpOpts,
                OptsKind::Dhcpv6 => Opcode::PutDhcpv6Opts,
                OptsKind::NdRa => Opcode::PutNdRaOpts,
            };
            let mut ud = userdata(op);
            put_result_header(&mut ud, &po.dst.mf);
            match po.kind {
                OptsKind::Dhcpv4 => encode_dhcpv4(&po.options, &mut ud),
                OptsKind::Dhcpv6 => {
                    for o in &po.options {
                        encode_dhcpv6_option(o, &mut ud);
                    }
                }
                OptsKind::NdRa => encode_nd_ra(&po.options, &mut ud),
            }
            out.push(controller(ep, ud, true, ep.ctrl_meter_id));
        }
        Action::Dhcp6Reply => out.push(controller_op(ep, Opcode::Dhcp6Server)),
        Action::Result(kind, dst) => match kind {
            ResultKind::DnsLookup => {
                let mut ud = userdata(Opcode::DnsLookup);
                put_result_header(&mut ud, &dst.mf);
                out.push(controller(ep, ud, true, ep.ctrl_meter_id));
            }
            ResultKind::ChkLbHairpin => {
                result_action(dst, ep.lb_hairpin_ptable, MLF_LOOKUP_LB_HAIRPIN_BIT, out);
            }
            ResultKind::ChkLbHairpinReply => {
                result_action(
                    dst,
                    ep.lb_hairpin_reply_ptable,
                    MLF_LOOKUP_LB_HAIRPIN_BIT,
                    out,
                );
            }
            ResultKind::CheckInPortSec => {
                result_action(dst, ep.in_port_sec_ptable, MLF_CHECK_PORT_SEC_BIT, out);
            }
            ResultKind::CheckOutPortSec => {
                result_action(dst, ep.out_port_sec_ptable, MLF_CHECK_PORT_SEC_BIT, out);
            }
            ResultKind::ChkEcmpNhMac => {
                result_action(dst, OFTABLE_ECMP_NH_MAC, MLF_LOOKUP_COMMIT_ECMP_NH_BIT, out);
            }
            ResultKind::ChkEcmpNh => {
                result_action(dst, OFTABLE_ECMP_NH, MLF_LOOKUP_COMMIT_ECMP_NH_BIT, out);
            }
            ResultKind::ChkLbAff => result_action(
                dst,
                OFTABLE_CHK_LB_AFFINITY,
                MLF_USE_LB_AFF_SESSION_BIT,
                out,
            ),
        },
        Action::SetQueue(q) => out.push(OfAction::SetQueue(u32::from(*q))),
        Action::Log(log) => {
            let mut meter = None;
            if let Some(m) = &log.meter {
                match t.meters.assign_id(m, ep.lflow_uuid_u128()) {
                    Some(id) => meter = Some(id),
                    None => return,
                }
            }
            let mut ud = userdata(Opcode::Log);
            ud.push(log.verdict as u8);
            ud.push(log.severity);
            if let Some(n) = &log.name {
                ud.extend_from_slice(n.as_bytes());
            }
            out.push(controller(ep, ud, false, meter));
        }
        Action::SetMeter { rate, burst } => {
            let uuid = ep.lflow_uuid_str();
            let name = if *burst != 0 {
                format!(
                    "__string: uuid {uuid} kbps burst stats bands=type=drop rate={rate} burst_size={burst}"
                )
            } else {
                format!("__string: uuid {uuid} kbps stats bands=type=drop rate={rate}")
            };
            if let Some(id) = t.meters.assign_id(&name, ep.lflow_uuid_u128()) {
                out.push(OfAction::Meter(id));
            }
        }
        Action::CheckPktLarger { dst, pkt_len } => {
            out.push(OfAction::CheckPktLarger {
                pkt_len: *pkt_len,
                dst: dst.mf,
            });
        }
        Action::TriggerEvent(ev) => {
            let mut ud = userdata(Opcode::Event);
            ud.extend_from_slice(&u32::from(ev.event).to_be_bytes());
            for o in &ev.options {
                let s = o.value.first_str().unwrap_or("");
                ud.extend_from_slice(&o.def.code.to_be_bytes());
                ud.extend_from_slice(&(s.len() as u16).to_be_bytes());
                ud.extend_from_slice(s.as_bytes());
            }
            out.push(controller(ep, ud, false, ep.ctrl_meter_id));
        }
        Action::BindVport(b) => {
            let Some(key) = ep.ports.port_key(&b.0) else {
                return;
            };
            let args = [(b.1.mf, MfField::LOG_INPORT)];
            setup_args(&args, out);
            let mut ud = userdata(Opcode::BindVport);
            ud.extend_from_slice(&key.to_be_bytes());
            out.push(controller(ep, ud, false, ep.ctrl_meter_id));
            restore_args(&args, out);
        }
        Action::HandleSvcCheck(p) => {
            let args = [(p.mf, MfField::LOG_INPORT)];
            setup_args(&args, out);
            out.push(controller_op(ep, Opcode::HandleSvcCheck));
            restore_args(&args, out);
        }
        Action::FwdGroup(fg) => {
            if fg.child_ports.is_empty() {
                return;
            }
            let mut s = String::from("type=select,selection_method=dp_hash");
            for p in &fg.child_ports {
                let Some(key) = ep.ports.port_key(p) else {
                    return;
                };
                s.push_str(",bucket=");
                if fg.liveness {
                    let Some(ofport) = ep.ports.tunnel_ofport(p) else {
                        return;
                    };
                    let _ = write!(s, "watch_port:{ofport},");
                }
                // Upstream prints the decimal key after "0x" ("load=0x%d->…"); kept for
                // identical group descriptions.
                let _ = write!(
                    s,
                    "load=0x{key}->NXM_NX_REG15[0..15],resubmit(,{})",
                    ep.output_ptable
                );
            }
            if let Some(id) = t.groups.assign_id(&s, ep.lflow_uuid_u128()) {
                out.push(OfAction::Group(id));
            }
        }
        Action::CtSnatToVip => out.push(OfAction::Resubmit(ep.ct_snat_vip_ptable)),
        Action::BfdMsg => out.push(controller_op(ep, Opcode::BfdMsg)),
        Action::PutFdb(b) => {
            let args = [
                (b.0.mf, MfField::LOG_INPORT),
                (b.1.mf, MfField::Fixed(Fixed::EthSrc)),
            ];
            setup_args(&args, out);
            out.push(controller_op(ep, Opcode::PutFdb));
            restore_args(&args, out);
        }
        Action::GetFdb(b) => {
            let args = [(b.1.mf, MfField::Fixed(Fixed::EthDst))];
            setup_args(&args, out);
            put_load(0, MfField::LOG_OUTPORT, 0, 32, out);
            out.push(OfAction::Resubmit(ep.fdb_ptable));
            restore_args(&args, out);
            if b.0.mf.field != MfField::LOG_OUTPORT {
                out.push(OfAction::Move {
                    src: whole(MfField::LOG_OUTPORT),
                    dst: b.0.mf,
                });
            }
        }
        Action::LookupFdb(b) => {
            let args = [
                (b[1].mf, MfField::LOG_INPORT),
                (b[2].mf, MfField::Fixed(Fixed::EthSrc)),
            ];
            setup_args(&args, out);
            put_load(0, MfField::LOG_FLAGS, MLF_LOOKUP_FDB_BIT, 1, out);
            out.push(OfAction::Resubmit(ep.fdb_lookup_ptable));
            restore_args(&args, out);
            out.push(OfAction::Move {
                src: MfSubfield {
                    field: MfField::LOG_FLAGS,
                    ofs: MLF_LOOKUP_FDB_BIT,
                    n_bits: 1,
                },
                dst: b[0].mf,
            });
        }
        Action::Sample(s) => {
            let Some(ids) = ep.collector_ids else { return };
            if !ids.contains(&s.collector_set_id) {
                return;
            }
            out.push(OfAction::Sample {
                probability: s.probability,
                collector_set_id: s.collector_set_id,
                obs_domain_id: (u32::from(s.obs_domain_id) << 24) | (ep.dp_key & 0x00ff_ffff),
                obs_point_id: if s.use_cookie {
                    ep.lflow_uuid[0]
                } else {
                    s.obs_point_id
                },
            });
        }
        Action::CommitEcmpNh { ipv6, proto } => {
            out.push(ecmp_learn(true, *ipv6, *proto));
            out.push(ecmp_learn(false, *ipv6, *proto));
        }
        Action::CommitLbAff(aff) => out.push(lb_aff_learn(aff, ep)),
    }
}

/// Appends a `ct_commit` the way OVN 23.03's `encode_CT_COMMIT_V1/V2` really do.
///
/// Upstream finishes the `ct` action through `ofpacts->header`, which it resets to the start of
/// the action buffer instead of the `ct` itself.  When the `ct` is the buffer's first action
/// that is harmless (every upstream test vector).  Otherwise the `ct`'s own length is never
/// finished, so its nested actions become its siblings, and the buffer's first action is
/// stretched over everything after it: a fixed-size first action (`controller`, `set_field`,
/// …) makes the rest vanish from the OpenFlow encoding, a container (`clone`, `ct`) absorbs it.
/// ovn-controller 23.03 installs exactly that, e.g. for a logged stateful drop ACL
/// (`log(...); ct_commit { ct_mark.blocked = 1; };`), so we reproduce it.  `shared` is set
/// inside `clone { … }`, whose actions share the enclosing buffer (modelled as if the clone
/// were the buffer's first action).
fn push_ct_commit(out: &mut Vec<OfAction>, ct: OfAction, shared: bool) {
    if out.is_empty() && !shared {
        out.push(ct);
        return;
    }
    let mut flat = Vec::with_capacity(4);
    if let OfAction::Ct {
        commit,
        table,
        zone,
        exec,
        ..
    } = ct
    {
        // A NAT left outside its `ct` has no valid OpenFlow form; OVS would refuse the flow.
        flat.push(OfAction::Ct {
            commit,
            table,
            zone,
            nat: None,
            exec: Vec::new(),
        });
        flat.extend(exec);
    }
    if shared {
        out.extend(flat);
        return;
    }
    let mut swallowed: Vec<OfAction> = out.drain(1..).collect();
    swallowed.extend(flat);
    match out.first_mut() {
        Some(OfAction::Clone(acts)) => acts.extend(swallowed),
        Some(OfAction::Ct { exec, .. }) => exec.extend(swallowed),
        // Fixed-size actions ignore the extra length: the swallowed actions are lost.
        _ => {}
    }
}

fn zero_snat(ep: &EncodeParams<'_>) -> Option<Nat> {
    ep.ct_zero_snat.then_some(Nat {
        src: Some(true),
        addr: None,
        ports: None,
    })
}

/// Upstream `encode_ct_nat`; `src` is `None` for `ct_commit_nat` (plain `nat`).
fn ct_nat(
    cn: &CtNat,
    src: Option<bool>,
    ep: &EncodeParams<'_>,
    zone: MfField,
    out: &mut Vec<OfAction>,
) {
    let nat = Nat {
        src: if cn.ip.is_some() { src } else { None },
        addr: cn.ip.map(nat_ip),
        ports: cn.ports,
    };
    out.push(OfAction::Ct {
        commit: cn.commit,
        table: Some(ep.first_ptable(ep.pipeline).wrapping_add(cn.ltable)),
        zone: MfSubfield {
            field: zone,
            ofs: 0,
            n_bits: 16,
        },
        nat: Some(nat),
        exec: Vec::new(),
    });
}

fn ct_lb(
    lb: &CtLb,
    mark: bool,
    ep: &EncodeParams<'_>,
    t: &mut EncodeTables<'_>,
    out: &mut Vec<OfAction>,
) {
    let table = ep.first_ptable(ep.pipeline).wrapping_add(lb.ltable);
    if lb.dsts.is_empty() {
        out.push(OfAction::Ct {
            commit: false,
            table: Some(table),
            zone: ep.ct_zone(),
            nat: Some(Nat {
                src: None,
                addr: None,
                ports: None,
            }),
            exec: Vec::new(),
        });
        return;
    }
    let zone_reg = if ep.is_switch { 13 } else { 11 };
    let flag_reg = if mark { "ct_mark" } else { "ct_label" };
    let flag = match lb.flag {
        CtLbFlag::SkipSnat => Some("4/4"),
        CtLbFlag::ForceSnat => Some("8/8"),
        CtLbFlag::None => None,
    };
    let mut s = String::with_capacity(128 * lb.dsts.len());
    s.push_str("type=select,selection_method=");
    s.push_str(if lb.hash_fields.is_some() {
        "hash"
    } else {
        "dp_hash"
    });
    if let Some(h) = &lb.hash_fields {
        let _ = write!(s, ",fields({h})");
    }
    for (i, d) in lb.dsts.iter().enumerate() {
        let (addr, v6) = match d.ip {
            NatIp::V4(v) => (ipv4_str(v), false),
            NatIp::V6(v) => (ipv6_str(v), true),
        };
        let br = v6 && d.port != 0;
        let _ = write!(
            s,
            ",bucket=bucket_id={i},weight:100,actions=ct(nat(dst={}{addr}{}",
            if br { "[" } else { "" },
            if br { "]" } else { "" }
        );
        if d.port != 0 {
            let _ = write!(s, ":{}", d.port);
        }
        let _ = write!(
            s,
            "),commit,table={table},zone=NXM_NX_REG{zone_reg}[0..15],exec(set_field:2/2->{flag_reg}"
        );
        if let Some(f) = flag {
            let _ = write!(s, ",set_field:{f}->{flag_reg}");
        }
        s.push_str("))");
    }
    if let Some(id) = t.groups.assign_id(&s, ep.lflow_uuid_u128()) {
        out.push(OfAction::Group(id));
    }
}

fn encode_dhcpv4(options: &[GenOption], ud: &mut Vec<u8>) {
    let find = |code: u16| options.iter().position(|o| o.def.code == code);
    let offer = find(0);
    let offerip = offer
        .and_then(|i| options[i].value.first_int())
        .map_or(0, |c| c.value as u32);
    ud.extend_from_slice(&offerip.to_be_bytes());
    let boot = find(DHCP_OPT_BOOTFILE_CODE);
    let boot_alt = find(DHCP_OPT_BOOTFILE_ALT_CODE);
    let next_server = find(DHCP_OPT_NEXT_SERVER_CODE);
    for i in [boot, boot_alt].into_iter().flatten() {
        let o = &options[i];
        let s = o.value.first_str().unwrap_or("").as_bytes();
        ud.push(o.def.code as u8);
        ud.push(s.len() as u8);
        ud.extend_from_slice(s);
    }
    if let Some(i) = next_server {
        let o = &options[i];
        ud.push(o.def.code as u8);
        ud.push(4);
        let v = o.value.first_int().map_or(0, |c| c.value as u32);
        ud.extend_from_slice(&v.to_be_bytes());
    }
    for (i, o) in options.iter().enumerate() {
        let special = [offer, boot, boot_alt, next_server].contains(&Some(i));
        if !special {
            encode_dhcpv4_option(o, ud);
        }
    }
}

fn sf(f: Fixed) -> MfSubfield {
    MfSubfield::whole(MfField::Fixed(f))
}

/// A learn spec whose source subfield upstream leaves zero-width (printed `[0..-1]`).
fn match_field(dst: Fixed, src: Fixed) -> LearnSpec {
    LearnSpec::MatchField {
        dst: sf(dst),
        src: MfSubfield {
            field: MfField::Fixed(src),
            ofs: 0,
            n_bits: 0,
        },
    }
}

/// Upstream `commit_ecmp_learn_action`.
fn ecmp_learn(nw_conn: bool, ipv6: bool, proto: u8) -> OfAction {
    use Fixed::*;
    let mut specs = vec![match_field(Metadata, Metadata)];
    if nw_conn {
        specs.push(match_field(EthSrc, EthSrc));
    }
    let eth_type: u16 = if ipv6 { 0x86dd } else { 0x0800 };
    specs.push(LearnSpec::MatchImm {
        dst: sf(EthType),
        imm: eth_type.to_be_bytes().to_vec(),
    });
    let (src, dst) = if ipv6 {
        (Ipv6Src, Ipv6Dst)
    } else {
        (Ipv4Src, Ipv4Dst)
    };
    if nw_conn {
        specs.push(match_field(src, src));
        specs.push(match_field(dst, dst));
    } else {
        specs.push(match_field(src, dst));
        specs.push(match_field(dst, src));
    }
    specs.push(LearnSpec::MatchImm {
        dst: sf(IpProto),
        imm: vec![proto],
    });
    let (psrc, pdst) = match proto {
        17 => (UdpSrc, UdpDst),
        132 => (SctpSrc, SctpDst),
        _ => (TcpSrc, TcpDst),
    };
    if nw_conn {
        specs.push(match_field(psrc, psrc));
        specs.push(match_field(pdst, pdst));
    } else {
        specs.push(match_field(psrc, pdst));
        specs.push(match_field(pdst, psrc));
    }
    specs.push(LearnSpec::LoadImm {
        dst: MfSubfield {
            field: MfField::LOG_FLAGS,
            ofs: MLF_LOOKUP_COMMIT_ECMP_NH_BIT,
            n_bits: 1,
        },
        imm: vec![1],
    });
    OfAction::Learn(Box::new(Learn {
        table: if nw_conn {
            OFTABLE_ECMP_NH_MAC
        } else {
            OFTABLE_ECMP_NH
        },
        idle_timeout: 20,
        hard_timeout: 30,
        delete_learned: true,
        specs,
    }))
}

/// Upstream `encode_COMMIT_LB_AFF`.
fn lb_aff_learn(aff: &CommitLbAff, ep: &EncodeParams<'_>) -> OfAction {
    use Fixed::*;
    let ipv6 = !is_v4_mapped(aff.vip);
    let mut specs = vec![match_field(Metadata, Metadata)];
    let eth_type: u16 = if ipv6 { 0x86dd } else { 0x0800 };
    specs.push(LearnSpec::MatchImm {
        dst: sf(EthType),
        imm: eth_type.to_be_bytes().to_vec(),
    });
    let (src, dst) = if ipv6 {
        (Ipv6Src, Ipv6Dst)
    } else {
        (Ipv4Src, Ipv4Dst)
    };
    specs.push(match_field(src, src));
    let vip: Vec<u8> = if ipv6 {
        aff.vip.to_be_bytes().to_vec()
    } else {
        (aff.vip as u32).to_be_bytes().to_vec()
    };
    specs.push(LearnSpec::MatchImm {
        dst: sf(dst),
        imm: vip,
    });
    if aff.proto != 0 {
        specs.push(LearnSpec::MatchImm {
            dst: sf(IpProto),
            imm: vec![aff.proto],
        });
        let pdst = match aff.proto {
            17 => UdpDst,
            132 => SctpDst,
            _ => TcpDst,
        };
        specs.push(LearnSpec::MatchImm {
            dst: sf(pdst),
            imm: aff.vip_port.to_be_bytes().to_vec(),
        });
    }
    specs.push(LearnSpec::LoadImm {
        dst: MfSubfield {
            field: MfField::LOG_FLAGS,
            ofs: MLF_USE_LB_AFF_SESSION_BIT,
            n_bits: 1,
        },
        imm: vec![1],
    });
    let (bdst, bimm) = if ipv6 {
        let f = if ep.is_switch {
            MfField::XxReg(0)
        } else {
            MfField::XxReg(1)
        };
        (MfSubfield::whole(f), aff.backend.to_be_bytes().to_vec())
    } else {
        (
            MfSubfield::whole(MfField::Reg(4)),
            (aff.backend as u32).to_be_bytes().to_vec(),
        )
    };
    specs.push(LearnSpec::LoadImm {
        dst: bdst,
        imm: bimm,
    });
    if aff.backend_port != 0 {
        specs.push(LearnSpec::LoadImm {
            dst: MfSubfield {
                field: MfField::Reg(8),
                ofs: 0,
                n_bits: 16,
            },
            imm: aff.backend_port.to_be_bytes().to_vec(),
        });
    }
    OfAction::Learn(Box::new(Learn {
        table: OFTABLE_CHK_LB_AFFINITY,
        idle_timeout: aff.timeout,
        hard_timeout: 0,
        delete_learned: true,
        specs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct() -> OfAction {
        OfAction::Ct {
            commit: true,
            table: None,
            zone: MfSubfield {
                field: MfField::LOG_CT_ZONE,
                ofs: 0,
                n_bits: 16,
            },
            nat: None,
            exec: vec![OfAction::SetField {
                field: MfField::Fixed(Fixed::CtMark),
                value: 1,
                mask: 1,
            }],
        }
    }

    fn text(acts: &[OfAction]) -> String {
        let mut s = String::new();
        let _ = super::super::ofpact::format_actions(&mut s, acts);
        s
    }

    #[test]
    fn ct_commit_first_is_intact() {
        let mut out = Vec::new();
        push_ct_commit(&mut out, ct(), false);
        assert_eq!(
            text(&out),
            "ct(commit,zone=NXM_NX_REG13[0..15],exec(set_field:0x1/0x1->ct_mark))"
        );
    }

    #[test]
    fn ct_commit_after_fixed_action_vanishes_with_the_rest() {
        let mut out = vec![OfAction::Resubmit(1), OfAction::Resubmit(2)];
        push_ct_commit(&mut out, ct(), false);
        out.push(OfAction::Resubmit(3));
        assert_eq!(text(&out), "resubmit(,1),resubmit(,3)");
    }

    #[test]
    fn ct_commit_after_container_is_absorbed_flat() {
        let mut out = vec![
            OfAction::Clone(vec![OfAction::Resubmit(1)]),
            OfAction::Resubmit(2),
        ];
        push_ct_commit(&mut out, ct(), false);
        assert_eq!(
            text(&out),
            "clone(resubmit(,1),resubmit(,2),ct(commit,zone=NXM_NX_REG13[0..15]),set_field:0x1/0x1->ct_mark)"
        );
    }
}
