//! Conditional monitoring of the Southbound DB (ovn-controller.c `update_sb_monitors`): with
//! `ovn-monitor-all=false` the agent asks only for the rows of its local datapaths, its own rows,
//! and what it needs to find more of them. Monitor conditions are disjunctions: a row is sent
//! when any clause matches.

use std::collections::BTreeSet;

use ovsdb::{Clause, Condition, Datum, Function, Uuid};

/// What the conditions are computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorScope {
    /// This chassis's name.
    pub chassis_name: String,
    /// This chassis's Chassis row, once registered.
    pub chassis: Option<Uuid>,
    /// Local datapath rows.
    pub datapaths: BTreeSet<Uuid>,
    /// `iface-id`s of the local OVS interfaces (ports that may become local).
    pub iface_ids: BTreeSet<String>,
}

/// The conditions by table. Tables not listed are monitored whole.
pub fn conditions(scope: &MonitorScope) -> Vec<(&'static str, Condition)> {
    let dp_clauses = |col: &str| -> Vec<Clause> {
        scope
            .datapaths
            .iter()
            .map(|u| Clause::eq(col, *u))
            .collect()
    };
    let mut pb: Vec<Clause> = [
        "patch",
        "chassisredirect",
        "external",
        "l3gateway",
        "l2gateway",
    ]
    .iter()
    .map(|t| Clause::eq("type", *t))
    .collect();
    if let Some(c) = scope.chassis {
        pb.push(Clause::eq("chassis", c));
        pb.push(Clause::eq("requested_chassis", c));
        pb.push(Clause::includes("additional_chassis", c));
    }
    pb.extend(
        scope
            .iface_ids
            .iter()
            .map(|i| Clause::eq("logical_port", i.as_str())),
    );
    pb.extend(dp_clauses("datapath"));

    let mut lf = dp_clauses("logical_datapath");
    // Flows of datapath groups are always monitored (their groups may contain local datapaths).
    lf.push(Clause::new(
        "logical_dp_group",
        Function::Ne,
        Datum::empty_set(),
    ));

    let or_false = |v: Vec<Clause>| {
        if v.is_empty() {
            Condition::none()
        } else {
            Condition::new(v)
        }
    };
    let mut out = vec![
        ("Port_Binding", Condition::new(pb)),
        ("Logical_Flow", Condition::new(lf)),
        ("MAC_Binding", or_false(dp_clauses("datapath"))),
        ("Multicast_Group", or_false(dp_clauses("datapath"))),
        ("IP_Multicast", or_false(dp_clauses("datapath"))),
    ];
    out.push((
        "Chassis_Private",
        Condition::new([Clause::eq("name", scope.chassis_name.as_str())]),
    ));
    out
}

/// The conditions of `ovn-monitor-all=true`: everything.
pub fn monitor_all() -> Vec<(&'static str, Condition)> {
    [
        "Port_Binding",
        "Logical_Flow",
        "MAC_Binding",
        "Multicast_Group",
        "IP_Multicast",
        "Chassis_Private",
    ]
    .into_iter()
    .map(|t| (t, Condition::all()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_turns_into_disjunctions() {
        let scope = MonitorScope {
            chassis_name: "hv1".into(),
            chassis: Some(Uuid::from_u128(7)),
            datapaths: [Uuid::from_u128(1), Uuid::from_u128(2)]
                .into_iter()
                .collect(),
            iface_ids: ["p1".to_owned()].into_iter().collect(),
        };
        let c = conditions(&scope);
        let pb = &c.iter().find(|(t, _)| *t == "Port_Binding").unwrap().1;
        // 5 types + chassis/requested/additional + 1 iface + 2 datapaths.
        assert_eq!(pb.0.len(), 11);
        let lf = &c.iter().find(|(t, _)| *t == "Logical_Flow").unwrap().1;
        assert_eq!(lf.0.len(), 3);
        // Nothing local yet: per-datapath tables select nothing.
        let empty = conditions(&MonitorScope {
            chassis_name: "hv1".into(),
            ..Default::default()
        });
        let mb = &empty.iter().find(|(t, _)| *t == "MAC_Binding").unwrap().1;
        assert_eq!(*mb, Condition::none());
    }
}
