//! Conversion of a normalized expression to OpenFlow matches (upstream `expr_to_matches`),
//! including conjunctive matches (`conjunction(id, k/n)` flows plus a `conj_id=id` flow).

use crate::fxhash::FxHashMap;
use std::fmt;

use super::of_match::OfMatch;
use super::tree::{CmpValue, Expr};
use crate::symtab::Symtab;

/// Up to this many matches, duplicates are found by scanning.
const LINEAR_MAX: usize = 16;

/// One `conjunction(id, clause/n_clauses)` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conjunction {
    /// Conjunction id (from 1, to be offset by the caller).
    pub id: u32,
    /// Clause index.
    pub clause: u8,
    /// Number of clauses.
    pub n_clauses: u8,
}

/// One generated flow match (upstream `struct expr_match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprMatch {
    /// The match.
    pub m: OfMatch,
    /// Conjunction actions; empty for an ordinary (or `conj_id`) flow.
    pub conjunctions: Vec<Conjunction>,
}

impl fmt::Display for ExprMatch {
    /// One line of upstream's `expr_matches_print`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.m)?;
        for (i, c) in self.conjunctions.iter().enumerate() {
            write!(
                f,
                "{} conjunction({}, {}/{})",
                if i == 0 { ':' } else { ',' },
                c.id,
                c.clause,
                c.n_clauses
            )?;
        }
        Ok(())
    }
}

/// The matches of one expression, deduplicated as upstream's hash map does (in insertion order).
#[derive(Debug, Clone, Default)]
pub struct Matches {
    list: Vec<ExprMatch>,
    /// Built only once the list is long enough for hashing to beat a linear scan.
    index: FxHashMap<OfMatch, usize>,
    /// Number of conjunction ids used (ids are 1..=n_conjs).
    pub n_conjs: u32,
}

impl Matches {
    /// The matches.
    pub fn iter(&self) -> impl Iterator<Item = &ExprMatch> {
        self.list.iter()
    }

    /// Number of matches.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True if the expression can never match.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Consumes into the list of matches.
    pub fn into_vec(self) -> Vec<ExprMatch> {
        self.list
    }

    /// Upstream `expr_match_add`: identical matches merge; a plain flow absorbs conjunctions.
    fn add(&mut self, m: OfMatch, conj: Option<Conjunction>) {
        let found = if self.list.len() <= LINEAR_MAX {
            self.list.iter().position(|e| e.m == m)
        } else {
            if self.index.is_empty() {
                for (i, e) in self.list.iter().enumerate() {
                    self.index.insert(e.m.clone(), i);
                }
            }
            self.index.get(&m).copied()
        };
        if let Some(i) = found {
            let existing = &mut self.list[i];
            match conj {
                Some(c) if !existing.conjunctions.is_empty() => existing.conjunctions.push(c),
                _ => existing.conjunctions.clear(),
            }
            return;
        }
        if !self.index.is_empty() {
            self.index.insert(m.clone(), self.list.len());
        }
        self.list.push(ExprMatch {
            m,
            conjunctions: conj.into_iter().collect(),
        });
    }

    /// Moves the conjunction ids (in `conjunction()` actions and `conj_id` matches) by `ofs`, so
    /// that several expressions can share one table (upstream `expr_matches_prepare`).
    pub fn offset_conj_ids(&mut self, ofs: u32) {
        if ofs == 0 || self.n_conjs == 0 {
            return;
        }
        self.index.clear();
        for e in &mut self.list {
            for c in &mut e.conjunctions {
                c.id += ofs;
            }
            let (id, mask) = e.m.field(crate::symtab::OfField::ConjId);
            if mask != 0 {
                e.m.set_conj_id(id as u32 + ofs);
            }
        }
    }

    /// The lines upstream's `expr_matches_print` prints (unsorted).
    pub fn lines(&self) -> Vec<String> {
        if self.list.is_empty() {
            return vec!["(no flows)".to_string()];
        }
        self.list.iter().map(ToString::to_string).collect()
    }
}

/// Applies comparison `e` to `m`; false if it names an unknown port.
fn constrain(
    e: &Expr,
    symtab: &Symtab,
    lookup_port: &dyn Fn(&str) -> Option<u32>,
    m: &mut OfMatch,
) -> bool {
    let Expr::Cmp(c) = e else { return true };
    let sym = symtab.get(c.symbol);
    let Some(field) = sym.field() else {
        return true;
    };
    match &c.value {
        CmpValue::Int { value, mask } => m.set_field(field, *value, *mask),
        CmpValue::Str(s) => {
            let Some(port) = lookup_port(s) else {
                return false;
            };
            let full = if field.n_bits() >= 128 {
                u128::MAX
            } else {
                (1u128 << field.n_bits()) - 1
            };
            m.set_field(field, u128::from(port), full);
        }
    }
    true
}

fn add_disjunction(
    or: &Expr,
    symtab: &Symtab,
    lookup_port: &dyn Fn(&str) -> Option<u32>,
    base: &OfMatch,
    conj: Option<Conjunction>,
    out: &mut Matches,
) -> bool {
    let mut n = 0;
    for sub in or.subs() {
        let mut m = base.clone();
        if constrain(sub, symtab, lookup_port, &mut m) {
            out.add(m, conj);
            n += 1;
        }
    }
    n > 0
}

fn add_conjunction(
    and: &Expr,
    symtab: &Symtab,
    lookup_port: &dyn Fn(&str) -> Option<u32>,
    out: &mut Matches,
) {
    let mut m = OfMatch::catchall();
    let mut n_clauses = 0usize;
    for sub in and.subs() {
        match sub {
            Expr::Cmp(_) if !constrain(sub, symtab, lookup_port, &mut m) => return,
            Expr::Or(_) => n_clauses += 1,
            _ => {}
        }
    }
    match n_clauses {
        0 => out.add(m, None),
        1 => {
            for sub in and.subs().iter().filter(|s| matches!(s, Expr::Or(_))) {
                add_disjunction(sub, symtab, lookup_port, &m, None, out);
            }
        }
        n => {
            out.n_conjs += 1;
            let id = out.n_conjs;
            let n_clauses = u8::try_from(n).unwrap_or(u8::MAX);
            for (clause, sub) in and
                .subs()
                .iter()
                .filter(|s| matches!(s, Expr::Or(_)))
                .enumerate()
            {
                let conj = Conjunction {
                    id,
                    clause: clause as u8,
                    n_clauses,
                };
                if !add_disjunction(sub, symtab, lookup_port, &m, Some(conj), out) {
                    // This clause can never match, so neither can the conjunction.
                    return;
                }
            }
            m.set_conj_id(id);
            out.add(m, None);
        }
    }
}

fn add_cmp_flow(
    e: &Expr,
    symtab: &Symtab,
    lookup_port: &dyn Fn(&str) -> Option<u32>,
    out: &mut Matches,
) {
    let mut m = OfMatch::catchall();
    if constrain(e, symtab, lookup_port, &mut m) {
        out.add(m, None);
    }
}

/// Converts normalized `expr` to matches; string comparisons become port keys via
/// `lookup_port` (an unknown port makes its disjunct disappear).
pub fn to_matches(
    expr: &Expr,
    symtab: &Symtab,
    lookup_port: &dyn Fn(&str) -> Option<u32>,
) -> Matches {
    let mut out = Matches::default();
    match expr {
        Expr::Cmp(_) => add_cmp_flow(expr, symtab, lookup_port, &mut out),
        Expr::And(_) => add_conjunction(expr, symtab, lookup_port, &mut out),
        Expr::Or(v) => {
            let unique = expr.unique_symbol().is_some();
            for sub in v {
                if !unique && matches!(sub, Expr::And(_)) {
                    add_conjunction(sub, symtab, lookup_port, &mut out);
                } else {
                    add_cmp_flow(sub, symtab, lookup_port, &mut out);
                }
            }
        }
        Expr::Boolean(true) => out.add(OfMatch::catchall(), None),
        Expr::Boolean(false) | Expr::ChassisResident { .. } => {}
    }
    out
}
