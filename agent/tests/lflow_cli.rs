//! `ovn-agent lflow` through the real binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn agent() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ovn-agent"))
}

fn upstream_context() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lflow/tests/upstream-context.json")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = agent()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ovn-agent");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn expr_to_flows_with_upstream_context() {
    let ctx = upstream_context();
    let ctx = ctx.to_str().expect("utf-8 path");
    let input =
        "# port groups\noutport == @pg1\nip4.src == $set1 && ip4.dst == {20.0.0.1, 20.0.0.2}\n";
    let (ok, out, err) = run_with_stdin(&["lflow", "expr-to-flows", "--context", ctx], input);
    assert!(ok, "stderr: {err}");
    assert_eq!(
        out,
        "# port groups\nreg15=0x11\nreg15=0x12\nreg15=0x13\n\
         conj_id=1,ip\n\
         ip,nw_dst=20.0.0.1: conjunction(1, 0/2)\nip,nw_dst=20.0.0.2: conjunction(1, 0/2)\n\
         ip,nw_src=10.0.0.1: conjunction(1, 1/2)\nip,nw_src=10.0.0.2: conjunction(1, 1/2)\n\
         ip,nw_src=10.0.0.3: conjunction(1, 1/2)\n"
    );
}

#[test]
fn lex_mode() {
    let (ok, out, err) = run_with_stdin(&["lflow", "lex"], "a/*b*/c 1.2.3.4:5 \"\n");
    assert!(ok, "stderr: {err}");
    assert_eq!(
        out,
        "a c 1.2.3.4 : 5 error(\"Input ends inside quoted string.\")\n"
    );
}

#[test]
fn compile_match_debugging_tool() {
    let out = agent()
        .args(["lflow", "compile-match", "ip4 && tcp.dst == 80"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tcp,tp_dst=80\n");

    let out = agent()
        .args(["lflow", "compile-match", "ip4.src == 10.0.0.1", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["matches"][0]["match"], "ip,nw_src=10.0.0.1");
    assert_eq!(v["n_conjs"], 0);

    let out = agent()
        .args(["lflow", "compile-match", "ip4.src = 1"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error at byte 8: Syntax error at `=' expecting relational operator."),
        "{err}"
    );
}

#[test]
fn unknown_mode_fails() {
    let out = agent()
        .args(["lflow", "frobnicate"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown mode"));
}

#[test]
fn parse_actions_mode() {
    let ctx = upstream_context();
    let ctx = ctx.to_str().expect("utf-8 path");
    let (ok, out, err) = run_with_stdin(
        &["lflow", "parse-actions", "--context", ctx],
        "# drop\ndrop;\noutput;\n",
    );
    assert!(ok, "stderr: {err}");
    assert_eq!(
        out,
        "# drop\ndrop;\n    encodes as drop\noutput;\n    encodes as resubmit(,64)\n"
    );
}
