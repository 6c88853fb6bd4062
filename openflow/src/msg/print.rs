//! Small pieces of `ovs-ofctl`'s printing conventions shared by several messages and the CLI.

use std::fmt::{self, Write};

/// `ofp_print_bit_names`: names of the set bits in bit order separated by `sep`, unnamed bits
/// as one trailing `0x…`, and `0` when no bit is set.
pub fn bit_names(f: &mut impl Write, bits: u32, names: &[(u32, &str)], sep: char) -> fmt::Result {
    if bits == 0 {
        return f.write_char('0');
    }
    let mut rest = bits;
    let mut n = 0;
    for i in 0..32 {
        let bit = 1u32 << i;
        if rest & bit == 0 {
            continue;
        }
        if let Some((_, name)) = names.iter().find(|(b, _)| *b == bit) {
            if n > 0 {
                f.write_char(sep)?;
            }
            n += 1;
            f.write_str(name)?;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if n > 0 {
            f.write_char(sep)?;
        }
        write!(f, "0x{rest:x}")?;
    }
    Ok(())
}

/// An OpenFlow 1.1+ 32-bit port number as `ovs-ofctl --no-names` prints it: reserved ports by
/// name (`LOCAL`, `CONTROLLER`, `ANY`…), others in decimal.
///
/// OVS maps 32-bit reserved ports 0xffffff00+ onto its 16-bit space 0xff00+ before printing, and
/// prints other numbers at or above 0xff00 as the 16-bit value (which is never reserved there).
pub fn port_no(p: u32) -> PortNo {
    PortNo(p)
}

#[derive(Debug, Clone, Copy)]
pub struct PortNo(pub u32);

impl fmt::Display for PortNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p16 = if self.0 >= 0xffff_ff00 {
            self.0 - 0xffff_0000
        } else {
            self.0
        };
        let name = match p16 {
            0xfff7 => "UNSET",
            0xfff8 => "IN_PORT",
            0xfff9 => "TABLE",
            0xfffa => "NORMAL",
            0xfffb => "FLOOD",
            0xfffc => "ALL",
            0xfffd => "CONTROLLER",
            0xfffe => "LOCAL",
            0xffff => "ANY",
            _ => return write!(f, "{p16}"),
        };
        f.write_str(name)
    }
}

/// `ofp_print_version` + title: `NAME (OF1.5) (xid=0x2):`.
pub fn title(name: &str, xid: u32) -> String {
    format!("{name} (OF1.5) (xid={xid:#x}):")
}

/// Ethernet address `aa:bb:cc:dd:ee:ff`.
pub fn mac(f: &mut impl Write, m: &[u8; 6]) -> fmt::Result {
    write!(
        f,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}
