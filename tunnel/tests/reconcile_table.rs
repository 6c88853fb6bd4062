//! Table tests of the reconciler: inputs in, operations out, one rule per case. Every case also
//! checks that applying the operations and reconciling again yields nothing.

mod common;

use common::*;
use tunnel::{
    Encap, EncapType, IpsecConfig, LocalChassis, ObservedBridge, RemoteChassis, SkipReason,
    Skipped, clear_old_tunnels, reconcile, remove_all_tunnels,
};

struct Case {
    what: &'static str,
    local: LocalChassis,
    remotes: Vec<RemoteChassis>,
    observed: ObservedBridge,
    ops: Vec<&'static str>,
    skipped: Vec<(&'static str, SkipReason)>,
}

fn case(what: &'static str) -> Case {
    Case {
        what,
        local: local(),
        remotes: vec![],
        observed: bridge(vec![]),
        ops: vec![],
        skipped: vec![],
    }
}

const GENEVE_HV2: &str = "create br-int/ovn-hv2-0 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                          {ovn-chassis-id=hv2@10.0.0.2}";
const GENEVE_HV3: &str = "create br-int/ovn-hv3-0 geneve {csum=true,key=flow,remote_ip=10.0.0.3} \
                          {ovn-chassis-id=hv3@10.0.0.3}";

fn run(cases: Vec<Case>) {
    for c in cases {
        let r = reconcile(&c.local, &c.remotes, &c.observed);
        let got: Vec<String> = r.ops.iter().map(render).collect();
        assert_eq!(got, c.ops, "ops of case {:?}", c.what);
        let want_skipped: Vec<Skipped> = c
            .skipped
            .into_iter()
            .map(|(chassis, reason)| Skipped {
                chassis: chassis.into(),
                reason,
            })
            .collect();
        assert_eq!(r.skipped, want_skipped, "skipped of case {:?}", c.what);

        let after = apply(&c.observed, &r.ops);
        let again = reconcile(&c.local, &c.remotes, &after);
        assert_eq!(again.ops, vec![], "not idempotent: case {:?}", c.what);
    }
}

#[test]
fn basic_creation_and_idempotence() {
    run(vec![
        Case {
            remotes: vec![
                remote("hv3", &[geneve("10.0.0.3")]),
                remote("hv2", &[geneve("10.0.0.2")]),
            ],
            ops: vec![GENEVE_HV2, GENEVE_HV3],
            ..case("two chassis, empty bridge, sorted by chassis name")
        },
        Case {
            remotes: vec![remote("hv2", &[geneve("10.0.0.2")])],
            observed: bridge(vec![geneve_port("ovn-hv2-0", "hv2", "10.0.0.2")]),
            ..case("already correct: nothing to do")
        },
        Case {
            remotes: vec![
                remote("hv1", &[geneve("10.0.0.1")]),
                remote("hv2", &[geneve("10.0.0.2")]),
            ],
            ops: vec![GENEVE_HV2],
            ..case("the local chassis' own row gets no tunnel")
        },
        Case {
            remotes: vec![remote("hv2", &[Encap::new("geneve", "10.0.0.2")])],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("no csum option in the encap: none on the port")
        },
        Case {
            remotes: vec![remote(
                "hv2",
                &[Encap::new("geneve", "10.0.0.2").with_option("csum", "yes")],
            )],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("csum other than true/false is ignored")
        },
        Case {
            remotes: vec![remote(
                "hv2",
                &[Encap::new("geneve", "fd00::2")
                    .with_option("csum", "false")
                    .with_option("dst_port", "6082")],
            )],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {csum=false,dst_port=6082,key=flow,\
                       remote_ip=fd00::2} {ovn-chassis-id=hv2@fd00::2}",
            ],
            ..case("csum=false and dst_port from Encap.options, IPv6")
        },
        Case {
            local: LocalChassis {
                chassis_idx: "2".into(),
                ..local()
            },
            remotes: vec![remote("chassis-22", &[geneve("10.0.0.2")])],
            ops: vec![
                "create br-int/ovn2-chass-0 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=chassis-22@10.0.0.2}",
            ],
            ..case("chassis index: ovn<idx>- prefix and 5-byte chassis prefix")
        },
        Case {
            remotes: vec![remote("chassis-22", &[geneve("10.0.0.2")])],
            ops: vec![
                "create br-int/ovn-chassi-0 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=chassis-22@10.0.0.2}",
            ],
            ..case("no chassis index: 6-byte chassis prefix")
        },
    ]);
}

#[test]
fn several_encaps_and_preference() {
    let geneve_vxlan = LocalChassis {
        encap_types: [EncapType::Geneve, EncapType::Vxlan].into(),
        ..local()
    };
    run(vec![
        Case {
            remotes: vec![remote(
                "hv2",
                &[
                    geneve("10.0.0.2"),
                    Encap::new("vxlan", "10.0.0.2"),
                    geneve("10.0.1.2"),
                ],
            )],
            ops: vec![
                GENEVE_HV2,
                "create br-int/ovn-hv2-1 geneve {csum=true,key=flow,remote_ip=10.0.1.2} \
                 {ovn-chassis-id=hv2@10.0.1.2}",
            ],
            ..case("one tunnel per encap ip of the best common type")
        },
        Case {
            local: geneve_vxlan,
            remotes: vec![remote("hv2", &[Encap::new("vxlan", "10.0.0.2")])],
            ops: vec![
                "create br-int/ovn-hv2-0 vxlan {key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("only vxlan in common")
        },
        Case {
            local: LocalChassis {
                encap_types: [EncapType::Geneve, EncapType::Stt, EncapType::Vxlan].into(),
                ..local()
            },
            remotes: vec![remote(
                "hv2",
                &[
                    Encap::new("vxlan", "10.0.0.2"),
                    Encap::new("stt", "10.0.0.2"),
                ],
            )],
            ops: vec![
                "create br-int/ovn-hv2-0 stt {key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("stt preferred over vxlan")
        },
        Case {
            remotes: vec![remote(
                "hv2",
                &[
                    Encap::new("vxlan", "10.0.0.2"),
                    Encap::new("gre", "10.0.0.2"),
                ],
            )],
            skipped: vec![("hv2", SkipReason::NoCommonEncap)],
            ..case("no common type")
        },
        Case {
            remotes: vec![remote(
                "hv2",
                &[geneve("10.0.0.2"), geneve("10.0.0.2"), geneve("bogus")],
            )],
            ops: vec![GENEVE_HV2],
            skipped: vec![
                (
                    "hv2",
                    SkipReason::DuplicateEncap {
                        encap_type: EncapType::Geneve,
                        ip: "10.0.0.2".into(),
                    },
                ),
                ("hv2", SkipReason::InvalidEncapIp { ip: "bogus".into() }),
            ],
            ..case("duplicate and invalid encaps skipped, the good one kept")
        },
        Case {
            remotes: vec![
                remote("", &[geneve("10.0.0.9")]),
                remote("hv2", &[geneve("10.0.0.2")]),
                remote("hv2", &[geneve("10.0.0.8")]),
            ],
            ops: vec![GENEVE_HV2],
            skipped: vec![
                ("", SkipReason::EmptyName),
                ("hv2", SkipReason::DuplicateChassis),
            ],
            ..case("bad chassis rows do not stop the others")
        },
    ]);
}

#[test]
fn transport_zones() {
    let in_zones = |zones: &[&str]| LocalChassis {
        transport_zones: set(zones),
        ..local()
    };
    let zoned = |zones: &[&str]| RemoteChassis {
        transport_zones: set(zones),
        ..remote("hv2", &[geneve("10.0.0.2")])
    };
    run(vec![
        Case {
            remotes: vec![zoned(&[])],
            ops: vec![GENEVE_HV2],
            ..case("neither in a zone")
        },
        Case {
            local: in_zones(&["tz1"]),
            remotes: vec![zoned(&["tz2", "tz1"])],
            ops: vec![GENEVE_HV2],
            ..case("a common zone")
        },
        Case {
            local: in_zones(&["tz1"]),
            remotes: vec![zoned(&["tz2"])],
            skipped: vec![("hv2", SkipReason::OtherTransportZone)],
            ..case("disjoint zones")
        },
        Case {
            local: in_zones(&["tz1"]),
            remotes: vec![zoned(&[])],
            skipped: vec![("hv2", SkipReason::OtherTransportZone)],
            ..case("local zoned, remote in none")
        },
        Case {
            remotes: vec![zoned(&["tz1"])],
            skipped: vec![("hv2", SkipReason::OtherTransportZone)],
            ..case("local in none, remote zoned")
        },
        Case {
            local: in_zones(&["tz1"]),
            remotes: vec![zoned(&["tz2"])],
            observed: bridge(vec![geneve_port("ovn-hv2-0", "hv2", "10.0.0.2")]),
            ops: vec!["delete br-int/ovn-hv2-0 port-ovn-hv2-0"],
            skipped: vec![("hv2", SkipReason::OtherTransportZone)],
            ..case("zones changed apart: existing tunnel removed")
        },
    ]);
}

#[test]
fn interconnection() {
    let ic_remote = RemoteChassis {
        is_remote: true,
        ..remote("az2-gw", &[geneve("10.1.0.2")])
    };
    let gateway = LocalChassis {
        is_interconn: true,
        ..local()
    };
    let ic_port = geneve_port("ovn-az2-gw-0", "az2-gw", "10.1.0.2");
    run(vec![
        Case {
            remotes: vec![ic_remote.clone(), remote("hv2", &[geneve("10.0.0.2")])],
            ops: vec![GENEVE_HV2],
            skipped: vec![("az2-gw", SkipReason::RemoteNeedsInterconn)],
            ..case("non-gateway: no tunnel to another AZ's gateway")
        },
        Case {
            local: gateway.clone(),
            remotes: vec![ic_remote.clone(), remote("hv2", &[geneve("10.0.0.2")])],
            ops: vec![
                "create br-int/ovn-az2-gw-0 geneve {csum=true,key=flow,remote_ip=10.1.0.2} \
                 {ovn-chassis-id=az2-gw@10.1.0.2}",
                GENEVE_HV2,
            ],
            ..case("gateway: tunnels to both")
        },
        Case {
            remotes: vec![ic_remote],
            observed: bridge(vec![ic_port]),
            ops: vec!["delete br-int/ovn-az2-gw-0 port-ovn-az2-gw-0"],
            skipped: vec![("az2-gw", SkipReason::RemoteNeedsInterconn)],
            ..case("chassis stops being a gateway: IC tunnel removed")
        },
        Case {
            local: gateway,
            remotes: vec![RemoteChassis {
                is_interconn: true,
                ..remote("hv2", &[geneve("10.0.0.2")])
            }],
            ops: vec![GENEVE_HV2],
            ..case("a local-AZ gateway is an ordinary chassis")
        },
    ]);
}

#[test]
fn removal_readdition_and_changes() {
    let hv2 = remote("hv2", &[geneve("10.0.0.2")]);
    let good = geneve_port("ovn-hv2-0", "hv2", "10.0.0.2");
    let two_ifaces = {
        let mut p = good.clone();
        let mut extra = p.interfaces[0].clone();
        extra.uuid = "iface-extra".into();
        extra.name = "extra".into();
        p.interfaces.push(extra);
        p
    };
    run(vec![
        Case {
            observed: bridge(vec![good.clone()]),
            ops: vec!["delete br-int/ovn-hv2-0 port-ovn-hv2-0"],
            ..case("chassis removed: port deleted")
        },
        Case {
            remotes: vec![remote("hv2", &[geneve("10.0.0.22")])],
            observed: bridge(vec![good.clone()]),
            ops: vec![
                "delete br-int/ovn-hv2-0 port-ovn-hv2-0",
                // The deleted port's name stays reserved within the transaction.
                "create br-int/ovn-hv2-1 geneve {csum=true,key=flow,remote_ip=10.0.0.22} \
                 {ovn-chassis-id=hv2@10.0.0.22}",
            ],
            ..case("encap ip changed: old tunnel replaced")
        },
        Case {
            remotes: vec![remote(
                "hv2",
                &[Encap::new("geneve", "10.0.0.2").with_option("csum", "false")],
            )],
            observed: bridge(vec![good.clone()]),
            ops: vec![
                "update ovn-hv2-0 port-ovn-hv2-0 iface-ovn-hv2-0 geneve \
                       {csum=false,key=flow,remote_ip=10.0.0.2}",
            ],
            ..case("csum changed: updated in place")
        },
        Case {
            remotes: vec![remote(
                "hv2",
                &[geneve("10.0.0.2").with_option("dst_port", "7000")],
            )],
            observed: bridge(vec![good.clone()]),
            ops: vec![
                "update ovn-hv2-0 port-ovn-hv2-0 iface-ovn-hv2-0 geneve \
                       {csum=true,dst_port=7000,key=flow,remote_ip=10.0.0.2}",
            ],
            ..case("dst_port added: updated")
        },
        Case {
            remotes: vec![hv2.clone()],
            observed: bridge(vec![port(
                "ovn-hv2-0",
                Some("hv2@10.0.0.2"),
                "geneve",
                &[
                    ("csum", "true"),
                    ("key", "flow"),
                    ("remote_ip", "10.0.0.2"),
                    ("tos", "8"),
                ],
            )]),
            ops: vec![
                "update ovn-hv2-0 port-ovn-hv2-0 iface-ovn-hv2-0 geneve \
                       {csum=true,key=flow,remote_ip=10.0.0.2}",
            ],
            ..case("extra option set by hand: options replaced exactly")
        },
        Case {
            local: LocalChassis {
                encap_types: [EncapType::Vxlan].into(),
                ..local()
            },
            remotes: vec![remote(
                "hv2",
                &[geneve("10.0.0.2"), Encap::new("vxlan", "10.0.0.2")],
            )],
            observed: bridge(vec![good.clone()]),
            ops: vec![
                "update ovn-hv2-0 port-ovn-hv2-0 iface-ovn-hv2-0 vxlan \
                       {key=flow,remote_ip=10.0.0.2}",
            ],
            ..case("type changed: updated")
        },
        Case {
            remotes: vec![hv2.clone()],
            observed: bridge(vec![two_ifaces]),
            ops: vec!["delete br-int/ovn-hv2-0 port-ovn-hv2-0", GENEVE_HV2],
            ..case("port with two interfaces: replaced under the same name")
        },
    ]);

    // Removal then re-addition across two rounds recreates the port under the freed name.
    let first = reconcile(&local(), &[], &bridge(vec![good.clone()]));
    let gone = apply(&bridge(vec![good]), &first.ops);
    assert!(gone.ports.is_empty());
    let back = reconcile(&local(), &[hv2], &gone);
    assert_eq!(
        back.ops.iter().map(render).collect::<Vec<_>>(),
        [GENEVE_HV2]
    );
}

#[test]
fn foreign_ports_duplicates_and_collisions() {
    let hv2 = remote("hv2", &[geneve("10.0.0.2")]);
    let vif = port("vif1", None, "", &[]);
    let squatter = port("ovn-hv2-0", None, "geneve", &[("remote_ip", "10.9.9.9")]);
    run(vec![
        Case {
            observed: bridge(vec![vif.clone(), port("br-int", None, "internal", &[])]),
            ..case("ports without ovn-chassis-id are never touched")
        },
        Case {
            remotes: vec![hv2.clone()],
            observed: bridge(vec![squatter]),
            ops: vec![
                "create br-int/ovn-hv2-1 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("name taken by a foreign port: next name, foreign port untouched")
        },
        Case {
            remotes: vec![hv2.clone()],
            observed: ObservedBridge {
                names_elsewhere: set(&["ovn-hv2-0", "ovn-hv2-1"]),
                ..bridge(vec![])
            },
            ops: vec![
                "create br-int/ovn-hv2-2 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("names used on other bridges are avoided")
        },
        Case {
            remotes: vec![
                remote("hv2", &[geneve("10.0.0.2")]),
                remote("hv2x", &[geneve("10.0.0.3")]),
            ],
            ops: vec![
                GENEVE_HV2,
                "create br-int/ovn-hv2x-0 geneve {csum=true,key=flow,remote_ip=10.0.0.3} \
                 {ovn-chassis-id=hv2x@10.0.0.3}",
            ],
            ..case("different chassis")
        },
        Case {
            remotes: vec![
                remote("hv2-a", &[geneve("10.0.0.2")]),
                remote("hv2-b", &[geneve("10.0.0.3")]),
            ],
            observed: bridge(vec![]),
            ops: vec![
                "create br-int/ovn-hv2-a-0 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                 {ovn-chassis-id=hv2-a@10.0.0.2}",
                "create br-int/ovn-hv2-b-0 geneve {csum=true,key=flow,remote_ip=10.0.0.3} \
                 {ovn-chassis-id=hv2-b@10.0.0.3}",
            ],
            ..case("6-byte prefixes differ")
        },
        Case {
            remotes: vec![
                remote("chassis-a", &[geneve("10.0.0.2")]),
                remote("chassis-b", &[geneve("10.0.0.3")]),
            ],
            ops: vec![
                "create br-int/ovn-chassi-0 geneve {csum=true,key=flow,remote_ip=10.0.0.2} \
                 {ovn-chassis-id=chassis-a@10.0.0.2}",
                "create br-int/ovn-chassi-1 geneve {csum=true,key=flow,remote_ip=10.0.0.3} \
                 {ovn-chassis-id=chassis-b@10.0.0.3}",
            ],
            ..case("truncated names collide: numbered")
        },
        Case {
            remotes: vec![hv2],
            observed: bridge(vec![
                port(
                    "ovn-hv2-0",
                    Some("hv2@10.0.0.2"),
                    "geneve",
                    &[("remote_ip", "10.0.0.2")],
                ),
                geneve_port("ovn-hv2-5", "hv2", "10.0.0.2"),
                geneve_port("ovn-hv2-7", "hv2", "10.0.0.2"),
            ]),
            ops: vec![
                "delete br-int/ovn-hv2-0 port-ovn-hv2-0",
                "delete br-int/ovn-hv2-7 port-ovn-hv2-7",
            ],
            ..case("duplicate ids: keep a correct one, delete the rest")
        },
        Case {
            observed: bridge(vec![
                port("ovn-old-0", Some("old"), "geneve", &[]),
                port("ovn-hv9-0", Some("hv9@10.0.0.9"), "vxlan", &[]),
                port("mine", Some("x@1.1.1.1"), "", &[]),
                vif,
            ]),
            ops: vec![
                "delete br-int/mine port-mine",
                "delete br-int/ovn-hv9-0 port-ovn-hv9-0",
                "delete br-int/ovn-old-0 port-ovn-old-0",
            ],
            ..case("any stale port carrying ovn-chassis-id is ours to delete, whatever its name")
        },
    ]);
}

#[test]
fn local_options() {
    let two_ips = LocalChassis {
        encap_ips: vec!["10.0.0.1".into(), "10.0.1.1".into()],
        ..local()
    };
    let hv2 = remote("hv2", &[geneve("10.0.0.2")]);
    run(vec![
        Case {
            local: two_ips.clone(),
            remotes: vec![hv2.clone()],
            ops: vec![GENEVE_HV2],
            ..case("several local IPs alone do not set local_ip (23.03)")
        },
        Case {
            local: LocalChassis {
                set_local_ip: true,
                ..two_ips
            },
            remotes: vec![hv2.clone()],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {csum=true,key=flow,local_ip=10.0.0.1,\
                       remote_ip=10.0.0.2} {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("ovn-set-local-ip: first local encap ip, id unchanged")
        },
        Case {
            local: LocalChassis {
                set_local_ip: true,
                encap_ips: vec![],
                ..local()
            },
            remotes: vec![hv2.clone()],
            ops: vec![GENEVE_HV2],
            ..case("ovn-set-local-ip without a local ip")
        },
        Case {
            local: LocalChassis {
                ipsec: Some(IpsecConfig {
                    encapsulation: true,
                    forceencaps: false,
                }),
                ..local()
            },
            remotes: vec![hv2.clone()],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {csum=true,ipsec_encapsulation=yes,key=flow,\
                       local_ip=10.0.0.1,remote_ip=10.0.0.2,remote_name=hv2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("ipsec: remote_name, local_ip, NAT-T forcing")
        },
        Case {
            local: LocalChassis {
                ipsec: Some(IpsecConfig {
                    encapsulation: false,
                    forceencaps: true,
                }),
                ..local()
            },
            remotes: vec![hv2.clone()],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {csum=true,ipsec_forceencaps=yes,key=flow,\
                       local_ip=10.0.0.1,remote_ip=10.0.0.2,remote_name=hv2} \
                       {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("ipsec strongswan forceencaps")
        },
        Case {
            local: LocalChassis {
                encap_tos: Some("inherit".into()),
                encap_df_default: Some("false".into()),
                ..local()
            },
            remotes: vec![hv2.clone()],
            ops: vec![
                "create br-int/ovn-hv2-0 geneve {csum=true,df_default=false,key=flow,\
                       remote_ip=10.0.0.2,tos=inherit} {ovn-chassis-id=hv2@10.0.0.2}",
            ],
            ..case("tos and df_default from the local configuration")
        },
        Case {
            local: LocalChassis {
                encap_tos: Some("none".into()),
                ..local()
            },
            remotes: vec![hv2.clone()],
            ops: vec![GENEVE_HV2],
            ..case("tos=none means no tos")
        },
        Case {
            local: LocalChassis {
                set_local_ip: true,
                ..local()
            },
            remotes: vec![hv2],
            observed: bridge(vec![geneve_port("ovn-hv2-0", "hv2", "10.0.0.2")]),
            ops: vec![
                "update ovn-hv2-0 port-ovn-hv2-0 iface-ovn-hv2-0 geneve \
                       {csum=true,key=flow,local_ip=10.0.0.1,remote_ip=10.0.0.2}",
            ],
            ..case("turning on ovn-set-local-ip updates existing tunnels")
        },
    ]);
}

#[test]
fn order_of_inputs_does_not_matter() {
    let remotes = vec![
        remote("hv4", &[geneve("10.0.0.4"), geneve("10.0.1.4")]),
        remote("chassis-b", &[geneve("10.0.0.6")]),
        remote("hv2", &[geneve("10.0.0.2")]),
        remote("chassis-a", &[geneve("10.0.0.5")]),
    ];
    let observed = bridge(vec![
        geneve_port("ovn-hv3-0", "hv3", "10.0.0.3"),
        port("vif", None, "", &[]),
        geneve_port("ovn-hv2-3", "hv2", "10.0.0.2"),
    ]);
    let base = reconcile(&local(), &remotes, &observed);
    let mut rev_remotes = remotes;
    rev_remotes.reverse();
    let mut rev_observed = observed;
    rev_observed.ports.reverse();
    assert_eq!(reconcile(&local(), &rev_remotes, &rev_observed), base);
}

#[test]
fn cleanup_helpers() {
    let b = bridge(vec![
        geneve_port("ovn-hv2-0", "hv2", "10.0.0.2"),
        geneve_port("ovn2-hv3-0", "hv3", "10.0.0.3"),
        geneve_port("tun-x", "hv4", "10.0.0.4"),
        port("vif", None, "", &[]),
    ]);
    let names = |ops: Vec<tunnel::TunnelOp>| ops.iter().map(render).collect::<Vec<_>>();
    assert_eq!(
        names(remove_all_tunnels(&b)),
        [
            "delete br-int/ovn-hv2-0 port-ovn-hv2-0",
            "delete br-int/ovn2-hv3-0 port-ovn2-hv3-0",
            "delete br-int/tun-x port-tun-x",
        ]
    );
    assert_eq!(
        names(clear_old_tunnels(&b, Some(""))),
        ["delete br-int/ovn-hv2-0 port-ovn-hv2-0"]
    );
    assert_eq!(
        names(clear_old_tunnels(&b, Some("2"))),
        ["delete br-int/ovn2-hv3-0 port-ovn2-hv3-0"]
    );
    assert_eq!(names(clear_old_tunnels(&b, None)).len(), 3);
}

#[test]
fn encoding_helper() {
    let l = LocalChassis {
        encap_types: [EncapType::Geneve, EncapType::Vxlan].into(),
        ..local()
    };
    let g = remote(
        "hv2",
        &[geneve("10.0.0.2"), Encap::new("vxlan", "10.0.0.2")],
    );
    let v = remote("hv3", &[Encap::new("vxlan", "10.0.0.3")]);
    let none = remote("hv4", &[Encap::new("stt", "10.0.0.4")]);
    assert_eq!(g.encap_from(&l), Some(EncapType::Geneve));
    assert_eq!(g.encoding_from(&l), Some(tunnel::TunnelEncoding::Full));
    assert_eq!(
        v.encoding_from(&l),
        Some(tunnel::TunnelEncoding::VxlanReduced)
    );
    assert_eq!(none.encoding_from(&l), None);
}

#[test]
fn many_chassis_sharing_a_name_prefix() {
    // 3000 workers all truncate to "worker": names are numbered in chassis-name order.
    let remotes: Vec<RemoteChassis> = (0..3000)
        .map(|i| {
            remote(
                &format!("worker-{i:04}"),
                &[geneve(&format!(
                    "10.{}.{}.{}",
                    i / 65536,
                    (i / 256) % 256,
                    i % 256
                ))],
            )
        })
        .collect();
    let empty = bridge(vec![port("vif", None, "", &[])]);
    let start = std::time::Instant::now();
    let r = reconcile(&local(), &remotes, &empty);
    let first = start.elapsed();
    assert_eq!(r.ops.len(), 3000);
    for (i, op) in r.ops.iter().enumerate() {
        assert_eq!(op.name(), format!("ovn-worker-{i:x}"));
    }
    let after = apply(&empty, &r.ops);
    let start = std::time::Instant::now();
    assert_eq!(reconcile(&local(), &remotes, &after).ops, vec![]);
    eprintln!(
        "3000 chassis: plan from empty {first:?}, steady state {:?}",
        start.elapsed()
    );
}
