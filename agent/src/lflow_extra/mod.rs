//! The flows lflow.c adds beside the logical flows, from other Southbound tables: MAC bindings
//! (tables 66/67, `consider_neighbor_flow`) and FDB entries (tables 71/72,
//! `consider_fdb_flows`). Pure, like `physical`: rows in, [`PhysicalFlow`]s tagged with the row
//! out.
//!
//! - `neighbor`: MAC_Binding and Static_MAC_Binding;
//! - `fdb`: FDB.
//!
//! [`PhysicalFlow`]: crate::physical::PhysicalFlow

mod fdb;
mod neighbor;

pub use fdb::{Fdb, fdb_flows};
pub use neighbor::{MacBinding, neighbor_flows};

/// `OFTABLE_MAC_BINDING`: `get_arp`/`get_nd` resolve an IP to a MAC.
pub const OFTABLE_MAC_BINDING: u8 = 66;
/// `OFTABLE_MAC_LOOKUP`: `lookup_arp`/`lookup_nd` check a binding exists.
pub const OFTABLE_MAC_LOOKUP: u8 = 67;
/// `OFTABLE_GET_FDB`: `get_fdb` gives the port of a MAC.
pub const OFTABLE_GET_FDB: u8 = 71;
/// `OFTABLE_LOOKUP_FDB`: `lookup_fdb` checks a MAC was learnt on a port.
pub const OFTABLE_LOOKUP_FDB: u8 = 72;

/// `MLF_LOOKUP_MAC_BIT`.
pub const MLF_LOOKUP_MAC_BIT: u8 = 6;
/// `MLF_LOOKUP_FDB_BIT`.
pub const MLF_LOOKUP_FDB_BIT: u8 = 8;

/// `eth_addr_from_string`: exactly `xx:xx:xx:xx:xx:xx` (hex digits, one or two per byte).
pub(crate) fn parse_mac_exact(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        assert_eq!(
            parse_mac_exact("0a:00:00:00:00:01"),
            Some([10, 0, 0, 0, 0, 1])
        );
        assert_eq!(parse_mac_exact("a:0:0:0:0:1"), Some([10, 0, 0, 0, 0, 1]));
        assert_eq!(parse_mac_exact("0a:00:00:00:00:01:02"), None);
        assert_eq!(parse_mac_exact("0a:00:00:00:00"), None);
        assert_eq!(parse_mac_exact("zz:00:00:00:00:01"), None);
        assert_eq!(parse_mac_exact(""), None);
    }
}
