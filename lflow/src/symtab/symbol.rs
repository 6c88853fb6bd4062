//! `Symbol`: one entry of the logical-field symbol table (upstream `struct expr_symbol`).

use super::OfField;

/// Index of a symbol in its [`super::Symtab`] (symbols are interned: comparing ids is comparing
/// symbols).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u16);

/// What kinds of comparison a symbol supports (upstream `enum expr_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Only equality (`eth.type`, `inport`, nominal predicates such as `ip`).
    Nominal,
    /// Equality and inequality (1-bit fields, Boolean predicates).
    Boolean,
    /// Also `<`, `<=`, `>`, `>=` and subfields.
    Ordinal,
}

impl Level {
    /// Upstream `expr_level_to_string`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Nominal => "nominal",
            Level::Boolean => "Boolean",
            Level::Ordinal => "ordinal",
        }
    }
}

/// Write scopes (upstream `enum expr_write_scope`), a bit set.
pub mod scope {
    /// Writable at the top level of actions.
    pub const DEFAULT: u32 = 1 << 0;
    /// Writable inside `ct_commit { … }`.
    pub const CT_COMMIT: u32 = 1 << 1;
    /// OVN-internal fields: writable everywhere (upstream uses `UINT32_MAX`).
    pub const ALL: u32 = u32::MAX;
}

/// OVN-only fields that are not OpenFlow fields (upstream `enum ovn_field_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OvnField {
    /// `icmp4.frag_mtu` (16 bits at offset 2 of the ICMPv4 header, set via pinctrl).
    Icmp4FragMtu,
    /// `icmp6.frag_mtu` (32 bits at offset 4 of the ICMPv6 header).
    Icmp6FragMtu,
}

impl OvnField {
    /// Upstream `struct ovn_field` name.
    pub fn name(self) -> &'static str {
        match self {
            OvnField::Icmp4FragMtu => "icmp4.frag_mtu",
            OvnField::Icmp6FragMtu => "icmp6.frag_mtu",
        }
    }
}

/// How a symbol is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymbolKind {
    /// A whole OpenFlow field (or, for string symbols, the register holding the port key).
    Field(OfField),
    /// Bits `ofs..ofs+width` of another symbol.
    Subfield {
        /// The parent symbol.
        parent: SymbolId,
        /// Offset of the lowest bit in the parent.
        ofs: u32,
    },
    /// A Boolean expression (`ip4` = `eth.type == 0x800`).
    Predicate(Box<str>),
    /// An OVN-only field (only assignable by actions).
    Ovn(OvnField),
}

/// One logical field, subfield, predicate or string field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Name (`ip4.src`).
    pub name: Box<str>,
    /// Width in bits; 0 for string fields (`inport`, `outport`).
    pub width: u32,
    /// Definition.
    pub kind: SymbolKind,
    /// Comparison level.
    pub level: Level,
    /// Prerequisite expression text, ANDed in by annotation.
    pub prereqs: Option<Box<str>>,
    /// Never use as a conjunctive-match dimension.
    pub must_crossproduct: bool,
    /// Write scopes (bit set of [`scope`]); 0 = read-only.
    pub rw: u32,
}

impl Symbol {
    /// The OpenFlow field of a field or string symbol.
    pub fn field(&self) -> Option<OfField> {
        match self.kind {
            SymbolKind::Field(f) => Some(f),
            _ => None,
        }
    }

    /// True for string fields.
    pub fn is_string(&self) -> bool {
        self.width == 0
    }

    /// The predicate expansion, if this is a predicate.
    pub fn predicate(&self) -> Option<&str> {
        match &self.kind {
            SymbolKind::Predicate(p) => Some(p),
            _ => None,
        }
    }

    /// The parent and offset, if this is a subfield.
    pub fn parent(&self) -> Option<(SymbolId, u32)> {
        match self.kind {
            SymbolKind::Subfield { parent, ofs } => Some((parent, ofs)),
            _ => None,
        }
    }
}
