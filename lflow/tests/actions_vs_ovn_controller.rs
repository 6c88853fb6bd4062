//! The action encoder against the real ovn-controller 23.03: a logical topology exercising many
//! actions (switch + router, ACLs with logging, load balancer, DHCP, DNS, IPv6 RA, NAT) is
//! compiled by the real northd and ovn-controller; for every logical flow, the actions of the
//! OpenFlow flows ovn-controller installed (found by cookie and table) must equal what our
//! encoder produces from the same SB row with ovn-controller's parameters.  Group and meter ids
//! are compared up to renaming (both sides allocate them in their own order).
//!
//! Needs root and the OVS/OVN binaries; fails (does not skip) without them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use lflow::actions::{
    ActionsContext, EncodeTables, ExtendTable, IdTable, MfField, OfAction, OptTable, OptType,
    Pipeline, PortLookup, encode_actions, format_ofpacts, parse_actions_str,
};
use lflow::symtab::Symtab;
use serde_json::Value;
use testkit::{Central, Chassis, find_binary};

/// Action keywords, to report (and require) which actions the comparison covered.
const ACTION_WORDS: &[&str] = &[
    "next",
    "output",
    "ct_next",
    "ct_commit",
    "ct_dnat",
    "ct_snat",
    "ct_dnat_in_czone",
    "ct_snat_in_czone",
    "ct_lb",
    "ct_lb_mark",
    "ct_clear",
    "ct_commit_nat",
    "clone",
    "arp",
    "icmp4",
    "icmp4_error",
    "icmp6",
    "icmp6_error",
    "igmp",
    "tcp_reset",
    "sctp_abort",
    "reject",
    "nd_na",
    "nd_na_router",
    "nd_ns",
    "get_arp",
    "put_arp",
    "get_nd",
    "put_nd",
    "lookup_arp",
    "lookup_nd",
    "lookup_arp_ip",
    "lookup_nd_ip",
    "put_dhcp_opts",
    "put_dhcpv6_opts",
    "put_nd_ra_opts",
    "dns_lookup",
    "handle_dhcpv6_reply",
    "set_queue",
    "log",
    "set_meter",
    "check_pkt_larger",
    "trigger_event",
    "bind_vport",
    "handle_svc_check",
    "fwd_group",
    "chk_lb_hairpin",
    "chk_lb_hairpin_reply",
    "ct_snat_to_vip",
    "handle_bfd_msg",
    "put_fdb",
    "get_fdb",
    "lookup_fdb",
    "check_in_port_sec",
    "check_out_port_sec",
    "commit_ecmp_nh",
    "chk_ecmp_nh_mac",
    "chk_ecmp_nh",
    "commit_lb_aff",
    "chk_lb_aff",
    "sample",
    "select",
    "push",
    "pop",
    "icmp4.frag_mtu",
    "icmp6.frag_mtu",
    "ip.ttl",
];

/// `ovn-sbctl/ovs-vsctl --format=json list TABLE` as rows of column → value.
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

/// Members of an OVSDB set (or a single atom).
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

fn map(v: &Value) -> HashMap<String, String> {
    v.get(1)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            Some((
                kv.get(0)?.as_str()?.to_string(),
                kv.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect()
}

struct DpPorts<'a> {
    by_name: &'a HashMap<(String, String), u32>,
    dp: String,
}

impl PortLookup for DpPorts<'_> {
    fn port_key(&self, name: &str) -> Option<u32> {
        if name == "none" {
            return Some(0);
        }
        self.by_name
            .get(&(self.dp.clone(), name.to_string()))
            .copied()
    }
    fn tunnel_ofport(&self, _: &str) -> Option<u32> {
        None
    }
}

/// Replaces the numbers after `group:`, `meter:` and `meter_id=` by their order of first
/// appearance, so that two independent id allocations compare equal.
fn normalize_ids(s: &str, names: &mut HashMap<String, usize>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = ["group:", "meter:", "meter_id="]
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min()
    {
        let (i, p) = i;
        out.push_str(&rest[..i + p.len()]);
        rest = &rest[i + p.len()..];
        let n = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let key = format!("{p}{}", &rest[..n]);
        let next = names.len();
        let id = *names.entry(key).or_insert(next);
        out.push_str(&format!("#{id}"));
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

#[test]
fn encoded_actions_match_real_ovn_controller() {
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
    let _p4 = hv1
        .add_pod("p4", "00:00:00:00:03:11", "10.0.3.11/24", Some("10.0.3.1"))
        .expect("pod p4");

    let nb = |args: &[&str]| {
        central
            .nbctl(args)
            .unwrap_or_else(|e| panic!("ovn-nbctl {args:?}: {e}"))
    };
    nb(&["ls-add", "sw0"]);
    for (p, mac, ip) in [
        ("p1", "00:00:00:00:01:01", "10.0.1.11"),
        ("p2", "00:00:00:00:01:02", "10.0.1.12"),
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
    nb(&[
        "acl-add",
        "sw0",
        "from-lport",
        "1002",
        "ip4 && tcp.dst == 80",
        "allow-related",
    ]);
    nb(&[
        "--log",
        "--severity=info",
        "--name=acl-drop",
        "acl-add",
        "sw0",
        "to-lport",
        "1001",
        "ip4 && udp.dst == 53",
        "drop",
    ]);
    nb(&["meter-add", "meter1", "drop", "10", "pktps"]);
    nb(&[
        "--log",
        "--meter=meter1",
        "--name=acl-rej",
        "acl-add",
        "sw0",
        "from-lport",
        "1000",
        "tcp.dst == 23",
        "reject",
    ]);
    nb(&[
        "lb-add",
        "lb0",
        "10.0.1.100:80",
        "10.0.1.11:80,10.0.1.12:80",
        "tcp",
    ]);
    nb(&["ls-lb-add", "sw0", "lb0"]);
    let dhcp = nb(&["dhcp-options-create", "10.0.1.0/24"]);
    let dhcp_uuid = nb(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "DHCP_Options",
        "cidr=\"10.0.1.0/24\"",
    ]);
    let dhcp_uuid = dhcp_uuid.trim().to_string();
    let _ = dhcp;
    nb(&[
        "dhcp-options-set-options",
        &dhcp_uuid,
        "lease_time=3600",
        "router=10.0.1.1",
        "server_id=10.0.1.1",
        "server_mac=00:00:00:00:01:ff",
        "dns_server={8.8.8.8,8.8.4.4}",
        "domain_name=\"ovn.org\"",
    ]);
    nb(&["lsp-set-dhcpv4-options", "p1", &dhcp_uuid]);
    nb(&["create", "DNS", "records={\"vm1.ovn.org\"=\"10.0.1.11\"}"]);
    let dns_uuid = nb(&["--bare", "--columns=_uuid", "list", "DNS"]);
    nb(&[
        "set",
        "Logical_Switch",
        "sw0",
        &format!("dns_records={}", dns_uuid.trim()),
    ]);
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
        "set",
        "Logical_Router_Port",
        "lrp0",
        "ipv6_ra_configs:address_mode=slaac",
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
    // More actions: gateway MTU (check_pkt_larger, icmp4_error with frag_mtu), ECMP (select),
    // LB affinity (commit_lb_aff/chk_lb_aff), empty-LB events (trigger_event), virtual ports
    // (bind_vport), forwarding groups (fwd_group), unknown addresses (put_fdb/lookup_fdb),
    // DHCPv6 (put_dhcpv6_opts), multicast snooping (igmp).
    nb(&[
        "set",
        "Logical_Router_Port",
        "lrp-ext",
        "options:gateway_mtu=1400",
    ]);
    nb(&["lr-route-add", "lr0", "192.168.0.0/24", "172.16.1.2"]);
    nb(&[
        "--ecmp",
        "lr-route-add",
        "lr0",
        "192.168.0.0/24",
        "172.16.1.3",
    ]);
    nb(&["set", "Load_Balancer", "lb0", "options:affinity_timeout=60"]);
    nb(&["set", "NB_Global", ".", "options:controller_event=true"]);
    nb(&["lb-add", "lb-empty", "10.0.1.200:80", "", "tcp"]);
    nb(&["ls-lb-add", "sw0", "lb-empty"]);
    nb(&[
        "lsp-add",
        "sw0",
        "vip1",
        "--",
        "lsp-set-type",
        "vip1",
        "virtual",
        "--",
        "lsp-set-options",
        "vip1",
        "virtual-ip=10.0.1.50",
        "virtual-parents=p1,p2",
    ]);
    nb(&[
        "fwd-group-add",
        "fg1",
        "sw0",
        "10.0.1.60",
        "00:00:00:00:01:60",
        "p1",
        "p2",
    ]);
    nb(&[
        "lsp-add",
        "sw0",
        "p3",
        "--",
        "lsp-set-addresses",
        "p3",
        "unknown",
    ]);
    nb(&["dhcp-options-create", "fd01::/64"]);
    let dhcp6_uuid = nb(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "DHCP_Options",
        "cidr=\"fd01::/64\"",
    ]);
    let dhcp6_uuid = dhcp6_uuid.trim().to_string();
    nb(&[
        "dhcp-options-set-options",
        &dhcp6_uuid,
        "server_id=00:00:00:00:01:ff",
        "dns_server={fd01::53}",
    ]);
    nb(&[
        "lsp-set-addresses",
        "p2",
        "00:00:00:00:01:02 10.0.1.12 fd01::12",
    ]);
    nb(&["lsp-set-dhcpv6-options", "p2", &dhcp6_uuid]);
    nb(&[
        "set",
        "Logical_Switch",
        "sw0",
        "other_config:mcast_snoop=true",
    ]);
    // QoS (set_meter, ip.dscp), NAT port ranges, LB hash fields, BFD (handle_bfd_msg), a gateway
    // router with symmetric-reply ECMP routes (commit_ecmp_nh, chk_ecmp_nh*), a bound port with
    // unknown addresses (put_fdb/lookup_fdb).
    nb(&[
        "qos-add",
        "sw0",
        "from-lport",
        "100",
        "ip4 && udp",
        "rate=1000",
        "burst=100",
    ]);
    nb(&[
        "qos-add",
        "sw0",
        "from-lport",
        "101",
        "ip4 && tcp",
        "dscp=10",
    ]);
    nb(&[
        "set",
        "Load_Balancer",
        "lb0",
        "selection_fields=ip_src,ip_dst",
    ]);
    nb(&[
        "--portrange",
        "lr-nat-add",
        "lr0",
        "dnat_and_snat",
        "172.16.1.51",
        "10.0.1.12",
        "1000-2000",
    ]);
    nb(&["create", "BFD", "logical_port=lrp-ext", "dst_ip=172.16.1.5"]);
    nb(&[
        "lr-add",
        "gw1",
        "--",
        "set",
        "Logical_Router",
        "gw1",
        "options:chassis=hv1",
    ]);
    nb(&[
        "lrp-add",
        "gw1",
        "gw1-in",
        "00:00:00:00:03:01",
        "10.0.3.1/24",
    ]);
    nb(&[
        "lrp-add",
        "gw1",
        "gw1-out",
        "00:00:00:00:03:02",
        "172.16.3.1/24",
    ]);
    nb(&["ls-add", "sw1"]);
    nb(&[
        "lsp-add",
        "sw1",
        "sw1-gw1",
        "--",
        "lsp-set-type",
        "sw1-gw1",
        "router",
        "--",
        "lsp-set-addresses",
        "sw1-gw1",
        "router",
        "--",
        "lsp-set-options",
        "sw1-gw1",
        "router-port=gw1-in",
    ]);
    nb(&[
        "lsp-add",
        "sw1",
        "p4",
        "--",
        "lsp-set-addresses",
        "p4",
        "unknown",
    ]);
    nb(&[
        "--ecmp-symmetric-reply",
        "lr-route-add",
        "gw1",
        "192.168.9.0/24",
        "172.16.3.2",
    ]);
    nb(&[
        "--ecmp-symmetric-reply",
        "lr-route-add",
        "gw1",
        "192.168.9.0/24",
        "172.16.3.3",
    ]);
    nb(&["--wait=hv", "sync"]);

    let sb = |args: &[&str]| {
        central
            .sbctl(args)
            .unwrap_or_else(|e| panic!("ovn-sbctl {args:?}: {e}"))
    };
    // Datapaths: uuid -> (tunnel key, is switch, common NAT zone).
    let mut dps: HashMap<String, (u32, bool, MfField)> = HashMap::new();
    for r in rows(&sb(&["--format=json", "list", "Datapath_Binding"])) {
        let ext = map(&r["external_ids"]);
        let zone = if ext.contains_key("snat-ct-zone") {
            MfField::LOG_SNAT_ZONE
        } else {
            MfField::LOG_DNAT_ZONE
        };
        dps.insert(
            uuid(&r["_uuid"]),
            (
                r["tunnel_key"].as_u64().unwrap_or(0) as u32,
                ext.contains_key("logical-switch"),
                zone,
            ),
        );
    }
    let mut ports: HashMap<(String, String), u32> = HashMap::new();
    for r in rows(&sb(&["--format=json", "list", "Port_Binding"])) {
        let name = r["logical_port"].as_str().unwrap_or("").to_string();
        ports.insert(
            (uuid(&r["datapath"]), name),
            r["tunnel_key"].as_u64().unwrap_or(0) as u32,
        );
    }
    for r in rows(&sb(&["--format=json", "list", "Multicast_Group"])) {
        let name = r["name"].as_str().unwrap_or("").to_string();
        ports
            .entry((uuid(&r["datapath"]), name))
            .or_insert(r["tunnel_key"].as_u64().unwrap_or(0) as u32);
    }
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
    let mut ctx = ActionsContext {
        dhcp_opts: opt_table("DHCP_Options"),
        dhcpv6_opts: opt_table("DHCPv6_Options"),
        n_tables: 29,
        collector_ids: None,
        ..ActionsContext::default()
    };
    // Datapath features, as ovn-controller reads them.
    let caps = rows(
        &hv1.vsctl(&["--format=json", "list", "Datapath"])
            .expect("Datapath"),
    )
    .first()
    .map(|r| map(&r["capabilities"]))
    .unwrap_or_default();
    ctx.ct_zero_snat = caps.get("ct_zero_snat").is_some_and(|v| v == "true");
    ctx.dp_hash_l4_sym = caps.get("max_hash_alg").is_some_and(|v| v == "1");
    let mf = hv1.ofctl(&["meter-features"]).unwrap_or_default();
    ctx.dp_meter_support = mf
        .split("max_meter:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .is_some_and(|n| n != "0");

    // Installed flows: (cookie, table) -> set of action strings.
    let dump = hv1
        .ofctl(&["dump-flows", "--no-stats"])
        .expect("dump-flows");
    let mut installed: HashMap<(u32, u8), HashSet<String>> = HashMap::new();
    for line in dump.lines() {
        let field = |k: &str| {
            line.split(k)
                .nth(1)
                .map(|s| s.split([',', ' ']).next().unwrap_or(""))
        };
        let (Some(c), Some(t), Some((_, acts))) = (
            field("cookie=0x"),
            field("table="),
            line.split_once(" actions="),
        ) else {
            continue;
        };
        let (Ok(c), Ok(t)) = (u32::from_str_radix(c, 16), t.parse::<u8>()) else {
            continue;
        };
        installed
            .entry((c, t))
            .or_default()
            .insert(acts.trim().to_string());
    }
    assert!(
        installed.len() > 100,
        "ovn-controller installed too few flows:\n{dump}"
    );

    let symtab = Symtab::ovn();
    let mut groups = ExtendTable::new();
    let mut meters = ExtendTable::new();
    let mut names_ours = HashMap::new();
    let mut names_theirs = HashMap::new();
    let mut compared = 0;
    let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for r in rows(&sb(&["--format=json", "list", "Logical_Flow"])) {
        let id = uuid(&r["_uuid"]);
        let Ok(parts) = u128::from_str_radix(&id.replace('-', ""), 16) else {
            continue;
        };
        let uuid_parts = [
            (parts >> 96) as u32,
            (parts >> 64) as u32,
            (parts >> 32) as u32,
            parts as u32,
        ];
        let actions = r["actions"].as_str().unwrap_or("").to_string();
        let ingress = r["pipeline"].as_str() == Some("ingress");
        let table_id = r["table_id"].as_u64().unwrap_or(0) as u8;
        let mut lflow_dps: Vec<String> = set(&r["logical_datapath"])
            .iter()
            .map(uuid)
            .filter(|u| !u.is_empty())
            .collect();
        if let Some(g) = set(&r["logical_dp_group"])
            .first()
            .map(uuid)
            .filter(|u| !u.is_empty())
        {
            let grp = sb(&["--format=json", "list", "Logical_DP_Group", &g]);
            for gr in rows(&grp) {
                lflow_dps.extend(set(&gr["datapaths"]).iter().map(uuid));
            }
        }
        let ptable = if ingress { 8 } else { 42 } + table_id;
        let Some(theirs) = installed.get(&(uuid_parts[0], ptable)) else {
            continue;
        };
        let theirs: Vec<&String> = theirs
            .iter()
            .filter(|a| !a.contains("conjunction("))
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let ctrl_meter = r["controller_meter"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        for dp in &lflow_dps {
            let Some(&(dp_key, is_switch, zone)) = dps.get(dp) else {
                continue;
            };
            ctx.cur_ltable = table_id;
            ctx.pipeline = if ingress {
                Pipeline::Ingress
            } else {
                Pipeline::Egress
            };
            ctx.tables.output = if ingress { 37 } else { 64 };
            ctx.is_switch = is_switch;
            ctx.common_nat_ct_zone = zone;
            ctx.lflow_uuid = uuid_parts;
            ctx.dp_key = dp_key;
            ctx.ctrl_meter_id = ctrl_meter.as_ref().and_then(|m| meters.assign_id(m, parts));
            let pp = ctx.parse_params(&symtab);
            let parsed = match parse_actions_str(&actions, &pp) {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("{id}: {actions}: our parse error: {e}"));
                    continue;
                }
            };
            let lookup = DpPorts {
                by_name: &ports,
                dp: dp.clone(),
            };
            let mut ep = ctx.encode_params();
            ep.ports = &lookup;
            let mut out: Vec<OfAction> = Vec::new();
            encode_actions(
                &parsed.actions,
                &ep,
                &mut EncodeTables {
                    groups: &mut groups,
                    meters: &mut meters,
                },
                &mut out,
            );
            let mut ours = String::new();
            let _ = format_ofpacts(&mut ours, &out);
            // Our text is test-ovn's (`dec_ttl`); the installed flow was decoded from the wire
            // form (NXAST_DEC_TTL_CNT_IDS), which prints `dec_ttl()`.
            let ours = ours
                .split(',')
                .map(|a| if a == "dec_ttl" { "dec_ttl()" } else { a })
                .collect::<Vec<_>>()
                .join(",");
            // Likewise, a learn spec's zero source width (test-ovn prints `[0..-1]`) has one
            // width on the wire, printed back as the whole field.
            let ours = ours.replace("[0..-1]", "[]");
            let ours_n = normalize_ids(&ours, &mut names_ours);
            let hit = theirs
                .iter()
                .any(|t| normalize_ids(t, &mut names_theirs) == ours_n);
            compared += 1;
            for word in actions.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
                if ACTION_WORDS.contains(&word) {
                    *by_action.entry(word.to_string()).or_default() += 1;
                }
            }
            if !hit {
                failures.push(format!(
                    "{id} table {ptable}: {actions}\n  ours   {ours}\n  theirs {theirs:?}"
                ));
            }
        }
    }
    eprintln!(
        "compared {compared} logical flows against ovn-controller; actions seen: {by_action:?}"
    );
    assert!(compared > 200, "only {compared} logical flows compared");
    for must in [
        "ct_lb_mark",
        "ct_commit",
        "ct_dnat",
        "ct_snat",
        "put_dhcp_opts",
        "put_dhcpv6_opts",
        "put_nd_ra_opts",
        "dns_lookup",
        "log",
        "reject",
        "select",
        "trigger_event",
        "bind_vport",
        "fwd_group",
        "check_pkt_larger",
        "icmp4_error",
        "icmp4.frag_mtu",
        "commit_lb_aff",
        "chk_lb_aff",
        "igmp",
        "lookup_arp",
        "put_arp",
        "nd_na_router",
        "commit_ecmp_nh",
        "chk_ecmp_nh",
        "handle_bfd_msg",
        "set_meter",
        "lookup_fdb",
        "put_fdb",
    ] {
        assert!(
            by_action.contains_key(must),
            "the topology no longer exercises {must}: {by_action:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
