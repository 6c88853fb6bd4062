//! Views of Open_vSwitch tables (columns as of OVS 3.1, schema 8.3).

use super::view::view;

view! {
    /// `Open_vSwitch`: the root row.
    OpenVswitch = "Open_vSwitch" {
        /// Bridges.
        bridges: uuids = "bridges",
        /// `system-id`, `ovn-remote`, `ovn-encap-ip`, ...
        external_ids: map = "external_ids",
        /// Other config.
        other_config: map = "other_config",
        /// Supported interface types.
        iface_types: strs = "iface_types",
        /// Supported datapath types.
        datapath_types: strs = "datapath_types",
        /// Config sequence number requested.
        next_cfg: int = "next_cfg",
        /// Config sequence number applied by ovs-vswitchd.
        cur_cfg: int = "cur_cfg",
        /// OVS version.
        ovs_version: opt_str = "ovs_version",
    }
}

view! {
    /// `Bridge`.
    Bridge = "Bridge" {
        /// Name.
        name: str = "name",
        /// Ports.
        ports: uuids = "ports",
        /// `system` or `netdev`.
        datapath_type: str = "datapath_type",
        /// `secure` or `standalone`.
        fail_mode: opt_str = "fail_mode",
        /// External ids (`ct-zone-*`, `ovn-nb-cfg`).
        external_ids: map = "external_ids",
        /// Other config (`disable-in-band`, `hwaddr`).
        other_config: map = "other_config",
        /// OpenFlow versions.
        protocols: strs = "protocols",
    }
}

view! {
    /// `Port`.
    Port = "Port" {
        /// Name.
        name: str = "name",
        /// Interfaces.
        interfaces: uuids = "interfaces",
        /// External ids (`ovn-chassis-id`, `ovn-localnet-port`).
        external_ids: map = "external_ids",
        /// VLAN tag.
        tag: opt_int = "tag",
        /// Trunk VLANs.
        trunks: ints = "trunks",
    }
}

view! {
    /// `Interface`.
    Interface = "Interface" {
        /// Name.
        name: str = "name",
        /// Type (`""`, `internal`, `geneve`, `patch`, ...).
        ty: str = "type",
        /// Options (`remote_ip`, `key`, `peer`, ...).
        options: map = "options",
        /// External ids (`iface-id`, `ovn-installed`, `attached-mac`).
        external_ids: map = "external_ids",
        /// OpenFlow port number, once assigned (-1 on error).
        ofport: opt_int = "ofport",
        /// Requested OpenFlow port number.
        ofport_request: opt_int = "ofport_request",
        /// Error text.
        error: opt_str = "error",
        /// Link state.
        link_state: opt_str = "link_state",
        /// MAC in use.
        mac_in_use: opt_str = "mac_in_use",
        /// BFD configuration.
        bfd: map = "bfd",
        /// BFD status.
        bfd_status: map = "bfd_status",
        /// Status.
        status: map = "status",
    }
}
