//! A hypervisor: its own netns with ovsdb-server + ovs-vswitchd (userspace datapath), br-phy
//! on the shared underlay, br-int for OVN, and optionally an agent (ovn-controller/ovn-agent).

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::TestkitError;
use crate::capture::Capture;
use crate::central::Central;
use crate::cmd::{Cmd, excerpt_of_file, find_binary, tail_of_file};
use crate::fabric::{Testbed, UNDERLAY_PREFIX_LEN, underlay_ip};
use crate::netns::{Netns, require_root};
use crate::ovs::Ovs;
use crate::pod::Pod;
use crate::process::Process;
use crate::run_dir::RunDir;
use crate::wait::{wait_for, wait_until};

/// How long an agent may take to register its `Chassis` row.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(30);

static CAPTURES: AtomicU32 = AtomicU32::new(0);

/// Longest chassis/pod name: interface names `u-<name>`/`v-<name>` must fit IFNAMSIZ (15).
pub const MAX_NAME_LEN: usize = 13;

/// One chassis (`hv1`, ...), laid out as in the testbed guide:
///
/// * netns `<id>-<name>`; `eth0` (no IP, ARP off) is a veth to `u-<name>` on the fabric bridge;
/// * `br-phy` (netdev, standalone) owns eth0, its LOCAL port has `172.16.0.N/24`;
/// * `br-int` (netdev, `fail_mode=secure`, in-band off), management socket `<dir>/br-int.mgmt`;
/// * `Open_vSwitch .external_ids`: `system-id`, `hostname`, `ovn-remote` (central SB),
///   `ovn-encap-type=geneve`, `ovn-encap-ip`, `ovn-bridge=br-int`,
///   `ovn-bridge-datapath-type=netdev`, `ovn-monitor-all=false`;
/// * files in `<root>/<name>/`: `db.sock`, `ovs-vswitchd.{pid,log,ctl}`, `<agent>.{pid,log,out}`.
#[derive(Debug)]
pub struct Chassis {
    // Drop order: agent, OVS daemons, namespace, directory, address, testbed.
    agent: Option<Process>,
    ovs: Ovs,
    netns: Netns,
    dir: PathBuf,
    _run_dir: RunDir,
    name: String,
    host: u8,
    sb_remote: String,
    testbed: Arc<Testbed>,
}

impl Chassis {
    /// Starts chassis `name` attached to `central`'s SB and underlay. Needs root.
    pub fn start(central: &Central, name: &str) -> Result<Self, TestkitError> {
        validate_name("chassis name", name)?;
        require_root(&format!("chassis {name}"))?;
        let testbed = Arc::clone(central.testbed());
        let host = testbed.allocate_host()?;
        let result = Self::build(central, &testbed, name, host);
        if result.is_err() {
            testbed.release_host(host);
        }
        result
    }

    fn build(
        central: &Central,
        testbed: &Arc<Testbed>,
        name: &str,
        host: u8,
    ) -> Result<Self, TestkitError> {
        let run_dir = RunDir::create(testbed.subdir(name))?;
        let dir = run_dir.path().to_owned();
        let netns = Netns::create(&format!("{}-{name}", testbed.id()))?;
        let ns = netns.name().to_owned();
        // arp_ignore: the kernel must not answer ARP for br-phy's address from eth0 (guide §3).
        netns.sysctl(&[
            "net.ipv4.conf.all.arp_ignore=1",
            "net.ipv4.conf.default.arp_ignore=1",
        ])?;
        netns.disable_ipv6()?;
        let uplink = format!("u-{name}");
        testbed.with_fabric(|fabric| {
            let f = fabric.netns();
            f.ip(&[
                "link", "add", &uplink, "type", "veth", "peer", "name", "eth0", "netns", &ns,
            ])?;
            f.ip(&["link", "set", &uplink, "master", "br0", "up"])?;
            Ok(())
        })?;
        netns.ip(&["link", "set", "eth0", "arp", "off", "up"])?;

        let ovs = Ovs::start_in(&dir, Some(&ns), false)?;
        let ip = underlay_ip(host);
        let hwaddr = format!("02:00:00:00:ff:{host:02x}");
        ovs.vsctl(&[
            "add-br",
            "br-phy",
            "--",
            "set",
            "Bridge",
            "br-phy",
            "datapath_type=netdev",
            "fail_mode=standalone",
            &format!("other_config:hwaddr={hwaddr}"),
            "--",
            "add-port",
            "br-phy",
            "eth0",
        ])?;
        configure_br_phy(&netns, ip)?;
        ovs.add_bridge("br-int", "netdev")?;
        let sb_remote = central.sb_remote();
        ovs.vsctl(&[
            "set",
            "Open_vSwitch",
            ".",
            &format!("external_ids:system-id={name}"),
            &format!("external_ids:hostname={name}"),
            &format!("external_ids:ovn-remote={sb_remote}"),
            "external_ids:ovn-encap-type=geneve",
            &format!("external_ids:ovn-encap-ip={ip}"),
            "external_ids:ovn-bridge=br-int",
            "external_ids:ovn-bridge-datapath-type=netdev",
            "external_ids:ovn-monitor-all=false",
        ])?;
        Ok(Chassis {
            agent: None,
            ovs,
            netns,
            dir,
            _run_dir: run_dir,
            name: name.to_owned(),
            host,
            sb_remote,
            testbed: Arc::clone(testbed),
        })
    }

    /// Starts the real `ovn-controller` (as the guide does) and waits until its `Chassis` row
    /// is in the SB.
    pub fn start_ovn_controller(&mut self) -> Result<(), TestkitError> {
        let bin = find_binary("ovn-controller")?;
        self.start_agent(&bin, &[])?;
        self.wait_registered(REGISTER_TIMEOUT)
    }

    /// Starts an agent binary exactly the way ovn-controller is started: not detached, in the
    /// chassis netns, with `OVS_RUNDIR=OVN_RUNDIR=<dir>` (so `<dir>/br-int.mgmt` is found) and
    /// `<bin> --pidfile=<dir>/<stem>.pid --log-file=<dir>/<stem>.log EXTRA... unix:<dir>/db.sock`,
    /// stdout/stderr appended to `<dir>/<stem>.out` (`stem` = the binary's file name).
    ///
    /// Returns once the agent wrote its pidfile, or after 0.5 s if it writes none, and fails if
    /// it exited by then.
    pub fn start_agent(
        &mut self,
        binary: impl AsRef<Path>,
        extra_args: &[&str],
    ) -> Result<(), TestkitError> {
        let binary = binary.as_ref();
        if self.agent.as_mut().is_some_and(Process::is_running) {
            return Err(TestkitError::Invalid {
                what: "agent start",
                value: binary.display().to_string(),
                reason: format!("an agent is already running on chassis {}", self.name),
            });
        }
        let bin = find_binary(&binary.to_string_lossy())?;
        let stem = bin
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "agent".into());
        let d = self.dir.display().to_string();
        let pidfile = self.dir.join(format!("{stem}.pid"));
        let _ = std::fs::remove_file(&pidfile);
        let out_path = self.dir.join(format!("{stem}.out"));
        let out = File::options()
            .create(true)
            .append(true)
            .open(&out_path)
            .map_err(|e| TestkitError::io(format!("open {}", out_path.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| TestkitError::io("dup agent output", e))?;
        let cmd = self
            .env(Cmd::new(bin.to_string_lossy()))
            .arg(format!("--pidfile={}", pidfile.display()))
            .arg(format!("--log-file={d}/{stem}.log"))
            .args(extra_args)
            .arg(self.ovs.db_remote())
            .netns(Some(self.netns.name()));
        let cmdline = cmd.cmdline();
        let child = cmd
            .command()?
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|source| TestkitError::Spawn { cmdline, source })?;
        let mut agent = Process::from_child(stem.clone(), child, &self.dir);
        wait_until(Duration::from_millis(500), || {
            pidfile.exists() || !agent.is_running()
        });
        if !agent.is_running() {
            let status = agent
                .exit_status()
                .map_or_else(|| "unknown status".into(), |s| s.to_string());
            return Err(TestkitError::DaemonDied {
                name: format!("{stem} on chassis {}", self.name),
                status,
                output_tail: format!(
                    "{}\n{}",
                    excerpt_of_file(&out_path, 8),
                    excerpt_of_file(&self.dir.join(format!("{stem}.log")), 8)
                ),
            });
        }
        self.agent = Some(agent);
        Ok(())
    }

    /// Marks this chassis as an interconnection gateway (`external_ids:ovn-is-interconn`); the
    /// agent publishes it as `Chassis.other_config:is-interconn`, which ovn-ic requires.
    pub fn set_interconn(&self, enabled: bool) -> Result<(), TestkitError> {
        self.vsctl(&[
            "set",
            "Open_vSwitch",
            ".",
            &format!("external_ids:ovn-is-interconn={enabled}"),
        ])
        .map(drop)
    }

    /// Stops and restarts this chassis' ovs-vswitchd (all OpenFlow state is lost, as after a
    /// daemon restart on a host), restores br-phy's underlay address (the LOCAL tap is
    /// recreated) and waits until br-int's management socket accepts connections again.
    pub fn restart_vswitchd(&mut self) -> Result<(), TestkitError> {
        self.ovs.restart_vswitchd()?;
        configure_br_phy(&self.netns, self.encap_ip())
    }

    /// Waits until the SB has a `Chassis` row named after this chassis (the agent registered),
    /// failing early if the agent died.
    pub fn wait_registered(&mut self, timeout: Duration) -> Result<(), TestkitError> {
        let sbctl = Cmd::new("ovn-sbctl")
            .arg(format!("--db={}", self.sb_remote))
            .args([
                "--timeout=10",
                "--bare",
                "--columns=name",
                "find",
                "Chassis",
            ])
            .arg(format!("name={}", self.name));
        let name = self.name.clone();
        let agent = &mut self.agent;
        wait_for(
            &format!("Chassis {name} to appear in the SB"),
            timeout,
            || {
                if !agent.as_mut().is_some_and(Process::is_running) {
                    // Stop polling; reported below.
                    return Some(false);
                }
                sbctl
                    .run()
                    .ok()
                    .filter(|out| out.trim() == name)
                    .map(|_| true)
            },
        )
        .and_then(|registered| {
            if registered {
                Ok(())
            } else {
                Err(TestkitError::DaemonDied {
                    name: format!("agent on chassis {name}"),
                    status: "exited before registering".into(),
                    output_tail: self.agent_log_tail(20),
                })
            }
        })
    }

    /// The last lines of the agent's `.out` and `.log` files.
    pub fn agent_log_tail(&self, lines: usize) -> String {
        let Some(agent) = &self.agent else {
            return String::new();
        };
        let stem = agent.name();
        format!(
            "{}\n{}",
            tail_of_file(&self.dir.join(format!("{stem}.out")), lines),
            tail_of_file(&self.dir.join(format!("{stem}.log")), lines)
        )
    }

    /// Stops the agent (SIGTERM, SIGKILL after 5 s). A no-op without one. The real
    /// ovn-controller leaves its Chassis row and its flows behind.
    pub fn stop_agent(&mut self) {
        if let Some(mut agent) = self.agent.take() {
            agent.terminate();
        }
    }

    /// Whether the agent process is alive.
    pub fn agent_running(&mut self) -> bool {
        self.agent.as_mut().is_some_and(Process::is_running)
    }

    /// The agent's pid, if it is running.
    pub fn agent_pid(&mut self) -> Option<u32> {
        self.agent
            .as_mut()
            .and_then(|a| a.is_running().then(|| a.pid()))
    }

    fn env(&self, cmd: Cmd) -> Cmd {
        cmd.env("OVS_RUNDIR", &self.dir)
            .env("OVN_RUNDIR", &self.dir)
            .env("OVS_LOGDIR", &self.dir)
            .env("OVN_LOGDIR", &self.dir)
            .env("OVS_DBDIR", &self.dir)
    }

    /// Adds a pod: netns `<id>-<name>`, veth `v-<name>` in br-int with `iface-id=<name>`,
    /// `eth0` with `mac`, `ip_cidr` (e.g. `10.0.1.11/24`), MTU 1400, TX checksum offload off,
    /// IPv6 off, and a default route via `gateway` if given.
    pub fn add_pod(
        &self,
        name: &str,
        mac: &str,
        ip_cidr: &str,
        gateway: Option<&str>,
    ) -> Result<Pod, TestkitError> {
        validate_name("pod name", name)?;
        Pod::create(self, name, mac, ip_cidr, gateway)
    }

    /// `ovs-vsctl` against this chassis' database.
    pub fn vsctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.ovs.vsctl(args)
    }

    /// `ovs-ofctl -O OpenFlow15 <cmd> unix:<dir>/br-int.mgmt <rest...>` for `args = [cmd, rest...]`.
    pub fn ofctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.ovs.ofctl_br("br-int", args)
    }

    /// `ovs-appctl` to this chassis' ovs-vswitchd.
    pub fn appctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.ovs.appctl(args)
    }

    /// `ovn-appctl -t ovn-controller ARGS` (found through `OVN_RUNDIR=<dir>`; the real
    /// ovn-controller 23.03 has no `--unixctl`).
    pub fn ovn_appctl(&self, args: &[&str]) -> Result<String, TestkitError> {
        self.env(Cmd::new("ovn-appctl"))
            .args(["-t", "ovn-controller"])
            .args(args)
            .run()
    }

    /// Runs a program inside the chassis namespace.
    pub fn exec(&self, argv: &[&str]) -> Result<String, TestkitError> {
        self.netns.exec(argv)
    }

    /// Flushes the kernel neighbour cache and pings `peer` over the underlay, so OVS learns the
    /// peer's MAC for tunnel headers (`tnl/neigh`) before the first tunnelled packet (guide §4).
    pub fn warm_underlay(&self, peer: Ipv4Addr) -> bool {
        let _ = self.netns.ip(&["neigh", "flush", "dev", "br-phy"]);
        self.netns
            .exec(&["ping", "-c", "1", "-W", "1", &peer.to_string()])
            .is_ok()
    }

    /// Starts a capture of everything this chassis puts on (or gets from) the wire: tcpdump on
    /// `u-<name>` in the fabric namespace, BPF `filter` (e.g. `udp port 6081` for Geneve).
    pub fn capture_underlay(&self, filter: &str) -> Result<Capture, TestkitError> {
        let n = CAPTURES.fetch_add(1, Ordering::Relaxed);
        Capture::start(
            &format!("{}-fab", self.testbed.id()),
            &format!("u-{}", self.name),
            filter,
            &self.dir,
            &format!("underlay-{n}"),
        )
    }

    /// The chassis' OVS (database, vswitchd, bridges).
    pub fn ovs(&self) -> &Ovs {
        &self.ovs
    }

    /// Mutable access to the OVS (e.g. `restart_vswitchd`).
    pub fn ovs_mut(&mut self) -> &mut Ovs {
        &mut self.ovs
    }

    /// `<root>/<name>` (OVS_RUNDIR and OVN_RUNDIR of this chassis).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The namespace name `<id>-<name>`.
    pub fn netns(&self) -> &str {
        self.netns.name()
    }

    /// The chassis name (= system-id).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Geneve encap / underlay address `172.16.0.N`.
    pub fn encap_ip(&self) -> Ipv4Addr {
        underlay_ip(self.host)
    }

    /// `br-phy`'s MAC, `02:00:00:00:ff:NN` (peers' `tnl/neigh` entries must show it).
    pub fn underlay_mac(&self) -> String {
        format!("02:00:00:00:ff:{:02x}", self.host)
    }

    /// `unix:<dir>/db.sock`, the agent's only positional argument.
    pub fn db_remote(&self) -> String {
        self.ovs.db_remote()
    }

    /// The run id of the testbed (pod namespaces are `<id>-<pod>`).
    pub fn testbed_id(&self) -> &str {
        self.testbed.id()
    }
}

impl Drop for Chassis {
    fn drop(&mut self) {
        self.testbed.release_host(self.host);
    }
}

/// Brings br-phy's LOCAL tap up with the underlay address (idempotent).
fn configure_br_phy(netns: &Netns, ip: Ipv4Addr) -> Result<(), TestkitError> {
    netns.ip(&["link", "set", "br-phy", "up"])?;
    netns
        .ip(&[
            "addr",
            "replace",
            &format!("{ip}/{UNDERLAY_PREFIX_LEN}"),
            "dev",
            "br-phy",
        ])
        .map(drop)
}

pub(crate) fn validate_name(what: &'static str, name: &str) -> Result<(), TestkitError> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if name.is_empty() || name.len() > MAX_NAME_LEN || !ok_chars {
        return Err(TestkitError::Invalid {
            what,
            value: name.to_owned(),
            reason: format!("use 1..={MAX_NAME_LEN} characters of [a-z0-9_-]"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_fit_interface_names() {
        assert!(validate_name("pod name", "p1").is_ok());
        assert!(validate_name("pod name", "abcdefghijklm").is_ok());
        let err = validate_name("pod name", "abcdefghijklmn").unwrap_err();
        assert!(err.to_string().contains("abcdefghijklmn"), "{err}");
        assert!(validate_name("pod name", "").is_err());
        assert!(validate_name("pod name", "P1").is_err());
        assert!(validate_name("pod name", "a b").is_err());
    }
}
