//! `handle_packet_in`: the pure core of pinctrl. One `NXT_PACKET_IN2` in, the messages and
//! Southbound writes it causes out (upstream `process_packet_in`, controller/pinctrl.c).

use bytes::Bytes;
use lflow::actions::Opcode;
use openflow::msg::{PacketIn2, PacketOut, RawActions, RawMatch, Resume};

use super::buffer::BufferedPacket;
use super::error::PinctrlError;
use super::learn::SbWrite;
use super::metadata::{PinMetadata, RegBit, reinject_actions};
use super::packet::Headers;
use super::state::PinctrlState;
use super::userdata::{Userdata, opcode_name};
use super::{acl_log, dhcp, dhcpv6, dns, icmp, nd};

/// `OFPR_ACTION`: the only packet-in reason pinctrl handles.
const OFPR_ACTION: u8 = 1;
/// `OFPP_CONTROLLER` as a 32-bit OpenFlow port.
const OFPP_CONTROLLER: u32 = 0xffff_fffd;

/// What handling a packet-in produces.
#[derive(Debug, Clone, PartialEq)]
pub enum PinctrlOutput {
    /// Inject a packet built here, with the nested actions of the controller action.
    PacketOut(PacketOut),
    /// Continue the paused pipeline (possibly with a new packet and a result bit set).
    Resume(Resume),
    /// Hold the packet until its next hop resolves (see [`super::buffer::PacketBuffer`]).
    Buffer(BufferedPacket),
    /// Buffer a Southbound write (see [`super::learn::SbBatch`]).
    SbWrite(SbWrite),
    /// An ACL log line (`log()` action), logged at info level as upstream's `acl_log`.
    Log(String),
    /// The packet-in was malformed or unsupported; logged at debug/warn level.
    Warn(PinctrlError),
}

/// A decoded packet-in being handled.
pub(crate) struct Pin<'a> {
    pub pin: &'a PacketIn2,
    pub md: PinMetadata,
    pub h: Headers,
    pub packet: &'a [u8],
    /// Userdata after the 8-byte action header.
    pub payload: &'a [u8],
    pub opcode: Opcode,
}

impl Pin<'_> {
    pub fn name(&self) -> &'static str {
        opcode_name(self.opcode)
    }

    pub fn bad(&self, what: impl Into<String>) -> PinctrlOutput {
        PinctrlOutput::Warn(PinctrlError::BadPacket {
            opcode: self.name(),
            what: what.into(),
        })
    }

    /// A packet-out of `packet` that restores the pipeline registers and metadata, then runs
    /// the nested actions in the userdata (upstream `set_actions_and_enqueue_msg`).
    pub fn packet_out(&self, packet: Vec<u8>) -> PinctrlOutput {
        let mut actions = Vec::with_capacity(256 + self.payload.len());
        self.md.reload_actions(&mut actions);
        // The nested actions are already OpenFlow 1.5 wire actions (lflow encodes them so).
        actions.extend_from_slice(self.payload);
        let mut m = Vec::with_capacity(8);
        m.extend_from_slice(&0x8000_0004u32.to_be_bytes());
        m.extend_from_slice(&OFPP_CONTROLLER.to_be_bytes());
        PinctrlOutput::PacketOut(PacketOut::new(
            RawMatch(Bytes::from(m)),
            RawActions(Bytes::from(actions)),
            Bytes::from(packet),
        ))
    }

    /// An `NXT_RESUME` of this packet-in with `packet` (or the original) and `md`.
    pub fn resume(&self, packet: Option<Vec<u8>>, md: &PinMetadata) -> PinctrlOutput {
        let mut r = Resume::from_packet_in(self.pin);
        if let Some(p) = packet {
            r.packet_in.packet = Bytes::from(p);
        }
        r.packet_in.metadata = md.encode();
        PinctrlOutput::Resume(r)
    }

    /// The resume of a `R = action(...)` opcode: writes `success` to `dst` (when the result
    /// field parsed) and continues with `packet`.
    pub fn resume_result(
        &self,
        dst: Option<RegBit>,
        success: bool,
        packet: Option<Vec<u8>>,
    ) -> PinctrlOutput {
        let mut md = self.md.clone();
        if let Some(rb) = dst {
            md.write_bit(rb, success);
        }
        self.resume(packet, &md)
    }
}

/// Handles one packet-in. Never panics; a malformed packet-in yields `Warn` (and, for the
/// opcodes that paused the pipeline, still a `Resume`, as upstream always resumes).
pub fn handle_packet_in(pin: &PacketIn2, state: &PinctrlState) -> Vec<PinctrlOutput> {
    if pin.reason != OFPR_ACTION {
        return Vec::new();
    }
    let Some(ud) = pin.userdata.as_deref() else {
        return vec![PinctrlOutput::Warn(PinctrlError::ShortUserdata { len: 0 })];
    };
    let u = match Userdata::parse(ud) {
        Ok(u) => u,
        Err(e) => return vec![PinctrlOutput::Warn(e)],
    };
    let md = match PinMetadata::decode(&pin.metadata) {
        Ok(m) => m,
        Err(e) => return vec![PinctrlOutput::Warn(e)],
    };
    let p = Pin {
        pin,
        md,
        h: Headers::parse(&pin.packet),
        packet: &pin.packet,
        payload: u.payload,
        opcode: u.opcode,
    };
    let mut out = Vec::new();
    dispatch(&p, state, &mut out);
    out
}

fn dispatch(p: &Pin<'_>, state: &PinctrlState, out: &mut Vec<PinctrlOutput>) {
    match p.opcode {
        Opcode::Arp => {
            let o = nd::arp(p);
            if matches!(o, PinctrlOutput::PacketOut(_)) {
                out.push(buffer(p, std::net::IpAddr::V4(p.md.reg(0).into())));
            }
            out.push(o);
        }
        Opcode::NdNs => {
            let o = nd::nd_ns(p);
            if matches!(o, PinctrlOutput::PacketOut(_)) {
                out.push(buffer(p, std::net::IpAddr::V6(p.md.xxreg(0).into())));
            }
            out.push(o);
        }
        Opcode::NdNa => out.push(nd::nd_na(p, false)),
        Opcode::NdNaRouter => out.push(nd::nd_na(p, true)),
        Opcode::PutNdRaOpts => out.extend(nd::put_nd_ra_opts(p)),
        Opcode::PutArp | Opcode::PutNd => out.push(put_mac_binding(p)),
        Opcode::PutFdb => out.push(PinctrlOutput::SbWrite(SbWrite::Fdb {
            dp_key: p.md.metadata() as u32,
            port_key: p.md.reg(LOG_INPORT_REG),
            mac: p.h.dl_src,
        })),
        Opcode::Icmp => out.push(icmp::icmp(p, true, false)),
        Opcode::Icmp4Error | Opcode::Icmp6Error => out.push(icmp::icmp(p, false, false)),
        Opcode::TcpReset => out.push(icmp::tcp_reset(p, false)),
        Opcode::SctpAbort => out.push(icmp::sctp_abort(p, false)),
        Opcode::Reject => out.extend(icmp::reject(p)),
        Opcode::PutIcmp4FragMtu | Opcode::PutIcmp6FragMtu => out.extend(icmp::put_frag_mtu(p)),
        Opcode::PutDhcpOpts => out.extend(dhcp::put_dhcp_opts(p)),
        Opcode::DnsLookup => out.extend(dns::dns_lookup(p, state)),
        Opcode::Log => out.push(acl_log::log(p)),
        Opcode::PutDhcpv6Opts => out.extend(dhcpv6::put_dhcpv6_opts(p)),
        Opcode::Event => out.push(event(p)),
        Opcode::BindVport => out.push(bind_vport(p)),
        Opcode::Igmp
        | Opcode::HandleSvcCheck
        | Opcode::Dhcp6Server
        | Opcode::BfdMsg
        | Opcode::ActivationStrategyRarp => {
            out.push(PinctrlOutput::Warn(PinctrlError::BadPacket {
                opcode: p.name(),
                what: "opcode not implemented by ovn-agent".into(),
            }));
            // A paused pipeline must still continue, or the packet is lost silently.
            if p.pin.continuation.is_some() {
                out.push(p.resume(None, &p.md));
            }
        }
    }
}

/// `trigger_event(event = "empty_lb_backends", vip = …, protocol = …, load_balancer = …)`
/// (upstream `pinctrl_handle_event`): a 32-bit event type, then (code, size, bytes) options.
fn event(p: &Pin<'_>) -> PinctrlOutput {
    let Some(ev) = p.payload.get(..4) else {
        return p.bad("event not present in the userdata");
    };
    if ev != [0, 0, 0, 0] {
        // Only OVN_EVENT_EMPTY_LB_BACKENDS exists at 23.03.
        return p.bad(format!("unknown controller event {ev:?}"));
    }
    let (mut vip, mut protocol, mut lb) = (None, None, None);
    let mut b = p.payload.get(4..).unwrap_or_default();
    while !b.is_empty() {
        let Some(h) = b.get(..4) else {
            return p.bad("truncated event option");
        };
        let code = u16::from_be_bytes([h[0], h[1]]);
        let size = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let Some(data) = b.get(4..4 + size) else {
            return p.bad("truncated event option");
        };
        let v = Some(String::from_utf8_lossy(data).into_owned());
        match code {
            1 => vip = v,
            2 => protocol = v,
            3 => lb = v,
            c => return p.bad(format!("unknown empty_lb_backends option {c}")),
        }
        b = &b[4 + size..];
    }
    match (vip, protocol, lb) {
        (Some(vip), Some(protocol), Some(load_balancer)) => {
            PinctrlOutput::SbWrite(SbWrite::EmptyLbBackends {
                vip,
                protocol,
                load_balancer,
            })
        }
        _ => p.bad("missing lb parameters in userdata"),
    }
}

/// `bind_vport(V, inport)`: the userdata holds V's tunnel key, reg14 the parent's.
fn bind_vport(p: &Pin<'_>) -> PinctrlOutput {
    let Some(k) = p.payload.get(..4) else {
        return p.bad("virtual port key not present in the userdata");
    };
    PinctrlOutput::SbWrite(SbWrite::BindVport {
        dp_key: p.md.metadata() as u32,
        vport_key: u32::from_be_bytes([k[0], k[1], k[2], k[3]]),
        parent_key: p.md.reg(LOG_INPORT_REG),
    })
}

/// OFTABLE_OUTPUT_INIT (23.03.1): where buffered packets re-enter.
const OFTABLE_OUTPUT_INIT: u8 = 37;
/// MFF_LOG_OUTPORT is reg15.
const LOG_OUTPORT_REG: u8 = 15;

/// The packet that triggered address resolution, to send once `ip` resolves on the outport.
fn buffer(p: &Pin<'_>, ip: std::net::IpAddr) -> PinctrlOutput {
    PinctrlOutput::Buffer(BufferedPacket {
        dp_key: p.md.metadata() as u32,
        port_key: p.md.reg(LOG_OUTPORT_REG),
        ip,
        packet: p.pin.packet.clone(),
        actions: Bytes::from(reinject_actions(&p.md, OFTABLE_OUTPUT_INIT)),
    })
}

/// MFF_LOG_INPORT is reg14.
pub(crate) const LOG_INPORT_REG: u8 = 14;

/// `put_arp`/`put_nd`: the flow carries the port in reg14, the IP in reg0 (ARP) or xxreg0
/// (ND) and the MAC in eth.src (upstream `pinctrl_handle_put_mac_binding`).
fn put_mac_binding(p: &Pin<'_>) -> PinctrlOutput {
    let ip = if p.opcode == Opcode::PutArp {
        std::net::IpAddr::V4(p.md.reg(0).into())
    } else {
        std::net::IpAddr::V6(p.md.xxreg(0).into())
    };
    PinctrlOutput::SbWrite(SbWrite::MacBinding {
        dp_key: p.md.metadata() as u32,
        port_key: p.md.reg(LOG_INPORT_REG),
        ip,
        mac: p.h.dl_src,
        unicast: !super::packet::is_multicast(&p.h.dl_dst),
    })
}
