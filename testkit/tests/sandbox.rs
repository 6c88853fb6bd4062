//! The `ovn-sandbox` binary end to end, and cleaning up after a sandbox killed with SIGKILL.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use testkit::{list_netns, pids_mentioning, reap_stale_run, wait_until};

const SANDBOX: &str = env!("CARGO_BIN_EXE_ovn-sandbox");

#[test]
fn sandbox_once_with_ovn_controller_pings_and_cleans_up() {
    let out = Command::new(SANDBOX)
        .args(["--agent", "ovn-controller", "--once"])
        .output()
        .expect("run ovn-sandbox");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sandbox failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("OK: p1 <-> p2 ping"), "{stdout}");
    assert!(stdout.contains("torn down"), "{stdout}");
    let root = root_from(&stdout);
    assert!(!root.exists(), "{} left behind", root.display());
    assert!(pids_mentioning(&format!("{}/", root.display())).is_empty());
}

/// The README's main job: with ovn-agent on both chassis, p1@hv1 and p2@hv2 ping over Geneve
/// and p1 reaches p3@hv2 through the router. Needs the `ovn-agent` binary next to
/// `ovn-sandbox` (`cargo build -p agent`, which `cargo test --workspace` does).
#[test]
fn sandbox_once_with_ovn_agent_pings_and_routes() {
    let agent = PathBuf::from(SANDBOX).with_file_name("ovn-agent");
    assert!(
        agent.is_file(),
        "{} missing: run `cargo build -p agent` first",
        agent.display()
    );
    let out = Command::new(SANDBOX)
        .args(["--agent", "ovn-agent", "--once", "--agent-path"])
        .arg(&agent)
        .output()
        .expect("run ovn-sandbox");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sandbox failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("p1 -> p3 is routed by lr1"), "{stdout}");
    let root = root_from(&stdout);
    assert!(!root.exists(), "{} left behind", root.display());
}

#[test]
fn a_killed_sandbox_is_reaped() {
    let mut child = Command::new(SANDBOX)
        .args(["--agent", "ovn-controller"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ovn-sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    let running = lines.by_ref().map_while(Result::ok).any(|l| {
        seen.push_str(&l);
        seen.push('\n');
        l.contains("sandbox running")
    });
    assert!(running, "sandbox never came up:\n{seen}");
    let root = root_from(&seen);
    let id = root
        .file_name()
        .expect("root name")
        .to_string_lossy()
        .into_owned();
    // No drops run after SIGKILL: daemons, ovn-controllers, namespaces and files stay behind.
    child.kill().expect("SIGKILL sandbox");
    child.wait().expect("reap sandbox");
    let marker = format!("{}/", root.display());
    assert!(
        !pids_mentioning(&marker).is_empty(),
        "nothing left to reap?"
    );

    // Only our own run: other leftovers on a shared machine are not this test's to kill.
    assert!(reap_stale_run(&id), "{id} not reaped");
    assert!(
        wait_until(Duration::from_secs(5), || pids_mentioning(&marker)
            .is_empty()),
        "still running: {:?}",
        pids_mentioning(&marker)
    );
    let left: Vec<String> = list_netns()
        .unwrap()
        .into_iter()
        .filter(|n| n.starts_with(&format!("{id}-")))
        .collect();
    assert!(left.is_empty(), "namespaces left: {left:?}");
    assert!(!root.exists());
}

/// The testbed root, from the sandbox's `logs: <root>/*/*.log` line.
fn root_from(stdout: &str) -> PathBuf {
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("logs: "))
        .unwrap_or_else(|| panic!("no logs line in:\n{stdout}"));
    PathBuf::from(line.trim_end_matches("/*/*.log"))
}
