//! Golden wire vectors for every message we encode.
//!
//! Provenance: each hex string is our encoder's output, accepted by the real decoder of OVS
//! 3.1.0: `ovs-ofctl ofp-print HEX` printed the text next to it. The test re-runs that oracle,
//! so a change of encoding that OVS would read differently fails here (the test fails loudly if
//! `ovs-ofctl` is missing).

use std::process::Command;

use bytes::Bytes;
use openflow::msg::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Bytes {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect::<Vec<_>>()
        .into()
}

/// `ovs-ofctl ofp-print HEX`.
pub fn ofp_print(hex: &str) -> String {
    let out = Command::new("ovs-ofctl")
        .arg("ofp-print")
        .arg(hex)
        .output()
        .expect("ovs-ofctl must be installed (it is the oracle for these vectors)");
    assert!(
        out.status.success(),
        "ovs-ofctl ofp-print {hex} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn vectors() -> Vec<(u32, Message, &'static str, &'static str)> {
    vec![
        (
            1,
            Message::Hello(Hello::of15_only()),
            "06000010000000010001000800000040",
            "OFPT_HELLO (OF1.5) (xid=0x1):\n version bitmap: 0x06\n",
        ),
        (
            2,
            Message::EchoRequest(Bytes::from_static(b"abcd")),
            "0602000c0000000261626364",
            "OFPT_ECHO_REQUEST (OF1.5) (xid=0x2): 4 bytes of payload\n00000000  61 62 63 64                                     |abcd            |\n",
        ),
        (
            3,
            Message::FeaturesRequest,
            "0605000800000003",
            "OFPT_FEATURES_REQUEST (OF1.5) (xid=0x3):\n",
        ),
        (
            4,
            Message::FeaturesReply(FeaturesReply {
                datapath_id: 0x2eab6d4f624f,
                n_buffers: 0,
                n_tables: 254,
                auxiliary_id: 0,
                capabilities: 0x24f,
            }),
            "060600200000000400002eab6d4f624f00000000fe0000000000024f00000000",
            "OFPT_FEATURES_REPLY (OF1.5) (xid=0x4): dpid:00002eab6d4f624f\nn_tables:254, n_buffers:0\ncapabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS QUEUE_STATS BUNDLES\n",
        ),
        (
            5,
            Message::GetConfigRequest,
            "0607000800000005",
            "OFPT_GET_CONFIG_REQUEST (OF1.5) (xid=0x5):\n",
        ),
        (
            6,
            Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 0xffff,
            }),
            "0609000c000000060000ffff",
            "OFPT_SET_CONFIG (OF1.5) (xid=0x6): frags=normal miss_send_len=65535\n",
        ),
        (
            7,
            Message::BarrierRequest,
            "0614000800000007",
            "OFPT_BARRIER_REQUEST (OF1.5) (xid=0x7):\n",
        ),
        (
            8,
            Message::RoleRequest(Role {
                role: Role::PRIMARY,
                generation_id: 5,
            }),
            "061800180000000800000002000000000000000000000005",
            "OFPT_ROLE_REQUEST (OF1.5) (xid=0x8): role=primary generation_id=5\n",
        ),
        (
            9,
            Message::SetPacketInFormat(PacketInFormat::NXT_PACKET_IN2),
            "0604001400000009000023200000001000000002",
            "NXT_SET_PACKET_IN_FORMAT (OF1.5) (xid=0x9): format=nxt_packet_in2\n",
        ),
        (
            10,
            Message::SetControllerId(ControllerId(7)),
            "060400180000000a00002320000000140000000000000007",
            "NXT_SET_CONTROLLER_ID (OF1.5) (xid=0xa): id=7\n",
        ),
        (
            11,
            Message::TlvTableMod(TlvTableMod {
                command: TlvTableMod::ADD,
                maps: vec![TlvMap {
                    option_class: 0x102,
                    option_type: 0x80,
                    option_len: 4,
                    index: 0,
                }],
            }),
            "060400200000000b000023200000001800000000000000000102800400000000",
            "NXT_TLV_TABLE_MOD (OF1.5) (xid=0xb):\n ADD mapping table:\n  class  type  length  match field\n ------  ----  ------  --------------\n  0x102  0x80       4  tun_metadata0\n",
        ),
        (
            12,
            Message::TlvTableRequest,
            "060400100000000c0000232000000019",
            "NXT_TLV_TABLE_REQUEST (OF1.5) (xid=0xc):\n",
        ),
        (
            13,
            Message::TlvTableReply(TlvTableReply {
                max_option_space: 256,
                max_fields: 64,
                maps: vec![TlvMap {
                    option_class: 0xffff,
                    option_type: 0,
                    option_len: 8,
                    index: 3,
                }],
            }),
            "060400280000000d000023200000001a00000100004000000000000000000000ffff000800030000",
            "NXT_TLV_TABLE_REPLY (OF1.5) (xid=0xd):\n max option space=256 max fields=64\n allocated option space=8\n\n mapping table:\n  class  type  length  match field\n ------  ----  ------  --------------\n 0xffff     0       8  tun_metadata3\n",
        ),
        (
            14,
            Message::CtFlushZone(CtFlushZone(5)),
            "060400180000000e000023200000001d0000000000000005",
            "NXT_CT_FLUSH_ZONE (OF1.5) (xid=0xe): zone_id=5\n",
        ),
        (
            15,
            Message::BundleControl(BundleCtrl::new(
                1,
                BundleCtrlType::OPEN_REQUEST,
                BUNDLE_ORDERED | BUNDLE_ATOMIC,
            )),
            "062100100000000f0000000100000003",
            "OFPT_BUNDLE_CONTROL (OF1.5) (xid=0xf):\n bundle_id=0x1 type=OPEN_REQUEST flags=atomic ordered\n",
        ),
        (
            16,
            Message::BundleControl(BundleCtrl::new(
                1,
                BundleCtrlType::COMMIT_REQUEST,
                BUNDLE_ORDERED | BUNDLE_ATOMIC,
            )),
            "06210010000000100000000100040003",
            "OFPT_BUNDLE_CONTROL (OF1.5) (xid=0x10):\n bundle_id=0x1 type=COMMIT_REQUEST flags=atomic ordered\n",
        ),
        (
            17,
            Message::BundleAdd(BundleAdd {
                bundle_id: 1,
                flags: 3,
                message: FlowMod::delete_all().to_msg_bytes(17),
            }),
            "06220048000000110000000100000003060e00380000001100000000000000000000000000000000ff03000000008000ffffffffffffffffffffffff000000000001000400000000",
            "OFPT_BUNDLE_ADD_MESSAGE (OF1.5) (xid=0x11):\n bundle_id=0x1 flags=atomic ordered\nOFPT_FLOW_MOD (OF1.5) (xid=0x11): DEL table:255 actions=drop\n",
        ),
        (
            18,
            Message::FlowMod(FlowMod::delete_all()),
            "060e00380000001200000000000000000000000000000000ff03000000008000ffffffffffffffffffffffff000000000001000400000000",
            "OFPT_FLOW_MOD (OF1.5) (xid=0x12): DEL table:255 actions=drop\n",
        ),
        (
            19,
            Message::MeterMod(MeterMod {
                command: MeterCommand::ADD,
                meter: "meter=1,pktps,burst,stats,bands=type=drop,rate=100,burst_size=10"
                    .parse()
                    .unwrap(),
            }),
            "061d0020000000130000000e0000000100010010000000640000000a00000000",
            "OFPT_METER_MOD (OF1.5) (xid=0x13): ADD meter=1 pktps burst stats bands=\ntype=drop rate=100 burst_size=10\n",
        ),
        (
            20,
            Message::MultipartRequest(MultipartRequest::port_desc(0xffffffff)),
            "0612001800000014000d000000000000ffffffff00000000",
            "OFPST_PORT_DESC request (OF1.5) (xid=0x14): port=ANY\n",
        ),
        (
            21,
            Message::MultipartRequest(MultipartRequest::group_desc(OFPG_ALL)),
            "06120018000000150007000000000000fffffffc00000000",
            "OFPST_GROUP_DESC request (OF1.5) (xid=0x15): group_id=ALL\n",
        ),
        (
            22,
            Message::MultipartRequest(MultipartRequest::meter_config(0xffffffff)),
            "0612001800000016000a000000000000ffffffff00000000",
            "OFPST_METER_CONFIG request (OF1.5) (xid=0x16): meter=all\n",
        ),
        (
            23,
            Message::MultipartRequest(FlowStatsRequest::default().flows()),
            "06120038000000170001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000",
            "OFPST_FLOW request (OF1.5) (xid=0x17):\n",
        ),
        (
            24,
            Message::MultipartRequest(FlowStatsRequest::default().aggregate()),
            "06120038000000180002000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000",
            "OFPST_AGGREGATE request (OF1.5) (xid=0x18):\n",
        ),
        (
            25,
            Message::GroupMod(GroupMod::delete_all()),
            "060f00180000001900020000fffffffc00000000ffffffff",
            "OFPT_GROUP_MOD (OF1.5) (xid=0x19):\n DEL group_id=4294967292,type=all\n",
        ),
        (
            26,
            Message::Error(
                ErrorMsg::from_name(
                    "OFPBMC_BAD_PREREQ",
                    Bytes::from_static(&[6, 14, 0, 8, 0, 0, 0, 26]),
                )
                .unwrap(),
            ),
            "060100140000001a00040009060e00080000001a",
            "OFPT_ERROR (OF1.5) (xid=0x1a): OFPBMC_BAD_PREREQ\n***decode error: OFPBRC_BAD_LEN***\n00000000  06 0e 00 08 00 00 00 1a-                        |........        |\n",
        ),
        (
            27,
            Message::Error(
                ErrorMsg::from_name(
                    "NXTTMFC_ALREADY_MAPPED",
                    Bytes::from_static(&[6, 4, 0, 8, 0, 0, 0, 27]),
                )
                .unwrap(),
            ),
            "060100180000001bffff001400002320060400080000001b",
            "OFPT_ERROR (OF1.5) (xid=0x1b): NXTTMFC_ALREADY_MAPPED\n***decode error: OFPBRC_BAD_LEN***\n00000000  06 04 00 08 00 00 00 1b-                        |........        |\n",
        ),
        (
            28,
            Message::EchoReply(Bytes::new()),
            "060300080000001c",
            "OFPT_ECHO_REPLY (OF1.5) (xid=0x1c): 0 bytes of payload\n",
        ),
    ]
}

#[test]
fn encode_matches_golden_bytes_and_decodes_back() {
    for (xid, msg, want_hex, _) in vectors() {
        let got = msg.to_bytes(xid).unwrap();
        assert_eq!(hex(&got), want_hex, "{} encoding", msg.name());
        let (h, back) = Message::decode(&unhex(want_hex)).unwrap();
        assert_eq!(h.xid, xid);
        assert_eq!(back, msg, "{} decoding", msg.name());
    }
}

#[test]
fn ovs_ofctl_reads_our_bytes_as_recorded() {
    let all = vectors();
    // One oracle run per vector costs ~5 ms each; fine for 30 vectors.
    for (_, msg, want_hex, want_text) in all {
        assert_eq!(
            ofp_print(want_hex),
            want_text,
            "ovs-ofctl ofp-print of {}",
            msg.name()
        );
    }
}

#[test]
fn our_display_matches_ovs_ofctl_text() {
    for (xid, msg, want_hex, want_text) in vectors() {
        let title = openflow::msg::print::title(msg.name(), xid);
        let ours = match &msg {
            Message::FeaturesReply(f) => format!("{title} {f}"),
            Message::SetConfig(c) => format!("{title} {c}\n"),
            Message::TlvTableReply(t) => format!("{title}{t}\n"),
            Message::MeterMod(m) => format!("{title} ADD {}\n", m.meter),
            _ => continue,
        };
        assert_eq!(ours, want_text, "Display of {} ({want_hex})", msg.name());
    }
}

#[test]
fn error_names_cover_the_codes_ovn_handles() {
    for name in [
        "NXTTMFC_ALREADY_MAPPED",
        "NXTTMFC_DUP_ENTRY",
        "NXR_STALE",
        "OFPBFC_MSG_FAILED",
        "OFPBFC_TIMEOUT",
        "OFPBAC_BAD_OUT_GROUP",
        "OFPBMC_BAD_PREREQ",
    ] {
        let e = ErrorMsg::from_name(name, Bytes::new()).unwrap();
        assert_eq!(e.name(), Some(name));
        let b = Message::Error(e.clone()).to_bytes(9).unwrap();
        let (_, Message::Error(d)) = Message::decode(&b).unwrap() else {
            panic!("not an error")
        };
        assert_eq!(d, e);
    }
    // NX errors in OF1.2+ are experimenter errors: type 0xffff, vendor 0x2320.
    let e = ErrorMsg::from_name("NXR_STALE", Bytes::new()).unwrap();
    assert_eq!((e.ty, e.code, e.experimenter), (0xffff, 35, Some(0x2320)));
}
