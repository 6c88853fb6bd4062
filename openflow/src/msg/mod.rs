//! OpenFlow 1.5 messages (plus the Nicira extension messages OVN uses): one type per message,
//! each with its wire encoding and, where `ovs-ofctl` prints it, a `Display` in its format.
//!
//! Decoding takes one complete frame (see `conn::Framer`) and never panics; variable-length
//! payloads share the frame's storage.

mod bundle;
mod controller_id;
mod ct_flush_zone;
mod error_msg;
mod error_names;
mod features;
mod flow_mod;
mod flow_stats;
mod flow_text;
mod group_mod;
mod group_text;
mod header;
mod hello;
pub mod instructions;
mod message;
mod meter_mod;
mod msg_error;
mod multipart;
pub(crate) mod ofp_match;
mod packet_in2;
mod packet_in_format;
mod packet_out;
mod port_desc;
pub mod print;
mod property;
mod raw;
mod role;
mod switch_config;
mod tlv_table;
pub(crate) mod wire;

pub use bundle::{
    BUNDLE_ADD_OVERHEAD, BUNDLE_ATOMIC, BUNDLE_ORDERED, BundleAdd, BundleCtrl, BundleCtrlType,
};
pub use controller_id::ControllerId;
pub use ct_flush_zone::CtFlushZone;
pub use error_msg::ErrorMsg;
pub use features::FeaturesReply;
pub use flow_mod::{
    DEFAULT_PRIORITY, FlowMod, FlowModCommand, NO_BUFFER, OFPG_ANY, OFPP_ANY, flow_mod_flags,
};
pub use flow_stats::{AggregateStats, FlowStats, FlowStatsIter, FlowStatsRequest, OxsStats};
pub use flow_text::{
    FlowFormatError, FlowParseError, format_flow_mod, format_flow_stats, format_match,
};
pub use group_mod::{
    BUCKET_ALL, BUCKET_FIRST, BUCKET_LAST, Bucket, GroupCommand, GroupDesc, GroupMod, GroupType,
    OFPG_ALL, SelectionMethod,
};
pub use group_text::format_group;
pub use header::{
    HEADER_LEN, Header, MsgType, NX_EXPERIMENTER, OFP15_VERSION, ONF_EXPERIMENTER, Xid,
};
pub use hello::Hello;
pub use message::{Message, nxt};
pub use meter_mod::{MeterBand, MeterCommand, MeterConfig, MeterMod, MeterParseError, meter_flags};
pub use msg_error::MsgError;
pub use multipart::{MULTIPART_MORE, MultipartReply, MultipartRequest, MultipartType};
pub use packet_in_format::PacketInFormat;
pub use packet_in2::{PacketIn2, Resume};
pub use packet_out::PacketOut;
pub use port_desc::{Port, PortStatus};
pub use raw::{RawActions, RawInstructions, RawMatch};
pub use role::Role;
pub use switch_config::SwitchConfig;
pub use tlv_table::{TlvMap, TlvMapParseError, TlvTableMod, TlvTableReply};
