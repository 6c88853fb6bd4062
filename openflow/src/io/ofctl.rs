//! `ovs-ofctl -O OpenFlow15` compatible operations over [`Client`]: the same requests with the
//! same xids (hello 1, first request 2, as ovs-ofctl numbers them) and the same text, byte for
//! byte, written to any `std::io::Write`. `ovn-agent ofctl` is a thin CLI over these.

use std::collections::HashMap;
use std::io::Write;

use bytes::Bytes;

use crate::msg::{
    AggregateStats, FeaturesReply, FlowMod, FlowModCommand, FlowStatsIter, FlowStatsRequest,
    GroupDesc, Message, MeterConfig, MsgError, MultipartReply, MultipartRequest, TlvMap,
    TlvTableMod, format_flow_stats, print,
};

use super::{Client, IoError, Options, Target};

/// Why an ofctl operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OfctlError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("cannot decode reply")]
    Decode(#[from] MsgError),
    #[error("cannot write output")]
    Write(#[from] std::io::Error),
    #[error("unexpected reply {0}")]
    Unexpected(&'static str),
    #[error("{0}")]
    Unsupported(String),
}

/// Opens a connection numbered like ovs-ofctl's: the hello gets `first_xid`.
pub async fn open(
    target: &Target,
    first_xid: u32,
    features: bool,
) -> Result<(Client, Option<FeaturesReply>), IoError> {
    let opts = Options {
        reconnect: false,
        first_xid,
        fetch_features: features,
        ..Options::default()
    };
    let (client, _events, f) = Client::connect(target, opts).await?;
    Ok((client, f))
}

/// The title `ofp_print` puts on a multipart reply part (with ` flags=[more]`).
pub fn part_title(part: &MultipartReply, xid: u32) -> String {
    let name = part.ty.reply_name().unwrap_or("OFPST_UNKNOWN reply");
    let mut t = print::title(name, xid);
    if part.more() {
        // ofp_print_stats appends it after the title's colon.
        t.push_str(" flags=[more]");
    }
    t
}

/// `ofp_to_string`'s ending: drop one trailing space, end with exactly one newline.
fn finish(s: &mut String) {
    if s.ends_with(' ') {
        s.pop();
    }
    if !s.ends_with('\n') {
        s.push('\n');
    }
}

/// Sends `req` as the first request of a fresh connection (xid 2) and prints every reply part:
/// its title, then whatever `body` appends.
pub async fn dump_parts(
    target: &Target,
    req: MultipartRequest,
    out: &mut dyn Write,
    body: impl FnMut(&mut String, &MultipartReply) -> Result<(), OfctlError>,
) -> Result<(), OfctlError> {
    dump_parts_from(target, 1, req, out, body).await
}

/// `dump_parts` with the hello at `first_xid` (the request gets `first_xid + 1`).
pub async fn dump_parts_from(
    target: &Target,
    first_xid: u32,
    req: MultipartRequest,
    out: &mut dyn Write,
    mut body: impl FnMut(&mut String, &MultipartReply) -> Result<(), OfctlError>,
) -> Result<(), OfctlError> {
    let (client, _) = open(target, first_xid, false).await?;
    let mut parts = client.multipart(req).await?;
    let mut s = String::new();
    while let Some(part) = parts.next().await {
        let part = part?;
        s.clear();
        s.push_str(&part_title(&part, first_xid + 1));
        body(&mut s, &part)?;
        finish(&mut s);
        out.write_all(s.as_bytes())?;
    }
    client.shutdown().await;
    Ok(())
}

fn format_ports(s: &mut String, part: &MultipartReply) -> Result<(), OfctlError> {
    let mut ports = part.ports()?;
    // ofputil_phy_ports_format sorts each part by (16-bit) port number.
    ports.sort_by_key(|p| p.sort_key());
    for p in ports {
        s.push_str(&p.to_string());
    }
    Ok(())
}

/// `ovs-ofctl show`: features (xid 2) and port descriptions (xid 3) on one connection, then the
/// switch config on a second connection (hello 4, request 5), exactly as ovs-ofctl does.
pub async fn show(target: &Target, out: &mut dyn Write) -> Result<(), OfctlError> {
    let mut s = String::new();
    {
        let (client, features) = open(target, 1, true).await?;
        let f = features.ok_or(OfctlError::Unexpected("no features reply"))?;
        s.push_str(&print::title("OFPT_FEATURES_REPLY", 2));
        s.push(' ');
        s.push_str(&f.to_string());
        let mut parts = client
            .multipart(MultipartRequest::port_desc(0xffff_ffff))
            .await?;
        while let Some(part) = parts.next().await {
            let part = part?;
            let mut p = part_title(&part, 3);
            p.push('\n');
            format_ports(&mut p, &part)?;
            finish(&mut p);
            s.push_str(&p);
        }
        client.shutdown().await;
    }
    let (client, _) = open(target, 4, false).await?;
    match client.request(Message::GetConfigRequest).await? {
        Message::GetConfigReply(c) => s.push_str(&format!(
            "{} {c}\n",
            print::title("OFPT_GET_CONFIG_REPLY", 5)
        )),
        m => return Err(OfctlError::Unexpected(m.name())),
    }
    client.shutdown().await;
    out.write_all(s.as_bytes())?;
    Ok(())
}

/// `ovs-ofctl dump-tlv-map`.
pub async fn dump_tlv_map(target: &Target, out: &mut dyn Write) -> Result<(), OfctlError> {
    let (client, _) = open(target, 1, false).await?;
    let r = client.request(Message::TlvTableRequest).await?;
    client.shutdown().await;
    match r {
        Message::TlvTableReply(r) => Ok(writeln!(
            out,
            "{}{r}",
            print::title("NXT_TLV_TABLE_REPLY", 2)
        )?),
        m => Err(OfctlError::Unexpected(m.name())),
    }
}

/// `ovs-ofctl add-tlv-map` (TLV table mod ADD, then a barrier; an error reply fails).
pub async fn add_tlv_map(target: &Target, maps: Vec<TlvMap>) -> Result<(), OfctlError> {
    let (client, _) = open(target, 1, false).await?;
    let r = client
        .send_all(vec![Message::TlvTableMod(TlvTableMod {
            command: TlvTableMod::ADD,
            maps,
        })])
        .await;
    client.shutdown().await;
    Ok(r?)
}

/// `ovs-ofctl dump-meters [meter=N]` (`0xffffffff` = all).
pub async fn dump_meters(
    target: &Target,
    meter_id: u32,
    out: &mut dyn Write,
) -> Result<(), OfctlError> {
    dump_parts(
        target,
        MultipartRequest::meter_config(meter_id),
        out,
        |s, part| {
            for m in MeterConfig::decode_reply(&part.body)? {
                s.push('\n');
                s.push_str(&m.to_string());
                s.push('\n');
            }
            Ok(())
        },
    )
    .await
}

/// `ovs-ofctl dump-ports-desc [PORT]` (`0xffffffff` = all).
pub async fn dump_ports_desc(
    target: &Target,
    port: u32,
    out: &mut dyn Write,
) -> Result<(), OfctlError> {
    dump_parts(target, MultipartRequest::port_desc(port), out, |s, part| {
        s.push('\n');
        format_ports(s, part)
    })
    .await
}

/// The xid of the hello of a dump-flows / dump-aggregate connection. With a non-empty filter
/// (and names accepted, the default) ovs-ofctl first opens two side connections to learn port
/// and table names (hello + port-desc, hello + table-features: xids 1–4), so the dump's hello is
/// xid 5 and its request xid 6; we reproduce the numbering without the side trips.
pub fn dump_first_xid(filter: &str, no_names: bool) -> u32 {
    if filter.trim().is_empty() || no_names {
        1
    } else {
        5
    }
}

/// `ovs-ofctl dump-aggregate [FLOW]`.
pub async fn dump_aggregate(
    target: &Target,
    req: &FlowStatsRequest,
    first_xid: u32,
    out: &mut dyn Write,
) -> Result<(), OfctlError> {
    dump_parts_from(target, first_xid, req.aggregate(), out, |s, part| {
        s.push_str(&AggregateStats::decode_reply(&part.body)?.to_string());
        Ok(())
    })
    .await
}

/// `ovs-ofctl dump-groups [GROUP]`, with `format` rendering one group.
pub async fn dump_groups(
    target: &Target,
    group_id: u32,
    out: &mut dyn Write,
    format: impl Fn(&mut String, &GroupDesc) -> Result<(), OfctlError>,
) -> Result<(), OfctlError> {
    dump_parts(
        target,
        MultipartRequest::group_desc(group_id),
        out,
        |s, part| {
            for g in GroupDesc::decode_reply(&part.body)? {
                s.push_str("\n ");
                format(s, &g)?;
            }
            Ok(())
        },
    )
    .await
}

/// `ovs-ofctl add-flow(s)`: with `bundle`, one ordered atomic bundle; otherwise pipelined
/// flow_mods closed by one barrier (ovs-ofctl waits for a barrier after every flow_mod, which
/// caps it at ~14k flows/s; the result is the same).
pub async fn add_flows(target: &Target, fms: Vec<FlowMod>, bundle: bool) -> Result<(), OfctlError> {
    let (client, _) = open(target, 1, false).await?;
    let msgs = fms.into_iter().map(Message::FlowMod);
    let r = if bundle {
        client.send_bundle(msgs).await
    } else {
        client.send_all(msgs.collect()).await
    };
    client.shutdown().await;
    Ok(r?)
}

/// Which flow_mod a text line of add-flow(s) / del-flows becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowCmd {
    Add,
    Delete,
    DeleteStrict,
}

/// Parses one flow line (see [`FlowMod::parse_ofctl`]).
pub fn parse_flow_mod(line: &str, cmd: FlowCmd) -> Result<FlowMod, OfctlError> {
    let c = match cmd {
        FlowCmd::Add => FlowModCommand::ADD,
        FlowCmd::Delete => FlowModCommand::DELETE,
        FlowCmd::DeleteStrict => FlowModCommand::DELETE_STRICT,
    };
    FlowMod::parse_ofctl(line, c).map_err(|e| OfctlError::Unsupported(format!("{line}: {e}")))
}

/// Parses a flow file as `ovs-ofctl add-flows` reads it: one flow per line, `#` comments and
/// blank lines skipped. Every bad line is reported (with its number), not just the first.
pub fn parse_flow_file(text: &str, cmd: FlowCmd) -> Result<Vec<FlowMod>, OfctlError> {
    let mut fms = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match parse_flow_mod(l, cmd) {
            Ok(f) => fms.push(f),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    if errors.is_empty() {
        Ok(fms)
    } else {
        Err(OfctlError::Unsupported(errors.join("\n")))
    }
}

/// The flow stats request for a dump-flows / dump-aggregate filter (`table=…,cookie=…/…,
/// out_port=…,<match>`).
pub fn parse_stats_request(filter: &str) -> Result<FlowStatsRequest, OfctlError> {
    let fm = FlowMod::parse_ofctl_filter(filter)
        .map_err(|e| OfctlError::Unsupported(format!("{filter}: {e}")))?;
    Ok(FlowStatsRequest {
        table_id: fm.table_id,
        out_port: fm.out_port,
        out_group: fm.out_group,
        cookie: fm.cookie,
        cookie_mask: fm.cookie_mask,
        match_: fm.match_,
    })
}

/// `ovs-ofctl dump-flows [--no-stats]`: with stats, each reply part with its title and one
/// `\n <flow>` per flow; without, only ` <flow>\n` lines. Streams part by part.
pub async fn dump_flows(
    target: &Target,
    req: &FlowStatsRequest,
    show_stats: bool,
    first_xid: u32,
    out: &mut dyn Write,
) -> Result<(), OfctlError> {
    let (client, _) = open(target, first_xid, false).await?;
    let mut dump = client.dump_flows(req).await?;
    let mut s = String::with_capacity(1 << 16);
    while let Some(part) = dump.next_part().await {
        let part = part?;
        s.clear();
        if show_stats {
            s.push_str(&part_title(&part, first_xid + 1));
        }
        for fs in FlowStatsIter::new(part.body.clone()) {
            let fs = fs?;
            if show_stats {
                s.push_str("\n ");
                format_flow_stats(&mut s, &fs, true)
                    .map_err(|e| OfctlError::Unsupported(e.to_string()))?;
            } else {
                s.push(' ');
                format_flow_stats(&mut s, &fs, false)
                    .map_err(|e| OfctlError::Unsupported(e.to_string()))?;
                s.push('\n');
            }
        }
        if show_stats {
            finish(&mut s);
        }
        out.write_all(s.as_bytes())?;
    }
    client.shutdown().await;
    Ok(())
}

/// All flows of the switch as ADD flow_mods (for replace-flows / diff-flows).
pub async fn fetch_flows(target: &Target) -> Result<Vec<FlowMod>, OfctlError> {
    let (client, _) = open(target, 1, false).await?;
    let mut dump = client.dump_flows(&FlowStatsRequest::default()).await?;
    let mut v = Vec::new();
    while let Some(fs) = dump.next().await {
        let fs = fs?;
        v.push(FlowMod {
            cookie: fs.cookie,
            table_id: fs.table_id,
            priority: fs.priority,
            idle_timeout: fs.idle_timeout,
            hard_timeout: fs.hard_timeout,
            importance: fs.importance,
            match_: fs.match_,
            instructions: fs.instructions,
            ..FlowMod::default()
        });
    }
    client.shutdown().await;
    Ok(v)
}

/// Identity of a flow in a table: (table, priority, match TLVs).
type FlowKey = (u8, u16, Bytes);

fn key(f: &FlowMod) -> FlowKey {
    (f.table_id, f.priority, f.match_.0.clone())
}

/// What `fte_version_equals` compares.
fn same_version(a: &FlowMod, b: &FlowMod) -> bool {
    (
        a.cookie,
        a.idle_timeout,
        a.hard_timeout,
        a.importance,
        &a.instructions,
    ) == (
        b.cookie,
        b.idle_timeout,
        b.hard_timeout,
        b.importance,
        &b.instructions,
    )
}

/// `ovs-ofctl replace-flows`: DELETE_STRICT what the switch has and `fms` lacks, ADD what is
/// new or different; in one bundle with `bundle`.
pub async fn replace_flows(
    target: &Target,
    fms: Vec<FlowMod>,
    bundle: bool,
) -> Result<(), OfctlError> {
    let current = fetch_flows(target).await?;
    let want: HashMap<FlowKey, &FlowMod> = fms.iter().map(|f| (key(f), f)).collect();
    let have: HashMap<FlowKey, &FlowMod> = current.iter().map(|f| (key(f), f)).collect();
    let mut mods = Vec::new();
    for f in &current {
        if !want.contains_key(&key(f)) {
            mods.push(FlowMod {
                command: FlowModCommand::DELETE_STRICT,
                instructions: Default::default(),
                ..f.clone()
            });
        }
    }
    for f in &fms {
        if have.get(&key(f)).is_none_or(|h| !same_version(h, f)) {
            mods.push(f.clone());
        }
    }
    add_flows(target, mods, bundle).await
}

/// The line `fte_version_format` prints for a flow in diff-flows.
fn diff_line(f: &FlowMod) -> Result<String, OfctlError> {
    let m = f
        .match_
        .to_match()
        .map_err(|e| OfctlError::Unsupported(e.to_string()))?;
    let mut s = String::new();
    if f.table_id != 0 {
        s.push_str(&format!("table={} ", f.table_id));
    }
    crate::msg::format_match(&mut s, &m, f.priority);
    if f.cookie != 0 {
        s.push_str(&format!(" cookie={:#x}", f.cookie));
    }
    if f.idle_timeout != 0 {
        s.push_str(&format!(" idle_timeout={}", f.idle_timeout));
    }
    if f.hard_timeout != 0 {
        s.push_str(&format!(" hard_timeout={}", f.hard_timeout));
    }
    if f.importance != 0 {
        s.push_str(&format!(" importance={}", f.importance));
    }
    s.push_str(" actions=");
    crate::msg::instructions::format(&mut s, &f.instructions).map_err(OfctlError::Unsupported)?;
    s.push('\n');
    Ok(s)
}

/// `ovs-ofctl diff-flows`: `-` lines for flows only (or differently) in `a`, `+` lines for
/// `b`. Returns whether there were differences (ovs-ofctl then exits with status 2). Flows are
/// listed by table, then priority (high first), then match; ovs-ofctl walks its classifier,
/// whose order can differ.
pub fn diff_flows(a: &[FlowMod], b: &[FlowMod], out: &mut dyn Write) -> Result<bool, OfctlError> {
    let am: HashMap<FlowKey, &FlowMod> = a.iter().map(|f| (key(f), f)).collect();
    let bm: HashMap<FlowKey, &FlowMod> = b.iter().map(|f| (key(f), f)).collect();
    let mut keys: Vec<&FlowKey> = am
        .keys()
        .chain(bm.keys().filter(|k| !am.contains_key(*k)))
        .collect();
    keys.sort_by(|x, y| {
        (x.0, std::cmp::Reverse(x.1), &x.2).cmp(&(y.0, std::cmp::Reverse(y.1), &y.2))
    });
    let mut differ = false;
    for k in keys {
        let (fa, fb) = (am.get(k), bm.get(k));
        if let (Some(x), Some(y)) = (fa, fb)
            && same_version(x, y)
        {
            continue;
        }
        differ = true;
        if let Some(x) = fa {
            write!(out, "-{}", diff_line(x)?)?;
        }
        if let Some(y) = fb {
            write!(out, "+{}", diff_line(y)?)?;
        }
    }
    Ok(differ)
}

/// `format_group` for [`dump_groups`].
pub fn format_group(s: &mut String, g: &GroupDesc) -> Result<(), OfctlError> {
    crate::msg::format_group(s, g).map_err(|e| OfctlError::Unsupported(e.to_string()))
}
