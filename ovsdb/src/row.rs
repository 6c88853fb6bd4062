//! A row of the replica: one value per schema column, by position (no column names per row).

use crate::datum::Datum;
use crate::schema::TableSchema;

/// A row's values, indexed by the position of the column in its [`TableSchema`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Row {
    values: Box<[Datum]>,
}

impl Row {
    /// A row with every column at its default value.
    pub fn new_default(table: &TableSchema) -> Row {
        Row {
            values: table.columns.iter().map(|c| c.ty.default_datum()).collect(),
        }
    }

    /// The value of column `col` (an empty set for out-of-range positions, so a view over an
    /// older schema cannot panic).
    pub fn get(&self, col: usize) -> &Datum {
        static EMPTY: std::sync::LazyLock<Datum> = std::sync::LazyLock::new(Datum::empty_set);
        self.values.get(col).unwrap_or(&EMPTY)
    }

    /// Sets column `col` (ignored for out-of-range positions).
    pub fn set(&mut self, col: usize, value: Datum) {
        if let Some(slot) = self.values.get_mut(col) {
            *slot = value;
        }
    }

    /// All values in column order.
    pub fn values(&self) -> &[Datum] {
        &self.values
    }

    /// Column positions whose values differ from `other`'s.
    pub fn changed_columns<'a>(&'a self, other: &'a Row) -> impl Iterator<Item = usize> + 'a {
        self.values
            .iter()
            .zip(other.values.iter())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| i)
    }

    /// Formats the row with column names, for tools and test failures.
    pub fn display<'a>(&'a self, table: &'a TableSchema) -> RowDisplay<'a> {
        RowDisplay { row: self, table }
    }
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.values.iter()).finish()
    }
}

/// `Display` of a row as `col=value` pairs.
#[derive(Debug)]
pub struct RowDisplay<'a> {
    row: &'a Row,
    table: &'a TableSchema,
}

impl std::fmt::Display for RowDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (c, v)) in self
            .table
            .columns
            .iter()
            .zip(self.row.values.iter())
            .enumerate()
        {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}={}", c.name, v)?;
        }
        Ok(())
    }
}
