//! Every match that a real `ovn-northd` (23.03) generates for a small but varied topology
//! compiles: real NB → northd → SB `Logical_Flow`, compiled per datapath with a context built
//! from the SB (port keys, port groups, address sets), as ovn-controller would.

use std::collections::HashMap;

use lflow::context::Context;
use lflow::expr::compile;
use lflow::symtab::Symtab;
use serde_json::Value;
use testkit::Central;

/// Rows of `ovn-sbctl --format=json list TABLE` as column → value maps.
fn rows(central: &Central, table: &str, columns: &str) -> Vec<HashMap<String, Value>> {
    let out = central
        .sbctl(&[
            "--format=json",
            &format!("--columns={columns}"),
            "list",
            table,
        ])
        .unwrap_or_else(|e| panic!("ovn-sbctl list {table}: {e}"));
    let v: Value = serde_json::from_str(&out).expect("ovn-sbctl JSON");
    let headings: Vec<String> = v["headings"]
        .as_array()
        .expect("headings")
        .iter()
        .map(|h| h.as_str().expect("heading").to_string())
        .collect();
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|row| {
            headings
                .iter()
                .cloned()
                .zip(row.as_array().expect("row").iter().cloned())
                .collect()
        })
        .collect()
}

/// The members of an OVSDB set (`["set", [...]]` or a bare atom).
fn atoms(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) if a.first().and_then(Value::as_str) == Some("set") => a
            .get(1)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Value::Array(a) if a.first().and_then(Value::as_str) == Some("uuid") => vec![v.clone()],
        other => vec![other.clone()],
    }
}

fn uuid(v: &Value) -> String {
    v.get(1)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn build_topology(central: &Central, n_switches: usize, n_ports: usize) {
    let mut cmds: Vec<String> = Vec::new();
    let mut add = |s: String| cmds.push(s);
    add("lr-add lr0".into());
    for s in 0..n_switches {
        add(format!("ls-add ls{s}"));
        add(format!(
            "lrp-add lr0 lrp{s} 00:00:00:00:ff:{s:02x} 10.{s}.0.1/24 fd00:{s:x}::1/64"
        ));
        add(format!(
            "lsp-add ls{s} ls{s}-lr0 -- lsp-set-type ls{s}-lr0 router -- \
             lsp-set-addresses ls{s}-lr0 router -- lsp-set-options ls{s}-lr0 router-port=lrp{s}"
        ));
        for p in 0..n_ports {
            let (mac, ip) = (
                format!("00:00:00:00:{s:02x}:{p:02x}"),
                format!("10.{s}.0.{}", p + 10),
            );
            add(format!(
                "lsp-add ls{s} p{s}-{p} -- lsp-set-addresses p{s}-{p} \"{mac} {ip} fd00:{s:x}::{:x}\" \
                 -- lsp-set-port-security p{s}-{p} \"{mac} {ip}\"",
                p + 10
            ));
        }
    }
    add("lsp-add ls0 ln0 -- lsp-set-type ln0 localnet -- lsp-set-addresses ln0 unknown -- lsp-set-options ln0 network_name=phys".into());
    add("pg-add pg_web p0-0 p1-0 p2-0".into());
    add("pg-add pg_db p0-1 p1-1".into());
    add("create Address_Set name=as_clients addresses=\"10.0.0.10\",\"10.1.0.0/24\"".into());
    add("acl-add pg_web from-lport 1001 \"inport == @pg_web && ip4.dst == $as_clients && tcp.dst == {80, 443}\" allow-related".into());
    add("acl-add pg_web to-lport 1002 \"outport == @pg_web && ip4.src == $pg_web_ip4 && udp.dst >= 1000 && udp.dst <= 2000\" allow".into());
    add("acl-add pg_db to-lport 1003 \"outport == @pg_db && ip6 && icmp6\" drop".into());
    add("acl-add ls1 from-lport 900 \"ip4.src == 10.1.0.0/16 && !(tcp.src == 22)\" reject".into());
    add("lb-add lb0 10.0.0.100:80 10.1.0.10:8080,10.2.0.10:8080 tcp".into());
    add("ls-lb-add ls0 lb0".into());
    add("lr-lb-add lr0 lb0".into());
    add("lr-nat-add lr0 snat 172.16.0.1 10.0.0.0/24".into());
    add("lr-route-add lr0 0.0.0.0/0 10.3.0.254".into());
    add("set Logical_Switch ls2 other_config:mcast_snoop=true".into());
    // Batches of commands per ovn-nbctl call ("--" separated) keep big topologies quick.
    for chunk in cmds.chunks(100) {
        let mut words: Vec<String> = Vec::new();
        for c in chunk {
            words.push("--".to_string());
            words.extend(shell_words(c));
        }
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        central
            .nbctl(&args)
            .unwrap_or_else(|e| panic!("ovn-nbctl {chunk:?}: {e}"));
    }
    central
        .nbctl(&["--wait=sb", "sync"])
        .expect("wait for northd");
}

/// Every (match, datapath key) pair of the SB's logical flows, and a context built from the SB.
fn sb_matches(central: &Central) -> (Vec<(String, i64)>, Context) {
    let mut dp_key: HashMap<String, i64> = HashMap::new();
    for r in rows(central, "Datapath_Binding", "_uuid,tunnel_key") {
        dp_key.insert(uuid(&r["_uuid"]), r["tunnel_key"].as_i64().expect("key"));
    }
    let mut groups: HashMap<String, Vec<i64>> = HashMap::new();
    for r in rows(central, "Logical_DP_Group", "_uuid,datapaths") {
        let dps = atoms(&r["datapaths"])
            .iter()
            .map(|d| dp_key[&uuid(d)])
            .collect();
        groups.insert(uuid(&r["_uuid"]), dps);
    }
    let mut ctx = Context::for_chassis();
    for r in rows(central, "Port_Binding", "logical_port,tunnel_key") {
        let key = r["tunnel_key"].as_u64().expect("key") as u32;
        ctx.ports
            .insert(r["logical_port"].as_str().expect("name").to_string(), key);
    }
    for r in rows(central, "Address_Set", "name,addresses") {
        let addrs: Vec<String> = atoms(&r["addresses"])
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        ctx.add_address_set(
            r["name"].as_str().expect("name"),
            addrs.iter().map(String::as_str),
        );
    }
    for r in rows(central, "Port_Group", "name,ports") {
        let ports: Vec<String> = atoms(&r["ports"])
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        ctx.add_port_group(
            r["name"].as_str().expect("name"),
            ports.iter().map(String::as_str),
        );
    }
    let mut out = Vec::new();
    for f in rows(
        central,
        "Logical_Flow",
        "match,logical_datapath,logical_dp_group",
    ) {
        let m = f["match"].as_str().expect("match").to_string();
        let dps: Vec<i64> = match atoms(&f["logical_datapath"]).first() {
            Some(d) if d.is_array() => vec![dp_key[&uuid(d)]],
            _ => atoms(&f["logical_dp_group"])
                .first()
                .map(|g| groups[&uuid(g)].clone())
                .unwrap_or_default(),
        };
        assert!(!dps.is_empty(), "flow without datapath: {m}");
        out.extend(dps.into_iter().map(|dp| (m.clone(), dp)));
    }
    (out, ctx)
}

/// Splits a command line on spaces, keeping double-quoted words together (quotes removed).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn every_northd_match_compiles() {
    let central = Central::start().expect("start NB, SB and ovn-northd");
    build_topology(&central, 4, 6);
    let (flows, ctx) = sb_matches(&central);
    assert!(
        flows.len() > 500,
        "northd generated only {} (match, datapath) pairs",
        flows.len()
    );
    let symtab = Symtab::ovn();
    let (mut n_openflow, mut n_conj) = (0, 0);
    let mut failures = Vec::new();
    for (m, dp) in &flows {
        match compile(m, &symtab, &ctx, *dp) {
            Ok(matches) => {
                n_openflow += matches.len();
                n_conj += matches.n_conjs;
                for em in matches.iter() {
                    if let Err(e) = em.m.to_openflow() {
                        failures.push(format!("{m}: {} does not convert: {e}", em.m));
                    }
                }
            }
            Err(e) => failures.push(format!("{m}: {e}")),
        }
    }
    println!(
        "{} (match, datapath) pairs, {n_openflow} OpenFlow matches, {n_conj} conjunctions",
        flows.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n_conj > 0, "the ACLs should produce conjunctive matches");
}

/// Compile throughput on a larger northd-generated SB (ignored by default; run with
/// `LFLOW_BENCH_SWITCHES=100 cargo test --release -p lflow --test northd_matches -- --ignored
/// --nocapture`).
#[test]
#[ignore]
fn northd_compile_throughput() {
    let n: usize = std::env::var("LFLOW_BENCH_SWITCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let central = Central::start().expect("start NB, SB and ovn-northd");
    let t = std::time::Instant::now();
    build_topology(&central, n, 20);
    println!("topology of {n} switches built in {:?}", t.elapsed());
    let (flows, ctx) = sb_matches(&central);
    let symtab = Symtab::ovn();
    let repeat: usize = std::env::var("LFLOW_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let t = std::time::Instant::now();
    let mut n_openflow = 0;
    for _ in 0..repeat {
        n_openflow = 0;
        for (m, dp) in &flows {
            n_openflow += compile(m, &symtab, &ctx, *dp).map(|x| x.len()).unwrap_or(0);
        }
    }
    let dt = t.elapsed();
    // With ovn-controller-style caching: prepare each distinct match once when it does not
    // depend on the datapath, then finish it per datapath.
    let t = std::time::Instant::now();
    let mut cache: HashMap<&str, lflow::expr::Prepared> = HashMap::new();
    let mut n_cached = 0;
    for (m, dp) in &flows {
        let p = match cache.get(m.as_str()) {
            Some(p) => p.clone(),
            None => match lflow::expr::prepare(m, None, &symtab, &ctx, *dp, None) {
                Ok(p) => {
                    if p.is_datapath_independent() {
                        cache.insert(m.as_str(), p.clone());
                    }
                    p
                }
                Err(_) => continue,
            },
        };
        n_cached += p.into_matches(&symtab, &ctx, *dp).len();
    }
    let dt_cached = t.elapsed();
    assert_eq!(n_cached, n_openflow, "caching must not change the result");
    println!(
        "with a per-match cache ({} distinct): {dt_cached:?} ({:.2} µs per pair)",
        cache.len(),
        dt_cached.as_secs_f64() * 1e6 / flows.len() as f64
    );
    // The matches that cost most in total (time × occurrences), to know where to optimize.
    let mut cost: HashMap<&str, (std::time::Duration, usize)> = HashMap::new();
    for (m, dp) in &flows {
        let t = std::time::Instant::now();
        let _ = compile(m, &symtab, &ctx, *dp);
        let e = cost.entry(m.as_str()).or_default();
        e.0 += t.elapsed();
        e.1 += 1;
    }
    let mut cost: Vec<_> = cost.into_iter().collect();
    cost.sort_by_key(|c| std::cmp::Reverse(c.1.0));
    for (m, (d, n)) in cost.iter().take(8) {
        println!(
            "{d:>10.2?} in {n:>5} × {}",
            m.chars().take(110).collect::<String>()
        );
    }
    println!(
        "{} (match, datapath) pairs → {n_openflow} OpenFlow matches in {dt:?} ({:.2} µs per pair)",
        flows.len(),
        dt.as_secs_f64() * 1e6 / (flows.len() * repeat) as f64
    );
}
