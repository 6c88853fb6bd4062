//! What the CNI server needs from the agent: its view of the southbound database (port bindings), of
//! the local Open vSwitch database (ports, `ovn-installed`), and its readiness. The agent implements
//! this with its OVSDB replicas; the server never talks to a database itself.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use ipnetwork::IpNetwork;

use crate::link::RouteSpec;
use crate::mac::Mac;

/// The addressing of a logical port, from SB `Port_Binding.mac` (or NB `dynamic_addresses` when the
/// port uses OVN's IPAM) plus the logical router port on its switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub mac: Mac,
    /// Addresses with the switch's prefix length.
    pub ips: Vec<IpNetwork>,
    /// The router port's addresses on the switch, one per family at most.
    pub gateways: Vec<IpAddr>,
    /// Extra routes the network wants in the pod.
    pub routes: Vec<RouteSpec>,
    /// Per-network MTU, when the agent knows one (else the config's, else underlay − 58).
    pub mtu: Option<u32>,
}

/// The Open vSwitch port the server asks for: `Port`+`Interface` named `name` on `bridge`, with
/// `Port.other_config:transient=true` and the `external_ids` below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OvsPort {
    pub bridge: String,
    /// The host end of the veth; also the Port and Interface name.
    pub name: String,
    /// `external_ids:iface-id`, the logical port.
    pub iface_id: String,
    /// `external_ids:iface-id-ver`, the pod UID when known.
    pub iface_id_ver: Option<String>,
    /// `external_ids:attached_mac`.
    pub attached_mac: Mac,
    /// `external_ids:ip_addresses`.
    pub ip_addresses: Vec<IpNetwork>,
    /// `external_ids:sandbox` / `cni-container-id`.
    pub container_id: String,
    /// `external_ids:cni-ifname`.
    pub ifname: String,
    /// `external_ids:cni-netns`.
    pub netns: String,
    /// `external_ids:cni-network`, the network name (GC is per network).
    pub network: String,
}

impl OvsPort {
    /// The `external_ids` map to write, as (key, value) pairs. `owner=ovn-agent` marks the ports the
    /// CNI server may delete.
    pub fn external_ids(&self) -> Vec<(&'static str, String)> {
        let mut ids = vec![
            ("iface-id", self.iface_id.clone()),
            ("attached_mac", self.attached_mac.to_string()),
            ("sandbox", self.container_id.clone()),
            ("cni-container-id", self.container_id.clone()),
            ("cni-ifname", self.ifname.clone()),
            ("cni-netns", self.netns.clone()),
            ("cni-network", self.network.clone()),
            ("owner", OWNER.to_owned()),
        ];
        if let Some(v) = &self.iface_id_ver {
            ids.push(("iface-id-ver", v.clone()));
        }
        if !self.ip_addresses.is_empty() {
            let ips: Vec<String> = self.ip_addresses.iter().map(ToString::to_string).collect();
            ids.push(("ip_addresses", ips.join(" ")));
        }
        ids
    }
}

/// `external_ids:owner` of the ports the CNI server created.
pub const OWNER: &str = "ovn-agent";

/// A port the server created earlier, as read back from OVSDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPort {
    pub name: String,
    pub container_id: String,
    pub ifname: String,
    pub netns: String,
    pub network: String,
    pub iface_id: String,
}

/// Whether the agent can serve ADD (CNI STATUS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not yet connected or synced (STATUS 50).
    NotReady(String),
    /// Was ready, lost a connection: existing pods may suffer (STATUS 51).
    Degraded(String),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// A database is not connected or a transaction timed out: worth retrying (CNI 11).
    #[error("{0}")]
    Unavailable(String),
    /// The request itself failed.
    #[error("{0}")]
    Failed(String),
}

/// The agent's side of the CNI server. Reads are synchronous lookups in the agent's replicas; writes
/// are transactions.
pub trait Backend: Send + Sync + 'static {
    /// The addressing of `logical_port` once its Port_Binding exists; `None` until then.
    fn port_binding(&self, logical_port: &str) -> Result<Option<PortInfo>, BackendError>;

    /// Whether the agent has installed the flows for the OVS interface (`external_ids:ovn-installed`).
    fn ovn_installed(&self, iface: &str) -> Result<bool, BackendError>;

    /// Whether `bridge` uses the userspace datapath (`datapath_type=netdev`).
    fn bridge_is_userspace(&self, bridge: &str) -> Result<bool, BackendError>;

    /// The encapsulation underlay's MTU (the pod default is this minus the Geneve overhead).
    fn underlay_mtu(&self) -> u32;

    fn readiness(&self) -> Readiness;

    /// Creates the port (replacing a port of the same name).
    fn add_ovs_port(&self, port: &OvsPort)
    -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Deletes the port by name; `Ok(false)` when it did not exist.
    fn del_ovs_port(
        &self,
        bridge: &str,
        name: &str,
    ) -> impl Future<Output = Result<bool, BackendError>> + Send;

    /// Every port with `external_ids:owner=ovn-agent`.
    fn owned_ports(&self) -> Result<Vec<OwnedPort>, BackendError>;

    /// Resolves when the replicas may have changed, so waits re-check. The default polls; the agent
    /// overrides it with its change notification.
    fn changed(&self) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(Duration::from_millis(100))
    }
}
