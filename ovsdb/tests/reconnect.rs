//! The server killed and restarted: the client reconnects, resumes with monitor_cond_since
//! (clustered: no full re-dump), and its replica ends equal to a fresh dump.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use ovsdb::io::ConnState;
use testkit::{OvsdbServer, Schema};

async fn wait_state(c: &ovsdb::io::Client, want: ConnState) {
    let mut rx = c.watch_state();
    tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|s| *s == want))
        .await
        .expect("state")
        .expect("driver alive");
}

async fn kill_restart_resume(clustered: bool) {
    let mut server = if clustered {
        OvsdbServer::start_clustered(Schema::OvnSb)
    } else {
        OvsdbServer::start(Schema::OvnSb)
    }
    .expect("ovsdb-server");
    let remote = server.remote();
    sbctl(&remote, &["chassis-add", "hv1", "geneve", "192.0.2.1"]);
    let c = client(&remote, "OVN_Southbound");
    c.wait_synced().await;
    sbctl(&remote, &["chassis-add", "hv2", "geneve", "192.0.2.2"]);
    wait_replica(&c, "hv2", |r| {
        !find_by(r, "Chassis", "name", "hv2").is_empty()
    })
    .await;
    assert_eq!(c.stats().full_dumps.load(Ordering::Relaxed), 1);
    let rows_before = c.stats().rows_received.load(Ordering::Relaxed);

    server.kill();
    wait_state(&c, ConnState::Disconnected).await;
    server.restart().expect("restart");
    wait_state(&c, ConnState::Synced).await;
    sbctl(&remote, &["chassis-del", "hv1"]);
    sbctl(&remote, &["set", "chassis", "hv2", "hostname=h2"]);
    wait_replica(&c, "hv1 deleted", |r| {
        find_by(r, "Chassis", "name", "hv1").is_empty()
    })
    .await;
    assert!(c.stats().connections.load(Ordering::Relaxed) >= 2);
    if clustered {
        assert_eq!(
            c.stats().full_dumps.load(Ordering::Relaxed),
            1,
            "clustered: resumed without a full re-dump"
        );
        assert!(c.stats().resumes.load(Ordering::Relaxed) >= 1);
        // Only the two post-restart changes travelled (a re-dump would resend 4+ rows).
        let rows_after = c.stats().rows_received.load(Ordering::Relaxed);
        assert!(
            rows_after - rows_before <= 4,
            "{rows_before} -> {rows_after}"
        );
    } else {
        assert!(
            c.stats().full_dumps.load(Ordering::Relaxed) >= 2,
            "standalone: no history, full re-dump"
        );
    }
    assert_equals_fresh_dump(&c, &remote, "OVN_Southbound").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_kill_restart_resyncs() {
    kill_restart_resume(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clustered_kill_restart_resumes_without_redump() {
    kill_restart_resume(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_list_falls_through_and_conditions_survive_reconnect() {
    let mut server = OvsdbServer::start_clustered(Schema::OvnSb).expect("ovsdb-server");
    let remote = server.remote();
    sbctl(&remote, &["chassis-add", "hv1", "geneve", "192.0.2.1"]);
    sbctl(&remote, &["chassis-add", "hv2", "geneve", "192.0.2.2"]);
    let list = format!("unix:{}/nonexistent.sock,{remote}", server.dir().display());
    let c = client_with(&list, "OVN_Southbound", |cfg| {
        cfg.tables = vec![ovsdb::MonitorRequest::table("Chassis")];
    });
    c.set_condition(
        "Chassis",
        ovsdb::Condition::new([ovsdb::Clause::eq("name", "hv2")]),
    );
    c.wait_synced().await;
    wait_replica(&c, "only hv2", |r| {
        r.table("Chassis").unwrap().len() == 1 && find_by(r, "Chassis", "name", "hv2").len() == 1
    })
    .await;
    server.kill();
    wait_state(&c, ConnState::Disconnected).await;
    server.restart().expect("restart");
    wait_state(&c, ConnState::Synced).await;
    sbctl(&remote, &["chassis-add", "hv3", "geneve", "192.0.2.3"]);
    sbctl(&remote, &["set", "chassis", "hv2", "hostname=x"]);
    wait_replica(&c, "hv2 hostname", |r| {
        let t = r.table("Chassis").unwrap();
        let col = t.schema().column_index("hostname").unwrap();
        t.iter()
            .any(|(_, row)| row.get(col) == &ovsdb::Datum::from("x"))
    })
    .await;
    let g = c.lock();
    let r = g.as_ref().unwrap();
    assert_eq!(
        r.table("Chassis").unwrap().len(),
        1,
        "condition kept across the reconnect:\n{}",
        dump_text(r)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_schema_conversion_is_followed() {
    let server = OvsdbServer::start(Schema::OvnNb).expect("ovsdb-server");
    let remote = server.remote();
    let c = client(&remote, "OVN_Northbound");
    c.wait_synced().await;
    c.transact(vec![ovsdb::Operation::insert(
        "Address_Set",
        [("name", ovsdb::Datum::from("as1"))],
    )])
    .await
    .expect("insert");
    // The installed schema plus one column, converted online (what an upgrade does).
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Schema::OvnNb.path()).unwrap()).unwrap();
    schema["version"] = serde_json::json!("99.0.0");
    schema["tables"]["Address_Set"]["columns"]["ovsdb_test_extra"] =
        serde_json::json!({"type": "string"});
    let path = server.dir().join("converted.ovsschema");
    std::fs::write(&path, schema.to_string()).unwrap();
    run(
        "ovsdb-client",
        &["convert", &remote, path.to_str().unwrap()],
    );
    wait_replica(&c, "new schema with the row kept", |r| {
        r.schema().version == "99.0.0"
            && r.epoch == 1
            && r.table("Address_Set")
                .is_some_and(|t| t.schema().column("ovsdb_test_extra").is_some() && t.len() == 1)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_remote() {
    let server = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    server
        .appctl(&["ovsdb-server/add-remote", &format!("ptcp:{port}:127.0.0.1")])
        .expect("add-remote");
    sbctl(
        &server.remote(),
        &["chassis-add", "hv1", "geneve", "192.0.2.1"],
    );
    let tcp = format!("tcp:127.0.0.1:{port}");
    let c = client(&tcp, "OVN_Southbound");
    wait_replica(&c, "hv1 over tcp", |r| {
        find_by(r, "Chassis", "name", "hv1").len() == 1
    })
    .await;
    let dbs = ovsdb::io::call(&tcp, "list_dbs", serde_json::json!([]))
        .await
        .expect("list_dbs over tcp");
    assert!(dbs.to_string().contains("OVN_Southbound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inactivity_probe_detects_a_hung_server() {
    let mut server = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server");
    let remote = server.remote();
    let pid = server.pid().expect("pid").to_string();
    let c = client_with(&remote, "OVN_Southbound", |cfg| {
        cfg.probe_interval = Some(Duration::from_millis(300));
    });
    c.wait_synced().await;
    run("kill", &["-STOP", &pid]);
    // Silence for one interval sends an echo; another interval without an answer drops the
    // connection.
    let stopped = tokio::time::Instant::now();
    wait_state(&c, ConnState::Disconnected).await;
    let waited = stopped.elapsed();
    run("kill", &["-CONT", &pid]);
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    wait_state(&c, ConnState::Synced).await;
    sbctl(&remote, &["chassis-add", "hv9", "geneve", "192.0.2.9"]);
    wait_replica(&c, "hv9 after the server woke up", |r| {
        find_by(r, "Chassis", "name", "hv9").len() == 1
    })
    .await;
}
