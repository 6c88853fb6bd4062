//! `OFPT_FLOW_MOD`, OF1.5 layout (`struct ofp11_flow_mod` with `importance`, then `ofp_match`,
//! then instructions).

use bytes::{BufMut, Bytes, BytesMut};

use super::header::{self, MsgType};
use super::raw::{RawInstructions, RawMatch};
use super::wire::Cursor;
use super::{MsgError, Xid, ofp_match};

/// `OFPFC_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowModCommand(pub u8);

impl FlowModCommand {
    pub const ADD: Self = Self(0);
    pub const MODIFY: Self = Self(1);
    pub const MODIFY_STRICT: Self = Self(2);
    pub const DELETE: Self = Self(3);
    pub const DELETE_STRICT: Self = Self(4);

    /// The word `ovs-ofctl` prints for it in a flow_mod (`ADD`, `MOD_STRICT`…).
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "ADD",
            1 => "MOD",
            2 => "MOD_STRICT",
            3 => "DEL",
            4 => "DEL_STRICT",
            _ => "cmd:?",
        }
    }
}

/// `OFPFF_*` flow_mod flags.
pub mod flow_mod_flags {
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    pub const RESET_COUNTS: u16 = 1 << 2;
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    pub const NO_BYT_COUNTS: u16 = 1 << 4;
}

/// `OFPP_ANY` (no out_port restriction).
pub const OFPP_ANY: u32 = 0xffff_ffff;
/// `OFPG_ANY` (no out_group restriction).
pub const OFPG_ANY: u32 = 0xffff_ffff;
/// `OFP_NO_BUFFER`.
pub const NO_BUFFER: u32 = 0xffff_ffff;
/// Default flow priority (`OFP_DEFAULT_PRIORITY`).
pub const DEFAULT_PRIORITY: u16 = 0x8000;

/// A flow_mod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowMod {
    pub cookie: u64,
    /// For MODIFY/DELETE: which cookie bits must match (0 = any).
    pub cookie_mask: u64,
    pub table_id: u8,
    pub command: FlowModCommand,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub priority: u16,
    pub buffer_id: u32,
    /// For DELETE: only flows that output to this port (`OFPP_ANY` = any).
    pub out_port: u32,
    /// For DELETE: only flows that use this group (`OFPG_ANY` = any).
    pub out_group: u32,
    pub flags: u16,
    pub importance: u16,
    pub match_: RawMatch,
    pub instructions: RawInstructions,
}

impl Default for FlowMod {
    fn default() -> Self {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id: 0,
            command: FlowModCommand::ADD,
            idle_timeout: 0,
            hard_timeout: 0,
            priority: DEFAULT_PRIORITY,
            buffer_id: NO_BUFFER,
            out_port: OFPP_ANY,
            out_group: OFPG_ANY,
            flags: 0,
            importance: 0,
            match_: RawMatch::default(),
            instructions: RawInstructions::default(),
        }
    }
}

impl FlowMod {
    /// A delete-all (every table, every flow), as OVN sends inside its first bundle.
    pub fn delete_all() -> FlowMod {
        FlowMod {
            command: FlowModCommand::DELETE,
            table_id: 0xff,
            ..Default::default()
        }
    }

    /// The whole message with `xid` in a fresh buffer.
    pub fn to_msg_bytes(&self, xid: Xid) -> Bytes {
        let mut b = BytesMut::new();
        // The raw parts of a decoded or built flow_mod fit unless they exceed 64 KiB.
        match self.encode(xid, &mut b) {
            Ok(()) => b.freeze(),
            Err(_) => Bytes::new(),
        }
    }

    /// Appends the whole message (header included) with `xid`.
    pub fn encode(&self, xid: Xid, out: &mut BytesMut) -> Result<(), MsgError> {
        self.encode_with(
            xid,
            out,
            |out| {
                out.put_slice(&self.match_.0);
                Ok(())
            },
            |out| {
                out.put_slice(&self.instructions.0);
                Ok(())
            },
        )
    }

    /// Encodes the fixed part of this flow_mod with the match TLVs and instructions written by
    /// the given closures (the typed match/action codec plugs in here without an intermediate
    /// buffer).
    pub fn encode_with(
        &self,
        xid: Xid,
        out: &mut BytesMut,
        match_tlvs: impl FnOnce(&mut BytesMut) -> Result<(), MsgError>,
        instructions: impl FnOnce(&mut BytesMut) -> Result<(), MsgError>,
    ) -> Result<(), MsgError> {
        let mark = out.len();
        let r = (|| {
            let start = header::start(out, MsgType::FLOW_MOD, xid);
            out.put_u64(self.cookie);
            out.put_u64(self.cookie_mask);
            out.put_u8(self.table_id);
            out.put_u8(self.command.0);
            out.put_u16(self.idle_timeout);
            out.put_u16(self.hard_timeout);
            out.put_u16(self.priority);
            out.put_u32(self.buffer_id);
            out.put_u32(self.out_port);
            out.put_u32(self.out_group);
            out.put_u16(self.flags);
            out.put_u16(self.importance);
            ofp_match::encode(out, match_tlvs)?;
            instructions(out)?;
            header::finish(out, start, "flow_mod")
        })();
        if r.is_err() {
            out.truncate(mark);
        }
        r
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<FlowMod, MsgError> {
        let cookie = c.u64()?;
        let cookie_mask = c.u64()?;
        let table_id = c.u8()?;
        let command = FlowModCommand(c.u8()?);
        let idle_timeout = c.u16()?;
        let hard_timeout = c.u16()?;
        let priority = c.u16()?;
        let buffer_id = c.u32()?;
        let out_port = c.u32()?;
        let out_group = c.u32()?;
        let flags = c.u16()?;
        let importance = c.u16()?;
        let mut m = ofp_match::decode(c)?;
        let match_ = RawMatch(Bytes::copy_from_slice(m.rest()));
        let instructions = RawInstructions(Bytes::copy_from_slice(c.rest()));
        Ok(FlowMod {
            cookie,
            cookie_mask,
            table_id,
            command,
            idle_timeout,
            hard_timeout,
            priority,
            buffer_id,
            out_port,
            out_group,
            flags,
            importance,
            match_,
            instructions,
        })
    }
}
