//! Fields used as lvalues/rvalues by actions (upstream `expr_field_parse`, `expr_type_check`).

use super::annotate::symbol_prereqs;
use super::tree::{AndOr, Expr};
use crate::lex::Lexer;
use crate::symtab::{FieldRef, Symtab};

/// Parses a field reference for an action and ANDs the prerequisites of the symbol and of all
/// its parents into `prereqs` (upstream `expr_field_parse`).  Errors are recorded in `lexer`.
pub fn field_parse(
    lexer: &mut Lexer<'_>,
    symtab: &Symtab,
    prereqs: &mut Option<Expr>,
) -> Option<FieldRef> {
    let f = symtab.parse_field(lexer);
    if let Some(f) = &f {
        let sym = symtab.get(f.symbol);
        if sym.predicate().is_some() {
            lexer.error(format!(
                "Predicate symbol {} used where lvalue required.",
                sym.name
            ));
        }
    }
    let f = f?;
    if lexer.has_error() {
        return None;
    }
    let mut id = f.symbol;
    loop {
        match symbol_prereqs(id, symtab) {
            Ok(Some(e)) => *prereqs = Expr::combine(AndOr::And, prereqs.take(), Some(e)),
            Ok(None) => {}
            Err(msg) => {
                lexer.error(msg);
                return None;
            }
        }
        match symtab.get(id).parent() {
            Some((parent, _)) => id = parent,
            None => break,
        }
    }
    Some(f)
}

/// Checks that `f` is `n_bits` wide (0 = a string field) and, if `rw`, writable in
/// `write_scope` (upstream `expr_type_check`); the error is upstream's message.
pub fn type_check(
    symtab: &Symtab,
    f: &FieldRef,
    n_bits: u32,
    rw: bool,
    write_scope: u32,
) -> Result<(), String> {
    let sym = symtab.get(f.symbol);
    if n_bits != f.n_bits {
        return Err(if n_bits != 0 && f.n_bits != 0 {
            format!(
                "Cannot use {}-bit field {}[{}..{}] where {}-bit field is required.",
                f.n_bits,
                sym.name,
                f.ofs,
                f.ofs + f.n_bits - 1,
                n_bits
            )
        } else if n_bits != 0 {
            format!(
                "Cannot use string field {} where numeric field is required.",
                sym.name
            )
        } else {
            format!(
                "Cannot use numeric field {} where string field is required.",
                sym.name
            )
        });
    }
    if rw && sym.rw & write_scope == 0 {
        return Err(format!("Field {} is not modifiable.", sym.name));
    }
    Ok(())
}
