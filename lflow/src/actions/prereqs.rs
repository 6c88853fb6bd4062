//! Prerequisites that actions add to their flow's match (upstream `add_prerequisite` and the
//! field prerequisites collected by `expr_field_parse`).
//!
//! Upstream re-parses the prerequisite text every time; ovn-controller compiles 100k+ flows,
//! so [`PrereqCache`] memoizes the parsed (and annotated) expressions per symbol table.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::expr::{self, Expr, ParseEnv};
use crate::symtab::Symtab;

fn env(symtab: &Symtab) -> ParseEnv<'_> {
    ParseEnv {
        symtab,
        ctx: None,
        dp_id: 0,
    }
}

/// Parses a built-in prerequisite such as `ip4` without annotating it (upstream
/// `add_prerequisite`, which asserts that it parses).
pub fn parse_plain(symtab: &Symtab, text: &str) -> Option<Expr> {
    expr::parse_string(text, env(symtab), None).ok()
}

/// Parses and annotates a symbol's prerequisite text (upstream `parse_and_annotate`), with
/// upstream's error wrapping.
pub fn parse_and_annotate(symtab: &Symtab, text: &str) -> Result<Expr, String> {
    expr::parse_string(text, env(symtab), None)
        .and_then(|e| expr::annotate(e, symtab))
        .map_err(|e| {
            format!(
                "Error parsing expression `{text}' encountered as prerequisite or predicate of \
             initial expression: {}",
                e.message
            )
        })
}

type Key = (usize, bool, Box<str>);

/// Memoized prerequisite expressions, keyed by symbol table identity and text.  Cloning gives
/// an empty cache.
#[derive(Default)]
pub struct PrereqCache {
    map: Mutex<HashMap<Key, Result<Option<Expr>, String>>>,
}

impl Clone for PrereqCache {
    fn clone(&self) -> Self {
        PrereqCache::default()
    }
}

impl std::fmt::Debug for PrereqCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.map.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("PrereqCache").field("entries", &n).finish()
    }
}

impl PrereqCache {
    /// An empty cache.
    pub fn new() -> Self {
        PrereqCache::default()
    }

    fn get_or(
        &self,
        symtab: &Symtab,
        annotated: bool,
        text: &str,
        f: impl FnOnce() -> Result<Option<Expr>, String>,
    ) -> Result<Option<Expr>, String> {
        let key: Key = (symtab as *const Symtab as usize, annotated, text.into());
        if let Ok(m) = self.map.lock()
            && let Some(v) = m.get(&key)
        {
            return v.clone();
        }
        let v = f();
        if let Ok(mut m) = self.map.lock() {
            m.insert(key, v.clone());
        }
        v
    }

    /// [`parse_plain`], memoized.
    pub fn plain(&self, symtab: &Symtab, text: &str) -> Option<Expr> {
        self.get_or(symtab, false, text, || Ok(parse_plain(symtab, text)))
            .ok()
            .flatten()
    }

    /// [`parse_and_annotate`], memoized.
    pub fn annotated(&self, symtab: &Symtab, text: &str) -> Result<Expr, String> {
        match self.get_or(symtab, true, text, || {
            parse_and_annotate(symtab, text).map(Some)
        }) {
            Ok(Some(e)) => Ok(e),
            Ok(None) => Err(String::new()),
            Err(e) => Err(e),
        }
    }
}
