//! `NXT_SET_CONTROLLER_ID` (NX subtype 20, `struct nx_controller_id`).

/// The id a controller gives itself; `controller(id=N)` actions send packet-ins to it only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControllerId(pub u16);
