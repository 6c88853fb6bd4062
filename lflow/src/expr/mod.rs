//! OVN's match expressions (upstream `lib/expr.c`, OVN 23.03): parse → annotate → simplify →
//! evaluate conditions → normalize → OpenFlow matches with conjunctions.
//!
//! Public API:
//! - [`parse_string`] / [`parse`] (with [`ParseEnv`]: symbol table, optional [`Context`] for
//!   `$sets`/`@groups`, datapath key) → [`Expr`]; [`ExprRefs`] collects referenced sets/groups.
//! - [`annotate`], [`simplify`], [`evaluate_condition`], [`normalize`], [`to_matches`] →
//!   [`Matches`] of [`ExprMatch`] (an [`OfMatch`] plus [`Conjunction`]s).
//! - [`compile_with`]: the whole pipeline exactly as ovn-controller runs it for a logical flow
//!   (templates, action prerequisites, per-datapath port lookup incl. `none` and multicast
//!   groups); [`compile`] without prerequisites; [`prepare`] → [`Prepared`] to cache the
//!   chassis-independent half (reusable across the datapaths of a group when
//!   [`Prepared::is_datapath_independent`]).
//! - [`OfMatch::to_openflow`] → `openflow::flow_match::Match`; [`Matches::offset_conj_ids`].
//!
//! Fidelity: all 198 upstream expression vectors; every match of a northd-generated SB equals
//! what the real ovn-controller 23.03 installs (tests/matches_vs_ovn_controller.rs); parse errors
//! equal upstream's (tests/errors_vs_ovn_trace.rs).  Not implemented: address-set tracking of
//! matches (`expr_match.as_name`, used only by ovn-controller's incremental address-set
//! updates) and the microflow evaluator (`expr_evaluate`, used by ovn-trace).
//! - Helpers for actions: [`parse_constant`], [`parse_constant_set`], [`Constant`], [`ConstSet`],
//!   [`IntConst`], [`field_parse`] (field + prerequisites), [`type_check`], `Symtab::parse_field`,
//!   `Symtab::resolve` (the OpenFlow subfield of a field reference).
//!
//! [`Context`]: crate::context::Context

mod annotate;
mod constant;
mod field;
mod normalize;
mod of_match;
mod parse;
mod relop;
mod simplify;
mod to_matches;
mod tree;

pub use annotate::{annotate, precompute_expansions};
pub use constant::{ConstSet, ConstType, Constant, IntConst, parse_address_set, sort_int_consts};
pub use field::{field_parse, type_check};
pub use normalize::{intersect, is_normalized, normalize};
pub use of_match::{OfMatch, Slot};
pub use parse::{
    ExprRefs, ParseEnv, expansion_level, parse, parse_constant, parse_constant_set, parse_string,
};
pub use relop::Relop;
pub use simplify::{evaluate_condition, simplify};
pub use to_matches::{Conjunction, ExprMatch, Matches, to_matches};
pub use tree::{AndOr, Cmp, CmpValue, Expr, ExprDisplay, find_bitwise_range, low_mask};

use crate::context::Context;
use crate::symtab::Symtab;

/// An expression error: upstream's exact message, and the byte offset in the input where it was
/// detected (0 when it comes from a later stage such as annotation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// The message, as upstream prints it.
    pub message: String,
    /// Byte offset of the offending token in the input.
    pub position: usize,
}

/// Compiles one match string for datapath `dp_id` all the way to OpenFlow matches (what
/// ovn-controller does for a logical flow's match, without action prerequisites).
pub fn compile(s: &str, symtab: &Symtab, ctx: &Context, dp_id: i64) -> Result<Matches, ExprError> {
    compile_with(s, None, symtab, ctx, dp_id, None)
}

/// The whole pipeline exactly as ovn-controller runs it for a logical flow (`lflow.c`
/// `convert_match_to_expr` and `consider_logical_flow__`): expand `^templates` from the
/// context, parse, AND in the actions' `prereqs`, annotate, simplify, evaluate
/// `is_chassis_resident()`, normalize, convert.  `refs` collects the address sets, port groups
/// and template variables the match refers to.
pub fn compile_with(
    s: &str,
    prereqs: Option<Expr>,
    symtab: &Symtab,
    ctx: &Context,
    dp_id: i64,
    refs: Option<&mut ExprRefs>,
) -> Result<Matches, ExprError> {
    Ok(prepare(s, prereqs, symtab, ctx, dp_id, refs)?.into_matches(symtab, ctx, dp_id))
}

/// A match parsed, annotated and simplified (what ovn-controller's expression cache keeps):
/// the rest of the pipeline depends on the chassis (residency, port keys) and runs per use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    expr: Expr,
    datapath_independent: bool,
}

impl Prepared {
    /// The simplified expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// True if the match refers to no port group, so the same `Prepared` serves every datapath
    /// of a datapath group (port groups are looked up per datapath).
    pub fn is_datapath_independent(&self) -> bool {
        self.datapath_independent
    }

    /// Evaluates conditions, normalizes and converts, for datapath `dp_id`.
    pub fn matches(&self, symtab: &Symtab, ctx: &Context, dp_id: i64) -> Matches {
        self.clone().into_matches(symtab, ctx, dp_id)
    }

    /// [`Prepared::matches`], consuming `self`.
    pub fn into_matches(self, symtab: &Symtab, ctx: &Context, dp_id: i64) -> Matches {
        let e = evaluate_condition(self.expr, &|p| ctx.is_chassis_resident(p));
        let e = normalize(e, symtab);
        to_matches(&e, symtab, &|p| ctx.port_key_on(dp_id, p))
    }
}

/// The first half of [`compile_with`]: templates, parse, prerequisites, annotate, simplify.
pub fn prepare(
    s: &str,
    prereqs: Option<Expr>,
    symtab: &Symtab,
    ctx: &Context,
    dp_id: i64,
    refs: Option<&mut ExprRefs>,
) -> Result<Prepared, ExprError> {
    let mut local = ExprRefs::default();
    let refs = refs.unwrap_or(&mut local);
    let text =
        crate::lex::expand_template_vars(s, &ctx.template_vars, Some(&mut refs.template_vars));
    let groups_before = refs.port_groups.len();
    let e = parse_string(
        &text,
        ParseEnv {
            symtab,
            ctx: Some(ctx),
            dp_id,
        },
        Some(&mut *refs),
    )?;
    let datapath_independent = refs.port_groups.len() == groups_before && !text.contains('@');
    let e = match prereqs {
        Some(p) => Expr::combine2(AndOr::And, e, p),
        None => e,
    };
    let e = annotate(e, symtab)?;
    Ok(Prepared {
        expr: simplify(e, symtab),
        datapath_independent,
    })
}
