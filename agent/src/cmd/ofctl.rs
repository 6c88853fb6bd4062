//! `ovn-agent ofctl`: the subset of `ovs-ofctl -O OpenFlow15` that an OVN operator needs, with
//! byte-identical output, over our own OpenFlow stack (`openflow::io::ofctl`). BRIDGE is a
//! bridge name (`$OVS_RUNDIR/BRIDGE.mgmt`, OVS_RUNDIR defaulting to `/var/run/openvswitch`) or
//! a target `unix:PATH` / `tcp:HOST:PORT`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use openflow::io::{Target, ofctl};
use openflow::msg::{MeterConfig, OFPG_ALL, TlvMap};

/// Arguments of `ovn-agent ofctl`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Command,
    /// OpenFlow versions to allow; only OpenFlow15 is supported (accepted for compatibility).
    #[arg(
        short = 'O',
        long = "protocols",
        global = true,
        default_value = "OpenFlow15"
    )]
    protocols: String,
    /// Omit statistics in dump-flows (as `ovs-ofctl --no-stats`).
    #[arg(long, global = true)]
    no_stats: bool,
    /// Use MODIFY_STRICT / DELETE_STRICT (match exactly, priority included).
    #[arg(long, global = true)]
    strict: bool,
    /// Apply all flow_mods atomically in one bundle.
    #[arg(long, global = true)]
    bundle: bool,
    /// With dump-flows: follow each flow by the Southbound row it came from (logical flow with
    /// its pipeline, table, stage, priority, match and actions; or port binding / multicast
    /// group), found by cookie. The Southbound is `--sb`, else the local Open_vSwitch
    /// database's `external_ids:ovn-remote`.
    #[arg(long, global = true)]
    annotate: bool,
    /// Southbound database for --annotate (default: from the local Open_vSwitch database).
    #[arg(long, global = true)]
    sb: Option<String>,
    /// Local Open_vSwitch database for --annotate (default: unix:$OVS_RUNDIR/db.sock).
    #[arg(long, global = true)]
    db: Option<String>,
    /// Do not accept or show port/table names (numbers are always shown; this changes only
    /// the xids, as in ovs-ofctl, which then skips its name lookups).
    #[arg(long, global = true)]
    no_names: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Features, ports and configuration of the switch.
    Show { bridge: String },
    /// Print the flows matching FLOW (all by default).
    DumpFlows {
        bridge: String,
        flow: Option<String>,
    },
    /// Aggregate statistics of the flows matching FLOW.
    DumpAggregate {
        bridge: String,
        flow: Option<String>,
    },
    /// Add one flow.
    AddFlow { bridge: String, flow: String },
    /// Add the flows in FILE (one per line; `-` for stdin).
    AddFlows { bridge: String, file: String },
    /// Delete the flows matching FLOW (all by default).
    DelFlows {
        bridge: String,
        flow: Option<String>,
    },
    /// Make the switch's flows exactly those in FILE.
    ReplaceFlows { bridge: String, file: String },
    /// Print the differences between two sources of flows (bridges or files).
    DiffFlows { source1: String, source2: String },
    /// Print the Geneve option ↔ tun_metadata mapping.
    DumpTlvMap { bridge: String },
    /// Add mappings `{class=C,type=T,len=L}->tun_metadataN[,...]`.
    AddTlvMap { bridge: String, map: String },
    /// Print the groups (one group if GROUP is given).
    DumpGroups {
        bridge: String,
        group: Option<String>,
    },
    /// Print the meters (one meter if METER is given, e.g. `meter=3`).
    DumpMeters {
        bridge: String,
        meter: Option<String>,
    },
    /// Print the port descriptions.
    DumpPortsDesc {
        bridge: String,
        port: Option<String>,
    },
}

/// Runs `ovn-agent ofctl`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !args
        .protocols
        .split(',')
        .any(|p| p.eq_ignore_ascii_case("OpenFlow15"))
    {
        bail!("only OpenFlow15 is supported (got -O {})", args.protocols);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(args))
}

/// `BRIDGE` → `unix:$OVS_RUNDIR/BRIDGE.mgmt`; anything with a `:` is a target already.
fn target(name: &str) -> anyhow::Result<Target> {
    if name.contains(':') {
        return Ok(name.parse()?);
    }
    let rundir = std::env::var_os("OVS_RUNDIR")
        .map_or_else(|| PathBuf::from("/var/run/openvswitch"), PathBuf::from);
    Ok(Target::Unix(rundir.join(format!("{name}.mgmt"))))
}

fn parse_port(p: &str) -> anyhow::Result<u32> {
    Ok(match p {
        "LOCAL" => 0xffff_fffe,
        "ANY" | "NONE" => 0xffff_ffff,
        p => p.parse().with_context(|| format!("{p}: invalid port"))?,
    })
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let r = dispatch(&args, &mut out).await;
    out.flush()?;
    r
}

async fn dispatch(args: &Args, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.cmd {
        Command::Show { bridge } => ofctl::show(&target(bridge)?, out).await?,
        Command::DumpTlvMap { bridge } => ofctl::dump_tlv_map(&target(bridge)?, out).await?,
        Command::AddTlvMap { bridge, map } => {
            ofctl::add_tlv_map(&target(bridge)?, TlvMap::parse_list(map)?).await?;
        }
        Command::DumpMeters { bridge, meter } => {
            let id = match meter {
                None => 0xffff_ffff,
                Some(m) => m.parse::<MeterConfig>()?.meter_id,
            };
            ofctl::dump_meters(&target(bridge)?, id, out).await?;
        }
        Command::DumpPortsDesc { bridge, port } => {
            let p = port.as_deref().map_or(Ok(0xffff_ffff), parse_port)?;
            ofctl::dump_ports_desc(&target(bridge)?, p, out).await?;
        }
        Command::DumpGroups { bridge, group } => {
            let id = match group.as_deref() {
                None | Some("all") => OFPG_ALL,
                Some(g) => g
                    .strip_prefix("group_id=")
                    .unwrap_or(g)
                    .parse()
                    .context("bad group id")?,
            };
            ofctl::dump_groups(&target(bridge)?, id, out, ofctl::format_group).await?;
        }
        Command::DumpAggregate { bridge, flow } => {
            let filter = flow.as_deref().unwrap_or("");
            let req = ofctl::parse_stats_request(filter)?;
            let xid = ofctl::dump_first_xid(filter, args.no_names);
            ofctl::dump_aggregate(&target(bridge)?, &req, xid, out).await?;
        }
        Command::DumpFlows { bridge, flow } => {
            let filter = flow.as_deref().unwrap_or("");
            let req = ofctl::parse_stats_request(filter)?;
            let xid = ofctl::dump_first_xid(filter, args.no_names);
            if args.annotate {
                let annotator = annotator(args).await?;
                let mut buf = Vec::new();
                ofctl::dump_flows(&target(bridge)?, &req, !args.no_stats, xid, &mut buf).await?;
                out.write_all(
                    annotator
                        .annotate_dump(&String::from_utf8_lossy(&buf))
                        .as_bytes(),
                )?;
            } else {
                ofctl::dump_flows(&target(bridge)?, &req, !args.no_stats, xid, out).await?;
            }
        }
        Command::AddFlow { bridge, flow } => {
            let fm = ofctl::parse_flow_mod(flow, ofctl::FlowCmd::Add)?;
            ofctl::add_flows(&target(bridge)?, vec![fm], args.bundle).await?;
        }
        Command::AddFlows { bridge, file } => {
            let fms = ofctl::parse_flow_file(&read(file)?, ofctl::FlowCmd::Add)
                .with_context(|| file.clone())?;
            ofctl::add_flows(&target(bridge)?, fms, args.bundle).await?;
        }
        Command::DelFlows { bridge, flow } => {
            let cmd = if args.strict {
                ofctl::FlowCmd::DeleteStrict
            } else {
                ofctl::FlowCmd::Delete
            };
            let fm = ofctl::parse_flow_mod(flow.as_deref().unwrap_or(""), cmd)?;
            ofctl::add_flows(&target(bridge)?, vec![fm], args.bundle).await?;
        }
        Command::ReplaceFlows { bridge, file } => {
            let fms = ofctl::parse_flow_file(&read(file)?, ofctl::FlowCmd::Add)
                .with_context(|| file.clone())?;
            ofctl::replace_flows(&target(bridge)?, fms, args.bundle).await?;
        }
        Command::DiffFlows { source1, source2 } => {
            let a = flows_of(source1).await?;
            let b = flows_of(source2).await?;
            if ofctl::diff_flows(&a, &b, out)? {
                out.flush()?;
                // ovs-ofctl's status for "differences found".
                std::process::exit(2);
            }
        }
    }
    Ok(())
}

fn read(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        Ok(std::io::read_to_string(std::io::stdin())?)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("{file}: cannot read"))
    }
}

/// A diff-flows source: an existing file, else a bridge / target.
async fn flows_of(source: &str) -> anyhow::Result<Vec<openflow::msg::FlowMod>> {
    if std::path::Path::new(source).is_file() {
        return ofctl::parse_flow_file(&read(source)?, ofctl::FlowCmd::Add)
            .with_context(|| source.to_owned());
    }
    Ok(ofctl::fetch_flows(&target(source)?).await?)
}

/// Connects to the Southbound database (from `--sb`, or the local Open_vSwitch database's
/// `ovn-remote`) and indexes its rows by cookie.
async fn annotator(args: &Args) -> anyhow::Result<agent::annotate::Annotator> {
    use std::time::Duration;
    let wait = |c: ovsdb::io::Client, what: String| async move {
        tokio::time::timeout(Duration::from_secs(10), c.wait_synced())
            .await
            .with_context(|| format!("{what} did not answer within 10 s"))?;
        anyhow::Ok(c)
    };
    let sb_remote = match &args.sb {
        Some(r) => r.clone(),
        None => {
            let db = args.db.clone().unwrap_or_else(|| {
                let rundir =
                    std::env::var("OVS_RUNDIR").unwrap_or_else(|_| "/var/run/openvswitch".into());
                format!("unix:{rundir}/db.sock")
            });
            let ovs = ovsdb::io::Client::start(ovsdb::io::ClientConfig::new(&db, "Open_vSwitch"))?;
            let ovs = wait(ovs, db.clone()).await?;
            let guard = ovs.lock();
            let snap = guard
                .as_ref()
                .map(agent::ovs::snapshot::OvsSnapshot::read)
                .unwrap_or_default();
            let id = snap
                .external_ids
                .get("system-id")
                .cloned()
                .unwrap_or_default();
            snap.external_ids
                .get(&format!("ovn-remote-{id}"))
                .or_else(|| snap.external_ids.get("ovn-remote"))
                .cloned()
                .with_context(|| format!("{db} has no external_ids:ovn-remote; pass --sb"))?
        }
    };
    let sb = ovsdb::io::Client::start(ovsdb::io::ClientConfig::new(&sb_remote, "OVN_Southbound"))?;
    let sb = wait(sb, sb_remote).await?;
    let guard = sb.lock();
    Ok(guard
        .as_ref()
        .map(agent::annotate::Annotator::from_replica)
        .unwrap_or_default())
}
