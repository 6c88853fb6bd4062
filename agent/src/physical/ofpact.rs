//! The OpenFlow actions physical flows are made of, with `Display` in `ovs-ofctl -O OpenFlow15`
//! syntax (OVS `ofpacts_format`): the small subset physical.c emits.
//!
//! Kept local to the physical flows so that they can be computed and compared with a real
//! ovn-controller's dump independently of the general action codec.

use std::fmt::{self, Write as _};

use openflow::action::{Action, Bundle, SetField};
use openflow::field::{Field, Subfield, Value};

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ofpact {
    /// `set_field:VALUE[/MASK]->FIELD`; `mask` is `None` for the whole field. `width` is the
    /// value's width in bytes as OVS prints it (a `tun_metadataN` has the width of its TLV
    /// mapping, 4 for OVN's option).
    SetField {
        /// Destination.
        field: Field,
        /// Value (already shifted into place).
        value: u128,
        /// Bits written, `None` for all of them.
        mask: Option<u128>,
    },
    /// `move:SRC->DST`.
    Move {
        /// Source bits.
        src: Subfield,
        /// Destination bits.
        dst: Subfield,
    },
    /// `resubmit(,TABLE)`.
    Resubmit(u8),
    /// `output:PORT`.
    Output(u16),
    /// `push:FIELD[]`.
    StackPush(Subfield),
    /// `pop:FIELD[]`.
    StackPop(Subfield),
    /// `pop_vlan` (OVS `strip_vlan`).
    PopVlan,
    /// `push_vlan:ETHERTYPE`.
    PushVlan(u16),
    /// `clone(ACTIONS)`.
    Clone(Vec<Ofpact>),
    /// `ct_clear`.
    CtClear,
    /// `bundle(eth_src,0,active_backup,ofport,members:P,...)`: output to the first live member.
    BundleActiveBackup(Vec<u16>),
    /// Any other action, in the `openflow` crate's model (`learn`, `ct`, …).
    Raw(Action),
    /// `conjunction(ID,CLAUSE/N)`; `clause` is 0-based as in OVS's struct (printed 1-based).
    Conjunction {
        /// Conjunction id.
        id: u32,
        /// 0-based clause index.
        clause: u8,
        /// Number of clauses.
        n_clauses: u8,
    },
}

impl Ofpact {
    /// `put_load`: write `value` into bits `ofs..ofs+n_bits` of `field`.
    pub fn load(field: Field, ofs: u16, n_bits: u16, value: u64) -> Ofpact {
        let width = value_bits(field);
        let bits = u32::from(n_bits);
        let ones = if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let mask = ones << ofs;
        let value = (u128::from(value) << ofs) & mask;
        let full = if width >= 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        Ofpact::SetField {
            field,
            value,
            mask: (mask & full != full).then_some(mask & full),
        }
    }

    /// `set_field` of a whole field.
    pub fn set(field: Field, value: u128) -> Ofpact {
        Ofpact::SetField {
            field,
            value,
            mask: None,
        }
    }

    /// `put_move`.
    pub fn move_bits(src: Field, src_ofs: u16, dst: Field, dst_ofs: u16, n_bits: u16) -> Ofpact {
        Ofpact::Move {
            src: Subfield::new(src, src_ofs, n_bits),
            dst: Subfield::new(dst, dst_ofs, n_bits),
        }
    }
}

impl Ofpact {
    /// The same action in the `openflow` crate's model, for installation.
    pub fn to_action(&self) -> Action {
        match self {
            Ofpact::SetField { field, value, mask } => {
                let n = if field.is_tun_metadata() {
                    4
                } else {
                    field.n_bytes().min(Value::MAX_LEN)
                };
                Action::SetField(Box::new(SetField {
                    field: *field,
                    value: Value::from_u128(*value, n),
                    mask: mask.map(|m| Value::from_u128(m, n)),
                }))
            }
            Ofpact::Move { src, dst } => Action::move_field(*src, *dst),
            Ofpact::Resubmit(t) => Action::resubmit_table(*t),
            Ofpact::Output(p) => Action::output(*p),
            Ofpact::StackPush(s) => Action::Push(*s),
            Ofpact::StackPop(s) => Action::Pop(*s),
            Ofpact::PopVlan => Action::PopVlan,
            Ofpact::PushVlan(t) => Action::PushVlan(*t),
            Ofpact::Clone(inner) => Action::Clone(Box::new(to_actions(inner))),
            Ofpact::CtClear => Action::CtClear,
            Ofpact::Raw(a) => a.clone(),
            // active_backup (0) over eth_src (0), basis 0, as physical.c sets them.
            Ofpact::BundleActiveBackup(members) => Action::Bundle(Box::new(Bundle {
                algorithm: 0,
                fields: 0,
                basis: 0,
                dst: None,
                members: members.clone(),
            })),
            Ofpact::Conjunction {
                id,
                clause,
                n_clauses,
            } => Action::Conjunction {
                id: *id,
                clause: *clause,
                n_clauses: *n_clauses,
            },
        }
    }
}

/// Converts a list (see [`Ofpact::to_action`]).
pub fn to_actions(acts: &[Ofpact]) -> Vec<Action> {
    acts.iter().map(Ofpact::to_action).collect()
}

/// The width OVS uses for a field's values in actions: `tun_metadataN` is OVN's 4-byte option.
fn value_bits(field: Field) -> u32 {
    if field.is_tun_metadata() {
        32
    } else {
        u32::from(field.n_bits())
    }
}

/// `mf_format` of a value of `field`.
fn write_value(f: &mut impl fmt::Write, field: Field, v: u128) -> fmt::Result {
    if field == Field::IN_PORT {
        return match v {
            0xffff => f.write_str("ANY"),
            0xfff8 => f.write_str("IN_PORT"),
            0xfffe => f.write_str("LOCAL"),
            0xfffd => f.write_str("CONTROLLER"),
            _ => write!(f, "{v}"),
        };
    }
    if field == Field::VLAN_VID {
        return write!(f, "{v}");
    }
    if field == Field::ETH_SRC || field == Field::ETH_DST {
        let b = v.to_be_bytes();
        return write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[10], b[11], b[12], b[13], b[14], b[15]
        );
    }
    if v == 0 {
        f.write_char('0')
    } else {
        write!(f, "{v:#x}")
    }
}

impl fmt::Display for Ofpact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ofpact::SetField { field, value, mask } => {
                f.write_str("set_field:")?;
                write_value(f, *field, *value)?;
                if let Some(m) = mask {
                    f.write_char('/')?;
                    write_value(f, *field, *m)?;
                }
                write!(f, "->{}", field.name())
            }
            Ofpact::Move { src, dst } => write!(f, "move:{src}->{dst}"),
            Ofpact::Resubmit(t) => write!(f, "resubmit(,{t})"),
            Ofpact::Output(p) => write!(f, "output:{p}"),
            Ofpact::StackPush(s) => write!(f, "push:{s}"),
            Ofpact::StackPop(s) => write!(f, "pop:{s}"),
            Ofpact::PopVlan => f.write_str("pop_vlan"),
            Ofpact::PushVlan(t) => write!(f, "push_vlan:{t:#x}"),
            Ofpact::Clone(inner) => {
                f.write_str("clone(")?;
                write_list(f, inner)?;
                f.write_char(')')
            }
            Ofpact::CtClear => f.write_str("ct_clear"),
            Ofpact::Raw(a) => write!(f, "{a}"),
            Ofpact::BundleActiveBackup(members) => {
                f.write_str("bundle(eth_src,0,active_backup,ofport,members:")?;
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{m}")?;
                }
                f.write_char(')')
            }
            Ofpact::Conjunction {
                id,
                clause,
                n_clauses,
            } => write!(
                f,
                "conjunction({id},{}/{n_clauses})",
                u16::from(*clause) + 1
            ),
        }
    }
}

/// `ofpacts_format`: comma-separated, `drop` when empty.
pub fn write_list(f: &mut impl fmt::Write, acts: &[Ofpact]) -> fmt::Result {
    if acts.is_empty() {
        return f.write_str("drop");
    }
    for (i, a) in acts.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(a: &Ofpact) -> String {
        a.to_string()
    }

    #[test]
    fn formats_like_ovs_ofctl() {
        assert_eq!(
            text(&Ofpact::load(Field::reg(13), 0, 32, 6)),
            "set_field:0x6->reg13"
        );
        assert_eq!(
            text(&Ofpact::load(Field::reg(15), 0, 32, 0)),
            "set_field:0->reg15"
        );
        assert_eq!(
            text(&Ofpact::load(Field::reg(10), 10, 1, 1)),
            "set_field:0x400/0x400->reg10"
        );
        assert_eq!(
            text(&Ofpact::load(Field::METADATA, 0, 64, 3)),
            "set_field:0x3->metadata"
        );
        assert_eq!(
            text(&Ofpact::load(Field::TUN_ID, 0, 24, 1)),
            "set_field:0x1/0xffffff->tun_id"
        );
        assert_eq!(
            text(&Ofpact::load(Field::tun_metadata(0), 0, 32, 0x8004)),
            "set_field:0x8004->tun_metadata0"
        );
        assert_eq!(
            text(&Ofpact::load(Field::IN_PORT, 0, 16, 0xffff)),
            "set_field:ANY->in_port"
        );
        assert_eq!(
            text(&Ofpact::set(Field::VLAN_VID, 0x1000 | 42)),
            "set_field:4138->vlan_vid"
        );
        assert_eq!(
            text(&Ofpact::set(Field::ETH_SRC, 0x0000_0000_ff02)),
            "set_field:00:00:00:00:ff:02->eth_src"
        );
        assert_eq!(
            text(&Ofpact::move_bits(
                Field::reg(14),
                0,
                Field::tun_metadata(0),
                16,
                15
            )),
            "move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30]"
        );
        assert_eq!(
            text(&Ofpact::move_bits(Field::TUN_ID, 0, Field::METADATA, 0, 24)),
            "move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23]"
        );
        assert_eq!(
            text(&Ofpact::StackPush(Subfield::whole(Field::IN_PORT))),
            "push:NXM_OF_IN_PORT[]"
        );
        assert_eq!(
            text(&Ofpact::BundleActiveBackup(vec![1, 2])),
            "bundle(eth_src,0,active_backup,ofport,members:1,2)"
        );
        assert_eq!(
            text(&Ofpact::Conjunction {
                id: 100,
                clause: 1,
                n_clauses: 2
            }),
            "conjunction(100,2/2)"
        );
        let mut s = String::new();
        write_list(&mut s, &[]).unwrap();
        assert_eq!(s, "drop");
        let c = Ofpact::Clone(vec![Ofpact::CtClear, Ofpact::Resubmit(8)]);
        assert_eq!(text(&c), "clone(ct_clear,resubmit(,8))");
    }

    #[test]
    fn converts_to_openflow_actions_that_print_the_same() {
        let acts = vec![
            Ofpact::load(Field::reg(13), 0, 32, 6),
            Ofpact::load(Field::reg(10), 10, 1, 1),
            Ofpact::load(Field::TUN_ID, 0, 24, 1),
            Ofpact::load(Field::tun_metadata(0), 0, 32, 0x8004),
            Ofpact::move_bits(Field::reg(14), 0, Field::tun_metadata(0), 16, 15),
            Ofpact::StackPush(Subfield::whole(Field::IN_PORT)),
            Ofpact::load(Field::IN_PORT, 0, 16, 0xffff),
            Ofpact::StackPop(Subfield::whole(Field::IN_PORT)),
            Ofpact::PushVlan(0x8100),
            Ofpact::set(Field::VLAN_VID, 0x1000 | 42),
            Ofpact::Output(4),
            Ofpact::PopVlan,
            Ofpact::set(Field::ETH_SRC, 0xff02),
            Ofpact::Clone(vec![Ofpact::CtClear, Ofpact::Resubmit(8)]),
            Ofpact::Conjunction {
                id: 100,
                clause: 1,
                n_clauses: 2,
            },
        ];
        let mut ours = String::new();
        write_list(&mut ours, &acts).unwrap();
        let mut theirs = String::new();
        openflow::action::write_actions(&mut theirs, &to_actions(&acts)).unwrap();
        assert_eq!(ours, theirs);
        // The bundle, as OVS encodes `encode_BUNDLE` (NXAST_BUNDLE, 32 bytes + members).
        let b = to_actions(&[Ofpact::BundleActiveBackup(vec![1, 2, 3])]);
        let mut text = String::new();
        openflow::action::write_actions(&mut text, &b).unwrap();
        assert_eq!(text, "bundle(eth_src,0,active_backup,ofport,members:1,2,3)");
        let mut wire: Vec<u8> = Vec::new();
        openflow::action::encode_actions(&b, &mut wire);
        assert_eq!(wire.len(), 40);
        assert_eq!(&wire[..10], &[0xff, 0xff, 0, 40, 0, 0, 0x23, 0x20, 0, 12]);
        assert_eq!(&wire[32..38], &[0, 1, 0, 2, 0, 3]);
    }
}
