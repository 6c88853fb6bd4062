//! Arbitrary bytes through the lexer and the whole match pipeline must never panic.
#![no_main]

use std::sync::OnceLock;

use lflow::context::Context;
use lflow::lex::{Lexer, TokenKind};
use lflow::symtab::Symtab;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static SYMTAB: OnceLock<Symtab> = OnceLock::new();
    let symtab = SYMTAB.get_or_init(Symtab::ovn_test);
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut lexer = Lexer::new(s);
    while lexer.get() != TokenKind::End {}
    let _ = lflow::expr::compile(s, symtab, &Context::new(), 0);
});
