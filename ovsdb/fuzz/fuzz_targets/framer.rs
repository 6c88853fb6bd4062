//! The stream framer on arbitrary bytes, split at an arbitrary point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ovsdb::framer::Framer;

fuzz_target!(|data: &[u8]| {
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (a, b) = data.split_at(cut);
    let mut fr = Framer::with_limit(1 << 16);
    let mut buf = bytes::BytesMut::new();
    for part in [a, b] {
        buf.extend_from_slice(part);
        while let Ok(Some(frame)) = fr.decode(&mut buf) {
            let _ = ovsdb::jsonrpc::Message::decode(&frame);
        }
    }
});
