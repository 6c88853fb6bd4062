//! Annotation (upstream `expr_annotate`): adds prerequisites, replaces subfields by their parent
//! fields and predicates by their expansions, recursively.

use super::parse::{ParseEnv, parse_string};
use super::tree::{AndOr, CmpValue, Expr};
use super::{ExprError, Relop};
use crate::symtab::{SymbolId, Symtab};

/// Annotates `expr` (see the module documentation).
pub fn annotate(expr: Expr, symtab: &Symtab) -> Result<Expr, ExprError> {
    let mut st = State {
        nesting: Vec::new(),
        cached: true,
    };
    annotate_(expr, symtab, true, &mut st).map_err(|message| ExprError {
        message,
        position: 0,
    })
}

struct State {
    /// Symbols being expanded (recursion detection).
    nesting: Vec<SymbolId>,
    /// Use the symbol table's cached expansions.
    cached: bool,
}

#[derive(Clone, Copy)]
enum Which {
    Prereqs,
    Predicate,
}

/// Parses and annotates every symbol's prerequisites and predicate once, for the cache behind
/// [`Symtab::expansions`].
pub fn precompute_expansions(symtab: &Symtab) -> Vec<crate::symtab::Expansions> {
    symtab
        .iter()
        .map(|(_, sym)| {
            let one = |text: Option<&str>| {
                let mut st = State {
                    nesting: Vec::new(),
                    cached: false,
                };
                text.and_then(|t| parse_and_annotate(t, symtab, &mut st).ok())
            };
            crate::symtab::Expansions {
                prereqs: one(sym.prereqs.as_deref()),
                predicate: one(sym.predicate()),
            }
        })
        .collect()
}

/// The annotated prerequisites or predicate of `id`: from the cache when it is there (a cached
/// expansion annotated without error standalone, so it cannot recurse into `nesting` either).
fn expansion(
    id: SymbolId,
    which: Which,
    symtab: &Symtab,
    st: &mut State,
) -> Result<Option<Expr>, String> {
    let sym = symtab.get(id);
    let text = match which {
        Which::Prereqs => sym.prereqs.as_deref(),
        Which::Predicate => sym.predicate(),
    };
    let Some(text) = text else { return Ok(None) };
    if st.cached
        && let Some(x) = symtab.expansions(id)
        && let Some(e) = match which {
            Which::Prereqs => &x.prereqs,
            Which::Predicate => &x.predicate,
        }
    {
        return Ok(Some(e.clone()));
    }
    parse_and_annotate(text, symtab, st).map(Some)
}

fn parse_and_annotate(s: &str, symtab: &Symtab, st: &mut State) -> Result<Expr, String> {
    let env = ParseEnv {
        symtab,
        ctx: None,
        dp_id: 0,
    };
    let r = parse_string(s, env, None)
        .map_err(|e| e.message)
        .and_then(|e| annotate_(e, symtab, true, st));
    r.map_err(|error| {
        format!(
            "Error parsing expression `{s}' encountered as prerequisite or predicate of initial \
             expression: {error}"
        )
    })
}

fn annotate_(
    expr: Expr,
    symtab: &Symtab,
    append_prereqs: bool,
    st: &mut State,
) -> Result<Expr, String> {
    match expr {
        Expr::Cmp(_) => annotate_cmp(expr, symtab, append_prereqs, st),
        Expr::And(_) | Expr::Or(_) => {
            let mut expr = expr;
            let mut append = append_prereqs;
            if append && let Some(sym) = expr.unique_symbol() {
                // Every term tests the same symbol: apply its prerequisites once, here.
                append = false;
                if let Some(prereqs) = expansion(sym, Which::Prereqs, symtab, st)? {
                    expr = Expr::combine2(AndOr::And, expr, prereqs);
                }
            }
            let kind = expr.and_or().unwrap_or(AndOr::And);
            let subs = expr.into_subs();
            let mut out = Vec::with_capacity(subs.len());
            for sub in subs {
                let new = annotate_(sub, symtab, append, st)?;
                Expr::push_flat(kind, &mut out, new);
            }
            Ok(Expr::make(kind, out))
        }
        Expr::Boolean(_) | Expr::ChassisResident { .. } => Ok(expr),
    }
}

fn annotate_cmp(
    expr: Expr,
    symtab: &Symtab,
    append_prereqs: bool,
    st: &mut State,
) -> Result<Expr, String> {
    let Expr::Cmp(mut cmp) = expr else {
        return Ok(expr);
    };
    let symbol = symtab.get(cmp.symbol);
    if st.nesting.contains(&cmp.symbol) {
        return Err(format!("Recursive expansion of symbol `{}'.", symbol.name));
    }
    st.nesting.push(cmp.symbol);
    let id = cmp.symbol;
    let r = (|| {
        let prereqs = if append_prereqs {
            expansion(id, Which::Prereqs, symtab, st)?
        } else {
            None
        };
        let expr = if let Some((parent, ofs)) = symbol.parent() {
            cmp.symbol = parent;
            if let CmpValue::Int { value, mask } = &mut cmp.value {
                *value = shl(*value, ofs);
                *mask = shl(*mask, ofs);
            }
            Expr::Cmp(cmp)
        } else if symbol.predicate().is_some() {
            let Some(mut e) = expansion(id, Which::Predicate, symtab, st)? else {
                return Ok(Expr::Cmp(cmp));
            };
            let positive = (cmp.int().0 & 1 == 1) ^ (cmp.relop == Relop::Ne);
            if !positive {
                e.negate();
            }
            e
        } else {
            Expr::Cmp(cmp)
        };
        Ok(match prereqs {
            Some(p) => Expr::combine2(AndOr::And, expr, p),
            None => expr,
        })
    })();
    st.nesting.pop();
    r
}

#[inline]
fn shl(x: u128, n: u32) -> u128 {
    if n >= 128 { 0 } else { x << n }
}

/// The annotated prerequisites of symbol `id` alone (not its parents), with upstream's error
/// message if they do not parse.
pub(crate) fn symbol_prereqs(id: SymbolId, symtab: &Symtab) -> Result<Option<Expr>, String> {
    let mut st = State {
        nesting: Vec::new(),
        cached: true,
    };
    expansion(id, Which::Prereqs, symtab, &mut st)
}
