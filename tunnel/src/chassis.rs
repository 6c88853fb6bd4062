//! Reconciler inputs describing chassis: the local one (from OVS `Open_vSwitch.external_ids` and
//! its own SB Chassis row) and the others (SB `Chassis` + `Encap` rows).

use std::collections::{BTreeMap, BTreeSet};

use crate::encap::{EncapType, TunnelEncoding, preferred_encap};

/// The chassis this agent runs on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalChassis {
    /// `system-id`, the SB `Chassis.name`.
    pub name: String,
    /// `Open_vSwitch.other_config:ovn-chassis-idx-<name>`, empty for the usual single controller
    /// per host. It becomes part of every tunnel port name (`ovn<idx>-...`).
    pub chassis_idx: String,
    /// Types of this chassis' own Encap rows (`ovn-encap-type`).
    pub encap_types: BTreeSet<EncapType>,
    /// This chassis' encap IPs (`ovn-encap-ip`, several allowed), in SB row order. Only the first
    /// is used, and only as `local_ip` when `set_local_ip` or IPsec asks for it (as 23.03 does:
    /// a list is "unsupported" there and it logs an error but still takes the first).
    pub encap_ips: Vec<String>,
    /// `ovn-transport-zones`, already split (see [`parse_transport_zones`]).
    pub transport_zones: BTreeSet<String>,
    /// SB `Chassis.other_config:is-interconn` of this chassis (from `ovn-is-interconn`).
    pub is_interconn: bool,
    /// `ovn-encap-tos`; `None` (or `"none"`) adds no `tos` option.
    pub encap_tos: Option<String>,
    /// `ovn-encap-df_default`, copied verbatim into `options:df_default`.
    pub encap_df_default: Option<String>,
    /// `ovn-set-local-ip=true`: put `local_ip` on every tunnel.
    pub set_local_ip: bool,
    /// SB_Global `ipsec=true`, with its options.
    pub ipsec: Option<IpsecConfig>,
}

/// SB_Global IPsec settings that shape tunnel options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IpsecConfig {
    /// `options:ipsec_encapsulation=true` (libreswan NAT-T forcing).
    pub encapsulation: bool,
    /// `options:ipsec_forceencaps=true` (strongswan NAT-T forcing).
    pub forceencaps: bool,
}

/// One SB `Encap` row of a remote chassis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encap {
    /// `Encap.type` as stored; unknown types are kept so they can be ignored like upstream does.
    pub encap_type: String,
    pub ip: String,
    /// `Encap.options` (`csum`, `dst_port`).
    pub options: BTreeMap<String, String>,
}

/// Another SB `Chassis` row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteChassis {
    pub name: String,
    /// In SB row order; the order decides which port gets which new name.
    pub encaps: Vec<Encap>,
    /// The `Chassis.transport_zones` column.
    pub transport_zones: BTreeSet<String>,
    /// `other_config:is-remote` (a gateway of another availability zone, copied by ovn-ic).
    pub is_remote: bool,
    /// `other_config:is-interconn`; informational for the tunnel decision (upstream only looks at
    /// the local chassis' flag), kept so the agent can pass the row through unchanged.
    pub is_interconn: bool,
}

impl LocalChassis {
    /// Builds the local chassis from `Open_vSwitch` `external_ids` / `other_config`, the way
    /// ovn-controller reads them (each key may be overridden per chassis as `<key>-<system-id>`):
    /// `ovn-encap-type` and `ovn-encap-ip` (comma lists; unknown types dropped, IPs in the order
    /// given), `ovn-transport-zones`, `ovn-is-interconn`, `ovn-encap-tos`,
    /// `ovn-encap-df_default`, `ovn-set-local-ip`, and `other_config:ovn-chassis-idx-<id>`.
    /// The integration bridge and IPsec (an SB_Global setting) are not part of it.
    pub fn from_ovs_config(
        system_id: &str,
        external_ids: &BTreeMap<String, String>,
        other_config: &BTreeMap<String, String>,
    ) -> LocalChassis {
        let get = |key: &str| chassis_external_id(external_ids, system_id, key);
        let list = |key: &str| {
            get(key)
                .unwrap_or("")
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let mut encap_ips = list("ovn-encap-ip");
        let mut seen = BTreeSet::new();
        encap_ips.retain(|ip| seen.insert(ip.clone()));
        let flag = |key: &str| get(key).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        LocalChassis {
            name: system_id.to_owned(),
            chassis_idx: other_config
                .get(&format!("ovn-chassis-idx-{system_id}"))
                .cloned()
                .unwrap_or_default(),
            encap_types: list("ovn-encap-type")
                .iter()
                .filter_map(|t| EncapType::parse(t))
                .collect(),
            encap_ips,
            transport_zones: parse_transport_zones(get("ovn-transport-zones").unwrap_or("")),
            is_interconn: flag("ovn-is-interconn"),
            encap_tos: get("ovn-encap-tos")
                .filter(|t| *t != "none")
                .map(str::to_owned),
            encap_df_default: get("ovn-encap-df_default").map(str::to_owned),
            set_local_ip: flag("ovn-set-local-ip"),
            ipsec: None,
        }
    }
}

/// ovn-util.c `get_chassis_external_id_value`: `<key>-<chassis>` if present, else `<key>`.
pub fn chassis_external_id<'a>(
    external_ids: &'a BTreeMap<String, String>,
    chassis: &str,
    key: &str,
) -> Option<&'a str> {
    external_ids
        .get(&format!("{key}-{chassis}"))
        .or_else(|| external_ids.get(key))
        .map(String::as_str)
}

impl Encap {
    pub fn new(encap_type: &str, ip: &str) -> Self {
        Encap {
            encap_type: encap_type.to_owned(),
            ip: ip.to_owned(),
            options: BTreeMap::new(),
        }
    }

    pub fn with_option(mut self, key: &str, value: &str) -> Self {
        self.options.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn kind(&self) -> Option<EncapType> {
        EncapType::parse(&self.encap_type)
    }
}

impl RemoteChassis {
    /// The types this chassis advertises that OVN knows, for [`crate::preferred_encap`].
    pub fn encap_types(&self) -> impl Iterator<Item = EncapType> + '_ {
        self.encaps.iter().filter_map(Encap::kind)
    }

    /// The encap type tunnels from `local` to this chassis use, if they share one.
    pub fn encap_from(&self, local: &LocalChassis) -> Option<EncapType> {
        preferred_encap(&local.encap_types, self.encap_types())
    }

    /// What those tunnels can carry: Geneve/STT full, VXLAN reduced.
    pub fn encoding_from(&self, local: &LocalChassis) -> Option<TunnelEncoding> {
        self.encap_from(local).map(EncapType::encoding)
    }
}

/// Splits `ovn-transport-zones` the way `sset_from_delimited_string(.., ",")` does: on commas,
/// dropping empty tokens, no whitespace trimming.
pub fn parse_transport_zones(s: &str) -> BTreeSet<String> {
    s.split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// OVS `smap_get_bool`: with default `false`, only a case-insensitive `"true"` is true; with
/// default `true`, anything but a case-insensitive `"false"` is true.
pub fn smap_bool(map: &BTreeMap<String, String>, key: &str, default: bool) -> bool {
    let v = map.get(key).map(String::as_str).unwrap_or("");
    if default {
        !v.eq_ignore_ascii_case("false")
    } else {
        v.eq_ignore_ascii_case("true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_zones_split() {
        let z = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(parse_transport_zones(""), z(&[]));
        assert_eq!(parse_transport_zones("tz1"), z(&["tz1"]));
        assert_eq!(parse_transport_zones("tz1,,tz2,"), z(&["tz1", "tz2"]));
        assert_eq!(parse_transport_zones(" a,b"), z(&[" a", "b"]));
    }

    #[test]
    fn local_from_ovs_config() {
        let ids = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        let external_ids = ids(&[
            ("ovn-encap-type", "geneve,vxlan,gre"),
            ("ovn-encap-ip", "10.0.0.1,10.0.1.1,10.0.0.1"),
            ("ovn-encap-ip-hv9", "192.0.2.9"),
            ("ovn-transport-zones", "tz1,tz2"),
            ("ovn-is-interconn", "TRUE"),
            ("ovn-encap-tos", "none"),
            ("ovn-encap-tos-hv1", "inherit"),
            ("ovn-set-local-ip", "yes"),
        ]);
        let other_config = ids(&[("ovn-chassis-idx-hv1", "3")]);
        let l = LocalChassis::from_ovs_config("hv1", &external_ids, &other_config);
        assert_eq!(
            l,
            LocalChassis {
                name: "hv1".into(),
                chassis_idx: "3".into(),
                encap_types: [EncapType::Geneve, EncapType::Vxlan].into(),
                encap_ips: vec!["10.0.0.1".into(), "10.0.1.1".into()],
                transport_zones: parse_transport_zones("tz1,tz2"),
                is_interconn: true,
                encap_tos: Some("inherit".into()),
                encap_df_default: None,
                set_local_ip: false,
                ipsec: None,
            }
        );
        let hv9 = LocalChassis::from_ovs_config("hv9", &external_ids, &BTreeMap::new());
        assert_eq!(hv9.encap_ips, ["192.0.2.9"]);
        assert_eq!(hv9.encap_tos, None, "tos=none is no tos");
        assert_eq!(hv9.chassis_idx, "");
    }

    #[test]
    fn smap_bool_like_ovs() {
        let m: BTreeMap<String, String> = [("a", "TRUE"), ("b", "yes"), ("c", "False")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert!(smap_bool(&m, "a", false));
        assert!(!smap_bool(&m, "b", false));
        assert!(smap_bool(&m, "b", true));
        assert!(!smap_bool(&m, "c", true));
        assert!(!smap_bool(&m, "missing", false));
        assert!(smap_bool(&m, "missing", true));
    }
}
