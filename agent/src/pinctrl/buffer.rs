//! `PacketBuffer`: packets that triggered `arp { }` / `nd_ns { }` wait here until the
//! MAC_Binding for their next hop appears, then go out with eth.dst set to it (upstream
//! `buffered_packets_map`, `run_buffered_binding`, `buffered_send_packets`): at most 4 per
//! (datapath, outport, IP), 1000 destinations, 10 s since the last packet.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use openflow::msg::{PacketOut, RawActions, RawMatch};

use super::learn::ip_text;
use super::packet::Mac;
use super::state::PinctrlState;

/// Packets kept per destination (upstream `BUFFER_QUEUE_DEPTH`); older ones are dropped.
pub const BUFFER_QUEUE_DEPTH: usize = 4;
/// Destinations buffered at once.
pub const MAX_BUFFERED_DESTINATIONS: usize = 1000;
/// A destination whose MAC did not appear in this long is forgotten (`BUFFER_MAP_TIMEOUT`).
pub const BUFFER_TIMEOUT: Duration = Duration::from_secs(10);

/// A packet to hold until `ip` on (`dp_key`, `port_key`) resolves; `actions` re-inject it
/// (metadata reload and `resubmit(CONTROLLER, OFTABLE_OUTPUT_INIT)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferedPacket {
    pub dp_key: u32,
    pub port_key: u32,
    pub ip: IpAddr,
    pub packet: Bytes,
    pub actions: Bytes,
}

#[derive(Debug)]
struct Queue {
    packets: VecDeque<(Bytes, Bytes)>,
    last: Instant,
}

/// The buffer.
#[derive(Debug, Default)]
pub struct PacketBuffer {
    queues: HashMap<(u32, u32, IpAddr), Queue>,
    /// Packets dropped (buffer full or queue overflow).
    pub dropped: u64,
}

fn parse_mac(s: &str) -> Option<Mac> {
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(m)
}

impl PacketBuffer {
    /// Buffers `bp`.
    pub fn push(&mut self, bp: BufferedPacket, now: Instant) {
        let key = (bp.dp_key, bp.port_key, bp.ip);
        if !self.queues.contains_key(&key) && self.queues.len() >= MAX_BUFFERED_DESTINATIONS {
            self.dropped += 1;
            return;
        }
        let q = self.queues.entry(key).or_insert_with(|| Queue {
            packets: VecDeque::with_capacity(BUFFER_QUEUE_DEPTH),
            last: now,
        });
        q.last = now;
        if q.packets.len() >= BUFFER_QUEUE_DEPTH {
            q.packets.pop_front();
            self.dropped += 1;
        }
        q.packets.push_back((bp.packet, bp.actions));
    }

    /// Nothing buffered.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// Destinations waiting.
    pub fn len(&self) -> usize {
        self.queues.len()
    }

    /// Sends the packets whose next hop now has a MAC_Binding (on the port itself or, for a
    /// chassis-redirect port `cr-X`, on `X`), and forgets expired destinations.
    pub fn release(&mut self, state: &PinctrlState, now: Instant) -> Vec<PacketOut> {
        let mut out = Vec::new();
        self.queues.retain(|&(dp, port, ip), q| {
            let Some(pi) = state.ports.get(&(dp, port)) else {
                return now.duration_since(q.last) <= BUFFER_TIMEOUT;
            };
            let ip_s = ip_text(ip);
            let lookup = |name: &str| state.mac_bindings.get(&(name.to_owned(), ip_s.clone()));
            let mb = lookup(&pi.logical_port)
                .or_else(|| pi.logical_port.strip_prefix("cr-").and_then(lookup));
            let Some(mac) = mb.and_then(|r| parse_mac(&r.mac)) else {
                return now.duration_since(q.last) <= BUFFER_TIMEOUT;
            };
            for (pkt, actions) in q.packets.drain(..) {
                let mut p = pkt.to_vec();
                if let Some(d) = p.get_mut(..6) {
                    d.copy_from_slice(&mac);
                }
                let mut m = Vec::with_capacity(8);
                m.extend_from_slice(&0x8000_0004u32.to_be_bytes());
                m.extend_from_slice(&0xffff_fffdu32.to_be_bytes());
                out.push(PacketOut::new(
                    RawMatch(Bytes::from(m)),
                    RawActions(actions),
                    Bytes::from(p),
                ));
            }
            false
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinctrl::state::{MacBindingRow, PortInfo};
    use ovsdb::Uuid;

    fn bp(n: u8) -> BufferedPacket {
        BufferedPacket {
            dp_key: 1,
            port_key: 2,
            ip: "10.0.0.9".parse().unwrap(),
            packet: Bytes::from(vec![n; 20]),
            actions: Bytes::from_static(&[1, 2, 3]),
        }
    }

    #[test]
    fn released_when_binding_appears_with_dst_rewritten() {
        let mut b = PacketBuffer::default();
        let t = Instant::now();
        for n in 0..6 {
            b.push(bp(n), t);
        }
        assert_eq!(b.dropped, 2);
        let mut st = PinctrlState::default();
        st.ports.insert(
            (1, 2),
            PortInfo {
                logical_port: "cr-lrp1".into(),
                datapath: Uuid::ZERO,
                uuid: Uuid::ZERO,
                ty: "chassisredirect".into(),
                chassis: None,
                virtual_parent: None,
            },
        );
        assert!(b.release(&st, t).is_empty());
        st.mac_bindings.insert(
            ("lrp1".into(), "10.0.0.9".into()),
            MacBindingRow {
                uuid: Uuid::ZERO,
                mac: "0a:00:00:00:00:09".into(),
            },
        );
        let out = b.release(&st, t);
        assert_eq!(out.len(), 4);
        assert_eq!(&out[0].packet[..6], &[0x0a, 0, 0, 0, 0, 9]);
        assert_eq!(out[0].packet[6], 2, "oldest two were dropped");
        assert_eq!(out[0].actions.0.as_ref(), &[1, 2, 3]);
        assert!(b.is_empty());
    }

    #[test]
    fn expires() {
        let mut b = PacketBuffer::default();
        let t = Instant::now();
        b.push(bp(0), t);
        let st = PinctrlState::default();
        assert!(b.release(&st, t + BUFFER_TIMEOUT).is_empty());
        assert_eq!(b.len(), 1);
        assert!(
            b.release(&st, t + BUFFER_TIMEOUT + Duration::from_millis(1))
                .is_empty()
        );
        assert!(b.is_empty());
    }
}
