//! OXM/NXM field identities (`Field`), their static properties (`FieldInfo`: OVS names,
//! widths, formats, prerequisites, NXM/OXM code points), values (`Value`, ≤16 bytes inline)
//! and bit ranges (`Subfield`, `NXM_NX_REG0[0..15]`).
//!
//! The table in `table.rs` was generated from the field comments of OVS v3.1.0
//! `include/openvswitch/meta-flow.h` (the authoritative per-field list); the preferred
//! OpenFlow 1.5 header and the NXM name follow OVS's `nxm_field_by_mf_id` rule (OF1.5: the
//! newest standard OXM code point, else the NXM one; subfield names: the NXM name, else the
//! oldest OXM name).
//!
//! `tun_metadataN` has no fixed width (the switch's TLV map decides): matches keep the bytes
//! they are given (OVN uses 4-byte values; text parsing uses the fewest bytes, like
//! ovs-ofctl), `set_field` values are limited to 16 bytes, and field headers inside actions
//! carry the unmapped width 124, as ovs-ofctl sends them.
//!
//! ```
//! use openflow::field::{Field, Subfield};
//! assert_eq!(Field::reg(15).name(), "reg15");
//! assert_eq!(Field::from_name("dl_dst"), Some(Field::ETH_DST));
//! assert_eq!("NXM_NX_REG13[0..15]".parse::<Subfield>().unwrap().field, Field::reg(13));
//! ```

mod header;
mod id;
mod subfield;
mod table;
mod value;

pub use header::{
    CLASS_EXPERIMENTER, CLASS_NXM_0, CLASS_NXM_1, CLASS_OPENFLOW_BASIC, CLASS_PACKET_REGS,
    OxmHeader, OxmTlvHeader,
};
pub use id::{Field, FieldInfo, Format, Prereq};
pub use subfield::{Subfield, SubfieldError};
pub use value::Value;
