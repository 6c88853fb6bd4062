//! RFC 7047 §5.2 transact operations and their results.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::condition::{Condition, Mutation};
use crate::datum::Datum;
use crate::json::{datum_to_json, short};
use crate::uuid::Uuid;

/// A row as sent in `insert`/`update`: column names and values.
pub type RowValues = Vec<(Arc<str>, Datum)>;

/// One operation of a `transact` request.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// §5.2.1 insert.
    Insert {
        /// Table.
        table: Arc<str>,
        /// Column values (others take defaults).
        row: RowValues,
        /// `uuid-name`, to refer to the row as `["named-uuid", name]` later in the transaction.
        uuid_name: Option<Arc<str>>,
    },
    /// §5.2.2 select.
    Select {
        /// Table.
        table: Arc<str>,
        /// Rows to select.
        condition: Condition,
        /// Columns to return (all if `None`).
        columns: Option<Vec<Arc<str>>>,
    },
    /// §5.2.3 update.
    Update {
        /// Table.
        table: Arc<str>,
        /// Rows to update.
        condition: Condition,
        /// New values.
        row: RowValues,
    },
    /// §5.2.4 mutate.
    Mutate {
        /// Table.
        table: Arc<str>,
        /// Rows to mutate.
        condition: Condition,
        /// Mutations.
        mutations: Vec<Mutation>,
    },
    /// §5.2.5 delete.
    Delete {
        /// Table.
        table: Arc<str>,
        /// Rows to delete.
        condition: Condition,
    },
    /// §5.2.6 wait.
    Wait {
        /// Table.
        table: Arc<str>,
        /// Rows examined.
        condition: Condition,
        /// Columns compared.
        columns: Vec<Arc<str>>,
        /// `true` for `"=="`, `false` for `"!="`.
        until_equal: bool,
        /// Expected rows (column values).
        rows: Vec<RowValues>,
        /// Milliseconds; `Some(0)` fails at once when unsatisfied.
        timeout_ms: Option<u64>,
    },
    /// §5.2.7 commit.
    Commit {
        /// Wait for the commit to be durable.
        durable: bool,
    },
    /// §5.2.8 abort.
    Abort,
    /// §5.2.9 comment (logged by the server).
    Comment(String),
    /// §5.2.10 assert: fails unless the session owns the lock.
    Assert {
        /// The lock name.
        lock: String,
    },
}

impl Operation {
    /// `insert` of `row` into `table`.
    pub fn insert(table: &str, row: impl IntoIterator<Item = (&'static str, Datum)>) -> Operation {
        Operation::Insert {
            table: Arc::from(table),
            row: row_values(row),
            uuid_name: None,
        }
    }

    /// Sets the `uuid-name` of an insert.
    #[must_use]
    pub fn with_uuid_name(mut self, name: &str) -> Operation {
        if let Operation::Insert { uuid_name, .. } = &mut self {
            *uuid_name = Some(Arc::from(name));
        }
        self
    }

    /// `update` of the rows matching `condition`.
    pub fn update(
        table: &str,
        condition: Condition,
        row: impl IntoIterator<Item = (&'static str, Datum)>,
    ) -> Operation {
        Operation::Update {
            table: Arc::from(table),
            condition,
            row: row_values(row),
        }
    }

    /// `mutate` of the rows matching `condition`.
    pub fn mutate(table: &str, condition: Condition, mutations: Vec<Mutation>) -> Operation {
        Operation::Mutate {
            table: Arc::from(table),
            condition,
            mutations,
        }
    }

    /// `delete` of the rows matching `condition`.
    pub fn delete(table: &str, condition: Condition) -> Operation {
        Operation::Delete {
            table: Arc::from(table),
            condition,
        }
    }

    /// `select` of all columns of the rows matching `condition`.
    pub fn select(table: &str, condition: Condition) -> Operation {
        Operation::Select {
            table: Arc::from(table),
            condition,
            columns: None,
        }
    }

    /// The table the operation acts on, if any.
    pub fn table(&self) -> Option<&str> {
        match self {
            Operation::Insert { table, .. }
            | Operation::Select { table, .. }
            | Operation::Update { table, .. }
            | Operation::Mutate { table, .. }
            | Operation::Delete { table, .. }
            | Operation::Wait { table, .. } => Some(table),
            _ => None,
        }
    }

    /// The operation's name on the wire.
    pub fn op_name(&self) -> &'static str {
        match self {
            Operation::Insert { .. } => "insert",
            Operation::Select { .. } => "select",
            Operation::Update { .. } => "update",
            Operation::Mutate { .. } => "mutate",
            Operation::Delete { .. } => "delete",
            Operation::Wait { .. } => "wait",
            Operation::Commit { .. } => "commit",
            Operation::Abort => "abort",
            Operation::Comment(_) => "comment",
            Operation::Assert { .. } => "assert",
        }
    }

    /// JSON form.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("op".into(), json!(self.op_name()));
        if let Some(t) = self.table() {
            o.insert("table".into(), json!(t));
        }
        match self {
            Operation::Insert { row, uuid_name, .. } => {
                o.insert("row".into(), row_json(row));
                if let Some(n) = uuid_name {
                    o.insert("uuid-name".into(), json!(&**n));
                }
            }
            Operation::Select {
                condition, columns, ..
            } => {
                o.insert("where".into(), condition.to_json());
                if let Some(c) = columns {
                    o.insert("columns".into(), c.iter().map(|c| json!(&**c)).collect());
                }
            }
            Operation::Update { condition, row, .. } => {
                o.insert("where".into(), condition.to_json());
                o.insert("row".into(), row_json(row));
            }
            Operation::Mutate {
                condition,
                mutations,
                ..
            } => {
                o.insert("where".into(), condition.to_json());
                o.insert(
                    "mutations".into(),
                    mutations.iter().map(Mutation::to_json).collect(),
                );
            }
            Operation::Delete { condition, .. } => {
                o.insert("where".into(), condition.to_json());
            }
            Operation::Wait {
                condition,
                columns,
                until_equal,
                rows,
                timeout_ms,
                ..
            } => {
                o.insert("where".into(), condition.to_json());
                o.insert(
                    "columns".into(),
                    columns.iter().map(|c| json!(&**c)).collect(),
                );
                o.insert(
                    "until".into(),
                    json!(if *until_equal { "==" } else { "!=" }),
                );
                o.insert("rows".into(), rows.iter().map(row_json).collect());
                if let Some(t) = timeout_ms {
                    o.insert("timeout".into(), json!(t));
                }
            }
            Operation::Commit { durable } => {
                o.insert("durable".into(), json!(durable));
            }
            Operation::Abort => {}
            Operation::Comment(c) => {
                o.insert("comment".into(), json!(c));
            }
            Operation::Assert { lock } => {
                o.insert("lock".into(), json!(lock));
            }
        }
        Value::Object(o)
    }
}

fn row_values(row: impl IntoIterator<Item = (&'static str, Datum)>) -> RowValues {
    row.into_iter().map(|(k, v)| (Arc::from(k), v)).collect()
}

fn row_json(row: &RowValues) -> Value {
    Value::Object(
        row.iter()
            .map(|(k, v)| (k.to_string(), datum_to_json(v)))
            .collect(),
    )
}

/// The `params` of a transact request.
pub fn transact_params(db: &str, ops: &[Operation]) -> Value {
    let mut v = Vec::with_capacity(ops.len() + 1);
    v.push(json!(db));
    v.extend(ops.iter().map(Operation::to_json));
    Value::Array(v)
}

/// An error result of one operation (RFC 7047 §3.1 `<error>`), or of the request as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}{}", details.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct ServerError {
    /// Short error name, e.g. `constraint violation`, `referential integrity violation`,
    /// `timed out`, `not owner`.
    pub error: String,
    /// Human-readable details.
    pub details: Option<String>,
}

impl ServerError {
    /// Parses `{"error": …, "details": …}` or a bare string.
    pub fn from_json(v: &Value) -> ServerError {
        match v {
            Value::String(s) => ServerError {
                error: s.clone(),
                details: None,
            },
            Value::Object(o) => ServerError {
                error: o
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error")
                    .to_string(),
                details: o.get("details").and_then(Value::as_str).map(str::to_string),
            },
            other => ServerError {
                error: short(other),
                details: None,
            },
        }
    }
}

/// The result of one operation.
#[derive(Debug, Clone, PartialEq)]
pub enum OperationResult {
    /// `insert`: the new row's UUID.
    Insert(Uuid),
    /// `select`: rows as JSON objects (decode them with [`crate::Replica`]'s schema if needed).
    Select(Vec<Map<String, Value>>),
    /// `update`, `mutate`, `delete`: number of rows matched.
    Count(u64),
    /// `wait`, `commit`, `abort`, `comment`, `assert` success.
    Empty,
    /// This operation failed.
    Error(ServerError),
    /// Not executed because an earlier one failed (`null` in the reply).
    NotExecuted,
}

impl OperationResult {
    /// Parses one element of the result array.
    pub fn from_json(v: &Value) -> OperationResult {
        let Some(o) = v.as_object() else {
            return OperationResult::NotExecuted;
        };
        if o.contains_key("error") {
            return OperationResult::Error(ServerError::from_json(v));
        }
        if let Some(u) = o.get("uuid").and_then(Value::as_array)
            && let (Some("uuid"), Some(Ok(u))) = (
                u.first().and_then(Value::as_str),
                u.get(1).and_then(Value::as_str).map(Uuid::parse),
            )
        {
            return OperationResult::Insert(u);
        }
        if let Some(rows) = o.get("rows").and_then(Value::as_array) {
            return OperationResult::Select(
                rows.iter().filter_map(|r| r.as_object().cloned()).collect(),
            );
        }
        if let Some(n) = o.get("count").and_then(Value::as_u64) {
            return OperationResult::Count(n);
        }
        OperationResult::Empty
    }

    /// The error, if this operation failed.
    pub fn error(&self) -> Option<&ServerError> {
        match self {
            OperationResult::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// A transaction failed: the first failing operation (its index and name) and its error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation {index} ({op}) failed: {error}")]
pub struct TransactError {
    /// Index of the failing operation, or `ops.len()` for an error after the last one (commit).
    pub index: usize,
    /// The operation's name, or "commit".
    pub op: &'static str,
    /// The server's error.
    pub error: ServerError,
}

/// Checks a transact reply: the first error result (if any) becomes a [`TransactError`].
pub fn check_results(ops: &[Operation], results: &[OperationResult]) -> Result<(), TransactError> {
    for (i, r) in results.iter().enumerate() {
        if let OperationResult::Error(e) = r {
            let op = ops.get(i).map_or("commit", Operation::op_name);
            return Err(TransactError {
                index: i,
                op,
                error: e.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{Clause, Mutator};

    #[test]
    fn encodes_ops() {
        let ops = [
            Operation::insert("Bridge", [("name", Datum::from("br-int"))]).with_uuid_name("br"),
            Operation::mutate(
                "Open_vSwitch",
                Condition::default(),
                vec![Mutation::new(
                    "bridges",
                    Mutator::Insert,
                    Datum::from(crate::Atom::named_uuid("br")),
                )],
            ),
            Operation::Wait {
                table: Arc::from("Bridge"),
                condition: Condition::new([Clause::eq("name", "br-int")]),
                columns: vec![Arc::from("name")],
                until_equal: true,
                rows: vec![vec![(Arc::from("name"), Datum::from("br-int"))]],
                timeout_ms: Some(0),
            },
            Operation::Comment("hi".into()),
        ];
        assert_eq!(
            transact_params("Open_vSwitch", &ops),
            json!(["Open_vSwitch",
                {"op": "insert", "table": "Bridge", "row": {"name": "br-int"}, "uuid-name": "br"},
                {"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["bridges", "insert", ["named-uuid", "br"]]]},
                {"op": "wait", "table": "Bridge", "where": [["name", "==", "br-int"]], "columns": ["name"], "until": "==", "rows": [{"name": "br-int"}], "timeout": 0},
                {"op": "comment", "comment": "hi"}])
        );
    }

    #[test]
    fn decodes_results() {
        let r = json!([{"uuid": ["uuid", "550e8400-e29b-41d4-a716-446655440000"]}, {"count": 2}, {},
                       {"error": "constraint violation", "details": "bad"}, null]);
        let rs: Vec<_> = r
            .as_array()
            .unwrap()
            .iter()
            .map(OperationResult::from_json)
            .collect();
        assert!(matches!(rs[0], OperationResult::Insert(_)));
        assert_eq!(rs[1], OperationResult::Count(2));
        assert_eq!(rs[2], OperationResult::Empty);
        assert_eq!(rs[4], OperationResult::NotExecuted);
        let ops = [
            Operation::Abort,
            Operation::Abort,
            Operation::Abort,
            Operation::Comment(String::new()),
        ];
        let e = check_results(&ops, &rs).unwrap_err();
        assert_eq!(
            e.to_string(),
            "operation 3 (comment) failed: constraint violation: bad"
        );
    }
}
