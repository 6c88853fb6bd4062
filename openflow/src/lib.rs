//! OpenFlow 1.5 with the Nicira (NX) extensions that OVN uses: the wire codec, the `ovs-ofctl`
//! text format, a sans-IO connection, and a thin tokio driver (feature `tokio`).
//!
//! Layers, bottom up:
//! - `codec`: byte reader/writer primitives and `DecodeError`;
//! - `field`, `flow_match`, `action`: OXM/NXM fields, matches and actions, each with its wire form,
//!   `Display` in `ovs-ofctl -O OpenFlow15` syntax and `FromStr` for what `ovs-ofctl add-flow` accepts;
//! - `text`: shared helpers of the ovs-ofctl text format;
//! - `msg`: OpenFlow messages (hello, flow_mod, bundle, multipart, packet-in2 …);
//! - `conn`: the sans-IO connection state machine (time passed in);
//! - `io`: the tokio driver over `unix:` / `tcp:`.

//!
//! # Building flows (for `lflow` and other producers)
//!
//! Matches and actions are plain values; build them directly, never via text:
//!
//! ```
//! use openflow::{Action, Field, Instructions, Match, Subfield};
//! use openflow::action::{Ct, CtZone};
//!
//! // priority/table/cookie belong to the flow_mod, not to the match.
//! let mut m = Match::new();
//! m.set(Field::METADATA, 0x1u64)?            // logical datapath
//!     .set(Field::reg(14), 0x1u32)?          // logical inport
//!     .set(Field::ETH_TYPE, 0x0800u16)?      // `ip` (prerequisite of nw_dst)
//!     .set_masked(Field::IPV4_DST, [10, 0, 0, 0], [255, 0, 0, 0])?;
//! m.check_prereqs()?;                        // what ovs-vswitchd enforces
//! assert_eq!(m.to_string(), "ip,reg14=0x1,metadata=0x1,nw_dst=10.0.0.0/8");
//!
//! let acts = vec![
//!     Action::set_field(Field::reg(15), 0x5u32).unwrap(),
//!     Action::set_field_masked(Field::reg(10), 0x0u32, 0x40u32).unwrap(),
//!     Action::Ct(Box::new(Ct {
//!         commit: true, force: false, table: 255, alg: 0,
//!         zone: CtZone::Field(Subfield::new(Field::reg(13), 0, 16)),
//!         actions: vec![],
//!     })),
//!     Action::resubmit_table(19),
//! ];
//! let ins = Instructions::apply(acts); // OVN uses only APPLY_ACTIONS
//! assert_eq!(
//!     ins.to_string(),
//!     "set_field:0x5->reg15,set_field:0/0x40->reg10,ct(commit,zone=NXM_NX_REG13[0..15]),resubmit(,19)"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - `Match` is canonical (sorted, one entry per field) and compact (one boxed byte string),
//!   so it can serve directly as a desired/installed-flow key; `Display` is exactly the
//!   `ovs-ofctl -O OpenFlow15 dump-flows` match text (without `priority`), `FromStr` parses
//!   what `ovs-ofctl add-flow` accepts. `xreg`/`xxreg` set the underlying `regN`s.
//! - Values: anything `Into<field::Value>` (`u8`..`u128`, `[u8; 4]`/`Ipv4Addr`, `[u8; 6]` MAC,
//!   `Ipv6Addr`), right-aligned to the field's width; too-wide values are an error.
//! - `Action` is 16 bytes (big variants boxed); `action::write_actions` prints a list
//!   (`drop` when empty), `action::parse_actions` parses one.
//! - Wire: `Match: Encode + Decode` is the OF1.5 `ofp_match`; `Instructions: Encode +
//!   Decode`; both byte-identical to what OVS 3.1 emits.

// --- codec, fields, matches, actions, text (owned by the codec work) ---
pub mod action;
pub mod codec;
pub mod field;
pub mod flow_match;
pub mod text;

pub use action::{Action, Instruction, Instructions};
pub use codec::{Decode, DecodeError, DecodeErrorKind, Encode, Reader};
pub use field::{Field, Subfield, Value};
pub use flow_match::{Match, MatchError};

// --- messages, connection, driver (owned by the messages/connection work) ---
pub mod conn;
#[cfg(feature = "tokio")]
pub mod io;
pub mod msg;
