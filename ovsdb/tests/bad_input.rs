//! Malformed or unexpected data from a server: the client drops the connection with an error
//! naming the method/table/column, reconnects, resyncs, and never panics. ovsdb-server never
//! sends bad data, so this one test uses a scripted server speaking just enough JSON-RPC.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use ovsdb::io::{Client, ClientConfig};
use ovsdb::{Datum, Framer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

const SCHEMA: &str = r#"{"name":"D","version":"1.0.0","tables":{"T":{"columns":{"name":{"type":"string"},"n":{"type":{"key":"integer","min":0,"max":1}}}}}}"#;
const U1: &str = "11111111-1111-1111-1111-111111111111";
const TXN: &str = "22222222-2222-2222-2222-222222222222";

/// What the scripted server sends after the monitor reply on connection `i`.
fn poison(i: usize) -> Option<Vec<u8>> {
    let bad = |params: Value| {
        serde_json::to_vec(&json!({"id": null, "method": "update3", "params": params})).unwrap()
    };
    match i {
        0 => Some(bad(
            json!(["ovsdb-rs", TXN, {"T": {U1: {"modify": {"name": 7}}}}]),
        )),
        1 => Some(b"{\"id\":null,\"method\":\"update3\",\"params\":[} garbage".to_vec()),
        2 => Some(bad(
            json!(["ovsdb-rs", TXN, {"Nope": {U1: {"delete": null}}}]),
        )),
        3 => Some(bad(
            json!(["ovsdb-rs", TXN, {"T": {"not-a-uuid": {"delete": null}}}]),
        )),
        4 => Some(bad(
            json!(["ovsdb-rs", TXN, {"T": {"33333333-3333-3333-3333-333333333333": {"modify": {"n": ["set", [1]]}}}}]),
        )),
        5 => Some(b"]".to_vec()),
        _ => None,
    }
}

async fn serve(listener: UnixListener) {
    for i in 0.. {
        let Ok((mut s, _)) = listener.accept().await else {
            return;
        };
        let mut fr = Framer::new();
        let mut buf = BytesMut::new();
        let mut chunk = vec![0u8; 4096];
        'conn: while let Ok(n) = s.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            while let Ok(Some(frame)) = fr.decode(&mut buf) {
                let req: Value = serde_json::from_slice(&frame).unwrap();
                let result = match req["method"].as_str().unwrap_or_default() {
                    "get_schema" => serde_json::from_str::<Value>(SCHEMA).unwrap(),
                    "monitor_cond_since" => {
                        let name = if i < 6 { "bad-era" } else { "good" };
                        json!([false, TXN, {"T": {U1: {"initial": {"name": name}}}}])
                    }
                    _ => json!({}),
                };
                let reply = json!({"id": req["id"], "result": result, "error": null});
                if s.write_all(&serde_json::to_vec(&reply).unwrap())
                    .await
                    .is_err()
                {
                    break 'conn;
                }
                if req["method"] == "monitor_cond_since"
                    && let Some(p) = poison(i)
                {
                    let _ = s.write_all(&p).await;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_server_data_resets_and_resyncs() {
    // Removed on drop, also when an assertion fails.
    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let tmp = TempDir(std::env::temp_dir().join(format!("ovsdb-bad-input-{}", std::process::id())));
    let dir = tmp.0.clone();
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("fake.sock");
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).unwrap();
    let server = tokio::spawn(serve(listener));

    let mut cfg = ClientConfig::new(&format!("unix:{}", sock.display()), "D");
    cfg.min_backoff = Duration::from_millis(20);
    cfg.max_backoff = Duration::from_millis(50);
    cfg.probe_interval = Some(Duration::from_millis(500));
    let c = Client::start(cfg).unwrap();
    let mut rx = c.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let good = c.lock().as_ref().is_some_and(|r| {
            let t = r.table("T").unwrap();
            let name = t.schema().column_index("name").unwrap();
            t.len() == 1
                && t.iter()
                    .all(|(_, row)| row.get(name) == &Datum::from("good"))
        });
        if good && c.is_synced() {
            break;
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            panic!("client never resynced; connections: {:?}", c.stats());
        }
    }
    assert_eq!(
        c.stats().connections.load(Ordering::Relaxed),
        7,
        "one reset per poisoned connection"
    );
    // A dump whose poison arrived in the same read is dropped with the connection.
    assert!(c.stats().full_dumps.load(Ordering::Relaxed) >= 2);
    server.abort();
    drop(tmp);
}
