//! pinctrl: the packet-in handler (upstream controller/pinctrl.c). OVN's logical actions
//! that need the controller (`arp { }`, `put_arp`, `put_dhcp_opts`, `icmp4 { }`, `log`, …)
//! encode a `controller(userdata=<opcode><payload>[,pause])` action; pinctrl answers each
//! packet-in with a packet-out, a resume of the paused pipeline, and/or Southbound writes.
//!
//! Spawn it from the daemon (it owns its own OpenFlow connection to the bridge):
//! ```ignore
//! let mgmt = ovs_rundir.join(format!("{bridge}.mgmt"));
//! tokio::spawn(agent::pinctrl::run(mgmt, sb_client.clone()));
//! ```
//! `run(bridge_socket: PathBuf, sb: ovsdb::io::Client) -> Result<(), RunError>` returns only
//! if the first connection fails or the OpenFlow driver stops; the SB client should monitor
//! Datapath_Binding, Port_Binding, MAC_Binding, FDB and DNS.
//!
//! The core is pure: [`handle_packet_in`]`(&PacketIn2, &PinctrlState) -> Vec<PinctrlOutput>`;
//! [`SbBatch`] turns the `SbWrite`s into insert-or-update operations without duplicates.
//!
//! Handled opcodes: ARP, ND_NS, ND_NA, ND_NA_ROUTER, PUT_ARP, PUT_ND, PUT_FDB, ICMP,
//! ICMP4_ERROR, ICMP6_ERROR, TCP_RESET, SCTP_ABORT, REJECT, PUT_ICMP4_FRAG_MTU,
//! PUT_ICMP6_FRAG_MTU, PUT_DHCP_OPTS, PUT_ND_RA_OPTS, DNS_LOOKUP, LOG. Others are resumed
//! unchanged (when paused) and reported as `Warn`.

mod acl_log;
mod checksum;
mod compose;
mod dhcp;
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
pub use error::PinctrlError;
pub use handler::{PinctrlOutput, handle_packet_in};
pub use learn::{MAX_MAC_BINDING_DELAY, MAX_PENDING, SbBatch, SbWrite, ip_text};
pub use metadata::{PinMetadata, RegBit};
pub use packet::{Headers, L3, Mac};
pub use run::{PinctrlStats, RunError, run};
pub use state::{FdbRow, MacBindingRow, PinctrlState, PortInfo};
pub use userdata::{Userdata, opcode_from_u32, opcode_name};
