//! The driver task: one `tokio::select!` loop that moves bytes between the socket and a
//! `conn::Connection`, routes replies to waiting callers, and reconnects with backoff.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::HashMap;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{Instrument, debug, info_span, warn};

use crate::conn::{Config, ConnError, Connection, ErrorOrigin, Event};
use crate::msg::{
    ErrorMsg, FeaturesReply, Message, MsgError, MultipartReply, MultipartRequest, Xid,
};

use super::client::{AsyncEvent, Options};
use super::{IoError, Target};

/// Stop taking commands while this much is queued for the socket (keeps a 1M-flow bundle from
/// being encoded into memory faster than vswitchd reads it).
const TX_HIGH_WATER: usize = 4 << 20;

type BundleEncoder = Box<dyn FnMut(&mut BytesMut, Xid) -> Result<bool, MsgError> + Send>;

pub(crate) enum Command {
    Request {
        msg: Message,
        reply: oneshot::Sender<Result<Message, IoError>>,
    },
    Send {
        msg: Message,
        reply: oneshot::Sender<Result<Xid, IoError>>,
    },
    SendAll {
        msgs: Vec<Message>,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
    Multipart {
        req: MultipartRequest,
        parts: mpsc::Sender<Result<MultipartReply, IoError>>,
    },
    BundleOpen {
        bundle_id: u32,
        flags: u16,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
    BundleAdd {
        bundle_id: u32,
        flags: u16,
        msgs: Vec<Message>,
    },
    BundleEncode {
        bundle_id: u32,
        flags: u16,
        encode: BundleEncoder,
        done: oneshot::Sender<Result<(), IoError>>,
    },
    BundleCommit {
        bundle_id: u32,
        flags: u16,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
    Shutdown,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Request { .. } => "Request",
            Command::Send { .. } => "Send",
            Command::SendAll { .. } => "SendAll",
            Command::Multipart { .. } => "Multipart",
            Command::BundleOpen { .. } => "BundleOpen",
            Command::BundleAdd { .. } => "BundleAdd",
            Command::BundleEncode { .. } => "BundleEncode",
            Command::BundleCommit { .. } => "BundleCommit",
            Command::Shutdown => "Shutdown",
        })
    }
}

pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

pub(crate) async fn connect(target: &Target) -> Result<Box<dyn Stream>, IoError> {
    let err = |e: std::io::Error| IoError::Connect {
        target: target.to_string(),
        reason: e.to_string(),
    };
    Ok(match target {
        Target::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await.map_err(err)?),
        Target::Tcp(hp) => {
            let s = tokio::net::TcpStream::connect(hp.as_str())
                .await
                .map_err(err)?;
            let _ = s.set_nodelay(true);
            Box::new(s)
        }
    })
}

enum Pending {
    Single(oneshot::Sender<Result<Message, IoError>>),
    Parts(mpsc::Sender<Result<MultipartReply, IoError>>),
    /// The barrier closing a `SendAll`: errors collected so far for xids `first..barrier`.
    SendAll {
        errors: Vec<(u32, ErrorMsg)>,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
    BundleOpen(oneshot::Sender<Result<(), IoError>>),
    BundleCommit {
        bundle_id: u32,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
    /// The barrier sent before a commit: vswitchd reports a message that fails to decode or
    /// validate at BUNDLE_ADD time and then leaves it out of the bundle, so a commit would apply
    /// the rest. We wait for this barrier and discard the bundle if any add failed.
    BundleCheck {
        bundle_id: u32,
        flags: u16,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
    BundleDiscard {
        failed: Vec<(u32, ErrorMsg)>,
        reply: oneshot::Sender<Result<(), IoError>>,
    },
}

enum End {
    Stopped,
    Lost(ConnError),
}

pub(crate) async fn run(
    target: Target,
    opts: Options,
    first: Box<dyn Stream>,
    mut cmds: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<AsyncEvent>,
    ready: oneshot::Sender<Result<Option<FeaturesReply>, IoError>>,
) {
    let span = info_span!("openflow", %target);
    async move {
        let mut ready = Some(ready);
        let mut stream = Some(first);
        let mut next_xid = opts.first_xid;
        let mut backoff = opts.backoff_min;
        loop {
            if let Some(s) = stream.take() {
                let mut session = Session::new(&opts, next_xid, &events);
                let end = session.run(s, &mut cmds, &mut ready).await;
                next_xid = session.conn.alloc_xid();
                match end {
                    End::Stopped => return,
                    End::Lost(e) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(Err(IoError::Disconnected(e)));
                            return;
                        }
                        warn!(error = %e, "openflow connection lost");
                        let _ = events.send(AsyncEvent::Disconnected(e));
                        if !opts.reconnect {
                            return;
                        }
                    }
                }
            }
            // Disconnected: fail commands fast while backing off.
            let deadline = Instant::now() + backoff;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => break,
                    c = cmds.recv() => match c {
                        None | Some(Command::Shutdown) => return,
                        Some(c) => fail(c, || IoError::Disconnected(ConnError::Eof)),
                    },
                }
            }
            match connect(&target).await {
                Ok(s) => {
                    backoff = opts.backoff_min;
                    stream = Some(s);
                }
                Err(e) => {
                    debug!(error = %e, ?backoff, "reconnect failed");
                    backoff = (backoff * 2).min(opts.backoff_max);
                }
            }
        }
    }
    .instrument(span)
    .await;
}

fn fail(c: Command, err: impl Fn() -> IoError) {
    match c {
        Command::Request { reply, .. } => drop(reply.send(Err(err()))),
        Command::Send { reply, .. } => drop(reply.send(Err(err()))),
        Command::SendAll { reply, .. } => drop(reply.send(Err(err()))),
        Command::Multipart { parts, .. } => drop(parts.try_send(Err(err()))),
        Command::BundleOpen { reply, .. } | Command::BundleCommit { reply, .. } => {
            drop(reply.send(Err(err())));
        }
        Command::BundleEncode { done, .. } => drop(done.send(Err(err()))),
        Command::BundleAdd { .. } | Command::Shutdown => {}
    }
}

struct Session<'a> {
    conn: Connection,
    pending: HashMap<Xid, Pending>,
    /// Errors of messages inside open bundles, by bundle id.
    bundle_errors: HashMap<u32, Vec<(u32, ErrorMsg)>>,
    /// Open SendAll batches: (first xid, barrier xid).
    send_alls: Vec<(Xid, Xid)>,
    events: &'a mpsc::UnboundedSender<AsyncEvent>,
    wbuf: std::collections::VecDeque<Bytes>,
    wlen: usize,
    /// Bulk bundle encoders, run a slice at a time while the socket has room.
    encoders: std::collections::VecDeque<Encoder>,
}

struct Encoder {
    bundle_id: u32,
    flags: u16,
    encode: BundleEncoder,
    done: oneshot::Sender<Result<(), IoError>>,
}

/// Bytes of bundle messages encoded per slice before the loop checks the socket again.
const ENCODE_SLICE: usize = 256 << 10;

impl<'a> Session<'a> {
    fn new(opts: &Options, first_xid: Xid, events: &'a mpsc::UnboundedSender<AsyncEvent>) -> Self {
        let cfg = Config {
            probe_interval: opts.probe_interval,
            first_xid,
            fetch_features: opts.fetch_features,
        };
        Session {
            conn: Connection::new(cfg, Instant::now().into_std()),
            pending: HashMap::new(),
            bundle_errors: HashMap::new(),
            send_alls: Vec::new(),
            events,
            wbuf: Default::default(),
            wlen: 0,
            encoders: Default::default(),
        }
    }

    async fn run(
        &mut self,
        stream: Box<dyn Stream>,
        cmds: &mut mpsc::Receiver<Command>,
        ready: &mut Option<oneshot::Sender<Result<Option<FeaturesReply>, IoError>>>,
    ) -> End {
        let (mut rd, mut wr) = tokio::io::split(stream);
        let mut connected = false;
        let end = loop {
            if connected && self.wlen < TX_HIGH_WATER {
                self.pump();
            }
            // Events first: answering them (a commit after its check barrier) queues bytes.
            if let Some(end) = self.dispatch(ready, &mut connected).await {
                break end;
            }
            while let Some(b) = self.conn.poll_transmit() {
                self.wlen += b.len();
                self.wbuf.push_back(b);
            }
            let timeout = self.conn.poll_timeout().map(Instant::from_std);
            let can_take = connected && self.wlen < TX_HIGH_WATER && self.encoders.is_empty();
            tokio::select! {
                r = rd.read_buf(self.conn.rx_buffer()) => match r {
                    Ok(0) => self.conn.close(ConnError::Eof),
                    Ok(_) => self.conn.process_rx(Instant::now().into_std()),
                    Err(e) => self.conn.close(ConnError::Io(e.to_string())),
                },
                r = wr.write(self.wbuf.front().map_or(&[][..], |b| &b[..])), if !self.wbuf.is_empty() => match r {
                    Ok(n) => {
                        self.wlen -= n;
                        let front = self.wbuf.front_mut().expect("non-empty");
                        front.advance(n);
                        if front.is_empty() {
                            self.wbuf.pop_front();
                        }
                    }
                    Err(e) => self.conn.close(ConnError::Io(e.to_string())),
                },
                c = cmds.recv(), if can_take => match c {
                    None | Some(Command::Shutdown) => {
                        // Flush what is queued, best effort, then stop.
                        while let Some(b) = self.wbuf.pop_front() {
                            if wr.write_all(&b).await.is_err() {
                                break;
                            }
                        }
                        let _ = wr.shutdown().await;
                        break End::Stopped;
                    }
                    Some(c) => self.command(c),
                },
                _ = sleep_opt(timeout) => self.conn.handle_timeout(Instant::now().into_std()),
            }
        };
        let err = match &end {
            End::Lost(e) => e.clone(),
            End::Stopped => ConnError::Eof,
        };
        for enc in self.encoders.drain(..) {
            let _ = enc.done.send(Err(IoError::Disconnected(err.clone())));
        }
        for (_, p) in self.pending.drain() {
            let e = IoError::Disconnected(err.clone());
            match p {
                Pending::Single(r) => drop(r.send(Err(e))),
                Pending::Parts(r) => drop(r.try_send(Err(e))),
                Pending::SendAll { reply, .. } => drop(reply.send(Err(e))),
                Pending::BundleOpen(r) => drop(r.send(Err(e))),
                Pending::BundleCommit { reply, .. }
                | Pending::BundleCheck { reply, .. }
                | Pending::BundleDiscard { reply, .. } => drop(reply.send(Err(e))),
            }
        }
        end
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Request { msg, reply } => match self.conn.send(&msg) {
                Ok(xid) => {
                    self.pending.insert(xid, Pending::Single(reply));
                }
                Err(e) => drop(reply.send(Err(IoError::Encode(e)))),
            },
            Command::Send { msg, reply } => {
                drop(reply.send(self.conn.send(&msg).map_err(IoError::Encode)));
            }
            Command::SendAll { msgs, reply } => {
                let first = self.conn.alloc_xid();
                let mut xid = first;
                for m in &msgs {
                    if let Err(e) = self.conn.send_with_xid(m, xid) {
                        let _ = reply.send(Err(IoError::Encode(e)));
                        return;
                    }
                    xid = self.conn.alloc_xid();
                }
                // The last allocated xid goes to the barrier.
                let _ = self.conn.send_with_xid(&Message::BarrierRequest, xid);
                self.send_alls.push((first, xid));
                self.pending.insert(
                    xid,
                    Pending::SendAll {
                        errors: Vec::new(),
                        reply,
                    },
                );
            }
            Command::Multipart { req, parts } => {
                match self.conn.send(&Message::MultipartRequest(req)) {
                    Ok(xid) => {
                        self.pending.insert(xid, Pending::Parts(parts));
                    }
                    Err(e) => drop(parts.try_send(Err(IoError::Encode(e)))),
                }
            }
            Command::BundleOpen {
                bundle_id,
                flags,
                reply,
            } => {
                let xid = self.conn.open_bundle_with_flags(bundle_id, flags);
                self.bundle_errors.insert(bundle_id, Vec::new());
                self.pending.insert(xid, Pending::BundleOpen(reply));
            }
            Command::BundleAdd {
                bundle_id,
                flags,
                msgs,
            } => {
                for m in &msgs {
                    if let Err(e) = self.conn.bundle_add(bundle_id, flags, m) {
                        // Record it as a failure of that message so the commit reports it.
                        let idx = self.conn.bundle_len(bundle_id);
                        warn!(bundle_id, idx, error = %e, "cannot encode bundle message");
                        let err = ErrorMsg::from_name("OFPBRC_BAD_LEN", Bytes::new())
                            .expect("known name");
                        self.bundle_errors
                            .entry(bundle_id)
                            .or_default()
                            .push((idx, err));
                    }
                }
            }
            Command::BundleEncode {
                bundle_id,
                flags,
                encode,
                done,
            } => {
                // Encoded incrementally by `pump` as the socket drains.
                self.encoders.push_back(Encoder {
                    bundle_id,
                    flags,
                    encode,
                    done,
                });
            }
            Command::BundleCommit {
                bundle_id,
                flags,
                reply,
            } => {
                let xid = self.conn.barrier();
                self.pending.insert(
                    xid,
                    Pending::BundleCheck {
                        bundle_id,
                        flags,
                        reply,
                    },
                );
            }
            Command::Shutdown => {}
        }
    }

    /// Runs the first bulk encoder for one slice; finishes it when it has no more messages.
    fn pump(&mut self) {
        let Some(enc) = self.encoders.front_mut() else {
            return;
        };
        let start = self.conn.tx_len();
        let mut finished = false;
        while !finished && self.conn.tx_len() - start < ENCODE_SLICE {
            let encode = &mut enc.encode;
            match self
                .conn
                .bundle_add_opt(enc.bundle_id, enc.flags, |out, xid| encode(out, xid))
            {
                Ok(Some(_)) => {}
                Ok(None) => finished = true,
                Err(e) => {
                    let enc = self.encoders.pop_front().expect("front exists");
                    let _ = enc.done.send(Err(IoError::Encode(e)));
                    return;
                }
            }
        }
        if finished {
            let enc = self.encoders.pop_front().expect("front exists");
            let _ = enc.done.send(Ok(()));
        }
    }

    /// Drains the connection's events; returns how the session ended if it did.
    async fn dispatch(
        &mut self,
        ready: &mut Option<oneshot::Sender<Result<Option<FeaturesReply>, IoError>>>,
        connected: &mut bool,
    ) -> Option<End> {
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Connected { features } => {
                    *connected = true;
                    match ready.take() {
                        Some(r) => drop(r.send(Ok(features))),
                        None => drop(self.events.send(AsyncEvent::Connected { features })),
                    }
                }
                Event::Reply { xid, msg } => self.reply(xid, msg).await,
                Event::Error { xid, error, origin } => self.error(xid, error, origin),
                Event::Async { xid, msg } => {
                    drop(self.events.send(AsyncEvent::Message { xid, msg }));
                }
                Event::Undecodable { header, error } => {
                    if let Some(p) = self.pending.remove(&header.xid) {
                        let e = IoError::Decode(error.clone());
                        match p {
                            Pending::Single(r) => drop(r.send(Err(e))),
                            Pending::Parts(r) => drop(r.send(Err(e)).await),
                            other => {
                                self.pending.insert(header.xid, other);
                            }
                        }
                    }
                    let _ = self.events.send(AsyncEvent::Undecodable { header, error });
                }
                Event::Closed(e) => return Some(End::Lost(e)),
            }
        }
        None
    }

    async fn reply(&mut self, xid: Xid, msg: Message) {
        let Some(p) = self.pending.remove(&xid) else {
            let _ = self.events.send(AsyncEvent::Message { xid, msg });
            return;
        };
        match p {
            Pending::Single(r) => drop(r.send(Ok(msg))),
            Pending::Parts(tx) => match msg {
                Message::MultipartReply(part) => {
                    let more = part.more();
                    // Awaiting here is the backpressure: a slow consumer pauses reading.
                    let _ = tx.send(Ok(part)).await;
                    if more {
                        self.pending.insert(xid, Pending::Parts(tx));
                    }
                }
                m => drop(tx.send(Err(IoError::UnexpectedReply(m.name()))).await),
            },
            Pending::SendAll { errors, reply, .. } => {
                self.send_alls.retain(|&(_, b)| b != xid);
                let r = if errors.is_empty() {
                    Ok(())
                } else {
                    Err(IoError::Batch { failed: errors })
                };
                let _ = reply.send(r);
            }
            Pending::BundleOpen(r) => drop(r.send(Ok(()))),
            Pending::BundleCheck {
                bundle_id,
                flags,
                reply,
            } => {
                let failed = self
                    .bundle_errors
                    .get(&bundle_id)
                    .is_some_and(|e| !e.is_empty());
                if failed {
                    let failed = self.bundle_errors.remove(&bundle_id).unwrap_or_default();
                    let xid = self.conn.discard_bundle(bundle_id);
                    self.pending
                        .insert(xid, Pending::BundleDiscard { failed, reply });
                } else {
                    let xid = self.conn.commit_bundle_with_flags(bundle_id, flags);
                    self.pending
                        .insert(xid, Pending::BundleCommit { bundle_id, reply });
                }
            }
            Pending::BundleDiscard { failed, reply } => {
                let _ = reply.send(Err(IoError::Bundle {
                    failed,
                    commit: None,
                }));
            }
            Pending::BundleCommit { bundle_id, reply } => {
                let errors = self.bundle_errors.remove(&bundle_id).unwrap_or_default();
                let r = if errors.is_empty() {
                    Ok(())
                } else {
                    Err(IoError::Bundle {
                        failed: errors,
                        commit: None,
                    })
                };
                let _ = reply.send(r);
            }
        }
    }

    fn error(&mut self, xid: Xid, error: ErrorMsg, origin: ErrorOrigin) {
        if let ErrorOrigin::Bundle { bundle_id, index } = origin {
            self.bundle_errors
                .entry(bundle_id)
                .or_default()
                .push((index, error));
            return;
        }
        if let Some(&(first, barrier)) = self
            .send_alls
            .iter()
            .find(|&&(f, b)| xid.wrapping_sub(f) < b.wrapping_sub(f))
            && let Some(Pending::SendAll { errors, .. }) = self.pending.get_mut(&barrier)
        {
            errors.push((xid.wrapping_sub(first), error));
            return;
        }
        match self.pending.remove(&xid) {
            Some(Pending::Single(r)) => drop(r.send(Err(IoError::Switch(error)))),
            Some(Pending::Parts(r)) => drop(r.try_send(Err(IoError::Switch(error)))),
            Some(Pending::BundleOpen(r)) => drop(r.send(Err(IoError::Switch(error)))),
            Some(Pending::BundleCheck { reply, .. }) => {
                drop(reply.send(Err(IoError::Switch(error))));
            }
            Some(Pending::BundleDiscard { failed, reply }) => {
                let _ = reply.send(Err(IoError::Bundle {
                    failed,
                    commit: Some(error),
                }));
            }
            Some(Pending::BundleCommit { bundle_id, reply }) => {
                let failed = self.bundle_errors.remove(&bundle_id).unwrap_or_default();
                let _ = reply.send(Err(IoError::Bundle {
                    failed,
                    commit: Some(error),
                }));
            }
            Some(p @ Pending::SendAll { .. }) => {
                self.pending.insert(xid, p);
                let _ = self.events.send(AsyncEvent::Error { xid, error });
            }
            None => drop(self.events.send(AsyncEvent::Error { xid, error })),
        }
    }
}

async fn sleep_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
