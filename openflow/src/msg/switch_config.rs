//! `OFPT_GET_CONFIG_REPLY` / `OFPT_SET_CONFIG` (`struct ofp_switch_config`).

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::Cursor;

/// Switch configuration: IP fragment handling and how many bytes of a packet go to the
/// controller on a table miss (OVN sets `miss_send_len = 0xffff`, "the whole packet").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchConfig {
    /// `OFPC_FRAG_*` (0 normal, 1 drop, 2 reassemble, 3 nx-match) in the low bits.
    pub flags: u16,
    pub miss_send_len: u16,
}

impl SwitchConfig {
    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.flags);
        out.put_u16(self.miss_send_len);
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<SwitchConfig, MsgError> {
        Ok(SwitchConfig {
            flags: c.u16()?,
            miss_send_len: c.u16()?,
        })
    }

    /// The `ovs-ofctl` name of the fragment handling mode.
    pub fn frags(&self) -> &'static str {
        match self.flags & 3 {
            0 => "normal",
            1 => "drop",
            2 => "reassemble",
            _ => "nx-match",
        }
    }
}

/// `frags=normal miss_send_len=0`, as `ofp_print_switch_config` prints it.
impl fmt::Display for SwitchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frags={} miss_send_len={}",
            self.frags(),
            self.miss_send_len
        )
    }
}
