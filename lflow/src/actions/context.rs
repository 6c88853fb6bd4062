//! `ActionsContext`: what compiling actions needs beyond the symbol table — the option tables,
//! table layout, port lookups and datapath features (upstream `ovnact_parse_params` /
//! `ovnact_encode_params`), loadable from the `actions` key of a context JSON file such as
//! `lflow/tests/upstream-context.json`.
//!
//! JSON shape (every key optional; defaults are upstream test-ovn's values):
//! ```json
//! {"actions": {
//!   "ports": {"eth0": 5},            // logical port -> tunnel key (also used as tunnel ofport)
//!   "tunnel_ofports": {"eth0": 5},   // optional; defaults to `ports`
//!   "n_tables": 24, "cur_ltable": 10, "pipeline": "ingress",
//!   "tables": {"ingress": 8, "egress": 42, "output": 64, "mac_bind": 66, "mac_lookup": 67,
//!              "lb_hairpin": 68, "lb_hairpin_reply": 69, "ct_snat_vip": 70, "fdb": 71,
//!              "fdb_lookup": 72, "in_port_sec": 73, "out_port_sec": 75},
//!   "is_switch": true, "common_nat_ct_zone": "reg11",
//!   "lflow_uuid": "aaaaaaaa-bbbb-bbbb-cccc-ccccdddddddd", "dp_key": 11259375,
//!   "ctrl_meter_id": null, "collector_ids": [0, 200],
//!   "features": {"dp_meter": false, "ct_zero_snat": false, "dp_hash_l4_sym": false},
//!   "dhcp_opts": [["offerip", 0, "ipv4"]], "dhcpv6_opts": [...], "nd_ra_opts": [...],
//!   "controller_event_opts": {"empty_lb_backends": [["vip", 1, "str"]]}
//! }}
//! ```

use std::collections::HashMap;

use serde_json::Value;

use super::ast::{OptType, Pipeline};
use super::encode::{EncodeParams, PortLookup};
use super::mf::MfField;
use super::options::OptTable;
use super::parse::ParseParams;
use super::prereqs::PrereqCache;
use crate::symtab::Symtab;

/// Errors loading an actions context.
#[derive(Debug, thiserror::Error)]
pub enum ActionsContextError {
    /// Not JSON.
    #[error("context is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A key has the wrong shape.
    #[error("context key `actions.{key}`: {problem}")]
    Shape {
        /// The key.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// Table numbers (upstream `OFTABLE_*` as passed in `ovnact_encode_params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TableLayout {
    pub ingress: u8,
    pub egress: u8,
    pub output: u8,
    pub mac_bind: u8,
    pub mac_lookup: u8,
    pub lb_hairpin: u8,
    pub lb_hairpin_reply: u8,
    pub ct_snat_vip: u8,
    pub fdb: u8,
    pub fdb_lookup: u8,
    pub in_port_sec: u8,
    pub out_port_sec: u8,
}

impl Default for TableLayout {
    /// OVN 23.03.1's numbers as test-ovn passes them (`output` = `OFTABLE_SAVE_INPORT`).
    fn default() -> Self {
        TableLayout {
            ingress: 8,
            egress: 42,
            output: 64,
            mac_bind: 66,
            mac_lookup: 67,
            lb_hairpin: 68,
            lb_hairpin_reply: 69,
            ct_snat_vip: 70,
            fdb: 71,
            fdb_lookup: 72,
            in_port_sec: 73,
            out_port_sec: 75,
        }
    }
}

/// Everything actions need besides the symbol table.
#[derive(Debug, Clone)]
pub struct ActionsContext {
    /// Logical port → tunnel key.
    pub ports: HashMap<String, u32>,
    /// Logical port → tunnel OpenFlow port (`fwd_group(liveness=true)`).
    pub tunnel_ofports: HashMap<String, u32>,
    /// DHCPv4 options.
    pub dhcp_opts: OptTable,
    /// DHCPv6 options.
    pub dhcpv6_opts: OptTable,
    /// ND RA options.
    pub nd_ra_opts: OptTable,
    /// `empty_lb_backends` event options.
    pub event_opts: OptTable,
    /// Logical tables per pipeline.
    pub n_tables: u8,
    /// Current logical table.
    pub cur_ltable: u8,
    /// Pipeline.
    pub pipeline: Pipeline,
    /// OpenFlow tables.
    pub tables: TableLayout,
    /// Logical switch (true) or router.
    pub is_switch: bool,
    /// Zone of `ct_*_in_czone`.
    pub common_nat_ct_zone: MfField,
    /// Logical flow UUID parts.
    pub lflow_uuid: [u32; 4],
    /// Datapath tunnel key.
    pub dp_key: u32,
    /// Controller meter.
    pub ctrl_meter_id: Option<u32>,
    /// IPFIX collector sets (`None`: none configured).
    pub collector_ids: Option<Vec<u32>>,
    /// `OVS_DP_METER_SUPPORT`.
    pub dp_meter_support: bool,
    /// `OVS_CT_ZERO_SNAT_SUPPORT`.
    pub ct_zero_snat: bool,
    /// `OVS_DP_HASH_L4_SYM_SUPPORT`.
    pub dp_hash_l4_sym: bool,
    /// Memoized prerequisites (shared by every parse through [`ActionsContext::parse_params`]).
    pub prereq_cache: PrereqCache,
}

impl Default for ActionsContext {
    /// Upstream test-ovn's parameters.
    fn default() -> Self {
        let ports: HashMap<String, u32> =
            [("eth0", 5), ("eth1", 6), ("LOCAL", 0xfffe), ("lsp1", 0x11)]
                .into_iter()
                .map(|(n, k)| (n.to_string(), k))
                .collect();
        ActionsContext {
            tunnel_ofports: ports.clone(),
            ports,
            dhcp_opts: OptTable::dhcpv4_test(),
            dhcpv6_opts: OptTable::dhcpv6_test(),
            nd_ra_opts: OptTable::nd_ra(),
            event_opts: OptTable::empty_lb_backends(),
            n_tables: 24,
            cur_ltable: 10,
            pipeline: Pipeline::Ingress,
            tables: TableLayout::default(),
            is_switch: true,
            common_nat_ct_zone: MfField::LOG_DNAT_ZONE,
            lflow_uuid: [0xaaaa_aaaa, 0xbbbb_bbbb, 0xcccc_cccc, 0xdddd_dddd],
            dp_key: 0xab_cdef,
            ctrl_meter_id: None,
            collector_ids: Some(vec![0, 200]),
            dp_meter_support: false,
            ct_zero_snat: false,
            dp_hash_l4_sym: false,
            prereq_cache: PrereqCache::new(),
        }
    }
}

impl PortLookup for ActionsContext {
    fn port_key(&self, name: &str) -> Option<u32> {
        self.ports.get(name).copied()
    }
    fn tunnel_ofport(&self, name: &str) -> Option<u32> {
        self.tunnel_ofports.get(name).copied()
    }
}

fn shape(key: &str, problem: impl Into<String>) -> ActionsContextError {
    ActionsContextError::Shape {
        key: key.to_string(),
        problem: problem.into(),
    }
}

fn port_map(v: &Value, key: &str) -> Result<HashMap<String, u32>, ActionsContextError> {
    let obj = v
        .as_object()
        .ok_or_else(|| shape(key, "must be an object"))?;
    obj.iter()
        .map(|(n, k)| {
            let k = k
                .as_u64()
                .and_then(|k| u32::try_from(k).ok())
                .ok_or_else(|| shape(key, format!("value of {n} must be a 32-bit integer")))?;
            Ok((n.clone(), k))
        })
        .collect()
}

fn opt_table(v: &Value, key: &str) -> Result<OptTable, ActionsContextError> {
    let arr = v
        .as_array()
        .ok_or_else(|| shape(key, "must be an array of [name, code, type]"))?;
    let mut t = OptTable::new();
    for e in arr {
        let triple = e.as_array().filter(|a| a.len() == 3);
        let parsed = triple.and_then(|a| {
            let name = a[0].as_str()?;
            let code = u16::try_from(a[1].as_u64()?).ok()?;
            let ty = OptType::from_name(a[2].as_str()?)?;
            Some((name, code, ty))
        });
        let (name, code, ty) = parsed.ok_or_else(|| shape(key, format!("bad option entry {e}")))?;
        t.add(name, code, ty);
    }
    Ok(t)
}

fn u8_of(v: &Value, key: &str) -> Result<u8, ActionsContextError> {
    v.as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| shape(key, "must be an integer 0..=255"))
}

fn parse_uuid(s: &str) -> Option<[u32; 4]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    let v = u128::from_str_radix(&hex, 16).ok()?;
    Some([
        (v >> 96) as u32,
        (v >> 64) as u32,
        (v >> 32) as u32,
        v as u32,
    ])
}

impl ActionsContext {
    /// Loads the `actions` key of a context file (missing key or keys: upstream test-ovn's
    /// defaults).
    pub fn from_json(text: &str) -> Result<ActionsContext, ActionsContextError> {
        let v: Value = serde_json::from_str(text)?;
        let mut c = ActionsContext::default();
        let Some(a) = v.get("actions") else {
            return Ok(c);
        };
        if let Some(p) = a.get("ports") {
            c.ports = port_map(p, "ports")?;
            c.tunnel_ofports = c.ports.clone();
        }
        if let Some(p) = a.get("tunnel_ofports") {
            c.tunnel_ofports = port_map(p, "tunnel_ofports")?;
        }
        if let Some(n) = a.get("n_tables") {
            c.n_tables = u8_of(n, "n_tables")?;
        }
        if let Some(n) = a.get("cur_ltable") {
            c.cur_ltable = u8_of(n, "cur_ltable")?;
        }
        if let Some(p) = a.get("pipeline") {
            c.pipeline = match p.as_str() {
                Some("ingress") => Pipeline::Ingress,
                Some("egress") => Pipeline::Egress,
                _ => return Err(shape("pipeline", "must be \"ingress\" or \"egress\"")),
            };
        }
        if let Some(t) = a.get("tables") {
            let obj = t
                .as_object()
                .ok_or_else(|| shape("tables", "must be an object"))?;
            for (name, n) in obj {
                let key = format!("tables.{name}");
                let n = u8_of(n, &key)?;
                let slot = match name.as_str() {
                    "ingress" => &mut c.tables.ingress,
                    "egress" => &mut c.tables.egress,
                    "output" => &mut c.tables.output,
                    "mac_bind" => &mut c.tables.mac_bind,
                    "mac_lookup" => &mut c.tables.mac_lookup,
                    "lb_hairpin" => &mut c.tables.lb_hairpin,
                    "lb_hairpin_reply" => &mut c.tables.lb_hairpin_reply,
                    "ct_snat_vip" => &mut c.tables.ct_snat_vip,
                    "fdb" => &mut c.tables.fdb,
                    "fdb_lookup" => &mut c.tables.fdb_lookup,
                    "in_port_sec" => &mut c.tables.in_port_sec,
                    "out_port_sec" => &mut c.tables.out_port_sec,
                    _ => return Err(shape(&key, "unknown table")),
                };
                *slot = n;
            }
        }
        if let Some(b) = a.get("is_switch") {
            c.is_switch = b
                .as_bool()
                .ok_or_else(|| shape("is_switch", "must be a Boolean"))?;
        }
        if let Some(z) = a.get("common_nat_ct_zone") {
            c.common_nat_ct_zone = z.as_str().and_then(MfField::from_name).ok_or_else(|| {
                shape(
                    "common_nat_ct_zone",
                    "must name a register such as \"reg11\"",
                )
            })?;
        }
        if let Some(u) = a.get("lflow_uuid") {
            c.lflow_uuid = u
                .as_str()
                .and_then(parse_uuid)
                .ok_or_else(|| shape("lflow_uuid", "must be a UUID string"))?;
        }
        if let Some(k) = a.get("dp_key") {
            c.dp_key = k
                .as_u64()
                .and_then(|k| u32::try_from(k).ok())
                .ok_or_else(|| shape("dp_key", "must be a 32-bit integer"))?;
        }
        if let Some(m) = a.get("ctrl_meter_id") {
            c.ctrl_meter_id = match m {
                Value::Null => None,
                m => Some(
                    m.as_u64()
                        .and_then(|k| u32::try_from(k).ok())
                        .ok_or_else(|| {
                            shape("ctrl_meter_id", "must be null or a 32-bit integer")
                        })?,
                ),
            };
        }
        if let Some(ids) = a.get("collector_ids") {
            c.collector_ids = match ids {
                Value::Null => None,
                v => Some(
                    v.as_array()
                        .and_then(|a| {
                            a.iter()
                                .map(|x| x.as_u64().and_then(|x| u32::try_from(x).ok()))
                                .collect()
                        })
                        .ok_or_else(|| {
                            shape("collector_ids", "must be null or an array of integers")
                        })?,
                ),
            };
        }
        if let Some(f) = a.get("features") {
            let flag = |k: &str, d: bool| f.get(k).and_then(Value::as_bool).unwrap_or(d);
            c.dp_meter_support = flag("dp_meter", c.dp_meter_support);
            c.ct_zero_snat = flag("ct_zero_snat", c.ct_zero_snat);
            c.dp_hash_l4_sym = flag("dp_hash_l4_sym", c.dp_hash_l4_sym);
        }
        if let Some(t) = a.get("dhcp_opts") {
            c.dhcp_opts = opt_table(t, "dhcp_opts")?;
        }
        if let Some(t) = a.get("dhcpv6_opts") {
            c.dhcpv6_opts = opt_table(t, "dhcpv6_opts")?;
        }
        if let Some(t) = a.get("nd_ra_opts") {
            c.nd_ra_opts = opt_table(t, "nd_ra_opts")?;
        }
        if let Some(t) = a
            .get("controller_event_opts")
            .and_then(|ev| ev.get("empty_lb_backends"))
        {
            c.event_opts = opt_table(t, "controller_event_opts.empty_lb_backends")?;
        }
        Ok(c)
    }

    /// Parse parameters over `symtab`.
    pub fn parse_params<'a>(&'a self, symtab: &'a Symtab) -> ParseParams<'a> {
        ParseParams {
            symtab,
            dhcp_opts: &self.dhcp_opts,
            dhcpv6_opts: &self.dhcpv6_opts,
            nd_ra_opts: &self.nd_ra_opts,
            event_opts: &self.event_opts,
            n_tables: self.n_tables,
            cur_ltable: self.cur_ltable,
            pipeline: self.pipeline,
            prereq_cache: Some(&self.prereq_cache),
        }
    }

    /// Encode parameters.
    pub fn encode_params(&self) -> EncodeParams<'_> {
        let t = self.tables;
        EncodeParams {
            ports: self,
            is_switch: self.is_switch,
            pipeline: self.pipeline,
            ingress_ptable: t.ingress,
            egress_ptable: t.egress,
            output_ptable: t.output,
            mac_bind_ptable: t.mac_bind,
            mac_lookup_ptable: t.mac_lookup,
            lb_hairpin_ptable: t.lb_hairpin,
            lb_hairpin_reply_ptable: t.lb_hairpin_reply,
            ct_snat_vip_ptable: t.ct_snat_vip,
            fdb_ptable: t.fdb,
            fdb_lookup_ptable: t.fdb_lookup,
            in_port_sec_ptable: t.in_port_sec,
            out_port_sec_ptable: t.out_port_sec,
            common_nat_ct_zone: self.common_nat_ct_zone,
            lflow_uuid: self.lflow_uuid,
            dp_key: self.dp_key,
            ctrl_meter_id: self.ctrl_meter_id,
            collector_ids: self.collector_ids.as_deref(),
            dp_meter_support: self.dp_meter_support,
            ct_zero_snat: self.ct_zero_snat,
            dp_hash_l4_sym: self.dp_hash_l4_sym,
        }
    }
}
