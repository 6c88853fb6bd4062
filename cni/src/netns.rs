//! Network namespaces. `setns` changes only the calling thread, so every entry into a foreign
//! namespace happens on a fresh OS thread made for that one operation, which exits afterwards: no
//! thread that has been in a pod's namespace ever goes back to a pool (tokio workers, `spawn_blocking`).
//! This module is the only place that calls `setns`.

use std::fs::File;
use std::io;
use std::marker::PhantomData;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sched::{CloneFlags, setns};

/// Failures of namespace handling.
#[derive(Debug, thiserror::Error)]
pub enum NetNsError {
    #[error("network namespace {path} does not exist")]
    NotFound { path: PathBuf },
    #[error("cannot open network namespace {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a network namespace")]
    NotANetNs { path: PathBuf },
    #[error("cannot enter network namespace {path}")]
    Enter {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },
    #[error("cannot start a namespace thread")]
    Spawn(#[source] io::Error),
    #[error("the namespace thread panicked")]
    Panicked,
}

/// An open network namespace (a `/var/run/netns/<name>` bind mount or a `/proc/<pid>/ns/net` path).
/// Holding the file keeps the namespace alive even if its mount goes away.
#[derive(Debug)]
pub struct NetNs {
    file: File,
    path: PathBuf,
    id: (u64, u64),
}

impl NetNs {
    pub fn open(path: impl AsRef<Path>) -> Result<NetNs, NetNsError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                NetNsError::NotFound { path: path.clone() }
            } else {
                NetNsError::Open {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let meta = file.metadata().map_err(|source| NetNsError::Open {
            path: path.clone(),
            source,
        })?;
        // nsfs inodes live on the nsfs device; a plain file has a different dev and `setns` would fail
        // later with EINVAL. Compare with our own netns's device to reject it early.
        let own = std::fs::metadata("/proc/self/ns/net").map_err(|source| NetNsError::Open {
            path: "/proc/self/ns/net".into(),
            source,
        })?;
        if meta.dev() != own.dev() {
            return Err(NetNsError::NotANetNs { path });
        }
        Ok(NetNs {
            file,
            id: (meta.dev(), meta.ino()),
            path,
        })
    }

    /// The network namespace of this process (the agent's "host" side).
    pub fn current() -> Result<NetNs, NetNsError> {
        NetNs::open("/proc/self/ns/net")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// Whether both handles name the same namespace.
    pub fn same_as(&self, other: &NetNs) -> bool {
        self.id == other.id
    }

    /// Runs `f` inside this namespace on a dedicated thread and returns its value.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> Result<R, NetNsError> {
        on_dedicated_thread(|t| {
            t.enter(self)?;
            Ok(f())
        })?
    }
}

/// The thread made by [`on_dedicated_thread`]; it may enter namespaces. Not `Send`: it must not leave
/// its thread.
#[derive(Debug)]
pub struct NsThread {
    _not_send: PhantomData<*mut ()>,
}

impl NsThread {
    /// Moves this thread into `ns`. Sockets opened afterwards (netlink) belong to `ns`; sockets opened
    /// before keep their namespace, which is how one thread talks to two namespaces.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that may call setns"
    )]
    pub fn enter(&mut self, ns: &NetNs) -> Result<(), NetNsError> {
        setns(&ns.file, CloneFlags::CLONE_NEWNET).map_err(|source| NetNsError::Enter {
            path: ns.path.clone(),
            source,
        })
    }
}

/// Runs `f` on a new OS thread that exits when `f` returns, whatever namespaces it entered. Blocks the
/// caller until then; async callers use [`on_dedicated_thread_async`].
pub fn on_dedicated_thread<R: Send>(
    f: impl FnOnce(&mut NsThread) -> R + Send,
) -> Result<R, NetNsError> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("cni-netns".into())
            .spawn_scoped(s, || {
                f(&mut NsThread {
                    _not_send: PhantomData,
                })
            })
            .map_err(NetNsError::Spawn)?;
        handle.join().map_err(|_| NetNsError::Panicked)
    })
}

/// Like [`on_dedicated_thread`], without blocking the async runtime's worker.
pub async fn on_dedicated_thread_async<R: Send + 'static>(
    f: impl FnOnce(&mut NsThread) -> R + Send + 'static,
) -> Result<R, NetNsError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("cni-netns".into())
        .spawn(move || {
            let r = f(&mut NsThread {
                _not_send: PhantomData,
            });
            let _ = tx.send(r);
        })
        .map_err(NetNsError::Spawn)?;
    rx.await.map_err(|_| NetNsError::Panicked)
}
