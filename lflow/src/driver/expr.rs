//! Expression modes: `parse-expr`, `annotate-expr`, `simplify-expr`, `normalize-expr`,
//! `expr-to-flows` (upstream `test_parse_expr__`).

use std::fmt::Write;

use crate::context::Context;
use crate::expr::{
    ParseEnv, annotate, evaluate_condition, normalize, parse_string, simplify, to_matches,
};
use crate::symtab::Symtab;

/// How far the pipeline goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExprSteps {
    /// `parse-expr`
    Parse = 0,
    /// `annotate-expr`
    Annotate = 1,
    /// `simplify-expr` (also evaluates `is_chassis_resident`)
    Simplify = 2,
    /// `normalize-expr`
    Normalize = 3,
    /// `expr-to-flows`
    ToFlows = 4,
}

/// Prints what upstream prints for one input line (each output line newline-terminated).
/// `expr-to-flows` lines are sorted (upstream prints hash order and its tests sort).
pub fn expr_line(steps: ExprSteps, line: &str, symtab: &Symtab, ctx: &Context, out: &mut String) {
    let env = ParseEnv {
        symtab,
        ctx: Some(ctx),
        dp_id: 0,
    };
    let result = parse_string(line, env, None).and_then(|e| {
        let mut e = e;
        if steps >= ExprSteps::Annotate {
            e = annotate(e, symtab)?;
        }
        if steps >= ExprSteps::Simplify {
            e = simplify(e, symtab);
            e = evaluate_condition(e, &|p| ctx.is_chassis_resident(p));
        }
        if steps >= ExprSteps::Normalize {
            e = normalize(e, symtab);
        }
        Ok(e)
    });
    match result {
        Err(err) => {
            out.push_str(&err.message);
            out.push('\n');
        }
        Ok(e) if steps == ExprSteps::ToFlows => {
            let mut lines = to_matches(&e, symtab, &|p| ctx.port_key(p)).lines();
            lines.sort();
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
        Ok(e) => {
            let _ = writeln!(out, "{}", e.display(symtab));
        }
    }
}
