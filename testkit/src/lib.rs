//! `testkit`: a dev-only harness that runs the REAL OVS/OVN daemons for integration tests.
//!
//! Everything runs in private directories and network namespaces with unique names, so tests
//! run in parallel and never touch the system's `/var/run/openvswitch`. Every process started
//! is tracked and stopped on drop (SIGTERM, SIGKILL after 5 s; only while its command line still
//! contains its run directory), every namespace is deleted, every directory removed, also when
//! a test panics. Binaries missing → [`TestkitError::BinaryMissing`] (never a silent skip).
//!
//! | type | what | root? |
//! |---|---|---|
//! | [`OvsdbServer`] | `ovsdb-server` for a [`Schema`], standalone ([`OvsdbServer::start`]) or single-member raft ([`OvsdbServer::start_clustered`]); `.socket()`, `.remote()`, `.dir()`, `.kill()`, `.restart()` | no |
//! | [`Ovs`] | `ovsdb-server` + `ovs-vswitchd --enable-dummy --disable-system --disable-system-route`; `.add_bridge(name, "dummy")`, `.mgmt(br)`, `.vsctl`, `.ofctl`, `.ofctl_br`, `.appctl`, `.restart_vswitchd()`, `.rundir()`, `.db_remote()` | no |
//! | [`Central`] | NB + SB `ovsdb-server`s + `ovn-northd`; `.nbctl`, `.sbctl`, `.nb_remote()`, `.sb_remote()`; [`CentralOptions`] for clustered DBs | no |
//! | [`Chassis`] | netns `<id>-<name>` with OVS (netdev), br-phy on the shared underlay (172.16.0.N/24), br-int, OVN external_ids; `.start_ovn_controller()`, `.start_agent(bin, args)`, `.stop_agent()`, `.add_pod(..)`, `.vsctl`, `.ofctl` (br-int), `.appctl`, `.exec` | yes |
//! | [`Ic`] | IC NB + IC SB `ovsdb-server`s; `.start_az("az1")` gives a [`Central`] running `ovn-ic` on the same underlay; `.ic_nbctl`, `.ic_sbctl` | no (chassis: yes) |
//! | [`Pod`] | netns `<id>-<pod>`, veth `v-<pod>` in br-int with `iface-id=<pod>`, MTU 1400, TX csum off; `.exec`, `.ping(ip, n)`, `.wait_ping(ip, t)` | yes |
//!
//! The [`Chassis`] is laid out exactly as `ovn-controller` expects it (see the type's docs):
//! an agent started with [`Chassis::start_agent`] gets `OVS_RUNDIR=OVN_RUNDIR=<dir>`,
//! `--pidfile=<dir>/<bin>.pid --log-file=<dir>/<bin>.log EXTRA... unix:<dir>/db.sock`, runs in
//! the chassis netns and finds br-int's OpenFlow socket at `<dir>/br-int.mgmt`.
//!
//! Helpers: [`wait_until`] / [`wait_for`] poll a condition with a deadline (never sleep a fixed
//! time); [`Capture`] records a chassis' underlay link ([`Chassis::capture_underlay`]); [`Cmd`]
//! runs a command with a timeout and an error naming the command line, status and stderr;
//! [`pids_mentioning`] and [`list_netns`] let tests prove that teardown left nothing behind;
//! [`reap_stale_runs`] removes testbeds of test processes that died without unwinding.
//!
//! ```no_run
//! use testkit::{Central, Chassis};
//! # fn main() -> Result<(), testkit::TestkitError> {
//! let central = Central::start()?;
//! let mut hv1 = Chassis::start(&central, "hv1")?;
//! let mut hv2 = Chassis::start(&central, "hv2")?;
//! hv1.start_ovn_controller()?;
//! hv2.start_ovn_controller()?;
//! let p1 = hv1.add_pod("p1", "00:00:00:00:01:01", "10.0.1.11/24", None)?;
//! let p2 = hv2.add_pod("p2", "00:00:00:00:01:02", "10.0.1.12/24", None)?;
//! central.nbctl(&["ls-add", "ls1"])?;
//! for p in [&p1, &p2] {
//!     central.nbctl(&["lsp-add", "ls1", p.name(), "--", "lsp-set-addresses", p.name(), &p.lsp_addresses()])?;
//! }
//! central.nbctl(&["--wait=hv", "sync"])?;
//! assert!(p1.wait_ping(p2.ip(), std::time::Duration::from_secs(10)));
//! # Ok(()) }
//! ```

mod capture;
mod central;
mod chassis;
mod cmd;
mod error;
mod fabric;
mod ic;
mod netns;
mod ovs;
mod ovsdb_server;
mod pod;
mod process;
mod run_dir;
mod schema;
mod stale;
mod wait;

pub use capture::Capture;
pub use central::{Central, CentralOptions};
pub use chassis::{Chassis, MAX_NAME_LEN};
pub use cmd::{Cmd, CmdOutput, excerpt_of_file, find_binary, tail_of_file};
pub use error::TestkitError;
pub use fabric::underlay_ip;
pub use ic::Ic;
pub use netns::{Netns, list_netns, require_root, run_in_netns};
pub use ovs::Ovs;
pub use ovsdb_server::OvsdbServer;
pub use pod::{POD_MTU, Pod};
pub use process::{Process, TERM_GRACE, cmdline_of, pids_mentioning};
pub use run_dir::{RunDir, unique_id};
pub use schema::Schema;
pub use stale::{reap_stale_run, reap_stale_runs};
pub use wait::{wait_for, wait_until};

#[cfg(test)]
mod tests {
    /// Tests move testbeds into threads and share them; keep every handle `Send + Sync`.
    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::OvsdbServer>();
        check::<super::Ovs>();
        check::<super::Central>();
        check::<super::Chassis>();
        check::<super::Pod>();
        check::<super::Ic>();
        check::<super::Capture>();
        check::<super::TestkitError>();
    }
}
