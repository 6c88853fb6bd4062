//! The chassis configuration ovn-controller reads from `Open_vSwitch .external_ids`.
//!
//! Every key may be overridden per chassis with a `-<system-id>` suffix (`ovn-remote-hv1`), which
//! lets several chassis share one Open_vSwitch database, exactly as upstream's
//! `get_chassis_external_id_value()` does. The configuration is re-read whenever the
//! Open_vSwitch row changes; [`ChassisConfig::from_external_ids`] is pure so that this is cheap
//! and table-testable.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// Errors in the chassis configuration; each names the key it comes from.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `system-id` is missing: without it the agent cannot know which chassis it is.
    #[error("Open_vSwitch external_ids:system-id is not set")]
    NoSystemId,
    /// A required key is missing.
    #[error("Open_vSwitch external_ids:{key} is not set")]
    Missing {
        /// The key.
        key: &'static str,
    },
    /// A key has a value that does not parse.
    #[error("Open_vSwitch external_ids:{key}={value:?}: {reason}")]
    Invalid {
        /// The key (with its chassis suffix when that was the one used).
        key: String,
        /// The value found.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
}

/// Tunnel encapsulation types, in ovn-controller's order of preference (Geneve > STT > VXLAN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EncapType {
    /// Geneve with the OVN option (class 0x0102, type 0x80).
    Geneve,
    /// STT.
    Stt,
    /// VXLAN (reduced key space).
    Vxlan,
}

impl EncapType {
    /// The name used in `ovn-encap-type`, SB `Encap.type` and OVS `Interface.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Geneve => "geneve",
            Self::Stt => "stt",
            Self::Vxlan => "vxlan",
        }
    }

    /// Parses an encap type name (case-sensitive, as upstream).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "geneve" => Some(Self::Geneve),
            "stt" => Some(Self::Stt),
            "vxlan" => Some(Self::Vxlan),
            _ => None,
        }
    }
}

/// One `physnet:bridge` pair of `ovn-bridge-mappings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeMapping {
    /// The logical network name (`Port_Binding.options:network_name` of localnet ports).
    pub network: String,
    /// The OVS provider bridge.
    pub bridge: String,
}

/// What the agent needs from `Open_vSwitch .external_ids` (and the integration bridge row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChassisConfig {
    /// `system-id`: the chassis name in the Southbound DB.
    pub system_id: String,
    /// `hostname`, defaulting to the machine's host name.
    pub hostname: String,
    /// `ovn-remote`: the Southbound DB remote(s), comma-separated as OVS accepts.
    pub ovn_remote: Option<String>,
    /// `ovn-cni-nb-remote` (ours, optional): a Northbound remote for the CNI server, which needs
    /// it only for ports addressed by OVN's IPAM (`dynamic`), whose assigned addresses 23.03
    /// keeps in the Northbound alone.
    pub cni_nb_remote: Option<String>,
    /// `ovn-remote-probe-interval`: `None` keeps the default; zero disables probing.
    pub remote_probe_interval: Option<Duration>,
    /// `ovn-openflow-probe-interval` (seconds; default 0 = disabled, as upstream).
    pub openflow_probe_interval: Duration,
    /// `ovn-encap-type`: parsed, deduplicated and sorted by preference. Unknown types are kept
    /// out (upstream logs and ignores them) and reported in `unknown_encap_types`.
    pub encap_types: Vec<EncapType>,
    /// Unknown names found in `ovn-encap-type`.
    pub unknown_encap_types: Vec<String>,
    /// `ovn-encap-ip`: one or more (comma-separated) addresses.
    pub encap_ips: Vec<IpAddr>,
    /// `ovn-encap-csum` (default "true"), published in `Encap.options:csum`.
    pub encap_csum: String,
    /// `ovn-encap-tos`, copied to tunnel ports' `options:tos` when set.
    pub encap_tos: Option<String>,
    /// `ovn-encap-df_default`, copied to tunnel ports' `options:df_default` when set.
    pub encap_df_default: Option<String>,
    /// `ovn-set-local-ip`: set `options:local_ip` on tunnel ports.
    pub set_local_ip: bool,
    /// `ovn-bridge` (default `br-int`).
    pub bridge: String,
    /// `ovn-bridge-datapath-type` (used when creating the bridge).
    pub bridge_datapath_type: Option<String>,
    /// `ovn-bridge-mappings` verbatim (published in Chassis other_config) and parsed.
    pub bridge_mappings_raw: String,
    /// Parsed `ovn-bridge-mappings`.
    pub bridge_mappings: Vec<BridgeMapping>,
    /// `ovn-chassis-mac-mappings` verbatim.
    pub chassis_mac_mappings: String,
    /// `ovn-cms-options` verbatim.
    pub cms_options: String,
    /// `ovn-monitor-all` (default false): monitor the whole SB instead of local datapaths only.
    pub monitor_all: bool,
    /// `ovn-is-interconn`: this chassis is an OVN-IC gateway.
    pub is_interconn: bool,
    /// `ovn-transport-zones`: comma-separated zone names.
    pub transport_zones: Vec<String>,
    /// `ovn-enable-lflow-cache` (default "true") and the other cache knobs, published verbatim in
    /// Chassis other_config as upstream does.
    pub lflow_cache_keys: BTreeMap<&'static str, String>,
}

/// The lflow-cache keys upstream publishes verbatim in Chassis other_config, with their defaults.
const LFLOW_CACHE_KEYS: [(&str, &str); 6] = [
    ("ovn-enable-lflow-cache", "true"),
    ("ovn-limit-lflow-cache", ""),
    ("ovn-memlimit-lflow-cache-kb", ""),
    ("ovn-trim-limit-lflow-cache", ""),
    ("ovn-trim-wmark-perc-lflow-cache", ""),
    ("ovn-trim-timeout-ms", ""),
];

/// Looks a key up with the per-chassis override first, and says which key matched.
struct Lookup<'a> {
    ids: &'a BTreeMap<String, String>,
    chassis: &'a str,
}

impl<'a> Lookup<'a> {
    fn get(&self, key: &str) -> Option<(String, &'a str)> {
        let suffixed = format!("{key}-{}", self.chassis);
        if let Some(v) = self.ids.get(&suffixed) {
            return Some((suffixed, v.as_str()));
        }
        self.ids.get(key).map(|v| (key.to_owned(), v.as_str()))
    }

    fn str_or(&self, key: &str, default: &str) -> String {
        self.get(key)
            .map_or_else(|| default.to_owned(), |(_, v)| v.to_owned())
    }

    fn opt(&self, key: &str) -> Option<String> {
        self.get(key).map(|(_, v)| v.to_owned())
    }

    /// OVS's `smap_get_bool`: "true" is true, anything else false.
    fn bool_or(&self, key: &str, default: bool) -> bool {
        self.get(key).map_or(default, |(_, v)| v == "true")
    }

    fn seconds(&self, key: &str) -> Result<Option<Duration>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some((k, v)) => v
                .trim()
                .parse::<u64>()
                .map(|s| Some(Duration::from_secs(s)))
                .map_err(|_| ConfigError::Invalid {
                    key: k,
                    value: v.to_owned(),
                    reason: "expected a number of seconds",
                }),
        }
    }
}

/// Splits a comma-separated list the way OVS's `sset_from_delimited_string` does: trims, drops
/// empty items and duplicates.
fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

impl ChassisConfig {
    /// Reads the configuration. `default_hostname` is the machine's host name, used when
    /// `external_ids:hostname` is not set.
    pub fn from_external_ids(
        ids: &BTreeMap<String, String>,
        default_hostname: &str,
    ) -> Result<Self, ConfigError> {
        let system_id = ids
            .get("system-id")
            .filter(|s| !s.is_empty())
            .ok_or(ConfigError::NoSystemId)?;
        let l = Lookup {
            ids,
            chassis: system_id,
        };

        let (_, encap_type_raw) = l.get("ovn-encap-type").ok_or(ConfigError::Missing {
            key: "ovn-encap-type",
        })?;
        let (ip_key, encap_ip_raw) = l.get("ovn-encap-ip").ok_or(ConfigError::Missing {
            key: "ovn-encap-ip",
        })?;

        let mut encap_types = Vec::new();
        let mut unknown_encap_types = Vec::new();
        for t in split_list(encap_type_raw) {
            match EncapType::parse(&t) {
                Some(e) => encap_types.push(e),
                None => unknown_encap_types.push(t),
            }
        }
        encap_types.sort();
        encap_types.dedup();

        let mut encap_ips = Vec::new();
        for ip in split_list(encap_ip_raw) {
            let parsed = ip.parse::<IpAddr>().map_err(|_| ConfigError::Invalid {
                key: ip_key.clone(),
                value: encap_ip_raw.to_owned(),
                reason: "expected IP addresses separated by commas",
            })?;
            encap_ips.push(parsed);
        }
        if encap_ips.is_empty() {
            return Err(ConfigError::Missing {
                key: "ovn-encap-ip",
            });
        }

        let bridge_mappings_raw = l.str_or("ovn-bridge-mappings", "");
        let mut bridge_mappings = Vec::new();
        for pair in split_list(&bridge_mappings_raw) {
            let Some((network, bridge)) = pair.split_once(':') else {
                return Err(ConfigError::Invalid {
                    key: "ovn-bridge-mappings".into(),
                    value: bridge_mappings_raw.clone(),
                    reason: "expected network:bridge pairs separated by commas",
                });
            };
            bridge_mappings.push(BridgeMapping {
                network: network.trim().into(),
                bridge: bridge.trim().into(),
            });
        }

        let lflow_cache_keys = LFLOW_CACHE_KEYS
            .iter()
            .map(|&(k, d)| (k, l.str_or(k, d)))
            .collect();

        Ok(Self {
            system_id: system_id.clone(),
            hostname: l
                .opt("hostname")
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| default_hostname.to_owned()),
            ovn_remote: l.opt("ovn-remote").filter(|r| !r.is_empty()),
            cni_nb_remote: l.opt("ovn-cni-nb-remote").filter(|r| !r.is_empty()),
            remote_probe_interval: l.seconds("ovn-remote-probe-interval")?,
            openflow_probe_interval: l
                .seconds("ovn-openflow-probe-interval")?
                .unwrap_or(Duration::ZERO),
            encap_types,
            unknown_encap_types,
            encap_ips,
            encap_csum: l.str_or("ovn-encap-csum", "true"),
            encap_tos: l.opt("ovn-encap-tos"),
            encap_df_default: l.opt("ovn-encap-df_default"),
            set_local_ip: l.bool_or("ovn-set-local-ip", false),
            bridge: l.str_or("ovn-bridge", "br-int"),
            bridge_datapath_type: l.opt("ovn-bridge-datapath-type").filter(|t| !t.is_empty()),
            bridge_mappings_raw,
            bridge_mappings,
            chassis_mac_mappings: l.str_or("ovn-chassis-mac-mappings", ""),
            cms_options: l.str_or("ovn-cms-options", ""),
            monitor_all: l.bool_or("ovn-monitor-all", false),
            is_interconn: l.bool_or("ovn-is-interconn", false),
            transport_zones: split_list(&l.str_or("ovn-transport-zones", "")),
            lflow_cache_keys,
        })
    }

    /// The `Chassis.other_config` ovn-controller 23.03 publishes, merged over `existing` (keys
    /// set by others are kept, as upstream's `smap_replace` over a clone does).
    ///
    /// `datapath_type` is the integration bridge's datapath type and `iface_types` the
    /// `Open_vSwitch.iface_types` column.
    pub fn chassis_other_config(
        &self,
        existing: &BTreeMap<String, String>,
        datapath_type: &str,
        iface_types: &[String],
    ) -> BTreeMap<String, String> {
        let mut c = existing.clone();
        let mut put = |k: &str, v: &str| {
            c.insert(k.to_owned(), v.to_owned());
        };
        put("ovn-bridge-mappings", &self.bridge_mappings_raw);
        put("datapath-type", datapath_type);
        put("ovn-cms-options", &self.cms_options);
        put(
            "ovn-monitor-all",
            if self.monitor_all { "true" } else { "false" },
        );
        for (k, v) in &self.lflow_cache_keys {
            put(k, v);
        }
        put("iface-types", &iface_types.join(","));
        put("ovn-chassis-mac-mappings", &self.chassis_mac_mappings);
        put(
            "is-interconn",
            if self.is_interconn { "true" } else { "false" },
        );
        put("port-up-notif", "true");
        put("ct-no-masked-label", "true");
        put("mac-binding-timestamp", "true");
        put("ovn-ct-lb-related", "true");
        c
    }

    /// The `(type, ip)` pairs of the Encap rows this chassis publishes: the full mesh of encap
    /// IPs × encap types, each with `options:csum`.
    pub fn encaps(&self) -> Vec<(EncapType, IpAddr)> {
        self.encap_ips
            .iter()
            .flat_map(|ip| self.encap_types.iter().map(move |t| (*t, *ip)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const BASE: [(&str, &str); 4] = [
        ("system-id", "hv1"),
        ("ovn-remote", "unix:/tmp/sb.sock"),
        ("ovn-encap-type", "geneve"),
        ("ovn-encap-ip", "172.16.0.1"),
    ];

    #[test]
    fn defaults_match_upstream() {
        let c = ChassisConfig::from_external_ids(&ids(&BASE), "host").unwrap();
        assert_eq!(c.system_id, "hv1");
        assert_eq!(c.hostname, "host");
        assert_eq!(c.bridge, "br-int");
        assert_eq!(c.encap_types, vec![EncapType::Geneve]);
        assert_eq!(c.encap_csum, "true");
        assert!(!c.monitor_all && !c.is_interconn);
        assert_eq!(c.openflow_probe_interval, Duration::ZERO);
        assert_eq!(c.remote_probe_interval, None);
        assert!(c.bridge_mappings.is_empty() && c.transport_zones.is_empty());
    }

    #[test]
    fn per_chassis_suffix_overrides_the_plain_key() {
        let mut m = ids(&BASE);
        m.insert("ovn-remote-hv1".into(), "unix:/other.sock".into());
        m.insert("ovn-remote-hv2".into(), "unix:/not-mine.sock".into());
        m.insert("ovn-bridge-hv1".into(), "br-alt".into());
        let c = ChassisConfig::from_external_ids(&m, "h").unwrap();
        assert_eq!(c.ovn_remote.as_deref(), Some("unix:/other.sock"));
        assert_eq!(c.bridge, "br-alt");
    }

    #[test]
    fn lists_are_split_deduplicated_and_sorted_by_preference() {
        let mut m = ids(&BASE);
        m.insert("ovn-encap-type".into(), "vxlan, geneve,vxlan,bogus".into());
        m.insert("ovn-encap-ip".into(), "172.16.0.1,172.16.0.9".into());
        m.insert("ovn-transport-zones".into(), "tz1, tz2,,tz1".into());
        m.insert(
            "ovn-bridge-mappings".into(),
            "phys:br-phys,ext:br-ex".into(),
        );
        let c = ChassisConfig::from_external_ids(&m, "h").unwrap();
        assert_eq!(c.encap_types, vec![EncapType::Geneve, EncapType::Vxlan]);
        assert_eq!(c.unknown_encap_types, vec!["bogus".to_owned()]);
        assert_eq!(c.encap_ips.len(), 2);
        assert_eq!(c.encaps().len(), 4);
        assert_eq!(c.transport_zones, vec!["tz1".to_owned(), "tz2".to_owned()]);
        assert_eq!(
            c.bridge_mappings[1],
            BridgeMapping {
                network: "ext".into(),
                bridge: "br-ex".into()
            }
        );
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(
            ChassisConfig::from_external_ids(&ids(&BASE[1..]), "h"),
            Err(ConfigError::NoSystemId)
        );
        let mut m = ids(&BASE);
        m.remove("ovn-encap-ip");
        assert_eq!(
            ChassisConfig::from_external_ids(&m, "h"),
            Err(ConfigError::Missing {
                key: "ovn-encap-ip"
            })
        );
        m.insert("ovn-encap-ip-hv1".into(), "not-an-ip".into());
        let e = ChassisConfig::from_external_ids(&m, "h").unwrap_err();
        assert!(e.to_string().contains("ovn-encap-ip-hv1"), "{e}");
        let mut m = ids(&BASE);
        m.insert("ovn-remote-probe-interval".into(), "x".into());
        assert!(
            ChassisConfig::from_external_ids(&m, "h")
                .unwrap_err()
                .to_string()
                .contains("ovn-remote-probe-interval")
        );
        let mut m = ids(&BASE);
        m.insert("ovn-bridge-mappings".into(), "nocolon".into());
        assert!(
            ChassisConfig::from_external_ids(&m, "h")
                .unwrap_err()
                .to_string()
                .contains("ovn-bridge-mappings")
        );
    }

    #[test]
    fn other_config_has_the_23_03_keys_and_keeps_foreign_ones() {
        let mut m = ids(&BASE);
        m.insert("ovn-is-interconn".into(), "true".into());
        let c = ChassisConfig::from_external_ids(&m, "h").unwrap();
        let existing = ids(&[("foo", "bar"), ("is-interconn", "false")]);
        let oc = c.chassis_other_config(&existing, "netdev", &["geneve".into(), "vxlan".into()]);
        assert_eq!(oc["foo"], "bar");
        assert_eq!(oc["is-interconn"], "true");
        assert_eq!(oc["datapath-type"], "netdev");
        assert_eq!(oc["iface-types"], "geneve,vxlan");
        assert_eq!(oc["port-up-notif"], "true");
        assert_eq!(oc["ovn-enable-lflow-cache"], "true");
        assert_eq!(oc["ovn-monitor-all"], "false");
    }
}
