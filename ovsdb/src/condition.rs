//! RFC 7047 §5.1 `<condition>` and `<mutation>`: the `where` clauses of transact operations and of
//! conditional monitoring (`monitor_cond`), and the mutations of the `mutate` operation.

use std::fmt;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::datum::Datum;
use crate::json::datum_to_json;

/// `<function>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `>=`.
    Ge,
    /// `>`.
    Gt,
    /// `includes`.
    Includes,
    /// `excludes`.
    Excludes,
}

impl Function {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Lt => "<",
            Function::Le => "<=",
            Function::Eq => "==",
            Function::Ne => "!=",
            Function::Ge => ">=",
            Function::Gt => ">",
            Function::Includes => "includes",
            Function::Excludes => "excludes",
        }
    }
}

/// One clause: `[column, function, value]`, or the constants `true`/`false` (monitor_cond only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Clause {
    /// Matches every row.
    True,
    /// Matches no row.
    False,
    /// `[column, function, value]`.
    Compare {
        /// Column name (`_uuid` allowed).
        column: Arc<str>,
        /// The comparison.
        function: Function,
        /// The value compared with.
        value: Datum,
    },
}

impl Clause {
    /// `[column, function, value]`.
    pub fn new(column: &str, function: Function, value: impl Into<Datum>) -> Clause {
        Clause::Compare {
            column: Arc::from(column),
            function,
            value: value.into(),
        }
    }

    /// `[column, "==", value]`.
    pub fn eq(column: &str, value: impl Into<Datum>) -> Clause {
        Clause::new(column, Function::Eq, value)
    }

    /// `[column, "includes", value]`.
    pub fn includes(column: &str, value: impl Into<Datum>) -> Clause {
        Clause::new(column, Function::Includes, value)
    }

    /// JSON form.
    pub fn to_json(&self) -> Value {
        match self {
            Clause::True => Value::Bool(true),
            Clause::False => Value::Bool(false),
            Clause::Compare {
                column,
                function,
                value,
            } => json!([&**column, function.as_str(), datum_to_json(value)]),
        }
    }
}

/// A conjunction of clauses. In `where` of operations, the empty condition matches every row. For
/// monitor_cond, OVS treats a table's clauses as a *disjunction* (any clause matching selects the
/// row; `[true]` selects everything, `[false]` nothing), which is what [`Condition`] means there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Condition(pub Vec<Clause>);

impl Condition {
    /// Matches every row (`[true]`).
    pub fn all() -> Condition {
        Condition(vec![Clause::True])
    }

    /// Matches no row (`[false]`).
    pub fn none() -> Condition {
        Condition(vec![Clause::False])
    }

    /// From clauses.
    pub fn new(clauses: impl IntoIterator<Item = Clause>) -> Condition {
        Condition(clauses.into_iter().collect())
    }

    /// JSON form.
    pub fn to_json(&self) -> Value {
        Value::Array(self.0.iter().map(Clause::to_json).collect())
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// `<mutator>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutator {
    /// `+=`.
    Add,
    /// `-=`.
    Sub,
    /// `*=`.
    Mul,
    /// `/=`.
    Div,
    /// `%=`.
    Mod,
    /// `insert` (sets and maps).
    Insert,
    /// `delete` (sets and maps; a set of keys deletes map entries by key).
    Delete,
}

impl Mutator {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutator::Add => "+=",
            Mutator::Sub => "-=",
            Mutator::Mul => "*=",
            Mutator::Div => "/=",
            Mutator::Mod => "%=",
            Mutator::Insert => "insert",
            Mutator::Delete => "delete",
        }
    }
}

/// `[column, mutator, value]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mutation {
    /// Column name.
    pub column: Arc<str>,
    /// The mutator.
    pub mutator: Mutator,
    /// The argument.
    pub value: Datum,
}

impl Mutation {
    /// `[column, mutator, value]`.
    pub fn new(column: &str, mutator: Mutator, value: impl Into<Datum>) -> Mutation {
        Mutation {
            column: Arc::from(column),
            mutator,
            value: value.into(),
        }
    }

    /// JSON form.
    pub fn to_json(&self) -> Value {
        json!([
            &*self.column,
            self.mutator.as_str(),
            datum_to_json(&self.value)
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Uuid;

    #[test]
    fn json_forms() {
        let c = Condition::new([
            Clause::eq("name", "hv1"),
            Clause::includes("datapaths", Uuid::from_u128(1)),
        ]);
        assert_eq!(
            c.to_json(),
            json!([
                ["name", "==", "hv1"],
                [
                    "datapaths",
                    "includes",
                    ["uuid", "00000000-0000-0000-0000-000000000001"]
                ]
            ])
        );
        assert_eq!(Condition::all().to_json(), json!([true]));
        let m = Mutation::new("external_ids", Mutator::Insert, Datum::map([("k", "v")]));
        assert_eq!(
            m.to_json(),
            json!(["external_ids", "insert", ["map", [["k", "v"]]]])
        );
    }
}
