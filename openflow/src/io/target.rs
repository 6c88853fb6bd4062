//! Where to connect: `unix:PATH` or `tcp:HOST:PORT` (the OVS connection-method syntax).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// An OpenFlow connection target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    Tcp(String),
}

/// A target string that is neither `unix:PATH` nor `tcp:HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad OpenFlow target {0:?} (expected unix:PATH or tcp:HOST:PORT)")]
pub struct TargetParseError(pub String);

impl FromStr for Target {
    type Err = TargetParseError;

    fn from_str(s: &str) -> Result<Target, TargetParseError> {
        if let Some(p) = s.strip_prefix("unix:") {
            if !p.is_empty() {
                return Ok(Target::Unix(PathBuf::from(p)));
            }
        } else if let Some(hp) = s.strip_prefix("tcp:")
            && hp
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
        {
            return Ok(Target::Tcp(hp.to_owned()));
        }
        Err(TargetParseError(s.to_owned()))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
            Target::Tcp(hp) => write!(f, "tcp:{hp}"),
        }
    }
}
