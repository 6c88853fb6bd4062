//! OVSDB remote specifications, as OVS accepts them: `unix:PATH`, `tcp:HOST:PORT`
//! (`tcp:[IPV6]:PORT`), and comma-separated lists of those (tried in turn).

use std::fmt;
use std::path::PathBuf;

/// One remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// `unix:PATH`.
    Unix(PathBuf),
    /// `tcp:HOST:PORT` (host without brackets).
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

/// A remote string that is not `unix:` or `tcp:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid remote {remote:?}: {reason}")]
pub struct RemoteError {
    /// The offending remote.
    pub remote: String,
    /// Why.
    pub reason: &'static str,
}

impl Remote {
    /// Parses one remote.
    pub fn parse(s: &str) -> Result<Remote, RemoteError> {
        let err = |reason| RemoteError {
            remote: s.to_string(),
            reason,
        };
        let s = s.trim();
        if let Some(p) = s.strip_prefix("unix:") {
            if p.is_empty() {
                return Err(err("empty path"));
            }
            return Ok(Remote::Unix(PathBuf::from(p)));
        }
        if let Some(rest) = s.strip_prefix("tcp:") {
            let (host, port) = if let Some(r) = rest.strip_prefix('[') {
                let (h, p) = r
                    .split_once("]:")
                    .ok_or_else(|| err("expected tcp:[ADDR]:PORT"))?;
                (h, p)
            } else {
                rest.rsplit_once(':')
                    .ok_or_else(|| err("expected tcp:HOST:PORT"))?
            };
            let port = port.parse().map_err(|_| err("bad port"))?;
            if host.is_empty() {
                return Err(err("empty host"));
            }
            return Ok(Remote::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if s.starts_with("ssl:") {
            return Err(err("ssl: is not supported"));
        }
        Err(err("expected unix:PATH or tcp:HOST:PORT"))
    }

    /// Parses a comma-separated list.
    pub fn parse_list(s: &str) -> Result<Vec<Remote>, RemoteError> {
        let v: Vec<Remote> = s
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(Remote::parse)
            .collect::<Result<_, _>>()?;
        if v.is_empty() {
            return Err(RemoteError {
                remote: s.to_string(),
                reason: "no remote",
            });
        }
        Ok(v)
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remote::Unix(p) => write!(f, "unix:{}", p.display()),
            Remote::Tcp { host, port } if host.contains(':') => write!(f, "tcp:[{host}]:{port}"),
            Remote::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let v = Remote::parse_list("unix:/run/db.sock, tcp:10.0.0.1:6642,tcp:[::1]:6641").unwrap();
        assert_eq!(v[0], Remote::Unix("/run/db.sock".into()));
        assert_eq!(
            v[1],
            Remote::Tcp {
                host: "10.0.0.1".into(),
                port: 6642
            }
        );
        assert_eq!(v[2].to_string(), "tcp:[::1]:6641");
        for bad in [
            "",
            "ssl:1.2.3.4:6642",
            "tcp:1.2.3.4",
            "tcp::1",
            "unix:",
            "punix:/x",
        ] {
            assert!(Remote::parse_list(bad).is_err(), "{bad}");
        }
    }
}
