//! Normalization (upstream `expr_normalize`): reduces a simplified expression to
//! OR(AND(clause)) where each clause is a comparison or a disjunction of comparisons over one
//! field — the shape that maps onto OpenFlow conjunctive matches.

use std::collections::BTreeSet;

use super::Relop;
use super::tree::{AndOr, Cmp, CmpValue, Expr};
use crate::symtab::{SymbolId, Symtab};

/// Upstream `mf_subvalue_intersect`: the conjunction of two masked values, if satisfiable.
#[inline]
pub fn intersect(av: u128, am: u128, bv: u128, bm: u128) -> Option<(u128, u128)> {
    if (av ^ bv) & am & bm != 0 {
        None
    } else {
        Some((av | bv, am | bm))
    }
}

/// Normalizes `expr`, which must be simplified and have its conditions evaluated.
pub fn normalize(expr: Expr, symtab: &Symtab) -> Expr {
    match expr {
        Expr::And(_) => normalize_and(expr, symtab),
        Expr::Or(_) => normalize_or(expr, symtab),
        other => other,
    }
}

fn eq_cmp(symbol: SymbolId, value: CmpValue) -> Expr {
    Expr::Cmp(Cmp {
        symbol,
        relop: Relop::Eq,
        value,
    })
}

fn cmp_key(e: &Expr) -> (u128, u128, &str) {
    match e {
        Expr::Cmp(c) => {
            let (v, m) = c.int();
            (v, m, c.string())
        }
        _ => (0, 0, ""),
    }
}

fn crush_cmps(expr: Expr, symbol: SymbolId, symtab: &Symtab) -> Expr {
    match expr {
        Expr::Or(_) => crush_or(expr, symbol, symtab),
        Expr::And(_) if symtab.get(symbol).width > 0 => crush_and_numeric(expr, symbol, symtab),
        Expr::And(_) => crush_and_string(expr, symbol, symtab),
        other => other,
    }
}

fn crush_or(expr: Expr, symbol: SymbolId, symtab: &Symtab) -> Expr {
    let subs = expr.into_subs();
    let mut v = Vec::with_capacity(subs.len());
    for s in subs {
        Expr::push_flat(AndOr::Or, &mut v, crush_cmps(s, symbol, symtab));
    }
    let expr = Expr::Or(v).fix();
    let Expr::Or(mut v) = expr else { return expr };
    // Sort by value and mask (strings by name) to bring duplicates together.
    v.sort_by(|a, b| cmp_key(a).cmp(&cmp_key(b)));
    v.dedup_by(|b, a| cmp_key(a) == cmp_key(b));
    Expr::Or(v).fix()
}

fn crush_and_string(expr: Expr, symbol: SymbolId, symtab: &Symtab) -> Expr {
    let mut singleton: Option<Expr> = None;
    let mut ors = Vec::new();
    for sub in expr.into_subs() {
        let new = crush_cmps(sub, symbol, symtab);
        match new {
            Expr::Cmp(ref c) => match &singleton {
                None => singleton = Some(new),
                Some(Expr::Cmp(s)) if s.string() == c.string() => {}
                Some(_) => return Expr::Boolean(false),
            },
            Expr::Or(_) => ors.push(new),
            Expr::Boolean(false) => return new,
            _ => {}
        }
    }
    if let Some(single) = singleton {
        let Expr::Cmp(s) = &single else { return single };
        for or in &ors {
            if !or
                .subs()
                .iter()
                .any(|d| matches!(d, Expr::Cmp(c) if c.string() == s.string()))
            {
                return Expr::Boolean(false);
            }
        }
        return single;
    }
    // Otherwise the result is the intersection of all the disjunctions.
    let mut result: Option<BTreeSet<Box<str>>> = None;
    for or in &ors {
        let strings: BTreeSet<Box<str>> = or
            .subs()
            .iter()
            .filter_map(|d| match d {
                Expr::Cmp(c) => Some(c.string().into()),
                _ => None,
            })
            .collect();
        let r = match result.take() {
            None => strings,
            Some(r) => r.intersection(&strings).cloned().collect(),
        };
        if r.is_empty() {
            return Expr::Boolean(false);
        }
        result = Some(r);
    }
    let v: Vec<Expr> = result
        .unwrap_or_default()
        .into_iter()
        .map(|s| eq_cmp(symbol, CmpValue::Str(s)))
        .collect();
    Expr::Or(v).fix()
}

fn crush_and_numeric(expr: Expr, symbol: SymbolId, symtab: &Symtab) -> Expr {
    let (mut value, mut mask) = (0u128, 0u128);
    let mut ors: Vec<Expr> = Vec::new();
    for sub in expr.into_subs() {
        match crush_cmps(sub, symbol, symtab) {
            Expr::Cmp(c) => {
                let (v, m) = c.int();
                match intersect(value, mask, v, m) {
                    Some((v, m)) => (value, mask) = (v, m),
                    None => return Expr::Boolean(false),
                }
            }
            new @ Expr::Or(_) => ors.push(new),
            Expr::Boolean(false) => return Expr::Boolean(false),
            _ => {}
        }
    }
    let int_cmp = |value, mask| eq_cmp(symbol, CmpValue::Int { value, mask });
    match ors.len() {
        0 => {
            if mask == 0 {
                Expr::Boolean(true)
            } else {
                int_cmp(value, mask)
            }
        }
        1 => {
            // "a && (b || c || d)" becomes "ab || ac || ad".
            let disjuncts = ors.pop().map(Expr::into_subs).unwrap_or_default();
            let mut or = Vec::with_capacity(disjuncts.len());
            for d in disjuncts {
                let (v, m) = cmp_key(&d).into_ints();
                if let Some((v, m)) = intersect(value, mask, v, m) {
                    or.push(int_cmp(v, m));
                }
            }
            match or.len() {
                0 => Expr::Boolean(false),
                1 => or.pop().unwrap_or(Expr::Boolean(false)),
                _ => crush_cmps(Expr::Or(or), symbol, symtab),
            }
        }
        _ => {
            // "x && (a0 || a1) && (b0 || b1) && …" becomes "(xa0b0 || xa0b1 || …) && …".
            let mut rest = ors.split_off(2);
            let bs = ors.pop().map(Expr::into_subs).unwrap_or_default();
            let as_ = ors.pop().map(Expr::into_subs).unwrap_or_default();
            let mut or = Vec::new();
            for a in &as_ {
                let (av, am) = cmp_key(a).into_ints();
                let Some((av, am)) = intersect(value, mask, av, am) else {
                    continue;
                };
                for b in &bs {
                    let (bv, bm) = cmp_key(b).into_ints();
                    if let Some((v, m)) = intersect(av, am, bv, bm) {
                        or.push(int_cmp(v, m));
                    }
                }
            }
            match or.len() {
                0 => Expr::Boolean(false),
                1 => {
                    let cmp = or.pop().unwrap_or(Expr::Boolean(false));
                    if rest.is_empty() {
                        crush_cmps(cmp, symbol, symtab)
                    } else {
                        rest.insert(0, cmp);
                        crush_cmps(Expr::And(rest), symbol, symtab)
                    }
                }
                _ => {
                    if rest.is_empty() {
                        crush_cmps(Expr::Or(or), symbol, symtab)
                    } else {
                        rest.insert(0, Expr::Or(or));
                        crush_cmps(Expr::And(rest), symbol, symtab)
                    }
                }
            }
        }
    }
}

trait IntoInts {
    fn into_ints(self) -> (u128, u128);
}

impl IntoInts for (u128, u128, &str) {
    fn into_ints(self) -> (u128, u128) {
        (self.0, self.1)
    }
}

/// Rank of an expression type in upstream's `enum expr_type` (CMP < AND < OR < BOOLEAN <
/// CONDITION), used for sorting.
fn type_rank(e: &Expr) -> u8 {
    match e {
        Expr::Cmp(_) => 0,
        Expr::And(_) => 1,
        Expr::Or(_) => 2,
        Expr::Boolean(_) => 3,
        Expr::ChassisResident { .. } => 4,
    }
}

/// Upstream `expr_sort`: groups the terms of an AND by symbol and crushes each group.
fn expr_sort(expr: Expr, symtab: &Symtab) -> Expr {
    let mut subs: Vec<(Expr, Option<SymbolId>, u8)> = expr
        .into_subs()
        .into_iter()
        .map(|e| {
            let sym = e.unique_symbol();
            let rank = if sym.is_some() { 0 } else { type_rank(&e) };
            (e, sym, rank)
        })
        .collect();
    // glibc's qsort is a stable merge sort for arrays like these.
    subs.sort_by(|a, b| {
        a.2.cmp(&b.2).then_with(|| match (a.1, b.1) {
            (Some(x), Some(y)) => symtab.get(x).name.cmp(&symtab.get(y).name),
            _ if a.2 == 1 || a.2 == 2 => a.0.subs().len().cmp(&b.0.subs().len()),
            _ => std::cmp::Ordering::Equal,
        })
    });
    let mut result: Option<Expr> = None;
    let mut it = subs.into_iter().peekable();
    while let Some((e, sym, _)) = it.next() {
        match sym {
            Some(sym) => {
                let mut group = e;
                while let Some((_, Some(s2), _)) = it.peek() {
                    if *s2 != sym {
                        break;
                    }
                    let Some((e2, _, _)) = it.next() else { break };
                    group = Expr::combine2(AndOr::And, group, e2);
                }
                match crush_cmps(group, sym, symtab) {
                    Expr::Boolean(false) => return Expr::Boolean(false),
                    Expr::Boolean(true) => {}
                    crushed => result = Expr::combine(AndOr::And, result, Some(crushed)),
                }
            }
            None => result = Expr::combine(AndOr::And, result, Some(e)),
        }
    }
    result.unwrap_or(Expr::Boolean(true))
}

fn normalize_and(expr: Expr, symtab: &Symtab) -> Expr {
    let expr = expr_sort(expr, symtab);
    let Expr::And(mut v) = expr else { return expr };

    // Adjacent comparisons of one symbol: keep their intersection.
    let mut i = 0;
    while i + 1 < v.len() {
        let merged = match (&v[i], &v[i + 1]) {
            (Expr::Cmp(a), Expr::Cmp(b)) if a.symbol == b.symbol => {
                if symtab.get(a.symbol).width > 0 {
                    let ((av, am), (bv, bm)) = (a.int(), b.int());
                    match intersect(av, am, bv, bm) {
                        Some((val, mask)) => Some(CmpValue::Int { value: val, mask }),
                        None => return Expr::Boolean(false),
                    }
                } else if a.string() == b.string() {
                    Some(b.value.clone())
                } else {
                    return Expr::Boolean(false);
                }
            }
            _ => None,
        };
        match merged {
            Some(val) => {
                if let Expr::Cmp(b) = &mut v[i + 1] {
                    b.value = val;
                }
                v.remove(i);
            }
            None => i += 1,
        }
    }
    if v.len() == 1 {
        return v.pop().unwrap_or(Expr::Boolean(true));
    }

    for (idx, sub) in v.iter().enumerate() {
        if !matches!(sub, Expr::Or(_)) {
            continue;
        }
        let crossproduct = match sub.unique_symbol() {
            None => true,
            Some(s) => symtab.get(s).must_crossproduct,
        };
        if crossproduct {
            let mut or = Vec::with_capacity(sub.subs().len());
            for k in sub.subs() {
                let mut and = Vec::with_capacity(v.len());
                for (j, m) in v.iter().enumerate() {
                    let term = if j == idx { k } else { m };
                    match term {
                        Expr::And(ts) => and.extend(ts.iter().cloned()),
                        t => and.push(t.clone()),
                    }
                }
                or.push(Expr::And(and));
            }
            return normalize_or(Expr::Or(or), symtab);
        }
    }
    Expr::And(v)
}

fn normalize_or(expr: Expr, symtab: &Symtab) -> Expr {
    let subs = expr.into_subs();
    let mut out = Vec::with_capacity(subs.len());
    for sub in subs {
        if let Expr::And(_) = sub {
            match normalize_and(sub, symtab) {
                Expr::Boolean(true) => return Expr::Boolean(true),
                Expr::Boolean(false) => {}
                new => Expr::push_flat(AndOr::Or, &mut out, new),
            }
        } else {
            out.push(sub);
        }
    }
    match out.len() {
        0 => Expr::Boolean(false),
        1 => out.pop().unwrap_or(Expr::Boolean(false)),
        _ => Expr::Or(out),
    }
}

/// Upstream `expr_is_normalized`.
pub fn is_normalized(expr: &Expr) -> bool {
    fn and_ok(e: &Expr) -> bool {
        e.subs().iter().all(|s| s.unique_symbol().is_some())
    }
    match expr {
        Expr::Cmp(_) | Expr::Boolean(_) => true,
        Expr::And(_) => and_ok(expr),
        Expr::Or(v) => {
            expr.unique_symbol().is_some()
                || v.iter().all(|s| {
                    s.unique_symbol().is_some() || (matches!(s, Expr::And(_)) && and_ok(s))
                })
        }
        Expr::ChassisResident { .. } => false,
    }
}
