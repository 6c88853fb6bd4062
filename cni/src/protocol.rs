//! The shim↔agent protocol ("cni-rpc v1"): one connection per CNI invocation over a unix stream, one
//! request frame and one response frame, each a big-endian `u32` length followed by that many bytes of
//! JSON. The `v` field lets the two sides evolve separately; a server that does not know a request's
//! `v` answers with error 101.
//!
//! This module is blocking and std-only, because the shim must not link an async runtime.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::env::{CniEnv, Command};
use crate::error::{CniError, ErrorResult};

pub const PROTOCOL_VERSION: u32 = 1;

/// Frames larger than this are refused on both sides (a GC valid list for thousands of pods fits).
pub const MAX_FRAME: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    pub cmd: Command,
    #[serde(
        rename = "containerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ifname: Option<String>,
    /// `CNI_ARGS` verbatim.
    #[serde(default)]
    pub args: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The stdin network config, verbatim (unknown keys survive).
    pub config: Value,
    /// How long the shim will wait for the answer; the server finishes (or gives up) before that.
    #[serde(rename = "deadlineMs")]
    pub deadline_ms: u64,
}

impl Request {
    pub fn new(env: &CniEnv, raw_args: &str, config: Value, deadline: Duration) -> Self {
        Request {
            v: PROTOCOL_VERSION,
            cmd: env.command,
            container_id: env.container_id.clone(),
            netns: env.netns.clone(),
            ifname: env.ifname.clone(),
            args: raw_args.to_owned(),
            path: env.path.clone(),
            config,
            deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub v: u32,
    pub ok: bool,
    /// The result JSON, already rendered in the config's `cniVersion` (ADD only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorResult>,
}

impl Response {
    pub fn success(result: Option<Value>) -> Self {
        Response {
            v: PROTOCOL_VERSION,
            ok: true,
            result,
            error: None,
        }
    }

    pub fn failure(e: &CniError, cni_version: &str) -> Self {
        Response {
            v: PROTOCOL_VERSION,
            ok: false,
            result: None,
            error: Some(e.to_result(cni_version)),
        }
    }

    pub fn into_result(self) -> Result<Option<Value>, CniError> {
        match (self.ok, self.error) {
            (true, _) => Ok(self.result),
            (false, Some(e)) => Err(e.into()),
            (false, None) => Err(CniError::Protocol {
                msg: "agent reported failure without an error".into(),
            }),
        }
    }
}

/// The shim's per-command wait for the agent's answer, each below kubelet's 2-minute CRI timeout.
pub fn deadline_for(cmd: Command) -> Duration {
    Duration::from_secs(match cmd {
        Command::Add => 110,
        Command::Del => 60,
        Command::Check => 10,
        Command::Status | Command::Version => 3,
        Command::Gc => 90,
    })
}

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut buf = Vec::with_capacity(4 + payload.len());
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(payload);
    w.write_all(&buf)?;
    w.flush()
}

/// Validates a frame header, returning the payload length.
pub fn frame_len(header: [u8; 4]) -> io::Result<usize> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the {MAX_FRAME}-byte limit"),
        ));
    }
    Ok(len)
}

/// Reads one frame.
pub fn read_frame(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    r.read_exact(&mut header)?;
    let mut payload = vec![0u8; frame_len(header)?];
    r.read_exact(&mut payload)?;
    Ok(payload)
}

/// The shim's blocking client.
#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
    /// Bound on connecting, including retries while the agent restarts.
    pub connect_timeout: Duration,
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Client {
            socket: socket.into(),
            connect_timeout: Duration::from_millis(800),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Sends `req` and waits at most `deadline` for the answer. An agent that is not there (no
    /// socket, nobody listening, or not accepting in time) is "try again later" (11), or "not
    /// available" (50) for STATUS.
    pub fn call(&self, req: &Request, deadline: Duration) -> Result<Option<Value>, CniError> {
        let unreachable = |why: String| -> CniError {
            let reason = format!("agent not reachable at {}: {why}", self.socket.display());
            if req.cmd == Command::Status {
                CniError::NotAvailable { reason }
            } else {
                CniError::TryAgainLater { msg: reason }
            }
        };
        let mut stream = self.connect().map_err(|e| unreachable(e.to_string()))?;
        let timeout = Some(deadline.max(Duration::from_millis(1)));
        stream
            .set_read_timeout(timeout)
            .and_then(|()| stream.set_write_timeout(timeout))
            .map_err(|e| CniError::io("cannot set socket timeouts", e))?;
        let payload = serde_json::to_vec(req).map_err(|e| CniError::Internal {
            msg: format!("cannot encode request: {e}"),
        })?;
        let timed_out = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            )
        };
        write_frame(&mut stream, &payload).map_err(|e| {
            if timed_out(&e) {
                CniError::try_again(format!(
                    "agent did not take the request within {deadline:?}"
                ))
            } else {
                unreachable(format!("sending the request failed: {e}"))
            }
        })?;
        let answer = read_frame(&mut stream).map_err(|e| {
            if timed_out(&e) {
                CniError::try_again(format!("agent did not answer within {deadline:?}"))
            } else if e.kind() == io::ErrorKind::UnexpectedEof {
                CniError::try_again("agent closed the connection without answering")
            } else {
                CniError::io("reading the agent's answer failed", e)
            }
        })?;
        let resp: Response = serde_json::from_slice(&answer).map_err(|e| CniError::Protocol {
            msg: format!("cannot decode the agent's answer: {e}"),
        })?;
        if resp.v != PROTOCOL_VERSION {
            return Err(CniError::Protocol {
                msg: format!(
                    "agent speaks protocol v{}, shim speaks v{PROTOCOL_VERSION}",
                    resp.v
                ),
            });
        }
        resp.into_result()
    }

    /// Connects, retrying briefly on "no socket"/"refused" (an agent restart), never past
    /// `connect_timeout`. The connect itself runs on a helper thread because a unix connect blocks
    /// when the listener's backlog is full.
    fn connect(&self) -> io::Result<UnixStream> {
        let start = Instant::now();
        loop {
            let (tx, rx) = mpsc::channel();
            let path = self.socket.clone();
            std::thread::spawn(move || {
                let _ = tx.send(UnixStream::connect(path));
            });
            let left = self.connect_timeout.saturating_sub(start.elapsed());
            let err = match rx.recv_timeout(left) {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) => e,
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("connect did not complete within {:?}", self.connect_timeout),
                    ));
                }
            };
            let retryable = matches!(
                err.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            );
            let pause = Duration::from_millis(150);
            if !retryable || start.elapsed() + pause >= self.connect_timeout {
                return Err(err);
            }
            std::thread::sleep(pause);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn req(cmd: Command) -> Request {
        Request {
            v: PROTOCOL_VERSION,
            cmd,
            container_id: Some("c1".into()),
            netns: Some("/var/run/netns/x".into()),
            ifname: Some("eth0".into()),
            args: "K8S_POD_NAME=p".into(),
            path: None,
            config: json!({"cniVersion": "1.0.0", "name": "n", "type": "t", "x": [1]}),
            deadline_ms: 1000,
        }
    }

    #[test]
    fn frames_round_trip_and_oversize_is_refused() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"hello").unwrap();
        assert_eq!(&buf[..4], &[0, 0, 0, 5]);
        assert_eq!(read_frame(&mut buf.as_slice()).unwrap(), b"hello");
        let big = (MAX_FRAME as u32 + 1).to_be_bytes();
        let e = read_frame(&mut big.as_slice()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let e = read_frame(&mut [0u8, 0, 0, 9, 1].as_slice()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn request_json_is_stable() {
        let v = serde_json::to_value(req(Command::Add)).unwrap();
        assert_eq!(v["cmd"], "ADD");
        assert_eq!(v["containerId"], "c1");
        assert_eq!(v["config"]["x"], json!([1]));
        let back: Request = serde_json::from_value(v).unwrap();
        assert_eq!(back, req(Command::Add));
    }

    #[test]
    fn missing_socket_is_try_again_quickly() {
        let dir = std::env::temp_dir().join(format!("cni-proto-{}", std::process::id()));
        let client = Client::new(dir.join("nope.sock"));
        let t = Instant::now();
        let e = client
            .call(&req(Command::Add), Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(e.code(), 11, "{e}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        let e = client
            .call(&req(Command::Status), Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(e.code(), 50, "{e}");
    }

    #[test]
    fn call_against_a_thread_server() {
        let dir = std::env::temp_dir().join(format!("cni-proto-srv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            // 1: a normal answer; 2: an error; 3: silence past the deadline.
            for i in 0..3 {
                let (mut s, _) = listener.accept().unwrap();
                let r: Request = serde_json::from_slice(&read_frame(&mut s).unwrap()).unwrap();
                let resp = match i {
                    0 => Response::success(Some(
                        json!({"cniVersion": "1.0.0", "echo": r.container_id}),
                    )),
                    1 => Response::failure(
                        &CniError::CheckFailed {
                            msg: "mac differs".into(),
                        },
                        "1.0.0",
                    ),
                    _ => {
                        std::thread::sleep(Duration::from_millis(400));
                        continue;
                    }
                };
                write_frame(&mut s, &serde_json::to_vec(&resp).unwrap()).unwrap();
            }
        });
        let client = Client::new(&path);
        let ok = client
            .call(&req(Command::Add), Duration::from_secs(5))
            .unwrap();
        assert_eq!(ok.unwrap()["echo"], "c1");
        let e = client
            .call(&req(Command::Check), Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(e.code(), 103);
        let t = Instant::now();
        let e = client
            .call(&req(Command::Del), Duration::from_millis(200))
            .unwrap_err();
        assert_eq!(e.code(), 11, "{e}");
        assert!(
            t.elapsed() < Duration::from_millis(390),
            "{:?}",
            t.elapsed()
        );
        server.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest! {
        #[test]
        fn arbitrary_frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(p) = read_frame(&mut bytes.as_slice()) {
                let _ = serde_json::from_slice::<Request>(&p);
                let _ = serde_json::from_slice::<Response>(&p);
            }
        }
    }
}
