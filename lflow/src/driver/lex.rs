//! `lex` mode: every token of each line, re-formatted, separated by single spaces.

use std::fmt::Write;

use crate::lex::{Lexer, TokenKind};

/// Formats the tokens of one line as upstream's `test-ovn lex` prints them (without newline).
pub fn lex_line(line: &str, out: &mut String) {
    let mut lexer = Lexer::new(line);
    let mut first = true;
    while lexer.get() != TokenKind::End {
        if !first {
            out.push(' ');
        }
        first = false;
        let _ = write!(out, "{}", lexer.token);
    }
}
