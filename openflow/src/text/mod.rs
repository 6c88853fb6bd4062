//! Shared pieces of the `ovs-ofctl` text format: numbers (OVS's `ds_put_hex`, decimal/hex
//! parsing), MAC/IPv4/IPv6 with masks (CIDR where possible), reserved port names, and a
//! small tokenizer for `key=value,key(…)` lists that respects nested parentheses.
//!
//! Subfield syntax (`NXM_NX_REG0[0..15]`) lives in [`crate::field::Subfield`].

mod addr;
mod number;
mod port;
mod split;

pub use addr::{
    cidr_len, parse_ipv4_masked, parse_ipv6_masked, parse_mac, write_ipv4_masked, write_ipv6,
    write_ipv6_masked, write_mac, write_mac_masked,
};
pub use number::{
    parse_dotted_hex, parse_hex_bytes, parse_int, parse_u128, parse_value, write_dotted_hex,
    write_hex,
};
pub use port::{
    OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX, OFPP_NONE,
    OFPP_NORMAL, OFPP_TABLE, OFPP_UNSET, parse_port, port_from_ofp11, port_to_ofp11, reserved_name,
    write_port,
};
pub use split::{split_key_value, split_top};
