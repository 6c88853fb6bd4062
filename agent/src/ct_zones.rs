//! Conntrack zone allocation, as ovn-controller 23.03 does it (`update_ct_zones`).
//!
//! Every local logical port gets a zone, and every local datapath two NAT zones named
//! `<datapath-uuid>_dnat` / `<datapath-uuid>_snat`; a datapath's `external_ids:snat-ct-zone`
//! requests a specific SNAT zone and evicts whoever had it by auto-assignment. Zone 0 is never
//! assigned. Assignments persist in the integration bridge's `external_ids:ct-zone-<user>` so
//! that a restart keeps them (flows already installed keep working, and conntrack entries stay
//! valid). This module is pure: it computes the new table, the bridge external_ids to write, and
//! the zones to flush; the caller does the I/O.

use std::collections::{BTreeMap, BTreeSet};

/// Largest zone number (zones are 16-bit; 0 is reserved).
pub const MAX_CT_ZONE: u16 = u16::MAX;

/// Prefix of the bridge `external_ids` keys that persist assignments.
pub const EXTERNAL_ID_PREFIX: &str = "ct-zone-";

/// The zone key of a datapath's NAT zone (`<uuid>_dnat` / `<uuid>_snat`).
pub fn nat_zone_key(datapath_uuid: &str, kind: NatKind) -> String {
    match kind {
        NatKind::Dnat => format!("{datapath_uuid}_dnat"),
        NatKind::Snat => format!("{datapath_uuid}_snat"),
    }
}

/// Which NAT zone of a datapath.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatKind {
    /// The DNAT zone (reg11).
    Dnat,
    /// The SNAT zone (reg12).
    Snat,
}

/// What an update changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ZoneChanges {
    /// Bridge `external_ids` keys to set (`ct-zone-<user>` → zone).
    pub set: BTreeMap<String, String>,
    /// Bridge `external_ids` keys to delete.
    pub remove: BTreeSet<String>,
    /// Zones newly assigned to a user: their conntrack entries must be flushed before use.
    pub flush: BTreeSet<u16>,
    /// Users that could not get a zone because all are taken (logged by the caller).
    pub exhausted: Vec<String>,
}

/// The zone table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CtZones {
    by_user: BTreeMap<String, u16>,
    used: BTreeSet<u16>,
}

impl CtZones {
    /// Restores the table from the bridge's `external_ids` (`ct-zone-<user>=<n>`); malformed or
    /// out-of-range values are ignored (and then rewritten by the next update).
    pub fn restore<'a>(external_ids: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        let mut z = Self::default();
        for (k, v) in external_ids {
            let Some(user) = k.strip_prefix(EXTERNAL_ID_PREFIX) else {
                continue;
            };
            let Ok(zone) = v.parse::<u16>() else { continue };
            if zone == 0 || z.used.contains(&zone) {
                continue;
            }
            z.by_user.insert(user.to_owned(), zone);
            z.used.insert(zone);
        }
        z
    }

    /// The zone of a user (logical port name or NAT zone key).
    pub fn get(&self, user: &str) -> Option<u16> {
        self.by_user.get(user).copied()
    }

    /// All assignments, by user.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u16)> {
        self.by_user.iter().map(|(u, z)| (u.as_str(), *z))
    }

    /// Brings the table to `users` (every user that needs a zone) and `requested` (users with an
    /// explicitly requested zone, i.e. `snat-ct-zone`), and says what changed.
    pub fn update(
        &mut self,
        users: &BTreeSet<String>,
        requested: &BTreeMap<String, u16>,
    ) -> ZoneChanges {
        let mut ch = ZoneChanges::default();
        let key = |u: &str| format!("{EXTERNAL_ID_PREFIX}{u}");

        // Users that are gone give their zone back.
        let gone: Vec<String> = self
            .by_user
            .keys()
            .filter(|u| !users.contains(*u))
            .cloned()
            .collect();
        for u in gone {
            if let Some(z) = self.by_user.remove(&u) {
                self.used.remove(&z);
            }
            ch.remove.insert(key(&u));
        }

        // Requested zones win over auto-assigned ones.
        for (u, &z) in requested
            .iter()
            .filter(|(u, z)| users.contains(*u) && **z != 0)
        {
            if self.by_user.get(u) == Some(&z) {
                continue;
            }
            let holders: Vec<String> = self
                .by_user
                .iter()
                .filter(|(h, hz)| **hz == z && *h != u && !requested.contains_key(*h))
                .map(|(h, _)| h.clone())
                .collect();
            for h in holders {
                self.by_user.remove(&h);
                ch.set.remove(&key(&h));
            }
            if let Some(old) = self.by_user.insert(u.clone(), z)
                && !self.by_user.values().any(|v| *v == old)
            {
                self.used.remove(&old);
            }
            self.used.insert(z);
            ch.set.insert(key(u), z.to_string());
            ch.flush.insert(z);
        }

        // Everyone else gets the lowest free zone.
        let mut scan = 1u16;
        for u in users {
            if self.by_user.contains_key(u) {
                continue;
            }
            let free = (scan..=MAX_CT_ZONE).find(|z| !self.used.contains(z));
            match free {
                Some(z) => {
                    self.by_user.insert(u.clone(), z);
                    self.used.insert(z);
                    ch.set.insert(key(u), z.to_string());
                    ch.flush.insert(z);
                    scan = z.saturating_add(1);
                }
                None => ch.exhausted.push(u.clone()),
            }
        }
        ch
    }

    /// The `external_ids` keys and values the bridge should carry for the current table, to
    /// compare against what it has (e.g. after someone edited it by hand).
    pub fn desired_external_ids(&self) -> BTreeMap<String, String> {
        self.by_user
            .iter()
            .map(|(u, z)| (format!("{EXTERNAL_ID_PREFIX}{u}"), z.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn assigns_lowest_free_zones_and_persists_them() {
        let mut z = CtZones::default();
        let ch = z.update(&set(&["p1", "p2"]), &BTreeMap::new());
        assert_eq!(z.get("p1"), Some(1));
        assert_eq!(z.get("p2"), Some(2));
        assert_eq!(ch.set.get("ct-zone-p1").map(String::as_str), Some("1"));
        assert_eq!(ch.flush, [1, 2].into_iter().collect());
        // A second run with the same users changes nothing.
        assert_eq!(
            z.update(&set(&["p1", "p2"]), &BTreeMap::new()),
            ZoneChanges::default()
        );
    }

    #[test]
    fn restore_keeps_assignments_across_restarts_and_frees_departed_users() {
        let ids: BTreeMap<String, String> = [
            ("ct-zone-p1", "5"),
            ("ct-zone-bad", "x"),
            ("ct-zone-zero", "0"),
            ("other", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut z = CtZones::restore(&ids);
        assert_eq!(z.get("p1"), Some(5));
        assert_eq!(z.get("bad"), None);
        let ch = z.update(&set(&["p2"]), &BTreeMap::new());
        assert_eq!(z.get("p2"), Some(1));
        assert!(ch.remove.contains("ct-zone-p1"));
        assert_eq!(z.get("p1"), None);
    }

    #[test]
    fn requested_snat_zone_evicts_an_auto_assigned_holder() {
        let mut z = CtZones::default();
        z.update(&set(&["a", "b"]), &BTreeMap::new());
        assert_eq!(z.get("a"), Some(1));
        let req: BTreeMap<String, u16> = [("dp_snat".to_owned(), 1)].into_iter().collect();
        let ch = z.update(&set(&["a", "b", "dp_snat"]), &req);
        assert_eq!(z.get("dp_snat"), Some(1));
        let a = z.get("a").unwrap();
        assert_ne!(a, 1);
        assert_ne!(a, z.get("b").unwrap());
        assert!(ch.flush.contains(&1) && ch.flush.contains(&a));
    }

    #[test]
    fn nat_zone_keys_match_upstream() {
        assert_eq!(nat_zone_key("0a1b", NatKind::Dnat), "0a1b_dnat");
        assert_eq!(nat_zone_key("0a1b", NatKind::Snat), "0a1b_snat");
    }
}
