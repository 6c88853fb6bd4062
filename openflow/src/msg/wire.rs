//! Bounds-checked big-endian reading and length patching shared by the message codecs.
//!
//! Every read returns `MsgError::Truncated` instead of panicking, and every position reported is
//! relative to the start of the message so errors match a hex dump.

use bytes::{BufMut, BytesMut};

use super::MsgError;

/// A cursor over an untrusted byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` within the whole message.
    base: usize,
    ctx: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], ctx: &'static str) -> Self {
        Self {
            buf,
            pos: 0,
            base: 0,
            ctx,
        }
    }

    pub(crate) fn with_base(buf: &'a [u8], base: usize, ctx: &'static str) -> Self {
        Self {
            buf,
            pos: 0,
            base,
            ctx,
        }
    }

    pub(crate) fn context(&mut self, ctx: &'static str) -> &mut Self {
        self.ctx = ctx;
        self
    }

    /// Absolute offset (within the message) of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn truncated(&self, need: usize) -> MsgError {
        MsgError::Truncated {
            context: self.ctx,
            offset: self.offset(),
            need,
            have: self.remaining(),
        }
    }

    pub(crate) fn bad_len(&self, len: usize) -> MsgError {
        MsgError::BadLength {
            context: self.ctx,
            offset: self.offset(),
            len,
        }
    }

    pub(crate) fn bad_value(&self, value: u64) -> MsgError {
        MsgError::BadValue {
            context: self.ctx,
            offset: self.offset(),
            value,
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], MsgError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.truncated(n))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.truncated(n))?;
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], MsgError> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), MsgError> {
        self.bytes(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, MsgError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, MsgError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, MsgError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, MsgError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        s
    }

    /// Splits off the next `n` bytes as their own cursor (for a length-delimited sub-structure).
    pub(crate) fn sub(&mut self, n: usize) -> Result<Cursor<'a>, MsgError> {
        let base = self.offset();
        let ctx = self.ctx;
        Ok(Cursor::with_base(self.bytes(n)?, base, ctx))
    }
}

/// Pads `out` with zeros so that `out.len() - start` is a multiple of 8.
pub(crate) fn pad8(out: &mut BytesMut, start: usize) {
    let len = out.len() - start;
    out.put_bytes(0, len.next_multiple_of(8) - len);
}

/// Writes the length of the structure that starts at `start` into the u16 at `start + at`.
pub(crate) fn patch_len(
    out: &mut BytesMut,
    start: usize,
    at: usize,
    context: &'static str,
) -> Result<(), MsgError> {
    let len = out.len() - start;
    let v = u16::try_from(len).map_err(|_| MsgError::TooLong { context, len })?;
    out[start + at..start + at + 2].copy_from_slice(&v.to_be_bytes());
    Ok(())
}

/// Like `patch_len` for a length that is written somewhere else than at the start of the structure.
pub(crate) fn patch_u16(
    out: &mut BytesMut,
    at: usize,
    len: usize,
    context: &'static str,
) -> Result<(), MsgError> {
    let v = u16::try_from(len).map_err(|_| MsgError::TooLong { context, len })?;
    out[at..at + 2].copy_from_slice(&v.to_be_bytes());
    Ok(())
}
