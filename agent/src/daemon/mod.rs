//! The daemon: connects to the local Open_vSwitch database and the Southbound database, and
//! keeps bringing the chassis to the state they describe.
//!
//! Every iteration of the main loop takes plain snapshots of both replicas, runs the pure
//! modules (configuration, binding, conntrack zones, tunnels, flows) and performs the
//! operations they return. An iteration runs whenever either replica changes, when the
//! OpenFlow connection reports something, and at least every few seconds as a backstop.

mod flows;
mod physical_glue;
pub mod unixctl;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ovsdb::io::{Client, ClientConfig};
use ovsdb::{Operation, Replica};
use tracing::{debug, info, warn};

use crate::binding::{self, LocalChassis};
use crate::config::{ChassisConfig, ConfigError};
use crate::ct_zones::{self, CtZones, NatKind};
use crate::daemon_args::DaemonArgs;
use crate::if_status::{IfStatus, NbCfg};
use crate::ovs::{ops as ovs_ops, snapshot::OvsSnapshot};
use crate::sb::{chassis as sb_chassis, snapshot as sb_snap};

pub use flows::{DesiredFlow, FlowEngine};

/// Errors that stop the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The local database remote is unusable.
    #[error("cannot use the Open_vSwitch database remote {remote}")]
    OvsRemote {
        /// The remote.
        remote: String,
        /// Why.
        #[source]
        source: ovsdb::io::ClientError,
    },
    /// Signal handling could not be set up.
    #[error("cannot install signal handlers")]
    Signals(#[source] std::io::Error),
}

/// Milliseconds since the epoch (for `*_timestamp` columns).
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The machine's host name, for `Chassis.hostname` when external_ids has none.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// What the daemon keeps between iterations.
struct State {
    args: DaemonArgs,
    ovs: Client,
    sb: Option<(String, Client)>,
    config: Option<ChassisConfig>,
    last_config_error: Option<ConfigError>,
    zones: Option<CtZones>,
    if_status: IfStatus,
    nb_cfg: NbCfg,
    flows: FlowEngine,
    lflows: crate::lflows::LflowCompiler,
    physical: physical_glue::PhysicalCache,
    /// The Southbound monitor scope last sent (`None`: monitoring everything).
    monitor_scope: Option<Option<crate::sb::monitor::MonitorScope>>,
    /// The packet-in handler task, for the current Southbound connection and bridge.
    pinctrl: Option<(String, tokio::task::JoinHandle<()>)>,
    /// Run another iteration at once (the state read was known to be incomplete).
    rerun: bool,
    /// Whether the CNI server was started (once, when both databases are first in sync).
    cni_started: bool,
    /// Logged once per distinct message so that a bad row does not flood the log.
    warned: std::collections::HashSet<String>,
}

impl State {
    fn warn_once(&mut self, msg: String) {
        if self.warned.insert(msg.clone()) {
            warn!("{msg}");
        }
    }

    async fn transact(
        &mut self,
        client: &Client,
        db: &str,
        what: &str,
        ops: Vec<Operation>,
    ) -> bool {
        if ops.is_empty() {
            return true;
        }
        match client.transact(ops).await {
            Ok(_) => true,
            Err(e) => {
                warn!(db, what, error = %e, "transaction failed");
                false
            }
        }
    }

    /// (Re)connects to the Southbound DB when `ovn-remote` appears or changes.
    fn ensure_sb(&mut self, remote: Option<&str>) {
        match (remote, &self.sb) {
            (Some(r), Some((cur, _))) if r == cur => {}
            (Some(r), _) => {
                let mut cfg = ClientConfig::new(r, "OVN_Southbound");
                cfg.probe_interval = self
                    .config
                    .as_ref()
                    .and_then(|c| c.remote_probe_interval)
                    .map_or(Some(Duration::from_secs(5)), |d| {
                        (!d.is_zero()).then_some(d)
                    });
                match Client::start(cfg) {
                    Ok(c) => {
                        info!(remote = r, "connecting to the Southbound database");
                        self.sb = Some((r.to_owned(), c));
                    }
                    Err(e) => self.warn_once(format!("ovn-remote {r:?} is unusable: {e}")),
                }
            }
            (None, Some(_)) => {
                info!("ovn-remote removed; disconnecting from the Southbound database");
                self.sb = None;
            }
            (None, None) => {}
        }
    }

    /// Starts the CNI server on `--cni-socket` (it shares this daemon's database clients). A
    /// failure to bind is logged and leaves the rest of the agent running.
    fn start_cni(&mut self, cfg: &ChassisConfig, sb: &Client) {
        let mut scfg = cni::server::ServerConfig::new(self.args.cni_socket.clone());
        scfg.bridge = cfg.bridge.clone();
        // The CNI server keeps its own small replicas: it must see the Port_Binding of a pod
        // before the pod is local, which the agent's conditional monitoring would not show.
        let backend = match cfg.ovn_remote.as_deref().map(|sb_remote| {
            cni::ovsdb_backend::OvsdbBackend::start(
                &self.args.ovs_remote,
                sb_remote,
                cfg.cni_nb_remote.as_deref(),
                1500,
            )
        }) {
            Some(Ok(b)) => std::sync::Arc::new(b),
            Some(Err(e)) => {
                warn!(error = %e, "CNI server not started");
                return;
            }
            None => std::sync::Arc::new(cni::ovsdb_backend::OvsdbBackend::new(
                self.ovs.clone(),
                sb.clone(),
                None,
                1500,
            )),
        };
        let server = std::sync::Arc::new(cni::server::CniServer::new(scfg, backend));
        let socket = self.args.cni_socket.clone();
        tokio::spawn(async move {
            // The server's replicas sync in the background: retry for a few seconds before
            // reporting that the startup reconciliation could not run.
            for attempt in 0..40 {
                match server.reconcile().await {
                    Ok(removed) => {
                        if !removed.is_empty() {
                            info!(?removed, "CNI: removed ports of vanished pods");
                        }
                        break;
                    }
                    Err(e) if attempt == 39 => {
                        warn!(error = %e, "CNI: startup reconciliation failed");
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                }
            }
            match server.bind() {
                Ok(listener) => {
                    info!(socket = %socket.display(), "CNI server listening");
                    if let Err(e) = server.serve(listener).await {
                        warn!(error = %e, "CNI server stopped");
                    }
                }
                Err(e) => warn!(socket = %socket.display(), error = %e, "CNI server not started"),
            }
        });
    }

    /// Answers a control command; true when the daemon must exit.
    async fn control(&mut self, req: unixctl::Request) -> bool {
        let mut exit = false;
        let answer = match req.method.as_str() {
            "exit" => {
                exit = true;
                if !req.params.iter().any(|p| p == "--restart") {
                    self.cleanup().await;
                }
                Ok(String::new())
            }
            "connection-status" => Ok(match &self.sb {
                Some((_, c)) if c.is_synced() => "connected\n".to_owned(),
                _ => "not connected\n".to_owned(),
            }),
            "recompute" | "inc-engine/recompute" => {
                self.flows.force_recompute();
                Ok(String::new())
            }
            "ct-zone-list" => Ok(self
                .zones
                .as_ref()
                .map(|z| z.iter().map(|(u, n)| format!("{u} {n}\n")).collect())
                .unwrap_or_default()),
            "debug/status" => Ok("running\n".to_owned()),
            other => Err(format!("\"{other}\" is not implemented")),
        };
        let _ = req.reply.send(answer);
        exit
    }

    /// What `exit` without `--restart` undoes, as ovn-controller: this chassis's Southbound rows
    /// (its port bindings are released with them) and its tunnel ports.
    async fn cleanup(&mut self) {
        let Some(cfg) = self.config.clone() else {
            return;
        };
        if let Some((_, sb)) = self.sb.clone() {
            let ops = vec![
                Operation::delete(
                    "Chassis_Private",
                    ovsdb::Condition::new([ovsdb::Clause::eq("name", cfg.system_id.as_str())]),
                ),
                Operation::delete(
                    "Chassis",
                    ovsdb::Condition::new([ovsdb::Clause::eq("name", cfg.system_id.as_str())]),
                ),
            ];
            let release: Vec<Operation> = {
                let guard = sb.lock();
                guard
                    .as_ref()
                    .map(|r| {
                        let snap = sb_snap::SbSnapshot::read(r, &cfg.system_id);
                        let update = binding::BindingUpdate {
                            release: snap
                                .port_bindings
                                .iter()
                                .filter(|pb| pb.chassis.as_deref() == Some(cfg.system_id.as_str()))
                                .map(|pb| pb.logical_port.clone())
                                .collect(),
                            ..Default::default()
                        };
                        sb_snap::claim_ops(&snap, &update)
                    })
                    .unwrap_or_default()
            };
            let mut all = release;
            all.extend(ops);
            self.transact(&sb, "OVN_Southbound", "exit cleanup", all)
                .await;
        }
        let tunnels = {
            let guard = self.ovs.lock();
            guard.as_ref().map(|r| {
                let snap = OvsSnapshot::read(r);
                tunnel::remove_all_tunnels(&snap.observed_for_tunnels(&cfg.bridge))
            })
        };
        if let Some(t) = tunnels {
            let ovs = self.ovs.clone();
            self.transact(
                &ovs,
                "Open_vSwitch",
                "exit cleanup",
                ovs_ops::tunnel_ops(&t),
            )
            .await;
        }
    }

    async fn iterate(&mut self) {
        let ovs_snap = match self.ovs.lock().as_ref() {
            Some(r) => OvsSnapshot::read(r),
            None => return,
        };
        if !self.ovs.is_synced() {
            return;
        }

        let cfg = match ChassisConfig::from_external_ids(&ovs_snap.external_ids, &host_name()) {
            Ok(c) => {
                self.last_config_error = None;
                c
            }
            Err(e) => {
                if self.last_config_error.as_ref() != Some(&e) {
                    warn!(error = %e, "chassis configuration incomplete; waiting for it");
                    self.last_config_error = Some(e);
                }
                return;
            }
        };
        for t in &cfg.unknown_encap_types {
            self.warn_once(format!(
                "unknown tunnel type {t:?} in ovn-encap-type ignored"
            ));
        }
        if self.config.as_ref() != Some(&cfg) {
            info!(system_id = %cfg.system_id, bridge = %cfg.bridge, "chassis configuration");
            self.config = Some(cfg.clone());
        }

        // The integration bridge.
        let bridge_ops = ovs_ops::ensure_integration_bridge(
            &ovs_snap,
            &cfg.bridge,
            cfg.bridge_datapath_type.as_deref(),
        );
        if !bridge_ops.is_empty() {
            let ovs = self.ovs.clone();
            self.transact(&ovs, "Open_vSwitch", "integration bridge", bridge_ops)
                .await;
            return;
        }
        let Some(br) = ovs_snap.bridges.get(&cfg.bridge) else {
            return;
        };
        if self.zones.is_none() {
            self.zones = Some(CtZones::restore(&br.external_ids));
        }

        self.ensure_sb(cfg.ovn_remote.as_deref());
        let Some((_, sb)) = self.sb.clone() else {
            return;
        };
        if !sb.is_synced() {
            return;
        }
        let sb_snap = match sb.lock().as_ref() {
            Some(r) => {
                let facts = sb_chassis::ChassisFacts {
                    datapath_type: br.datapath_type.clone(),
                    iface_types: ovs_snap.iface_types.clone(),
                };
                let reg = sb_chassis::chassis_ops(&cfg, &facts, r);
                (sb_snap::SbSnapshot::read(r, &cfg.system_id), reg)
            }
            None => return,
        };
        let (snap, reg_ops) = sb_snap;
        // The packet-in handler: its own OpenFlow connection to the integration bridge.
        let pin_key = format!("{}|{}", cfg.bridge, cfg.ovn_remote.as_deref().unwrap_or(""));
        if self
            .pinctrl
            .as_ref()
            .is_none_or(|(k, h)| *k != pin_key || h.is_finished())
        {
            if let Some((_, h)) = self.pinctrl.take() {
                h.abort();
            }
            let socket = self
                .args
                .dirs
                .ovs_rundir
                .join(format!("{}.mgmt", cfg.bridge));
            let sbc = sb.clone();
            let me = cfg.system_id.clone();
            let handle = tokio::spawn(async move {
                if let Err(e) = crate::pinctrl::run(socket, sbc, me).await {
                    warn!(error = %e, "packet-in handler stopped");
                }
            });
            self.pinctrl = Some((pin_key, handle));
        }
        if !self.cni_started {
            self.cni_started = true;
            self.start_cni(&cfg, &sb);
        }
        if !reg_ops.is_empty() {
            self.transact(&sb, "OVN_Southbound", "chassis registration", reg_ops)
                .await;
            return;
        }

        // Binding.
        let me = LocalChassis {
            name: cfg.system_id.clone(),
            hostname: cfg.hostname.clone(),
            networks: cfg
                .bridge_mappings
                .iter()
                .map(|m| m.network.clone())
                .collect(),
            active_tunnels: None,
        };
        let vifs = ovs_snap.vifs(&cfg.bridge);
        let mut update = binding::run(&me, &vifs, &snap.port_bindings);
        // The local datapaths as local_data.c derives them (HA membership, l3gateway peers).
        let (_, lds) = physical_glue::local_datapaths(&cfg, &snap, &update);
        update.local_datapaths = lds.keys().copied().collect();
        for pb in &snap.port_bindings {
            if pb.ty == binding::PortType::Localnet && update.local_datapaths.contains(&pb.datapath)
            {
                update.zone_users.insert(pb.logical_port.clone());
            }
        }
        for (lp, why) in &update.skipped {
            self.warn_once(format!("port binding {lp}: {why}"));
        }
        let claims = sb_snap::claim_ops(&snap, &update);
        if !claims.is_empty() {
            for lp in &update.claim {
                info!(logical_port = %lp, "claiming");
            }
            for lp in &update.release {
                info!(logical_port = %lp, "releasing");
            }
            self.transact(&sb, "OVN_Southbound", "port binding claims", claims)
                .await;
        }
        for (lp, r) in &update.resident {
            let iface = match r {
                binding::Residence::Iface(i) | binding::Residence::Localport(i) => {
                    Some(i.name.as_str())
                }
                binding::Residence::Gateway => None,
            };
            self.if_status.handle_claimed(lp, iface);
        }
        let resident: std::collections::BTreeSet<&String> = update.resident.keys().collect();
        let gone: Vec<String> = snap
            .port_bindings
            .iter()
            .filter(|pb| {
                pb.chassis.as_deref() == Some(cfg.system_id.as_str())
                    && !resident.contains(&pb.logical_port)
            })
            .map(|pb| pb.logical_port.clone())
            .collect();
        for lp in gone {
            self.if_status.handle_released(&lp);
        }

        // Conditional monitoring of the Southbound DB.
        let scope = (!cfg.monitor_all).then(|| crate::sb::monitor::MonitorScope {
            chassis_name: cfg.system_id.clone(),
            chassis: snap.me.as_ref().map(|(u, _)| *u),
            datapaths: snap
                .datapath_uuids(&update.local_datapaths)
                .into_iter()
                .collect(),
            iface_ids: vifs.keys().cloned().collect(),
        });
        if self.monitor_scope.as_ref() != Some(&scope) {
            let conds = match &scope {
                Some(s) => crate::sb::monitor::conditions(s),
                None => crate::sb::monitor::monitor_all(),
            };
            for (table, cond) in conds {
                sb.set_condition(table, cond);
            }
            debug!(
                conditional = scope.is_some(),
                "Southbound monitor conditions updated"
            );
            self.monitor_scope = Some(scope);
            // The rows the new conditions select arrive before the reply to a request sent
            // after the change: until then the replica lacks them, and flows computed from it
            // would be incomplete (a port reported up before its datapath's flows are in).
            if let Err(e) = sb.request("echo", serde_json::json!([])).await {
                debug!(error = %e, "echo after a monitor condition change failed");
            }
            self.rerun = true;
            return;
        }

        // Conntrack zones: local ports and the NAT zones of local datapaths.
        let mut users = update.zone_users.clone();
        let mut requested = std::collections::BTreeMap::new();
        for dp in snap
            .datapaths
            .values()
            .filter(|d| update.local_datapaths.contains(&d.key))
        {
            let u = dp.uuid.to_string();
            users.insert(ct_zones::nat_zone_key(&u, NatKind::Dnat));
            let snat = ct_zones::nat_zone_key(&u, NatKind::Snat);
            if let Some(z) = dp
                .external_ids
                .get("snat-ct-zone")
                .and_then(|z| z.parse::<u16>().ok())
            {
                requested.insert(snat.clone(), z);
            }
            users.insert(snat);
        }
        let zone_changes = self
            .zones
            .as_mut()
            .map(|z| z.update(&users, &requested))
            .unwrap_or_default();
        for u in &zone_changes.exhausted {
            self.warn_once(format!("no conntrack zone left for {u}"));
        }
        let mut ovs_ops_all = ovs_ops::ct_zone_ops(br.uuid, &zone_changes);
        ovs_ops_all.extend(ovs_ops::ensure_datapath_row(&ovs_snap, &br.datapath_type));

        // Patch ports to provider bridges (localnet, l2gateway).
        let (want_patches, missing) = crate::ovs::patch::wanted(
            &cfg.bridge,
            &cfg.bridge_mappings,
            &ovs_snap,
            &snap.port_bindings,
            &update.local_datapaths,
            &cfg.system_id,
        );
        for (lp, net) in missing {
            self.warn_once(format!(
                "bridge not found for port {lp} with network name {net:?}; skipping"
            ));
        }
        ovs_ops_all.extend(crate::ovs::patch::reconcile(&ovs_snap, &want_patches));

        // Tunnels.
        let local_t = tunnel::LocalChassis::from_ovs_config(
            &cfg.system_id,
            &ovs_snap.external_ids,
            &ovs_snap.other_config,
        );
        let observed = ovs_snap.observed_for_tunnels(&cfg.bridge);
        let rec = tunnel::reconcile(&local_t, &snap.remote_chassis, &observed);
        for s in &rec.skipped {
            self.warn_once(format!("no tunnel to chassis: {s:?}"));
        }
        for op in &rec.ops {
            debug!(op = ?op, "tunnel change");
        }
        ovs_ops_all.extend(ovs_ops::tunnel_ops(&rec.ops));
        if !ovs_ops_all.is_empty() {
            let ovs = self.ovs.clone();
            self.transact(&ovs, "Open_vSwitch", "zones and tunnels", ovs_ops_all)
                .await;
        }

        // Flows, then what waits for them (port up, nb_cfg).
        self.flows.prepare(&cfg.bridge).await;
        let installed = {
            let sb_guard = sb.lock();
            let Some(sb_replica) = sb_guard.as_ref() else {
                return;
            };
            let ctx = flows::Inputs {
                cfg: &cfg,
                ovs: &ovs_snap,
                sb: &snap,
                sb_replica,
                binding: &update,
                zones: self.zones.as_ref(),
            };
            let lflows = &mut self.lflows;
            let physical = &mut self.physical;
            let warned = &mut self.warned;
            self.flows.compute(&ctx, |inputs, tlv| {
                produce_flows(inputs, tlv, lflows, physical, warned)
            })
        };
        let sync = self.nb_cfg.wants(snap.nb_cfg) || self.if_status.has_waiting();
        if let Some(seqno) = self.flows.install(installed, sync).await {
            self.lflows.sync_tables();
            self.if_status.handle_install_sent(seqno);
            self.nb_cfg.handle_install_sent(seqno, snap.nb_cfg);
        }
        if let Some(acked) = self.flows.acked() {
            self.if_status.handle_acked(acked);
            if let Some(n) = self.nb_cfg.handle_acked(acked) {
                let op = sb_chassis::nb_cfg_ack(&cfg.system_id, n, now_ms());
                self.transact(&sb, "OVN_Southbound", "nb_cfg", vec![op])
                    .await;
            }
        }
        let writes = self.if_status.poll_writes();
        if !writes.is_empty() {
            let mut sb_ops = Vec::new();
            let mut ovs_ops = Vec::new();
            for w in &writes {
                sb_ops.extend(sb_snap::up_op(&snap, &w.logical_port, w.up));
                if let Some(i) = &w.iface {
                    ovs_ops.push(ovs_ops::ovn_installed_op(i, w.up, now_ms()));
                }
            }
            let ovs = self.ovs.clone();
            let a = self
                .transact(&ovs, "Open_vSwitch", "ovn-installed", ovs_ops)
                .await;
            let b = self
                .transact(&sb, "OVN_Southbound", "port up", sb_ops)
                .await;
            if a && b {
                for w in &writes {
                    info!(logical_port = %w.logical_port, up = w.up, "port state reported");
                }
                self.if_status.handle_written(&writes);
            }
        }
    }
}

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(args: DaemonArgs) -> Result<(), DaemonError> {
    use tokio::signal::unix::{SignalKind, signal};
    let ovs =
        Client::start(ClientConfig::new(&args.ovs_remote, "Open_vSwitch")).map_err(|source| {
            DaemonError::OvsRemote {
                remote: args.ovs_remote.clone(),
                source,
            }
        })?;
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let flows = FlowEngine::new(args.dirs.ovs_rundir.clone());
    let mut st = State {
        args,
        ovs,
        sb: None,
        config: None,
        last_config_error: None,
        zones: None,
        if_status: IfStatus::new(),
        nb_cfg: NbCfg::new(),
        flows,
        lflows: crate::lflows::LflowCompiler::new(),
        physical: physical_glue::PhysicalCache::default(),
        cni_started: false,
        rerun: false,
        monitor_scope: None,
        pinctrl: None,
        warned: Default::default(),
    };
    info!(remote = %st.args.ovs_remote, "ovn-agent starting");
    let (ctl_tx, mut ctl_rx) = tokio::sync::mpsc::channel(16);
    let ctl_path = st
        .args
        .unixctl
        .clone()
        .unwrap_or_else(|| unixctl::default_path(&st.args.dirs.ovn_rundir));
    if let Err(e) = unixctl::start(&ctl_path, ctl_tx) {
        warn!(path = %ctl_path.display(), error = %e, "control socket not available");
    }
    let mut ovs_rx = st.ovs.subscribe();
    let mut sb_rx: Option<(String, tokio::sync::watch::Receiver<u64>)> = None;
    loop {
        st.iterate().await;
        if std::mem::take(&mut st.rerun) {
            continue;
        }
        // One receiver per Southbound client, kept across iterations: a fresh clone would
        // report every change since the client started, and the loop would never sleep.
        let remote = st.sb.as_ref().map(|(r, _)| r.clone());
        if sb_rx.as_ref().map(|(r, _)| r) != remote.as_ref() {
            sb_rx = st.sb.as_ref().map(|(r, c)| {
                let mut rx = c.subscribe();
                rx.borrow_and_update();
                (r.clone(), rx)
            });
        }
        let sb_changed = async {
            match sb_rx.as_mut().map(|(_, rx)| rx) {
                Some(rx) => {
                    let _ = rx.changed().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = ovs_rx.changed() => { tracing::trace!("woken by the Open_vSwitch database"); }
            () = sb_changed => { tracing::trace!("woken by the Southbound database"); }
            () = st.flows.wait_event() => { tracing::trace!("woken by the integration bridge"); }
            _ = tokio::time::sleep(Duration::from_secs(5)) => { tracing::trace!("woken by the timer"); }
            Some(req) = ctl_rx.recv() => {
                if st.control(req).await {
                    break;
                }
            }
            _ = term.recv() => { info!("SIGTERM: exiting, flows left in place"); break; }
            _ = int.recv() => { info!("SIGINT: exiting, flows left in place"); break; }
        }
        // Coalesce bursts of updates into one iteration.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = std::fs::remove_file(&ctl_path);
    Ok(())
}

/// The configurations of the meters the flows use: inline `set_meter` specifications, or
/// Southbound Meter rows by name.
fn meter_configs(
    sb: &ovsdb::Replica,
    wanted: &std::collections::BTreeMap<u32, String>,
    warned: &mut std::collections::HashSet<String>,
) -> std::collections::BTreeMap<u32, openflow::msg::MeterConfig> {
    use ovsdb::views::ovn_sb::{Meter, MeterBand};
    let bands = sb.typed::<MeterBand>();
    let meters = sb.typed::<Meter>();
    let mut out = std::collections::BTreeMap::new();
    for (id, name) in wanted {
        let row = meters
            .as_ref()
            .and_then(|t| t.iter().find(|m| m.name() == name));
        let row_bands: Vec<(u32, u32)> = row
            .map(|m| {
                m.bands()
                    .filter_map(|u| bands.as_ref().and_then(|t| t.get(&u)))
                    .map(|b| {
                        (
                            u32::try_from(b.rate()).unwrap_or(u32::MAX),
                            u32::try_from(b.burst_size()).unwrap_or(u32::MAX),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let sb_meter = row.map(|m| (m.unit(), row_bands.as_slice()));
        match crate::ofctrl::group_spec::meter_config(*id, name, sb_meter) {
            Ok(m) => {
                out.insert(*id, m);
            }
            Err(e) => {
                if warned.insert(e.clone()) {
                    warn!("{e}");
                }
            }
        }
    }
    out
}

fn dp_type_cap<'a>(inputs: &'a flows::Inputs<'_>, cap: &str) -> Option<&'a str> {
    let dt = inputs
        .ovs
        .bridges
        .get(&inputs.cfg.bridge)
        .map_or("", |b| b.datapath_type.as_str());
    inputs.ovs.datapath_cap(dt, cap)
}

/// What changed in the desired flows: compiled logical flows (incrementally, by logical flow)
/// and physical flows.
fn produce_flows(
    inputs: &flows::Inputs<'_>,
    tlv_index: u16,
    lflows: &mut crate::lflows::LflowCompiler,
    physical: &mut physical_glue::PhysicalCache,
    warned: &mut std::collections::HashSet<String>,
) -> flows::FlowUpdate {
    let resident: std::collections::BTreeSet<String> = inputs
        .sb
        .port_bindings
        .iter()
        .filter(|pb| pb.chassis.as_deref() == Some(inputs.cfg.system_id.as_str()))
        .map(|pb| pb.logical_port.clone())
        .collect();
    let related: std::collections::BTreeSet<String> =
        inputs.binding.resident.keys().cloned().collect();
    let input = crate::lflows::CompileInput {
        sb: inputs.sb_replica,
        snap: inputs.sb,
        local_datapaths: &inputs.binding.local_datapaths,
        resident: &resident,
        related: &related,
        ct_zero_snat: dp_type_cap(inputs, "ct_zero_snat") == Some("true"),
        dp_hash_l4_sym: dp_type_cap(inputs, "max_hash_alg")
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v >= 1),
    };
    let out = lflows.compile_all(&input);
    for i in &out.issues {
        let msg = format!("logical flow {}: {}", i.lflow, i.message);
        if warned.insert(msg.clone()) {
            warn!("{msg}");
        }
    }
    if out.full {
        info!(
            flows = lflows.last_compiled,
            full_recomputes = lflows.full_recomputes,
            "logical flows recompiled"
        );
    } else if !out.changed.is_empty() || !out.removed.is_empty() {
        debug!(
            changed = out.changed.len(),
            removed = out.removed.len(),
            "logical flows updated incrementally"
        );
    }
    let mut update = flows::FlowUpdate {
        full: out.full,
        changed: out.changed,
        removed: out.removed,
        groups: Some(lflows.desired_groups()),
        meters: Some(meter_configs(
            inputs.sb_replica,
            &lflows.desired_meters(),
            warned,
        )),
    };

    // Physical flows (recomputed whole: they are O(ports); only changed rows reach the table).
    if let Some(zones) = inputs.zones {
        let (pbs, lds) = physical_glue::local_datapaths(inputs.cfg, inputs.sb, inputs.binding);
        let pin = physical_glue::physical_input(
            inputs.cfg,
            inputs.ovs,
            inputs.sb,
            inputs.binding,
            pbs,
            lds,
            zones,
            tlv_index,
        );
        let extra = physical_glue::extra_flows(&pin, inputs.sb_replica, &inputs.cfg.system_id);
        let p = physical.update(&pin, extra);
        for e in &physical.errors {
            if warned.insert(e.clone()) {
                warn!("{e}");
            }
        }
        update.changed.extend(p.changed);
        update.removed.extend(p.removed);
    }
    update
}

/// Replica access for modules that want the raw tables.
pub type SbReplica = Replica;
