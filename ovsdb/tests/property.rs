//! Property: random change sequences applied through a real ovsdb-server (OVN_Northbound,
//! Address_Set: a unique string, a set and a map) leave the replica equal to a model of the
//! expected contents, and to a fresh dump.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::*;
use ovsdb::condition::Mutator;
use ovsdb::{Clause, Condition, Datum, Mutation, Operation, Replica};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use testkit::{OvsdbServer, Schema};

#[derive(Debug, Clone)]
enum Op {
    Insert {
        name: u8,
        addrs: BTreeSet<u8>,
        ids: BTreeMap<u8, u8>,
    },
    SetAddrs {
        name: u8,
        addrs: BTreeSet<u8>,
    },
    MutAddr {
        name: u8,
        insert: bool,
        addr: u8,
    },
    MutIds {
        name: u8,
        insert: bool,
        k: u8,
        v: u8,
    },
    Delete {
        name: u8,
    },
}

type Model = BTreeMap<String, (BTreeSet<String>, BTreeMap<String, String>)>;

fn op_strategy() -> impl Strategy<Value = Op> {
    let set = proptest::collection::btree_set(0u8..6, 0..4);
    let map = proptest::collection::btree_map(0u8..3, 0u8..3, 0..3);
    prop_oneof![
        (0u8..3, set.clone(), map).prop_map(|(name, addrs, ids)| Op::Insert { name, addrs, ids }),
        (0u8..3, set).prop_map(|(name, addrs)| Op::SetAddrs { name, addrs }),
        (0u8..3, any::<bool>(), 0u8..6).prop_map(|(name, insert, addr)| Op::MutAddr {
            name,
            insert,
            addr
        }),
        (0u8..3, any::<bool>(), 0u8..3, 0u8..3).prop_map(|(name, insert, k, v)| Op::MutIds {
            name,
            insert,
            k,
            v
        }),
        (0u8..3).prop_map(|name| Op::Delete { name }),
    ]
}

fn n(x: u8) -> String {
    format!("as{x}")
}
fn a(x: u8) -> String {
    format!("10.0.0.{x}")
}
fn k(x: u8) -> String {
    format!("k{x}")
}

fn by_name(name: u8) -> Condition {
    Condition::new([Clause::eq("name", n(name).as_str())])
}

/// The operation, and what it does to the model (false: the server must refuse it).
fn apply(op: &Op, m: &mut Model) -> (Operation, bool) {
    match op {
        Op::Insert { name, addrs, ids } => {
            let ok = !m.contains_key(&n(*name));
            if ok {
                m.insert(
                    n(*name),
                    (
                        addrs.iter().map(|x| a(*x)).collect(),
                        ids.iter().map(|(x, y)| (k(*x), y.to_string())).collect(),
                    ),
                );
            }
            let row = [
                ("name", Datum::from(n(*name))),
                ("addresses", Datum::set(addrs.iter().map(|x| a(*x)))),
                (
                    "external_ids",
                    Datum::map(ids.iter().map(|(x, y)| (k(*x), y.to_string()))),
                ),
            ];
            (Operation::insert("Address_Set", row), ok)
        }
        Op::SetAddrs { name, addrs } => {
            if let Some(e) = m.get_mut(&n(*name)) {
                e.0 = addrs.iter().map(|x| a(*x)).collect();
            }
            (
                Operation::update(
                    "Address_Set",
                    by_name(*name),
                    [("addresses", Datum::set(addrs.iter().map(|x| a(*x))))],
                ),
                true,
            )
        }
        Op::MutAddr { name, insert, addr } => {
            if let Some(e) = m.get_mut(&n(*name)) {
                if *insert {
                    e.0.insert(a(*addr));
                } else {
                    e.0.remove(&a(*addr));
                }
            }
            let mutator = if *insert {
                Mutator::Insert
            } else {
                Mutator::Delete
            };
            (
                Operation::mutate(
                    "Address_Set",
                    by_name(*name),
                    vec![Mutation::new("addresses", mutator, Datum::set([a(*addr)]))],
                ),
                true,
            )
        }
        Op::MutIds {
            name,
            insert,
            k: kk,
            v,
        } => {
            if let Some(e) = m.get_mut(&n(*name)) {
                if *insert {
                    // RFC 7047 §5.1: insert does not replace an existing key.
                    e.1.entry(k(*kk)).or_insert_with(|| v.to_string());
                } else {
                    e.1.remove(&k(*kk));
                }
            }
            let mutation = if *insert {
                Mutation::new(
                    "external_ids",
                    Mutator::Insert,
                    Datum::map([(k(*kk), v.to_string())]),
                )
            } else {
                Mutation::new("external_ids", Mutator::Delete, Datum::set([k(*kk)]))
            };
            (
                Operation::mutate("Address_Set", by_name(*name), vec![mutation]),
                true,
            )
        }
        Op::Delete { name } => {
            m.remove(&n(*name));
            (Operation::delete("Address_Set", by_name(*name)), true)
        }
    }
}

fn replica_model(r: &Replica) -> Model {
    let t = r.table("Address_Set").expect("table");
    let s = t.schema();
    let (cn, ca, ci) = (
        s.column_index("name").unwrap(),
        s.column_index("addresses").unwrap(),
        s.column_index("external_ids").unwrap(),
    );
    t.iter()
        .map(|(_, row)| {
            let name = row
                .get(cn)
                .as_atom()
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string();
            let addrs = row
                .get(ca)
                .as_set()
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            let ids = row
                .get(ci)
                .as_map()
                .iter()
                .map(|(x, y)| {
                    (
                        x.as_str().unwrap_or_default().to_string(),
                        y.as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (name, (addrs, ids))
        })
        .collect()
}

#[test]
fn random_changes_through_server_match_replica() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = OvsdbServer::start(Schema::OvnNb).expect("ovsdb-server");
    let remote = server.remote();
    let (writer, watcher) = rt.block_on(async {
        let w = client(&remote, "OVN_Northbound");
        let m = client_with(&remote, "OVN_Northbound", |c| {
            c.tables = vec![ovsdb::MonitorRequest::table("Address_Set")];
        });
        w.wait_synced().await;
        m.wait_synced().await;
        (w, m)
    });
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    // Fixed sequences first (regressions and corner cases), then random ones.
    let fixed = vec![
        vec![
            Op::Insert {
                name: 0,
                addrs: BTreeSet::new(),
                ids: BTreeMap::from([(0, 1)]),
            },
            Op::MutIds {
                name: 0,
                insert: true,
                k: 0,
                v: 2,
            },
            Op::Insert {
                name: 0,
                addrs: BTreeSet::new(),
                ids: BTreeMap::new(),
            },
            Op::MutAddr {
                name: 0,
                insert: true,
                addr: 1,
            },
            Op::MutAddr {
                name: 0,
                insert: false,
                addr: 2,
            },
        ],
        vec![
            Op::Delete { name: 1 },
            Op::SetAddrs {
                name: 1,
                addrs: BTreeSet::from([1]),
            },
        ],
    ];
    let strategy = proptest::collection::vec(op_strategy(), 1..14);
    let check = |ops: Vec<Op>| {
        rt.block_on(async {
            writer
                .transact(vec![Operation::delete("Address_Set", Condition::default())])
                .await
                .expect("clear");
            let mut model = Model::new();
            for op in &ops {
                let (operation, ok) = apply(op, &mut model);
                let r = writer.transact(vec![operation]).await;
                prop_assert_eq!(r.is_ok(), ok, "{:?}: {:?}", op, r);
                if let Err(e) = r {
                    prop_assert!(e.to_string().contains("constraint violation"), "{}", e);
                }
            }
            let mut rx = watcher.subscribe();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            loop {
                let got = watcher
                    .lock()
                    .as_ref()
                    .map(replica_model)
                    .unwrap_or_default();
                if got == model {
                    break;
                }
                if tokio::time::timeout_at(deadline, rx.changed())
                    .await
                    .is_err()
                {
                    prop_assert_eq!(got, model);
                    break;
                }
            }
            watcher.lock().as_mut().unwrap().drain_changes();
            Ok(())
        })
    };
    for ops in fixed {
        if let Err(e) = check(ops.clone()) {
            panic!("{ops:?}: {e}");
        }
    }
    if let Err(e) = runner.run(&strategy, check) {
        panic!("{e}");
    }
    rt.block_on(assert_equals_fresh_dump(
        &watcher,
        &remote,
        "OVN_Northbound",
    ));
    drop((writer, watcher));
}
