//! `ovn-sandbox`: a live OVN testbed with real daemons: central (NB, SB, northd), two chassis
//! (hv1, hv2) joined by Geneve over a shared underlay, and pods p1@hv1, p2@hv2 on switch ls1.
//!
//! `--agent ovn-controller` runs the reference agent and checks that the pods ping each other;
//! `--agent ovn-agent` (the default) runs our agent in its place. The sandbox stays up until
//! Ctrl-C (or SIGTERM) unless `--once` is given; either way everything is torn down.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use testkit::{Central, Chassis, Pod, find_binary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Agent {
    /// The reference agent shipped by Debian (`ovn-host`).
    OvnController,
    /// This project's agent (`ovn-agent`).
    OvnAgent,
}

#[derive(Debug, Parser)]
#[command(about = "Run a real OVN sandbox (central + 2 chassis + 2 pods) in network namespaces")]
struct Args {
    /// Which agent to run on the chassis.
    #[arg(long, value_enum, default_value_t = Agent::OvnAgent)]
    agent: Agent,
    /// Path of the ovn-agent binary (default: next to this binary, then $PATH).
    #[arg(long)]
    agent_path: Option<PathBuf>,
    /// Run the ping check, tear down and exit instead of waiting for Ctrl-C.
    #[arg(long)]
    once: bool,
    /// How long the agent may take to register and make the pods ping each other.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
}

/// Outcome of the agent check (daemon failures are errors instead).
enum Verdict {
    Pinging,
    AgentNotReady(String),
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let stop = match watch_signals() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("ovn-sandbox: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match run(&args, &stop) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ovn-sandbox: FAILED: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Turns SIGINT/SIGTERM/SIGHUP into a flag (handled on a small tokio runtime thread), so that
/// teardown runs through normal drops, even when Ctrl-C arrives during setup. Signals are
/// caught, not blocked: a blocked mask would be inherited by every daemon we spawn and make
/// them ignore our SIGTERM.
fn watch_signals() -> Result<Arc<AtomicBool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("signal runtime")?;
    let (mut int, mut term, mut hup) = rt
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
            ))
        })
        .context("install signal handlers")?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        rt.block_on(async {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        });
        eprintln!("\novn-sandbox: signal received, tearing down...");
        flag.store(true, Ordering::SeqCst);
    });
    Ok(stop)
}

fn check_stop(stop: &AtomicBool) -> Result<()> {
    if stop.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

fn run(args: &Args, stop: &AtomicBool) -> Result<()> {
    let t0 = Instant::now();
    let timeout = Duration::from_secs(args.timeout_secs);
    let agent_bin = match args.agent {
        Agent::OvnController => find_binary("ovn-controller")?,
        Agent::OvnAgent => locate_ovn_agent(args.agent_path.as_deref())?,
    };

    let central = Central::start().context("start central (NB, SB, ovn-northd)")?;
    println!(
        "central up: NB {} SB {}",
        central.nb_remote(),
        central.sb_remote()
    );
    check_stop(stop)?;
    let mut hv1 = Chassis::start(&central, "hv1").context("start chassis hv1")?;
    let mut hv2 = Chassis::start(&central, "hv2").context("start chassis hv2")?;
    println!(
        "chassis up: hv1 ({}, netns {}), hv2 ({}, netns {})",
        hv1.encap_ip(),
        hv1.netns(),
        hv2.encap_ip(),
        hv2.netns()
    );
    check_stop(stop)?;
    let p1 = hv1.add_pod("p1", "00:00:00:00:01:01", "10.0.1.11/24", Some("10.0.1.1"))?;
    let p2 = hv2.add_pod("p2", "00:00:00:00:01:02", "10.0.1.12/24", Some("10.0.1.1"))?;
    let p3 = hv2.add_pod("p3", "00:00:00:00:02:03", "10.0.2.13/24", Some("10.0.2.1"))?;
    // Two switches joined by a router: p1 and p2 on ls1, p3 on ls2.
    central.nbctl(&[
        "ls-add", "ls1", "--", "ls-add", "ls2", "--", "lr-add", "lr1",
    ])?;
    for (ls, lrp, mac, net) in [
        ("ls1", "lr1-ls1", "00:00:00:00:ff:01", "10.0.1.1/24"),
        ("ls2", "lr1-ls2", "00:00:00:00:ff:02", "10.0.2.1/24"),
    ] {
        let lsp = format!("{ls}-lr1");
        let router_port = format!("router-port={lrp}");
        central.nbctl(&[
            "lrp-add",
            "lr1",
            lrp,
            mac,
            net,
            "--",
            "lsp-add",
            ls,
            &lsp,
            "--",
            "lsp-set-type",
            &lsp,
            "router",
            "--",
            "lsp-set-addresses",
            &lsp,
            "router",
            "--",
            "lsp-set-options",
            &lsp,
            &router_port,
        ])?;
    }
    for (ls, p) in [("ls1", &p1), ("ls1", &p2), ("ls2", &p3)] {
        let addrs = p.lsp_addresses();
        central.nbctl(&[
            "lsp-add",
            ls,
            p.name(),
            "--",
            "lsp-set-addresses",
            p.name(),
            &addrs,
        ])?;
    }
    println!(
        "pods up: p1 {} on hv1, p2 {} on hv2 (switch ls1), p3 {} on hv2 (switch ls2, behind router lr1)",
        p1.ip(),
        p2.ip(),
        p3.ip()
    );
    check_stop(stop)?;

    let verdict = start_agents(args.agent, &agent_bin, &mut [&mut hv1, &mut hv2], timeout)
        .and_then(|()| check_ping(&central, &hv1, &hv2, &[&p1, &p2, &p3], timeout));
    let verdict = match (args.agent, verdict) {
        (_, Ok(())) => Verdict::Pinging,
        // The reference agent must work; anything else is a real failure of the sandbox.
        (Agent::OvnController, Err(e)) => return Err(e),
        (Agent::OvnAgent, Err(e)) => Verdict::AgentNotReady(format!("{e:#}")),
    };
    println!("setup took {:.2?}", t0.elapsed());
    match &verdict {
        Verdict::Pinging => {
            println!("OK: p1 <-> p2 ping through the Geneve tunnel, and p1 -> p3 is routed by lr1");
        }
        Verdict::AgentNotReady(why) => print_agent_missing(&agent_bin, why),
    }
    print_usage(&central, &hv1, &hv2, &p1, &p2);
    if !args.once {
        println!("sandbox running; press Ctrl-C to tear it down");
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    drop((p1, p2, p3, hv1, hv2, central));
    println!("torn down");
    match verdict {
        Verdict::Pinging => Ok(()),
        Verdict::AgentNotReady(_) => bail!("the pods did not talk through {}", agent_bin.display()),
    }
}

fn locate_ovn_agent(explicit: Option<&std::path::Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(find_binary(&p.to_string_lossy())?);
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("ovn-agent")));
    match sibling {
        Some(p) if p.is_file() => Ok(p),
        _ => find_binary("ovn-agent").context(
            "ovn-agent binary not found next to ovn-sandbox or in $PATH \
             (build it with `cargo build -p agent`, or pass --agent-path)",
        ),
    }
}

fn start_agents(
    agent: Agent,
    bin: &std::path::Path,
    chassis: &mut [&mut Chassis],
    timeout: Duration,
) -> Result<()> {
    for hv in chassis.iter_mut() {
        let name = hv.name().to_owned();
        match agent {
            Agent::OvnController => hv.start_ovn_controller(),
            Agent::OvnAgent => hv
                .start_agent(bin, &[])
                .and_then(|()| hv.wait_registered(timeout)),
        }
        .with_context(|| format!("{} on {name}", bin.display()))?;
    }
    println!(
        "agents up: {} registered hv1 and hv2 in the SB",
        bin.display()
    );
    Ok(())
}

fn check_ping(
    central: &Central,
    hv1: &Chassis,
    hv2: &Chassis,
    pods: &[&Pod; 3],
    timeout: Duration,
) -> Result<()> {
    let [p1, p2, p3] = *pods;
    central
        .nbctl(&[
            &format!("--timeout={}", timeout.as_secs()),
            "--wait=hv",
            "sync",
        ])
        .context("ovn-nbctl --wait=hv sync (agents acknowledge nb_cfg)")?;
    hv1.warm_underlay(hv2.encap_ip());
    hv2.warm_underlay(hv1.encap_ip());
    if !p1.wait_ping(p2.ip(), timeout) {
        bail!("p1 cannot ping p2 ({}) within {timeout:?}", p2.ip());
    }
    if !p2.ping(p1.ip(), 3) {
        bail!("p2 cannot ping p1 ({})", p1.ip());
    }
    if !p1.wait_ping(p3.ip(), timeout) {
        bail!(
            "p1 cannot ping p3 ({}) through the router within {timeout:?}",
            p3.ip()
        );
    }
    Ok(())
}

fn print_agent_missing(bin: &std::path::Path, why: &str) {
    println!(
        "FAILED: the pods do not talk with {} as the agent.\n\
         The central services, both chassis (ovsdb-server + ovs-vswitchd + br-int + br-phy) and\n\
         the pods are up; see the agents' logs (ovn-controller.log in each chassis directory).\n\
         Detail: {why}\n\
         Run with `--agent ovn-controller` to compare with the reference agent.",
        bin.display()
    );
}

fn print_usage(central: &Central, hv1: &Chassis, hv2: &Chassis, p1: &Pod, p2: &Pod) {
    println!("--- try (as root, while the sandbox runs) ---");
    println!("  ovn-nbctl --db={} show", central.nb_remote());
    println!("  ovn-sbctl --db={} show", central.sb_remote());
    for hv in [hv1, hv2] {
        println!(
            "  ovs-ofctl -O OpenFlow15 dump-flows unix:{}/br-int.mgmt    # {}",
            hv.dir().display(),
            hv.name()
        );
    }
    println!("  ip netns exec {} ping {}", p1.netns(), p2.ip());
    println!("  ip netns exec {} ping {}", p2.netns(), p1.ip());
    println!(
        "  ip netns exec {} tcpdump -ni u-hv1    # the wire",
        central.fabric_netns()
    );
    println!("  logs: {}/*/*.log", central.root().display());
}
