//! OVN's address strings: `Logical_Switch_Port.addresses`, copied by northd into SB
//! `Port_Binding.mac` ("MAC [IP[/PLEN]]..."), and a logical router port's "MAC NET/PLEN..." (its
//! Port_Binding's `mac`). A switch port whose addresses are `dynamic` keeps the literal word in the SB;
//! the assigned addresses are then in NB `dynamic_addresses`, in the same syntax.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::mac::Mac;

/// One entry of an addresses column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LspAddresses {
    /// `MAC IP[/PLEN]...`.
    Static {
        mac: Mac,
        ips: Vec<(IpAddr, Option<u8>)>,
    },
    /// `dynamic` (or `MAC dynamic`): OVN's IPAM assigns; read `dynamic_addresses`.
    Dynamic,
    /// `router`: a switch port of type router, addresses taken from its router port.
    Router,
    /// `unknown`.
    Unknown,
}

/// Parses one entry, naming the bad token on failure.
pub fn parse_addresses(entry: &str) -> Result<LspAddresses, String> {
    let mut tokens = entry.split_whitespace();
    let Some(first) = tokens.next() else {
        return Err("empty address entry".into());
    };
    match first {
        "dynamic" => return Ok(LspAddresses::Dynamic),
        "router" => return Ok(LspAddresses::Router),
        "unknown" => return Ok(LspAddresses::Unknown),
        _ => {}
    }
    let mac: Mac = first.parse()?;
    let mut ips = Vec::new();
    for t in tokens {
        if t == "dynamic" {
            return Ok(LspAddresses::Dynamic);
        }
        let (ip, plen) = match t.split_once('/') {
            Some((ip, plen)) => {
                let plen: u8 = plen
                    .parse()
                    .map_err(|_| format!("{t:?}: bad prefix length"))?;
                (ip, Some(plen))
            }
            None => (t, None),
        };
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("{t:?} is not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if plen.is_some_and(|p| p > max) {
            return Err(format!("{t:?}: prefix length over {max}"));
        }
        ips.push((ip, plen));
    }
    Ok(LspAddresses::Static { mac, ips })
}

/// A router port's networks ("MAC 10.0.0.1/24 fd00::1/64"), as CIDRs with host bits kept.
pub fn parse_router_networks(entry: &str) -> Result<(Mac, Vec<IpNetwork>), String> {
    match parse_addresses(entry)? {
        LspAddresses::Static { mac, ips } => {
            let nets = ips
                .into_iter()
                .map(|(ip, plen)| {
                    let plen =
                        plen.ok_or_else(|| format!("router network {ip} has no prefix length"))?;
                    IpNetwork::new(ip, plen).map_err(|e| e.to_string())
                })
                .collect::<Result<_, String>>()?;
            Ok((mac, nets))
        }
        _ => Err(format!("{entry:?} is not a router port's MAC and networks")),
    }
}

/// Combines a port's addresses with its switch's router networks: each pod IP takes the prefix length
/// of the router network that contains it (or its own, if given), and that network's router address is
/// the gateway for the family.
pub fn resolve(
    ips: &[(IpAddr, Option<u8>)],
    router: &[IpNetwork],
) -> Result<(Vec<IpNetwork>, Vec<IpAddr>), String> {
    let mut out = Vec::new();
    let mut gateways: Vec<IpAddr> = Vec::new();
    for &(ip, plen) in ips {
        let net = router.iter().find(|n| n.contains(ip) && n.ip() != ip);
        let plen = match (plen, net) {
            (Some(p), _) => p,
            (None, Some(n)) => n.prefix(),
            (None, None) if ip.is_ipv4() => 32,
            (None, None) => 128,
        };
        out.push(IpNetwork::new(ip, plen).map_err(|e| e.to_string())?);
        if let Some(n) = net
            && !gateways.iter().any(|g| g.is_ipv4() == ip.is_ipv4())
        {
            gateways.push(n.ip());
        }
    }
    Ok((out, gateways))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_ovn_address_forms() {
        let a = parse_addresses("0a:58:0a:f4:00:05 10.244.0.5 fd00::5").unwrap();
        let LspAddresses::Static { mac, ips } = a else {
            panic!()
        };
        assert_eq!(mac.to_string(), "0a:58:0a:f4:00:05");
        assert_eq!(
            ips,
            vec![
                ("10.244.0.5".parse().unwrap(), None),
                ("fd00::5".parse().unwrap(), None)
            ]
        );
        assert_eq!(parse_addresses("dynamic").unwrap(), LspAddresses::Dynamic);
        assert_eq!(
            parse_addresses("0a:00:00:00:00:01 dynamic").unwrap(),
            LspAddresses::Dynamic
        );
        assert_eq!(parse_addresses("router").unwrap(), LspAddresses::Router);
        assert_eq!(parse_addresses("unknown").unwrap(), LspAddresses::Unknown);
        assert!(parse_addresses("").is_err());
        assert!(
            parse_addresses("0a:00:00:00:00:01 10.0.0.300")
                .unwrap_err()
                .contains("10.0.0.300")
        );
        assert!(parse_addresses("0a:00:00:00:00:01 10.0.0.3/33").is_err());
        assert!(parse_addresses("zz 10.0.0.3").is_err());
    }

    #[test]
    fn resolves_prefix_and_gateway_from_the_router_port() {
        let (_, router) =
            parse_router_networks("00:00:00:00:ff:01 10.244.0.1/24 fd00::1/64").unwrap();
        let LspAddresses::Static { ips, .. } =
            parse_addresses("0a:58:0a:f4:00:05 10.244.0.5 fd00::5").unwrap()
        else {
            panic!()
        };
        let (nets, gws) = resolve(&ips, &router).unwrap();
        assert_eq!(
            nets,
            vec![
                "10.244.0.5/24".parse::<IpNetwork>().unwrap(),
                "fd00::5/64".parse().unwrap()
            ]
        );
        assert_eq!(
            gws,
            vec![
                "10.244.0.1".parse::<IpAddr>().unwrap(),
                "fd00::1".parse().unwrap()
            ]
        );
        // No router: host routes, no gateway.
        let (nets, gws) = resolve(&ips, &[]).unwrap();
        assert_eq!(nets[0].prefix(), 32);
        assert!(gws.is_empty());
        assert!(parse_router_networks("00:00:00:00:ff:01 10.0.0.1").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_entries_never_panic(s in "[0-9a-f:./ dynamicrouteunknow]{0,40}") {
            let _ = parse_addresses(&s);
            let _ = parse_router_networks(&s);
        }
    }
}
