//! The sans-IO session over a plain blocking socket against a real ovsdb-server, for each
//! monitor flavour: `monitor` (update, RFC 7047 table-updates), `monitor_cond` (update2) and
//! `monitor_cond_since` (update3). The replica fed by each must equal a fresh dump.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ovsdb::{Event, MonitorKind, MonitorRequest, Replica, Session, SessionConfig};
use testkit::{OvsdbServer, Schema};

fn pump(stream: &mut UnixStream, s: &mut Session, mut until: impl FnMut(Event) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        while let Some(b) = s.poll_transmit() {
            stream.write_all(&b).unwrap();
        }
        while let Some(ev) = s.poll_event() {
            if until(ev) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "timed out");
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "server closed the connection");
        s.handle_bytes(Instant::now(), &buf[..n]).unwrap();
    }
}

fn run_kind(kind: MonitorKind) {
    let server = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server");
    let remote = server.remote();
    sbctl(&remote, &["chassis-add", "hv1", "geneve", "192.0.2.1"]);
    let mut stream = UnixStream::connect(server.socket()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut s = Session::new(SessionConfig::default(), Instant::now());
    s.get_schema("OVN_Southbound");
    let mut schema = None;
    pump(&mut stream, &mut s, |ev| match ev {
        Event::Schema { schema: sc, .. } => {
            schema = Some(sc);
            true
        }
        other => panic!("{other:?}"),
    });
    let mut replica = Replica::new(schema.clone().unwrap());
    let tables = ["Chassis", "Encap"].map(MonitorRequest::table);
    s.monitor("OVN_Southbound", "m", kind, &tables).unwrap();
    pump(&mut stream, &mut s, |ev| match ev {
        Event::Monitored { updates, found, .. } => {
            assert!(!found);
            replica.replace_all(updates).unwrap();
            true
        }
        other => panic!("{other:?}"),
    });
    assert_eq!(replica.table("Chassis").unwrap().len(), 1);
    sbctl(
        &remote,
        &[
            "set",
            "chassis",
            "hv1",
            "hostname=h",
            "external_ids:a=b",
            "--",
            "chassis-add",
            "hv2",
            "vxlan",
            "192.0.2.2",
        ],
    );
    sbctl(
        &remote,
        &[
            "remove",
            "chassis",
            "hv1",
            "external_ids",
            "a",
            "--",
            "chassis-del",
            "hv2",
        ],
    );
    let mut n = 0;
    pump(&mut stream, &mut s, |ev| match ev {
        Event::Update {
            updates,
            last_txn_id,
            ..
        } => {
            assert_eq!(last_txn_id.is_some(), matches!(kind, MonitorKind::Since(_)));
            replica.apply(updates).unwrap();
            n += 1;
            n == 2
        }
        other => panic!("{other:?}"),
    });
    // A fresh full dump over a second session.
    let mut stream2 = UnixStream::connect(server.socket()).unwrap();
    let mut s2 = Session::new(SessionConfig::default(), Instant::now());
    s2.set_schema(Arc::clone(schema.as_ref().unwrap()));
    s2.monitor("OVN_Southbound", "m", MonitorKind::Cond, &tables)
        .unwrap();
    let mut fresh = Replica::new(schema.unwrap());
    pump(&mut stream2, &mut s2, |ev| match ev {
        Event::Monitored { updates, .. } => {
            fresh.replace_all(updates).unwrap();
            true
        }
        other => panic!("{other:?}"),
    });
    assert_eq!(
        contents(&replica),
        contents(&fresh),
        "{kind:?}\n{}\n{}",
        dump_text(&replica),
        dump_text(&fresh)
    );
    let t = replica.typed::<ovsdb::views::ovn_sb::Chassis>().unwrap();
    let hv1: Vec<_> = t.iter().collect();
    assert_eq!(hv1.len(), 1);
    assert_eq!(
        (
            hv1[0].name(),
            hv1[0].hostname(),
            hv1[0].external_ids().len()
        ),
        ("hv1", "h", 0)
    );
}

#[test]
fn monitor_v1() {
    run_kind(MonitorKind::Monitor);
}

#[test]
fn monitor_cond_v2() {
    run_kind(MonitorKind::Cond);
}

#[test]
fn monitor_cond_since_v3() {
    run_kind(MonitorKind::Since(None));
}
