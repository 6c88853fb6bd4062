//! OVN's logical-flow language (as of OVN 23.03): lexer, symbol table, expressions and actions,
//! compiled to OpenFlow matches and actions from the `openflow` crate. Pure: no I/O.
//!
//! - `lex`: tokens of the language;
//! - `symtab`: OVN's logical fields, subfields, predicates and their OpenFlow mapping;
//! - `context`: what a chassis knows when compiling (ports, address sets, port groups, tables …);
//! - `expr`: parse → annotate → simplify → normalize → OpenFlow matches (with conjunctions);
//! - `actions`: parse, format, prerequisites and encoding of the 70 actions;
//! - `driver`: the line-oriented modes of upstream's test driver (`ovstest test-ovn …`);
//! - `fxhash`: the fast hasher of the compiler's internal tables.
//!
//! Typical use (what ovn-controller does with a logical flow's match):
//! ```
//! use lflow::{context::Context, expr::compile, symtab::Symtab};
//! let symtab = Symtab::ovn();
//! let mut ctx = Context::new();
//! ctx.ports.insert("lsp1".into(), 0x11);
//! let m = compile("inport == \"lsp1\" && ip4.src == {10.0.0.1, 10.0.0.2}", &symtab, &ctx, 1).unwrap();
//! assert_eq!(m.lines(), ["ip,reg14=0x11,nw_src=10.0.0.1", "ip,reg14=0x11,nw_src=10.0.0.2"]);
//! let of: openflow::flow_match::Match = m.iter().next().unwrap().m.to_openflow().unwrap();
//! assert_eq!(of.to_string(), "ip,reg14=0x11,nw_src=10.0.0.1");
//! ```

pub mod actions;
pub mod context;
pub mod driver;
pub mod expr;
pub mod fxhash;
pub mod lex;
pub mod symtab;
