//! `ovn-agent ovsdb`.

/// Arguments of `ovn-agent ovsdb`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words of the subcommand.
    words: Vec<String>,
}

/// Runs `ovn-agent ovsdb`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!("ovn-agent ovsdb {:?}: not implemented yet", args.words)
}
