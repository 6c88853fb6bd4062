//! A private Open vSwitch: `ovsdb-server` (vswitch schema) + `ovs-vswitchd`.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::TestkitError;
use crate::cmd::Cmd;
use crate::ovsdb_server::OvsdbServer;
use crate::process::Process;
use crate::run_dir::{RunDir, unique_id};
use crate::schema::Schema;
use crate::wait::wait_for;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// An `ovsdb-server` + `ovs-vswitchd` pair with `OVS_RUNDIR=<dir>`, so each bridge's OpenFlow
/// management socket is `<dir>/<bridge>.mgmt` and nothing touches `/var/run/openvswitch`.
///
/// [`Ovs::start`] runs `ovs-vswitchd --enable-dummy --disable-system --disable-system-route`
/// outside any namespace (no root needed; use `datapath_type=dummy` bridges). [`crate::Chassis`]
/// uses the same type inside its netns with the real userspace (`netdev`) datapath.
#[derive(Debug)]
pub struct Ovs {
    // Drop order: vswitchd, then its database, then the directory.
    vswitchd: Option<Process>,
    db: OvsdbServer,
    dir: PathBuf,
    netns: Option<String>,
    dummy: bool,
    _run_dir: Option<RunDir>,
}

impl Ovs {
    /// Starts a dummy-datapath OVS in a new private temp directory.
    pub fn start() -> Result<Self, TestkitError> {
        let run_dir = RunDir::new_temp(&unique_id())?;
        let mut ovs = Self::start_in(run_dir.path(), None, true)?;
        ovs._run_dir = Some(run_dir);
        Ok(ovs)
    }

    /// Starts OVS with its files in `dir` (not removed on drop), inside `netns` if given.
    /// `dummy` selects `--enable-dummy --disable-system --disable-system-route`.
    pub fn start_in(dir: &Path, netns: Option<&str>, dummy: bool) -> Result<Self, TestkitError> {
        let db = OvsdbServer::start_in(dir, "db", Schema::Vswitch, false, netns)?;
        let mut ovs = Ovs {
            vswitchd: None,
            db,
            dir: dir.to_owned(),
            netns: netns.map(str::to_owned),
            dummy,
            _run_dir: None,
        };
        ovs.vsctl(&["--no-wait", "init"])?;
        ovs.launch_vswitchd()?;
        Ok(ovs)
    }

    fn launch_vswitchd(&mut self) -> Result<(), TestkitError> {
        let d = self.dir.display().to_string();
        let log = self.dir.join("ovs-vswitchd.log");
        let mut cmd = self
            .env(Cmd::new("ovs-vswitchd"))
            .args(["--detach", "--no-chdir", "-vconsole:off", "-vfile:info"])
            .arg(format!("--pidfile={d}/ovs-vswitchd.pid"))
            .arg(format!("--log-file={}", log.display()))
            .arg(format!("--unixctl={d}/ovs-vswitchd.ctl"));
        if self.dummy {
            cmd = cmd.args([
                "--enable-dummy",
                "--disable-system",
                "--disable-system-route",
            ]);
        }
        // ovs-vswitchd detaches only after its first reconfiguration from the database.
        cmd.arg(self.db.remote())
            .netns(self.netns.as_deref())
            .run_detaching(&self.dir.join("ovs-vswitchd.out"), &log)?;
        self.vswitchd = Some(Process::from_pidfile(
            format!("ovs-vswitchd {d}"),
            &self.dir.join("ovs-vswitchd.pid"),
            &self.dir,
        )?);
        Ok(())
    }

    /// Adds the environment every OVS tool and daemon of this instance runs with.
    pub fn env(&self, cmd: Cmd) -> Cmd {
        cmd.env("OVS_RUNDIR", &self.dir)
            .env("OVS_LOGDIR", &self.dir)
            .env("OVS_DBDIR", &self.dir)
    }

    /// Adds bridge `name` with `datapath_type` (e.g. `dummy`, `netdev`), `fail_mode=secure` and
    /// in-band control disabled, and waits until `<dir>/<name>.mgmt` accepts connections.
    pub fn add_bridge(&self, name: &str, datapath_type: &str) -> Result<(), TestkitError> {
        self.vsctl(&[
            "add-br",
            name,
            "--",
            "set",
            "Bridge",
            name,
            &format!("datapath_type={datapath_type}"),
            "fail_mode=secure",
            "other_config:disable-in-band=true",
        ])?;
        self.wait_mgmt(name)
    }

    /// Waits until the bridge's management socket accepts OpenFlow connections.
    pub fn wait_mgmt(&self, bridge: &str) -> Result<(), TestkitError> {
        let mgmt = self.mgmt(bridge);
        wait_for(
            &format!("{} to accept connections", mgmt.display()),
            READY_TIMEOUT,
            || UnixStream::connect(&mgmt).ok(),
        )
        .map(drop)
    }

    /// The OpenFlow management socket of `bridge`: `<dir>/<bridge>.mgmt`.
    pub fn mgmt(&self, bridge: &str) -> PathBuf {
        self.dir.join(format!("{bridge}.mgmt"))
    }

    /// `ovs-vsctl --db=<db> --timeout=30 ARGS`; returns stdout.
    pub fn vsctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovs-vsctl"))
            .arg(format!("--db={}", self.db.remote()))
            .arg("--timeout=30")
            .args(args)
            .run()
    }

    /// `ovs-ofctl -O OpenFlow15 ARGS` (the caller passes the target, e.g. `unix:<mgmt>`).
    pub fn ofctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovs-ofctl"))
            .args(["-O", "OpenFlow15"])
            .args(args)
            .run()
    }

    /// `ovs-ofctl -O OpenFlow15 <cmd> unix:<mgmt of bridge> <rest...>` where `args = [cmd, rest...]`,
    /// e.g. `ofctl_br("br0", &["dump-flows"])` or `ofctl_br("br0", &["add-flow", "actions=drop"])`.
    pub fn ofctl_br(&self, bridge: &str, args: &[&str]) -> Result<String, TestkitError> {
        let target = format!("unix:{}", self.mgmt(bridge).display());
        let mut argv: Vec<&str> = Vec::with_capacity(args.len() + 1);
        if let Some((cmd, rest)) = args.split_first() {
            argv.push(cmd);
            argv.push(&target);
            argv.extend_from_slice(rest);
        }
        self.ofctl(&argv)
    }

    /// `ovs-appctl -t <dir>/ovs-vswitchd.ctl ARGS`.
    pub fn appctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovs-appctl"))
            .arg("-t")
            .arg(self.dir.join("ovs-vswitchd.ctl"))
            .args(args)
            .run()
    }

    /// Stops ovs-vswitchd (SIGTERM) and starts it again on the same database, then waits
    /// until every bridge's management socket accepts connections. OpenFlow flows are lost.
    pub fn restart_vswitchd(&mut self) -> Result<(), TestkitError> {
        if let Some(mut p) = self.vswitchd.take() {
            p.terminate();
        }
        self.launch_vswitchd()?;
        for bridge in self.vsctl(&["list-br"])?.lines() {
            self.wait_mgmt(bridge.trim())?;
        }
        Ok(())
    }

    /// ovs-vswitchd's pid, if it is running.
    pub fn vswitchd_pid(&mut self) -> Option<u32> {
        self.vswitchd
            .as_mut()
            .and_then(|p| p.is_running().then(|| p.pid()))
    }

    /// The `OVS_RUNDIR` (holds sockets, pidfiles and logs).
    pub fn rundir(&self) -> &Path {
        &self.dir
    }

    /// `unix:<dir>/db.sock`.
    pub fn db_remote(&self) -> String {
        self.db.remote()
    }

    /// The database server (e.g. to kill or restart it).
    pub fn db(&mut self) -> &mut OvsdbServer {
        &mut self.db
    }

    /// ovs-vswitchd's log file.
    pub fn vswitchd_log(&self) -> PathBuf {
        self.dir.join("ovs-vswitchd.log")
    }
}
