//! pinctrl against a real ovs-vswitchd and a real Southbound ovsdb-server: flows whose
//! actions are exactly what the `lflow` encoder emits for OVN's logical actions, packets
//! injected with `netdev-dummy/receive`, and the effects checked where they land (the packet
//! transmitted on a port, the MAC_Binding row in the Southbound DB).

use std::path::Path;
use std::time::Duration;

use agent::pinctrl;
use lflow::actions::{
    ActionsContext, EncodeTables, ExtendTable, encode_actions, format_ofpacts, parse_actions_str,
};
use lflow::symtab::Symtab;
use ovsdb::io::{Client as SbClient, ClientConfig};
use ovsdb::views::ovn_sb::MacBinding;
use ovsdb::{Atom, Datum, Operation};
use testkit::{Ovs, OvsdbServer, Schema};

/// The ovs-ofctl text of the OpenFlow actions the encoder emits for `actions`.
fn ofctl_actions(actions: &str) -> String {
    let symtab = Symtab::ovn();
    let ctx = ActionsContext::default();
    let parsed = parse_actions_str(actions, &ctx.parse_params(&symtab))
        .unwrap_or_else(|e| panic!("{actions}: {e}"));
    let mut out = Vec::new();
    encode_actions(
        &parsed.actions,
        &ctx.encode_params(),
        &mut EncodeTables {
            groups: &mut ExtendTable::new(),
            meters: &mut ExtendTable::new(),
        },
        &mut out,
    );
    let mut s = String::new();
    format_ofpacts(&mut s, &out).unwrap();
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Frames of a pcap file (classic format, as netdev-dummy writes `tx_pcap`).
fn pcap_frames(path: &Path) -> Vec<Vec<u8>> {
    let Ok(b) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut v = Vec::new();
    let mut i = 24;
    while i + 16 <= b.len() {
        let len = u32::from_le_bytes(b[i + 8..i + 12].try_into().unwrap()) as usize;
        i += 16;
        if i + len > b.len() {
            break;
        }
        v.push(b[i..i + len].to_vec());
        i += len;
    }
    v
}

struct Bed {
    ovs: Ovs,
    sb: OvsdbServer,
    client: SbClient,
}

const BR: &str = "br-pin";

async fn bed() -> Bed {
    let ovs = Ovs::start().expect("ovs-vswitchd and ovsdb-server must be installed");
    ovs.add_bridge(BR, "dummy").unwrap();
    for (p, n) in [("p1", "1"), ("p2", "2")] {
        let pcap = ovs.rundir().join(format!("{p}-tx.pcap"));
        ovs.vsctl(&[
            "add-port",
            BR,
            p,
            "--",
            "set",
            "Interface",
            p,
            "type=dummy",
            &format!("ofport_request={n}"),
            &format!("options:tx_pcap={}", pcap.display()),
        ])
        .unwrap();
    }
    let sb = OvsdbServer::start(Schema::OvnSb).expect("ovsdb-server must be installed");
    let client = SbClient::start(ClientConfig::new(&sb.remote(), "OVN_Southbound")).unwrap();
    tokio::time::timeout(Duration::from_secs(10), client.wait_synced())
        .await
        .expect("SB sync");
    // One logical router (key 1) with port lrp1 (key 2).
    client
        .transact(vec![
            Operation::insert(
                "Datapath_Binding",
                [
                    ("tunnel_key", Datum::from(1i64)),
                    (
                        "external_ids",
                        Datum::map([("name", "lr0"), ("logical-router", "x")]),
                    ),
                ],
            )
            .with_uuid_name("dp"),
            Operation::insert(
                "DNS",
                [
                    ("records", Datum::map([("vm1.ovn.org", "10.0.0.4 aef0::4")])),
                    ("datapaths", Datum::set([Atom::named_uuid("dp")])),
                    ("external_ids", Datum::map([("dns_id", "d1")])),
                ],
            ),
            Operation::insert(
                "Port_Binding",
                [
                    ("logical_port", Datum::from("lrp1")),
                    ("tunnel_key", Datum::from(2i64)),
                    ("datapath", Datum::from(Atom::named_uuid("dp"))),
                ],
            ),
            // A virtual port with the key the test context gives "lsp1".
            Operation::insert(
                "Port_Binding",
                [
                    ("logical_port", Datum::from("vip1")),
                    ("type", Datum::from("virtual")),
                    ("tunnel_key", Datum::from(0x11i64)),
                    ("datapath", Datum::from(Atom::named_uuid("dp"))),
                ],
            ),
            Operation::insert(
                "Encap",
                [
                    ("type", Datum::from("geneve")),
                    ("ip", Datum::from("127.0.0.1")),
                    ("chassis_name", Datum::from("hv1")),
                    ("options", Datum::map([("csum", "true")])),
                ],
            )
            .with_uuid_name("encap"),
            Operation::insert(
                "Chassis",
                [
                    ("name", Datum::from("hv1")),
                    ("hostname", Datum::from("hv1")),
                    ("encaps", Datum::set([Atom::named_uuid("encap")])),
                ],
            ),
        ])
        .await
        .unwrap();
    tokio::spawn(pinctrl::run(ovs.mgmt(BR), client.clone(), "hv1".into()));
    Bed { ovs, sb, client }
}

impl Bed {
    fn flows(&self, flows: &str) {
        let f = self.ovs.rundir().join("flows.txt");
        std::fs::write(&f, flows).unwrap();
        self.ovs
            .ofctl_br(BR, &["add-flows", f.to_str().unwrap()])
            .unwrap_or_else(|e| panic!("add-flows {flows}: {e}"));
    }

    fn receive(&self, port: &str, frame: &[u8]) {
        self.ovs
            .appctl(&["netdev-dummy/receive", port, &hex(frame)])
            .unwrap();
    }

    fn tx(&self, port: &str) -> Vec<Vec<u8>> {
        pcap_frames(&self.ovs.rundir().join(format!("{port}-tx.pcap")))
    }

    fn mac_bindings(&self) -> Vec<(String, String, String)> {
        let g = self.client.lock();
        let Some(db) = g.as_ref() else {
            return Vec::new();
        };
        db.typed::<MacBinding>()
            .map(|t| {
                t.iter()
                    .map(|m| (m.logical_port().into(), m.ip().into(), m.mac().into()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Waits (without blocking the runtime's other tasks) until `f` holds.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

const VM_MAC: [u8; 6] = [0x50, 0x54, 0, 0, 0, 1];

fn dhcp_discover() -> Vec<u8> {
    let mut d = vec![0u8; 236];
    d[0] = 1;
    d[1] = 1;
    d[2] = 6;
    d[4..8].copy_from_slice(&0x0bad_cafeu32.to_be_bytes());
    d[28..34].copy_from_slice(&VM_MAC);
    d.extend_from_slice(&[0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255]);
    let mut u = vec![0, 68, 0, 67];
    u.extend_from_slice(&((8 + d.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(&d);
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&VM_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255,
    ];
    ip[2..4].copy_from_slice(&((20 + u.len()) as u16).to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&u);
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dhcp_offer_resumes_pipeline_to_output() {
    let b = bed().await;
    let ctl = ofctl_actions(
        "reg0[3] = put_dhcp_opts(offerip = 10.0.0.2, router = 10.0.0.1, netmask = 255.255.255.0, lease_time = 3600, server_id = 10.0.0.1);",
    );
    assert!(
        ctl.starts_with("controller(") && ctl.contains("pause"),
        "{ctl}"
    );
    // After the resume the pipeline continues in table 10: only a successful reply (result
    // bit set) is sent out of p2.
    b.flows(&format!(
        "table=0,priority=100,in_port=1,udp,tp_dst=67 actions=set_field:1->metadata,set_field:1->reg14,{ctl},resubmit(,10)\n\
         table=10,priority=100,reg0=0x8/0x8 actions=output:2\n\
         table=10,priority=0 actions=drop\n"
    ));
    // Give pinctrl time to connect and set the packet-in format.
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.receive("p1", &dhcp_discover());
    eventually("the DHCP OFFER on p2", || !b.tx("p2").is_empty()).await;
    let frames = b.tx("p2");
    assert_eq!(frames.len(), 1);
    let p = &frames[0];
    let d = &p[14 + 20 + 8..];
    assert_eq!(d[0], 2, "BOOTREPLY");
    assert_eq!(&d[4..8], &0x0bad_cafeu32.to_be_bytes());
    assert_eq!(&d[16..20], &[10, 0, 0, 2], "yiaddr = offer");
    assert_eq!(&d[240..243], &[53, 1, 2], "DHCPOFFER");
    assert!(
        d[243..].windows(6).any(|w| w == [3, 4, 10, 0, 0, 1]),
        "router option"
    );
    assert_eq!(&p[30..34], &[10, 0, 0, 2], "IP destination = offer");
    drop(b.sb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_arp_writes_one_mac_binding() {
    let b = bed().await;
    let ctl = ofctl_actions("put_arp(inport, arp.spa, arp.sha);");
    assert!(ctl.contains("controller(userdata=00.00.00.01"), "{ctl}");
    b.flows(&format!(
        "table=0,priority=100,in_port=1,arp actions=set_field:1->metadata,set_field:2->reg14,{ctl}\n"
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A unicast ARP reply from 10.0.0.9 / VM_MAC.
    let mut arp = vec![0, 0, 0, 0, 0xff, 1];
    arp.extend_from_slice(&VM_MAC);
    arp.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 2]);
    arp.extend_from_slice(&VM_MAC);
    arp.extend_from_slice(&[10, 0, 0, 9, 0, 0, 0, 0, 0xff, 1, 10, 0, 0, 1]);
    b.receive("p1", &arp);
    b.receive("p1", &arp);
    eventually("the MAC_Binding row", || !b.mac_bindings().is_empty()).await;
    // A third copy after the row is visible: still exactly one row, unchanged.
    b.receive("p1", &arp);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        b.mac_bindings(),
        vec![(
            "lrp1".to_string(),
            "10.0.0.9".to_string(),
            "50:54:00:00:00:01".to_string()
        )]
    );
    // A new MAC for the same IP updates the row in place.
    arp[6..12].copy_from_slice(&[0x50, 0x54, 0, 0, 0, 2]);
    arp[22..28].copy_from_slice(&[0x50, 0x54, 0, 0, 0, 2]);
    b.receive("p1", &arp);
    eventually("the MAC_Binding update", || {
        b.mac_bindings()
            == vec![(
                "lrp1".to_string(),
                "10.0.0.9".to_string(),
                "50:54:00:00:00:02".to_string(),
            )]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arp_action_packet_out_runs_nested_actions() {
    let b = bed().await;
    let ctl = ofctl_actions("arp { eth.dst = ff:ff:ff:ff:ff:ff; output; };");
    // The nested `output` is an NXAST_RESUBMIT_TABLE (in_port IN_PORT) to table 64 with the
    // test context's table layout; it travels inside the userdata.
    assert!(
        ctl.contains("ff.ff.00.10.00.00.23.20.00.0e.ff.f8.40.00.00.00"),
        "{ctl}"
    );
    let table = 64;
    // The packet-out restores reg15 (the outport lrp1, set before the controller action),
    // reg0 (the next hop) and metadata. Table 37 (OFTABLE_OUTPUT_INIT) is where the buffered
    // packet re-enters once the next hop resolves.
    b.flows(&format!(
        "table=0,priority=100,in_port=1,ip actions=set_field:1->metadata,set_field:2->reg15,set_field:0x14000007->reg0,{ctl}\n\
         table={table},priority=100,arp,reg15=2,reg0=0x14000007,metadata=1,arp_op=1 actions=output:2\n\
         table=37,priority=100,ip,reg15=2,metadata=1,dl_dst=0a:00:00:00:00:07 actions=output:2\n"
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut f = vec![0, 0, 0, 0, 0xff, 1];
    f.extend_from_slice(&VM_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&[
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 5, 20, 0, 0, 7,
    ]);
    f.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
    b.receive("p1", &f);
    eventually("the ARP request on p2", || !b.tx("p2").is_empty()).await;
    let p = &b.tx("p2")[0];
    let mut want = vec![0xff; 6];
    want.extend_from_slice(&VM_MAC);
    want.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    want.extend_from_slice(&VM_MAC);
    want.extend_from_slice(&[10, 0, 0, 5, 0, 0, 0, 0, 0, 0, 20, 0, 0, 7]);
    assert_eq!(&p[..42], &want[..]);

    // The next hop resolves (as northd/another chassis would write it): the buffered
    // original packet goes out with eth.dst set to the learned MAC.
    let dp = {
        let g = b.client.lock();
        let db = g.as_ref().unwrap();
        let t = db.typed::<ovsdb::views::ovn_sb::DatapathBinding>().unwrap();
        t.iter().next().unwrap().uuid()
    };
    b.client
        .transact(vec![Operation::insert(
            "MAC_Binding",
            [
                ("logical_port", Datum::from("lrp1")),
                ("ip", Datum::from("20.0.0.7")),
                ("mac", Datum::from("0a:00:00:00:00:07")),
                ("datapath", Datum::from(dp)),
            ],
        )])
        .await
        .unwrap();
    eventually("the buffered packet on p2", || b.tx("p2").len() >= 2).await;
    let tx = b.tx("p2");
    assert_eq!(tx.len(), 2);
    let mut want = f.clone();
    want[..6].copy_from_slice(&[0x0a, 0, 0, 0, 0, 7]);
    assert_eq!(tx[1], want);
}

/// Internet checksum of `b` (0 when `b` includes a correct checksum).
fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn ipv4_frame(proto: u8, ttl: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0, 0xff, 1];
    f.extend_from_slice(&VM_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0, 0, ttl, proto, 0, 0];
    ip[2..4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = csum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(l4);
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icmp4_error_with_frag_mtu_pauses_twice() {
    let b = bed().await;
    let ctl = ofctl_actions(
        "icmp4_error { icmp4.type = 3; icmp4.code = 4; icmp4.frag_mtu = 1442; output; };",
    );
    // The error's packet-out runs the nested actions, which pause again for frag_mtu; the
    // second resume continues to the (test layout's) output table 64.
    b.flows(&format!(
        "table=0,priority=100,in_port=1,icmp actions=set_field:1->metadata,{ctl}\n\
         table=64,priority=100,icmp,icmp_type=3,icmp_code=4 actions=output:2\n"
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut echo = vec![8, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4];
    let c = csum(&echo);
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    let orig = ipv4_frame(1, 64, [10, 0, 0, 5], [30, 0, 0, 1], &echo);
    b.receive("p1", &orig);
    eventually("the ICMP error on p2", || !b.tx("p2").is_empty()).await;
    let p = &b.tx("p2")[0];
    assert_eq!(p[14 + 9], 1, "ICMP");
    assert_eq!(csum(&p[14..34]), 0, "IPv4 header checksum");
    let icmp = &p[34..];
    assert_eq!((icmp[0], icmp[1]), (3, 4), "frag needed");
    assert_eq!(&icmp[6..8], &1442u16.to_be_bytes(), "next-hop MTU");
    assert_eq!(csum(icmp), 0, "ICMP checksum after OVS rewrote type/code");
    assert_eq!(&icmp[8..], &orig[14..], "original datagram embedded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_lookup_answers_from_southbound() {
    let b = bed().await;
    let ctl = ofctl_actions("reg0[4] = dns_lookup();");
    b.flows(&format!(
        "table=0,priority=100,in_port=1,udp,tp_dst=53 actions=set_field:1->metadata,{ctl},resubmit(,10)\n\
         table=10,priority=100,reg0=0x10/0x10 actions=output:2\n\
         table=10,priority=0 actions=drop\n"
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x03vm1\x03ovn\x03org\x00\x00\x01\x00\x01");
    let mut udp = vec![0x30, 0x39, 0, 53, 0, 0, 0, 0];
    udp[4..6].copy_from_slice(&((8 + q.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&q);
    b.receive(
        "p1",
        &ipv4_frame(17, 64, [10, 0, 0, 5], [10, 0, 0, 1], &udp),
    );
    eventually("the DNS answer on p2", || !b.tx("p2").is_empty()).await;
    let p = &b.tx("p2")[0];
    assert_eq!(csum(&p[14..34]), 0);
    let dns = &p[42..];
    assert_eq!(&dns[..4], &[0x12, 0x34, 0x81, 0x00], "response bit set");
    assert_eq!(
        &dns[6..8],
        &[0, 1],
        "one A answer (the AAAA address is not asked for)"
    );
    assert!(
        dns.ends_with(&[0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, 0, 4]),
        "{dns:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_event_and_bind_vport_write_southbound() {
    let b = bed().await;
    let ev = ofctl_actions(
        "trigger_event(event = \"empty_lb_backends\", vip = \"10.0.0.1:80\", protocol = \"tcp\", load_balancer = \"12345678-abcd-9876-fedc-11119f8e7d6c\");",
    );
    let vp = ofctl_actions("bind_vport(\"lsp1\", inport);");
    b.flows(&format!(
        "table=0,priority=100,in_port=1,tcp actions=set_field:1->metadata,{ev}\n\
         table=0,priority=100,in_port=1,arp actions=set_field:1->metadata,set_field:2->reg14,{vp}\n"
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut tcp = vec![0u8; 20];
    tcp[2..4].copy_from_slice(&80u16.to_be_bytes());
    tcp[12] = 0x50;
    tcp[13] = 0x02;
    let syn = ipv4_frame(6, 64, [10, 0, 0, 5], [10, 0, 0, 1], &tcp);
    b.receive("p1", &syn);
    b.receive("p1", &syn);
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&VM_MAC);
    arp.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&VM_MAC);
    arp.extend_from_slice(&[10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 10, 0, 0, 10]);
    b.receive("p1", &arp);
    let read = || {
        let g = b.client.lock();
        let db = g.as_ref().unwrap();
        let events: Vec<(String, Option<String>, i64)> = db
            .typed::<ovsdb::views::ovn_sb::ControllerEvent>()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e.event_type().to_owned(),
                    e.event_info().get("vip").map(str::to_owned),
                    e.seq_num(),
                )
            })
            .collect();
        let vparent = db
            .typed::<ovsdb::views::ovn_sb::PortBinding>()
            .unwrap()
            .iter()
            .find(|p| p.logical_port() == "vip1")
            .and_then(|p| p.virtual_parent().map(str::to_owned).zip(p.chassis()));
        (events, vparent)
    };
    eventually("the Controller_Event and the vport claim", || {
        let (e, v) = read();
        !e.is_empty() && v.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (events, vparent) = read();
    assert_eq!(
        events,
        vec![(
            "empty_lb_backends".to_string(),
            Some("10.0.0.1:80".to_string()),
            1
        )],
        "one event for two packets"
    );
    assert_eq!(vparent.map(|(p, _)| p).as_deref(), Some("lrp1"));
}

/// One's-complement sum of an L4 segment with its IPv4/IPv6 pseudo-header (0 when valid).
fn l4_csum(pseudo: &[u8], seg: &[u8]) -> u16 {
    let mut b = pseudo.to_vec();
    b.extend_from_slice(seg);
    csum(&b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_reset_and_nd_na_packet_outs() {
    let b = bed().await;
    let rst = ofctl_actions("tcp_reset { eth.dst <-> eth.src; ip4.dst <-> ip4.src; output; };");
    let na = ofctl_actions(
        "nd_na { eth.src = 00:00:00:00:ff:01; ip6.src = fd00::1; nd.target = fd00::1; nd.tll = 00:00:00:00:ff:01; outport = inport; output; };",
    );
    b.flows(&format!(
        "table=0,priority=100,in_port=1,tcp actions=set_field:1->metadata,{rst}\n\
         table=0,priority=100,in_port=1,icmp6,icmp_type=135 actions=set_field:1->metadata,{na}\n\
         table=64,priority=100,tcp,tcp_flags=+rst actions=output:2\n\
         table=64,priority=100,icmp6,icmp_type=136 actions=output:2\n"
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A SYN from 10.0.0.5:40000 to 10.0.0.6:80 with seq 0x01020304.
    let mut tcp = vec![0u8; 20];
    tcp[0..2].copy_from_slice(&40000u16.to_be_bytes());
    tcp[2..4].copy_from_slice(&80u16.to_be_bytes());
    tcp[4..8].copy_from_slice(&0x0102_0304u32.to_be_bytes());
    tcp[12] = 0x50;
    tcp[13] = 0x02;
    b.receive("p1", &ipv4_frame(6, 64, [10, 0, 0, 5], [10, 0, 0, 6], &tcp));
    eventually("the TCP RST on p2", || !b.tx("p2").is_empty()).await;
    let p = b.tx("p2")[0].clone();
    assert_eq!(&p[0..6], &VM_MAC, "back to the sender");
    assert_eq!(csum(&p[14..34]), 0);
    assert_eq!(
        &p[26..34],
        &[10, 0, 0, 6, 10, 0, 0, 5],
        "addresses swapped by OVS"
    );
    let t = &p[34..54];
    assert_eq!(&t[0..4], &[0, 80, 0x9c, 0x40], "ports swapped");
    assert_eq!(&t[8..12], &0x0102_0305u32.to_be_bytes(), "ack = seq + 1");
    assert_eq!(t[13], 0x14, "RST|ACK");
    let mut ph = p[26..34].to_vec();
    ph.extend_from_slice(&[0, 6, 0, 20]);
    assert_eq!(
        l4_csum(&ph, t),
        0,
        "TCP checksum after OVS swapped the addresses"
    );

    // A neighbor solicitation for fd00::1 from fd00::5.
    let src: [u8; 16] = "fd00::5".parse::<std::net::Ipv6Addr>().unwrap().octets();
    let target: [u8; 16] = "fd00::1".parse::<std::net::Ipv6Addr>().unwrap().octets();
    let sn: [u8; 16] = "ff02::1:ff00:1"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
    ns.extend_from_slice(&target);
    ns.extend_from_slice(&[1, 1]);
    ns.extend_from_slice(&VM_MAC);
    let mut ph = src.to_vec();
    ph.extend_from_slice(&sn);
    ph.extend_from_slice(&[0, 0, 0, ns.len() as u8, 0, 0, 0, 58]);
    let c = l4_csum(&ph, &ns);
    ns[2..4].copy_from_slice(&c.to_be_bytes());
    let mut f = vec![0x33, 0x33, 0xff, 0, 0, 1];
    f.extend_from_slice(&VM_MAC);
    f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, ns.len() as u8, 58, 255]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&sn);
    f.extend_from_slice(&ns);
    b.receive("p1", &f);
    eventually("the NA on p2", || b.tx("p2").len() >= 2).await;
    let p = b.tx("p2")[1].clone();
    assert_eq!(
        &p[0..12],
        &[&VM_MAC[..], &[0, 0, 0, 0, 0xff, 1]].concat()[..]
    );
    assert_eq!(&p[22..38], &target, "from the target");
    assert_eq!(&p[38..54], &src, "to the solicitor");
    let icmp = &p[54..];
    assert_eq!(icmp[0], 136);
    assert_eq!(&icmp[4..8], &[0x60, 0, 0, 0], "solicited, override");
    assert_eq!(&icmp[8..24], &target);
    assert_eq!(
        &icmp[24..32],
        &[2, 1, 0, 0, 0, 0, 0xff, 1],
        "target link-layer address"
    );
    let mut ph = target.to_vec();
    ph.extend_from_slice(&src);
    ph.extend_from_slice(&[0, 0, 0, icmp.len() as u8, 0, 0, 0, 58]);
    assert_eq!(
        l4_csum(&ph, icmp),
        0,
        "ICMPv6 checksum after OVS set eth.src/nd.tll"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_vswitchd_restart() {
    let mut b = bed().await;
    let ctl = ofctl_actions(
        "reg0[3] = put_dhcp_opts(offerip = 10.0.0.2, router = 10.0.0.1, netmask = 255.255.255.0, lease_time = 3600, server_id = 10.0.0.1);",
    );
    let flows = format!(
        "table=0,priority=100,in_port=1,udp,tp_dst=67 actions=set_field:1->metadata,set_field:1->reg14,{ctl},resubmit(,10)\n\
         table=10,priority=100,reg0=0x8/0x8 actions=output:2\n"
    );
    tokio::task::block_in_place(|| b.ovs.restart_vswitchd()).unwrap();
    b.ovs.wait_mgmt(BR).unwrap();
    b.flows(&flows);
    // pinctrl reconnects with backoff and sets NXT_PACKET_IN2 again; until then the
    // packet-in is lost, so retry the request as a DHCP client would.
    eventually("a DHCP OFFER after the restart", || {
        b.receive("p1", &dhcp_discover());
        std::thread::sleep(Duration::from_millis(200));
        b.tx("p2")
            .iter()
            .any(|p| p.len() > 45 && p[42] == 2 && p[42 + 16..42 + 20] == [10, 0, 0, 2])
    })
    .await;
}
