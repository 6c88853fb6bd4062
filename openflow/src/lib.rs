//! openflow: see Cargo.toml description; being built (issues 3-8).
