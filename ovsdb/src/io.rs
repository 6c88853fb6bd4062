//! The tokio driver: a [`Client`] that keeps a [`Replica`] of one database current over a unix
//! or TCP connection, reconnecting with backoff, resuming with `monitor_cond_since`, and keeping
//! the monitor conditions across reconnects.
//!
//! ```no_run
//! # async fn f() -> Result<(), ovsdb::io::ClientError> {
//! use ovsdb::io::{Client, ClientConfig};
//! let client = Client::start(ClientConfig::new("unix:/run/ovn/ovnsb_db.sock", "OVN_Southbound"))?;
//! let mut changes = client.subscribe();
//! client.wait_synced().await;
//! loop {
//!     let cs = client.lock().as_mut().map(|r| r.drain_changes());
//!     // ... incremental processing with `cs` and `client.lock()` ...
//!     if changes.changed().await.is_err() { break; }
//! }
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::condition::Condition;
use crate::monitor::{MonitorKind, MonitorRequest};
use crate::operation::{Operation, OperationResult, ServerError, TransactError, check_results};
use crate::reconnect::{Action, Reconnect};
use crate::remote::{Remote, RemoteError};
use crate::replica::Replica;
use crate::session::{Event, RequestId, Session, SessionConfig, SessionError};

const MONITOR_ID: &str = "ovsdb-rs";

/// Errors of the driver.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The remote string is invalid.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// Not connected (the request was not sent; retry later).
    #[error("not connected to the database server")]
    NotConnected,
    /// The connection dropped before the reply (the request may or may not have been executed).
    #[error("connection lost before the reply")]
    Disconnected,
    /// The transaction failed.
    #[error(transparent)]
    Transact(#[from] TransactError),
    /// The server answered the request with an error.
    #[error("server error: {0}")]
    Server(ServerError),
    /// The client was shut down.
    #[error("client shut down")]
    Shutdown,
    /// Socket error.
    #[error("connecting to {remote}")]
    Io {
        /// The remote.
        remote: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Protocol error on a one-shot connection.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Connection state, as watched through [`Client::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Not connected (connecting or backing off).
    Disconnected,
    /// Connected, waiting for the schema and the monitor reply.
    Connected,
    /// Connected and the replica holds the server's contents.
    Synced,
}

/// Driver settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Comma-separated remotes (`unix:PATH`, `tcp:HOST:PORT`).
    pub remotes: String,
    /// Database name.
    pub database: String,
    /// Tables (and columns) to monitor; empty means every table with every column.
    pub tables: Vec<MonitorRequest>,
    /// Inactivity probe interval (`None` disables it).
    pub probe_interval: Option<Duration>,
    /// Minimum reconnect backoff.
    pub min_backoff: Duration,
    /// Maximum reconnect backoff.
    pub max_backoff: Duration,
    /// Secondary indexes to maintain: (table, column).
    pub indexes: Vec<(String, String)>,
}

impl ClientConfig {
    /// Defaults: monitor everything, 5 s probe, backoff 1–8 s (as OVS).
    pub fn new(remotes: &str, database: &str) -> ClientConfig {
        ClientConfig {
            remotes: remotes.to_string(),
            database: database.to_string(),
            tables: Vec::new(),
            probe_interval: Some(Duration::from_secs(5)),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            indexes: Vec::new(),
        }
    }
}

/// Counters, for tests and diagnostics.
#[derive(Debug, Default)]
pub struct Stats {
    /// Successful connections.
    pub connections: AtomicU64,
    /// Monitor replies that carried the full contents.
    pub full_dumps: AtomicU64,
    /// `monitor_cond_since` replies that resumed (`found = true`).
    pub resumes: AtomicU64,
    /// Update notifications applied.
    pub updates: AtomicU64,
    /// Rows received in monitor replies and updates.
    pub rows_received: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    replica: Mutex<Option<Replica>>,
    conditions: Mutex<HashMap<Arc<str>, Condition>>,
    stats: Stats,
}

enum Command {
    Transact(
        Vec<Operation>,
        oneshot::Sender<Result<Vec<OperationResult>, ClientError>>,
    ),
    Request(
        &'static str,
        Value,
        oneshot::Sender<Result<Value, ClientError>>,
    ),
    CondChange(Arc<str>, Condition),
}

/// A handle on the driver task (cheap to clone; the task stops when the last handle drops).
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
    cmd: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnState>,
    seq: watch::Receiver<u64>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Transact(ops, _) => write!(f, "Transact({} ops)", ops.len()),
            Command::Request(m, _, _) => write!(f, "Request({m})"),
            Command::CondChange(t, _) => write!(f, "CondChange({t})"),
        }
    }
}

impl Client {
    /// Starts the driver task on the current tokio runtime.
    pub fn start(cfg: ClientConfig) -> Result<Client, ClientError> {
        let remotes = Remote::parse_list(&cfg.remotes)?;
        let shared = Arc::new(Shared {
            replica: Mutex::new(None),
            conditions: Mutex::new(
                cfg.tables
                    .iter()
                    .filter_map(|t| t.condition.clone().map(|c| (t.table.clone(), c)))
                    .collect(),
            ),
            stats: Stats::default(),
        });
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (state_tx, state_rx) = watch::channel(ConnState::Disconnected);
        let (seq_tx, seq_rx) = watch::channel(0u64);
        let span = info_span!("ovsdb", db = %cfg.database);
        let driver = Driver {
            cfg,
            remotes,
            shared: shared.clone(),
            cmd: cmd_rx,
            state: state_tx,
            seq: seq_tx,
        };
        tokio::spawn(driver.run().instrument(span));
        Ok(Client {
            shared,
            cmd: cmd_tx,
            state: state_rx,
            seq: seq_rx,
        })
    }

    /// The replica (`None` until the first schema arrived). Hold the guard briefly: the driver
    /// needs it to apply updates.
    pub fn lock(&self) -> MutexGuard<'_, Option<Replica>> {
        // A panic while holding the lock can only come from a bug in this crate; the data is
        // still usable, so ignore the poison.
        self.shared
            .replica
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A receiver that changes whenever the replica changed (drain with
    /// [`Replica::drain_changes`]).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.seq.clone()
    }

    /// The connection state.
    pub fn state(&self) -> ConnState {
        *self.state.borrow()
    }

    /// A receiver of connection state changes.
    pub fn watch_state(&self) -> watch::Receiver<ConnState> {
        self.state.clone()
    }

    /// Whether the replica is in sync with the server.
    pub fn is_synced(&self) -> bool {
        self.state() == ConnState::Synced
    }

    /// Waits until the replica is in sync.
    pub async fn wait_synced(&self) {
        let mut rx = self.state.clone();
        // The sender lives in the driver task, which only ends when every Client is dropped.
        let _ = rx.wait_for(|s| *s == ConnState::Synced).await;
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Runs a transaction; fails with [`ClientError::Transact`] naming the first failing
    /// operation. Returns the per-operation results otherwise. When it returns, the replica
    /// already reflects the transaction (ovsdb-server flushes monitor updates before any reply
    /// on the same session, and the driver applies messages in order).
    pub async fn transact(&self, ops: Vec<Operation>) -> Result<Vec<OperationResult>, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(Command::Transact(ops, tx))
            .map_err(|_| ClientError::Shutdown)?;
        rx.await.map_err(|_| ClientError::Shutdown)?
    }

    /// Sends any request (e.g. `list_dbs`) and returns its result.
    pub async fn request(&self, method: &'static str, params: Value) -> Result<Value, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(Command::Request(method, params, tx))
            .map_err(|_| ClientError::Shutdown)?;
        rx.await.map_err(|_| ClientError::Shutdown)?
    }

    /// Sets the monitor condition of `table` (kept across reconnects; sent at once with
    /// `monitor_cond_change` when connected). The replica then gains and loses rows as the server
    /// reports them entering and leaving the condition.
    pub fn set_condition(&self, table: &str, cond: Condition) {
        let table: Arc<str> = Arc::from(table);
        self.shared
            .conditions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(table.clone(), cond.clone());
        let _ = self.cmd.send(Command::CondChange(table, cond));
    }
}

struct Driver {
    cfg: ClientConfig,
    remotes: Vec<Remote>,
    shared: Arc<Shared>,
    cmd: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnState>,
    seq: watch::Sender<u64>,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn connect(remote: &Remote) -> std::io::Result<Box<dyn Stream>> {
    Ok(match remote {
        Remote::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
        Remote::Tcp { host, port } => {
            let s = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
            s.set_nodelay(true)?;
            Box::new(s)
        }
    })
}

enum Exit {
    Shutdown,
    Lost(String),
}

type TransactReply = oneshot::Sender<Result<Vec<OperationResult>, ClientError>>;

// Per-connection state of the driver.
struct Conn {
    session: Session,
    monitor_kind: Option<MonitorKind>,
    monitor_sent: bool,
    transacts: HashMap<RequestId, (Vec<Operation>, TransactReply)>,
    requests: HashMap<RequestId, oneshot::Sender<Result<Value, ClientError>>>,
}

impl Driver {
    async fn run(mut self) {
        let mut rc = Reconnect::new(Instant::now().into_std());
        rc.set_backoff(self.cfg.min_backoff, self.cfg.max_backoff);
        let mut next_remote = 0usize;
        loop {
            let now = Instant::now();
            match rc.run(now.into_std()) {
                Some(Action::Connect) => {
                    let remote = self
                        .remotes
                        .get(next_remote % self.remotes.len().max(1))
                        .cloned();
                    next_remote = next_remote.wrapping_add(1);
                    let Some(remote) = remote else { return };
                    rc.connecting(now.into_std());
                    let timeout = rc.backoff().max(Duration::from_secs(1));
                    match tokio::time::timeout(timeout, connect(&remote)).await {
                        Ok(Ok(stream)) => {
                            info!(%remote, "connected");
                            rc.connected(Instant::now().into_std());
                            self.shared
                                .stats
                                .connections
                                .fetch_add(1, Ordering::Relaxed);
                            let _ = self.state.send(ConnState::Connected);
                            let span = info_span!("conn", %remote);
                            let exit = self.run_connection(stream, &mut rc).instrument(span).await;
                            let _ = self.state.send(ConnState::Disconnected);
                            match exit {
                                Exit::Shutdown => return,
                                Exit::Lost(why) => warn!(%remote, why, "connection lost"),
                            }
                        }
                        Ok(Err(e)) => debug!(%remote, error = %e, "connection attempt failed"),
                        Err(_) => debug!(%remote, "connection attempt timed out"),
                    }
                    rc.disconnected(Instant::now().into_std());
                }
                Some(Action::Disconnect) => rc.disconnected(now.into_std()),
                None => {}
            }
            let deadline = rc
                .timeout()
                .map_or_else(|| now + Duration::from_secs(3600), Instant::from_std);
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                cmd = self.cmd.recv() => match cmd {
                    None => return,
                    Some(Command::Transact(_, tx)) => { let _ = tx.send(Err(ClientError::NotConnected)); }
                    Some(Command::Request(_, _, tx)) => { let _ = tx.send(Err(ClientError::NotConnected)); }
                    // Stored in `shared.conditions`; the next monitor request carries it.
                    Some(Command::CondChange(..)) => {}
                },
            }
        }
    }

    async fn run_connection(&mut self, mut stream: Box<dyn Stream>, rc: &mut Reconnect) -> Exit {
        let scfg = SessionConfig {
            probe_interval: self.cfg.probe_interval,
            ..SessionConfig::default()
        };
        let mut conn = Conn {
            session: Session::new(scfg, Instant::now().into_std()),
            monitor_kind: None,
            monitor_sent: false,
            transacts: HashMap::new(),
            requests: HashMap::new(),
        };
        // As the OVS IDL: a database conversion then cancels the monitor (handled below by
        // reconnecting, which fetches the new schema) instead of closing the session.
        conn.session.set_db_change_aware(true);
        conn.session.get_schema(&self.cfg.database);
        let mut buf = vec![0u8; 1 << 16];
        let exit = loop {
            let mut write_err = None;
            while let Some(b) = conn.session.poll_transmit() {
                if let Err(e) = stream.write_all(&b).await {
                    write_err = Some(e);
                    break;
                }
            }
            if let Some(e) = write_err {
                break Exit::Lost(e.to_string());
            }
            let deadline = conn.session.poll_timeout().map(Instant::from_std);
            let res = tokio::select! {
                r = stream.read(&mut buf) => match r {
                    Ok(0) => Err("connection closed by peer".to_string()),
                    Ok(n) => {
                        let now = Instant::now().into_std();
                        rc.activity(now);
                        match buf.get(..n) {
                            Some(data) => conn.session.handle_bytes(now, data).map_err(|e| e.to_string()),
                            None => Ok(()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                },
                () = sleep_opt(deadline) => conn.session.handle_timeout(Instant::now().into_std()).map_err(|e| e.to_string()),
                cmd = self.cmd.recv() => match cmd {
                    None => break Exit::Shutdown,
                    Some(c) => { self.handle_command(&mut conn, c); Ok(()) }
                },
            };
            if let Err(why) = res {
                break Exit::Lost(why);
            }
            if let Err(why) = self.handle_events(&mut conn) {
                break Exit::Lost(why);
            }
        };
        for (_, (_, tx)) in conn.transacts.drain() {
            let _ = tx.send(Err(ClientError::Disconnected));
        }
        for (_, tx) in conn.requests.drain() {
            let _ = tx.send(Err(ClientError::Disconnected));
        }
        exit
    }

    fn handle_command(&self, conn: &mut Conn, cmd: Command) {
        match cmd {
            Command::Transact(ops, tx) => {
                let id = conn.session.transact(&self.cfg.database, &ops);
                conn.transacts.insert(id, (ops, tx));
            }
            Command::Request(method, params, tx) => {
                let id = conn.session.request(method, &params);
                conn.requests.insert(id, tx);
            }
            Command::CondChange(table, cond) => {
                if conn.monitor_sent && conn.monitor_kind != Some(MonitorKind::Monitor) {
                    conn.session
                        .monitor_cond_change(MONITOR_ID, &[(table, cond)]);
                }
            }
        }
    }

    fn monitor_requests(
        &self,
        schema: &crate::DatabaseSchema,
        with_conditions: bool,
    ) -> Vec<MonitorRequest> {
        let conds = self
            .shared
            .conditions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut reqs: Vec<MonitorRequest> = if self.cfg.tables.is_empty() {
            schema
                .tables
                .iter()
                .map(|t| MonitorRequest::table(&t.name))
                .collect()
        } else {
            self.cfg.tables.clone()
        };
        for r in &mut reqs {
            r.condition = if with_conditions {
                conds.get(&r.table).cloned()
            } else {
                None
            };
        }
        reqs
    }

    fn send_monitor(&self, conn: &mut Conn, kind: MonitorKind) -> Result<(), String> {
        let schema = conn
            .session
            .schema(&self.cfg.database)
            .cloned()
            .ok_or("no schema")?;
        let reqs = self.monitor_requests(&schema, kind != MonitorKind::Monitor);
        conn.session
            .monitor(&self.cfg.database, MONITOR_ID, kind, &reqs)
            .map_err(|e| e.to_string())?;
        conn.monitor_kind = Some(kind);
        conn.monitor_sent = true;
        Ok(())
    }

    fn bump(&self) {
        self.seq.send_modify(|s| *s = s.wrapping_add(1));
    }

    fn handle_events(&mut self, conn: &mut Conn) -> Result<(), String> {
        while let Some(ev) = conn.session.poll_event() {
            match ev {
                Event::Schema { schema, .. } => {
                    let last = {
                        let mut g = self
                            .shared
                            .replica
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        // A converted database gets a fresh replica (and a full dump); consumers
                        // see a new `Replica` whose rows are all inserted.
                        if g.as_ref().is_none_or(|r| **r.schema() != *schema) {
                            let mut r = Replica::new(schema.clone());
                            r.epoch = g.as_ref().map_or(0, |old| old.epoch + 1);
                            for (t, c) in &self.cfg.indexes {
                                if let Err(e) = r.add_index(t, c) {
                                    warn!(error = %e, "cannot add index");
                                }
                            }
                            *g = Some(r);
                        }
                        g.as_ref().and_then(|r| r.last_txn_id)
                    };
                    self.send_monitor(conn, MonitorKind::Since(last))?;
                }
                Event::Monitored {
                    found,
                    last_txn_id,
                    updates,
                    ..
                } => {
                    let n = updates.n_rows() as u64;
                    self.shared
                        .stats
                        .rows_received
                        .fetch_add(n, Ordering::Relaxed);
                    let mut g = self
                        .shared
                        .replica
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let r = g.as_mut().ok_or("monitor reply before schema")?;
                    if found {
                        self.shared.stats.resumes.fetch_add(1, Ordering::Relaxed);
                        info!(rows = n, "resumed monitor from last transaction");
                        r.apply(updates).map_err(|e| {
                            r.last_txn_id = None;
                            e.to_string()
                        })?;
                    } else {
                        self.shared.stats.full_dumps.fetch_add(1, Ordering::Relaxed);
                        info!(rows = n, "full database dump");
                        r.replace_all(updates).map_err(|e| e.to_string())?;
                    }
                    r.last_txn_id = last_txn_id.filter(|u| *u != crate::Uuid::ZERO);
                    drop(g);
                    let _ = self.state.send(ConnState::Synced);
                    self.bump();
                }
                Event::Update {
                    last_txn_id,
                    updates,
                    ..
                } => {
                    self.shared.stats.updates.fetch_add(1, Ordering::Relaxed);
                    self.shared
                        .stats
                        .rows_received
                        .fetch_add(updates.n_rows() as u64, Ordering::Relaxed);
                    let mut g = self
                        .shared
                        .replica
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let r = g.as_mut().ok_or("update before schema")?;
                    if let Err(e) = r.apply(updates) {
                        // Diverged: forget the txn id so the reconnect does a full resync.
                        r.last_txn_id = None;
                        return Err(e.to_string());
                    }
                    if last_txn_id.is_some() {
                        r.last_txn_id = last_txn_id;
                    }
                    drop(g);
                    self.bump();
                }
                Event::Transacted { id, results } => {
                    if let Some((ops, tx)) = conn.transacts.remove(&id) {
                        let r = check_results(&ops, &results)
                            .map(|()| results)
                            .map_err(ClientError::Transact);
                        let _ = tx.send(r);
                    }
                }
                Event::Reply { id, result } => {
                    if let Some(tx) = conn.requests.remove(&id) {
                        let _ = tx.send(Ok(result));
                    }
                }
                Event::Error { id, method, error } => {
                    if let Some((_, tx)) = conn.transacts.remove(&id) {
                        let _ = tx.send(Err(ClientError::Server(error)));
                    } else if let Some(tx) = conn.requests.remove(&id) {
                        let _ = tx.send(Err(ClientError::Server(error)));
                    } else if method.starts_with("monitor")
                        && error.error.contains("unknown method")
                    {
                        // Older servers: fall back monitor_cond_since -> monitor_cond -> monitor.
                        let next = match conn.monitor_kind {
                            Some(MonitorKind::Since(_)) => MonitorKind::Cond,
                            Some(MonitorKind::Cond) => MonitorKind::Monitor,
                            _ => return Err(format!("{method} failed: {error}")),
                        };
                        warn!(%error, method, "monitor request refused, falling back");
                        self.send_monitor(conn, next)?;
                    } else if method.starts_with("monitor") {
                        // E.g. a table or column the server does not have: a configuration error;
                        // keep retrying (with backoff) in case the server gets upgraded.
                        return Err(format!("{method} failed: {error}"));
                    } else {
                        warn!(%error, method, "request failed");
                    }
                }
                Event::Notification { method, params } => {
                    if method == "monitor_canceled" {
                        return Err("monitor canceled by server (database changed)".into());
                    }
                    debug!(method, %params, "notification");
                }
                Event::Databases { .. }
                | Event::Lock { .. }
                | Event::Locked { .. }
                | Event::Stolen { .. } => {}
            }
        }
        Ok(())
    }
}

async fn sleep_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// One request on a fresh connection (for tools): connects to the first reachable remote,
/// sends `method(params)`, and returns the result.
pub async fn call(
    remotes: &str,
    method: &'static str,
    params: Value,
) -> Result<Value, ClientError> {
    let mut last = None;
    for remote in Remote::parse_list(remotes)? {
        match connect(&remote).await {
            Ok(mut stream) => {
                let mut s = Session::new(
                    SessionConfig {
                        probe_interval: None,
                        ..SessionConfig::default()
                    },
                    std::time::Instant::now(),
                );
                let id = s.request(method, &params);
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    while let Some(b) = s.poll_transmit() {
                        stream
                            .write_all(&b)
                            .await
                            .map_err(|source| ClientError::Io {
                                remote: remote.to_string(),
                                source,
                            })?;
                    }
                    while let Some(ev) = s.poll_event() {
                        match ev {
                            Event::Reply { id: i, result } if i == id => return Ok(result),
                            Event::Error { id: i, error, .. } if i == id => {
                                return Err(ClientError::Server(error));
                            }
                            _ => {}
                        }
                    }
                    let n = stream
                        .read(&mut buf)
                        .await
                        .map_err(|source| ClientError::Io {
                            remote: remote.to_string(),
                            source,
                        })?;
                    if n == 0 {
                        return Err(ClientError::Disconnected);
                    }
                    s.handle_bytes(std::time::Instant::now(), buf.get(..n).unwrap_or_default())?;
                }
            }
            Err(source) => {
                last = Some(ClientError::Io {
                    remote: remote.to_string(),
                    source,
                });
            }
        }
    }
    Err(last.unwrap_or(ClientError::NotConnected))
}
