//! `Backend` over OVSDB replicas kept by the `ovsdb` crate's client: the local Open_vSwitch database
//! (ports, `ovn-installed`, datapath type), the southbound (Port_Binding), and optionally a northbound
//! (`Logical_Switch_Port.dynamic_addresses`, for ports addressed by OVN's IPAM, whose SB `mac` column
//! keeps the literal `dynamic`). Reads are lookups in the replicas; writes are transactions.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ovsdb::io::{Client, ClientConfig, ClientError};
use ovsdb::views::ovn_sb::PortBinding;
use ovsdb::views::vswitch::{Bridge, Interface};
use ovsdb::{
    Atom, Clause, Condition, Datum, MonitorRequest, Mutation, Mutator, Operation, OperationResult,
    Uuid,
};

use crate::backend::{Backend, BackendError, OWNER, OvsPort, OwnedPort, PortInfo, Readiness};
use crate::port_binding::{LspAddresses, parse_addresses, parse_router_networks, resolve};

/// The three clients the backend reads. The agent passes its own (shared) clients.
#[derive(Debug)]
pub struct OvsdbBackend {
    ovs: Client,
    sb: Client,
    nb: Option<Client>,
    underlay_mtu: u32,
    was_ready: AtomicBool,
}

fn unavailable(what: &str) -> BackendError {
    BackendError::Unavailable(format!("the {what} database is not synced"))
}

fn client_err(what: &str, e: ClientError) -> BackendError {
    match e {
        ClientError::NotConnected
        | ClientError::Disconnected
        | ClientError::Shutdown
        | ClientError::Io { .. } => BackendError::Unavailable(format!("{what}: {e}")),
        other => BackendError::Failed(format!("{what}: {other}")),
    }
}

impl OvsdbBackend {
    pub fn new(ovs: Client, sb: Client, nb: Option<Client>, underlay_mtu: u32) -> Self {
        OvsdbBackend {
            ovs,
            sb,
            nb,
            underlay_mtu,
            was_ready: AtomicBool::new(false),
        }
    }

    /// Starts clients that monitor only what the CNI server reads (call inside a tokio runtime).
    pub fn start(
        ovs_remote: &str,
        sb_remote: &str,
        nb_remote: Option<&str>,
        underlay_mtu: u32,
    ) -> Result<Self, ClientError> {
        let mut ovs = ClientConfig::new(ovs_remote, "Open_vSwitch");
        ovs.tables = vec![
            MonitorRequest::table("Bridge").columns(["name", "ports", "datapath_type"]),
            MonitorRequest::table("Port").columns(["name", "interfaces"]),
            MonitorRequest::table("Interface").columns(["name", "external_ids", "ofport"]),
        ];
        ovs.indexes = vec![
            ("Interface".into(), "name".into()),
            ("Bridge".into(), "name".into()),
        ];
        let mut sb = ClientConfig::new(sb_remote, "OVN_Southbound");
        sb.tables = vec![MonitorRequest::table("Port_Binding").columns([
            "logical_port",
            "mac",
            "datapath",
            "type",
            "options",
        ])];
        sb.indexes = vec![
            ("Port_Binding".into(), "logical_port".into()),
            ("Port_Binding".into(), "datapath".into()),
        ];
        let nb = match nb_remote {
            Some(r) => {
                let mut nb = ClientConfig::new(r, "OVN_Northbound");
                nb.tables = vec![
                    MonitorRequest::table("Logical_Switch_Port")
                        .columns(["name", "dynamic_addresses"]),
                ];
                nb.indexes = vec![("Logical_Switch_Port".into(), "name".into())];
                Some(Client::start(nb)?)
            }
            None => None,
        };
        Ok(OvsdbBackend::new(
            Client::start(ovs)?,
            Client::start(sb)?,
            nb,
            underlay_mtu,
        ))
    }

    /// NB `dynamic_addresses` of `lport`: `None` while unassigned or without a NB connection.
    fn dynamic_addresses(&self, lport: &str) -> Result<Option<String>, BackendError> {
        let Some(nb) = &self.nb else {
            return Err(BackendError::Failed(format!(
                "{lport} uses dynamic addresses, and no northbound connection was configured to read them"
            )));
        };
        if !nb.is_synced() {
            return Err(unavailable("northbound"));
        }
        let guard = nb.lock();
        let Some(table) = guard.as_ref().and_then(|r| r.table("Logical_Switch_Port")) else {
            return Err(unavailable("northbound"));
        };
        let Some(col) = table.schema().column_index("dynamic_addresses") else {
            return Err(BackendError::Failed(
                "no Logical_Switch_Port.dynamic_addresses".into(),
            ));
        };
        Ok(table
            .find("name", &Atom::string(lport))
            .first()
            .and_then(|(_, row)| {
                row.get(col)
                    .as_set()
                    .first()
                    .and_then(Atom::as_str)
                    .map(str::to_owned)
            }))
    }
}

impl Backend for OvsdbBackend {
    fn port_binding(&self, lport: &str) -> Result<Option<PortInfo>, BackendError> {
        if !self.sb.is_synced() {
            return Err(unavailable("southbound"));
        }
        let (entry, router) = {
            let guard = self.sb.lock();
            let Some(pbs) = guard.as_ref().and_then(|r| r.typed::<PortBinding>()) else {
                return Err(unavailable("southbound"));
            };
            let found = pbs.find("logical_port", &Atom::string(lport));
            let Some(pb) = found.first() else {
                return Ok(None);
            };
            let Some(entry) = pb.mac().next().map(str::to_owned) else {
                return Err(BackendError::Failed(format!(
                    "Port_Binding {lport} has no addresses"
                )));
            };
            // The logical router port on this switch: the patch port's peer.
            let mut router = Vec::new();
            for p in pbs.find("datapath", &Atom::from(pb.datapath())) {
                if p.ty() != "patch" {
                    continue;
                }
                let Some(peer) = p.options().get("peer") else {
                    continue;
                };
                for lrp in pbs.find("logical_port", &Atom::string(peer)) {
                    for e in lrp.mac() {
                        if let Ok((_, nets)) = parse_router_networks(e) {
                            router.extend(nets);
                        }
                    }
                }
            }
            (entry, router)
        };
        let (mac, ips) = match parse_addresses(&entry).map_err(BackendError::Failed)? {
            LspAddresses::Static { mac, ips } if !ips.is_empty() => (mac, ips),
            LspAddresses::Static { .. } => {
                return Err(BackendError::Failed(format!(
                    "Port_Binding {lport} has a MAC but no IP address"
                )));
            }
            LspAddresses::Dynamic => {
                let Some(d) = self.dynamic_addresses(lport)? else {
                    return Ok(None); // IPAM has not assigned yet
                };
                match parse_addresses(&d).map_err(BackendError::Failed)? {
                    LspAddresses::Static { mac, ips } if !ips.is_empty() => (mac, ips),
                    _ => return Ok(None),
                }
            }
            other => {
                return Err(BackendError::Failed(format!(
                    "Port_Binding {lport} has no pod addresses ({other:?})"
                )));
            }
        };
        let (ips, gateways) = resolve(&ips, &router).map_err(BackendError::Failed)?;
        Ok(Some(PortInfo {
            mac,
            ips,
            gateways,
            routes: Vec::new(),
            mtu: None,
        }))
    }

    fn ovn_installed(&self, iface: &str) -> Result<bool, BackendError> {
        let guard = self.ovs.lock();
        let Some(ifaces) = guard.as_ref().and_then(|r| r.typed::<Interface>()) else {
            return Err(unavailable("Open_vSwitch"));
        };
        Ok(ifaces
            .find("name", &Atom::string(iface))
            .iter()
            .any(|i| i.external_ids().get("ovn-installed") == Some("true")))
    }

    fn bridge_is_userspace(&self, bridge: &str) -> Result<bool, BackendError> {
        if !self.ovs.is_synced() {
            return Err(unavailable("Open_vSwitch"));
        }
        let guard = self.ovs.lock();
        let Some(bridges) = guard.as_ref().and_then(|r| r.typed::<Bridge>()) else {
            return Err(unavailable("Open_vSwitch"));
        };
        match bridges.find("name", &Atom::string(bridge)).first() {
            Some(b) => Ok(b.datapath_type() == "netdev"),
            None => Err(BackendError::Failed(format!(
                "bridge {bridge} does not exist"
            ))),
        }
    }

    fn underlay_mtu(&self) -> u32 {
        self.underlay_mtu
    }

    fn readiness(&self) -> Readiness {
        let synced = self.ovs.is_synced() && self.sb.is_synced();
        if synced {
            self.was_ready.store(true, Ordering::Relaxed);
            Readiness::Ready
        } else if self.was_ready.load(Ordering::Relaxed) {
            Readiness::Degraded(
                "lost the connection to the Open_vSwitch or southbound database".into(),
            )
        } else {
            Readiness::NotReady(
                "not yet synced with the Open_vSwitch and southbound databases".into(),
            )
        }
    }

    async fn add_ovs_port(&self, port: &OvsPort) -> Result<(), BackendError> {
        // Replace, never duplicate: a Port of the same name would violate the name index.
        self.del_ovs_port(&port.bridge, &port.name).await?;
        let ids = Datum::map(port.external_ids());
        let ops = vec![
            Operation::insert(
                "Interface",
                [
                    ("name", Datum::from(port.name.as_str())),
                    ("external_ids", ids),
                ],
            )
            .with_uuid_name("iface"),
            Operation::insert(
                "Port",
                [
                    ("name", Datum::from(port.name.as_str())),
                    ("interfaces", Datum::from(Atom::named_uuid("iface"))),
                    // ovs-ctl --delete-transient-ports removes these at OVS start: pods do not survive it.
                    ("other_config", Datum::map([("transient", "true")])),
                ],
            )
            .with_uuid_name("port"),
            Operation::mutate(
                "Bridge",
                Condition::new([Clause::eq("name", port.bridge.as_str())]),
                vec![Mutation::new(
                    "ports",
                    Mutator::Insert,
                    Datum::from(Atom::named_uuid("port")),
                )],
            ),
        ];
        let res = self
            .ovs
            .transact(ops)
            .await
            .map_err(|e| client_err(&format!("adding port {}", port.name), e))?;
        match res.get(2) {
            Some(OperationResult::Count(1)) => Ok(()),
            _ => Err(BackendError::Failed(format!(
                "bridge {} does not exist",
                port.bridge
            ))),
        }
    }

    async fn del_ovs_port(&self, bridge: &str, name: &str) -> Result<bool, BackendError> {
        // Ask the server, not the replica: a port added a moment ago may not be replicated yet.
        let what = format!("deleting port {name} from {bridge}");
        let res = self
            .ovs
            .transact(vec![Operation::select(
                "Port",
                Condition::new([Clause::eq("name", name)]),
            )])
            .await
            .map_err(|e| client_err(&what, e))?;
        let uuids: Vec<Uuid> = match res.first() {
            Some(OperationResult::Select(rows)) => rows
                .iter()
                .filter_map(|r| {
                    r.get("_uuid")?
                        .get(1)?
                        .as_str()
                        .and_then(|u| Uuid::parse(u).ok())
                })
                .collect(),
            _ => Vec::new(),
        };
        if uuids.is_empty() {
            return Ok(false);
        }
        // Port and Interface are not root tables: unreferenced, they are garbage-collected.
        let ops = uuids
            .iter()
            .map(|u| {
                Operation::mutate(
                    "Bridge",
                    Condition::new([Clause::includes("ports", Datum::from(*u))]),
                    vec![Mutation::new("ports", Mutator::Delete, Datum::from(*u))],
                )
            })
            .collect();
        self.ovs
            .transact(ops)
            .await
            .map_err(|e| client_err(&what, e))?;
        Ok(true)
    }

    fn owned_ports(&self) -> Result<Vec<OwnedPort>, BackendError> {
        if !self.ovs.is_synced() {
            return Err(unavailable("Open_vSwitch"));
        }
        let guard = self.ovs.lock();
        let Some(ifaces) = guard.as_ref().and_then(|r| r.typed::<Interface>()) else {
            return Err(unavailable("Open_vSwitch"));
        };
        Ok(ifaces
            .iter()
            .filter(|i| i.external_ids().get("owner") == Some(OWNER))
            .map(|i| {
                let ids = i.external_ids();
                let get = |k: &str| ids.get(k).unwrap_or_default().to_owned();
                OwnedPort {
                    name: i.name().to_owned(),
                    container_id: get("cni-container-id"),
                    ifname: get("cni-ifname"),
                    netns: get("cni-netns"),
                    network: get("cni-network"),
                    iface_id: get("iface-id"),
                }
            })
            .collect())
    }

    fn changed(&self) -> impl Future<Output = ()> + Send {
        let mut ovs = self.ovs.subscribe();
        let mut sb = self.sb.subscribe();
        let mut nb = self.nb.as_ref().map(Client::subscribe);
        async move {
            ovs.borrow_and_update();
            sb.borrow_and_update();
            if let Some(nb) = nb.as_mut() {
                nb.borrow_and_update();
            }
            let nb_changed = async {
                match nb.as_mut() {
                    Some(nb) => {
                        let _ = nb.changed().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            // A change between the caller's check and this subscription is caught by the timeout.
            tokio::select! {
                _ = ovs.changed() => {}
                _ = sb.changed() => {}
                () = nb_changed => {}
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
    }
}
