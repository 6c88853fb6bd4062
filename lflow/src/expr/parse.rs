//! The expression parser (upstream `expr_parse` and friends in lib/expr.c).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use super::constant::{ConstSet, ConstType, Constant, IntConst};
use super::tree::{AndOr, Cmp, CmpValue, Expr, low_mask};
use super::{ExprError, Relop};
use crate::context::Context;
use crate::lex::{Lexer, NumFormat, TokenKind};
use crate::symtab::{FieldRef, Level, Symtab};

/// Upstream's limit on nested parentheses.
const MAX_PAREN_DEPTH: u32 = 100;

/// Address sets and port groups an expression referred to (for incremental recompute).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExprRefs {
    /// Address set name → number of references.
    pub address_sets: HashMap<String, usize>,
    /// Port group names looked up (SB names, and bare names tried as a fallback).
    pub port_groups: BTreeSet<String>,
    /// Template variables (`^name`) expanded (filled by [`crate::expr::compile_with`]).
    pub template_vars: BTreeSet<String>,
}

/// What the parser may consult besides the symbol table.
#[derive(Debug, Clone, Copy)]
pub struct ParseEnv<'c> {
    /// Symbol table.
    pub symtab: &'c Symtab,
    /// Address sets and port groups (none: every `$x`/`@x` is unknown).
    pub ctx: Option<&'c Context>,
    /// Tunnel key of the datapath the expression belongs to (port group SB names).
    pub dp_id: i64,
}

struct Parser<'a, 'l, 'c, 'r> {
    lexer: &'l mut Lexer<'a>,
    env: ParseEnv<'c>,
    refs: Option<&'r mut ExprRefs>,
    not: bool,
    paren_depth: u32,
}

/// Parses an expression from `lexer` (positioned at its first token).  On error records it in
/// the lexer and returns `None`.
pub fn parse(
    lexer: &mut Lexer<'_>,
    env: ParseEnv<'_>,
    refs: Option<&mut ExprRefs>,
) -> Option<Expr> {
    if lexer.has_error() {
        return None;
    }
    let mut p = Parser {
        lexer,
        env,
        refs,
        not: false,
        paren_depth: 0,
    };
    p.parse_expr()
}

/// Parses the whole string `s` as an expression (upstream `expr_parse_string`).
pub fn parse_string(
    s: &str,
    env: ParseEnv<'_>,
    refs: Option<&mut ExprRefs>,
) -> Result<Expr, ExprError> {
    let mut lexer = Lexer::new(s);
    lexer.get();
    let e = parse(&mut lexer, env, refs);
    lexer.force_end();
    let position = lexer.token_start();
    match (lexer.take_error(), e) {
        (None, Some(e)) => Ok(e),
        (Some(message), _) => Err(ExprError { message, position }),
        (None, None) => Err(ExprError {
            message: "parse error".into(),
            position,
        }),
    }
}

/// The level of a predicate's expansion (upstream `expr_parse_level`).
pub fn expansion_level(s: &str, symtab: &Symtab) -> Result<Level, String> {
    let e = parse_string(
        s,
        ParseEnv {
            symtab,
            ctx: None,
            dp_id: 0,
        },
        None,
    )
    .map_err(|e| e.message)?;
    Ok(level_of(&e, symtab))
}

fn level_of(e: &Expr, symtab: &Symtab) -> Level {
    match e {
        Expr::Cmp(c) => {
            if symtab.get(c.symbol).level == Level::Nominal {
                Level::Nominal
            } else {
                Level::Boolean
            }
        }
        Expr::And(v) | Expr::Or(v) => v
            .iter()
            .map(|s| level_of(s, symtab))
            .min()
            .unwrap_or(Level::Ordinal),
        Expr::Boolean(_) | Expr::ChassisResident { .. } => Level::Boolean,
    }
}

/// Parses one constant compatible with field `f` (upstream `expr_constant_parse`); errors are
/// recorded in the lexer.
pub fn parse_constant<'a>(
    lexer: &mut Lexer<'a>,
    symtab: &Symtab,
    f: &FieldRef,
) -> Option<Constant<'a>> {
    if lexer.has_error() {
        return None;
    }
    let env = ParseEnv {
        symtab,
        ctx: None,
        dp_id: 0,
    };
    let mut p = Parser {
        lexer,
        env,
        refs: None,
        not: false,
        paren_depth: 0,
    };
    let mut cs = ConstSet::default();
    if p.parse_constant(&mut cs) && p.type_check(f, &cs) {
        cs.values.into_iter().next()
    } else {
        None
    }
}

/// Parses a constant or `{}`-set of constants (upstream `expr_constant_set_parse`).
pub fn parse_constant_set<'a>(lexer: &mut Lexer<'a>, symtab: &Symtab) -> Option<ConstSet<'a>> {
    if lexer.has_error() {
        return None;
    }
    let env = ParseEnv {
        symtab,
        ctx: None,
        dp_id: 0,
    };
    let mut p = Parser {
        lexer,
        env,
        refs: None,
        not: false,
        paren_depth: 0,
    };
    p.parse_constant_set()
}

impl<'a> Parser<'a, '_, '_, '_> {
    fn parse_expr(&mut self) -> Option<Expr> {
        let mut e = self.parse_not()?;
        let kind = self.lexer.kind();
        if kind == TokenKind::LogAnd || kind == TokenKind::LogOr {
            let ty = if kind == TokenKind::LogAnd {
                AndOr::And
            } else {
                AndOr::Or
            };
            self.lexer.get();
            loop {
                let e2 = self.parse_not()?;
                e = Expr::combine2(ty, e, e2);
                if !self.lexer.match_kind(kind) {
                    break;
                }
            }
            if matches!(self.lexer.kind(), TokenKind::LogAnd | TokenKind::LogOr) {
                self.lexer
                    .error("&& and || must be parenthesized when used together.");
                return None;
            }
        }
        Some(e)
    }

    fn parse_not(&mut self) -> Option<Expr> {
        if self.lexer.match_kind(TokenKind::LogNot) {
            self.not = !self.not;
            let r = self.parse_primary();
            self.not = !self.not;
            let (mut e, atomic) = r?;
            if !atomic {
                self.lexer.error("Missing parentheses around operand of !.");
                return None;
            }
            e.negate();
            Some(e)
        } else {
            self.parse_primary().map(|(e, _)| e)
        }
    }

    /// Returns the expression and whether it is "atomic" (may be the operand of `!`).
    fn parse_primary(&mut self) -> Option<(Expr, bool)> {
        if self.lexer.match_kind(TokenKind::LParen) {
            if self.paren_depth >= MAX_PAREN_DEPTH {
                self.lexer.error("Parentheses nested too deeply.");
                return None;
            }
            self.paren_depth += 1;
            let e = self.parse_expr();
            self.paren_depth -= 1;
            let e = e?;
            if !self.lexer.force_match(TokenKind::RParen) {
                return None;
            }
            return Some((e, true));
        }
        match self.lexer.kind() {
            TokenKind::Template => {
                self.lexer.error("Unexpanded template.");
                None
            }
            TokenKind::Id => self.parse_field_primary(),
            _ => self.parse_constant_primary(),
        }
    }

    fn parse_field_primary(&mut self) -> Option<(Expr, bool)> {
        if self.lexer.lookahead() == TokenKind::LParen {
            if self.lexer.match_id("is_chassis_resident") {
                self.lexer.get(); // "("
                return self.parse_chassis_resident().map(|e| (e, true));
            }
            self.lexer.error("parsing function name");
            return None;
        }
        let f = self.env.symtab.parse_field(self.lexer)?;
        match Relop::from_token(self.lexer.kind()) {
            None => {
                if f.n_bits == 0 || self.lexer.kind() == TokenKind::Equals {
                    self.lexer
                        .syntax_error(Some("expecting relational operator"));
                    return None;
                } else if f.n_bits > 1 && !self.not {
                    self.lexer.error(
                        "Explicit `!= 0' is required for inequality test of multibit field against 0.",
                    );
                    return None;
                }
                let zero = ConstSet {
                    values: vec![Constant::Int(IntConst::new(0, NumFormat::Hexadecimal))],
                    ty: ConstType::Integer,
                    in_curlies: false,
                    as_name: None,
                };
                self.make_cmp(&f, Relop::Ne, zero).map(|e| (e, true))
            }
            Some(r) => {
                self.lexer.get();
                let cs = self.parse_constant_set()?;
                self.make_cmp(&f, r, cs).map(|e| (e, false))
            }
        }
    }

    fn parse_constant_primary(&mut self) -> Option<(Expr, bool)> {
        let c1 = self.parse_constant_set()?;
        if Relop::from_token(self.lexer.kind()).is_none()
            && c1.values.len() == 1
            && !c1.in_curlies
            && let Some(Constant::Int(ic)) = c1.values.first()
            && ic.format == NumFormat::Decimal
            && !ic.masked
            && ic.value <= 1
        {
            return Some((Expr::Boolean(ic.value == 1), true));
        }
        let r1 = self.parse_relop()?;
        let f = self.env.symtab.parse_field(self.lexer)?;
        let Some(r2) = Relop::from_token(self.lexer.kind()) else {
            return self.make_cmp(&f, r1.turn(), c1).map(|e| (e, false));
        };
        self.lexer.get();
        let c2 = self.parse_constant_set()?;
        let lt = |r: Relop| matches!(r, Relop::Lt | Relop::Le);
        let gt = |r: Relop| matches!(r, Relop::Gt | Relop::Ge);
        if !((lt(r1) && lt(r2)) || (gt(r1) && gt(r2))) {
            self.lexer.error(
                "Range expressions must have the form `x < field < y' or `x > field > y', with \
                 each `<' optionally replaced by `<=' or `>' by `>=').",
            );
            return None;
        }
        let e1 = self.make_cmp(&f, r1.turn(), c1);
        let e2 = self.make_cmp(&f, r2, c2);
        if self.lexer.has_error() {
            return None;
        }
        Some((Expr::combine2(AndOr::And, e1?, e2?), false))
    }

    fn parse_relop(&mut self) -> Option<Relop> {
        match Relop::from_token(self.lexer.kind()) {
            Some(r) => {
                self.lexer.get();
                Some(r)
            }
            None => {
                self.lexer
                    .syntax_error(Some("expecting relational operator"));
                None
            }
        }
    }

    fn parse_chassis_resident(&mut self) -> Option<Expr> {
        if self.lexer.kind() != TokenKind::String {
            self.lexer.syntax_error(Some("expecting string"));
            return None;
        }
        let port: Box<str> = self.lexer.token.text.as_ref().into();
        self.lexer.get();
        if !self.lexer.force_match(TokenKind::RParen) {
            return None;
        }
        Some(Expr::ChassisResident { not: false, port })
    }

    fn type_check(&mut self, f: &FieldRef, cs: &ConstSet<'_>) -> bool {
        let sym = self.env.symtab.get(f.symbol);
        let want = if sym.width > 0 {
            ConstType::Integer
        } else {
            ConstType::String
        };
        if cs.ty != want {
            self.lexer.error(format!(
                "{} field {} is not compatible with {} constant.",
                if sym.width > 0 { "Integer" } else { "String" },
                sym.name,
                if cs.ty == ConstType::Integer {
                    "integer"
                } else {
                    "string"
                }
            ));
            return false;
        }
        if sym.width > 0 {
            for c in &cs.values {
                if let Constant::Int(ic) = c
                    && ic.width > sym.width
                {
                    self.lexer.error(format!(
                        "{}-bit constant is not compatible with {}-bit field {}.",
                        ic.width, sym.width, sym.name
                    ));
                    return false;
                }
            }
        }
        true
    }

    fn make_cmp(&mut self, f: &FieldRef, r: Relop, cs: ConstSet<'_>) -> Option<Expr> {
        if !self.type_check(f, &cs) {
            return None;
        }
        let symtab = self.env.symtab;
        let sym = symtab.get(f.symbol);
        if r != Relop::Eq && r != Relop::Ne {
            if cs.in_curlies {
                self.lexer
                    .error("Only == and != operators may be used with value sets.");
                return None;
            }
            if matches!(sym.level, Level::Nominal | Level::Boolean) {
                self.lexer.error(format!(
                    "Only == and != operators may be used with {} field {}.",
                    sym.level.as_str(),
                    sym.name
                ));
                return None;
            }
            if cs.values.is_empty() {
                self.lexer.error(
                    "Only == and != operators may be used to compare a field against an empty value set.",
                );
                return None;
            }
            if matches!(
                cs.values.first(),
                Some(Constant::Int(IntConst { masked: true, .. }))
            ) {
                self.lexer.error(
                    "Only == and != operators may be used with masked constants.  Consider using \
                     subfields instead (e.g. eth.src[0..15] > 0x1111 in place of eth.src > \
                     00:00:00:00:11:11/00:00:00:00:ff:ff).",
                );
                return None;
            }
        }
        if sym.level == Level::Nominal {
            if sym.predicate().is_some() {
                for c in &cs.values {
                    let v = match c {
                        Constant::Int(ic) => ic.value,
                        Constant::Str(_) => 0,
                    };
                    let positive = (v & 1 == 1) ^ (r == Relop::Ne) ^ self.not;
                    if !positive {
                        let n = &sym.name;
                        self.lexer.error(format!(
                            "Nominal predicate {n} may only be tested positively, e.g. `{n}' or \
                             `{n} == 1' but not `!{n}' or `{n} == 0'."
                        ));
                        return None;
                    }
                }
            } else if r != (if self.not { Relop::Ne } else { Relop::Eq }) {
                self.lexer.error(format!(
                    "Nominal field {} may only be tested for equality (taking enclosing `!' \
                     operators into account).",
                    sym.name
                ));
                return None;
            }
        }
        if cs.values.is_empty() {
            return Some(Expr::Boolean(r == Relop::Ne));
        }
        let kind = if r == Relop::Eq {
            AndOr::Or
        } else {
            AndOr::And
        };
        let n = cs.values.len();
        let mut it = cs
            .values
            .into_iter()
            .map(|c| Expr::Cmp(make_cmp_one(f, r, c)));
        if n == 1 {
            return it.next();
        }
        Some(Expr::make(kind, it.collect()))
    }

    fn parse_constant_set(&mut self) -> Option<ConstSet<'a>> {
        let mut cs = ConstSet::default();
        if self.lexer.match_kind(TokenKind::LCurly) {
            cs.in_curlies = true;
            loop {
                if !self.parse_constant(&mut cs) {
                    return None;
                }
                self.lexer.match_kind(TokenKind::Comma);
                if self.lexer.match_kind(TokenKind::RCurly) {
                    break;
                }
            }
            Some(cs)
        } else if self.parse_constant(&mut cs) {
            Some(cs)
        } else {
            None
        }
    }

    fn assign_type(&mut self, cs: &mut ConstSet<'_>, ty: ConstType) -> bool {
        if cs.values.is_empty() || cs.ty == ty {
            cs.ty = ty;
            true
        } else {
            let want = if cs.ty == ConstType::Integer {
                "expecting integer"
            } else {
                "expecting string"
            };
            self.lexer.syntax_error(Some(want));
            false
        }
    }

    fn parse_constant(&mut self, cs: &mut ConstSet<'a>) -> bool {
        // Mixing other values into an address set's values untracks the set.
        cs.as_name = None;
        match self.lexer.kind() {
            TokenKind::Template => {
                self.lexer.error("Unexpanded template.");
                false
            }
            TokenKind::String => {
                if !self.assign_type(cs, ConstType::String) {
                    return false;
                }
                let s = std::mem::replace(&mut self.lexer.token.text, Cow::Borrowed(""));
                cs.values.push(Constant::Str(s));
                self.lexer.get();
                true
            }
            TokenKind::Integer | TokenKind::MaskedInteger => {
                if !self.assign_type(cs, ConstType::Integer) {
                    return false;
                }
                cs.values
                    .push(Constant::Int(IntConst::from_token(&self.lexer.token)));
                self.lexer.get();
                true
            }
            TokenKind::Macro => {
                if !self.parse_address_set(cs) {
                    return false;
                }
                self.lexer.get();
                true
            }
            TokenKind::PortGroup => {
                if !self.parse_port_group(cs) {
                    return false;
                }
                self.lexer.get();
                true
            }
            _ => {
                self.lexer.syntax_error(Some("expecting constant"));
                false
            }
        }
    }

    fn parse_address_set(&mut self, cs: &mut ConstSet<'a>) -> bool {
        let name = self.lexer.token.text.clone();
        if let Some(refs) = self.refs.as_deref_mut() {
            *refs.address_sets.entry(name.to_string()).or_insert(0) += 1;
        }
        let Some(set) = self.env.ctx.and_then(|c| c.address_set(&name)) else {
            self.lexer.syntax_error(Some("expecting address set name"));
            return false;
        };
        if !self.assign_type(cs, ConstType::Integer) {
            return false;
        }
        if cs.values.is_empty() {
            cs.as_name = Some(name.as_ref().into());
        }
        cs.values.extend(set.iter().map(|c| Constant::Int(*c)));
        true
    }

    fn parse_port_group(&mut self, cs: &mut ConstSet<'a>) -> bool {
        let name = self.lexer.token.text.clone();
        let sb_name = format!("{}_{}", self.env.dp_id, name);
        if let Some(refs) = self.refs.as_deref_mut() {
            refs.port_groups.insert(sb_name.clone());
        }
        let mut group = None;
        if let Some(ctx) = self.env.ctx {
            group = ctx.port_group(&sb_name);
            if group.is_none() {
                // Backward compatibility: the NB name may be stored as is in the SB.
                group = ctx.port_group(&name);
                if let Some(refs) = self.refs.as_deref_mut() {
                    refs.port_groups.insert(name.to_string());
                }
            }
        }
        let Some(group) = group else {
            self.lexer.syntax_error(Some("expecting port group name"));
            return false;
        };
        if !self.assign_type(cs, ConstType::String) {
            return false;
        }
        cs.values.extend(
            group
                .iter()
                .map(|p| Constant::Str(Cow::Owned(p.to_string()))),
        );
        true
    }
}

/// Upstream `make_cmp__`: the constant's low `n_bits` placed at the field's offset.
pub(crate) fn make_cmp_one(f: &FieldRef, r: Relop, c: Constant<'_>) -> Cmp {
    let value = match c {
        Constant::Str(s) => CmpValue::Str(s.as_ref().into()),
        Constant::Int(ic) => {
            let bits = low_mask(f.n_bits);
            let shift = |x: u128| if f.ofs >= 128 { 0 } else { (x & bits) << f.ofs };
            let mask = if ic.masked {
                shift(ic.mask)
            } else {
                shift(u128::MAX)
            };
            CmpValue::Int {
                value: shift(ic.value),
                mask,
            }
        }
    };
    Cmp {
        symbol: f.symbol,
        relop: r,
        value,
    }
}
