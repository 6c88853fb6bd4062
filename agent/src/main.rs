//! ovn-agent: the node datapath agent that replaces ovn-controller, and its debugging CLI.
//!
//! `ovn-agent [OPTIONS] [OVS-DATABASE]` runs the daemon with ovn-controller's command line (so a
//! symlink named `ovn-controller` is a drop-in); a first word naming a debugging subcommand
//! (`ofctl`, `lflow`, `ovsdb`) runs that tool instead, each in its own module under `cmd/`.

mod cmd;

use agent::daemon_args;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ovn-agent",
    version,
    about = "OVN node datapath agent (drop-in for ovn-controller)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// ovs-ofctl for the bridge ovn-agent programs (OpenFlow 1.5).
    Ofctl(cmd::ofctl::Args),
    /// Debug OVN's logical-flow language (lexer, expressions, actions), as upstream's test driver.
    Lflow(cmd::lflow::Args),
    /// Debug an OVSDB server: dump, monitor.
    Ovsdb(cmd::ovsdb::Args),
}

/// First words that select a debugging subcommand rather than the daemon.
const SUBCOMMANDS: [&str; 3] = ["ofctl", "lflow", "ovsdb"];

fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    let program = argv
        .first()
        .and_then(|p| std::path::Path::new(p).file_name())
        .map_or_else(
            || "ovn-agent".to_owned(),
            |p| p.to_string_lossy().into_owned(),
        );
    if argv
        .get(1)
        .is_some_and(|w| SUBCOMMANDS.contains(&w.as_str()))
    {
        return match Cli::parse().cmd {
            Cmd::Ofctl(args) => cmd::ofctl::run(args),
            Cmd::Lflow(args) => cmd::lflow::run(args),
            Cmd::Ovsdb(args) => cmd::ovsdb::run(args),
        };
    }
    let dirs = daemon_args::Dirs::from_env(|k| std::env::var(k).ok());
    let args = daemon_args::DaemonArgs::parse(argv.into_iter().skip(1), dirs)
        .map_err(|e| anyhow::anyhow!("{program}: {e} (use --help for usage)"))?;
    if args.help {
        print!("{}", daemon_args::DaemonArgs::usage(&program));
        return Ok(());
    }
    if args.version {
        println!("{program} (ovn-agent) {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    run_daemon(&program, args)
}

/// Sets up logging, the pidfile and (with `--detach`) the background process, then runs the
/// daemon on a tokio runtime.
fn run_daemon(program: &str, args: daemon_args::DaemonArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use tracing_subscriber::prelude::*;

    let console = !args.verbose.iter().any(|v| v == "console:off");
    let filter = tracing_subscriber::EnvFilter::try_from_env("OVN_AGENT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let file_layer = match &args.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("{program}: cannot open log file {}", path.display()))?;
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(std::sync::Mutex::new(file)),
            )
        }
        None => None,
    };
    let console_layer =
        console.then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(console_layer)
        .init();

    if args.detach {
        // Fork before any thread exists: the runtime is built afterwards.
        nix::unistd::daemon(true, !console).context("cannot detach")?;
    }
    // Kept open for the life of the process: OVS tools (ovs-appctl -t) trust a pidfile only
    // while its writer holds a POSIX write lock on it.
    let _pidfile_lock = match &args.pidfile {
        Some(pidfile) => Some(write_pidfile(program, pidfile, args.overwrite_pidfile)?),
        None => None,
    };
    let pidfile = args.pidfile.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let result = rt.block_on(agent::daemon::run(args));
    if let Some(p) = pidfile {
        let _ = std::fs::remove_file(p);
    }
    result.map_err(|e| anyhow::anyhow!("{program}: {e}"))
}

/// Writes and locks the pidfile as OVS daemons do (`fcntl(F_SETLK)` write lock on the whole
/// file), refusing to start when another live process holds it.
fn write_pidfile(
    program: &str,
    path: &std::path::Path,
    overwrite: bool,
) -> anyhow::Result<std::fs::File> {
    use anyhow::Context as _;
    use nix::fcntl::{FcntlArg, fcntl};
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("{program}: cannot open pidfile {}", path.display()))?;
    let lock = nix::libc::flock {
        l_type: nix::libc::F_WRLCK as i16,
        l_whence: nix::libc::SEEK_SET as i16,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    if fcntl(&file, FcntlArg::F_SETLK(&lock)).is_err() && !overwrite {
        anyhow::bail!(
            "{program}: pidfile {} is locked by another running process",
            path.display()
        );
    }
    file.set_len(0)?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_word_is_a_clap_subcommand() {
        let cmd = Cli::command();
        for w in SUBCOMMANDS {
            assert!(cmd.find_subcommand(w).is_some(), "{w}");
        }
    }
}
