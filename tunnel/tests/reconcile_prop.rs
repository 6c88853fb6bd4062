//! Properties of the reconciler over generated inputs: it never panics, applying its operations
//! reaches a fixed point (reconciling again yields nothing), the result has exactly the desired
//! tunnels, and ports without `ovn-chassis-id` are never touched.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::apply;
use proptest::prelude::*;
use tunnel::{
    Encap, EncapType, LocalChassis, ObservedBridge, ObservedInterface, ObservedPort, RemoteChassis,
    TunnelOp, desired_tunnels, reconcile,
};

/// Small alphabets so that names, ids and IPs collide often; `wild` mixes in arbitrary strings.
fn pick(options: &'static [&'static str], wild: bool) -> BoxedStrategy<String> {
    let small = proptest::sample::select(options).prop_map(str::to_owned);
    if wild {
        prop_oneof![3 => small, 1 => ".{0,12}"].boxed()
    } else {
        small.boxed()
    }
}

const CHASSIS: &[&str] = &["hv1", "hv2", "hv3", "chassis-a", "chassis-b", ""];
const IPS: &[&str] = &["10.0.0.1", "10.0.0.2", "10.0.1.2", "fd00::2", "bad"];
const TYPES: &[&str] = &["geneve", "vxlan", "stt", "gre"];
const ZONES: &[&str] = &["tz1", "tz2"];
const PORTS: &[&str] = &[
    "ovn-hv2-0",
    "ovn-hv2-1",
    "ovn-hv3-0",
    "ovn-chassi-0",
    "ovn2-hv2-0",
    "vif",
    "br-int",
];
const IDS: &[&str] = &[
    "hv2@10.0.0.2",
    "hv2@10.0.1.2",
    "hv3@10.0.0.2",
    "chassis-a@fd00::2",
    "hv1@10.0.0.1",
    "junk",
];
const OPTION_KEYS: &[&str] = &["remote_ip", "key", "csum", "dst_port", "local_ip"];
const OPTION_VALUES: &[&str] = &["10.0.0.2", "flow", "true", "false", "6081"];

fn encap_types() -> impl Strategy<Value = BTreeSet<EncapType>> {
    proptest::sample::subsequence(EncapType::ALL.to_vec(), 0..=3)
        .prop_map(|v| v.into_iter().collect())
}

fn options(wild: bool) -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(pick(OPTION_KEYS, wild), pick(OPTION_VALUES, wild), 0..4)
}

fn local(wild: bool) -> impl Strategy<Value = LocalChassis> {
    (
        pick(&["", "2"], wild),
        encap_types(),
        proptest::collection::vec(pick(IPS, wild), 0..3),
        proptest::collection::btree_set(pick(ZONES, wild), 0..2),
        any::<(bool, bool)>(),
        proptest::option::of(pick(&["none", "inherit", "8"], wild)),
        proptest::option::of((any::<bool>(), any::<bool>())),
    )
        .prop_map(
            |(idx, types, ips, zones, (ic, set_ip), tos, ipsec)| LocalChassis {
                name: "hv1".into(),
                chassis_idx: idx,
                encap_types: types,
                encap_ips: ips,
                transport_zones: zones,
                is_interconn: ic,
                encap_tos: tos,
                encap_df_default: None,
                set_local_ip: set_ip,
                ipsec: ipsec.map(|(encapsulation, forceencaps)| tunnel::IpsecConfig {
                    encapsulation,
                    forceencaps,
                }),
            },
        )
}

fn remotes(wild: bool) -> impl Strategy<Value = Vec<RemoteChassis>> {
    let encap = (pick(TYPES, wild), pick(IPS, wild), options(wild)).prop_map(|(t, ip, o)| Encap {
        encap_type: t,
        ip,
        options: o,
    });
    let chassis = (
        pick(CHASSIS, wild),
        proptest::collection::vec(encap, 0..4),
        proptest::collection::btree_set(pick(ZONES, wild), 0..2),
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(name, encaps, zones, (is_remote, is_interconn))| RemoteChassis {
                name,
                encaps,
                transport_zones: zones,
                is_remote,
                is_interconn,
            },
        );
    proptest::collection::vec(chassis, 0..6)
}

fn observed(wild: bool) -> impl Strategy<Value = ObservedBridge> {
    let iface = (
        pick(TYPES, wild),
        options(wild),
        proptest::option::of(-1i64..70000),
    );
    let port = (
        pick(PORTS, wild),
        proptest::option::of(pick(IDS, wild)),
        proptest::collection::vec(iface, 0..3),
    );
    (
        proptest::collection::vec(port, 0..8),
        proptest::collection::btree_set(pick(PORTS, wild), 0..3),
    )
        .prop_map(|(ports, elsewhere)| {
            // OVSDB keeps Port and Interface names unique, so generated states do too.
            let mut by_name: BTreeMap<String, ObservedPort> = BTreeMap::new();
            for (i, (name, id, ifaces)) in ports.into_iter().enumerate() {
                let interfaces = ifaces
                    .into_iter()
                    .enumerate()
                    .map(|(j, (t, o, ofport))| ObservedInterface {
                        uuid: format!("iface-{i}-{j}"),
                        name: if j == 0 {
                            name.clone()
                        } else {
                            format!("{name}\u{0}{j}")
                        },
                        iface_type: t,
                        options: o,
                        ofport,
                    })
                    .collect();
                by_name.entry(name.clone()).or_insert(ObservedPort {
                    uuid: format!("port-{i}"),
                    name,
                    external_ids: id
                        .map(|id| BTreeMap::from([("ovn-chassis-id".to_owned(), id)]))
                        .unwrap_or_default(),
                    interfaces,
                });
            }
            let used: BTreeSet<&String> = by_name
                .values()
                .flat_map(|p| std::iter::once(&p.name).chain(p.interfaces.iter().map(|i| &i.name)))
                .collect();
            let names_elsewhere = elsewhere
                .iter()
                .filter(|n| !used.contains(n))
                .cloned()
                .collect();
            ObservedBridge {
                name: "br-int".into(),
                ports: by_name.into_values().collect(),
                names_elsewhere,
            }
        })
}

fn check(local: &LocalChassis, remotes: &[RemoteChassis], observed: &ObservedBridge) {
    let r = reconcile(local, remotes, observed);

    // Ports that are not ours are never deleted or updated.
    let foreign: BTreeSet<&str> = observed
        .ports
        .iter()
        .filter(|p| p.chassis_id().is_none())
        .map(|p| p.uuid.as_str())
        .collect();
    for op in &r.ops {
        match op {
            TunnelOp::DeletePort { port_uuid, .. } | TunnelOp::UpdatePort { port_uuid, .. } => {
                assert!(
                    !foreign.contains(port_uuid.as_str()),
                    "touched foreign port: {op:?}"
                );
            }
            TunnelOp::CreatePort { .. } => {}
        }
    }

    let after = apply(observed, &r.ops);
    let again = reconcile(local, remotes, &after);
    assert_eq!(again.ops, vec![], "second pass not empty after {:?}", r.ops);

    // Exactly the desired tunnels remain (minus any that found no free name, impossible here).
    let (desired, _) = desired_tunnels(local, remotes);
    let want: BTreeSet<String> = desired.iter().map(|d| d.id.to_string()).collect();
    let have: Vec<String> = after
        .ports
        .iter()
        .filter_map(|p| p.chassis_id().map(str::to_owned))
        .collect();
    assert_eq!(have.len(), want.len(), "duplicate tunnels left: {have:?}");
    assert_eq!(have.into_iter().collect::<BTreeSet<_>>(), want);

    // Foreign ports are all still there, unchanged.
    for p in observed.ports.iter().filter(|p| p.chassis_id().is_none()) {
        assert!(after.ports.contains(p), "foreign port {} changed", p.name);
    }
}

/// A converged state with some of its tunnel ports altered, duplicated, dropped or given a
/// second interface: the states where updates and duplicate removal happen.
fn perturbed(
    wild: bool,
) -> impl Strategy<Value = (LocalChassis, Vec<RemoteChassis>, ObservedBridge)> {
    (
        local(wild),
        remotes(wild),
        observed(wild),
        proptest::collection::vec((any::<usize>(), 0u8..6), 0..6),
    )
        .prop_map(|(l, rs, o, mutations)| {
            let mut b = apply(&o, &reconcile(&l, &rs, &o).ops);
            for (k, (at, kind)) in mutations.into_iter().enumerate() {
                if b.ports.is_empty() {
                    break;
                }
                let i = at % b.ports.len();
                let p = &mut b.ports[i];
                match (kind, p.interfaces.first_mut()) {
                    (0, Some(iface)) => {
                        iface.options.insert("tos".into(), "8".into());
                    }
                    (1, Some(iface)) => {
                        iface.iface_type = if iface.iface_type == "vxlan" {
                            "geneve"
                        } else {
                            "vxlan"
                        }
                        .into();
                    }
                    (2, Some(iface)) => {
                        iface.options.remove("remote_ip");
                    }
                    (3, _) => {
                        let mut dup = p.clone();
                        dup.uuid = format!("dup-port-{k}");
                        dup.name = format!("dup{k}");
                        for (j, iface) in dup.interfaces.iter_mut().enumerate() {
                            iface.uuid = format!("dup-iface-{k}-{j}");
                            iface.name = format!("dup{k}\u{0}{j}");
                        }
                        b.ports.push(dup);
                    }
                    (4, _) => {
                        b.ports.remove(i);
                    }
                    (_, Some(iface)) => {
                        let mut second = iface.clone();
                        second.uuid = format!("second-iface-{k}");
                        second.name = format!("second{k}");
                        p.interfaces.push(second);
                    }
                    (_, None) => {}
                }
            }
            (l, rs, b)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn converges_in_one_step(l in local(false), rs in remotes(false), o in observed(false)) {
        check(&l, &rs, &o);
    }

    #[test]
    fn arbitrary_strings_never_panic(l in local(true), rs in remotes(true), o in observed(true)) {
        check(&l, &rs, &o);
    }

    #[test]
    fn converges_from_perturbed_state((l, rs, o) in perturbed(false)) {
        check(&l, &rs, &o);
    }

    #[test]
    fn perturbed_arbitrary_strings((l, rs, o) in perturbed(true)) {
        check(&l, &rs, &o);
    }
}

/// Guards against a vacuous property: the generators must produce every kind of operation.
#[test]
fn generators_exercise_every_operation() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop_oneof![
        (local(false), remotes(false), observed(false)),
        perturbed(false)
    ];
    let (mut creates, mut deletes, mut updates) = (0, 0, 0);
    for _ in 0..512 {
        let (l, rs, o) = strategy.new_tree(&mut runner).expect("tree").current();
        for op in reconcile(&l, &rs, &o).ops {
            match op {
                TunnelOp::CreatePort { .. } => creates += 1,
                TunnelOp::DeletePort { .. } => deletes += 1,
                TunnelOp::UpdatePort { .. } => updates += 1,
            }
        }
    }
    assert!(
        creates > 20 && deletes > 20 && updates > 5,
        "{creates} {deletes} {updates}"
    );
}
