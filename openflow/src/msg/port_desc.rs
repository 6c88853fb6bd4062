//! Ports as OF1.4+ describes them (`struct ofp14_port` + properties): the body of the
//! `OFPMP_PORT_DESC` reply and of `OFPT_PORT_STATUS`.

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::MsgError;
use super::print;
use super::wire::{Cursor, pad8};

const OFPPDPT14_ETHERNET: u16 = 0;
const OFP_MAX_PORT_NAME_LEN: usize = 16;

/// One port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub port_no: u32,
    pub hw_addr: [u8; 6],
    pub name: String,
    /// `OFPPC_*`.
    pub config: u32,
    /// `OFPPS_*`.
    pub state: u32,
    /// From the Ethernet property (`OFPPF_*` bitmaps and kbps speeds); zero when absent.
    pub curr: u32,
    pub advertised: u32,
    pub supported: u32,
    pub peer: u32,
    pub curr_speed: u32,
    pub max_speed: u32,
}

impl Port {
    pub(crate) fn decode(c: &mut Cursor<'_>) -> Result<Port, MsgError> {
        c.context("ofp14_port");
        let port_no = c.u32()?;
        let len = usize::from(c.u16()?);
        if len < 40 {
            return Err(c.bad_len(len));
        }
        let mut p = c.sub(len - 6)?;
        p.skip(2)?;
        let hw_addr = p.array::<6>()?;
        p.skip(2)?;
        let raw_name = p.bytes(OFP_MAX_PORT_NAME_LEN)?;
        // OVS stops at the first non-printable byte (ofputil_phy_port_format).
        let name: String = raw_name
            .iter()
            .take(OFP_MAX_PORT_NAME_LEN - 1)
            .take_while(|b| b.is_ascii_graphic() || **b == b' ')
            .map(|&b| char::from(b))
            .collect();
        let config = p.u32()?;
        let state = p.u32()?;
        let mut port = Port {
            port_no,
            hw_addr,
            name,
            config,
            state,
            curr: 0,
            advertised: 0,
            supported: 0,
            peer: 0,
            curr_speed: 0,
            max_speed: 0,
        };
        while p.remaining() >= 4 {
            let ty = p.u16()?;
            let plen = usize::from(p.u16()?);
            if plen < 4 {
                return Err(p.bad_len(plen));
            }
            let mut body = p.sub(plen - 4)?;
            if ty == OFPPDPT14_ETHERNET {
                body.skip(4)?;
                port.curr = body.u32()?;
                port.advertised = body.u32()?;
                port.supported = body.u32()?;
                port.peer = body.u32()?;
                port.curr_speed = body.u32()?;
                port.max_speed = body.u32()?;
            }
            let pad = plen.next_multiple_of(8) - plen;
            p.skip(pad.min(p.remaining()))?;
        }
        Ok(port)
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        let start = out.len();
        out.put_u32(self.port_no);
        out.put_u16(72);
        out.put_u16(0);
        out.put_slice(&self.hw_addr);
        out.put_u16(0);
        let mut name = [0u8; OFP_MAX_PORT_NAME_LEN];
        for (d, s) in name
            .iter_mut()
            .zip(self.name.bytes().take(OFP_MAX_PORT_NAME_LEN - 1))
        {
            *d = s;
        }
        out.put_slice(&name);
        out.put_u32(self.config);
        out.put_u32(self.state);
        out.put_u16(OFPPDPT14_ETHERNET);
        out.put_u16(32);
        out.put_u32(0);
        for v in [
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed,
        ] {
            out.put_u32(v);
        }
        pad8(out, start);
        super::wire::patch_len(out, start, 4, "ofp14_port")
    }

    /// Sort key OVS uses (`compare_ports`: the 16-bit port number, so LOCAL sorts last).
    pub fn sort_key(&self) -> u16 {
        let p = if self.port_no >= 0xffff_ff00 {
            self.port_no - 0xffff_0000
        } else {
            self.port_no
        };
        u16::try_from(p).unwrap_or(u16::MAX)
    }
}

const CONFIG_NAMES: [(u32, &str); 4] = [
    (1 << 0, "PORT_DOWN"),
    (1 << 2, "NO_RECV"),
    (1 << 5, "NO_FWD"),
    (1 << 6, "NO_PACKET_IN"),
];
const STATE_NAMES: [(u32, &str); 3] =
    [(1 << 0, "LINK_DOWN"), (1 << 1, "BLOCKED"), (1 << 2, "LIVE")];
const FEATURE_NAMES: [(u32, &str); 16] = [
    (1 << 0, "10MB-HD"),
    (1 << 1, "10MB-FD"),
    (1 << 2, "100MB-HD"),
    (1 << 3, "100MB-FD"),
    (1 << 4, "1GB-HD"),
    (1 << 5, "1GB-FD"),
    (1 << 6, "10GB-FD"),
    (1 << 7, "40GB-FD"),
    (1 << 8, "100GB-FD"),
    (1 << 9, "1TB-FD"),
    (1 << 10, "OTHER"),
    (1 << 11, "COPPER"),
    (1 << 12, "FIBER"),
    (1 << 13, "AUTO_NEG"),
    (1 << 14, "AUTO_PAUSE"),
    (1 << 15, "AUTO_PAUSE_ASYM"),
];

/// The lines `ofputil_phy_port_format` prints for one port (each ending in a newline).
impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, " {}({}): addr:", print::port_no(self.port_no), self.name)?;
        print::mac(f, &self.hw_addr)?;
        f.write_str("\n     config:     ")?;
        print::bit_names(f, self.config, &CONFIG_NAMES, ' ')?;
        f.write_str("\n     state:      ")?;
        print::bit_names(f, self.state, &STATE_NAMES, ' ')?;
        f.write_str("\n")?;
        for (v, label) in [
            (self.curr, "     current:    "),
            (self.advertised, "     advertised: "),
            (self.supported, "     supported:  "),
            (self.peer, "     peer:       "),
        ] {
            if v != 0 {
                f.write_str(label)?;
                print::bit_names(f, v, &FEATURE_NAMES, ' ')?;
                f.write_str("\n")?;
            }
        }
        writeln!(
            f,
            "     speed: {} Mbps now, {} Mbps max",
            self.curr_speed / 1000,
            self.max_speed / 1000
        )
    }
}

/// `OFPT_PORT_STATUS` (OF1.4+): reason (ADD 0, DELETE 1, MODIFY 2) and the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortStatus {
    pub reason: u8,
    pub port: Port,
}

impl PortStatus {
    pub(crate) fn decode_body(c: &mut Cursor<'_>) -> Result<PortStatus, MsgError> {
        let reason = c.u8()?;
        c.skip(7)?;
        Ok(PortStatus {
            reason,
            port: Port::decode(c)?,
        })
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) -> Result<(), MsgError> {
        out.put_u8(self.reason);
        out.put_bytes(0, 7);
        self.port.encode(out)
    }
}
