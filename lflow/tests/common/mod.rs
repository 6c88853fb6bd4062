//! Shared helpers of the conformance tests: loading upstream's vectors.
#![allow(dead_code)]

use std::path::PathBuf;

/// The directory of upstream's extracted vectors (outside the repo; CI has it at the same place).
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/ovn-23.03")
}

/// All JSON lines of `file`.
pub fn load(file: &str) -> Vec<serde_json::Value> {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Upstream's test-driver context, from `lflow/tests/upstream-context.json`.
pub fn upstream_context() -> lflow::context::Context {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/upstream-context.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    lflow::context::Context::from_json(&text)
        .unwrap_or_else(|e| panic!("bad {}: {e}", path.display()))
}
