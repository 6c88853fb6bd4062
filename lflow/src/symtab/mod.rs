//! OVN's logical-field symbol table (upstream `lib/logical-fields.c` `ovn_init_symtab` and the
//! `expr_symtab_add_*` functions of `lib/expr.c`, OVN 23.03).
//!
//! Public API (used by `expr` and `actions`):
//! - [`Symtab::ovn()`]: the table ovn-controller uses; [`Symtab::ovn_test()`] adds upstream
//!   test-ovn's five negative-test symbols (`bad_prereq`, `self_recurse`, …).
//! - `Symtab::lookup(name) -> Option<SymbolId>`, `Symtab::get(id) -> &Symbol`,
//!   `Symtab::iter()`; `Symtab::add_field/add_subfield/add_string/add_predicate/add_ovn_field` to
//!   build custom tables (e.g. for property tests).
//! - [`Symbol`]: `name`, `width` (0 = string), `kind` ([`SymbolKind`]: `Field(OfField)`,
//!   `Subfield{parent, ofs}`, `Predicate(text)`, `Ovn(OvnField)`), `level` ([`Level`]),
//!   `prereqs`, `must_crossproduct`, `rw` (bit set of [`scope`]).
//! - `Symtab::resolve(id, ofs, n_bits) -> (OfField, ofs, n_bits)`: the OpenFlow subfield of a
//!   (sub)field reference (upstream `expr_resolve_field`).
//! - [`OfField`]: the OpenFlow fields used, as data (widths, maskability, writability, names).

mod of_field;
mod symbol;
mod table;

pub use of_field::OfField;
pub use symbol::{Level, OvnField, Symbol, SymbolId, SymbolKind, scope};
pub use table::{Expansions, FieldRef, Symtab, SymtabError};
