//! Cleaning up after runs whose test process died without running its drops (SIGKILL, abort).

use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::cmd::Cmd;
use crate::netns::list_netns;
use crate::process::pids_mentioning;
use crate::wait::wait_until;

/// Finds testbeds left by dead test processes and removes them: processes whose command line
/// mentions the run directory (SIGTERM, then SIGKILL), namespaces `<id>-*`, the directory.
///
/// A run id encodes its creator's pid (`tk<pid hex>x...`); a run is stale only if that pid no
/// longer exists, so live tests of other processes are never touched. Not called
/// automatically; returns the ids it cleaned.
pub fn reap_stale_runs() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(runs_base()) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|id| reap_stale_run(id))
        .collect()
}

/// Reaps the one run `id` (see [`reap_stale_runs`]) if its creator is dead; returns whether it
/// did.
pub fn reap_stale_run(id: &str) -> bool {
    let Some(owner) = owner_pid(id) else {
        return false;
    };
    let dir = runs_base().join(id);
    if !dir.is_dir() || std::path::Path::new(&format!("/proc/{owner}")).exists() {
        return false;
    }
    reap(&dir, id);
    true
}

pub(crate) fn runs_base() -> PathBuf {
    let base = std::env::temp_dir();
    if base.as_os_str().len() > 40 {
        PathBuf::from("/tmp")
    } else {
        base
    }
}

/// The creator pid of a run id `tk<hex>x<hex>x<hex>`, or `None` if `name` is not one.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("tk")?;
    let mut parts = rest.split('x');
    let pid = u32::from_str_radix(parts.next()?, 16).ok()?;
    let n = parts.next()?;
    let t = parts.next()?;
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(n) && hex(t) && parts.next().is_none()).then_some(pid)
}

fn reap(dir: &std::path::Path, id: &str) {
    let marker = dir.to_string_lossy().into_owned();
    let signal_all = |sig: Signal| {
        for (pid, _) in pids_mentioning(&format!("{marker}/")) {
            if let Ok(raw) = i32::try_from(pid) {
                let _ = kill(Pid::from_raw(raw), sig);
            }
        }
    };
    signal_all(Signal::SIGTERM);
    if !wait_until(Duration::from_secs(5), || {
        pids_mentioning(&format!("{marker}/")).is_empty()
    }) {
        signal_all(Signal::SIGKILL);
        wait_until(Duration::from_secs(5), || {
            pids_mentioning(&format!("{marker}/")).is_empty()
        });
    }
    let prefix = format!("{id}-");
    for ns in list_netns().unwrap_or_default() {
        if ns.starts_with(&prefix) {
            let _ = Cmd::new("ip").args(["netns", "del", &ns]).run();
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_name_their_owner() {
        assert_eq!(owner_pid("tk1a2bx0x3f2c"), Some(0x1a2b));
        assert_eq!(owner_pid(&crate::unique_id()), Some(std::process::id()));
        assert_eq!(owner_pid("tk1a2bx0"), None);
        assert_eq!(owner_pid("tk-apt.log"), None);
        assert_eq!(owner_pid("tkzzx0x1"), None);
        assert_eq!(owner_pid("other"), None);
    }
}
