//! Groups, OF1.5 layout: `OFPT_GROUP_MOD` (`struct ofp15_group_mod` with `command_bucket_id`),
//! buckets with properties (weight, watch port, watch group), the Netronome
//! `selection_method` group property, and the `OFPMP_GROUP_DESC` reply entries.
//! `openflow-1.5.h`, `netronome-ext.h`, `lib/ofp-group.c`.

use bytes::{BufMut, Bytes, BytesMut};

use super::MsgError;
use super::property;
use super::raw::RawActions;
use super::wire::{Cursor, patch_len, patch_u16};

/// `OFPGT11_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupType(pub u8);

impl GroupType {
    pub const ALL: Self = Self(0);
    pub const SELECT: Self = Self(1);
    pub const INDIRECT: Self = Self(2);
    pub const FF: Self = Self(3);

    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "all",
            1 => "select",
            2 => "indirect",
            3 => "ff",
            _ => "unknown",
        }
    }
}

/// `OFPGC15_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupCommand(pub u16);

impl GroupCommand {
    pub const ADD: Self = Self(0);
    pub const MODIFY: Self = Self(1);
    pub const DELETE: Self = Self(2);
    pub const INSERT_BUCKET: Self = Self(3);
    pub const REMOVE_BUCKET: Self = Self(5);
    /// OVS extension: add, or replace if it exists.
    pub const ADD_OR_MOD: Self = Self(0x8000);
}

/// `OFPG_ALL`: every group (delete-all, dump all).
pub const OFPG_ALL: u32 = 0xffff_fffc;
/// `OFPG15_BUCKET_ALL` / `_FIRST` / `_LAST` (command_bucket_id values).
pub const BUCKET_ALL: u32 = 0xffff_ffff;
pub const BUCKET_FIRST: u32 = 0xffff_fffd;
pub const BUCKET_LAST: u32 = 0xffff_fffe;

const OFPGBPT15_WEIGHT: u16 = 0;
const OFPGBPT15_WATCH_PORT: u16 = 1;
const OFPGBPT15_WATCH_GROUP: u16 = 2;
const OFPGPT15_EXPERIMENTER: u16 = 0xffff;
const NTR_VENDOR_ID: u32 = 0x0000_154d;
const NTR_COMPAT_VENDOR_ID: u32 = 0x0000_1540;
const NTRT_SELECTION_METHOD: u32 = 1;

/// One bucket. `weight` is `None` when the property is absent (OVS then uses 1 for select
/// groups and 0 otherwise); `watch_port` / `watch_group` use `OFPP_ANY` / `OFPG_ANY` for none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub bucket_id: u32,
    pub weight: Option<u16>,
    pub watch_port: u32,
    pub watch_group: u32,
    pub actions: RawActions,
}

impl Bucket {
    pub fn new(bucket_id: u32, actions: RawActions) -> Self {
        Bucket {
            bucket_id,
            weight: None,
            watch_port: 0xffff_ffff,
            watch_group: 0xffff_ffff,
            actions,
        }
    }

    /// The weight OVS reports for this bucket in a group of type `ty`.
    pub fn effective_weight(&self, ty: GroupType) -> u16 {
        self.weight
            .unwrap_or(if ty == GroupType::SELECT { 1 } else { 0 })
    }

    fn encode(&self, ty: GroupType, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(0);
        out.put_u32(self.bucket_id);
        out.put_slice(&self.actions.0);
        patch_u16(out, start + 2, self.actions.0.len(), "bucket actions")?;
        // Same rule as ofputil_put_ofp15_bucket: weight always for select groups.
        let w = self.effective_weight(ty);
        if ty == GroupType::SELECT || w != 0 {
            // 16-bit property values are padded to 32 bits (ofpprop_put_be16).
            let [hi, lo] = w.to_be_bytes();
            property::put_bytes(out, OFPGBPT15_WEIGHT, &[hi, lo, 0, 0])?;
        }
        if self.watch_port != 0xffff_ffff {
            property::put_u32(out, OFPGBPT15_WATCH_PORT, self.watch_port)?;
        }
        if self.watch_group != 0xffff_ffff {
            property::put_u32(out, OFPGBPT15_WATCH_GROUP, self.watch_group)?;
        }
        patch_len(out, start, 0, "ofp15_bucket")
    }

    fn decode(frame: &Bytes, c: &mut Cursor<'_>) -> Result<Bucket, MsgError> {
        c.context("ofp15_bucket");
        let len = usize::from(c.u16()?);
        if len < 8 {
            return Err(c.bad_len(len));
        }
        let mut b = c.sub(len - 2)?;
        let alen = usize::from(b.u16()?);
        let bucket_id = b.u32()?;
        let a_off = b.offset();
        b.skip(alen)?;
        let actions = RawActions(slice_at(frame, a_off, alen)?);
        let mut bucket = Bucket::new(bucket_id, actions);
        while let Some(mut p) = property::next(&mut b)? {
            match p.ty {
                OFPGBPT15_WEIGHT => bucket.weight = Some(p.body.u16()?),
                OFPGBPT15_WATCH_PORT => bucket.watch_port = p.body.u32()?,
                OFPGBPT15_WATCH_GROUP => bucket.watch_group = p.body.u32()?,
                _ => {}
            }
        }
        Ok(bucket)
    }
}

/// `frame[off..off+len]` with `off` an offset reported by a cursor over `frame`.
fn slice_at(frame: &Bytes, off: usize, len: usize) -> Result<Bytes, MsgError> {
    if off + len > frame.len() {
        return Err(MsgError::Truncated {
            context: "slice",
            offset: off,
            need: len,
            have: frame.len().saturating_sub(off),
        });
    }
    Ok(frame.slice(off..off + len))
}

/// The Netronome selection-method group property (`selection_method=hash|dp_hash`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectionMethod {
    pub method: String,
    pub param: u64,
    /// OXM headers (with mask values) of the hashed fields, raw.
    pub fields: Bytes,
}

/// A group's definition: the body of a group_mod and one group-desc reply entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDesc {
    pub group_id: u32,
    pub ty: GroupType,
    pub buckets: Vec<Bucket>,
    pub selection_method: Option<SelectionMethod>,
}

impl GroupDesc {
    fn encode_buckets(&self, out: &mut BytesMut) -> Result<usize, MsgError> {
        let start = out.len();
        for b in &self.buckets {
            b.encode(self.ty, out)?;
        }
        Ok(out.len() - start)
    }

    fn encode_props(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        if let Some(sm) = &self.selection_method {
            let s = property::start(out, OFPGPT15_EXPERIMENTER);
            out.put_u32(NTR_VENDOR_ID);
            out.put_u32(NTRT_SELECTION_METHOD);
            out.put_u32(0);
            let mut name = [0u8; 16];
            for (d, b) in name.iter_mut().zip(sm.method.bytes().take(15)) {
                *d = b;
            }
            out.put_slice(&name);
            out.put_u64(sm.param);
            out.put_slice(&sm.fields);
            property::end(out, s)?;
        }
        Ok(())
    }

    fn decode_rest(
        frame: &Bytes,
        c: &mut Cursor<'_>,
        group_id: u32,
        ty: GroupType,
        blen: usize,
    ) -> Result<GroupDesc, MsgError> {
        let mut bc = c.sub(blen)?;
        let mut buckets = Vec::new();
        while !bc.is_empty() {
            buckets.push(Bucket::decode(frame, &mut bc)?);
        }
        let mut selection_method = None;
        while let Some(mut p) = property::next(c)? {
            if p.ty != OFPGPT15_EXPERIMENTER {
                continue;
            }
            let exp = p.body.u32()?;
            let exp_type = p.body.u32()?;
            if (exp == NTR_VENDOR_ID || exp == NTR_COMPAT_VENDOR_ID)
                && exp_type == NTRT_SELECTION_METHOD
            {
                p.body.skip(4)?;
                let name = p.body.bytes(16)?;
                let n = name.iter().position(|&b| b == 0).unwrap_or(16);
                let method =
                    String::from_utf8_lossy(name.get(..n).unwrap_or_default()).into_owned();
                let param = p.body.u64()?;
                let f_off = p.body.offset();
                let f_len = p.body.remaining();
                let fields = slice_at(frame, f_off, f_len)?;
                selection_method = Some(SelectionMethod {
                    method,
                    param,
                    fields,
                });
            }
        }
        Ok(GroupDesc {
            group_id,
            ty,
            buckets,
            selection_method,
        })
    }

    /// Decodes one `ofp15_group_desc_stats` entry of a reply body (`frame` = the body).
    fn decode_entry(frame: &Bytes, c: &mut Cursor<'_>) -> Result<GroupDesc, MsgError> {
        c.context("ofp15_group_desc_stats");
        let len = usize::from(c.u16()?);
        if len < 16 {
            return Err(c.bad_len(len));
        }
        let mut e = c.sub(len - 2)?;
        let ty = GroupType(e.u8()?);
        e.skip(1)?;
        let group_id = e.u32()?;
        let blen = usize::from(e.u16()?);
        e.skip(6)?;
        GroupDesc::decode_rest(frame, &mut e, group_id, ty, blen)
    }

    /// Appends this group in reply-entry form.
    pub fn encode_entry(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u8(self.ty.0);
        out.put_u8(0);
        out.put_u32(self.group_id);
        out.put_u16(0);
        out.put_bytes(0, 6);
        let blen = self.encode_buckets(out)?;
        patch_u16(out, start + 8, blen, "bucket list")?;
        self.encode_props(out)?;
        patch_len(out, start, 0, "group_desc")
    }

    /// Parses an `OFPMP_GROUP_DESC` reply body.
    pub fn decode_reply(body: &Bytes) -> Result<Vec<GroupDesc>, MsgError> {
        let mut c = Cursor::new(body, "group_desc reply");
        let mut v = Vec::new();
        while !c.is_empty() {
            v.push(GroupDesc::decode_entry(body, &mut c)?);
        }
        Ok(v)
    }
}

/// `OFPT_GROUP_MOD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMod {
    pub command: GroupCommand,
    /// For INSERT_BUCKET / REMOVE_BUCKET: where / which; `BUCKET_ALL` otherwise.
    pub command_bucket_id: u32,
    pub group: GroupDesc,
}

impl GroupMod {
    /// Deletes every group (OVN sends this inside its first bundle after a reconnect).
    pub fn delete_all() -> GroupMod {
        GroupMod {
            command: GroupCommand::DELETE,
            command_bucket_id: BUCKET_ALL,
            group: GroupDesc {
                group_id: OFPG_ALL,
                ty: GroupType::ALL,
                buckets: Vec::new(),
                selection_method: None,
            },
        }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u16(self.command.0);
        out.put_u8(self.group.ty.0);
        out.put_u8(0);
        out.put_u32(self.group.group_id);
        out.put_u16(0);
        out.put_u16(0);
        out.put_u32(self.command_bucket_id);
        let blen = self.group.encode_buckets(out)?;
        patch_u16(out, start + 8, blen, "bucket list")?;
        self.group.encode_props(out)
    }

    pub(crate) fn decode_body(frame: &Bytes, c: &mut Cursor<'_>) -> Result<GroupMod, MsgError> {
        let command = GroupCommand(c.u16()?);
        let ty = GroupType(c.u8()?);
        c.skip(1)?;
        let group_id = c.u32()?;
        let blen = usize::from(c.u16()?);
        c.skip(2)?;
        let command_bucket_id = c.u32()?;
        let group = GroupDesc::decode_rest(frame, c, group_id, ty, blen)?;
        Ok(GroupMod {
            command,
            command_bucket_id,
            group,
        })
    }
}
