//! Instruction lists in `ovs-ofctl` text, through the action codec: OVN uses only
//! APPLY_ACTIONS, which ovs-ofctl prints as the bare action list (`actions=resubmit(,34)`),
//! and `drop` for an empty list. Messages keep the wire bytes ([`RawInstructions`]); these
//! helpers convert at the text boundary.

use bytes::BytesMut;

use crate::action::{
    Action, Instructions, actions_len, decode_actions, encode_actions, write_actions,
};
use crate::codec::{Decode, Encode, Reader};

use super::{RawActions, RawInstructions};

impl RawInstructions {
    /// One APPLY_ACTIONS instruction holding `actions` (what OVN's flows use); none when empty.
    pub fn apply_actions(actions: &[Action]) -> RawInstructions {
        if actions.is_empty() {
            return RawInstructions::default();
        }
        let ins = Instructions::apply(actions.to_vec());
        let mut b = BytesMut::with_capacity(ins.encoded_len());
        ins.encode(&mut b);
        RawInstructions(b.freeze())
    }

    /// Decodes the instructions with the action codec.
    pub fn to_instructions(&self) -> Result<Instructions, crate::codec::DecodeError> {
        Instructions::decode(&mut Reader::new(&self.0))
    }
}

impl RawActions {
    /// The wire form of `actions`.
    pub fn from_actions(actions: &[Action]) -> RawActions {
        let mut b = BytesMut::with_capacity(actions_len(actions));
        encode_actions(actions, &mut b);
        RawActions(b.freeze())
    }

    /// Decodes the actions with the action codec.
    pub fn to_actions(&self) -> Result<Vec<Action>, crate::codec::DecodeError> {
        decode_actions(&mut Reader::new(&self.0))
    }
}

/// Parses the text after `actions=` into encoded instructions.
pub fn parse(s: &str) -> Result<RawInstructions, String> {
    let ins: Instructions = s.trim().parse().map_err(|e| format!("{e}"))?;
    let mut b = BytesMut::with_capacity(ins.encoded_len());
    ins.encode(&mut b);
    Ok(RawInstructions(b.freeze()))
}

/// Appends the text of `ins` as dump-flows prints it after `actions=`.
pub fn format(out: &mut String, ins: &RawInstructions) -> Result<(), String> {
    if ins.0.is_empty() {
        out.push_str("drop");
        return Ok(());
    }
    let mut r = Reader::new(&ins.0);
    let ins = Instructions::decode(&mut r).map_err(|e| e.to_string())?;
    use std::fmt::Write;
    write!(out, "{ins}").map_err(|e| e.to_string())
}

/// Appends the text of an action list (group buckets): `drop` when empty.
pub fn format_actions(out: &mut String, acts: &RawActions) -> Result<(), String> {
    if acts.0.is_empty() {
        out.push_str("drop");
        return Ok(());
    }
    let mut r = Reader::new(&acts.0);
    let a = decode_actions(&mut r).map_err(|e| e.to_string())?;
    write_actions(out, &a).map_err(|e| e.to_string())
}
