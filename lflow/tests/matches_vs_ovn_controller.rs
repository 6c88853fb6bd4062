//! The match compiler against the real ovn-controller 23.03: northd compiles a topology with
//! ACLs on port groups and address sets, a load balancer, a router with NAT and a gateway port;
//! ovn-controller installs it on hv1.  For every logical flow on every datapath, the matches
//! of the OpenFlow flows ovn-controller installed (found by cookie, table and priority, with
//! `metadata=` removed) must be exactly the matches we compile from the same SB row, including
//! the action prerequisites ANDed in and, for conjunctive matches, the `conjunction()` actions
//! (ovn-controller's conjunction ids are ours moved by the ids it used before).
//!
//! Needs root and the OVS/OVN binaries; fails (does not skip) without them.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use lflow::actions::{ActionsContext, OptTable, OptType, Pipeline, parse_actions_str};
use lflow::context::Context;
use lflow::expr::compile_with;
use lflow::symtab::Symtab;
use serde_json::Value;
use testkit::{Central, Chassis, find_binary};

fn rows(json: &str) -> Vec<HashMap<String, Value>> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON {e}: {json}"));
    let heads: Vec<String> = v["headings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h.as_str().unwrap_or("").to_string())
        .collect();
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            heads
                .iter()
                .cloned()
                .zip(r.as_array().cloned().unwrap_or_default())
                .collect()
        })
        .collect()
}

fn uuid(v: &Value) -> String {
    v.get(1).and_then(Value::as_str).unwrap_or("").to_string()
}

fn set(v: &Value) -> Vec<Value> {
    if v.get(0).and_then(Value::as_str) == Some("set") {
        v.get(1)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        vec![v.clone()]
    }
}

/// Installed flow: (cookie, table, priority, metadata) → match strings (without `metadata=`),
/// plus whether the match or actions use conjunctions.
type Installed = HashMap<(u32, u8, u16, u64), (BTreeSet<String>, bool)>;

/// Conjunction clause flows by (table, priority, metadata), whatever their cookie (a clause
/// flow shared by several logical flows carries only the first one's): match and its
/// `(id, clause, n_clauses)` actions.
type Clauses = HashMap<(u8, u16, u64), Vec<(String, Vec<(u32, u32, u32)>)>>;

fn parse_conjunction(a: &str) -> Option<(u32, u32, u32)> {
    let inner = a.strip_prefix("conjunction(")?.trim_end_matches(')');
    let (id, rest) = inner.split_once(',')?;
    let (k, n) = rest.split_once('/')?;
    // ovs-ofctl numbers clauses from 1, test-ovn (and we) from 0.
    let k: u32 = k.trim().parse().ok()?;
    Some((
        id.trim().parse().ok()?,
        k.checked_sub(1)?,
        n.trim().parse().ok()?,
    ))
}

fn parse_dump(dump: &str) -> (Installed, Clauses) {
    let mut installed = Installed::new();
    let mut clauses = Clauses::new();
    for line in dump.lines() {
        let field = |k: &str| {
            line.split(k)
                .nth(1)
                .map(|s| s.split([',', ' ']).next().unwrap_or(""))
        };
        // ovs-ofctl omits `cookie=0x0`.
        let c = field("cookie=0x").unwrap_or("0");
        let Some(t) = field("table=") else {
            continue;
        };
        let (Ok(cookie), Ok(table)) = (u32::from_str_radix(c, 16), t.parse::<u8>()) else {
            continue;
        };
        let Some(rest) = line.split(" priority=").nth(1) else {
            continue;
        };
        let Some((m, actions)) = rest.split_once(" actions=") else {
            continue;
        };
        let (prio, m) = m.split_once(',').unwrap_or((m, ""));
        let Ok(prio) = prio.parse::<u16>() else {
            continue;
        };
        let mut metadata = 0u64;
        let parts: Vec<&str> = m
            .split(',')
            .filter(|p| {
                if let Some(v) = p.strip_prefix("metadata=0x") {
                    metadata = u64::from_str_radix(v, 16).unwrap_or(0);
                    false
                } else {
                    !p.is_empty()
                }
            })
            .collect();
        let conj = m.contains("conj_id=") || actions.contains("conjunction(");
        let e = installed
            .entry((cookie, table, prio, metadata))
            .or_default();
        let conj_actions: Vec<(u32, u32, u32)> = actions
            .trim()
            .split("),")
            .filter_map(|a| parse_conjunction(a.trim()))
            .collect();
        if conj_actions.is_empty() {
            e.0.insert(parts.join(","));
        } else {
            clauses
                .entry((table, prio, metadata))
                .or_default()
                .push((parts.join(","), conj_actions));
        }
        e.1 |= conj;
    }
    (installed, clauses)
}

#[test]
fn compiled_matches_equal_real_ovn_controller() {
    find_binary("ovn-controller").expect("ovn-controller installed");
    let central = Central::start().expect("central");
    let mut hv1 = Chassis::start(&central, "hv1").expect("hv1");
    hv1.start_ovn_controller().expect("ovn-controller");
    hv1.wait_registered(Duration::from_secs(30))
        .expect("chassis registered");
    let _p1 = hv1
        .add_pod("p1", "00:00:00:00:01:01", "10.0.1.11/24", Some("10.0.1.1"))
        .expect("pod p1");
    let _p2 = hv1
        .add_pod("p2", "00:00:00:00:01:02", "10.0.1.12/24", Some("10.0.1.1"))
        .expect("pod p2");

    let nb = |args: &[&str]| {
        central
            .nbctl(args)
            .unwrap_or_else(|e| panic!("ovn-nbctl {args:?}: {e}"))
    };
    nb(&["ls-add", "sw0"]);
    for (p, mac, ip) in [
        ("p1", "00:00:00:00:01:01", "10.0.1.11"),
        ("p2", "00:00:00:00:01:02", "10.0.1.12"),
        ("p3", "00:00:00:00:01:03", "10.0.1.13"),
    ] {
        let addr = format!("{mac} {ip}");
        nb(&[
            "lsp-add",
            "sw0",
            p,
            "--",
            "lsp-set-addresses",
            p,
            &addr,
            "--",
            "lsp-set-port-security",
            p,
            &addr,
        ]);
    }
    nb(&["pg-add", "pg_web", "p1", "p2"]);
    nb(&["pg-add", "pg_db", "p2", "p3"]);
    nb(&[
        "create",
        "Address_Set",
        "name=as_clients",
        "addresses=\"10.0.1.0/28\",\"192.168.0.5\",\"192.168.0.6\"",
    ]);
    nb(&[
        "acl-add",
        "pg_web",
        "from-lport",
        "1002",
        "inport == @pg_web && ip4.dst == $as_clients && tcp.dst == {80, 443, 8080}",
        "allow-related",
    ]);
    nb(&[
        "acl-add",
        "pg_web",
        "to-lport",
        "1001",
        "outport == @pg_web && ip4.src == $pg_db_ip4 && tcp.dst >= 1000 && tcp.dst <= 1100",
        "allow",
    ]);
    nb(&[
        "acl-add",
        "pg_db",
        "to-lport",
        "1000",
        "outport == @pg_db && (udp.dst == 53 || icmp4)",
        "drop",
    ]);
    nb(&[
        "acl-add",
        "sw0",
        "from-lport",
        "900",
        "ip4.src == 10.0.0.0/8 && !(tcp.src == 22) && ip.ttl == 64",
        "allow",
    ]);
    nb(&[
        "lb-add",
        "lb0",
        "10.0.1.100:80",
        "10.0.1.11:80,10.0.1.12:80",
        "tcp",
    ]);
    nb(&["ls-lb-add", "sw0", "lb0"]);
    nb(&["lr-add", "lr0"]);
    nb(&[
        "lrp-add",
        "lr0",
        "lrp0",
        "00:00:00:00:01:ff",
        "10.0.1.1/24",
        "fd01::1/64",
    ]);
    nb(&[
        "lsp-add",
        "sw0",
        "sw0-lr0",
        "--",
        "lsp-set-type",
        "sw0-lr0",
        "router",
        "--",
        "lsp-set-addresses",
        "sw0-lr0",
        "router",
        "--",
        "lsp-set-options",
        "sw0-lr0",
        "router-port=lrp0",
    ]);
    nb(&[
        "lrp-add",
        "lr0",
        "lrp-ext",
        "00:00:00:00:02:ff",
        "172.16.1.1/24",
    ]);
    nb(&["lrp-set-gateway-chassis", "lrp-ext", "hv1"]);
    nb(&["lr-nat-add", "lr0", "snat", "172.16.1.1", "10.0.1.0/24"]);
    nb(&[
        "lr-nat-add",
        "lr0",
        "dnat_and_snat",
        "172.16.1.50",
        "10.0.1.11",
    ]);
    nb(&["lr-lb-add", "lr0", "lb0"]);
    nb(&["lr-route-add", "lr0", "0.0.0.0/0", "172.16.1.254"]);
    nb(&["--wait=hv", "sync"]);

    let sb = |args: &[&str]| {
        central
            .sbctl(args)
            .unwrap_or_else(|e| panic!("ovn-sbctl {args:?}: {e}"))
    };
    let hv1_uuid = sb(&["--bare", "--columns=_uuid", "find", "Chassis", "name=hv1"])
        .trim()
        .to_string();
    let mut dp_key: HashMap<String, u64> = HashMap::new();
    for r in rows(&sb(&["--format=json", "list", "Datapath_Binding"])) {
        dp_key.insert(uuid(&r["_uuid"]), r["tunnel_key"].as_u64().unwrap_or(0));
    }
    let mut ctx = Context::for_chassis();
    for r in rows(&sb(&["--format=json", "list", "Port_Binding"])) {
        let name = r["logical_port"].as_str().unwrap_or("").to_string();
        ctx.port_datapath
            .insert(name.clone(), dp_key[&uuid(&r["datapath"])] as i64);
        if set(&r["chassis"]).iter().any(|c| uuid(c) == hv1_uuid) {
            ctx.chassis_resident.insert(name.clone());
        }
        ctx.ports
            .insert(name, r["tunnel_key"].as_u64().unwrap_or(0) as u32);
    }
    for r in rows(&sb(&["--format=json", "list", "Multicast_Group"])) {
        let name = r["name"].as_str().unwrap_or("").to_string();
        let dp = dp_key[&uuid(&r["datapath"])] as i64;
        ctx.multicast_groups
            .insert((dp, name), r["tunnel_key"].as_u64().unwrap_or(0) as u32);
    }
    for r in rows(&sb(&["--format=json", "list", "Address_Set"])) {
        let addrs: Vec<String> = set(&r["addresses"])
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        ctx.add_address_set(
            r["name"].as_str().unwrap_or(""),
            addrs.iter().map(String::as_str),
        );
    }
    for r in rows(&sb(&["--format=json", "list", "Port_Group"])) {
        let ports: Vec<String> = set(&r["ports"])
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        // Like ovn-controller, keep only the ports bound here.
        let local = ctx.chassis_resident.clone();
        ctx.add_port_group_filtered(
            r["name"].as_str().unwrap_or(""),
            ports.iter().map(String::as_str),
            &|p| local.contains(p),
        );
    }
    let mut dp_groups: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows(&sb(&["--format=json", "list", "Logical_DP_Group"])) {
        dp_groups.insert(
            uuid(&r["_uuid"]),
            set(&r["datapaths"]).iter().map(uuid).collect(),
        );
    }

    let (installed, clauses) = parse_dump(
        &hv1.ofctl(&["dump-flows", "--no-stats"])
            .expect("dump-flows"),
    );
    assert!(
        installed.len() > 100,
        "ovn-controller installed too few flows"
    );

    // The actions' prerequisites are ANDed into the match; parse actions as ovn-controller does.
    let opt_table = |table: &str| {
        let mut t = OptTable::new();
        for r in rows(&sb(&["--format=json", "list", table])) {
            let ty = OptType::from_name(r["type"].as_str().unwrap_or("")).unwrap_or(OptType::Str);
            t.add(
                r["name"].as_str().unwrap_or(""),
                r["code"].as_u64().unwrap_or(0) as u16,
                ty,
            );
        }
        t
    };
    let mut actx = ActionsContext {
        dhcp_opts: opt_table("DHCP_Options"),
        dhcpv6_opts: opt_table("DHCPv6_Options"),
        n_tables: 29,
        ..ActionsContext::default()
    };

    let symtab = Symtab::ovn();
    let (mut exact, mut by_count) = (0, 0);
    let mut failures = Vec::new();
    for r in rows(&sb(&["--format=json", "list", "Logical_Flow"])) {
        let id = uuid(&r["_uuid"]);
        let Ok(cookie) = u32::from_str_radix(&id.replace('-', "")[..8], 16) else {
            continue;
        };
        let m = r["match"].as_str().unwrap_or("");
        let ingress = r["pipeline"].as_str() == Some("ingress");
        let table = if ingress { 8 } else { 42 } + r["table_id"].as_u64().unwrap_or(0) as u8;
        let prio = r["priority"].as_u64().unwrap_or(0) as u16;
        let mut dps: Vec<String> = set(&r["logical_datapath"])
            .iter()
            .map(uuid)
            .filter(|u| !u.is_empty())
            .collect();
        for g in set(&r["logical_dp_group"])
            .iter()
            .map(uuid)
            .filter(|u| !u.is_empty())
        {
            dps.extend(dp_groups.get(&g).cloned().unwrap_or_default());
        }
        actx.cur_ltable = r["table_id"].as_u64().unwrap_or(0) as u8;
        actx.pipeline = if ingress {
            Pipeline::Ingress
        } else {
            Pipeline::Egress
        };
        let actions = r["actions"].as_str().unwrap_or("");
        let prereqs = match parse_actions_str(actions, &actx.parse_params(&symtab)) {
            Ok(p) => p.prereqs,
            Err(e) => {
                failures.push(format!("{id} {actions}: actions do not parse: {e}"));
                continue;
            }
        };
        for dp in &dps {
            let key = dp_key[dp];
            let Some((theirs, their_conj)) = installed.get(&(cookie, table, prio, key)) else {
                continue;
            };
            let ours = match compile_with(m, prereqs.clone(), &symtab, &ctx, key as i64, None) {
                Ok(o) => o,
                Err(e) => {
                    failures.push(format!("{id} {m}: we fail: {e}"));
                    continue;
                }
            };
            let mut ours = ours;
            let mut theirs = theirs.clone();
            if ours.n_conjs > 0 || *their_conj {
                // ovn-controller numbers conjunctions globally: ours are 1..n, theirs the same
                // run moved by the ids used before (`expr_matches_prepare`).
                by_count += 1;
                let first = theirs
                    .iter()
                    .filter_map(|t| t.split("conj_id=").nth(1))
                    .filter_map(|v| v.split(',').next()?.parse::<u32>().ok())
                    .min();
                match first {
                    Some(first) if ours.n_conjs > 0 => {
                        ours.offset_conj_ids(first - 1);
                        let ids = first..first + ours.n_conjs;
                        for (cm, conj) in clauses.get(&(table, prio, key)).into_iter().flatten() {
                            let mine: Vec<String> = conj
                                .iter()
                                .filter(|c| ids.contains(&c.0))
                                .map(|c| format!("conjunction({},{}/{})", c.0, c.1, c.2))
                                .collect();
                            if !mine.is_empty() {
                                theirs.insert(format!("{cm} {}", mine.join(",")));
                            }
                        }
                    }
                    _ => {
                        failures.push(format!("{id} {m}: conjunctive on one side only\n  ours   {:?}\n  theirs {theirs:?}", ours.lines()));
                        continue;
                    }
                }
            } else {
                exact += 1;
            }
            let ours: BTreeSet<String> = ours
                .iter()
                .map(|e| {
                    let conj: Vec<String> = e
                        .conjunctions
                        .iter()
                        .map(|c| format!("conjunction({},{}/{})", c.id, c.clause, c.n_clauses))
                        .collect();
                    if conj.is_empty() {
                        e.m.to_string()
                    } else {
                        format!("{} {}", e.m, conj.join(","))
                    }
                })
                .collect();
            if ours != theirs {
                failures.push(format!("{id} table {table} prio {prio} dp {key}: {m}\n  ours   {ours:?}\n  theirs {theirs:?}"));
            }
        }
    }
    eprintln!(
        "compared {exact} plain and {by_count} conjunctive logical flows against ovn-controller"
    );
    assert!(exact > 100, "only {exact} logical flows compared");
    assert!(by_count > 0, "no conjunctive logical flow was compared");
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
