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

// --- codec, fields, matches, actions, text (owned by the codec work) ---
pub mod action;
pub mod codec;
pub mod field;
pub mod flow_match;
pub mod text;

// --- messages, connection, driver (owned by the messages/connection work) ---
pub mod conn;
#[cfg(feature = "tokio")]
pub mod io;
pub mod msg;
