//! Which tunnels the local chassis should have (encaps.c `encaps_run` / `chassis_tunnel_add` /
//! `tunnel_add`), before looking at OVS.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::chassis::{Encap, LocalChassis, RemoteChassis};
use crate::encap::{EncapType, preferred_encap};
use crate::tunnel_id::TunnelId;

/// One tunnel port that should exist on the integration bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTunnel {
    pub id: TunnelId,
    pub encap_type: EncapType,
    /// The complete `Interface.options` the port must have.
    pub options: BTreeMap<String, String>,
}

/// A remote chassis, or one of its encaps, that gets no tunnel, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub chassis: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("shares no transport zone with the local chassis")]
    OtherTransportZone,
    #[error(
        "is remote (other_config:is-remote) and the local chassis is not an interconnection gateway"
    )]
    RemoteNeedsInterconn,
    #[error("has no encapsulation type in common with the local chassis")]
    NoCommonEncap,
    #[error("encap ip {ip:?} is not an IP address")]
    InvalidEncapIp { ip: String },
    #[error("has a second {encap_type} encap with ip {ip}; the first one is used")]
    DuplicateEncap { encap_type: EncapType, ip: String },
    #[error("has an empty name")]
    EmptyName,
    #[error("appears in more than one Chassis row; the first one is used")]
    DuplicateChassis,
    #[error("no free tunnel port name")]
    NoFreeName,
}

/// The tunnels to create, ordered by remote chassis name then by the remote's encap order, plus
/// the chassis and encaps that get none. Rules, as in OVN 23.03:
/// - the local chassis itself is skipped;
/// - transport zones must overlap, except that two chassis with no zones at all do get a tunnel;
/// - an `is-remote` chassis (another AZ's gateway) only gets a tunnel from an `is-interconn`
///   local chassis;
/// - the encap type is the best one both sides have (Geneve > STT > VXLAN), and there is one
///   tunnel per remote encap IP of that type.
pub fn desired_tunnels(
    local: &LocalChassis,
    remotes: &[RemoteChassis],
) -> (Vec<DesiredTunnel>, Vec<Skipped>) {
    let mut sorted: Vec<&RemoteChassis> = remotes.iter().collect();
    // Stable: with duplicate names the first row in input order wins.
    sorted.sort_by(|a, b| a.name.cmp(&b.name));

    let mut tunnels = Vec::new();
    let mut skipped = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut skip = |chassis: &str, reason| {
        skipped.push(Skipped {
            chassis: chassis.to_owned(),
            reason,
        });
    };

    for remote in sorted {
        if remote.name == local.name {
            continue;
        }
        if remote.name.is_empty() {
            skip(&remote.name, SkipReason::EmptyName);
            continue;
        }
        if !seen.insert(&remote.name) {
            skip(&remote.name, SkipReason::DuplicateChassis);
            continue;
        }
        if !transport_zones_overlap(&local.transport_zones, &remote.transport_zones) {
            skip(&remote.name, SkipReason::OtherTransportZone);
            continue;
        }
        if remote.is_remote && !local.is_interconn {
            skip(&remote.name, SkipReason::RemoteNeedsInterconn);
            continue;
        }
        let Some(best) = preferred_encap(&local.encap_types, remote.encap_types()) else {
            skip(&remote.name, SkipReason::NoCommonEncap);
            continue;
        };
        let mut ips: BTreeSet<&str> = BTreeSet::new();
        for encap in remote.encaps.iter().filter(|e| e.kind() == Some(best)) {
            if encap.ip.parse::<IpAddr>().is_err() {
                skip(
                    &remote.name,
                    SkipReason::InvalidEncapIp {
                        ip: encap.ip.clone(),
                    },
                );
                continue;
            }
            if !ips.insert(&encap.ip) {
                skip(
                    &remote.name,
                    SkipReason::DuplicateEncap {
                        encap_type: best,
                        ip: encap.ip.clone(),
                    },
                );
                continue;
            }
            tunnels.push(DesiredTunnel {
                id: TunnelId::new(&remote.name, &encap.ip),
                encap_type: best,
                options: tunnel_options(local, &remote.name, encap),
            });
        }
    }
    (tunnels, skipped)
}

/// encaps.c `chassis_tzones_overlap`: a common zone, or neither side in any zone.
pub fn transport_zones_overlap(local: &BTreeSet<String>, remote: &BTreeSet<String>) -> bool {
    (local.is_empty() && remote.is_empty()) || !local.is_disjoint(remote)
}

/// The `Interface.options` of the tunnel towards `encap` of chassis `remote_name`.
pub fn tunnel_options(
    local: &LocalChassis,
    remote_name: &str,
    encap: &Encap,
) -> BTreeMap<String, String> {
    let mut o = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        o.insert(k.to_owned(), v.to_owned());
    };
    put("remote_ip", &encap.ip);
    put("key", "flow");
    if let Some(csum) = encap.options.get("csum")
        && (csum == "true" || csum == "false")
    {
        put("csum", csum);
    }
    if let Some(dst_port) = encap.options.get("dst_port") {
        put("dst_port", dst_port);
    }
    if let Some(tos) = &local.encap_tos
        && tos != "none"
    {
        put("tos", tos);
    }
    if let Some(df) = &local.encap_df_default {
        put("df_default", df);
    }
    if let Some(ipsec) = local.ipsec {
        put("remote_name", remote_name);
        if ipsec.encapsulation {
            put("ipsec_encapsulation", "yes");
        }
        if ipsec.forceencaps {
            put("ipsec_forceencaps", "yes");
        }
    }
    if (local.set_local_ip || local.ipsec.is_some())
        && let Some(ip) = local.encap_ips.first()
    {
        put("local_ip", ip);
    }
    o
}
