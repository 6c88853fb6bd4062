//! `ExtendTable`: stable allocation of OpenFlow group and meter ids by their textual description
//! (upstream `struct ovn_extend_table`, lib/extend-table.c).
//!
//! The caller (ovn-controller's flow manager, or the test driver) owns one table for groups and
//! one for meters.  Encoding an action that needs a group asks [`IdTable::assign_id`] with the
//! group's description; identical descriptions share one id, a new description gets the lowest
//! free id (ids start at 1; 0 is invalid).  `existing` models what is installed in the switch, so
//! a description that is already installed keeps its id across recomputes.

use std::collections::{BTreeMap, HashMap, HashSet};

/// Highest usable id (upstream `MAX_EXT_TABLE_ID`).
pub const MAX_EXT_TABLE_ID: u32 = 65535;

/// What the action encoder needs from a group or meter table.
pub trait IdTable {
    /// The id for `name`, allocating one if needed; `lflow` records which logical flow uses it.
    /// `None` when the table is full.
    fn assign_id(&mut self, name: &str, lflow: u128) -> Option<u32>;
}

/// The standard implementation.
#[derive(Debug, Clone, Default)]
pub struct ExtendTable {
    used: HashSet<u32>,
    desired: HashMap<Box<str>, u32>,
    existing: HashMap<Box<str>, u32>,
    by_lflow: HashMap<u128, Vec<Box<str>>>,
}

impl ExtendTable {
    /// An empty table.
    pub fn new() -> Self {
        ExtendTable::default()
    }

    /// Desired entries, by id (what should be installed).
    pub fn desired(&self) -> BTreeMap<u32, &str> {
        self.desired.iter().map(|(n, &id)| (id, &**n)).collect()
    }

    /// The desired id of `name`, if any.
    pub fn desired_id(&self, name: &str) -> Option<u32> {
        self.desired.get(name).copied()
    }

    /// Forgets the references of logical flow `lflow`; entries no flow uses any more stop being
    /// desired (their ids stay reserved while installed).
    pub fn remove_lflow(&mut self, lflow: u128) {
        let Some(names) = self.by_lflow.remove(&lflow) else {
            return;
        };
        for name in names {
            let still_used = self.by_lflow.values().any(|v| v.contains(&name));
            if still_used {
                continue;
            }
            if let Some(id) = self.desired.remove(&name)
                && !self.existing.values().any(|&e| e == id)
            {
                self.used.remove(&id);
            }
        }
    }

    /// Records that the desired entries are now installed (upstream `ovn_extend_table_sync`):
    /// installed entries no longer desired are dropped and their ids freed.
    pub fn sync(&mut self) {
        let stale: Vec<u32> = self
            .existing
            .values()
            .copied()
            .filter(|id| !self.desired.values().any(|d| d == id))
            .collect();
        for id in stale {
            self.used.remove(&id);
        }
        self.existing = self.desired.clone();
    }

    fn lowest_free(&self) -> Option<u32> {
        (1..=MAX_EXT_TABLE_ID).find(|id| !self.used.contains(id))
    }
}

impl IdTable for ExtendTable {
    fn assign_id(&mut self, name: &str, lflow: u128) -> Option<u32> {
        let id = match self.desired.get(name) {
            Some(&id) => id,
            None => {
                let id = match self.existing.get(name) {
                    Some(&id) => id,
                    None => self.lowest_free()?,
                };
                self.used.insert(id);
                self.desired.insert(name.into(), id);
                id
            }
        };
        let refs = self.by_lflow.entry(lflow).or_default();
        if !refs.iter().any(|n| &**n == name) {
            refs.push(name.into());
        }
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowest_free_and_shared() {
        let mut t = ExtendTable::new();
        assert_eq!(t.assign_id("a", 1), Some(1));
        assert_eq!(t.assign_id("b", 1), Some(2));
        assert_eq!(t.assign_id("a", 2), Some(1));
        t.sync();
        t.remove_lflow(1);
        assert_eq!(t.desired_id("b"), None);
        // "b" is still installed, so its id is not reused until the next sync.
        assert_eq!(t.assign_id("c", 3), Some(3));
        assert_eq!(t.assign_id("b", 3), Some(2));
    }
}
