//! The CNI environment variables (SPEC.md "Parameters"): `CNI_COMMAND`, `CNI_CONTAINERID`, `CNI_NETNS`,
//! `CNI_IFNAME`, `CNI_ARGS`, `CNI_PATH`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CniError;

/// `CNI_COMMAND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Command {
    Add,
    Del,
    Check,
    Version,
    Status,
    Gc,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Add => "ADD",
            Command::Del => "DEL",
            Command::Check => "CHECK",
            Command::Version => "VERSION",
            Command::Status => "STATUS",
            Command::Gc => "GC",
        }
    }

    /// Whether the command acts on one attachment, so `CNI_CONTAINERID` and `CNI_IFNAME` are required.
    pub fn is_per_attachment(self) -> bool {
        matches!(self, Command::Add | Command::Del | Command::Check)
    }

    /// Whether `CNI_NETNS` is required (DEL tolerates its absence: the netns may already be gone).
    pub fn needs_netns(self) -> bool {
        matches!(self, Command::Add | Command::Check)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Command {
    type Err = CniError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ADD" => Command::Add,
            "DEL" => Command::Del,
            "CHECK" => Command::Check,
            "VERSION" => Command::Version,
            "STATUS" => Command::Status,
            "GC" => Command::Gc,
            _ => {
                return Err(CniError::InvalidEnv {
                    var: "CNI_COMMAND",
                    reason: format!("unknown command {s:?}"),
                });
            }
        })
    }
}

/// `CNI_ARGS`: `K=V;K=V`, with the Kubernetes keys runtimes pass pulled out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CniArgs {
    /// Every pair in order, including the ones also stored below.
    pub pairs: Vec<(String, String)>,
}

impl CniArgs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn pod_namespace(&self) -> Option<&str> {
        self.get("K8S_POD_NAMESPACE").filter(|v| !v.is_empty())
    }

    pub fn pod_name(&self) -> Option<&str> {
        self.get("K8S_POD_NAME").filter(|v| !v.is_empty())
    }

    pub fn pod_uid(&self) -> Option<&str> {
        self.get("K8S_POD_UID").filter(|v| !v.is_empty())
    }
}

impl FromStr for CniArgs {
    type Err = CniError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut pairs = Vec::new();
        for (i, item) in s.split(';').enumerate() {
            if item.is_empty() {
                continue;
            }
            let Some((k, v)) = item.split_once('=') else {
                return Err(CniError::InvalidEnv {
                    var: "CNI_ARGS",
                    reason: format!("item {} ({item:?}) is not KEY=VALUE", i + 1),
                });
            };
            if k.is_empty() {
                return Err(CniError::InvalidEnv {
                    var: "CNI_ARGS",
                    reason: format!("item {} has an empty key", i + 1),
                });
            }
            pairs.push((k.to_owned(), v.to_owned()));
        }
        Ok(CniArgs { pairs })
    }
}

/// The parsed and validated environment of one plugin invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CniEnv {
    pub command: Command,
    /// Present for ADD/DEL/CHECK.
    pub container_id: Option<String>,
    /// Present for ADD/CHECK, optional for DEL.
    pub netns: Option<String>,
    /// Present for ADD/DEL/CHECK.
    pub ifname: Option<String>,
    pub args: CniArgs,
    /// Optional: we never delegate to other plugins, so unlike Go's skel we do not insist on it.
    pub path: Option<String>,
}

impl CniEnv {
    /// Reads the process environment.
    pub fn from_process() -> Result<Self, CniError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Parses from any lookup function (tests pass a map). Empty values count as unset, as in skel.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, CniError> {
        let get = |k: &str| lookup(k).filter(|v| !v.is_empty());
        let command: Command = get("CNI_COMMAND")
            .ok_or(CniError::InvalidEnv {
                var: "CNI_COMMAND",
                reason: "not set".into(),
            })?
            .parse()?;
        let required = |var: &'static str, needed: bool| -> Result<Option<String>, CniError> {
            match get(var) {
                Some(v) => Ok(Some(v)),
                None if needed => Err(CniError::InvalidEnv {
                    var,
                    reason: format!("required for {command} but not set"),
                }),
                None => Ok(None),
            }
        };
        let container_id = required("CNI_CONTAINERID", command.is_per_attachment())?;
        if let Some(id) = &container_id {
            validate_container_id(id)?;
        }
        let netns = required("CNI_NETNS", command.needs_netns())?;
        let ifname = required("CNI_IFNAME", command.is_per_attachment())?;
        if let Some(name) = &ifname {
            validate_ifname(name).map_err(|reason| CniError::InvalidEnv {
                var: "CNI_IFNAME",
                reason,
            })?;
        }
        let args = match get("CNI_ARGS") {
            Some(a) => a.parse()?,
            None => CniArgs::default(),
        };
        Ok(CniEnv {
            command,
            container_id,
            netns,
            ifname,
            args,
            path: get("CNI_PATH"),
        })
    }
}

/// SPEC.md: "must have at least one char, alphanumeric, underscore, hyphen or period; must start with an
/// alphanumeric character".
fn validate_container_id(id: &str) -> Result<(), CniError> {
    let bad = |reason: String| CniError::InvalidEnv {
        var: "CNI_CONTAINERID",
        reason,
    };
    if !id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad(format!("{id:?} must start with a letter or digit")));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(bad(format!("{id:?} contains {c:?}")));
    }
    Ok(())
}

/// Linux interface name rules (SPEC.md points at `dev_valid_name`): 1..=15 bytes, not `.`/`..`, no `/`,
/// `:` or whitespace.
pub fn validate_ifname(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 15 {
        return Err(format!("{name:?} must be 1 to 15 bytes long"));
    }
    if name == "." || name == ".." {
        return Err(format!("{name:?} is not a valid interface name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| *c == '/' || *c == ':' || c.is_whitespace())
    {
        return Err(format!("{name:?} contains {c:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<CniEnv, CniError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CniEnv::from_lookup(|k| map.get(k).cloned())
    }

    fn err_var(r: Result<CniEnv, CniError>) -> &'static str {
        match r {
            Err(CniError::InvalidEnv { var, .. }) => var,
            other => panic!("expected InvalidEnv, got {other:?}"),
        }
    }

    #[test]
    fn add_with_kubernetes_args() {
        let e = env(&[
            ("CNI_COMMAND", "ADD"),
            ("CNI_CONTAINERID", "8d4c0a"),
            ("CNI_NETNS", "/var/run/netns/x"),
            ("CNI_IFNAME", "eth0"),
            (
                "CNI_ARGS",
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u1",
            ),
        ])
        .unwrap();
        assert_eq!(e.command, Command::Add);
        assert_eq!(e.args.pod_namespace(), Some("default"));
        assert_eq!(e.args.pod_name(), Some("web-0"));
        assert_eq!(e.args.pod_uid(), Some("u1"));
        assert_eq!(e.args.get("IgnoreUnknown"), Some("1"));
        assert_eq!(e.path, None);
    }

    #[test]
    fn missing_and_invalid_variables_are_named() {
        assert_eq!(err_var(env(&[])), "CNI_COMMAND");
        assert_eq!(err_var(env(&[("CNI_COMMAND", "FROB")])), "CNI_COMMAND");
        let add = [("CNI_COMMAND", "ADD")];
        assert_eq!(err_var(env(&add)), "CNI_CONTAINERID");
        let add = [("CNI_COMMAND", "ADD"), ("CNI_CONTAINERID", "c1")];
        assert_eq!(err_var(env(&add)), "CNI_NETNS");
        let add = [
            ("CNI_COMMAND", "ADD"),
            ("CNI_CONTAINERID", "c1"),
            ("CNI_NETNS", "/n"),
        ];
        assert_eq!(err_var(env(&add)), "CNI_IFNAME");
        let bad_if = [
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "c1"),
            ("CNI_IFNAME", "this-name-is-too-long"),
        ];
        assert_eq!(err_var(env(&bad_if)), "CNI_IFNAME");
        let bad_id = [
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "-x"),
            ("CNI_IFNAME", "eth0"),
        ];
        assert_eq!(err_var(env(&bad_id)), "CNI_CONTAINERID");
        let bad_id = [
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "a/b"),
            ("CNI_IFNAME", "eth0"),
        ];
        assert_eq!(err_var(env(&bad_id)), "CNI_CONTAINERID");
        let bad_args = [
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "c1"),
            ("CNI_IFNAME", "eth0"),
            ("CNI_ARGS", "A=1;oops"),
        ];
        let e = env(&bad_args).unwrap_err();
        assert_eq!(e.code(), 4);
        assert!(
            e.to_string().contains("CNI_ARGS") && e.to_string().contains("item 2"),
            "{e}"
        );
    }

    #[test]
    fn del_tolerates_missing_netns_and_version_needs_nothing() {
        let e = env(&[
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "c1"),
            ("CNI_IFNAME", "eth0"),
        ])
        .unwrap();
        assert_eq!(e.netns, None);
        let e = env(&[("CNI_COMMAND", "VERSION")]).unwrap();
        assert_eq!(e.command, Command::Version);
        let e = env(&[("CNI_COMMAND", "GC"), ("CNI_PATH", "/opt/cni/bin")]).unwrap();
        assert_eq!(e.path.as_deref(), Some("/opt/cni/bin"));
        let e = env(&[("CNI_COMMAND", "STATUS"), ("CNI_NETNS", "")]).unwrap();
        assert_eq!(e.netns, None);
    }

    proptest! {
        #[test]
        fn arbitrary_env_never_panics(cmd in ".{0,8}", id in ".{0,20}", ifname in ".{0,20}", args in ".{0,60}") {
            let _ = env(&[("CNI_COMMAND", &cmd), ("CNI_CONTAINERID", &id), ("CNI_NETNS", "/n"),
                ("CNI_IFNAME", &ifname), ("CNI_ARGS", &args)]);
            let _ = args.parse::<CniArgs>();
        }
    }
}
