//! Tracked processes: every daemon the harness starts is recorded here and stopped on drop.
//!
//! Safety rule (from the testbed guide): a daemon known only by its pidfile is signalled only
//! while its command line still contains the run directory it was started for, so a recycled
//! pid of somebody else's process is never touched. A child we spawned ourselves is identified
//! by its un-reaped `Child` handle instead (its pid cannot be recycled before we reap it).

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::TestkitError;
use crate::wait::wait_until;

/// Grace period between SIGTERM and SIGKILL.
pub const TERM_GRACE: Duration = Duration::from_secs(5);

/// A process started by the harness: either a child we spawned and still own (agents), or a
/// self-daemonized one known by its pidfile (ovsdb-server, ovs-vswitchd, ovn-northd).
#[derive(Debug)]
pub struct Process {
    name: String,
    pid: u32,
    marker: PathBuf,
    child: Option<Child>,
    stopped: bool,
}

impl Process {
    /// Tracks a child we spawned. `marker` is its run directory (kept for messages and so that
    /// leak checks and [`crate::reap_stale_runs`] can find it by command line).
    pub fn from_child(name: impl Into<String>, child: Child, marker: &Path) -> Self {
        Process {
            name: name.into(),
            pid: child.id(),
            marker: marker.to_owned(),
            child: Some(child),
            stopped: false,
        }
    }

    /// Tracks a daemon by the pid in `pidfile` (written by `--pidfile` before `--detach` returns).
    pub fn from_pidfile(
        name: impl Into<String>,
        pidfile: &Path,
        marker: &Path,
    ) -> Result<Self, TestkitError> {
        let text = std::fs::read_to_string(pidfile)
            .map_err(|e| TestkitError::io(format!("read pidfile {}", pidfile.display()), e))?;
        let pid = text
            .trim()
            .parse::<u32>()
            .map_err(|e| TestkitError::Invalid {
                what: "pidfile",
                value: format!("{}: {text:?}", pidfile.display()),
                reason: e.to_string(),
            })?;
        Ok(Process {
            name: name.into(),
            pid,
            marker: marker.to_owned(),
            child: None,
            stopped: false,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The name given at start (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True until the process has fully exited (a daemon whose pid now carries another command
    /// line counts as exited).
    pub fn is_running(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        match &mut self.child {
            // Our own un-reaped child: its pid cannot be recycled, and between fork and exec its
            // command line is still ours (no marker), so the handle is the authority. This
            // also reaps it once it has exited.
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => proc_state(self.pid, &self.marker) != ProcState::Gone,
        }
    }

    /// The exit status, if the process is our child and has exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// SIGTERM, wait up to [`TERM_GRACE`], then SIGKILL; returns once it is gone.
    pub fn terminate(&mut self) {
        self.stop_with(Some(TERM_GRACE));
    }

    /// SIGKILL immediately (files such as pidfiles and sockets stay behind); returns once gone.
    pub fn kill_now(&mut self) {
        self.stop_with(None);
    }

    fn stop_with(&mut self, grace: Option<Duration>) {
        if self.stopped {
            return;
        }
        if let Some(grace) = grace {
            self.signal(Signal::SIGTERM);
            if wait_until(grace, || !self.is_running()) {
                self.finish();
                return;
            }
        }
        self.signal(Signal::SIGKILL);
        // SIGKILL cannot be ignored; the bound only protects against a D-state hang.
        wait_until(Duration::from_secs(5), || !self.is_running());
        self.finish();
    }

    fn signal(&mut self, sig: Signal) {
        let ours = match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => proc_state(self.pid, &self.marker) == ProcState::Ours,
        };
        if ours {
            let Ok(raw) = i32::try_from(self.pid) else {
                return;
            };
            let _ = kill(Pid::from_raw(raw), sig);
        }
    }

    fn finish(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.try_wait();
        }
        self.stopped = true;
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// The NUL-separated command line of `pid` joined by spaces, or `None` if the process is gone
/// or a zombie (zombies have an empty command line).
pub fn cmdline_of(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if raw.is_empty() {
        return None;
    }
    let words: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    Some(words.join(" "))
}

/// What `/proc` says about a daemon we know by pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProcState {
    /// Alive and its command line carries our marker: safe to signal.
    Ours,
    /// Dying: the thread-group leader is a zombie (its command line reads empty) but other
    /// threads still run, so its sockets may still be open. Wait, do not signal.
    Exiting,
    /// Gone, fully a zombie, or the pid now belongs to somebody else.
    Gone,
}

fn proc_state(pid: u32, marker: &Path) -> ProcState {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return ProcState::Gone;
    };
    // The state letter follows the parenthesised command name, which may contain spaces.
    let state = stat
        .rfind(')')
        .and_then(|i| stat.get(i + 1..))
        .and_then(|rest| rest.trim_start().chars().next());
    if matches!(state, Some('Z' | 'X')) {
        let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| d.count())
            .unwrap_or(0);
        return if threads > 1 {
            ProcState::Exiting
        } else {
            ProcState::Gone
        };
    }
    match cmdline_of(pid) {
        Some(c) if c.contains(marker.to_string_lossy().as_ref()) => ProcState::Ours,
        Some(_) => ProcState::Gone,
        None => ProcState::Exiting,
    }
}

/// Pids of every live process whose command line mentions `needle` (used by tests to prove
/// that teardown left nothing behind).
pub fn pids_mentioning(needle: &str) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter_map(|pid| cmdline_of(pid).map(|c| (pid, c)))
        .filter(|(_, c)| c.contains(needle))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn terminate_stops_a_child_and_is_idempotent() {
        let dir = std::env::temp_dir().join(format!("tk-proc-test-{}", std::process::id()));
        // `sh -c CMD NAME` puts NAME (the marker) into argv[0], hence into the command line.
        let child = Command::new("sh")
            .args(["-c", "sleep 30", dir.to_str().unwrap()])
            .spawn()
            .unwrap();
        let mut p = Process::from_child("sh", child, &dir);
        assert!(p.is_running());
        p.terminate();
        assert!(!p.is_running());
        p.terminate();
    }

    #[test]
    fn foreign_pid_is_never_signalled() {
        // Our own pid does not carry the marker, so it must be reported as not ours.
        let me = std::process::id();
        assert_eq!(
            proc_state(me, Path::new("/nonexistent/marker/dir")),
            ProcState::Gone
        );
        let exe = std::env::current_exe().unwrap();
        assert_eq!(proc_state(me, exe.parent().unwrap()), ProcState::Ours);
        assert!(cmdline_of(me).is_some());
    }
}
