//! Flow statistics, OF1.5: the `OFPMP_FLOW_DESC` request (also used for `OFPMP_AGGREGATE_STATS`),
//! the reply entries (`struct ofp15_flow_desc` + match + OXS stats + instructions), and the
//! aggregate reply (an OXS block). `openflow-1.5.h`, `lib/ofp-flow.c`, `lib/ox-stat.c`.

use bytes::{BufMut, Bytes, BytesMut};

use super::raw::{RawInstructions, RawMatch};
use super::wire::{Cursor, pad8, patch_u16};
use super::{MsgError, MultipartRequest, MultipartType, OFPG_ANY, OFPP_ANY, ofp_match};

/// What to dump: table (0xff = all), out_port/out_group filters, cookie/mask and a (loose) match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStatsRequest {
    pub table_id: u8,
    pub out_port: u32,
    pub out_group: u32,
    pub cookie: u64,
    pub cookie_mask: u64,
    pub match_: RawMatch,
}

impl Default for FlowStatsRequest {
    fn default() -> Self {
        FlowStatsRequest {
            table_id: 0xff,
            out_port: OFPP_ANY,
            out_group: OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            match_: RawMatch::default(),
        }
    }
}

impl FlowStatsRequest {
    fn body(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(32 + self.match_.0.len() + 8);
        b.put_u8(self.table_id);
        b.put_bytes(0, 3);
        b.put_u32(self.out_port);
        b.put_u32(self.out_group);
        b.put_u32(0);
        b.put_u64(self.cookie);
        b.put_u64(self.cookie_mask);
        // The match is bounded by the caller's filter; an oversize one fails at message level.
        let _ = ofp_match::encode(&mut b, |o| {
            o.put_slice(&self.match_.0);
            Ok(())
        });
        b.freeze()
    }

    /// As an `OFPMP_FLOW_DESC` request (dump-flows).
    pub fn flows(&self) -> MultipartRequest {
        MultipartRequest {
            ty: MultipartType::FLOW_DESC,
            flags: 0,
            body: self.body(),
        }
    }

    /// As an `OFPMP_AGGREGATE_STATS` request (dump-aggregate).
    pub fn aggregate(&self) -> MultipartRequest {
        MultipartRequest {
            ty: MultipartType::AGGREGATE_STATS,
            flags: 0,
            body: self.body(),
        }
    }
}

/// OXS statistics; `None` where the switch did not report the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OxsStats {
    pub duration_sec: Option<u32>,
    pub duration_nsec: u32,
    pub idle_age: Option<u32>,
    pub packet_count: Option<u64>,
    pub byte_count: Option<u64>,
    pub flow_count: Option<u32>,
}

const OFPXSC_OPENFLOW_BASIC: u16 = 0x8002;
const OXS_DURATION: u8 = 0;
const OXS_IDLE_TIME: u8 = 1;
const OXS_FLOW_COUNT: u8 = 3;
const OXS_PACKET_COUNT: u8 = 4;
const OXS_BYTE_COUNT: u8 = 5;

impl OxsStats {
    /// Reads an `ofp_oxs_stat` block (reserved u16, length u16, TLVs, pad to 8).
    pub(crate) fn decode(c: &mut Cursor<'_>) -> Result<OxsStats, MsgError> {
        c.context("ofp_oxs_stat");
        c.skip(2)?;
        let len = usize::from(c.u16()?);
        if len < 4 {
            return Err(c.bad_len(len));
        }
        let mut b = c.sub(len - 4)?;
        c.skip(len.next_multiple_of(8) - len)?;
        let mut s = OxsStats::default();
        while !b.is_empty() {
            let class = b.u16()?;
            let field = b.u8()? >> 1;
            let flen = usize::from(b.u8()?);
            let mut v = b.sub(flen)?;
            if class != OFPXSC_OPENFLOW_BASIC {
                continue;
            }
            match (field, flen) {
                (OXS_DURATION, 8) => {
                    s.duration_sec = Some(v.u32()?);
                    s.duration_nsec = v.u32()?;
                }
                (OXS_IDLE_TIME, 8) => s.idle_age = Some(v.u32()?),
                (OXS_FLOW_COUNT, 4) => s.flow_count = Some(v.u32()?),
                (OXS_PACKET_COUNT, 8) => s.packet_count = Some(v.u64()?),
                (OXS_BYTE_COUNT, 8) => s.byte_count = Some(v.u64()?),
                // Unknown or odd-sized stats are skipped, as OVS does.
                _ => {}
            }
        }
        Ok(s)
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u32(0);
        let mut put = |field: u8, v: &[u8]| {
            out.put_u16(OFPXSC_OPENFLOW_BASIC);
            out.put_u8(field << 1);
            out.put_u8(u8::try_from(v.len()).unwrap_or(0));
            out.put_slice(v);
        };
        if let Some(sec) = self.duration_sec {
            put(
                OXS_DURATION,
                &((u64::from(sec) << 32) | u64::from(self.duration_nsec)).to_be_bytes(),
            );
        }
        if let Some(a) = self.idle_age {
            put(OXS_IDLE_TIME, &(u64::from(a) << 32).to_be_bytes());
        }
        if let Some(p) = self.packet_count {
            put(OXS_PACKET_COUNT, &p.to_be_bytes());
        }
        if let Some(b) = self.byte_count {
            put(OXS_BYTE_COUNT, &b.to_be_bytes());
        }
        if let Some(f) = self.flow_count {
            put(OXS_FLOW_COUNT, &f.to_be_bytes());
        }
        let len = out.len() - start;
        patch_u16(out, start + 2, len, "ofp_oxs_stat")?;
        pad8(out, start);
        Ok(())
    }
}

/// One flow of a flow stats reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStats {
    pub table_id: u8,
    pub priority: u16,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub flags: u16,
    pub importance: u16,
    pub cookie: u64,
    pub match_: RawMatch,
    pub stats: OxsStats,
    pub instructions: RawInstructions,
}

impl FlowStats {
    fn decode(frame: &Bytes, c: &mut Cursor<'_>) -> Result<FlowStats, MsgError> {
        c.context("ofp15_flow_desc");
        let len = usize::from(c.u16()?);
        if len < 24 {
            return Err(c.bad_len(len));
        }
        let mut e = c.sub(len - 2)?;
        e.skip(2)?;
        let table_id = e.u8()?;
        e.skip(1)?;
        let priority = e.u16()?;
        let idle_timeout = e.u16()?;
        let hard_timeout = e.u16()?;
        let flags = e.u16()?;
        let importance = e.u16()?;
        let cookie = e.u64()?;
        let mut m = ofp_match::decode(&mut e)?;
        let m_off = m.offset() - BODY_BASE;
        let m_len = m.rest().len();
        let stats = OxsStats::decode(&mut e)?;
        let i_off = e.offset() - BODY_BASE;
        let i_len = e.rest().len();
        Ok(FlowStats {
            table_id,
            priority,
            idle_timeout,
            hard_timeout,
            flags,
            importance,
            cookie,
            match_: RawMatch(frame.slice(m_off..m_off + m_len)),
            stats,
            instructions: RawInstructions(frame.slice(i_off..i_off + i_len)),
        })
    }

    /// Appends this entry in reply-body form (for tests and for answering as a switch).
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(0);
        out.put_u8(self.table_id);
        out.put_u8(0);
        out.put_u16(self.priority);
        out.put_u16(self.idle_timeout);
        out.put_u16(self.hard_timeout);
        out.put_u16(self.flags);
        out.put_u16(self.importance);
        out.put_u64(self.cookie);
        ofp_match::encode(out, |o| {
            o.put_slice(&self.match_.0);
            Ok(())
        })?;
        self.stats.encode(out)?;
        out.put_slice(&self.instructions.0);
        super::wire::patch_len(out, start, 0, "ofp15_flow_desc")
    }
}

/// Reply bodies are decoded with offsets relative to the body; the multipart header is 16 bytes.
const BODY_BASE: usize = 16;

/// Iterates over the flows in one flow stats reply part without copying them.
#[derive(Debug, Clone)]
pub struct FlowStatsIter {
    body: Bytes,
    pos: usize,
    failed: bool,
}

impl FlowStatsIter {
    pub fn new(body: Bytes) -> Self {
        FlowStatsIter {
            body,
            pos: 0,
            failed: false,
        }
    }
}

impl Iterator for FlowStatsIter {
    type Item = Result<FlowStats, MsgError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.body.len() {
            return None;
        }
        let rest = self.body.get(self.pos..)?;
        let mut c = Cursor::with_base(rest, BODY_BASE + self.pos, "flow stats reply");
        let r = FlowStats::decode(&self.body, &mut c);
        match &r {
            Ok(_) => self.pos = c.offset() - BODY_BASE,
            Err(_) => self.failed = true,
        }
        Some(r)
    }
}

/// Aggregate flow statistics (the OF1.5 reply body is one OXS block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AggregateStats {
    pub packet_count: u64,
    pub byte_count: u64,
    pub flow_count: u32,
}

impl AggregateStats {
    pub fn decode_reply(body: &[u8]) -> Result<AggregateStats, MsgError> {
        let mut c = Cursor::with_base(body, BODY_BASE, "aggregate reply");
        let s = OxsStats::decode(&mut c)?;
        Ok(AggregateStats {
            packet_count: s.packet_count.unwrap_or(u64::MAX),
            byte_count: s.byte_count.unwrap_or(u64::MAX),
            flow_count: s.flow_count.unwrap_or(u32::MAX),
        })
    }
}

/// ` packet_count=0 byte_count=0 flow_count=3`, as `ofputil_aggregate_stats_format`.
impl std::fmt::Display for AggregateStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            " packet_count={} byte_count={} flow_count={}",
            self.packet_count, self.byte_count, self.flow_count
        )
    }
}
