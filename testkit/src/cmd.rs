//! Running external commands (optionally inside a network namespace) with captured output,
//! a timeout, and errors that carry the command line, exit status and stderr.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::TestkitError;

/// Directories searched after `$PATH`: CI environments often lack the `sbin` ones.
const FALLBACK_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// Default time limit of a [`Cmd`]; daemon control commands finish in milliseconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Debian package shipping `binary`, for the "run the install step" hint.
pub fn package_of(binary: &str) -> &'static str {
    match binary {
        "ovsdb-server" | "ovsdb-tool" | "ovsdb-client" | "ovs-appctl" | "ovs-ofctl" => {
            "openvswitch-common"
        }
        "ovs-vswitchd" | "ovs-vsctl" => "openvswitch-switch",
        "ovn-nbctl" | "ovn-sbctl" | "ovn-appctl" | "ovn-ic-nbctl" | "ovn-ic-sbctl" => "ovn-common",
        "ovn-northd" => "ovn-central",
        "ovn-controller" => "ovn-host",
        "ovn-ic" => "ovn-ic",
        "ip" | "bridge" => "iproute2",
        "ping" => "iputils-ping",
        "ethtool" => "ethtool",
        "tcpdump" => "tcpdump",
        "sysctl" => "procps",
        _ => "(unknown)",
    }
}

/// Resolves a program name to an executable path, or explains how to install it.
pub fn find_binary(name: &str) -> Result<PathBuf, TestkitError> {
    let missing = || TestkitError::BinaryMissing {
        binary: name.to_owned(),
        package: package_of(name),
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(missing())
        };
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_var)
        .chain(FALLBACK_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(missing)
}

fn is_executable(p: &Path) -> bool {
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A command line to run: program, arguments, extra environment, optional network namespace.
///
/// Build it with the chained methods and finish with [`Cmd::run`] (stdout as a string, error
/// unless the exit status is 0) or [`Cmd::output`] (never fails on a non-zero status).
#[derive(Debug, Clone)]
pub struct Cmd {
    program: String,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    netns: Option<String>,
    timeout: Duration,
}

/// The captured result of a finished command.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Cmd {
    /// A command running `program` (a name looked up like a shell would, or a path).
    pub fn new(program: impl Into<String>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            netns: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the command.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Runs the command inside network namespace `netns` (via `ip netns exec`, which execs, so
    /// the spawned pid is the program itself).
    pub fn netns(mut self, netns: Option<&str>) -> Self {
        self.netns = netns.map(str::to_owned);
        self
    }

    /// Replaces the default 60 s time limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The command line as a copy-pasteable shell string (for error messages).
    pub fn cmdline(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        for (k, v) in &self.env {
            words.push(format!("{}={}", k.to_string_lossy(), v.to_string_lossy()));
        }
        if !self.env.is_empty() {
            words.insert(0, "env".to_owned());
        }
        if let Some(ns) = &self.netns {
            words.extend(["ip".to_owned(), "netns".into(), "exec".into(), ns.clone()]);
        }
        words.push(self.program.clone());
        words.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A `std::process::Command` for this line, with binaries resolved (missing ones are a
    /// [`TestkitError::BinaryMissing`]) and stdin closed.
    pub fn command(&self) -> Result<Command, TestkitError> {
        let program = find_binary(&self.program)?;
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new(find_binary("ip")?);
                c.args(["netns", "exec", ns]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        c.args(&self.args).stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        Ok(c)
    }

    /// Runs to completion; returns stdout, or [`TestkitError::CommandFailed`] on a non-zero exit.
    pub fn run(&self) -> Result<String, TestkitError> {
        let out = self.output()?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(TestkitError::CommandFailed {
                cmdline: self.cmdline(),
                status: out.status.to_string(),
                stdout: out.stdout,
                stderr: out.stderr.trim_end().to_owned(),
            })
        }
    }

    /// Runs to completion and returns whatever it printed; only spawning and the time limit
    /// are errors.
    pub fn output(&self) -> Result<CmdOutput, TestkitError> {
        let mut c = self.command()?;
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().map_err(|source| TestkitError::Spawn {
            cmdline: self.cmdline(),
            source,
        })?;
        // Reader threads so that a chatty command can never block on a full pipe while we poll.
        let stdout = child.stdout.take().map(spawn_reader);
        let stderr = child.stderr.take().map(spawn_reader);
        let status = self.wait_child(&mut child)?;
        let join = |h: Option<std::thread::JoinHandle<String>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        Ok(CmdOutput {
            status,
            stdout: join(stdout),
            stderr: join(stderr),
        })
    }

    /// Runs a self-daemonizing program (`--detach`): output goes to `out_file` (a detached
    /// daemon must not hold our pipes), and the call returns when the foreground parent exits,
    /// which OVS daemons do only once initialised. A failure carries the tail of `out_file`
    /// and of `log_file`.
    pub fn run_detaching(&self, out_file: &Path, log_file: &Path) -> Result<(), TestkitError> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(out_file)
            .map_err(|e| TestkitError::io(format!("open {}", out_file.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| TestkitError::io("dup output file", e))?;
        let mut c = self.command()?;
        c.stdout(out).stderr(err);
        let mut child = c.spawn().map_err(|source| TestkitError::Spawn {
            cmdline: self.cmdline(),
            source,
        })?;
        let status = self.wait_child(&mut child)?;
        if status.success() {
            return Ok(());
        }
        Err(TestkitError::CommandFailed {
            cmdline: self.cmdline(),
            status: status.to_string(),
            stdout: String::new(),
            stderr: format!(
                "{}\n--- {} ---\n{}",
                tail_of_file(out_file, 20),
                log_file.display(),
                tail_of_file(log_file, 20)
            ),
        })
    }

    fn wait_child(&self, child: &mut Child) -> Result<ExitStatus, TestkitError> {
        let deadline = Instant::now() + self.timeout;
        let mut pause = Duration::from_micros(500);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(e) => {
                    return Err(TestkitError::io(
                        format!("wait for `{}`", self.cmdline()),
                        e,
                    ));
                }
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(TestkitError::Timeout {
                    what: format!("`{}` to exit", self.cmdline()),
                    waited: self.timeout,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

fn spawn_reader(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn shell_quote(w: &str) -> String {
    let plain = !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@+%".contains(&b));
    if plain {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// The last `lines` lines of a text file (empty if it cannot be read): for error messages.
pub fn tail_of_file(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The first and last `n` lines of a text file (all of it if short), for error messages
/// where both the first complaint and the final state matter (e.g. a panic and its backtrace).
pub fn excerpt_of_file(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    if all.len() <= 2 * n {
        return all.join("\n");
    }
    let (head, rest) = all.split_at(n);
    let tail = &rest[rest.len() - n..];
    format!(
        "{}\n[... {} lines ...]\n{}",
        head.join("\n"),
        rest.len() - n,
        tail.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_command_reports_cmdline_status_and_stderr() {
        let err = Cmd::new("sh")
            .args(["-c", "echo oops >&2; exit 3"])
            .run()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("sh -c 'echo oops >&2; exit 3'"), "{msg}");
        assert!(msg.contains("exit status: 3"), "{msg}");
        assert!(msg.contains("oops"), "{msg}");
    }

    #[test]
    fn missing_binary_names_it_and_the_install_step() {
        let msg = Cmd::new("ovs-no-such-tool").run().unwrap_err().to_string();
        assert!(msg.contains("`ovs-no-such-tool`"), "{msg}");
        assert!(msg.contains("install"), "{msg}");
    }

    #[test]
    fn timeout_kills_the_command() {
        let err = Cmd::new("sleep")
            .arg("5")
            .timeout(Duration::from_millis(100))
            .run()
            .unwrap_err();
        assert!(matches!(err, TestkitError::Timeout { .. }), "{err}");
    }

    #[test]
    fn excerpt_keeps_head_and_tail() {
        let path = std::env::temp_dir().join(format!("tk-excerpt-{}", std::process::id()));
        let text: Vec<String> = (1..=30).map(|i| format!("line{i}")).collect();
        std::fs::write(&path, text.join("\n")).unwrap();
        let ex = excerpt_of_file(&path, 3);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            ex,
            "line1\nline2\nline3\n[... 24 lines ...]\nline28\nline29\nline30"
        );
    }

    #[test]
    fn stdout_is_returned() {
        assert_eq!(Cmd::new("echo").arg("hi").run().unwrap(), "hi\n");
    }
}
