//! `NXT_CT_FLUSH_ZONE` (NX subtype 29, `struct nx_zone_id`): flush one conntrack zone.

/// The conntrack zone to flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtFlushZone(pub u16);
