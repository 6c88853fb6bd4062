//! Initial-monitor benchmark: an OVN_Southbound database with N northd-like Logical_Flow rows,
//! loaded by (1) our `ovsdb` client replica, (2) `ovsdb-client monitor` (C), (3) `ovn-sbctl list
//! Logical_Flow` (the C IDL); wall time and peak RSS of each, in the same run.
//!
//! `cargo run --release -p bench --bin ovsdb_monitor -- 100000 300000` (not part of CI). Rows are
//! written directly with `transact` in batches (running ovn-northd on 100k+ logical switch
//! ports would take far longer); they carry northd's shape: match/actions text, pipeline,
//! table_id, priority, external_ids {stage-name, source, stage-hint}, one datapath each of 1000.
//!
//! Measured 2026-12-01 on the 2-core dev VM under heavy unrelated load (load average 10–14, so
//! wall times mostly measure the shared ovsdb-server and are noisy; client CPU is the stable
//! figure):
//!
//! | rows | loader | wall s | client CPU s | peak RSS MB |
//! |---:|---|---:|---:|---:|
//! | 100000 | ovsdb crate (replica, all SB tables) | 6.70 | 0.43 | 107 |
//! | 100000 | ovsdb-client monitor Logical_Flow (C) | 24.71 | 1.27 | 486 |
//! | 100000 | ovn-sbctl list Logical_Flow (C IDL + print) | 49.99 | 3.92 | 535 |
//! | 300000 | ovsdb crate (replica, all SB tables) | 17.00 | 1.43 | 310 |
//! | 300000 | ovsdb-client monitor Logical_Flow (C) | 29.34 | 3.78 | 1447 |
//! | 300000 | ovn-sbctl list Logical_Flow (C IDL + print) | 65.01 | 12.38 | 1589 |

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use ovsdb::io::{Client, ClientConfig};
use ovsdb::{Datum, MonitorRequest, Operation, OperationResult, Uuid};
use testkit::{OvsdbServer, Schema};

const STAGES: [&str; 8] = [
    "ls_in_port_sec_l2",
    "ls_in_port_sec_ip",
    "ls_in_acl",
    "ls_in_l2_lkup",
    "ls_out_acl",
    "ls_out_port_sec_l2",
    "lr_in_ip_routing",
    "lr_in_arp_resolve",
];

fn flow(i: usize, dps: &[Uuid]) -> Operation {
    let dp = dps[i % dps.len()];
    let stage = STAGES[i % STAGES.len()];
    let port = i / 8;
    let (m, a) = match i % 4 {
        0 => (
            format!(
                "inport == \"lsp{port}\" && eth.src == {{00:00:00:{:02x}:{:02x}:{:02x}}}",
                (port >> 16) & 0xff,
                (port >> 8) & 0xff,
                port & 0xff
            ),
            "next;".to_string(),
        ),
        1 => (
            format!(
                "outport == \"lsp{port}\" && ip4 && ip4.dst == {{10.{}.{}.{}, 255.255.255.255}}",
                (port >> 16) & 0xff,
                (port >> 8) & 0xff,
                port & 0xff
            ),
            "output;".to_string(),
        ),
        2 => (
            format!("ip4 && reg0[0] == 1 && ip4.src == $as_{port}"),
            "reg0[1] = 1; next;".to_string(),
        ),
        _ => (
            format!(
                "eth.dst == 00:00:00:{:02x}:{:02x}:{:02x}",
                (port >> 16) & 0xff,
                (port >> 8) & 0xff,
                port & 0xff
            ),
            format!("outport = \"lsp{port}\"; output;"),
        ),
    };
    Operation::insert(
        "Logical_Flow",
        [
            ("logical_datapath", Datum::from(dp)),
            (
                "pipeline",
                Datum::from(if stage.contains("_out_") {
                    "egress"
                } else {
                    "ingress"
                }),
            ),
            ("table_id", Datum::from((i % 30) as i64)),
            ("priority", Datum::from(((i * 7) % 65535) as i64)),
            ("match", Datum::from(m)),
            ("actions", Datum::from(a)),
            (
                "external_ids",
                Datum::map([
                    ("stage-name", stage.to_string()),
                    ("source", format!("northd.c:{}", 5000 + i % 900)),
                    (
                        "stage-hint",
                        format!("{:08x}", i.wrapping_mul(2654435761) & 0xffff_ffff),
                    ),
                ]),
            ),
        ],
    )
}

async fn load(remote: &str, n: usize) -> anyhow::Result<()> {
    let c = Client::start(ClientConfig {
        tables: vec![MonitorRequest::table("SB_Global")],
        ..ClientConfig::new(remote, "OVN_Southbound")
    })?;
    c.wait_synced().await;
    let mut dps = Vec::new();
    let ops: Vec<Operation> = (1..=1000)
        .map(|k| Operation::insert("Datapath_Binding", [("tunnel_key", Datum::from(k as i64))]))
        .collect();
    for r in c.transact(ops).await? {
        if let OperationResult::Insert(u) = r {
            dps.push(u);
        }
    }
    let mut i = 0;
    while i < n {
        let end = (i + 5000).min(n);
        c.transact((i..end).map(|j| flow(j, &dps)).collect())
            .await
            .context("loading flows")?;
        i = end;
    }
    Ok(())
}

/// User + system CPU seconds of a live process (`/proc/PID/stat`, 100 Hz ticks).
fn cpu_secs(pid: u32) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Child mode: monitor everything, stop when `n` Logical_Flow rows are in the replica.
fn client_mode(remote: &str, n: usize) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let t0 = Instant::now();
    rt.block_on(async {
        // No inactivity probe: a loaded ovsdb-server can spend longer than two probe intervals
        // building a 300k-row reply (the C tools here run without a probe too).
        let c = Client::start(ClientConfig {
            probe_interval: None,
            ..ClientConfig::new(remote, "OVN_Southbound")
        })?;
        c.wait_synced().await;
        let rows = c
            .lock()
            .as_ref()
            .and_then(|r| r.table("Logical_Flow").map(ovsdb::Table::len))
            .unwrap_or(0);
        if rows < n {
            bail!("only {rows} of {n} rows");
        }
        anyhow::Ok(())
    })?;
    let me = std::process::id();
    println!(
        "{:.2} {} {:.2}",
        t0.elapsed().as_secs_f64(),
        vm_hwm_kb(me).unwrap_or(0),
        cpu_secs(me)
    );
    Ok(())
}

fn time_cmd(argv: &[&str]) -> anyhow::Result<(f64, u64, f64)> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M %U %S"])
        .args(argv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().context("no output from time")?;
    let mut it = last.split_whitespace();
    let secs = it
        .next()
        .and_then(|x| x.parse().ok())
        .context("time output")?;
    let kb = it
        .next()
        .and_then(|x| x.parse().ok())
        .context("time output")?;
    let cpu: f64 = it.filter_map(|x| x.parse::<f64>().ok()).sum();
    Ok((secs, kb, cpu))
}

fn ours(remote: &str, n: usize) -> anyhow::Result<(f64, u64, f64)> {
    let exe = std::env::current_exe()?;
    let out = Command::new(&exe)
        .args(["--client", remote, &n.to_string()])
        .output()?;
    if !out.status.success() {
        bail!("client: {}", String::from_utf8_lossy(&out.stderr));
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    let secs = it.next().and_then(|x| x.parse().ok()).context("secs")?;
    let kb = it.next().and_then(|x| x.parse().ok()).context("kb")?;
    let cpu = it.next().and_then(|x| x.parse().ok()).context("cpu")?;
    Ok((secs, kb, cpu))
}

/// `ovsdb-client monitor` never exits: count its output lines until all rows are printed.
fn ovsdb_client_monitor(remote: &str, n: usize) -> anyhow::Result<(f64, u64, f64)> {
    let t0 = Instant::now();
    let mut child = Command::new("ovsdb-client")
        .args([
            "monitor",
            remote,
            "OVN_Southbound",
            "Logical_Flow",
            "--format=csv",
        ])
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = 0usize;
    let mut hwm = 0;
    for l in BufReader::new(stdout).lines() {
        l?;
        lines += 1;
        if lines.is_multiple_of(10000) {
            hwm = hwm.max(vm_hwm_kb(pid).unwrap_or(0));
        }
        if lines > n {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    hwm = hwm.max(vm_hwm_kb(pid).unwrap_or(0));
    let cpu = cpu_secs(pid);
    child.kill()?;
    child.wait()?;
    Ok((secs, hwm, cpu))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--client") {
        let remote = args.get(1).context("remote")?;
        let n = args.get(2).context("n")?.parse()?;
        return client_mode(remote, n);
    }
    let sizes: Vec<usize> = if args.is_empty() {
        vec![100_000, 300_000]
    } else {
        args.iter().map(|a| a.parse()).collect::<Result<_, _>>()?
    };
    println!("| rows | loader | wall s | client CPU s | peak RSS MB |");
    println!("|---:|---|---:|---:|---:|");
    for n in sizes {
        let server = OvsdbServer::start(Schema::OvnSb)?;
        let remote = server.remote();
        let t0 = Instant::now();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(load(&remote, n))?;
        eprintln!("loaded {n} flows in {:.1}s", t0.elapsed().as_secs_f64());
        let report = |who: &str, (s, kb, cpu): (f64, u64, f64)| {
            println!(
                "| {n} | {who} | {s:.2} | {cpu:.2} | {:.0} |",
                kb as f64 / 1024.0
            );
        };
        report("ovsdb crate (replica, all SB tables)", ours(&remote, n)?);
        report(
            "ovsdb-client monitor Logical_Flow (C)",
            ovsdb_client_monitor(&remote, n)?,
        );
        report(
            "ovn-sbctl list Logical_Flow (C IDL + print)",
            time_cmd(&[
                "ovn-sbctl",
                &format!("--db={remote}"),
                "--no-leader-only",
                "list",
                "Logical_Flow",
            ])?,
        );
    }
    Ok(())
}
