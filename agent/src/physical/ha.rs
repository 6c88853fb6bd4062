//! HA chassis group ordering and activity (controller/ha-chassis.c), on a Port_Binding's
//! `ha_chassis` members.

use std::collections::BTreeSet;

use crate::binding::PortBinding;

/// `get_ordered_ha_chassis_list`: members with a chassis, optionally only those alive (local,
/// or in `active_tunnels`), highest priority first, ties by name descending. `None` when empty,
/// or when only the local chassis is left and none of the group's reference chassis is alive.
fn ordered(
    pb: &PortBinding,
    active_tunnels: Option<&BTreeSet<String>>,
    local: Option<&str>,
) -> Option<Vec<(String, i64)>> {
    let mut out: Vec<(String, i64)> = pb
        .ha_chassis
        .iter()
        .filter_map(|m| {
            let ch = m.chassis.as_deref()?;
            let alive = local == Some(ch) || active_tunnels.is_none_or(|t| t.contains(ch));
            alive.then(|| (ch.to_owned(), m.priority))
        })
        .collect();
    if out.is_empty() {
        return None;
    }
    if out.len() == 1 {
        if let Some(t) = active_tunnels
            && !pb.ha_ref_chassis.iter().any(|r| t.contains(r))
        {
            return None;
        }
    } else {
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    }
    Some(out)
}

/// `ha_chassis_get_ordered`: every member with a chassis, by priority.
pub fn ha_chassis_get_ordered(pb: &PortBinding) -> Option<Vec<(String, i64)>> {
    if pb.ha_chassis.is_empty() {
        return None;
    }
    ordered(pb, None, None)
}

/// `ha_chassis_group_is_active`: whether `me` is the active member.
pub fn ha_chassis_group_is_active(
    pb: &PortBinding,
    active_tunnels: &BTreeSet<String>,
    me: &str,
) -> bool {
    let members = &pb.ha_chassis;
    if members.is_empty() {
        return false;
    }
    if members.len() == 1 {
        return members[0].chassis.as_deref() == Some(me);
    }
    let present: Vec<&str> = members
        .iter()
        .filter_map(|m| m.chassis.as_deref())
        .collect();
    if present.len() == 1 && present[0] == me {
        return true;
    }
    if active_tunnels.is_empty() {
        // No BFD session up: this chassis lost the others and must not take over.
        return false;
    }
    ordered(pb, Some(active_tunnels), Some(me))
        .and_then(|o| o.into_iter().next())
        .is_some_and(|(c, _)| c == me)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::HaChassis;

    fn group(members: &[(Option<&str>, i64)]) -> PortBinding {
        PortBinding {
            ha_chassis: members
                .iter()
                .map(|(c, p)| HaChassis {
                    chassis: c.map(str::to_owned),
                    priority: *p,
                })
                .collect(),
            ..PortBinding::default()
        }
    }

    #[test]
    fn ordering_and_activity() {
        let g = group(&[
            (Some("hv2"), 10),
            (Some("hv1"), 20),
            (Some("hv3"), 10),
            (None, 99),
        ]);
        let names: Vec<String> = ha_chassis_get_ordered(&g)
            .unwrap()
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(names, ["hv1", "hv3", "hv2"]);
        let none = BTreeSet::new();
        assert!(!ha_chassis_group_is_active(&g, &none, "hv1"));
        let up: BTreeSet<String> = ["hv2".to_owned()].into_iter().collect();
        assert!(ha_chassis_group_is_active(&g, &up, "hv1"));
        assert!(!ha_chassis_group_is_active(&g, &up, "hv2"));
        // The only member with a chassis is the local one.
        let solo = group(&[(Some("hv1"), 1), (None, 5)]);
        assert!(ha_chassis_group_is_active(&solo, &none, "hv1"));
        assert!(ha_chassis_group_is_active(
            &group(&[(Some("hv1"), 1)]),
            &none,
            "hv1"
        ));
        assert!(ha_chassis_get_ordered(&group(&[])).is_none());
        assert!(ha_chassis_get_ordered(&group(&[(None, 1)])).is_none());
    }
}
