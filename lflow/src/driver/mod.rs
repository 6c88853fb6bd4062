//! The line-oriented modes of upstream's test driver (`ovstest test-ovn <mode>`,
//! tests/test-ovn.c): for each input line, exactly what upstream prints.  [`run`] is the entry
//! point used by `ovn-agent lflow` and the conformance tests.

mod expr;
mod lex;
mod lines;
// `parse-actions` mode (owned by the actions work).
pub mod parse_actions;

pub use expr::{ExprSteps, expr_line};
pub use lex::lex_line;
pub use lines::for_each_test_line;
pub use parse_actions::ActionsDriver;

use crate::context::Context;
use crate::symtab::Symtab;

/// A test-driver mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `lex`
    Lex,
    /// `parse-expr`, `annotate-expr`, `simplify-expr`, `normalize-expr`, `expr-to-flows`
    Expr(ExprSteps),
    /// `dump-symtab`: every symbol's definition, one per line (sorted by name here).
    DumpSymtab,
    /// `parse-actions` (with upstream test-ovn's default action parameters; use
    /// [`run_actions`] to supply others).
    ParseActions,
}

impl Mode {
    /// The mode named as upstream names it.
    pub fn from_name(name: &str) -> Option<Mode> {
        Some(match name {
            "lex" => Mode::Lex,
            "parse-expr" => Mode::Expr(ExprSteps::Parse),
            "annotate-expr" => Mode::Expr(ExprSteps::Annotate),
            "simplify-expr" => Mode::Expr(ExprSteps::Simplify),
            "normalize-expr" => Mode::Expr(ExprSteps::Normalize),
            "expr-to-flows" => Mode::Expr(ExprSteps::ToFlows),
            "dump-symtab" => Mode::DumpSymtab,
            "parse-actions" => Mode::ParseActions,
            _ => return None,
        })
    }

    /// All mode names.
    pub const NAMES: &'static [&'static str] = &[
        "lex",
        "parse-expr",
        "annotate-expr",
        "simplify-expr",
        "normalize-expr",
        "expr-to-flows",
        "dump-symtab",
    ];
}

/// Runs `mode` over `input` (many lines) as upstream's test driver would.
pub fn run(mode: Mode, symtab: &Symtab, ctx: &Context, input: &str) -> String {
    let mut out = String::new();
    match mode {
        Mode::Lex => for_each_test_line(input, &mut out, |line, out| {
            lex_line(line, out);
            out.push('\n');
        }),
        Mode::Expr(steps) => for_each_test_line(input, &mut out, |line, out| {
            expr_line(steps, line, symtab, ctx, out);
        }),
        Mode::ParseActions => {
            let mut d =
                parse_actions::ActionsDriver::new(crate::actions::ActionsContext::default());
            return run_actions(&mut d, symtab, input);
        }
        Mode::DumpSymtab => {
            let mut lines: Vec<String> = symtab
                .iter()
                .map(|(id, _)| symtab.format_symbol(id))
                .collect();
            lines.sort();
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
    }
    out
}

/// `test-ovn parse-actions` over a whole input with the given action parameters and tables.
pub fn run_actions(d: &mut parse_actions::ActionsDriver, symtab: &Symtab, input: &str) -> String {
    let mut out = String::new();
    for_each_test_line(input, &mut out, |line, out| {
        parse_actions::parse_actions_line(d, symtab, line, out);
    });
    out
}

/// `test-ovn lex` over a whole input.
pub fn run_lex(input: &str) -> String {
    run(Mode::Lex, &Symtab::new(), &Context::new(), input)
}
