//! RFC 7047 §5.1 JSON forms of atoms and values: `["set", …]`, `["map", …]`, `["uuid", …]`,
//! `["named-uuid", …]`.
//!
//! Decoding is a serde [`DeserializeSeed`] driven by the column type, so large server messages are
//! decoded straight from the bytes into [`Datum`]s without building a `serde_json::Value` tree;
//! the same seed decodes a `Value` when one is already at hand.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserializer, Serialize};
use serde_json::Value;

use crate::atom::{Atom, AtomType};
use crate::datum::Datum;
use crate::schema::{BaseType, ColumnType};
use crate::uuid::Uuid;

/// A JSON value does not have the form its column type requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

/// Decodes a value of column type `ty`, checking the type's constraints.
pub fn datum_from_json(v: &Value, ty: &ColumnType) -> Result<Datum, JsonError> {
    DatumSeed {
        ty,
        diff: false,
        interner: None,
    }
    .deserialize(v)
    .map_err(|e| JsonError(e.to_string()))
}

/// Decodes an atom of base type `ty`, checking its constraints.
pub fn atom_from_json(v: &Value, ty: &BaseType) -> Result<Atom, JsonError> {
    AtomSeed { ty, interner: None }
        .deserialize(v)
        .map_err(|e| JsonError(e.to_string()))
}

/// Encodes a value in its RFC 7047 form.
pub fn datum_to_json(d: &Datum) -> Value {
    // Serializing our own types into a Value cannot fail (no maps with non-string keys).
    serde_json::to_value(d).unwrap_or(Value::Null)
}

/// Encodes an atom in its RFC 7047 form.
pub fn atom_to_json(a: &Atom) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

/// Decodes a value without a schema (for tools): numbers, booleans and strings become atoms,
/// `["uuid", …]`, `["set", …]` and `["map", …]` their values.
pub fn datum_from_json_untyped(v: &Value) -> Result<Datum, JsonError> {
    match v {
        Value::Array(a) if a.first().and_then(Value::as_str) == Some("set") => {
            let elems = a
                .get(1)
                .and_then(Value::as_array)
                .ok_or_else(|| JsonError("malformed [\"set\", …]".into()))?;
            Ok(Datum::set(
                elems
                    .iter()
                    .map(atom_from_json_untyped)
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        }
        Value::Array(a) if a.first().and_then(Value::as_str) == Some("map") => {
            let elems = a
                .get(1)
                .and_then(Value::as_array)
                .ok_or_else(|| JsonError("malformed [\"map\", …]".into()))?;
            let mut pairs = Vec::new();
            for p in elems {
                match p.as_array().map(Vec::as_slice) {
                    Some([k, v]) => {
                        pairs.push((atom_from_json_untyped(k)?, atom_from_json_untyped(v)?));
                    }
                    _ => return Err(JsonError("map pair is not a 2-element array".into())),
                }
            }
            Ok(Datum::map(pairs))
        }
        other => Ok(Datum::Atom(atom_from_json_untyped(other)?)),
    }
}

fn atom_from_json_untyped(v: &Value) -> Result<Atom, JsonError> {
    match v {
        Value::Bool(b) => Ok(Atom::Boolean(*b)),
        Value::String(s) => Ok(Atom::string(s.as_str())),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(Atom::Integer(i)),
            None => n
                .as_f64()
                .map(Atom::Real)
                .ok_or_else(|| JsonError(format!("bad number {n}"))),
        },
        Value::Array(a) => match a.as_slice() {
            [Value::String(t), Value::String(u)] if t == "uuid" => Uuid::parse(u)
                .map(Atom::Uuid)
                .map_err(|e| JsonError(e.to_string())),
            [Value::String(t), Value::String(u)] if t == "named-uuid" => {
                Ok(Atom::named_uuid(u.as_str()))
            }
            _ => Err(JsonError(format!("not an atom: {}", short(v)))),
        },
        _ => Err(JsonError(format!("not an atom: {}", short(v)))),
    }
}

/// A value's JSON text, cut short for error messages.
pub(crate) fn short(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

// === Serialize ===

impl Serialize for Atom {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Atom::Integer(v) => s.serialize_i64(*v),
            Atom::Real(v) => s.serialize_f64(*v),
            Atom::Boolean(v) => s.serialize_bool(*v),
            Atom::String(v) => s.serialize_str(v),
            Atom::Uuid(u) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("uuid")?;
                seq.serialize_element(&u.to_string())?;
                seq.end()
            }
            Atom::NamedUuid(n) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("named-uuid")?;
                seq.serialize_element(&**n)?;
                seq.end()
            }
        }
    }
}

struct Pairs<'a>(&'a [(Atom, Atom)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (k, v) in self.0 {
            seq.serialize_element(&(k, v))?;
        }
        seq.end()
    }
}

impl Serialize for Datum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Datum::Atom(a) => a.serialize(s),
            Datum::Set(v) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("set")?;
                seq.serialize_element(&**v)?;
                seq.end()
            }
            Datum::Map(m) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("map")?;
                seq.serialize_element(&Pairs(m))?;
                seq.end()
            }
        }
    }
}

// === Deserialize ===

/// Decodes one value of a column type (checking constraints).
#[derive(Debug, Clone, Copy)]
pub struct DatumSeed<'t> {
    /// The column type.
    pub ty: &'t ColumnType,
    /// The value is an `update2` diff: element-count bounds do not apply (a diff of an optional
    /// column may hold the old and the new atom).
    pub diff: bool,
    /// Shares repeated short strings.
    pub interner: Option<&'t Interner>,
}

/// Decodes one atom of a base type (checking constraints).
#[derive(Debug, Clone, Copy)]
pub struct AtomSeed<'t> {
    /// The base type.
    pub ty: &'t BaseType,
    /// Shares repeated short strings.
    pub interner: Option<&'t Interner>,
}

/// Shares the text of repeated short strings (column values like `"ingress"`, map keys like
/// `"stage-name"`) among the atoms decoded from one message, so a 300k-row dump does not
/// allocate the same few words a million times.
#[derive(Debug, Default)]
pub struct Interner {
    set: std::cell::RefCell<std::collections::HashSet<Arc<str>>>,
}

impl Interner {
    /// Strings longer than this are assumed unique (match expressions) and not looked up.
    pub const MAX_LEN: usize = 40;

    /// The shared copy of `s`.
    pub fn intern(&self, s: &str) -> Arc<str> {
        if s.len() > Self::MAX_LEN {
            return Arc::from(s);
        }
        let mut set = self.set.borrow_mut();
        if let Some(a) = set.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        set.insert(a.clone());
        a
    }
}

fn check_atom<E: de::Error>(ty: &BaseType, a: Atom) -> Result<Atom, E> {
    ty.check(&a).map_err(E::custom)?;
    Ok(a)
}

impl<'de> DeserializeSeed<'de> for AtomSeed<'_> {
    type Value = Atom;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Atom, D::Error> {
        d.deserialize_any(AtomVisitor {
            ty: self.ty.atom,
            interner: self.interner,
        })
        .and_then(|a| check_atom(self.ty, a))
    }
}

struct AtomVisitor<'t> {
    ty: AtomType,
    interner: Option<&'t Interner>,
}

impl<'de> Visitor<'de> for AtomVisitor<'_> {
    type Value = Atom;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            AtomType::Uuid => f.write_str("[\"uuid\", <uuid>]"),
            t => write!(f, "{t}"),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Atom, E> {
        match self.ty {
            AtomType::Integer => Ok(Atom::Integer(v)),
            // i64 -> f64 is the JSON number's own meaning; precision loss matches ovsdb-server.
            #[allow(clippy::cast_precision_loss)]
            AtomType::Real => Ok(Atom::Real(v as f64)),
            _ => Err(E::invalid_type(de::Unexpected::Signed(v), &self)),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Atom, E> {
        match self.ty {
            AtomType::Integer => i64::try_from(v)
                .map(Atom::Integer)
                .map_err(|_| E::custom(format!("integer {v} out of range"))),
            #[allow(clippy::cast_precision_loss)]
            AtomType::Real => Ok(Atom::Real(v as f64)),
            _ => Err(E::invalid_type(de::Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Atom, E> {
        match self.ty {
            AtomType::Real => Ok(Atom::Real(v)),
            _ => Err(E::invalid_type(de::Unexpected::Float(v), &self)),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Atom, E> {
        match self.ty {
            AtomType::Boolean => Ok(Atom::Boolean(v)),
            _ => Err(E::invalid_type(de::Unexpected::Bool(v), &self)),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Atom, E> {
        match self.ty {
            AtomType::String => Ok(Atom::String(match self.interner {
                Some(i) => i.intern(v),
                None => Arc::from(v),
            })),
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Atom, A::Error> {
        let tag: TagBuf = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let atom = atom_from_tagged(&tag.0, &mut seq, &self)?;
        if atom.atom_type() != self.ty {
            return Err(de::Error::custom(format!(
                "expected {}, got {:?}",
                self.ty, atom
            )));
        }
        Ok(atom)
    }
}

// Reads the second element of `["uuid", "…"]` / `["named-uuid", "…"]` and the end of the array.
fn atom_from_tagged<'de, A: SeqAccess<'de>>(
    tag: &str,
    seq: &mut A,
    exp: &dyn de::Expected,
) -> Result<Atom, A::Error> {
    let body: TagBuf = seq
        .next_element()?
        .ok_or_else(|| de::Error::invalid_length(1, exp))?;
    let atom = match tag {
        "uuid" => Atom::Uuid(Uuid::parse(&body.0).map_err(de::Error::custom)?),
        "named-uuid" => Atom::NamedUuid(Arc::from(body.0.as_str())),
        other => {
            return Err(de::Error::custom(format!(
                "unknown atom form [{other:?}, …]"
            )));
        }
    };
    if seq.next_element::<IgnoredAny>()?.is_some() {
        return Err(de::Error::invalid_length(3, exp));
    }
    Ok(atom)
}

// A short owned string (tags and uuid text); serde_json may not be able to lend borrowed strings.
struct TagBuf(String);

impl<'de> de::Deserialize<'de> for TagBuf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TagBuf;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TagBuf, E> {
                Ok(TagBuf(v.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> DeserializeSeed<'de> for DatumSeed<'_> {
    type Value = Datum;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Datum, D::Error> {
        let datum = d.deserialize_any(DatumVisitor {
            ty: self.ty,
            interner: self.interner,
        })?;
        if self.diff {
            self.ty.check_atoms(&datum).map_err(de::Error::custom)?;
        } else {
            self.ty.check(&datum).map_err(de::Error::custom)?;
        }
        Ok(datum)
    }
}

struct DatumVisitor<'t> {
    ty: &'t ColumnType,
    interner: Option<&'t Interner>,
}

impl DatumVisitor<'_> {
    fn atom_visitor(&self) -> AtomVisitor<'_> {
        AtomVisitor {
            ty: self.ty.key.atom,
            interner: self.interner,
        }
    }
    fn scalar<E: de::Error>(&self, r: Result<Atom, E>) -> Result<Datum, E> {
        if self.ty.is_map() {
            return Err(E::custom("expected [\"map\", …]"));
        }
        r.map(Datum::Atom)
    }
}

impl<'de> Visitor<'de> for DatumVisitor<'_> {
    type Value = Datum;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of type {}", self.ty)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Datum, E> {
        self.scalar(self.atom_visitor().visit_i64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Datum, E> {
        self.scalar(self.atom_visitor().visit_u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Datum, E> {
        self.scalar(self.atom_visitor().visit_f64(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Datum, E> {
        self.scalar(self.atom_visitor().visit_bool(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Datum, E> {
        self.scalar(self.atom_visitor().visit_str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Datum, A::Error> {
        let tag: TagBuf = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let datum = match tag.0.as_str() {
            "set" => {
                if self.ty.is_map() {
                    // Tolerated only for the empty map (some writers use ["set", []]).
                    let n = seq
                        .next_element_seed(AtomsSeed {
                            ty: &self.ty.key,
                            interner: self.interner,
                        })?
                        .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                    if !n.is_empty() {
                        return Err(de::Error::custom("expected [\"map\", …]"));
                    }
                    Datum::empty_map()
                } else {
                    let mut atoms = seq
                        .next_element_seed(AtomsSeed {
                            ty: &self.ty.key,
                            interner: self.interner,
                        })?
                        .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                    atoms.sort();
                    if atoms.windows(2).any(|w| w.first() == w.get(1)) {
                        return Err(de::Error::custom("set contains duplicate values"));
                    }
                    Datum::from_sorted_set(atoms)
                }
            }
            "map" => {
                let (Some(vt), kt) = (&self.ty.value, &self.ty.key) else {
                    return Err(de::Error::custom(format!(
                        "expected a value of type {}, got [\"map\", …]",
                        self.ty
                    )));
                };
                let mut pairs = seq
                    .next_element_seed(PairsSeed {
                        key: kt,
                        value: vt,
                        interner: self.interner,
                    })?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                if pairs
                    .windows(2)
                    .any(|w| w.first().map(|p| &p.0) == w.get(1).map(|p| &p.0))
                {
                    return Err(de::Error::custom("map contains duplicate keys"));
                }
                Datum::Map(pairs.into_boxed_slice())
            }
            other => {
                let atom = atom_from_tagged(other, &mut seq, &self)?;
                if self.ty.is_map() || atom.atom_type() != self.ty.key.atom {
                    return Err(de::Error::custom(format!(
                        "expected a value of type {}, got {atom:?}",
                        self.ty
                    )));
                }
                return Ok(Datum::Atom(check_atom(&self.ty.key, atom)?));
            }
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(datum)
    }
}

struct AtomsSeed<'t> {
    ty: &'t BaseType,
    interner: Option<&'t Interner>,
}

impl<'de> DeserializeSeed<'de> for AtomsSeed<'_> {
    type Value = Vec<Atom>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Atom>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for AtomsSeed<'_> {
    type Value = Vec<Atom>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.ty.atom)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Atom>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(a) = seq.next_element_seed(AtomSeed {
            ty: self.ty,
            interner: self.interner,
        })? {
            out.push(a);
        }
        Ok(out)
    }
}

struct PairsSeed<'t> {
    key: &'t BaseType,
    value: &'t BaseType,
    interner: Option<&'t Interner>,
}

impl<'de> DeserializeSeed<'de> for PairsSeed<'_> {
    type Value = Vec<(Atom, Atom)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PairsSeed<'_> {
    type Value = Vec<(Atom, Atom)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an array of [{}, {}] pairs",
            self.key.atom, self.value.atom
        )
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(p) = seq.next_element_seed(PairSeed {
            key: self.key,
            value: self.value,
            interner: self.interner,
        })? {
            out.push(p);
        }
        Ok(out)
    }
}

struct PairSeed<'t> {
    key: &'t BaseType,
    value: &'t BaseType,
    interner: Option<&'t Interner>,
}

impl<'de> DeserializeSeed<'de> for PairSeed<'_> {
    type Value = (Atom, Atom);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PairSeed<'_> {
    type Value = (Atom, Atom);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a [{}, {}] pair", self.key.atom, self.value.atom)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let k = seq
            .next_element_seed(AtomSeed {
                ty: self.key,
                interner: self.interner,
            })?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let v = seq
            .next_element_seed(AtomSeed {
                ty: self.value,
                interner: self.interner,
            })?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok((k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnType;
    use proptest::prelude::*;
    use serde_json::json;

    fn ty(v: Value) -> ColumnType {
        ColumnType::from_json(&v).unwrap()
    }

    #[test]
    fn golden_forms() {
        let u = "550e8400-e29b-41d4-a716-446655440000";
        let cases = [
            (json!("integer"), json!(42)),
            (json!("real"), json!(1.5)),
            (json!("boolean"), json!(true)),
            (json!("string"), json!("br-int")),
            (json!("uuid"), json!(["uuid", u])),
            (
                json!({"key": "string", "min": 0, "max": "unlimited"}),
                json!(["set", []]),
            ),
            (
                json!({"key": "string", "min": 0, "max": "unlimited"}),
                json!("a"),
            ),
            (
                json!({"key": "string", "min": 0, "max": "unlimited"}),
                json!(["set", ["a", "b"]]),
            ),
            (
                json!({"key": "uuid", "min": 0, "max": "unlimited"}),
                json!(["set", [["uuid", u], ["named-uuid", "x"]]]),
            ),
            (
                json!({"key": "string", "value": "string", "min": 0, "max": "unlimited"}),
                json!(["map", [["a", "1"], ["b", "2"]]]),
            ),
            (
                json!({"key": "string", "value": "string", "min": 0, "max": "unlimited"}),
                json!(["map", []]),
            ),
        ];
        for (t, v) in cases {
            let t = ty(t);
            let d = datum_from_json(&v, &t).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(datum_to_json(&d), v, "type {t}");
        }
    }

    #[test]
    fn sorts_and_converts() {
        let t = ty(json!({"key": "integer", "min": 0, "max": "unlimited"}));
        let d = datum_from_json(&json!(["set", [3, 1, 2]]), &t).unwrap();
        assert_eq!(datum_to_json(&d), json!(["set", [1, 2, 3]]));
        let r = ty(json!("real"));
        assert_eq!(
            datum_from_json(&json!(2), &r).unwrap(),
            Datum::Atom(Atom::Real(2.0))
        );
    }

    #[test]
    fn errors_are_clear() {
        let t = ty(json!({"key": {"type": "integer", "maxInteger": 4095}, "min": 0, "max": 1}));
        let e = datum_from_json(&json!(5000), &t).unwrap_err();
        assert!(e.0.contains("out of range"), "{e}");
        let e = datum_from_json(&json!("x"), &t).unwrap_err();
        assert!(e.0.contains("integer"), "{e}");
        let e = datum_from_json(&json!(["set", [1, 2]]), &t).unwrap_err();
        assert!(e.0.contains("elements"), "{e}");
        let e = datum_from_json(
            &json!(["set", [1, 1]]),
            &ty(json!({"key": "integer", "min": 0, "max": 9})),
        )
        .unwrap_err();
        assert!(e.0.contains("duplicate"), "{e}");
        let e = datum_from_json(&json!(["uuid", "nope"]), &ty(json!("uuid"))).unwrap_err();
        assert!(e.0.contains("uuid"), "{e}");
        let e = datum_from_json(
            &json!(["map", [["a"]]]),
            &ty(json!({"key": "string", "value": "string"})),
        )
        .unwrap_err();
        assert!(e.0.contains("length"), "{e}");
    }

    #[test]
    fn untyped() {
        let d = datum_from_json_untyped(&json!(["map", [["k", 1]]])).unwrap();
        assert_eq!(d, Datum::map([("k", 1i64)]));
        assert!(datum_from_json_untyped(&json!({"x": 1})).is_err());
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            "[a-z-]{0,6}".prop_map(Value::String),
            Just(json!("set")),
            Just(json!("map")),
            Just(json!("uuid")),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-z]{1,3}", inner), 0..3)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_json_never_panics(v in any_json()) {
            for t in [json!("integer"), json!("uuid"), json!({"key": "string", "min": 0, "max": "unlimited"}),
                      json!({"key": "string", "value": "integer", "min": 0, "max": "unlimited"})] {
                let t = ty(t);
                if let Ok(d) = datum_from_json(&v, &t) {
                    prop_assert_eq!(datum_from_json(&datum_to_json(&d), &t).unwrap(), d);
                }
            }
            let _ = datum_from_json_untyped(&v);
        }
    }
}
