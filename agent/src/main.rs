//! ovn-agent: the node datapath agent that replaces ovn-controller, and its debugging CLI.
//!
//! `ovn-agent [OPTIONS] [OVS-DATABASE]` runs the daemon (issue 6); other first words are debugging
//! subcommands, each in its own module under `cmd/`.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "ovn-agent", version, about = "OVN node datapath agent (drop-in for ovn-controller)")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Some(Cmd::Ofctl(args)) => cmd::ofctl::run(args),
        Some(Cmd::Lflow(args)) => cmd::lflow::run(args),
        Some(Cmd::Ovsdb(args)) => cmd::ovsdb::run(args),
        None => anyhow::bail!("ovn-agent: the daemon is not implemented yet (see issue 6)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
