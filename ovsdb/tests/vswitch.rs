//! Against a real ovsdb-server with the Open_vSwitch schema: transact with insert + named-uuid +
//! mutate, wait, assert (locks), select, comment; results checked with ovs-vsctl.

mod common;

use std::sync::Arc;

use common::*;
use ovsdb::condition::Mutator;
use ovsdb::io::ClientError;
use ovsdb::{Atom, Clause, Condition, Datum, Mutation, Operation, OperationResult};
use serde_json::json;
use testkit::{OvsdbServer, Schema};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transact_insert_mutate_wait_assert() {
    let server = OvsdbServer::start(Schema::Vswitch).expect("ovsdb-server");
    let remote = server.remote();
    vsctl(&remote, &["init"]);
    let c = client(&remote, "Open_vSwitch");
    c.wait_synced().await;

    // Bridge + Port + Interface created in one transaction, linked by named uuids.
    let ops = vec![
        Operation::insert(
            "Interface",
            [
                ("name", Datum::from("br-int")),
                ("type", Datum::from("internal")),
            ],
        )
        .with_uuid_name("i"),
        Operation::insert(
            "Port",
            [
                ("name", Datum::from("br-int")),
                ("interfaces", Datum::from(Atom::named_uuid("i"))),
            ],
        )
        .with_uuid_name("p"),
        Operation::insert(
            "Bridge",
            [
                ("name", Datum::from("br-int")),
                ("ports", Datum::from(Atom::named_uuid("p"))),
                ("fail_mode", Datum::from("secure")),
                ("other_config", Datum::map([("disable-in-band", "true")])),
            ],
        )
        .with_uuid_name("b"),
        Operation::mutate(
            "Open_vSwitch",
            Condition::default(),
            vec![Mutation::new(
                "bridges",
                Mutator::Insert,
                Datum::from(Atom::named_uuid("b")),
            )],
        ),
        Operation::Comment("ovsdb crate test".into()),
    ];
    let res = c.transact(ops).await.expect("transact");
    assert!(matches!(res[0], OperationResult::Insert(_)));
    assert_eq!(res[3], OperationResult::Count(1));
    assert_eq!(vsctl(&remote, &["list-br"]).trim(), "br-int");
    assert_eq!(
        vsctl(&remote, &["get", "bridge", "br-int", "fail_mode"]).trim(),
        "secure"
    );
    // ovsdb-server flushes monitor updates before any reply on the same session, so the
    // replica already has the new rows when transact() returns.
    {
        let g = c.lock();
        let r = g.as_ref().unwrap();
        let bridges = r.typed::<ovsdb::views::vswitch::Bridge>().unwrap();
        let br = bridges.find("name", &Atom::from("br-int"));
        assert_eq!(br.len(), 1, "{}", dump_text(r));
        assert_eq!(
            (
                br[0].fail_mode(),
                br[0].other_config().get("disable-in-band")
            ),
            (Some("secure"), Some("true"))
        );
        let ovs = r.typed::<ovsdb::views::vswitch::OpenVswitch>().unwrap();
        assert_eq!(
            ovs.iter().next().unwrap().bridges().collect::<Vec<_>>(),
            [br[0].uuid()]
        );
    }

    // Mutate a map: insert a key, then delete it by key.
    let ovs_row = Condition::default();
    c.transact(vec![Operation::mutate(
        "Open_vSwitch",
        ovs_row.clone(),
        vec![Mutation::new(
            "external_ids",
            Mutator::Insert,
            Datum::map([("system-id", "hv1"), ("ovn-encap-ip", "192.0.2.1")]),
        )],
    )])
    .await
    .expect("mutate insert");
    assert_eq!(
        vsctl(&remote, &["get", "open", ".", "external_ids:system-id"]).trim(),
        "hv1"
    );
    c.transact(vec![Operation::mutate(
        "Open_vSwitch",
        ovs_row,
        vec![Mutation::new(
            "external_ids",
            Mutator::Delete,
            Datum::set(["ovn-encap-ip"]),
        )],
    )])
    .await
    .expect("mutate delete");
    assert_eq!(
        vsctl(&remote, &["get", "open", ".", "external_ids"]).trim(),
        "{system-id=hv1}"
    );

    // wait: satisfied, then unsatisfied with timeout 0.
    let wait = |until_equal: bool, mode: &str| Operation::Wait {
        table: Arc::from("Bridge"),
        condition: Condition::new([Clause::eq("name", "br-int")]),
        columns: vec![Arc::from("fail_mode")],
        until_equal,
        rows: vec![vec![(Arc::from("fail_mode"), Datum::from(mode))]],
        timeout_ms: Some(0),
    };
    c.transact(vec![wait(true, "secure")])
        .await
        .expect("wait satisfied");
    let err = c
        .transact(vec![
            wait(true, "standalone"),
            Operation::Comment("not reached".into()),
        ])
        .await
        .expect_err("wait times out");
    match &err {
        ClientError::Transact(e) => {
            assert_eq!(
                (e.index, e.op, e.error.error.as_str()),
                (0, "wait", "timed out"),
                "{err}"
            );
        }
        other => panic!("{other}"),
    }

    // assert fails without the lock, succeeds with it.
    let err = c
        .transact(vec![Operation::Assert {
            lock: "ovn_agent".into(),
        }])
        .await
        .expect_err("assert without lock");
    assert!(err.to_string().contains("not owner"), "{err}");
    let locked = c.request("lock", json!(["ovn_agent"])).await.expect("lock");
    assert_eq!(locked, json!({"locked": true}));
    c.transact(vec![
        Operation::Assert {
            lock: "ovn_agent".into(),
        },
        Operation::Comment("holding".into()),
    ])
    .await
    .expect("assert with lock");
    c.request("unlock", json!(["ovn_agent"]))
        .await
        .expect("unlock");

    // select, decoded with the schema.
    let res = c
        .transact(vec![Operation::select(
            "Bridge",
            Condition::new([Clause::eq("name", "br-int")]),
        )])
        .await
        .expect("select");
    let OperationResult::Select(rows) = &res[0] else {
        panic!("{res:?}")
    };
    let g = c.lock();
    let ty = &g
        .as_ref()
        .unwrap()
        .schema()
        .table("Bridge")
        .unwrap()
        .column("other_config")
        .unwrap()
        .ty;
    let oc = ovsdb::json::datum_from_json(&rows[0]["other_config"], ty).unwrap();
    assert_eq!(oc.get_str("disable-in-band"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_call_and_list_dbs() {
    let server = OvsdbServer::start(Schema::Vswitch).expect("ovsdb-server");
    let dbs = ovsdb::io::call(&server.remote(), "list_dbs", json!([]))
        .await
        .expect("list_dbs");
    assert!(
        dbs.as_array().unwrap().iter().any(|d| d == "Open_vSwitch"),
        "{dbs}"
    );
    let err = ovsdb::io::call(&server.remote(), "get_schema", json!(["Nope"]))
        .await
        .expect_err("unknown db");
    assert!(err.to_string().contains("unknown database"), "{err}");
}
