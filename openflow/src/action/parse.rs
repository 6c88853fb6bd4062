//! `FromStr` for actions in the syntax `ovs-ofctl add-flow` accepts (`actions=` part).

use std::str::FromStr;

use super::error::ActionError;
use super::types::{
    Action, BUNDLE_FIELDS, Bundle, Controller, Ct, CtZone, Learn, LearnSpec, LearnSrc, Nat,
    NatRange, Sample, SetField,
};
use super::types::{MULTIPATH_ALGORITHMS, Multipath};
use crate::field::{Field, Format, Subfield, Value};
use crate::text::{
    OFPP_CONTROLLER, OFPP_IN_PORT, parse_dotted_hex, parse_hex_bytes, parse_int, parse_ipv4_masked,
    parse_ipv6_masked, parse_mac, parse_port, parse_u128, parse_value, port_to_ofp11, split_top,
};

fn bad(action: &'static str, text: &str) -> ActionError {
    ActionError::BadArg {
        action,
        text: text.to_owned(),
    }
}

fn subfield(action: &'static str, s: &str) -> Result<Subfield, ActionError> {
    s.trim()
        .parse::<Subfield>()
        .map_err(|source| ActionError::Subfield { action, source })
}

/// Splits `name(args)tail`, `name:arg` or `name=arg`; returns (name, arg, tail-after-paren).
fn split_item(item: &str) -> (&str, &str, &str) {
    match item.find([':', '(', '=']) {
        None => (item, "", ""),
        Some(p) if item.as_bytes()[p] == b'(' => {
            let mut depth = 0usize;
            for (i, c) in item[p..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            return (&item[..p], &item[p + 1..p + i], &item[p + i + 1..]);
                        }
                    }
                    _ => {}
                }
            }
            (&item[..p], &item[p + 1..], "")
        }
        Some(p) => (&item[..p], &item[p + 1..], ""),
    }
}

/// Parses the value (and mask) of `field` in its own syntax (OVS `mf_parse`), returning
/// big-endian bytes of the field's width.
pub(crate) fn parse_field_value(field: Field, text: &str) -> Option<(Value, Option<Value>)> {
    let (v, m) = match text.split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (text, None),
    };
    let n = if field.is_tun_metadata() {
        // Unmapped width: the fewest bytes holding value and mask, as ovs-ofctl does.
        let d = |s: &str| s.trim_start_matches("0x").trim_start_matches('0').len();
        d(v).max(m.map_or(0, d)).div_ceil(2).max(1)
    } else {
        field.n_bytes()
    };
    let info = field.info();
    match info.format {
        Format::Ethernet => {
            let mask = match m {
                Some(m) => Some(Value::from(parse_mac(m)?)),
                None => None,
            };
            Some((parse_mac(v)?.into(), mask))
        }
        Format::Ipv4 => {
            let (a, mask) = parse_ipv4_masked(text)?;
            Some((a.into(), mask.map(Value::from)))
        }
        Format::Ipv6 => {
            let (a, mask) = parse_ipv6_masked(text)?;
            Some((
                u128::from_be_bytes(a).into(),
                mask.map(|m| u128::from_be_bytes(m).into()),
            ))
        }
        Format::Port | Format::Port11 if m.is_none() && parse_u128(v).is_none() => {
            let p = parse_port(v)?;
            let val = if info.format == Format::Port11 {
                Value::from(port_to_ofp11(p))
            } else {
                Value::from(p)
            };
            Some((val, None))
        }
        _ => {
            let val = if field.is_tun_metadata() {
                Value::from_slice(&parse_hex_bytes(v, n)?)?
            } else {
                parse_value(v, n)?
            };
            let mask = match m {
                Some(m) => Some(parse_value(m, n)?),
                None => None,
            };
            Some((val, mask))
        }
    }
}

fn set_field(field: Field, value: Value, mask: Option<Value>) -> Action {
    let n = value.len();
    let mask = mask.filter(|m| *m != Value::ones(n));
    let value = match &mask {
        Some(m) => Value::from_u128(value.to_u128() & m.to_u128(), n),
        None => value,
    };
    Action::SetField(Box::new(SetField { field, value, mask }))
}

fn parse_set_field(arg: &str) -> Result<Action, ActionError> {
    let (v, f) = arg.rsplit_once("->").ok_or_else(|| bad("set_field", arg))?;
    let field = Field::from_name(f.trim())
        .or_else(|| Field::from_nxm_name(f.trim()))
        .ok_or_else(|| bad("set_field", f))?;
    if !field.info().writable {
        return Err(bad("set_field", f));
    }
    let (value, mask) = parse_field_value(field, v.trim()).ok_or_else(|| bad("set_field", v))?;
    Ok(set_field(field, value, mask))
}

/// `load:V->F[a..b]` becomes a masked set_field, as OVS stores it.
fn parse_load(arg: &str) -> Result<Action, ActionError> {
    let (v, d) = arg.rsplit_once("->").ok_or_else(|| bad("load", arg))?;
    let dst = subfield("load", d)?;
    let value = parse_u128(v.trim()).ok_or_else(|| bad("load", v))?;
    let n_bits = u32::from(dst.n_bits);
    if n_bits < 128 && value >> n_bits != 0 {
        return Err(bad("load", v));
    }
    let n = dst.field.n_bytes().min(Value::MAX_LEN);
    let ones = if n_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << n_bits) - 1
    };
    let shift = u32::from(dst.ofs);
    let mask = ones.checked_shl(shift).unwrap_or(0);
    let value = value.checked_shl(shift).unwrap_or(0);
    let full = dst.field.full_mask();
    let mask = Value::from_u128(mask, n);
    let mask = (mask != full).then_some(mask);
    Ok(set_field(dst.field, Value::from_u128(value, n), mask))
}

fn kv(item: &str) -> (&str, &str) {
    match item.split_once('=') {
        Some((k, v)) => (k.trim(), v.trim()),
        None => (item.trim(), ""),
    }
}

fn parse_nat(args: &str) -> Result<Nat, ActionError> {
    let mut n = Nat {
        flags: 0,
        range: NatRange::None,
        proto_min: 0,
        proto_max: 0,
    };
    for item in split_top(args) {
        let (k, v) = kv(item);
        match k {
            "src" | "dst" => {
                if n.flags & (Nat::F_SRC | Nat::F_DST) != 0 {
                    return Err(bad("nat", item));
                }
                n.flags |= if k == "src" { Nat::F_SRC } else { Nat::F_DST };
                if !v.is_empty() {
                    parse_nat_range(&mut n, v)?;
                }
            }
            "persistent" => n.flags |= Nat::F_PERSISTENT,
            "hash" => n.flags |= Nat::F_PROTO_HASH,
            "random" => n.flags |= Nat::F_PROTO_RANDOM,
            _ => return Err(bad("nat", item)),
        }
    }
    Ok(n)
}

fn parse_nat_range(n: &mut Nat, s: &str) -> Result<(), ActionError> {
    let err = || bad("nat", s);
    let (addrs, ports) = if let Some(rest) = s.strip_prefix('[') {
        // [v6]:port or [v6]-[v6]:port
        let (a, tail) = rest.split_once(']').ok_or_else(err)?;
        let (a2, tail) = match tail.strip_prefix("-[") {
            Some(t) => {
                let (b, t) = t.split_once(']').ok_or_else(err)?;
                (Some(b), t)
            }
            None => (None, tail),
        };
        let min: std::net::Ipv6Addr = a.parse().map_err(|_| err())?;
        let max = a2
            .map(|b| b.parse::<std::net::Ipv6Addr>())
            .transpose()
            .map_err(|_| err())?;
        n.range = NatRange::V6 {
            min: min.octets(),
            max: max.map(|m| m.octets()),
        };
        (None, tail.strip_prefix(':'))
    } else if s.contains("::") || s.matches(':').count() > 1 {
        (Some(s), None)
    } else {
        match s.split_once(':') {
            Some((a, p)) => (Some(a), Some(p)),
            None => (Some(s), None),
        }
    };
    if let Some(addrs) = addrs {
        let (a, b) = match addrs.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (addrs, None),
        };
        if let Ok(min) = a.parse::<std::net::Ipv4Addr>() {
            let max = b
                .map(|b| b.parse::<std::net::Ipv4Addr>())
                .transpose()
                .map_err(|_| err())?;
            n.range = NatRange::V4 {
                min: min.octets(),
                max: max.map(|m| m.octets()),
            };
        } else {
            let min: std::net::Ipv6Addr = a.parse().map_err(|_| err())?;
            let max = b
                .map(|b| b.parse::<std::net::Ipv6Addr>())
                .transpose()
                .map_err(|_| err())?;
            n.range = NatRange::V6 {
                min: min.octets(),
                max: max.map(|m| m.octets()),
            };
        }
    }
    if let Some(p) = ports.filter(|p| !p.is_empty()) {
        let (a, b) = match p.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (p, None),
        };
        n.proto_min = a.parse().map_err(|_| err())?;
        n.proto_max = b
            .map(|b| b.parse())
            .transpose()
            .map_err(|_| err())?
            .unwrap_or(0);
    }
    Ok(())
}

fn parse_ct(args: &str) -> Result<Ct, ActionError> {
    let mut ct = Ct {
        commit: false,
        force: false,
        table: 255,
        zone: CtZone::Imm(0),
        alg: 0,
        actions: Vec::new(),
    };
    for item in split_top(args) {
        let (name, arg, _) = split_item(item);
        match name.trim() {
            "commit" => ct.commit = true,
            "force" => ct.force = true,
            "table" => ct.table = parse_int(arg.trim()).ok_or_else(|| bad("ct", item))?,
            "zone" => {
                ct.zone = match parse_int::<u16>(arg.trim()) {
                    Some(z) => CtZone::Imm(z),
                    None => CtZone::Field(subfield("ct", arg)?),
                }
            }
            "alg" => {
                ct.alg = match arg.trim() {
                    "ftp" => 21,
                    "tftp" => 69,
                    a => parse_int(a).ok_or_else(|| bad("ct", item))?,
                }
            }
            "nat" => ct.actions.push(Action::Nat(Box::new(parse_nat(arg)?))),
            "exec" => ct.actions.extend(parse_actions(arg)?),
            _ => return Err(bad("ct", item)),
        }
    }
    Ok(ct)
}

fn parse_controller(args: &str) -> Result<Controller, ActionError> {
    let mut c = Controller::default();
    if let Some(n) = parse_int::<u16>(args.trim()) {
        c.max_len = n;
        return Ok(c);
    }
    for item in split_top(args) {
        let (k, v) = kv(item);
        match k {
            "max_len" => c.max_len = parse_int(v).ok_or_else(|| bad("controller", item))?,
            "id" => c.controller_id = parse_int(v).ok_or_else(|| bad("controller", item))?,
            "reason" => {
                c.reason = match v {
                    "no_match" => 0,
                    "action" => 1,
                    "invalid_ttl" => 2,
                    "action_set" => 3,
                    "group" => 4,
                    "packet_out" => 5,
                    _ => return Err(bad("controller", item)),
                }
            }
            "userdata" => {
                c.userdata = parse_dotted_hex(v)
                    .ok_or_else(|| bad("controller", item))?
                    .into();
            }
            "pause" => c.pause = true,
            "meter_id" => c.meter_id = parse_int(v).ok_or_else(|| bad("controller", item))?,
            _ => return Err(bad("controller", item)),
        }
    }
    Ok(c)
}

fn parse_sample(args: &str) -> Result<Sample, ActionError> {
    let mut s = Sample::default();
    for item in split_top(args) {
        let (k, v) = kv(item);
        let int = || parse_int::<u32>(v).ok_or_else(|| bad("sample", item));
        match k {
            "probability" => {
                s.probability = parse_int(v)
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad("sample", item))?;
            }
            "collector_set_id" => s.collector_set_id = int()?,
            "obs_domain_id" => s.obs_domain_id = int()?,
            "obs_point_id" => s.obs_point_id = int()?,
            "sampling_port" => {
                s.sampling_port = parse_port(v).ok_or_else(|| bad("sample", item))?;
            }
            "ingress" => s.direction = 1,
            "egress" => s.direction = 2,
            _ => return Err(bad("sample", item)),
        }
    }
    if s.probability == 0 {
        return Err(bad("sample", args));
    }
    Ok(s)
}

/// An immediate for a learn spec of `n_bits`, in the wire's 16-bit granularity.
fn learn_imm(value: u128, n_bits: u16) -> Box<[u8]> {
    let n = usize::from(n_bits.div_ceil(16)) * 2;
    let be = value.to_be_bytes();
    let mut out = vec![0u8; n];
    let k = n.min(16);
    out[n - k..].copy_from_slice(&be[16 - k..]);
    out.into()
}

fn parse_learn(args: &str) -> Result<Learn, ActionError> {
    let mut l = Learn::default();
    for item in split_top(args) {
        let (k, v) = kv(item);
        let int16 = || parse_int::<u16>(v).ok_or_else(|| bad("learn", item));
        match k {
            "table" => l.table = parse_int(v).ok_or_else(|| bad("learn", item))?,
            "idle_timeout" => l.idle_timeout = int16()?,
            "hard_timeout" => l.hard_timeout = int16()?,
            "fin_idle_timeout" => l.fin_idle_timeout = int16()?,
            "fin_hard_timeout" => l.fin_hard_timeout = int16()?,
            "priority" => l.priority = int16()?,
            "cookie" => l.cookie = parse_int(v).ok_or_else(|| bad("learn", item))?,
            "send_flow_rem" => l.flags |= Learn::F_SEND_FLOW_REM,
            "delete_learned" => l.flags |= Learn::F_DELETE_LEARNED,
            _ if item.starts_with("load:") => {
                let (s, d) = item["load:".len()..]
                    .rsplit_once("->")
                    .ok_or_else(|| bad("learn", item))?;
                let dst = subfield("learn", d)?;
                let src = match parse_u128(s.trim()) {
                    Some(v) => LearnSrc::Imm(learn_imm(v, dst.n_bits)),
                    None => {
                        let src = subfield("learn", s)?;
                        if src.n_bits != dst.n_bits {
                            return Err(bad("learn", item));
                        }
                        LearnSrc::Field(src)
                    }
                };
                l.specs.push(LearnSpec::Load { src, dst });
            }
            _ if item.starts_with("output:") => {
                l.specs.push(LearnSpec::Output {
                    src: subfield("learn", &item["output:".len()..])?,
                });
            }
            _ => {
                if let (Some(field), false) = (Field::from_name(k), v.is_empty()) {
                    // `field=value`: immediate match on the whole field.
                    let (val, _) = parse_field_value(field, v).ok_or_else(|| bad("learn", item))?;
                    let dst = Subfield::whole(field);
                    l.specs.push(LearnSpec::Match {
                        src: LearnSrc::Imm(learn_imm(val.to_u128(), dst.n_bits)),
                        dst,
                    });
                } else {
                    let dst = subfield("learn", k)?;
                    let src = if v.is_empty() {
                        LearnSrc::Field(dst)
                    } else if let Some(n) = parse_u128(v) {
                        LearnSrc::Imm(learn_imm(n, dst.n_bits))
                    } else {
                        let src = subfield("learn", v)?;
                        if src.n_bits != dst.n_bits {
                            return Err(bad("learn", item));
                        }
                        LearnSrc::Field(src)
                    };
                    l.specs.push(LearnSpec::Match { src, dst });
                }
            }
        }
    }
    Ok(l)
}

fn parse_bundle(args: &str, load: bool) -> Result<Bundle, ActionError> {
    let err = || bad("bundle", args);
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    let fixed = if load { 5 } else { 4 };
    if parts.len() < fixed + 1 {
        return Err(err());
    }
    let fields = BUNDLE_FIELDS
        .iter()
        .position(|n| n.eq_ignore_ascii_case(parts[0]))
        .ok_or_else(err)? as u16;
    let basis = parts[1].parse().map_err(|_| err())?;
    let algorithm = match parts[2].to_ascii_lowercase().as_str() {
        "active_backup" => 0,
        "hrw" => 1,
        _ => return Err(err()),
    };
    if !parts[3].eq_ignore_ascii_case("ofport") {
        return Err(err());
    }
    let dst = if load {
        Some(subfield("bundle_load", parts[4])?)
    } else {
        None
    };
    let first = parts[fixed];
    let first = first
        .strip_prefix("members:")
        .or_else(|| first.strip_prefix("slaves:"))
        .ok_or_else(err)?;
    let mut members = Vec::new();
    for p in std::iter::once(first).chain(parts[fixed + 1..].iter().copied()) {
        if !p.is_empty() {
            members.push(parse_port(p).ok_or_else(err)?);
        }
    }
    Ok(Bundle {
        algorithm,
        fields,
        basis,
        dst,
        members,
    })
}

fn parse_multipath(args: &str) -> Result<Multipath, ActionError> {
    let err = || bad("multipath", args);
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    let [fields, basis, alg, n_links, arg, dst] = parts[..] else {
        return Err(err());
    };
    let fields = BUNDLE_FIELDS
        .iter()
        .position(|n| n.eq_ignore_ascii_case(fields))
        .ok_or_else(err)? as u16;
    let algorithm = MULTIPATH_ALGORITHMS
        .iter()
        .position(|n| n.eq_ignore_ascii_case(alg))
        .ok_or_else(err)? as u16;
    let n_links: u32 = n_links.parse().map_err(|_| err())?;
    let dst = subfield("multipath", dst)?;
    // OVS multipath_parse: 1..=65536 links, and the destination must be able to hold them.
    if !(1..=65536).contains(&n_links) || (dst.n_bits < 16 && n_links > (1u32 << dst.n_bits)) {
        return Err(err());
    }
    Ok(Multipath {
        fields,
        basis: basis.parse().map_err(|_| err())?,
        algorithm,
        max_link: (n_links - 1) as u16,
        arg: arg.parse().map_err(|_| err())?,
        dst,
    })
}

fn parse_one(item: &str) -> Result<Action, ActionError> {
    let item = item.trim();
    let (name, arg, tail) = split_item(item);
    let lname = name.to_ascii_lowercase();
    let int32 = |a: &'static str| parse_int::<u32>(arg.trim()).ok_or_else(|| bad(a, item));
    Ok(match lname.as_str() {
        "output" => match parse_port(arg.trim()) {
            Some(port) => Action::Output {
                port,
                max_len: if port == OFPP_CONTROLLER { u16::MAX } else { 0 },
            },
            None => Action::OutputReg {
                src: subfield("output", arg)?,
                max_len: u16::MAX,
            },
        },
        "controller" => Action::Controller(Box::new(parse_controller(arg)?)),
        "group" => Action::Group(int32("group")?),
        "meter" => Action::Meter(int32("meter")?),
        "set_queue" => Action::SetQueue(int32("set_queue")?),
        "set_field" => parse_set_field(arg)?,
        "load" => parse_load(arg)?,
        "move" => {
            let (s, d) = arg.split_once("->").ok_or_else(|| bad("move", item))?;
            let (src, dst) = (subfield("move", s)?, subfield("move", d)?);
            if src.n_bits != dst.n_bits {
                return Err(bad("move", item));
            }
            Action::Move { src, dst }
        }
        "push" => Action::Push(subfield("push", arg)?),
        "pop" => Action::Pop(subfield("pop", arg)?),
        "push_vlan" => {
            Action::PushVlan(parse_int(arg.trim()).ok_or_else(|| bad("push_vlan", item))?)
        }
        "pop_vlan" | "strip_vlan" => Action::PopVlan,
        "resubmit" => {
            if item.as_bytes().get(name.len()) == Some(&b'(') {
                let parts: Vec<&str> = arg.split(',').map(str::trim).collect();
                let port = match parts.first() {
                    Some(p) if !p.is_empty() => {
                        parse_port(p).ok_or_else(|| bad("resubmit", item))?
                    }
                    _ => OFPP_IN_PORT,
                };
                let table = match parts.get(1) {
                    Some(t) if !t.is_empty() => {
                        parse_int(t).ok_or_else(|| bad("resubmit", item))?
                    }
                    _ => 255,
                };
                let ct = match parts.get(2) {
                    None => false,
                    Some(&"ct") => true,
                    Some(_) => return Err(bad("resubmit", item)),
                };
                if parts.len() > 3 || (port == OFPP_IN_PORT && table == 255) {
                    return Err(bad("resubmit", item));
                }
                Action::Resubmit { port, table, ct }
            } else {
                Action::Resubmit {
                    port: parse_port(arg.trim()).ok_or_else(|| bad("resubmit", item))?,
                    table: 255,
                    ct: false,
                }
            }
        }
        "ct" => Action::Ct(Box::new(parse_ct(arg)?)),
        "nat" => Action::Nat(Box::new(parse_nat(arg)?)),
        "ct_clear" => Action::CtClear,
        "learn" => Action::Learn(Box::new(parse_learn(arg)?)),
        "conjunction" => {
            let (id, rest) = arg
                .split_once(',')
                .ok_or_else(|| bad("conjunction", item))?;
            let (k, n) = rest
                .split_once('/')
                .ok_or_else(|| bad("conjunction", item))?;
            let id = parse_int(id.trim()).ok_or_else(|| bad("conjunction", item))?;
            let k: u8 = parse_int(k.trim()).ok_or_else(|| bad("conjunction", item))?;
            let n: u8 = parse_int(n.trim()).ok_or_else(|| bad("conjunction", item))?;
            if !(2..=64).contains(&n) || k == 0 || k > n {
                return Err(bad("conjunction", item));
            }
            Action::Conjunction {
                id,
                clause: k - 1,
                n_clauses: n,
            }
        }
        "note" => {
            let bytes = parse_dotted_hex(arg).ok_or_else(|| bad("note", item))?;
            // OVS keeps the zero padding that rounds the action to 8 bytes.
            let total = crate::codec::align8(10 + bytes.len()).max(16) - 10;
            let mut b = bytes;
            b.resize(total, 0);
            Action::Note(Box::new(b))
        }
        "dec_ttl" => {
            if item.as_bytes().get(name.len()) == Some(&b'(') {
                // `dec_ttl(…)` (even `dec_ttl()`, as OVN emits) is NXAST_DEC_TTL_CNT_IDS.
                let ids: Option<Vec<u16>> = split_top(arg)
                    .into_iter()
                    .map(|s| parse_int(s.trim()))
                    .collect();
                Action::DecTtlCntIds(Box::new(ids.ok_or_else(|| bad("dec_ttl", item))?))
            } else if arg.is_empty() {
                Action::DecTtl
            } else {
                return Err(bad("dec_ttl", item));
            }
        }
        "check_pkt_larger" => {
            let d = tail
                .strip_prefix("->")
                .ok_or_else(|| bad("check_pkt_larger", item))?;
            let dst = subfield("check_pkt_larger", d)?;
            if dst.n_bits != 1 {
                return Err(bad("check_pkt_larger", item));
            }
            Action::CheckPktLarger {
                pkt_len: parse_int(arg.trim()).ok_or_else(|| bad("check_pkt_larger", item))?,
                dst,
            }
        }
        "clone" => Action::Clone(Box::new(parse_actions(arg)?)),
        "exit" => Action::Exit,
        "bundle" => Action::Bundle(Box::new(parse_bundle(arg, false)?)),
        "multipath" => Action::Multipath(Box::new(parse_multipath(arg)?)),
        "bundle_load" => Action::Bundle(Box::new(parse_bundle(arg, true)?)),
        "sample" => Action::Sample(Box::new(parse_sample(arg)?)),
        "fin_timeout" => {
            let (mut idle, mut hard) = (0, 0);
            for it in split_top(arg) {
                let (k, v) = kv(it);
                let v = parse_int(v).ok_or_else(|| bad("fin_timeout", item))?;
                match k {
                    "idle_timeout" => idle = v,
                    "hard_timeout" => hard = v,
                    _ => return Err(bad("fin_timeout", item)),
                }
            }
            Action::FinTimeout { idle, hard }
        }
        "mod_dl_src" | "mod_dl_dst" => {
            let mac = parse_mac(arg.trim()).ok_or_else(|| bad("mod_dl_src", item))?;
            let f = if lname == "mod_dl_src" {
                Field::ETH_SRC
            } else {
                Field::ETH_DST
            };
            set_field(f, mac.into(), None)
        }
        "mod_nw_src" | "mod_nw_dst" => {
            let a: std::net::Ipv4Addr = arg.trim().parse().map_err(|_| bad("mod_nw_src", item))?;
            let f = if lname == "mod_nw_src" {
                Field::IPV4_SRC
            } else {
                Field::IPV4_DST
            };
            set_field(f, a.into(), None)
        }
        _ => {
            // A bare port name or number means output to it.
            if let Some(port) = parse_port(name).filter(|_| arg.is_empty()) {
                return Ok(Action::Output { port, max_len: 0 });
            }
            return Err(ActionError::Unknown(name.to_owned()));
        }
    })
}

/// Parses an ovs-ofctl action list (`resubmit(,34),set_field:0x1->reg15`); `drop` or the
/// empty string is the empty list.
pub fn parse_actions(s: &str) -> Result<Vec<Action>, ActionError> {
    let items = split_top(s);
    if items.len() == 1 && items[0] == "drop" {
        return Ok(Vec::new());
    }
    items
        .into_iter()
        .map(|i| {
            if i == "drop" {
                Err(ActionError::DropNotAlone(s.to_owned()))
            } else {
                parse_one(i)
            }
        })
        .collect()
}

impl FromStr for Action {
    type Err = ActionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_one(s)
    }
}
