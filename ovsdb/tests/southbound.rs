//! Against a real ovsdb-server with the OVN_Southbound schema: monitors see ovn-sbctl's
//! changes, change sets and indexes, constraint errors, conditional monitoring.

mod common;

use std::time::Duration;

use common::*;
use ovsdb::{Atom, Clause, Condition, Datum, MonitorRequest, Operation, OperationResult};
use testkit::{OvsdbServer, Schema};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_sees_sbctl_inserts_updates_deletes() {
    let server = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server");
    let remote = server.remote();
    let c = client_with(&remote, "OVN_Southbound", |cfg| {
        cfg.indexes.push(("Chassis".into(), "name".into()));
    });
    tokio::time::timeout(Duration::from_secs(20), c.wait_synced())
        .await
        .expect("sync");
    assert!(
        c.lock().as_mut().unwrap().drain_changes().is_empty(),
        "empty database, no changes"
    );

    sbctl(&remote, &["chassis-add", "hv1", "geneve", "192.0.2.1"]);
    wait_replica(&c, "chassis hv1", |r| {
        !find_by(r, "Chassis", "name", "hv1").is_empty()
    })
    .await;
    let hv1 = {
        let mut g = c.lock();
        let r = g.as_mut().unwrap();
        let cs = r.drain_changes();
        let ch = cs.table("Chassis").expect("chassis changes");
        assert_eq!(ch.inserted.len(), 1);
        assert_eq!(cs.table("Encap").map(|e| e.inserted.len()), Some(1));
        let hv1 = ch.inserted[0];
        let t = r.table("Chassis").unwrap();
        let row = t.get(&hv1).unwrap();
        let encaps = row.get(t.schema().column_index("encaps").unwrap());
        let encap = encaps.as_atom().and_then(Atom::as_uuid).expect("one encap");
        let e = r.table("Encap").unwrap();
        let erow = e.get(&encap).expect("encap row");
        assert_eq!(
            erow.get(e.schema().column_index("ip").unwrap()),
            &Datum::from("192.0.2.1")
        );
        hv1
    };

    sbctl(
        &remote,
        &[
            "set",
            "chassis",
            "hv1",
            "hostname=host1",
            "external_ids:k=v",
        ],
    );
    wait_replica(&c, "hostname", |r| {
        let t = r.table("Chassis").unwrap();
        t.get(&hv1).is_some_and(|row| {
            row.get(t.schema().column_index("hostname").unwrap()) == &Datum::from("host1")
        })
    })
    .await;
    {
        let mut g = c.lock();
        let r = g.as_mut().unwrap();
        let cs = r.drain_changes();
        let m = &cs.table("Chassis").unwrap().modified;
        assert_eq!(m.len(), 1);
        let t = r.table("Chassis").unwrap();
        let host = t.schema().column_index("hostname").unwrap();
        let ext = t.schema().column_index("external_ids").unwrap();
        assert_eq!(m[0].1.get(host), &Datum::from(""), "old row is reported");
        assert_eq!(t.get(&hv1).unwrap().get(ext).get_str("k"), Some("v"));
    }

    sbctl(&remote, &["chassis-del", "hv1"]);
    wait_replica(&c, "chassis gone", |r| {
        r.table("Chassis").unwrap().is_empty()
    })
    .await;
    let mut g = c.lock();
    let r = g.as_mut().unwrap();
    let cs = r.drain_changes();
    assert_eq!(cs.table("Chassis").unwrap().deleted.len(), 1);
    assert_eq!(cs.table("Encap").unwrap().deleted.len(), 1);
    assert!(
        find_by(r, "Chassis", "name", "hv1").is_empty(),
        "index updated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_violations_are_clear_errors() {
    let server = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server");
    let c = client(&server.remote(), "OVN_Southbound");
    c.wait_synced().await;
    // Datapath_Binding.tunnel_key is [1, 16777215].
    let err = c
        .transact(vec![Operation::insert(
            "Datapath_Binding",
            [("tunnel_key", Datum::from(0))],
        )])
        .await
        .expect_err("tunnel_key 0 must be refused");
    let msg = err.to_string();
    assert!(
        msg.contains("operation 0 (insert) failed: constraint violation"),
        "{msg}"
    );
    // A strong reference to a missing row.
    let err = c
        .transact(vec![Operation::insert(
            "Port_Binding",
            [
                ("logical_port", Datum::from("lp")),
                ("tunnel_key", Datum::from(1)),
                ("datapath", Datum::from(ovsdb::Uuid::from_u128(7))),
            ],
        )])
        .await
        .expect_err("dangling reference");
    assert!(
        err.to_string().contains("referential integrity violation"),
        "{err}"
    );
    // Our own schema check catches the first one before sending.
    let g = c.lock();
    let ty = &g
        .as_ref()
        .unwrap()
        .schema()
        .table("Datapath_Binding")
        .unwrap()
        .column("tunnel_key")
        .unwrap()
        .ty;
    assert!(ty.check(&Datum::from(0)).is_err());
}

async fn add_datapath(c: &ovsdb::io::Client, key: i64) -> ovsdb::Uuid {
    let r = c
        .transact(vec![Operation::insert(
            "Datapath_Binding",
            [("tunnel_key", Datum::from(key))],
        )])
        .await
        .expect("insert datapath");
    match r[0] {
        OperationResult::Insert(u) => u,
        ref other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_monitoring_narrows_and_widens() {
    let server = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server");
    let remote = server.remote();
    let writer = client(&remote, "OVN_Southbound");
    writer.wait_synced().await;
    let dp = add_datapath(&writer, 5).await;
    for (i, lp) in ["lp1", "lp2", "lp3"].iter().enumerate() {
        writer
            .transact(vec![Operation::insert(
                "Port_Binding",
                [
                    ("logical_port", Datum::from(*lp)),
                    ("tunnel_key", Datum::from(i as i64 + 1)),
                    ("datapath", Datum::from(dp)),
                ],
            )])
            .await
            .expect("insert pb");
    }
    let c = client_with(&remote, "OVN_Southbound", |cfg| {
        cfg.tables = vec![
            MonitorRequest::table("Port_Binding")
                .condition(Condition::new([Clause::eq("logical_port", "lp1")])),
            MonitorRequest::table("Datapath_Binding"),
        ];
        cfg.indexes
            .push(("Port_Binding".into(), "logical_port".into()));
    });
    c.wait_synced().await;
    let lps = |r: &ovsdb::Replica| {
        let t = r.table("Port_Binding").unwrap();
        let col = t.schema().column_index("logical_port").unwrap();
        let mut v: Vec<String> = t.iter().map(|(_, row)| row.get(col).to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(c.lock().as_ref().map(lps).unwrap(), ["lp1"]);
    c.lock().as_mut().unwrap().drain_changes();

    c.set_condition(
        "Port_Binding",
        Condition::new([
            Clause::eq("logical_port", "lp1"),
            Clause::eq("logical_port", "lp3"),
        ]),
    );
    wait_replica(&c, "lp3 enters", |r| lps(r) == ["lp1", "lp3"]).await;
    assert_eq!(
        c.lock()
            .as_mut()
            .unwrap()
            .drain_changes()
            .table("Port_Binding")
            .unwrap()
            .inserted
            .len(),
        1
    );

    c.set_condition(
        "Port_Binding",
        Condition::new([Clause::eq("logical_port", "lp3")]),
    );
    wait_replica(&c, "lp1 leaves", |r| lps(r) == ["lp3"]).await;
    {
        let mut g = c.lock();
        let r = g.as_mut().unwrap();
        assert_eq!(
            r.drain_changes()
                .table("Port_Binding")
                .unwrap()
                .deleted
                .len(),
            1
        );
        assert_eq!(find_by(r, "Port_Binding", "logical_port", "lp3").len(), 1);
        assert!(find_by(r, "Port_Binding", "logical_port", "lp1").is_empty());
    }
    // New rows matching the condition arrive; others do not.
    writer
        .transact(vec![
            Operation::update(
                "Port_Binding",
                Condition::new([Clause::eq("logical_port", "lp2")]),
                [("logical_port", Datum::from("lp3x"))],
            ),
            Operation::update(
                "Port_Binding",
                Condition::new([Clause::eq("logical_port", "lp3")]),
                [("options", Datum::map([("a", "b")]))],
            ),
        ])
        .await
        .expect("update");
    wait_replica(&c, "lp3 options", |r| {
        let t = r.table("Port_Binding").unwrap();
        let col = t.schema().column_index("options").unwrap();
        t.iter()
            .any(|(_, row)| row.get(col).get_str("a") == Some("b"))
    })
    .await;
    assert_eq!(c.lock().as_ref().map(lps).unwrap(), ["lp3"]);
}
