//! OVN's logical-flow language (as of OVN 23.03): lexer, symbol table, expressions and actions,
//! compiled to OpenFlow matches and actions from the `openflow` crate. Pure: no I/O.

pub mod actions;
pub mod expr;
pub mod lex;
pub mod symtab;
