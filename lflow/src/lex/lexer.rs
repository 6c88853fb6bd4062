//! `Lexer`: a cursor over the tokens of one input string with upstream's parsing helpers
//! (`lexer_get`, `lexer_match`, `lexer_force_*`, `lexer_error`, `lexer_syntax_error`).

use std::borrow::Cow;

use super::scan::scan;
use super::token::{NumFormat, Token, TokenKind};

/// A lexer over `input`.  Call [`Lexer::get`] to obtain the first token.
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    input: &'a str,
    /// Offset where the next token begins.
    pos: usize,
    /// Offset of the start of the current token (`None` before the first `get`).
    start: Option<usize>,
    /// The current token.
    pub token: Token<'a>,
    error: Option<String>,
}

impl<'a> Lexer<'a> {
    /// A lexer positioned before the first token.
    pub fn new(input: &'a str) -> Self {
        Lexer {
            input,
            pos: 0,
            start: None,
            token: Token::default(),
            error: None,
        }
    }

    /// The whole input.
    pub fn input(&self) -> &'a str {
        self.input
    }

    /// Byte offset of the current token in the input.
    pub fn token_start(&self) -> usize {
        self.start.unwrap_or(0)
    }

    /// Byte offset just past the current token.
    pub fn token_end(&self) -> usize {
        self.pos
    }

    /// The source text of the current token.
    pub fn token_text(&self) -> &'a str {
        let s = self.start.unwrap_or(self.pos);
        self.input.get(s..self.pos).unwrap_or("")
    }

    /// Kind of the current token.
    #[inline]
    pub fn kind(&self) -> TokenKind {
        self.token.kind
    }

    /// Advances to the next token and returns its kind.
    pub fn get(&mut self) -> TokenKind {
        let (tok, start, next) = scan(self.input, self.pos);
        self.token = tok;
        self.start = Some(start);
        self.pos = next;
        self.token.kind
    }

    /// Kind of the token after the current one, without advancing.
    pub fn lookahead(&self) -> TokenKind {
        scan(self.input, self.pos).0.kind
    }

    /// If the current token is `kind`, advances and returns true.
    pub fn match_kind(&mut self, kind: TokenKind) -> bool {
        if self.token.kind == kind {
            self.get();
            true
        } else {
            false
        }
    }

    /// Like [`Lexer::match_kind`], but records "Syntax error at `x' expecting `y'." on mismatch.
    pub fn force_match(&mut self, kind: TokenKind) -> bool {
        if kind == TokenKind::End {
            self.force_end()
        } else if self.match_kind(kind) {
            true
        } else {
            let msg = format!("expecting `{}'", kind.bare_text().unwrap_or(""));
            self.syntax_error(Some(&msg));
            false
        }
    }

    /// If the current token is the identifier `id`, advances and returns true.
    pub fn match_id(&mut self, id: &str) -> bool {
        if self.token.kind == TokenKind::Id && self.token.text == id {
            self.get();
            true
        } else {
            false
        }
    }

    /// True if the current token is the identifier `id` (without advancing).
    pub fn is_id(&self, id: &str) -> bool {
        self.token.kind == TokenKind::Id && self.token.text == id
    }

    /// If the current token is the string `s`, advances and returns true.
    pub fn match_string(&mut self, s: &str) -> bool {
        if self.token.kind == TokenKind::String && self.token.text == s {
            self.get();
            true
        } else {
            false
        }
    }

    /// True if the current token is a decimal integer no greater than `i32::MAX`.
    pub fn is_int(&self) -> bool {
        self.token.kind == TokenKind::Integer
            && self.token.format == NumFormat::Decimal
            && self.token.wide.is_none()
            && self.token.value <= i32::MAX as u128
    }

    /// If the current token is a small integer, returns it and advances.
    pub fn get_int(&mut self) -> Option<i32> {
        if self.is_int() {
            let v = self.token.value as i32;
            self.get();
            Some(v)
        } else {
            None
        }
    }

    /// Like [`Lexer::get_int`], recording "expecting small integer" on failure.
    pub fn force_int(&mut self) -> Option<i32> {
        let v = self.get_int();
        if v.is_none() {
            self.syntax_error(Some("expecting small integer"));
        }
        v
    }

    /// True at end of input; otherwise records "expecting end of input".
    pub fn force_end(&mut self) -> bool {
        if self.token.kind == TokenKind::End {
            true
        } else {
            self.syntax_error(Some("expecting end of input"));
            false
        }
    }

    /// True if an error has been recorded.
    pub fn has_error(&self) -> bool {
        self.error.is_some()
    }

    /// The recorded error, if any.
    pub fn error_message(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn error_common(&mut self) -> bool {
        if self.error.is_some() {
            // Keep the first error: cascades are rarely useful.
            true
        } else if self.token.kind == TokenKind::Error {
            // Nothing accepts an error token, so report the lexical error itself.
            self.error = Some(self.token.text.to_string());
            true
        } else {
            false
        }
    }

    /// Records `msg` as the error (unless one is already recorded or the token is an error).
    pub fn error(&mut self, msg: impl Into<String>) {
        if !self.error_common() {
            self.error = Some(msg.into());
        }
    }

    /// Records "Syntax error at `TOKEN' MSG." (upstream `lexer_syntax_error`).
    pub fn syntax_error(&mut self, msg: Option<&str>) {
        if self.error_common() {
            return;
        }
        let mut s = String::from("Syntax error");
        if self.token.kind == TokenKind::End {
            s.push_str(" at end of input");
        } else if self.start.is_some() {
            s.push_str(" at `");
            s.push_str(self.token_text());
            s.push('\'');
        }
        if let Some(m) = msg {
            s.push(' ');
            s.push_str(m);
        }
        s.push('.');
        self.error = Some(s);
    }

    /// Takes the recorded error.
    pub fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }

    /// Replaces the recorded error (used when wrapping errors of nested parses).
    pub fn set_error(&mut self, msg: String) {
        self.error = Some(msg);
    }

    /// The current token's text as an owned-or-borrowed string.
    pub fn token_str(&self) -> Cow<'a, str> {
        self.token.text.clone()
    }
}

/// Expands `^name` template references in `s` (upstream `lexer_parse_template_string`): each
/// template token becomes `vars(name)` (or its bare name if unknown) and every other token is
/// re-formatted — concatenated without separators, exactly as upstream does.  Names seen are
/// passed to `referenced`.  Borrows `s` when it has no `^`.
pub fn expand_templates<'s>(
    s: &'s str,
    vars: &dyn Fn(&str) -> Option<&'s str>,
    referenced: &mut dyn FnMut(&str),
) -> Cow<'s, str> {
    use std::fmt::Write;
    if !s.contains('^') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut lexer = Lexer::new(s);
    while lexer.get() != TokenKind::End {
        if lexer.token.kind == TokenKind::Template {
            let name: &str = &lexer.token.text;
            out.push_str(vars(name).unwrap_or(name));
            referenced(name);
        } else {
            let _ = write!(out, "{}", lexer.token);
        }
    }
    Cow::Owned(out)
}

/// [`expand_templates`] with a map of variables (a chassis's `Chassis_Template_Var`), recording
/// the names referenced in `referenced`.
pub fn expand_template_vars<'s>(
    s: &'s str,
    vars: &'s std::collections::HashMap<String, String>,
    referenced: Option<&mut std::collections::BTreeSet<String>>,
) -> Cow<'s, str> {
    let lookup = |name: &str| vars.get(name).map(String::as_str);
    match referenced {
        Some(r) => expand_templates(s, &lookup, &mut |n| {
            r.insert(n.to_string());
        }),
        None => expand_templates(s, &lookup, &mut |_| {}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    #[test]
    fn templates_expand_like_upstream() {
        let vars = HashMap::from([("vip".to_string(), "10.0.0.1".to_string())]);
        let mut seen = BTreeSet::new();
        let out = expand_template_vars(
            "ip4.dst == ^vip && tcp.dst == ^port",
            &vars,
            Some(&mut seen),
        );
        assert_eq!(out, "ip4.dst==10.0.0.1&&tcp.dst==port");
        assert_eq!(
            seen,
            BTreeSet::from(["port".to_string(), "vip".to_string()])
        );
        assert!(matches!(
            expand_template_vars("ip4", &vars, None),
            Cow::Borrowed("ip4")
        ));
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let mut l = Lexer::new("a b");
        l.get();
        l.get();
        assert!(!l.force_end());
        assert_eq!(
            l.take_error().as_deref(),
            Some("Syntax error at `b' expecting end of input.")
        );
        let mut l = Lexer::new("a &");
        l.get();
        l.get();
        l.syntax_error(Some("expecting x"));
        assert_eq!(
            l.take_error().as_deref(),
            Some("`&' is only valid as part of `&&'.")
        );
        let mut l = Lexer::new("");
        l.get();
        l.syntax_error(None);
        assert_eq!(
            l.take_error().as_deref(),
            Some("Syntax error at end of input.")
        );
    }
}
