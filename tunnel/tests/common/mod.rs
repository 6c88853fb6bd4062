//! Builders for reconciler inputs and a model of OVS that applies operations, shared by the
//! table, property and real-OVS tests.
#![allow(dead_code)]

pub mod json;

use std::collections::{BTreeMap, BTreeSet};

use tunnel::{
    Encap, EncapType, LocalChassis, ObservedBridge, ObservedInterface, ObservedPort, RemoteChassis,
    TunnelOp,
};

pub fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// hv1 with a Geneve encap at 10.0.0.1.
pub fn local() -> LocalChassis {
    LocalChassis {
        name: "hv1".into(),
        encap_types: [EncapType::Geneve].into(),
        encap_ips: vec!["10.0.0.1".into()],
        ..Default::default()
    }
}

pub fn remote(name: &str, encaps: &[Encap]) -> RemoteChassis {
    RemoteChassis {
        name: name.into(),
        encaps: encaps.to_vec(),
        ..Default::default()
    }
}

/// A Geneve encap with csum=true, as ovn-controller publishes by default.
pub fn geneve(ip: &str) -> Encap {
    Encap::new("geneve", ip).with_option("csum", "true")
}

pub fn bridge(ports: Vec<ObservedPort>) -> ObservedBridge {
    ObservedBridge {
        name: "br-int".into(),
        ports,
        names_elsewhere: BTreeSet::new(),
    }
}

/// A one-interface port as ovn-controller would create it.
pub fn port(
    name: &str,
    id: Option<&str>,
    iface_type: &str,
    options: &[(&str, &str)],
) -> ObservedPort {
    ObservedPort {
        uuid: format!("port-{name}"),
        name: name.into(),
        external_ids: id
            .map(|id| map(&[("ovn-chassis-id", id)]))
            .unwrap_or_default(),
        interfaces: vec![ObservedInterface {
            uuid: format!("iface-{name}"),
            name: name.into(),
            iface_type: iface_type.into(),
            options: map(options),
            ofport: Some(1),
        }],
    }
}

/// The port a correct Geneve tunnel to `chassis@ip` is.
pub fn geneve_port(name: &str, chassis: &str, ip: &str) -> ObservedPort {
    port(
        name,
        Some(&format!("{chassis}@{ip}")),
        "geneve",
        &[("csum", "true"), ("key", "flow"), ("remote_ip", ip)],
    )
}

/// Applies `ops` the way OVSDB would, in order; panics on an operation OVSDB would reject
/// (deleting an absent port, updating an absent interface, a duplicate Port/Interface name).
pub fn apply(observed: &ObservedBridge, ops: &[TunnelOp]) -> ObservedBridge {
    let mut b = observed.clone();
    let mut serial = 0usize;
    for op in ops {
        match op {
            TunnelOp::DeletePort {
                bridge,
                port_uuid,
                name,
            } => {
                assert_eq!(bridge, &b.name);
                let before = b.ports.len();
                b.ports.retain(|p| &p.uuid != port_uuid);
                assert_eq!(before, b.ports.len() + 1, "delete of absent port {name}");
            }
            TunnelOp::UpdatePort {
                port_uuid,
                iface_uuid,
                iface_type,
                options,
                ..
            } => {
                let p = b
                    .ports
                    .iter_mut()
                    .find(|p| &p.uuid == port_uuid)
                    .expect("port");
                let i = p
                    .interfaces
                    .iter_mut()
                    .find(|i| &i.uuid == iface_uuid)
                    .expect("iface");
                i.iface_type = iface_type.clone();
                i.options = options.clone();
            }
            TunnelOp::CreatePort {
                bridge,
                name,
                iface_type,
                options,
                port_external_ids,
            } => {
                assert_eq!(bridge, &b.name);
                serial += 1;
                b.ports.push(ObservedPort {
                    uuid: format!("new-port-{serial}"),
                    name: name.clone(),
                    external_ids: port_external_ids.clone(),
                    interfaces: vec![ObservedInterface {
                        uuid: format!("new-iface-{serial}"),
                        name: name.clone(),
                        iface_type: iface_type.clone(),
                        options: options.clone(),
                        ofport: None,
                    }],
                });
            }
        }
    }
    // Port.name and Interface.name are each unique database-wide.
    let mut ports = BTreeSet::new();
    let mut ifaces = BTreeSet::new();
    for p in &b.ports {
        assert!(ports.insert(&p.name), "duplicate port name {}", p.name);
        assert!(
            !b.names_elsewhere.contains(&p.name),
            "port name {} used elsewhere",
            p.name
        );
        for i in &p.interfaces {
            assert!(
                ifaces.insert(&i.name),
                "duplicate interface name {}",
                i.name
            );
            assert!(
                !b.names_elsewhere.contains(&i.name),
                "iface name {} used elsewhere",
                i.name
            );
        }
    }
    b
}

fn render_map(m: &BTreeMap<String, String>) -> String {
    let kv: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", kv.join(","))
}

/// A one-line rendering of an operation that shows every field, for table tests.
pub fn render(op: &TunnelOp) -> String {
    match op {
        TunnelOp::CreatePort {
            bridge,
            name,
            iface_type,
            options,
            port_external_ids,
        } => format!(
            "create {bridge}/{name} {iface_type} {} {}",
            render_map(options),
            render_map(port_external_ids)
        ),
        TunnelOp::DeletePort {
            bridge,
            port_uuid,
            name,
        } => {
            format!("delete {bridge}/{name} {port_uuid}")
        }
        TunnelOp::UpdatePort {
            port_uuid,
            iface_uuid,
            name,
            iface_type,
            options,
        } => format!(
            "update {name} {port_uuid} {iface_uuid} {iface_type} {}",
            render_map(options)
        ),
    }
}
