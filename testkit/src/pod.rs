//! A pod: a network namespace whose `eth0` is a veth plugged into a chassis' br-int.

use std::time::Duration;

use crate::TestkitError;
use crate::chassis::Chassis;
use crate::cmd::Cmd;
use crate::netns::Netns;
use crate::wait::wait_until;

/// Pod MTU: Geneve + the OVN option cost 58 bytes on a 1500-byte underlay (guide, gotcha 2).
pub const POD_MTU: &str = "1400";

/// A pod on a chassis. Dropping it removes its br-int port (best effort) and its namespace.
#[derive(Debug)]
pub struct Pod {
    name: String,
    mac: String,
    ip_cidr: String,
    vsctl: Cmd,
    netns: Netns,
}

impl Pod {
    pub(crate) fn create(
        chassis: &Chassis,
        name: &str,
        mac: &str,
        ip_cidr: &str,
        gateway: Option<&str>,
    ) -> Result<Self, TestkitError> {
        let netns = Netns::create(&format!("{}-{name}", chassis.testbed_id()))?;
        netns.disable_ipv6()?;
        let port = format!("v-{name}");
        Cmd::new("ip")
            .args(["-n", chassis.netns(), "link", "add", &port, "type", "veth"])
            .args(["peer", "name", "eth0", "netns", netns.name()])
            .run()?;
        let pod = Pod {
            name: name.to_owned(),
            mac: mac.to_owned(),
            ip_cidr: ip_cidr.to_owned(),
            vsctl: Cmd::new("ovs-vsctl")
                .arg(format!("--db={}", chassis.db_remote()))
                .args(["--timeout=5", "--no-wait"]),
            netns,
        };
        let ns = &pod.netns;
        ns.ip(&["link", "set", "eth0", "address", mac, "mtu", POD_MTU, "up"])?;
        ns.ip(&["addr", "add", ip_cidr, "dev", "eth0"])?;
        if let Some(gw) = gateway {
            ns.ip(&["route", "add", "default", "via", gw])?;
        }
        // Userspace OVS forwards CHECKSUM_PARTIAL packets unfixed: TCP would die (gotcha 1).
        ns.exec(&[
            "ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off",
        ])?;
        Cmd::new("ip")
            .args(["-n", chassis.netns(), "link", "set", &port, "up"])
            .run()?;
        chassis.vsctl(&[
            "add-port",
            "br-int",
            &port,
            "--",
            "set",
            "Interface",
            &port,
            &format!("external_ids:iface-id={name}"),
        ])?;
        Ok(pod)
    }

    /// Runs a program inside the pod namespace; returns stdout.
    pub fn exec(&self, argv: &[&str]) -> Result<String, TestkitError> {
        self.netns.exec(argv)
    }

    /// Runs `f` on a thread inside the pod's namespace (e.g. to create a `TcpListener` or
    /// connect a `TcpStream` there); see [`Netns::run`].
    pub fn run_in<T, F>(&self, f: F) -> Result<T, TestkitError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.netns.run(f)
    }

    /// Sends `count` pings (0.2 s apart, 1 s reply timeout) to `ip`; true if the command
    /// reports success (at least one reply).
    pub fn ping(&self, ip: &str, count: u32) -> bool {
        self.ping_output(ip, count).is_ok()
    }

    /// Like [`Pod::ping`] but returns ping's output, or the error with its stderr/stdout.
    pub fn ping_output(&self, ip: &str, count: u32) -> Result<String, TestkitError> {
        let count = count.max(1).to_string();
        self.exec(&["ping", "-n", "-q", "-c", &count, "-i", "0.2", "-W", "1", ip])
    }

    /// Pings `ip` once at a time until a reply arrives or `timeout` passes.
    pub fn wait_ping(&self, ip: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.ping(ip, 1))
    }

    /// The pod (= logical switch port) name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The MAC of the pod's eth0.
    pub fn mac(&self) -> &str {
        &self.mac
    }

    /// The address with prefix length, as given.
    pub fn ip_cidr(&self) -> &str {
        &self.ip_cidr
    }

    /// The address without prefix length.
    pub fn ip(&self) -> &str {
        self.ip_cidr.split('/').next().unwrap_or(&self.ip_cidr)
    }

    /// `"<mac> <ip>"`, as `ovn-nbctl lsp-set-addresses` takes it.
    pub fn lsp_addresses(&self) -> String {
        format!("{} {}", self.mac, self.ip())
    }

    /// The OVS port / chassis-side veth name, `v-<name>`.
    pub fn port(&self) -> String {
        format!("v-{}", self.name)
    }

    /// The pod namespace name `<id>-<name>`.
    pub fn netns(&self) -> &str {
        self.netns.name()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        let port = self.port();
        let _ = self
            .vsctl
            .clone()
            .args(["--if-exists", "del-port", "br-int", &port])
            .run();
    }
}
