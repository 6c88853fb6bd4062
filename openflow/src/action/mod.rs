//! Actions and instructions: the [`Action`] model (OF1.5 actions plus the Nicira extensions
//! OVN uses), [`Instruction`]/[`Instructions`], their OF1.5 wire form (as OVS
//! lib/ofp-actions.c encodes it), `Display` exactly as `ovs-ofctl -O OpenFlow15` prints it,
//! and `FromStr` for what `ovs-ofctl add-flow` accepts.
//!
//! Wire: [`Action::encoded_len`]/[`Action::encode`], [`encode_actions`], [`actions_len`],
//! [`decode_actions`]; `Instructions` implements `Encode`/`Decode`. Unknown actions
//! round-trip as [`Action::Unknown`] raw bytes.
//!
//! ```
//! use openflow::action::{Action, Instructions, parse_actions, write_actions};
//! use openflow::field::{Field, Subfield};
//! let acts = vec![
//!     Action::set_field(Field::reg(15), 1u32).unwrap(),
//!     Action::move_field(Subfield::whole(Field::reg(14)), Subfield::whole(Field::reg(15))),
//!     Action::resubmit_table(34),
//! ];
//! let mut s = String::new();
//! write_actions(&mut s, &acts).unwrap();
//! assert_eq!(s, "set_field:0x1->reg15,move:NXM_NX_REG14[]->NXM_NX_REG15[],resubmit(,34)");
//! assert_eq!(parse_actions(&s).unwrap(), acts);
//! assert_eq!(Instructions::apply(acts).to_string(), s);
//! ```

mod error;
mod format;
mod instruction;
mod parse;
mod types;
mod wire;

pub use error::ActionError;
pub use format::write_actions;
pub use instruction::{Instruction, Instructions};
pub use parse::parse_actions;
pub use types::{
    Action, BUNDLE_FIELDS, Bundle, Controller, Ct, CtZone, Learn, LearnSpec, LearnSrc,
    MULTIPATH_ALGORITHMS, Multipath, NX_CTLR_NO_METER, Nat, NatRange, OFPR_ACTION, Sample,
    SetField,
};
pub use wire::{NX_VENDOR_ID, actions_len, decode_actions, encode_actions};
