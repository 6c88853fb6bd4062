//! OVN's logical actions (upstream lib/actions.c, OVN 23.03): parse, canonical format,
//! prerequisites and encoding to OpenFlow actions.
//!
//! Public API:
//! - [`parse_actions_str`] / [`parse_actions_lexer`] with [`ParseParams`] → [`Parsed`] (the
//!   [`Action`] list and its prerequisite [`crate::expr::Expr`]); errors ([`ActionError`]) carry
//!   upstream's exact messages.  [`ActionsContext`] bundles every parameter (option tables,
//!   table layout, port map, datapath features; loadable from the `actions` key of a context
//!   JSON file) and hands out [`ParseParams`]/[`EncodeParams`].
//! - [`format_actions`]: upstream's canonical re-print (`ovnacts_format`).
//! - [`encode_actions`] with [`EncodeParams`] (ports through [`PortLookup`]) and
//!   [`EncodeTables`] (group and meter [`IdTable`]s, e.g. [`ExtendTable`]) → [`OfAction`]s,
//!   whose `Display` is `ovs-ofctl` syntax and whose [`OfAction::encode_of15`] is the OpenFlow
//!   1.5 wire form; [`to_openflow_actions`] converts them to `openflow::Action` for the flow
//!   installer.  Controller actions carry ovn-controller 23.03's exact userdata.
//! - [`OptTable`]: DHCPv4/DHCPv6/ND-RA/controller-event option definitions.
//!
//! Encoding reproduces ovn-controller 23.03 exactly, including its quirks (a `ct_commit` that
//! is not the first action of its buffer is swallowed; see `encode.rs`), which
//! `tests/actions_vs_ovn_controller.rs` checks against the real daemon.
//!
//! `OfAction`/`MfField` are a thin internal representation (checked equal to `openflow`'s in
//! text and wire form by `tests/actions_openflow_crate.rs`).

mod ast;
mod context;
mod encode;
mod extend_table;
mod format;
mod mf;
mod ofpact;
mod options;
mod parse;
mod prereqs;
mod to_openflow;

pub use ast::*;
pub use context::{ActionsContext, ActionsContextError, TableLayout};
pub use encode::{EncodeParams, EncodeTables, Opcode, PortLookup, encode_actions};
pub use extend_table::{ExtendTable, IdTable, MAX_EXT_TABLE_ID};
pub use format::{format_actions, write_actions};
pub use mf::{Fixed, MfField, MfFormat, MfSubfield};
pub use ofpact::{
    ActionList, Learn, LearnSpec, Nat, NatAddr, OfAction, WireUnsupported, encode_of15,
    format_actions as format_ofpacts,
};
pub use options::{OptTable, encode_domains};
pub use parse::{ActionError, ParseParams, Parsed, parse_actions_lexer, parse_actions_str};
pub use prereqs::PrereqCache;
pub use to_openflow::to_openflow_actions;
