//! Helpers shared by the integration tests: uniquely named network namespaces that clean up after
//! themselves. The tests need root and fail loudly without it.

#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn require_root() {
    let uid = nix::unistd::geteuid();
    assert!(
        uid.is_root(),
        "these tests create network namespaces and need root (euid is {uid})"
    );
}

/// A unique short name: `<tag><pid>x<seq>` (netns names have no length limit, but interface names
/// derived from them must fit 15 bytes).
pub fn unique(tag: &str) -> String {
    format!(
        "{tag}{}x{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn run_json(cmd: &str, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&run(cmd, args)).unwrap()
}

/// A named network namespace under /var/run/netns, deleted on drop.
pub struct TestNetns {
    pub name: String,
    deleted: bool,
}

impl TestNetns {
    pub fn new(tag: &str) -> TestNetns {
        require_root();
        let name = unique(tag);
        run("ip", &["netns", "add", &name]);
        run("ip", &["-n", &name, "link", "set", "lo", "up"]);
        TestNetns {
            name,
            deleted: false,
        }
    }

    pub fn path(&self) -> String {
        format!("/var/run/netns/{}", self.name)
    }

    pub fn ip_json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["-j", "-n", &self.name];
        a.extend_from_slice(args);
        run_json("ip", &a)
    }

    pub fn delete(&mut self) {
        if !self.deleted {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.name])
                .status();
            self.deleted = true;
        }
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        self.delete();
    }
}

/// Every thread of this process, except the dedicated namespace threads of operations still running
/// in parallel tests, is in the process's own network namespace (none was left behind in a pod's).
pub fn assert_no_thread_in_foreign_netns() {
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    for t in std::fs::read_dir("/proc/self/task").unwrap() {
        let t = t.unwrap().path();
        let comm = std::fs::read_to_string(t.join("comm")).unwrap_or_default();
        if comm.trim() == "cni-netns" {
            continue;
        }
        if let Ok(ns) = std::fs::read_link(t.join("ns/net")) {
            assert_eq!(ns, own, "thread {} is in {}", t.display(), ns.display());
        }
    }
}
