//! Helpers shared by the integration tests (real ovsdb-server via testkit).
#![allow(dead_code)]

use std::process::Command;
use std::time::Duration;

use ovsdb::io::{Client, ClientConfig};
use ovsdb::{Replica, Row, Uuid, UuidMap};

/// Runs a command line tool, panicking with its stderr on failure.
pub fn run(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{prog}: {e} (is it installed?)"));
    assert!(
        out.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ovn-sbctl --db=REMOTE ARGS`.
pub fn sbctl(remote: &str, args: &[&str]) -> String {
    let db = format!("--db={remote}");
    let mut v = vec![db.as_str(), "--no-leader-only"];
    v.extend_from_slice(args);
    run("ovn-sbctl", &v)
}

/// `ovs-vsctl --db=REMOTE --no-wait ARGS`.
pub fn vsctl(remote: &str, args: &[&str]) -> String {
    let db = format!("--db={remote}");
    let mut v = vec![db.as_str(), "--no-wait"];
    v.extend_from_slice(args);
    run("ovs-vsctl", &v)
}

/// A client with fast backoff for tests.
pub fn client(remote: &str, db: &str) -> Client {
    client_with(remote, db, |_| {})
}

/// A client with fast backoff and a config tweak.
pub fn client_with(remote: &str, db: &str, f: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut cfg = ClientConfig::new(remote, db);
    cfg.min_backoff = Duration::from_millis(100);
    cfg.max_backoff = Duration::from_millis(400);
    cfg.probe_interval = Some(Duration::from_secs(2));
    f(&mut cfg);
    Client::start(cfg).expect("client")
}

/// Waits (up to 20 s) until `pred` holds on the replica, re-checking on every change.
pub async fn wait_replica(c: &Client, what: &str, mut pred: impl FnMut(&Replica) -> bool) {
    let mut rx = c.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if c.lock().as_ref().is_some_and(&mut pred) {
            return;
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            let dump = c.lock().as_ref().map(dump_text).unwrap_or_default();
            panic!("timed out waiting for {what}; replica:\n{dump}");
        }
    }
}

/// Table contents by name.
pub fn contents(r: &Replica) -> Vec<(String, UuidMap<Row>)> {
    r.tables()
        .iter()
        .map(|t| (t.name().to_string(), t.rows().clone()))
        .collect()
}

/// Human-readable dump, for failures.
pub fn dump_text(r: &Replica) -> String {
    let mut s = String::new();
    for t in r.tables() {
        for (u, row) in t.iter() {
            s.push_str(&format!("{} {u} {}\n", t.name(), row.display(t.schema())));
        }
    }
    s
}

/// Rows of `table` whose string column `col` equals `val`.
pub fn find_by(r: &Replica, table: &str, col: &str, val: &str) -> Vec<Uuid> {
    r.table(table)
        .map(|t| {
            t.find(col, &ovsdb::Atom::from(val))
                .into_iter()
                .map(|(u, _)| u)
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that `c`'s replica equals a fresh full dump from `remote`.
pub async fn assert_equals_fresh_dump(c: &Client, remote: &str, db: &str) {
    let fresh = client(remote, db);
    tokio::time::timeout(Duration::from_secs(20), fresh.wait_synced())
        .await
        .expect("fresh client sync");
    // The old client may still be applying the last updates.
    let want = fresh.lock().as_ref().map(contents).expect("fresh replica");
    let mut rx = c.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = c.lock().as_ref().map(contents).expect("replica");
        if got == want {
            return;
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            let a = c.lock().as_ref().map(dump_text).unwrap_or_default();
            let b = fresh.lock().as_ref().map(dump_text).unwrap_or_default();
            panic!("replica differs from a fresh dump\n--- replica\n{a}--- fresh\n{b}");
        }
    }
}
