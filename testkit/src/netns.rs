//! Network namespaces owned by the harness.

use crate::TestkitError;
use crate::cmd::Cmd;

/// A named network namespace (`ip netns add`), deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates the namespace and brings its loopback up. Needs root.
    pub fn create(name: &str) -> Result<Self, TestkitError> {
        require_root(&format!("network namespace {name}"))?;
        Cmd::new("ip").args(["netns", "add", name]).run()?;
        let ns = Netns {
            name: name.to_owned(),
        };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n <ns> ARGS`.
    pub fn ip(&self, args: &[&str]) -> Result<String, TestkitError> {
        Cmd::new("ip").args(["-n", &self.name]).args(args).run()
    }

    /// Runs a program inside the namespace.
    pub fn exec(&self, argv: &[&str]) -> Result<String, TestkitError> {
        self.cmd(argv)?.run()
    }

    /// A [`Cmd`] for `argv` inside the namespace (for custom timeouts or environment).
    pub fn cmd(&self, argv: &[&str]) -> Result<Cmd, TestkitError> {
        let (prog, rest) = argv.split_first().ok_or_else(|| TestkitError::Invalid {
            what: "command",
            value: String::new(),
            reason: "empty argv".into(),
        })?;
        Ok(Cmd::new(*prog).args(rest).netns(Some(&self.name)))
    }

    /// Sets sysctls (`key=value`) inside the namespace.
    pub fn sysctl(&self, settings: &[&str]) -> Result<(), TestkitError> {
        let mut argv = vec!["sysctl", "-qw"];
        argv.extend_from_slice(settings);
        self.exec(&argv).map(drop)
    }

    /// Runs `f` on a fresh thread that has joined this namespace and returns its result.
    /// Sockets created inside `f` stay in the namespace after it returns, so a test can create
    /// a listener or a connected stream here and use it from its own thread.
    pub fn run<T, F>(&self, f: F) -> Result<T, TestkitError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        run_in_netns(&self.name, f)
    }

    /// Turns IPv6 off for every current and future interface (avoids RS/MLD noise in tunnels).
    pub fn disable_ipv6(&self) -> Result<(), TestkitError> {
        self.sysctl(&[
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
        ])
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Cmd::new("ip").args(["netns", "del", &self.name]).run();
    }
}

/// Runs `f` on a new thread inside the named namespace (`/run/netns/<name>`); see [`Netns::run`].
pub fn run_in_netns<T, F>(name: &str, f: F) -> Result<T, TestkitError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let path = format!("/run/netns/{name}");
    let file =
        std::fs::File::open(&path).map_err(|e| TestkitError::io(format!("open {path}"), e))?;
    let context = format!("setns into {name}");
    std::thread::spawn(move || {
        // Only this thread moves; it ends right after `f`, so nothing else runs in the netns.
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| TestkitError::io(context, std::io::Error::from(e)))?;
        Ok(f())
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Fails with [`TestkitError::NotRoot`] unless we run as root.
pub fn require_root(what: &str) -> Result<(), TestkitError> {
    if nix::unistd::geteuid().is_root() {
        Ok(())
    } else {
        Err(TestkitError::NotRoot {
            what: what.to_owned(),
        })
    }
}

/// Names of all network namespaces currently present (for leak checks in tests).
pub fn list_netns() -> Result<Vec<String>, TestkitError> {
    let out = Cmd::new("ip").args(["netns", "list"]).run()?;
    Ok(out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}
