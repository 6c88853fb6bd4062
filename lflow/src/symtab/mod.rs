//! symtab (being written).
