//! OVN interconnection: the global IC NB/SB databases and availability zones running `ovn-ic`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::TestkitError;
use crate::central::{Central, CentralOptions};
use crate::cmd::Cmd;
use crate::fabric::Testbed;
use crate::ovsdb_server::OvsdbServer;
use crate::run_dir::RunDir;
use crate::schema::Schema;

/// IC NB + IC SB `ovsdb-server`s in `<root>/ic/` (`icnb.sock`, `icsb.sock`). Availability zones
/// made with [`Ic::start_az`] are ordinary [`Central`]s sharing this testbed (one run id, one
/// underlay), so chassis of every zone reach each other; chassis names must be unique across
/// zones. Gateways need [`crate::Chassis::set_interconn`].
#[derive(Debug)]
pub struct Ic {
    // Drop order: databases, directory, then (if last) the testbed.
    nb: OvsdbServer,
    sb: OvsdbServer,
    dir: PathBuf,
    _run_dir: RunDir,
    testbed: Arc<Testbed>,
}

impl Ic {
    /// Starts the IC databases in a new testbed.
    pub fn start() -> Result<Self, TestkitError> {
        let testbed = Arc::new(Testbed::new()?);
        let run_dir = RunDir::create(testbed.subdir("ic"))?;
        let dir = run_dir.path().to_owned();
        let nb = OvsdbServer::start_in(&dir, "icnb", Schema::IcNb, false, None)?;
        let sb = OvsdbServer::start_in(&dir, "icsb", Schema::IcSb, false, None)?;
        Ok(Ic {
            nb,
            sb,
            dir,
            _run_dir: run_dir,
            testbed,
        })
    }

    /// Starts availability zone `az`: NB, SB and northd in `<root>/<az>`, `NB_Global.name=<az>`
    /// with IC route advertisement and learning on, and `ovn-ic`; returns once the zone is
    /// registered in the IC SB.
    pub fn start_az(&self, az: &str) -> Result<Central, TestkitError> {
        crate::chassis::validate_name("availability zone", az)?;
        let mut central =
            Central::start_in(Arc::clone(&self.testbed), az, CentralOptions::default())?;
        central.join_ic(az, &self.nb.remote(), &self.sb.remote())?;
        Ok(central)
    }

    /// `ovn-ic-nbctl --db=<ic nb> --timeout=30 ARGS` (e.g. `ts-add ts1`).
    pub fn ic_nbctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        Cmd::new("ovn-ic-nbctl")
            .arg(format!("--db={}", self.nb.remote()))
            .arg("--timeout=30")
            .args(args)
            .run()
    }

    /// `ovn-ic-sbctl --db=<ic sb> --timeout=30 ARGS`.
    pub fn ic_sbctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        Cmd::new("ovn-ic-sbctl")
            .arg(format!("--db={}", self.sb.remote()))
            .arg("--timeout=30")
            .args(args)
            .run()
    }

    /// `unix:<root>/ic/icnb.sock`.
    pub fn nb_remote(&self) -> String {
        self.nb.remote()
    }

    /// `unix:<root>/ic/icsb.sock`.
    pub fn sb_remote(&self) -> String {
        self.sb.remote()
    }

    /// `<root>/ic`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The testbed root shared by the IC databases, the zones and their chassis.
    pub fn root(&self) -> &Path {
        self.testbed.root()
    }

    /// The run id (namespace prefix).
    pub fn id(&self) -> &str {
        self.testbed.id()
    }
}
