//! Packet captures with tcpdump, e.g. of a chassis' underlay link in the fabric namespace.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::TestkitError;
use crate::cmd::{Cmd, tail_of_file};
use crate::process::Process;
use crate::wait::wait_for;

/// A running `tcpdump -w <file>`; [`Capture::stop`] ends it and decodes what it saw.
///
/// Uses `--immediate-mode -U`: without them a short capture hands nothing over (testbed guide,
/// gotcha 8).
#[derive(Debug)]
pub struct Capture {
    process: Option<Process>,
    pcap: PathBuf,
}

impl Capture {
    /// Starts capturing on `iface` inside `netns` with BPF `filter` (may be empty), writing
    /// `<dir>/<stem>.pcap`; returns once tcpdump is listening.
    pub fn start(
        netns: &str,
        iface: &str,
        filter: &str,
        dir: &Path,
        stem: &str,
    ) -> Result<Self, TestkitError> {
        let pcap = dir.join(format!("{stem}.pcap"));
        let stderr = dir.join(format!("{stem}.tcpdump.err"));
        let err = File::create(&stderr)
            .map_err(|e| TestkitError::io(format!("create {}", stderr.display()), e))?;
        let mut cmd = Cmd::new("tcpdump")
            .args(["-i", iface, "-nn", "-U", "--immediate-mode", "-w"])
            .arg(&pcap)
            .netns(Some(netns));
        if !filter.is_empty() {
            cmd = cmd.arg(filter);
        }
        let cmdline = cmd.cmdline();
        let child = cmd
            .command()?
            .stdout(Stdio::null())
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|source| TestkitError::Spawn { cmdline, source })?;
        let mut process = Process::from_child("tcpdump", child, dir);
        wait_for(
            &format!("tcpdump on {iface} in {netns} to listen"),
            Duration::from_secs(10),
            || {
                if !process.is_running() {
                    return Some(Err(()));
                }
                let text = std::fs::read_to_string(&stderr).unwrap_or_default();
                text.contains("listening on").then_some(Ok(()))
            },
        )?
        .map_err(|()| TestkitError::DaemonDied {
            name: format!("tcpdump on {iface} in {netns}"),
            status: "exited".into(),
            output_tail: tail_of_file(&stderr, 10),
        })?;
        Ok(Capture {
            process: Some(process),
            pcap,
        })
    }

    /// Stops tcpdump (SIGTERM flushes the file) and returns `tcpdump -nn -vv -r` of the capture,
    /// one packet per paragraph.
    pub fn stop(mut self) -> Result<String, TestkitError> {
        if let Some(mut p) = self.process.take() {
            p.terminate();
        }
        Cmd::new("tcpdump")
            .args(["-nn", "-vv", "-r"])
            .arg(&self.pcap)
            .run()
    }

    /// The pcap file.
    pub fn pcap(&self) -> &Path {
        &self.pcap
    }
}
