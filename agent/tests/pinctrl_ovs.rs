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
                "Port_Binding",
                [
                    ("logical_port", Datum::from("lrp1")),
                    ("tunnel_key", Datum::from(2i64)),
                    ("datapath", Datum::from(Atom::named_uuid("dp"))),
                ],
            ),
        ])
        .await
        .unwrap();
    tokio::spawn(pinctrl::run(ovs.mgmt(BR), client.clone()));
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
    // The packet-out restores reg15 (set before the controller action) and metadata.
    b.flows(&format!(
        "table=0,priority=100,in_port=1,ip actions=set_field:1->metadata,set_field:5->reg15,{ctl}\n\
         table={table},priority=100,arp,reg15=5,metadata=1,arp_op=1 actions=output:2\n"
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
}
