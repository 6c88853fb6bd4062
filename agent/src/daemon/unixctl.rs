//! The control socket `ovs-appctl`/`ovn-appctl` talk to, with ovn-controller's command names.
//!
//! The protocol is OVS's unixctl: JSON-RPC 1.0 over a unix stream, one request
//! `{"id":…,"method":"exit","params":[…]}` answered by `{"id":…,"result":"…","error":null}` (or
//! an error string). The socket is `$OVN_RUNDIR/ovn-controller.<pid>.ctl` unless `--unixctl`
//! names one, which is where `ovn-appctl -t ovn-controller` looks.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// A command for the main loop, with where to send the answer.
#[derive(Debug)]
pub struct Request {
    /// The command name (`exit`, `recompute`, …).
    pub method: String,
    /// Its string arguments.
    pub params: Vec<String>,
    /// The answer: `Ok(text)` or `Err(text)`.
    pub reply: oneshot::Sender<Result<String, String>>,
}

/// The commands the agent answers (`list-commands`).
pub const COMMANDS: &[(&str, &str)] = &[
    ("exit", "[--restart]"),
    ("version", ""),
    ("list-commands", ""),
    ("connection-status", ""),
    ("recompute", ""),
    ("inc-engine/recompute", ""),
    ("ct-zone-list", ""),
    ("debug/status", ""),
];

/// The default socket path.
pub fn default_path(ovn_rundir: &Path) -> PathBuf {
    ovn_rundir.join(format!("ovn-controller.{}.ctl", std::process::id()))
}

/// Binds the socket and forwards requests to `tx`; answers `version` and `list-commands` itself.
pub fn start(path: &Path, tx: mpsc::Sender<Request>) -> std::io::Result<()> {
    if path.exists() {
        let _ = std::fs::remove_file(path);
    }
    let listener = UnixListener::bind(path)?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream, tx.clone()));
                }
                Err(e) => {
                    warn!(error = %e, "control socket accept failed");
                    return;
                }
            }
        }
    });
    Ok(())
}

/// Splits the first complete JSON value off `buf`, if there is one.
fn take_json(buf: &mut Vec<u8>) -> Option<Result<Value, serde_json::Error>> {
    let mut it = serde_json::Deserializer::from_slice(buf).into_iter::<Value>();
    match it.next() {
        Some(Ok(v)) => {
            let used = it.byte_offset();
            buf.drain(..used);
            Some(Ok(v))
        }
        Some(Err(e)) if e.is_eof() => None,
        Some(Err(e)) => Some(Err(e)),
        None => None,
    }
}

async fn serve(mut stream: UnixStream, tx: mpsc::Sender<Request>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(parsed) = take_json(&mut buf) {
            let Ok(req) = parsed else {
                debug!("malformed control request; closing");
                return;
            };
            let id = req.get("id").cloned().unwrap_or(Value::Null);
            let method = req
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let params: Vec<String> = req
                .get("params")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let answer = match method.as_str() {
                "version" => Ok(format!("ovn-agent {}\n", env!("CARGO_PKG_VERSION"))),
                "list-commands" => {
                    let mut s = String::from("The available commands are:\n");
                    for (c, a) in COMMANDS {
                        s.push_str(&format!("  {c:<24}{a}\n"));
                    }
                    Ok(s)
                }
                _ if COMMANDS.iter().any(|(c, _)| *c == method) => {
                    let (reply, rx) = oneshot::channel();
                    if tx
                        .send(Request {
                            method: method.clone(),
                            params,
                            reply,
                        })
                        .await
                        .is_err()
                    {
                        Err("the agent is shutting down".to_owned())
                    } else {
                        rx.await
                            .unwrap_or_else(|_| Err("the agent is shutting down".to_owned()))
                    }
                }
                _ => Err(format!(
                    "\"{method}\" is not a valid command (use \"list-commands\" to see a list of valid commands)"
                )),
            };
            let msg = match answer {
                Ok(r) => json!({"id": id, "result": r, "error": null}),
                Err(e) => json!({"id": id, "result": null, "error": e}),
            };
            if stream.write_all(msg.to_string().as_bytes()).await.is_err() {
                return;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_split_from_a_stream() {
        let mut b = br#"{"id":0,"method":"exit","params":[]}{"id":1"#.to_vec();
        let v = take_json(&mut b).unwrap().unwrap();
        assert_eq!(v["method"], "exit");
        assert!(take_json(&mut b).is_none());
        b.extend_from_slice(br#","method":"version","params":[]}"#);
        assert_eq!(take_json(&mut b).unwrap().unwrap()["id"], 1);
        let mut bad = b"}}".to_vec();
        assert!(take_json(&mut bad).unwrap().is_err());
    }
}
