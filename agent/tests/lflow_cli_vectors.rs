//! Every upstream lexer, expression and action vector through the CLI, as an operator would
//! replay upstream's tables: `ovn-agent lflow <mode> --context lflow/tests/upstream-context.json`
//! with all inputs of a mode on stdin, in order. Each vector's expected text (every line of it,
//! and for actions the `formats as` / `encodes as` / prerequisites / error) must appear in the
//! output, in order.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

fn shared(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/ovn-23.03")
        .join(file)
}

fn vectors(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(shared(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn cli(mode: &str, input: &str) -> String {
    let ctx =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lflow/tests/upstream-context.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ovn-agent"))
        .args(["lflow", mode, "--context"])
        .arg(&ctx)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ovn-agent lflow");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "ovn-agent lflow {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Checks that every expectation appears in `out` after the previous one.
fn assert_in_order(file: &str, mode: &str, out: &str, expectations: &[(String, Vec<String>)]) {
    let mut pos = 0;
    let mut missing = Vec::new();
    for (input, wants) in expectations {
        for w in wants {
            match out[pos..].find(w.as_str()) {
                Some(i) => pos += i + w.len(),
                None => missing.push(format!("{input:?}: expected {w:?}")),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{file} {mode}: {} of {} vectors not reproduced through the CLI, first: {:#?}",
        missing.len(),
        expectations.len(),
        &missing[..missing.len().min(5)]
    );
}

fn run_simple(file: &str) -> usize {
    let all = vectors(file);
    let mut modes: Vec<String> = Vec::new();
    for v in &all {
        let m = v["mode"].as_str().expect("mode").to_owned();
        if !modes.contains(&m) {
            modes.push(m);
        }
    }
    let mut n = 0;
    for mode in modes {
        let vs: Vec<&Value> = all.iter().filter(|v| v["mode"] == mode.as_str()).collect();
        let input: String = vs
            .iter()
            .map(|v| format!("{}\n", v["input"].as_str().unwrap()))
            .collect();
        let out = cli(&mode, &input);
        let exp: Vec<(String, Vec<String>)> = vs
            .iter()
            .map(|v| {
                let e = v["expected"].as_str().unwrap_or_default();
                (
                    v["input"].as_str().unwrap().to_owned(),
                    e.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )
            })
            .collect();
        assert_in_order(file, &mode, &out, &exp);
        n += vs.len();
    }
    n
}

#[test]
fn lexer_vectors_through_the_cli() {
    assert_eq!(run_simple("lexer.jsonl"), 78);
}

#[test]
fn expression_vectors_through_the_cli() {
    assert_eq!(run_simple("expressions.jsonl"), 198);
}

#[test]
fn action_vectors_through_the_cli() {
    let vs = vectors("actions.jsonl");
    let input: String = vs
        .iter()
        .map(|v| format!("{}\n", v["input"].as_str().unwrap()))
        .collect();
    let out = cli("parse-actions", &input);
    let exp: Vec<(String, Vec<String>)> = vs
        .iter()
        .map(|v| {
            let wants = ["formats_as", "encodes_as", "has_prereqs", "error"]
                .iter()
                .filter_map(|k| v[*k].as_str())
                .map(str::to_owned)
                .collect();
            (v["input"].as_str().unwrap().to_owned(), wants)
        })
        .collect();
    assert_in_order("actions.jsonl", "parse-actions", &out, &exp);
    assert_eq!(exp.len(), 418);
}
