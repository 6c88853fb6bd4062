//! One chassis programmed for a large Southbound: the real ovn-controller against ovn-agent.
//!
//! Generates an NB with `S` logical switches (all attached to one router, so every switch is a
//! local datapath of the chassis), `P` ports per switch and `A` ACLs per switch on a port group
//! of that switch's ports and an address set (`outport == @pg && ip4.src == $as && tcp.dst == k`,
//! allow-related), lets ovn-northd compile it (timed; the Logical_Flow count is printed), puts
//! one VIF on the chassis, then for each agent in turn on the same chassis (br-int wiped before
//! each): starts it and measures
//! - the wall time until `ovn-nbctl --wait=hv sync` (started together with the agent) returns,
//! - the wall time until the br-int flow count last changed (stable for 3 s),
//! - peak RSS (`VmHWM`) and CPU time (utime+stime) of the agent process,
//!
//! and prints them side by side with ratios (ovn-agent / ovn-controller).
//!
//! Run as root: `cargo run --release -p bench --bin agent_scale [-- --full]`
//! (default ≈ 10k logical flows, `--full` ≈ 100k; `--switches/--ports/--acls` override;
//! `--agent PATH` for the ovn-agent binary, default: next to this binary). Not part of CI.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use testkit::{Central, Chassis, find_binary};

#[derive(Debug, Parser)]
#[command(about = "ovn-controller vs ovn-agent programming one chassis for a large SB")]
struct Args {
    /// Logical switches (each on the router).
    #[arg(long)]
    switches: Option<u32>,
    /// Ports per switch (about 3 logical flows each).
    #[arg(long)]
    ports: Option<u32>,
    /// ACLs per switch (about 2 logical flows each).
    #[arg(long)]
    acls: Option<u32>,
    /// The full size: about 100k logical flows (10 × 2000 ports, 10 × 2000 ACLs).
    #[arg(long)]
    full: bool,
    /// The ovn-agent binary.
    #[arg(long)]
    agent: Option<PathBuf>,
    /// Commands per ovn-nbctl transaction while generating.
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// Only run this agent (`ovn-controller` or `ovn-agent`).
    #[arg(long)]
    only: Option<String>,
    /// Give up waiting for an agent after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// What one agent took.
#[derive(Debug, Default, Clone)]
struct Run {
    hv: Option<Duration>,
    stable: Duration,
    flows: u64,
    groups: usize,
    hwm_kb: u64,
    rss_kb: u64,
    cpu: f64,
}

fn nbctl_batch(central: &Central, cmds: &[Vec<String>]) -> anyhow::Result<()> {
    let mut argv: Vec<&str> = vec!["--timeout=600"];
    for c in cmds {
        if argv.len() > 1 {
            argv.push("--");
        }
        argv.extend(c.iter().map(String::as_str));
    }
    central.nbctl(&argv)?;
    Ok(())
}

fn s(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// Port `p` (0-based) of switch `i`: name, MAC, IP (10.<i>.<p/250>.<p%250+2>).
fn port(i: u32, p: u32) -> (String, String, String) {
    (
        format!("ls{i}-p{p}"),
        format!(
            "0a:00:{:02x}:{:02x}:{:02x}:{:02x}",
            i >> 8,
            i & 0xff,
            p >> 8,
            p & 0xff
        ),
        format!("10.{i}.{}.{}", p / 250, p % 250 + 2),
    )
}

fn generate(
    central: &Central,
    switches: u32,
    ports: u32,
    acls: u32,
    batch: usize,
) -> anyhow::Result<()> {
    ensure!(
        switches <= 250 && ports <= 250 * 250,
        "too big for the address plan"
    );
    let mut cmds: Vec<Vec<String>> = vec![s(&["lr-add", "lr0"])];
    let flush = |cmds: &mut Vec<Vec<String>>, force: bool| -> anyhow::Result<()> {
        if cmds.len() >= batch || (force && !cmds.is_empty()) {
            nbctl_batch(central, cmds)?;
            cmds.clear();
        }
        Ok(())
    };
    for i in 0..switches {
        let ls = format!("ls{i}");
        let lrp = format!("lr0-{ls}");
        let lsp = format!("{ls}-lr0");
        cmds.push(s(&["ls-add", &ls]));
        cmds.push(s(&[
            "lrp-add",
            "lr0",
            &lrp,
            &format!("00:00:00:00:{i:02x}:01"),
            &format!("10.{i}.255.1/16"),
        ]));
        cmds.push(s(&["lsp-add", &ls, &lsp]));
        cmds.push(s(&["lsp-set-type", &lsp, "router"]));
        cmds.push(s(&["lsp-set-addresses", &lsp, "router"]));
        cmds.push(s(&["lsp-set-options", &lsp, &format!("router-port={lrp}")]));
        flush(&mut cmds, true)?;
        let mut names = Vec::with_capacity(ports as usize);
        for p in 0..ports {
            let (name, mac, ip) = port(i, p);
            cmds.push(s(&["lsp-add", &ls, &name]));
            cmds.push(vec![
                "lsp-set-addresses".into(),
                name.clone(),
                format!("{mac} {ip}"),
            ]);
            names.push(name);
            flush(&mut cmds, false)?;
        }
        flush(&mut cmds, true)?;
        if acls > 0 {
            let pg = format!("pg{i}");
            let mut pg_cmd = vec!["pg-add".to_owned(), pg.clone()];
            pg_cmd.extend(names);
            cmds.push(pg_cmd);
            cmds.push(vec![
                "create".into(),
                "Address_Set".into(),
                format!("name=as{i}"),
                format!("addresses=\"10.{i}.200.1\",\"10.{i}.200.2\",\"10.{i}.200.3\""),
            ]);
            flush(&mut cmds, true)?;
            for k in 0..acls {
                cmds.push(vec![
                    "acl-add".into(),
                    pg.clone(),
                    "to-lport".into(),
                    (1000 + k % 30000).to_string(),
                    format!(
                        "outport == @{pg} && ip4.src == $as{i} && tcp.dst == {}",
                        k + 1
                    ),
                    "allow-related".into(),
                ]);
                flush(&mut cmds, false)?;
            }
            flush(&mut cmds, true)?;
        }
    }
    flush(&mut cmds, true)
}

fn count_rows(central: &Central, table: &str) -> anyhow::Result<usize> {
    let out = central.sbctl(&["--timeout=600", "--bare", "--columns=_uuid", "list", table])?;
    Ok(out.lines().filter(|l| !l.trim().is_empty()).count())
}

fn flow_count(ch: &Chassis) -> u64 {
    ch.ofctl(&["dump-aggregate"])
        .ok()
        .and_then(|o| {
            o.rsplit("flow_count=")
                .next()
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn proc_status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// utime+stime in seconds (fields 14 and 15 of /proc/<pid>/stat, 100 ticks/s).
fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn wipe(ch: &Chassis) -> anyhow::Result<()> {
    for cmd in ["del-flows", "del-groups", "del-meters", "del-tlv-map"] {
        ch.ofctl(&[cmd])?;
    }
    Ok(())
}

/// Starts `bin` as ovn-controller would be (ovn-agent through a symlink named ovn-controller,
/// so pidfile and control socket have upstream's names) and measures it.
fn measure(
    central: &Central,
    ch: &mut Chassis,
    bin: &Path,
    is_agent: bool,
    timeout: Duration,
) -> anyhow::Result<Run> {
    wipe(ch)?;
    let t0 = Instant::now();
    if is_agent {
        let dir = ch.dir().join("agent-bin");
        std::fs::create_dir_all(&dir)?;
        let link = dir.join("ovn-controller");
        if !link.exists() {
            std::os::unix::fs::symlink(bin, &link)?;
        }
        let log = format!("--log-file={}", ch.dir().join("ovn-agent.log").display());
        ch.start_agent(&link, &[&log])?;
    } else {
        ch.start_agent(bin, &[])?;
    }
    let pid = ch.agent_pid().context("agent died at start")?;
    let nb = central.nb_remote();
    let waiter = std::thread::spawn(move || {
        let r = testkit::Cmd::new("ovn-nbctl")
            .arg(format!("--db={nb}"))
            .args([
                &format!("--timeout={}", timeout.as_secs()),
                "--wait=hv",
                "sync",
            ])
            .timeout(timeout + Duration::from_secs(5))
            .run();
        (r.is_ok(), t0.elapsed())
    });
    let mut last = 0;
    let mut changed = t0.elapsed();
    let mut run = Run::default();
    let mut hv_done = None;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if !ch.agent_running() {
            bail!("agent died:\n{}", ch.agent_log_tail(20));
        }
        run.hwm_kb = run.hwm_kb.max(proc_status_kb(pid, "VmHWM:"));
        let n = flow_count(ch);
        if n != last {
            last = n;
            changed = t0.elapsed();
        }
        if hv_done.is_none() && waiter.is_finished() {
            hv_done = Some(());
        }
        let quiet = t0.elapsed() - changed >= Duration::from_secs(3);
        if (quiet && hv_done.is_some() && n > 0) || t0.elapsed() > timeout {
            break;
        }
    }
    let (ok, t_hv) = waiter
        .join()
        .map_err(|_| anyhow::anyhow!("waiter panicked"))?;
    run.hv = ok.then_some(t_hv);
    run.stable = changed;
    run.flows = last;
    run.groups = ch
        .ofctl(&["dump-groups"])
        .map(|g| g.matches("group_id=").count())
        .unwrap_or(0);
    run.hwm_kb = run.hwm_kb.max(proc_status_kb(pid, "VmHWM:"));
    run.rss_kb = proc_status_kb(pid, "VmRSS:");
    run.cpu = cpu_secs(pid);
    ch.stop_agent();
    Ok(run)
}

fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 {
        format!("{:.2}", b / a)
    } else {
        "-".into()
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (ds, dp, da) = if args.full {
        (10, 2000, 2000)
    } else {
        (4, 500, 500)
    };
    let switches = args.switches.unwrap_or(ds);
    let ports = args.ports.unwrap_or(dp);
    let acls = args.acls.unwrap_or(da);
    let timeout = Duration::from_secs(args.timeout);
    let agent = match &args.agent {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("ovn-agent"))
            .filter(|p| p.is_file())
            .map_or_else(|| find_binary("ovn-agent"), Ok)?,
    };
    let controller = find_binary("ovn-controller")?;

    let central = Central::start()?;
    let mut hv1 = Chassis::start(&central, "hv1")?;
    let t = Instant::now();
    generate(&central, switches, ports, acls, args.batch)?;
    let t_nb = t.elapsed();
    let t = Instant::now();
    central.nbctl(&["--timeout=900", "--wait=sb", "sync"])?;
    let t_northd = t.elapsed();
    let lflows = count_rows(&central, "Logical_Flow")?;
    println!(
        "NB: {switches} switches x {ports} ports, {acls} ACLs/switch: generated in {:.1}s; \
         northd → {lflows} logical flows in {:.1}s",
        t_nb.as_secs_f64(),
        t_northd.as_secs_f64()
    );
    let (_name, mac, ip) = port(0, 0);
    let _vif = hv1.add_pod("ls0-p0", &mac, &format!("{ip}/16"), None)?;

    let mut results: Vec<(&str, Run)> = Vec::new();
    for (name, bin, is_agent) in [
        ("ovn-controller", &controller, false),
        ("ovn-agent", &agent, true),
    ] {
        if args.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        eprintln!("running {name} ...");
        let r = measure(&central, &mut hv1, bin, is_agent, timeout)?;
        eprintln!("  {r:?}");
        results.push((name, r));
    }

    println!(
        "{:<28} {:>16} {:>16} {:>8}",
        "metric", "ovn-controller", "ovn-agent", "ratio"
    );
    let get = |n: &str| {
        results
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, r)| r.clone())
    };
    let (c, a) = (get("ovn-controller"), get("ovn-agent"));
    let row = |label: &str, f: &dyn Fn(&Run) -> Option<f64>, unit: &str| {
        let cv = c.as_ref().and_then(f);
        let av = a.as_ref().and_then(f);
        let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}{unit}"));
        println!(
            "{label:<28} {:>16} {:>16} {:>8}",
            fmt(cv),
            fmt(av),
            match (cv, av) {
                (Some(x), Some(y)) => ratio(x, y),
                _ => "-".into(),
            }
        );
    };
    row(
        "--wait=hv returned",
        &|r| r.hv.map(|d| d.as_secs_f64()),
        "s",
    );
    row("flows stable since", &|r| Some(r.stable.as_secs_f64()), "s");
    row("OpenFlow flows", &|r| Some(r.flows as f64), "");
    row("groups", &|r| Some(r.groups as f64), "");
    row("CPU time (user+sys)", &|r| Some(r.cpu), "s");
    row(
        "peak RSS (VmHWM)",
        &|r| Some(r.hwm_kb as f64 / 1024.0),
        "MB",
    );
    row("RSS at end", &|r| Some(r.rss_kb as f64 / 1024.0), "MB");
    Ok(())
}
