//! Reconciler output: changes to the OVS database, for the agent to perform.

use std::collections::BTreeMap;

/// One change. A reconciliation's operations are ordered deletes, then updates, then creates, and
/// are meant for a single OVSDB transaction: a port may be deleted and re-created under the same
/// name (a tunnel port with other than one interface), which the `name` indexes accept only when
/// both happen in one transaction or the delete comes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunnelOp {
    /// Insert an Interface and a Port (both named `name`) and add the Port to `bridge`'s `ports`.
    CreatePort {
        bridge: String,
        name: String,
        iface_type: String,
        /// The complete `Interface.options`.
        options: BTreeMap<String, String>,
        /// The complete `Port.external_ids` (`ovn-chassis-id`).
        port_external_ids: BTreeMap<String, String>,
    },
    /// Remove the Port from `bridge`'s `ports` (OVSDB garbage-collects it and its interfaces).
    DeletePort {
        bridge: String,
        port_uuid: String,
        name: String,
    },
    /// Set the Port's single Interface's `type` and replace its whole `options` map.
    UpdatePort {
        port_uuid: String,
        iface_uuid: String,
        name: String,
        iface_type: String,
        options: BTreeMap<String, String>,
    },
}

impl TunnelOp {
    /// The port name the operation is about.
    pub fn name(&self) -> &str {
        match self {
            TunnelOp::CreatePort { name, .. }
            | TunnelOp::DeletePort { name, .. }
            | TunnelOp::UpdatePort { name, .. } => name,
        }
    }
}
