//! `Connection`: the sans-IO OpenFlow 1.5 client state machine (no sockets, time passed in).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tracing::{debug, trace, warn};

use crate::msg::{
    BUNDLE_ATOMIC, BUNDLE_ORDERED, BundleAdd, BundleCtrl, BundleCtrlType, ErrorMsg, Header, Hello,
    Message, MsgError, MsgType, OFP15_VERSION, Xid,
};

use super::bundle_tracker::BundleTracker;
use super::{ConnError, ErrorOrigin, Event, Framer};

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Send an echo request after this long without receiving anything, and give up after the
    /// same time again (OVS `rconn` probe semantics). `None` disables probing, which is what
    /// ovn-controller does on br-int by default.
    pub probe_interval: Option<Duration>,
    /// The xid of our hello; later requests count up from it. `ovs-ofctl` starts at 1, which
    /// makes its xids (and so its printed titles) reproducible.
    pub first_xid: Xid,
    /// Send a FEATURES_REQUEST after the hello and report the reply in `Event::Connected`.
    pub fetch_features: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            probe_interval: None,
            first_xid: 1,
            fetch_features: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitHello,
    AwaitFeatures(Xid),
    Ready,
    Closed,
}

/// One OpenFlow 1.5 session, client side.
///
/// Polling order (as in quinn-proto): whenever input arrives call [`handle_bytes`] (or fill
/// [`rx_buffer`] and call [`process_rx`]); when the timer from [`poll_timeout`] fires call
/// [`handle_timeout`]; after either, drain [`poll_transmit`] to the socket, re-read
/// [`poll_timeout`], and drain [`poll_event`]. Commands ([`send`], [`barrier`],
/// [`bundle_add`]…) only queue bytes and return the xid that the matching replies/errors carry.
///
/// Messages may be queued before negotiation completes; they are sent right behind our hello
/// (vswitchd handles them in order once it has read the hello).
///
/// [`handle_bytes`]: Connection::handle_bytes
/// [`rx_buffer`]: Connection::rx_buffer
/// [`process_rx`]: Connection::process_rx
/// [`poll_timeout`]: Connection::poll_timeout
/// [`handle_timeout`]: Connection::handle_timeout
/// [`poll_transmit`]: Connection::poll_transmit
/// [`poll_event`]: Connection::poll_event
/// [`send`]: Connection::send
/// [`barrier`]: Connection::barrier
/// [`bundle_add`]: Connection::bundle_add
#[derive(Debug)]
pub struct Connection {
    cfg: Config,
    state: State,
    next_xid: Xid,
    rx: BytesMut,
    framer: Framer,
    tx: BytesMut,
    events: VecDeque<Event>,
    last_rx: Instant,
    /// When our outstanding inactivity probe was sent, and its xid.
    probe: Option<(Instant, Xid)>,
    bundles: BundleTracker,
}

impl Connection {
    /// A new session; our hello is queued at once.
    pub fn new(cfg: Config, now: Instant) -> Connection {
        let mut c = Connection {
            next_xid: cfg.first_xid,
            cfg,
            state: State::AwaitHello,
            rx: BytesMut::with_capacity(64 * 1024),
            framer: Framer,
            tx: BytesMut::with_capacity(64 * 1024),
            events: VecDeque::new(),
            last_rx: now,
            probe: None,
            bundles: BundleTracker::default(),
        };
        let xid = c.alloc_xid();
        c.queue(&Message::Hello(Hello::of15_only()), xid)
            .expect("a hello always fits");
        c
    }

    /// Takes the next xid.
    pub fn alloc_xid(&mut self) -> Xid {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1);
        x
    }

    /// Whether negotiation (and the features exchange, if configured) has finished.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    fn queue(&mut self, msg: &Message, xid: Xid) -> Result<(), MsgError> {
        trace!(xid, msg = msg.name(), "queue");
        msg.encode(xid, &mut self.tx)
    }

    /// Queues `msg` with a fresh xid.
    pub fn send(&mut self, msg: &Message) -> Result<Xid, MsgError> {
        let xid = self.alloc_xid();
        self.queue(msg, xid)?;
        Ok(xid)
    }

    /// Queues `msg` with a caller-chosen xid (e.g. to answer the switch).
    pub fn send_with_xid(&mut self, msg: &Message, xid: Xid) -> Result<(), MsgError> {
        self.queue(msg, xid)
    }

    /// Queues already-encoded message bytes (whole messages, any xids the caller chose).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.tx.extend_from_slice(bytes);
    }

    /// Queues a message encoded by `f` straight into the transmit buffer with a fresh xid; the
    /// fast path for bulk flow_mods (no intermediate `Message`).
    pub fn send_with(
        &mut self,
        f: impl FnOnce(&mut BytesMut, Xid) -> Result<(), MsgError>,
    ) -> Result<Xid, MsgError> {
        let xid = self.alloc_xid();
        let mark = self.tx.len();
        f(&mut self.tx, xid).inspect_err(|_| self.tx.truncate(mark))?;
        Ok(xid)
    }

    /// Queues a BARRIER_REQUEST; its `Event::Reply` means every earlier message was processed.
    pub fn barrier(&mut self) -> Xid {
        self.send(&Message::BarrierRequest)
            .expect("a barrier always fits")
    }

    /// Queues an ECHO_REQUEST with `payload`.
    pub fn echo(&mut self, payload: Bytes) -> Result<Xid, MsgError> {
        self.send(&Message::EchoRequest(payload))
    }

    /// Queues BUNDLE_CONTROL OPEN_REQUEST for `bundle_id` with ORDERED|ATOMIC (what OVN uses).
    pub fn open_bundle(&mut self, bundle_id: u32) -> Xid {
        self.open_bundle_with_flags(bundle_id, BUNDLE_ORDERED | BUNDLE_ATOMIC)
    }

    pub fn open_bundle_with_flags(&mut self, bundle_id: u32, flags: u16) -> Xid {
        self.bundles.open(bundle_id);
        let m = Message::BundleControl(BundleCtrl::new(
            bundle_id,
            BundleCtrlType::OPEN_REQUEST,
            flags,
        ));
        self.send(&m).expect("a bundle control always fits")
    }

    /// Queues `msg` inside bundle `bundle_id`. An error for it is reported with
    /// `ErrorOrigin::Bundle { index }`, `index` counting this bundle's adds from 0.
    pub fn bundle_add(
        &mut self,
        bundle_id: u32,
        flags: u16,
        msg: &Message,
    ) -> Result<Xid, MsgError> {
        self.bundle_add_with(bundle_id, flags, |out, xid| msg.encode(xid, out))
    }

    /// Like `bundle_add`, with the inner message encoded by `f` directly into the transmit
    /// buffer (it must use the xid it is given).
    pub fn bundle_add_with(
        &mut self,
        bundle_id: u32,
        flags: u16,
        f: impl FnOnce(&mut BytesMut, Xid) -> Result<(), MsgError>,
    ) -> Result<Xid, MsgError> {
        let xid = self.alloc_xid();
        BundleAdd::encode_with(&mut self.tx, xid, bundle_id, flags, |out| f(out, xid))?;
        self.bundles.add(bundle_id, xid);
        Ok(xid)
    }

    /// Like `bundle_add_with`, for a producer that may have nothing more: `f` returns `Ok(false)`
    /// without writing when it is exhausted, and then nothing is queued (`Ok(None)`).
    pub fn bundle_add_opt(
        &mut self,
        bundle_id: u32,
        flags: u16,
        f: impl FnOnce(&mut BytesMut, Xid) -> Result<bool, MsgError>,
    ) -> Result<Option<Xid>, MsgError> {
        let xid = self.next_xid;
        let mark = self.tx.len();
        let mut wrote = true;
        BundleAdd::encode_with(&mut self.tx, xid, bundle_id, flags, |out| {
            wrote = f(out, xid)?;
            Ok(())
        })?;
        if !wrote {
            self.tx.truncate(mark);
            return Ok(None);
        }
        self.next_xid = self.next_xid.wrapping_add(1);
        self.bundles.add(bundle_id, xid);
        Ok(Some(xid))
    }

    /// Number of messages added to the open bundle `bundle_id`.
    pub fn bundle_len(&self, bundle_id: u32) -> u32 {
        self.bundles.len(bundle_id)
    }

    /// Queues COMMIT_REQUEST (ORDERED|ATOMIC); the reply or an `OFPBFC_*` error carries the xid.
    pub fn commit_bundle(&mut self, bundle_id: u32) -> Xid {
        self.commit_bundle_with_flags(bundle_id, BUNDLE_ORDERED | BUNDLE_ATOMIC)
    }

    pub fn commit_bundle_with_flags(&mut self, bundle_id: u32, flags: u16) -> Xid {
        let m = Message::BundleControl(BundleCtrl::new(
            bundle_id,
            BundleCtrlType::COMMIT_REQUEST,
            flags,
        ));
        self.send(&m).expect("a bundle control always fits")
    }

    /// Queues DISCARD_REQUEST.
    pub fn discard_bundle(&mut self, bundle_id: u32) -> Xid {
        let m = Message::BundleControl(BundleCtrl::new(
            bundle_id,
            BundleCtrlType::DISCARD_REQUEST,
            0,
        ));
        self.send(&m).expect("a bundle control always fits")
    }

    /// Bytes queued for the socket and not yet taken by `poll_transmit` (for backpressure).
    pub fn tx_len(&self) -> usize {
        self.tx.len()
    }

    /// Everything queued since the last call, as one chunk (large writes, few syscalls).
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.tx.is_empty() {
            None
        } else {
            Some(self.tx.split().freeze())
        }
    }

    /// The receive buffer, for drivers that read into it directly; call `process_rx` after.
    pub fn rx_buffer(&mut self) -> &mut BytesMut {
        &mut self.rx
    }

    /// Feeds bytes read from the socket.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        self.rx.extend_from_slice(bytes);
        self.process_rx(now);
    }

    /// Processes whatever complete messages are in the receive buffer.
    pub fn process_rx(&mut self, now: Instant) {
        if self.state == State::Closed || self.rx.is_empty() {
            return;
        }
        self.last_rx = now;
        self.probe = None;
        loop {
            if self.state == State::Closed {
                return;
            }
            match self.framer.decode(&mut self.rx) {
                Ok(Some(frame)) => self.handle_frame(frame),
                Ok(None) => return,
                Err(e) => return self.close(ConnError::Framing(e)),
            }
        }
    }

    /// Ends the session (the driver calls this on EOF or a socket error).
    pub fn close(&mut self, reason: ConnError) {
        if self.state == State::Closed {
            return;
        }
        debug!(%reason, "openflow connection closed");
        self.state = State::Closed;
        self.bundles.clear();
        self.rx.clear();
        self.events.push_back(Event::Closed(reason));
    }

    /// Runs timers: the inactivity probe.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(interval) = self.cfg.probe_interval else {
            return;
        };
        if self.state == State::Closed {
            return;
        }
        match self.probe {
            Some((sent, _)) if now.saturating_duration_since(sent) >= interval => {
                self.close(ConnError::ProbeTimeout(interval * 2));
            }
            Some(_) => {}
            None if now.saturating_duration_since(self.last_rx) >= interval => {
                let xid = self.alloc_xid();
                if self.queue(&Message::EchoRequest(Bytes::new()), xid).is_ok() {
                    self.probe = Some((now, xid));
                }
            }
            None => {}
        }
    }

    /// When `handle_timeout` should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let interval = self.cfg.probe_interval?;
        if self.state == State::Closed {
            return None;
        }
        Some(match self.probe {
            Some((sent, _)) => sent + interval,
            None => self.last_rx + interval,
        })
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn handle_frame(&mut self, frame: Bytes) {
        let header = match Header::parse(&frame) {
            Ok(h) => h,
            Err(e) => return self.close(ConnError::Framing(e)),
        };
        if self.state == State::AwaitHello {
            return self.handle_first(header, &frame);
        }
        if header.version != OFP15_VERSION {
            self.events.push_back(Event::Undecodable {
                header,
                error: MsgError::BadVersion(header.version),
            });
            return;
        }
        let msg = match Message::decode(&frame) {
            Ok((_, m)) => m,
            Err(error) => {
                warn!(xid = header.xid, ty = ?header.ty, %error, "undecodable OpenFlow message");
                self.events.push_back(Event::Undecodable { header, error });
                return;
            }
        };
        let xid = header.xid;
        match msg {
            Message::EchoRequest(payload) => {
                // Answer at once; the user never sees the switch's probes.
                let _ = self.queue(&Message::EchoReply(payload), xid);
            }
            Message::EchoReply(_) if self.probe.is_some_and(|(_, x)| x == xid) => {}
            Message::Hello(_) => {}
            Message::Error(error) => self.handle_error(xid, error),
            Message::FeaturesReply(f) if self.state == State::AwaitFeatures(xid) => {
                self.state = State::Ready;
                self.events
                    .push_back(Event::Connected { features: Some(f) });
            }
            Message::BundleControl(ref b) => {
                if matches!(
                    b.ty,
                    BundleCtrlType::COMMIT_REPLY | BundleCtrlType::DISCARD_REPLY
                ) {
                    self.bundles.close(b.bundle_id);
                }
                self.events.push_back(Event::Reply { xid, msg });
            }
            ref m if is_reply(header.ty, m) => self.events.push_back(Event::Reply { xid, msg }),
            msg => self.events.push_back(Event::Async { xid, msg }),
        }
    }

    fn handle_error(&mut self, xid: Xid, error: ErrorMsg) {
        let origin = match self.bundles.lookup(xid) {
            Some((bundle_id, index)) => ErrorOrigin::Bundle { bundle_id, index },
            None => ErrorOrigin::Request,
        };
        // A failed commit or discard ends the bundle as far as the switch is concerned.
        if let Some(h) = error.offending_header()
            && h.ty == MsgType::BUNDLE_CONTROL
            && let Ok((_, Message::BundleControl(b))) = Message::decode(&error.data)
            && matches!(
                b.ty,
                BundleCtrlType::COMMIT_REQUEST | BundleCtrlType::DISCARD_REQUEST
            )
        {
            self.bundles.close(b.bundle_id);
        }
        if self.state == State::AwaitFeatures(xid) {
            self.events.push_back(Event::Error {
                xid,
                error: error.clone(),
                origin,
            });
            return self.close(ConnError::HelloFailed(format!(
                "features request failed: {error}"
            )));
        }
        self.events.push_back(Event::Error { xid, error, origin });
    }

    fn handle_first(&mut self, header: Header, frame: &Bytes) {
        if header.ty == MsgType::ERROR {
            let why = match Message::decode(frame) {
                Ok((_, Message::Error(e))) => {
                    let data = String::from_utf8_lossy(&e.data).into_owned();
                    format!("{e}: {data}")
                }
                _ => "undecodable error".to_owned(),
            };
            return self.close(ConnError::HelloFailed(why));
        }
        if header.ty != MsgType::HELLO {
            return self.close(ConnError::NoHello { ty: header.ty.0 });
        }
        // Parse the hello body with our decoder regardless of the peer's header version.
        let body = frame.get(crate::msg::HEADER_LEN..).unwrap_or_default();
        let hello = Hello::decode_elements(body).unwrap_or_default();
        if !hello.supports_of15(header.version) {
            let err = ErrorMsg::from_name(
                "OFPHFC_INCOMPATIBLE",
                Bytes::from_static(b"we support version 0x06"),
            )
            .expect("known error name");
            let _ = self.queue(&Message::Error(err), header.xid);
            return self.close(ConnError::VersionNegotiation {
                peer: header.version,
            });
        }
        debug!("negotiated OpenFlow 1.5");
        if self.cfg.fetch_features {
            let xid = self.alloc_xid();
            let _ = self.queue(&Message::FeaturesRequest, xid);
            self.state = State::AwaitFeatures(xid);
        } else {
            self.state = State::Ready;
            self.events.push_back(Event::Connected { features: None });
        }
    }
}

/// Whether a message is the answer to a request (as opposed to something the switch sends on
/// its own).
fn is_reply(ty: MsgType, m: &Message) -> bool {
    matches!(
        ty,
        MsgType::ECHO_REPLY
            | MsgType::FEATURES_REPLY
            | MsgType::GET_CONFIG_REPLY
            | MsgType::MULTIPART_REPLY
            | MsgType::BARRIER_REPLY
            | MsgType::ROLE_REPLY
            | MsgType::GET_ASYNC_REPLY
    ) || matches!(m, Message::TlvTableReply(_))
}
