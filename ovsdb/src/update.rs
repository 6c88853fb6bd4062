//! Decoding of `<table-updates>` (RFC 7047 §4.1.6, `update`) and `<table-updates2>` (the OVS
//! extension used by `update2`/`update3` and the `monitor_cond*` replies).
//!
//! Decoding runs straight from the JSON text into [`TableUpdates`] with serde seeds driven by the
//! schema: no `serde_json::Value` tree is built for the (possibly huge) initial dump. Errors name
//! the method, table, row and column.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::datum::Datum;
use crate::json::DatumSeed;
use crate::schema::{DatabaseSchema, TableSchema};
use crate::uuid::Uuid;

/// Which table-updates format a message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateFormat {
    /// RFC 7047 `<table-updates>` (`{"old", "new"}`), from `monitor` / `update`.
    V1,
    /// `<table-updates2>` (`initial`/`insert`/`modify`/`delete`), from `monitor_cond*` /
    /// `update2` / `update3`.
    V2,
}

/// Column values by schema position.
pub type Columns = Vec<(usize, Datum)>;

/// What happened to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOp {
    /// Part of the initial contents (`initial`, or `new` without `old` in a monitor reply).
    Initial(Columns),
    /// A new row.
    Insert(Columns),
    /// `update2` `modify`: diffs to apply with [`Datum::apply_diff`] (scalar columns carry the new value).
    Modify(Columns),
    /// `update` (V1) modify: the new values of (at least) the changed columns.
    Replace(Columns),
    /// The row was deleted.
    Delete,
}

/// One row's update.
#[derive(Debug, Clone, PartialEq)]
pub struct RowUpdate {
    /// The row.
    pub uuid: Uuid,
    /// The change.
    pub op: RowOp,
}

/// The updates to one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableUpdate {
    /// Position of the table in the schema.
    pub table: usize,
    /// Row updates.
    pub rows: Vec<RowUpdate>,
}

/// A whole `<table-updates>` / `<table-updates2>` object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableUpdates {
    /// Per-table updates.
    pub tables: Vec<TableUpdate>,
}

impl TableUpdates {
    /// Total number of row updates.
    pub fn n_rows(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }
}

/// Server data that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UpdateError {
    /// The JSON-RPC method (or `"monitor_cond reply"` for replies).
    pub method: String,
    /// The table, when known.
    pub table: Option<String>,
    /// The row, when known.
    pub row: Option<Uuid>,
    /// The column, when known.
    pub column: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.method)?;
        if let Some(t) = &self.table {
            write!(f, ": table {t}")?;
        }
        if let Some(r) = &self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ": column {c}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

// Where the first error happened; filled only on the error path, innermost level first.
#[derive(Default)]
struct Ctx {
    interner: crate::json::Interner,
    table: RefCell<Option<String>>,
    row: RefCell<Option<Uuid>>,
    column: RefCell<Option<String>>,
}

impl Ctx {
    fn into_error(self, method: &str, reason: String) -> UpdateError {
        UpdateError {
            method: method.to_string(),
            table: self.table.into_inner(),
            row: self.row.into_inner(),
            column: self.column.into_inner(),
            reason,
        }
    }
}

/// Decodes a `<table-updates>`/`<table-updates2>` object from JSON text.
pub fn decode_table_updates(
    text: &str,
    schema: &DatabaseSchema,
    format: UpdateFormat,
    method: &str,
) -> Result<TableUpdates, UpdateError> {
    let ctx = Ctx::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let r = TableUpdatesSeed {
        schema,
        format,
        ctx: &ctx,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    r.map_err(|e| ctx.into_error(method, e.to_string()))
}

/// Decodes the `params` of an `update`/`update2` (`[monitor-id, updates]`) or `update3`
/// (`[monitor-id, last-txn-id, updates]`) notification. `schema_for` maps the monitor id (JSON
/// text) to the schema of its database; for an unknown monitor (e.g. one just cancelled, whose
/// updates were already in flight) the updates are skipped and `None` returned.
pub fn decode_update_params<'s>(
    text: &str,
    method: &str,
    schema_for: &dyn Fn(&serde_json::Value) -> Option<&'s DatabaseSchema>,
) -> Result<(serde_json::Value, Option<Uuid>, Option<TableUpdates>), UpdateError> {
    let (format, has_txn) = match method {
        "update" => (UpdateFormat::V1, false),
        "update2" => (UpdateFormat::V2, false),
        _ => (UpdateFormat::V2, true),
    };
    let ctx = Ctx::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let r = ParamsSeed {
        schema_for,
        format,
        has_txn,
        ctx: &ctx,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    r.map_err(|e| ctx.into_error(method, e.to_string()))
}

/// Decodes a `monitor_cond_since` reply: `[found, last-txn-id, table-updates2]`.
pub fn decode_since_reply(
    text: &str,
    schema: &DatabaseSchema,
) -> Result<(bool, Uuid, TableUpdates), UpdateError> {
    let ctx = Ctx::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let r = SinceSeed { schema, ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    r.map_err(|e| ctx.into_error("monitor_cond_since reply", e.to_string()))
}

// === seeds ===

struct ParamsSeed<'a, 's> {
    schema_for: &'a dyn Fn(&serde_json::Value) -> Option<&'s DatabaseSchema>,
    format: UpdateFormat,
    has_txn: bool,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for ParamsSeed<'_, '_> {
    type Value = (serde_json::Value, Option<Uuid>, Option<TableUpdates>);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ParamsSeed<'_, '_> {
    type Value = (serde_json::Value, Option<Uuid>, Option<TableUpdates>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.has_txn {
            "[monitor-id, last-txn-id, table-updates2]"
        } else {
            "[monitor-id, table-updates]"
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let id: serde_json::Value = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let txn = if self.has_txn {
            let s: String = seq
                .next_element()?
                .ok_or_else(|| de::Error::invalid_length(1, &self))?;
            Some(Uuid::parse(&s).map_err(de::Error::custom)?)
        } else {
            None
        };
        let ups = match (self.schema_for)(&id) {
            Some(schema) => Some(
                seq.next_element_seed(TableUpdatesSeed {
                    schema,
                    format: self.format,
                    ctx: self.ctx,
                })?
                .ok_or_else(|| de::Error::invalid_length(2, &self))?,
            ),
            None => {
                seq.next_element::<IgnoredAny>()?
                    .ok_or_else(|| de::Error::invalid_length(2, &self))?;
                None
            }
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("too many parameters"));
        }
        Ok((id, txn, ups))
    }
}

struct SinceSeed<'a> {
    schema: &'a DatabaseSchema,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for SinceSeed<'_> {
    type Value = (bool, Uuid, TableUpdates);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SinceSeed<'_> {
    type Value = (bool, Uuid, TableUpdates);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[found, last-txn-id, table-updates2]")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let found: bool = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let s: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let txn = Uuid::parse(&s).map_err(de::Error::custom)?;
        let ups = seq
            .next_element_seed(TableUpdatesSeed {
                schema: self.schema,
                format: UpdateFormat::V2,
                ctx: self.ctx,
            })?
            .ok_or_else(|| de::Error::invalid_length(2, &self))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("too many elements"));
        }
        Ok((found, txn, ups))
    }
}

struct TableUpdatesSeed<'a> {
    schema: &'a DatabaseSchema,
    format: UpdateFormat,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for TableUpdatesSeed<'_> {
    type Value = TableUpdates;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<TableUpdates, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableUpdatesSeed<'_> {
    type Value = TableUpdates;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of table updates")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TableUpdates, A::Error> {
        let mut out = TableUpdates::default();
        while let Some(name) = map.next_key::<String>()? {
            let fail = |e| {
                self.ctx
                    .table
                    .borrow_mut()
                    .get_or_insert_with(|| name.clone());
                e
            };
            let Some(idx) = self.schema.table_index(&name) else {
                return Err(fail(de::Error::custom("unknown table")));
            };
            let table = self
                .schema
                .tables
                .get(idx)
                .ok_or_else(|| fail(de::Error::custom("unknown table")))?;
            let rows = map
                .next_value_seed(RowsSeed {
                    table,
                    format: self.format,
                    ctx: self.ctx,
                })
                .map_err(fail)?;
            out.tables.push(TableUpdate { table: idx, rows });
        }
        Ok(out)
    }
}

struct RowsSeed<'a> {
    table: &'a TableSchema,
    format: UpdateFormat,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Vec<RowUpdate>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Vec<RowUpdate>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of row updates keyed by uuid")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(key) = map.next_key::<UuidKey>()? {
            let uuid = key.0;
            let fail = |e| {
                self.ctx.row.borrow_mut().get_or_insert(uuid);
                e
            };
            let op = match self.format {
                UpdateFormat::V1 => map.next_value_seed(RowUpdate1Seed {
                    table: self.table,
                    ctx: self.ctx,
                }),
                UpdateFormat::V2 => map.next_value_seed(RowUpdate2Seed {
                    table: self.table,
                    ctx: self.ctx,
                }),
            }
            .map_err(fail)?;
            out.push(RowUpdate { uuid, op });
        }
        Ok(out)
    }
}

struct UuidKey(Uuid);

impl<'de> de::Deserialize<'de> for UuidKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = UuidKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row uuid")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UuidKey, E> {
                Uuid::parse(v).map(UuidKey).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

struct RowUpdate2Seed<'a> {
    table: &'a TableSchema,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for RowUpdate2Seed<'_> {
    type Value = RowOp;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RowOp, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowUpdate2Seed<'_> {
    type Value = RowOp;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with one of \"initial\", \"insert\", \"modify\", \"delete\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowOp, A::Error> {
        let key: String = map
            .next_key()?
            .ok_or_else(|| de::Error::custom("empty row update"))?;
        let seed = |diff| ColumnsSeed {
            table: self.table,
            diff,
            ctx: self.ctx,
        };
        let op = match key.as_str() {
            "initial" => RowOp::Initial(map.next_value_seed(seed(false))?),
            "insert" => RowOp::Insert(map.next_value_seed(seed(false))?),
            "modify" => RowOp::Modify(map.next_value_seed(seed(true))?),
            "delete" => {
                map.next_value::<IgnoredAny>()?;
                RowOp::Delete
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown row update kind {other:?}"
                )));
            }
        };
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("row update has more than one member"));
        }
        Ok(op)
    }
}

struct RowUpdate1Seed<'a> {
    table: &'a TableSchema,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for RowUpdate1Seed<'_> {
    type Value = RowOp;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RowOp, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowUpdate1Seed<'_> {
    type Value = RowOp;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with \"old\" and/or \"new\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowOp, A::Error> {
        let (mut old, mut new) = (false, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // The old values are not needed: the replica has them.
                "old" => {
                    map.next_value::<IgnoredAny>()?;
                    old = true;
                }
                "new" => {
                    new = Some(map.next_value_seed(ColumnsSeed {
                        table: self.table,
                        diff: false,
                        ctx: self.ctx,
                    })?);
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown row update member {other:?}"
                    )));
                }
            }
        }
        Ok(match (old, new) {
            (false, Some(n)) => RowOp::Insert(n),
            (true, Some(n)) => RowOp::Replace(n),
            (true, None) => RowOp::Delete,
            (false, None) => {
                return Err(de::Error::custom(
                    "row update has neither \"old\" nor \"new\"",
                ));
            }
        })
    }
}

struct ColumnsSeed<'a> {
    table: &'a TableSchema,
    diff: bool,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for ColumnsSeed<'_> {
    type Value = Columns;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Columns, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ColumnsSeed<'_> {
    type Value = Columns;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of column values")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Columns, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(name) = map.next_key::<String>()? {
            let fail = |e| {
                self.ctx
                    .column
                    .borrow_mut()
                    .get_or_insert_with(|| name.clone());
                e
            };
            // `_uuid`/`_version` may appear when a monitor asks for them; the key already says the uuid.
            if name.starts_with('_') {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let Some(col) = self.table.column_index(&name) else {
                return Err(fail(de::Error::custom("unknown column")));
            };
            let ty = &self
                .table
                .columns
                .get(col)
                .ok_or_else(|| fail(de::Error::custom("unknown column")))?
                .ty;
            // Scalar columns carry the new value even in a diff.
            let diff = self.diff && !ty.is_scalar();
            let v = map
                .next_value_seed(DatumSeed {
                    ty,
                    diff,
                    interner: Some(&self.ctx.interner),
                })
                .map_err(fail)?;
            out.push((col, v));
        }
        Ok(out)
    }
}

/// Used by tests and tools: the names of a row update's columns.
pub fn column_names<'a>(
    table: &'a TableSchema,
    cols: &'a Columns,
) -> impl Iterator<Item = &'a Arc<str>> + 'a {
    cols.iter()
        .filter_map(|(i, _)| table.columns.get(*i).map(|c| &c.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SCHEMA: &str = r#"{"name":"T","version":"1","tables":{
      "P":{"columns":{"name":{"type":"string"},"tag":{"type":{"key":{"type":"integer","minInteger":1,"maxInteger":4095},"min":0,"max":1}},
                      "ids":{"type":{"key":"string","value":"string","min":0,"max":"unlimited"}}}}}}"#;
    const U1: &str = "00000000-0000-0000-0000-000000000001";

    fn schema() -> DatabaseSchema {
        DatabaseSchema::from_str_json(SCHEMA).unwrap()
    }

    #[test]
    fn v2_kinds() {
        let s = schema();
        let text = format!(
            r#"{{"P":{{"{U1}":{{"initial":{{"name":"a","ids":["map",[["k","v"]]]}}}},
                     "00000000-0000-0000-0000-000000000002":{{"modify":{{"tag":["set",[1,2]]}}}},
                     "00000000-0000-0000-0000-000000000003":{{"delete":null}}}}}}"#
        );
        let u = decode_table_updates(&text, &s, UpdateFormat::V2, "update2").unwrap();
        assert_eq!(u.n_rows(), 3);
        let rows = &u.tables[0].rows;
        let p = s.table("P").unwrap();
        assert_eq!(
            rows[0].op,
            RowOp::Initial(vec![
                (p.column_index("name").unwrap(), Datum::from("a")),
                (p.column_index("ids").unwrap(), Datum::map([("k", "v")]))
            ])
        );
        // A diff of an optional column may hold two atoms.
        assert!(matches!(&rows[1].op, RowOp::Modify(c) if c[0].1.len() == 2));
        assert_eq!(rows[2].op, RowOp::Delete);
    }

    #[test]
    fn v1_kinds() {
        let s = schema();
        let text = format!(r#"{{"P":{{"{U1}":{{"old":{{"name":"a"}},"new":{{"name":"b"}}}}}}}}"#);
        let u = decode_table_updates(&text, &s, UpdateFormat::V1, "update").unwrap();
        assert!(matches!(&u.tables[0].rows[0].op, RowOp::Replace(c) if c[0].1 == Datum::from("b")));
    }

    #[test]
    fn errors_name_the_place() {
        let s = schema();
        let text = format!(r#"{{"P":{{"{U1}":{{"insert":{{"tag":5000}}}}}}}}"#);
        let e = decode_table_updates(&text, &s, UpdateFormat::V2, "update2").unwrap_err();
        assert_eq!(
            (e.table.as_deref(), e.row, e.column.as_deref()),
            (Some("P"), Some(Uuid::from_u128(1)), Some("tag"))
        );
        assert!(
            e.to_string()
                .starts_with(&format!("update2: table P: row {U1}: column tag: ")),
            "{e}"
        );
        let e = decode_table_updates(r#"{"Q":{}}"#, &s, UpdateFormat::V2, "update2").unwrap_err();
        assert_eq!(e.table.as_deref(), Some("Q"));
        let e = decode_table_updates(
            &format!(r#"{{"P":{{"{U1}":{{"insert":{{"nope":1}}}}}}}}"#),
            &s,
            UpdateFormat::V2,
            "update3",
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("nope"));
        assert!(e.reason.contains("unknown column"));
    }

    #[test]
    fn params_and_since() {
        let s = schema();
        let text = format!(r#"["mon", "{U1}", {{"P":{{"{U1}":{{"delete":null}}}}}}]"#);
        let (id, txn, u) = decode_update_params(&text, "update3", &|_| Some(&s)).unwrap();
        let u = u.unwrap();
        assert_eq!(
            (id, txn, u.n_rows()),
            (serde_json::json!("mon"), Some(Uuid::from_u128(1)), 1)
        );
        let (_, _, skipped) = decode_update_params(&text, "update3", &|_| None).unwrap();
        assert!(skipped.is_none());
        let (found, txn, u) = decode_since_reply(&format!(r#"[true, "{U1}", {{}}]"#), &s).unwrap();
        assert!(found && txn == Uuid::from_u128(1) && u.n_rows() == 0);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(t in r#"[\[\]{}",:a-zP0-9 \-]{0,80}"#) {
            let s = schema();
            let _ = decode_table_updates(&t, &s, UpdateFormat::V2, "update2");
            let _ = decode_table_updates(&t, &s, UpdateFormat::V1, "update");
            let _ = decode_update_params(&t, "update3", &|_| Some(&s));
            let _ = decode_since_reply(&t, &s);
        }

        #[test]
        fn mutated_valid_messages_never_panic(cut in 0usize..200, byte in any::<u8>()) {
            let s = schema();
            let mut text = format!(r#"{{"P":{{"{U1}":{{"insert":{{"name":"x","tag":["set",[7]],"ids":["map",[["a","b"]]]}}}}}}}}"#).into_bytes();
            if let Some(b) = text.get_mut(cut) { *b = byte; }
            if let Ok(t) = std::str::from_utf8(&text) {
                let _ = decode_table_updates(t, &s, UpdateFormat::V2, "update2");
            }
        }
    }
}
