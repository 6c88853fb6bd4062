//! Typed access to JSON object members whose errors name the member (serde's `from_value` loses the path).

use serde_json::{Map, Value};

use crate::error::CniError;

/// A JSON object being read, with the dotted path of the object itself for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    pub map: &'a Map<String, Value>,
    pub path: &'a str,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>, path: &'a str) -> Self {
        Fields { map, path }
    }

    pub fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn err(&self, key: &str, reason: impl Into<String>) -> CniError {
        CniError::invalid_conf(self.name(key), reason)
    }

    /// A member that is absent or `null` reads as `None`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, CniError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(key, format!("must be a string, not {}", kind(other)))),
        }
    }

    pub fn req_str(&self, key: &str) -> Result<&'a str, CniError> {
        match self.opt_str(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            Some(_) => Err(self.err(key, "must not be empty")),
            None => Err(self.err(key, "is required")),
        }
    }

    /// A non-empty string when present.
    pub fn opt_nonempty(&self, key: &str) -> Result<Option<&'a str>, CniError> {
        match self.opt_str(key)? {
            Some("") => Err(self.err(key, "must not be empty")),
            other => Ok(other),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, CniError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(key, format!("must be a boolean, not {}", kind(other)))),
        }
    }

    pub fn opt_u32(&self, key: &str, min: u32, max: u32) -> Result<Option<u32>, CniError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(self.err(
                    key,
                    format!("must be an integer from {min} to {max}, not {n}"),
                )),
            },
            Some(other) => Err(self.err(key, format!("must be a number, not {}", kind(other)))),
        }
    }

    pub fn opt_object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, CniError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(self.err(key, format!("must be an object, not {}", kind(other)))),
        }
    }

    pub fn opt_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, CniError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(self.err(key, format!("must be an array, not {}", kind(other)))),
        }
    }

    /// An array of strings; `None` when absent.
    pub fn opt_str_array(&self, key: &str) -> Result<Option<Vec<&'a str>>, CniError> {
        let Some(items) = self.opt_array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                other => Err(CniError::invalid_conf(
                    format!("{}[{i}]", self.name(key)),
                    format!("must be a string, not {}", kind(other)),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Parses a string member with `parse`, naming the member on failure.
    pub fn opt_parsed<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, CniError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => parse(s).map(Some).map_err(|r| self.err(key, r)),
        }
    }
}

/// An element of an array of objects, as `Fields` named `parent[i]`.
/// A named element of an array of objects.
pub(crate) type NamedObject<'a> = (String, &'a Map<String, Value>);

pub(crate) fn array_objects<'a>(
    items: &'a [Value],
    parent: &str,
) -> Result<Vec<NamedObject<'a>>, CniError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = format!("{parent}[{i}]");
            match v {
                Value::Object(m) => Ok((name, m)),
                other => Err(CniError::invalid_conf(
                    name,
                    format!("must be an object, not {}", kind(other)),
                )),
            }
        })
        .collect()
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes bytes into a JSON object (code 6 when it is not JSON or not an object).
pub(crate) fn decode_object(
    bytes: &[u8],
    what: &'static str,
) -> Result<Map<String, Value>, CniError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(CniError::Decode {
            what,
            reason: format!("expected a JSON object, found {}", kind(&other)),
        }),
        Err(e) => Err(CniError::Decode {
            what,
            reason: e.to_string(),
        }),
    }
}
