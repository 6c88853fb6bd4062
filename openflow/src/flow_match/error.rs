//! Errors of building or parsing a [`Match`](super::Match).

use crate::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    #[error("unknown field `{0}'")]
    UnknownField(String),
    #[error("{field}: invalid value `{text}'")]
    BadValue { field: Field, text: String },
    #[error("{field}: value does not fit in {bits} bits")]
    ValueTooWide { field: Field, bits: u16 },
    #[error("{field}: field does not support masking")]
    NotMaskable { field: Field },
    #[error("{field}: prerequisites not met (e.g. nw_dst needs ip, tp_dst needs tcp/udp/sctp)")]
    Prereq { field: Field },
    #[error("{field}: cannot be used in a match")]
    NotMatchable { field: Field },
    #[error("syntax error at `{0}'")]
    Syntax(String),
}
