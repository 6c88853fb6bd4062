//! Annotating OpenFlow flows with the Southbound rows they came from, for
//! `ovn-agent ofctl dump-flows --annotate`.
//!
//! ovn-controller (and this agent) set a flow's cookie to the first 32 bits of the uuid of the
//! row that produced it: a Logical_Flow for tables 8–36 and 42–63, a Port_Binding or
//! Multicast_Group for the physical tables. Cookie 0 is a hard-coded flow. Collisions of 32-bit
//! prefixes are possible; every candidate is listed.

use std::collections::HashMap;

use ovsdb::Replica;
use ovsdb::views::ovn_sb::{DatapathBinding, LogicalFlow, MulticastGroup, PortBinding};

/// Descriptions of Southbound rows by cookie.
#[derive(Debug, Default)]
pub struct Annotator {
    by_cookie: HashMap<u32, Vec<String>>,
}

/// The 32 bits of a row's uuid that its flows carry as cookie.
fn prefix(u: ovsdb::Uuid) -> u32 {
    // The cookie is the uuid's top 32 bits, so it always fits.
    u32::try_from(crate::physical::cookie_of(u.as_u128())).unwrap_or(u32::MAX)
}

impl Annotator {
    /// Indexes the rows of a Southbound replica.
    pub fn from_replica(sb: &Replica) -> Self {
        let mut a = Self::default();
        let dp_name: HashMap<ovsdb::Uuid, String> = sb
            .typed::<DatapathBinding>()
            .map(|t| {
                t.iter()
                    .map(|d| {
                        let ext = d.external_ids();
                        let name = ext.get("name").unwrap_or("").to_owned();
                        (d.uuid(), format!("{name} (key {})", d.tunnel_key()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let dp = |u: Option<ovsdb::Uuid>| {
            u.and_then(|u| dp_name.get(&u).cloned())
                .unwrap_or_else(|| "?".into())
        };
        if let Some(t) = sb.typed::<LogicalFlow>() {
            for lf in t.iter() {
                let ext = lf.external_ids();
                let stage = ext.get("stage-name").unwrap_or("");
                let where_ = match lf.logical_datapath() {
                    Some(u) => dp(Some(u)),
                    None => "datapath group".to_owned(),
                };
                a.by_cookie
                    .entry(prefix(lf.uuid()))
                    .or_default()
                    .push(format!(
                        "lflow {}: {} {} table={} ({stage}) priority={} match=({}) actions=({})",
                        lf.uuid(),
                        where_,
                        lf.pipeline(),
                        lf.table_id(),
                        lf.priority(),
                        lf.match_(),
                        lf.actions()
                    ));
            }
        }
        if let Some(t) = sb.typed::<PortBinding>() {
            for pb in t.iter() {
                let ty = if pb.ty().is_empty() { "vif" } else { pb.ty() };
                a.by_cookie
                    .entry(prefix(pb.uuid()))
                    .or_default()
                    .push(format!(
                        "port_binding {}: {} ({ty}) tunnel_key={} on {}",
                        pb.uuid(),
                        pb.logical_port(),
                        pb.tunnel_key(),
                        dp(Some(pb.datapath()))
                    ));
            }
        }
        if let Some(t) = sb.typed::<MulticastGroup>() {
            for mc in t.iter() {
                a.by_cookie
                    .entry(prefix(mc.uuid()))
                    .or_default()
                    .push(format!(
                        "multicast_group {}: {} tunnel_key={} on {}",
                        mc.uuid(),
                        mc.name(),
                        mc.tunnel_key(),
                        dp(Some(mc.datapath()))
                    ));
            }
        }
        a
    }

    /// The descriptions for one `dump-flows` line (nothing for lines without a cookie, which
    /// are hard-coded flows or headers).
    pub fn annotate(&self, line: &str) -> &[String] {
        let Some(rest) = line.trim_start().strip_prefix("cookie=0x") else {
            return &[];
        };
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        let Ok(cookie) = u64::from_str_radix(&hex, 16) else {
            return &[];
        };
        u32::try_from(cookie)
            .ok()
            .and_then(|c| self.by_cookie.get(&c))
            .map_or(&[], Vec::as_slice)
    }

    /// Annotates a whole dump: each flow line followed by its rows, indented.
    pub fn annotate_dump(&self, dump: &str) -> String {
        let mut out = String::with_capacity(dump.len() * 2);
        for line in dump.lines() {
            out.push_str(line);
            out.push('\n');
            for a in self.annotate(line) {
                out.push_str("    # ");
                out.push_str(a);
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_without_known_cookies_get_nothing() {
        let mut a = Annotator::default();
        a.by_cookie
            .insert(0xc73e6199, vec!["port_binding x".into()]);
        assert_eq!(
            a.annotate(" cookie=0xc73e6199, table=65, priority=100 actions=output:2"),
            ["port_binding x"]
        );
        assert!(a.annotate(" table=65, priority=0 actions=drop").is_empty());
        assert!(
            a.annotate(" cookie=0x1, table=65, priority=0 actions=drop")
                .is_empty()
        );
        let d = a
            .annotate_dump(" cookie=0xc73e6199, table=65 actions=drop\n priority=0 actions=drop\n");
        assert_eq!(d.lines().count(), 3);
    }
}
