//! The one error type of the harness.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while starting, driving or querying the real daemons.
///
/// Messages always name the command line, binary or object involved so that a failing integration
/// test explains itself without a rerun.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// A required program is not installed.
    #[error(
        "binary `{binary}` not found (searched $PATH, /usr/sbin, /usr/bin, /sbin, /bin); \
         run the install step `scripts/install-deps.sh` (Debian package `{package}`)"
    )]
    BinaryMissing {
        /// Program name as invoked.
        binary: String,
        /// Debian package that ships it.
        package: &'static str,
    },
    /// A required data file (an OVSDB schema) is not installed.
    #[error("file `{}` not found; run the install step `scripts/install-deps.sh` (Debian package `{package}`)", path.display())]
    FileMissing {
        /// The missing file.
        path: PathBuf,
        /// Debian package that ships it.
        package: &'static str,
    },
    /// A command ran and exited unsuccessfully.
    #[error("`{cmdline}` failed ({status}): {stderr}")]
    CommandFailed {
        /// The full command line, shell-quoted.
        cmdline: String,
        /// Exit status as printed by std.
        status: String,
        /// Captured standard output.
        stdout: String,
        /// Captured standard error (or the tail of the daemon's output/log).
        stderr: String,
    },
    /// A command could not be started at all.
    #[error("could not spawn `{cmdline}`: {source}")]
    Spawn {
        /// The full command line.
        cmdline: String,
        /// Why exec failed.
        #[source]
        source: std::io::Error,
    },
    /// A command or a condition did not finish in time.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long we waited.
        waited: Duration,
    },
    /// A daemon exited while we were waiting for it to become ready.
    #[error("{name} exited early ({status}); output:\n{output_tail}")]
    DaemonDied {
        /// Daemon name.
        name: String,
        /// Exit status if known.
        status: String,
        /// Tail of its log/stdout/stderr.
        output_tail: String,
    },
    /// Namespaces and veths need root; tests must fail loudly instead of skipping.
    #[error("{what} needs root (network namespaces and veths); run the tests as root")]
    NotRoot {
        /// The object that needed root.
        what: String,
    },
    /// A caller-supplied name or address is unusable.
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        /// Which parameter.
        what: &'static str,
        /// The offending value.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A local filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl TestkitError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        TestkitError::Io {
            context: context.into(),
            source,
        }
    }
}
