//! Ethernet addresses in the `aa:bb:cc:dd:ee:ff` text form that OVN, OVS and CNI results use.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn from_slice(b: &[u8]) -> Option<Mac> {
        <[u8; 6]>::try_from(b).ok().map(Mac)
    }

    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl FromStr for Mac {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let p = parts
                .next()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| format!("{s:?} is not a MAC address"))?;
            *byte = u8::from_str_radix(p, 16).map_err(|_| format!("{s:?} is not a MAC address"))?;
        }
        if parts.next().is_some() {
            return Err(format!("{s:?} is not a MAC address"));
        }
        Ok(Mac(out))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parse_and_print() {
        let m: Mac = "0A:00:00:00:00:2f".parse().unwrap();
        assert_eq!(m.to_string(), "0a:00:00:00:00:2f");
        assert!(!m.is_multicast());
        for bad in [
            "",
            "0a:00:00:00:00",
            "0a:00:00:00:00:00:00",
            "0a:00:00:00:00:zz",
            "0a:0:00:00:00:000",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,24}") {
            let _ = s.parse::<Mac>();
        }

        #[test]
        fn round_trip(b in any::<[u8; 6]>()) {
            prop_assert_eq!(Mac(b).to_string().parse::<Mac>().unwrap(), Mac(b));
        }
    }
}
