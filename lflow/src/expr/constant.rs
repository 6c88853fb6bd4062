//! Constants and constant sets of expressions (upstream `union expr_constant`,
//! `struct expr_constant_set`), including address sets built from strings.

use std::borrow::Cow;
use std::fmt;

use crate::lex::{Lexer, NumFormat, Token, TokenKind};

/// An integer constant as written (value/mask are the low 128 bits; constants are never used
/// against fields wider than 128 bits, `width` keeps the true width for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntConst {
    /// Value (already ANDed with the mask when masked).
    pub value: u128,
    /// Mask (meaningful only if `masked`).
    pub mask: u128,
    /// True for `value/mask`.
    pub masked: bool,
    /// How it was written.
    pub format: NumFormat,
    /// Upstream `expr_constant_width`: the minimum reasonable width.
    pub width: u32,
}

impl IntConst {
    /// From an `Integer` or `MaskedInteger` token.
    pub fn from_token(t: &Token<'_>) -> IntConst {
        let masked = t.kind == TokenKind::MaskedInteger;
        let width = if masked {
            t.mask_bits()
        } else {
            match t.format {
                NumFormat::Decimal | NumFormat::Hexadecimal => t.value_bits(),
                NumFormat::Ipv4 => 32,
                NumFormat::Ipv6 => 128,
                NumFormat::Ethernet => 48,
            }
        };
        IntConst {
            value: t.value,
            mask: if masked { t.mask } else { 0 },
            masked,
            format: t.format,
            width,
        }
    }

    /// A plain constant.
    pub fn new(value: u128, format: NumFormat) -> IntConst {
        IntConst {
            value,
            mask: 0,
            masked: false,
            format,
            width: 128 - value.leading_zeros(),
        }
    }

    /// Parses one integer constant from text (`10.0.0.0/8`), as address sets do.
    pub fn parse(s: &str) -> Option<IntConst> {
        let mut lexer = Lexer::new(s);
        lexer.get();
        match lexer.kind() {
            TokenKind::Integer | TokenKind::MaskedInteger => {
                Some(IntConst::from_token(&lexer.token))
            }
            _ => None,
        }
    }

    fn sort_key(&self) -> (u128, u8, u128) {
        (self.value, if self.masked { 0 } else { 1 }, self.mask)
    }
}

impl fmt::Display for IntConst {
    /// Upstream `expr_constant_format`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Token::integer(self.value, self.format);
        if self.masked {
            t.kind = TokenKind::MaskedInteger;
            t.mask = self.mask;
        }
        write!(f, "{t}")
    }
}

/// Sorts address-set members as upstream `expr_constant_set_create_integers` does.
pub fn sort_int_consts(v: &mut [IntConst]) {
    v.sort_by_key(IntConst::sort_key);
}

/// Parses address-set members, skipping entries that are not integers (as upstream does).
pub fn parse_address_set<'s>(members: impl IntoIterator<Item = &'s str>) -> Vec<IntConst> {
    let mut v: Vec<IntConst> = members.into_iter().filter_map(IntConst::parse).collect();
    sort_int_consts(&mut v);
    v
}

/// One constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constant<'a> {
    /// An integer.
    Int(IntConst),
    /// A string.
    Str(Cow<'a, str>),
}

/// The type of a constant set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConstType {
    /// Integers.
    #[default]
    Integer,
    /// Strings.
    String,
}

/// A constant or `{}`-enclosed set of constants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConstSet<'a> {
    /// The constants (all of `ty`).
    pub values: Vec<Constant<'a>>,
    /// Their type.
    pub ty: ConstType,
    /// Written in `{}`.
    pub in_curlies: bool,
    /// The address set this is exactly, if it is exactly one.
    pub as_name: Option<Box<str>>,
}

impl fmt::Display for ConstSet<'_> {
    /// Upstream `expr_constant_set_format`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let curlies = self.in_curlies || self.values.len() != 1;
        if curlies {
            f.write_str("{")?;
        }
        for (i, c) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match c {
                Constant::Int(ic) => write!(f, "{ic}")?,
                Constant::Str(s) => crate::lex::write_json_string(f, s)?,
            }
        }
        if curlies {
            f.write_str("}")?;
        }
        Ok(())
    }
}
