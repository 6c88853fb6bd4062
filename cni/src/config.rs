//! Network configuration (SPEC.md "Network configuration format"): the conflist a runtime reads, and
//! the single plugin config it writes to our stdin, with `runtimeConfig`, `prevResult` and GC's
//! `cni.dev/valid-attachments` inserted.

use std::net::IpAddr;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::error::CniError;
use crate::fields::{Fields, array_objects, decode_object};
use crate::result::{CniResult, Dns, Route, parse_ip, route_from_fields};
use crate::version::CniVersion;

/// The agent's socket when the config names none.
pub const DEFAULT_SOCKET: &str = "/var/run/ovn/ovn-agent-cni.sock";

/// Our plugin's `type`.
pub const PLUGIN_TYPE: &str = "ovn-agent-cni";

/// Geneve over IPv4 adds 58 bytes (outer Ethernet 14 + IPv4 20 + UDP 8 + Geneve 8 + 8 of options).
pub const GENEVE_OVERHEAD: u32 = 58;

/// One attachment in GC's valid list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    #[serde(rename = "containerID")]
    pub container_id: String,
    pub ifname: String,
}

/// Our plugin's configuration as received on stdin.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConf {
    /// The raw `cniVersion` string; `version` is its parsed form.
    pub cni_version: String,
    pub version: CniVersion,
    /// The network name.
    pub name: String,
    pub plugin_type: String,
    /// The agent's CNI socket (`socket`).
    pub socket: PathBuf,
    /// Pod interface MTU; `None` lets the agent use the underlay MTU minus the Geneve overhead.
    pub mtu: Option<u32>,
    /// Secondary networks: the logical switch this network attaches to.
    pub logical_switch: Option<String>,
    /// The logical port, when not derived from the pod (`<namespace>_<pod>`).
    pub logical_port: Option<String>,
    /// Gateways to use instead of the router port's addresses.
    pub gateways: Vec<IpAddr>,
    /// Extra routes to install in the pod.
    pub routes: Vec<Route>,
    pub dns: Dns,
    /// Whether to install a default route via the gateway (default true; false for secondary networks
    /// that must not steal the pod's default route).
    pub default_route: bool,
    pub runtime_config: Map<String, Value>,
    /// `args` (the conventions' `args.cni.*`).
    pub args: Map<String, Value>,
    pub prev_result: Option<CniResult>,
    /// GC's valid attachments: `cni.dev/valid-attachments`, or the older `cni.dev/attachments`.
    pub valid_attachments: Option<Vec<Attachment>>,
    /// The whole object as received, so unknown keys survive a round trip.
    pub raw: Map<String, Value>,
}

impl NetConf {
    /// Parses and validates stdin. Every error names the offending field.
    pub fn parse(bytes: &[u8]) -> Result<NetConf, CniError> {
        let raw = decode_object(bytes, "network config on stdin")?;
        let f = Fields::new(&raw, "");
        let cni_version = f.req_str("cniVersion")?.to_owned();
        let version: CniVersion = cni_version.parse()?;
        let name = f.req_str("name")?.to_owned();
        let plugin_type = f.req_str("type")?.to_owned();
        let socket = match f.opt_nonempty("socket")? {
            Some(s) if !s.starts_with('/') => {
                return Err(CniError::invalid_conf(
                    "socket",
                    format!("{s:?} must be an absolute path"),
                ));
            }
            Some(s) => PathBuf::from(s),
            None => PathBuf::from(DEFAULT_SOCKET),
        };
        let mtu = f.opt_u32("mtu", 68, 65535)?;
        let logical_switch = f.opt_nonempty("logical_switch")?.map(str::to_owned);
        let logical_port = f.opt_nonempty("logical_port")?.map(str::to_owned);
        let gateways = match raw.get("gateway") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => {
                vec![parse_ip(s).map_err(|r| CniError::invalid_conf("gateway", r))?]
            }
            Some(_) => f
                .opt_str_array("gateway")?
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    parse_ip(s).map_err(|r| CniError::invalid_conf(format!("gateway[{i}]"), r))
                })
                .collect::<Result<_, _>>()?,
        };
        let routes = match f.opt_array("routes")? {
            None => Vec::new(),
            Some(items) => array_objects(items, "routes")?
                .into_iter()
                .map(|(name, m)| route_from_fields(Fields::new(m, &name)))
                .collect::<Result<_, _>>()?,
        };
        let dns = match f.opt_object("dns")? {
            Some(m) => Dns::from_fields(Fields::new(m, "dns"))?,
            None => Dns::default(),
        };
        // A secondary network must not take the pod's default route unless asked to.
        let default_route = f
            .opt_bool("default_route")?
            .unwrap_or(logical_switch.is_none());
        let runtime_config = f.opt_object("runtimeConfig")?.cloned().unwrap_or_default();
        let args = f.opt_object("args")?.cloned().unwrap_or_default();
        let prev_result = match raw.get("prevResult") {
            None | Some(Value::Null) => None,
            Some(v) => Some(CniResult::from_json(v, "prevResult")?),
        };
        let valid_attachments = match f.opt_array("cni.dev/valid-attachments")? {
            Some(items) => Some(parse_attachments(items, "cni.dev/valid-attachments")?),
            None => match f.opt_array("cni.dev/attachments")? {
                Some(items) => Some(parse_attachments(items, "cni.dev/attachments")?),
                None => None,
            },
        };
        Ok(NetConf {
            cni_version,
            version,
            name,
            plugin_type,
            socket,
            mtu,
            logical_switch,
            logical_port,
            gateways,
            routes,
            dns,
            default_route,
            runtime_config,
            args,
            prev_result,
            valid_attachments,
            raw,
        })
    }

    /// `args.cni.<key>` as a string, if present.
    pub fn cni_arg(&self, key: &str) -> Option<&str> {
        self.args
            .get("cni")
            .and_then(|c| c.get(key))
            .and_then(Value::as_str)
    }

    /// The MTU for the pod interface given the underlay MTU the agent knows.
    pub fn effective_mtu(&self, underlay_mtu: u32) -> u32 {
        self.mtu
            .unwrap_or_else(|| underlay_mtu.saturating_sub(GENEVE_OVERHEAD).max(68))
    }
}

fn parse_attachments(items: &[Value], field: &str) -> Result<Vec<Attachment>, CniError> {
    array_objects(items, field)?
        .into_iter()
        .map(|(name, m)| {
            let g = Fields::new(m, &name);
            Ok(Attachment {
                container_id: g.req_str("containerID")?.to_owned(),
                ifname: g.req_str("ifname")?.to_owned(),
            })
        })
        .collect()
}

/// A network configuration list (`.conflist`), as a runtime reads it from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfList {
    pub cni_version: CniVersion,
    /// 1.1's `cniVersions`: versions the list may be used as; unknown ones are ignored, as libcni does.
    pub cni_versions: Vec<String>,
    pub name: String,
    pub disable_check: bool,
    pub disable_gc: bool,
    pub plugins: Vec<Map<String, Value>>,
}

impl NetConfList {
    pub fn parse(bytes: &[u8]) -> Result<NetConfList, CniError> {
        let raw = decode_object(bytes, "network configuration list")?;
        let f = Fields::new(&raw, "");
        let cni_version = f.req_str("cniVersion")?.parse()?;
        let cni_versions = f
            .opt_str_array("cniVersions")?
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let name = f.req_str("name")?.to_owned();
        let plugins_v = f
            .opt_array("plugins")?
            .ok_or_else(|| CniError::invalid_conf("plugins", "is required"))?;
        if plugins_v.is_empty() {
            return Err(CniError::invalid_conf("plugins", "must not be empty"));
        }
        let mut plugins = Vec::new();
        for (pname, m) in array_objects(plugins_v, "plugins")? {
            Fields::new(m, &pname).req_str("type")?;
            plugins.push(m.clone());
        }
        Ok(NetConfList {
            cni_version,
            cni_versions,
            name,
            disable_check: f.opt_bool("disableCheck")?.unwrap_or(false),
            disable_gc: f.opt_bool("disableGC")?.unwrap_or(false),
            plugins,
        })
    }

    /// The stdin a runtime gives plugin `i`: its object plus the list's `cniVersion` and `name`.
    pub fn plugin_stdin(&self, i: usize) -> Option<Vec<u8>> {
        let mut m = self.plugins.get(i)?.clone();
        m.insert("cniVersion".into(), Value::from(self.cni_version.as_str()));
        m.insert("name".into(), Value::from(self.name.as_str()));
        serde_json::to_vec(&Value::Object(m)).ok()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<NetConf, CniError> {
        NetConf::parse(&serde_json::to_vec(&v).unwrap())
    }

    fn field_of(r: Result<NetConf, CniError>) -> String {
        match r {
            Err(CniError::InvalidNetConf { field, .. }) => field,
            other => panic!("expected InvalidNetConf, got {other:?}"),
        }
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c =
            parse(json!({"cniVersion": "1.0.0", "name": "ovn", "type": "ovn-agent-cni"})).unwrap();
        assert_eq!(c.version, CniVersion::V1_0_0);
        assert_eq!(c.socket, PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(c.mtu, None);
        assert_eq!(c.effective_mtu(1500), 1442);
        assert!(c.default_route);
        assert!(c.prev_result.is_none());
    }

    #[test]
    fn full_config_and_unknown_keys_survive() {
        let c = parse(json!({
            "cniVersion": "1.1.0", "name": "blue", "type": "ovn-agent-cni",
            "socket": "/tmp/x.sock", "mtu": 1400, "logical_switch": "ls-blue",
            "logical_port": "p1", "gateway": ["10.0.0.1", "fd00::1"],
            "routes": [{"dst": "192.168.0.0/16", "gw": "10.0.0.254"}],
            "dns": {"nameservers": ["10.0.0.10"]}, "default_route": false,
            "args": {"cni": {"logical_port": "from-args"}},
            "runtimeConfig": {"portMappings": []},
            "prevResult": {"cniVersion": "1.1.0", "ips": [{"address": "10.0.0.5/24"}]},
            "somethingElse": {"kept": true}
        }))
        .unwrap();
        assert_eq!(c.mtu, Some(1400));
        assert_eq!(c.effective_mtu(9000), 1400);
        assert_eq!(c.logical_switch.as_deref(), Some("ls-blue"));
        assert_eq!(c.gateways.len(), 2);
        assert_eq!(c.routes.len(), 1);
        assert_eq!(c.dns.nameservers, vec!["10.0.0.10"]);
        assert!(!c.default_route);
        assert_eq!(c.cni_arg("logical_port"), Some("from-args"));
        assert_eq!(c.prev_result.unwrap().ips.len(), 1);
        assert_eq!(c.raw["somethingElse"], json!({"kept": true}));
        let c =
            parse(json!({"cniVersion": "1.0.0", "name": "n", "type": "t", "gateway": "10.0.0.1"}))
                .unwrap();
        assert_eq!(c.gateways, vec![IpAddr::from([10, 0, 0, 1])]);
    }

    #[test]
    fn gc_attachments_prefer_the_new_key() {
        let both = json!({"cniVersion": "1.1.0", "name": "n", "type": "t",
            "cni.dev/valid-attachments": [{"containerID": "a", "ifname": "eth0"}],
            "cni.dev/attachments": [{"containerID": "b", "ifname": "eth0"}]});
        let c = parse(both).unwrap();
        assert_eq!(c.valid_attachments.unwrap()[0].container_id, "a");
        let legacy = json!({"cniVersion": "1.1.0", "name": "n", "type": "t",
            "cni.dev/attachments": [{"containerID": "b", "ifname": "net1"}]});
        assert_eq!(
            parse(legacy).unwrap().valid_attachments.unwrap()[0].ifname,
            "net1"
        );
    }

    #[test]
    fn malformed_configs_name_the_field() {
        let base = || json!({"cniVersion": "1.0.0", "name": "n", "type": "t"});
        let with = |k: &str, v: Value| {
            let mut b = base();
            b[k] = v;
            b
        };
        let without = |k: &str| {
            let mut b = base();
            b.as_object_mut().unwrap().remove(k);
            b
        };
        assert_eq!(field_of(parse(without("name"))), "name");
        assert_eq!(field_of(parse(without("type"))), "type");
        assert_eq!(field_of(parse(without("cniVersion"))), "cniVersion");
        assert_eq!(field_of(parse(with("name", json!(3)))), "name");
        assert_eq!(field_of(parse(with("name", json!("")))), "name");
        assert_eq!(field_of(parse(with("mtu", json!(10)))), "mtu");
        assert_eq!(field_of(parse(with("mtu", json!("1400")))), "mtu");
        assert_eq!(field_of(parse(with("socket", json!("rel/path")))), "socket");
        assert_eq!(field_of(parse(with("socket", json!(1)))), "socket");
        assert_eq!(
            field_of(parse(with("logical_switch", json!("")))),
            "logical_switch"
        );
        assert_eq!(field_of(parse(with("gateway", json!("nope")))), "gateway");
        assert_eq!(
            field_of(parse(with("gateway", json!(["10.0.0.1", "x"])))),
            "gateway[1]"
        );
        assert_eq!(
            field_of(parse(with("routes", json!([{"dst": "10.0.0.0"}])))),
            "routes[0].dst"
        );
        assert_eq!(field_of(parse(with("dns", json!([])))), "dns");
        assert_eq!(
            field_of(parse(with("default_route", json!("yes")))),
            "default_route"
        );
        assert_eq!(
            field_of(parse(with("runtimeConfig", json!(1)))),
            "runtimeConfig"
        );
        assert_eq!(
            field_of(parse(with(
                "prevResult",
                json!({"ips": [{"address": "bad"}]})
            ))),
            "prevResult.ips[0].address"
        );
        assert_eq!(
            field_of(parse(with(
                "cni.dev/valid-attachments",
                json!([{"ifname": "eth0"}])
            ))),
            "cni.dev/valid-attachments[0].containerID"
        );
        let e = parse(with("cniVersion", json!("0.1.0"))).unwrap_err();
        assert_eq!(e.code(), 1);
        let e = NetConf::parse(b"{not json").unwrap_err();
        assert_eq!(e.code(), 6);
        let e = NetConf::parse(b"[1]").unwrap_err();
        assert_eq!(e.code(), 6);
    }

    #[test]
    fn sample_conflist_parses_and_feeds_the_plugin() {
        let text = include_bytes!("../examples/ovn-agent.conflist");
        let list = NetConfList::parse(text).unwrap();
        assert_eq!(list.name, "ovn-agent");
        assert!(list.cni_versions.contains(&"1.1.0".to_owned()));
        let conf = NetConf::parse(&list.plugin_stdin(0).unwrap()).unwrap();
        assert_eq!(conf.plugin_type, PLUGIN_TYPE);
        assert_eq!(conf.socket, PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(conf.name, "ovn-agent");
    }

    #[test]
    fn malformed_conflists_name_the_field() {
        let e = NetConfList::parse(br#"{"cniVersion":"1.0.0","name":"n"}"#).unwrap_err();
        assert!(e.to_string().contains("plugins"), "{e}");
        let e =
            NetConfList::parse(br#"{"cniVersion":"1.0.0","name":"n","plugins":[{}]}"#).unwrap_err();
        assert!(e.to_string().contains("plugins[0].type"), "{e}");
        let e =
            NetConfList::parse(br#"{"cniVersion":"1.0.0","name":"n","plugins":[]}"#).unwrap_err();
        assert!(e.to_string().contains("plugins"), "{e}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = NetConf::parse(&bytes);
            let _ = NetConfList::parse(&bytes);
        }

        #[test]
        fn arbitrary_member_values_never_panic(
            key in "(cniVersion|name|type|socket|mtu|gateway|routes|dns|prevResult|args|cni.dev/valid-attachments)",
            val in r#"("[0-9a-z./:]{0,10}"|-?[0-9]{1,12}|null|true|\[\]|\{\}|\[\{"dst":"10.0.0.0/8"\}\]|\["x"\])"#,
        ) {
            let text = format!(r#"{{"cniVersion":"1.0.0","name":"n","type":"t","{key}":{val}}}"#);
            let _ = NetConf::parse(text.as_bytes());
        }
    }
}
