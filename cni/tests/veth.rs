//! The kernel side against real network namespaces: a "host" namespace standing in for the node
//! (so parallel tests never touch the real host) and a pod namespace.

mod common;

use std::net::IpAddr;

use cni::Mac;
use cni::link::{self, LinkError, RouteSpec, VethSpec};
use cni::netns::{NetNs, NetNsError};
use common::{TestNetns, assert_no_thread_in_foreign_netns, unique};

fn spec(host_name: &str) -> VethSpec {
    VethSpec {
        host_name: host_name.to_owned(),
        ifname: "eth0".into(),
        mac: Some("0a:58:0a:00:00:05".parse().unwrap()),
        mtu: 1400,
        addresses: vec![
            "10.0.0.5/24".parse().unwrap(),
            "fd00::5/64".parse().unwrap(),
        ],
        routes: vec![
            RouteSpec {
                dst: "0.0.0.0/0".parse().unwrap(),
                gw: Some("10.0.0.1".parse().unwrap()),
                mtu: None,
            },
            RouteSpec {
                dst: "::/0".parse().unwrap(),
                gw: Some("fd00::1".parse().unwrap()),
                mtu: None,
            },
            RouteSpec {
                dst: "192.168.0.0/16".parse().unwrap(),
                gw: Some("10.0.0.254".parse().unwrap()),
                mtu: Some(1300),
            },
        ],
        tx_checksum_off: true,
    }
}

#[test]
fn create_inspect_delete_veth() {
    let host = TestNetns::new("cnih");
    let pod = TestNetns::new("cnip");
    let host_ns = NetNs::open(host.path()).unwrap();
    let pod_ns = NetNs::open(pod.path()).unwrap();
    let hname = unique("vh");
    let s = spec(&hname);

    let info = link::create_veth(Some(&host_ns), &pod_ns, &s).unwrap();
    assert_eq!(info.pod_mac, s.mac);

    // The pod end is in the pod namespace with the requested name, MAC, MTU, addresses and routes.
    let l = pod.ip_json(&["link", "show", "eth0"]);
    assert_eq!(l[0]["address"], "0a:58:0a:00:00:05");
    assert_eq!(l[0]["mtu"], 1400);
    assert!(
        l[0]["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
        "{l}"
    );
    let a = pod.ip_json(&["addr", "show", "eth0"]);
    let addrs: Vec<String> = a[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| format!("{}/{}", x["local"].as_str().unwrap(), x["prefixlen"]))
        .collect();
    assert!(addrs.contains(&"10.0.0.5/24".to_owned()), "{addrs:?}");
    assert!(addrs.contains(&"fd00::5/64".to_owned()), "{addrs:?}");
    let v6 = a[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["local"] == "fd00::5")
        .unwrap();
    assert!(v6.get("tentative").is_none(), "DAD must be off: {v6}");
    let r4 = pod.ip_json(&["route", "show"]);
    assert!(
        r4.as_array()
            .unwrap()
            .iter()
            .any(|r| r["dst"] == "default" && r["gateway"] == "10.0.0.1"),
        "{r4}"
    );
    assert!(
        r4.as_array()
            .unwrap()
            .iter()
            .any(|r| r["dst"] == "192.168.0.0/16"
                && r["gateway"] == "10.0.0.254"
                && r["metrics"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|x| x["mtu"] == 1300))),
        "{r4}"
    );
    let r6 = pod.ip_json(&["-6", "route", "show", "default"]);
    assert_eq!(r6[0]["gateway"], "fd00::1", "{r6}");
    let lo = pod.ip_json(&["link", "show", "lo"]);
    assert!(
        lo[0]["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
        "{lo}"
    );
    // The host end stays in the host namespace, up, with the same MTU.
    let h = host.ip_json(&["link", "show", &hname]);
    assert_eq!(h[0]["mtu"], 1400);
    assert!(
        h[0]["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
        "{h}"
    );
    // TX checksum offload is off in the pod.
    let tx = pod_ns
        .run(|| cni::ethtool::tx_checksum_active("eth0"))
        .unwrap()
        .unwrap();
    assert!(!tx, "tx checksum still on");

    // inspect() sees the same.
    let p = link::inspect(&pod_ns, "eth0").unwrap().unwrap();
    assert_eq!(p.mac, s.mac);
    assert_eq!(p.mtu, Some(1400));
    assert!(p.up && p.is_veth);
    for want in &s.addresses {
        assert!(p.addresses.contains(want), "{:?}", p.addresses);
    }
    let gw4: IpAddr = "10.0.0.1".parse().unwrap();
    assert!(
        p.routes
            .iter()
            .any(|r| r.dst.prefix() == 0 && r.gw == Some(gw4)),
        "{:?}",
        p.routes
    );
    assert!(link::inspect(&pod_ns, "eth9").unwrap().is_none());

    // A second ADD of the same ifname is the spec's "already exists".
    let again = link::create_veth(Some(&host_ns), &pod_ns, &spec(&unique("vh")));
    assert!(
        matches!(again, Err(LinkError::AlreadyExists { .. })),
        "{again:?}"
    );
    // A different pod ifname on a taken host name is refused without touching the existing pair.
    let mut clash = spec(&hname);
    clash.ifname = "net1".into();
    let e = link::create_veth(Some(&host_ns), &pod_ns, &clash);
    assert!(matches!(e, Err(LinkError::HostNameTaken { .. })), "{e:?}");
    assert!(link::link_exists(Some(&pod_ns), "eth0").unwrap());

    // Delete, then delete again: the second is a no-op.
    assert!(link::delete_link(Some(&host_ns), &hname).unwrap());
    assert!(!link::delete_link(Some(&host_ns), &hname).unwrap());
    assert!(!link::link_exists(Some(&host_ns), &hname).unwrap());
    assert!(!link::link_exists(Some(&pod_ns), "eth0").unwrap());
    assert_no_thread_in_foreign_netns();
}

#[test]
fn failed_configuration_rolls_back_the_pair() {
    let host = TestNetns::new("cnih");
    let pod = TestNetns::new("cnip");
    let host_ns = NetNs::open(host.path()).unwrap();
    let pod_ns = NetNs::open(pod.path()).unwrap();
    let hname = unique("vh");
    let mut s = spec(&hname);
    // A gateway outside every on-link prefix makes the route add fail after the pair exists.
    s.routes = vec![RouteSpec {
        dst: "0.0.0.0/0".parse().unwrap(),
        gw: Some("172.31.0.1".parse().unwrap()),
        mtu: None,
    }];
    let e = link::create_veth(Some(&host_ns), &pod_ns, &s).unwrap_err();
    assert!(matches!(e, LinkError::Netlink { .. }), "{e:?}");
    assert!(
        !link::link_exists(Some(&host_ns), &hname).unwrap(),
        "host end left behind"
    );
    assert!(
        !link::link_exists(Some(&pod_ns), "eth0").unwrap(),
        "pod end left behind"
    );
    assert_no_thread_in_foreign_netns();
}

#[test]
fn netns_gone_and_not_a_netns() {
    let host = TestNetns::new("cnih");
    let mut pod = TestNetns::new("cnip");
    let host_ns = NetNs::open(host.path()).unwrap();
    let hname = unique("vh");
    {
        let pod_ns = NetNs::open(pod.path()).unwrap();
        let mut s = spec(&hname);
        s.mac = Some(Mac([0x0a, 0x58, 0, 0, 0, 9]));
        link::create_veth(Some(&host_ns), &pod_ns, &s).unwrap();
    } // the handle closes, so deleting the mount destroys the namespace and the pair with it
    pod.delete();
    let e = NetNs::open(pod.path()).unwrap_err();
    assert!(matches!(e, NetNsError::NotFound { .. }), "{e:?}");
    // DEL after the netns went away: nothing left, still success.
    for _ in 0..50 {
        if !link::link_exists(Some(&host_ns), &hname).unwrap() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!link::delete_link(Some(&host_ns), &hname).unwrap());
    let e = NetNs::open("/etc/hostname").unwrap_err();
    assert!(matches!(e, NetNsError::NotANetNs { .. }), "{e:?}");
}

#[test]
fn tx_checksum_stays_on_when_not_asked() {
    let host = TestNetns::new("cnih");
    let pod = TestNetns::new("cnip");
    let host_ns = NetNs::open(host.path()).unwrap();
    let pod_ns = NetNs::open(pod.path()).unwrap();
    let mut s = spec(&unique("vh"));
    s.tx_checksum_off = false;
    link::create_veth(Some(&host_ns), &pod_ns, &s).unwrap();
    let tx = pod_ns
        .run(|| cni::ethtool::tx_checksum_active("eth0"))
        .unwrap()
        .unwrap();
    assert!(
        tx,
        "veths default to TX checksum offload on, so the getter must see it"
    );
}
