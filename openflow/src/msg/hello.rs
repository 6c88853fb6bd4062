//! `OFPT_HELLO` with the version-bitmap element (OF1.3.1+ §7.5.1).

use bytes::{BufMut, BytesMut};

use super::wire::{Cursor, pad8};
use super::{MsgError, OFP15_VERSION};

const OFPHET_VERSIONBITMAP: u16 = 1;

/// A hello. `bitmaps` holds the version bitmap words (bit N of word 0 = wire version N); empty
/// means the peer sent no bitmap, so only the header version counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    pub bitmaps: Vec<u32>,
}

impl Hello {
    /// The hello we send: OpenFlow 1.5 only (`06 00 00 10 xid 00 01 00 08 00 00 00 40`).
    pub fn of15_only() -> Hello {
        Hello {
            bitmaps: vec![1 << OFP15_VERSION],
        }
    }

    /// Whether the peer, whose hello carried `header_version`, can talk OpenFlow 1.5.
    ///
    /// OF1.5.1 §7.5.1: with a bitmap the common version is the highest bit set in both; without
    /// one it is min(ours, theirs), so the peer must announce at least 1.5.
    pub fn supports_of15(&self, header_version: u8) -> bool {
        match self.bitmaps.first() {
            Some(w) => w & (1 << OFP15_VERSION) != 0,
            None => header_version >= OFP15_VERSION,
        }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        if self.bitmaps.is_empty() {
            return Ok(());
        }
        let start = out.len();
        out.put_u16(OFPHET_VERSIONBITMAP);
        out.put_u16(0);
        for w in &self.bitmaps {
            out.put_u32(*w);
        }
        super::wire::patch_len(out, start, 2, "hello element")?;
        pad8(out, start);
        Ok(())
    }

    /// Decodes hello elements from the bytes after the header (any version's hello).
    pub fn decode_elements(body: &[u8]) -> Result<Hello, MsgError> {
        Hello::decode_body(&mut Cursor::with_base(
            body,
            crate::msg::HEADER_LEN,
            "hello",
        ))
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<Hello, MsgError> {
        let mut hello = Hello::default();
        // Elements are TLVs; unknown ones are skipped (OF1.5.1 §7.5.1 "must ignore").
        while c.remaining() >= 4 {
            let ty = c.u16()?;
            let len = usize::from(c.u16()?);
            if len < 4 {
                return Err(c.bad_len(len));
            }
            let mut body = c.sub(len - 4)?;
            if ty == OFPHET_VERSIONBITMAP {
                while body.remaining() >= 4 {
                    hello.bitmaps.push(body.u32()?);
                }
            }
            let pad = len.next_multiple_of(8) - len;
            c.skip(pad.min(c.remaining()))?;
        }
        Ok(hello)
    }
}
