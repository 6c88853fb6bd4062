//! The OVN Geneve option's place in the switch's TLV table (ofctrl.c `process_tlv_table_reply`).
//! OVN carries the logical ingress/egress ports in one Geneve option, which OVS exposes as a
//! `tun_metadata<index>` field once the option is mapped to an index.

/// Geneve option class assigned to OVN (controller/physical.h).
pub const OVN_GENEVE_CLASS: u16 = 0x0102;
/// Option type; the high bit marks it critical, so a receiver that does not know it drops the
/// packet rather than delivering it to the wrong port.
pub const OVN_GENEVE_TYPE: u8 = 0x80;
/// Option payload length in bytes.
pub const OVN_GENEVE_LEN: u8 = 4;

/// OVS has `tun_metadata0..63` (`TUN_METADATA_NUM_OPTS`).
const NUM_FIELDS: u16 = 64;

/// One entry of an `NXT_TLV_TABLE_REPLY` mapping table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvMap {
    pub option_class: u16,
    pub option_type: u8,
    /// Payload length in bytes (a multiple of 4, up to 124).
    pub option_len: u8,
    pub index: u16,
}

/// An `NXT_TLV_TABLE_REPLY`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlvTable {
    /// Bytes of option space the switch offers (OVS: 256).
    pub max_option_space: u32,
    /// Number of `tun_metadata` fields (OVS: 64).
    pub max_fields: u16,
    pub mappings: Vec<TlvMap>,
}

/// Whether a `NXT_TLV_TABLE_MOD` is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvOp {
    /// The option is already mapped at `index`.
    None,
    /// Send `NXT_TLV_TABLE_MOD(ADD {class, type, len} -> tun_metadata<index>)` and a barrier;
    /// another controller may win the race, so re-request the table if the switch refuses.
    Add,
}

/// Where the OVN option is, or is to be, mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvMapping {
    pub index: u16,
    pub op: TlvOp,
}

impl TlvMapping {
    /// The TLV map entry to send for [`TlvOp::Add`].
    pub fn entry(&self) -> TlvMap {
        TlvMap {
            option_class: OVN_GENEVE_CLASS,
            option_type: OVN_GENEVE_TYPE,
            option_len: OVN_GENEVE_LEN,
            index: self.index,
        }
    }
}

/// Why Geneve cannot be used (upstream then disables Geneve; the agent should say so loudly).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    #[error("OVN Geneve option 0x0102,0x80,4 already mapped at unsupported index {index}")]
    UnsupportedIndex { index: u16 },
    #[error(
        "Geneve option class 0x0102 type 0x80 already mapped with length {len} at \
         tun_metadata{index}; the switch would refuse a second mapping (NXTTMFC_DUP_ENTRY)"
    )]
    LengthMismatch { index: u16, len: u8 },
    #[error("no free tun_metadata field for the OVN Geneve option (all {fields} in use)")]
    NoFreeIndex { fields: u16 },
    #[error("no Geneve option space left for the OVN option ({used} of {max} bytes in use)")]
    NoOptionSpace { used: u32, max: u32 },
}

/// Reuses an existing mapping of the OVN option (any index below 64), otherwise picks the lowest
/// free index; errors instead of proposing a mapping the switch would reject.
pub fn ovn_tlv_mapping(table: &TlvTable) -> Result<TlvMapping, TlvError> {
    let ours = |m: &&TlvMap| m.option_class == OVN_GENEVE_CLASS && m.option_type == OVN_GENEVE_TYPE;
    if let Some(m) = table.mappings.iter().find(ours) {
        if m.option_len != OVN_GENEVE_LEN {
            return Err(TlvError::LengthMismatch {
                index: m.index,
                len: m.option_len,
            });
        }
        if m.index >= NUM_FIELDS {
            return Err(TlvError::UnsupportedIndex { index: m.index });
        }
        return Ok(TlvMapping {
            index: m.index,
            op: TlvOp::None,
        });
    }

    // A reply without limits (zero) is treated as OVS's defaults.
    let fields = match table.max_fields {
        0 => NUM_FIELDS,
        n => n.min(NUM_FIELDS),
    };
    let mut used_idx = 0u64;
    let mut used_bytes = 0u32;
    for m in &table.mappings {
        if m.index < NUM_FIELDS {
            used_idx |= 1u64 << m.index;
        }
        used_bytes = used_bytes.saturating_add(u32::from(m.option_len).div_ceil(4) * 4);
    }
    let max = match table.max_option_space {
        0 => 256,
        n => n,
    };
    let Some(index) = (0..fields).find(|i| used_idx & (1u64 << i) == 0) else {
        return Err(TlvError::NoFreeIndex { fields });
    };
    if used_bytes.saturating_add(u32::from(OVN_GENEVE_LEN)) > max {
        return Err(TlvError::NoOptionSpace {
            used: used_bytes,
            max,
        });
    }
    Ok(TlvMapping {
        index,
        op: TlvOp::Add,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(class: u16, ty: u8, len: u8, index: u16) -> TlvMap {
        TlvMap {
            option_class: class,
            option_type: ty,
            option_len: len,
            index,
        }
    }

    fn table(mappings: Vec<TlvMap>) -> TlvTable {
        TlvTable {
            max_option_space: 256,
            max_fields: 64,
            mappings,
        }
    }

    #[test]
    fn cases() {
        let add = |index| {
            Ok(TlvMapping {
                index,
                op: TlvOp::Add,
            })
        };
        let keep = |index| {
            Ok(TlvMapping {
                index,
                op: TlvOp::None,
            })
        };
        let full: Vec<TlvMap> = (0..64).map(|i| map(0x1, 1, 4, i)).collect();
        let cases: Vec<(&str, TlvTable, Result<TlvMapping, TlvError>)> = vec![
            ("empty table", table(vec![]), add(0)),
            ("reuse at 0", table(vec![map(0x102, 0x80, 4, 0)]), keep(0)),
            (
                "reuse at 5 among others",
                table(vec![map(0x1, 1, 4, 0), map(0x102, 0x80, 4, 5)]),
                keep(5),
            ),
            (
                "first free after others",
                table(vec![
                    map(0x1, 1, 4, 0),
                    map(0x2, 1, 4, 1),
                    map(0x3, 1, 4, 3),
                ]),
                add(2),
            ),
            (
                "same class other type is not ours",
                table(vec![map(0x102, 0x81, 4, 0)]),
                add(1),
            ),
            (
                "other class same type is not ours",
                table(vec![map(0x103, 0x80, 4, 0)]),
                add(1),
            ),
            (
                "ours with wrong length",
                table(vec![map(0x102, 0x80, 8, 3)]),
                Err(TlvError::LengthMismatch { index: 3, len: 8 }),
            ),
            (
                "ours at unsupported index",
                table(vec![map(0x102, 0x80, 4, 64)]),
                Err(TlvError::UnsupportedIndex { index: 64 }),
            ),
            (
                "all fields used",
                table(full),
                Err(TlvError::NoFreeIndex { fields: 64 }),
            ),
            (
                "no option space",
                TlvTable {
                    max_option_space: 8,
                    max_fields: 64,
                    mappings: vec![map(0x1, 1, 8, 0)],
                },
                Err(TlvError::NoOptionSpace { used: 8, max: 8 }),
            ),
            (
                "switch with fewer fields",
                TlvTable {
                    max_option_space: 256,
                    max_fields: 2,
                    mappings: vec![map(0x1, 1, 4, 0), map(0x2, 1, 4, 1)],
                },
                Err(TlvError::NoFreeIndex { fields: 2 }),
            ),
        ];
        for (what, t, want) in cases {
            assert_eq!(ovn_tlv_mapping(&t), want, "{what}");
        }
    }

    #[test]
    fn entry_is_the_ovn_option() {
        let m = TlvMapping {
            index: 7,
            op: TlvOp::Add,
        }
        .entry();
        assert_eq!(m, map(0x102, 0x80, 4, 7));
    }
}
