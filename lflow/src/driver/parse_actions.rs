//! The `parse-actions` mode of upstream's test driver (tests/test-ovn.c `test_parse_actions`).
//!
//! Wiring (for the CLI and `driver::run`):
//! ```ignore
//! use lflow::driver::parse_actions::{ActionsDriver, parse_actions_line};
//! let mut d = ActionsDriver::new(lflow::actions::ActionsContext::from_json(&text)?);
//! for_each_test_line(input, &mut out, |line, out| parse_actions_line(&mut d, &symtab, line, out));
//! ```
//! Or, for a whole input, [`run_parse_actions`]`(symtab, ctx, input) -> String`.
//! Signature: `pub fn parse_actions_line(d: &mut ActionsDriver, symtab: &Symtab, line: &str,
//! out: &mut String)`.  One `ActionsDriver` must be used for a whole run: like upstream, its group
//! and meter tables are never synced, so ids depend on all preceding lines.

use std::fmt::Write;

use crate::actions::{
    ActionsContext, EncodeTables, ExtendTable, OfAction, encode_actions, format_actions,
    format_ofpacts, parse_actions_str,
};
use crate::lex::expand_templates;
use crate::symtab::Symtab;

/// State kept across the lines of one `parse-actions` run.
#[derive(Debug, Clone)]
pub struct ActionsDriver {
    /// Parameters.
    pub ctx: ActionsContext,
    /// Group ids (never synced, as upstream).
    pub groups: ExtendTable,
    /// Meter ids.
    pub meters: ExtendTable,
}

impl ActionsDriver {
    /// A fresh run.
    pub fn new(ctx: ActionsContext) -> Self {
        ActionsDriver {
            ctx,
            groups: ExtendTable::new(),
            meters: ExtendTable::new(),
        }
    }
}

/// Processes one (already comment-stripped, non-blank) input line, appending exactly what
/// upstream prints for it.
pub fn parse_actions_line(d: &mut ActionsDriver, symtab: &Symtab, line: &str, out: &mut String) {
    out.push_str(line);
    out.push('\n');
    let expanded = expand_templates(line, &|_| None, &mut |_| {});
    let pp = d.ctx.parse_params(symtab);
    let parsed = match parse_actions_str(&expanded, &pp) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(out, "    {e}");
            return;
        }
    };
    let formatted = format_actions(&parsed.actions, symtab);
    if formatted != line {
        let _ = writeln!(out, "    formats as {formatted}");
    }

    let ep = d.ctx.encode_params();
    let mut ofpacts: Vec<OfAction> = Vec::new();
    {
        let mut tables = EncodeTables {
            groups: &mut d.groups,
            meters: &mut d.meters,
        };
        encode_actions(&parsed.actions, &ep, &mut tables, &mut ofpacts);
    }
    let mut enc = String::new();
    let _ = format_ofpacts(&mut enc, &ofpacts);
    let _ = writeln!(out, "    encodes as {enc}");
    for (id, name) in d.groups.desired() {
        // Upstream's print_group_info: strstr("group:N", actions) and, if that is not the
        // whole buffer, strstr("group:N,", actions).
        let buf = format!("group:{id}");
        let hit = buf
            .find(enc.as_str())
            .is_some_and(|i| i == 0 || format!("{buf},").contains(enc.as_str()));
        if hit {
            let _ = writeln!(out, "    uses group: id({id}), name({name})");
        }
    }
    if let Some(p) = &parsed.prereqs {
        let _ = writeln!(out, "    has prereqs {}", p.display(symtab));
    }

    // The canonical form must re-parse to itself.
    match parse_actions_str(&formatted, &pp) {
        Ok(p2) => {
            let again = format_actions(&p2.actions, symtab);
            if again != formatted {
                let _ = writeln!(out, "    bad reformat: {again}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "    reparse error: {e}");
        }
    }
}

/// Runs `parse-actions` over a whole input (comment and blank-line handling as upstream's
/// `ds_get_test_line`).
pub fn run_parse_actions(symtab: &Symtab, ctx: ActionsContext, input: &str) -> String {
    let mut d = ActionsDriver::new(ctx);
    let mut out = String::new();
    super::for_each_test_line(input, &mut out, |line, out| {
        parse_actions_line(&mut d, symtab, line, out);
    });
    out
}
