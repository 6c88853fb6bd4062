//! `struct ofp_match` framing (OF1.2+ OXM match): `type u16 = 1`, `length u16` (4 + OXM bytes,
//! excluding padding), the OXM TLVs, zero padding to 8 (`openflow-1.1.h`, `nx-match.c`
//! `oxm_put_match`). The TLVs themselves belong to the match codec.

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::{Cursor, pad8, patch_len};

const OFPMT_OXM: u16 = 1;

/// Writes an `ofp_match` header, lets `body` append the OXM TLVs, then fixes length and pad.
pub(crate) fn encode(
    out: &mut BytesMut,
    body: impl FnOnce(&mut BytesMut) -> Result<(), MsgError>,
) -> Result<(), MsgError> {
    let start = out.len();
    out.put_u16(OFPMT_OXM);
    out.put_u16(0);
    body(out)?;
    patch_len(out, start, 2, "ofp_match")?;
    pad8(out, start);
    Ok(())
}

/// Reads an `ofp_match` and returns a cursor over its OXM TLVs (padding consumed).
pub(crate) fn decode<'a>(c: &mut Cursor<'a>) -> Result<Cursor<'a>, MsgError> {
    let ty = c.u16()?;
    if ty != OFPMT_OXM {
        return Err(c.bad_value(ty.into()));
    }
    let len = usize::from(c.u16()?);
    if len < 4 {
        return Err(c.bad_len(len));
    }
    let oxm = c.sub(len - 4)?;
    let pad = len.next_multiple_of(8) - len;
    c.skip(pad)?;
    Ok(oxm)
}
