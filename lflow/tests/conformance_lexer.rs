//! Every vector of upstream's lexer tests (tests/ovn.at, OVN 23.03.1).

mod common;

#[test]
fn lexer_vectors() {
    let vectors = common::load("lexer.jsonl");
    assert_eq!(vectors.len(), 78, "lexer.jsonl should hold 78 vectors");
    let mut failures = Vec::new();
    for v in &vectors {
        let input = v["input"].as_str().expect("input");
        let expected = v["expected"].as_str().expect("expected");
        let got = lflow::driver::run_lex(&format!("{input}\n"));
        let got = got.strip_suffix('\n').unwrap_or(&got);
        if got != expected {
            failures.push(format!(
                "input {input:?}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} lexer vectors fail:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}
