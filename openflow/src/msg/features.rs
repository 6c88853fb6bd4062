//! `OFPT_FEATURES_REPLY` (`struct ofp_switch_features`); the request has no body.

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::Cursor;

/// The switch's identity and capabilities (in OF1.3+ ports come from PORT_DESC instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeaturesReply {
    pub datapath_id: u64,
    pub n_buffers: u32,
    pub n_tables: u8,
    pub auxiliary_id: u8,
    /// `OFPC_*` bits.
    pub capabilities: u32,
}

impl FeaturesReply {
    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u64(self.datapath_id);
        out.put_u32(self.n_buffers);
        out.put_u8(self.n_tables);
        out.put_u8(self.auxiliary_id);
        out.put_u16(0);
        out.put_u32(self.capabilities);
        out.put_u32(0);
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<FeaturesReply, MsgError> {
        let datapath_id = c.u64()?;
        let n_buffers = c.u32()?;
        let n_tables = c.u8()?;
        let auxiliary_id = c.u8()?;
        c.skip(2)?;
        let capabilities = c.u32()?;
        c.skip(4)?;
        Ok(FeaturesReply {
            datapath_id,
            n_buffers,
            n_tables,
            auxiliary_id,
            capabilities,
        })
    }
}

/// `ovs-ofctl show`'s first lines after the message title:
/// `dpid:…\nn_tables:254, n_buffers:0\ncapabilities: FLOW_STATS …\n`.
impl fmt::Display for FeaturesReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dpid:{:016x}", self.datapath_id)?;
        write!(
            f,
            "n_tables:{}, n_buffers:{}",
            self.n_tables, self.n_buffers
        )?;
        if self.auxiliary_id != 0 {
            write!(f, ", auxiliary_id:{}", self.auxiliary_id)?;
        }
        f.write_str("\ncapabilities: ")?;
        // Wire bits in the order ofp_print_bit_names walks OVS's internal bits (GROUP_STATS,
        // wire bit 3, sorts where OVS keeps it internally, which is the same position).
        const CAPS: [(u32, &str); 9] = [
            (1 << 0, "FLOW_STATS"),
            (1 << 1, "TABLE_STATS"),
            (1 << 2, "PORT_STATS"),
            (1 << 3, "GROUP_STATS"),
            (1 << 5, "IP_REASM"),
            (1 << 6, "QUEUE_STATS"),
            (1 << 8, "PORT_BLOCKED"),
            (1 << 9, "BUNDLES"),
            (1 << 10, "FLOW_MONITORING"),
        ];
        let mut first = true;
        for (bit, name) in CAPS {
            if self.capabilities & bit != 0 {
                if !first {
                    f.write_str(" ")?;
                }
                first = false;
                f.write_str(name)?;
            }
        }
        writeln!(f)
    }
}
