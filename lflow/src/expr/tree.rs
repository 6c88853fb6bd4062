//! `Expr`: the expression tree (upstream `struct expr`) with its basic operations (combine, not,
//! fix-up) and formatting (`expr_format`).

use std::fmt;

use super::Relop;
use crate::symtab::{SymbolId, Symtab};

/// The compared value of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CmpValue {
    /// Integer fields: bits of `value` where `mask` is 1 (positioned within the symbol's width).
    Int {
        /// Value (a subset of `mask`).
        value: u128,
        /// Mask.
        mask: u128,
    },
    /// String fields (logical port names).
    Str(Box<str>),
}

/// `symbol relop value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cmp {
    /// The symbol on the left.
    pub symbol: SymbolId,
    /// The operator.
    pub relop: Relop,
    /// The constant on the right.
    pub value: CmpValue,
}

impl Cmp {
    /// Value and mask of an integer comparison ((0, 0) for strings).
    #[inline]
    pub fn int(&self) -> (u128, u128) {
        match self.value {
            CmpValue::Int { value, mask } => (value, mask),
            CmpValue::Str(_) => (0, 0),
        }
    }

    /// The string of a string comparison ("" for integers).
    #[inline]
    pub fn string(&self) -> &str {
        match &self.value {
            CmpValue::Str(s) => s,
            CmpValue::Int { .. } => "",
        }
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A comparison.
    Cmp(Cmp),
    /// Conjunction of ≥2 subexpressions, none of them `And`.
    And(Vec<Expr>),
    /// Disjunction of ≥2 subexpressions, none of them `Or`.
    Or(Vec<Expr>),
    /// Constant true/false.
    Boolean(bool),
    /// `is_chassis_resident("port")`, possibly negated; evaluated before normalization.
    ChassisResident {
        /// Negated.
        not: bool,
        /// Logical port name.
        port: Box<str>,
    },
}

/// AND or OR, for the functions that treat both alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AndOr {
    /// `&&`
    And,
    /// `||`
    Or,
}

impl Expr {
    /// Which of AND/OR this is.
    pub fn and_or(&self) -> Option<AndOr> {
        match self {
            Expr::And(_) => Some(AndOr::And),
            Expr::Or(_) => Some(AndOr::Or),
            _ => None,
        }
    }

    /// The subexpressions of an AND/OR.
    pub fn subs(&self) -> &[Expr] {
        match self {
            Expr::And(v) | Expr::Or(v) => v,
            _ => &[],
        }
    }

    pub(crate) fn make(kind: AndOr, v: Vec<Expr>) -> Expr {
        match kind {
            AndOr::And => Expr::And(v),
            AndOr::Or => Expr::Or(v),
        }
    }

    /// Upstream `expr_combine`: `a kind b`, flattening nested nodes of the same kind.
    pub fn combine(kind: AndOr, a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
        match (a, b) {
            (None, b) => b,
            (a, None) => a,
            (Some(a), Some(b)) => Some(Expr::combine2(kind, a, b)),
        }
    }

    /// `expr_combine` with both operands present.
    pub fn combine2(kind: AndOr, a: Expr, b: Expr) -> Expr {
        match (a, b) {
            (a, b) if a.and_or() == Some(kind) => {
                let mut v = a.into_subs();
                if b.and_or() == Some(kind) {
                    v.extend(b.into_subs());
                } else {
                    v.push(b);
                }
                Expr::make(kind, v)
            }
            (a, b) if b.and_or() == Some(kind) => {
                let mut v = b.into_subs();
                v.insert(0, a);
                Expr::make(kind, v)
            }
            (a, b) => Expr::make(kind, vec![a, b]),
        }
    }

    pub(crate) fn into_subs(self) -> Vec<Expr> {
        match self {
            Expr::And(v) | Expr::Or(v) => v,
            other => vec![other],
        }
    }

    /// Pushes `new` onto `v`, splicing its children if it is of kind `kind` (upstream
    /// `expr_insert_andor`).
    pub(crate) fn push_flat(kind: AndOr, v: &mut Vec<Expr>, new: Expr) {
        if new.and_or() == Some(kind) {
            v.extend(new.into_subs());
        } else {
            v.push(new);
        }
    }

    /// Logical negation in place (upstream `expr_not`, De Morgan down to the leaves).
    pub fn negate(&mut self) {
        match self {
            Expr::Cmp(c) => c.relop = c.relop.invert(),
            Expr::And(v) | Expr::Or(v) => {
                for s in v.iter_mut() {
                    s.negate();
                }
                let v = std::mem::take(v);
                *self = if matches!(self, Expr::And(_)) {
                    Expr::Or(v)
                } else {
                    Expr::And(v)
                };
            }
            Expr::Boolean(b) => *b = !*b,
            Expr::ChassisResident { not, .. } => *not = !*not,
        }
    }

    /// Upstream `expr_fix`: drops Boolean operands of AND/OR (short-circuiting) and unwraps
    /// single-operand nodes.
    pub fn fix(self) -> Expr {
        let kind = match &self {
            Expr::And(v) | Expr::Or(v) => {
                // The common case: nothing to fix, keep the node as is.
                if v.len() >= 2 && !v.iter().any(|s| matches!(s, Expr::Boolean(_))) {
                    return self;
                }
                if matches!(self, Expr::And(_)) {
                    AndOr::And
                } else {
                    AndOr::Or
                }
            }
            _ => return self,
        };
        let v = self.into_subs();
        let short_circuit = kind == AndOr::Or;
        let mut out = Vec::with_capacity(v.len());
        for s in v {
            match s {
                Expr::Boolean(b) if b == short_circuit => return Expr::Boolean(short_circuit),
                Expr::Boolean(_) => {}
                s => out.push(s),
            }
        }
        match out.len() {
            0 => Expr::Boolean(!short_circuit),
            1 => out.pop().unwrap_or(Expr::Boolean(!short_circuit)),
            _ => Expr::make(kind, out),
        }
    }

    /// A formatter using `symtab` for symbol names and widths.
    pub fn display<'a>(&'a self, symtab: &'a Symtab) -> ExprDisplay<'a> {
        ExprDisplay { expr: self, symtab }
    }

    /// Upstream `expr_get_unique_symbol`: the one symbol a CMP or an AND/OR tree of CMPs tests.
    pub fn unique_symbol(&self) -> Option<SymbolId> {
        match self {
            Expr::Cmp(c) => Some(c.symbol),
            Expr::And(v) | Expr::Or(v) => {
                let mut prev = None;
                for s in v {
                    let sym = s.unique_symbol()?;
                    if prev.is_some_and(|p| p != sym) {
                        return None;
                    }
                    prev = Some(sym);
                }
                prev
            }
            Expr::Boolean(_) | Expr::ChassisResident { .. } => None,
        }
    }

    /// Number of nodes (for diagnostics and limits).
    pub fn n_nodes(&self) -> usize {
        1 + self.subs().iter().map(Expr::n_nodes).sum::<usize>()
    }
}

/// `Display` adapter for [`Expr`].
#[derive(Debug, Clone, Copy)]
pub struct ExprDisplay<'a> {
    expr: &'a Expr,
    symtab: &'a Symtab,
}

/// Upstream `find_bitwise_range`: the single contiguous run of 1-bits of `mask` within `width`
/// bits, as (start, n_bits), or (0, 0) if there is none or more than one.
pub fn find_bitwise_range(mask: u128, width: u32) -> (u32, u32) {
    let m = mask & low_mask(width);
    if m == 0 {
        return (0, 0);
    }
    let start = m.trailing_zeros();
    let shifted = m >> start;
    let n = shifted.trailing_ones();
    if n >= 128 || shifted >> n == 0 {
        (start, n)
    } else {
        (0, 0)
    }
}

/// `n` low 1-bits.
#[inline]
pub fn low_mask(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// `mf_format_subvalue` of a 128-bit value.
pub(crate) fn write_hex(f: &mut impl fmt::Write, v: u128) -> fmt::Result {
    if v == 0 {
        f.write_str("0")
    } else {
        write!(f, "{v:#x}")
    }
}

fn format_cmp(f: &mut fmt::Formatter<'_>, c: &Cmp, symtab: &Symtab) -> fmt::Result {
    let sym = symtab.get(c.symbol);
    let (value, mask) = match &c.value {
        CmpValue::Str(s) => {
            write!(f, "{} {} ", sym.name, c.relop.as_str())?;
            return crate::lex::write_json_string(f, s);
        }
        CmpValue::Int { value, mask } => (*value, *mask),
    };
    let (ofs, n) = find_bitwise_range(mask, sym.width);
    if n == 1 && matches!(c.relop, Relop::Eq | Relop::Ne) {
        let positive = ((value >> ofs) & 1 == 1) ^ (c.relop == Relop::Ne);
        if !positive {
            f.write_str("!")?;
        }
        f.write_str(&sym.name)?;
        if sym.width > 1 {
            write!(f, "[{ofs}]")?;
        }
        return Ok(());
    }
    f.write_str(&sym.name)?;
    if n > 0 && n < sym.width {
        if n > 1 {
            write!(f, "[{}..{}]", ofs, ofs + n - 1)?;
        } else {
            write!(f, "[{ofs}]")?;
        }
    }
    write!(f, " {} ", c.relop.as_str())?;
    if n > 0 {
        write_hex(f, (value >> ofs) & low_mask(n))
    } else {
        write_hex(f, value)?;
        f.write_str("/")?;
        write_hex(f, mask)
    }
}

fn format_expr(f: &mut fmt::Formatter<'_>, e: &Expr, symtab: &Symtab) -> fmt::Result {
    match e {
        Expr::Cmp(c) => format_cmp(f, c, symtab),
        Expr::And(v) | Expr::Or(v) => {
            let op = if matches!(e, Expr::And(_)) {
                " && "
            } else {
                " || "
            };
            for (i, s) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(op)?;
                }
                if s.and_or().is_some() {
                    f.write_str("(")?;
                    format_expr(f, s, symtab)?;
                    f.write_str(")")?;
                } else {
                    format_expr(f, s, symtab)?;
                }
            }
            Ok(())
        }
        Expr::Boolean(b) => f.write_str(if *b { "1" } else { "0" }),
        Expr::ChassisResident { not, port } => {
            if *not {
                f.write_str("!")?;
            }
            f.write_str("is_chassis_resident(")?;
            crate::lex::write_json_string(f, port)?;
            f.write_str(")")
        }
    }
}

impl fmt::Display for ExprDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_expr(f, self.expr, self.symtab)
    }
}
