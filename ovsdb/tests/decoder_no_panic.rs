//! What the cargo-fuzz targets in `fuzz/` check, as proptests CI can run on stable: the update
//! decoder and the replica never panic on arbitrary or mutated input against the real
//! Southbound schema.

use std::sync::{Arc, LazyLock};

use ovsdb::update::{UpdateFormat, decode_table_updates};
use ovsdb::{DatabaseSchema, Replica};
use proptest::prelude::*;

static SB: LazyLock<Arc<DatabaseSchema>> = LazyLock::new(|| {
    let text =
        std::fs::read_to_string("/usr/share/ovn/ovn-sb.ovsschema").expect("ovn-common installed");
    Arc::new(DatabaseSchema::from_str_json(&text).unwrap())
});

const U1: &str = "11111111-1111-1111-1111-111111111111";

fn seeds() -> Vec<String> {
    vec![
        format!(
            r#"{{"Port_Binding":{{"{U1}":{{"insert":{{"logical_port":"lp1","tunnel_key":1,"options":["map",[["a","b"]]],"tag":["set",[5]]}}}}}}}}"#
        ),
        format!(
            r#"{{"Port_Binding":{{"{U1}":{{"modify":{{"options":["map",[["a","c"]]],"mac":["set",["x","y"]],"up":["set",[true]]}}}}}}}}"#
        ),
        format!(
            r#"{{"Logical_Flow":{{"{U1}":{{"initial":{{"match":"ip4","actions":"next;","priority":10,"logical_datapath":["uuid","{U1}"]}}}}}}}}"#
        ),
        format!(
            r#"{{"Chassis":{{"{U1}":{{"old":{{"name":"a"}},"new":{{"name":"b","encaps":["uuid","{U1}"]}}}}}}}}"#
        ),
        format!(r#"{{"Chassis":{{"{U1}":{{"delete":null}}}}}}"#),
    ]
}

fn apply_all(text: &str) {
    for fmt in [UpdateFormat::V1, UpdateFormat::V2] {
        if let Ok(u) = decode_table_updates(text, &SB, fmt, "test") {
            let mut r = Replica::new(SB.clone());
            let _ = r.replace_all(u.clone());
            let _ = r.apply(u);
            let _ = r.drain_changes();
        }
    }
}

#[test]
fn seeds_decode() {
    for (i, s) in seeds().iter().enumerate() {
        let fmt = if i == 3 {
            UpdateFormat::V1
        } else {
            UpdateFormat::V2
        };
        decode_table_updates(s, &SB, fmt, "test").unwrap_or_else(|e| panic!("seed {i}: {e}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_seeds_never_panic(seed in 0usize..5, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)) {
        let mut bytes = seeds()[seed].clone().into_bytes();
        for (at, byte, kind) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        if let Ok(t) = std::str::from_utf8(&bytes) {
            apply_all(t);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(t in r#"[\[\]{}",:a-zA-Z0-9_ \-]{0,120}"#) {
        apply_all(&t);
    }
}
