//! `OfAction`: the OpenFlow actions OVN's logical actions encode to (OVS `struct ofpact`), with
//! `Display` in `ovs-ofctl` syntax (`ofpacts_format`) and the OpenFlow 1.5 wire form
//! (`ofpacts_put_openflow_actions`) that controller actions carry nested in their userdata.
//!
//! This is the thin internal representation used until `openflow::action::Action` exists; it is
//! deliberately small (no heap except nested lists / userdata) because one is built per action
//! per logical flow.

use std::fmt::{self, Write as _};

use super::mf::{MfField, MfSubfield, format_value, put_hex};

/// `OFPP_IN_PORT`.
const OFPP_IN_PORT: u16 = 0xfff8;

/// NAT parameters of a `ct` action (OVS `struct ofpact_nat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nat {
    /// `Some(true)` = `src`, `Some(false)` = `dst`, `None` = plain `nat`.
    pub src: Option<bool>,
    /// Address (IPv4 in the low 32 bits when `ipv6` is false).
    pub addr: Option<NatAddr>,
    /// Port range (`min`, `max`; `max == 0` means a single port).
    pub ports: Option<(u16, u16)>,
}

/// The address of a NAT range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatAddr {
    /// IPv4.
    V4(u32),
    /// IPv6.
    V6(u128),
}

/// One `learn` flow spec (OVS `struct ofpact_learn_spec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LearnSpec {
    /// Match `dst` against the value of `src` in the packet.
    MatchField {
        /// Field of the learned flow.
        dst: MfSubfield,
        /// Field of the packet (upstream often leaves `n_bits` 0 here, which prints as
        /// `[0..-1]`).
        src: MfSubfield,
    },
    /// Match `dst` against an immediate, stored as the first `n_bytes` bytes of OVS's
    /// `union mf_value` (so right-padded, in memory order).
    MatchImm {
        /// Field of the learned flow.
        dst: MfSubfield,
        /// Immediate bytes (`DIV_ROUND_UP(n_bits, 8)` of them).
        imm: Vec<u8>,
    },
    /// Load an immediate into `dst` in the learned flow's actions.
    LoadImm {
        /// Destination.
        dst: MfSubfield,
        /// Immediate bytes.
        imm: Vec<u8>,
    },
}

/// `learn(...)` (OVS `struct ofpact_learn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learn {
    /// Table of the learned flows.
    pub table: u8,
    /// 0 = permanent.
    pub idle_timeout: u16,
    /// 0 = permanent.
    pub hard_timeout: u16,
    /// `delete_learned` flag.
    pub delete_learned: bool,
    /// Specs in order.
    pub specs: Vec<LearnSpec>,
}

/// One OpenFlow action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfAction {
    /// `resubmit(,T)`.
    Resubmit(u8),
    /// `set_field:V/M->F` (value and mask right-aligned in the field's width).
    SetField {
        /// Field.
        field: MfField,
        /// Value.
        value: u128,
        /// Mask (all ones over the field = unmasked).
        mask: u128,
    },
    /// `move:SRC->DST`.
    Move {
        /// Source.
        src: MfSubfield,
        /// Destination.
        dst: MfSubfield,
    },
    /// `push:F`.
    Push(MfSubfield),
    /// `pop:F`.
    Pop(MfSubfield),
    /// `dec_ttl`.
    DecTtl,
    /// `ct(...)`.
    Ct {
        /// `commit`.
        commit: bool,
        /// Recirculation table (`None` = `NX_CT_RECIRC_NONE`).
        table: Option<u8>,
        /// Zone register.
        zone: MfSubfield,
        /// NAT, printed outside `exec`.
        nat: Option<Nat>,
        /// Nested `exec(...)` actions.
        exec: Vec<OfAction>,
    },
    /// `ct_clear`.
    CtClear,
    /// `clone(...)`.
    Clone(Vec<OfAction>),
    /// `controller(userdata=…[,pause][,meter_id=N])`.
    Controller {
        /// Userdata (OVN opcode header and payload).
        userdata: Vec<u8>,
        /// Continuation.
        pause: bool,
        /// Meter (`None` = `NX_CTLR_NO_METER`).
        meter_id: Option<u32>,
    },
    /// `group:N`.
    Group(u32),
    /// `meter:N`.
    Meter(u32),
    /// `set_queue:N`.
    SetQueue(u32),
    /// `check_pkt_larger(N)->DST`.
    CheckPktLarger {
        /// Length threshold.
        pkt_len: u16,
        /// 1-bit result.
        dst: MfSubfield,
    },
    /// `sample(...)`.
    Sample {
        /// Probability out of 65535.
        probability: u16,
        /// IPFIX collector set.
        collector_set_id: u32,
        /// Observation domain.
        obs_domain_id: u32,
        /// Observation point.
        obs_point_id: u32,
    },
    /// `learn(...)`.
    Learn(Box<Learn>),
}

/// Writes a list of actions the way `ofpacts_format` does (`drop` when empty).
pub fn format_actions(f: &mut impl fmt::Write, acts: &[OfAction]) -> fmt::Result {
    if acts.is_empty() {
        return f.write_str("drop");
    }
    write_list(f, acts)
}

fn write_list(f: &mut impl fmt::Write, acts: &[OfAction]) -> fmt::Result {
    for (i, a) in acts.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

/// A list of actions, displayed as `ofpacts_format` does.
#[derive(Debug, Clone, Copy)]
pub struct ActionList<'a>(pub &'a [OfAction]);

impl fmt::Display for ActionList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_actions(f, self.0)
    }
}

fn fmt_ipv4(f: &mut impl fmt::Write, v: u32) -> fmt::Result {
    write!(
        f,
        "{}.{}.{}.{}",
        v >> 24,
        (v >> 16) & 0xff,
        (v >> 8) & 0xff,
        v & 0xff
    )
}

impl fmt::Display for Nat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nat")?;
        let Some(src) = self.src else { return Ok(()) };
        f.write_str(if src { "(src" } else { "(dst" })?;
        if let Some(addr) = self.addr {
            f.write_char('=')?;
            let port_min = self.ports.map_or(0, |p| p.0);
            match addr {
                NatAddr::V4(v) => fmt_ipv4(f, v)?,
                NatAddr::V6(v) => {
                    if port_min != 0 {
                        f.write_char('[')?;
                    }
                    crate::lex::addr::format_ipv6(f, v)?;
                    if port_min != 0 {
                        f.write_char(']')?;
                    }
                }
            }
            if let Some((lo, hi)) = self.ports.filter(|p| p.0 != 0) {
                write!(f, ":{lo}")?;
                if hi != 0 && hi != lo {
                    write!(f, "-{hi}")?;
                }
            }
        }
        f.write_char(')')
    }
}

impl fmt::Display for LearnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LearnSpec::MatchField { dst, src } => {
                write!(f, "{dst}")?;
                if src.field != dst.field || src.ofs != dst.ofs {
                    write!(f, "={src}")?;
                }
                Ok(())
            }
            LearnSpec::MatchImm { dst, imm } => {
                if dst.ofs == 0 && dst.n_bits == dst.field.n_bits() {
                    // The immediate sits at the end of an n_bytes-wide value (OVS copies it to
                    // `value.b[n_bytes - imm_bytes]`).
                    let n = dst.field.n_bytes();
                    let mut v = 0u128;
                    for &b in imm.iter().take(n) {
                        v = (v << 8) | u128::from(b);
                    }
                    write!(f, "{}=", dst.field.name())?;
                    format_value(f, dst.field, v, u128::MAX)
                } else {
                    write!(f, "{dst}=")?;
                    put_hex(f, imm)
                }
            }
            LearnSpec::LoadImm { dst, imm } => {
                f.write_str("load:")?;
                put_hex(f, imm)?;
                write!(f, "->{dst}")
            }
        }
    }
}

impl fmt::Display for OfAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfAction::Resubmit(t) => write!(f, "resubmit(,{t})"),
            OfAction::SetField { field, value, mask } => {
                f.write_str("set_field:")?;
                format_value(f, *field, *value, *mask)?;
                write!(f, "->{}", field.name())
            }
            OfAction::Move { src, dst } => write!(f, "move:{src}->{dst}"),
            OfAction::Push(sf) => write!(f, "push:{sf}"),
            OfAction::Pop(sf) => write!(f, "pop:{sf}"),
            OfAction::DecTtl => f.write_str("dec_ttl"),
            OfAction::Ct {
                commit,
                table,
                zone,
                nat,
                exec,
            } => {
                f.write_str("ct(")?;
                let mut parts: Vec<String> = Vec::with_capacity(5);
                if *commit {
                    parts.push("commit".into());
                }
                if let Some(t) = table {
                    parts.push(format!("table={t}"));
                }
                parts.push(format!("zone={zone}"));
                if let Some(n) = nat {
                    parts.push(n.to_string());
                }
                if !exec.is_empty() {
                    let mut s = String::from("exec(");
                    write_list(&mut s, exec)?;
                    s.push(')');
                    parts.push(s);
                }
                f.write_str(&parts.join(","))?;
                f.write_char(')')
            }
            OfAction::CtClear => f.write_str("ct_clear"),
            OfAction::Clone(acts) => {
                f.write_str("clone(")?;
                write_list(f, acts)?;
                f.write_char(')')
            }
            OfAction::Controller {
                userdata,
                pause,
                meter_id,
            } => {
                if userdata.is_empty() && !pause && meter_id.is_none() {
                    return f.write_str("CONTROLLER:65535");
                }
                f.write_str("controller(")?;
                let mut first = true;
                let mut sep = |f: &mut fmt::Formatter<'_>| {
                    if !std::mem::replace(&mut first, false) {
                        f.write_char(',')
                    } else {
                        Ok(())
                    }
                };
                if !userdata.is_empty() {
                    sep(f)?;
                    f.write_str("userdata=")?;
                    for (i, b) in userdata.iter().enumerate() {
                        if i > 0 {
                            f.write_char('.')?;
                        }
                        write!(f, "{b:02x}")?;
                    }
                }
                if *pause {
                    sep(f)?;
                    f.write_str("pause")?;
                }
                if let Some(m) = meter_id {
                    sep(f)?;
                    write!(f, "meter_id={m}")?;
                }
                f.write_char(')')
            }
            OfAction::Group(g) => write!(f, "group:{g}"),
            OfAction::Meter(m) => write!(f, "meter:{m}"),
            OfAction::SetQueue(q) => write!(f, "set_queue:{q}"),
            OfAction::CheckPktLarger { pkt_len, dst } => {
                write!(f, "check_pkt_larger({pkt_len})->{dst}")
            }
            OfAction::Sample {
                probability,
                collector_set_id,
                obs_domain_id,
                obs_point_id,
            } => write!(
                f,
                "sample(probability={probability},collector_set_id={collector_set_id},\
                 obs_domain_id={obs_domain_id},obs_point_id={obs_point_id})"
            ),
            OfAction::Learn(l) => {
                write!(f, "learn(table={}", l.table)?;
                if l.idle_timeout != 0 {
                    write!(f, ",idle_timeout={}", l.idle_timeout)?;
                }
                if l.hard_timeout != 0 {
                    write!(f, ",hard_timeout={}", l.hard_timeout)?;
                }
                if l.delete_learned {
                    f.write_str(",delete_learned")?;
                }
                for s in &l.specs {
                    write!(f, ",{s}")?;
                }
                f.write_char(')')
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenFlow 1.5 wire form.

const NX_VENDOR: u32 = 0x0000_2320;

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Pads `out` with zeros so that the action starting at `start` is a multiple of 8 long, then
/// writes its length at `start + 2`.
fn finish(out: &mut Vec<u8>, start: usize) {
    while !(out.len() - start).is_multiple_of(8) {
        out.push(0);
    }
    let len = (out.len() - start) as u16;
    if let Some(slot) = out.get_mut(start + 2..start + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

fn nx_header(out: &mut Vec<u8>, subtype: u16) -> usize {
    let start = out.len();
    put_u16(out, 0xffff);
    put_u16(out, 0);
    put_u32(out, NX_VENDOR);
    put_u16(out, subtype);
    start
}

fn of_header(out: &mut Vec<u8>, ty: u16) -> usize {
    let start = out.len();
    put_u16(out, ty);
    put_u16(out, 0);
    start
}

/// Appends the `n` low bytes of `v` in network order.
fn put_bytes(out: &mut Vec<u8>, v: u128, n: usize) {
    let b = v.to_be_bytes();
    out.extend_from_slice(&b[16 - n.min(16)..]);
}

impl Nat {
    /// NXAST_NAT.
    fn encode_of15(&self, out: &mut Vec<u8>) {
        let s = nx_header(out, 36);
        out.extend_from_slice(&[0; 2]);
        let flags: u16 = match self.src {
            Some(true) => 1,
            Some(false) => 2,
            None => 0,
        };
        put_u16(out, flags);
        let present_at = out.len();
        put_u16(out, 0);
        let mut present: u16 = 0;
        match self.addr {
            Some(NatAddr::V4(v)) if v != 0 => {
                put_u32(out, v);
                present |= 1;
            }
            Some(NatAddr::V6(v)) if v != 0 => {
                out.extend_from_slice(&v.to_be_bytes());
                present |= 4;
            }
            _ => {}
        }
        if self.addr.is_some()
            && let Some((lo, hi)) = self.ports
        {
            if lo != 0 {
                put_u16(out, lo);
                present |= 16;
            }
            if hi != 0 {
                put_u16(out, hi);
                present |= 32;
            }
        }
        if let Some(slot) = out.get_mut(present_at..present_at + 2) {
            slot.copy_from_slice(&present.to_be_bytes());
        }
        finish(out, s);
    }
}

impl Learn {
    /// NXAST_LEARN.
    fn encode_of15(&self, out: &mut Vec<u8>) {
        let s = nx_header(out, 16);
        put_u16(out, self.idle_timeout);
        put_u16(out, self.hard_timeout);
        put_u16(out, 0x8000);
        out.extend_from_slice(&[0; 8]);
        put_u16(out, if self.delete_learned { 2 } else { 0 });
        out.push(self.table);
        out.push(0);
        put_u16(out, 0);
        put_u16(out, 0);
        for spec in &self.specs {
            let (dst, src_field, imm, load) = match spec {
                LearnSpec::MatchField { dst, src } => (dst, Some(src), None, false),
                LearnSpec::MatchImm { dst, imm } => (dst, None, Some(imm), false),
                LearnSpec::LoadImm { dst, imm } => (dst, None, Some(imm), true),
            };
            let n_bits = dst.n_bits & 0x7ff;
            let src_type: u16 = if imm.is_some() { 1 << 13 } else { 0 };
            let dst_type: u16 = if load { 1 << 11 } else { 0 };
            put_u16(out, n_bits | src_type | dst_type);
            if let Some(src) = src_field {
                put_u32(out, src.field.nxm_header());
                put_u16(out, src.ofs);
            }
            if let Some(imm) = imm {
                let n_dst = 2 * usize::from(n_bits).div_ceil(16);
                let n = usize::from(n_bits).div_ceil(8).min(imm.len());
                out.extend(std::iter::repeat_n(0, n_dst.saturating_sub(n)));
                out.extend_from_slice(&imm[..n]);
            }
            put_u32(out, dst.field.nxm_header());
            put_u16(out, dst.ofs);
        }
        finish(out, s);
    }
}

/// Error for an action this encoder cannot put on the wire (reserved; every current action has
/// an OpenFlow 1.5 form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OpenFlow 1.5 encoding of `{0}` is not supported inside a controller action")]
pub struct WireUnsupported(pub String);

/// Appends the OpenFlow 1.5 encoding of `acts` to `out`.
pub fn encode_of15(acts: &[OfAction], out: &mut Vec<u8>) -> Result<(), WireUnsupported> {
    for a in acts {
        a.encode_of15(out)?;
    }
    Ok(())
}

impl OfAction {
    /// Appends the OpenFlow 1.5 encoding of this action to `out` (as OVS 3.1 encodes it).
    pub fn encode_of15(&self, out: &mut Vec<u8>) -> Result<(), WireUnsupported> {
        match self {
            OfAction::Resubmit(t) => {
                let s = nx_header(out, 14);
                put_u16(out, OFPP_IN_PORT);
                out.push(*t);
                finish(out, s);
            }
            OfAction::SetField { field, value, mask } => {
                let n = field.n_bytes();
                let all = if n >= 16 {
                    u128::MAX
                } else {
                    (1u128 << (8 * n)) - 1
                };
                let masked = mask & all != all;
                let s = of_header(out, 25);
                put_u32(out, field.header_of15(masked));
                put_bytes(out, *value & all, n);
                if masked {
                    put_bytes(out, *mask & all, n);
                }
                finish(out, s);
            }
            OfAction::Move { src, dst } => {
                let s = of_header(out, 28);
                put_u16(out, src.n_bits);
                put_u16(out, src.ofs);
                put_u16(out, dst.ofs);
                put_u16(out, 0);
                put_u32(out, src.field.header_of15(false));
                put_u32(out, dst.field.header_of15(false));
                finish(out, s);
            }
            OfAction::Push(sf) | OfAction::Pop(sf) => {
                let s = nx_header(
                    out,
                    if matches!(self, OfAction::Push(_)) {
                        27
                    } else {
                        28
                    },
                );
                put_u16(out, sf.ofs);
                put_u32(out, sf.field.nxm_header());
                put_u16(out, sf.n_bits);
                while out.len() - s < 24 {
                    out.push(0);
                }
                finish(out, s);
            }
            OfAction::DecTtl => {
                // OVN's dec_ttl has no controller ids, which OVS encodes as
                // NXAST_DEC_TTL_CNT_IDS (not OFPAT_DEC_NW_TTL); decoded it prints `dec_ttl()`.
                let s = nx_header(out, 21);
                put_u16(out, 0);
                finish(out, s);
            }
            OfAction::CtClear => {
                let s = nx_header(out, 43);
                finish(out, s);
            }
            OfAction::Clone(acts) => {
                let s = nx_header(out, 42);
                out.extend_from_slice(&[0; 6]);
                encode_of15(acts, out)?;
                finish(out, s);
            }
            OfAction::Controller {
                userdata,
                pause,
                meter_id,
            } => {
                let s = nx_header(out, 37);
                out.extend_from_slice(&[0; 6]);
                let prop = |out: &mut Vec<u8>, ty: u16, body: &[u8]| {
                    let p = out.len();
                    put_u16(out, ty);
                    put_u16(out, (4 + body.len()) as u16);
                    out.extend_from_slice(body);
                    while !(out.len() - p).is_multiple_of(8) {
                        out.push(0);
                    }
                };
                if !userdata.is_empty() {
                    prop(out, 3, userdata);
                }
                if *pause {
                    prop(out, 4, &[]);
                }
                if let Some(m) = meter_id {
                    prop(out, 5, &m.to_be_bytes());
                }
                finish(out, s);
            }
            OfAction::Group(g) => {
                let s = of_header(out, 22);
                put_u32(out, *g);
                finish(out, s);
            }
            OfAction::Meter(m) => {
                let s = of_header(out, 29);
                put_u32(out, *m);
                finish(out, s);
            }
            OfAction::SetQueue(q) => {
                let s = of_header(out, 21);
                put_u32(out, *q);
                finish(out, s);
            }
            OfAction::CheckPktLarger { pkt_len, dst } => {
                let s = nx_header(out, 49);
                put_u16(out, *pkt_len);
                put_u16(out, dst.ofs);
                put_u32(out, dst.field.nxm_header());
                finish(out, s);
            }
            OfAction::Ct {
                commit,
                table,
                zone,
                nat,
                exec,
            } => {
                let s = nx_header(out, 35);
                put_u16(out, u16::from(*commit));
                put_u32(out, zone.field.nxm_header());
                put_u16(out, (zone.ofs << 6) | zone.n_bits.saturating_sub(1));
                out.push(table.unwrap_or(0xff));
                out.extend_from_slice(&[0; 3]);
                put_u16(out, 0);
                if let Some(n) = nat {
                    n.encode_of15(out);
                }
                encode_of15(exec, out)?;
                finish(out, s);
            }
            OfAction::Sample {
                probability,
                collector_set_id,
                obs_domain_id,
                obs_point_id,
            } => {
                let s = nx_header(out, 29);
                put_u16(out, *probability);
                put_u32(out, *collector_set_id);
                put_u32(out, *obs_domain_id);
                put_u32(out, *obs_point_id);
                finish(out, s);
            }
            OfAction::Learn(l) => l.encode_of15(out),
        }
        Ok(())
    }
}
