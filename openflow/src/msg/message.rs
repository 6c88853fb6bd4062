//! `Message`: every OpenFlow 1.5 message this crate understands, with one encode/decode pair
//! that dispatches on `ofp_header.type` (and the NX subtype for experimenter messages).

use bytes::{BufMut, Bytes, BytesMut};

use super::header::{self, MsgType};
use super::wire::Cursor;
use super::*;

/// Nicira experimenter message subtypes (`NXT_*`).
pub mod nxt {
    pub const SET_PACKET_IN_FORMAT: u32 = 16;
    pub const SET_CONTROLLER_ID: u32 = 20;
    pub const TLV_TABLE_MOD: u32 = 24;
    pub const TLV_TABLE_REQUEST: u32 = 25;
    pub const TLV_TABLE_REPLY: u32 = 26;
    pub const RESUME: u32 = 28;
    pub const CT_FLUSH_ZONE: u32 = 29;
    pub const PACKET_IN2: u32 = 30;
}

/// An OpenFlow 1.5 message (the header's xid travels separately).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Hello(Hello),
    Error(ErrorMsg),
    EchoRequest(Bytes),
    EchoReply(Bytes),
    FeaturesRequest,
    FeaturesReply(FeaturesReply),
    GetConfigRequest,
    GetConfigReply(SwitchConfig),
    SetConfig(SwitchConfig),
    PortStatus(PortStatus),
    PacketOut(PacketOut),
    FlowMod(FlowMod),
    GroupMod(GroupMod),
    MeterMod(MeterMod),
    MultipartRequest(MultipartRequest),
    MultipartReply(MultipartReply),
    BarrierRequest,
    BarrierReply,
    RoleRequest(Role),
    RoleReply(Role),
    BundleControl(BundleCtrl),
    BundleAdd(BundleAdd),
    SetPacketInFormat(PacketInFormat),
    SetControllerId(ControllerId),
    TlvTableMod(TlvTableMod),
    TlvTableRequest,
    TlvTableReply(TlvTableReply),
    CtFlushZone(CtFlushZone),
    PacketIn2(PacketIn2),
    Resume(Resume),
    /// An experimenter message we do not model, kept verbatim.
    Experimenter {
        experimenter: u32,
        subtype: u32,
        body: Bytes,
    },
    /// A standard message we do not model, kept verbatim (body after the header).
    Other {
        ty: MsgType,
        body: Bytes,
    },
}

impl Message {
    /// The name `ovs-ofctl` prints in titles (`OFPT_FLOW_MOD`, `NXT_TLV_TABLE_REPLY`).
    pub fn name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "OFPT_HELLO",
            Message::Error(_) => "OFPT_ERROR",
            Message::EchoRequest(_) => "OFPT_ECHO_REQUEST",
            Message::EchoReply(_) => "OFPT_ECHO_REPLY",
            Message::FeaturesRequest => "OFPT_FEATURES_REQUEST",
            Message::FeaturesReply(_) => "OFPT_FEATURES_REPLY",
            Message::GetConfigRequest => "OFPT_GET_CONFIG_REQUEST",
            Message::GetConfigReply(_) => "OFPT_GET_CONFIG_REPLY",
            Message::SetConfig(_) => "OFPT_SET_CONFIG",
            Message::PortStatus(_) => "OFPT_PORT_STATUS",
            Message::PacketOut(_) => "OFPT_PACKET_OUT",
            Message::FlowMod(_) => "OFPT_FLOW_MOD",
            Message::GroupMod(_) => "OFPT_GROUP_MOD",
            Message::MeterMod(_) => "OFPT_METER_MOD",
            Message::MultipartRequest(_) => "OFPT_MULTIPART_REQUEST",
            Message::MultipartReply(_) => "OFPT_MULTIPART_REPLY",
            Message::BarrierRequest => "OFPT_BARRIER_REQUEST",
            Message::BarrierReply => "OFPT_BARRIER_REPLY",
            Message::RoleRequest(_) => "OFPT_ROLE_REQUEST",
            Message::RoleReply(_) => "OFPT_ROLE_REPLY",
            Message::BundleControl(_) => "OFPT_BUNDLE_CONTROL",
            Message::BundleAdd(_) => "OFPT_BUNDLE_ADD_MESSAGE",
            Message::SetPacketInFormat(_) => "NXT_SET_PACKET_IN_FORMAT",
            Message::SetControllerId(_) => "NXT_SET_CONTROLLER_ID",
            Message::TlvTableMod(_) => "NXT_TLV_TABLE_MOD",
            Message::TlvTableRequest => "NXT_TLV_TABLE_REQUEST",
            Message::TlvTableReply(_) => "NXT_TLV_TABLE_REPLY",
            Message::CtFlushZone(_) => "NXT_CT_FLUSH_ZONE",
            Message::PacketIn2(_) => "NXT_PACKET_IN2",
            Message::Resume(_) => "NXT_RESUME",
            Message::Experimenter { .. } => "OFPT_EXPERIMENTER",
            Message::Other { ty, .. } => ty.name().unwrap_or("OFPT_UNKNOWN"),
        }
    }

    /// Appends the complete message (header included) to `out`. On error `out` is unchanged.
    pub fn encode(&self, xid: Xid, out: &mut BytesMut) -> Result<(), MsgError> {
        let mark = out.len();
        let r = self.encode_inner(xid, out);
        if r.is_err() {
            out.truncate(mark);
        }
        r
    }

    /// Encodes into a fresh buffer.
    pub fn to_bytes(&self, xid: Xid) -> Result<Bytes, MsgError> {
        let mut b = BytesMut::new();
        self.encode(xid, &mut b)?;
        Ok(b.freeze())
    }

    fn encode_inner(&self, xid: Xid, out: &mut BytesMut) -> Result<(), MsgError> {
        use Message as M;
        let nx = |out: &mut BytesMut, sub: u32| header::start_nx(out, sub, xid);
        let std = |out: &mut BytesMut, ty: MsgType| header::start(out, ty, xid);
        let start = match self {
            M::Hello(h) => {
                let s = std(out, MsgType::HELLO);
                h.encode_body(out)?;
                s
            }
            M::Error(e) => {
                let s = std(out, MsgType::ERROR);
                e.encode_body(out);
                s
            }
            M::EchoRequest(b) | M::EchoReply(b) => {
                let ty = if matches!(self, M::EchoRequest(_)) {
                    MsgType::ECHO_REQUEST
                } else {
                    MsgType::ECHO_REPLY
                };
                let s = std(out, ty);
                out.put_slice(b);
                s
            }
            M::FeaturesRequest => std(out, MsgType::FEATURES_REQUEST),
            M::FeaturesReply(f) => {
                let s = std(out, MsgType::FEATURES_REPLY);
                f.encode_body(out);
                s
            }
            M::GetConfigRequest => std(out, MsgType::GET_CONFIG_REQUEST),
            M::GetConfigReply(c) | M::SetConfig(c) => {
                let ty = if matches!(self, M::SetConfig(_)) {
                    MsgType::SET_CONFIG
                } else {
                    MsgType::GET_CONFIG_REPLY
                };
                let s = std(out, ty);
                c.encode_body(out);
                s
            }
            M::PortStatus(p) => {
                let s = std(out, MsgType::PORT_STATUS);
                p.encode_body(out)?;
                s
            }
            M::PacketOut(p) => {
                let s = std(out, MsgType::PACKET_OUT);
                p.encode_body(out)?;
                s
            }
            M::FlowMod(fm) => return fm.encode(xid, out),
            M::GroupMod(g) => {
                let s = std(out, MsgType::GROUP_MOD);
                g.encode_body(out)?;
                s
            }
            M::MeterMod(m) => {
                let s = std(out, MsgType::METER_MOD);
                m.encode_body(out);
                s
            }
            M::MultipartRequest(r) => {
                let s = std(out, MsgType::MULTIPART_REQUEST);
                r.encode_body(out);
                s
            }
            M::MultipartReply(r) => {
                let s = std(out, MsgType::MULTIPART_REPLY);
                r.encode_body(out);
                s
            }
            M::BarrierRequest => std(out, MsgType::BARRIER_REQUEST),
            M::BarrierReply => std(out, MsgType::BARRIER_REPLY),
            M::RoleRequest(r) | M::RoleReply(r) => {
                let ty = if matches!(self, M::RoleRequest(_)) {
                    MsgType::ROLE_REQUEST
                } else {
                    MsgType::ROLE_REPLY
                };
                let s = std(out, ty);
                r.encode_body(out);
                s
            }
            M::BundleControl(b) => {
                let s = std(out, MsgType::BUNDLE_CONTROL);
                b.encode_body(out);
                s
            }
            M::BundleAdd(b) => {
                let s = std(out, MsgType::BUNDLE_ADD_MESSAGE);
                b.encode_body(out);
                s
            }
            M::SetPacketInFormat(f) => {
                let s = nx(out, nxt::SET_PACKET_IN_FORMAT);
                out.put_u32(f.0);
                s
            }
            M::SetControllerId(id) => {
                let s = nx(out, nxt::SET_CONTROLLER_ID);
                out.put_bytes(0, 6);
                out.put_u16(id.0);
                s
            }
            M::TlvTableMod(t) => {
                let s = nx(out, nxt::TLV_TABLE_MOD);
                t.encode_body(out);
                s
            }
            M::TlvTableRequest => nx(out, nxt::TLV_TABLE_REQUEST),
            M::TlvTableReply(t) => {
                let s = nx(out, nxt::TLV_TABLE_REPLY);
                t.encode_body(out);
                s
            }
            M::CtFlushZone(z) => {
                let s = nx(out, nxt::CT_FLUSH_ZONE);
                out.put_bytes(0, 6);
                out.put_u16(z.0);
                s
            }
            M::PacketIn2(p) => {
                let s = nx(out, nxt::PACKET_IN2);
                p.encode_body(out)?;
                s
            }
            M::Resume(r) => {
                let s = nx(out, nxt::RESUME);
                r.encode_body(out)?;
                s
            }
            M::Experimenter {
                experimenter,
                subtype,
                body,
            } => {
                let s = std(out, MsgType::EXPERIMENTER);
                out.put_u32(*experimenter);
                out.put_u32(*subtype);
                out.put_slice(body);
                s
            }
            M::Other { ty, body } => {
                let s = std(out, *ty);
                out.put_slice(body);
                s
            }
        };
        header::finish(out, start, self.name())
    }

    /// Decodes one complete message (exactly `header.length` bytes, as the `Framer` yields).
    /// Variable-length parts (packets, multipart bodies, error data) share `frame`'s storage.
    pub fn decode(frame: &Bytes) -> Result<(Header, Message), MsgError> {
        let h = Header::parse(frame)?;
        if h.version != OFP15_VERSION {
            return Err(MsgError::BadVersion(h.version));
        }
        let len = usize::from(h.length);
        let all = frame.get(..len).ok_or(MsgError::Truncated {
            context: "ofp_header",
            offset: 0,
            need: len,
            have: frame.len(),
        })?;
        let mut c = Cursor::new(all, "message");
        c.skip(HEADER_LEN)?;
        let rest = |c: &mut Cursor<'_>| {
            let off = c.offset();
            let n = c.rest().len();
            frame.slice(off..off + n)
        };
        use Message as M;
        let msg = match h.ty {
            MsgType::HELLO => M::Hello(Hello::decode_body(c.context("hello"))?),
            MsgType::ERROR => M::Error(ErrorMsg::decode_body(c.context("error"))?),
            MsgType::ECHO_REQUEST => M::EchoRequest(rest(&mut c)),
            MsgType::ECHO_REPLY => M::EchoReply(rest(&mut c)),
            MsgType::FEATURES_REQUEST => M::FeaturesRequest,
            MsgType::FEATURES_REPLY => {
                M::FeaturesReply(FeaturesReply::decode_body(c.context("features_reply"))?)
            }
            MsgType::GET_CONFIG_REQUEST => M::GetConfigRequest,
            MsgType::GET_CONFIG_REPLY => {
                M::GetConfigReply(SwitchConfig::decode_body(c.context("get_config_reply"))?)
            }
            MsgType::SET_CONFIG => {
                M::SetConfig(SwitchConfig::decode_body(c.context("set_config"))?)
            }
            MsgType::PORT_STATUS => {
                M::PortStatus(PortStatus::decode_body(c.context("port_status"))?)
            }
            MsgType::PACKET_OUT => {
                M::PacketOut(PacketOut::decode_body(frame, c.context("packet_out"))?)
            }
            MsgType::FLOW_MOD => M::FlowMod(FlowMod::decode_body(c.context("flow_mod"))?),
            MsgType::GROUP_MOD => {
                M::GroupMod(GroupMod::decode_body(frame, c.context("group_mod"))?)
            }
            MsgType::METER_MOD => M::MeterMod(MeterMod::decode_body(c.context("meter_mod"))?),
            MsgType::MULTIPART_REQUEST => M::MultipartRequest(MultipartRequest::decode_body(
                frame,
                c.context("multipart_request"),
            )?),
            MsgType::MULTIPART_REPLY => M::MultipartReply(MultipartReply::decode_body(
                frame,
                c.context("multipart_reply"),
            )?),
            MsgType::BARRIER_REQUEST => M::BarrierRequest,
            MsgType::BARRIER_REPLY => M::BarrierReply,
            MsgType::ROLE_REQUEST => M::RoleRequest(Role::decode_body(c.context("role_request"))?),
            MsgType::ROLE_REPLY => M::RoleReply(Role::decode_body(c.context("role_reply"))?),
            MsgType::BUNDLE_CONTROL => {
                M::BundleControl(BundleCtrl::decode_body(c.context("bundle_control"))?)
            }
            MsgType::BUNDLE_ADD_MESSAGE => {
                M::BundleAdd(BundleAdd::decode_body(c.context("bundle_add"))?)
            }
            MsgType::EXPERIMENTER => {
                let experimenter = c.context("experimenter").u32()?;
                let subtype = c.u32()?;
                if experimenter != NX_EXPERIMENTER {
                    M::Experimenter {
                        experimenter,
                        subtype,
                        body: rest(&mut c),
                    }
                } else {
                    match subtype {
                        nxt::SET_PACKET_IN_FORMAT => M::SetPacketInFormat(PacketInFormat(c.u32()?)),
                        nxt::SET_CONTROLLER_ID => {
                            c.skip(6)?;
                            M::SetControllerId(ControllerId(c.u16()?))
                        }
                        nxt::TLV_TABLE_MOD => {
                            M::TlvTableMod(TlvTableMod::decode_body(c.context("tlv_table_mod"))?)
                        }
                        nxt::TLV_TABLE_REQUEST => M::TlvTableRequest,
                        nxt::TLV_TABLE_REPLY => M::TlvTableReply(TlvTableReply::decode_body(
                            c.context("tlv_table_reply"),
                        )?),
                        nxt::CT_FLUSH_ZONE => {
                            c.skip(6)?;
                            M::CtFlushZone(CtFlushZone(c.u16()?))
                        }
                        nxt::PACKET_IN2 => {
                            M::PacketIn2(PacketIn2::decode_body(frame, c.context("packet_in2"))?)
                        }
                        nxt::RESUME => M::Resume(Resume::decode_body(frame, c.context("resume"))?),
                        _ => M::Experimenter {
                            experimenter,
                            subtype,
                            body: rest(&mut c),
                        },
                    }
                }
            }
            ty => M::Other {
                ty,
                body: rest(&mut c),
            },
        };
        Ok((h, msg))
    }
}
