//! Errors of parsing actions and instructions from ovs-ofctl text.

use crate::field::SubfieldError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    #[error("unknown action `{0}'")]
    Unknown(String),
    #[error("{action}: invalid argument `{text}'")]
    BadArg { action: &'static str, text: String },
    #[error("{action}: {source}")]
    Subfield {
        action: &'static str,
        #[source]
        source: SubfieldError,
    },
    #[error("`{0}' must be the only action")]
    DropNotAlone(String),
}
