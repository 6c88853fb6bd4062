//! Views of OVN_Southbound tables (columns as of OVN 23.03, schema 20.27).

use super::view::view;

view! {
    /// `SB_Global`: the singleton with `nb_cfg` and global options.
    SbGlobal = "SB_Global" {
        /// nb_cfg sequence number.
        nb_cfg: int = "nb_cfg",
        /// Global options (e.g. `mac_prefix`, `northd_internal_version`).
        options: map = "options",
        /// IPsec enabled.
        ipsec: bool = "ipsec",
    }
}

view! {
    /// `Chassis`: a hypervisor or gateway.
    Chassis = "Chassis" {
        /// System id.
        name: str = "name",
        /// Host name.
        hostname: str = "hostname",
        /// `Encap` rows.
        encaps: uuids = "encaps",
        /// Configuration (`ovn-bridge-mappings`, `iface-types`, ...).
        other_config: map = "other_config",
        /// External ids.
        external_ids: map = "external_ids",
        /// Transport zones.
        transport_zones: strs = "transport_zones",
        /// nb_cfg seen.
        nb_cfg: int = "nb_cfg",
    }
}

view! {
    /// `Chassis_Private`: per-chassis state written by the chassis itself.
    ChassisPrivate = "Chassis_Private" {
        /// Chassis name.
        name: str = "name",
        /// The `Chassis` row.
        chassis: opt_uuid = "chassis",
        /// nb_cfg processed.
        nb_cfg: int = "nb_cfg",
        /// When nb_cfg was processed (ms).
        nb_cfg_timestamp: int = "nb_cfg_timestamp",
        /// External ids.
        external_ids: map = "external_ids",
    }
}

view! {
    /// `Encap`: a tunnel endpoint of a chassis.
    Encap = "Encap" {
        /// `geneve`, `vxlan`, `stt`.
        ty: str = "type",
        /// Endpoint IP.
        ip: str = "ip",
        /// Options (`csum`, `dst_port`).
        options: map = "options",
        /// Owning chassis name.
        chassis_name: str = "chassis_name",
    }
}

view! {
    /// `Datapath_Binding`: a logical switch or router.
    DatapathBinding = "Datapath_Binding" {
        /// Tunnel key (Geneve VNI / metadata).
        tunnel_key: int = "tunnel_key",
        /// Load balancers.
        load_balancers: uuids = "load_balancers",
        /// External ids (`logical-switch`, `logical-router`, `name`, ...).
        external_ids: map = "external_ids",
    }
}

view! {
    /// `Port_Binding`: a logical port and where it lives.
    PortBinding = "Port_Binding" {
        /// Logical port name.
        logical_port: str = "logical_port",
        /// Port type (`""`, `patch`, `localnet`, `l3gateway`, `chassisredirect`, `vtep`, ...).
        ty: str = "type",
        /// Datapath.
        datapath: uuid = "datapath",
        /// Tunnel key within the datapath.
        tunnel_key: int = "tunnel_key",
        /// Options.
        options: map = "options",
        /// Parent port (containers).
        parent_port: opt_str = "parent_port",
        /// VLAN tag (containers).
        tag: opt_int = "tag",
        /// The chassis the port is bound to.
        chassis: opt_uuid = "chassis",
        /// Encap used to reach it.
        encap: opt_uuid = "encap",
        /// Additional chassis (migration).
        additional_chassis: uuids = "additional_chassis",
        /// Requested chassis.
        requested_chassis: opt_uuid = "requested_chassis",
        /// Requested additional chassis.
        requested_additional_chassis: uuids = "requested_additional_chassis",
        /// MAC (and IP) addresses.
        mac: strs = "mac",
        /// Port security.
        port_security: strs = "port_security",
        /// NAT addresses (gateway ports).
        nat_addresses: strs = "nat_addresses",
        /// Gateway chassis.
        gateway_chassis: uuids = "gateway_chassis",
        /// HA chassis group.
        ha_chassis_group: opt_uuid = "ha_chassis_group",
        /// Up (set by the chassis once installed).
        up: opt_bool = "up",
        /// Virtual parent (virtual ports).
        virtual_parent: opt_str = "virtual_parent",
        /// External ids.
        external_ids: map = "external_ids",
    }
}

view! {
    /// `Logical_Flow`.
    LogicalFlow = "Logical_Flow" {
        /// Datapath (unless `logical_dp_group` is set).
        logical_datapath: opt_uuid = "logical_datapath",
        /// Datapath group.
        logical_dp_group: opt_uuid = "logical_dp_group",
        /// `ingress` or `egress`.
        pipeline: str = "pipeline",
        /// Logical table.
        table_id: int = "table_id",
        /// Priority.
        priority: int = "priority",
        /// Match expression.
        match_: str = "match",
        /// Actions.
        actions: str = "actions",
        /// Controller meter.
        controller_meter: opt_str = "controller_meter",
        /// Tags (`in_out_port`).
        tags: map = "tags",
        /// External ids (`stage-name`, `source`, `stage-hint`).
        external_ids: map = "external_ids",
    }
}

view! {
    /// `Logical_DP_Group`.
    LogicalDpGroup = "Logical_DP_Group" {
        /// Member datapaths.
        datapaths: uuids = "datapaths",
    }
}

view! {
    /// `Multicast_Group`.
    MulticastGroup = "Multicast_Group" {
        /// Datapath.
        datapath: uuid = "datapath",
        /// Name (`_MC_flood`, ...).
        name: str = "name",
        /// Tunnel key (>= 32768).
        tunnel_key: int = "tunnel_key",
        /// Member port bindings.
        ports: uuids = "ports",
    }
}

view! {
    /// `MAC_Binding`: learned IP-to-MAC bindings.
    MacBinding = "MAC_Binding" {
        /// Logical port.
        logical_port: str = "logical_port",
        /// IP.
        ip: str = "ip",
        /// MAC.
        mac: str = "mac",
        /// Datapath.
        datapath: uuid = "datapath",
        /// Last refresh (ms).
        timestamp: int = "timestamp",
    }
}

view! {
    /// `Static_MAC_Binding`.
    StaticMacBinding = "Static_MAC_Binding" {
        /// Logical port.
        logical_port: str = "logical_port",
        /// IP.
        ip: str = "ip",
        /// MAC.
        mac: str = "mac",
        /// Datapath.
        datapath: uuid = "datapath",
        /// Overrides learned bindings.
        override_dynamic_mac: bool = "override_dynamic_mac",
    }
}

view! {
    /// `Address_Set`.
    AddressSet = "Address_Set" {
        /// Name.
        name: str = "name",
        /// Addresses.
        addresses: strs = "addresses",
    }
}

view! {
    /// `Port_Group`.
    PortGroup = "Port_Group" {
        /// Name.
        name: str = "name",
        /// Port names.
        ports: strs = "ports",
    }
}

view! {
    /// `Load_Balancer`.
    LoadBalancer = "Load_Balancer" {
        /// Name.
        name: str = "name",
        /// VIP -> backends.
        vips: map = "vips",
        /// Protocol.
        protocol: opt_str = "protocol",
        /// Datapaths.
        datapaths: uuids = "datapaths",
        /// Datapath group.
        datapath_group: opt_uuid = "datapath_group",
        /// Options.
        options: map = "options",
    }
}

view! {
    /// `FDB`: learned MACs.
    Fdb = "FDB" {
        /// MAC.
        mac: str = "mac",
        /// Datapath tunnel key.
        dp_key: int = "dp_key",
        /// Port tunnel key.
        port_key: int = "port_key",
    }
}

view! {
    /// `Gateway_Chassis`.
    GatewayChassis = "Gateway_Chassis" {
        /// Name.
        name: str = "name",
        /// Chassis.
        chassis: opt_uuid = "chassis",
        /// Priority.
        priority: int = "priority",
        /// Options.
        options: map = "options",
    }
}

view! {
    /// `HA_Chassis_Group`.
    HaChassisGroup = "HA_Chassis_Group" {
        /// Name.
        name: str = "name",
        /// Members.
        ha_chassis: uuids = "ha_chassis",
        /// Chassis referencing the group.
        ref_chassis: uuids = "ref_chassis",
    }
}

view! {
    /// `HA_Chassis`.
    HaChassis = "HA_Chassis" {
        /// Chassis.
        chassis: opt_uuid = "chassis",
        /// Priority.
        priority: int = "priority",
    }
}

view! {
    /// `Meter`.
    Meter = "Meter" {
        /// Name.
        name: str = "name",
        /// `kbps` or `pktps`.
        unit: str = "unit",
        /// Bands.
        bands: uuids = "bands",
    }
}

view! {
    /// `DNS`.
    Dns = "DNS" {
        /// Datapaths.
        datapaths: uuids = "datapaths",
        /// Records.
        records: map = "records",
    }
}

view! {
    /// `Meter_Band`.
    MeterBand = "Meter_Band" {
        /// `drop`.
        action: str = "action",
        /// Rate.
        rate: int = "rate",
        /// Burst size.
        burst_size: int = "burst_size",
    }
}

view! {
    /// `Controller_Event`: events the chassis reports (e.g. empty load balancer backends).
    ControllerEvent = "Controller_Event" {
        /// Event type (`empty_lb_backends`).
        event_type: str = "event_type",
        /// Event data.
        event_info: map = "event_info",
        /// Reporting chassis.
        chassis: opt_uuid = "chassis",
        /// Sequence number.
        seq_num: int = "seq_num",
    }
}

view! {
    /// `IP_Multicast`: per-datapath IGMP/MLD snooping configuration.
    IpMulticast = "IP_Multicast" {
        /// Datapath.
        datapath: uuid = "datapath",
        /// Snooping enabled.
        enabled: opt_bool = "enabled",
        /// Querier enabled.
        querier: opt_bool = "querier",
        /// Querier source MAC.
        eth_src: str = "eth_src",
        /// Querier IPv4 source.
        ip4_src: str = "ip4_src",
        /// Querier IPv6 source.
        ip6_src: str = "ip6_src",
        /// Group table size.
        table_size: opt_int = "table_size",
        /// Group idle timeout (s).
        idle_timeout: opt_int = "idle_timeout",
        /// Query interval (s).
        query_interval: opt_int = "query_interval",
        /// Max response (s).
        query_max_resp: opt_int = "query_max_resp",
        /// Flush sequence number.
        seq_no: int = "seq_no",
    }
}

view! {
    /// `IGMP_Group`: multicast groups learned by a chassis.
    IgmpGroup = "IGMP_Group" {
        /// Group address.
        address: str = "address",
        /// Datapath.
        datapath: opt_uuid = "datapath",
        /// Learning chassis.
        chassis: opt_uuid = "chassis",
        /// Member port bindings.
        ports: uuids = "ports",
    }
}

view! {
    /// `Service_Monitor`: load balancer health checks run by the chassis.
    ServiceMonitor = "Service_Monitor" {
        /// Backend IP.
        ip: str = "ip",
        /// `tcp` or `udp`.
        protocol: opt_str = "protocol",
        /// Backend port.
        port: int = "port",
        /// Backend logical port.
        logical_port: str = "logical_port",
        /// Probe source MAC.
        src_mac: str = "src_mac",
        /// Probe source IP.
        src_ip: str = "src_ip",
        /// `online`, `offline`, `error` (written by the chassis).
        status: opt_str = "status",
        /// Probe options.
        options: map = "options",
    }
}

view! {
    /// `BFD`: BFD sessions for gateway ports.
    Bfd = "BFD" {
        /// Logical port.
        logical_port: str = "logical_port",
        /// Peer IP.
        dst_ip: str = "dst_ip",
        /// Source UDP port.
        src_port: int = "src_port",
        /// Discriminator.
        disc: int = "disc",
        /// Min TX interval (ms).
        min_tx: int = "min_tx",
        /// Min RX interval (ms).
        min_rx: int = "min_rx",
        /// Detection multiplier.
        detect_mult: int = "detect_mult",
        /// `admin_down`, `down`, `init`, `up` (written by the chassis).
        status: str = "status",
        /// Options.
        options: map = "options",
    }
}

view! {
    /// `Chassis_Template_Var`: per-chassis template variable values.
    ChassisTemplateVar = "Chassis_Template_Var" {
        /// Chassis name.
        chassis: str = "chassis",
        /// Variables.
        variables: map = "variables",
    }
}

view! {
    /// `DHCP_Options`: supported DHCPv4 options.
    DhcpOptions = "DHCP_Options" {
        /// Option name.
        name: str = "name",
        /// Option code.
        code: int = "code",
        /// Value type.
        ty: str = "type",
    }
}

view! {
    /// `DHCPv6_Options`: supported DHCPv6 options.
    Dhcpv6Options = "DHCPv6_Options" {
        /// Option name.
        name: str = "name",
        /// Option code.
        code: int = "code",
        /// Value type.
        ty: str = "type",
    }
}
