//! Shared assertions for the integration tests.

use std::path::Path;

/// Asserts that nothing started for `root` survives: no process mentions it, no namespace with
/// the `id` prefix exists, and the directory is gone.
pub fn assert_torn_down(root: &Path, id: &str) {
    let root_s = root.to_string_lossy();
    let leftovers = testkit::pids_mentioning(&root_s);
    assert!(leftovers.is_empty(), "processes left behind: {leftovers:?}");
    let netns: Vec<String> = testkit::list_netns()
        .expect("ip netns list")
        .into_iter()
        .filter(|n| n.starts_with(&format!("{id}-")))
        .collect();
    assert!(netns.is_empty(), "namespaces left behind: {netns:?}");
    assert!(!root.exists(), "run dir left behind: {}", root.display());
}
