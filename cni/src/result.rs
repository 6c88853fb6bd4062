//! The ADD success result (SPEC.md "Success"), held in the 1.1.0 shape and rendered in any supported
//! version: 0.3.x/0.4.0 add `ips[].version`, 1.0.0 drops it, and only 1.1.0 carries interface
//! `mtu`/`socketPath`/`pciID` and route `mtu`/`advmss`/`priority`/`table`/`scope`.

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde_json::{Map, Value, json};

use crate::error::CniError;
use crate::fields::{Fields, array_objects, decode_object};
use crate::version::CniVersion;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CniResult {
    pub interfaces: Vec<Interface>,
    pub ips: Vec<IpConfig>,
    pub routes: Vec<Route>,
    pub dns: Dns,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    /// The netns path for container interfaces; `None` for host interfaces.
    pub sandbox: Option<String>,
    pub socket_path: Option<String>,
    pub pci_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpConfig {
    /// Address with its prefix length (`10.0.0.5/24`), host bits kept.
    pub address: IpNetwork,
    pub gateway: Option<IpAddr>,
    /// Index into `interfaces`.
    pub interface: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub dst: IpNetwork,
    pub gw: Option<IpAddr>,
    pub mtu: Option<u32>,
    pub advmss: Option<u32>,
    pub priority: Option<u32>,
    pub table: Option<u32>,
    pub scope: Option<u32>,
}

impl Route {
    pub fn new(dst: IpNetwork, gw: Option<IpAddr>) -> Self {
        Route {
            dst,
            gw,
            mtu: None,
            advmss: None,
            priority: None,
            table: None,
            scope: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dns {
    pub nameservers: Vec<String>,
    pub domain: Option<String>,
    pub search: Vec<String>,
    pub options: Vec<String>,
}

impl Dns {
    pub fn is_empty(&self) -> bool {
        self.nameservers.is_empty()
            && self.domain.is_none()
            && self.search.is_empty()
            && self.options.is_empty()
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.nameservers.is_empty() {
            m.insert("nameservers".into(), json!(self.nameservers));
        }
        if let Some(d) = &self.domain {
            m.insert("domain".into(), json!(d));
        }
        if !self.search.is_empty() {
            m.insert("search".into(), json!(self.search));
        }
        if !self.options.is_empty() {
            m.insert("options".into(), json!(self.options));
        }
        Value::Object(m)
    }

    pub(crate) fn from_fields(f: Fields<'_>) -> Result<Dns, CniError> {
        let strings = |k: &str| -> Result<Vec<String>, CniError> {
            Ok(f.opt_str_array(k)?
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .collect())
        };
        Ok(Dns {
            nameservers: strings("nameservers")?,
            domain: f.opt_str("domain")?.map(str::to_owned),
            search: strings("search")?,
            options: strings("options")?,
        })
    }
}

pub(crate) fn parse_cidr(s: &str) -> Result<IpNetwork, String> {
    if !s.contains('/') {
        return Err(format!("{s:?} is not in CIDR notation (address/prefix)"));
    }
    s.parse::<IpNetwork>()
        .map_err(|e| format!("{s:?} is not a CIDR: {e}"))
}

pub(crate) fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.parse::<IpAddr>()
        .map_err(|e| format!("{s:?} is not an IP address: {e}"))
}

impl CniResult {
    /// Renders the result as the given version's JSON.
    pub fn to_json(&self, version: CniVersion) -> Value {
        let full = version >= CniVersion::V1_1_0;
        let interfaces: Vec<Value> = self
            .interfaces
            .iter()
            .map(|i| {
                let mut m = Map::new();
                m.insert("name".into(), json!(i.name));
                if let Some(mac) = &i.mac {
                    m.insert("mac".into(), json!(mac));
                }
                if full && let Some(mtu) = i.mtu {
                    m.insert("mtu".into(), json!(mtu));
                }
                if let Some(s) = &i.sandbox {
                    m.insert("sandbox".into(), json!(s));
                }
                if full {
                    if let Some(s) = &i.socket_path {
                        m.insert("socketPath".into(), json!(s));
                    }
                    if let Some(s) = &i.pci_id {
                        m.insert("pciID".into(), json!(s));
                    }
                }
                Value::Object(m)
            })
            .collect();
        let ips: Vec<Value> = self
            .ips
            .iter()
            .map(|ip| {
                let mut m = Map::new();
                if version.has_ip_version_field() {
                    let v = if ip.address.is_ipv4() { "4" } else { "6" };
                    m.insert("version".into(), json!(v));
                }
                m.insert("address".into(), json!(ip.address.to_string()));
                if let Some(gw) = ip.gateway {
                    m.insert("gateway".into(), json!(gw.to_string()));
                }
                if let Some(i) = ip.interface {
                    m.insert("interface".into(), json!(i));
                }
                Value::Object(m)
            })
            .collect();
        let routes: Vec<Value> = self
            .routes
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("dst".into(), json!(r.dst.to_string()));
                if let Some(gw) = r.gw {
                    m.insert("gw".into(), json!(gw.to_string()));
                }
                if full {
                    for (k, v) in [
                        ("mtu", r.mtu),
                        ("advmss", r.advmss),
                        ("priority", r.priority),
                        ("table", r.table),
                        ("scope", r.scope),
                    ] {
                        if let Some(v) = v {
                            m.insert(k.into(), json!(v));
                        }
                    }
                }
                Value::Object(m)
            })
            .collect();
        let mut out = Map::new();
        out.insert("cniVersion".into(), json!(version.as_str()));
        if !interfaces.is_empty() {
            out.insert("interfaces".into(), Value::Array(interfaces));
        }
        if !ips.is_empty() {
            out.insert("ips".into(), Value::Array(ips));
        }
        if !routes.is_empty() {
            out.insert("routes".into(), Value::Array(routes));
        }
        if !self.dns.is_empty() {
            out.insert("dns".into(), self.dns.to_json());
        }
        Value::Object(out)
    }

    /// Parses a result of any supported version (a `prevResult`, or a cached ADD result).
    pub fn from_json(v: &Value, path: &str) -> Result<CniResult, CniError> {
        let Value::Object(map) = v else {
            return Err(CniError::invalid_conf(path, "must be an object"));
        };
        let f = Fields::new(map, path);
        let mut out = CniResult::default();
        if let Some(items) = f.opt_array("interfaces")? {
            for (name, m) in array_objects(items, &f.name("interfaces"))? {
                let g = Fields::new(m, &name);
                out.interfaces.push(Interface {
                    name: g.req_str("name")?.to_owned(),
                    mac: g.opt_str("mac")?.map(str::to_owned),
                    mtu: g.opt_u32("mtu", 0, u32::MAX)?,
                    sandbox: g.opt_str("sandbox")?.map(str::to_owned),
                    socket_path: g.opt_str("socketPath")?.map(str::to_owned),
                    pci_id: g.opt_str("pciID")?.map(str::to_owned),
                });
            }
        }
        if let Some(items) = f.opt_array("ips")? {
            for (name, m) in array_objects(items, &f.name("ips"))? {
                let g = Fields::new(m, &name);
                let address = g
                    .opt_parsed("address", parse_cidr)?
                    .ok_or_else(|| CniError::invalid_conf(g.name("address"), "is required"))?;
                let interface = g.opt_u32("interface", 0, u32::MAX)?;
                if let Some(i) = interface
                    && i as usize >= out.interfaces.len()
                {
                    return Err(CniError::invalid_conf(
                        g.name("interface"),
                        format!(
                            "index {i} is out of range ({} interfaces)",
                            out.interfaces.len()
                        ),
                    ));
                }
                if let Some(ver) = g.opt_str("version")? {
                    let want = if address.is_ipv4() { "4" } else { "6" };
                    if ver != want {
                        return Err(CniError::invalid_conf(
                            g.name("version"),
                            format!("{ver:?} does not match address {address}"),
                        ));
                    }
                }
                out.ips.push(IpConfig {
                    address,
                    gateway: g.opt_parsed("gateway", parse_ip)?,
                    interface,
                });
            }
        }
        if let Some(items) = f.opt_array("routes")? {
            for (name, m) in array_objects(items, &f.name("routes"))? {
                out.routes.push(route_from_fields(Fields::new(m, &name))?);
            }
        }
        if let Some(m) = f.opt_object("dns")? {
            out.dns = Dns::from_fields(Fields::new(m, &f.name("dns")))?;
        }
        Ok(out)
    }

    /// Parses result bytes (a whole stdout of an earlier ADD).
    pub fn from_slice(bytes: &[u8]) -> Result<CniResult, CniError> {
        let map = decode_object(bytes, "result")?;
        CniResult::from_json(&Value::Object(map), "")
    }

    /// Converts a result JSON from whatever version it is in to `to`.
    pub fn convert(v: &Value, to: CniVersion) -> Result<Value, CniError> {
        Ok(CniResult::from_json(v, "result")?.to_json(to))
    }
}

pub(crate) fn route_from_fields(g: Fields<'_>) -> Result<Route, CniError> {
    let dst = g
        .opt_parsed("dst", parse_cidr)?
        .ok_or_else(|| CniError::invalid_conf(g.name("dst"), "is required"))?;
    let gw = g.opt_parsed("gw", parse_ip)?;
    if let Some(gw) = gw
        && gw.is_ipv4() != dst.is_ipv4()
    {
        return Err(CniError::invalid_conf(
            g.name("gw"),
            format!("{gw} is not the same address family as {dst}"),
        ));
    }
    Ok(Route {
        dst,
        gw,
        mtu: g.opt_u32("mtu", 0, u32::MAX)?,
        advmss: g.opt_u32("advmss", 0, u32::MAX)?,
        priority: g.opt_u32("priority", 0, u32::MAX)?,
        table: g.opt_u32("table", 0, u32::MAX)?,
        scope: g.opt_u32("scope", 0, 255)?,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// SPEC.md (spec-v1.1.0) "Add example" result, plus 1.1-only fields.
    fn sample() -> CniResult {
        let v = json!({
            "cniVersion": "1.1.0",
            "interfaces": [
                {"name": "veth3243", "mac": "72:2c:ab:c6:1a:9f"},
                {"name": "eth0", "mac": "2a:1f:7c:4e:30:82", "mtu": 1442,
                 "sandbox": "/var/run/netns/blue"}
            ],
            "ips": [
                {"address": "10.1.0.5/16", "gateway": "10.1.0.1", "interface": 1},
                {"address": "fd00::5/64", "gateway": "fd00::1", "interface": 1}
            ],
            "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1", "mtu": 1400}],
            "dns": {"nameservers": ["10.1.0.1"], "search": ["svc.cluster.local"]}
        });
        CniResult::from_json(&v, "result").unwrap()
    }

    #[test]
    fn renders_1_1_0_with_new_fields() {
        let v = sample().to_json(CniVersion::V1_1_0);
        assert_eq!(v["cniVersion"], "1.1.0");
        assert_eq!(v["interfaces"][1]["mtu"], 1442);
        assert_eq!(v["routes"][0]["mtu"], 1400);
        assert!(v["ips"][0].get("version").is_none());
    }

    #[test]
    fn renders_1_0_0_without_1_1_fields() {
        let v = sample().to_json(CniVersion::V1_0_0);
        assert_eq!(
            v,
            json!({
                "cniVersion": "1.0.0",
                "interfaces": [
                    {"name": "veth3243", "mac": "72:2c:ab:c6:1a:9f"},
                    {"name": "eth0", "mac": "2a:1f:7c:4e:30:82", "sandbox": "/var/run/netns/blue"}
                ],
                "ips": [
                    {"address": "10.1.0.5/16", "gateway": "10.1.0.1", "interface": 1},
                    {"address": "fd00::5/64", "gateway": "fd00::1", "interface": 1}
                ],
                "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}],
                "dns": {"nameservers": ["10.1.0.1"], "search": ["svc.cluster.local"]}
            })
        );
    }

    #[test]
    fn renders_0_4_0_with_ip_versions() {
        let v = sample().to_json(CniVersion::V0_4_0);
        assert_eq!(v["cniVersion"], "0.4.0");
        assert_eq!(v["ips"][0]["version"], "4");
        assert_eq!(v["ips"][1]["version"], "6");
        assert!(v["interfaces"][1].get("mtu").is_none());
        let v = sample().to_json(CniVersion::V0_3_1);
        assert_eq!(v["ips"][1]["version"], "6");
    }

    #[test]
    fn converts_old_results_up_and_round_trips() {
        let old = sample().to_json(CniVersion::V0_4_0);
        let up = CniResult::convert(&old, CniVersion::V1_0_0).unwrap();
        assert_eq!(up, sample().to_json(CniVersion::V1_0_0));
        for v in CniVersion::SUPPORTED {
            let back = CniResult::from_json(&sample().to_json(v), "r").unwrap();
            assert_eq!(back.to_json(v), sample().to_json(v), "{v}");
        }
        let s = serde_json::to_vec(&sample().to_json(CniVersion::V1_1_0)).unwrap();
        assert_eq!(CniResult::from_slice(&s).unwrap(), sample());
    }

    #[test]
    fn malformed_results_name_the_field() {
        let cases = [
            (
                json!({"ips": [{"address": "10.0.0.1"}]}),
                "prevResult.ips[0].address",
            ),
            (
                json!({"ips": [{"address": "10.0.0.1/24", "interface": 3}]}),
                "prevResult.ips[0].interface",
            ),
            (
                json!({"ips": [{"address": "10.0.0.1/24", "version": "6"}]}),
                "prevResult.ips[0].version",
            ),
            (
                json!({"ips": [{"address": "10.0.0.1/24", "gateway": "x"}]}),
                "prevResult.ips[0].gateway",
            ),
            (
                json!({"interfaces": [{"mac": "aa"}]}),
                "prevResult.interfaces[0].name",
            ),
            (json!({"interfaces": "eth0"}), "prevResult.interfaces"),
            (
                json!({"routes": [{"gw": "10.0.0.1"}]}),
                "prevResult.routes[0].dst",
            ),
            (
                json!({"routes": [{"dst": "0.0.0.0/0", "gw": "fd00::1"}]}),
                "prevResult.routes[0].gw",
            ),
            (json!({"routes": [7]}), "prevResult.routes[0]"),
            (
                json!({"dns": {"nameservers": [1]}}),
                "prevResult.dns.nameservers[0]",
            ),
        ];
        for (v, field) in cases {
            match CniResult::from_json(&v, "prevResult") {
                Err(CniError::InvalidNetConf { field: f, .. }) => assert_eq!(f, field, "{v}"),
                other => panic!("{v}: expected an error naming {field}, got {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = CniResult::from_slice(&bytes);
        }

        #[test]
        fn arbitrary_json_text_never_panics(s in r#"\{("(ips|routes|interfaces|dns|address|dst|gw|interface)":(\[|\{|"[0-9a-f:./]{0,12}"|[0-9]{1,3}|null|,|\]|\})){0,12}"#) {
            let _ = CniResult::from_slice(s.as_bytes());
        }
    }
}
