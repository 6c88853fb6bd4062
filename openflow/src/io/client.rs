//! `Client`: the cloneable handle to a driver task, and the streams it hands out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::conn::ConnError;
use crate::msg::{
    BUNDLE_ATOMIC, BUNDLE_ORDERED, ErrorMsg, FeaturesReply, FlowStatsIter, FlowStatsRequest,
    Header, Message, MsgError, MultipartReply, MultipartRequest, Xid,
};

use super::driver::{self, Command};
use super::{IoError, Target};

/// Driver settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Inactivity probe (see `conn::Config::probe_interval`).
    pub probe_interval: Option<Duration>,
    /// Reconnect after the connection drops (first connect failures are returned instead).
    pub reconnect: bool,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// The xid of the first hello (ovs-ofctl uses 1).
    pub first_xid: Xid,
    /// Fetch the features reply during the handshake.
    pub fetch_features: bool,
    /// Messages per BUNDLE_ADD batch handed to the driver (bounds memory while streaming).
    pub bundle_chunk: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            probe_interval: None,
            reconnect: true,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(8),
            first_xid: 1,
            fetch_features: true,
            bundle_chunk: 2048,
        }
    }
}

/// Something the switch said on its own, or a change of connection state.
#[derive(Debug, Clone, PartialEq)]
pub enum AsyncEvent {
    /// (Re)connected and negotiated. After a reconnect vswitchd may have restarted and lost its
    /// flows, groups, meters and TLV map: replay them.
    Connected { features: Option<FeaturesReply> },
    /// The connection dropped; the driver reconnects if configured to.
    Disconnected(ConnError),
    /// An unsolicited message: packet-in2, port status, flow removed, … On a service connection
    /// (the bridge's `.mgmt` socket) vswitchd sends these only after a SET_CONFIG with a nonzero
    /// `miss_send_len`, as OVN's pinctrl does.
    Message { xid: Xid, msg: Message },
    /// The switch refused a message sent with `Client::send` (no one was waiting for it).
    Error { xid: Xid, error: ErrorMsg },
    /// A message that could not be decoded.
    Undecodable { header: Header, error: MsgError },
}

/// The receiving side of the asynchronous events.
#[derive(Debug)]
pub struct Events {
    pub(crate) rx: mpsc::UnboundedReceiver<AsyncEvent>,
}

impl Events {
    /// The next event; `None` once the driver has stopped.
    pub async fn next(&mut self) -> Option<AsyncEvent> {
        self.rx.recv().await
    }

    /// An event if one is queued.
    pub fn try_next(&mut self) -> Option<AsyncEvent> {
        self.rx.try_recv().ok()
    }
}

/// The parts of one multipart reply, in order, as they arrive.
#[derive(Debug)]
pub struct MultipartStream {
    pub(crate) rx: mpsc::Receiver<Result<MultipartReply, IoError>>,
    pub(crate) done: bool,
}

impl MultipartStream {
    /// The next part; `None` after the part without `OFPMPF_REPLY_MORE`.
    pub async fn next(&mut self) -> Option<Result<MultipartReply, IoError>> {
        if self.done {
            return None;
        }
        let r = self.rx.recv().await.unwrap_or(Err(IoError::Stopped));
        if !matches!(&r, Ok(p) if p.more()) {
            self.done = true;
        }
        Some(r)
    }
}

/// A cloneable handle to one OpenFlow connection driven by a background task.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) cmds: mpsc::Sender<Command>,
    pub(crate) next_bundle: Arc<AtomicU32>,
    pub(crate) bundle_chunk: usize,
}

impl Client {
    /// Connects, negotiates OpenFlow 1.5 and spawns the driver on the current tokio runtime.
    /// Returns once the handshake is done, with the features reply if requested.
    pub async fn connect(
        target: &Target,
        opts: Options,
    ) -> Result<(Client, Events, Option<FeaturesReply>), IoError> {
        let (cmds_tx, cmds_rx) = mpsc::channel(64);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let chunk = opts.bundle_chunk.max(1);
        let stream = driver::connect(target).await?;
        tokio::spawn(driver::run(
            target.clone(),
            opts,
            stream,
            cmds_rx,
            ev_tx,
            ready_tx,
        ));
        let features = ready_rx.await.map_err(|_| IoError::Stopped)??;
        let client = Client {
            cmds: cmds_tx,
            next_bundle: Arc::new(AtomicU32::new(1)),
            bundle_chunk: chunk,
        };
        Ok((client, Events { rx: ev_rx }, features))
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, IoError>>) -> Command,
    ) -> Result<T, IoError> {
        let (tx, rx) = oneshot::channel();
        self.cmds
            .send(make(tx))
            .await
            .map_err(|_| IoError::Stopped)?;
        rx.await.map_err(|_| IoError::Stopped)?
    }

    /// Sends a request that gets exactly one reply (echo, features, get-config, barrier,
    /// TLV table request, bundle control, role) and returns the reply. An `OFPT_ERROR` answer
    /// becomes `IoError::Switch`.
    pub async fn request(&self, msg: Message) -> Result<Message, IoError> {
        self.call(|reply| Command::Request { msg, reply }).await
    }

    /// Sends a message that gets no reply on success (flow_mod, group_mod, meter_mod, packet-out,
    /// TLV table mod …). Returns its xid once queued; errors arrive as `AsyncEvent::Error`.
    pub async fn send(&self, msg: Message) -> Result<Xid, IoError> {
        self.call(|reply| Command::Send { msg, reply }).await
    }

    /// Sends `msgs` then a barrier, and waits for it: returns the errors of any of them (by
    /// index), or `Ok` when all were applied.
    pub async fn send_all(&self, msgs: Vec<Message>) -> Result<(), IoError> {
        self.call(|reply| Command::SendAll { msgs, reply }).await
    }

    /// Waits until the switch has processed everything sent before.
    pub async fn barrier(&self) -> Result<(), IoError> {
        match self.request(Message::BarrierRequest).await? {
            Message::BarrierReply => Ok(()),
            m => Err(IoError::UnexpectedReply(m.name())),
        }
    }

    /// Sends a multipart request; the reply parts stream back.
    pub async fn multipart(&self, req: MultipartRequest) -> Result<MultipartStream, IoError> {
        let (tx, rx) = mpsc::channel(32);
        self.cmds
            .send(Command::Multipart { req, parts: tx })
            .await
            .map_err(|_| IoError::Stopped)?;
        Ok(MultipartStream { rx, done: false })
    }

    /// Streams the flows matching `filter`: call `next` until `None`.
    pub async fn dump_flows(&self, filter: &FlowStatsRequest) -> Result<FlowDump, IoError> {
        Ok(FlowDump {
            parts: self.multipart(filter.flows()).await?,
            cur: None,
        })
    }

    /// Applies `msgs` (flow_mods, group_mods) atomically and in order in one bundle: open,
    /// stream the adds in chunks (never the whole list encoded at once), commit. On failure the
    /// error names the offending messages by 0-based index, and nothing was applied.
    pub async fn send_bundle<I>(&self, msgs: I) -> Result<(), IoError>
    where
        I: IntoIterator<Item = Message>,
    {
        let bundle_id = self.next_bundle.fetch_add(1, Ordering::Relaxed);
        let flags = BUNDLE_ORDERED | BUNDLE_ATOMIC;
        self.call(|reply| Command::BundleOpen {
            bundle_id,
            flags,
            reply,
        })
        .await?;
        let mut chunk = Vec::with_capacity(self.bundle_chunk);
        for m in msgs {
            chunk.push(m);
            if chunk.len() == self.bundle_chunk {
                let msgs = std::mem::replace(&mut chunk, Vec::with_capacity(self.bundle_chunk));
                self.cmds
                    .send(Command::BundleAdd {
                        bundle_id,
                        flags,
                        msgs,
                    })
                    .await
                    .map_err(|_| IoError::Stopped)?;
            }
        }
        if !chunk.is_empty() {
            self.cmds
                .send(Command::BundleAdd {
                    bundle_id,
                    flags,
                    msgs: chunk,
                })
                .await
                .map_err(|_| IoError::Stopped)?;
        }
        self.call(|reply| Command::BundleCommit {
            bundle_id,
            flags,
            reply,
        })
        .await
    }

    /// Like `send_bundle`, with the inner messages encoded by `encode` straight into the
    /// driver's socket buffer (the zero-copy bulk path: no `Message` per flow). The driver calls
    /// `encode(buffer, xid)` repeatedly, a slice at a time as the socket drains; each call must
    /// append one complete message carrying `xid` and return `true`, or append nothing and
    /// return `false` when there are no more.
    pub async fn send_bundle_encoded<F>(&self, encode: F) -> Result<(), IoError>
    where
        F: FnMut(&mut bytes::BytesMut, Xid) -> Result<bool, MsgError> + Send + 'static,
    {
        let bundle_id = self.next_bundle.fetch_add(1, Ordering::Relaxed);
        let flags = BUNDLE_ORDERED | BUNDLE_ATOMIC;
        self.call(|reply| Command::BundleOpen {
            bundle_id,
            flags,
            reply,
        })
        .await?;
        let (done_tx, done_rx) = oneshot::channel();
        self.cmds
            .send(Command::BundleEncode {
                bundle_id,
                flags,
                encode: Box::new(encode),
                done: done_tx,
            })
            .await
            .map_err(|_| IoError::Stopped)?;
        done_rx.await.map_err(|_| IoError::Stopped)??;
        self.call(|reply| Command::BundleCommit {
            bundle_id,
            flags,
            reply,
        })
        .await
    }

    /// Asks the driver to close the connection and stop.
    pub async fn shutdown(&self) {
        let _ = self.cmds.send(Command::Shutdown).await;
    }
}

/// A streaming flow dump: yields each flow as its reply part arrives.
#[derive(Debug)]
pub struct FlowDump {
    parts: MultipartStream,
    cur: Option<FlowStatsIter>,
}

impl FlowDump {
    /// The next flow, `None` at the end of the dump.
    pub async fn next(&mut self) -> Option<Result<crate::msg::FlowStats, IoError>> {
        loop {
            if let Some(it) = &mut self.cur {
                if let Some(r) = it.next() {
                    return Some(r.map_err(IoError::Decode));
                }
                self.cur = None;
            }
            match self.parts.next().await? {
                Ok(part) => self.cur = Some(FlowStatsIter::new(part.body)),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The next raw reply part (for callers that format whole parts at once).
    pub async fn next_part(&mut self) -> Option<Result<MultipartReply, IoError>> {
        self.parts.next().await
    }
}
