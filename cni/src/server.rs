//! The agent's CNI server: listens on a root-only unix socket, decodes "cni-rpc v1" requests from the
//! shim, serializes them per container, and runs ADD/DEL/CHECK/STATUS/GC against the kernel (veths,
//! on dedicated namespace threads) and the agent (`Backend`: port bindings, OVS ports, flows).

use std::collections::HashSet;
use std::io;
use std::net::IpAddr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnetwork::IpNetwork;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::backend::{Backend, BackendError, OvsPort, OwnedPort, PortInfo, Readiness};
use crate::config::{GENEVE_OVERHEAD, NetConf};
use crate::env::{CniArgs, Command};
use crate::error::CniError;
use crate::link::{self, LinkError, RouteSpec, VethInfo, VethSpec};
use crate::locks::KeyedLocks;
use crate::netns::{NetNs, NetNsError, on_dedicated_thread_async};
use crate::protocol::{PROTOCOL_VERSION, Request, Response, frame_len};
use crate::result::{CniResult, Interface, IpConfig, Route};
use crate::version::VersionResult;

/// The socket's file name under `$OVN_RUNDIR` (`--cni-socket=PATH` overrides the whole path).
pub const SOCKET_NAME: &str = "ovn-agent-cni.sock";

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub socket: PathBuf,
    /// The integration bridge pods are plugged into.
    pub bridge: String,
    /// Where the host ends of veths go (the namespace ovs-vswitchd runs in); `None` is ours.
    pub host_netns: Option<PathBuf>,
    /// Longest wait for a logical port's Port_Binding.
    pub port_binding_timeout: Duration,
    /// Longest wait for the port's flows (`ovn-installed`).
    pub flows_timeout: Duration,
}

impl ServerConfig {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        ServerConfig {
            socket: socket.into(),
            bridge: "br-int".into(),
            host_netns: None,
            port_binding_timeout: Duration::from_secs(60),
            flows_timeout: Duration::from_secs(30),
        }
    }

    /// `$OVN_RUNDIR/ovn-agent-cni.sock`.
    pub fn default_socket(ovn_rundir: &Path) -> PathBuf {
        ovn_rundir.join(SOCKET_NAME)
    }
}

/// The deterministic host-side name of attachment (container id, ifname): `ovn` + 12 hex digits of a
/// hash, 15 bytes, never derived from the pod name (a re-created pod must not collide with its
/// predecessor's leftovers).
pub fn host_ifname(container_id: &str, ifname: &str) -> String {
    // FNV-1a: stable across releases and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in container_id.bytes().chain([b'/']).chain(ifname.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("ovn{:012x}", h >> 16)
}

/// The logical port for an attachment: named explicitly (config `logical_port`, `args.cni.logical_port`
/// or CNI_ARGS `OVN_LOGICAL_PORT`), else `<namespace>_<pod>` (OVN-Kubernetes' convention) on the default
/// network, and `<network>_<namespace>_<pod>` on a secondary network (`logical_switch` set).
pub fn logical_port(conf: &NetConf, args: &CniArgs) -> Result<String, CniError> {
    let explicit = conf
        .logical_port
        .as_deref()
        .or_else(|| conf.cni_arg("logical_port"))
        .or_else(|| args.get("OVN_LOGICAL_PORT").filter(|s| !s.is_empty()));
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    let (Some(ns), Some(pod)) = (args.pod_namespace(), args.pod_name()) else {
        return Err(CniError::invalid_conf(
            "logical_port",
            "not set, and CNI_ARGS has no K8S_POD_NAMESPACE and K8S_POD_NAME to derive it from",
        ));
    };
    Ok(match &conf.logical_switch {
        None => format!("{ns}_{pod}"),
        Some(_) => format!("{}_{ns}_{pod}", conf.name),
    })
}

/// One attachment's identity from a request.
#[derive(Debug, Clone)]
struct Attach {
    container_id: String,
    ifname: String,
    netns: Option<String>,
    args: CniArgs,
}

pub struct CniServer<B: Backend> {
    cfg: ServerConfig,
    backend: Arc<B>,
    locks: KeyedLocks,
}

impl<B: Backend> std::fmt::Debug for CniServer<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CniServer")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

fn backend_err(what: &str, e: BackendError) -> CniError {
    match e {
        BackendError::Unavailable(m) => CniError::try_again(format!("{what}: {m}")),
        BackendError::Failed(m) => CniError::Internal {
            msg: format!("{what}: {m}"),
        },
    }
}

fn link_err(e: LinkError) -> CniError {
    match &e {
        LinkError::AlreadyExists { .. } => CniError::invalid_conf("CNI_IFNAME", e.to_string()),
        LinkError::NetNs(NetNsError::NotFound { path }) => CniError::InvalidEnv {
            var: "CNI_NETNS",
            reason: format!("{} does not exist", path.display()),
        },
        _ => CniError::Interface { msg: chain(&e) },
    }
}

fn netns_err(var: &'static str, e: NetNsError) -> CniError {
    match e {
        NetNsError::NotFound { .. } | NetNsError::NotANetNs { .. } => CniError::InvalidEnv {
            var,
            reason: e.to_string(),
        },
        other => CniError::Interface { msg: chain(&other) },
    }
}

impl<B: Backend> CniServer<B> {
    pub fn new(cfg: ServerConfig, backend: Arc<B>) -> Self {
        CniServer {
            cfg,
            backend,
            locks: KeyedLocks::default(),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// Binds the socket: parent directory created 0700 if missing, a stale socket replaced, the new
    /// one 0600. Call inside the runtime.
    pub fn bind(&self) -> Result<UnixListener, CniError> {
        let path = &self.cfg.socket;
        let io_err =
            |what: &str, e: io::Error| CniError::io(format!("{what} {}", path.display()), e);
        if let Some(dir) = path.parent()
            && !dir.exists()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| io_err("cannot create the directory of", e))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io_err("cannot restrict the directory of", e))?;
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_socket() => {
                std::fs::remove_file(path).map_err(|e| io_err("cannot remove stale socket", e))?;
            }
            Ok(_) => {
                return Err(CniError::io(
                    format!("{} exists and is not a socket", path.display()),
                    io::Error::from(io::ErrorKind::AlreadyExists),
                ));
            }
            Err(_) => {}
        }
        let std_listener =
            std::os::unix::net::UnixListener::bind(path).map_err(|e| io_err("cannot bind", e))?;
        // Connections that sneak in before the chmod still face the peer-credential check.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_err("cannot chmod", e))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| io_err("cannot make non-blocking", e))?;
        UnixListener::from_std(std_listener).map_err(|e| io_err("cannot register", e))
    }

    /// Accepts connections until the listener fails; each is served on its own task.
    pub async fn serve(self: Arc<Self>, listener: UnixListener) -> io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let me = self.clone();
            tokio::spawn(async move { me.serve_conn(stream).await });
        }
    }

    async fn serve_conn(&self, mut stream: UnixStream) {
        let me = nix::unistd::geteuid().as_raw();
        match stream.peer_cred() {
            Ok(c) if c.uid() == 0 || c.uid() == me => {}
            Ok(c) => {
                warn!(
                    uid = c.uid(),
                    "refused a CNI connection from a non-root peer"
                );
                return;
            }
            Err(e) => {
                warn!(error = %e, "cannot read CNI peer credentials");
                return;
            }
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), async {
            let mut header = [0u8; 4];
            stream.read_exact(&mut header).await?;
            let mut payload = vec![0u8; frame_len(header)?];
            stream.read_exact(&mut payload).await?;
            Ok::<_, io::Error>(payload)
        })
        .await;
        let resp = match frame {
            Ok(Ok(bytes)) => match serde_json::from_slice::<Request>(&bytes) {
                Ok(req) => self.handle(req).await,
                Err(e) => Response::failure(
                    &CniError::Protocol {
                        msg: format!("cannot decode the request: {e}"),
                    },
                    "1.0.0",
                ),
            },
            Ok(Err(e)) => {
                debug!(error = %e, "CNI connection closed before a full request");
                return;
            }
            Err(_) => {
                debug!("CNI connection sent no request within 5 s");
                return;
            }
        };
        let Ok(payload) = serde_json::to_vec(&resp) else {
            return;
        };
        let mut out = Vec::with_capacity(payload.len() + 4);
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&payload);
        match tokio::time::timeout(Duration::from_secs(5), stream.write_all(&out)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => debug!(error = %e, "the shim went away before the answer"),
            Err(_) => debug!("the shim did not read the answer within 5 s"),
        }
    }

    /// Runs one request (the socket-independent core; tests call it directly too).
    pub async fn handle(&self, req: Request) -> Response {
        let version = req
            .config
            .get("cniVersion")
            .and_then(Value::as_str)
            .unwrap_or("1.0.0")
            .to_owned();
        let span = info_span!("cni", cmd = %req.cmd, container = req.container_id.as_deref().unwrap_or(""),
            ifname = req.ifname.as_deref().unwrap_or(""));
        let started = Instant::now();
        let out = self.dispatch(&req).instrument(span.clone()).await;
        let _e = span.enter();
        match out {
            Ok(result) => {
                info!(elapsed_ms = started.elapsed().as_millis() as u64, "done");
                Response::success(result)
            }
            Err(e) => {
                warn!(code = e.code(), error = %e, elapsed_ms = started.elapsed().as_millis() as u64, "failed");
                Response::failure(&e, &version)
            }
        }
    }

    async fn dispatch(&self, req: &Request) -> Result<Option<Value>, CniError> {
        if req.v != PROTOCOL_VERSION {
            return Err(CniError::Protocol {
                msg: format!(
                    "shim speaks protocol v{}, agent speaks v{PROTOCOL_VERSION}",
                    req.v
                ),
            });
        }
        // Finish (or give up) a little before the shim stops waiting, so it gets our reason.
        let budget = Duration::from_millis(req.deadline_ms).mul_f64(0.9);
        let deadline = Instant::now() + budget.max(Duration::from_millis(100));
        let bytes = serde_json::to_vec(&req.config)
            .map_err(|e| CniError::Internal { msg: e.to_string() })?;
        let conf = NetConf::parse(&bytes)?;
        if req.cmd == Command::Version {
            let v = VersionResult::new(Some(&conf.cni_version));
            return serde_json::to_value(v)
                .map(Some)
                .map_err(|e| CniError::Internal { msg: e.to_string() });
        }
        if req.cmd == Command::Status {
            return self.status().map(|()| None);
        }
        if req.cmd == Command::Gc {
            return self.gc(&conf).await.map(|()| None);
        }
        let need = |v: &Option<String>, var: &'static str| {
            v.clone().ok_or(CniError::InvalidEnv {
                var,
                reason: format!("required for {}", req.cmd),
            })
        };
        let a = Attach {
            container_id: need(&req.container_id, "CNI_CONTAINERID")?,
            ifname: need(&req.ifname, "CNI_IFNAME")?,
            netns: req.netns.clone().filter(|s| !s.is_empty()),
            args: req.args.parse()?,
        };
        let _guard = self.locks.lock(&a.container_id).await;
        match req.cmd {
            Command::Add => self.add(&a, &conf, deadline).await.map(Some),
            Command::Del => self
                .remove_attachment(&a.container_id, &a.ifname)
                .await
                .map(|_| None),
            Command::Check => self.check(&a, &conf).await.map(|()| None),
            _ => Err(CniError::Internal {
                msg: format!("unexpected command {}", req.cmd),
            }),
        }
    }

    fn host_ns(&self) -> Result<Option<Arc<NetNs>>, CniError> {
        self.cfg
            .host_netns
            .as_ref()
            .map(|p| {
                NetNs::open(p)
                    .map(Arc::new)
                    .map_err(|e| CniError::Internal { msg: chain(&e) })
            })
            .transpose()
    }

    async fn add(&self, a: &Attach, conf: &NetConf, deadline: Instant) -> Result<Value, CniError> {
        if conf.prev_result.is_some() {
            return Err(CniError::invalid_conf(
                "prevResult",
                "ovn-agent-cni creates the interface and must be the first plugin of the list",
            ));
        }
        let netns = a.netns.clone().ok_or(CniError::InvalidEnv {
            var: "CNI_NETNS",
            reason: "required for ADD".into(),
        })?;
        let lport = logical_port(conf, &a.args)?;
        let pod_ns = Arc::new(NetNs::open(&netns).map_err(|e| netns_err("CNI_NETNS", e))?);
        let host_ns = self.host_ns()?;
        let reference = match &host_ns {
            Some(h) => h.clone(),
            None => Arc::new(NetNs::current().map_err(|e| CniError::Internal { msg: chain(&e) })?),
        };
        if pod_ns.same_as(&reference) {
            return Err(CniError::InvalidNetNs {
                path: netns,
                reason: "it is the host's network namespace".into(),
            });
        }
        // A leftover of an earlier ADD for this attachment (the runtime lost track): start clean.
        self.remove_attachment(&a.container_id, &a.ifname).await?;

        let until = deadline.min(Instant::now() + self.cfg.port_binding_timeout);
        let backend = self.backend.clone();
        let info: PortInfo = self
            .wait_for(
                &format!("the Port_Binding of logical port {lport}"),
                until,
                || backend.port_binding(&lport),
            )
            .await?;

        let mtu = conf.mtu.or(info.mtu).unwrap_or_else(|| {
            self.backend
                .underlay_mtu()
                .saturating_sub(GENEVE_OVERHEAD)
                .max(68)
        });
        let gateways: Vec<IpAddr> = if conf.gateways.is_empty() {
            info.gateways.clone()
        } else {
            conf.gateways.clone()
        };
        let mut routes = Vec::new();
        if conf.default_route {
            for gw in &gateways {
                let dst = if gw.is_ipv4() { "0.0.0.0/0" } else { "::/0" };
                let dst: IpNetwork = dst.parse().map_err(|_| CniError::Internal {
                    msg: "default route".into(),
                })?;
                if info.ips.iter().any(|ip| ip.is_ipv4() == gw.is_ipv4()) {
                    routes.push(RouteSpec {
                        dst,
                        gw: Some(*gw),
                        mtu: None,
                    });
                }
            }
        }
        routes.extend(conf.routes.iter().map(|r| RouteSpec {
            dst: r.dst,
            gw: r.gw,
            mtu: r.mtu,
        }));
        routes.extend(info.routes.iter().cloned());
        let tx_off = self
            .backend
            .bridge_is_userspace(&self.cfg.bridge)
            .map_err(|e| backend_err("cannot read the bridge's datapath type", e))?;
        let host_name = host_ifname(&a.container_id, &a.ifname);
        let spec = VethSpec {
            host_name: host_name.clone(),
            ifname: a.ifname.clone(),
            mac: Some(info.mac),
            mtu,
            addresses: info.ips.clone(),
            routes: routes.clone(),
            tx_checksum_off: tx_off,
        };
        let veth: VethInfo = {
            let (h, p, s) = (host_ns.clone(), pod_ns.clone(), spec.clone());
            on_dedicated_thread_async(move |_| link::create_veth(h.as_deref(), &p, &s))
                .await
                .map_err(|e| CniError::Interface { msg: chain(&e) })?
                .map_err(link_err)?
        };
        let port = OvsPort {
            bridge: self.cfg.bridge.clone(),
            name: host_name.clone(),
            iface_id: lport.clone(),
            iface_id_ver: a.args.pod_uid().map(str::to_owned),
            attached_mac: info.mac,
            ip_addresses: info.ips.clone(),
            container_id: a.container_id.clone(),
            ifname: a.ifname.clone(),
            netns: netns.clone(),
            network: conf.name.clone(),
        };
        let plugged = async {
            self.evict_previous_owners(&lport, &a.container_id, host_ns.clone())
                .await?;
            self.backend
                .add_ovs_port(&port)
                .await
                .map_err(|e| backend_err(&format!("cannot add OVS port {host_name}"), e))?;
            let until = deadline.min(Instant::now() + self.cfg.flows_timeout);
            let backend = self.backend.clone();
            let name = host_name.clone();
            self.wait_for(
                &format!("the flows of port {host_name} (logical port {lport}, ovn-installed)"),
                until,
                || backend.ovn_installed(&name).map(|ok| ok.then_some(())),
            )
            .await
        }
        .await;
        if let Err(e) = plugged {
            self.rollback(&host_name, host_ns).await;
            return Err(e);
        }

        let mut result = CniResult::default();
        result.interfaces.push(Interface {
            name: host_name,
            mac: veth.host_mac.map(|m| m.to_string()),
            ..Interface::default()
        });
        result.interfaces.push(Interface {
            name: a.ifname.clone(),
            mac: Some(info.mac.to_string()),
            mtu: Some(mtu),
            sandbox: Some(netns),
            ..Interface::default()
        });
        for ip in &info.ips {
            result.ips.push(IpConfig {
                address: *ip,
                gateway: gateways
                    .iter()
                    .copied()
                    .find(|g| g.is_ipv4() == ip.is_ipv4()),
                interface: Some(1),
            });
        }
        for r in &routes {
            let mut route = Route::new(r.dst, r.gw);
            route.mtu = r.mtu;
            result.routes.push(route);
        }
        result.dns = conf.dns.clone();
        Ok(result.to_json(conf.version))
    }

    /// Only the newest sandbox may hold a logical port: two interfaces with one `iface-id` make the
    /// flow programmer pick either (OVN-Kubernetes #869, Kube-OVN #6420). Ports of other containers
    /// claiming `lport` are removed; the runtime is replacing those sandboxes anyway.
    async fn evict_previous_owners(
        &self,
        lport: &str,
        container_id: &str,
        host_ns: Option<Arc<NetNs>>,
    ) -> Result<(), CniError> {
        let owned = self
            .backend
            .owned_ports()
            .map_err(|e| backend_err("cannot list OVS ports", e))?;
        for p in owned
            .iter()
            .filter(|p| p.iface_id == lport && p.container_id != container_id)
        {
            info!(port = %p.name, old_container = %p.container_id, logical_port = lport,
                "a newer sandbox takes over the logical port");
            self.remove_port(&p.name, host_ns.clone()).await?;
        }
        Ok(())
    }

    async fn rollback(&self, host_name: &str, host_ns: Option<Arc<NetNs>>) {
        if let Err(e) = self.backend.del_ovs_port(&self.cfg.bridge, host_name).await {
            warn!(port = host_name, error = %e, "rollback: cannot delete the OVS port");
        }
        let name = host_name.to_owned();
        let deleted =
            on_dedicated_thread_async(move |_| link::delete_link(host_ns.as_deref(), &name)).await;
        if !matches!(deleted, Ok(Ok(_))) {
            warn!(port = host_name, "rollback: cannot delete the veth");
        }
    }

    /// Polls `probe` until it yields, re-checking whenever the backend reports a change.
    async fn wait_for<T>(
        &self,
        what: &str,
        until: Instant,
        mut probe: impl FnMut() -> Result<Option<T>, BackendError>,
    ) -> Result<T, CniError> {
        let started = Instant::now();
        let mut last_unavailable = None;
        loop {
            match probe() {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(BackendError::Unavailable(m)) => last_unavailable = Some(m),
                Err(e) => return Err(backend_err(&format!("waiting for {what}"), e)),
            }
            if Instant::now() >= until {
                let why = last_unavailable
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                return Err(CniError::try_again(format!(
                    "timed out after {:.1?} waiting for {what}{why}",
                    started.elapsed()
                )));
            }
            tokio::select! {
                () = self.backend.changed() => {}
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(until)) => {}
            }
        }
    }

    /// Removes every trace of attachment (container, ifname): its OVS ports and veths. Whatever is
    /// already gone counts as removed (DEL is idempotent and works without the netns).
    async fn remove_attachment(&self, container_id: &str, ifname: &str) -> Result<usize, CniError> {
        let owned = self
            .backend
            .owned_ports()
            .map_err(|e| backend_err("cannot list OVS ports", e))?;
        let mut names: Vec<String> = owned
            .iter()
            .filter(|p| p.container_id == container_id && p.ifname == ifname)
            .map(|p| p.name.clone())
            .collect();
        let fallback = host_ifname(container_id, ifname);
        if !names.contains(&fallback) {
            names.push(fallback);
        }
        let host_ns = self.host_ns()?;
        let mut removed = 0;
        for name in names {
            removed += usize::from(self.remove_port(&name, host_ns.clone()).await?);
        }
        Ok(removed)
    }

    async fn remove_port(&self, name: &str, host_ns: Option<Arc<NetNs>>) -> Result<bool, CniError> {
        let port = self
            .backend
            .del_ovs_port(&self.cfg.bridge, name)
            .await
            .map_err(|e| backend_err(&format!("cannot delete OVS port {name}"), e))?;
        let n = name.to_owned();
        let link = on_dedicated_thread_async(move |_| link::delete_link(host_ns.as_deref(), &n))
            .await
            .map_err(|e| CniError::Interface { msg: chain(&e) })?
            .map_err(link_err)?;
        if port || link {
            info!(port = name, ovs = port, veth = link, "removed attachment");
        }
        Ok(port || link)
    }

    async fn check(&self, a: &Attach, conf: &NetConf) -> Result<(), CniError> {
        let fail = |msg: String| CniError::CheckFailed { msg };
        let owned = self
            .backend
            .owned_ports()
            .map_err(|e| backend_err("cannot list OVS ports", e))?;
        let Some(port) = owned
            .iter()
            .find(|p| p.container_id == a.container_id && p.ifname == a.ifname)
        else {
            return Err(fail(format!(
                "no OVS port for container {} interface {}",
                a.container_id, a.ifname
            )));
        };
        let installed = self
            .backend
            .ovn_installed(&port.name)
            .map_err(|e| backend_err("cannot read ovn-installed", e))?;
        if !installed {
            return Err(fail(format!(
                "the flows of port {} are not installed",
                port.name
            )));
        }
        let host_ns = self.host_ns()?;
        let name = port.name.clone();
        let host_link =
            on_dedicated_thread_async(move |_| link::link_exists(host_ns.as_deref(), &name))
                .await
                .map_err(|e| CniError::Interface { msg: chain(&e) })?
                .map_err(link_err)?;
        if !host_link {
            return Err(fail(format!("host interface {} is missing", port.name)));
        }
        let netns = a.netns.clone().ok_or(CniError::InvalidEnv {
            var: "CNI_NETNS",
            reason: "required for CHECK".into(),
        })?;
        let pod_ns = Arc::new(NetNs::open(&netns).map_err(|e| netns_err("CNI_NETNS", e))?);
        let ifname = a.ifname.clone();
        let pod = on_dedicated_thread_async(move |_| link::inspect(&pod_ns, &ifname))
            .await
            .map_err(|e| CniError::Interface { msg: chain(&e) })?
            .map_err(link_err)?
            .ok_or_else(|| fail(format!("interface {} is missing in {netns}", a.ifname)))?;
        if !pod.up {
            return Err(fail(format!("interface {} is down", a.ifname)));
        }
        if let Some(prev) = &conf.prev_result {
            let ours = prev
                .interfaces
                .iter()
                .position(|i| i.name == a.ifname && i.sandbox.is_some());
            if let Some(i) = ours {
                let want = prev.interfaces.get(i).and_then(|i| i.mac.as_deref());
                let have = pod.mac.map(|m| m.to_string());
                if want.is_some() && want != have.as_deref() {
                    return Err(fail(format!(
                        "MAC of {} is {have:?}, expected {want:?}",
                        a.ifname
                    )));
                }
            }
            for ip in &prev.ips {
                let for_us = ip.interface.is_none_or(|idx| Some(idx as usize) == ours);
                if for_us && !pod.addresses.contains(&ip.address) {
                    return Err(fail(format!(
                        "address {} is missing on {}",
                        ip.address, a.ifname
                    )));
                }
            }
        }
        Ok(())
    }

    fn status(&self) -> Result<(), CniError> {
        match self.backend.readiness() {
            Readiness::Ready => Ok(()),
            Readiness::NotReady(reason) => Err(CniError::NotAvailable { reason }),
            Readiness::Degraded(reason) => Err(CniError::LimitedConnectivity { reason }),
        }
    }

    /// Removes this network's attachments that are not in the valid list; keeps going on errors and
    /// reports them all.
    async fn gc(&self, conf: &NetConf) -> Result<(), CniError> {
        let valid = conf.valid_attachments.as_ref().ok_or_else(|| {
            CniError::invalid_conf("cni.dev/valid-attachments", "is required for GC")
        })?;
        let keep: HashSet<(&str, &str)> = valid
            .iter()
            .map(|a| (a.container_id.as_str(), a.ifname.as_str()))
            .collect();
        let owned = self
            .backend
            .owned_ports()
            .map_err(|e| backend_err("cannot list OVS ports", e))?;
        let host_ns = self.host_ns()?;
        let mut errors = Vec::new();
        for p in owned.iter().filter(|p| p.network == conf.name) {
            if keep.contains(&(p.container_id.as_str(), p.ifname.as_str())) {
                continue;
            }
            let _g = self.locks.lock(&p.container_id).await;
            if let Err(e) = self.remove_port(&p.name, host_ns.clone()).await {
                errors.push(format!("{}: {e}", p.name));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CniError::try_again(format!(
                "GC could not remove {}",
                errors.join("; ")
            )))
        }
    }

    /// Startup reconciliation, before the socket opens: removes owned ports whose network namespace
    /// or host veth is gone (with the userspace datapath such ports keep a valid-looking ofport).
    /// Returns the names removed.
    pub async fn reconcile(&self) -> Result<Vec<String>, CniError> {
        let owned: Vec<OwnedPort> = self
            .backend
            .owned_ports()
            .map_err(|e| backend_err("cannot list OVS ports", e))?;
        let host_ns = self.host_ns()?;
        let mut removed = Vec::new();
        for p in owned {
            let netns_alive = NetNs::open(&p.netns).is_ok();
            let name = p.name.clone();
            let h = host_ns.clone();
            let link_alive =
                on_dedicated_thread_async(move |_| link::link_exists(h.as_deref(), &name))
                    .await
                    .map_err(|e| CniError::Interface { msg: chain(&e) })?
                    .map_err(link_err)?;
            if netns_alive && link_alive {
                continue;
            }
            let _g = self.locks.lock(&p.container_id).await;
            self.remove_port(&p.name, host_ns.clone()).await?;
            info!(port = %p.name, netns = %p.netns, netns_alive, link_alive, "reconcile removed a stale pod port");
            removed.push(p.name);
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_stable_short_and_distinct() {
        let a = host_ifname("8d4c0a", "eth0");
        assert_eq!(a.len(), 15);
        assert_eq!(a, host_ifname("8d4c0a", "eth0"));
        assert_ne!(a, host_ifname("8d4c0a", "net1"));
        assert_ne!(a, host_ifname("8d4c0b", "eth0"));
        assert!(crate::env::validate_ifname(&a).is_ok());
        // Golden value: changing the hash would orphan every port created by an older agent.
        assert_eq!(host_ifname("c1", "eth0"), "ovn9e27a0abdbb0");
    }

    #[test]
    fn logical_port_naming() {
        let conf = |extra: serde_json::Value| {
            let mut v =
                serde_json::json!({"cniVersion": "1.0.0", "name": "blue", "type": "ovn-agent-cni"});
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            NetConf::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
        };
        let k8s: CniArgs = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"
            .parse()
            .unwrap();
        assert_eq!(
            logical_port(&conf(serde_json::json!({})), &k8s).unwrap(),
            "default_web-0"
        );
        assert_eq!(
            logical_port(
                &conf(serde_json::json!({"logical_switch": "ls-blue"})),
                &k8s
            )
            .unwrap(),
            "blue_default_web-0"
        );
        assert_eq!(
            logical_port(&conf(serde_json::json!({"logical_port": "lp9"})), &k8s).unwrap(),
            "lp9"
        );
        assert_eq!(
            logical_port(
                &conf(serde_json::json!({"args": {"cni": {"logical_port": "lpa"}}})),
                &k8s
            )
            .unwrap(),
            "lpa"
        );
        let explicit: CniArgs = "OVN_LOGICAL_PORT=lpx".parse().unwrap();
        assert_eq!(
            logical_port(&conf(serde_json::json!({})), &explicit).unwrap(),
            "lpx"
        );
        let e = logical_port(&conf(serde_json::json!({})), &CniArgs::default()).unwrap_err();
        assert_eq!(e.code(), 7);
        assert!(e.to_string().contains("logical_port"), "{e}");
    }
}
