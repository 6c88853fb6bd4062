//! Byte-level codec primitives shared by every wire structure in this crate.
//!
//! - [`Reader`]: a big-endian cursor over `&[u8]` (`u8/u16/u32/u64/bytes(n)/sub(n)`) that
//!   tracks the absolute offset; it never panics and every failure is a [`DecodeError`]
//!   `{ kind, offset, context }`.
//! - [`Encode`] / [`Decode`]: the traits wire types implement; writing goes through
//!   `bytes::BufMut` (a `Vec<u8>` or `BytesMut` both work).
//! - [`pad8`], [`align8`], [`put_zeros`]: OpenFlow pads most structures to 8 bytes.

mod error;
mod reader;
mod traits;

pub use error::{DecodeError, DecodeErrorKind};
pub use reader::Reader;
pub use traits::{Decode, Encode, align8, pad8, put_zeros};
