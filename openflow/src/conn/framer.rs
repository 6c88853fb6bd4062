//! Splits a byte stream into OpenFlow messages by `ofp_header.length`.
//!
//! Follows tokio-util's `Decoder` contract without depending on it: `Ok(None)` means "need
//! more bytes"; a message split across reads is reassembled, many messages in one read come out
//! one per call, and each frame shares the read buffer's storage (no copy).

use bytes::{Bytes, BytesMut};

use crate::msg::{HEADER_LEN, Header, MsgError};

/// The framer (stateless apart from the caller's buffer).
#[derive(Debug, Default, Clone, Copy)]
pub struct Framer;

impl Framer {
    /// Takes the next complete message off the front of `buf`.
    ///
    /// A header whose length is below 8 is unrecoverable (the stream position is lost), so it is
    /// an error and the caller must close the connection.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, MsgError> {
        if buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let h = Header::parse(buf)?;
        let len = usize::from(h.length);
        if buf.len() < len {
            buf.reserve(len - buf.len());
            return Ok(None);
        }
        Ok(Some(buf.split_to(len).freeze()))
    }
}
