//! Parse errors against upstream's own parser: `ovn-trace` (23.03) parses its microflow
//! argument with the same expression parser and prints `error parsing flow: <message>`.  For
//! pseudo-random token soups that our parser rejects, upstream must reject them with exactly our
//! message.  Needs `ovsdb-server` and `ovn-trace`; fails (does not skip) without them.

use std::process::Command;

use lflow::expr::{ParseEnv, parse_string};
use lflow::symtab::Symtab;
use testkit::{OvsdbServer, Schema};

const WORDS: &[&str] = &[
    "ip4.src",
    "ip6.dst",
    "eth.src",
    "tcp.dst",
    "inport",
    "outport",
    "reg0",
    "xxreg0",
    "ct.est",
    "ct_label",
    "vlan.pcp",
    "ip",
    "tcp",
    "icmp6.type",
    "nd",
    "eth.type",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "..",
    ",",
    "0",
    "1",
    "7",
    "65535",
    "1.2.3.4",
    "10.0.0.0/8",
    "::1",
    "fe80::/10",
    "00:00:00:00:00:01",
    "0x800",
    "0xffff/0xf0f0",
    "\"p1\"",
    "\"x\"",
    "xyzzy",
    "is_chassis_resident",
    "18446744073709551616",
    "0x",
    "01",
    "/",
    "&",
    "|",
    ".",
    "1/0x1",
    "256.1.2.3",
    "\"",
    "\"\\q\"",
    "/*",
    "//",
    ";",
    "->",
    "-",
    ":",
    "5..1",
    "[16]",
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn parse_errors_equal_upstream() {
    let sb = OvsdbServer::start(Schema::OvnSb).expect("SB ovsdb-server");
    let sbctl = Command::new("ovn-sbctl")
        .arg(format!("--db={}", sb.remote()))
        .args([
            "create",
            "Datapath_Binding",
            "tunnel_key=1",
            "external_ids:name=sw0",
        ])
        .output()
        .expect("ovn-sbctl must be installed");
    assert!(
        sbctl.status.success(),
        "{}",
        String::from_utf8_lossy(&sbctl.stderr)
    );

    let symtab = Symtab::ovn();
    let env = ParseEnv {
        symtab: &symtab,
        ctx: None,
        dp_id: 0,
    };
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let (mut compared, mut failures) = (0, Vec::new());
    while compared < 300 {
        let n = 1 + rng.next() % 8;
        let spaced = !rng.next().is_multiple_of(3);
        let words: Vec<&str> = (0..n)
            .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
            .collect();
        let input = words.join(if spaced { " " } else { "" });
        let Err(ours) = parse_string(&input, env, None) else {
            continue;
        };
        compared += 1;
        let out = Command::new("ovn-trace")
            .arg(format!("--db={}", sb.remote()))
            .args(["--", "sw0", &input])
            .output()
            .expect("ovn-trace must be installed");
        let theirs = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        let want = format!("error parsing flow: {}", ours.message);
        if !theirs.lines().any(|l| l == want) {
            failures.push(format!(
                "{input:?}\n  ours      {want}\n  ovn-trace {}",
                theirs.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
