//! `OFPT_PACKET_OUT`, OF1.5 layout (`struct ofp15_packet_out`): the pipeline fields travel as an
//! `ofp_match` (in_port, metadata, regs, tun_*), then the actions, then the packet.

use bytes::{BufMut, Bytes, BytesMut};

use super::raw::{RawActions, RawMatch};
use super::wire::{Cursor, patch_u16};
use super::{MsgError, NO_BUFFER, ofp_match};

/// A packet-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketOut {
    pub buffer_id: u32,
    /// Pipeline metadata OXM TLVs; OVS requires at least `in_port`.
    pub match_: RawMatch,
    pub actions: RawActions,
    pub packet: Bytes,
}

impl PacketOut {
    pub fn new(match_: RawMatch, actions: RawActions, packet: Bytes) -> Self {
        PacketOut {
            buffer_id: NO_BUFFER,
            match_,
            actions,
            packet,
        }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        out.put_u32(self.buffer_id);
        let alen_at = out.len();
        out.put_u16(0);
        out.put_u16(0);
        ofp_match::encode(out, |o| {
            o.put_slice(&self.match_.0);
            Ok(())
        })?;
        out.put_slice(&self.actions.0);
        patch_u16(out, alen_at, self.actions.0.len(), "packet_out actions")?;
        out.put_slice(&self.packet);
        Ok(())
    }

    pub(crate) fn decode_body(frame: &Bytes, c: &mut Cursor<'_>) -> Result<PacketOut, MsgError> {
        let buffer_id = c.u32()?;
        let alen = usize::from(c.u16()?);
        c.skip(2)?;
        let m = ofp_match::decode(c)?;
        let (m_off, m_len) = (m.offset(), m.remaining());
        let a_off = c.offset();
        c.skip(alen)?;
        let p_off = c.offset();
        let p_len = c.remaining();
        Ok(PacketOut {
            buffer_id,
            match_: RawMatch(frame.slice(m_off..m_off + m_len)),
            actions: RawActions(frame.slice(a_off..a_off + alen)),
            packet: frame.slice(p_off..p_off + p_len),
        })
    }
}
