//! The tokenizer proper (upstream `lex_token_parse`): one token from a position in the input.

use std::borrow::Cow;

use super::addr::{ipv4_prefix_mask, ipv6_prefix_mask, parse_ipv4, parse_ipv6, parse_mac};
use super::token::{NumFormat, Token, TokenKind, WideBits};

fn is_id1(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.'
}

fn is_idn(c: u8) -> bool {
    is_id1(c) || c.is_ascii_digit()
}

/// Byte at `i`, with NUL past the end (the C lexer works on NUL-terminated strings, so an embedded
/// NUL also ends the input).
#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Scans one token starting at byte `p` of `input`.  Returns the token, the byte offset where it
/// starts (after white space and comments) and the offset where the next token begins.
pub fn scan(input: &str, mut p: usize) -> (Token<'_>, usize, usize) {
    let b = input.as_bytes();
    loop {
        let start = p;
        let c = at(b, p);
        let simple = |kind: TokenKind, len: usize| (Token::bare(kind), start, start + len);
        return match c {
            0 => (Token::bare(TokenKind::End), start, p),
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                p += 1;
                continue;
            }
            b'/' => {
                p += 1;
                match at(b, p) {
                    b'/' => {
                        while at(b, p) != 0 && at(b, p) != b'\n' {
                            p += 1;
                        }
                        continue;
                    }
                    b'*' => {
                        p += 1;
                        loop {
                            if at(b, p) == b'*' && at(b, p + 1) == b'/' {
                                p += 2;
                                break;
                            } else if at(b, p) == 0 || at(b, p) == b'\n' {
                                return (Token::error("`/*' without matching `*/'."), start, p);
                            }
                            p += 1;
                        }
                        continue;
                    }
                    _ => (
                        Token::error("`/' is only valid as part of `//' or `/*'."),
                        start,
                        p,
                    ),
                }
            }
            b'(' => simple(TokenKind::LParen, 1),
            b')' => simple(TokenKind::RParen, 1),
            b'{' => simple(TokenKind::LCurly, 1),
            b'}' => simple(TokenKind::RCurly, 1),
            b'[' => simple(TokenKind::LSquare, 1),
            b']' => simple(TokenKind::RSquare, 1),
            b'=' if at(b, p + 1) == b'=' => simple(TokenKind::Eq, 2),
            b'=' => simple(TokenKind::Equals, 1),
            b'!' if at(b, p + 1) == b'=' => simple(TokenKind::Ne, 2),
            b'!' => simple(TokenKind::LogNot, 1),
            b'&' if at(b, p + 1) == b'&' => simple(TokenKind::LogAnd, 2),
            b'&' => (
                Token::error("`&' is only valid as part of `&&'."),
                start,
                p + 1,
            ),
            b'|' if at(b, p + 1) == b'|' => simple(TokenKind::LogOr, 2),
            b'|' => (
                Token::error("`|' is only valid as part of `||'."),
                start,
                p + 1,
            ),
            b'<' if at(b, p + 1) == b'=' => simple(TokenKind::Le, 2),
            b'<' if at(b, p + 1) == b'-' && at(b, p + 2) == b'>' => simple(TokenKind::Exchange, 3),
            b'<' => simple(TokenKind::Lt, 1),
            b'>' if at(b, p + 1) == b'=' => simple(TokenKind::Ge, 2),
            b'>' => simple(TokenKind::Gt, 1),
            b'.' if at(b, p + 1) == b'.' => simple(TokenKind::Ellipsis, 2),
            b'.' => (
                Token::error("`.' is only valid as part of `..' or a number."),
                start,
                p + 1,
            ),
            b',' => simple(TokenKind::Comma, 1),
            b';' => simple(TokenKind::Semicolon, 1),
            b'-' if at(b, p + 1) == b'-' => simple(TokenKind::Decrement, 2),
            b'-' => simple(TokenKind::Hyphen, 1),
            b'$' => prefixed_id(
                input,
                p,
                TokenKind::Macro,
                "`$' must be followed by a valid identifier.",
            ),
            b'@' => prefixed_id(
                input,
                p,
                TokenKind::PortGroup,
                "`@' must be followed by a valid identifier.",
            ),
            b'^' => prefixed_id(
                input,
                p,
                TokenKind::Template,
                "`^' must be followed by a valid identifier.",
            ),
            b':' if at(b, p + 1) != b':' => simple(TokenKind::Colon, 1),
            b':' | b'0'..=b'9' => {
                let (tok, next) = parse_integer(input, p);
                (tok, start, next)
            }
            b'"' => {
                let (tok, next) = parse_string(input, p);
                (tok, start, next)
            }
            b'a'..=b'f' | b'A'..=b'F' => {
                let mut q = p;
                while at(b, q).is_ascii_hexdigit() {
                    q += 1;
                }
                if at(b, q) == b':' {
                    let (tok, next) = parse_integer(input, p);
                    (tok, start, next)
                } else {
                    let (tok, next) = parse_id(input, p, TokenKind::Id);
                    (tok, start, next)
                }
            }
            c if is_id1(c) => {
                let (tok, next) = parse_id(input, p, TokenKind::Id);
                (tok, start, next)
            }
            c => {
                let msg = if (0x20..0x7f).contains(&c) {
                    format!("Invalid character `{}' in input.", c as char)
                } else {
                    // Upstream prints the (signed) C char with "0x%d".
                    format!("Invalid byte 0x{} in input.", c as i8)
                };
                (Token::error(msg), start, p + 1)
            }
        };
    }
}

fn parse_id(input: &str, p: usize, kind: TokenKind) -> (Token<'_>, usize) {
    let b = input.as_bytes();
    let mut q = p + 1;
    while is_idn(at(b, q)) {
        q += 1;
    }
    let mut t = Token::bare(kind);
    t.text = Cow::Borrowed(&input[p..q]);
    (t, q)
}

fn prefixed_id<'a>(
    input: &'a str,
    p: usize,
    kind: TokenKind,
    err: &'static str,
) -> (Token<'a>, usize, usize) {
    if !is_id1(at(input.as_bytes(), p + 1)) {
        return (Token::error(err), p, p + 1);
    }
    let (t, next) = parse_id(input, p + 1, kind);
    (t, p, next)
}

fn parse_string(input: &str, p: usize) -> (Token<'_>, usize) {
    let b = input.as_bytes();
    let start = p + 1;
    let mut q = start;
    loop {
        match at(b, q) {
            0 => return (Token::error("Input ends inside quoted string."), q),
            b'"' => break,
            b'\\' => {
                q += 1;
                if at(b, q) != 0 {
                    q += 1;
                }
            }
            _ => q += 1,
        }
    }
    // The escape scan above only stops at ASCII bytes, so both ends are char boundaries.
    let raw = input.get(start..q).unwrap_or("");
    let tok = match unescape_json(raw) {
        Ok(s) => {
            let mut t = Token::bare(TokenKind::String);
            t.text = s;
            t
        }
        Err(e) => Token::error(e),
    };
    (tok, q + 1)
}

/// OVS `json_string_unescape`, borrowing when there is nothing to unescape.
pub fn unescape_json(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.contains(['\\', '"']) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Err("quoted string may not include unescaped \"".into()),
            '\\' => {}
            c => {
                out.push(c);
                continue;
            }
        }
        let Some(e) = chars.next() else {
            return Err("quoted string may not end with backslash".into());
        };
        match e {
            '"' | '\\' | '/' => out.push(e),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let c0 = hex4(&mut chars)?;
                if (0xd800..0xdc00).contains(&c0) {
                    if chars.next() != Some('\\') || chars.next() != Some('u') {
                        return Err("malformed escaped surrogate pair".into());
                    }
                    let c1 = hex4(&mut chars)?;
                    if !(0xdc00..0xe000).contains(&c1) {
                        return Err(
                            "second half of escaped surrogate pair is not trailing surrogate"
                                .into(),
                        );
                    }
                    let cp = 0x10000 + ((c0 - 0xd800) << 10) + (c1 - 0xdc00);
                    out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                } else {
                    out.push(char::from_u32(c0).unwrap_or('\u{fffd}'));
                }
            }
            e => return Err(format!("bad escape \\{e}")),
        }
    }
    Ok(Cow::Owned(out))
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Result<u32, String> {
    let s = chars.as_str();
    if s.len() < 4 {
        return Err("quoted string ends within \\u escape".into());
    }
    let mut v = 0u32;
    for _ in 0..4 {
        let d = chars
            .next()
            .and_then(|c| c.to_digit(16))
            .ok_or("malformed \\u escape")?;
        v = v * 16 + d;
    }
    if v == 0 {
        return Err("null bytes not supported in quoted strings".into());
    }
    Ok(v)
}

/// Upstream `lex_parse_integer`: a number, then optionally `/mask`.
fn parse_integer(input: &str, p: usize) -> (Token<'_>, usize) {
    let (mut tok, mut q) = parse_integer_only(input, p);
    if tok.kind == TokenKind::Integer && at(input.as_bytes(), q) == b'/' {
        let (mask, next) = parse_integer_only(input, q + 1);
        q = next;
        if mask.kind == TokenKind::Error {
            return (mask, q);
        }
        tok.kind = TokenKind::MaskedInteger;
        let prefix_bits = mask.value as u64 as u32;
        if tok.format == mask.format {
            tok.mask = mask.value;
            if let Some(mw) = mask.wide {
                let w = tok.wide.get_or_insert_with(|| {
                    Box::new(WideBits {
                        value: [0; 112],
                        mask: [0; 112],
                    })
                });
                w.mask = mw.value;
            }
        } else if tok.format == NumFormat::Ipv4
            && mask.format == NumFormat::Decimal
            && prefix_bits <= 32
        {
            tok.mask = u128::from(ipv4_prefix_mask(prefix_bits));
        } else if tok.format == NumFormat::Ipv6
            && mask.format == NumFormat::Decimal
            && prefix_bits <= 128
        {
            tok.mask = ipv6_prefix_mask(prefix_bits);
        } else if tok.format == NumFormat::Decimal
            && mask.format == NumFormat::Hexadecimal
            && tok.value as u64 == 0
        {
            tok.format = NumFormat::Hexadecimal;
            tok.mask = mask.value;
            if let Some(mw) = mask.wide {
                tok.wide = Some(Box::new(WideBits {
                    value: [0; 112],
                    mask: mw.value,
                }));
            }
        } else {
            return (Token::error("Value and mask have incompatible formats."), q);
        }
        tok.value &= tok.mask;
        if let Some(w) = tok.wide.as_deref_mut() {
            for (v, m) in w.value.iter_mut().zip(w.mask.iter()) {
                *v &= *m;
            }
        }
    }
    (tok, q)
}

/// Upstream `lex_parse_integer__`: decimal, hexadecimal, Ethernet, IPv4 or IPv6 constant.
fn parse_integer_only(input: &str, p: usize) -> (Token<'_>, usize) {
    let b = input.as_bytes();
    let mut end = p;
    let mut saw_dot = false;
    loop {
        let c = at(b, end);
        if c.is_ascii_alphanumeric()
            || (c == b':' && !saw_dot)
            || (c == b'.' && at(b, end + 1) != b'.')
        {
            if c == b'.' {
                saw_dot = true;
            }
            end += 1;
        } else {
            break;
        }
    }
    // Only ASCII bytes were consumed.
    let s = input.get(p..end).unwrap_or("");
    let len = s.len();
    let tok = if len == 0 {
        Token::error("Integer constant expected.")
    } else if let Some(mac) = parse_mac(s) {
        Token::integer(u128::from(mac), NumFormat::Ethernet)
    } else if s.bytes().all(|c| c.is_ascii_digit()) {
        if s.starts_with('0') && len > 1 {
            Token::error("Decimal constants must not have leading zeros.")
        } else {
            match s.parse::<u64>() {
                Ok(v) => Token::integer(u128::from(v), NumFormat::Decimal),
                Err(_) => Token::error("Decimal constants must be less than 2**64."),
            }
        }
    } else if s.starts_with("0x") || s.starts_with("0X") {
        if len > 2 {
            parse_hex(&s[2..])
        } else {
            Token::error(format!("Hex digits expected following 0{}.", &s[1..2]))
        }
    } else if len < 46 {
        if let Some(v4) = parse_ipv4(s) {
            Token::integer(u128::from(v4), NumFormat::Ipv4)
        } else if let Some(v6) = parse_ipv6(s) {
            Token::integer(v6, NumFormat::Ipv6)
        } else {
            Token::error("Invalid numeric constant.")
        }
    } else {
        Token::error("Invalid numeric constant.")
    };
    (tok, end)
}

fn parse_hex(digits: &str) -> Token<'static> {
    let mut value = 0u128;
    let mut wide: Option<Box<WideBits>> = None;
    for (i, c) in digits.bytes().rev().enumerate() {
        let Some(h) = (c as char).to_digit(16) else {
            return Token::error("Invalid syntax in hexadecimal constant.");
        };
        if h == 0 {
            continue;
        }
        let byte_from_end = i / 2;
        if byte_from_end >= 128 {
            return Token::error("Hexadecimal constant requires more than 1024 bits.");
        }
        let nibble = if i % 2 == 1 { (h as u8) << 4 } else { h as u8 };
        if byte_from_end < 16 {
            value |= u128::from(nibble) << (8 * byte_from_end);
        } else {
            let w = wide.get_or_insert_with(|| {
                Box::new(WideBits {
                    value: [0; 112],
                    mask: [0; 112],
                })
            });
            w.value[111 - (byte_from_end - 16)] |= nibble;
        }
    }
    let mut t = Token::integer(value, NumFormat::Hexadecimal);
    t.wide = wide;
    t
}
