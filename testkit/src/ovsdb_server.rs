//! A real `ovsdb-server` serving one database on a unix socket in a private directory.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::TestkitError;
use crate::cmd::Cmd;
use crate::process::Process;
use crate::run_dir::{RunDir, unique_id};
use crate::schema::Schema;
use crate::wait::wait_for;

/// How long a (re)started server may take to accept connections / elect itself leader.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `ovsdb-server` with files `<dir>/<stem>.{db,sock,pid,log,ctl,out}`.
///
/// [`OvsdbServer::start`] uses stem `db`, so the socket is `<dir>/db.sock`. Dropping it stops
/// the server (SIGTERM, then SIGKILL) and removes the directory if the server owns it.
#[derive(Debug)]
pub struct OvsdbServer {
    // Field order is drop order: the process goes before its directory.
    process: Option<Process>,
    schema: Schema,
    stem: String,
    dir: PathBuf,
    netns: Option<String>,
    clustered: bool,
    socket: PathBuf,
    _run_dir: Option<RunDir>,
}

impl OvsdbServer {
    /// Starts a standalone server (`ovsdb-tool create`) in a new private temp directory.
    pub fn start(schema: Schema) -> Result<Self, TestkitError> {
        Self::start_owned(schema, false)
    }

    /// Starts a single-member clustered server (`ovsdb-tool create-cluster ... unix:<dir>/raft.sock`)
    /// and waits until it is the leader.
    pub fn start_clustered(schema: Schema) -> Result<Self, TestkitError> {
        Self::start_owned(schema, true)
    }

    fn start_owned(schema: Schema, clustered: bool) -> Result<Self, TestkitError> {
        let run_dir = RunDir::new_temp(&unique_id())?;
        let mut server = Self::start_in(run_dir.path(), "db", schema, clustered, None)?;
        server._run_dir = Some(run_dir);
        Ok(server)
    }

    /// Starts a server in an existing directory (not removed on drop), optionally inside a
    /// network namespace. Used by [`crate::Ovs`], [`crate::Central`] and [`crate::Chassis`].
    pub fn start_in(
        dir: &Path,
        stem: &str,
        schema: Schema,
        clustered: bool,
        netns: Option<&str>,
    ) -> Result<Self, TestkitError> {
        if !schema.path().exists() {
            return Err(TestkitError::FileMissing {
                path: schema.path().to_owned(),
                package: schema.package(),
            });
        }
        let mut server = OvsdbServer {
            process: None,
            schema,
            stem: stem.to_owned(),
            dir: dir.to_owned(),
            netns: netns.map(str::to_owned),
            clustered,
            socket: dir.join(format!("{stem}.sock")),
            _run_dir: None,
        };
        let db = server.db_path();
        let schema_path = schema.path().to_string_lossy().into_owned();
        if clustered {
            Cmd::new("ovsdb-tool")
                .arg("create-cluster")
                .arg(&db)
                .arg(&schema_path)
                .arg(format!("unix:{}", server.raft_socket().display()))
                .run()?;
        } else {
            Cmd::new("ovsdb-tool")
                .arg("create")
                .arg(&db)
                .arg(&schema_path)
                .run()?;
        }
        server.launch()?;
        Ok(server)
    }

    fn file(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", self.stem))
    }

    fn launch(&mut self) -> Result<(), TestkitError> {
        let log = self.log_path();
        Cmd::new("ovsdb-server")
            .args(["--detach", "--no-chdir", "-vconsole:off", "-vfile:info"])
            .arg(format!("--pidfile={}", self.file("pid").display()))
            .arg(format!("--log-file={}", log.display()))
            .arg(format!("--unixctl={}", self.unixctl_path().display()))
            .arg(format!("--remote=punix:{}", self.socket().display()))
            .arg(self.db_path())
            .netns(self.netns.as_deref())
            .run_detaching(&self.file("out"), &log)?;
        self.process = Some(Process::from_pidfile(
            format!("ovsdb-server {}", self.socket().display()),
            &self.file("pid"),
            &self.dir,
        )?);
        wait_for(
            &format!("{} to accept connections", self.socket.display()),
            READY_TIMEOUT,
            || UnixStream::connect(&self.socket).ok(),
        )?;
        if self.clustered {
            self.wait_leader()?;
        }
        Ok(())
    }

    fn wait_leader(&self) -> Result<(), TestkitError> {
        let what = format!("{} to become raft leader", self.db_path().display());
        wait_for(&what, READY_TIMEOUT, || {
            self.appctl(&["cluster/status", self.schema.db_name()])
                .ok()
                .filter(|s| s.contains("Role: leader"))
        })
        .map(drop)
    }

    /// The schema served.
    pub fn schema(&self) -> Schema {
        self.schema
    }

    /// Whether the database is a (single-member) raft cluster.
    pub fn is_clustered(&self) -> bool {
        self.clustered
    }

    /// The client socket `<dir>/<stem>.sock`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `unix:<socket>`, as clients take it.
    pub fn remote(&self) -> String {
        format!("unix:{}", self.socket().display())
    }

    /// The directory holding the server's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.file("db")
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.file("log")
    }

    /// The server's unixctl socket (for `ovs-appctl -t`).
    pub fn unixctl_path(&self) -> PathBuf {
        self.file("ctl")
    }

    /// The raft socket of a clustered database.
    pub fn raft_socket(&self) -> PathBuf {
        if self.stem == "db" {
            self.dir.join("raft.sock")
        } else {
            self.file("raft.sock")
        }
    }

    /// The server's pid, if running.
    pub fn pid(&mut self) -> Option<u32> {
        self.process
            .as_mut()
            .and_then(|p| p.is_running().then(|| p.pid()))
    }

    /// Whether the server process is alive.
    pub fn is_running(&mut self) -> bool {
        self.pid().is_some()
    }

    /// `ovs-appctl -t <ctl> ARGS`.
    pub fn appctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        Cmd::new("ovs-appctl")
            .arg("-t")
            .arg(self.unixctl_path())
            .args(args)
            .timeout(Duration::from_secs(30))
            .run()
    }

    /// `ovsdb-client ARGS` where the caller places [`OvsdbServer::remote`] as needed.
    pub fn client(&self, args: &[&str]) -> Result<String, TestkitError> {
        Cmd::new("ovsdb-client")
            .args(["--timeout=30"])
            .args(args)
            .run()
    }

    /// SIGKILLs the server, leaving its database, socket and pid files behind (crash test).
    pub fn kill(&mut self) {
        if let Some(p) = &mut self.process {
            p.kill_now();
        }
    }

    /// Starts the server again on the same database file and socket (stopping it first if it
    /// is still running) and waits until the socket accepts connections (and, clustered, until
    /// it is leader again).
    pub fn restart(&mut self) -> Result<(), TestkitError> {
        if let Some(mut p) = self.process.take() {
            p.terminate();
        }
        self.launch()
    }
}
