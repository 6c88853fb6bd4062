//! OpenFlow install and dump throughput: our stack against `ovs-ofctl -O OpenFlow15`, on the
//! same OVN-shaped flows, against a real ovs-vswitchd (testkit, dummy datapath).
//!
//! For each size N (default 100000 and 300000), on a freshly started (and settled)
//! ovs-vswitchd each time (a preceding delete-all slows vswitchd down by up to 2×, see the
//! OpenFlow guide §3.2):
//! - `ovs-ofctl --bundle add-flows BR FILE`;
//! - ours, from the same text: parse the file, then one ordered+atomic bundle;
//! - ours, connection only: pre-built flow_mods encoded straight into the socket buffer;
//! - `ovs-ofctl dump-flows BR` vs our dump with the same text (checked identical), and our raw
//!   dump without formatting.
//!
//! Run: `cargo run --release -p bench --bin openflow_install [-- 100000 300000]`. Not part of CI.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use openflow::io::{Client, Options, Target, ofctl};
use openflow::msg::{FlowMod, FlowModCommand, FlowStatsIter, FlowStatsRequest};
use testkit::{Cmd, Ovs};

/// OVN-shaped flow number `i`: every line has a distinct (table, priority, match).
fn flow_line(i: u32) -> String {
    let table = 8 + i % 30;
    let prio = 100 + (i % 7) * 10;
    let dp = 1 + i / 4096;
    let (a, b, c) = (i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
    let next = table + 1;
    match i % 4 {
        0 => format!(
            "table={table},priority={prio},ip,reg14=0x{:x},metadata=0x{dp:x},nw_src=10.{a}.{b}.{c} actions=set_field:0x{:x}->reg15,resubmit(,{next})",
            i % 64 + 1,
            i % 100 + 1
        ),
        1 => format!(
            "cookie=0x{:x},table={table},priority={prio},metadata=0x{dp:x},dl_dst=0a:58:0a:{a:02x}:{b:02x}:{c:02x} actions=set_field:0x{:x}->reg15,resubmit(,{next})",
            0x1000_0000u32 + i,
            i % 100 + 1
        ),
        2 => format!(
            "table={table},priority={prio},tcp,metadata=0x{dp:x},nw_dst=172.{a}.{b}.{c},tp_dst=80 actions=ct(commit,zone=NXM_NX_REG13[0..15],exec(set_field:0x2->ct_mark)),resubmit(,{next})"
        ),
        _ => format!(
            "table={table},priority={prio},ip,reg15=0x{i:x},metadata=0x{dp:x} actions=set_field:0a:58:00:00:{b:02x}:{c:02x}->eth_src,set_field:0x1/0x1->reg10,dec_ttl,resubmit(,{next})"
        ),
    }
}

/// A fresh ovs-vswitchd, given a few seconds to finish its start-up work (bridge and port
/// reconfiguration competes with the first flow_mods and made fresh runs ~30 % slower).
fn restart(ovs: &mut Ovs) -> anyhow::Result<()> {
    ovs.restart_vswitchd()?;
    std::thread::sleep(Duration::from_secs(3));
    Ok(())
}

fn flow_count(ovs: &Ovs) -> anyhow::Result<u64> {
    let out = ovs.ofctl_br("br0", &["dump-aggregate"])?;
    let n = out
        .rsplit("flow_count=")
        .next()
        .context("no flow_count")?
        .trim();
    Ok(n.parse()?)
}

fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, Duration)> {
    let t = Instant::now();
    let r = f()?;
    Ok((r, t.elapsed()))
}

fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let mut l = line.to_owned();
        for key in ["duration=", "idle_age="] {
            if let Some(i) = l.find(key) {
                let end = l[i..].find(',').map_or(l.len(), |e| i + e);
                l.replace_range(i + key.len()..end, "X");
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// utime+stime of a process in seconds, from /proc (clock ticks of 10 ms on Linux).
fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn rate(n: u32, d: Duration) -> String {
    format!(
        "{:>8.3}s {:>9.0}/s",
        d.as_secs_f64(),
        f64::from(n) / d.as_secs_f64()
    )
}

fn main() -> anyhow::Result<()> {
    let sizes: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![100_000, 300_000]
    } else {
        sizes
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut ovs = Ovs::start()?;
    ovs.add_bridge("br0", "dummy")?;
    let target = Target::Unix(ovs.mgmt("br0"));
    let file = ovs.rundir().join("flows.txt");
    println!("{:<44} {:>9} {:>10}  ratio", "operation", "time", "rate");
    for &n in &sizes {
        let text: String = (0..n).map(|i| flow_line(i) + "\n").collect();
        std::fs::write(&file, &text)?;
        let file_s = file.to_str().context("path")?;

        restart(&mut ovs)?;
        let ((), t_ofctl) = timed(|| {
            let out = ovs
                .env(Cmd::new("ovs-ofctl"))
                .args(["-O", "OpenFlow15", "--bundle", "add-flows"])
                .arg(format!("unix:{}", ovs.mgmt("br0").display()))
                .arg(file_s)
                .timeout(Duration::from_secs(600))
                .run()?;
            let _ = out;
            Ok(())
        })?;
        ensure!(
            flow_count(&ovs)? == u64::from(n),
            "ovs-ofctl installed a different number of flows"
        );

        restart(&mut ovs)?;
        let ((), t_text) = timed(|| {
            rt.block_on(async {
                let fms = ofctl::parse_flow_file(&text, ofctl::FlowCmd::Add)?;
                ofctl::add_flows(&target, fms, true).await?;
                Ok::<_, anyhow::Error>(())
            })
        })?;
        ensure!(
            flow_count(&ovs)? == u64::from(n),
            "our text install left a different number of flows"
        );

        let fms_t = Instant::now();
        let fms: Vec<FlowMod> = text
            .lines()
            .map(|l| FlowMod::parse_ofctl(l, FlowModCommand::ADD))
            .collect::<Result<_, _>>()?;
        let t_parse = fms_t.elapsed();
        restart(&mut ovs)?;
        let vs_pid = ovs.vswitchd_pid().context("vswitchd pid")?.to_string();
        let (vs0, me0) = (cpu_secs(&vs_pid), cpu_secs("self"));
        let ((), t_conn) = timed(|| {
            rt.block_on(async {
                let opts = Options {
                    reconnect: false,
                    fetch_features: false,
                    ..Options::default()
                };
                let (client, _ev, _) = Client::connect(&target, opts).await?;
                let mut it = fms.into_iter();
                client
                    .send_bundle_encoded(move |out, xid| match it.next() {
                        Some(fm) => fm.encode(xid, out).map(|()| true),
                        None => Ok(false),
                    })
                    .await?;
                Ok::<_, anyhow::Error>(())
            })
        })?;
        let (vs1, me1) = (cpu_secs(&vs_pid), cpu_secs("self"));
        ensure!(
            flow_count(&ovs)? == u64::from(n),
            "our connection install left a different number of flows"
        );

        let (theirs, t_dump_ofctl) = timed(|| Ok(ovs.ofctl_br("br0", &["dump-flows"])?))?;
        let (ours, t_dump_ours) = timed(|| {
            rt.block_on(async {
                let mut out = Vec::with_capacity(theirs.len() + 4096);
                ofctl::dump_flows(&target, &FlowStatsRequest::default(), true, 1, &mut out).await?;
                Ok::<_, anyhow::Error>(out)
            })
        })?;
        let ours = String::from_utf8(ours)?;
        if normalise(&ours) != normalise(&theirs) {
            let dir = std::env::temp_dir();
            std::fs::write(dir.join("openflow_install.theirs"), &theirs)?;
            std::fs::write(dir.join("openflow_install.ours"), &ours)?;
            anyhow::bail!(
                "our dump-flows text differs from ovs-ofctl's (both saved in {})",
                dir.display()
            );
        }
        let (count, t_raw) = timed(|| {
            rt.block_on(async {
                let opts = Options {
                    reconnect: false,
                    fetch_features: false,
                    ..Options::default()
                };
                let (client, _ev, _) = Client::connect(&target, opts).await?;
                let mut dump = client.dump_flows(&FlowStatsRequest::default()).await?;
                let mut count = 0u32;
                while let Some(part) = dump.next_part().await {
                    count += u32::try_from(FlowStatsIter::new(part?.body).count())?;
                }
                Ok::<_, anyhow::Error>(count)
            })
        })?;
        ensure!(count == n);

        let r = |a: Duration, b: Duration| format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64());
        println!("--- {n} flows, one bundle, fresh ovs-vswitchd each");
        println!(
            "{:<44} {}",
            "ovs-ofctl --bundle add-flows",
            rate(n, t_ofctl)
        );
        println!(
            "{:<44} {}  {} faster",
            "ours: parse text + bundle",
            rate(n, t_text),
            r(t_ofctl, t_text)
        );
        println!(
            "{:<44} {}  {} faster",
            "ours: connection only (pre-built flow_mods)",
            rate(n, t_conn),
            r(t_ofctl, t_conn)
        );
        println!(
            "{:<44} {:>8.3}s   (CPU during connection-only install: ovs-vswitchd {:.2}s, this process {:.2}s)",
            "ours: text parse alone",
            t_parse.as_secs_f64(),
            vs1 - vs0,
            me1 - me0
        );
        println!("{:<44} {}", "ovs-ofctl dump-flows", rate(n, t_dump_ofctl));
        println!(
            "{:<44} {}  {} faster (text identical)",
            "ours: dump-flows (same text)",
            rate(n, t_dump_ours),
            r(t_dump_ofctl, t_dump_ours)
        );
        println!(
            "{:<44} {}  {} faster",
            "ours: raw dump (decode, no text)",
            rate(n, t_raw),
            r(t_dump_ofctl, t_raw)
        );
        std::io::stdout().flush()?;
    }
    Ok(())
}
