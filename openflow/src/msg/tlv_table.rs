//! Geneve option ↔ `tun_metadataN` mapping: `NXT_TLV_TABLE_MOD` / `_REQUEST` / `_REPLY`
//! (NX subtypes 24 / 25 / 26, `nicira-ext.h` `struct nx_tlv_map`).

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::Cursor;

/// One mapping `{class=…,type=…,len=…}->tun_metadataN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlvMap {
    pub option_class: u16,
    pub option_type: u8,
    /// Option payload length, a multiple of 4, at most 124.
    pub option_len: u8,
    /// N of `tun_metadataN` (0..63).
    pub index: u16,
}

impl TlvMap {
    fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.option_class);
        out.put_u8(self.option_type);
        out.put_u8(self.option_len);
        out.put_u16(self.index);
        out.put_u16(0);
    }

    fn decode(c: &mut Cursor<'_>) -> Result<TlvMap, MsgError> {
        let option_class = c.u16()?;
        let option_type = c.u8()?;
        let option_len = c.u8()?;
        let index = c.u16()?;
        c.skip(2)?;
        Ok(TlvMap {
            option_class,
            option_type,
            option_len,
            index,
        })
    }

    fn decode_list(c: &mut Cursor<'_>) -> Result<Vec<TlvMap>, MsgError> {
        let mut maps = Vec::with_capacity(c.remaining() / 8);
        while !c.is_empty() {
            maps.push(TlvMap::decode(c)?);
        }
        Ok(maps)
    }
}

/// `{class=0xffff,type=0,len=4}->tun_metadata0`, the syntax `ovs-ofctl add-tlv-map` takes.
impl fmt::Display for TlvMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{class={:#x},type={:#x},len={}}}->tun_metadata{}",
            self.option_class, self.option_type, self.option_len, self.index
        )
    }
}

/// A parse error for the `add-tlv-map` syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tlv mapping {0:?}")]
pub struct TlvMapParseError(pub String);

impl TlvMap {
    /// Parses a comma-separated list of `{class=C,type=T,len=L}->tun_metadataN` (numbers in
    /// decimal or 0x-hex), as `ovs-ofctl add-tlv-map` does.
    pub fn parse_list(s: &str) -> Result<Vec<TlvMap>, TlvMapParseError> {
        let err = || TlvMapParseError(s.to_owned());
        let mut maps = Vec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            rest = rest.strip_prefix(',').unwrap_or(rest);
            let body = rest.strip_prefix('{').ok_or_else(err)?;
            let close = body.find('}').ok_or_else(err)?;
            let (kv, after) = body.split_at(close);
            let after = after[1..].strip_prefix("->tun_metadata").ok_or_else(err)?;
            let digits = after
                .find(|ch: char| !ch.is_ascii_digit())
                .unwrap_or(after.len());
            let index: u16 = after[..digits].parse().map_err(|_| err())?;
            rest = &after[digits..];
            let (mut class, mut ty, mut len) = (None, None, None);
            for part in kv.split(',') {
                let (k, v) = part.split_once('=').ok_or_else(err)?;
                let v = parse_int(v.trim()).ok_or_else(err)?;
                match k.trim() {
                    "class" => class = Some(u16::try_from(v).map_err(|_| err())?),
                    "type" => ty = Some(u8::try_from(v).map_err(|_| err())?),
                    "len" => len = Some(u8::try_from(v).map_err(|_| err())?),
                    _ => return Err(err()),
                }
            }
            maps.push(TlvMap {
                option_class: class.ok_or_else(err)?,
                option_type: ty.ok_or_else(err)?,
                option_len: len.ok_or_else(err)?,
                index,
            });
        }
        Ok(maps)
    }
}

fn parse_int(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `NXT_TLV_TABLE_MOD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlvTableMod {
    /// `NXTTMC_ADD` 0, `NXTTMC_DELETE` 1, `NXTTMC_CLEAR` 2.
    pub command: u16,
    pub maps: Vec<TlvMap>,
}

impl TlvTableMod {
    pub const ADD: u16 = 0;
    pub const DELETE: u16 = 1;
    pub const CLEAR: u16 = 2;

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.command);
        out.put_bytes(0, 6);
        for m in &self.maps {
            m.encode(out);
        }
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<TlvTableMod, MsgError> {
        let command = c.u16()?;
        c.skip(6)?;
        Ok(TlvTableMod {
            command,
            maps: TlvMap::decode_list(c)?,
        })
    }
}

/// `NXT_TLV_TABLE_REPLY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlvTableReply {
    pub max_option_space: u32,
    pub max_fields: u16,
    pub maps: Vec<TlvMap>,
}

impl TlvTableReply {
    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u32(self.max_option_space);
        out.put_u16(self.max_fields);
        out.put_bytes(0, 10);
        for m in &self.maps {
            m.encode(out);
        }
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<TlvTableReply, MsgError> {
        let max_option_space = c.u32()?;
        let max_fields = c.u16()?;
        c.skip(10)?;
        Ok(TlvTableReply {
            max_option_space,
            max_fields,
            maps: TlvMap::decode_list(c)?,
        })
    }
}

/// C's `%#Nx`: `0x`-prefixed hex, except that zero prints as plain `0`; right-aligned to `width`.
fn c_alt_hex(v: u64, width: usize) -> String {
    let s = if v == 0 {
        "0".to_owned()
    } else {
        format!("{v:#x}")
    };
    format!("{s:>width$}")
}

/// The body `ovs-ofctl dump-tlv-map` prints after the title line (starting with its newline),
/// byte for byte as `ofputil_format_tlv_table_reply`.
impl fmt::Display for TlvTableReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allocated: u32 = self.maps.iter().map(|m| u32::from(m.option_len)).sum();
        writeln!(f)?;
        writeln!(
            f,
            " max option space={} max fields={}",
            self.max_option_space, self.max_fields
        )?;
        writeln!(f, " allocated option space={allocated}")?;
        writeln!(f)?;
        writeln!(f, " mapping table:")?;
        writeln!(f, "  class  type  length  match field")?;
        f.write_str(" ------  ----  ------  --------------")?;
        for m in &self.maps {
            write!(
                f,
                "\n {}  {}  {:>6}  tun_metadata{}",
                c_alt_hex(m.option_class.into(), 6),
                c_alt_hex(m.option_type.into(), 4),
                m.option_len,
                m.index
            )?;
        }
        Ok(())
    }
}
