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

use super::handler::{PinctrlOutput, handle_packet_in};
use super::learn::SbBatch;
use super::state::PinctrlState;

/// Why the pinctrl task stopped.
#[derive(Debug, Error)]
pub enum RunError {
    #[error("pinctrl: cannot connect to {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: IoError,
    },
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
/// `$OVS_RUNDIR/<bridge>.mgmt`; `sb` must monitor Datapath_Binding, Port_Binding,
/// MAC_Binding, FDB and DNS (unmonitored tables read as empty).
pub async fn run(bridge_socket: PathBuf, sb: SbClient) -> Result<(), RunError> {
    let target = Target::Unix(bridge_socket);
    let span = info_span!("pinctrl", target = %target);
    run_inner(target, sb).instrument(span).await
}

async fn run_inner(target: Target, sb: SbClient) -> Result<(), RunError> {
    let opts = Options {
        probe_interval: Some(Duration::from_secs(5)),
        fetch_features: false,
        ..Options::default()
    };
    let (of, mut events, _) =
        OfClient::connect(&target, opts)
            .await
            .map_err(|source| RunError::Connect {
                target: target.to_string(),
                source,
            })?;
    if let Err(e) = setup(&of).await {
        warn!(error = %e, "pinctrl setup failed; will retry on reconnect");
    }
    info!("connected to switch");
    let mut sb_seq = sb.subscribe();
    let mut state: Option<PinctrlState> = None;
    let mut batch = SbBatch::default();
    let mut stats = PinctrlStats::default();
    loop {
        let deadline = batch.next_deadline();
        let ev = tokio::select! {
            ev = events.next() => ev,
            _ = sb_seq.changed() => {
                state = None;
                continue;
            }
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending::<()>().await,
                }
            } => {
                commit(&sb, &mut state, &mut batch, &mut stats).await;
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
                let st = state.get_or_insert_with(|| read_state(&sb));
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
                        PinctrlOutput::SbWrite(w) => batch.add(w, Instant::now()),
                        PinctrlOutput::Log(line) => info!(target: "acl_log", "{line}"),
                        PinctrlOutput::Warn(e) => {
                            stats.warnings += 1;
                            debug!(error = %e, "packet-in not handled");
                        }
                    }
                }
                if !batch.is_empty() {
                    commit(&sb, &mut state, &mut batch, &mut stats).await;
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

fn read_state(sb: &SbClient) -> PinctrlState {
    sb.lock()
        .as_ref()
        .map(PinctrlState::read)
        .unwrap_or_default()
}

/// Commits the ready part of the batch as one transaction.
async fn commit(
    sb: &SbClient,
    state: &mut Option<PinctrlState>,
    batch: &mut SbBatch,
    stats: &mut PinctrlStats,
) {
    if !sb.is_synced() {
        return;
    }
    let st = state.get_or_insert_with(|| read_state(sb));
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
