//! `OFPT_ERROR`, with the (type, code) pair resolved to the names `ovs-ofctl` prints.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::error_names::{ERROR_NAMES, Vendor};
use super::wire::Cursor;
use super::{Header, MsgError, NX_EXPERIMENTER, ONF_EXPERIMENTER};

const OFPET_EXPERIMENTER: u16 = 0xffff;

/// An error reply. For experimenter errors (`type` 0xffff) `code` is the experimenter's code and
/// `experimenter` its vendor id; `data` is (a prefix of) the offending message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMsg {
    pub ty: u16,
    pub code: u16,
    pub experimenter: Option<u32>,
    pub data: Bytes,
}

impl ErrorMsg {
    /// The OVS name of this error (`OFPBMC_BAD_PREREQ`, `NXTTMFC_ALREADY_MAPPED`), if known.
    pub fn name(&self) -> Option<&'static str> {
        let vendor = match self.experimenter {
            None => Vendor::Of,
            Some(NX_EXPERIMENTER) => Vendor::Nx,
            Some(ONF_EXPERIMENTER) => Vendor::Onf,
            Some(_) => return None,
        };
        ERROR_NAMES
            .iter()
            .find(|(v, t, c, _)| *v == vendor && *t == self.ty && *c == self.code)
            .map(|e| e.3)
    }

    /// The name of the error type (`OFPET_BAD_MATCH`).
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self.ty {
            0 => "OFPET_HELLO_FAILED",
            1 => "OFPET_BAD_REQUEST",
            2 => "OFPET_BAD_ACTION",
            3 => "OFPET_BAD_INSTRUCTION",
            4 => "OFPET_BAD_MATCH",
            5 => "OFPET_FLOW_MOD_FAILED",
            6 => "OFPET_GROUP_MOD_FAILED",
            7 => "OFPET_PORT_MOD_FAILED",
            8 => "OFPET_TABLE_MOD_FAILED",
            9 => "OFPET_QUEUE_OP_FAILED",
            10 => "OFPET_SWITCH_CONFIG_FAILED",
            11 => "OFPET_ROLE_REQUEST_FAILED",
            12 => "OFPET_METER_MOD_FAILED",
            13 => "OFPET_TABLE_FEATURES_FAILED",
            14 => "OFPET_BAD_PROPERTY",
            15 => "OFPET_ASYNC_CONFIG_FAILED",
            16 => "OFPET_FLOW_MONITOR_FAILED",
            17 => "OFPET_BUNDLE_FAILED",
            OFPET_EXPERIMENTER => "OFPET_EXPERIMENTER",
            _ => return None,
        })
    }

    /// Builds an error by name (for tests and for answering a peer).
    pub fn from_name(name: &str, data: Bytes) -> Option<ErrorMsg> {
        let (v, t, c, _) = ERROR_NAMES.iter().find(|e| e.3 == name)?;
        let experimenter = match v {
            Vendor::Of => None,
            Vendor::Nx => Some(NX_EXPERIMENTER),
            Vendor::Onf => Some(ONF_EXPERIMENTER),
        };
        Some(ErrorMsg {
            ty: *t,
            code: *c,
            experimenter,
            data,
        })
    }

    /// The header of the offending message echoed in `data`, if there is one.
    pub fn offending_header(&self) -> Option<Header> {
        Header::parse(&self.data).ok()
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.ty);
        out.put_u16(self.code);
        if let Some(e) = self.experimenter {
            out.put_u32(e);
        }
        out.put_slice(&self.data);
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<ErrorMsg, MsgError> {
        let ty = c.u16()?;
        let code = c.u16()?;
        let experimenter = if ty == OFPET_EXPERIMENTER {
            Some(c.u32()?)
        } else {
            None
        };
        Ok(ErrorMsg {
            ty,
            code,
            experimenter,
            data: Bytes::copy_from_slice(c.rest()),
        })
    }
}

impl fmt::Display for ErrorMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.experimenter) {
            (Some(n), _) => f.write_str(n),
            (None, Some(e)) => write!(f, "vendor {e:#x} error code {}", self.code),
            (None, None) => write!(f, "type {} code {}", self.ty, self.code),
        }
    }
}
