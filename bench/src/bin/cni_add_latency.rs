//! CNI ADD latency through the agent: from executing the `ovn-agent-cni` shim (as a container
//! runtime does, environment + stdin) to its result, with the logical ports already in the
//! Northbound (the wait for the CMS is excluded). Measured alone (one ADD at a time) and with
//! 10 in parallel; each ADD is followed by its DEL so that every sample starts from the same
//! state. Prints p50/p99.
//!
//! Run as root: `cargo run --release -p bench --bin cni_add_latency [-- --samples N]`, with
//! `ovn-agent` and `ovn-agent-cni` next to this binary (`cargo build --release -p agent -p cni`).
//! Not part of CI.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use testkit::{Central, Chassis, Netns};

#[derive(Debug, Parser)]
#[command(about = "CNI ADD latency through ovn-agent (shim exec to result)")]
struct Args {
    /// ADDs per scenario.
    #[arg(long, default_value_t = 50)]
    samples: usize,
}

fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let p = std::env::current_exe()?.with_file_name(name);
    if !p.is_file() {
        bail!(
            "{} missing: cargo build --release -p agent -p cni",
            p.display()
        );
    }
    Ok(p)
}

struct Shim {
    bin: PathBuf,
    conf: String,
}

impl Shim {
    fn run(&self, env: &[(&str, &str)]) -> anyhow::Result<(i32, String)> {
        let mut child = Command::new(&self.bin)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(self.conf.as_bytes())?;
        let out = child.wait_with_output()?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    /// One ADD (timed) and its DEL for pod `pod` in a fresh namespace.
    fn cycle(&self, id: &str, tag: &str, pod: &str) -> anyhow::Result<Duration> {
        let ns = Netns::create(&format!("{id}-{tag}"))?;
        let netns = format!("/var/run/netns/{}", ns.name());
        let cid = format!("{id}-{tag}");
        let args = format!("K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod}");
        let env = |cmd| {
            [
                ("CNI_COMMAND", cmd),
                ("CNI_CONTAINERID", cid.as_str()),
                ("CNI_NETNS", netns.as_str()),
                ("CNI_IFNAME", "eth0"),
                ("CNI_PATH", "/opt/cni/bin"),
                ("CNI_ARGS", args.as_str()),
            ]
        };
        let t0 = Instant::now();
        let (code, out) = self.run(&env("ADD"))?;
        let took = t0.elapsed();
        if code != 0 {
            bail!("ADD {pod}: {out}");
        }
        let (code, out) = self.run(&env("DEL"))?;
        if code != 0 {
            bail!("DEL {pod}: {out}");
        }
        Ok(took)
    }
}

fn report(what: &str, mut v: Vec<Duration>) {
    v.sort();
    let pct = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    println!(
        "{what:<28} samples {:>4}  p50 {:>8.1?}  p99 {:>8.1?}  max {:>8.1?}",
        v.len(),
        pct(50),
        pct(99),
        v[v.len() - 1]
    );
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let agent = sibling("ovn-agent")?;
    let shim_bin = sibling("ovn-agent-cni")?;
    let central = Central::start()?;
    let id = central.id().to_owned();
    let mut hv1 = Chassis::start(&central, "hv1")?;
    hv1.start_agent(&agent, &[])?;
    hv1.wait_registered(Duration::from_secs(30))?;
    central.nbctl(&[
        "ls-add",
        "ls1",
        "--",
        "lr-add",
        "lr1",
        "--",
        "lrp-add",
        "lr1",
        "lr1-ls1",
        "00:00:00:00:ff:01",
        "10.0.1.1/24",
        "--",
        "lsp-add",
        "ls1",
        "ls1-lr1",
        "--",
        "lsp-set-type",
        "ls1-lr1",
        "router",
        "--",
        "lsp-set-addresses",
        "ls1-lr1",
        "router",
        "--",
        "lsp-set-options",
        "ls1-lr1",
        "router-port=lr1-ls1",
    ])?;
    for i in 0..10 {
        let lsp = format!("default_b{i}");
        central.nbctl(&[
            "lsp-add",
            "ls1",
            &lsp,
            "--",
            "lsp-set-addresses",
            &lsp,
            &format!("0a:00:00:00:03:{i:02x} 10.0.1.{}", 100 + i),
        ])?;
    }
    central.nbctl(&["--wait=hv", "sync"])?;
    let socket = hv1.dir().join("ovn-agent-cni.sock");
    if !testkit::wait_until(Duration::from_secs(10), || socket.exists()) {
        bail!("no CNI socket at {}", socket.display());
    }
    let shim = Shim {
        bin: shim_bin,
        conf:
            serde_json::json!({"cniVersion": "1.0.0", "name": "ovn-agent", "type": "ovn-agent-cni",
                                 "socket": socket, "mtu": 1400})
            .to_string(),
    };

    let mut alone = Vec::new();
    for s in 0..args.samples {
        alone.push(shim.cycle(&id, &format!("a{s}"), "b0")?);
    }
    report("ADD alone", alone);

    let per_worker = args.samples.div_ceil(10);
    let parallel = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|sc| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..10)
            .map(|w| {
                let (shim, id, parallel) = (&shim, &id, &parallel);
                sc.spawn(move || -> anyhow::Result<()> {
                    for c in 0..per_worker {
                        let d = shim.cycle(id, &format!("p{w}c{c}"), &format!("b{w}"))?;
                        parallel
                            .lock()
                            .map_err(|_| anyhow::anyhow!("poisoned"))?
                            .push(d);
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
        }
        Ok(())
    })?;
    report(
        "ADD, 10 in parallel",
        parallel
            .into_inner()
            .map_err(|_| anyhow::anyhow!("poisoned"))?,
    );
    Ok(())
}
