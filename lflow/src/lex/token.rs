//! `Token`: one lexical token of OVN's logical-flow language (upstream `struct lex_token`) and its
//! re-formatting (`lex_token_format`), which the lexer can always parse back losslessly.

use std::borrow::Cow;
use std::fmt;

use super::addr::{format_ipv6, is_ipv4_cidr, is_ipv6_cidr};

/// The kind of a token (upstream `enum lex_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// End of input.
    End,
    /// `foo`.
    Id,
    /// `"foo"` (the token's text is the unescaped string).
    String,
    /// `12345`, `1.2.3.4`, `::1`, `01:02:03:04:05:06`.
    Integer,
    /// `12345/10`, `1.2.0.0/16`, `::2/127` …
    MaskedInteger,
    /// `$NAME` (an address set; the text excludes `$`).
    Macro,
    /// `@NAME` (a port group; the text excludes `@`).
    PortGroup,
    /// `^NAME` (a template variable; the text excludes `^`).
    Template,
    /// Invalid input; the text is the error message.
    Error,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LCurly,
    /// `}`
    RCurly,
    /// `[`
    LSquare,
    /// `]`
    RSquare,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `!`
    LogNot,
    /// `&&`
    LogAnd,
    /// `||`
    LogOr,
    /// `..`
    Ellipsis,
    /// `,`
    Comma,
    /// `;`
    Semicolon,
    /// `=`
    Equals,
    /// `<->`
    Exchange,
    /// `--`
    Decrement,
    /// `:`
    Colon,
    /// `-`
    Hyphen,
}

impl TokenKind {
    /// The fixed text of a bare token (`None` for tokens with data, and `End` → `$`).
    pub fn bare_text(self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            End => "$",
            LParen => "(",
            RParen => ")",
            LCurly => "{",
            RCurly => "}",
            LSquare => "[",
            RSquare => "]",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            LogNot => "!",
            LogAnd => "&&",
            LogOr => "||",
            Ellipsis => "..",
            Comma => ",",
            Semicolon => ";",
            Equals => "=",
            Exchange => "<->",
            Decrement => "--",
            Colon => ":",
            Hyphen => "-",
            Id | String | Integer | MaskedInteger | Macro | PortGroup | Template | Error => {
                return None;
            }
        })
    }
}

/// How an integer token was written (upstream `enum lex_format`); it decides how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NumFormat {
    /// `123`
    #[default]
    Decimal,
    /// `0x7b`
    Hexadecimal,
    /// `1.2.3.4`
    Ipv4,
    /// `::1`
    Ipv6,
    /// `00:11:22:33:44:55`
    Ethernet,
}

impl NumFormat {
    /// Upstream `lex_format_to_string`.
    pub fn as_str(self) -> &'static str {
        match self {
            NumFormat::Decimal => "decimal",
            NumFormat::Hexadecimal => "hexadecimal",
            NumFormat::Ipv4 => "IPv4",
            NumFormat::Ipv6 => "IPv6",
            NumFormat::Ethernet => "Ethernet",
        }
    }

    /// Number of low-order bits a value must fit in to be printed in this format.
    fn bits(self) -> u32 {
        match self {
            NumFormat::Decimal => 64,
            NumFormat::Hexadecimal => 1024,
            NumFormat::Ipv4 => 32,
            NumFormat::Ipv6 => 128,
            NumFormat::Ethernet => 48,
        }
    }
}

/// Bits above the low 128 of a hexadecimal constant (upstream constants are up to 1024 bits wide;
/// no field is wider than 128 bits, so these only exist to report "N-bit constant" errors and to
/// print such tokens back).  Big-endian bytes 0..112 of the 1024-bit value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WideBits {
    /// High bytes of the value.
    pub value: [u8; 112],
    /// High bytes of the mask.
    pub mask: [u8; 112],
}

/// One token.  `text` holds the identifier / unescaped string / error message / set name
/// (borrowed from the input where possible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token kind.
    pub kind: TokenKind,
    /// Text of `Id`, `String`, `Error`, `Macro`, `PortGroup`, `Template` (empty otherwise).
    pub text: Cow<'a, str>,
    /// Format of `Integer` / `MaskedInteger`.
    pub format: NumFormat,
    /// Low 128 bits of the value of `Integer` / `MaskedInteger`.
    pub value: u128,
    /// Low 128 bits of the mask of `MaskedInteger` (0 otherwise).
    pub mask: u128,
    /// Bits above 128 (only hexadecimal constants wider than 128 bits).
    pub wide: Option<Box<WideBits>>,
}

impl Default for Token<'_> {
    fn default() -> Self {
        Token::bare(TokenKind::End)
    }
}

impl<'a> Token<'a> {
    /// A token without data.
    pub fn bare(kind: TokenKind) -> Self {
        Token {
            kind,
            text: Cow::Borrowed(""),
            format: NumFormat::Decimal,
            value: 0,
            mask: 0,
            wide: None,
        }
    }

    /// An error token.
    pub fn error(msg: impl Into<String>) -> Self {
        let mut t = Token::bare(TokenKind::Error);
        t.text = Cow::Owned(msg.into());
        t
    }

    /// An integer token.
    pub fn integer(value: u128, format: NumFormat) -> Self {
        let mut t = Token::bare(TokenKind::Integer);
        t.value = value;
        t.format = format;
        t
    }

    /// Detaches the token from the input it was lexed from.
    pub fn into_owned(self) -> Token<'static> {
        Token {
            kind: self.kind,
            text: Cow::Owned(self.text.into_owned()),
            format: self.format,
            value: self.value,
            mask: self.mask,
            wide: self.wide,
        }
    }

    /// Number of significant bits of the value (0 for 0), counting bits above 128.
    pub fn value_bits(&self) -> u32 {
        if let Some(w) = &self.wide
            && let Some(i) = w.value.iter().position(|&b| b != 0)
        {
            return 128 + (111 - i as u32) * 8 + (8 - w.value[i].leading_zeros());
        }
        128 - self.value.leading_zeros()
    }

    /// Number of significant bits of the mask, counting bits above 128.
    pub fn mask_bits(&self) -> u32 {
        if let Some(w) = &self.wide
            && let Some(i) = w.mask.iter().position(|&b| b != 0)
        {
            return 128 + (111 - i as u32) * 8 + (8 - w.mask[i].leading_zeros());
        }
        128 - self.mask.leading_zeros()
    }

    /// The format this token is actually printed in (upstream `lex_token_get_format`): its own
    /// format if the value (and mask) fit it, otherwise hexadecimal.
    pub fn effective_format(&self) -> NumFormat {
        let bits = self.format.bits();
        let fits = |n: u32| n <= bits;
        if fits(self.value_bits())
            && (self.kind != TokenKind::MaskedInteger || fits(self.mask_bits()))
        {
            self.format
        } else {
            NumFormat::Hexadecimal
        }
    }
}

/// Writes `value` in `format` (upstream `lex_token_format_value`).  `wide` gives bits above 128.
pub fn format_value(
    f: &mut impl fmt::Write,
    value: u128,
    wide: Option<&[u8; 112]>,
    format: NumFormat,
) -> fmt::Result {
    match format {
        NumFormat::Decimal => write!(f, "{}", value as u64),
        NumFormat::Hexadecimal => format_hex(f, value, wide),
        NumFormat::Ipv4 => {
            let v = value as u32;
            write!(
                f,
                "{}.{}.{}.{}",
                v >> 24,
                (v >> 16) & 0xff,
                (v >> 8) & 0xff,
                v & 0xff
            )
        }
        NumFormat::Ipv6 => format_ipv6(f, value),
        NumFormat::Ethernet => {
            let b = (value as u64).to_be_bytes();
            write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                b[2], b[3], b[4], b[5], b[6], b[7]
            )
        }
    }
}

/// `mf_format_subvalue`: `0x` and the hex digits without leading zeros, or `0`.
pub fn format_hex(f: &mut impl fmt::Write, value: u128, wide: Option<&[u8; 112]>) -> fmt::Result {
    if let Some(w) = wide
        && let Some(i) = w.iter().position(|&b| b != 0)
    {
        write!(f, "0x{:x}", w[i])?;
        for b in &w[i + 1..] {
            write!(f, "{b:02x}")?;
        }
        return write!(f, "{value:032x}");
    }
    if value == 0 {
        f.write_str("0")
    } else {
        write!(f, "{value:#x}")
    }
}

/// Writes `s` as a JSON string literal exactly as OVS's `json_string_escape` does.
pub fn write_json_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{8}' => Some("\\b"),
            '\t' => Some("\\t"),
            '\n' => Some("\\n"),
            '\u{c}' => Some("\\f"),
            '\r' => Some("\\r"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        match esc {
            Some(e) => f.write_str(e)?,
            None => write!(f, "\\u{:04x}", c as u32)?,
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_char('"')
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TokenKind::*;
        match self.kind {
            Id => f.write_str(&self.text),
            Error => {
                f.write_str("error(")?;
                write_json_string(f, &self.text)?;
                f.write_str(")")
            }
            String => write_json_string(f, &self.text),
            Integer => format_value(
                f,
                self.value,
                self.wide.as_deref().map(|w| &w.value),
                self.effective_format(),
            ),
            MaskedInteger => {
                let format = self.effective_format();
                format_value(
                    f,
                    self.value,
                    self.wide.as_deref().map(|w| &w.value),
                    format,
                )?;
                f.write_str("/")?;
                if format == NumFormat::Ipv4 && is_ipv4_cidr(self.mask as u32) {
                    write!(f, "{}", (self.mask as u32).count_ones())
                } else if self.format == NumFormat::Ipv6
                    && self.wide.is_none()
                    && is_ipv6_cidr(self.mask)
                {
                    write!(f, "{}", self.mask.count_ones())
                } else {
                    format_value(f, self.mask, self.wide.as_deref().map(|w| &w.mask), format)
                }
            }
            Macro => write!(f, "${}", self.text),
            PortGroup => write!(f, "@{}", self.text),
            Template => write!(f, "^{}", self.text),
            kind => f.write_str(kind.bare_text().unwrap_or("")),
        }
    }
}
