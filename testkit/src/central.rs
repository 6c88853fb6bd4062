//! The OVN central services: NB and SB `ovsdb-server`s and `ovn-northd`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::TestkitError;
use crate::cmd::Cmd;
use crate::fabric::Testbed;
use crate::ovsdb_server::OvsdbServer;
use crate::process::Process;
use crate::run_dir::RunDir;
use crate::schema::Schema;
use crate::wait::wait_for;

/// Options for [`Central::start_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CentralOptions {
    /// Serve the NB database as a single-member raft cluster.
    pub clustered_nb: bool,
    /// Serve the SB database as a single-member raft cluster.
    pub clustered_sb: bool,
}

/// NB + SB databases and `ovn-northd`, in `<root>/central/` (`nb.sock`, `sb.sock`, `northd.*`).
///
/// It also owns the testbed (run id, root directory, underlay fabric) that
/// [`crate::Chassis::start`] joins; the fabric namespace is only created (as root) when the
/// first chassis starts, so a `Central` alone needs no root.
#[derive(Debug)]
pub struct Central {
    // Drop order: ovn-ic, northd, databases, directory, then (if last) the testbed.
    ovn_ic: Option<Process>,
    northd: Option<Process>,
    nb: OvsdbServer,
    sb: OvsdbServer,
    dir: PathBuf,
    az: Option<String>,
    _run_dir: RunDir,
    testbed: Arc<Testbed>,
}

impl Central {
    /// Starts standalone NB and SB servers and northd.
    pub fn start() -> Result<Self, TestkitError> {
        Self::start_with(CentralOptions::default())
    }

    /// Starts with the given options (e.g. a clustered SB).
    pub fn start_with(options: CentralOptions) -> Result<Self, TestkitError> {
        let testbed = Arc::new(Testbed::new()?);
        Self::start_in(testbed, "central", options)
    }

    /// Starts NB, SB and northd in `<testbed root>/<name>`.
    pub(crate) fn start_in(
        testbed: Arc<Testbed>,
        name: &str,
        options: CentralOptions,
    ) -> Result<Self, TestkitError> {
        let run_dir = RunDir::create(testbed.subdir(name))?;
        let dir = run_dir.path().to_owned();
        let nb = OvsdbServer::start_in(&dir, "nb", Schema::OvnNb, options.clustered_nb, None)?;
        let sb = OvsdbServer::start_in(&dir, "sb", Schema::OvnSb, options.clustered_sb, None)?;
        let mut central = Central {
            ovn_ic: None,
            northd: None,
            nb,
            sb,
            dir,
            az: None,
            _run_dir: run_dir,
            testbed,
        };
        central.start_northd()?;
        Ok(central)
    }

    /// Makes this central availability zone `az` of an interconnection: sets `NB_Global.name`
    /// and route advertisement/learning, starts `ovn-ic` against the IC databases and waits
    /// until the zone is registered in the IC SB.
    pub(crate) fn join_ic(
        &mut self,
        az: &str,
        ic_nb_remote: &str,
        ic_sb_remote: &str,
    ) -> Result<(), TestkitError> {
        self.nbctl(&["init"])?;
        self.nbctl(&[
            "set",
            "NB_Global",
            ".",
            &format!("name={az}"),
            "options:ic-route-adv=true",
            "options:ic-route-learn=true",
        ])?;
        let d = self.dir.display().to_string();
        let log = self.dir.join("ovn-ic.log");
        self.env(Cmd::new("ovn-ic"))
            .args(["--detach", "--no-chdir", "-vconsole:off", "-vfile:info"])
            .arg(format!("--pidfile={d}/ovn-ic.pid"))
            .arg(format!("--log-file={}", log.display()))
            .arg(format!("--unixctl={d}/ovn-ic.ctl"))
            .arg(format!("--ovnnb-db={}", self.nb.remote()))
            .arg(format!("--ovnsb-db={}", self.sb.remote()))
            .arg(format!("--ic-nb-db={ic_nb_remote}"))
            .arg(format!("--ic-sb-db={ic_sb_remote}"))
            .run_detaching(&self.dir.join("ovn-ic.out"), &log)?;
        self.ovn_ic = Some(Process::from_pidfile(
            format!("ovn-ic {d}"),
            &self.dir.join("ovn-ic.pid"),
            &self.dir,
        )?);
        self.az = Some(az.to_owned());
        let icsb = Cmd::new("ovn-ic-sbctl")
            .arg(format!("--db={ic_sb_remote}"))
            .args([
                "--timeout=10",
                "--bare",
                "--columns=name",
                "find",
                "Availability_Zone",
            ])
            .arg(format!("name={az}"));
        wait_for(
            &format!("availability zone {az} in the IC SB"),
            Duration::from_secs(20),
            || icsb.run().ok().filter(|out| out.trim() == az),
        )
        .map(drop)
    }

    /// The availability-zone name, if this central is part of an [`crate::Ic`].
    pub fn az(&self) -> Option<&str> {
        self.az.as_deref()
    }

    /// `ovn-appctl -t <dir>/ovn-ic.ctl ARGS` (only in an interconnection).
    pub fn ic_appctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovn-appctl"))
            .arg("-t")
            .arg(self.dir.join("ovn-ic.ctl"))
            .args(args)
            .run()
    }

    fn start_northd(&mut self) -> Result<(), TestkitError> {
        let d = self.dir.display().to_string();
        let log = self.dir.join("northd.log");
        self.env(Cmd::new("ovn-northd"))
            .args(["--detach", "--no-chdir", "-vconsole:off", "-vfile:info"])
            .arg(format!("--pidfile={d}/northd.pid"))
            .arg(format!("--log-file={}", log.display()))
            .arg(format!("--unixctl={d}/northd.ctl"))
            .arg(format!("--ovnnb-db={}", self.nb.remote()))
            .arg(format!("--ovnsb-db={}", self.sb.remote()))
            .run_detaching(&self.dir.join("northd.out"), &log)?;
        self.northd = Some(Process::from_pidfile(
            format!("ovn-northd {d}"),
            &self.dir.join("northd.pid"),
            &self.dir,
        )?);
        // northd takes the (only) lock and becomes active once both databases are connected.
        wait_for(
            "ovn-northd to become active",
            Duration::from_secs(20),
            || {
                self.northd_appctl(&["status"])
                    .ok()
                    .filter(|s| s.contains("active"))
            },
        )
        .map(drop)
    }

    fn env(&self, cmd: Cmd) -> Cmd {
        cmd.env("OVN_RUNDIR", &self.dir)
            .env("OVS_RUNDIR", &self.dir)
            .env("OVN_LOGDIR", &self.dir)
    }

    /// `ovn-nbctl --db=<nb> --timeout=30 ARGS`.
    pub fn nbctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovn-nbctl"))
            .arg(format!("--db={}", self.nb.remote()))
            .arg("--timeout=30")
            .args(args)
            .run()
    }

    /// `ovn-sbctl --db=<sb> --timeout=30 ARGS`.
    pub fn sbctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovn-sbctl"))
            .arg(format!("--db={}", self.sb.remote()))
            .arg("--timeout=30")
            .args(args)
            .run()
    }

    /// `ovn-appctl -t <dir>/northd.ctl ARGS`.
    pub fn northd_appctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovn-appctl"))
            .arg("-t")
            .arg(self.dir.join("northd.ctl"))
            .args(args)
            .run()
    }

    /// `unix:<dir>/nb.sock`.
    pub fn nb_remote(&self) -> String {
        self.nb.remote()
    }

    /// `unix:<dir>/sb.sock`.
    pub fn sb_remote(&self) -> String {
        self.sb.remote()
    }

    /// The NB database server.
    pub fn nb(&mut self) -> &mut OvsdbServer {
        &mut self.nb
    }

    /// The SB database server (e.g. to kill/restart it under a running agent).
    pub fn sb(&mut self) -> &mut OvsdbServer {
        &mut self.sb
    }

    /// `<root>/central` (`<root>/<az>` in an interconnection).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The testbed root directory: `central/` and one directory per chassis live here; every
    /// process of the testbed has it in its command line.
    pub fn root(&self) -> &Path {
        self.testbed.root()
    }

    /// The unique run id; namespaces are named `<id>-<name>`.
    pub fn id(&self) -> &str {
        self.testbed.id()
    }

    /// Name of the underlay namespace, `<id>-fab` (exists once a chassis has started).
    pub fn fabric_netns(&self) -> String {
        format!("{}-fab", self.testbed.id())
    }

    pub(crate) fn testbed(&self) -> &Arc<Testbed> {
        &self.testbed
    }
}
