//! Robustness of the lexer and the expression pipeline on arbitrary input: no panics, errors
//! name a position inside the input, tokens re-lex losslessly (as upstream's `lex` mode checks)
//! and formatted expressions re-parse to the same expression.

mod common;

use lflow::context::Context;
use lflow::expr::{
    ParseEnv, annotate, evaluate_condition, normalize, parse_string, simplify, to_matches,
};
use lflow::lex::{Lexer, NumFormat, TokenKind};
use lflow::symtab::Symtab;
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "ip4.src",
    "ip6.dst",
    "eth.src",
    "tcp.dst",
    "inport",
    "outport",
    "reg0",
    "xxreg0",
    "ct.est",
    "ct_label",
    "vlan.pcp",
    "ip",
    "tcp",
    "icmp6.type",
    "nd",
    "ip.first_frag",
    "bad_prereq",
    "self_recurse",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "..",
    ",",
    "0",
    "1",
    "7",
    "65535",
    "1.2.3.4",
    "10.0.0.0/8",
    "::1",
    "fe80::/10",
    "00:00:00:00:00:01",
    "0x800",
    "0xffff/0xf0f0",
    "$set1",
    "$set4",
    "$nope",
    "@pg1",
    "@pg_empty",
    "\"eth0\"",
    "\"lsp1\"",
    "\"x\"",
    "is_chassis_resident",
    "^tmpl",
    "18446744073709551616",
    "0x",
    "/",
    "&",
    "|",
    "#",
    "\"\\u00e9\"",
    "é",
];

fn soup() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(WORDS), 0..12),
        any::<bool>(),
    )
        .prop_map(|(w, spaced)| w.join(if spaced { " " } else { "" }))
}

fn pipeline(input: &str, symtab: &Symtab, ctx: &Context) {
    match parse_string(
        input,
        ParseEnv {
            symtab,
            ctx: Some(ctx),
            dp_id: 0,
        },
        None,
    ) {
        Err(e) => {
            assert!(
                e.position <= input.len(),
                "{input:?}: position {} past the end",
                e.position
            );
            assert!(
                input.is_char_boundary(e.position),
                "{input:?}: position {} not a char boundary",
                e.position
            );
            assert!(!e.message.is_empty());
        }
        Ok(e) => {
            // Formatting then re-parsing gives back the same expression.
            let text = e.display(symtab).to_string();
            let again = parse_string(
                &text,
                ParseEnv {
                    symtab,
                    ctx: Some(ctx),
                    dp_id: 0,
                },
                None,
            )
            .unwrap_or_else(|err| {
                panic!("{input:?} formats as {text:?} which fails to parse: {err}")
            });
            assert_eq!(
                again.display(symtab).to_string(),
                text,
                "{input:?} re-formats differently"
            );
            if let Ok(e) = annotate(e, symtab) {
                let e = simplify(e, symtab);
                let e = evaluate_condition(e, &|p| ctx.is_chassis_resident(p));
                let e = normalize(e, symtab);
                assert!(
                    lflow::expr::is_normalized(&e),
                    "{input:?} is not normalized"
                );
                let _ = to_matches(&e, symtab, &|p| ctx.port_key(p));
            }
        }
    }
}

fn relex_all(input: &str) {
    let mut lexer = Lexer::new(input);
    let mut n = 0;
    while lexer.get() != TokenKind::End {
        n += 1;
        assert!(n <= input.len() + 1, "lexer does not advance on {input:?}");
        if lexer.token.kind == TokenKind::Error {
            continue;
        }
        let text = lexer.token.to_string();
        let mut l2 = Lexer::new(&text);
        l2.get();
        let mut expected = lexer.token.clone();
        // Upstream prints a hexadecimal zero as `0` (OVS `ds_put_hex`), which re-lexes as a
        // decimal zero: the same value, another format.
        if expected.kind == TokenKind::Integer
            && expected.format == NumFormat::Hexadecimal
            && expected.value == 0
            && expected.wide.is_none()
        {
            expected.format = NumFormat::Decimal;
        }
        assert_eq!(
            l2.token, expected,
            "{input:?}: token {text:?} re-lexes differently"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let symtab = Symtab::ovn_test();
        let ctx = common::upstream_context();
        relex_all(&s);
        pipeline(&s, &symtab, &ctx);
    }

    #[test]
    fn token_soup_never_panics(s in soup()) {
        let symtab = Symtab::ovn_test();
        let ctx = common::upstream_context();
        relex_all(&s);
        pipeline(&s, &symtab, &ctx);
    }
}

#[test]
fn errors_name_the_position() {
    let symtab = Symtab::ovn_test();
    let ctx = common::upstream_context();
    let env = ParseEnv {
        symtab: &symtab,
        ctx: Some(&ctx),
        dp_id: 0,
    };
    let e = parse_string("ip4.src = 1.2.3.4", env, None).unwrap_err();
    assert_eq!(
        e.message,
        "Syntax error at `=' expecting relational operator."
    );
    assert_eq!(e.position, 8);
    let e = parse_string("tcp.dst == 1 && eth.type == $nope", env, None).unwrap_err();
    assert_eq!(
        e.message,
        "Syntax error at `$nope' expecting address set name."
    );
    assert_eq!(e.position, 28);
}
