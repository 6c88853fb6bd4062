//! CNI errors (SPEC.md "Error") with the spec's well-known codes, and the error JSON the runtime reads.

use std::io;

use serde::{Deserialize, Serialize};

/// Every failure the shim or the server can report to a container runtime.
///
/// `code()` is the number that goes into the error JSON: 1–11 are the spec's, 50/51 are STATUS's, and
/// 100+ are ours (documented in `cni/README.md`).
#[derive(Debug, thiserror::Error)]
pub enum CniError {
    #[error("incompatible CNI version {version:?}")]
    IncompatibleVersion { version: String },
    #[error("command {command} does not exist in CNI version {version}")]
    CommandNotInVersion {
        command: &'static str,
        version: &'static str,
    },
    #[error("unsupported field {field}: {reason}")]
    UnsupportedField { field: String, reason: String },
    #[error("unknown container {container_id}")]
    UnknownContainer { container_id: String },
    #[error("invalid environment variable {var}: {reason}")]
    InvalidEnv { var: &'static str, reason: String },
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("invalid network config field {field}: {reason}")]
    InvalidNetConf { field: String, reason: String },
    #[error("invalid network namespace {path}: {reason}")]
    InvalidNetNs { path: String, reason: String },
    #[error("{msg}")]
    TryAgainLater { msg: String },
    #[error("plugin not available: {reason}")]
    NotAvailable { reason: String },
    #[error("plugin not available, existing containers may have limited connectivity: {reason}")]
    LimitedConnectivity { reason: String },
    #[error("internal error: {msg}")]
    Internal { msg: String },
    #[error("shim/agent protocol mismatch: {msg}")]
    Protocol { msg: String },
    #[error("interface configuration failed: {msg}")]
    Interface { msg: String },
    #[error("check failed: {msg}")]
    CheckFailed { msg: String },
    /// An error the agent already rendered; relayed unchanged so its code survives the hop.
    #[error("{msg}")]
    Remote {
        code: u32,
        msg: String,
        details: Option<String>,
    },
}

impl CniError {
    /// The error code for the error JSON and for exit-status-like handling.
    pub fn code(&self) -> u32 {
        match self {
            CniError::IncompatibleVersion { .. } | CniError::CommandNotInVersion { .. } => 1,
            CniError::UnsupportedField { .. } => 2,
            CniError::UnknownContainer { .. } => 3,
            CniError::InvalidEnv { .. } => 4,
            CniError::Io { .. } => 5,
            CniError::Decode { .. } => 6,
            CniError::InvalidNetConf { .. } => 7,
            CniError::InvalidNetNs { .. } => 8,
            CniError::TryAgainLater { .. } => 11,
            CniError::NotAvailable { .. } => 50,
            CniError::LimitedConnectivity { .. } => 51,
            CniError::Internal { .. } => 100,
            CniError::Protocol { .. } => 101,
            CniError::Interface { .. } => 102,
            CniError::CheckFailed { .. } => 103,
            CniError::Remote { code, .. } => *code,
        }
    }

    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        CniError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn invalid_conf(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CniError::InvalidNetConf {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn try_again(msg: impl Into<String>) -> Self {
        CniError::TryAgainLater { msg: msg.into() }
    }

    /// Renders the spec's error object. `details` carries the source chain, which `msg` leaves out.
    pub fn to_result(&self, cni_version: &str) -> ErrorResult {
        let details = match self {
            CniError::Remote { details, .. } => details.clone(),
            _ => {
                let mut chain = Vec::new();
                let mut src = std::error::Error::source(self);
                while let Some(e) = src {
                    chain.push(e.to_string());
                    src = e.source();
                }
                (!chain.is_empty()).then(|| chain.join(": "))
            }
        };
        ErrorResult {
            cni_version: cni_version.to_owned(),
            code: self.code(),
            msg: self.to_string(),
            details,
        }
    }
}

impl From<ErrorResult> for CniError {
    fn from(e: ErrorResult) -> Self {
        CniError::Remote {
            code: e.code,
            msg: e.msg,
            details: e.details,
        }
    }
}

/// The error JSON written to stdout on failure: `{cniVersion, code, msg, details}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResult {
    #[serde(rename = "cniVersion")]
    pub cni_version: String,
    pub code: u32,
    pub msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_spec_table() {
        let cases: Vec<(CniError, u32)> = vec![
            (
                CniError::IncompatibleVersion {
                    version: "9".into(),
                },
                1,
            ),
            (
                CniError::UnsupportedField {
                    field: "x".into(),
                    reason: "y".into(),
                },
                2,
            ),
            (
                CniError::UnknownContainer {
                    container_id: "c".into(),
                },
                3,
            ),
            (
                CniError::InvalidEnv {
                    var: "CNI_IFNAME",
                    reason: "missing".into(),
                },
                4,
            ),
            (CniError::io("read stdin", io::Error::other("boom")), 5),
            (
                CniError::Decode {
                    what: "stdin",
                    reason: "eof".into(),
                },
                6,
            ),
            (CniError::invalid_conf("mtu", "too small"), 7),
            (
                CniError::InvalidNetNs {
                    path: "/x".into(),
                    reason: "host".into(),
                },
                8,
            ),
            (CniError::try_again("later"), 11),
            (CniError::NotAvailable { reason: "r".into() }, 50),
            (CniError::LimitedConnectivity { reason: "r".into() }, 51),
            (CniError::Internal { msg: "m".into() }, 100),
            (CniError::Protocol { msg: "m".into() }, 101),
            (CniError::Interface { msg: "m".into() }, 102),
            (CniError::CheckFailed { msg: "m".into() }, 103),
            (
                CniError::Remote {
                    code: 42,
                    msg: "m".into(),
                    details: None,
                },
                42,
            ),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code, "{e}");
            assert_eq!(e.to_result("1.0.0").code, code);
        }
    }

    #[test]
    fn error_json_shape_and_details_chain() {
        let e = CniError::io("cannot read stdin", io::Error::other("broken pipe"));
        let v = serde_json::to_value(e.to_result("1.1.0")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"cniVersion": "1.1.0", "code": 5, "msg": "cannot read stdin",
                "details": "broken pipe"})
        );
        let e = CniError::invalid_conf("mtu", "must be at least 68");
        let v = serde_json::to_value(e.to_result("1.0.0")).unwrap();
        assert!(v.get("details").is_none());
        assert_eq!(
            v["msg"],
            "invalid network config field mtu: must be at least 68"
        );
    }

    #[test]
    fn remote_errors_keep_code_and_details() {
        let r = ErrorResult {
            cni_version: "1.0.0".into(),
            code: 11,
            msg: "timed out".into(),
            details: Some("port p1".into()),
        };
        let e = CniError::from(r.clone());
        assert_eq!(e.code(), 11);
        assert_eq!(e.to_result("1.0.0"), r);
    }
}
