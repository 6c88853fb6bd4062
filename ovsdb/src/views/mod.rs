//! Typed, read-only row views for the tables the agent uses, written by hand for the columns we
//! read (no code generator). A view resolves column positions once per schema, so an accessor is
//! an array index; a column missing from an older schema reads as its empty/default value.
//!
//! ```no_run
//! # fn f(replica: &ovsdb::Replica) {
//! use ovsdb::views::ovn_sb::PortBinding;
//! let pbs = replica.typed::<PortBinding>().expect("Port_Binding in schema");
//! for pb in pbs.find("logical_port", &"lsp1".into()) {
//!     println!("{} on {:?}", pb.logical_port(), pb.chassis());
//! }
//! # }
//! ```

pub mod ovn_sb;
pub mod vswitch;

mod view;

pub use view::{MapRef, Typed, View};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatabaseSchema;

    // Every column a view names must exist in the installed schema (catches typos in views).
    fn all_resolved<V: View>(s: &DatabaseSchema) {
        let t = s
            .table(V::TABLE)
            .unwrap_or_else(|| panic!("no table {}", V::TABLE));
        let cols = format!("{:?}", V::resolve(t));
        assert!(!cols.contains("None"), "{}: {cols}", V::TABLE);
    }

    #[test]
    fn views_match_installed_schemas() {
        use ovn_sb::*;
        use vswitch::*;
        let sb = DatabaseSchema::from_str_json(
            &std::fs::read_to_string("/usr/share/ovn/ovn-sb.ovsschema").unwrap(),
        )
        .unwrap();
        all_resolved::<SbGlobal>(&sb);
        all_resolved::<Chassis>(&sb);
        all_resolved::<ChassisPrivate>(&sb);
        all_resolved::<Encap>(&sb);
        all_resolved::<DatapathBinding>(&sb);
        all_resolved::<PortBinding>(&sb);
        all_resolved::<LogicalFlow>(&sb);
        all_resolved::<LogicalDpGroup>(&sb);
        all_resolved::<MulticastGroup>(&sb);
        all_resolved::<MacBinding>(&sb);
        all_resolved::<StaticMacBinding>(&sb);
        all_resolved::<AddressSet>(&sb);
        all_resolved::<PortGroup>(&sb);
        all_resolved::<LoadBalancer>(&sb);
        all_resolved::<Fdb>(&sb);
        all_resolved::<GatewayChassis>(&sb);
        all_resolved::<HaChassisGroup>(&sb);
        all_resolved::<HaChassis>(&sb);
        all_resolved::<Meter>(&sb);
        all_resolved::<Dns>(&sb);
        all_resolved::<MeterBand>(&sb);
        all_resolved::<ControllerEvent>(&sb);
        all_resolved::<IpMulticast>(&sb);
        all_resolved::<IgmpGroup>(&sb);
        all_resolved::<ServiceMonitor>(&sb);
        all_resolved::<Bfd>(&sb);
        all_resolved::<ChassisTemplateVar>(&sb);
        all_resolved::<DhcpOptions>(&sb);
        all_resolved::<Dhcpv6Options>(&sb);
        let vs = DatabaseSchema::from_str_json(
            &std::fs::read_to_string("/usr/share/openvswitch/vswitch.ovsschema").unwrap(),
        )
        .unwrap();
        all_resolved::<OpenVswitch>(&vs);
        all_resolved::<Bridge>(&vs);
        all_resolved::<Port>(&vs);
        all_resolved::<Interface>(&vs);
    }

    #[test]
    fn accessors_read_values_and_defaults() {
        use crate::update::{RowOp, RowUpdate, TableUpdate, TableUpdates};
        use crate::{Datum, Replica, Uuid};
        use std::sync::Arc;
        let sb = DatabaseSchema::from_str_json(
            &std::fs::read_to_string("/usr/share/ovn/ovn-sb.ovsschema").unwrap(),
        )
        .unwrap();
        let t = sb.table_index("Port_Binding").unwrap();
        let ts = &sb.tables[t];
        let c = |n: &str| ts.column_index(n).unwrap();
        let cols = vec![
            (c("logical_port"), Datum::from("lsp1")),
            (c("tunnel_key"), Datum::from(3)),
            (c("options"), Datum::map([("requested-chassis", "hv1")])),
            (c("tag"), Datum::from(10)),
            (c("mac"), Datum::set(["00:00:00:00:00:01 10.0.0.1"])),
        ];
        let mut r = Replica::new(Arc::new(sb.clone()));
        let u = Uuid::from_u128(5);
        r.apply(TableUpdates {
            tables: vec![TableUpdate {
                table: t,
                rows: vec![RowUpdate {
                    uuid: u,
                    op: RowOp::Insert(cols),
                }],
            }],
        })
        .unwrap();
        let pbs = r.typed::<ovn_sb::PortBinding>().unwrap();
        let pb = pbs.get(&u).unwrap();
        assert_eq!(
            (pb.logical_port(), pb.tunnel_key(), pb.tag(), pb.ty()),
            ("lsp1", 3, Some(10), "")
        );
        assert_eq!(pb.options().get("requested-chassis"), Some("hv1"));
        assert_eq!(pb.chassis(), None);
        assert_eq!(pb.up(), None);
        assert_eq!(pb.mac().collect::<Vec<_>>(), ["00:00:00:00:00:01 10.0.0.1"]);
        assert_eq!(pbs.find("logical_port", &"lsp1".into()).len(), 1);
    }
}
