//! Field values: up to 16 bytes, stored inline (no heap).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A big-endian field value of 0..=16 bytes, stored inline. Conversions from integers give
/// the integer's own width; [`Match::set`](crate::flow_match::Match::set) and the actions
/// resize to the field's width (rejecting values that do not fit).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Value {
    len: u8,
    bytes: [u8; 16],
}

impl Value {
    pub const MAX_LEN: usize = 16;

    /// A value from big-endian bytes; `None` when longer than 16 bytes.
    pub fn from_slice(s: &[u8]) -> Option<Value> {
        if s.len() > Self::MAX_LEN {
            return None;
        }
        let mut bytes = [0u8; 16];
        bytes[..s.len()].copy_from_slice(s);
        Some(Value {
            len: s.len() as u8,
            bytes,
        })
    }

    /// The all-ones value of `n` bytes (n ≤ 16; clamped).
    pub fn ones(n: usize) -> Value {
        let n = n.min(Self::MAX_LEN);
        let mut bytes = [0u8; 16];
        bytes[..n].fill(0xff);
        Value {
            len: n as u8,
            bytes,
        }
    }

    pub fn from_u128(v: u128, n_bytes: usize) -> Value {
        let n = n_bytes.min(Self::MAX_LEN);
        let be = v.to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[..n].copy_from_slice(&be[16 - n..]);
        Value {
            len: n as u8,
            bytes,
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_zero(&self) -> bool {
        self.as_slice().iter().all(|&b| b == 0)
    }

    /// The value as an integer (values are at most 16 bytes, so this is exact).
    pub fn to_u128(&self) -> u128 {
        self.as_slice()
            .iter()
            .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
    }

    /// Resizes to `n` bytes keeping the low-order (rightmost) bytes; `None` if a dropped
    /// high-order byte is non-zero or `n > 16`.
    pub fn resize(&self, n: usize) -> Option<Value> {
        if n > Self::MAX_LEN {
            return None;
        }
        let s = self.as_slice();
        if s.len() >= n {
            let (high, low) = s.split_at(s.len() - n);
            if high.iter().any(|&b| b != 0) {
                return None;
            }
            Value::from_slice(low)
        } else {
            let mut bytes = [0u8; 16];
            bytes[n - s.len()..n].copy_from_slice(s);
            Some(Value {
                len: n as u8,
                bytes,
            })
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value(0x")?;
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::from_slice(&v.to_be_bytes()).unwrap_or_default()
            }
        }
    )*};
}
from_int!(u8, u16, u32, u64, u128);

impl From<[u8; 6]> for Value {
    fn from(v: [u8; 6]) -> Value {
        Value::from_slice(&v).unwrap_or_default()
    }
}

impl From<Ipv4Addr> for Value {
    fn from(v: Ipv4Addr) -> Value {
        Value::from(v.octets())
    }
}

impl From<[u8; 4]> for Value {
    fn from(v: [u8; 4]) -> Value {
        Value::from_slice(&v).unwrap_or_default()
    }
}

impl From<Ipv6Addr> for Value {
    fn from(v: Ipv6Addr) -> Value {
        Value::from(u128::from(v))
    }
}
