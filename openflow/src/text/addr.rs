//! MAC, IPv4 and IPv6 addresses (with masks) in ovs-ofctl syntax.

use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

/// `0a:58:00:00:00:01`.
pub fn write_mac(f: &mut impl Write, m: &[u8]) -> fmt::Result {
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            f.write_char(':')?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// MAC with an optional mask, printed `/ff:ff:…` unless all ones (`eth_format_masked`).
pub fn write_mac_masked(f: &mut impl Write, v: &[u8], mask: Option<&[u8]>) -> fmt::Result {
    write_mac(f, v)?;
    if let Some(m) = mask.filter(|m| !m.iter().all(|&b| b == 0xff)) {
        f.write_char('/')?;
        write_mac(f, m)?;
    }
    Ok(())
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in out.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Prefix length when `mask` is a CIDR mask (leading ones only).
pub fn cidr_len(mask: &[u8]) -> Option<u32> {
    let mut n = 0;
    let mut seen_zero = false;
    for &b in mask {
        for i in (0..8).rev() {
            if b >> i & 1 == 1 {
                if seen_zero {
                    return None;
                }
                n += 1;
            } else {
                seen_zero = true;
            }
        }
    }
    Some(n)
}

/// IPv4 with an optional mask: `10.0.0.0/8` for CIDR masks, `10.0.0.0/255.0.255.0`
/// otherwise (`ip_format_masked`).
pub fn write_ipv4_masked(f: &mut impl Write, v: &[u8], mask: Option<&[u8]>) -> fmt::Result {
    let a = ipv4(v);
    write!(f, "{a}")?;
    if let Some(m) = mask.filter(|m| !m.iter().all(|&b| b == 0xff)) {
        match cidr_len(m) {
            Some(n) => write!(f, "/{n}")?,
            None => write!(f, "/{}", ipv4(m))?,
        }
    }
    Ok(())
}

fn ipv4(v: &[u8]) -> Ipv4Addr {
    let mut o = [0u8; 4];
    for (d, s) in o.iter_mut().zip(v) {
        *d = *s;
    }
    Ipv4Addr::from(o)
}

/// IPv6 exactly as glibc's `inet_ntop` prints it (which differs from Rust's `Display` for
/// IPv4-compatible addresses such as `::1.2.3.4`).
pub fn write_ipv6(f: &mut impl Write, v: &[u8]) -> fmt::Result {
    let mut b = [0u8; 16];
    for (d, s) in b.iter_mut().zip(v) {
        *d = *s;
    }
    let w: [u16; 8] = std::array::from_fn(|i| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]));
    // Longest run of zero words (length ≥ 2), first one on ties.
    let (mut best, mut best_len, mut cur, mut cur_len) = (usize::MAX, 0, 0, 0);
    for (i, &x) in w.iter().enumerate() {
        if x == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            f.write_str(if i == 0 { "::" } else { ":" })?;
            i += best_len;
            continue;
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            write!(f, "{}.{}.{}.{}", b[12], b[13], b[14], b[15])?;
            break;
        }
        write!(f, "{:x}", w[i])?;
        i += 1;
        if i < 8 {
            f.write_char(':')?;
        }
    }
    Ok(())
}

/// IPv6 with an optional mask, `/64` for CIDR masks, `/ffff::ff00` otherwise.
pub fn write_ipv6_masked(f: &mut impl Write, v: &[u8], mask: Option<&[u8]>) -> fmt::Result {
    write_ipv6(f, v)?;
    if let Some(m) = mask.filter(|m| !m.iter().all(|&b| b == 0xff)) {
        match cidr_len(m) {
            Some(n) => write!(f, "/{n}")?,
            None => {
                f.write_char('/')?;
                write_ipv6(f, m)?;
            }
        }
    }
    Ok(())
}

/// `a.b.c.d[/len|/mask]` → (address, mask).
pub fn parse_ipv4_masked(s: &str) -> Option<([u8; 4], Option<[u8; 4]>)> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let addr: Ipv4Addr = a.parse().ok()?;
    let mask = match m {
        None => None,
        Some(m) => Some(if let Ok(n) = m.parse::<u32>() {
            if n > 32 {
                return None;
            }
            (u32::MAX.checked_shl(32 - n).unwrap_or(0)).to_be_bytes()
        } else {
            m.parse::<Ipv4Addr>().ok()?.octets()
        }),
    };
    Some((addr.octets(), mask))
}

/// `x:y::z[/len|/mask]` → (address, mask).
pub fn parse_ipv6_masked(s: &str) -> Option<([u8; 16], Option<[u8; 16]>)> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let addr: Ipv6Addr = a.parse().ok()?;
    let mask = match m {
        None => None,
        Some(m) => Some(if let Ok(n) = m.parse::<u32>() {
            if n > 128 {
                return None;
            }
            (u128::MAX.checked_shl(128 - n).unwrap_or(0)).to_be_bytes()
        } else {
            m.parse::<Ipv6Addr>().ok()?.octets()
        }),
    };
    Some((addr.octets(), mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let mut o = String::new();
        write_ipv6(&mut o, &s.parse::<Ipv6Addr>().unwrap().octets()).unwrap();
        o
    }

    #[test]
    fn ipv6_like_inet_ntop() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("fd11::2"), "fd11::2");
        assert_eq!(v6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(v6("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(v6("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
        assert_eq!(v6("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
        assert_eq!(v6("fe80::"), "fe80::");
    }

    #[test]
    fn ipv4_masks() {
        let mut o = String::new();
        write_ipv4_masked(&mut o, &[10, 0, 0, 0], Some(&[255, 0, 0, 0])).unwrap();
        assert_eq!(o, "10.0.0.0/8");
        o.clear();
        write_ipv4_masked(&mut o, &[10, 0, 0, 0], Some(&[255, 0, 255, 0])).unwrap();
        assert_eq!(o, "10.0.0.0/255.0.255.0");
        assert_eq!(
            parse_ipv4_masked("10.0.0.0/8"),
            Some(([10, 0, 0, 0], Some([255, 0, 0, 0])))
        );
        assert_eq!(
            parse_ipv4_masked("1.2.3.4/0"),
            Some(([1, 2, 3, 4], Some([0; 4])))
        );
        assert_eq!(parse_mac("0a:58:00:00:00:01"), Some([10, 0x58, 0, 0, 0, 1]));
        assert_eq!(parse_mac("0a:58:00:00:00"), None);
    }
}
