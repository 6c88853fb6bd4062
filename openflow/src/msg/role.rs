//! `OFPT_ROLE_REQUEST` / `OFPT_ROLE_REPLY` (`struct ofp12_role_request`).

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::Cursor;

/// A controller role (`OFPCR_ROLE_*`): 0 no change, 1 equal, 2 master (primary), 3 slave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub role: u32,
    pub generation_id: u64,
}

impl Role {
    pub const NOCHANGE: u32 = 0;
    pub const EQUAL: u32 = 1;
    pub const PRIMARY: u32 = 2;
    pub const SECONDARY: u32 = 3;

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u32(self.role);
        out.put_u32(0);
        out.put_u64(self.generation_id);
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<Role, MsgError> {
        let role = c.u32()?;
        c.skip(4)?;
        Ok(Role {
            role,
            generation_id: c.u64()?,
        })
    }
}
