//! Bit ranges of fields: `NXM_NX_REG0[0..15]`, `reg0[]`, `NXM_OF_VLAN_TCI[14]`.

use std::fmt;
use std::str::FromStr;

use super::Field;

/// `field[ofs..ofs+n_bits-1]`, as used by `move`, `push`/`pop`, `output:`, `ct(zone=…)`,
/// `learn` and `check_pkt_larger`. Printed with the NXM name, as ovs-ofctl does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subfield {
    pub field: Field,
    pub ofs: u16,
    pub n_bits: u16,
}

/// Why a subfield did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubfieldError {
    #[error("unknown field `{0}'")]
    UnknownField(String),
    #[error("syntax error in `{0}' (expecting [] or [<bit>] or [<start>..<end>])")]
    Syntax(String),
    #[error("bits {start}..{end} out of range for {field} ({width} bits)")]
    Range {
        field: Field,
        start: u32,
        end: u32,
        width: u16,
    },
}

impl Subfield {
    /// The whole field.
    pub fn whole(field: Field) -> Subfield {
        Subfield {
            field,
            ofs: 0,
            n_bits: field.n_bits(),
        }
    }

    pub fn new(field: Field, ofs: u16, n_bits: u16) -> Subfield {
        Subfield { field, ofs, n_bits }
    }

    pub fn is_whole(&self) -> bool {
        self.ofs == 0 && self.n_bits == self.field.n_bits()
    }

    /// Parses the subfield at the start of `s`, returning it and the unparsed rest.
    pub fn parse_prefix(s: &str) -> Result<(Subfield, &str), SubfieldError> {
        let name_len = s.find(['[', '-', ',', ')', ' ']).unwrap_or(s.len());
        let name = &s[..name_len];
        let field = Field::from_nxm_name(name.strip_suffix("_W").unwrap_or(name))
            .or_else(|| Field::from_name(name))
            .ok_or_else(|| SubfieldError::UnknownField(name.to_owned()))?;
        let width = u32::from(field.n_bits());
        let rest = &s[name_len..];
        let (start, end, rest) = if let Some(r) = rest.strip_prefix("[]") {
            (0, width.saturating_sub(1), r)
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| SubfieldError::Syntax(s.to_owned()))?;
            let inner = &r[..close];
            let parse = |t: &str| {
                t.parse::<u32>()
                    .map_err(|_| SubfieldError::Syntax(s.to_owned()))
            };
            let (a, b) = match inner.split_once("..") {
                Some((a, b)) => (parse(a)?, parse(b)?),
                None => {
                    let a = parse(inner)?;
                    (a, a)
                }
            };
            (a, b, &r[close + 1..])
        } else {
            (0, width.saturating_sub(1), rest)
        };
        if start > end || end >= width {
            return Err(SubfieldError::Range {
                field,
                start,
                end,
                width: field.n_bits(),
            });
        }
        let sf = Subfield {
            field,
            ofs: start as u16,
            n_bits: (end - start + 1) as u16,
        };
        Ok((sf, rest))
    }
}

impl fmt::Display for Subfield {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field.info().nxm_name)?;
        if self.is_whole() {
            f.write_str("[]")
        } else if self.n_bits == 1 {
            write!(f, "[{}]", self.ofs)
        } else {
            write!(
                f,
                "[{}..{}]",
                self.ofs,
                i64::from(self.ofs) + i64::from(self.n_bits) - 1
            )
        }
    }
}

impl FromStr for Subfield {
    type Err = SubfieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Subfield::parse_prefix(s)? {
            (sf, "") => Ok(sf),
            _ => Err(SubfieldError::Syntax(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in [
            "NXM_NX_REG0[0..15]",
            "NXM_NX_XXREG0[96]",
            "NXM_OF_ETH_SRC[]",
            "OXM_OF_PKT_REG4[5]",
        ] {
            assert_eq!(s.parse::<Subfield>().unwrap().to_string(), s);
        }
        // A zero-width subfield prints like OVS's mf_format_subfield (OVN's test vectors
        // contain `[0..-1]`) instead of overflowing.
        assert_eq!(
            Subfield::new(Field::reg(0), 0, 0).to_string(),
            "NXM_NX_REG0[0..-1]"
        );
        assert_eq!(
            "reg13[0..15]".parse::<Subfield>().unwrap().to_string(),
            "NXM_NX_REG13[0..15]"
        );
        assert!("NXM_NX_REG0[0..32]".parse::<Subfield>().is_err());
        assert!("NXM_NX_REG0[5..2]".parse::<Subfield>().is_err());
        assert!("BOGUS[]".parse::<Subfield>().is_err());
    }
}
