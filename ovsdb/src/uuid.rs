//! RFC 4122 UUIDs as 16-byte values (RFC 7047 §5.1 `<uuid>`).

use std::fmt;
use std::str::FromStr;

/// A UUID, stored as its 16 bytes (no heap, `Copy`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

/// The text was not a UUID of the form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid uuid {0:?}")]
pub struct UuidParseError(pub String);

impl Uuid {
    /// The all-zero UUID (ovsdb-server reports it as "no transaction id").
    pub const ZERO: Uuid = Uuid([0; 16]);

    /// Builds a UUID from a 128-bit integer (big-endian byte order), handy in tests.
    pub const fn from_u128(v: u128) -> Uuid {
        Uuid(v.to_be_bytes())
    }

    /// Returns the UUID as a 128-bit integer.
    pub const fn as_u128(&self) -> u128 {
        u128::from_be_bytes(self.0)
    }

    /// Parses the canonical 36-character form (either case).
    pub fn parse(s: &str) -> Result<Uuid, UuidParseError> {
        let b = s.as_bytes();
        let err = || UuidParseError(s.chars().take(64).collect());
        if b.len() != 36 {
            return Err(err());
        }
        let mut out = [0u8; 16];
        let mut n = 0usize;
        let mut hi: Option<u8> = None;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return Err(err());
                }
                continue;
            }
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(err()),
            };
            match hi.take() {
                None => hi = Some(v),
                Some(h) => {
                    let slot = out.get_mut(n).ok_or_else(err)?;
                    *slot = (h << 4) | v;
                    n += 1;
                }
            }
        }
        Ok(Uuid(out))
    }

    /// Whether `s` looks like a UUID (used to tell `["uuid", …]` from a plain string in untyped JSON).
    pub fn is_uuid_text(s: &str) -> bool {
        Uuid::parse(s).is_ok()
    }
}

// One 128-bit write, so [`UuidBuildHasher`] sees the whole value at once.
impl std::hash::Hash for Uuid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(self.as_u128());
    }
}

/// A fast hasher for maps keyed by [`Uuid`]: server-generated UUIDs are random, so folding the
/// two halves with a multiply is enough (and far cheaper than SipHash for million-row tables).
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidBuildHasher;

/// The hasher of [`UuidBuildHasher`].
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidHasher(u64);

impl std::hash::BuildHasher for UuidBuildHasher {
    type Hasher = UuidHasher;
    fn build_hasher(&self) -> UuidHasher {
        UuidHasher(0)
    }
}

impl std::hash::Hasher for UuidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[allow(clippy::cast_possible_truncation)]
    fn write_u128(&mut self, v: u128) {
        // Truncation is the point: fold the halves.
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

/// A `HashMap` keyed by [`Uuid`].
pub type UuidMap<V> = std::collections::HashMap<Uuid, V, UuidBuildHasher>;

impl FromStr for Uuid {
    type Err = UuidParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse(s)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_golden() {
        let s = "550e8400-e29b-41d4-a716-446655440000";
        let u = Uuid::parse(s).unwrap();
        assert_eq!(u.to_string(), s);
        assert_eq!(u.as_u128(), 0x550e8400_e29b_41d4_a716_446655440000);
        assert_eq!(
            Uuid::parse("550E8400-E29B-41D4-A716-446655440000").unwrap(),
            u
        );
    }

    #[test]
    fn rejects_bad_forms() {
        for s in [
            "",
            "550e8400e29b41d4a716446655440000",
            "550e8400-e29b-41d4-a716-44665544000g",
            "550e8400-e29b-41d4-a716_446655440000",
            "550e8400-e29b-41d4-a716-4466554400000",
        ] {
            assert!(Uuid::parse(s).is_err(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn display_parse(v in any::<u128>()) {
            let u = Uuid::from_u128(v);
            prop_assert_eq!(Uuid::parse(&u.to_string()).unwrap(), u);
        }
        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = Uuid::parse(&s);
        }
    }
}
