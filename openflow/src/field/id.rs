//! Field identities and their static properties.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use super::table::{FIELDS, N_STORAGE};
use super::{OxmHeader, Value};

/// One OVS meta-flow field (`reg0`, `eth_dst`, `ct_state`, …): a 1-byte index into a static
/// table of [`FieldInfo`]. Associated constants name every field (`Field::REG0`,
/// `Field::ETH_DST`); helpers build indexed ones (`Field::reg(14)`).
///
/// Fields `< N_STORAGE` are the ones a [`Match`](crate::flow_match::Match) stores; the rest
/// are aliases that a match decomposes (`xreg`/`xxreg` into `reg`s, `vlan_vid`/`vlan_pcp`
/// into `vlan_tci`, `ip_dscp` into `nw_tos`, the 32-bit `in_port_oxm` into `in_port`), but
/// that actions use directly (`set_field:…->xxreg0`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field(pub u8);

/// How OVS formats a field's value (`mf_format`, meta-flow.h "Formatting").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Decimal,
    Hex,
    CtState,
    Ethernet,
    Ipv4,
    Ipv6,
    /// 16-bit OpenFlow 1.0 port number (`LOCAL`, `IN_PORT`, … for reserved ports).
    Port,
    /// 32-bit OpenFlow 1.1+ port number.
    Port11,
    Frag,
    TunFlags,
    TcpFlags,
    PacketType,
}

/// A field's prerequisite (meta-flow.h "Prerequisites"), checked by
/// [`Match::check_prereqs`](crate::flow_match::Match::check_prereqs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prereq {
    None,
    Ethernet,
    Arp,
    VlanVid,
    Ipv4,
    Ipv6,
    IpAny,
    Ct,
    Mpls,
    Tcp,
    Udp,
    Sctp,
    Icmpv4,
    Icmpv6,
    Nd,
    NdSolicit,
    NdAdvert,
}

/// Static description of a field.
#[derive(Debug)]
pub struct FieldInfo {
    /// Canonical OVS name, used by `set_field:…->NAME` and match parsing (`eth_src`).
    pub name: &'static str,
    /// Second accepted name (`dl_src`).
    pub alias: Option<&'static str>,
    /// Name `ovs-ofctl` prints in subfields (`move:NXM_OF_ETH_SRC[]->…`, `push:`, learn).
    pub nxm_name: &'static str,
    /// The header OVS emits for this field in OpenFlow 1.5.
    pub oxm: Option<OxmHeader>,
    /// Every header that decodes to this field.
    pub headers: &'static [OxmHeader],
    /// NXM/OXM names, parallel to `headers` (all accepted in subfield syntax).
    pub nxm_names: &'static [&'static str],
    /// Value width in bytes (124 for `tun_metadataN`: the real width is set by the TLV map).
    pub n_bytes: u8,
    pub n_bits: u16,
    pub maskable: bool,
    pub format: Format,
    pub prereq: Prereq,
    pub writable: bool,
}

impl Field {
    /// `regN`, N < 16.
    pub const fn reg(n: u8) -> Field {
        Field(Field::REG0.0 + (n & 15))
    }
    /// `xregN`, N < 8 (64-bit, = reg(2N):reg(2N+1)).
    pub const fn xreg(n: u8) -> Field {
        Field(Field::XREG0.0 + (n & 7))
    }
    /// `xxregN`, N < 4 (128-bit, = reg(4N)..reg(4N+3)).
    pub const fn xxreg(n: u8) -> Field {
        Field(Field::XXREG0.0 + (n & 3))
    }
    /// `tun_metadataN`, N < 64.
    pub const fn tun_metadata(n: u8) -> Field {
        Field(Field::TUN_METADATA0.0 + (n & 63))
    }

    /// The static description. Every `Field` value made through the constants or helpers is
    /// valid; an out-of-range raw index falls back to entry 0 rather than panicking.
    pub fn info(self) -> &'static FieldInfo {
        FIELDS.get(usize::from(self.0)).unwrap_or(&FIELDS[0])
    }

    /// Whether `self` is a valid index.
    pub fn is_valid(self) -> bool {
        usize::from(self.0) < FIELDS.len()
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn n_bytes(self) -> usize {
        usize::from(self.info().n_bytes)
    }

    pub fn n_bits(self) -> u16 {
        self.info().n_bits
    }

    pub fn is_storage(self) -> bool {
        self.0 < N_STORAGE
    }

    pub fn is_tun_metadata(self) -> bool {
        (Field::TUN_METADATA0.0..=Field::TUN_METADATA0.0 + 63).contains(&self.0)
    }

    /// Index N of `regN`, if this is a 32-bit register.
    pub fn reg_index(self) -> Option<u8> {
        (Field::REG0.0..Field::REG0.0 + 16)
            .contains(&self.0)
            .then(|| self.0 - Field::REG0.0)
    }

    /// All fields.
    pub fn all() -> impl Iterator<Item = Field> {
        (0..FIELDS.len()).map(|i| Field(i as u8))
    }

    /// Looks a field up by its OVS name or alias (`eth_src`, `dl_src`, `reg0`, `tun_id`).
    pub fn from_name(name: &str) -> Option<Field> {
        static MAP: OnceLock<HashMap<&'static str, Field>> = OnceLock::new();
        MAP.get_or_init(|| {
            let mut m = HashMap::new();
            for f in Field::all() {
                m.insert(f.info().name, f);
                if let Some(a) = f.info().alias {
                    m.insert(a, f);
                }
            }
            m
        })
        .get(name)
        .copied()
    }

    /// Looks a field up by an NXM/OXM name (`NXM_NX_REG0`, `OXM_OF_METADATA`).
    pub fn from_nxm_name(name: &str) -> Option<Field> {
        static MAP: OnceLock<HashMap<&'static str, Field>> = OnceLock::new();
        MAP.get_or_init(|| {
            let mut m = HashMap::new();
            for f in Field::all() {
                for n in f.info().nxm_names {
                    m.insert(*n, f);
                }
            }
            m
        })
        .get(name)
        .copied()
    }

    /// Looks a field up by any wire header (NXM or OXM form).
    pub fn from_header(h: OxmHeader) -> Option<Field> {
        static MAP: OnceLock<HashMap<OxmHeader, Field>> = OnceLock::new();
        MAP.get_or_init(|| {
            let mut m = HashMap::new();
            for f in Field::all() {
                for h in f.info().headers {
                    m.insert(*h, f);
                }
            }
            m
        })
        .get(&h)
        .copied()
    }

    /// The all-ones mask of this field's width.
    pub fn full_mask(self) -> Value {
        let n = self.n_bytes().min(Value::MAX_LEN);
        let bits = u32::from(self.n_bits());
        if bits >= 128 {
            Value::ones(n)
        } else {
            Value::from_u128((1u128 << bits) - 1, n)
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(Field::from_name("dl_src"), Some(Field::ETH_SRC));
        assert_eq!(Field::from_name("reg15"), Some(Field::reg(15)));
        assert_eq!(Field::from_nxm_name("NXM_NX_XXREG0"), Some(Field::xxreg(0)));
        assert_eq!(
            Field::from_nxm_name("OXM_OF_PKT_REG4"),
            Some(Field::xreg(4))
        );
        assert_eq!(Field::ETH_SRC.info().nxm_name, "NXM_OF_ETH_SRC");
        assert_eq!(Field::METADATA.info().nxm_name, "OXM_OF_METADATA");
        let h = Field::TCP_FLAGS.info().oxm.unwrap();
        assert_eq!((h.class, h.field), (0x8000, 42));
        assert_eq!(
            Field::from_header(OxmHeader {
                class: 1,
                field: 0,
                experimenter: 0
            }),
            Some(Field::REG0)
        );
        assert_eq!(Field::TUN_FLAGS.full_mask().to_u128(), 1);
        assert!(Field::all().all(|f| f.is_valid()));
    }
}
