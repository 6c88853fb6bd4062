//! The ovn-agent daemon as a library: everything the `ovn-agent` binary runs, kept apart from
//! the command-line glue so that it is unit-testable and usable from integration tests.
//!
//! - `daemon_args`: ovn-controller's command line (drop-in invocation);
//! - `annotate`: OpenFlow flows annotated with the Southbound rows they came from;
//! - `binding`: which Port_Bindings are resident here, what to claim and release;
//! - `config`: the chassis configuration from `Open_vSwitch .external_ids`;
//! - `ct_zones`: conntrack zone allocation persisted in the bridge external_ids;
//! - `if_status`: when ports are reported up and nb_cfg acknowledged;
//! - `ofctrl`: desired vs installed flows, groups and meters.
//! - `physical`: the physical flows (tables 0, 37–41, 64, 65) of physical.c.
//! - `lflow_extra`: MAC binding, LB hairpin, FDB and port security flows (tables 66–75) of lflow.c.
//! - `pinctrl`: the packet-in handler (ARP/ND, DHCP, DNS, ICMP errors, MAC learning) of pinctrl.c.

pub mod annotate;
pub mod binding;
pub mod config;
pub mod ct_zones;
pub mod daemon;
pub mod daemon_args;
pub mod if_status;
pub mod lflow_extra;
pub mod lflows;
pub mod ofctrl;
pub mod ovs;
pub mod physical;
pub mod pinctrl;
pub mod sb;
