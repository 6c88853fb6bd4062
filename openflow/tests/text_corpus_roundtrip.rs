//! Corpus test against OVS 3.1.0 ground truth recorded in `tests/text_corpus.txt` (see the
//! provenance header there): for every flow,
//! 1. our `FromStr` + `Display` of the match and the actions must print exactly what
//!    `ovs-ofctl -O OpenFlow15 parse-flow` printed;
//! 2. our encoding of the match and instructions must equal the bytes `ovs-ofctl` sent in its
//!    FLOW_MOD, byte for byte;
//! 3. decoding those bytes must print the same text and re-encode to the same bytes.
//!
//! `match_ofctl_oracle.rs` re-checks the recorded column 2 against the installed ovs-ofctl.

use openflow::codec::{Decode, Encode, Reader};
use openflow::{Instructions, Match};

const CORPUS: &str = include_str!("text_corpus.txt");

struct Case<'a> {
    line: usize,
    input: &'a str,
    expected: &'a str,
    wire: Vec<u8>,
}

fn cases() -> Vec<Case<'static>> {
    CORPUS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let mut cols = l.split('\t');
            let input = cols.next().unwrap();
            let expected = cols
                .next()
                .unwrap_or_else(|| panic!("line {}: missing column 2", i + 1));
            let hex = cols
                .next()
                .unwrap_or_else(|| panic!("line {}: missing column 3", i + 1));
            let wire = (0..hex.len())
                .step_by(2)
                .map(|j| u8::from_str_radix(&hex[j..j + 2], 16).unwrap())
                .collect();
            Case {
                line: i + 1,
                input,
                expected,
                wire,
            }
        })
        .collect()
}

/// Splits `prio/match items actions=…` into (priority, match text, actions text).
fn split_flow(flow: &str) -> (u16, String, &str) {
    let (m, a) = match flow.split_once("actions=") {
        Some((m, a)) => (m.trim(), a.trim()),
        None => (flow.trim(), ""),
    };
    let mut prio = 32768;
    let mut items = Vec::new();
    let m = m.replace(' ', ",");
    for it in openflow::text::split_top(&m) {
        match it.strip_prefix("priority=") {
            Some(p) => prio = p.parse().unwrap(),
            None => items.push(it),
        }
    }
    (prio, items.join(","), a)
}

fn render(prio: u16, m: &Match, ins: &Instructions) -> String {
    let mut head = Vec::new();
    if prio != 32768 {
        head.push(format!("priority={prio}"));
    }
    let ms = m.to_string();
    if !ms.is_empty() {
        head.push(ms);
    }
    let head = head.join(",");
    if head.is_empty() {
        format!("actions={ins}")
    } else {
        format!("{head} actions={ins}")
    }
}

#[test]
fn corpus_text_and_wire_match_ovs() {
    let cases = cases();
    assert!(
        cases.len() > 250,
        "corpus unexpectedly small: {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for c in &cases {
        let (prio, mtext, atext) = split_flow(c.input);
        let m: Match = match mtext.parse() {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!(
                    "line {}: match parse error {e}: {}",
                    c.line, c.input
                ));
                continue;
            }
        };
        let ins: Instructions = match atext.parse() {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!(
                    "line {}: actions parse error {e}: {}",
                    c.line, c.input
                ));
                continue;
            }
        };
        let text = render(prio, &m, &ins);
        if text != c.expected {
            failures.push(format!(
                "line {}: text\n  ours: {text}\n  ovs:  {}",
                c.line, c.expected
            ));
        }
        let mut wire = m.to_vec();
        ins.encode(&mut wire);
        if wire != c.wire {
            failures.push(format!(
                "line {}: wire {}\n  ours: {}\n  ovs:  {}",
                c.line,
                c.input,
                hex(&wire),
                hex(&c.wire)
            ));
        }
        // Decode OVS's bytes.
        let mut r = Reader::new(&c.wire);
        match (Match::decode(&mut r), Instructions::decode(&mut r)) {
            (Ok(dm), Ok(di)) => {
                let dtext = render(prio, &dm, &di);
                if dtext != c.expected {
                    failures.push(format!(
                        "line {}: decoded text\n  ours: {dtext}\n  ovs:  {}",
                        c.line, c.expected
                    ));
                }
                let mut re = dm.to_vec();
                di.encode(&mut re);
                if re != c.wire {
                    failures.push(format!("line {}: re-encode differs: {}", c.line, c.input));
                }
                if dm.encoded_len() + di.encoded_len() != c.wire.len() {
                    failures.push(format!("line {}: encoded_len mismatch", c.line));
                }
            }
            (m, i) => failures.push(format!(
                "line {}: decode error {:?} {:?}: {}",
                c.line,
                m.err(),
                i.err(),
                c.input
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus flows differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const OVN_FLOWS: &str = include_str!("text_ovn_flows.txt");

/// The same checks over 588 flows recorded from a real ovn-controller (see the provenance
/// header of `text_ovn_flows.txt`): the dumped text is its own expected output.
#[test]
fn recorded_ovn_controller_flows_round_trip() {
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, l) in OVN_FLOWS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
    {
        n += 1;
        let (flow, hex_s) = l
            .split_once('\t')
            .unwrap_or_else(|| panic!("line {}: no TAB", i + 1));
        let want: Vec<u8> = (0..hex_s.len())
            .step_by(2)
            .map(|j| u8::from_str_radix(&hex_s[j..j + 2], 16).unwrap())
            .collect();
        let (prio, mtext, atext) = split_flow(flow);
        let parsed = mtext
            .parse::<Match>()
            .map_err(|e| e.to_string())
            .and_then(|m| {
                atext
                    .parse::<Instructions>()
                    .map(|a| (m, a))
                    .map_err(|e| e.to_string())
            });
        let (m, ins) = match parsed {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("line {}: {e}: {flow}", i + 1));
                continue;
            }
        };
        if render(prio, &m, &ins) != flow {
            failures.push(format!(
                "line {}: text\n  ours: {}\n  ovs:  {flow}",
                i + 1,
                render(prio, &m, &ins)
            ));
        }
        let mut wire = m.to_vec();
        ins.encode(&mut wire);
        if wire != want {
            failures.push(format!("line {}: wire differs: {flow}", i + 1));
        }
        let mut r = Reader::new(&want);
        match (Match::decode(&mut r), Instructions::decode(&mut r)) {
            (Ok(dm), Ok(di)) if render(prio, &dm, &di) == flow => {}
            (Ok(dm), Ok(di)) => failures.push(format!(
                "line {}: decoded text {}",
                i + 1,
                render(prio, &dm, &di)
            )),
            (a, b) => failures.push(format!(
                "line {}: decode error {:?} {:?}",
                i + 1,
                a.err(),
                b.err()
            )),
        }
    }
    assert!(n > 500, "recorded corpus unexpectedly small: {n}");
    assert!(
        failures.is_empty(),
        "{} of {n} flows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
