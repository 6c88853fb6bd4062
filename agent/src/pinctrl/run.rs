//! `run`: the pinctrl task. Its own OpenFlow connection to the integration bridge (as
//! upstream's pinctrl thread), packet-in format `NXT_PACKET_IN2`, `miss_send_len` 65535 from
//! the switch's current config; each packet-in goes through [`handle_packet_in`] and the
//! outputs are sent (packet-outs, resumes) or batched into Southbound transactions.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use openflow::io::{AsyncEvent, Client as OfClient, IoError, Options, Target};
use openflow::msg::{Message, PacketInFormat, SwitchConfig};
use ovsdb::io::Client as SbClient;
use thiserror::Error;
use tracing::{Instrument, debug, info, info_span, warn};

use super::buffer::PacketBuffer;
use super::handler::{PinctrlOutput, handle_packet_in};
use super::learn::SbBatch;
use super::state::PinctrlState;

/// Why the pinctrl task stopped.
#[derive(Debug, Error)]
pub enum RunError {
    #[error("pinctrl: OpenFlow connection stopped")]
    Stopped,
}

/// Counters (for tests and `ovn-appctl` style diagnostics).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PinctrlStats {
    pub packet_ins: u64,
    pub packet_outs: u64,
    pub resumes: u64,
    pub sb_transactions: u64,
    pub warnings: u64,
}

/// How often writes that could not be committed are retried.
const RETRY: Duration = Duration::from_millis(250);

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Asks for the switch config (to keep its fragment handling) and sets `miss_send_len`
/// 65535 and the `NXT_PACKET_IN2` format (upstream `pinctrl_setup` + `pinctrl_recv`).
async fn setup(of: &OfClient) -> Result<(), IoError> {
    let flags = match of.request(Message::GetConfigRequest).await? {
        Message::GetConfigReply(c) => c.flags,
        _ => 0,
    };
    of.send(Message::SetConfig(SwitchConfig {
        flags,
        miss_send_len: u16::MAX,
    }))
    .await?;
    of.send(Message::SetPacketInFormat(PacketInFormat::NXT_PACKET_IN2))
        .await?;
    of.barrier().await
}

/// Runs pinctrl until the OpenFlow connection's driver stops. `bridge_socket` is
/// `$OVS_RUNDIR/<bridge>.mgmt`; `sb` must monitor Chassis, Datapath_Binding, Port_Binding,
/// MAC_Binding, FDB, DNS and Controller_Event (unmonitored tables read as empty);
/// `chassis` is this chassis's name (`external_ids:system-id`), for Controller_Event and
/// `bind_vport` writes.
pub async fn run(bridge_socket: PathBuf, sb: SbClient, chassis: String) -> Result<(), RunError> {
    let target = Target::Unix(bridge_socket);
    let span = info_span!("pinctrl", target = %target);
    run_inner(target, sb, chassis).instrument(span).await
}

async fn run_inner(target: Target, sb: SbClient, chassis: String) -> Result<(), RunError> {
    let opts = Options {
        probe_interval: Some(Duration::from_secs(5)),
        fetch_features: false,
        ..Options::default()
    };
    // The bridge may not exist yet when the daemon starts (it creates br-int itself): keep
    // trying, as upstream's rconn does, with the driver's backoff bounds.
    let mut backoff = opts.backoff_min;
    let (of, mut events, _) = loop {
        match OfClient::connect(&target, opts.clone()).await {
            Ok(c) => break c,
            Err(e) => {
                debug!(error = %e, ?backoff, "cannot connect to switch yet");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(opts.backoff_max);
            }
        }
    };
    if let Err(e) = setup(&of).await {
        warn!(error = %e, "pinctrl setup failed; will retry on reconnect");
    }
    info!("connected to switch");
    let mut sb_seq = sb.subscribe();
    let mut state: Option<PinctrlState> = None;
    let mut batch = SbBatch::default();
    let mut buffer = PacketBuffer::default();
    let mut stats = PinctrlStats::default();
    let mut sb_alive = true;
    let mut hold_until = Instant::now();
    loop {
        // Entries that could not be written (SB not synced, chassis not registered yet) are
        // retried at most every RETRY instead of spinning.
        let deadline = batch.next_deadline().map(|d| d.max(hold_until));
        let ev = tokio::select! {
            ev = events.next() => ev,
            r = sb_seq.changed(), if sb_alive => {
                if r.is_err() {
                    // The SB client is gone; keep serving packet-ins with the last state.
                    sb_alive = false;
                    continue;
                }
                state = None;
                if !buffer.is_empty() {
                    let st = state.get_or_insert_with(|| read_state(&sb, &chassis));
                    release(&of, &mut buffer, st, &mut stats).await;
                }
                continue;
            }
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending::<()>().await,
                }
            } => {
                commit(&sb, &chassis, &mut state, &mut batch, &mut stats).await;
                let now = Instant::now();
                if batch.next_deadline().is_some_and(|d| d <= now) {
                    hold_until = now + RETRY;
                }
                continue;
            }
        };
        let Some(ev) = ev else {
            return Err(RunError::Stopped);
        };
        match ev {
            AsyncEvent::Connected { .. } => {
                info!("reconnected to switch");
                if let Err(e) = setup(&of).await {
                    warn!(error = %e, "pinctrl setup failed");
                }
            }
            AsyncEvent::Message {
                msg: Message::PacketIn2(pin),
                ..
            } => {
                stats.packet_ins += 1;
                let st = state.get_or_insert_with(|| read_state(&sb, &chassis));
                for o in handle_packet_in(&pin, st) {
                    match o {
                        PinctrlOutput::PacketOut(po) => {
                            stats.packet_outs += 1;
                            if let Err(e) = of.send(Message::PacketOut(po)).await {
                                warn!(error = %e, "packet-out failed");
                            }
                        }
                        PinctrlOutput::Resume(r) => {
                            stats.resumes += 1;
                            if let Err(e) = of.send(Message::Resume(r)).await {
                                warn!(error = %e, "resume failed");
                            }
                        }
                        PinctrlOutput::Buffer(bp) => buffer.push(bp, Instant::now()),
                        PinctrlOutput::SbWrite(w) => batch.add(w, Instant::now()),
                        PinctrlOutput::Log(line) => info!(target: "acl_log", "{line}"),
                        PinctrlOutput::Warn(e) => {
                            stats.warnings += 1;
                            debug!(error = %e, "packet-in not handled");
                        }
                    }
                }
                if !batch.is_empty() {
                    commit(&sb, &chassis, &mut state, &mut batch, &mut stats).await;
                }
                if !buffer.is_empty() {
                    let st = state.get_or_insert_with(|| read_state(&sb, &chassis));
                    release(&of, &mut buffer, st, &mut stats).await;
                }
            }
            AsyncEvent::Error { xid, error } => {
                warn!(xid, error = %error, "switch refused a pinctrl message");
            }
            AsyncEvent::Disconnected(e) => info!(error = %e, "disconnected from switch"),
            AsyncEvent::Message { .. } | AsyncEvent::Undecodable { .. } => {}
        }
    }
}

fn read_state(sb: &SbClient, chassis: &str) -> PinctrlState {
    sb.lock()
        .as_ref()
        .map(|db| PinctrlState::read(db, chassis))
        .unwrap_or_default()
}

/// Sends the buffered packets whose next hop resolved (and drops expired ones).
async fn release(
    of: &OfClient,
    buffer: &mut PacketBuffer,
    state: &PinctrlState,
    stats: &mut PinctrlStats,
) {
    for po in buffer.release(state, Instant::now()) {
        stats.packet_outs += 1;
        if let Err(e) = of.send(Message::PacketOut(po)).await {
            warn!(error = %e, "buffered packet-out failed");
        }
    }
}

/// Commits the ready part of the batch as one transaction.
async fn commit(
    sb: &SbClient,
    chassis: &str,
    state: &mut Option<PinctrlState>,
    batch: &mut SbBatch,
    stats: &mut PinctrlStats,
) {
    if !sb.is_synced() {
        return;
    }
    let st = state.get_or_insert_with(|| read_state(sb, chassis));
    let ops = batch.take_ops(st, Instant::now(), wall_ms());
    if ops.is_empty() {
        return;
    }
    stats.sb_transactions += 1;
    let n = ops.len();
    match sb.transact(ops).await {
        Ok(_) => debug!(ops = n, "pinctrl Southbound writes committed"),
        Err(e) => {
            warn!(error = %e, "pinctrl Southbound transaction failed");
            batch.transaction_failed();
            // The replica may be behind; re-read it before the next attempt.
            *state = None;
        }
    }
}
