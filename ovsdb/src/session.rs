//! The sans-IO OVSDB JSON-RPC session: no sockets, time passed in.
//!
//! Polling order (after creating the session, and again whenever anything happens): call
//! [`Session::handle_bytes`] with whatever the socket delivered, or [`Session::handle_timeout`]
//! when [`Session::poll_timeout`] has passed; then drain [`Session::poll_transmit`] into the
//! socket, and [`Session::poll_event`] into the application. Command methods (`transact`,
//! `monitor`, ...) queue a request and return its [`RequestId`]; the matching reply arrives as an
//! [`Event`] carrying that id.
//!
//! Inactivity probe (as OVS `lib/reconnect.c`): after `probe_interval` without receiving
//! anything the session sends an `echo`; after another `probe_interval` of silence
//! `handle_timeout` fails with [`SessionError::ProbeTimeout`], and the caller drops the connection.
//! Server `echo` requests are answered here.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tracing::{debug, trace, warn};

use crate::condition::Condition;
use crate::framer::{FrameError, Framer};
use crate::jsonrpc::{self, JsonRpcError, Message};
use crate::monitor::{MonitorKind, MonitorRequest, cond_change_params, monitor_params};
use crate::operation::{Operation, OperationResult, ServerError, transact_params};
use crate::schema::{DatabaseSchema, SchemaError};
use crate::update::{
    TableUpdates, UpdateError, UpdateFormat, decode_since_reply, decode_table_updates,
    decode_update_params,
};
use crate::uuid::Uuid;

/// The id of a request we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// The session cannot continue; drop the connection (and reconnect).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The byte stream is not JSON objects.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A frame is not JSON-RPC.
    #[error(transparent)]
    JsonRpc(#[from] JsonRpcError),
    /// An update or monitor reply does not match the schema.
    #[error(transparent)]
    Update(#[from] UpdateError),
    /// A `get_schema` reply is not a schema.
    #[error("get_schema reply for {db}")]
    Schema {
        /// The database.
        db: String,
        /// Why.
        #[source]
        source: SchemaError,
    },
    /// A reply has the wrong shape for its request.
    #[error("malformed {method} reply: {reason}")]
    BadReply {
        /// The request's method.
        method: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A monitor was requested before the database's schema was known.
    #[error("no schema for database {0} (call get_schema or set_schema first)")]
    NoSchema(String),
    /// Nothing was received for two probe intervals.
    #[error("no response to inactivity probe after {0:?}")]
    ProbeTimeout(Duration),
}

/// Something the application should know about.
#[derive(Debug)]
pub enum Event {
    /// Reply to `list_dbs`.
    Databases {
        /// Request.
        id: RequestId,
        /// Database names.
        names: Vec<String>,
    },
    /// Reply to `get_schema` (the session keeps the schema for decoding monitor data).
    Schema {
        /// Request.
        id: RequestId,
        /// The schema.
        schema: Arc<DatabaseSchema>,
    },
    /// Reply to `transact`: one result per operation (plus possibly one for the commit).
    Transacted {
        /// Request.
        id: RequestId,
        /// Per-operation results; errors are [`OperationResult::Error`].
        results: Vec<OperationResult>,
    },
    /// Reply to a monitor request: the initial contents (or, for `monitor_cond_since` with
    /// `found`, the changes since the given transaction).
    Monitored {
        /// Request.
        id: RequestId,
        /// Monitor id.
        monitor_id: String,
        /// `monitor_cond_since`: the server had our last transaction id and sent only what changed
        /// since. Always `false` for the other kinds.
        found: bool,
        /// `monitor_cond_since`: the server's last transaction id.
        last_txn_id: Option<Uuid>,
        /// The updates.
        updates: TableUpdates,
    },
    /// An `update`/`update2`/`update3` notification.
    Update {
        /// Monitor id.
        monitor_id: String,
        /// `update3`: the transaction id after this update.
        last_txn_id: Option<Uuid>,
        /// The updates.
        updates: TableUpdates,
    },
    /// Reply to `lock`/`steal`: whether we hold it now.
    Lock {
        /// Request.
        id: RequestId,
        /// Held.
        locked: bool,
    },
    /// `locked` notification: a lock we queued for is now ours.
    Locked {
        /// Lock name.
        lock: String,
    },
    /// `stolen` notification: another client stole our lock.
    Stolen {
        /// Lock name.
        lock: String,
    },
    /// Any other successful reply (`echo`, `unlock`, `monitor_cond_change`, `monitor_cancel`,
    /// `set_db_change_aware`, raw requests).
    Reply {
        /// Request.
        id: RequestId,
        /// Result.
        result: Value,
    },
    /// The server answered a request with an error.
    Error {
        /// Request.
        id: RequestId,
        /// Method of the request.
        method: &'static str,
        /// The error.
        error: ServerError,
    },
    /// A notification the session does not interpret (e.g. `monitor_canceled`).
    Notification {
        /// Method.
        method: String,
        /// Params.
        params: Value,
    },
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Inactivity probe interval; `None` disables probing (OVS default: 5 s).
    pub probe_interval: Option<Duration>,
    /// First request id (ids are sequential; tests pin it).
    pub first_id: u64,
    /// Largest accepted message.
    pub max_message: usize,
    /// How long an unanswered probe is tolerated while a monitor reply is outstanding.
    /// ovsdb-server builds a whole initial dump before sending its first byte and answers
    /// nothing meanwhile (tens of seconds for 300k rows on a busy host); OVS would drop the
    /// connection after two probe intervals and never finish syncing. Never shorter than the
    /// probe interval.
    pub dump_grace: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            probe_interval: Some(Duration::from_secs(5)),
            first_id: 1,
            max_message: 1 << 30,
            dump_grace: Duration::from_secs(120),
        }
    }
}

#[derive(Debug)]
enum Pending {
    ListDbs,
    Schema(String),
    Transact,
    Monitor {
        monitor_id: String,
        db: String,
        kind: MonitorKind,
    },
    Lock,
    Echo {
        probe: bool,
    },
    Other(&'static str),
}

impl Pending {
    fn method(&self) -> &'static str {
        match self {
            Pending::ListDbs => "list_dbs",
            Pending::Schema(_) => "get_schema",
            Pending::Transact => "transact",
            Pending::Monitor { kind, .. } => kind.method(),
            Pending::Lock => "lock",
            Pending::Echo { .. } => "echo",
            Pending::Other(m) => m,
        }
    }
}

/// One JSON-RPC session with an ovsdb-server (see the module docs for the polling order).
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    framer: Framer,
    rx: BytesMut,
    tx: VecDeque<Bytes>,
    events: VecDeque<Event>,
    schemas: HashMap<String, Arc<DatabaseSchema>>,
    // monitor id -> database name
    monitors: HashMap<String, String>,
    last_rx: Instant,
    probe_sent: Option<Instant>,
    // When to look at the outstanding probe again.
    probe_check: Option<Instant>,
}

impl Session {
    /// A new session on a freshly connected stream.
    pub fn new(cfg: SessionConfig, now: Instant) -> Session {
        Session {
            next_id: cfg.first_id,
            framer: Framer::with_limit(cfg.max_message),
            cfg,
            pending: HashMap::new(),
            rx: BytesMut::new(),
            tx: VecDeque::new(),
            events: VecDeque::new(),
            schemas: HashMap::new(),
            monitors: HashMap::new(),
            last_rx: now,
            probe_sent: None,
            probe_check: None,
        }
    }

    /// The schema of `db`, once known.
    pub fn schema(&self, db: &str) -> Option<&Arc<DatabaseSchema>> {
        self.schemas.get(db)
    }

    /// Supplies a schema obtained elsewhere (e.g. from a previous connection).
    pub fn set_schema(&mut self, schema: Arc<DatabaseSchema>) {
        self.schemas.insert(schema.name.clone(), schema);
    }

    /// Number of requests awaiting a reply.
    pub fn n_pending(&self) -> usize {
        self.pending.len()
    }

    // === commands ===

    fn send(&mut self, method: &'static str, params: &Value, pending: Pending) -> RequestId {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        trace!(id, method, "request");
        self.tx
            .push_back(Bytes::from(jsonrpc::request(id, method, params)));
        self.pending.insert(id, pending);
        RequestId(id)
    }

    /// `list_dbs`.
    pub fn list_dbs(&mut self) -> RequestId {
        self.send("list_dbs", &json!([]), Pending::ListDbs)
    }

    /// `get_schema`.
    pub fn get_schema(&mut self, db: &str) -> RequestId {
        self.send("get_schema", &json!([db]), Pending::Schema(db.to_string()))
    }

    /// `transact`.
    pub fn transact(&mut self, db: &str, ops: &[Operation]) -> RequestId {
        self.send("transact", &transact_params(db, ops), Pending::Transact)
    }

    /// `monitor` / `monitor_cond` / `monitor_cond_since` (the schema of `db` must be known).
    pub fn monitor(
        &mut self,
        db: &str,
        monitor_id: &str,
        kind: MonitorKind,
        requests: &[MonitorRequest],
    ) -> Result<RequestId, SessionError> {
        if !self.schemas.contains_key(db) {
            return Err(SessionError::NoSchema(db.to_string()));
        }
        self.monitors.insert(monitor_id.to_string(), db.to_string());
        let params = monitor_params(db, monitor_id, kind, requests);
        Ok(self.send(
            kind.method(),
            &params,
            Pending::Monitor {
                monitor_id: monitor_id.to_string(),
                db: db.to_string(),
                kind,
            },
        ))
    }

    /// `monitor_cond_change`: replaces the conditions of the given tables of a monitor (the
    /// monitor id stays the same).
    pub fn monitor_cond_change(
        &mut self,
        monitor_id: &str,
        changes: &[(Arc<str>, Condition)],
    ) -> RequestId {
        self.send(
            "monitor_cond_change",
            &cond_change_params(monitor_id, monitor_id, changes),
            Pending::Other("monitor_cond_change"),
        )
    }

    /// `monitor_cancel`.
    pub fn monitor_cancel(&mut self, monitor_id: &str) -> RequestId {
        self.monitors.remove(monitor_id);
        self.send(
            "monitor_cancel",
            &json!([monitor_id]),
            Pending::Other("monitor_cancel"),
        )
    }

    /// `lock`: the reply says whether we hold it; if not, a `locked` notification follows later.
    pub fn lock(&mut self, name: &str) -> RequestId {
        self.send("lock", &json!([name]), Pending::Lock)
    }

    /// `steal`.
    pub fn steal(&mut self, name: &str) -> RequestId {
        self.send("steal", &json!([name]), Pending::Lock)
    }

    /// `unlock`.
    pub fn unlock(&mut self, name: &str) -> RequestId {
        self.send("unlock", &json!([name]), Pending::Other("unlock"))
    }

    /// `set_db_change_aware` (OVS extension: keep the session open when the database is removed
    /// or converted, and get `monitor_canceled` instead).
    pub fn set_db_change_aware(&mut self, aware: bool) -> RequestId {
        self.send(
            "set_db_change_aware",
            &json!([aware]),
            Pending::Other("set_db_change_aware"),
        )
    }

    /// `echo`.
    pub fn echo(&mut self) -> RequestId {
        self.send("echo", &json!([]), Pending::Echo { probe: false })
    }

    /// Any other request; the reply arrives as [`Event::Reply`] or [`Event::Error`].
    pub fn request(&mut self, method: &'static str, params: &Value) -> RequestId {
        self.send(method, params, Pending::Other(method))
    }

    // === I/O ===

    /// Bytes to write to the socket.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.tx.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Session::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        let iv = self.cfg.probe_interval?;
        Some(match self.probe_sent {
            None => self.last_rx + iv,
            Some(t) => self.probe_check.unwrap_or(t + iv),
        })
    }

    /// Runs the inactivity probe.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), SessionError> {
        let Some(iv) = self.cfg.probe_interval else {
            return Ok(());
        };
        let grace = if self
            .pending
            .values()
            .any(|p| matches!(p, Pending::Monitor { .. }))
        {
            self.cfg.dump_grace.max(iv)
        } else {
            iv
        };
        match self.probe_sent {
            None if now >= self.last_rx + iv => {
                debug!(
                    idle_ms = u64::try_from((now - self.last_rx).as_millis()).unwrap_or(u64::MAX),
                    "sending inactivity probe"
                );
                self.send("echo", &json!([]), Pending::Echo { probe: true });
                self.probe_sent = Some(now);
                self.probe_check = Some(now + iv);
            }
            Some(t) if now >= t + grace => {
                return Err(SessionError::ProbeTimeout(now - self.last_rx));
            }
            Some(t) if now >= t + iv => {
                debug!("probe unanswered while a monitor reply is pending; waiting");
                self.probe_check = Some((now + iv).min(t + grace));
            }
            _ => {}
        }
        Ok(())
    }

    /// Feeds bytes read from the socket.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) -> Result<(), SessionError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.last_rx = now;
        self.probe_sent = None;
        self.probe_check = None;
        self.rx.extend_from_slice(bytes);
        while let Some(frame) = self.framer.decode(&mut self.rx)? {
            self.handle_frame(&frame)?;
        }
        // After a big dump, give the (shared) buffer back instead of keeping its peak size.
        if self.rx.is_empty() && self.rx.capacity() > 1 << 20 {
            self.rx = BytesMut::new();
        }
        Ok(())
    }

    fn handle_frame(&mut self, frame: &[u8]) -> Result<(), SessionError> {
        match Message::decode(frame)? {
            Message::Request { id, method, params } => self.handle_request(id, &method, params),
            Message::Notification { method, params } => self.handle_notification(&method, params),
            Message::Response { id, result } => {
                let Some((rid, pending)) = self.take_pending(id) else {
                    warn!(id = id.get(), "reply to unknown request");
                    return Ok(());
                };
                self.handle_response(rid, pending, result)
            }
            Message::Error { id, error } => {
                let err = ServerError::from_json(
                    &serde_json::from_str(error.get()).unwrap_or(Value::Null),
                );
                match id.and_then(|id| self.take_pending(id)) {
                    Some((rid, pending)) => {
                        if let Pending::Monitor { monitor_id, .. } = &pending {
                            self.monitors.remove(monitor_id);
                        }
                        self.events.push_back(Event::Error {
                            id: rid,
                            method: pending.method(),
                            error: err,
                        });
                    }
                    None => warn!(%err, "error for unknown request"),
                }
                Ok(())
            }
        }
    }

    fn take_pending(&mut self, id: &RawValue) -> Option<(RequestId, Pending)> {
        let n: u64 = serde_json::from_str(id.get()).ok()?;
        self.pending.remove(&n).map(|p| (RequestId(n), p))
    }

    fn handle_request(
        &mut self,
        id: &RawValue,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(), SessionError> {
        let params: Value = params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or(json!([]));
        let result = if method == "echo" {
            params
        } else {
            // ovsdb-server only ever sends echo; answer anything else with an error, as OVS does.
            warn!(method, "unexpected request from server");
            let id_v: Value = serde_json::from_str(id.get()).unwrap_or(Value::Null);
            let body = json!({"id": id_v, "result": null, "error": "unknown method"});
            self.tx
                .push_back(Bytes::from(serde_json::to_vec(&body).unwrap_or_default()));
            return Ok(());
        };
        self.tx
            .push_back(Bytes::from(jsonrpc::response(id, &result)));
        Ok(())
    }

    fn handle_notification(
        &mut self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(), SessionError> {
        let text = params.map_or("[]", RawValue::get);
        match method {
            "update" | "update2" | "update3" => {
                let (schemas, monitors) = (&self.schemas, &self.monitors);
                let lookup = |id: &Value| {
                    id.as_str()
                        .and_then(|m| monitors.get(m))
                        .and_then(|db| schemas.get(db))
                        .map(|s| &**s)
                };
                let (id, last_txn_id, updates) = decode_update_params(text, method, &lookup)?;
                let Some(updates) = updates else {
                    debug!(method, %id, "update for unknown monitor ignored");
                    return Ok(());
                };
                let monitor_id = id.as_str().unwrap_or_default().to_string();
                trace!(method, monitor_id, n_rows = updates.n_rows(), "update");
                self.events.push_back(Event::Update {
                    monitor_id,
                    last_txn_id,
                    updates,
                });
            }
            "locked" | "stolen" => {
                let p: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                let lock = p
                    .get(0)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.events.push_back(if method == "locked" {
                    Event::Locked { lock }
                } else {
                    Event::Stolen { lock }
                });
            }
            _ => {
                let params = serde_json::from_str(text).unwrap_or(Value::Null);
                self.events.push_back(Event::Notification {
                    method: method.to_string(),
                    params,
                });
            }
        }
        Ok(())
    }

    fn handle_response(
        &mut self,
        id: RequestId,
        pending: Pending,
        result: &RawValue,
    ) -> Result<(), SessionError> {
        let bad = |method: &'static str, reason: String| SessionError::BadReply { method, reason };
        match pending {
            Pending::ListDbs => {
                let names: Vec<String> = serde_json::from_str(result.get())
                    .map_err(|e| bad("list_dbs", e.to_string()))?;
                self.events.push_back(Event::Databases { id, names });
            }
            Pending::Schema(db) => {
                let v: Value = serde_json::from_str(result.get())
                    .map_err(|e| bad("get_schema", e.to_string()))?;
                let schema = Arc::new(DatabaseSchema::from_json(&v).map_err(|source| {
                    SessionError::Schema {
                        db: db.clone(),
                        source,
                    }
                })?);
                debug!(db, version = %schema.version, "schema");
                self.schemas.insert(db, schema.clone());
                self.events.push_back(Event::Schema { id, schema });
            }
            Pending::Transact => {
                let v: Value = serde_json::from_str(result.get())
                    .map_err(|e| bad("transact", e.to_string()))?;
                let arr = v
                    .as_array()
                    .ok_or_else(|| bad("transact", "result is not an array".into()))?;
                let results = arr.iter().map(OperationResult::from_json).collect();
                self.events.push_back(Event::Transacted { id, results });
            }
            Pending::Monitor {
                monitor_id,
                db,
                kind,
            } => {
                let schema = self
                    .schemas
                    .get(&db)
                    .ok_or_else(|| SessionError::NoSchema(db.clone()))?;
                let (found, last_txn_id, updates) = match kind {
                    MonitorKind::Monitor => (
                        false,
                        None,
                        decode_table_updates(
                            result.get(),
                            schema,
                            UpdateFormat::V1,
                            "monitor reply",
                        )?,
                    ),
                    MonitorKind::Cond => (
                        false,
                        None,
                        decode_table_updates(
                            result.get(),
                            schema,
                            UpdateFormat::V2,
                            "monitor_cond reply",
                        )?,
                    ),
                    MonitorKind::Since(_) => {
                        let (found, txn, ups) = decode_since_reply(result.get(), schema)?;
                        (found, Some(txn), ups)
                    }
                };
                debug!(
                    monitor_id,
                    method = kind.method(),
                    found,
                    n_rows = updates.n_rows(),
                    "monitor reply"
                );
                self.events.push_back(Event::Monitored {
                    id,
                    monitor_id,
                    found,
                    last_txn_id,
                    updates,
                });
            }
            Pending::Lock => {
                let v: Value =
                    serde_json::from_str(result.get()).map_err(|e| bad("lock", e.to_string()))?;
                let locked = v
                    .get("locked")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| bad("lock", "no \"locked\" member".into()))?;
                self.events.push_back(Event::Lock { id, locked });
            }
            Pending::Echo { probe: true } => {}
            Pending::Echo { probe: false } | Pending::Other(_) => {
                let result = serde_json::from_str(result.get()).unwrap_or(Value::Null);
                self.events.push_back(Event::Reply { id, result });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datum::Datum;
    use crate::update::RowOp;

    const SCHEMA: &str =
        r#"{"name":"D","version":"1","tables":{"T":{"columns":{"name":{"type":"string"}}}}}"#;
    const U1: &str = "00000000-0000-0000-0000-000000000001";

    fn sent(s: &mut Session) -> Vec<Value> {
        std::iter::from_fn(|| s.poll_transmit())
            .map(|b| serde_json::from_slice(&b).unwrap())
            .collect()
    }

    fn session(now: Instant) -> Session {
        Session::new(
            SessionConfig {
                probe_interval: Some(Duration::from_secs(5)),
                ..SessionConfig::default()
            },
            now,
        )
    }

    #[test]
    fn schema_then_monitor_since_then_update3() {
        let t0 = Instant::now();
        let mut s = session(t0);
        assert!(matches!(
            s.monitor("D", "m", MonitorKind::Cond, &[]),
            Err(SessionError::NoSchema(_))
        ));
        let id = s.get_schema("D");
        assert_eq!(
            sent(&mut s),
            [json!({"id": 1, "method": "get_schema", "params": ["D"]})]
        );
        s.handle_bytes(
            t0,
            format!(r#"{{"id":1,"result":{SCHEMA},"error":null}}"#).as_bytes(),
        )
        .unwrap();
        assert!(matches!(s.poll_event(), Some(Event::Schema { id: i, .. }) if i == id));

        let mid = s
            .monitor(
                "D",
                "m",
                MonitorKind::Since(None),
                &[MonitorRequest::table("T")],
            )
            .unwrap();
        assert_eq!(sent(&mut s)[0]["method"], "monitor_cond_since");
        // Split the reply across two reads to exercise the framer.
        let reply = format!(
            r#"{{"id":2,"result":[false,"{U1}",{{"T":{{"{U1}":{{"initial":{{"name":"a"}}}}}}}}],"error":null}}"#
        );
        let (a, b) = reply.as_bytes().split_at(17);
        s.handle_bytes(t0, a).unwrap();
        assert!(s.poll_event().is_none());
        s.handle_bytes(t0, b).unwrap();
        match s.poll_event() {
            Some(Event::Monitored {
                id,
                found: false,
                last_txn_id: Some(t),
                updates,
                ..
            }) => {
                assert_eq!((id, t), (mid, Uuid::from_u128(1)));
                assert_eq!(
                    updates.tables[0].rows[0].op,
                    RowOp::Initial(vec![(0, Datum::from("a"))])
                );
            }
            other => panic!("{other:?}"),
        }
        let note = format!(
            r#"{{"id":null,"method":"update3","params":["m","{U1}",{{"T":{{"{U1}":{{"delete":null}}}}}}]}}"#
        );
        s.handle_bytes(t0, note.as_bytes()).unwrap();
        assert!(
            matches!(s.poll_event(), Some(Event::Update { ref monitor_id, .. }) if monitor_id == "m")
        );
    }

    #[test]
    fn echo_and_probe() {
        let t0 = Instant::now();
        let mut s = session(t0);
        s.handle_bytes(t0, br#"{"id":"echo","method":"echo","params":[1]}"#)
            .unwrap();
        assert_eq!(
            sent(&mut s),
            [json!({"id": "echo", "result": [1], "error": null})]
        );
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(5)));
        s.handle_timeout(t0 + Duration::from_secs(4)).unwrap();
        assert!(sent(&mut s).is_empty());
        s.handle_timeout(t0 + Duration::from_secs(5)).unwrap();
        let probe = sent(&mut s);
        assert_eq!(probe[0]["method"], "echo");
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        // The echo reply is swallowed and counts as activity.
        let t1 = t0 + Duration::from_secs(6);
        s.handle_bytes(
            t1,
            format!(r#"{{"id":{},"result":[],"error":null}}"#, probe[0]["id"]).as_bytes(),
        )
        .unwrap();
        assert!(s.poll_event().is_none());
        assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(5)));
        s.handle_timeout(t1 + Duration::from_secs(5)).unwrap();
        assert!(matches!(
            s.handle_timeout(t1 + Duration::from_secs(10)),
            Err(SessionError::ProbeTimeout(_))
        ));

        // While a monitor reply is outstanding, an unanswered probe is tolerated for
        // `dump_grace` (the server answers nothing while it builds a big dump).
        let mut s = Session::new(
            SessionConfig {
                probe_interval: Some(Duration::from_secs(5)),
                dump_grace: Duration::from_secs(30),
                ..SessionConfig::default()
            },
            t0,
        );
        s.set_schema(Arc::new(DatabaseSchema::from_str_json(SCHEMA).unwrap()));
        s.monitor("D", "m", MonitorKind::Cond, &[]).unwrap();
        s.handle_timeout(t0 + Duration::from_secs(5)).unwrap();
        for k in 2..6 {
            let t = t0 + Duration::from_secs(5 * k);
            assert_eq!(s.poll_timeout(), Some(t));
            s.handle_timeout(t).unwrap();
        }
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
        s.handle_timeout(t0 + Duration::from_secs(34)).unwrap();
        assert!(matches!(
            s.handle_timeout(t0 + Duration::from_secs(35)),
            Err(SessionError::ProbeTimeout(_))
        ));
    }

    #[test]
    fn transact_errors_and_locks() {
        let t0 = Instant::now();
        let mut s = session(t0);
        let id = s.transact("D", &[Operation::Comment("x".into())]);
        s.handle_bytes(t0, br#"{"id":1,"result":[{},{"error":"constraint violation","details":"d"}],"error":null}"#).unwrap();
        match s.poll_event() {
            Some(Event::Transacted { id: i, results }) => {
                assert_eq!(i, id);
                assert_eq!(results[1].error().unwrap().error, "constraint violation");
            }
            other => panic!("{other:?}"),
        }
        let id = s.lock("L");
        s.handle_bytes(t0, br#"{"id":2,"result":{"locked":false},"error":null}{"id":null,"method":"locked","params":["L"]}"#).unwrap();
        assert!(matches!(s.poll_event(), Some(Event::Lock { id: i, locked: false }) if i == id));
        assert!(matches!(s.poll_event(), Some(Event::Locked { ref lock }) if lock == "L"));
        let id = s.request("frob", &json!([]));
        s.handle_bytes(
            t0,
            br#"{"id":3,"result":null,"error":{"error":"unknown method"}}"#,
        )
        .unwrap();
        assert!(
            matches!(s.poll_event(), Some(Event::Error { id: i, method: "frob", ref error }) if i == id && error.error == "unknown method")
        );
    }

    #[test]
    fn bad_update_is_a_named_error() {
        let t0 = Instant::now();
        let mut s = session(t0);
        s.set_schema(Arc::new(DatabaseSchema::from_str_json(SCHEMA).unwrap()));
        s.monitor("D", "m", MonitorKind::Cond, &[MonitorRequest::table("T")])
            .unwrap();
        let note = format!(
            r#"{{"id":null,"method":"update2","params":["m",{{"T":{{"{U1}":{{"modify":{{"name":7}}}}}}}}]}}"#
        );
        let e = s.handle_bytes(t0, note.as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("update2: table T: row {U1}: column name: ")),
            "{e}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(chunks in proptest::collection::vec(r#"[\[\]{}",:a-z0-9 ]{0,40}|\{"id":null,"method":"update[23]?","params":\["m",|\{"id":[0-9],"result":"#, 0..8)) {
            let t0 = Instant::now();
            let mut s = session(t0);
            s.set_schema(Arc::new(DatabaseSchema::from_str_json(SCHEMA).unwrap()));
            let _ = s.monitor("D", "m", MonitorKind::Since(None), &[MonitorRequest::table("T")]);
            for c in chunks {
                if s.handle_bytes(t0, c.as_bytes()).is_err() { break; }
                while s.poll_event().is_some() {}
            }
        }
    }
}
