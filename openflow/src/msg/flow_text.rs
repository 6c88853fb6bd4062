//! The `ovs-ofctl` text of flows: parsing `add-flow` / `del-flows` lines into [`FlowMod`]s and
//! printing flow stats entries as `dump-flows` does (`lib/ofp-flow.c` `parse_ofp_str__`,
//! `ofputil_flow_stats_format`). Matches and actions are the codec's; this file handles the
//! flow_mod keywords around them.

use std::fmt::Write;

use crate::codec::Reader;
use crate::flow_match::{Match, MatchError};

use super::instructions;
use super::{
    DEFAULT_PRIORITY, FlowMod, FlowModCommand, FlowStats, OFPG_ANY, OFPP_ANY, RawMatch,
    flow_mod_flags,
};

/// A flow line that cannot be turned into a flow_mod.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowParseError {
    #[error("{0}")]
    Match(#[from] MatchError),
    #[error("{key}: invalid value {value:?}")]
    BadValue { key: &'static str, value: String },
    #[error("unknown keyword {0}")]
    Unknown(String),
    #[error("must specify an action")]
    NoActions,
    #[error("cannot set cookie (to match on a cookie, specify a mask, e.g. cookie={0}/-1)")]
    CookieWithoutMask(String),
    #[error("actions: {0}")]
    Actions(String),
}

fn num<T: TryFrom<u128>>(key: &'static str, v: &str) -> Result<T, FlowParseError> {
    let bad = || FlowParseError::BadValue {
        key,
        value: v.to_owned(),
    };
    let n = if v == "-1" {
        u128::MAX
    } else if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        u128::from_str_radix(h, 16).map_err(|_| bad())?
    } else {
        v.parse::<u128>().map_err(|_| bad())?
    };
    // `-1` means all-ones of the target width (as ovs-ofctl's cookie=…/-1).
    if n == u128::MAX {
        for bits in [64u32, 32, 16, 8] {
            if let Ok(t) = T::try_from((1u128 << bits) - 1)
                && T::try_from(1u128 << bits).is_err()
            {
                return Ok(t);
            }
        }
    }
    T::try_from(n).map_err(|_| bad())
}

fn port(key: &'static str, v: &str) -> Result<u32, FlowParseError> {
    Ok(match v {
        "IN_PORT" | "in_port" => 0xffff_fff8,
        "TABLE" => 0xffff_fff9,
        "NORMAL" => 0xffff_fffa,
        "FLOOD" => 0xffff_fffb,
        "ALL" => 0xffff_fffc,
        "CONTROLLER" => 0xffff_fffd,
        "LOCAL" => 0xffff_fffe,
        "ANY" | "NONE" => 0xffff_ffff,
        v => {
            let p: u32 = num(key, v)?;
            // 16-bit reserved numbers map onto the 32-bit reserved space.
            if (0xff00..=0xffff).contains(&p) {
                p + 0xffff_0000
            } else {
                p
            }
        }
    })
}

fn need<'a>(v: Option<&'a str>, key: &'static str) -> Result<&'a str, FlowParseError> {
    v.ok_or(FlowParseError::BadValue {
        key,
        value: String::new(),
    })
}

/// Splits a flow line into the part before `actions=` and the actions text.
fn split_actions(line: &str) -> (&str, Option<&str>) {
    for key in ["actions=", "action=", "actions:", "action:"] {
        if let Some(i) = line.find(key) {
            // Must start a token (not e.g. "xactions=").
            let ok = i == 0 || matches!(line.as_bytes()[i - 1], b',' | b' ' | b'\t');
            if ok {
                return (&line[..i], Some(line[i + key.len()..].trim()));
            }
        }
    }
    (line, None)
}

impl FlowMod {
    /// Parses a flow as `ovs-ofctl add-flow` / `del-flows [--strict]` take it, for `command`.
    /// ADD needs `actions=`; deletes ignore timeouts, flags and actions, match cookies with a
    /// mask, and default to every table.
    pub fn parse_ofctl(line: &str, command: FlowModCommand) -> Result<FlowMod, FlowParseError> {
        Self::parse_ofctl_as(line, command, false)
    }

    /// Parses a dump-flows / dump-aggregate filter: like a non-strict delete (loose match, every
    /// table by default), accepting only table, cookie/mask, out_port, out_group and match
    /// fields, as `parse_ofp_flow_stats_request_str`.
    pub fn parse_ofctl_filter(line: &str) -> Result<FlowMod, FlowParseError> {
        Self::parse_ofctl_as(line, FlowModCommand::DELETE, true)
    }

    fn parse_ofctl_as(
        line: &str,
        command: FlowModCommand,
        stats: bool,
    ) -> Result<FlowMod, FlowParseError> {
        let is_add = command == FlowModCommand::ADD;
        let is_del = matches!(
            command,
            FlowModCommand::DELETE | FlowModCommand::DELETE_STRICT
        );
        // Which keywords each command takes (parse_ofp_str__'s F_* sets); others are unknown.
        let f_out_port = is_del || stats;
        let f_priority = !stats && command != FlowModCommand::DELETE;
        let f_timeouts_flags = !is_del && !stats;
        let f_importance = is_add;
        let (head, acts) = split_actions(line.trim());
        let mut fm = FlowMod {
            command,
            table_id: 0xff,
            ..FlowMod::default()
        };
        let mut items = Vec::new();
        for tok in head.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
            let (k, v) = match tok.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (tok, None),
            };
            let flag = match k {
                "send_flow_rem" => flow_mod_flags::SEND_FLOW_REM,
                "check_overlap" => flow_mod_flags::CHECK_OVERLAP,
                "reset_counts" => flow_mod_flags::RESET_COUNTS,
                "no_packet_counts" => flow_mod_flags::NO_PKT_COUNTS,
                "no_byte_counts" => flow_mod_flags::NO_BYT_COUNTS,
                _ => 0,
            };
            let unknown = || FlowParseError::Unknown(k.to_owned());
            match k {
                _ if flag != 0 => {
                    if !f_timeouts_flags {
                        return Err(unknown());
                    }
                    fm.flags |= flag;
                }
                "table" => fm.table_id = num("table", need(v, "table")?)?,
                "priority" if f_priority => fm.priority = num("priority", need(v, "priority")?)?,
                "idle_timeout" if f_timeouts_flags => {
                    fm.idle_timeout = num("idle_timeout", need(v, "idle_timeout")?)?;
                }
                "hard_timeout" if f_timeouts_flags => {
                    fm.hard_timeout = num("hard_timeout", need(v, "hard_timeout")?)?;
                }
                "importance" if f_importance => {
                    fm.importance = num("importance", need(v, "importance")?)?;
                }
                "out_port" if f_out_port => fm.out_port = port("out_port", need(v, "out_port")?)?,
                "out_group" if f_out_port => {
                    fm.out_group = num("out_group", need(v, "out_group")?)?;
                }
                "priority" | "idle_timeout" | "hard_timeout" | "importance" | "out_port"
                | "out_group" => {
                    return Err(unknown());
                }
                "cookie" => {
                    let v = need(v, "cookie")?;
                    match v.split_once('/') {
                        Some((c, m)) => {
                            fm.cookie_mask = num("cookie", m)?;
                            fm.cookie = num::<u64>("cookie", c)? & fm.cookie_mask;
                        }
                        None if is_del => {
                            return Err(FlowParseError::CookieWithoutMask(v.to_owned()));
                        }
                        None => fm.cookie = num("cookie", v)?,
                    }
                }
                // Stats in dump-flows output, accepted so dumps can be fed back.
                "duration" | "n_packets" | "n_bytes" | "idle_age" | "hard_age" => {}
                _ => items.push(tok),
            }
        }
        fm.match_ = RawMatch::from_match(&Match::parse_items(items)?);
        if fm.table_id == 0xff && !is_del {
            fm.table_id = 0;
        }
        if is_del {
            fm.idle_timeout = 0;
            fm.hard_timeout = 0;
            fm.flags = 0;
        } else {
            fm.out_port = OFPP_ANY;
            fm.out_group = OFPG_ANY;
        }
        if !is_add {
            fm.importance = 0;
        }
        match (acts, is_add) {
            (Some(a), false) if is_del => {
                let _ = a;
            }
            (Some(a), _) => {
                fm.instructions = instructions::parse(a).map_err(FlowParseError::Actions)?;
            }
            (None, true) => return Err(FlowParseError::NoActions),
            (None, false) => {}
        }
        Ok(fm)
    }
}

impl RawMatch {
    /// The OXM TLVs of `m`.
    pub fn from_match(m: &Match) -> RawMatch {
        let mut v = Vec::with_capacity(m.oxm_len());
        m.encode_oxm_fields(&mut v);
        RawMatch(v.into())
    }

    /// Decodes the TLVs with the match codec.
    pub fn to_match(&self) -> Result<Match, crate::codec::DecodeError> {
        Match::decode_oxm_fields(&mut Reader::new(&self.0))
    }
}

/// Appends `priority=N,` + the match as `match_format` prints it (priority only when not the
/// default 32768), without a trailing comma.
pub fn format_match(out: &mut String, m: &Match, priority: u16) {
    let start = out.len();
    if priority != DEFAULT_PRIORITY {
        let _ = write!(out, "priority={priority},");
    }
    let _ = write!(out, "{m}");
    if out.len() > start && out.ends_with(',') {
        out.pop();
    }
}

/// `ofp_print_duration`: seconds, then 3 decimals if the fraction is whole milliseconds,
/// else as many as needed.
fn duration(out: &mut String, sec: u32, nsec: u32) {
    let _ = write!(out, "{sec}");
    if nsec > 0 {
        if nsec.is_multiple_of(1_000_000) {
            let _ = write!(out, ".{:03}", nsec / 1_000_000);
        } else {
            let s = format!("{nsec:09}");
            let _ = write!(out, ".{}", s.trim_end_matches('0'));
        }
    }
    out.push('s');
}

fn stat(out: &mut String, name: &str, v: Option<u64>) {
    match v {
        Some(v) if v != u64::MAX => {
            let _ = write!(out, "{name}={v}, ");
        }
        _ => {
            let _ = write!(out, "{name}=?, ");
        }
    }
}

/// Appends one flow exactly as `ofputil_flow_stats_format` does (no leading space; `dump-flows`
/// adds it). With `show_stats == false` (`--no-stats`) cookie and table print only when nonzero.
pub fn format_flow_stats(
    out: &mut String,
    fs: &FlowStats,
    show_stats: bool,
) -> Result<(), FlowFormatError> {
    let m = fs
        .match_
        .to_match()
        .map_err(|e| FlowFormatError(e.to_string()))?;
    if show_stats || fs.cookie != 0 {
        let _ = write!(out, "cookie={:#x}, ", fs.cookie);
    }
    if show_stats {
        out.push_str("duration=");
        duration(
            out,
            fs.stats.duration_sec.unwrap_or(u32::MAX),
            fs.stats.duration_nsec,
        );
        out.push_str(", ");
    }
    if show_stats || fs.table_id != 0 {
        let _ = write!(out, "table={}, ", fs.table_id);
    }
    if show_stats {
        stat(out, "n_packets", fs.stats.packet_count);
        stat(out, "n_bytes", fs.stats.byte_count);
    }
    if fs.idle_timeout != 0 {
        let _ = write!(out, "idle_timeout={}, ", fs.idle_timeout);
    }
    if fs.hard_timeout != 0 {
        let _ = write!(out, "hard_timeout={}, ", fs.hard_timeout);
    }
    for (bit, name) in [
        (flow_mod_flags::SEND_FLOW_REM, "send_flow_rem "),
        (flow_mod_flags::CHECK_OVERLAP, "check_overlap "),
        (flow_mod_flags::RESET_COUNTS, "reset_counts "),
        (flow_mod_flags::NO_PKT_COUNTS, "no_packet_counts "),
        (flow_mod_flags::NO_BYT_COUNTS, "no_byte_counts "),
    ] {
        if fs.flags & bit != 0 {
            out.push_str(name);
        }
    }
    if fs.importance != 0 {
        let _ = write!(out, "importance={}, ", fs.importance);
    }
    if show_stats && let Some(a) = fs.stats.idle_age {
        let _ = write!(out, "idle_age={a}, ");
    }
    let before = out.len();
    format_match(out, &m, fs.priority);
    if out.len() != before {
        out.push(' ');
    }
    out.push_str("actions=");
    instructions::format(out, &fs.instructions).map_err(FlowFormatError)
}

/// A flow stats entry that cannot be printed (undecodable match or actions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot format flow: {0}")]
pub struct FlowFormatError(pub String);

/// The `ovs-ofctl` text of a flow as it would be added (for diff-flows / replace-flows keys):
/// `[cookie=…, ][table=…, ]<timeouts/flags>priority=…,<match> actions=…`.
pub fn format_flow_mod(out: &mut String, fm: &FlowMod) -> Result<(), FlowFormatError> {
    let fs = FlowStats {
        table_id: fm.table_id,
        priority: fm.priority,
        idle_timeout: fm.idle_timeout,
        hard_timeout: fm.hard_timeout,
        flags: fm.flags,
        importance: fm.importance,
        cookie: fm.cookie,
        match_: fm.match_.clone(),
        stats: Default::default(),
        instructions: fm.instructions.clone(),
    };
    format_flow_stats(out, &fs, false)
}
