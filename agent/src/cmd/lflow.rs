//! `ovn-agent lflow`.

/// Arguments of `ovn-agent lflow`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words of the subcommand.
    words: Vec<String>,
}

/// Runs `ovn-agent lflow`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!("ovn-agent lflow {:?}: not implemented yet", args.words)
}
