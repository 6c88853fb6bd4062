//! In the spirit of upstream's `test-ovn exhaustive`: random expressions over a few small
//! fields; evaluating the expression directly and evaluating the OpenFlow matches generated
//! for it (with conjunctive matching) must agree on every possible packet.

use std::collections::HashMap;

use lflow::context::Context;
use lflow::expr::{ExprMatch, Matches, OfMatch, Slot, compile};
use lflow::symtab::{OfField, Symtab, scope};
use proptest::prelude::*;

const N_VARS: usize = 3;
const BITS: u32 = 3;
const PORTS: [&str; 4] = ["a", "b", "c", "d"]; // "d" has no tunnel key.

#[derive(Debug, Clone)]
enum Ast {
    Cmp(usize, &'static str, u32),
    Bit(usize, u32, bool),
    InSet(usize, bool, Vec<u32>),
    Range(usize, u32, u32),
    Str(Vec<usize>),
    Const(bool),
    Not(Box<Ast>),
    And(Vec<Ast>),
    Or(Vec<Ast>),
}

fn leaf() -> impl Strategy<Value = Ast> {
    let max = (1u32 << BITS) - 1;
    prop_oneof![
        (
            0..N_VARS,
            prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]),
            0..=max
        )
            .prop_map(|(v, op, c)| Ast::Cmp(v, op, c)),
        (0..N_VARS, 0..BITS, any::<bool>()).prop_map(|(v, b, pos)| Ast::Bit(v, b, pos)),
        (
            0..N_VARS,
            any::<bool>(),
            prop::collection::vec(0..=max, 1..4)
        )
            .prop_map(|(v, eq, s)| Ast::InSet(v, eq, s)),
        (0..N_VARS, 0..=max, 0..=max).prop_map(|(v, a, b)| Ast::Range(v, a.min(b), a.max(b))),
        prop::collection::vec(0..PORTS.len(), 1..3).prop_map(Ast::Str),
        any::<bool>().prop_map(Ast::Const),
    ]
}

fn ast() -> impl Strategy<Value = Ast> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| Ast::Not(Box::new(a))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Ast::And),
            prop::collection::vec(inner, 2..4).prop_map(Ast::Or),
        ]
    })
}

/// String comparisons are nominal: they may only be tested positively.
fn strings_positive(a: &Ast, negated: bool) -> bool {
    match a {
        Ast::Str(_) => !negated,
        Ast::Not(x) => strings_positive(x, !negated),
        Ast::And(v) | Ast::Or(v) => v.iter().all(|x| strings_positive(x, negated)),
        _ => true,
    }
}

fn render(a: &Ast) -> String {
    match a {
        Ast::Cmp(v, op, c) => format!("n{v} {op} {c}"),
        Ast::Bit(v, b, true) => format!("n{v}[{b}]"),
        Ast::Bit(v, b, false) => format!("!n{v}[{b}]"),
        Ast::InSet(v, eq, s) => {
            let items: Vec<String> = s.iter().map(u32::to_string).collect();
            format!(
                "n{v} {} {{{}}}",
                if *eq { "==" } else { "!=" },
                items.join(", ")
            )
        }
        Ast::Range(v, lo, hi) => format!("{lo} <= n{v} <= {hi}"),
        Ast::Str(ps) => {
            let items: Vec<String> = ps.iter().map(|p| format!("\"{}\"", PORTS[*p])).collect();
            format!("s0 == {{{}}}", items.join(", "))
        }
        Ast::Const(b) => if *b { "1" } else { "0" }.to_string(),
        Ast::Not(x) => format!("!({})", render(x)),
        Ast::And(v) => v
            .iter()
            .map(|x| format!("({})", render(x)))
            .collect::<Vec<_>>()
            .join(" && "),
        Ast::Or(v) => v
            .iter()
            .map(|x| format!("({})", render(x)))
            .collect::<Vec<_>>()
            .join(" || "),
    }
}

/// The oracle: `vals` are the variables, `port` the index into PORTS of s0 (PORTS.len() = none).
fn eval(a: &Ast, vals: &[u32; N_VARS], port: usize) -> bool {
    match a {
        Ast::Cmp(v, op, c) => {
            let x = vals[*v];
            match *op {
                "==" => x == *c,
                "!=" => x != *c,
                "<" => x < *c,
                "<=" => x <= *c,
                ">" => x > *c,
                _ => x >= *c,
            }
        }
        Ast::Bit(v, b, pos) => ((vals[*v] >> b) & 1 == 1) == *pos,
        Ast::InSet(v, eq, s) => {
            if *eq {
                s.contains(&vals[*v])
            } else {
                !s.contains(&vals[*v])
            }
        }
        Ast::Range(v, lo, hi) => (*lo..=*hi).contains(&vals[*v]),
        // Port "d" has no key, so no packet can carry it.
        Ast::Str(ps) => ps.iter().any(|p| *p == port && *p < 3),
        Ast::Const(b) => *b,
        Ast::Not(x) => !eval(x, vals, port),
        Ast::And(v) => v.iter().all(|x| eval(x, vals, port)),
        Ast::Or(v) => v.iter().any(|x| eval(x, vals, port)),
    }
}

fn symtab() -> Symtab {
    let mut t = Symtab::new();
    for i in 0..N_VARS {
        // Narrow fields: the top bits of a 32-bit register, like upstream's --bits.
        let reg = format!("r{i}");
        t.add_field(&reg, OfField::Reg(i as u8), None, false, scope::DEFAULT)
            .expect("field");
        t.add_subfield(
            &format!("n{i}"),
            None,
            &format!("{reg}[0..{}]", BITS - 1),
            scope::DEFAULT,
        )
        .expect("sub");
    }
    t.add_string("s0", OfField::Reg(5), None, scope::DEFAULT)
        .expect("string");
    t
}

fn context() -> Context {
    let mut ctx = Context::new();
    for (i, p) in PORTS.iter().take(3).enumerate() {
        ctx.ports.insert(p.to_string(), i as u32 + 1);
    }
    ctx
}

/// OpenFlow semantics of one expression's flows (all at one priority): a plain flow matching, or
/// every clause of a conjunction matched by some flow plus its `conj_id` flow matching.
fn flows_match(matches: &Matches, packet: &OfMatch) -> bool {
    let list: Vec<&ExprMatch> = matches.iter().collect();
    let is_conj_id = |m: &ExprMatch| m.m.fields().iter().any(|f| f.0 == Slot::ConjId);
    if list
        .iter()
        .any(|m| m.conjunctions.is_empty() && !is_conj_id(m) && m.m.matches(packet))
    {
        return true;
    }
    let mut clauses: HashMap<u32, (u8, u64)> = HashMap::new();
    for m in &list {
        if m.m.matches(packet) {
            for c in &m.conjunctions {
                let e = clauses.entry(c.id).or_insert((c.n_clauses, 0));
                e.1 |= 1 << c.clause;
            }
        }
    }
    clauses.iter().any(|(id, (n, seen))| {
        *seen == (1u64 << n) - 1
            && list.iter().any(|m| {
                let mut p = packet.clone();
                p.set_conj_id(*id);
                is_conj_id(m) && m.m.field(OfField::ConjId).0 == u128::from(*id) && m.m.matches(&p)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn flows_agree_with_expression(a in ast().prop_filter("nominal strings", |a| strings_positive(a, false))) {
        let text = render(&a);
        let symtab = symtab();
        let ctx = context();
        let matches = compile(&text, &symtab, &ctx, 0).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        for port in 0..=PORTS.len() {
            for combo in 0..(1u32 << (BITS * N_VARS as u32)) {
                let vals: [u32; N_VARS] = std::array::from_fn(|i| (combo >> (BITS * i as u32)) & ((1 << BITS) - 1));
                let mut packet = OfMatch::catchall();
                for (i, v) in vals.iter().enumerate() {
                    packet.set_field(OfField::Reg(i as u8), u128::from(*v), u128::from(u32::MAX));
                }
                let key = if port < 3 { port as u128 + 1 } else { 0 };
                packet.set_field(OfField::Reg(5), key, u128::from(u32::MAX));
                let want = eval(&a, &vals, port);
                let got = flows_match(&matches, &packet);
                prop_assert_eq!(got, want, "{} with n={:?} port={} flows={:?}", text, vals, port, matches.lines());
            }
        }
    }
}
