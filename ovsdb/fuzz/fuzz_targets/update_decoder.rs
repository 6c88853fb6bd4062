//! `<table-updates>`/`<table-updates2>` decoding against the real Southbound schema, and the
//! replica applying whatever decodes.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use ovsdb::update::{UpdateFormat, decode_table_updates};
use ovsdb::{DatabaseSchema, Replica};

static SCHEMA: &str = include_str!("/usr/share/ovn/ovn-sb.ovsschema");

fuzz_target!(|data: &[u8]| {
    static S: OnceLock<Arc<DatabaseSchema>> = OnceLock::new();
    let schema = S.get_or_init(|| Arc::new(DatabaseSchema::from_str_json(SCHEMA).expect("schema")));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for fmt in [UpdateFormat::V1, UpdateFormat::V2] {
        if let Ok(u) = decode_table_updates(text, schema, fmt, "fuzz") {
            let mut r = Replica::new(schema.clone());
            let _ = r.apply(u.clone());
            let _ = r.replace_all(u);
            let _ = r.drain_changes();
        }
    }
});
