//! The replica ("IDL"): an in-memory copy of the monitored tables, kept current by applying
//! monitor replies and updates, with per-table change sets for incremental processing and
//! secondary indexes by column.
//!
//! Change tracking coalesces everything applied since the last [`Replica::drain_changes`]: a row
//! inserted then modified is reported once as inserted; inserted then deleted, not at all;
//! deleted then re-inserted (a resync) as modified, and dropped entirely if its contents came
//! back identical.

use std::collections::HashMap;
use std::sync::Arc;

use crate::atom::Atom;
use crate::row::Row;
use crate::schema::{DatabaseSchema, TableSchema};
use crate::update::{RowOp, TableUpdates};
use crate::uuid::{Uuid, UuidMap};

/// An update does not fit the replica (the caller should resync from a full dump).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaError {
    /// `modify` of a row we do not have.
    #[error("table {table}: modify of unknown row {row}")]
    UnknownRow {
        /// Table.
        table: String,
        /// Row.
        row: Uuid,
    },
    /// No such table or column.
    #[error("no column {column} in table {table}")]
    NoColumn {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// No such table.
    #[error("no table {0}")]
    NoTable(String),
}

#[derive(Debug, Clone)]
enum Change {
    Inserted,
    Modified(Row),
    Deleted(Row),
}

/// A secondary index: every atom of a column's value (each element of a set, each key of a map)
/// to the rows holding it.
#[derive(Debug, Clone)]
pub struct Index {
    column: usize,
    map: HashMap<Atom, Vec<Uuid>>,
}

impl Index {
    fn keys(row: &Row, column: usize) -> impl Iterator<Item = &Atom> {
        let d = row.get(column);
        d.as_set().iter().chain(d.as_map().iter().map(|(k, _)| k))
    }

    fn add(&mut self, uuid: Uuid, row: &Row) {
        for k in Self::keys(row, self.column) {
            self.map.entry(k.clone()).or_default().push(uuid);
        }
    }

    fn remove(&mut self, uuid: Uuid, row: &Row) {
        for k in Self::keys(row, self.column) {
            if let Some(v) = self.map.get_mut(k) {
                v.retain(|u| *u != uuid);
                if v.is_empty() {
                    self.map.remove(k);
                }
            }
        }
    }

    /// Rows whose column value holds `key`.
    pub fn get(&self, key: &Atom) -> &[Uuid] {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }
}

/// One replicated table.
#[derive(Debug, Clone)]
pub struct Table {
    schema: Arc<DatabaseSchema>,
    index_in_schema: usize,
    rows: UuidMap<Row>,
    changes: UuidMap<Change>,
    indexes: Vec<Index>,
}

impl Table {
    /// The table's schema.
    pub fn schema(&self) -> &TableSchema {
        // Tables are built from this schema, so the position is always valid.
        &self.schema.tables[self.index_in_schema]
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.schema().name
    }

    /// A row.
    pub fn get(&self, uuid: &Uuid) -> Option<&Row> {
        self.rows.get(uuid)
    }

    /// All rows (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (&Uuid, &Row)> {
        self.rows.iter()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows map.
    pub fn rows(&self) -> &UuidMap<Row> {
        &self.rows
    }

    /// The index on `column`, if one was added with [`Replica::add_index`].
    pub fn index(&self, column: &str) -> Option<&Index> {
        let c = self.schema().column_index(column)?;
        self.indexes.iter().find(|i| i.column == c)
    }

    /// Rows whose `column` holds `key`, through the index (or a scan if there is none).
    pub fn find<'a>(&'a self, column: &str, key: &Atom) -> Vec<(Uuid, &'a Row)> {
        if let Some(ix) = self.index(column) {
            return ix
                .get(key)
                .iter()
                .filter_map(|u| self.rows.get(u).map(|r| (*u, r)))
                .collect();
        }
        let Some(c) = self.schema().column_index(column) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter(|(_, r)| Index::keys(r, c).any(|k| k == key))
            .map(|(u, r)| (*u, r))
            .collect()
    }

    fn insert(&mut self, uuid: Uuid, row: Row) {
        if let Some(old) = self.rows.remove(&uuid) {
            self.unindex(uuid, &old);
            self.note_modify(uuid, old);
        } else {
            match self.changes.remove(&uuid) {
                Some(Change::Deleted(old)) => {
                    self.changes.insert(uuid, Change::Modified(old));
                }
                Some(other) => {
                    self.changes.insert(uuid, other);
                }
                None => {
                    self.changes.insert(uuid, Change::Inserted);
                }
            }
        }
        for ix in &mut self.indexes {
            ix.add(uuid, &row);
        }
        self.rows.insert(uuid, row);
    }

    fn note_modify(&mut self, uuid: Uuid, old: Row) {
        self.changes.entry(uuid).or_insert(Change::Modified(old));
    }

    fn unindex(&mut self, uuid: Uuid, row: &Row) {
        for ix in &mut self.indexes {
            ix.remove(uuid, row);
        }
    }

    fn delete(&mut self, uuid: Uuid) {
        let Some(old) = self.rows.remove(&uuid) else {
            return;
        };
        self.unindex(uuid, &old);
        match self.changes.remove(&uuid) {
            Some(Change::Inserted) => {}
            Some(Change::Modified(o0) | Change::Deleted(o0)) => {
                self.changes.insert(uuid, Change::Deleted(o0));
            }
            None => {
                self.changes.insert(uuid, Change::Deleted(old));
            }
        }
    }

    fn modify(
        &mut self,
        uuid: Uuid,
        f: impl FnOnce(&mut Row, &TableSchema),
    ) -> Result<(), ReplicaError> {
        let Some(old) = self.rows.remove(&uuid) else {
            return Err(ReplicaError::UnknownRow {
                table: self.name().to_string(),
                row: uuid,
            });
        };
        let mut new = old.clone();
        let schema = self.schema.clone();
        f(&mut new, &schema.tables[self.index_in_schema]);
        self.unindex(uuid, &old);
        for ix in &mut self.indexes {
            ix.add(uuid, &new);
        }
        self.rows.insert(uuid, new);
        self.note_modify(uuid, old);
        Ok(())
    }

    fn drain(&mut self) -> TableChanges {
        let mut out = TableChanges {
            table: self.index_in_schema,
            ..TableChanges::default()
        };
        for (uuid, ch) in self.changes.drain() {
            match ch {
                Change::Inserted => out.inserted.push(uuid),
                Change::Modified(old) => {
                    if self.rows.get(&uuid) != Some(&old) {
                        out.modified.push((uuid, old));
                    }
                }
                Change::Deleted(old) => out.deleted.push((uuid, old)),
            }
        }
        out
    }
}

/// What changed in one table since the last drain.
#[derive(Debug, Clone, Default)]
pub struct TableChanges {
    /// Position of the table in the schema.
    pub table: usize,
    /// New rows (look them up in the replica).
    pub inserted: Vec<Uuid>,
    /// Modified rows, with their contents before the change (the new contents are in the replica).
    pub modified: Vec<(Uuid, Row)>,
    /// Deleted rows, with their last contents.
    pub deleted: Vec<(Uuid, Row)>,
}

impl TableChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.modified.is_empty() && self.deleted.is_empty()
    }
}

/// Changes to every table since the last drain.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// One entry per table that changed.
    pub tables: Vec<TableChanges>,
    schema: Option<Arc<DatabaseSchema>>,
}

impl ChangeSet {
    /// The changes to a table by name (empty if none).
    pub fn table(&self, name: &str) -> Option<&TableChanges> {
        let idx = self.schema.as_ref()?.table_index(name)?;
        self.tables.iter().find(|t| t.table == idx)
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.tables.iter().all(TableChanges::is_empty)
    }
}

/// An in-memory copy of a database.
#[derive(Debug, Clone)]
pub struct Replica {
    schema: Arc<DatabaseSchema>,
    tables: Vec<Table>,
    /// The last transaction id seen (from `update3` / `monitor_cond_since`), used to resume.
    pub last_txn_id: Option<Uuid>,
    /// Bumped by the driver each time it replaces the whole replica (the server's schema
    /// changed, e.g. an online conversion): change sets do not bridge two epochs, so consumers
    /// seeing a new epoch recompute from the full contents.
    pub epoch: u64,
}

impl Replica {
    /// An empty replica of `schema`.
    pub fn new(schema: Arc<DatabaseSchema>) -> Replica {
        let tables = (0..schema.tables.len())
            .map(|i| Table {
                schema: schema.clone(),
                index_in_schema: i,
                rows: UuidMap::default(),
                changes: UuidMap::default(),
                indexes: Vec::new(),
            })
            .collect();
        Replica {
            schema,
            tables,
            last_txn_id: None,
            epoch: 0,
        }
    }

    /// The schema.
    pub fn schema(&self) -> &Arc<DatabaseSchema> {
        &self.schema
    }

    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.schema
            .table_index(name)
            .and_then(|i| self.tables.get(i))
    }

    /// A table by schema position.
    pub fn table_at(&self, idx: usize) -> Option<&Table> {
        self.tables.get(idx)
    }

    /// All tables.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Adds a secondary index on `table.column` (built from the current rows, kept current after).
    pub fn add_index(&mut self, table: &str, column: &str) -> Result<(), ReplicaError> {
        let ti = self
            .schema
            .table_index(table)
            .ok_or_else(|| ReplicaError::NoTable(table.to_string()))?;
        let t = self
            .tables
            .get_mut(ti)
            .ok_or_else(|| ReplicaError::NoTable(table.to_string()))?;
        let column_idx = t
            .schema()
            .column_index(column)
            .ok_or_else(|| ReplicaError::NoColumn {
                table: table.into(),
                column: column.into(),
            })?;
        if t.indexes.iter().any(|i| i.column == column_idx) {
            return Ok(());
        }
        let mut ix = Index {
            column: column_idx,
            map: HashMap::new(),
        };
        for (u, r) in &t.rows {
            ix.add(*u, r);
        }
        t.indexes.push(ix);
        Ok(())
    }

    /// Applies incremental updates (notifications, or a `monitor_cond_since` reply with `found`).
    /// On error the replica may be partly updated; resync with [`Replica::replace_all`].
    pub fn apply(&mut self, updates: TableUpdates) -> Result<(), ReplicaError> {
        for tu in updates.tables {
            let Some(t) = self.tables.get_mut(tu.table) else {
                return Err(ReplicaError::NoTable(tu.table.to_string()));
            };
            for ru in tu.rows {
                match ru.op {
                    RowOp::Initial(cols) | RowOp::Insert(cols) => {
                        let mut row = Row::new_default(t.schema());
                        for (c, v) in cols {
                            row.set(c, v);
                        }
                        t.insert(ru.uuid, row);
                    }
                    RowOp::Modify(cols) => t.modify(ru.uuid, |row, ts| {
                        for (c, v) in cols {
                            let scalar = ts.columns.get(c).is_some_and(|cs| cs.ty.is_scalar());
                            let new = if scalar { v } else { row.get(c).apply_diff(&v) };
                            row.set(c, new);
                        }
                    })?,
                    RowOp::Replace(cols) => t.modify(ru.uuid, |row, _| {
                        for (c, v) in cols {
                            row.set(c, v);
                        }
                    })?,
                    RowOp::Delete => t.delete(ru.uuid),
                }
            }
        }
        Ok(())
    }

    /// Replaces the whole contents with a full dump (initial monitor reply, or a resync after a
    /// reconnect): rows missing from the dump are deleted, the others inserted or modified, so
    /// the change set reports only real differences.
    pub fn replace_all(&mut self, updates: TableUpdates) -> Result<(), ReplicaError> {
        let mut seen: Vec<UuidMap<()>> = vec![UuidMap::default(); self.tables.len()];
        for tu in &updates.tables {
            if let Some(s) = seen.get_mut(tu.table) {
                s.extend(tu.rows.iter().map(|r| (r.uuid, ())));
            }
        }
        for (t, s) in self.tables.iter_mut().zip(&seen) {
            let gone: Vec<Uuid> = t
                .rows
                .keys()
                .filter(|u| !s.contains_key(u))
                .copied()
                .collect();
            for u in gone {
                t.delete(u);
            }
        }
        self.apply(updates)
    }

    /// Takes the accumulated changes.
    pub fn drain_changes(&mut self) -> ChangeSet {
        let tables = self
            .tables
            .iter_mut()
            .filter(|t| !t.changes.is_empty())
            .map(Table::drain)
            .filter(|c| !c.is_empty())
            .collect();
        ChangeSet {
            tables,
            schema: Some(self.schema.clone()),
        }
    }

    /// Whether changes are waiting to be drained.
    pub fn has_changes(&self) -> bool {
        self.tables.iter().any(|t| !t.changes.is_empty())
    }

    /// Removes every row (reported as deleted).
    pub fn clear(&mut self) {
        for t in &mut self.tables {
            let all: Vec<Uuid> = t.rows.keys().copied().collect();
            for u in all {
                t.delete(u);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datum::Datum;
    use crate::update::{RowUpdate, TableUpdate};

    const SCHEMA: &str = r#"{"name":"D","version":"1","tables":{"T":{"columns":{
        "name":{"type":"string"},
        "set":{"type":{"key":"integer","min":0,"max":"unlimited"}},
        "map":{"type":{"key":"string","value":"string","min":0,"max":"unlimited"}}}}}}"#;

    fn replica() -> Replica {
        Replica::new(Arc::new(DatabaseSchema::from_str_json(SCHEMA).unwrap()))
    }

    fn ups(rows: Vec<(u128, RowOp)>) -> TableUpdates {
        TableUpdates {
            tables: vec![TableUpdate {
                table: 0,
                rows: rows
                    .into_iter()
                    .map(|(u, op)| RowUpdate {
                        uuid: Uuid::from_u128(u),
                        op,
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn apply_and_track() {
        let mut r = replica();
        r.add_index("T", "name").unwrap();
        r.apply(ups(vec![
            (
                1,
                RowOp::Insert(vec![(1, Datum::from("a")), (2, Datum::set([1i64, 2]))]),
            ),
            (2, RowOp::Insert(vec![(1, Datum::from("b"))])),
        ]))
        .unwrap();
        let cs = r.drain_changes();
        assert_eq!(cs.table("T").unwrap().inserted.len(), 2);
        assert!(r.drain_changes().is_empty());

        // Diffs: set symmetric difference, map add/remove/replace, scalar replace.
        r.apply(ups(vec![(
            1,
            RowOp::Modify(vec![
                (2, Datum::set([2i64, 3])),
                (0, Datum::map([("k", "v")])),
                (1, Datum::from("c")),
            ]),
        )]))
        .unwrap();
        let t = r.table("T").unwrap();
        let row = t.get(&Uuid::from_u128(1)).unwrap();
        assert_eq!(row.get(2), &Datum::set([1i64, 3]));
        assert_eq!(row.get(0).get_str("k"), Some("v"));
        assert_eq!(t.find("name", &Atom::from("c")).len(), 1);
        assert!(t.find("name", &Atom::from("a")).is_empty());
        let cs = r.drain_changes();
        let m = &cs.table("T").unwrap().modified;
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].1.get(1), &Datum::from("a"));

        // Insert + delete in one batch: nothing to report.
        r.apply(ups(vec![(3, RowOp::Insert(vec![])), (3, RowOp::Delete)]))
            .unwrap();
        assert!(r.drain_changes().is_empty());
        assert!(matches!(
            r.apply(ups(vec![(9, RowOp::Modify(vec![]))])),
            Err(ReplicaError::UnknownRow { .. })
        ));
    }

    #[test]
    fn index_covers_set_elements_and_map_keys() {
        let mut r = replica();
        r.apply(ups(vec![
            (
                1,
                RowOp::Insert(vec![
                    (2, Datum::set([1i64, 2])),
                    (0, Datum::map([("k", "v")])),
                ]),
            ),
            (2, RowOp::Insert(vec![(2, Datum::set([2i64]))])),
        ]))
        .unwrap();
        // Built from existing rows, then maintained.
        r.add_index("T", "set").unwrap();
        r.add_index("T", "map").unwrap();
        let ids = |r: &Replica, c: &str, a: Atom| {
            let mut v: Vec<u128> = r
                .table("T")
                .unwrap()
                .find(c, &a)
                .iter()
                .map(|(u, _)| u.as_u128())
                .collect();
            v.sort_unstable();
            v
        };
        assert_eq!(ids(&r, "set", Atom::Integer(2)), [1, 2]);
        assert_eq!(ids(&r, "map", Atom::from("k")), [1]);
        r.apply(ups(vec![
            (1, RowOp::Modify(vec![(2, Datum::from(2i64))])),
            (2, RowOp::Delete),
        ]))
        .unwrap();
        assert!(ids(&r, "set", Atom::Integer(2)).is_empty());
        assert_eq!(ids(&r, "set", Atom::Integer(1)), [1]);
        assert!(matches!(
            r.add_index("T", "nope"),
            Err(ReplicaError::NoColumn { .. })
        ));
    }

    #[test]
    fn replace_all_reports_only_differences() {
        let mut r = replica();
        r.replace_all(ups(vec![
            (1, RowOp::Initial(vec![(1, Datum::from("a"))])),
            (2, RowOp::Initial(vec![(1, Datum::from("b"))])),
        ]))
        .unwrap();
        r.drain_changes();
        r.replace_all(ups(vec![
            (1, RowOp::Initial(vec![(1, Datum::from("a"))])),
            (3, RowOp::Initial(vec![(1, Datum::from("c"))])),
        ]))
        .unwrap();
        let cs = r.drain_changes();
        let t = cs.table("T").unwrap();
        assert_eq!(t.inserted, vec![Uuid::from_u128(3)]);
        assert_eq!(t.deleted.len(), 1);
        assert!(
            t.modified.is_empty(),
            "identical row 1 must not be reported"
        );
        assert_eq!(r.table("T").unwrap().index("name").map(|_| ()), None);
    }
}
