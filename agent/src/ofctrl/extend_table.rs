//! Group and meter ids, as upstream's `ovn_extend_table`: an id per distinct specification (the
//! group's buckets, the meter's bands), lowest free id from 1, reused while the specification is
//! wanted by anyone, freed when nobody wants it after the next install.
//!
//! Ids are desired by compiling flows, and become "existing" once the install that created them
//! is confirmed; `sync` returns what to add and delete, and the caller sends the group/meter mods.

use std::collections::{BTreeMap, BTreeSet};

/// Ids by specification, desired and existing.
#[derive(Debug, Default, Clone)]
pub struct ExtendTable<S: Ord + Clone> {
    desired: BTreeMap<S, u32>,
    existing: BTreeMap<S, u32>,
    used: BTreeSet<u32>,
}

/// What `sync` asks the caller to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendChanges<S> {
    /// Ids to create with their specification.
    pub add: Vec<(u32, S)>,
    /// Ids no longer wanted.
    pub delete: Vec<u32>,
}

impl<S: Ord + Clone> ExtendTable<S> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            desired: BTreeMap::new(),
            existing: BTreeMap::new(),
            used: BTreeSet::new(),
        }
    }

    /// The id of `spec`, allocating one if needed. `None` when all 2^32-1 ids are in use.
    pub fn assign(&mut self, spec: &S) -> Option<u32> {
        if let Some(id) = self
            .desired
            .get(spec)
            .or_else(|| self.existing.get(spec))
            .copied()
        {
            self.desired.insert(spec.clone(), id);
            return Some(id);
        }
        // The lowest free id: scan the used set for the first gap.
        let mut id = 1u32;
        for &u in &self.used {
            if u != id {
                break;
            }
            id = id.checked_add(1)?;
        }
        self.used.insert(id);
        self.desired.insert(spec.clone(), id);
        Some(id)
    }

    /// Starts a new computation round: nothing is desired until assigned again.
    pub fn clear_desired(&mut self) {
        self.desired.clear();
        self.used = self.existing.values().copied().collect();
    }

    /// What to add (desired, not existing) and delete (existing, not desired); the existing set
    /// becomes the desired one. Call after the install carrying these changes is sent.
    pub fn sync(&mut self) -> ExtendChanges<S> {
        let add = self
            .desired
            .iter()
            .filter(|(s, id)| self.existing.get(*s) != Some(id))
            .map(|(s, id)| (*id, s.clone()))
            .collect();
        let desired_ids: BTreeSet<u32> = self.desired.values().copied().collect();
        let delete = self
            .existing
            .values()
            .copied()
            .filter(|id| !desired_ids.contains(id))
            .collect();
        self.existing = self.desired.clone();
        self.used = desired_ids;
        ExtendChanges { add, delete }
    }

    /// Forgets what exists (the switch lost its groups/meters): the next sync re-adds them all.
    pub fn clear_existing(&mut self) {
        self.existing.clear();
    }

    /// Existing ids with their specification (for `group-table-list` / `meter-table-list`).
    pub fn existing(&self) -> impl Iterator<Item = (u32, &S)> {
        self.existing.iter().map(|(s, id)| (*id, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_lowest_free_and_freed_after_sync() {
        let mut t = ExtendTable::new();
        assert_eq!(t.assign(&"a"), Some(1));
        assert_eq!(t.assign(&"b"), Some(2));
        assert_eq!(t.assign(&"a"), Some(1));
        let ch = t.sync();
        assert_eq!(ch.add, vec![(1, "a"), (2, "b")]);
        assert!(ch.delete.is_empty());

        // Next round: only b is wanted, and c gets the lowest id not existing.
        t.clear_desired();
        assert_eq!(t.assign(&"b"), Some(2));
        assert_eq!(t.assign(&"c"), Some(3));
        let ch = t.sync();
        assert_eq!(ch.add, vec![(3, "c")]);
        assert_eq!(ch.delete, vec![1]);

        // Id 1 is free again.
        t.clear_desired();
        t.assign(&"b");
        t.assign(&"c");
        assert_eq!(t.assign(&"d"), Some(1));
    }

    #[test]
    fn switch_restart_re_adds_everything() {
        let mut t = ExtendTable::new();
        t.assign(&"a");
        t.sync();
        t.clear_existing();
        t.clear_desired();
        t.assign(&"a");
        assert_eq!(t.sync().add, vec![(1, "a")]);
    }
}
