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
    anyhow::bail!("{program}: the daemon is not implemented yet (see issue 6); parsed {args:?}")
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
