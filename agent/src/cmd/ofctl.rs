//! `ovn-agent ofctl`.

/// Arguments of `ovn-agent ofctl`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words of the subcommand.
    words: Vec<String>,
}

/// Runs `ovn-agent ofctl`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!("ovn-agent ofctl {:?}: not implemented yet", args.words)
}
