//! Live oracle tests against the installed OVS 3.1 `ovs-ofctl` (no daemon needed):
//! 1. `ovs-ofctl -O OpenFlow15 parse-flows` normalizes every corpus flow to exactly the text
//!    our `FromStr` + `Display` produce;
//! 2. `ovs-ofctl -O OpenFlow15 add-flows unix:SOCK` against a fake switch run by this test
//!    sends FLOW_MODs whose match + instructions bytes equal our encoding.
//!
//! Both fail loudly when `ovs-ofctl` is missing.

mod codec_support;

use codec_support::{TempDir, capture_flow_mods, ofctl, ours};

const CORPUS: &str = include_str!("text_corpus.txt");

fn inputs() -> Vec<&'static str> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').next().unwrap())
        .collect()
}

#[test]
fn parse_flows_normalizes_to_our_display() {
    let dir = TempDir::new("parse");
    let file = dir.0.join("flows.txt");
    let flows = inputs();
    std::fs::write(&file, flows.join("\n") + "\n").unwrap();
    let out = ofctl()
        .args(["-O", "OpenFlow15", "parse-flows"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ovs-ofctl parse-flows failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once(": ADD ").map(|(_, t)| t))
        .collect();
    assert_eq!(got.len(), flows.len(), "one FLOW_MOD line per flow");
    let mut bad = Vec::new();
    for (flow, ovs) in flows.iter().zip(&got) {
        let (text, _) = ours(flow).unwrap();
        if text != *ovs {
            bad.push(format!("{flow}\n  ours: {text}\n  ovs:  {ovs}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} flows differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn add_flows_bytes_equal_our_encoding() {
    let flows = inputs();
    let mods = capture_flow_mods(&flows);
    assert_eq!(mods.len(), flows.len(), "one FLOW_MOD per flow");
    let mut bad = Vec::new();
    for (flow, m) in flows.iter().zip(&mods) {
        let (_, wire) = ours(flow).unwrap();
        // 8-byte header + 40-byte ofp11_flow_mod, then match + instructions.
        if m[48..] != wire[..] {
            bad.push(flow.to_string());
        }
    }
    assert!(
        bad.is_empty(),
        "{} flows encode differently from ovs-ofctl:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
