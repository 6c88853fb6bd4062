//! Canonical re-printing of parsed actions (upstream `ovnacts_format` and the `format_*`
//! functions of lib/actions.c).  The output re-parses to the same actions.

use std::fmt::Write;

use super::ast::*;
use crate::lex::addr::format_ipv6;
use crate::lex::write_json_string;
use crate::symtab::Symtab;

/// Formats `acts` (`drop;` when empty).
pub fn format_actions(acts: &[Action], symtab: &Symtab) -> String {
    let mut s = String::with_capacity(64);
    write_actions(&mut s, acts, symtab);
    s
}

/// Appends the formatted `acts` to `s`.
pub fn write_actions(s: &mut String, acts: &[Action], symtab: &Symtab) {
    if acts.is_empty() {
        s.push_str("drop;");
        return;
    }
    for (i, a) in acts.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        write_action(s, a, symtab);
    }
}

fn field(s: &mut String, f: &Field, symtab: &Symtab) {
    s.push_str(&symtab.format_field(&f.r));
}

fn ipv4(s: &mut String, v: u32) {
    let _ = write!(
        s,
        "{}.{}.{}.{}",
        v >> 24,
        (v >> 16) & 0xff,
        (v >> 8) & 0xff,
        v & 0xff
    );
}

fn ipv6(s: &mut String, v: u128) {
    let _ = format_ipv6(s, v);
}

fn constant(s: &mut String, c: &Constant) {
    match c {
        Constant::Int(i) => {
            let _ = write!(s, "{i}");
        }
        Constant::Str(t) => {
            let _ = write_json_string(s, t);
        }
    }
}

fn const_set(s: &mut String, cs: &ConstSet) {
    let curlies = cs.in_curlies || cs.values.len() != 1;
    if curlies {
        s.push('{');
    }
    for (i, c) in cs.values.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        constant(s, c);
    }
    if curlies {
        s.push('}');
    }
}

/// `%#x` of C's printf: `0` or `0x…`.
fn hash_x(s: &mut String, v: u128) {
    if v == 0 {
        s.push('0');
    } else {
        let _ = write!(s, "{v:#x}");
    }
}

fn write_action(s: &mut String, a: &Action, symtab: &Symtab) {
    match a {
        Action::Output => s.push_str("output;"),
        Action::Next(n) => {
            if n.pipeline != n.src_pipeline {
                let p = if n.pipeline == Pipeline::Ingress {
                    "ingress"
                } else {
                    "egress"
                };
                let _ = write!(s, "next(pipeline={p}, table={});", n.ltable);
            } else if u16::from(n.ltable) != u16::from(n.src_ltable) + 1 {
                let _ = write!(s, "next({});", n.ltable);
            } else {
                s.push_str("next;");
            }
        }
        Action::Load(b) => {
            let (dst, imm) = &**b;
            field(s, dst, symtab);
            s.push_str(" = ");
            constant(s, imm);
            s.push(';');
        }
        Action::OvnFieldLoad { field: f, value } => {
            let _ = write!(s, "{} = {};", f.name(), value & 0xffff);
        }
        Action::Move(b) | Action::Exchange(b) => {
            field(s, &b.0, symtab);
            s.push_str(if matches!(a, Action::Move(_)) {
                " = "
            } else {
                " <-> "
            });
            field(s, &b.1, symtab);
            s.push(';');
        }
        Action::Push(f) | Action::Pop(f) => {
            s.push_str(if matches!(a, Action::Push(_)) {
                "push("
            } else {
                "pop("
            });
            field(s, f, symtab);
            s.push_str(");");
        }
        Action::DecTtl => s.push_str("ip.ttl--;"),
        Action::CtNext { .. } => s.push_str("ct_next;"),
        Action::CtCommitV1(cc) => {
            s.push_str("ct_commit(");
            if cc.ct_mark_mask != 0 {
                s.push_str("ct_mark=");
                hash_x(s, u128::from(cc.ct_mark));
                if cc.ct_mark_mask != u32::MAX {
                    s.push('/');
                    hash_x(s, u128::from(cc.ct_mark_mask));
                }
            }
            if cc.ct_label_mask != 0 {
                if !s.ends_with('(') {
                    s.push_str(", ");
                }
                s.push_str("ct_label=");
                hash_x(s, cc.ct_label);
                if cc.ct_label_mask != u128::MAX {
                    s.push('/');
                    hash_x(s, cc.ct_label_mask);
                }
            }
            if s.ends_with('(') {
                s.pop();
            } else {
                s.push(')');
            }
            s.push(';');
        }
        Action::Nested(NestKind::CtCommit, inner) if inner.is_empty() => s.push_str("ct_commit;"),
        Action::Nested(kind, inner) => {
            s.push_str(kind.name());
            s.push_str(" { ");
            write_actions(s, inner, symtab);
            s.push_str(" };");
        }
        Action::CtDnat(cn) => ct_nat(s, "ct_dnat", cn),
        Action::CtSnat(cn) => ct_nat(s, "ct_snat", cn),
        Action::CtDnatInCzone(cn) => ct_nat(s, "ct_dnat_in_czone", cn),
        Action::CtSnatInCzone(cn) => ct_nat(s, "ct_snat_in_czone", cn),
        Action::CtCommitNat(_) => s.push_str("ct_commit_nat;"),
        Action::CtLb(lb) => ct_lb(s, "ct_lb", lb),
        Action::CtLbMark(lb) => ct_lb(s, "ct_lb_mark", lb),
        Action::Select(sel) => {
            field(s, &sel.res, symtab);
            s.push_str(" = select(");
            for (i, (id, w)) in sel.dsts.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "{id}={w}");
            }
            s.push_str(");");
        }
        Action::CtClear => s.push_str("ct_clear;"),
        Action::Igmp => s.push_str("igmp;"),
        Action::GetArp(b) | Action::GetNd(b) => {
            s.push_str(if matches!(a, Action::GetArp(_)) {
                "get_arp("
            } else {
                "get_nd("
            });
            field(s, &b.0, symtab);
            s.push_str(", ");
            field(s, &b.1, symtab);
            s.push_str(");");
        }
        Action::PutArp(b) | Action::PutNd(b) => {
            s.push_str(if matches!(a, Action::PutArp(_)) {
                "put_arp("
            } else {
                "put_nd("
            });
            field(s, &b.0, symtab);
            s.push_str(", ");
            field(s, &b.1, symtab);
            s.push_str(", ");
            field(s, &b.2, symtab);
            s.push_str(");");
        }
        Action::LookupArp(b) | Action::LookupNd(b) => {
            field(s, &b[0], symtab);
            s.push_str(if matches!(a, Action::LookupArp(_)) {
                " = lookup_arp("
            } else {
                " = lookup_nd("
            });
            field(s, &b[1], symtab);
            s.push_str(", ");
            field(s, &b[2], symtab);
            s.push_str(", ");
            field(s, &b[3], symtab);
            s.push_str(");");
        }
        Action::LookupArpIp(b) | Action::LookupNdIp(b) => {
            field(s, &b[0], symtab);
            s.push_str(if matches!(a, Action::LookupArpIp(_)) {
                " = lookup_arp_ip("
            } else {
                " = lookup_nd_ip("
            });
            field(s, &b[1], symtab);
            s.push_str(", ");
            field(s, &b[2], symtab);
            s.push_str(");");
        }
        Action::PutOpts(po) => {
            field(s, &po.dst, symtab);
            s.push_str(" = ");
            s.push_str(po.kind.name());
            s.push('(');
            gen_options(s, &po.options, false);
            s.push_str(");");
        }
        Action::Dhcp6Reply => s.push_str("handle_dhcpv6_reply;"),
        Action::Result(kind, dst) => {
            field(s, dst, symtab);
            let _ = write!(s, " = {}();", kind.name());
        }
        Action::SetQueue(q) => {
            let _ = write!(s, "set_queue({q});");
        }
        Action::Log(log) => {
            s.push_str("log(");
            if let Some(n) = &log.name {
                let _ = write!(s, "name=\"{n}\", ");
            }
            let verdict = match log.verdict {
                LogVerdict::Allow => "allow",
                LogVerdict::Drop => "drop",
                LogVerdict::Reject => "reject",
            };
            let _ = write!(
                s,
                "verdict={verdict}, severity={}",
                severity_name(log.severity)
            );
            if let Some(m) = &log.meter {
                let _ = write!(s, ", meter=\"{m}\"");
            }
            s.push_str(");");
        }
        Action::SetMeter { rate, burst } => {
            if *burst != 0 {
                let _ = write!(s, "set_meter({rate}, {burst});");
            } else {
                let _ = write!(s, "set_meter({rate});");
            }
        }
        Action::CheckPktLarger { dst, pkt_len } => {
            field(s, dst, symtab);
            let _ = write!(s, " = check_pkt_larger({pkt_len});");
        }
        Action::TriggerEvent(ev) => {
            s.push_str("trigger_event(event = \"empty_lb_backends\"");
            gen_options(s, &ev.options, true);
            s.push_str(");");
        }
        Action::BindVport(b) => {
            let _ = write!(s, "bind_vport(\"{}\", ", b.0);
            field(s, &b.1, symtab);
            s.push_str(");");
        }
        Action::HandleSvcCheck(p) => {
            s.push_str("handle_svc_check(");
            field(s, p, symtab);
            s.push_str(");");
        }
        Action::FwdGroup(fg) => {
            s.push_str("fwd_group(");
            if fg.liveness {
                s.push_str("liveness=\"true\", ");
            }
            if !fg.child_ports.is_empty() {
                s.push_str("childports=");
                for (i, p) in fg.child_ports.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "\"{p}\"");
                }
            }
            s.push_str(");");
        }
        Action::CtSnatToVip => s.push_str("ct_snat_to_vip;"),
        Action::BfdMsg => s.push_str("handle_bfd_msg();"),
        Action::PutFdb(b) => {
            s.push_str("put_fdb(");
            field(s, &b.0, symtab);
            s.push_str(", ");
            field(s, &b.1, symtab);
            s.push_str(");");
        }
        Action::GetFdb(b) => {
            field(s, &b.0, symtab);
            s.push_str(" = get_fdb(");
            field(s, &b.1, symtab);
            s.push_str(");");
        }
        Action::LookupFdb(b) => {
            field(s, &b[0], symtab);
            s.push_str(" = lookup_fdb(");
            field(s, &b[1], symtab);
            s.push_str(", ");
            field(s, &b[2], symtab);
            s.push_str(");");
        }
        Action::Sample(sm) => {
            let _ = write!(
                s,
                "sample(probability={},collector_set={},obs_domain={}",
                sm.probability, sm.collector_set_id, sm.obs_domain_id
            );
            if sm.use_cookie {
                s.push_str(",obs_point=$cookie");
            } else {
                let _ = write!(s, ",obs_point={}", sm.obs_point_id);
            }
            s.push_str(");");
        }
        Action::CommitEcmpNh { ipv6, proto } => {
            let _ = write!(
                s,
                "commit_ecmp_nh(ipv6 = {ipv6}, proto = {});",
                proto_name(*proto)
            );
        }
        Action::CommitLbAff(aff) => {
            let v6 = !is_v4_mapped(aff.vip);
            let addr = |s: &mut String, a: u128| {
                if v6 {
                    s.push('[');
                    ipv6(s, a);
                    s.push(']');
                } else {
                    ipv4(s, a as u32);
                }
            };
            s.push_str("commit_lb_aff(vip = \"");
            addr(s, aff.vip);
            if aff.vip_port != 0 {
                let _ = write!(s, ":{}", aff.vip_port);
            }
            s.push_str("\", backend = \"");
            addr(s, aff.backend);
            if aff.backend_port != 0 {
                let _ = write!(s, ":{}", aff.backend_port);
            }
            s.push('"');
            if aff.proto != 0 {
                let _ = write!(s, ", proto = {}", proto_name(aff.proto));
            }
            let _ = write!(s, ", timeout = {});", aff.timeout);
        }
    }
}

/// True for an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
pub(crate) fn is_v4_mapped(a: u128) -> bool {
    a >> 32 == 0xffff
}

fn proto_name(p: u8) -> &'static str {
    match p {
        17 => "udp",
        132 => "sctp",
        _ => "tcp",
    }
}

fn severity_name(s: u8) -> &'static str {
    match s {
        1 => "alert",
        4 => "warning",
        5 => "notice",
        6 => "info",
        7 => "debug",
        _ => "<unknown>",
    }
}

fn gen_options(s: &mut String, opts: &[GenOption], leading_comma: bool) {
    for (i, o) in opts.iter().enumerate() {
        if i > 0 || leading_comma {
            s.push_str(", ");
        }
        s.push_str(&o.def.name);
        s.push_str(" = ");
        const_set(s, &o.value);
    }
}

fn ct_nat(s: &mut String, name: &str, cn: &CtNat) {
    s.push_str(name);
    match cn.ip {
        Some(NatIp::V4(v)) => {
            s.push('(');
            ipv4(s, v);
            s.push(')');
        }
        Some(NatIp::V6(v)) => {
            s.push('(');
            ipv6(s, v);
            s.push(')');
        }
        None => {}
    }
    if let Some((lo, hi)) = cn.ports {
        if s.ends_with(')') {
            s.pop();
        }
        let _ = write!(s, ",{lo}");
        if hi != 0 {
            let _ = write!(s, "-{hi}");
        }
        s.push(')');
    }
    s.push(';');
}

fn ct_lb(s: &mut String, name: &str, lb: &CtLb) {
    s.push_str(name);
    if !lb.dsts.is_empty() {
        s.push_str("(backends=");
        for (i, d) in lb.dsts.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            match d.ip {
                NatIp::V4(v) => {
                    ipv4(s, v);
                    if d.port != 0 {
                        let _ = write!(s, ":{}", d.port);
                    }
                }
                NatIp::V6(v) => {
                    if d.port != 0 {
                        s.push('[');
                    }
                    ipv6(s, v);
                    if d.port != 0 {
                        let _ = write!(s, "]:{}", d.port);
                    }
                }
            }
        }
        if let Some(h) = &lb.hash_fields {
            let _ = write!(s, "; hash_fields=\"{h}\"");
        }
        match lb.flag {
            CtLbFlag::SkipSnat => s.push_str("; skip_snat"),
            CtLbFlag::ForceSnat => s.push_str("; force_snat"),
            CtLbFlag::None => {}
        }
        s.push(')');
    }
    s.push(';');
}
