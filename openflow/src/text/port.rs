//! OpenFlow port numbers with OVS's reserved-port names.

use std::fmt::{self, Write};

/// OpenFlow 1.0 reserved port numbers (OVS's internal 16-bit representation).
pub const OFPP_MAX: u16 = 0xff00;
pub const OFPP_UNSET: u16 = 0xfff7;
pub const OFPP_IN_PORT: u16 = 0xfff8;
pub const OFPP_TABLE: u16 = 0xfff9;
pub const OFPP_NORMAL: u16 = 0xfffa;
pub const OFPP_FLOOD: u16 = 0xfffb;
pub const OFPP_ALL: u16 = 0xfffc;
pub const OFPP_CONTROLLER: u16 = 0xfffd;
pub const OFPP_LOCAL: u16 = 0xfffe;
pub const OFPP_NONE: u16 = 0xffff;

const NAMES: [(&str, u16); 8] = [
    ("IN_PORT", OFPP_IN_PORT),
    ("TABLE", OFPP_TABLE),
    ("NORMAL", OFPP_NORMAL),
    ("FLOOD", OFPP_FLOOD),
    ("ALL", OFPP_ALL),
    ("CONTROLLER", OFPP_CONTROLLER),
    ("LOCAL", OFPP_LOCAL),
    ("ANY", OFPP_NONE),
];

/// The reserved name of a 16-bit port, if any.
pub fn reserved_name(port: u16) -> Option<&'static str> {
    NAMES.iter().find(|(_, p)| *p == port).map(|(n, _)| *n)
}

/// `ofputil_format_port` without a port-name map.
pub fn write_port(f: &mut impl Write, port: u16) -> fmt::Result {
    match reserved_name(port) {
        Some(n) => f.write_str(n),
        None => write!(f, "{port}"),
    }
}

/// OF1.1+ 32-bit port → OVS 16-bit port (`ofputil_port_from_ofp11`).
pub fn port_from_ofp11(p: u32) -> Option<u16> {
    if p < u32::from(OFPP_MAX) {
        Some(p as u16)
    } else if p >= 0xffff_ff00 {
        Some((p - 0xffff_0000) as u16)
    } else {
        None
    }
}

/// OVS 16-bit port → OF1.1+ 32-bit port (`ofputil_port_to_ofp11`).
pub fn port_to_ofp11(p: u16) -> u32 {
    if p < OFPP_MAX {
        u32::from(p)
    } else {
        u32::from(p) + 0xffff_0000
    }
}

/// Parses a port as `ofputil_port_from_string` does: a number (OF1.1 32-bit reserved
/// numbers are folded) or a reserved name (case-insensitive, `NONE` = `ANY`).
pub fn parse_port(s: &str) -> Option<u16> {
    if let Ok(n) = s.parse::<u32>() {
        if n <= 0xffff {
            return Some(n as u16);
        }
        return if n >= 0xffff_ff00 {
            Some((n - 0xffff_0000) as u16)
        } else {
            None
        };
    }
    if s.eq_ignore_ascii_case("NONE") {
        return Some(OFPP_NONE);
    }
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, p)| *p)
}
