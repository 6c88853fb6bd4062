//! The lexer of OVN's logical-flow language (upstream `lib/lex.c`, OVN 23.03).
//!
//! Public API (used by `expr` and `actions`):
//! - [`Lexer`]: `Lexer::new(input)`, then `get()` to advance; `token` is the current [`Token`];
//!   helpers `match_kind`, `force_match`, `match_id`, `is_id`, `match_string`, `is_int`,
//!   `get_int`, `force_int`, `force_end`, `lookahead`; errors with `error(msg)` /
//!   `syntax_error(Some("expecting …"))` (first error wins; a lexical error token is reported
//!   instead of a syntax error) and `take_error()`.
//! - [`Token`]: `kind` ([`TokenKind`]), `text` (identifier, unescaped string, set name, error
//!   message), `format` ([`NumFormat`]), `value`/`mask` (low 128 bits, big-endian numeric order:
//!   `1.2.3.4` is `0x01020304`), `wide` (bits above 128, rare), `value_bits()`; `Display` prints
//!   the token the way upstream's `lex_token_format` does.
//! - [`expand_templates`] / [`expand_template_vars`]: `^var` substitution (upstream
//!   `lexer_parse_template_string`).
//! - [`addr`]: IPv4/IPv6/MAC text helpers matching glibc/OVS.

pub mod addr;
mod lexer;
mod scan;
mod token;

pub use lexer::{Lexer, expand_template_vars, expand_templates};
pub use scan::unescape_json;
pub use token::{
    NumFormat, Token, TokenKind, WideBits, format_hex, format_value, write_json_string,
};
