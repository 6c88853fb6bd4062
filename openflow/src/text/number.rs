//! Integers in ovs-ofctl syntax: `0x1f`, `31`, and OVS's `ds_put_hex` (no leading zeros).

use std::fmt::{self, Write};

use crate::field::Value;

/// Writes big-endian `bytes` as OVS's `ds_put_hex` does: `0x` and the hex digits without
/// leading zeros, or `0` when every byte is zero.
pub fn write_hex(f: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    let Some(first) = bytes.iter().position(|&b| b != 0) else {
        return f.write_char('0');
    };
    let rest = &bytes[first..];
    write!(f, "0x{:x}", rest[0])?;
    for b in &rest[1..] {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Writes bytes as `xx.xx.xx` (the format of `note:` and `controller(userdata=…)`).
pub fn write_dotted_hex(f: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_char('.')?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Parses `xx.xx.xx` / `xxxxxx` / `xx:xx` hex bytes (OVS `ofpbuf_put_hex` accepts any of
/// `.`, `:` or nothing between byte pairs).
pub fn parse_dotted_hex(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'.' || b[i] == b':' || b[i] == b' ' {
            i += 1;
            continue;
        }
        let hi = (*b.get(i)? as char).to_digit(16)?;
        let lo = (*b.get(i + 1)? as char).to_digit(16)?;
        out.push((hi * 16 + lo) as u8);
        i += 2;
    }
    Some(out)
}

/// Parses an unsigned integer in decimal or `0x` hex (up to 128 bits) as OVS's field
/// parsers accept it.
pub fn parse_u128(s: &str) -> Option<u128> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || h.len() > 32 {
            return None;
        }
        u128::from_str_radix(h, 16).ok()
    } else {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse::<u128>().ok()
    }
}

/// Parses an unsigned integer in decimal or `0x` hex into a value of `n_bytes` bytes, failing
/// when it does not fit. Longer hex strings are accepted for wide fields (`ct_label`,
/// `tun_metadataN` up to 124 bytes is handled by [`parse_hex_bytes`]).
pub fn parse_value(s: &str, n_bytes: usize) -> Option<Value> {
    let v = parse_u128(s)?;
    if n_bytes < 16 && v >> (8 * n_bytes) != 0 {
        return None;
    }
    Some(Value::from_u128(v, n_bytes))
}

/// Parses `0x…` hex of any length into `n_bytes` big-endian bytes (right-aligned); `None`
/// when it does not fit.
pub fn parse_hex_bytes(s: &str, n_bytes: usize) -> Option<Vec<u8>> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
    let Some(h) = h else {
        let v = parse_u128(s)?;
        let be = v.to_be_bytes();
        let used = 16 - (v.leading_zeros() as usize / 8);
        if used > n_bytes {
            return None;
        }
        let mut out = vec![0u8; n_bytes];
        let k = n_bytes.min(16);
        out[n_bytes - k..].copy_from_slice(&be[16 - k..]);
        return Some(out);
    };
    if h.is_empty() || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = h.trim_start_matches('0');
    if h.len().div_ceil(2) > n_bytes {
        return None;
    }
    let mut out = vec![0u8; n_bytes];
    let digits: Vec<u8> = h
        .bytes()
        .map(|c| (c as char).to_digit(16).unwrap_or(0) as u8)
        .collect();
    for (i, d) in digits.iter().rev().enumerate() {
        let byte = n_bytes - 1 - i / 2;
        out[byte] |= if i % 2 == 0 { *d } else { *d << 4 };
    }
    Some(out)
}

/// Parses a decimal or `0x` integer that must fit in `T`.
pub fn parse_int<T: TryFrom<u128>>(s: &str) -> Option<T> {
    T::try_from(parse_u128(s)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex() {
        let mut s = String::new();
        write_hex(&mut s, &[0, 0, 0x1, 0x02]).unwrap();
        assert_eq!(s, "0x102");
        s.clear();
        write_hex(&mut s, &[0, 0]).unwrap();
        assert_eq!(s, "0");
        assert_eq!(parse_u128("0x1f"), Some(31));
        assert_eq!(parse_u128("31"), Some(31));
        assert_eq!(parse_u128("-1"), None);
        assert_eq!(parse_value("0x100", 1), None);
        assert_eq!(parse_hex_bytes("0x102", 4), Some(vec![0, 0, 1, 2]));
        assert_eq!(parse_hex_bytes("0x10203", 2), None);
        assert_eq!(parse_dotted_hex("00.01.ff"), Some(vec![0, 1, 0xff]));
    }
}
