//! pinctrl: the packet-in handler (upstream controller/pinctrl.c). OVN's logical actions
//! that need the controller (`arp { }`, `put_arp`, `put_dhcp_opts`, `icmp4 { }`, `log`, …)
//! encode a `controller(userdata=<opcode><payload>[,pause])` action; pinctrl answers each
//! packet-in with a packet-out, a resume of the paused pipeline, and/or Southbound writes.
//!
//! Spawn it from the daemon (it owns its own OpenFlow connection to the bridge):
//! ```ignore
//! let mgmt = ovs_rundir.join(format!("{bridge}.mgmt"));
//! tokio::spawn(agent::pinctrl::run(mgmt, sb_client.clone(), chassis_name.clone()));
//! ```
//! `run(bridge_socket: PathBuf, sb: ovsdb::io::Client, chassis: String) -> Result<(),
//! RunError>` retries until the bridge accepts the connection, then returns only if the
//! OpenFlow driver stops (vswitchd restarts are reconnected and set up again); the SB
//! client should monitor Chassis, Datapath_Binding, Port_Binding, MAC_Binding, FDB, DNS and
//! Controller_Event (with conditional monitoring: MAC_Binding/FDB/DNS of local datapaths).
//!
//! The core is pure: [`handle_packet_in`]`(&PacketIn2, &PinctrlState) -> Vec<PinctrlOutput>`;
//! [`SbBatch`] turns the `SbWrite`s into insert-or-update operations without duplicates.
//!
//! Handled opcodes: ARP, ND_NS (both buffer the triggering packet until its next hop's
//! MAC_Binding appears), ND_NA, ND_NA_ROUTER, PUT_ARP, PUT_ND, PUT_FDB, ICMP, ICMP4_ERROR,
//! ICMP6_ERROR, TCP_RESET, SCTP_ABORT, REJECT, PUT_ICMP4_FRAG_MTU, PUT_ICMP6_FRAG_MTU,
//! PUT_DHCP_OPTS, PUT_DHCPV6_OPTS, PUT_ND_RA_OPTS, DNS_LOOKUP, LOG, EVENT, BIND_VPORT.
//! IGMP, HANDLE_SVC_CHECK, DHCP6_SERVER, BFD_MSG and ACTIVATION_STRATEGY_RARP are not
//! implemented: they are resumed unchanged (when paused) and reported as `Warn`.

mod acl_log;
mod buffer;
mod checksum;
mod compose;
mod dhcp;
mod dhcpv6;
mod dns;
mod error;
mod handler;
mod icmp;
mod learn;
mod metadata;
mod nd;
mod packet;
mod run;
mod state;
mod userdata;

#[cfg(test)]
mod tests;

pub use acl_log::format_flow;
pub use buffer::{
    BUFFER_QUEUE_DEPTH, BUFFER_TIMEOUT, BufferedPacket, MAX_BUFFERED_DESTINATIONS, PacketBuffer,
};
pub use error::PinctrlError;
pub use handler::{PinctrlOutput, handle_packet_in};
pub use learn::{EVENT_TIMEOUT, MAX_MAC_BINDING_DELAY, MAX_PENDING, SbBatch, SbWrite, ip_text};
pub use metadata::{PinMetadata, RegBit};
pub use packet::{Headers, L3, Mac};
pub use run::{PinctrlStats, RunError, run};
pub use state::{FdbRow, MacBindingRow, PinctrlState, PortInfo};
pub use userdata::{Userdata, opcode_from_u32, opcode_name};
