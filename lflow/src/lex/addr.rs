//! Address text helpers matching glibc's `inet_pton`/`inet_ntop` and OVS's Ethernet syntax, used
//! by the lexer and by expression/match formatting.

use std::fmt;

/// True if `mask` is a CIDR netmask (leading ones then zeros; 0 counts).
pub fn is_ipv4_cidr(mask: u32) -> bool {
    let x = !mask;
    x & x.wrapping_add(1) == 0
}

/// True if `mask` is a CIDR IPv6 netmask.
pub fn is_ipv6_cidr(mask: u128) -> bool {
    let x = !mask;
    x & x.wrapping_add(1) == 0
}

/// A prefix mask of `bits` leading ones in 32 bits.
pub fn ipv4_prefix_mask(bits: u32) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    }
}

/// A prefix mask of `bits` leading ones in 128 bits.
pub fn ipv6_prefix_mask(bits: u32) -> u128 {
    if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits.min(128))
    }
}

/// Strict dotted quad as glibc `inet_pton(AF_INET)` accepts it.
pub fn parse_ipv4(s: &str) -> Option<u32> {
    let mut out = 0u32;
    let mut n = 0;
    for part in s.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        let v: u32 = part.parse().ok()?;
        if v > 255 {
            return None;
        }
        out = (out << 8) | v;
        n += 1;
    }
    (n == 4).then_some(out)
}

/// IPv6 text as glibc `inet_pton(AF_INET6)` accepts it.
pub fn parse_ipv6(s: &str) -> Option<u128> {
    s.parse::<std::net::Ipv6Addr>().ok().map(u128::from)
}

/// `xx:xx:xx:xx:xx:xx` (exactly 17 characters, hex digits).
pub fn parse_mac(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut v = 0u64;
    for (i, chunk) in b.chunks(3).enumerate() {
        let hi = (chunk[0] as char).to_digit(16)?;
        let lo = (*chunk.get(1)? as char).to_digit(16)?;
        if i < 5 && chunk.get(2) != Some(&b':') {
            return None;
        }
        v = (v << 8) | u64::from(hi * 16 + lo);
    }
    Some(v)
}

/// IPv6 address as glibc `inet_ntop` prints it (longest run of ≥2 zero groups compressed, first on a
/// tie; IPv4-mapped and IPv4-compatible forms with a dotted quad).
pub fn format_ipv6(f: &mut impl fmt::Write, v: u128) -> fmt::Result {
    let words: [u16; 8] = std::array::from_fn(|i| (v >> (112 - 16 * i)) as u16);
    let (mut best_base, mut best_len) = (usize::MAX, 0);
    let (mut cur_base, mut cur_len) = (usize::MAX, 0);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            if cur_base == usize::MAX {
                cur_base = i;
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if cur_base != usize::MAX {
            if best_base == usize::MAX || cur_len > best_len {
                (best_base, best_len) = (cur_base, cur_len);
            }
            cur_base = usize::MAX;
        }
    }
    if cur_base != usize::MAX && (best_base == usize::MAX || cur_len > best_len) {
        (best_base, best_len) = (cur_base, cur_len);
    }
    if best_base != usize::MAX && best_len < 2 {
        best_base = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if best_base != usize::MAX && i >= best_base && i < best_base + best_len {
            if i == best_base {
                f.write_char(':')?;
            }
            i += 1;
            continue;
        }
        if i != 0 {
            f.write_char(':')?;
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            let q = v as u32;
            return write!(
                f,
                "{}.{}.{}.{}",
                q >> 24,
                (q >> 16) & 0xff,
                (q >> 8) & 0xff,
                q & 0xff
            );
        }
        write!(f, "{:x}", words[i])?;
        i += 1;
    }
    if best_base != usize::MAX && best_base + best_len == 8 {
        f.write_char(':')?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let mut out = String::new();
        format_ipv6(&mut out, parse_ipv6(s).unwrap()).unwrap();
        out
    }

    #[test]
    fn ipv6_like_glibc() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("1::"), "1::");
        assert_eq!(v6("1:0:2::"), "1:0:2::");
        assert_eq!(v6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(v6("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(v6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
        assert_eq!(v6("1:0:0:2:3:0:0:4"), "1::2:3:0:0:4");
    }

    #[test]
    fn ipv4_strict() {
        assert_eq!(parse_ipv4("1.2.3.4"), Some(0x01020304));
        assert_eq!(parse_ipv4("01.2.3.4"), None);
        assert_eq!(parse_ipv4("256.2.3.4"), None);
        assert_eq!(parse_ipv4("1.2.3"), None);
    }
}
