//! Every vector of upstream's action tests (tests/ovn.at "action parsing", OVN 23.03.1), run in
//! order through the `parse-actions` driver with the shipped `upstream-context.json` (group and
//! meter ids depend on all preceding lines, as upstream).

mod common;

use std::path::PathBuf;

use lflow::actions::ActionsContext;
use lflow::driver::parse_actions::{ActionsDriver, parse_actions_line};
use lflow::symtab::Symtab;

fn actions_context() -> ActionsContext {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/upstream-context.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    ActionsContext::from_json(&text).unwrap_or_else(|e| panic!("bad {}: {e}", path.display()))
}

/// Expected driver output for one vector.
fn expected(v: &serde_json::Value) -> Vec<String> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let mut lines = vec![s("input").unwrap_or_default()];
    if let Some(e) = s("error") {
        lines.push(format!("    {e}"));
        return lines;
    }
    if let Some(f) = s("formats_as") {
        lines.push(format!("    formats as {f}"));
    }
    lines.push(format!(
        "    encodes as {}",
        s("encodes_as").unwrap_or_default()
    ));
    for g in v
        .get("groups")
        .and_then(|g| g.as_array())
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "    uses group: id({}), name({})",
            g["id"].as_u64().unwrap_or(0),
            g["name"].as_str().unwrap_or("")
        ));
    }
    if let Some(p) = s("has_prereqs") {
        lines.push(format!("    has prereqs {p}"));
    }
    lines
}

fn find<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .map(String::as_str)
}

#[test]
fn action_vectors() {
    let vectors = common::load("actions.jsonl");
    assert_eq!(vectors.len(), 418, "actions.jsonl should hold 418 vectors");
    let symtab = Symtab::ovn_test();
    let mut driver = ActionsDriver::new(actions_context());
    // (kind, total, passed)
    let mut kinds: Vec<(&str, usize, usize)> = vec![
        ("formats-as", 0, 0),
        ("encodes-as", 0, 0),
        ("prereqs", 0, 0),
        ("errors", 0, 0),
    ];
    let mut failures = Vec::new();
    let mut passed = 0;
    for v in &vectors {
        let input = v["input"].as_str().unwrap_or_default();
        let mut out = String::new();
        parse_actions_line(&mut driver, &symtab, input, &mut out);
        let got: Vec<String> = out.lines().map(str::to_string).collect();
        let want = expected(v);
        let mut tally = |kind: usize, prefix: &str| {
            kinds[kind].1 += 1;
            if find(&got, prefix) == find(&want, prefix) {
                kinds[kind].2 += 1;
            }
        };
        if v["error"].is_string() {
            tally(3, "    ");
        } else {
            if v["formats_as"].is_string() {
                tally(0, "    formats as ");
            }
            tally(1, "    encodes as ");
            if v["has_prereqs"].is_string() {
                tally(2, "    has prereqs ");
            }
        }
        if got == want {
            passed += 1;
        } else {
            failures.push(format!(
                "{} (line {}):\n  expected:\n    {}\n  got:\n    {}",
                v["src"].as_str().unwrap_or("?"),
                v["data_line"],
                want.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    let summary: Vec<String> = kinds
        .iter()
        .map(|(k, total, ok)| format!("{k}: {ok}/{total}"))
        .collect();
    eprintln!(
        "actions: {passed}/{} vectors pass; {}",
        vectors.len(),
        summary.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} of {} action vectors fail ({}):\n{}",
        failures.len(),
        vectors.len(),
        summary.join(", "),
        failures.join("\n")
    );
}
