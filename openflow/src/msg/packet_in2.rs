//! `NXT_PACKET_IN2` (NX subtype 30) and `NXT_RESUME` (NX subtype 28): property-based packet-in
//! with an opaque continuation for `controller(pause)` (`nicira-ext.h` `enum nx_packet_in2_prop_type`,
//! `lib/ofp-packet.c`).

use bytes::{Bytes, BytesMut};

use super::MsgError;
use super::property;
use super::wire::Cursor;

const NXPINT_PACKET: u16 = 0;
const NXPINT_FULL_LEN: u16 = 1;
const NXPINT_BUFFER_ID: u16 = 2;
const NXPINT_TABLE_ID: u16 = 3;
const NXPINT_COOKIE: u16 = 4;
const NXPINT_REASON: u16 = 5;
const NXPINT_METADATA: u16 = 6;
const NXPINT_USERDATA: u16 = 7;
const NXPINT_CONTINUATION: u16 = 8;

/// A packet sent to the controller. `metadata` is the raw OXM/NXM TLVs of the pipeline fields
/// (in_port, metadata, regs, ct_*, tun_*); decode it with the match codec. `continuation` is
/// kept byte for byte (nested properties, with their leading 4-byte pad) so a resume echoes it
/// exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PacketIn2 {
    pub packet: Bytes,
    /// The packet's full length when `packet` is truncated.
    pub full_len: Option<u32>,
    pub buffer_id: Option<u32>,
    pub table_id: u8,
    /// The flow's cookie (`None` = all-ones, which OVS omits).
    pub cookie: Option<u64>,
    /// `OFPR_*` (0 no match / table miss, 1 action, … ; OVS's `OFPR_EXPLICIT_MISS` is 6 in OF1.5).
    pub reason: u8,
    pub metadata: Bytes,
    pub userdata: Option<Bytes>,
    pub continuation: Option<Bytes>,
}

fn slice(frame: &Bytes, c: &Cursor<'_>, body: &[u8]) -> Bytes {
    // `body` lies inside `frame`; offsets come from the cursor, so no unsafe pointer math.
    let start = c.offset();
    frame.slice(start..start + body.len())
}

impl PacketIn2 {
    pub(crate) fn decode_body(frame: &Bytes, c: &mut Cursor<'_>) -> Result<PacketIn2, MsgError> {
        let mut pin = PacketIn2 {
            cookie: None,
            ..Default::default()
        };
        while let Some(mut p) = property::next(c)? {
            match p.ty {
                NXPINT_PACKET => {
                    let b = p.body.clone();
                    pin.packet = slice(frame, &b, p.body.rest());
                }
                NXPINT_FULL_LEN => pin.full_len = Some(p.body.u32()?),
                NXPINT_BUFFER_ID => pin.buffer_id = Some(p.body.u32()?),
                NXPINT_TABLE_ID => pin.table_id = p.body.u8()?,
                NXPINT_COOKIE => pin.cookie = Some(property::parse_u64(&mut p)?),
                NXPINT_REASON => pin.reason = p.body.u8()?,
                NXPINT_METADATA => {
                    let b = p.body.clone();
                    pin.metadata = slice(frame, &b, p.body.rest());
                }
                NXPINT_USERDATA => {
                    let b = p.body.clone();
                    pin.userdata = Some(slice(frame, &b, p.body.rest()));
                }
                NXPINT_CONTINUATION => {
                    let b = p.body.clone();
                    pin.continuation = Some(slice(frame, &b, p.body.rest()));
                }
                // Unknown properties are ignored, as OVS does for non-required ones.
                _ => {}
            }
        }
        Ok(pin)
    }

    /// The pipeline fields (`in_port`, `metadata`, regs, `ct_*`, `tun_*`) as a match.
    pub fn metadata_match(&self) -> Result<crate::flow_match::Match, crate::codec::DecodeError> {
        crate::flow_match::Match::decode_oxm_fields(&mut crate::codec::Reader::new(&self.metadata))
    }

    fn encode_common(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        property::put_bytes(out, NXPINT_PACKET, &self.packet)?;
        if let Some(l) = self.full_len {
            property::put_u32(out, NXPINT_FULL_LEN, l)?;
        }
        if let Some(b) = self.buffer_id {
            property::put_u32(out, NXPINT_BUFFER_ID, b)?;
        }
        property::put_u8(out, NXPINT_TABLE_ID, self.table_id)?;
        if let Some(c) = self.cookie {
            property::put_u64(out, NXPINT_COOKIE, c)?;
        }
        property::put_u8(out, NXPINT_REASON, self.reason)?;
        property::put_bytes(out, NXPINT_METADATA, &self.metadata)
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        self.encode_common(out)?;
        if let Some(u) = &self.userdata {
            property::put_bytes(out, NXPINT_USERDATA, u)?;
        }
        if let Some(k) = &self.continuation {
            property::put_bytes(out, NXPINT_CONTINUATION, k)?;
        }
        Ok(())
    }
}

/// `NXT_RESUME`: continue a paused pipeline. Built from the packet-in (possibly with a modified
/// packet); it carries the packet-in's properties minus userdata, plus the continuation verbatim.
/// vswitchd answers `NXR_STALE` if it restarted since the pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub packet_in: PacketIn2,
}

impl Resume {
    /// A resume of `pin` (which must carry a continuation) with its packet unchanged.
    pub fn from_packet_in(pin: &PacketIn2) -> Resume {
        let mut p = pin.clone();
        p.userdata = None;
        p.full_len = None;
        Resume { packet_in: p }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        self.packet_in.encode_common(out)?;
        if let Some(k) = &self.packet_in.continuation {
            property::put_bytes(out, NXPINT_CONTINUATION, k)?;
        }
        Ok(())
    }

    pub(crate) fn decode_body(frame: &Bytes, c: &mut Cursor<'_>) -> Result<Resume, MsgError> {
        Ok(Resume {
            packet_in: PacketIn2::decode_body(frame, c)?,
        })
    }
}
