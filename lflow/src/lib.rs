//! OVN's logical-flow language (as of OVN 23.03): lexer, symbol table, expressions and actions,
//! compiled to OpenFlow matches and actions from the `openflow` crate. Pure: no I/O.
//!
//! - `lex`: tokens of the language;
//! - `symtab`: OVN's logical fields, subfields, predicates and their OpenFlow mapping;
//! - `context`: what a chassis knows when compiling (ports, address sets, port groups, tables …);
//! - `expr`: parse → annotate → simplify → normalize → OpenFlow matches (with conjunctions);
//! - `actions`: parse, format, prerequisites and encoding of the 70 actions;
//! - `driver`: the line-oriented modes of upstream's test driver (`ovstest test-ovn …`).

pub mod actions;
pub mod context;
pub mod driver;
pub mod expr;
pub mod lex;
pub mod symtab;
