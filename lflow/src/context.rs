//! `Context`: what a chassis provides when compiling logical flows — logical port name → tunnel
//! key, which ports are resident on this chassis, address sets, port groups (stored under the SB
//! name `<datapath tunnel key>_<name>`, as OVN does), and template variables.
//!
//! `Context::from_json` loads the JSON form used by `ovn-agent lflow --context FILE` and by
//! `lflow/tests/upstream-context.json` (upstream test-ovn's fixed context).  Top-level keys read
//! here: `ports` (object name → key), `chassis_resident` (array; if absent, every port in `ports`
//! is resident, as in test-ovn), `address_sets` (object name → array of constants as text),
//! `port_groups` (object SB name → array of port names), `template_vars` (object name → text).
//! Other top-level keys belong to the actions section (below) and are ignored here.

use std::collections::{HashMap, HashSet};

use crate::expr::{IntConst, parse_address_set};

/// Errors loading a context.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// Not JSON.
    #[error("context is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A key has the wrong shape.
    #[error("context key `{key}`: {problem}")]
    Shape {
        /// The key.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// The compile context.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Logical port name → tunnel key (what `inport == "p"` matches in reg14/reg15).
    pub ports: HashMap<String, u32>,
    /// Logical ports resident on this chassis (`is_chassis_resident`).
    pub chassis_resident: HashSet<String>,
    /// Address sets by name (without `$`), members parsed and sorted as upstream does.
    pub address_sets: HashMap<String, Vec<IntConst>>,
    /// Port groups by SB name (`<dp key>_<name>`; bare names also work, as a fallback).
    pub port_groups: HashMap<String, Vec<Box<str>>>,
    /// Template variables (`^name`) for this chassis.
    pub template_vars: HashMap<String, String>,
    /// Datapath tunnel key of ports in `ports`, when known: ovn-controller only resolves a port
    /// name on the datapath it belongs to.
    pub port_datapath: HashMap<String, i64>,
    /// Multicast groups by (datapath tunnel key, name) → tunnel key (the fallback of port
    /// lookups, as in ovn-controller).
    pub multicast_groups: HashMap<(i64, String), u32>,
    /// Resolve the port name `none` to 0, as ovn-controller does (upstream's test driver
    /// does not).
    pub none_port_is_zero: bool,
    // ---------------------------------------------------------------------------------------
    // Actions section (owned by the actions work): DHCP/ND option tables, group/meter/collector
    // tables, current table and table counts.  Add fields below this line.
    // ---------------------------------------------------------------------------------------
}

impl Context {
    /// An empty context (no ports, sets or groups).
    pub fn new() -> Self {
        Context::default()
    }

    /// The tunnel key of logical port `name`.
    #[inline]
    pub fn port_key(&self, name: &str) -> Option<u32> {
        self.ports.get(name).copied()
    }

    /// The key that `inport`/`outport == "name"` matches on datapath `dp` (ovn-controller's
    /// `lookup_port_cb`): `none` → 0 if enabled, a port of that datapath, else a multicast group
    /// of that datapath.
    pub fn port_key_on(&self, dp: i64, name: &str) -> Option<u32> {
        if self.none_port_is_zero && name == "none" {
            return Some(0);
        }
        if let Some(&key) = self.ports.get(name)
            && self.port_datapath.get(name).is_none_or(|&d| d == dp)
        {
            return Some(key);
        }
        if self.multicast_groups.is_empty() {
            return None;
        }
        self.multicast_groups.get(&(dp, name.to_string())).copied()
    }

    /// A context with ovn-controller's port-name conventions (`none` is port 0).
    pub fn for_chassis() -> Self {
        Context {
            none_port_is_zero: true,
            ..Context::default()
        }
    }

    /// True if `port` is resident on this chassis.
    #[inline]
    pub fn is_chassis_resident(&self, port: &str) -> bool {
        self.chassis_resident.contains(port)
    }

    /// The members of address set `name`.
    #[inline]
    pub fn address_set(&self, name: &str) -> Option<&[IntConst]> {
        self.address_sets.get(name).map(Vec::as_slice)
    }

    /// The members of the port group stored under `sb_name`.
    #[inline]
    pub fn port_group(&self, sb_name: &str) -> Option<&[Box<str>]> {
        self.port_groups.get(sb_name).map(Vec::as_slice)
    }

    /// Adds address set `name` from textual members (non-integers are skipped, as upstream).
    pub fn add_address_set<'s>(&mut self, name: &str, members: impl IntoIterator<Item = &'s str>) {
        self.address_sets
            .insert(name.to_string(), parse_address_set(members));
    }

    /// Adds a port group under its SB name.
    pub fn add_port_group<'s>(&mut self, sb_name: &str, ports: impl IntoIterator<Item = &'s str>) {
        self.port_groups.insert(
            sb_name.to_string(),
            ports.into_iter().map(Into::into).collect(),
        );
    }

    /// Adds a port group keeping only the ports `keep` accepts — ovn-controller keeps only the
    /// ports related to its chassis (`expr_const_sets_add_strings` with its related-lports
    /// filter), so `outport == @pg` only matches those.
    pub fn add_port_group_filtered<'s>(
        &mut self,
        sb_name: &str,
        ports: impl IntoIterator<Item = &'s str>,
        keep: &dyn Fn(&str) -> bool,
    ) {
        let v = ports
            .into_iter()
            .filter(|p| keep(p))
            .map(Into::into)
            .collect();
        self.port_groups.insert(sb_name.to_string(), v);
    }

    /// Loads a context from JSON text (see the module documentation for the keys).
    pub fn from_json(text: &str) -> Result<Context, ContextError> {
        let v: serde_json::Value = serde_json::from_str(text)?;
        let mut ctx = Context::new();
        let shape = |key: &str, problem: &str| ContextError::Shape {
            key: key.to_string(),
            problem: problem.to_string(),
        };
        if let Some(ports) = v.get("ports") {
            let obj = ports
                .as_object()
                .ok_or_else(|| shape("ports", "must be an object"))?;
            for (name, key) in obj {
                let key = key
                    .as_u64()
                    .and_then(|k| u32::try_from(k).ok())
                    .ok_or_else(|| {
                        shape("ports", &format!("key of {name} must be a 32-bit integer"))
                    })?;
                ctx.ports.insert(name.clone(), key);
            }
        }
        match v.get("chassis_resident") {
            Some(list) => {
                for p in string_list(list)
                    .ok_or_else(|| shape("chassis_resident", "must be an array of strings"))?
                {
                    ctx.chassis_resident.insert(p.to_string());
                }
            }
            None => ctx.chassis_resident = ctx.ports.keys().cloned().collect(),
        }
        if let Some(sets) = v.get("address_sets") {
            let obj = sets
                .as_object()
                .ok_or_else(|| shape("address_sets", "must be an object"))?;
            for (name, members) in obj {
                let m = string_list(members).ok_or_else(|| {
                    shape(
                        "address_sets",
                        &format!("{name} must be an array of strings"),
                    )
                })?;
                ctx.add_address_set(name, m);
            }
        }
        if let Some(groups) = v.get("port_groups") {
            let obj = groups
                .as_object()
                .ok_or_else(|| shape("port_groups", "must be an object"))?;
            for (name, members) in obj {
                let m = string_list(members).ok_or_else(|| {
                    shape(
                        "port_groups",
                        &format!("{name} must be an array of strings"),
                    )
                })?;
                ctx.add_port_group(name, m);
            }
        }
        if let Some(vars) = v.get("template_vars") {
            let obj = vars
                .as_object()
                .ok_or_else(|| shape("template_vars", "must be an object"))?;
            for (name, val) in obj {
                let s = val
                    .as_str()
                    .ok_or_else(|| shape("template_vars", &format!("{name} must be a string")))?;
                ctx.template_vars.insert(name.clone(), s.to_string());
            }
        }
        // Actions section: parse the actions' keys of `v` into `ctx` here.
        Ok(ctx)
    }
}

fn string_list(v: &serde_json::Value) -> Option<Vec<&str>> {
    v.as_array()?
        .iter()
        .map(serde_json::Value::as_str)
        .collect()
}
