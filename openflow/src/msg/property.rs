//! OF1.4+/NX property TLVs: `type u16`, `len u16` (excluding padding), payload, zero pad to 8
//! (`lib/ofp-prop.c`).

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::{Cursor, pad8, patch_len};

/// One property borrowed from a message: its type and payload (padding stripped).
#[derive(Debug, Clone)]
pub(crate) struct Prop<'a> {
    pub ty: u16,
    pub body: Cursor<'a>,
}

/// Reads the next property, or `None` at the end of the list.
pub(crate) fn next<'a>(c: &mut Cursor<'a>) -> Result<Option<Prop<'a>>, MsgError> {
    if c.is_empty() {
        return Ok(None);
    }
    let ty = c.u16()?;
    let len = usize::from(c.u16()?);
    if len < 4 {
        return Err(c.bad_len(len));
    }
    let body = c.sub(len - 4)?;
    let pad = len.next_multiple_of(8) - len;
    // The last property may legitimately omit its padding when the container ends there.
    c.skip(pad.min(c.remaining()))?;
    Ok(Some(Prop { ty, body }))
}

/// Starts a property; finish it with `end`.
pub(crate) fn start(out: &mut BytesMut, ty: u16) -> usize {
    let s = out.len();
    out.put_u16(ty);
    out.put_u16(0);
    s
}

/// Fixes the property's length and pads it to 8.
pub(crate) fn end(out: &mut BytesMut, start: usize) -> Result<(), MsgError> {
    patch_len(out, start, 2, "property")?;
    pad8(out, start);
    Ok(())
}

pub(crate) fn put_bytes(out: &mut BytesMut, ty: u16, v: &[u8]) -> Result<(), MsgError> {
    let s = start(out, ty);
    out.put_slice(v);
    end(out, s)
}

pub(crate) fn put_u8(out: &mut BytesMut, ty: u16, v: u8) -> Result<(), MsgError> {
    put_bytes(out, ty, &[v])
}

pub(crate) fn put_u32(out: &mut BytesMut, ty: u16, v: u32) -> Result<(), MsgError> {
    put_bytes(out, ty, &v.to_be_bytes())
}

/// 64-bit values get 4 bytes of padding first so the value is 8-aligned (`ofpprop_put_be64`).
pub(crate) fn put_u64(out: &mut BytesMut, ty: u16, v: u64) -> Result<(), MsgError> {
    let s = start(out, ty);
    out.put_u32(0);
    out.put_u64(v);
    end(out, s)
}

pub(crate) fn parse_u64(p: &mut Prop<'_>) -> Result<u64, MsgError> {
    p.body.skip(4)?;
    p.body.u64()
}
