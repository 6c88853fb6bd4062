//! `ovn-agent lflow`: OVN's logical-flow language from the command line.
//!
//! - `ovn-agent lflow <mode> [--context FILE]` reads lines on stdin and prints exactly what
//!   upstream's `ovstest test-ovn <mode>` prints (modes: lex, parse-expr, annotate-expr,
//!   simplify-expr, normalize-expr, expr-to-flows, dump-symtab, parse-actions).  `--context` loads ports,
//!   address sets, port groups … (e.g. `lflow/tests/upstream-context.json`).
//! - `ovn-agent lflow compile-match 'ip4.src == 10.0.0.1' [--json] [--dp-key N]` compiles one
//!   match with ovn-controller's symbol table and prints its OpenFlow matches.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use lflow::actions::ActionsContext;
use lflow::context::Context;
use lflow::driver::{ActionsDriver, Mode, run as run_mode, run_actions};
use lflow::symtab::Symtab;

/// Arguments of `ovn-agent lflow`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// lex, parse-expr, annotate-expr, simplify-expr, normalize-expr, expr-to-flows,
    /// dump-symtab, parse-actions, or compile-match.
    mode: String,
    /// For compile-match: the match expression.
    expr: Option<String>,
    /// JSON file with the compile context (ports, chassis_resident, address_sets, port_groups).
    #[arg(long)]
    context: Option<PathBuf>,
    /// For compile-match: print JSON.
    #[arg(long)]
    json: bool,
    /// For compile-match: tunnel key of the datapath (port groups are looked up as KEY_name).
    #[arg(long, default_value_t = 0)]
    dp_key: i64,
}

/// Runs `ovn-agent lflow`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let text = match &args.context {
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    let ctx = match (&text, &args.context) {
        (Some(text), Some(path)) => {
            Context::from_json(text).with_context(|| format!("loading {}", path.display()))?
        }
        _ => Context::new(),
    };
    if args.mode == "compile-match" {
        let Some(expr) = &args.expr else {
            bail!("compile-match needs an expression argument")
        };
        return compile_match(expr, &ctx, args.dp_key, args.json);
    }
    let Some(mode) = Mode::from_name(&args.mode) else {
        bail!(
            "unknown mode {:?} (known: {}, compile-match)",
            args.mode,
            Mode::NAMES.join(", ")
        );
    };
    if args.expr.is_some() {
        bail!("mode {} reads its input from stdin", args.mode);
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading stdin")?;
    // Upstream's test driver adds a few symbols for negative tests; keep them so its vectors
    // replay unchanged.
    let symtab = Symtab::ovn_test();
    let out = if mode == Mode::ParseActions {
        let actx = match &text {
            Some(text) => ActionsContext::from_json(text)
                .context("loading the actions part of the context")?,
            None => ActionsContext::default(),
        };
        run_actions(&mut ActionsDriver::new(actx), &symtab, &input)
    } else {
        run_mode(mode, &symtab, &ctx, &input)
    };
    print!("{out}");
    Ok(())
}

fn compile_match(expr: &str, ctx: &Context, dp_key: i64, json: bool) -> anyhow::Result<()> {
    let symtab = Symtab::ovn();
    let matches = match lflow::expr::compile(expr, &symtab, ctx, dp_key) {
        Ok(m) => m,
        Err(e) => bail!("{expr}: error at byte {}: {}", e.position, e.message),
    };
    if json {
        let list: Vec<serde_json::Value> = matches
            .iter()
            .map(|m| {
                let conj: Vec<serde_json::Value> = m
                    .conjunctions
                    .iter()
                    .map(|c| serde_json::json!({"id": c.id, "clause": c.clause, "n_clauses": c.n_clauses}))
                    .collect();
                serde_json::json!({"match": m.m.to_string(), "conjunctions": conj})
            })
            .collect();
        let out = serde_json::json!({"matches": list, "n_conjs": matches.n_conjs});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for line in matches.lines() {
            println!("{line}");
        }
    }
    Ok(())
}
