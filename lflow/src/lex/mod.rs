//! lex (being written).
