//! Simplification (upstream `expr_simplify`): every comparison becomes an equality test, and
//! `is_chassis_resident()` evaluation (`expr_evaluate_condition`).

use super::Relop;
use super::tree::{AndOr, Cmp, CmpValue, Expr, find_bitwise_range, low_mask};
use crate::symtab::Symtab;

/// Rewrites `!=`, `<`, `<=`, `>`, `>=` comparisons into `==` tests over bits.
pub fn simplify(expr: Expr, symtab: &Symtab) -> Expr {
    match expr {
        Expr::Cmp(c) => {
            let width = symtab.get(c.symbol).width;
            if width == 0 {
                return Expr::Cmp(c);
            }
            match c.relop {
                Relop::Eq => simplify_eq(c),
                Relop::Ne => simplify_ne(&c, width),
                _ => simplify_relational(c, width),
            }
        }
        Expr::And(_) | Expr::Or(_) => {
            let kind = expr.and_or().unwrap_or(AndOr::And);
            let subs = expr.into_subs();
            let mut out = Vec::with_capacity(subs.len());
            for s in subs {
                Expr::push_flat(kind, &mut out, simplify(s, symtab));
            }
            Expr::make(kind, out).fix()
        }
        other => other,
    }
}

fn simplify_eq(c: Cmp) -> Expr {
    if c.int().1 == 0 {
        // `ip4.dst == 0/0` is just true (plus prerequisites).
        return Expr::Boolean(true);
    }
    Expr::Cmp(c)
}

fn simplify_ne(c: &Cmp, width: u32) -> Expr {
    let (value, mask) = c.int();
    let mut out = Vec::new();
    let mut m = mask & low_mask(width);
    while m != 0 {
        let i = m.trailing_zeros();
        m &= m - 1;
        let bit = 1u128 << i;
        out.push(Expr::Cmp(Cmp {
            symbol: c.symbol,
            relop: Relop::Eq,
            value: CmpValue::Int {
                value: !value & bit,
                mask: bit,
            },
        }));
    }
    match out.len() {
        // `ip4.dst != 0/0` is the opposite of `ip4.dst == 0/0`.
        0 => Expr::Boolean(false),
        1 => out.pop().unwrap_or(Expr::Boolean(false)),
        _ => Expr::Or(out),
    }
}

fn simplify_relational(c: Cmp, width: u32) -> Expr {
    let (value, mask) = c.int();
    let (start, n_bits) = find_bitwise_range(mask, width);
    let range = low_mask(n_bits) << start;
    let lt = matches!(c.relop, Relop::Lt | Relop::Le);
    let eq = matches!(c.relop, Relop::Le | Relop::Ge);
    // Bits of the range that equal `lt` (1-bits for <, 0-bits for >).
    let want = if lt { value & range } else { !value & range };
    let none_opposite = if lt {
        !value & range == 0
    } else {
        value & range == 0
    };
    if none_opposite {
        // `tcp.dst <= 65535` / `tcp.dst >= 0` are true; `<`/`>` the extreme are `!=`.
        return if eq {
            Expr::Boolean(true)
        } else {
            simplify_ne(&c, width)
        };
    }
    let mut out = Vec::new();
    if eq {
        out.push(Expr::Cmp(Cmp {
            symbol: c.symbol,
            relop: Relop::Eq,
            value: c.value.clone(),
        }));
    }
    let mut w = want;
    while w != 0 {
        let z = w.trailing_zeros();
        w &= w - 1;
        let below = low_mask(z - start) << start;
        let v = (value ^ (1u128 << z)) & !below;
        let m = mask & !below;
        out.push(Expr::Cmp(Cmp {
            symbol: c.symbol,
            relop: Relop::Eq,
            value: CmpValue::Int { value: v, mask: m },
        }));
    }
    match out.len() {
        0 => Expr::Boolean(false),
        1 => out.pop().unwrap_or(Expr::Boolean(false)),
        _ => Expr::Or(out),
    }
}

fn has_condition(e: &Expr) -> bool {
    match e {
        Expr::ChassisResident { .. } => true,
        Expr::And(v) | Expr::Or(v) => v.iter().any(has_condition),
        Expr::Cmp(_) | Expr::Boolean(_) => false,
    }
}

/// Replaces `is_chassis_resident()` conditions by their truth value.
pub fn evaluate_condition(expr: Expr, is_resident: &dyn Fn(&str) -> bool) -> Expr {
    // Most matches have no condition: then there is nothing to rebuild.
    if !has_condition(&expr) {
        return expr;
    }
    evaluate_condition_(expr, is_resident)
}

fn evaluate_condition_(expr: Expr, is_resident: &dyn Fn(&str) -> bool) -> Expr {
    match expr {
        Expr::And(_) | Expr::Or(_) => {
            let kind = expr.and_or().unwrap_or(AndOr::And);
            let subs = expr.into_subs();
            let mut out = Vec::with_capacity(subs.len());
            for s in subs {
                let e = evaluate_condition_(s, is_resident).fix();
                Expr::push_flat(kind, &mut out, e);
            }
            Expr::make(kind, out).fix()
        }
        Expr::ChassisResident { not, port } => Expr::Boolean(is_resident(&port) ^ not),
        other => other,
    }
}
