//! The shared underlay: a Linux bridge in its own namespace, plus the run directory and id
//! shared by a [`crate::Central`] and its chassis.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::TestkitError;
use crate::netns::Netns;
use crate::run_dir::{RunDir, unique_id};

/// Underlay prefix length: hosts are `172.16.0.N/24`.
pub const UNDERLAY_PREFIX_LEN: u8 = 24;

/// The underlay "wire": namespace `<id>-fab` with bridge `br0`; chassis attach veths `u-<name>`.
#[derive(Debug)]
pub struct Fabric {
    netns: Netns,
}

impl Fabric {
    fn create(id: &str) -> Result<Self, TestkitError> {
        let netns = Netns::create(&format!("{id}-fab"))?;
        netns.disable_ipv6()?;
        netns.ip(&["link", "add", "br0", "type", "bridge"])?;
        netns.ip(&["link", "set", "br0", "up"])?;
        Ok(Fabric { netns })
    }

    /// The fabric namespace (run `tcpdump -i u-<chassis>` here to see the wire).
    pub fn netns(&self) -> &Netns {
        &self.netns
    }
}

/// What a central and its chassis share: id, root directory, fabric, address allocator.
/// Dropped when the last of them is dropped, so drop order between them does not matter.
#[derive(Debug)]
pub(crate) struct Testbed {
    // Drop order: fabric namespace, then the root directory.
    fabric: Mutex<Option<Fabric>>,
    hosts: Mutex<Vec<bool>>,
    id: String,
    root: RunDir,
}

impl Testbed {
    pub(crate) fn new() -> Result<Self, TestkitError> {
        let id = unique_id();
        let root = RunDir::new_temp(&id)?;
        Ok(Testbed {
            fabric: Mutex::new(None),
            hosts: Mutex::new(vec![false; 254]),
            id,
            root,
        })
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn root(&self) -> &Path {
        self.root.path()
    }

    pub(crate) fn subdir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Runs `f` with the fabric, creating it on first use (only chassis need root).
    pub(crate) fn with_fabric<T>(
        &self,
        f: impl FnOnce(&Fabric) -> Result<T, TestkitError>,
    ) -> Result<T, TestkitError> {
        let mut guard = self.fabric.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(Fabric::create(&self.id)?);
        }
        match guard.as_ref() {
            Some(fabric) => f(fabric),
            None => unreachable!("fabric was just created"),
        }
    }

    /// Allocates a host number N (1..=254) for `172.16.0.N`.
    pub(crate) fn allocate_host(&self) -> Result<u8, TestkitError> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let free = hosts
            .iter()
            .position(|used| !used)
            .ok_or(TestkitError::Invalid {
                what: "chassis count",
                value: "255".into(),
                reason: "the /24 underlay has room for 254 chassis".into(),
            })?;
        hosts[free] = true;
        u8::try_from(free + 1).map_err(|_| TestkitError::Invalid {
            what: "host number",
            value: free.to_string(),
            reason: "out of range".into(),
        })
    }

    pub(crate) fn release_host(&self, n: u8) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = usize::from(n).checked_sub(1).and_then(|i| hosts.get_mut(i)) {
            *slot = false;
        }
    }
}

/// The underlay address of host `n`.
pub fn underlay_ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(172, 16, 0, n)
}
