//! The desired flow table and the mirror of what is installed, and the diff between them.
//!
//! Flows are identified as OpenFlow does for strict operations: (table, priority, match). Many
//! Southbound rows can produce the same flow (two logical flows compiling to one match), so each
//! flow keeps the list of its contributions, each tagged with the row it came from; removing a
//! row removes its contributions only. Conjunctive-match flows (`conjunction(id,k/n)` actions)
//! from different rows with the same match are merged into one OpenFlow flow whose actions are
//! the concatenation, as ovn-controller's `ofctrl_add_or_append_flow` does.
//!
//! Changes mark flows dirty; `diff` looks only at dirty flows (the incremental path), while
//! `diff_all` compares everything (after a reconnect, or as the fallback). The table is generic
//! over the match and action types so that it stays pure and testable with small types.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

/// Identity of the Southbound row (or internal source) a flow came from: a row UUID as 128 bits.
pub type SourceId = u128;

/// What identifies an OpenFlow flow for strict modify/delete.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey<M> {
    /// OpenFlow table.
    pub table: u8,
    /// Priority.
    pub priority: u16,
    /// The match.
    pub matches: M,
}

/// Actions that can be merged when several sources contribute conjunction clauses to one match.
pub trait MergeActions: Clone + Eq {
    /// The actions of one flow made of several conjunction-only contributions, in order.
    fn concat(parts: &[&Self]) -> Self;
}

/// One source's contribution to a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Contribution<A> {
    source: SourceId,
    cookie: u64,
    actions: A,
    /// Conjunction-only actions, mergeable with other conjunction contributions.
    conjunctive: bool,
}

/// The body of an installed or desired flow: what a modify changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBody<A> {
    /// The cookie.
    pub cookie: u64,
    /// The actions (instructions).
    pub actions: A,
}

/// One operation of a diff, in the order it must be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowOp<M, A> {
    /// A new flow (also used when only the cookie changed: an add replaces it).
    Add(Arc<FlowKey<M>>, FlowBody<A>),
    /// Same flow, new actions (modify-strict keeps the counters).
    Modify(Arc<FlowKey<M>>, FlowBody<A>),
    /// A flow no longer desired (delete-strict).
    Delete(Arc<FlowKey<M>>),
}

/// Desired flows, installed flows, and what changed since the last diff.
#[derive(Debug)]
pub struct FlowTable<M: Eq + Hash, A> {
    desired: HashMap<Arc<FlowKey<M>>, Vec<Contribution<A>>>,
    by_source: HashMap<SourceId, Vec<Arc<FlowKey<M>>>>,
    installed: HashMap<Arc<FlowKey<M>>, FlowBody<A>>,
    dirty: HashSet<Arc<FlowKey<M>>>,
}

impl<M: Eq + Hash, A> Default for FlowTable<M, A> {
    fn default() -> Self {
        Self {
            desired: HashMap::new(),
            by_source: HashMap::new(),
            installed: HashMap::new(),
            dirty: HashSet::new(),
        }
    }
}

impl<M: Clone + Eq + Hash, A: MergeActions> FlowTable<M, A> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of desired flows (distinct keys).
    pub fn desired_len(&self) -> usize {
        self.desired.len()
    }

    /// Number of flows believed installed.
    pub fn installed_len(&self) -> usize {
        self.installed.len()
    }

    /// Number of flows changed since the last diff.
    pub fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    fn intern(&self, key: FlowKey<M>) -> Arc<FlowKey<M>> {
        // Share one allocation between the desired table, the source index and the mirror.
        self.desired
            .get_key_value(&key)
            .map(|(k, _)| Arc::clone(k))
            .or_else(|| {
                self.installed
                    .get_key_value(&key)
                    .map(|(k, _)| Arc::clone(k))
            })
            .unwrap_or_else(|| Arc::new(key))
    }

    fn add_contribution(&mut self, source: SourceId, key: FlowKey<M>, c: Contribution<A>) {
        let key = self.intern(key);
        let list = self.desired.entry(Arc::clone(&key)).or_default();
        if list
            .iter()
            .any(|e| e.source == source && e.actions == c.actions && e.cookie == c.cookie)
        {
            return;
        }
        list.push(c);
        self.by_source
            .entry(source)
            .or_default()
            .push(Arc::clone(&key));
        self.dirty.insert(key);
    }

    /// Adds a flow from `source`. When several sources want the same key with different actions,
    /// the first one added wins (and the others take over when it is removed).
    pub fn add(&mut self, source: SourceId, key: FlowKey<M>, cookie: u64, actions: A) {
        self.add_contribution(
            source,
            key,
            Contribution {
                source,
                cookie,
                actions,
                conjunctive: false,
            },
        );
    }

    /// Adds a conjunction-only flow from `source`, merged with other conjunctive contributions of
    /// the same key.
    pub fn add_conjunctive(&mut self, source: SourceId, key: FlowKey<M>, cookie: u64, actions: A) {
        self.add_contribution(
            source,
            key,
            Contribution {
                source,
                cookie,
                actions,
                conjunctive: true,
            },
        );
    }

    /// Removes every flow contribution of `source` (a deleted or changed Southbound row).
    pub fn remove_source(&mut self, source: SourceId) {
        let Some(keys) = self.by_source.remove(&source) else {
            return;
        };
        for key in keys {
            if let Some(list) = self.desired.get_mut(&key) {
                list.retain(|c| c.source != source);
                if list.is_empty() {
                    self.desired.remove(&key);
                }
            }
            self.dirty.insert(key);
        }
    }

    /// Whether anything came from `source`.
    pub fn has_source(&self, source: SourceId) -> bool {
        self.by_source.contains_key(&source)
    }

    /// Forgets every desired flow (a full recompute follows).
    pub fn clear_desired(&mut self) {
        self.dirty.extend(self.desired.keys().cloned());
        self.desired.clear();
        self.by_source.clear();
    }

    /// Forgets what is installed (ovs-vswitchd restarted or the connection was reset, and the
    /// switch was cleared): the next diff re-adds everything.
    pub fn clear_installed(&mut self) {
        self.installed.clear();
        self.dirty.extend(self.desired.keys().cloned());
    }

    fn effective(list: &[Contribution<A>]) -> Option<FlowBody<A>> {
        let first = list.first()?;
        if let Some(c) = list.iter().find(|c| !c.conjunctive) {
            return Some(FlowBody {
                cookie: c.cookie,
                actions: c.actions.clone(),
            });
        }
        if list.len() == 1 {
            return Some(FlowBody {
                cookie: first.cookie,
                actions: first.actions.clone(),
            });
        }
        let parts: Vec<&A> = list.iter().map(|c| &c.actions).collect();
        Some(FlowBody {
            cookie: first.cookie,
            actions: A::concat(&parts),
        })
    }

    fn diff_key(&self, key: &Arc<FlowKey<M>>, ops: &mut Vec<FlowOp<M, A>>) {
        let want = self.desired.get(key).and_then(|l| Self::effective(l));
        match (want, self.installed.get(key)) {
            (None, None) => {}
            (None, Some(_)) => ops.push(FlowOp::Delete(Arc::clone(key))),
            (Some(w), None) => ops.push(FlowOp::Add(Arc::clone(key), w)),
            (Some(w), Some(have)) if w == *have => {}
            (Some(w), Some(have)) if w.cookie != have.cookie => {
                ops.push(FlowOp::Add(Arc::clone(key), w));
            }
            (Some(w), Some(_)) => ops.push(FlowOp::Modify(Arc::clone(key), w)),
        }
    }

    /// The operations that bring the switch from installed to desired, looking only at flows
    /// changed since the last diff. Deletions come first, so that a bundle never holds two flows
    /// that overlap only transiently.
    pub fn diff(&mut self) -> Vec<FlowOp<M, A>> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut ops = Vec::with_capacity(dirty.len());
        for key in &dirty {
            self.diff_key(key, &mut ops);
        }
        ops.sort_by_key(|op| !matches!(op, FlowOp::Delete(_)));
        ops
    }

    /// Like `diff`, but compares every desired and installed flow.
    pub fn diff_all(&mut self) -> Vec<FlowOp<M, A>> {
        self.dirty.clear();
        let mut keys: HashSet<Arc<FlowKey<M>>> = self.desired.keys().cloned().collect();
        keys.extend(self.installed.keys().cloned());
        let mut ops = Vec::new();
        for key in &keys {
            self.diff_key(key, &mut ops);
        }
        ops.sort_by_key(|op| !matches!(op, FlowOp::Delete(_)));
        ops
    }

    /// Records that `ops` were installed (after the bundle commit was confirmed).
    pub fn apply_installed(&mut self, ops: &[FlowOp<M, A>]) {
        for op in ops {
            match op {
                FlowOp::Add(k, b) | FlowOp::Modify(k, b) => {
                    self.installed.insert(Arc::clone(k), b.clone());
                }
                FlowOp::Delete(k) => {
                    self.installed.remove(k);
                }
            }
        }
    }

    /// Marks `ops` as still to do (the bundle failed): the next diff retries them.
    pub fn retry(&mut self, ops: &[FlowOp<M, A>]) {
        for op in ops {
            let (FlowOp::Add(k, _) | FlowOp::Modify(k, _) | FlowOp::Delete(k)) = op;
            self.dirty.insert(Arc::clone(k));
        }
    }

    /// The installed flows (for the debug tool and tests).
    pub fn installed(&self) -> impl Iterator<Item = (&FlowKey<M>, &FlowBody<A>)> {
        self.installed.iter().map(|(k, b)| (k.as_ref(), b))
    }

    /// The sources that contributed to a key (for annotating flows with their logical flow).
    pub fn sources_of(&self, key: &FlowKey<M>) -> Vec<SourceId> {
        self.desired
            .get(key)
            .map(|l| l.iter().map(|c| c.source).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Acts(Vec<&'static str>);

    impl MergeActions for Acts {
        fn concat(parts: &[&Self]) -> Self {
            Acts(parts.iter().flat_map(|p| p.0.iter().copied()).collect())
        }
    }

    fn key(m: &'static str) -> FlowKey<&'static str> {
        FlowKey {
            table: 8,
            priority: 100,
            matches: m,
        }
    }

    fn run(t: &mut FlowTable<&'static str, Acts>) -> Vec<String> {
        let ops = t.diff();
        t.apply_installed(&ops);
        let mut v: Vec<String> = ops
            .iter()
            .map(|op| match op {
                FlowOp::Add(k, b) => format!("add {} {:?} {:x}", k.matches, b.actions.0, b.cookie),
                FlowOp::Modify(k, b) => format!("mod {} {:?}", k.matches, b.actions.0),
                FlowOp::Delete(k) => format!("del {}", k.matches),
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn add_modify_delete_by_source() {
        let mut t = FlowTable::new();
        t.add(1, key("a"), 0x1, Acts(vec!["drop"]));
        t.add(2, key("b"), 0x2, Acts(vec!["next"]));
        assert_eq!(run(&mut t), ["add a [\"drop\"] 1", "add b [\"next\"] 2"]);
        assert!(run(&mut t).is_empty(), "nothing changed, nothing sent");

        // Row 2 changes its actions: remove + re-add gives a modify, not delete + add.
        t.remove_source(2);
        t.add(2, key("b"), 0x2, Acts(vec!["output"]));
        assert_eq!(run(&mut t), ["mod b [\"output\"]"]);

        // A new cookie needs an add (modify keeps the old cookie).
        t.remove_source(2);
        t.add(3, key("b"), 0x3, Acts(vec!["output"]));
        assert_eq!(run(&mut t), ["add b [\"output\"] 3"]);

        t.remove_source(1);
        assert_eq!(run(&mut t), ["del a"]);
        assert_eq!(t.installed_len(), 1);
    }

    #[test]
    fn duplicates_from_two_rows_survive_the_removal_of_one() {
        let mut t = FlowTable::new();
        t.add(1, key("a"), 0x1, Acts(vec!["x"]));
        t.add(2, key("a"), 0x2, Acts(vec!["y"]));
        assert_eq!(run(&mut t), ["add a [\"x\"] 1"]);
        t.remove_source(1);
        assert_eq!(run(&mut t), ["add a [\"y\"] 2"]);
        t.remove_source(2);
        assert_eq!(run(&mut t), ["del a"]);
    }

    #[test]
    fn conjunctive_contributions_merge_and_unmerge() {
        let mut t = FlowTable::new();
        t.add_conjunctive(1, key("c"), 0x1, Acts(vec!["conjunction(1,1/2)"]));
        t.add_conjunctive(2, key("c"), 0x2, Acts(vec!["conjunction(2,1/2)"]));
        assert_eq!(
            run(&mut t),
            ["add c [\"conjunction(1,1/2)\", \"conjunction(2,1/2)\"] 1"]
        );
        t.remove_source(1);
        assert_eq!(run(&mut t), ["add c [\"conjunction(2,1/2)\"] 2"]);
    }

    #[test]
    fn reconnect_reinstalls_everything_and_failed_bundles_are_retried() {
        let mut t = FlowTable::new();
        t.add(1, key("a"), 0x1, Acts(vec!["x"]));
        run(&mut t);
        t.clear_installed();
        assert_eq!(run(&mut t), ["add a [\"x\"] 1"]);

        t.add(2, key("b"), 0x2, Acts(vec!["y"]));
        let ops = t.diff();
        t.retry(&ops);
        assert_eq!(run(&mut t), ["add b [\"y\"] 2"]);
        assert!(t.diff_all().is_empty());
    }

    #[test]
    fn deletions_come_first() {
        let mut t = FlowTable::new();
        t.add(1, key("a"), 0x1, Acts(vec!["x"]));
        run(&mut t);
        t.remove_source(1);
        t.add(2, key("b"), 0x2, Acts(vec!["y"]));
        let ops = t.diff();
        assert!(matches!(ops[0], FlowOp::Delete(_)));
    }
}
