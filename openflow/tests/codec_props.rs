//! Property tests of the codec layer: decoders and parsers never panic on any input, and
//! encode → decode → encode is the identity for generated matches and actions.

use openflow::action::{
    Action, Bundle, Controller, Ct, CtZone, Instructions, Learn, LearnSpec, LearnSrc, Multipath,
    Nat, NatRange, Sample, decode_actions, encode_actions, parse_actions, write_actions,
};
use openflow::codec::{Decode, Encode, Reader};
use openflow::field::{Field, Subfield};
use openflow::flow_match::Match;
use proptest::prelude::*;

const CORPUS: &str = include_str!("text_corpus.txt");

fn corpus_wires() -> Vec<Vec<u8>> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(2))
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|j| u8::from_str_radix(&h[j..j + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

fn corpus_texts() -> Vec<String> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(1))
        .map(str::to_owned)
        .collect()
}

fn decode_all(bytes: &[u8]) {
    let _ = Match::decode(&mut Reader::new(bytes));
    let _ = Match::decode_oxm_fields(&mut Reader::new(bytes));
    let _ = decode_actions(&mut Reader::new(bytes));
    let _ = Instructions::decode(&mut Reader::new(bytes));
    let mut r = Reader::new(bytes);
    if Match::decode(&mut r).is_ok() {
        let _ = Instructions::decode(&mut r);
    }
}

fn parse_all(s: &str) {
    let _ = s.parse::<Match>();
    let _ = parse_actions(s);
    let _ = s.parse::<Instructions>();
    let _ = s.parse::<Subfield>();
    let _ = s.parse::<Action>();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        decode_all(&bytes);
    }

    /// Mutations of real OVS encodings reach deep into the decoders.
    #[test]
    fn decoders_never_panic_on_mutated_ovs_bytes(idx in any::<prop::sample::Index>(),
                                                 muts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
                                                 cut in any::<prop::sample::Index>()) {
        let wires = corpus_wires();
        let mut w = wires[idx.index(wires.len())].clone();
        for (i, b) in muts {
            let n = w.len();
            w[i.index(n)] = b;
        }
        decode_all(&w);
        let c = cut.index(w.len() + 1);
        decode_all(&w[..c]);
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in "\\PC{0,80}") {
        parse_all(&s);
    }

    #[test]
    fn parsers_never_panic_on_mutated_ovs_text(idx in any::<prop::sample::Index>(),
                                               pos in any::<prop::sample::Index>(),
                                               ins in "[-,:()\\[\\]./=0-9a-zA-Z>+_]{0,4}",
                                               del in 0usize..4) {
        let texts = corpus_texts();
        let t = &texts[idx.index(texts.len())];
        let body = t.split_once("actions=").map_or(t.as_str(), |(_, a)| a);
        let chars: Vec<char> = body.chars().collect();
        let p = pos.index(chars.len() + 1);
        let end = (p + del).min(chars.len());
        let s: String = chars[..p].iter().chain(ins.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect();
        parse_all(&s);
        let m = t.split_once(" actions=").map_or("", |(m, _)| m);
        parse_all(m);
    }

    #[test]
    fn match_encode_decode_identity(m in arb_match()) {
        let wire = m.to_vec();
        prop_assert_eq!(wire.len(), m.encoded_len());
        let d = Match::decode(&mut Reader::new(&wire)).expect("decode our own encoding");
        prop_assert_eq!(&d, &m);
        prop_assert_eq!(d.to_vec(), wire);
        // Text round trip.
        let t = m.to_string();
        let p: Match = t.parse().unwrap_or_else(|e| panic!("{t}: {e}"));
        prop_assert_eq!(p.to_string(), t);
    }

    #[test]
    fn actions_encode_decode_identity(acts in proptest::collection::vec(arb_action(), 0..6)) {
        let mut wire = Vec::new();
        encode_actions(&acts, &mut wire);
        prop_assert_eq!(wire.len(), openflow::action::actions_len(&acts));
        let d = decode_actions(&mut Reader::new(&wire)).expect("decode our own encoding");
        let mut re = Vec::new();
        encode_actions(&d, &mut re);
        prop_assert_eq!(&re, &wire);
        // Text round trip: Display → FromStr → Display is stable and encodes the same.
        let mut t = String::new();
        write_actions(&mut t, &d).unwrap();
        let p = parse_actions(&t).unwrap_or_else(|e| panic!("{t}: {e}"));
        let mut t2 = String::new();
        write_actions(&mut t2, &p).unwrap();
        prop_assert_eq!(&t2, &t);
        let mut w2 = Vec::new();
        encode_actions(&p, &mut w2);
        prop_assert_eq!(w2, wire);
    }
}

/// Matches built like OVN's: a protocol template, then fields whose prerequisites hold.
fn arb_match() -> impl Strategy<Value = Match> {
    let proto = prop_oneof![
        Just((None, None)),
        Just((Some(0x0800u16), None)),
        Just((Some(0x0800), Some(6u8))),
        Just((Some(0x0800), Some(17))),
        Just((Some(0x0800), Some(1))),
        Just((Some(0x86dd), None)),
        Just((Some(0x86dd), Some(6))),
        Just((Some(0x86dd), Some(58))),
        Just((Some(0x0806), None)),
    ];
    let fields = proptest::collection::vec(
        (0u8..144, any::<u128>(), any::<u128>(), any::<bool>()),
        0..8,
    );
    (proto, fields, any::<u8>()).prop_map(|((dl, np), fields, ct)| {
        let mut m = Match::new();
        if let Some(dl) = dl {
            m.set(Field::ETH_TYPE, dl).unwrap();
        }
        if let Some(np) = np {
            m.set(Field::IP_PROTO, np).unwrap();
        }
        if ct & 1 == 1 {
            m.set_masked(Field::CT_STATE, 0x20u32, 0x21u32).unwrap();
        }
        for (f, v, mk, masked) in fields {
            let field = Field(f);
            let info = field.info();
            if !m.prereq_ok(info.prereq)
                || field == Field::ETH_TYPE
                || field == Field::IP_PROTO
                || field == Field::PACKET_TYPE
                || field == Field::CT_STATE
                || field == Field::ICMPV6_TYPE
                || field == Field::ICMPV6_CODE
            {
                continue;
            }
            if field.is_tun_metadata() {
                let _ = m.set_bytes(field, &v.to_be_bytes()[12..], None);
                continue;
            }
            let full = field.full_mask().to_u128();
            let full = if field == Field::VLAN_TCI {
                0xffff
            } else {
                full
            };
            // A VLAN match is only meaningful with the CFI ("VLAN present") bit; OVS's own
            // encoding of a PCP match without it is rejected by vswitchd as well.
            // OXM vlan_pcp cannot carry a partial PCP mask (OVS widens it too).
            let (v, mk) = if field == Field::VLAN_TCI {
                (
                    v | 0x1000,
                    mk | 0x1000 | if mk & 0xe000 != 0 { 0xe000 } else { 0 },
                )
            } else {
                (v, mk)
            };
            let v = v & full;
            let _ = if masked && info.maskable {
                m.set_masked(field, v, mk & full)
            } else {
                m.set(field, v)
            };
        }
        m
    })
}

fn arb_subfield() -> impl Strategy<Value = Subfield> {
    let fields = prop_oneof![
        (0u8..16).prop_map(Field::reg),
        (0u8..8).prop_map(Field::xreg),
        (0u8..4).prop_map(Field::xxreg),
        Just(Field::ETH_SRC),
        Just(Field::METADATA),
        Just(Field::VLAN_TCI),
        Just(Field::IPV6_SRC),
    ];
    (fields, any::<u16>(), any::<u16>()).prop_map(|(f, a, b)| {
        let w = f.n_bits();
        let ofs = a % w;
        let n = 1 + b % (w - ofs);
        Subfield::new(f, ofs, n)
    })
}

fn sized(sf: Subfield, n: u16) -> Subfield {
    let n = n.min(sf.field.n_bits());
    let ofs = sf.ofs.min(sf.field.n_bits() - n);
    Subfield::new(sf.field, ofs, n)
}

fn arb_action() -> impl Strategy<Value = Action> {
    let leaf = prop_oneof![
        (0u16..0xff00).prop_map(Action::output),
        prop_oneof![
            Just(0xfff8u16),
            Just(0xfffa),
            Just(0xfffb),
            Just(0xfffc),
            Just(0xfffe)
        ]
        .prop_map(Action::output),
        any::<u32>().prop_map(Action::Group),
        (0u8..16, any::<u32>()).prop_map(|(r, v)| Action::set_field(Field::reg(r), v).unwrap()),
        (0u8..16, any::<u32>(), any::<u32>()).prop_map(|(r, v, m)| Action::set_field_masked(
            Field::reg(r),
            v,
            m | 1
        )
        .unwrap()),
        (any::<u128>()).prop_map(|v| Action::set_field(Field::xxreg(1), v).unwrap()),
        any::<[u8; 6]>().prop_map(|mac| Action::set_field(Field::ETH_SRC, mac).unwrap()),
        (arb_subfield(), arb_subfield()).prop_map(|(s, d)| {
            let n = s.n_bits.min(d.n_bits);
            Action::Move {
                src: sized(s, n),
                dst: sized(d, n),
            }
        }),
        arb_subfield().prop_map(Action::Push),
        arb_subfield().prop_map(Action::Pop),
        Just(Action::PopVlan),
        Just(Action::PushVlan(0x8100)),
        (0u16..0xff00, 0u8..255, any::<bool>()).prop_map(|(p, t, ct)| Action::Resubmit {
            port: p,
            table: t,
            ct
        }),
        (0u8..255).prop_map(Action::resubmit_table),
        Just(Action::CtClear),
        Just(Action::Exit),
        Just(Action::DecTtl),
        proptest::collection::vec(any::<u16>(), 1..4)
            .prop_map(|v| Action::DecTtlCntIds(Box::new(v))),
        (any::<u32>(), 2u8..64, any::<u8>()).prop_map(|(id, n, k)| Action::Conjunction {
            id,
            clause: k % n,
            n_clauses: n
        }),
        proptest::collection::vec(any::<u8>(), 6..20).prop_map(|mut v| {
            let total = (10 + v.len()).div_ceil(8) * 8 - 10;
            v.resize(total, 0);
            Action::Note(Box::new(v))
        }),
        (any::<u16>(), 0u8..16, 0u16..32).prop_map(|(l, r, b)| Action::CheckPktLarger {
            pkt_len: l,
            dst: Subfield::new(Field::reg(r), b, 1)
        }),
        any::<u32>().prop_map(Action::Meter),
        any::<u32>().prop_map(Action::SetQueue),
        (any::<u16>(), any::<u16>()).prop_map(|(i, h)| Action::FinTimeout { idle: i, hard: h }),
        (
            proptest::collection::vec(any::<u8>(), 0..30),
            any::<bool>(),
            any::<u16>(),
            prop_oneof![Just(0u32), any::<u32>()]
        )
            .prop_map(|(ud, pause, ml, meter)| Action::controller(Controller {
                userdata: ud.into(),
                pause,
                max_len: ml,
                meter_id: meter,
                ..Controller::default()
            })),
        (1u16.., any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(p, c, d, o)| Action::Sample(
            Box::new(Sample {
                probability: p,
                collector_set_id: c,
                obs_domain_id: d,
                obs_point_id: o,
                ..Sample::default()
            })
        )),
        (
            any::<bool>(),
            0u8..=255,
            any::<u16>(),
            arb_nat(),
            any::<u32>()
        )
            .prop_map(|(commit, table, zone, nat, mark)| {
                let mut actions = Vec::new();
                if let Some(n) = nat {
                    actions.push(Action::Nat(Box::new(n)));
                }
                if mark & 1 == 1 {
                    actions.push(Action::set_field_masked(Field::CT_MARK, mark, 0xffu32).unwrap());
                }
                Action::Ct(Box::new(Ct {
                    commit,
                    force: false,
                    table,
                    zone: if zone & 1 == 1 {
                        CtZone::Imm(zone)
                    } else {
                        CtZone::Field(Subfield::new(Field::reg(13), 0, 16))
                    },
                    alg: 0,
                    actions,
                }))
            }),
        (any::<u16>(), any::<u16>(), 0u8..255, any::<u64>()).prop_map(
            |(idle, hard, table, cookie)| Action::Learn(Box::new(Learn {
                idle_timeout: idle,
                hard_timeout: hard,
                table,
                cookie,
                flags: Learn::F_DELETE_LEARNED,
                specs: vec![
                    LearnSpec::Match {
                        src: LearnSrc::Field(Subfield::whole(Field::METADATA)),
                        dst: Subfield::whole(Field::METADATA)
                    },
                    LearnSpec::Match {
                        src: LearnSrc::Imm(Box::new([0x08, 0x00])),
                        dst: Subfield::whole(Field::ETH_TYPE)
                    },
                    LearnSpec::Load {
                        src: LearnSrc::Imm(Box::new([0, 1])),
                        dst: Subfield::new(Field::reg(10), 13, 1)
                    },
                    LearnSpec::Load {
                        src: LearnSrc::Field(Subfield::whole(Field::reg(0))),
                        dst: Subfield::whole(Field::reg(1))
                    },
                ],
                ..Learn::default()
            }))
        ),
    ];
    let leaf = prop_oneof![
        leaf,
        (
            0u16..7,
            any::<u16>(),
            0u16..4,
            0u16..4,
            any::<u32>(),
            0u8..16
        )
            .prop_map(|(f, b, alg, ml, arg, r)| {
                Action::Multipath(Box::new(Multipath {
                    fields: f,
                    basis: b,
                    algorithm: alg,
                    max_link: ml,
                    arg,
                    dst: Subfield::new(Field::reg(r), 0, 2),
                }))
            }),
        (
            0u16..7,
            any::<u16>(),
            0u16..2,
            proptest::collection::vec(0u16..0xff00, 1..5),
            any::<bool>()
        )
            .prop_map(|(f, b, alg, members, load)| {
                Action::Bundle(Box::new(Bundle {
                    algorithm: alg,
                    fields: f,
                    basis: b,
                    dst: load.then(|| Subfield::whole(Field::reg(0))),
                    members,
                }))
            }),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        proptest::collection::vec(inner, 1..3).prop_map(|v| Action::Clone(Box::new(v)))
    })
}

fn arb_nat() -> impl Strategy<Value = Option<Nat>> {
    prop_oneof![
        Just(None),
        Just(Some(Nat {
            flags: 0,
            range: NatRange::None,
            proto_min: 0,
            proto_max: 0
        })),
        (any::<[u8; 4]>(), any::<u16>(), any::<bool>()).prop_map(|(a, p, src)| Some(Nat {
            flags: if src { Nat::F_SRC } else { Nat::F_DST },
            range: NatRange::V4 {
                min: [a[0] | 1, a[1], a[2], a[3]],
                max: None
            },
            proto_min: p,
            proto_max: 0,
        })),
    ]
}
