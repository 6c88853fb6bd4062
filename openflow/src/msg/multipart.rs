//! Multipart (stats) framing: `OFPT_MULTIPART_REQUEST` / `_REPLY` headers, the request bodies we
//! send, and typed views over reply bodies that stream (a reply body is kept as `Bytes` and
//! iterated entry by entry, so a 300k-flow dump is never materialised at once).

use bytes::{BufMut, Bytes, BytesMut};

use super::wire::Cursor;
use super::{MsgError, Port};

/// `OFPMPF_REPLY_MORE` / `OFPMPF_REQ_MORE`: more parts follow with the same xid.
pub const MULTIPART_MORE: u16 = 1;

/// `OFPMP_*` (open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MultipartType(pub u16);

impl MultipartType {
    pub const DESC: Self = Self(0);
    pub const FLOW_DESC: Self = Self(1);
    pub const AGGREGATE_STATS: Self = Self(2);
    pub const TABLE_STATS: Self = Self(3);
    pub const PORT_STATS: Self = Self(4);
    pub const GROUP_STATS: Self = Self(6);
    pub const GROUP_DESC: Self = Self(7);
    pub const METER_STATS: Self = Self(9);
    pub const METER_DESC: Self = Self(10);
    pub const TABLE_FEATURES: Self = Self(12);
    pub const PORT_DESC: Self = Self(13);
    pub const EXPERIMENTER: Self = Self(0xffff);

    /// The reply title `ovs-ofctl` prints (`OFPST_FLOW reply`).
    pub fn reply_name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "OFPST_DESC reply",
            1 => "OFPST_FLOW reply",
            2 => "OFPST_AGGREGATE reply",
            3 => "OFPST_TABLE reply",
            4 => "OFPST_PORT reply",
            6 => "OFPST_GROUP reply",
            7 => "OFPST_GROUP_DESC reply",
            9 => "OFPST_METER reply",
            10 => "OFPST_METER_CONFIG reply",
            12 => "OFPST_TABLE_FEATURES reply",
            13 => "OFPST_PORT_DESC reply",
            _ => return None,
        })
    }
}

/// A multipart request: type, flags and an already-encoded body (see the constructors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartRequest {
    pub ty: MultipartType,
    pub flags: u16,
    pub body: Bytes,
}

impl MultipartRequest {
    /// `OFPMP_PORT_DESC` for one port or all (`OFPP_ANY` = 0xffffffff).
    pub fn port_desc(port_no: u32) -> Self {
        let mut b = BytesMut::with_capacity(8);
        b.put_u32(port_no);
        b.put_u32(0);
        Self {
            ty: MultipartType::PORT_DESC,
            flags: 0,
            body: b.freeze(),
        }
    }

    /// `OFPMP_GROUP_DESC` for one group or all (`OFPG_ALL` = 0xfffffffc).
    pub fn group_desc(group_id: u32) -> Self {
        let mut b = BytesMut::with_capacity(8);
        b.put_u32(group_id);
        b.put_u32(0);
        Self {
            ty: MultipartType::GROUP_DESC,
            flags: 0,
            body: b.freeze(),
        }
    }

    /// `OFPMP_METER_DESC` (meter config) for one meter or all (`OFPM_ALL` = 0xffffffff).
    pub fn meter_config(meter_id: u32) -> Self {
        let mut b = BytesMut::with_capacity(8);
        b.put_u32(meter_id);
        b.put_u32(0);
        Self {
            ty: MultipartType::METER_DESC,
            flags: 0,
            body: b.freeze(),
        }
    }

    /// `OFPMP_DESC`.
    pub fn desc() -> Self {
        Self {
            ty: MultipartType::DESC,
            flags: 0,
            body: Bytes::new(),
        }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.ty.0);
        out.put_u16(self.flags);
        out.put_u32(0);
        out.put_slice(&self.body);
    }

    pub(crate) fn decode_body(frame: &Bytes, c: &mut Cursor<'_>) -> Result<Self, MsgError> {
        let ty = MultipartType(c.u16()?);
        let flags = c.u16()?;
        c.skip(4)?;
        let off = c.offset();
        let len = c.rest().len();
        Ok(Self {
            ty,
            flags,
            body: frame.slice(off..off + len),
        })
    }
}

/// One multipart reply part. `body` is the raw body; use the typed iterators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartReply {
    pub ty: MultipartType,
    pub flags: u16,
    pub body: Bytes,
}

impl MultipartReply {
    /// Whether more parts follow (`OFPMPF_REPLY_MORE`).
    pub fn more(&self) -> bool {
        self.flags & MULTIPART_MORE != 0
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.ty.0);
        out.put_u16(self.flags);
        out.put_u32(0);
        out.put_slice(&self.body);
    }

    pub(crate) fn decode_body(frame: &Bytes, c: &mut Cursor<'_>) -> Result<Self, MsgError> {
        let ty = MultipartType(c.u16()?);
        let flags = c.u16()?;
        c.skip(4)?;
        let off = c.offset();
        let len = c.rest().len();
        Ok(Self {
            ty,
            flags,
            body: frame.slice(off..off + len),
        })
    }

    /// Offset of the body within the message (for error positions).
    pub(crate) const BODY_OFFSET: usize = 16;

    /// The ports of a `PORT_DESC` reply part.
    pub fn ports(&self) -> Result<Vec<Port>, MsgError> {
        let mut c = Cursor::with_base(&self.body, Self::BODY_OFFSET, "port_desc reply");
        let mut v = Vec::new();
        while !c.is_empty() {
            v.push(Port::decode(&mut c)?);
        }
        Ok(v)
    }
}
