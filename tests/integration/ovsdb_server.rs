//! `OvsdbServer` and `Ovs` lifecycles: start, crash (SIGKILL), restart on the same files.

use std::os::unix::net::UnixStream;

use testkit::{Ovs, OvsdbServer, Schema};

use crate::support::assert_torn_down;

fn roundtrip_value(server: &OvsdbServer, db: &str, table: &str) -> String {
    server
        .client(&["dump", &server.remote(), db, table])
        .expect("ovsdb-client dump")
}

fn check_kill_restart(mut server: OvsdbServer) {
    let dir = server.dir().to_owned();
    let pid = server.pid().expect("running");
    assert!(UnixStream::connect(server.socket()).is_ok());

    // A committed row must survive a SIGKILL + restart on the same database file.
    server
        .client(&[
            "transact",
            &server.remote(),
            r#"["OVN_Northbound",{"op":"insert","table":"Logical_Switch","row":{"name":"ls-persist"}}]"#,
        ])
        .expect("insert");
    server.kill();
    assert!(!server.is_running());
    // The kernel closes the listening socket when the killed process is torn down, which can
    // lag the signal on a loaded machine.
    assert!(
        testkit::wait_until(std::time::Duration::from_secs(5), || UnixStream::connect(
            server.socket()
        )
        .is_err()),
        "socket still accepts 5 s after SIGKILL"
    );
    assert!(server.db_path().exists(), "db file kept after kill");

    server.restart().expect("restart");
    let new_pid = server.pid().expect("running again");
    assert_ne!(pid, new_pid);
    let dump = roundtrip_value(&server, "OVN_Northbound", "Logical_Switch");
    assert!(
        dump.contains("ls-persist"),
        "row lost across restart: {dump}"
    );

    drop(server);
    assert!(testkit::pids_mentioning(&dir.to_string_lossy()).is_empty());
    assert!(!dir.exists(), "dir left: {}", dir.display());
}

#[test]
fn standalone_server_survives_kill_and_restart() {
    let server = OvsdbServer::start(Schema::OvnNb).expect("start");
    assert!(!server.is_clustered());
    assert_eq!(server.socket(), server.dir().join("db.sock"));
    check_kill_restart(server);
}

#[test]
fn clustered_server_survives_kill_and_restart() {
    let server = OvsdbServer::start_clustered(Schema::OvnNb).expect("start clustered");
    assert!(server.is_clustered());
    let status = server
        .appctl(&["cluster/status", "OVN_Northbound"])
        .expect("cluster/status");
    assert!(status.contains("Role: leader"), "{status}");
    check_kill_restart(server);
}

#[test]
fn every_schema_is_served() {
    for schema in [
        Schema::Vswitch,
        Schema::OvnNb,
        Schema::OvnSb,
        Schema::IcNb,
        Schema::IcSb,
    ] {
        let server = OvsdbServer::start(schema).expect("start");
        let dbs = server
            .client(&["list-dbs", &server.remote()])
            .expect("list-dbs");
        assert!(
            dbs.lines().any(|l| l == schema.db_name()),
            "{schema:?}: {dbs}"
        );
    }
}

#[test]
fn ovs_dummy_bridge_takes_flows_and_survives_vswitchd_restart() {
    let mut ovs = Ovs::start().expect("start ovs");
    let rundir = ovs.rundir().to_owned();
    ovs.add_bridge("br0", "dummy").expect("add bridge");
    assert!(ovs.mgmt("br0").starts_with(&rundir));
    let show = ovs.ofctl_br("br0", &["show"]).expect("ofctl show");
    assert!(show.contains("OFPT_FEATURES_REPLY"), "{show}");
    ovs.ofctl_br("br0", &["add-flow", "table=3,priority=7,actions=drop"])
        .expect("add-flow");
    let flows = ovs.ofctl_br("br0", &["dump-flows"]).expect("dump-flows");
    assert!(
        flows.contains("table=3") && flows.contains("priority=7"),
        "{flows}"
    );
    let fail_mode = ovs.vsctl(&["get", "Bridge", "br0", "fail_mode"]).unwrap();
    assert_eq!(fail_mode.trim(), "secure");
    let trace = ovs
        .appctl(&["ofproto/trace", "br0", "in_port=LOCAL"])
        .expect("ofproto/trace");
    assert!(trace.contains("Datapath actions"), "{trace}");

    let old = ovs.vswitchd_pid().expect("vswitchd running");
    ovs.restart_vswitchd().expect("restart vswitchd");
    assert_ne!(Some(old), ovs.vswitchd_pid());
    let flows = ovs.ofctl_br("br0", &["dump-flows"]).expect("dump-flows");
    assert!(
        !flows.contains("priority=7"),
        "flows survived a restart: {flows}"
    );

    drop(ovs);
    assert_torn_down(&rundir, "no-netns-for-plain-ovs");
}
