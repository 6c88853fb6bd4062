//! Helpers shared by the codec integration tests: flow-text splitting, rendering with our
//! codec, and a fake OpenFlow switch that captures what `ovs-ofctl add-flows` sends.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use openflow::codec::Encode;
use openflow::{Instructions, Match};

/// A unique temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "openflow-codec-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `ovs-ofctl`, failing loudly when it is not installed.
pub fn ofctl() -> Command {
    if Command::new("ovs-ofctl").arg("--version").output().is_err() {
        panic!("ovs-ofctl not found in PATH: these oracle tests need Open vSwitch 3.1 installed");
    }
    Command::new("ovs-ofctl")
}

/// Splits `[priority=P,]match actions=…` into (priority, match text, actions text), dropping
/// the flow-level keys `cookie`, `table`, `priority` (and stats).
pub fn split_flow(flow: &str) -> (u16, String, &str) {
    let (m, a) = flow
        .split_once("actions=")
        .map_or((flow, ""), |(m, a)| (m.trim(), a.trim()));
    let mut prio = 32768;
    let mut items = Vec::new();
    let m = m.replace(' ', ",");
    for it in openflow::text::split_top(&m) {
        if let Some(p) = it.strip_prefix("priority=") {
            prio = p.parse().unwrap();
        } else if !(it.starts_with("cookie=") || it.starts_with("table=")) {
            items.push(it);
        }
    }
    (prio, items.join(","), a)
}

/// `priority=…,MATCH actions=…` as ovs-ofctl prints a flow (without cookie/table).
pub fn render(prio: u16, m: &Match, ins: &Instructions) -> String {
    let mut head = Vec::new();
    if prio != 32768 {
        head.push(format!("priority={prio}"));
    }
    let ms = m.to_string();
    if !ms.is_empty() {
        head.push(ms);
    }
    let head = head.join(",");
    if head.is_empty() {
        format!("actions={ins}")
    } else {
        format!("{head} actions={ins}")
    }
}

/// Our text and wire bytes (ofp_match + instructions) for a flow in ovs-ofctl syntax.
pub fn ours(flow: &str) -> Result<(String, Vec<u8>), String> {
    let (prio, m, a) = split_flow(flow);
    let m: Match = m.parse().map_err(|e| format!("{flow}: {e}"))?;
    let ins: Instructions = a.parse().map_err(|e| format!("{flow}: {e}"))?;
    let mut wire = m.to_vec();
    ins.encode(&mut wire);
    Ok((render(prio, &m, &ins), wire))
}

/// Runs `ovs-ofctl --no-names -O OpenFlow15 add-flows` for `flows` against a fake switch
/// (hello + barrier replies) and returns every FLOW_MOD it sent, in order.
pub fn capture_flow_mods(flows: &[&str]) -> Vec<Vec<u8>> {
    let dir = TempDir::new("wire");
    let sock = dir.0.join("switch.sock");
    let file = dir.0.join("flows.txt");
    std::fs::write(&file, flows.join("\n") + "\n").unwrap();
    let listener = UnixListener::bind(&sock).unwrap();
    let mut child = ofctl()
        .args(["--no-names", "-O", "OpenFlow15", "add-flows"])
        .arg(format!("unix:{}", sock.display()))
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // OF1.5-only hello.
    conn.write_all(&[6, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x40])
        .unwrap();
    let mut buf = Vec::new();
    let mut mods = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match conn.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("reading from ovs-ofctl: {e}");
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        while buf.len() >= 8 {
            let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
            if buf.len() < len {
                break;
            }
            let msg: Vec<u8> = buf.drain(..len).collect();
            match msg[1] {
                14 => mods.push(msg),
                20 => {
                    let mut reply = msg[..8].to_vec();
                    reply[1] = 21;
                    reply[2..4].copy_from_slice(&8u16.to_be_bytes());
                    conn.write_all(&reply).unwrap();
                }
                _ => {}
            }
        }
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "ovs-ofctl add-flows failed: {err}");
    mods
}
