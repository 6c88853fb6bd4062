//! The flow side of the daemon: what the integration bridge should hold (logical flows compiled
//! with `lflow`, physical flows), the OpenFlow connection to it, and installs as atomic bundles
//! followed by a barrier whose reply acknowledges the install's sequence number.
//!
//! This iteration of the engine connects nothing yet: the logical-flow compiler and the OpenFlow
//! codec are being integrated; until then no install is ever reported, so ports are not reported
//! up and nb_cfg is not acknowledged (which is the truthful state: no flows are installed).

use std::path::PathBuf;

use crate::binding::BindingUpdate;
use crate::config::ChassisConfig;
use crate::ct_zones::CtZones;
use crate::if_status::Seqno;
use crate::ovs::snapshot::OvsSnapshot;
use crate::sb::snapshot::SbSnapshot;

/// Everything a flow computation reads.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The chassis configuration.
    pub cfg: &'a ChassisConfig,
    /// The local OVS snapshot.
    pub ovs: &'a OvsSnapshot,
    /// The Southbound snapshot.
    pub sb: &'a SbSnapshot,
    /// The Southbound replica (Logical_Flow and friends are read from it directly).
    pub sb_replica: &'a ovsdb::Replica,
    /// The binding outcome.
    pub binding: &'a BindingUpdate,
    /// Conntrack zones.
    pub zones: Option<&'a CtZones>,
}

/// The result of a computation, to install.
#[derive(Debug, Default)]
pub struct Computed {
    changed: bool,
}

/// The flow engine.
#[derive(Debug)]
pub struct FlowEngine {
    ovs_rundir: PathBuf,
    seqno: Seqno,
    acked: Option<Seqno>,
}

impl FlowEngine {
    /// An engine for bridges whose management sockets live in `ovs_rundir`.
    pub fn new(ovs_rundir: PathBuf) -> Self {
        Self {
            ovs_rundir,
            seqno: 0,
            acked: None,
        }
    }

    /// Computes the desired flows.
    pub fn compute(&mut self, _inputs: &Inputs<'_>) -> Computed {
        Computed::default()
    }

    /// Installs what changed; returns the install's sequence number when one was sent.
    pub async fn install(&mut self, computed: Computed) -> Option<Seqno> {
        if !computed.changed {
            return None;
        }
        self.seqno += 1;
        tracing::debug!(rundir = %self.ovs_rundir.display(), seqno = self.seqno, "install");
        Some(self.seqno)
    }

    /// Forgets incremental state: the next computation starts from scratch.
    pub fn force_recompute(&mut self) {
        tracing::info!("full recompute requested");
    }

    /// The newest acknowledged install.
    pub fn acked(&self) -> Option<Seqno> {
        self.acked
    }

    /// Resolves when the OpenFlow side has something for the main loop.
    pub async fn wait_event(&mut self) {
        std::future::pending::<()>().await;
    }
}
