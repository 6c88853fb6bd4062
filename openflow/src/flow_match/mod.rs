//! Flow matches: [`Match`], a canonical set of `(field, value, mask)`.
//!
//! - Build: `Match::new()`, [`Match::set`], [`Match::set_masked`], [`Match::set_bytes`]
//!   (any width, e.g. `tun_metadata0`), builder forms [`Match::with`]/[`Match::with_masked`].
//! - Inspect: [`Match::iter`] (canonical order), [`Match::get`], [`Match::value_of`].
//! - Check: [`Match::check_prereqs`] (reject `nw_dst` without `ip`, as ovs-vswitchd does).
//! - Wire: `Encode`/`Decode` for the OF1.5 `ofp_match` (type OXM, padded to 8), and
//!   [`Match::encode_oxm_fields`]/[`Match::decode_oxm_fields`] for bare TLV runs. Encoding
//!   reproduces OVS's TLV order and forms byte for byte (regs as `xreg` pairs, …).
//! - Text: `Display` prints exactly what `ovs-ofctl -O OpenFlow15 dump-flows` prints for the
//!   match part (without `priority`), `FromStr` parses what `ovs-ofctl add-flow` accepts.
//!
//! OVS `struct flow` quirks reproduced (all verified against ovs-ofctl): `ct_state` is
//! 8 bits and always sent masked (`/0xff` when exact), `tun_flags` is always sent masked,
//! `arp_op` ≤ 255, `nw_tos` holds DSCP bits only, `ct_nw_proto=0` is rejected (OVS cannot
//! send it), conntrack original-tuple addresses must match the `ip`/`ipv6` of the match,
//! L4 fields need a non-later fragment, and `ct_*` tuple fields need a valid `ct_state`.
//!
//! ```
//! use openflow::field::Field;
//! use openflow::flow_match::Match;
//! let mut m = Match::new();
//! m.set(Field::reg(14), 1u32)?
//!     .set(Field::METADATA, 0x1u64)?
//!     .set(Field::ETH_TYPE, 0x0800u16)?
//!     .set_masked(Field::IPV4_DST, [10, 0, 0, 0], [255, 0, 0, 0])?;
//! assert_eq!(m.to_string(), "ip,reg14=0x1,metadata=0x1,nw_dst=10.0.0.0/8");
//! assert_eq!("ip,reg14=0x1,metadata=0x1,nw_dst=10.0.0.0/8".parse::<Match>()?, m);
//! # Ok::<(), openflow::flow_match::MatchError>(())
//! ```

mod error;
mod format;
mod oxm;
mod parse;
mod prereq;
mod store;

pub use error::MatchError;
pub(crate) use format::{CT_STATE_NAMES, TCP_FLAG_NAMES, write_flags_masked};
pub use oxm::OFPMT_OXM;
pub use store::{Entries, Match, MatchEntry};
