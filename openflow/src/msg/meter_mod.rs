//! `OFPT_METER_MOD` and the meter config (`OFPMP_METER_DESC`) reply entries, OF1.3+ layout
//! (`openflow-1.3.h` `struct ofp13_meter_mod`, `ofp13_meter_band_*`, `ofp13_meter_config`).

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::wire::{Cursor, patch_len};

/// `OFPMF13_*` meter flags.
pub mod meter_flags {
    pub const KBPS: u16 = 1 << 0;
    pub const PKTPS: u16 = 1 << 1;
    pub const BURST: u16 = 1 << 2;
    pub const STATS: u16 = 1 << 3;
}

/// A meter band. OVS implements only `Drop`; it rejects DSCP_REMARK with `OFPMMFC_BAD_BAND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterBand {
    Drop {
        rate: u32,
        burst_size: u32,
    },
    DscpRemark {
        rate: u32,
        burst_size: u32,
        prec_level: u8,
    },
    Other {
        ty: u16,
        rate: u32,
        burst_size: u32,
    },
}

const OFPMBT13_DROP: u16 = 1;
const OFPMBT13_DSCP_REMARK: u16 = 2;

impl MeterBand {
    fn encode(&self, out: &mut BytesMut) {
        let (ty, rate, burst, prec) = match *self {
            MeterBand::Drop { rate, burst_size } => (OFPMBT13_DROP, rate, burst_size, 0),
            MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level,
            } => (OFPMBT13_DSCP_REMARK, rate, burst_size, prec_level),
            MeterBand::Other {
                ty,
                rate,
                burst_size,
            } => (ty, rate, burst_size, 0),
        };
        out.put_u16(ty);
        out.put_u16(16);
        out.put_u32(rate);
        out.put_u32(burst);
        out.put_u8(prec);
        out.put_bytes(0, 3);
    }

    fn decode(c: &mut Cursor<'_>) -> Result<MeterBand, MsgError> {
        let ty = c.u16()?;
        let len = usize::from(c.u16()?);
        if len < 16 || len % 8 != 0 {
            return Err(c.bad_len(len));
        }
        let mut b = c.sub(len - 4)?;
        let rate = b.u32()?;
        let burst_size = b.u32()?;
        let prec_level = b.u8()?;
        Ok(match ty {
            OFPMBT13_DROP => MeterBand::Drop { rate, burst_size },
            OFPMBT13_DSCP_REMARK => MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level,
            },
            ty => MeterBand::Other {
                ty,
                rate,
                burst_size,
            },
        })
    }

    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, flags: u16) -> fmt::Result {
        let (rate, burst) = match *self {
            MeterBand::Drop { rate, burst_size } => {
                f.write_str("\ntype=drop")?;
                (rate, burst_size)
            }
            MeterBand::DscpRemark {
                rate, burst_size, ..
            } => {
                f.write_str("\ntype=dscp_remark")?;
                (rate, burst_size)
            }
            MeterBand::Other {
                ty,
                rate,
                burst_size,
            } => {
                write!(f, "\ntype={ty}")?;
                (rate, burst_size)
            }
        };
        write!(f, " rate={rate}")?;
        if flags & meter_flags::BURST != 0 {
            write!(f, " burst_size={burst}")?;
        }
        if let MeterBand::DscpRemark { prec_level, .. } = self {
            write!(f, " prec_level={prec_level}")?;
        }
        Ok(())
    }
}

/// A meter's configuration: the body of a meter_mod and one meter-config reply entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    pub meter_id: u32,
    pub flags: u16,
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    /// Decodes one `ofp13_meter_config` entry of a reply body.
    pub(crate) fn decode_entry(c: &mut Cursor<'_>) -> Result<MeterConfig, MsgError> {
        c.context("ofp13_meter_config");
        let len = usize::from(c.u16()?);
        if len < 8 {
            return Err(c.bad_len(len));
        }
        let mut e = c.sub(len - 2)?;
        let flags = e.u16()?;
        let meter_id = e.u32()?;
        let mut bands = Vec::new();
        while !e.is_empty() {
            bands.push(MeterBand::decode(&mut e)?);
        }
        Ok(MeterConfig {
            meter_id,
            flags,
            bands,
        })
    }

    /// Appends this meter in reply-entry form.
    pub fn encode_entry(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(self.flags);
        out.put_u32(self.meter_id);
        for b in &self.bands {
            b.encode(out);
        }
        patch_len(out, start, 0, "meter_config")
    }

    /// Parses the reply body of `OFPMP_METER_DESC`.
    pub fn decode_reply(body: &[u8]) -> Result<Vec<MeterConfig>, MsgError> {
        let mut c = Cursor::with_base(body, 16, "meter_config reply");
        let mut v = Vec::new();
        while !c.is_empty() {
            v.push(MeterConfig::decode_entry(&mut c)?);
        }
        Ok(v)
    }
}

fn fmt_meter_id(f: &mut fmt::Formatter<'_>, id: u32) -> fmt::Result {
    match id {
        0..=0xffff_0000 => write!(f, "meter={id}"),
        0xffff_fffd => f.write_str("meter=slowpath"),
        0xffff_fffe => f.write_str("meter=controller"),
        0xffff_ffff => f.write_str("meter=all"),
        _ => f.write_str("meter=unknown"),
    }
}

/// `meter=1 pktps burst stats bands=\ntype=drop rate=100 burst_size=10` (no final newline), as
/// `ofputil_format_meter_config` prints it before its trailing newline.
impl fmt::Display for MeterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_meter_id(f, self.meter_id)?;
        f.write_str(" ")?;
        for (bit, name) in [
            (meter_flags::KBPS, "kbps "),
            (meter_flags::PKTPS, "pktps "),
            (meter_flags::BURST, "burst "),
            (meter_flags::STATS, "stats "),
        ] {
            if self.flags & bit != 0 {
                f.write_str(name)?;
            }
        }
        let other = self.flags & !0xf;
        if other != 0 {
            write!(f, "flags:0x{other:x} ")?;
        }
        f.write_str("bands=")?;
        for b in &self.bands {
            b.fmt_with(f, self.flags)?;
        }
        Ok(())
    }
}

/// `OFPMC13_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterCommand(pub u16);

impl MeterCommand {
    pub const ADD: Self = Self(0);
    pub const MODIFY: Self = Self(1);
    pub const DELETE: Self = Self(2);
}

/// `OFPT_METER_MOD`. Not accepted inside bundles; send it before the flows that use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterMod {
    pub command: MeterCommand,
    pub meter: MeterConfig,
}

impl MeterMod {
    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.command.0);
        out.put_u16(self.meter.flags);
        out.put_u32(self.meter.meter_id);
        for b in &self.meter.bands {
            b.encode(out);
        }
    }

    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<MeterMod, MsgError> {
        let command = MeterCommand(c.u16()?);
        let flags = c.u16()?;
        let meter_id = c.u32()?;
        let mut bands = Vec::new();
        while !c.is_empty() {
            bands.push(MeterBand::decode(c)?);
        }
        Ok(MeterMod {
            command,
            meter: MeterConfig {
                meter_id,
                flags,
                bands,
            },
        })
    }
}

/// A parse error of the `ovs-ofctl add-meter` syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid meter {text:?}: {reason}")]
pub struct MeterParseError {
    pub text: String,
    pub reason: &'static str,
}

impl std::str::FromStr for MeterConfig {
    type Err = MeterParseError;

    /// `meter=1,pktps,burst,stats,bands=type=drop,rate=100,burst_size=10` (also space-separated).
    fn from_str(s: &str) -> Result<MeterConfig, MeterParseError> {
        let err = |reason| MeterParseError {
            text: s.to_owned(),
            reason,
        };
        let mut m = MeterConfig {
            meter_id: 0,
            flags: 0,
            bands: Vec::new(),
        };
        let (head, bands) = match s.find("bands=") {
            Some(i) => (&s[..i], Some(&s[i + 6..])),
            None => (s, None),
        };
        let mut saw_id = false;
        for tok in head.split([',', ' ']).filter(|t| !t.is_empty()) {
            match tok.split_once('=') {
                Some(("meter", v)) => {
                    m.meter_id = match v {
                        "all" => 0xffff_ffff,
                        "controller" => 0xffff_fffe,
                        "slowpath" => 0xffff_fffd,
                        v => v.parse().map_err(|_| err("bad meter id"))?,
                    };
                    saw_id = true;
                }
                None => {
                    m.flags |= match tok {
                        "kbps" => meter_flags::KBPS,
                        "pktps" => meter_flags::PKTPS,
                        "burst" => meter_flags::BURST,
                        "stats" => meter_flags::STATS,
                        _ => return Err(err("unknown flag")),
                    }
                }
                Some(_) => return Err(err("unknown key")),
            }
        }
        if !saw_id {
            return Err(err("missing meter id"));
        }
        if let Some(bands) = bands {
            let mut cur: Option<(u16, u32, u32, u8)> = None;
            for tok in bands.split([',', ' ']).filter(|t| !t.is_empty()) {
                let (k, v) = tok
                    .split_once('=')
                    .ok_or_else(|| err("band: expected key=value"))?;
                match k {
                    "type" => {
                        if let Some(b) = cur.take() {
                            m.bands.push(band(b));
                        }
                        let ty = match v {
                            "drop" => OFPMBT13_DROP,
                            "dscp_remark" => OFPMBT13_DSCP_REMARK,
                            _ => return Err(err("unknown band type")),
                        };
                        cur = Some((ty, 0, 0, 0));
                    }
                    "rate" | "burst_size" | "prec_level" => {
                        let b = cur.as_mut().ok_or_else(|| err("band key before type"))?;
                        let n: u32 = v.parse().map_err(|_| err("bad band number"))?;
                        match k {
                            "rate" => b.1 = n,
                            "burst_size" => b.2 = n,
                            _ => {
                                b.3 =
                                    u8::try_from(n).map_err(|_| err("prec_level out of range"))?;
                            }
                        }
                    }
                    _ => return Err(err("unknown band key")),
                }
            }
            if let Some(b) = cur.take() {
                m.bands.push(band(b));
            }
        }
        Ok(m)
    }
}

fn band((ty, rate, burst_size, prec_level): (u16, u32, u32, u8)) -> MeterBand {
    match ty {
        OFPMBT13_DROP => MeterBand::Drop { rate, burst_size },
        OFPMBT13_DSCP_REMARK => MeterBand::DscpRemark {
            rate,
            burst_size,
            prec_level,
        },
        ty => MeterBand::Other {
            ty,
            rate,
            burst_size,
        },
    }
}
