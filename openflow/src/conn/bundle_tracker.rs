//! Maps the xids of BUNDLE_ADD messages back to (bundle, index) so an error from vswitchd names
//! the offending message. Consecutive xids are stored as runs, so a 1M-message bundle costs a
//! few bytes, not a hash entry per message.

use crate::msg::Xid;

#[derive(Debug)]
struct Run {
    first_xid: Xid,
    first_index: u32,
    count: u32,
}

#[derive(Debug)]
struct OpenBundle {
    id: u32,
    runs: Vec<Run>,
    next_index: u32,
}

/// The bundles that have been opened and not yet committed or discarded.
#[derive(Debug, Default)]
pub(crate) struct BundleTracker {
    open: Vec<OpenBundle>,
}

impl BundleTracker {
    pub(crate) fn open(&mut self, id: u32) {
        self.close(id);
        self.open.push(OpenBundle {
            id,
            runs: Vec::new(),
            next_index: 0,
        });
    }

    /// Records that the next message of bundle `id` was sent with `xid`; returns its index.
    pub(crate) fn add(&mut self, id: u32, xid: Xid) -> u32 {
        let b = match self.open.iter_mut().find(|b| b.id == id) {
            Some(b) => b,
            None => {
                // Adding to a bundle we did not open: still track it so errors map.
                self.open.push(OpenBundle {
                    id,
                    runs: Vec::new(),
                    next_index: 0,
                });
                self.open.last_mut().expect("just pushed")
            }
        };
        let index = b.next_index;
        b.next_index += 1;
        match b.runs.last_mut() {
            Some(r)
                if r.first_xid.wrapping_add(r.count) == xid && r.first_index + r.count == index =>
            {
                r.count += 1;
            }
            _ => b.runs.push(Run {
                first_xid: xid,
                first_index: index,
                count: 1,
            }),
        }
        index
    }

    /// Number of messages added to bundle `id` so far.
    pub(crate) fn len(&self, id: u32) -> u32 {
        self.open
            .iter()
            .find(|b| b.id == id)
            .map_or(0, |b| b.next_index)
    }

    pub(crate) fn lookup(&self, xid: Xid) -> Option<(u32, u32)> {
        for b in &self.open {
            // Runs are in xid order unless the counter wrapped; a linear fallback keeps this
            // correct then, and the binary search keeps the common case cheap.
            let i = b.runs.partition_point(|r| r.first_xid <= xid);
            if let Some(r) = i.checked_sub(1).and_then(|i| b.runs.get(i))
                && xid.wrapping_sub(r.first_xid) < r.count
            {
                return Some((b.id, r.first_index + xid.wrapping_sub(r.first_xid)));
            }
            for r in &b.runs {
                if xid.wrapping_sub(r.first_xid) < r.count {
                    return Some((b.id, r.first_index + xid.wrapping_sub(r.first_xid)));
                }
            }
        }
        None
    }

    pub(crate) fn close(&mut self, id: u32) {
        self.open.retain(|b| b.id != id);
    }

    pub(crate) fn clear(&mut self) {
        self.open.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_xids_to_indexes_across_interleaved_messages() {
        let mut t = BundleTracker::default();
        t.open(7);
        assert_eq!(t.add(7, 100), 0);
        assert_eq!(t.add(7, 101), 1);
        // xid 102 went to a barrier, not the bundle.
        assert_eq!(t.add(7, 103), 2);
        assert_eq!(t.lookup(100), Some((7, 0)));
        assert_eq!(t.lookup(101), Some((7, 1)));
        assert_eq!(t.lookup(102), None);
        assert_eq!(t.lookup(103), Some((7, 2)));
        assert_eq!(t.len(7), 3);
        t.close(7);
        assert_eq!(t.lookup(100), None);
    }

    #[test]
    fn survives_xid_wraparound() {
        let mut t = BundleTracker::default();
        t.open(1);
        t.add(1, u32::MAX - 1);
        t.add(1, u32::MAX);
        t.add(1, 0);
        assert_eq!(t.lookup(0), Some((1, 2)));
        assert_eq!(t.lookup(u32::MAX), Some((1, 1)));
    }
}
