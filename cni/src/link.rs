//! The pod's veth pair, driven through rtnetlink with one netlink connection per namespace.
//!
//! Creation is a single `RTM_NEWLINK` in the host namespace whose peer half carries the pod
//! namespace's fd and the final name, MAC and MTU, so the kernel creates the pod end directly inside
//! the pod under its final name (no move, no rename). The pod side is then configured through a
//! netlink socket opened inside the pod namespace. All of it runs on a dedicated thread
//! (`netns::on_dedicated_thread`) with its own single-threaded runtime, so no runtime worker ever
//! changes namespace.

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use futures_util::TryStreamExt;
use ipnetwork::IpNetwork;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkMessage,
};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteScope,
};
use rtnetlink::{Handle, LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder};

use crate::ethtool::{self, EthtoolError};
use crate::mac::Mac;
use crate::netns::{NetNs, NetNsError, NsThread, on_dedicated_thread};

/// Bound on each netlink request; the kernel answers in microseconds, so hitting this means trouble.
const OP_TIMEOUT: Duration = Duration::from_secs(5);

const ENODEV: i32 = 19;
const EEXIST: i32 = 17;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    NetNs(#[from] NetNsError),
    #[error("interface {ifname} already exists in {netns}")]
    AlreadyExists { ifname: String, netns: String },
    #[error("host interface {name} already exists")]
    HostNameTaken { name: String },
    #[error("interface {name} not found after creating it")]
    Vanished { name: String },
    #[error("netlink {op} failed")]
    Netlink {
        op: String,
        #[source]
        source: rtnetlink::Error,
    },
    #[error("netlink {op} timed out after {OP_TIMEOUT:?}")]
    Timeout { op: String },
    #[error("invalid route to {dst} via {gw}")]
    InvalidRoute { dst: IpNetwork, gw: String },
    #[error("cannot {what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot turn off TX checksum offload on {ifname}")]
    Ethtool {
        ifname: String,
        #[source]
        source: EthtoolError,
    },
}

/// A route to install in the pod (`0.0.0.0/0` or `::/0` for a default route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub dst: IpNetwork,
    /// `None`: on-link (scope link).
    pub gw: Option<IpAddr>,
    pub mtu: Option<u32>,
}

/// What to build for one attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethSpec {
    /// Host end, in the host namespace (≤ 15 bytes).
    pub host_name: String,
    /// Pod end, created in the pod namespace (`CNI_IFNAME`).
    pub ifname: String,
    /// Pod end MAC; `None` lets the kernel pick one.
    pub mac: Option<Mac>,
    /// MTU of both ends.
    pub mtu: u32,
    pub addresses: Vec<IpNetwork>,
    pub routes: Vec<RouteSpec>,
    /// The userspace (netdev) datapath does not complete partial checksums: TCP breaks unless the
    /// pod side computes them itself.
    pub tx_checksum_off: bool,
}

/// What was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethInfo {
    pub host_name: String,
    pub host_index: u32,
    pub host_mac: Option<Mac>,
    pub pod_index: u32,
    pub pod_mac: Option<Mac>,
}

/// The pod end as the kernel reports it (CHECK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLink {
    pub index: u32,
    pub mac: Option<Mac>,
    pub mtu: Option<u32>,
    pub up: bool,
    pub is_veth: bool,
    pub addresses: Vec<IpNetwork>,
    /// Main-table routes through this interface.
    pub routes: Vec<RouteSpec>,
}

/// A netlink connection bound to the namespace of the thread that opened it.
struct Nl {
    handle: Handle,
}

impl Nl {
    /// Must run inside the dedicated thread's runtime.
    fn open() -> Result<Nl, LinkError> {
        let (conn, handle, _) = rtnetlink::new_connection().map_err(|source| LinkError::Io {
            what: "open a netlink socket".into(),
            source,
        })?;
        tokio::spawn(conn);
        Ok(Nl { handle })
    }

    async fn link(&self, name: &str) -> Result<Option<LinkMessage>, LinkError> {
        let mut s = self.handle.link().get().match_name(name).execute();
        match bounded(format!("get link {name}"), s.try_next()).await {
            Ok(m) => Ok(m),
            Err(LinkError::Netlink { source, .. }) if errno(&source) == Some(ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn set_up(&self, index: u32, what: &str) -> Result<(), LinkError> {
        let msg = LinkUnspec::new_with_index(index).up().build();
        bounded(
            format!("set {what} up"),
            self.handle.link().set(msg).execute(),
        )
        .await
    }
}

fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => Some(-m.raw_code()),
        _ => None,
    }
}

async fn bounded<T>(
    op: String,
    fut: impl Future<Output = Result<T, rtnetlink::Error>>,
) -> Result<T, LinkError> {
    match tokio::time::timeout(OP_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(LinkError::Netlink { op, source }),
        Err(_) => Err(LinkError::Timeout { op }),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, LinkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|source| LinkError::Io {
            what: "start a netlink runtime".into(),
            source,
        })
}

/// Runs `f` on a dedicated thread that is in `ns` (or the process's namespace), with a netlink
/// connection opened there.
fn with_netlink<R: Send>(
    ns: Option<&NetNs>,
    f: impl AsyncFnOnce(&Nl) -> Result<R, LinkError> + Send,
) -> Result<R, LinkError> {
    on_dedicated_thread(|t| {
        if let Some(ns) = ns {
            t.enter(ns)?;
        }
        runtime()?.block_on(async {
            let nl = Nl::open()?;
            f(&nl).await
        })
    })?
}

fn link_mac(m: &LinkMessage) -> Option<Mac> {
    m.attributes.iter().find_map(|a| match a {
        LinkAttribute::Address(b) => Mac::from_slice(b),
        _ => None,
    })
}

/// Creates and configures the pair. On any failure after the pair exists, it is deleted again, so
/// the caller sees either a complete pair or nothing.
pub fn create_veth(
    host_ns: Option<&NetNs>,
    pod_ns: &NetNs,
    spec: &VethSpec,
) -> Result<VethInfo, LinkError> {
    on_dedicated_thread(|t| {
        if let Some(ns) = host_ns {
            t.enter(ns)?;
        }
        runtime()?.block_on(async {
            let host = Nl::open()?;
            t.enter(pod_ns)?;
            let pod = Nl::open()?;
            if pod.link(&spec.ifname).await?.is_some() {
                return Err(LinkError::AlreadyExists {
                    ifname: spec.ifname.clone(),
                    netns: pod_ns.path().display().to_string(),
                });
            }
            if host.link(&spec.host_name).await?.is_some() {
                return Err(LinkError::HostNameTaken {
                    name: spec.host_name.clone(),
                });
            }
            let mut peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name(spec.ifname.clone())
                .mtu(spec.mtu)
                .setns_by_fd(pod_ns.file().as_raw_fd());
            if let Some(mac) = spec.mac {
                peer = peer.address(mac.0.to_vec());
            }
            let msg = LinkMessageBuilder::<LinkVeth>::new_with_info_kind(InfoKind::Veth)
                .name(spec.host_name.clone())
                .mtu(spec.mtu)
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer.build())))
                .build();
            let op = format!("create veth {}/{}", spec.host_name, spec.ifname);
            match tokio::time::timeout(OP_TIMEOUT, host.handle.link().add(msg).execute()).await {
                Ok(Ok(())) => {}
                Ok(Err(source)) if errno(&source) == Some(EEXIST) => {
                    return Err(LinkError::HostNameTaken {
                        name: spec.host_name.clone(),
                    });
                }
                Ok(Err(source)) => return Err(LinkError::Netlink { op, source }),
                Err(_) => return Err(LinkError::Timeout { op }),
            }
            let configured = configure(&host, &pod, t, spec).await;
            if configured.is_err() {
                // Deleting the host end takes the peer with it.
                if let Ok(Some(m)) = host.link(&spec.host_name).await {
                    let _ = bounded(
                        "delete veth".into(),
                        host.handle.link().del(m.header.index).execute(),
                    )
                    .await;
                }
            }
            configured
        })
    })?
}

async fn configure(
    host: &Nl,
    pod: &Nl,
    _t: &mut NsThread,
    spec: &VethSpec,
) -> Result<VethInfo, LinkError> {
    let hl = host
        .link(&spec.host_name)
        .await?
        .ok_or_else(|| LinkError::Vanished {
            name: spec.host_name.clone(),
        })?;
    host.set_up(hl.header.index, &spec.host_name).await?;
    let pl = pod
        .link(&spec.ifname)
        .await?
        .ok_or_else(|| LinkError::Vanished {
            name: spec.ifname.clone(),
        })?;
    let idx = pl.header.index;
    if let Some(lo) = pod.link("lo").await? {
        pod.set_up(lo.header.index, "lo").await?;
    }
    if spec.addresses.iter().any(|a| a.is_ipv6()) {
        // Router advertisements would add addresses and routes OVN did not assign. This thread is in
        // the pod namespace, so /proc/sys/net is the pod's.
        let path = format!("/proc/sys/net/ipv6/conf/{}/accept_ra", spec.ifname);
        std::fs::write(&path, "0").map_err(|source| LinkError::Io {
            what: format!("write {path}"),
            source,
        })?;
    }
    for a in &spec.addresses {
        let mut req = pod.handle.address().add(idx, a.ip(), a.prefix());
        if a.is_ipv6() {
            // OVN's IPAM guarantees uniqueness; DAD would only delay the pod by ~1.5 s.
            req.message_mut()
                .attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        bounded(format!("add address {a} to {}", spec.ifname), req.execute()).await?;
    }
    pod.set_up(idx, &spec.ifname).await?;
    for r in &spec.routes {
        let msg = route_message(r, idx)?;
        bounded(
            format!("add route to {} on {}", r.dst, spec.ifname),
            pod.handle.route().add(msg).execute(),
        )
        .await?;
    }
    if spec.tx_checksum_off {
        ethtool::disable_tx_checksum(&spec.ifname).map_err(|source| LinkError::Ethtool {
            ifname: spec.ifname.clone(),
            source,
        })?;
    }
    Ok(VethInfo {
        host_name: spec.host_name.clone(),
        host_index: hl.header.index,
        host_mac: link_mac(&hl),
        pod_index: idx,
        pod_mac: link_mac(&pl),
    })
}

fn route_message(r: &RouteSpec, oif: u32) -> Result<RouteMessage, LinkError> {
    let bad = || LinkError::InvalidRoute {
        dst: r.dst,
        gw: r.gw.map_or_else(|| "on-link".to_owned(), |g| g.to_string()),
    };
    let mut b = RouteMessageBuilder::<IpAddr>::new()
        .destination_prefix(r.dst.network(), r.dst.prefix())
        .map_err(|_| bad())?
        .output_interface(oif);
    match r.gw {
        Some(gw) => b = b.gateway(gw).map_err(|_| bad())?,
        None => b = b.scope(RouteScope::Link),
    }
    let mut msg = b.build();
    if let Some(mtu) = r.mtu {
        msg.attributes.push(RouteAttribute::Metrics(vec![
            rtnetlink::packet_route::route::RouteMetric::Mtu(mtu),
        ]));
    }
    Ok(msg)
}

/// Deletes a link by name in `ns` (the host namespace when `None`). Returns whether it existed; a
/// missing link is not an error, so DEL stays idempotent.
pub fn delete_link(ns: Option<&NetNs>, name: &str) -> Result<bool, LinkError> {
    with_netlink(ns, async |nl| {
        let Some(m) = nl.link(name).await? else {
            return Ok(false);
        };
        match bounded(
            format!("delete link {name}"),
            nl.handle.link().del(m.header.index).execute(),
        )
        .await
        {
            Ok(()) => Ok(true),
            Err(LinkError::Netlink { source, .. }) if errno(&source) == Some(ENODEV) => Ok(false),
            Err(e) => Err(e),
        }
    })
}

/// Whether a link with this name exists in `ns` (the host namespace when `None`).
pub fn link_exists(ns: Option<&NetNs>, name: &str) -> Result<bool, LinkError> {
    with_netlink(ns, async |nl| Ok(nl.link(name).await?.is_some()))
}

/// Reads the pod end back (CHECK).
pub fn inspect(pod_ns: &NetNs, ifname: &str) -> Result<Option<PodLink>, LinkError> {
    with_netlink(Some(pod_ns), async |nl| {
        let Some(m) = nl.link(ifname).await? else {
            return Ok(None);
        };
        let index = m.header.index;
        let mut addresses = Vec::new();
        let mut s = nl
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute();
        while let Some(a) = bounded(format!("list addresses of {ifname}"), s.try_next()).await? {
            if a.header.index != index {
                continue;
            }
            let ip = a.attributes.iter().find_map(|x| match x {
                AddressAttribute::Address(ip) => Some(*ip),
                _ => None,
            });
            if let Some(ip) = ip
                && let Ok(n) = IpNetwork::new(ip, a.header.prefix_len)
            {
                addresses.push(n);
            }
        }
        let mut routes = Vec::new();
        for family in [
            RouteMessageBuilder::<std::net::Ipv4Addr>::new().build(),
            RouteMessageBuilder::<std::net::Ipv6Addr>::new().build(),
        ] {
            let mut s = nl.handle.route().get(family).execute();
            while let Some(r) = bounded(format!("list routes of {ifname}"), s.try_next()).await? {
                if let Some(spec) = route_spec(&r, index) {
                    routes.push(spec);
                }
            }
        }
        let is_veth = m.attributes.iter().any(|a| match a {
            LinkAttribute::LinkInfo(infos) => infos.iter().any(|i| {
                matches!(
                    i,
                    rtnetlink::packet_route::link::LinkInfo::Kind(InfoKind::Veth)
                )
            }),
            _ => false,
        });
        Ok(Some(PodLink {
            index,
            mac: link_mac(&m),
            mtu: m.attributes.iter().find_map(|a| match a {
                LinkAttribute::Mtu(v) => Some(*v),
                _ => None,
            }),
            up: m.header.flags.contains(LinkFlags::Up),
            is_veth,
            addresses,
            routes,
        }))
    })
}

fn route_addr(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

/// A main-table route through `oif` as a `RouteSpec`; others (local table, other links) are `None`.
fn route_spec(r: &RouteMessage, oif: u32) -> Option<RouteSpec> {
    if r.header.table != RouteHeader::RT_TABLE_MAIN {
        return None;
    }
    let mut dst = None;
    let mut gw = None;
    let mut on_oif = false;
    let mut mtu = None;
    for a in &r.attributes {
        match a {
            RouteAttribute::Destination(d) => dst = route_addr(d),
            RouteAttribute::Gateway(g) => gw = route_addr(g),
            RouteAttribute::Oif(i) => on_oif = *i == oif,
            RouteAttribute::Metrics(ms) => {
                mtu = ms.iter().find_map(|m| match m {
                    rtnetlink::packet_route::route::RouteMetric::Mtu(v) => Some(*v),
                    _ => None,
                });
            }
            _ => {}
        }
    }
    if !on_oif {
        return None;
    }
    let v6 = r.header.address_family == rtnetlink::packet_route::AddressFamily::Inet6;
    let dst = dst.unwrap_or(if v6 {
        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
    });
    let dst = IpNetwork::new(dst, r.header.destination_prefix_length).ok()?;
    Some(RouteSpec { dst, gw, mtu })
}
