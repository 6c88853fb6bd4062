//! Monitor requests: RFC 7047 §4.1.5 `monitor` and the OVS extensions `monitor_cond` (with
//! `where` conditions, answered with `update2`) and `monitor_cond_since` (resumes from a
//! transaction id, answered with `update3`).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::condition::Condition;
use crate::uuid::Uuid;

/// Which monitor method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorKind {
    /// `monitor` (RFC 7047, `update` notifications, no conditions).
    Monitor,
    /// `monitor_cond` (`update2`).
    Cond,
    /// `monitor_cond_since` from the given last transaction id (`update3`); `None` asks for a full
    /// dump (sent as the zero uuid).
    Since(Option<Uuid>),
}

impl MonitorKind {
    /// The method name.
    pub fn method(self) -> &'static str {
        match self {
            MonitorKind::Monitor => "monitor",
            MonitorKind::Cond => "monitor_cond",
            MonitorKind::Since(_) => "monitor_cond_since",
        }
    }
}

/// What kinds of change to report (`<monitor-select>`); all by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorSelect {
    /// Initial contents.
    pub initial: bool,
    /// Inserts.
    pub insert: bool,
    /// Deletes.
    pub delete: bool,
    /// Modifications.
    pub modify: bool,
}

impl Default for MonitorSelect {
    fn default() -> Self {
        MonitorSelect {
            initial: true,
            insert: true,
            delete: true,
            modify: true,
        }
    }
}

/// `<monitor-request>` / `<monitor-cond-request>` for one table.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorRequest {
    /// Table name.
    pub table: Arc<str>,
    /// Columns to monitor; `None` for all.
    pub columns: Option<Vec<Arc<str>>>,
    /// Condition (ignored by plain `monitor`); `None` means all rows.
    pub condition: Option<Condition>,
    /// Which changes to report.
    pub select: MonitorSelect,
}

impl MonitorRequest {
    /// All columns, all rows.
    pub fn table(table: &str) -> MonitorRequest {
        MonitorRequest {
            table: Arc::from(table),
            columns: None,
            condition: None,
            select: MonitorSelect::default(),
        }
    }

    /// Restricts the columns.
    #[must_use]
    pub fn columns<'a>(mut self, cols: impl IntoIterator<Item = &'a str>) -> MonitorRequest {
        self.columns = Some(cols.into_iter().map(Arc::from).collect());
        self
    }

    /// Sets the condition.
    #[must_use]
    pub fn condition(mut self, c: Condition) -> MonitorRequest {
        self.condition = Some(c);
        self
    }

    fn body(&self, with_where: bool) -> Value {
        let mut o = Map::new();
        if let Some(c) = &self.columns {
            o.insert("columns".into(), c.iter().map(|c| json!(&**c)).collect());
        }
        if with_where && let Some(c) = &self.condition {
            o.insert("where".into(), c.to_json());
        }
        let s = self.select;
        if s != MonitorSelect::default() {
            o.insert("select".into(), json!({"initial": s.initial, "insert": s.insert, "delete": s.delete, "modify": s.modify}));
        }
        Value::Object(o)
    }
}

/// The `params` of a monitor request.
pub fn monitor_params(
    db: &str,
    monitor_id: &str,
    kind: MonitorKind,
    requests: &[MonitorRequest],
) -> Value {
    let with_where = kind != MonitorKind::Monitor;
    let reqs: Map<String, Value> = requests
        .iter()
        .map(|r| (r.table.to_string(), json!([r.body(with_where)])))
        .collect();
    match kind {
        MonitorKind::Since(last) => {
            json!([db, monitor_id, reqs, last.unwrap_or(Uuid::ZERO).to_string()])
        }
        _ => json!([db, monitor_id, reqs]),
    }
}

/// The `params` of `monitor_cond_change`: new conditions per table, keeping the monitor id.
pub fn cond_change_params(
    monitor_id: &str,
    new_monitor_id: &str,
    changes: &[(Arc<str>, Condition)],
) -> Value {
    let reqs: Map<String, Value> = changes
        .iter()
        .map(|(t, c)| (t.to_string(), json!([{"where": c.to_json()}])))
        .collect();
    json!([monitor_id, new_monitor_id, reqs])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::Clause;

    #[test]
    fn params() {
        let r = [MonitorRequest::table("Chassis_Private")
            .columns(["name"])
            .condition(Condition::new([Clause::eq("name", "hv1")]))];
        assert_eq!(
            monitor_params("OVN_Southbound", "m", MonitorKind::Since(None), &r),
            json!(["OVN_Southbound", "m", {"Chassis_Private": [{"columns": ["name"], "where": [["name", "==", "hv1"]]}]},
                   "00000000-0000-0000-0000-000000000000"])
        );
        assert_eq!(
            monitor_params("D", "m", MonitorKind::Monitor, &r),
            json!(["D", "m", {"Chassis_Private": [{"columns": ["name"]}]}])
        );
        assert_eq!(
            cond_change_params("m", "m", &[(Arc::from("T"), Condition::all())]),
            json!(["m", "m", {"T": [{"where": [true]}]}])
        );
    }
}
