//! `ofp_header`, message type codes and the experimenter (vendor) ids.

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::Cursor;

/// OpenFlow 1.5, the only version this crate speaks (OVN hard-codes it too).
pub const OFP15_VERSION: u8 = 0x06;
/// Size of `ofp_header`.
pub const HEADER_LEN: usize = 8;
/// Nicira experimenter id (`NX_VENDOR_ID`).
pub const NX_EXPERIMENTER: u32 = 0x0000_2320;
/// ONF experimenter id (`ONF_VENDOR_ID`).
pub const ONF_EXPERIMENTER: u32 = 0x4f4e_4600;

/// A transaction id; replies carry the request's.
pub type Xid = u32;

/// `ofp_header.type` (open: unknown values are kept).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgType(pub u8);

macro_rules! msg_types {
    ($($name:ident = $v:expr, $text:expr;)*) => {
        impl MsgType {
            $(pub const $name: MsgType = MsgType($v);)*
            /// The name `ovs-ofctl` prints (`OFPT_FLOW_MOD`).
            pub fn name(self) -> Option<&'static str> {
                match self.0 { $($v => Some($text),)* _ => None }
            }
        }
    };
}

msg_types! {
    HELLO = 0, "OFPT_HELLO";
    ERROR = 1, "OFPT_ERROR";
    ECHO_REQUEST = 2, "OFPT_ECHO_REQUEST";
    ECHO_REPLY = 3, "OFPT_ECHO_REPLY";
    EXPERIMENTER = 4, "OFPT_EXPERIMENTER";
    FEATURES_REQUEST = 5, "OFPT_FEATURES_REQUEST";
    FEATURES_REPLY = 6, "OFPT_FEATURES_REPLY";
    GET_CONFIG_REQUEST = 7, "OFPT_GET_CONFIG_REQUEST";
    GET_CONFIG_REPLY = 8, "OFPT_GET_CONFIG_REPLY";
    SET_CONFIG = 9, "OFPT_SET_CONFIG";
    PACKET_IN = 10, "OFPT_PACKET_IN";
    FLOW_REMOVED = 11, "OFPT_FLOW_REMOVED";
    PORT_STATUS = 12, "OFPT_PORT_STATUS";
    PACKET_OUT = 13, "OFPT_PACKET_OUT";
    FLOW_MOD = 14, "OFPT_FLOW_MOD";
    GROUP_MOD = 15, "OFPT_GROUP_MOD";
    PORT_MOD = 16, "OFPT_PORT_MOD";
    TABLE_MOD = 17, "OFPT_TABLE_MOD";
    MULTIPART_REQUEST = 18, "OFPT_MULTIPART_REQUEST";
    MULTIPART_REPLY = 19, "OFPT_MULTIPART_REPLY";
    BARRIER_REQUEST = 20, "OFPT_BARRIER_REQUEST";
    BARRIER_REPLY = 21, "OFPT_BARRIER_REPLY";
    ROLE_REQUEST = 24, "OFPT_ROLE_REQUEST";
    ROLE_REPLY = 25, "OFPT_ROLE_REPLY";
    GET_ASYNC_REQUEST = 26, "OFPT_GET_ASYNC_REQUEST";
    GET_ASYNC_REPLY = 27, "OFPT_GET_ASYNC_REPLY";
    SET_ASYNC = 28, "OFPT_SET_ASYNC";
    METER_MOD = 29, "OFPT_METER_MOD";
    ROLE_STATUS = 30, "OFPT_ROLE_STATUS";
    TABLE_STATUS = 31, "OFPT_TABLE_STATUS";
    REQUESTFORWARD = 32, "OFPT_REQUESTFORWARD";
    BUNDLE_CONTROL = 33, "OFPT_BUNDLE_CONTROL";
    BUNDLE_ADD_MESSAGE = 34, "OFPT_BUNDLE_ADD_MESSAGE";
}

impl std::fmt::Debug for MsgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "MsgType({:#04x})", self.0),
        }
    }
}

/// `struct ofp_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub ty: MsgType,
    /// Total message length including this header.
    pub length: u16,
    pub xid: Xid,
}

impl Header {
    /// Parses the first 8 bytes of `buf` (any version; the caller decides what to accept).
    pub fn parse(buf: &[u8]) -> Result<Header, MsgError> {
        let mut c = Cursor::new(buf, "ofp_header");
        let version = c.u8()?;
        let ty = MsgType(c.u8()?);
        let length = c.u16()?;
        let xid = c.u32()?;
        if usize::from(length) < HEADER_LEN {
            return Err(MsgError::BadLength {
                context: "ofp_header",
                offset: 2,
                len: length.into(),
            });
        }
        Ok(Header {
            version,
            ty,
            length,
            xid,
        })
    }
}

/// Starts a message: writes the header with a zero length, to be fixed by `finish`.
pub(crate) fn start(out: &mut BytesMut, ty: MsgType, xid: Xid) -> usize {
    let start = out.len();
    out.put_u8(OFP15_VERSION);
    out.put_u8(ty.0);
    out.put_u16(0);
    out.put_u32(xid);
    start
}

/// Starts a Nicira experimenter message (`OFPT_EXPERIMENTER`, vendor 0x2320, `subtype`).
pub(crate) fn start_nx(out: &mut BytesMut, subtype: u32, xid: Xid) -> usize {
    let s = start(out, MsgType::EXPERIMENTER, xid);
    out.put_u32(NX_EXPERIMENTER);
    out.put_u32(subtype);
    s
}

/// Writes the final length into the header of the message that starts at `start`.
pub(crate) fn finish(
    out: &mut BytesMut,
    start: usize,
    context: &'static str,
) -> Result<(), MsgError> {
    super::wire::patch_len(out, start, 2, context)
}
