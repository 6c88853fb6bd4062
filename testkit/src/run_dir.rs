//! Unique run ids and private run directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::TestkitError;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A short id unique across parallel tests and processes: pid + per-process counter + a time
/// component (guards against a recycled pid meeting leftovers of a crashed earlier run).
/// Short because it prefixes netns names and unix socket paths (108-byte limit).
pub fn unique_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() % 0x1_0000)
        .unwrap_or(0);
    format!("tk{:x}x{n:x}x{t:04x}", std::process::id())
}

/// A directory removed (recursively) on drop.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates `<tmp>/<id>`. `$TMPDIR` is used unless it is so long that unix socket paths
    /// inside would overflow, in which case `/tmp` is used.
    pub fn new_temp(id: &str) -> Result<Self, TestkitError> {
        Self::create(crate::stale::runs_base().join(id))
    }

    /// Creates `path` (which must not exist yet).
    pub fn create(path: PathBuf) -> Result<Self, TestkitError> {
        std::fs::create_dir(&path)
            .map_err(|e| TestkitError::io(format!("create run dir {}", path.display()), e))?;
        Ok(RunDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_dirs_are_removed() {
        let a = unique_id();
        let b = unique_id();
        assert_ne!(a, b);
        let dir = RunDir::new_temp(&a).unwrap();
        let p = dir.path().to_owned();
        std::fs::write(p.join("f"), b"x").unwrap();
        drop(dir);
        assert!(!p.exists());
    }
}
