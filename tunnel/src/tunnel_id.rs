//! The `external_ids:ovn-chassis-id` value of a tunnel Port: `<chassis name>@<remote encap ip>`
//! (encaps.c `encaps_tunnel_id_create`). A chassis may have several encap IPs, hence the IP part.
//! OVN 23.03 has no `%<local ip>` suffix (that arrived later, with per-local-IP tunnels).

use std::fmt;

/// The Port `external_ids` key that marks a port as an OVN tunnel owned by the agent.
pub const OVN_CHASSIS_ID: &str = "ovn-chassis-id";

const DELIM: char = '@';

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TunnelId {
    pub chassis: String,
    pub ip: String,
}

impl TunnelId {
    pub fn new(chassis: impl Into<String>, ip: impl Into<String>) -> Self {
        TunnelId {
            chassis: chassis.into(),
            ip: ip.into(),
        }
    }

    /// Parses `<chassis>@<ip>`; `None` when either part is empty or there is no delimiter, as
    /// upstream's `encaps_tunnel_id_parse`. Splits at the last `@` (an IP never contains one, a
    /// chassis name might), where upstream splits at the first.
    pub fn parse(s: &str) -> Option<TunnelId> {
        let (chassis, ip) = s.rsplit_once(DELIM)?;
        if chassis.is_empty() || ip.is_empty() {
            return None;
        }
        Some(TunnelId::new(chassis, ip))
    }
}

impl fmt::Display for TunnelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{DELIM}{}", self.chassis, self.ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_parse() {
        let id = TunnelId::new("hv2", "172.16.0.2");
        assert_eq!(id.to_string(), "hv2@172.16.0.2");
        assert_eq!(TunnelId::parse("hv2@172.16.0.2"), Some(id));
        assert_eq!(
            TunnelId::parse("a@b@fd00::1"),
            Some(TunnelId::new("a@b", "fd00::1"))
        );
        for bad in ["", "hv2", "@1.2.3.4", "hv2@", "@"] {
            assert_eq!(TunnelId::parse(bad), None, "{bad:?}");
        }
    }
}
