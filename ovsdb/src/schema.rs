//! RFC 7047 §3.2 `<database-schema>`: tables, columns, column types and their constraints.
//!
//! Tables and columns are addressed by position (sorted by name, as ovsdb-server sorts them) so
//! rows in the replica are plain arrays of values, with no per-row column names.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::atom::{Atom, AtomType};
use crate::datum::Datum;
use crate::json::{self, JsonError};

/// A schema could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("schema {location}: {reason}")]
pub struct SchemaError {
    /// Where: `"OVN_Southbound"`, `"table Port_Binding"`, `"table Port_Binding column tag"`.
    pub location: String,
    /// What is wrong.
    pub reason: String,
}

/// A value broke its column's type or constraints (checked before sending, e.g. in
/// [`crate::Operation`] builders, and when decoding server data).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConstraintError {
    /// An atom has the wrong type.
    #[error("expected {expected}, got {got:?}")]
    WrongType {
        /// The type the column wants.
        expected: AtomType,
        /// The offending atom.
        got: Atom,
    },
    /// An atom is not one of the column's `enum` values.
    #[error("{got:?} is not one of the allowed values {allowed}")]
    NotInEnum {
        /// The offending atom.
        got: Atom,
        /// The allowed set.
        allowed: Datum,
    },
    /// An integer or real is out of range.
    #[error("{got:?} is out of range [{min}, {max}]")]
    OutOfRange {
        /// The offending atom.
        got: Atom,
        /// Minimum as text.
        min: String,
        /// Maximum as text.
        max: String,
    },
    /// A string is too short or too long.
    #[error("string of length {len} is outside [{min}, {max}]")]
    Length {
        /// Length in characters.
        len: usize,
        /// Minimum.
        min: u64,
        /// Maximum.
        max: u64,
    },
    /// The set or map has too few or too many elements.
    #[error("{n} elements is outside [{min}, {max}]")]
    Count {
        /// Number of elements.
        n: usize,
        /// Minimum.
        min: u64,
        /// Maximum (`u64::MAX` for "unlimited").
        max: u64,
    },
    /// A map value for a set column, or the other way round.
    #[error("expected a {expected}")]
    Shape {
        /// "map" or "set".
        expected: &'static str,
    },
}

/// A whole database schema.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSchema {
    /// Database name, e.g. `OVN_Southbound`.
    pub name: String,
    /// Schema version, e.g. `20.27.0`.
    pub version: String,
    /// Tables, sorted by name.
    pub tables: Vec<TableSchema>,
    by_name: HashMap<String, usize>,
}

/// One table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// Table name.
    pub name: Arc<str>,
    /// Columns, sorted by name (without `_uuid`/`_version`).
    pub columns: Vec<ColumnSchema>,
    /// `isRoot`.
    pub is_root: bool,
    /// `maxRows`.
    pub max_rows: Option<u64>,
    /// `indexes`: column positions of each unique index.
    pub indexes: Vec<Vec<usize>>,
    by_name: HashMap<Arc<str>, usize>,
}

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    /// Column name (shared with every message that names it).
    pub name: Arc<str>,
    /// Its type.
    pub ty: ColumnType,
    /// `ephemeral`.
    pub ephemeral: bool,
    /// `mutable` (default true).
    pub mutable: bool,
}

/// `<type>`: key type, optional value type (a map), and the element-count bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    /// Key (or element) type.
    pub key: BaseType,
    /// Value type, for maps.
    pub value: Option<BaseType>,
    /// Minimum number of elements (0 or 1).
    pub min: u64,
    /// Maximum number of elements; `u64::MAX` for "unlimited".
    pub max: u64,
}

/// `<base-type>`: an atomic type with optional constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseType {
    /// The atomic type.
    pub atom: AtomType,
    /// `enum`: the allowed values.
    pub enum_values: Option<Datum>,
    /// `minInteger`/`maxInteger`.
    pub int_range: Option<(i64, i64)>,
    /// `minReal`/`maxReal`.
    pub real_range: Option<(f64, f64)>,
    /// `minLength`/`maxLength`.
    pub length: Option<(u64, u64)>,
    /// `refTable`.
    pub ref_table: Option<Arc<str>>,
    /// `refType` is "weak".
    pub weak: bool,
}

impl DatabaseSchema {
    /// Parses a schema as returned by `get_schema` or found in an `.ovsschema` file.
    pub fn from_json(v: &Value) -> Result<DatabaseSchema, SchemaError> {
        let err = |loc: &str, reason: String| SchemaError {
            location: loc.to_string(),
            reason,
        };
        let obj = v
            .as_object()
            .ok_or_else(|| err("", "not a JSON object".into()))?;
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err("", "missing \"name\"".into()))?
            .to_string();
        let version = obj
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let tables_json = obj
            .get("tables")
            .and_then(Value::as_object)
            .ok_or_else(|| err(&name, "missing \"tables\" object".into()))?;
        let mut names: Vec<&String> = tables_json.keys().collect();
        names.sort();
        let mut tables = Vec::with_capacity(names.len());
        for tname in names {
            let t = tables_json
                .get(tname)
                .ok_or_else(|| err(&name, "table vanished".into()))?;
            tables.push(TableSchema::from_json(tname, t)?);
        }
        let by_name = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.to_string(), i))
            .collect();
        Ok(DatabaseSchema {
            name,
            version,
            tables,
            by_name,
        })
    }

    /// Parses schema text (an `.ovsschema` file).
    pub fn from_str_json(s: &str) -> Result<DatabaseSchema, SchemaError> {
        let v: Value = serde_json::from_str(s).map_err(|e| SchemaError {
            location: String::new(),
            reason: e.to_string(),
        })?;
        DatabaseSchema::from_json(&v)
    }

    /// Position of a table.
    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.table_index(name).and_then(|i| self.tables.get(i))
    }
}

impl TableSchema {
    fn from_json(tname: &str, v: &Value) -> Result<TableSchema, SchemaError> {
        let loc = format!("table {tname}");
        let err = |reason: String| SchemaError {
            location: loc.clone(),
            reason,
        };
        let obj = v
            .as_object()
            .ok_or_else(|| err("not a JSON object".into()))?;
        let cols_json = obj
            .get("columns")
            .and_then(Value::as_object)
            .ok_or_else(|| err("missing \"columns\"".into()))?;
        let mut names: Vec<&String> = cols_json.keys().collect();
        names.sort();
        let mut columns = Vec::with_capacity(names.len());
        for cname in names {
            let c = cols_json
                .get(cname)
                .ok_or_else(|| err("column vanished".into()))?;
            let cerr = |reason: String| SchemaError {
                location: format!("table {tname} column {cname}"),
                reason,
            };
            let cobj = c
                .as_object()
                .ok_or_else(|| cerr("not a JSON object".into()))?;
            let ty = ColumnType::from_json(
                cobj.get("type")
                    .ok_or_else(|| cerr("missing \"type\"".into()))?,
            )
            .map_err(cerr)?;
            columns.push(ColumnSchema {
                name: Arc::from(cname.as_str()),
                ty,
                ephemeral: cobj
                    .get("ephemeral")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                mutable: cobj.get("mutable").and_then(Value::as_bool).unwrap_or(true),
            });
        }
        let by_name: HashMap<Arc<str>, usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let mut indexes = Vec::new();
        if let Some(ix) = obj.get("indexes").and_then(Value::as_array) {
            for one in ix {
                let cols = one
                    .as_array()
                    .ok_or_else(|| err("index is not an array".into()))?;
                let mut pos = Vec::new();
                for c in cols {
                    let n = c
                        .as_str()
                        .ok_or_else(|| err("index column is not a string".into()))?;
                    pos.push(
                        *by_name
                            .get(n)
                            .ok_or_else(|| err(format!("index names unknown column {n}")))?,
                    );
                }
                indexes.push(pos);
            }
        }
        Ok(TableSchema {
            name: Arc::from(tname),
            columns,
            is_root: obj.get("isRoot").and_then(Value::as_bool).unwrap_or(false),
            max_rows: obj.get("maxRows").and_then(Value::as_u64),
            indexes,
            by_name,
        })
    }

    /// Position of a column.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.column_index(name).and_then(|i| self.columns.get(i))
    }
}

impl ColumnType {
    /// A scalar column of the given type (`min = max = 1`).
    pub fn scalar(atom: AtomType) -> ColumnType {
        ColumnType {
            key: BaseType::new(atom),
            value: None,
            min: 1,
            max: 1,
        }
    }

    /// Parses `<type>`.
    pub fn from_json(v: &Value) -> Result<ColumnType, String> {
        match v {
            Value::String(_) => Ok(ColumnType {
                key: BaseType::from_json(v)?,
                value: None,
                min: 1,
                max: 1,
            }),
            Value::Object(o) => {
                let key = BaseType::from_json(o.get("key").ok_or("missing \"key\"")?)?;
                let value = o.get("value").map(BaseType::from_json).transpose()?;
                let min = match o.get("min") {
                    None => 1,
                    Some(m) => m
                        .as_u64()
                        .filter(|m| *m <= 1)
                        .ok_or("\"min\" must be 0 or 1")?,
                };
                let max = match o.get("max") {
                    None => 1,
                    Some(Value::String(s)) if s == "unlimited" => u64::MAX,
                    Some(m) => m
                        .as_u64()
                        .filter(|m| *m >= 1)
                        .ok_or("\"max\" must be a positive integer")?,
                };
                if min > max {
                    return Err("\"min\" exceeds \"max\"".into());
                }
                Ok(ColumnType {
                    key,
                    value,
                    min,
                    max,
                })
            }
            _ => Err("type must be a string or an object".into()),
        }
    }

    /// Whether values are maps.
    pub fn is_map(&self) -> bool {
        self.value.is_some()
    }

    /// Whether the column holds exactly one atom (its update2 diff is the new value).
    pub fn is_scalar(&self) -> bool {
        self.value.is_none() && self.min == 1 && self.max == 1
    }

    /// Whether the column holds at most one atom.
    pub fn is_optional(&self) -> bool {
        self.value.is_none() && self.min == 0 && self.max == 1
    }

    /// The default value (`ovsdb_datum_init_default`): the key type's default atom for columns
    /// with `min = 1`, the empty set or map otherwise.
    pub fn default_datum(&self) -> Datum {
        if self.min == 0 {
            if self.is_map() {
                Datum::empty_map()
            } else {
                Datum::empty_set()
            }
        } else if let Some(v) = &self.value {
            Datum::Map(Box::new([(self.key.default_atom(), v.default_atom())]))
        } else {
            Datum::Atom(self.key.default_atom())
        }
    }

    /// Checks a value against the type and all constraints.
    pub fn check(&self, d: &Datum) -> Result<(), ConstraintError> {
        if self.is_map() != d.is_map() && !d.is_empty() {
            return Err(ConstraintError::Shape {
                expected: if self.is_map() { "map" } else { "set" },
            });
        }
        let n = d.len();
        if (n as u64) < self.min || (n as u64) > self.max {
            return Err(ConstraintError::Count {
                n,
                min: self.min,
                max: self.max,
            });
        }
        self.check_atoms(d)
    }

    /// Checks the atoms' types and constraints, but not the number of elements.
    pub fn check_atoms(&self, d: &Datum) -> Result<(), ConstraintError> {
        match &self.value {
            Some(vt) => {
                for (k, v) in d.as_map() {
                    self.key.check(k)?;
                    vt.check(v)?;
                }
            }
            None => {
                for a in d.as_set() {
                    self.key.check(a)?;
                }
            }
        }
        Ok(())
    }
}

impl BaseType {
    /// An unconstrained base type.
    pub fn new(atom: AtomType) -> BaseType {
        BaseType {
            atom,
            enum_values: None,
            int_range: None,
            real_range: None,
            length: None,
            ref_table: None,
            weak: false,
        }
    }

    /// Parses `<base-type>`.
    pub fn from_json(v: &Value) -> Result<BaseType, String> {
        match v {
            Value::String(s) => Ok(BaseType::new(
                AtomType::from_name(s).ok_or_else(|| format!("unknown atomic type {s:?}"))?,
            )),
            Value::Object(o) => {
                let tname = o
                    .get("type")
                    .and_then(Value::as_str)
                    .ok_or("base type lacks \"type\"")?;
                let atom = AtomType::from_name(tname)
                    .ok_or_else(|| format!("unknown atomic type {tname:?}"))?;
                let mut b = BaseType::new(atom);
                if let Some(e) = o.get("enum") {
                    let set_ty = ColumnType {
                        key: BaseType::new(atom),
                        value: None,
                        min: 0,
                        max: u64::MAX,
                    };
                    b.enum_values = Some(
                        json::datum_from_json(e, &set_ty)
                            .map_err(|e: JsonError| format!("bad enum: {e}"))?,
                    );
                }
                let geti = |k: &str| o.get(k).and_then(Value::as_i64);
                if geti("minInteger").is_some() || geti("maxInteger").is_some() {
                    b.int_range = Some((
                        geti("minInteger").unwrap_or(i64::MIN),
                        geti("maxInteger").unwrap_or(i64::MAX),
                    ));
                }
                let getf = |k: &str| o.get(k).and_then(Value::as_f64);
                if getf("minReal").is_some() || getf("maxReal").is_some() {
                    b.real_range = Some((
                        getf("minReal").unwrap_or(f64::MIN),
                        getf("maxReal").unwrap_or(f64::MAX),
                    ));
                }
                let getu = |k: &str| o.get(k).and_then(Value::as_u64);
                if getu("minLength").is_some() || getu("maxLength").is_some() {
                    b.length = Some((
                        getu("minLength").unwrap_or(0),
                        getu("maxLength").unwrap_or(u64::MAX),
                    ));
                }
                b.ref_table = o.get("refTable").and_then(Value::as_str).map(Arc::from);
                b.weak = o.get("refType").and_then(Value::as_str) == Some("weak");
                Ok(b)
            }
            _ => Err("base type must be a string or an object".into()),
        }
    }

    /// The default atom of the type.
    pub fn default_atom(&self) -> Atom {
        self.atom.default_atom()
    }

    /// Checks an atom's type and constraints.
    pub fn check(&self, a: &Atom) -> Result<(), ConstraintError> {
        if a.atom_type() != self.atom {
            return Err(ConstraintError::WrongType {
                expected: self.atom,
                got: a.clone(),
            });
        }
        if let Some(e) = &self.enum_values
            && !e.contains(a)
        {
            return Err(ConstraintError::NotInEnum {
                got: a.clone(),
                allowed: e.clone(),
            });
        }
        match a {
            Atom::Integer(v) => {
                if let Some((lo, hi)) = self.int_range
                    && (*v < lo || *v > hi)
                {
                    return Err(ConstraintError::OutOfRange {
                        got: a.clone(),
                        min: lo.to_string(),
                        max: hi.to_string(),
                    });
                }
            }
            Atom::Real(v) => {
                if let Some((lo, hi)) = self.real_range
                    && (*v < lo || *v > hi)
                {
                    return Err(ConstraintError::OutOfRange {
                        got: a.clone(),
                        min: lo.to_string(),
                        max: hi.to_string(),
                    });
                }
            }
            Atom::String(s) => {
                if let Some((lo, hi)) = self.length {
                    let len = s.chars().count();
                    if (len as u64) < lo || (len as u64) > hi {
                        return Err(ConstraintError::Length {
                            len,
                            min: lo,
                            max: hi,
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.max == u64::MAX {
            "unlimited".to_string()
        } else {
            self.max.to_string()
        };
        match &self.value {
            Some(v) => write!(
                f,
                "map {}->{} [{}..{}]",
                self.key.atom, v.atom, self.min, max
            ),
            None if self.is_scalar() => write!(f, "{}", self.key.atom),
            None => write!(f, "set of {} [{}..{}]", self.key.atom, self.min, max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"name":"T","version":"1.2.3","tables":{
      "B":{"columns":{"m":{"type":{"key":"string","value":"string","min":0,"max":"unlimited"}}},"isRoot":true},
      "A":{"columns":{
        "n":{"type":{"key":{"type":"integer","minInteger":0,"maxInteger":10}}},
        "e":{"type":{"key":{"type":"string","enum":["set",["x","y"]]},"min":0,"max":1}},
        "r":{"type":{"key":{"type":"uuid","refTable":"B","refType":"weak"},"min":0,"max":"unlimited"}},
        "s":{"type":"string"}},
        "indexes":[["s"]]}}}"#;

    #[test]
    fn parses_and_sorts() {
        let s = DatabaseSchema::from_str_json(SCHEMA).unwrap();
        assert_eq!(
            s.tables.iter().map(|t| &*t.name).collect::<Vec<_>>(),
            ["A", "B"]
        );
        let a = s.table("A").unwrap();
        assert_eq!(
            a.columns.iter().map(|c| &*c.name).collect::<Vec<_>>(),
            ["e", "n", "r", "s"]
        );
        assert_eq!(a.indexes, vec![vec![3]]);
        let r = a.column("r").unwrap();
        assert_eq!(r.ty.key.ref_table.as_deref(), Some("B"));
        assert!(r.ty.key.weak);
        assert_eq!(r.ty.max, u64::MAX);
        assert!(s.table("B").unwrap().is_root);
        assert_eq!(a.column("n").unwrap().ty.default_datum(), Datum::from(0));
    }

    #[test]
    fn constraints() {
        let s = DatabaseSchema::from_str_json(SCHEMA).unwrap();
        let a = s.table("A").unwrap();
        let n = &a.column("n").unwrap().ty;
        assert!(n.check(&Datum::from(10)).is_ok());
        assert!(matches!(
            n.check(&Datum::from(11)),
            Err(ConstraintError::OutOfRange { .. })
        ));
        assert!(matches!(
            n.check(&Datum::from("x")),
            Err(ConstraintError::WrongType { .. })
        ));
        assert!(matches!(
            n.check(&Datum::empty_set()),
            Err(ConstraintError::Count { .. })
        ));
        let e = &a.column("e").unwrap().ty;
        assert!(e.check(&Datum::from("x")).is_ok());
        assert!(e.check(&Datum::empty_set()).is_ok());
        assert!(matches!(
            e.check(&Datum::from("z")),
            Err(ConstraintError::NotInEnum { .. })
        ));
        assert!(matches!(
            e.check(&Datum::set(["x", "y"])),
            Err(ConstraintError::Count { .. })
        ));
    }

    #[test]
    fn errors_name_the_column() {
        let bad = r#"{"name":"T","tables":{"A":{"columns":{"c":{"type":"int"}}}}}"#;
        let e = DatabaseSchema::from_str_json(bad).unwrap_err();
        assert_eq!(e.location, "table A column c");
        assert!(e.reason.contains("int"), "{e}");
    }

    #[test]
    fn real_schemas_parse() {
        for p in [
            "/usr/share/openvswitch/vswitch.ovsschema",
            "/usr/share/ovn/ovn-sb.ovsschema",
            "/usr/share/ovn/ovn-nb.ovsschema",
        ] {
            let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            let s = DatabaseSchema::from_str_json(&text).unwrap();
            assert!(s.tables.len() > 5, "{p}");
        }
    }
}
