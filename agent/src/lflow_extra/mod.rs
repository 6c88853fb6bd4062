//! The flows lflow.c adds beside the logical flows, from other Southbound tables: MAC bindings
//! (tables 66/67, `consider_neighbor_flow`), load balancer hairpin (tables 68–70,
//! `consider_lb_hairpin_flows`), FDB entries (tables 71/72, `consider_fdb_flows`) and port
//! security (tables 73–75, `consider_port_sec_flows`). Pure, like `physical`: rows in,
//! [`PhysicalFlow`]s tagged with the row out.
//!
//! - `neighbor`: MAC_Binding and Static_MAC_Binding;
//! - `fdb`: FDB;
//! - `port_sec`: port security of local VIFs (tables 73–75);
//! - `lb_hairpin`: load balancer hairpin detection, reply learning and SNAT (tables 68–70).
//!
//! [`PhysicalFlow`]: crate::physical::PhysicalFlow

mod fdb;
mod lb_hairpin;
mod neighbor;
mod port_sec;

pub use fdb::{Fdb, fdb_flows};
pub use lb_hairpin::{
    LoadBalancer, OFTABLE_CHK_LB_HAIRPIN, OFTABLE_CHK_LB_HAIRPIN_REPLY, OFTABLE_CT_SNAT_HAIRPIN,
    lb_hairpin_flows,
};
pub use neighbor::{MacBinding, neighbor_flows};
pub use port_sec::{
    MLF_CHECK_PORT_SEC_BIT, OFTABLE_CHK_IN_PORT_SEC, OFTABLE_CHK_IN_PORT_SEC_ND,
    OFTABLE_CHK_OUT_PORT_SEC, port_sec_flows,
};

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

#[cfg(test)]
mod robustness {
    //! Arbitrary text never makes the parsers panic.
    use super::*;
    use crate::binding::PortBinding;
    use crate::physical::{LocalDatapath, PhysicalInput};
    use proptest::prelude::*;

    fn input() -> (PhysicalInput, PortBinding) {
        let pb = PortBinding {
            logical_port: "p".into(),
            datapath: 1,
            tunnel_key: 1,
            ..PortBinding::default()
        };
        let mut input = PhysicalInput::default();
        input.port_bindings.insert("p".into(), pb.clone());
        input.local_datapaths.insert(1, LocalDatapath::default());
        (input, pb)
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "[0-9a-fA-F:./ fe80x\\-ü\t]{0,48}", t in any::<String>()) {
            let (input, pb) = input();
            for s in [&s, &t] {
                let _ = parse_mac_exact(s);
                let _ = port_sec_flows(&pb, std::slice::from_ref(s));
                let b = MacBinding {
                    logical_port: "p".into(),
                    ip: s.clone(),
                    mac: s.clone(),
                    ..MacBinding::default()
                };
                let _ = neighbor_flows(&input, &b);
                let f = Fdb { mac: s.clone(), dp_key: 1, ..Fdb::default() };
                let _ = fdb_flows(&input, &f);
            }
        }
    }
}
