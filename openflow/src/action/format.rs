//! `Display` of actions exactly as `ovs-ofctl -O OpenFlow15` prints them (the `format_*`
//! functions of OVS lib/ofp-actions.c and `learn_format` of lib/learn.c).

use std::fmt::{self, Write};

use super::types::MULTIPATH_ALGORITHMS;
use super::types::{
    Action, BUNDLE_FIELDS, Bundle, Controller, Ct, CtZone, Learn, LearnSpec, LearnSrc,
    NX_CTLR_NO_METER, Nat, NatRange, OFPR_ACTION, Sample,
};
use crate::field::{Field, Format};
use crate::flow_match::{CT_STATE_NAMES, TCP_FLAG_NAMES, write_flags_masked};
use crate::text::{
    OFPP_CONTROLLER, OFPP_IN_PORT, OFPP_MAX, OFPP_NONE, port_from_ofp11, write_dotted_hex,
    write_hex, write_ipv4_masked, write_ipv6, write_ipv6_masked, write_mac_masked, write_port,
};

fn be(s: &[u8]) -> u128 {
    s.iter().take(16).fold(0, |a, &b| (a << 8) | u128::from(b))
}

/// OVS `mf_format`: a field value (and mask) in the field's own syntax.
pub(crate) fn write_field_value(
    f: &mut impl Write,
    field: Field,
    value: &[u8],
    mask: Option<&[u8]>,
) -> fmt::Result {
    let mask = match mask {
        Some(m) if m.iter().all(|&b| b == 0) => return f.write_str("ANY"),
        Some(m) if m.iter().all(|&b| b == 0xff) => None,
        m => m,
    };
    let info = field.info();
    match info.format {
        Format::Port11 if mask.is_none() => match port_from_ofp11(be(value) as u32) {
            Some(p) => write_port(f, p),
            None => write!(f, "{}", be(value)),
        },
        Format::Port if mask.is_none() => write_port(f, be(value) as u16),
        Format::Hex
        | Format::Frag
        | Format::PacketType
        | Format::Port
        | Format::Port11
        | Format::Decimal => {
            if info.format == Format::Hex || info.format == Format::PacketType {
                write_hex(f, value)?;
            } else {
                write!(f, "{}", be(value))?;
            }
            if let Some(m) = mask {
                f.write_char('/')?;
                write_hex(f, m)?;
            }
            Ok(())
        }
        Format::CtState => write_flags_masked(
            f,
            &CT_STATE_NAMES,
            be(value),
            mask.map_or(u128::from(u32::MAX), be),
            0xffff,
        ),
        Format::TcpFlags => write_flags_masked(
            f,
            &TCP_FLAG_NAMES,
            be(value),
            mask.map_or(0xfff, |m| be(m) & 0xfff),
            0xfff,
        ),
        Format::TunFlags => {
            write_flags_masked(f, &["oam"], be(value), mask.map_or(1, |m| be(m) & 1), 1)
        }
        Format::Ethernet => write_mac_masked(f, value, mask),
        Format::Ipv4 => write_ipv4_masked(f, value, mask),
        Format::Ipv6 => write_ipv6_masked(f, value, mask),
    }
}

/// Writes an action list separated by commas; the empty list is `drop`.
pub fn write_actions(f: &mut impl Write, actions: &[Action]) -> fmt::Result {
    if actions.is_empty() {
        return f.write_str("drop");
    }
    write_list(f, actions)
}

fn write_list(f: &mut impl Write, actions: &[Action]) -> fmt::Result {
    for (i, a) in actions.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

fn write_ct(f: &mut fmt::Formatter<'_>, ct: &Ct) -> fmt::Result {
    let mut parts: Vec<String> = Vec::new();
    if ct.commit {
        parts.push("commit".into());
    }
    if ct.force {
        parts.push("force".into());
    }
    if ct.table != 255 {
        parts.push(format!("table={}", ct.table));
    }
    match ct.zone {
        CtZone::Field(sf) => parts.push(format!("zone={sf}")),
        CtZone::Imm(0) => {}
        CtZone::Imm(z) => parts.push(format!("zone={z}")),
    }
    let mut rest = &ct.actions[..];
    if let Some((Action::Nat(n), tail)) = rest.split_first() {
        parts.push(Action::Nat(n.clone()).to_string());
        rest = tail;
    }
    if !rest.is_empty() {
        let mut s = String::new();
        write_list(&mut s, rest)?;
        parts.push(format!("exec({s})"));
    }
    match ct.alg {
        0 => {}
        21 => parts.push("alg=ftp".into()),
        69 => parts.push("alg=tftp".into()),
        a => parts.push(format!("alg={a}")),
    }
    write!(f, "ct({})", parts.join(","))
}

fn write_nat(f: &mut fmt::Formatter<'_>, n: &Nat) -> fmt::Result {
    f.write_str("nat")?;
    if n.flags & (Nat::F_SRC | Nat::F_DST) == 0 {
        return Ok(());
    }
    f.write_str(if n.flags & Nat::F_SRC != 0 {
        "(src"
    } else {
        "(dst"
    })?;
    if n.range != NatRange::None {
        f.write_char('=')?;
        match n.range {
            NatRange::V4 { min, max } => {
                write_ipv4_masked(f, &min, None)?;
                if let Some(max) = max.filter(|m| *m != min && *m != [0; 4]) {
                    f.write_char('-')?;
                    write_ipv4_masked(f, &max, None)?;
                }
            }
            NatRange::V6 { min, max } => {
                let bracket = |f: &mut fmt::Formatter<'_>, a: &[u8; 16]| {
                    if n.proto_min != 0 {
                        f.write_char('[')?;
                        write_ipv6(f, a)?;
                        f.write_char(']')
                    } else {
                        write_ipv6(f, a)
                    }
                };
                bracket(f, &min)?;
                if let Some(max) = max.filter(|m| *m != min && *m != [0; 16]) {
                    f.write_char('-')?;
                    bracket(f, &max)?;
                }
            }
            NatRange::None => {}
        }
        if n.proto_min != 0 {
            write!(f, ":{}", n.proto_min)?;
            if n.proto_max != 0 && n.proto_max != n.proto_min {
                write!(f, "-{}", n.proto_max)?;
            }
        }
        if n.flags & Nat::F_PERSISTENT != 0 {
            f.write_str(",persistent")?;
        }
        if n.flags & Nat::F_PROTO_HASH != 0 {
            f.write_str(",hash")?;
        }
        if n.flags & Nat::F_PROTO_RANDOM != 0 {
            f.write_str(",random")?;
        }
    }
    f.write_char(')')
}

fn write_controller(f: &mut fmt::Formatter<'_>, c: &Controller) -> fmt::Result {
    if c.reason == OFPR_ACTION
        && c.controller_id == 0
        && c.userdata.is_empty()
        && !c.pause
        && c.meter_id == NX_CTLR_NO_METER
    {
        return write!(f, "CONTROLLER:{}", c.max_len);
    }
    let mut parts: Vec<String> = Vec::new();
    if c.reason != OFPR_ACTION {
        parts.push(format!("reason={}", reason_name(c.reason)));
    }
    if c.max_len != u16::MAX {
        parts.push(format!("max_len={}", c.max_len));
    }
    if c.controller_id != 0 {
        parts.push(format!("id={}", c.controller_id));
    }
    if !c.userdata.is_empty() {
        let mut s = String::from("userdata=");
        write_dotted_hex(&mut s, &c.userdata)?;
        parts.push(s);
    }
    if c.pause {
        parts.push("pause".into());
    }
    if c.meter_id != NX_CTLR_NO_METER {
        parts.push(format!("meter_id={}", c.meter_id));
    }
    write!(f, "controller({})", parts.join(","))
}

/// `ofputil_packet_in_reason_to_string` (OF1.5 names).
pub(crate) fn reason_name(r: u8) -> String {
    match r {
        0 => "no_match".into(),
        1 => "action".into(),
        2 => "invalid_ttl".into(),
        3 => "action_set".into(),
        4 => "group".into(),
        5 => "packet_out".into(),
        r => r.to_string(),
    }
}

fn write_sample(f: &mut fmt::Formatter<'_>, s: &Sample) -> fmt::Result {
    write!(
        f,
        "sample(probability={},collector_set_id={},obs_domain_id={},obs_point_id={}",
        s.probability, s.collector_set_id, s.obs_domain_id, s.obs_point_id
    )?;
    if s.sampling_port != OFPP_NONE {
        f.write_str(",sampling_port=")?;
        write_port(f, s.sampling_port)?;
    }
    match s.direction {
        1 => f.write_str(",ingress")?,
        2 => f.write_str(",egress")?,
        _ => {}
    }
    f.write_char(')')
}

fn write_bundle(f: &mut fmt::Formatter<'_>, b: &Bundle) -> fmt::Result {
    let fields = BUNDLE_FIELDS
        .get(usize::from(b.fields))
        .copied()
        .unwrap_or("<unknown>");
    let alg = match b.algorithm {
        0 => "active_backup",
        1 => "hrw",
        _ => "<unknown>",
    };
    let name = if b.dst.is_some() {
        "bundle_load"
    } else {
        "bundle"
    };
    write!(f, "{name}({fields},{},{alg},ofport,", b.basis)?;
    if let Some(d) = &b.dst {
        write!(f, "{d},")?;
    }
    f.write_str("members:")?;
    for (i, p) in b.members.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write_port(f, *p)?;
    }
    f.write_char(')')
}

fn write_learn(f: &mut fmt::Formatter<'_>, l: &Learn) -> fmt::Result {
    write!(f, "learn(table={}", l.table)?;
    if l.idle_timeout != 0 {
        write!(f, ",idle_timeout={}", l.idle_timeout)?;
    }
    if l.hard_timeout != 0 {
        write!(f, ",hard_timeout={}", l.hard_timeout)?;
    }
    if l.fin_idle_timeout != 0 {
        write!(f, ",fin_idle_timeout={}", l.fin_idle_timeout)?;
    }
    if l.fin_hard_timeout != 0 {
        write!(f, ",fin_hard_timeout={}", l.fin_hard_timeout)?;
    }
    if l.priority != 0x8000 {
        write!(f, ",priority={}", l.priority)?;
    }
    if l.flags & Learn::F_SEND_FLOW_REM != 0 {
        f.write_str(",send_flow_rem")?;
    }
    if l.flags & Learn::F_DELETE_LEARNED != 0 {
        f.write_str(",delete_learned")?;
    }
    if l.cookie != 0 {
        write!(f, ",cookie={:#x}", l.cookie)?;
    }
    for spec in &l.specs {
        f.write_char(',')?;
        match spec {
            LearnSpec::Match {
                src: LearnSrc::Imm(imm),
                dst,
            } => {
                if dst.is_whole() {
                    // The immediate holds ceil(n_bits/8) meaningful low-order bytes.
                    let n = dst.field.n_bytes();
                    let mut v = vec![0u8; n];
                    let take = imm.len().min(n);
                    v[n - take..].copy_from_slice(&imm[imm.len() - take..]);
                    write!(f, "{}=", dst.field.name())?;
                    write_field_value(f, dst.field, &v, None)?;
                } else {
                    write!(f, "{dst}=")?;
                    write_hex(f, imm)?;
                }
            }
            LearnSpec::Match {
                src: LearnSrc::Field(src),
                dst,
            } => {
                write!(f, "{dst}")?;
                if src.field != dst.field || src.ofs != dst.ofs {
                    write!(f, "={src}")?;
                }
            }
            LearnSpec::Load {
                src: LearnSrc::Imm(imm),
                dst,
            } => {
                f.write_str("load:")?;
                write_hex(f, imm)?;
                write!(f, "->{dst}")?;
            }
            LearnSpec::Load {
                src: LearnSrc::Field(src),
                dst,
            } => write!(f, "load:{src}->{dst}")?,
            LearnSpec::Output { src } => write!(f, "output:{src}")?,
        }
    }
    f.write_char(')')
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Output { port, max_len } => {
                if *port < OFPP_MAX {
                    f.write_str("output:")?;
                }
                write_port(f, *port)?;
                if *port == OFPP_CONTROLLER {
                    write!(f, ":{max_len}")?;
                }
                Ok(())
            }
            Action::OutputReg { src, max_len: _ } => write!(f, "output:{src}"),
            Action::Group(g) => write!(f, "group:{g}"),
            Action::SetField(sf) => {
                f.write_str("set_field:")?;
                write_field_value(
                    f,
                    sf.field,
                    sf.value.as_slice(),
                    sf.mask.as_ref().map(|m| m.as_slice()),
                )?;
                write!(f, "->{}", sf.field.name())
            }
            Action::Move { src, dst } => write!(f, "move:{src}->{dst}"),
            Action::Push(sf) => write!(f, "push:{sf}"),
            Action::Pop(sf) => write!(f, "pop:{sf}"),
            Action::PushVlan(t) => write!(f, "push_vlan:{t:#x}"),
            Action::PopVlan => f.write_str("pop_vlan"),
            Action::Resubmit { port, table, ct } => {
                if *port != OFPP_IN_PORT && *table == 255 && !ct {
                    f.write_str("resubmit:")?;
                    return write_port(f, *port);
                }
                f.write_str("resubmit(")?;
                if *port != OFPP_IN_PORT {
                    write_port(f, *port)?;
                }
                f.write_char(',')?;
                if *table != 255 {
                    write!(f, "{table}")?;
                }
                if *ct {
                    f.write_str(",ct")?;
                }
                f.write_char(')')
            }
            Action::Ct(ct) => write_ct(f, ct),
            Action::Nat(n) => write_nat(f, n),
            Action::CtClear => f.write_str("ct_clear"),
            Action::Learn(l) => write_learn(f, l),
            Action::Conjunction {
                id,
                clause,
                n_clauses,
            } => {
                write!(
                    f,
                    "conjunction({id},{}/{n_clauses})",
                    u16::from(*clause) + 1
                )
            }
            Action::Controller(c) => write_controller(f, c),
            Action::Note(n) => {
                f.write_str("note:")?;
                write_dotted_hex(f, n)
            }
            Action::DecTtl => f.write_str("dec_ttl"),
            Action::DecTtlCntIds(ids) => {
                f.write_str("dec_ttl(")?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{id}")?;
                }
                f.write_char(')')
            }
            Action::CheckPktLarger { pkt_len, dst } => {
                write!(f, "check_pkt_larger({pkt_len})->{dst}")
            }
            Action::Clone(acts) => {
                f.write_str("clone(")?;
                write_list(f, acts)?;
                f.write_char(')')
            }
            Action::Meter(m) => write!(f, "meter:{m}"),
            Action::SetQueue(q) => write!(f, "set_queue:{q}"),
            Action::Exit => f.write_str("exit"),
            Action::Sample(s) => write_sample(f, s),
            Action::Bundle(b) => write_bundle(f, b),
            Action::Multipath(m) => write!(
                f,
                "multipath({},{},{},{},{},{})",
                BUNDLE_FIELDS
                    .get(usize::from(m.fields))
                    .copied()
                    .unwrap_or("<unknown>"),
                m.basis,
                MULTIPATH_ALGORITHMS
                    .get(usize::from(m.algorithm))
                    .copied()
                    .unwrap_or("<unknown>"),
                u32::from(m.max_link) + 1,
                m.arg,
                m.dst
            ),
            Action::FinTimeout { idle, hard } => {
                f.write_str("fin_timeout(")?;
                let mut parts = Vec::new();
                if *idle != 0 {
                    parts.push(format!("idle_timeout={idle}"));
                }
                if *hard != 0 {
                    parts.push(format!("hard_timeout={hard}"));
                }
                write!(f, "{})", parts.join(","))
            }
            Action::Unknown(raw) => {
                // OVS cannot print actions it does not know either; show the raw bytes.
                f.write_str("unknown_action(")?;
                write_dotted_hex(f, raw)?;
                f.write_char(')')
            }
        }
    }
}
