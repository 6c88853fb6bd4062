//! Physical flows: the OpenFlow that binds logical ports to OVS ports and tunnels, as
//! ovn-controller 23.03's physical.c computes it (tables 0, 37–41, 64, 65).
//!
//! Pure: the caller assembles a [`PhysicalInput`] (Port_Bindings, local datapaths, ofports,
//! conntrack zones, tunnels, multicast groups) and gets [`PhysicalFlow`]s back, each tagged with
//! the row it belongs to, so that the flow table can drop a row's flows and recompute only
//! those ([`port_binding_flows`], [`mc_group_flows`]) or everything ([`physical_run`]).
//! Cookies, priorities, matches and action order are upstream's, so that an `ovs-ofctl
//! dump-flows` of a chassis run by this agent and one run by ovn-controller are identical
//! (tests/physical_golden.rs compares them).
//!
//! Not produced: the path-MTU flows of multichassis ports (tables 37/38 p100, they need the
//! interfaces' MTU), the `activation-strategy=rarp` flows (they need pinctrl's state) and the
//! debug drop sampling (`ovn-debug-*`).
//!
//! - `input`: [`PhysicalInput`] and the local datapath derivation;
//! - `flow`: [`PhysicalFlow`] and its `ovs-ofctl` text;
//! - `ofpact`: the actions used;
//! - `port_binding`, `mc_group`, `tunnel`, `static_flows`: the flows by origin;
//! - `run`: the entry points;
//! - `ha`, `ovs_hash`, `common`, `consts`: HA group ordering, OVS `sset` order, shared
//!   builders, table and register numbers.

pub(crate) mod common;
pub mod consts;
mod flow;
mod ha;
mod input;
mod mc_group;
mod ofpact;
mod ovs_hash;
mod port_binding;
mod run;
mod static_flows;
mod tunnel;

pub use flow::{HARDCODED_SOURCE, PhysicalFlow, cookie_of};
pub use ha::{ha_chassis_get_ordered, ha_chassis_group_is_active};
pub use input::{
    ChassisIdentity, DatapathInfo, LocalDatapath, LocalOfport, MulticastGroup, PeerPort,
    PhysicalInput, RemoteChassisMac, ZoneIds, ha_member_datapaths, local_datapaths, local_ofports,
};
pub use ofpact::Ofpact;
pub use run::{affected_ports, hardcoded_flows, mc_group_flows, physical_run, port_binding_flows};
