//! OpenFlow 1.5 instructions and the instruction list of a flow (`actions=` text).

use std::fmt::{self, Write};
use std::str::FromStr;

use bytes::BufMut;

use super::error::ActionError;
use super::format::write_actions;
use super::parse::parse_actions;
use super::types::Action;
use super::wire::{actions_len, decode_actions, encode_actions};
use crate::codec::{Decode, DecodeError, DecodeErrorKind, Encode, Reader, put_zeros};
use crate::text::{parse_int, parse_u128, split_top};

const OFPIT_GOTO_TABLE: u16 = 1;
const OFPIT_WRITE_METADATA: u16 = 2;
const OFPIT_WRITE_ACTIONS: u16 = 3;
const OFPIT_APPLY_ACTIONS: u16 = 4;
const OFPIT_CLEAR_ACTIONS: u16 = 5;

/// One instruction. OVN uses only `ApplyActions`; `Meter` is an action in OF1.5
/// (OVS rejects the OF1.3 METER instruction there).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Instruction {
    ApplyActions(Vec<Action>),
    ClearActions,
    WriteActions(Vec<Action>),
    WriteMetadata { metadata: u64, mask: u64 },
    GotoTable(u8),
}

/// The instructions of a flow, kept in OVS's canonical order (apply, clear, write_actions,
/// write_metadata, goto_table). `Display`/`FromStr` use the `actions=` syntax:
/// `resubmit(,34),goto_table:5`, `drop` for nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Instructions(pub Vec<Instruction>);

fn rank(i: &Instruction) -> u8 {
    match i {
        Instruction::ApplyActions(_) => 0,
        Instruction::ClearActions => 1,
        Instruction::WriteActions(_) => 2,
        Instruction::WriteMetadata { .. } => 3,
        Instruction::GotoTable(_) => 4,
    }
}

impl Instructions {
    /// A single APPLY_ACTIONS (nothing at all for an empty list, as OVS encodes `drop`).
    pub fn apply(actions: Vec<Action>) -> Instructions {
        if actions.is_empty() {
            Instructions(Vec::new())
        } else {
            Instructions(vec![Instruction::ApplyActions(actions)])
        }
    }

    /// The APPLY_ACTIONS list, if any.
    pub fn apply_actions(&self) -> &[Action] {
        self.0
            .iter()
            .find_map(|i| match i {
                Instruction::ApplyActions(a) => Some(&a[..]),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

impl Instruction {
    pub fn encoded_len(&self) -> usize {
        match self {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => 8 + actions_len(a),
            Instruction::ClearActions | Instruction::GotoTable(_) => 8,
            Instruction::WriteMetadata { .. } => 24,
        }
    }

    pub fn encode<B: BufMut>(&self, out: &mut B) {
        let len = u16::try_from(self.encoded_len()).unwrap_or(u16::MAX);
        match self {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
                out.put_u16(if matches!(self, Instruction::ApplyActions(_)) {
                    OFPIT_APPLY_ACTIONS
                } else {
                    OFPIT_WRITE_ACTIONS
                });
                out.put_u16(len);
                put_zeros(out, 4);
                encode_actions(a, out);
            }
            Instruction::ClearActions => {
                out.put_u16(OFPIT_CLEAR_ACTIONS);
                out.put_u16(8);
                put_zeros(out, 4);
            }
            Instruction::GotoTable(t) => {
                out.put_u16(OFPIT_GOTO_TABLE);
                out.put_u16(8);
                out.put_u8(*t);
                put_zeros(out, 3);
            }
            Instruction::WriteMetadata { metadata, mask } => {
                out.put_u16(OFPIT_WRITE_METADATA);
                out.put_u16(24);
                put_zeros(out, 4);
                out.put_u64(*metadata);
                out.put_u64(*mask);
            }
        }
    }
}

impl Encode for Instructions {
    fn encoded_len(&self) -> usize {
        self.0.iter().map(Instruction::encoded_len).sum()
    }
    fn encode<B: BufMut>(&self, out: &mut B) {
        for i in &self.0 {
            i.encode(out);
        }
    }
}

impl<'a> Decode<'a> for Instructions {
    /// Decodes instructions filling all of `r`.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let saved = r.context();
        r.set_context("instruction");
        let mut out: Vec<Instruction> = Vec::new();
        while !r.is_empty() {
            let start = r.offset();
            let ty = r.u16()?;
            let len = usize::from(r.u16()?);
            if len < 8 || len % 8 != 0 {
                return Err(r.error_at(DecodeErrorKind::BadLength { len }, start));
            }
            let mut b = r.sub(len - 4)?;
            let ins = match ty {
                OFPIT_APPLY_ACTIONS | OFPIT_WRITE_ACTIONS => {
                    b.skip(4)?;
                    let a = decode_actions(&mut b)?;
                    if ty == OFPIT_APPLY_ACTIONS {
                        Instruction::ApplyActions(a)
                    } else {
                        Instruction::WriteActions(a)
                    }
                }
                OFPIT_CLEAR_ACTIONS => Instruction::ClearActions,
                OFPIT_GOTO_TABLE => Instruction::GotoTable(b.u8()?),
                OFPIT_WRITE_METADATA => {
                    b.skip(4)?;
                    Instruction::WriteMetadata {
                        metadata: b.u64()?,
                        mask: b.u64()?,
                    }
                }
                _ => {
                    return Err(r.error_at(
                        DecodeErrorKind::Unknown {
                            code: u64::from(ty),
                        },
                        start,
                    ));
                }
            };
            if out.iter().any(|i| rank(i) == rank(&ins)) {
                // OFPBIC_DUP_INST
                return Err(r.error_at(
                    DecodeErrorKind::BadValue {
                        value: u64::from(ty),
                    },
                    start,
                ));
            }
            out.push(ins);
        }
        out.sort_by_key(rank);
        r.set_context(saved);
        Ok(Instructions(out))
    }
}

impl fmt::Display for Instructions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self
            .0
            .iter()
            .all(|i| matches!(i, Instruction::ApplyActions(a) if a.is_empty()))
        {
            return f.write_str("drop");
        }
        let mut first = true;
        for i in &self.0 {
            let mut sep = |f: &mut fmt::Formatter<'_>| {
                if !first {
                    f.write_char(',')?;
                }
                first = false;
                Ok::<(), fmt::Error>(())
            };
            match i {
                Instruction::ApplyActions(a) if a.is_empty() => {}
                Instruction::ApplyActions(a) => {
                    sep(f)?;
                    write_actions(f, a)?;
                }
                Instruction::ClearActions => {
                    sep(f)?;
                    f.write_str("clear_actions")?;
                }
                Instruction::WriteActions(a) => {
                    sep(f)?;
                    f.write_str("write_actions(")?;
                    write_actions(f, a)?;
                    f.write_char(')')?;
                }
                Instruction::WriteMetadata { metadata, mask } => {
                    sep(f)?;
                    write!(f, "write_metadata:{metadata:#x}")?;
                    if *mask != u64::MAX {
                        write!(f, "/{mask:#x}")?;
                    }
                }
                Instruction::GotoTable(t) => {
                    sep(f)?;
                    write!(f, "goto_table:{t}")?;
                }
            }
        }
        Ok(())
    }
}

impl FromStr for Instructions {
    type Err = ActionError;

    /// The text after `actions=`; instruction keywords may appear anywhere in the list.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut apply = Vec::new();
        let mut rest: Vec<Instruction> = Vec::new();
        let items = split_top(s);
        let mut plain: Vec<&str> = Vec::new();
        for item in &items {
            let bad = || ActionError::BadArg {
                action: "instruction",
                text: (*item).to_owned(),
            };
            if let Some(t) = item.strip_prefix("goto_table:") {
                rest.push(Instruction::GotoTable(parse_int(t.trim()).ok_or_else(bad)?));
            } else if *item == "clear_actions" {
                rest.push(Instruction::ClearActions);
            } else if let Some(m) = item.strip_prefix("write_metadata:") {
                let (v, mk) = match m.split_once('/') {
                    Some((v, mk)) => (v, Some(mk)),
                    None => (m, None),
                };
                let metadata = parse_u128(v)
                    .and_then(|v| u64::try_from(v).ok())
                    .ok_or_else(bad)?;
                let mask = match mk {
                    Some(mk) => parse_u128(mk)
                        .and_then(|v| u64::try_from(v).ok())
                        .ok_or_else(bad)?,
                    None => u64::MAX,
                };
                rest.push(Instruction::WriteMetadata { metadata, mask });
            } else if let Some(inner) = item
                .strip_prefix("write_actions(")
                .and_then(|x| x.strip_suffix(')'))
            {
                rest.push(Instruction::WriteActions(parse_actions(inner)?));
            } else {
                plain.push(item);
            }
        }
        if !plain.is_empty() {
            apply = parse_actions(&plain.join(","))?;
        }
        let mut out = Vec::new();
        if !apply.is_empty() {
            out.push(Instruction::ApplyActions(apply));
        }
        out.extend(rest);
        out.sort_by_key(rank);
        Ok(Instructions(out))
    }
}
