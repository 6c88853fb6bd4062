//! Bundles (OF1.4+): `OFPT_BUNDLE_CONTROL` and `OFPT_BUNDLE_ADD_MESSAGE`
//! (`struct ofp14_bundle_ctrl_msg`, `openflow-1.4.h`).

use bytes::{BufMut, Bytes, BytesMut};

use super::header::{self, MsgType};
use super::wire::Cursor;
use super::{MsgError, Xid};

/// `OFPBF_*`: apply all or nothing.
pub const BUNDLE_ATOMIC: u16 = 1 << 0;
/// `OFPBF_*`: apply in order.
pub const BUNDLE_ORDERED: u16 = 1 << 1;

/// `OFPBCT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleCtrlType(pub u16);

impl BundleCtrlType {
    pub const OPEN_REQUEST: Self = Self(0);
    pub const OPEN_REPLY: Self = Self(1);
    pub const CLOSE_REQUEST: Self = Self(2);
    pub const CLOSE_REPLY: Self = Self(3);
    pub const COMMIT_REQUEST: Self = Self(4);
    pub const COMMIT_REPLY: Self = Self(5);
    pub const DISCARD_REQUEST: Self = Self(6);
    pub const DISCARD_REPLY: Self = Self(7);

    /// The `ovs-ofctl` name (`OPEN_REQUEST`).
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "OPEN_REQUEST",
            1 => "OPEN_REPLY",
            2 => "CLOSE_REQUEST",
            3 => "CLOSE_REPLY",
            4 => "COMMIT_REQUEST",
            5 => "COMMIT_REPLY",
            6 => "DISCARD_REQUEST",
            7 => "DISCARD_REPLY",
            _ => return None,
        })
    }
}

/// `OFPT_BUNDLE_CONTROL`. Properties are kept opaque (OVS defines none it acts on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleCtrl {
    pub bundle_id: u32,
    pub ty: BundleCtrlType,
    pub flags: u16,
    pub properties: Bytes,
}

impl BundleCtrl {
    pub fn new(bundle_id: u32, ty: BundleCtrlType, flags: u16) -> Self {
        Self {
            bundle_id,
            ty,
            flags,
            properties: Bytes::new(),
        }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u32(self.bundle_id);
        out.put_u16(self.ty.0);
        out.put_u16(self.flags);
        out.put_slice(&self.properties);
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<BundleCtrl, MsgError> {
        let bundle_id = c.u32()?;
        let ty = BundleCtrlType(c.u16()?);
        let flags = c.u16()?;
        Ok(BundleCtrl {
            bundle_id,
            ty,
            flags,
            properties: Bytes::copy_from_slice(c.rest()),
        })
    }
}

/// `OFPT_BUNDLE_ADD_MESSAGE` as received: the inner message is kept as its raw bytes (decode it
/// with `Message::decode` if needed). vswitchd accepts FLOW_MOD, GROUP_MOD, PORT_MOD and
/// PACKET_OUT inside a bundle, not METER_MOD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleAdd {
    pub bundle_id: u32,
    pub flags: u16,
    /// The complete inner message, header included; its xid equals the outer xid.
    pub message: Bytes,
}

/// Size of the BUNDLE_ADD wrapper around the inner message.
pub const BUNDLE_ADD_OVERHEAD: usize = 16;

impl BundleAdd {
    /// Encodes a BUNDLE_ADD whose inner message is written by `inner` (with the same xid) straight
    /// into `out`, so a flow_mod is never encoded twice.
    pub fn encode_with(
        out: &mut BytesMut,
        xid: Xid,
        bundle_id: u32,
        flags: u16,
        inner: impl FnOnce(&mut BytesMut) -> Result<(), MsgError>,
    ) -> Result<(), MsgError> {
        let start = header::start(out, MsgType::BUNDLE_ADD_MESSAGE, xid);
        out.put_u32(bundle_id);
        out.put_u16(0);
        out.put_u16(flags);
        if let Err(e) = inner(out) {
            out.truncate(start);
            return Err(e);
        }
        header::finish(out, start, "bundle_add").inspect_err(|_| out.truncate(start))
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u32(self.bundle_id);
        out.put_u16(0);
        out.put_u16(self.flags);
        out.put_slice(&self.message);
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<BundleAdd, MsgError> {
        let bundle_id = c.u32()?;
        c.skip(2)?;
        let flags = c.u16()?;
        Ok(BundleAdd {
            bundle_id,
            flags,
            message: Bytes::copy_from_slice(c.rest()),
        })
    }
}
