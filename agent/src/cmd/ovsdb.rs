//! `ovn-agent ovsdb`: an `ovsdb-client`-like debugging tool over our own OVSDB stack (the
//! `ovsdb` crate): list databases, print schemas, dump tables, monitor changes as the agent's
//! replica sees them, and pass transactions through.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use ovsdb::io::{Client, ClientConfig, call};
use ovsdb::{MonitorRequest, Replica, Row, TableSchema, Uuid};
use serde_json::{Value, json};

/// Arguments of `ovn-agent ovsdb`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Command,
    /// Server to talk to: `unix:PATH` or `tcp:HOST:PORT`, or a comma-separated list.
    #[arg(
        long,
        global = true,
        default_value = "unix:/var/run/openvswitch/db.sock"
    )]
    db: String,
    /// Give up after this many seconds (0: never).
    #[arg(long, global = true, default_value_t = 30)]
    timeout: u64,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print the names of the databases the server holds.
    ListDbs,
    /// Print a database's schema (JSON).
    GetSchema { database: String },
    /// Print every row of DATABASE (or of TABLE only), one `column=value` line per row.
    Dump {
        database: String,
        table: Option<String>,
    },
    /// Keep printing the changes to TABLE (all columns, or COLUMNS) as the replica applies them.
    Monitor {
        database: String,
        table: String,
        columns: Vec<String>,
    },
    /// Send a transaction (`["DB", {op}, ...]`) and print the reply's result.
    Transact { transaction: String },
}

/// Runs `ovn-agent ovsdb`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match run_inner(args) {
        // `ovn-agent ovsdb dump ... | head` is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn run_inner(args: Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let limit = (args.timeout > 0).then(|| Duration::from_secs(args.timeout));
    rt.block_on(async move {
        match args.cmd {
            Command::ListDbs => {
                let v = with_timeout(limit, call(&args.db, "list_dbs", json!([]))).await??;
                let mut out = std::io::stdout().lock();
                for name in v.as_array().context("list_dbs result is not an array")? {
                    writeln!(out, "{}", name.as_str().unwrap_or_default())?;
                }
            }
            Command::GetSchema { database } => {
                let v =
                    with_timeout(limit, call(&args.db, "get_schema", json!([database]))).await??;
                writeln!(
                    std::io::stdout().lock(),
                    "{}",
                    serde_json::to_string_pretty(&v)?
                )?;
            }
            Command::Transact { transaction } => {
                let params: Value =
                    serde_json::from_str(&transaction).context("transaction is not JSON")?;
                if !params.is_array() {
                    bail!("a transaction is a JSON array: [\"DB\", {{\"op\": ...}}, ...]");
                }
                let v = with_timeout(limit, call(&args.db, "transact", params)).await??;
                writeln!(std::io::stdout().lock(), "{v}")?;
            }
            Command::Dump { database, table } => {
                if let Some(t) = &table {
                    check_table(&args.db, &database, t, limit).await?;
                }
                let mut cfg = ClientConfig::new(&args.db, &database);
                if let Some(t) = &table {
                    cfg.tables = vec![MonitorRequest::table(t)];
                }
                let client = Client::start(cfg)?;
                with_timeout(limit, client.wait_synced())
                    .await
                    .context("waiting for the database contents")?;
                let guard = client.lock();
                let replica = guard.as_ref().context("no replica")?;
                dump(replica, table.as_deref())?;
            }
            Command::Monitor {
                database,
                table,
                columns,
            } => {
                let mut req = MonitorRequest::table(&table);
                if !columns.is_empty() {
                    req = req.columns(columns.iter().map(String::as_str));
                }
                let mut cfg = ClientConfig::new(&args.db, &database);
                cfg.tables = vec![req];
                let client = Client::start(cfg)?;
                let mut changes = client.subscribe();
                loop {
                    print_changes(&client, &table, &columns)?;
                    if changes.changed().await.is_err() {
                        bail!("connection task ended");
                    }
                }
            }
        }
        Ok(())
    })
}

/// Fails clearly (rather than retrying forever) when the table does not exist.
async fn check_table(
    remote: &str,
    db: &str,
    table: &str,
    limit: Option<Duration>,
) -> anyhow::Result<()> {
    let v = with_timeout(limit, call(remote, "get_schema", json!([db]))).await??;
    let schema = ovsdb::DatabaseSchema::from_json(&v)?;
    if schema.table(table).is_none() {
        bail!("no table {table} in database {db}");
    }
    Ok(())
}

async fn with_timeout<F: std::future::Future>(
    limit: Option<Duration>,
    f: F,
) -> anyhow::Result<F::Output> {
    match limit {
        Some(d) => tokio::time::timeout(d, f)
            .await
            .with_context(|| format!("timed out after {d:?}")),
        None => Ok(f.await),
    }
}

fn row_line(t: &TableSchema, uuid: Uuid, row: &Row, only: &[String]) -> String {
    if only.is_empty() {
        return format!("_uuid={uuid} {}", row.display(t));
    }
    let cols: Vec<String> = only
        .iter()
        .filter_map(|c| t.column_index(c).map(|i| format!("{c}={}", row.get(i))))
        .collect();
    format!("_uuid={uuid} {}", cols.join(" "))
}

fn dump(r: &Replica, only: Option<&str>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for t in r.tables() {
        if only.is_some_and(|o| o != t.name()) {
            continue;
        }
        writeln!(out, "{} table ({} rows)", t.name(), t.len())?;
        let mut rows: Vec<_> = t.iter().collect();
        rows.sort_by_key(|(u, _)| **u);
        for (u, row) in rows {
            writeln!(out, "{}", row_line(t.schema(), *u, row, &[]))?;
        }
    }
    if let Some(o) = only
        && r.table(o).is_none()
    {
        bail!("no table {o} in {}", r.schema().name);
    }
    Ok(())
}

fn print_changes(client: &Client, table: &str, only: &[String]) -> anyhow::Result<()> {
    let mut guard = client.lock();
    let Some(r) = guard.as_mut() else {
        return Ok(());
    };
    let cs = r.drain_changes();
    let t = r
        .table(table)
        .with_context(|| format!("no table {table} in {}", r.schema().name))?;
    let Some(ch) = cs.table(table) else {
        return Ok(());
    };
    let ts = t.schema();
    let mut out = std::io::stdout().lock();
    for u in &ch.inserted {
        if let Some(row) = t.get(u) {
            writeln!(out, "insert {}", row_line(ts, *u, row, only))?;
        }
    }
    for (u, old) in &ch.modified {
        let Some(new) = t.get(u) else { continue };
        let diffs: Vec<String> = new
            .changed_columns(old)
            .filter_map(|c| {
                ts.columns
                    .get(c)
                    .map(|cs| format!("{}: {} -> {}", cs.name, old.get(c), new.get(c)))
            })
            .collect();
        writeln!(out, "modify _uuid={u} {}", diffs.join(", "))?;
    }
    for (u, old) in &ch.deleted {
        writeln!(out, "delete {}", row_line(ts, *u, old, only))?;
    }
    out.flush()?;
    Ok(())
}
