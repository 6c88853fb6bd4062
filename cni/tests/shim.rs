//! The shim executed exactly as a runtime executes it (environment + stdin), without an agent: the
//! answers it must give by itself. stdout must hold exactly one JSON document.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn shim(env: &[(&str, &str)], stdin: &[u8]) -> (i32, Value, Duration) {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ovn-agent-cni"))
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap(), v, t.elapsed())
}

fn missing_socket() -> String {
    std::env::temp_dir()
        .join(format!("cni-shim-{}-absent", std::process::id()))
        .join("ovn-agent-cni.sock")
        .display()
        .to_string()
}

fn conf(version: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"cniVersion": version, "name": "ovn-agent", "type": "ovn-agent-cni",
        "socket": missing_socket()}),
    )
    .unwrap()
}

const ADD: [(&str, &str); 4] = [
    ("CNI_COMMAND", "ADD"),
    ("CNI_CONTAINERID", "c0ffee"),
    ("CNI_NETNS", "/var/run/netns/does-not-matter"),
    ("CNI_IFNAME", "eth0"),
];

#[test]
fn version_is_answered_locally() {
    let (code, v, _) = shim(&[("CNI_COMMAND", "VERSION")], br#"{"cniVersion":"0.4.0"}"#);
    assert_eq!(code, 0);
    assert_eq!(
        v,
        json!({"cniVersion": "0.4.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]})
    );
    // Without stdin too.
    let (code, v, _) = shim(&[("CNI_COMMAND", "VERSION")], b"");
    assert_eq!((code, &v["cniVersion"]), (0, &json!("1.1.0")));
}

#[test]
fn agent_unreachable_is_code_11_within_a_second() {
    for cmd in ["ADD", "DEL", "CHECK"] {
        let mut env = ADD.to_vec();
        env[0] = ("CNI_COMMAND", cmd);
        let (code, v, took) = shim(&env, &conf("1.0.0"));
        assert_eq!(code, 1, "{cmd}: {v}");
        assert_eq!(v["code"], 11, "{cmd}: {v}");
        assert_eq!(v["cniVersion"], "1.0.0");
        assert!(
            v["msg"].as_str().unwrap().contains(&missing_socket()),
            "{v}"
        );
        assert!(took < Duration::from_secs(1), "{cmd} took {took:?}");
    }
    // A socket file nobody listens on (agent crashed): refused, same answer.
    let dir = std::env::temp_dir().join(format!("cni-shim-{}-dead", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dead.sock");
    let _ = std::fs::remove_file(&path);
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let stdin = serde_json::to_vec(
        &json!({"cniVersion": "1.0.0", "name": "n", "type": "ovn-agent-cni",
        "socket": path.to_str().unwrap()}),
    )
    .unwrap();
    let (code, v, took) = shim(&ADD, &stdin);
    assert_eq!((code, v["code"].as_u64()), (1, Some(11)), "{v}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    std::fs::remove_dir_all(&dir).unwrap();
    // STATUS reports "not available" instead.
    let (code, v, _) = shim(&[("CNI_COMMAND", "STATUS")], &conf("1.1.0"));
    assert_eq!((code, v["code"].as_u64()), (1, Some(50)), "{v}");
}

#[test]
fn malformed_stdin_names_the_field() {
    let (code, v, _) = shim(&ADD, b"{\"cniVersion\": \"1.0.0\", ");
    assert_eq!((code, v["code"].as_u64()), (1, Some(6)), "{v}");
    let cases = [
        (
            json!({"cniVersion": "1.0.0", "type": "ovn-agent-cni"}),
            7,
            "name",
        ),
        (
            json!({"cniVersion": "1.0.0", "name": "n", "type": "ovn-agent-cni", "mtu": "big"}),
            7,
            "mtu",
        ),
        (
            json!({"cniVersion": "1.0.0", "name": "n", "type": "ovn-agent-cni", "socket": "relative.sock"}),
            7,
            "socket",
        ),
        (
            json!({"cniVersion": "1.0.0", "name": "n", "type": "ovn-agent-cni",
                "prevResult": {"ips": [{"address": "10.0.0.1"}]}}),
            7,
            "prevResult.ips[0].address",
        ),
        (
            json!({"cniVersion": "0.2.0", "name": "n", "type": "ovn-agent-cni"}),
            1,
            "0.2.0",
        ),
    ];
    for (stdin, want_code, field) in cases {
        let (code, v, _) = shim(&ADD, &serde_json::to_vec(&stdin).unwrap());
        assert_eq!(
            (code, v["code"].as_u64()),
            (1, Some(want_code)),
            "{stdin}: {v}"
        );
        assert!(
            v["msg"].as_str().unwrap().contains(field),
            "{stdin}: {v} should name {field}"
        );
    }
}

#[test]
fn bad_environment_names_the_variable() {
    let (code, v, _) = shim(&[], &conf("1.0.0"));
    assert_eq!((code, v["code"].as_u64()), (1, Some(4)));
    assert!(v["msg"].as_str().unwrap().contains("CNI_COMMAND"), "{v}");
    let (code, v, _) = shim(&ADD[..2], &conf("1.0.0"));
    assert_eq!((code, v["code"].as_u64()), (1, Some(4)));
    assert!(v["msg"].as_str().unwrap().contains("CNI_NETNS"), "{v}");
    let mut env = ADD.to_vec();
    env.push(("CNI_ARGS", "K8S_POD_NAME"));
    let (code, v, _) = shim(&env, &conf("1.0.0"));
    assert_eq!((code, v["code"].as_u64()), (1, Some(4)));
    assert!(v["msg"].as_str().unwrap().contains("CNI_ARGS"), "{v}");
}

#[test]
fn verbs_newer_than_the_config_version_are_refused() {
    let mut env = ADD.to_vec();
    env[0] = ("CNI_COMMAND", "CHECK");
    let (code, v, _) = shim(&env, &conf("0.3.1"));
    assert_eq!((code, v["code"].as_u64()), (1, Some(1)), "{v}");
    for cmd in ["STATUS", "GC"] {
        let (code, v, _) = shim(&[("CNI_COMMAND", cmd)], &conf("1.0.0"));
        assert_eq!((code, v["code"].as_u64()), (1, Some(1)), "{cmd}: {v}");
    }
}

#[test]
fn the_runtimes_own_netns_is_refused() {
    let mut env = ADD.to_vec();
    env[2] = ("CNI_NETNS", "/proc/self/ns/net");
    let (code, v, _) = shim(&env, &conf("1.0.0"));
    assert_eq!((code, v["code"].as_u64()), (1, Some(8)), "{v}");
}
