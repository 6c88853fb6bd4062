//! Tunnel ports for an OVN chassis, computed the way ovn-controller 23.03 does (encaps.c,
//! physical.c, ofctrl.c), as pure functions: the agent feeds SB Chassis/Encap rows and its OVS
//! replica in, performs the returned operations, and installs the returned flows.
//!
//! - [`reconcile`]: desired tunnel ports vs observed OVS ports → [`TunnelOp`]s.
//! - [`ovn_tlv_mapping`]: where the OVN Geneve option lives in the switch's TLV table.
//! - [`flows`]: the table-0 decapsulation flows and the encapsulation actions per tunnel.
//!
//! Where this deliberately differs from 23.03 (none of it changes the ports upstream would
//! accept; a real ovn-controller keeps ports made here and vice versa, see
//! `tests/vs_ovn_controller.rs`):
//! - output is deterministic: chassis in name order (upstream: SB hash order), so when several
//!   chassis share a truncated name prefix the numbering may differ from upstream's;
//! - new names also avoid Interface names and names on other bridges (both tables index `name`
//!   database-wide; upstream only checks br-int's Port names and its transaction would fail);
//! - name truncation never splits a UTF-8 character;
//! - a port with wrong options is updated in place (upstream inserts a same-named replacement);
//! - among duplicate ports for one id, an already-correct one is kept (upstream: arbitrary);
//! - encaps with an invalid IP, duplicate encaps and chassis with empty names are skipped and
//!   reported instead of producing ports that OVS would reject or that churn.

mod chassis;
mod chassis_tunnel;
mod desired;
mod encap;
pub mod flows;
mod observed;
mod op;
mod port_name;
mod reconcile;
mod tlv;
mod tunnel_id;

pub use chassis::{
    Encap, IpsecConfig, LocalChassis, RemoteChassis, chassis_external_id, parse_transport_zones,
    smap_bool,
};
pub use chassis_tunnel::{ChassisTunnel, ChassisTunnels, chassis_tunnels};
pub use desired::{
    DesiredTunnel, SkipReason, Skipped, desired_tunnels, transport_zones_overlap, tunnel_options,
};
pub use encap::{EncapType, TunnelEncoding, preferred_encap};
pub use observed::{ObservedBridge, ObservedInterface, ObservedPort};
pub use op::TunnelOp;
pub use port_name::{allocate_port_name, tunnel_port_name};
pub use reconcile::{Reconciliation, clear_old_tunnels, plan, reconcile, remove_all_tunnels};
pub use tlv::{
    OVN_GENEVE_CLASS, OVN_GENEVE_LEN, OVN_GENEVE_TYPE, TlvError, TlvMap, TlvMapping, TlvOp,
    TlvTable, ovn_tlv_mapping,
};
pub use tunnel_id::{OVN_CHASSIS_ID, TunnelId};
