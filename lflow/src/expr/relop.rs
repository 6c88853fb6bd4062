//! `Relop`: the relational operators of comparisons (upstream `enum expr_relop`).

use crate::lex::TokenKind;

/// A relational operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relop {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Relop {
    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Relop::Eq => "==",
            Relop::Ne => "!=",
            Relop::Lt => "<",
            Relop::Le => "<=",
            Relop::Gt => ">",
            Relop::Ge => ">=",
        }
    }

    /// The operator a token denotes, if any.
    pub fn from_token(kind: TokenKind) -> Option<Relop> {
        Some(match kind {
            TokenKind::Eq => Relop::Eq,
            TokenKind::Ne => Relop::Ne,
            TokenKind::Lt => Relop::Lt,
            TokenKind::Le => Relop::Le,
            TokenKind::Gt => Relop::Gt,
            TokenKind::Ge => Relop::Ge,
            _ => return None,
        })
    }

    /// The operator with operands swapped (`a < b` ⇔ `b > a`).
    pub fn turn(self) -> Relop {
        match self {
            Relop::Eq | Relop::Ne => self,
            Relop::Lt => Relop::Gt,
            Relop::Le => Relop::Ge,
            Relop::Gt => Relop::Lt,
            Relop::Ge => Relop::Le,
        }
    }

    /// The negated operator (`!(a < b)` ⇔ `a >= b`).
    pub fn invert(self) -> Relop {
        match self {
            Relop::Eq => Relop::Ne,
            Relop::Ne => Relop::Eq,
            Relop::Lt => Relop::Ge,
            Relop::Le => Relop::Gt,
            Relop::Gt => Relop::Le,
            Relop::Ge => Relop::Lt,
        }
    }

    /// Applies the operator to a three-way comparison result.
    pub fn test(self, cmp: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Relop::Eq => cmp == Equal,
            Relop::Ne => cmp != Equal,
            Relop::Lt => cmp == Less,
            Relop::Le => cmp != Greater,
            Relop::Gt => cmp == Greater,
            Relop::Ge => cmp != Less,
        }
    }
}
