//! The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers it covers for L4.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A running one's-complement sum over 16-bit big-endian words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Csum(u32);

impl Csum {
    /// Adds `data`; an odd trailing byte is padded with zero, so only the last chunk may be odd.
    pub fn add(mut self, data: &[u8]) -> Csum {
        let mut chunks = data.chunks_exact(2);
        for c in &mut chunks {
            self.0 += u32::from(u16::from_be_bytes([c[0], c[1]]));
            self.0 = (self.0 & 0xffff) + (self.0 >> 16);
        }
        if let [b] = chunks.remainder() {
            self.0 += u32::from(*b) << 8;
            self.0 = (self.0 & 0xffff) + (self.0 >> 16);
        }
        self
    }

    /// The folded, complemented checksum as written into a header.
    pub fn finish(self) -> u16 {
        let mut s = self.0;
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }
}

/// Checksum of a complete block (IPv4 header, ICMPv4 message).
pub fn csum(data: &[u8]) -> u16 {
    Csum::default().add(data).finish()
}

/// The IPv4 pseudo-header sum (source, destination, protocol, L4 length).
pub fn pseudo4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, l4_len: usize) -> Csum {
    let len = u16::try_from(l4_len).unwrap_or(u16::MAX);
    Csum::default()
        .add(&src.octets())
        .add(&dst.octets())
        .add(&[0, proto])
        .add(&len.to_be_bytes())
}

/// The IPv6 pseudo-header sum (RFC 8200 §8.1).
pub fn pseudo6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, l4_len: usize) -> Csum {
    let len = u32::try_from(l4_len).unwrap_or(u32::MAX);
    Csum::default()
        .add(&src.octets())
        .add(&dst.octets())
        .add(&len.to_be_bytes())
        .add(&[0, 0, 0, next])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
        assert_eq!(
            csum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn ipv4_header_golden() {
        // A well-known header (Wikipedia "IPv4 header checksum"): checksum b861.
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(csum(&h), 0xb861);
        h[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
        assert_eq!(csum(&h), 0);
    }

    #[test]
    fn odd_length() {
        assert_eq!(csum(&[0x01]), !0x0100);
    }
}
