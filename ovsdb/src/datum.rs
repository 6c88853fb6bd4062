//! RFC 7047 §5.1 `<value>`: a column's value, a set of atoms or a map of atom pairs.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::atom::Atom;

/// A column value.
///
/// Invariants (kept by every constructor in this crate): `Set` is sorted, has no duplicates and never
/// holds exactly one element (a one-element set is `Atom`, so scalar columns, the common case, cost
/// no allocation); `Map` is sorted by key with unique keys. Build values with [`Datum::set`] and
/// [`Datum::map`] rather than the variants.
#[derive(Clone)]
pub enum Datum {
    /// A set of exactly one atom (and so the value of every scalar column).
    Atom(Atom),
    /// A set of zero or 2+ atoms, sorted.
    Set(Box<[Atom]>),
    /// A map, sorted by key.
    Map(Box<[(Atom, Atom)]>),
}

impl Datum {
    /// The empty set.
    pub fn empty_set() -> Datum {
        Datum::Set(Box::new([]))
    }

    /// The empty map.
    pub fn empty_map() -> Datum {
        Datum::Map(Box::new([]))
    }

    /// A set from any atoms (sorted and deduplicated here).
    pub fn set<I: IntoIterator<Item = A>, A: Into<Atom>>(atoms: I) -> Datum {
        let mut v: Vec<Atom> = atoms.into_iter().map(Into::into).collect();
        v.sort();
        v.dedup();
        Datum::from_sorted_set(v)
    }

    /// A map from pairs; on duplicate keys the first one wins.
    pub fn map<I, K, V>(pairs: I) -> Datum
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<Atom>,
        V: Into<Atom>,
    {
        let mut v: Vec<(Atom, Atom)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|b, a| a.0 == b.0);
        Datum::Map(v.into_boxed_slice())
    }

    /// Builds a set from atoms already sorted and deduplicated (restores the one-atom invariant).
    pub(crate) fn from_sorted_set(mut v: Vec<Atom>) -> Datum {
        if v.len() == 1
            && let Some(a) = v.pop()
        {
            return Datum::Atom(a);
        }
        Datum::Set(v.into_boxed_slice())
    }

    /// Whether this is a map (an empty map included).
    pub fn is_map(&self) -> bool {
        matches!(self, Datum::Map(_))
    }

    /// The set's elements (a map yields none; see [`Datum::as_map`]).
    pub fn as_set(&self) -> &[Atom] {
        match self {
            Datum::Atom(a) => std::slice::from_ref(a),
            Datum::Set(s) => s,
            Datum::Map(_) => &[],
        }
    }

    /// The map's entries, sorted by key (a set yields none).
    pub fn as_map(&self) -> &[(Atom, Atom)] {
        match self {
            Datum::Map(m) => m,
            _ => &[],
        }
    }

    /// The single atom of a one-element set.
    pub fn as_atom(&self) -> Option<&Atom> {
        match self {
            Datum::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// Number of elements or pairs.
    pub fn len(&self) -> usize {
        match self {
            Datum::Atom(_) => 1,
            Datum::Set(s) => s.len(),
            Datum::Map(m) => m.len(),
        }
    }

    /// Whether the set or map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a set contains `atom`.
    pub fn contains(&self, atom: &Atom) -> bool {
        self.as_set().binary_search(atom).is_ok()
    }

    /// Looks a key up in a map.
    pub fn get(&self, key: &Atom) -> Option<&Atom> {
        let m = self.as_map();
        m.binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .and_then(|i| m.get(i))
            .map(|(_, v)| v)
    }

    /// Looks a string key up in a string-keyed map, returning a string value.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        let m = self.as_map();
        let i = m
            .binary_search_by(|(k, _)| match k {
                Atom::String(s) => (**s).cmp(key),
                other => other.rank_vs_string(),
            })
            .ok()?;
        m.get(i).and_then(|(_, v)| v.as_str())
    }

    /// Applies an `update2` "modify" diff (ovsdb-server's `ovsdb_datum_diff` inverse): for sets the
    /// diff is the symmetric difference; for maps a pair whose key is absent is added, a pair equal
    /// to the current one is removed and a pair with a new value replaces it.
    pub fn apply_diff(&self, diff: &Datum) -> Datum {
        match (self, diff) {
            (Datum::Map(_), Datum::Map(_)) => {
                let mut out: Vec<(Atom, Atom)> = self.as_map().to_vec();
                for (k, v) in diff.as_map() {
                    match out.binary_search_by(|(ok, _)| ok.cmp(k)) {
                        Ok(i) => {
                            if out.get(i).is_some_and(|(_, ov)| ov == v) {
                                out.remove(i);
                            } else if let Some(slot) = out.get_mut(i) {
                                slot.1 = v.clone();
                            }
                        }
                        Err(i) => out.insert(i, (k.clone(), v.clone())),
                    }
                }
                Datum::Map(out.into_boxed_slice())
            }
            (Datum::Map(_), _) | (_, Datum::Map(_)) => diff.clone(),
            _ => {
                let (a, b) = (self.as_set(), diff.as_set());
                let mut out = Vec::with_capacity(a.len() + b.len());
                let (mut i, mut j) = (0, 0);
                while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
                    match x.cmp(y) {
                        Ordering::Less => {
                            out.push(x.clone());
                            i += 1;
                        }
                        Ordering::Greater => {
                            out.push(y.clone());
                            j += 1;
                        }
                        Ordering::Equal => {
                            i += 1;
                            j += 1;
                        }
                    }
                }
                out.extend(a.iter().skip(i).cloned());
                out.extend(b.iter().skip(j).cloned());
                Datum::from_sorted_set(out)
            }
        }
    }

    /// The `update2` diff that turns `self` into `new` (for sets and maps; scalars diff to `new`).
    pub fn diff(&self, new: &Datum) -> Datum {
        match (self, new) {
            (Datum::Map(a), Datum::Map(b)) => {
                let mut out = Vec::new();
                for (k, v) in a.iter() {
                    match new.get(k) {
                        None => out.push((k.clone(), v.clone())),
                        Some(nv) if nv != v => out.push((k.clone(), nv.clone())),
                        Some(_) => {}
                    }
                }
                for (k, v) in b.iter() {
                    if self.get(k).is_none() {
                        out.push((k.clone(), v.clone()));
                    }
                }
                out.sort_by(|x, y| x.0.cmp(&y.0));
                Datum::Map(out.into_boxed_slice())
            }
            (Datum::Map(_), _) | (_, Datum::Map(_)) => new.clone(),
            _ => {
                let mut out: Vec<Atom> = self
                    .as_set()
                    .iter()
                    .filter(|x| !new.contains(x))
                    .chain(new.as_set().iter().filter(|x| !self.contains(x)))
                    .cloned()
                    .collect();
                out.sort();
                Datum::from_sorted_set(out)
            }
        }
    }
}

impl Atom {
    // Where a non-string key sorts relative to any string, for `get_str` on mixed maps.
    fn rank_vs_string(&self) -> Ordering {
        match self {
            Atom::Integer(_) | Atom::Real(_) | Atom::Boolean(_) => Ordering::Less,
            _ => Ordering::Greater,
        }
    }
}

impl PartialEq for Datum {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Datum::Map(a), Datum::Map(b)) => a == b,
            (Datum::Map(a), b) | (b, Datum::Map(a)) => a.is_empty() && b.is_empty(),
            (a, b) => a.as_set() == b.as_set(),
        }
    }
}

impl Eq for Datum {}

impl Hash for Datum {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Datum::Map(m) if !m.is_empty() => m.hash(state),
            other => other.as_set().hash(state),
        }
    }
}

impl From<Atom> for Datum {
    fn from(a: Atom) -> Self {
        Datum::Atom(a)
    }
}
impl From<&str> for Datum {
    fn from(v: &str) -> Self {
        Datum::Atom(Atom::from(v))
    }
}
impl From<String> for Datum {
    fn from(v: String) -> Self {
        Datum::Atom(Atom::from(v))
    }
}
impl From<i64> for Datum {
    fn from(v: i64) -> Self {
        Datum::Atom(Atom::Integer(v))
    }
}
impl From<bool> for Datum {
    fn from(v: bool) -> Self {
        Datum::Atom(Atom::Boolean(v))
    }
}
impl From<crate::Uuid> for Datum {
    fn from(v: crate::Uuid) -> Self {
        Datum::Atom(Atom::Uuid(v))
    }
}

impl fmt::Debug for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `ovsdb-client`'s list format: `x`, `[]`, `[a, b]`, `{k=v, k2=v2}`.
impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Datum::Atom(a) => write!(f, "{a}"),
            Datum::Set(s) => {
                f.write_str("[")?;
                for (i, a) in s.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str("]")
            }
            Datum::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn one_element_set_is_inline() {
        assert!(matches!(Datum::set(["a"]), Datum::Atom(_)));
        assert_eq!(Datum::set(["a", "a"]), Datum::from("a"));
        assert!(
            std::mem::size_of::<Datum>() <= 32,
            "{}",
            std::mem::size_of::<Datum>()
        );
    }

    #[test]
    fn map_lookup() {
        let m = Datum::map([("b", "2"), ("a", "1")]);
        assert_eq!(m.get_str("a"), Some("1"));
        assert_eq!(m.get_str("c"), None);
        assert_eq!(m.to_string(), "{a=\"1\", b=\"2\"}");
    }

    #[test]
    fn map_diff_golden() {
        // From ovsdb-server: {a=1,b=2} -> {b=3,c=4} is sent as the diff {a=1,b=3,c=4}.
        let old = Datum::map([("a", "1"), ("b", "2")]);
        let new = Datum::map([("b", "3"), ("c", "4")]);
        let d = old.diff(&new);
        assert_eq!(d, Datum::map([("a", "1"), ("b", "3"), ("c", "4")]));
        assert_eq!(old.apply_diff(&d), new);
    }

    fn small_set() -> impl Strategy<Value = Datum> {
        proptest::collection::vec(0i64..8, 0..6).prop_map(Datum::set)
    }
    fn small_map() -> impl Strategy<Value = Datum> {
        proptest::collection::vec((0i64..6, 0i64..3), 0..6).prop_map(Datum::map)
    }

    proptest! {
        #[test]
        fn set_diff_apply(a in small_set(), b in small_set()) {
            prop_assert_eq!(a.apply_diff(&a.diff(&b)), b);
        }
        #[test]
        fn map_diff_apply(a in small_map(), b in small_map()) {
            prop_assert_eq!(a.apply_diff(&a.diff(&b)), b);
        }
    }
}
