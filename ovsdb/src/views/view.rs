//! The [`View`] trait, [`Typed`] tables and the `view!` macro the table files use.

use crate::atom::Atom;
use crate::datum::Datum;
use crate::replica::{Replica, Table};
use crate::row::Row;
use crate::schema::TableSchema;
use crate::uuid::Uuid;

/// A typed view of one table.
pub trait View {
    /// Table name.
    const TABLE: &'static str;
    /// Column positions, resolved from a schema.
    type Columns: std::fmt::Debug;
    /// The row view.
    type Ref<'a>;
    /// Resolves column positions.
    fn resolve(t: &TableSchema) -> Self::Columns;
    /// Views one row.
    fn make<'a>(uuid: Uuid, row: &'a Row, cols: &'a Self::Columns) -> Self::Ref<'a>;
}

/// A table seen through a [`View`].
#[derive(Debug)]
pub struct Typed<'a, V: View> {
    table: &'a Table,
    cols: V::Columns,
}

impl<'a, V: View> Typed<'a, V> {
    /// Wraps a table.
    pub fn new(table: &'a Table) -> Typed<'a, V> {
        Typed {
            cols: V::resolve(table.schema()),
            table,
        }
    }

    /// The untyped table.
    pub fn table(&self) -> &'a Table {
        self.table
    }

    /// Column positions.
    pub fn columns(&self) -> &V::Columns {
        &self.cols
    }

    /// One row.
    pub fn get(&self, uuid: &Uuid) -> Option<V::Ref<'_>> {
        self.table.get(uuid).map(|r| V::make(*uuid, r, &self.cols))
    }

    /// All rows.
    pub fn iter(&self) -> impl Iterator<Item = V::Ref<'_>> {
        self.table.iter().map(|(u, r)| V::make(*u, r, &self.cols))
    }

    /// Rows whose `column` holds `key` (through the index if there is one).
    pub fn find(&self, column: &str, key: &Atom) -> Vec<V::Ref<'_>> {
        self.table
            .find(column, key)
            .into_iter()
            .map(|(u, r)| V::make(u, r, &self.cols))
            .collect()
    }

    /// Views a row that is not (or no longer) in the table, e.g. the old row of a change set.
    pub fn view<'r>(&'r self, uuid: Uuid, row: &'r Row) -> V::Ref<'r> {
        V::make(uuid, row, &self.cols)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl Replica {
    /// The table of view `V`, if the schema has it.
    pub fn typed<V: View>(&self) -> Option<Typed<'_, V>> {
        self.table(V::TABLE).map(Typed::new)
    }
}

/// A string-to-string map column.
#[derive(Debug, Clone, Copy)]
pub struct MapRef<'a>(pub &'a Datum);

impl<'a> MapRef<'a> {
    /// The value of a string key.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0.get_str(key)
    }

    /// Entries whose key and value are strings.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .as_map()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
    }

    /// The string entries as an owned, sorted map (for callers that keep them past the
    /// replica lock).
    pub fn to_btree_map(&self) -> std::collections::BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// Accessor helpers: a missing column (None) or unexpected value reads as the default.
pub(crate) fn col(row: &Row, c: Option<usize>) -> Option<&Datum> {
    c.map(|c| row.get(c))
}
pub(crate) fn str(d: Option<&Datum>) -> &str {
    opt_str(d).unwrap_or("")
}
pub(crate) fn opt_str(d: Option<&Datum>) -> Option<&str> {
    d.and_then(Datum::as_atom).and_then(Atom::as_str)
}
pub(crate) fn int(d: Option<&Datum>) -> i64 {
    opt_int(d).unwrap_or(0)
}
pub(crate) fn opt_int(d: Option<&Datum>) -> Option<i64> {
    d.and_then(Datum::as_atom).and_then(Atom::as_integer)
}
pub(crate) fn bool(d: Option<&Datum>) -> bool {
    opt_bool(d).unwrap_or(false)
}
pub(crate) fn opt_bool(d: Option<&Datum>) -> Option<bool> {
    d.and_then(Datum::as_atom).and_then(Atom::as_bool)
}
pub(crate) fn uuid(d: Option<&Datum>) -> Uuid {
    opt_uuid(d).unwrap_or(Uuid::ZERO)
}
pub(crate) fn opt_uuid(d: Option<&Datum>) -> Option<Uuid> {
    d.and_then(Datum::as_atom).and_then(Atom::as_uuid)
}
pub(crate) fn uuids<'a>(d: Option<&'a Datum>) -> impl Iterator<Item = Uuid> + 'a {
    d.map_or(&[][..], Datum::as_set)
        .iter()
        .filter_map(Atom::as_uuid)
}
pub(crate) fn strs<'a>(d: Option<&'a Datum>) -> impl Iterator<Item = &'a str> + 'a {
    d.map_or(&[][..], Datum::as_set)
        .iter()
        .filter_map(Atom::as_str)
}
pub(crate) fn ints<'a>(d: Option<&'a Datum>) -> impl Iterator<Item = i64> + 'a {
    d.map_or(&[][..], Datum::as_set)
        .iter()
        .filter_map(Atom::as_integer)
}
pub(crate) fn map(d: Option<&Datum>) -> MapRef<'_> {
    static EMPTY: std::sync::LazyLock<Datum> = std::sync::LazyLock::new(Datum::empty_map);
    MapRef(d.unwrap_or(&EMPTY))
}

/// Declares a view: `view! { /// doc  Name = "Table" { /// doc  method: kind = "column", ... } }`
/// with kinds `str`, `int`, `bool`, `uuid`, `opt_str`, `opt_int`, `opt_bool`, `opt_uuid`,
/// `uuids`, `strs`, `ints`, `map`.
macro_rules! view {
    ($(#[$m:meta])* $name:ident = $table:literal { $( $(#[$fm:meta])* $field:ident : $kind:ident = $col:literal ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            uuid: $crate::Uuid,
            row: &'a $crate::Row,
            cols: &'a <$name<'static> as $crate::views::View>::Columns,
        }

        #[allow(clippy::struct_field_names)]
        const _: () = {
            /// Column positions (`None`: not in this schema version).
            #[derive(Debug, Clone, Default)]
            pub struct Columns { $( $field: Option<usize>, )* }

            impl<'x> $crate::views::View for $name<'x> {
                const TABLE: &'static str = $table;
                type Columns = Columns;
                type Ref<'a> = $name<'a>;
                fn resolve(t: &$crate::TableSchema) -> Columns {
                    Columns { $( $field: t.column_index($col), )* }
                }
                fn make<'a>(uuid: $crate::Uuid, row: &'a $crate::Row, cols: &'a Columns) -> $name<'a> {
                    $name { uuid, row, cols }
                }
            }

            impl<'a> $name<'a> {
                /// The row's uuid.
                pub fn uuid(&self) -> $crate::Uuid {
                    self.uuid
                }
                /// The untyped row.
                pub fn row(&self) -> &'a $crate::Row {
                    self.row
                }
                $(
                    $(#[$fm])*
                    pub fn $field(&self) -> view!(@ty $kind 'a) {
                        $crate::views::view::$kind($crate::views::view::col(self.row, self.cols.$field))
                    }
                )*
            }
        };
    };
    (@ty str $a:lifetime) => { &$a str };
    (@ty opt_str $a:lifetime) => { Option<&$a str> };
    (@ty int $a:lifetime) => { i64 };
    (@ty opt_int $a:lifetime) => { Option<i64> };
    (@ty bool $a:lifetime) => { bool };
    (@ty opt_bool $a:lifetime) => { Option<bool> };
    (@ty uuid $a:lifetime) => { $crate::Uuid };
    (@ty opt_uuid $a:lifetime) => { Option<$crate::Uuid> };
    (@ty uuids $a:lifetime) => { impl Iterator<Item = $crate::Uuid> + $a };
    (@ty strs $a:lifetime) => { impl Iterator<Item = &$a str> + $a };
    (@ty ints $a:lifetime) => { impl Iterator<Item = i64> + $a };
    (@ty map $a:lifetime) => { $crate::views::MapRef<$a> };
}

pub(crate) use view;
