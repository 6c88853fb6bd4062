//! A session after `get_schema` + `monitor_cond_since`, fed arbitrary server bytes.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use ovsdb::{DatabaseSchema, MonitorKind, MonitorRequest, Session, SessionConfig};

static SCHEMA: &str = include_str!("/usr/share/ovn/ovn-sb.ovsschema");

fuzz_target!(|data: &[u8]| {
    static S: OnceLock<Arc<DatabaseSchema>> = OnceLock::new();
    let schema = S.get_or_init(|| Arc::new(DatabaseSchema::from_str_json(SCHEMA).expect("schema")));
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::default(), now);
    s.set_schema(schema.clone());
    let _ = s.monitor(
        "OVN_Southbound",
        "m",
        MonitorKind::Since(None),
        &[MonitorRequest::table("Port_Binding")],
    );
    let _ = s.handle_bytes(now, data);
    while s.poll_event().is_some() {}
    while s.poll_transmit().is_some() {}
});
