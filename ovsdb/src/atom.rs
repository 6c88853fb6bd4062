//! RFC 7047 §5.1 atomic values: `<atom>` and `<atomic-type>`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::uuid::Uuid;

static EMPTY_STR: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

/// `<atomic-type>`: the five types an atom may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AtomType {
    /// 64-bit signed integer.
    Integer,
    /// IEEE double.
    Real,
    /// true/false.
    Boolean,
    /// UTF-8 string.
    String,
    /// A UUID, usually a reference to a row.
    Uuid,
}

impl AtomType {
    /// Parses the schema spelling (`"integer"`, `"real"`, ...).
    pub fn from_name(s: &str) -> Option<AtomType> {
        Some(match s {
            "integer" => AtomType::Integer,
            "real" => AtomType::Real,
            "boolean" => AtomType::Boolean,
            "string" => AtomType::String,
            "uuid" => AtomType::Uuid,
            _ => return None,
        })
    }

    /// The schema spelling.
    pub fn name(self) -> &'static str {
        match self {
            AtomType::Integer => "integer",
            AtomType::Real => "real",
            AtomType::Boolean => "boolean",
            AtomType::String => "string",
            AtomType::Uuid => "uuid",
        }
    }

    /// The default atom for the type (ovsdb `ovsdb_atom_init_default`).
    pub fn default_atom(self) -> Atom {
        match self {
            AtomType::Integer => Atom::Integer(0),
            AtomType::Real => Atom::Real(0.0),
            AtomType::Boolean => Atom::Boolean(false),
            // Shared: default rows are built for every row of every dump.
            AtomType::String => Atom::String(EMPTY_STR.clone()),
            AtomType::Uuid => Atom::Uuid(Uuid::ZERO),
        }
    }
}

impl fmt::Display for AtomType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `<atom>`: one value. Strings are shared (`Arc<str>`) so copying a row between the replica and a
/// change set does not copy its text.
///
/// `NamedUuid` only appears in transactions we send (RFC 7047 §5.1 `<named-uuid>`); the server
/// never returns it.
#[derive(Clone)]
pub enum Atom {
    /// `<integer>`.
    Integer(i64),
    /// `<real>`.
    Real(f64),
    /// `<boolean>`.
    Boolean(bool),
    /// `<string>`.
    String(Arc<str>),
    /// `["uuid", "<uuid>"]`.
    Uuid(Uuid),
    /// `["named-uuid", "<id>"]`: a row inserted earlier in the same transaction.
    NamedUuid(Arc<str>),
}

impl Atom {
    /// A string atom.
    pub fn string(s: impl Into<Arc<str>>) -> Atom {
        Atom::String(s.into())
    }

    /// A named-uuid atom (for transactions).
    pub fn named_uuid(s: impl Into<Arc<str>>) -> Atom {
        Atom::NamedUuid(s.into())
    }

    /// The type of the atom; `NamedUuid` counts as `Uuid`.
    pub fn atom_type(&self) -> AtomType {
        match self {
            Atom::Integer(_) => AtomType::Integer,
            Atom::Real(_) => AtomType::Real,
            Atom::Boolean(_) => AtomType::Boolean,
            Atom::String(_) => AtomType::String,
            Atom::Uuid(_) | Atom::NamedUuid(_) => AtomType::Uuid,
        }
    }

    /// The integer, if this is one.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Atom::Integer(v) => Some(*v),
            _ => None,
        }
    }

    /// The real (integers widen), if this is one.
    pub fn as_real(&self) -> Option<f64> {
        match self {
            Atom::Real(v) => Some(*v),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Atom::Boolean(v) => Some(*v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Atom::String(v) => Some(v),
            _ => None,
        }
    }

    /// The UUID, if this is one.
    pub fn as_uuid(&self) -> Option<Uuid> {
        match self {
            Atom::Uuid(v) => Some(*v),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Atom::Integer(_) => 0,
            Atom::Real(_) => 1,
            Atom::Boolean(_) => 2,
            Atom::String(_) => 3,
            Atom::Uuid(_) => 4,
            Atom::NamedUuid(_) => 5,
        }
    }
}

// Atoms are kept sorted inside sets and maps, so they need a total order; reals use IEEE total
// order (the server never sends NaN, but a decoder must not be able to break the invariant).
impl Ord for Atom {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Atom::Integer(a), Atom::Integer(b)) => a.cmp(b),
            (Atom::Real(a), Atom::Real(b)) => a.total_cmp(b),
            (Atom::Boolean(a), Atom::Boolean(b)) => a.cmp(b),
            (Atom::String(a), Atom::String(b)) => a.cmp(b),
            (Atom::Uuid(a), Atom::Uuid(b)) => a.cmp(b),
            (Atom::NamedUuid(a), Atom::NamedUuid(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Atom {}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Atom::Integer(v) => v.hash(state),
            Atom::Real(v) => v.to_bits().hash(state),
            Atom::Boolean(v) => v.hash(state),
            Atom::String(v) | Atom::NamedUuid(v) => v.hash(state),
            Atom::Uuid(v) => v.hash(state),
        }
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Integer(v) => write!(f, "{v}"),
            Atom::Real(v) => write!(f, "{v:?}"),
            Atom::Boolean(v) => write!(f, "{v}"),
            Atom::String(v) => write!(f, "{v:?}"),
            Atom::Uuid(v) => write!(f, "{v}"),
            Atom::NamedUuid(v) => write!(f, "@{v}"),
        }
    }
}

/// Prints like `ovsdb-client` / `ovs-vsctl` do: strings quoted only when needed.
impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::String(s) => {
                let plain = !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
                    && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                    && !matches!(&**s, "true" | "false");
                if plain {
                    f.write_str(s)
                } else {
                    write!(f, "{s:?}")
                }
            }
            other => fmt::Debug::fmt(other, f),
        }
    }
}

impl From<i64> for Atom {
    fn from(v: i64) -> Self {
        Atom::Integer(v)
    }
}
impl From<f64> for Atom {
    fn from(v: f64) -> Self {
        Atom::Real(v)
    }
}
impl From<bool> for Atom {
    fn from(v: bool) -> Self {
        Atom::Boolean(v)
    }
}
impl From<&str> for Atom {
    fn from(v: &str) -> Self {
        Atom::String(Arc::from(v))
    }
}
impl From<String> for Atom {
    fn from(v: String) -> Self {
        Atom::String(Arc::from(v))
    }
}
impl From<Uuid> for Atom {
    fn from(v: Uuid) -> Self {
        Atom::Uuid(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_total_and_typed() {
        let mut v = vec![
            Atom::from("b"),
            Atom::from(3),
            Atom::from("a"),
            Atom::from(-1),
        ];
        v.sort();
        assert_eq!(
            v,
            vec![
                Atom::from(-1),
                Atom::from(3),
                Atom::from("a"),
                Atom::from("b")
            ]
        );
        assert_eq!(Atom::Real(f64::NAN), Atom::Real(f64::NAN));
    }

    #[test]
    fn display_quotes_when_needed() {
        assert_eq!(Atom::from("br-int").to_string(), "br-int");
        assert_eq!(Atom::from("a b").to_string(), "\"a b\"");
        assert_eq!(Atom::from("").to_string(), "\"\"");
        assert_eq!(Atom::from("123").to_string(), "\"123\"");
    }
}
