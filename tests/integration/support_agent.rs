//! Helpers for the tests that run `ovn-agent` in place of `ovn-controller`: starting it as a
//! drop-in, dumping and normalizing br-int, and comparing two dumps flow by flow.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use testkit::{Central, Chassis, Cmd, Pod, wait_until};

/// The `ovn-agent` binary: `$OVN_AGENT_BIN`, else next to this test's target directory
/// (`<target>/debug/ovn-agent`, built with `cargo build -p agent --bin ovn-agent` and the same
/// `CARGO_TARGET_DIR`). Missing → panic with the build command (never a skip).
pub fn agent_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("OVN_AGENT_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // <target>/debug/deps/integration-<hash> → <target>/debug/ovn-agent
    let candidate = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|debug| debug.join("ovn-agent"));
    match candidate {
        Some(p) if p.is_file() => p,
        other => panic!(
            "ovn-agent binary not found (looked at {other:?}); build it with the same target dir: \
             `cargo build -p agent --bin ovn-agent`, or set OVN_AGENT_BIN"
        ),
    }
}

/// `OVN_AGENT_UNDER_TEST=ovn-controller` runs every "ovn-agent" test with the real
/// ovn-controller instead: the reference run that shows the tests themselves are right.
pub fn reference_mode() -> bool {
    std::env::var("OVN_AGENT_UNDER_TEST").is_ok_and(|v| v == "ovn-controller")
}

/// Where the agent started by [`start_ovn_agent`] logs (separate from the real
/// ovn-controller's `ovn-controller.log` on the same chassis).
pub fn agent_log(ch: &Chassis) -> PathBuf {
    let agent = ch.dir().join("ovn-agent.log");
    // In reference mode, or on a chassis that runs the real ovn-controller (mixed tests).
    if reference_mode() || !agent.exists() {
        ch.dir().join("ovn-controller.log")
    } else {
        agent
    }
}

/// Starts `ovn-agent` on `ch` as a true drop-in: through a symlink named `ovn-controller` (so its
/// pidfile is `<dir>/ovn-controller.pid` and `ovn-appctl -t ovn-controller` finds it), with the
/// same command line as the real one, logging to `<dir>/ovn-agent.log`; waits for its Chassis row.
pub fn start_ovn_agent(ch: &mut Chassis) {
    if reference_mode() {
        ch.start_ovn_controller()
            .unwrap_or_else(|e| panic!("start ovn-controller on {}: {e}", ch.name()));
        return;
    }
    let bin = agent_binary();
    let link_dir = ch.dir().join("agent-bin");
    std::fs::create_dir_all(&link_dir).expect("create agent-bin dir");
    let link = link_dir.join("ovn-controller");
    if !link.exists() {
        std::os::unix::fs::symlink(&bin, &link).expect("symlink ovn-controller → ovn-agent");
    }
    let log = format!("--log-file={}", ch.dir().join("ovn-agent.log").display());
    ch.start_agent(&link, &[&log])
        .unwrap_or_else(|e| panic!("start ovn-agent on {}: {e}", ch.name()));
    ch.wait_registered(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("ovn-agent on {} did not register: {e}", ch.name()));
}

/// For failure messages: the last `n` lines of the agent's log, and the last lines of its
/// stdout/stderr that are not log lines (a panic, an exit message).
pub fn agent_log_tail(ch: &Chassis, n: usize) -> String {
    let tail = |path: PathBuf, n: usize, keep: &dyn Fn(&str) -> bool| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| keep(l)).collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    };
    let log = tail(agent_log(ch), n, &|_| true);
    // Log lines are echoed to stderr with colours; keep only the rest.
    let out = tail(ch.dir().join("ovn-controller.out"), 10, &|l: &str| {
        !l.contains('\u{1b}')
    });
    format!("{log}\n--- agent stdout/stderr (non-log lines):\n{out}")
}

/// `ovn-nbctl --timeout=T --wait=hv sync`, panicking with the agent's log tail on failure.
pub fn wait_hv(central: &Central, ch: &Chassis, secs: u32) {
    let t = format!("--timeout={secs}");
    if let Err(e) = central.nbctl(&[&t, "--wait=hv", "sync"]) {
        panic!(
            "--wait=hv did not return: {e}\nagent log on {}:\n{}",
            ch.name(),
            agent_log_tail(ch, 30)
        );
    }
}

/// Every flow line of br-int (`dump-flows --no-stats`), as printed.
pub fn dump_flows(ch: &Chassis) -> Vec<String> {
    ch.ofctl(&["dump-flows", "--no-stats"])
        .expect("dump-flows")
        .lines()
        // ovs-ofctl omits `table=0`; every flow line has `actions=`, the reply header has none.
        .filter(|l| l.contains("actions="))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// Every group of br-int (`dump-groups`), as printed.
pub fn dump_groups(ch: &Chassis) -> Vec<String> {
    ch.ofctl(&["dump-groups"])
        .expect("dump-groups")
        .lines()
        .filter(|l| l.contains("group_id="))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// Waits until br-int's flow table stops changing (same dump for `quiet`), at most `timeout`;
/// returns the last dump.
pub fn wait_flows_settled(ch: &Chassis, quiet: Duration, timeout: Duration) -> Vec<String> {
    let t0 = Instant::now();
    let mut last = dump_flows(ch);
    let mut since = Instant::now();
    while t0.elapsed() < timeout {
        std::thread::sleep(Duration::from_millis(200));
        let now = dump_flows(ch);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            break;
        }
    }
    last
}

/// The `external_ids:ovn-installed` of an Interface, and `Port_Binding.up` of a logical port.
pub fn ovn_installed(ch: &Chassis, iface: &str) -> bool {
    ch.vsctl(&[
        "--if-exists",
        "get",
        "Interface",
        iface,
        "external_ids:ovn-installed",
    ])
    .map(|s| s.trim().trim_matches('"') == "true")
    .unwrap_or(false)
}

/// `Port_Binding.up` of `lsp` is `[true]`.
pub fn port_up(central: &Central, lsp: &str) -> bool {
    central
        .sbctl(&[
            "--bare",
            "--columns=up",
            "find",
            "Port_Binding",
            &format!("logical_port={lsp}"),
        ])
        .map(|s| s.trim() == "true")
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// Traffic.

/// Sends `len` bytes from `client` to `server_ip:port` (a listener in `server`) and checks that
/// every byte arrives intact.
pub fn tcp_transfer(server: &Pod, client: &Pod, dest: &str, port: u16, len: usize) {
    let listener = listen(server, port);
    let receiver = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).map(|_| buf)
    });
    let mut stream = connect(client, dest, port).expect("TCP connect");
    let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    stream.write_all(&payload).expect("send");
    drop(stream);
    let got = receiver.join().expect("receiver").expect("receive");
    assert_eq!(
        got.len(),
        len,
        "short TCP transfer {} → {dest}:{port}",
        client.name()
    );
    assert!(got == payload, "TCP payload corrupted");
}

/// A TCP listener bound inside `pod` on its address.
pub fn listen(pod: &Pod, port: u16) -> TcpListener {
    let bind = format!("{}:{port}", pod.ip());
    pod.run_in(move || TcpListener::bind(bind))
        .expect("enter pod netns")
        .unwrap_or_else(|e| panic!("bind {}:{port} in {}: {e}", pod.ip(), pod.name()))
}

/// A TCP connection from inside `pod` to `dest:port` (3 s timeout).
pub fn connect(pod: &Pod, dest: &str, port: u16) -> std::io::Result<TcpStream> {
    let addr: std::net::SocketAddr = format!("{dest}:{port}").parse().expect("address");
    pod.run_in(move || TcpStream::connect_timeout(&addr, Duration::from_secs(3)))
        .expect("enter pod netns")
}

/// Pings `ip` from `pod` `count` times every `interval_ms`; returns (sent, received).
pub fn ping_counts(pod: &Pod, ip: &str, count: u32, interval_ms: u32) -> (u32, u32) {
    let c = count.to_string();
    let i = format!("{:.3}", f64::from(interval_ms) / 1000.0);
    let out = Cmd::new("ping")
        .args(["-n", "-q", "-c", &c, "-i", &i, "-W", "1", ip])
        .netns(Some(pod.netns()))
        .timeout(Duration::from_secs(
            u64::from(count) * u64::from(interval_ms) / 1000 + 30,
        ))
        .output()
        .expect("run ping")
        .stdout;
    // "20 packets transmitted, 20 received, 0% packet loss"
    let nums: Vec<u32> = out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .map(|l| {
            l.split(',')
                .filter_map(|part| part.split_whitespace().next()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    match nums.as_slice() {
        [tx, rx, ..] => (*tx, *rx),
        _ => panic!("cannot read ping statistics from {out}"),
    }
}

/// True if `pod` gets no reply from `ip`: waits (at most `timeout`) for a first lost probe, then
/// demands 3 of 3 lost (testbed guide §13).
pub fn wait_blocked(pod: &Pod, ip: &str, timeout: Duration) -> bool {
    wait_until(timeout, || !pod.ping(ip, 1)) && ping_counts(pod, ip, 3, 200).1 == 0
}

// ---------------------------------------------------------------------------------------------
// Normalization and comparison.

/// One id namespace renumbered by order of appearance (conjunction ids, group ids, meters).
#[derive(Clone, Copy)]
struct IdPattern {
    /// Text right before the decimal id (`conj_id=`, `conjunction(`, `group:`, ...).
    prefix: &'static str,
    /// The namespace the id belongs to (`conjunction(` and `conj_id=` share one).
    class: usize,
    /// Whether the id is hexadecimal (`0x…`) rather than decimal.
    hex: bool,
}

const ID_PATTERNS: &[IdPattern] = &[
    IdPattern {
        prefix: "conj_id=",
        class: 0,
        hex: false,
    },
    IdPattern {
        prefix: "conjunction(",
        class: 0,
        hex: false,
    },
    IdPattern {
        prefix: "group:",
        class: 1,
        hex: false,
    },
    IdPattern {
        prefix: "group_id=",
        class: 1,
        hex: false,
    },
    IdPattern {
        prefix: "meter:",
        class: 2,
        hex: false,
    },
];

/// Conntrack zones are set as constants into these registers (table 0 / physical flows): MFF_LOG_CT_ZONE
/// (reg13), MFF_LOG_DNAT_ZONE (reg11), MFF_LOG_SNAT_ZONE (reg12).
const ZONE_REGS: &[&str] = &["->reg11", "->reg12", "->reg13"];
const ZONE_CLASS: usize = 3;
const CLASSES: usize = 4;

/// An id occurrence in a line: byte range of the digits and its class.
struct IdSpan {
    start: usize,
    end: usize,
    class: usize,
}

fn id_spans(line: &str) -> Vec<IdSpan> {
    let mut spans = Vec::new();
    for pat in ID_PATTERNS {
        let mut from = 0;
        while let Some(pos) = line[from..].find(pat.prefix) {
            let start = from + pos + pat.prefix.len();
            let digits = if pat.hex {
                line[start..].strip_prefix("0x").map_or(0, |r| {
                    2 + r.bytes().take_while(u8::is_ascii_hexdigit).count()
                })
            } else {
                line[start..].bytes().take_while(u8::is_ascii_digit).count()
            };
            if digits > 0 {
                spans.push(IdSpan {
                    start,
                    end: start + digits,
                    class: pat.class,
                });
            }
            from = start;
        }
    }
    // `set_field:0x5->reg13` or `set_field:0x5/0xffff->reg13`, `load:0x5->NXM_NX_REG13[0..15]`.
    for reg in ZONE_REGS {
        let mut from = 0;
        while let Some(pos) = line[from..].find(reg) {
            let at = from + pos;
            let head = &line[..at];
            // The value is after the last ':' before the register.
            if let Some(colon) = head.rfind(':') {
                let value = &head[colon + 1..];
                let value = value.split('/').next().unwrap_or(value);
                if value.starts_with("0x") && value.len() > 2 {
                    spans.push(IdSpan {
                        start: colon + 1,
                        end: colon + 1 + value.len(),
                        class: ZONE_CLASS,
                    });
                }
            }
            from = at + reg.len();
        }
    }
    spans.sort_by_key(|s| s.start);
    spans.dedup_by_key(|s| s.start);
    spans
}

fn skeleton(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut last = 0;
    for s in id_spans(line) {
        out.push_str(&line[last..s.start]);
        out.push('#');
        last = s.end;
    }
    out.push_str(&line[last..]);
    out
}

/// Sorts the `conjunction(…)` actions of a line (their order follows the ids, which were renamed).
fn sort_conjunctions(line: &str) -> String {
    let Some(acts_at) = line.find("actions=") else {
        return line.to_owned();
    };
    let (head, acts) = line.split_at(acts_at + "actions=".len());
    if !acts.starts_with("conjunction(") {
        return line.to_owned();
    }
    let mut parts: Vec<&str> = acts.split("),").collect();
    if parts.iter().all(|p| p.starts_with("conjunction(")) {
        let lastp = parts.len() - 1;
        if let Some(l) = parts.get_mut(lastp) {
            *l = l.strip_suffix(')').unwrap_or(l);
        }
        let mut owned: Vec<String> = parts.iter().map(|p| format!("{p})")).collect();
        owned.sort();
        return format!("{head}{}", owned.join(","));
    }
    line.to_owned()
}

/// How a dump is normalized before comparison.
#[derive(Debug, Clone, Copy)]
pub struct Normalize {
    /// Keep `cookie=0x…` (the first 32 bits of the Logical_Flow uuid).
    pub cookies: bool,
}

/// Normalizes flow (and group) lines: stats are already gone (`--no-stats`); cookies dropped if
/// asked; conjunction ids, group ids, meter ids and conntrack zone constants renamed to
/// canonical values by order of appearance in the id-blind sorted dump; sorted.
pub fn normalize(lines: &[String], how: Normalize) -> Vec<String> {
    let mut lines: Vec<String> = lines
        .iter()
        .map(|l| {
            let l = l.trim();
            if how.cookies {
                l.to_owned()
            } else {
                match l.strip_prefix("cookie=") {
                    Some(rest) => rest
                        .split_once(", ")
                        .map_or_else(|| rest.to_owned(), |(_, r)| r.to_owned()),
                    None => l.to_owned(),
                }
            }
        })
        .collect();
    lines.sort_by_cached_key(|l| (skeleton(l), l.clone()));
    let mut maps: Vec<HashMap<String, usize>> = vec![HashMap::new(); CLASSES];
    let mut out = Vec::with_capacity(lines.len());
    for line in &lines {
        let mut s = String::with_capacity(line.len());
        let mut last = 0;
        for span in id_spans(line) {
            s.push_str(&line[last..span.start]);
            let id = &line[span.start..span.end];
            let map = &mut maps[span.class];
            let n = map.len();
            let canon = *map.entry(id.to_owned()).or_insert(n + 1);
            if span.class == ZONE_CLASS {
                let _ = write!(s, "Z{canon}");
            } else {
                let _ = write!(s, "N{canon}");
            }
            last = span.end;
        }
        s.push_str(&line[last..]);
        out.push(sort_conjunctions(&s));
    }
    out.sort();
    out
}

/// The table of a flow line (`table=N`, absent for table 0), `255` for groups.
fn table_of(line: &str) -> u16 {
    if line.starts_with("group_id=") {
        return 255;
    }
    line.split_once("table=")
        .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The per-table outcome of comparing an expected (ovn-controller) and an actual (ovn-agent) dump.
#[derive(Debug, Default)]
pub struct FlowDiff {
    /// table → (identical, missing from actual, extra in actual); 255 = groups.
    pub per_table: BTreeMap<u16, (usize, usize, usize)>,
    /// Lines only in the expected dump.
    pub missing: Vec<String>,
    /// Lines only in the actual dump.
    pub extra: Vec<String>,
    /// Lines in both.
    pub identical: usize,
}

impl FlowDiff {
    /// Multiset difference of two normalized dumps.
    pub fn of(expected: &[String], actual: &[String]) -> FlowDiff {
        let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for l in expected {
            counts.entry(l).or_default().0 += 1;
        }
        for l in actual {
            counts.entry(l).or_default().1 += 1;
        }
        let mut d = FlowDiff::default();
        for (line, (e, a)) in counts {
            let t = d.per_table.entry(table_of(line)).or_default();
            let same = e.min(a);
            t.0 += same;
            d.identical += same;
            for _ in a..e {
                t.1 += 1;
                d.missing.push(line.to_owned());
            }
            for _ in e..a {
                t.2 += 1;
                d.extra.push(line.to_owned());
            }
        }
        d
    }

    /// True when both dumps are equal.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }

    /// A report: totals, per table counts (`table: identical/missing/extra`, only tables with a
    /// difference listed in full), and the first `n` missing and extra lines.
    pub fn report(&self, title: &str, n: usize) -> String {
        let mut s = format!(
            "{title}: identical {} missing {} extra {}\n  per table (identical/missing/extra):",
            self.identical,
            self.missing.len(),
            self.extra.len()
        );
        for (t, (i, m, e)) in &self.per_table {
            let name = if *t == 255 {
                "groups".to_owned()
            } else {
                t.to_string()
            };
            if *m == 0 && *e == 0 {
                let _ = write!(s, " {name}:{i}");
            } else {
                let _ = write!(s, " {name}:{i}/-{m}/+{e}");
            }
        }
        s.push('\n');
        for (what, lines) in [("missing", &self.missing), ("extra", &self.extra)] {
            for l in lines.iter().take(n) {
                let _ = writeln!(s, "  {what}: {l}");
            }
            if lines.len() > n {
                let _ = writeln!(s, "  ... {} more {what}", lines.len() - n);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn conjunction_and_zone_ids_are_renamed_consistently() {
        let a = v(&[
            "cookie=0x1, table=44, priority=2000,conj_id=7,ip,metadata=0x1 actions=drop",
            "cookie=0x1, table=44, priority=2000,ip,metadata=0x1,nw_src=10.0.0.1 actions=conjunction(7,1/2),conjunction(3,1/2)",
            "cookie=0x2, table=44, priority=2000,conj_id=3,ip,metadata=0x1 actions=resubmit(,45)",
            "table=0, priority=100,in_port=1 actions=set_field:0x5->reg13,set_field:0x2->reg11,resubmit(,8)",
        ]);
        let b = v(&[
            "cookie=0x2, table=44, priority=2000,conj_id=11,ip,metadata=0x1 actions=resubmit(,45)",
            "cookie=0x1, table=44, priority=2000,conj_id=10,ip,metadata=0x1 actions=drop",
            "cookie=0x1, table=44, priority=2000,ip,metadata=0x1,nw_src=10.0.0.1 actions=conjunction(11,1/2),conjunction(10,1/2)",
            "table=0, priority=100,in_port=1 actions=set_field:0x9->reg13,set_field:0x1->reg11,resubmit(,8)",
        ]);
        let how = Normalize { cookies: true };
        let d = FlowDiff::of(&normalize(&a, how), &normalize(&b, how));
        assert!(d.is_empty(), "{}", d.report("renamed", 10));
        // A real difference is still seen.
        let mut c = b;
        c[0] = c[0].replace("resubmit(,45)", "resubmit(,46)");
        let d = FlowDiff::of(&normalize(&a, how), &normalize(&c, how));
        assert_eq!(
            (d.missing.len(), d.extra.len()),
            (1, 1),
            "{}",
            d.report("x", 5)
        );
        assert_eq!(d.per_table.get(&44), Some(&(2, 1, 1)));
    }

    #[test]
    fn cookies_can_be_ignored() {
        let a = v(&["cookie=0x1, table=8, priority=50 actions=drop"]);
        let b = v(&["cookie=0x2, table=8, priority=50 actions=drop"]);
        let strict = Normalize { cookies: true };
        let loose = Normalize { cookies: false };
        assert!(!FlowDiff::of(&normalize(&a, strict), &normalize(&b, strict)).is_empty());
        assert!(FlowDiff::of(&normalize(&a, loose), &normalize(&b, loose)).is_empty());
    }
}
