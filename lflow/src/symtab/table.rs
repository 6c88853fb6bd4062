//! `Symtab`: the symbol table, and `FieldRef` parsing (`name` or `name[lo..hi]`).

use std::sync::OnceLock;

use super::OfField;
use super::symbol::{Level, OvnField, Symbol, SymbolId, SymbolKind, scope};
use crate::lex::{Lexer, TokenKind};

/// Errors while building a symbol table (only custom tables can hit these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymtabError {
    /// A symbol with this name already exists.
    #[error("symbol {0} defined twice")]
    Duplicate(String),
    /// A subfield or predicate definition does not parse.
    #[error("{definition}: error parsing {name} ({error})")]
    BadDefinition {
        /// The symbol being defined.
        name: String,
        /// Its definition text.
        definition: String,
        /// The parse error.
        error: String,
    },
    /// Too many symbols for a `SymbolId`.
    #[error("symbol table full")]
    Full,
}

/// A reference to bits of a symbol (upstream `struct expr_field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The symbol.
    pub symbol: SymbolId,
    /// Lowest bit.
    pub ofs: u32,
    /// Number of bits (0 for string fields).
    pub n_bits: u32,
}

/// Annotated prerequisites and predicate expansions of one symbol, parsed once (only those that
/// annotate without error: error messages depend on the expansion path, so errors are always
/// recomputed).
#[derive(Debug, Clone, Default)]
pub struct Expansions {
    /// Annotated prerequisites.
    pub prereqs: Option<crate::expr::Expr>,
    /// Annotated predicate expansion.
    pub predicate: Option<crate::expr::Expr>,
}

/// The symbol table.
#[derive(Debug, Clone, Default)]
pub struct Symtab {
    symbols: Vec<Symbol>,
    by_name: crate::fxhash::FxHashMap<Box<str>, SymbolId>,
    expansions: OnceLock<Vec<Expansions>>,
}

impl Symtab {
    /// An empty table.
    pub fn new() -> Self {
        Symtab::default()
    }

    /// Looks a symbol up by name.
    #[inline]
    pub fn lookup(&self, name: &str) -> Option<SymbolId> {
        self.by_name.get(name).copied()
    }

    /// The symbol with id `id`.
    #[inline]
    pub fn get(&self, id: SymbolId) -> &Symbol {
        &self.symbols[usize::from(id.0)]
    }

    /// All symbols with their ids, in definition order.
    pub fn iter(&self) -> impl Iterator<Item = (SymbolId, &Symbol)> {
        self.symbols
            .iter()
            .enumerate()
            .map(|(i, s)| (SymbolId(i as u16), s))
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    fn add(&mut self, symbol: Symbol) -> Result<SymbolId, SymtabError> {
        if self.by_name.contains_key(&*symbol.name) {
            return Err(SymtabError::Duplicate(symbol.name.into()));
        }
        let id = SymbolId(u16::try_from(self.symbols.len()).map_err(|_| SymtabError::Full)?);
        self.expansions = OnceLock::new();
        self.by_name.insert(symbol.name.clone(), id);
        self.symbols.push(symbol);
        Ok(id)
    }

    /// The cached expansions of `id` (computed for the whole table on first use).
    pub fn expansions(&self, id: SymbolId) -> Option<&Expansions> {
        self.expansions
            .get_or_init(|| crate::expr::precompute_expansions(self))
            .get(usize::from(id.0))
    }

    /// Upstream `expr_symtab_add_field_scoped`.
    pub fn add_field(
        &mut self,
        name: &str,
        field: OfField,
        prereqs: Option<&str>,
        must_crossproduct: bool,
        write_scope: u32,
    ) -> Result<SymbolId, SymtabError> {
        self.add(Symbol {
            name: name.into(),
            width: field.n_bits(),
            kind: SymbolKind::Field(field),
            level: if field.maskable() {
                Level::Ordinal
            } else {
                Level::Nominal
            },
            prereqs: prereqs.filter(|p| !p.is_empty()).map(Into::into),
            must_crossproduct,
            rw: if field.writable() { write_scope } else { 0 },
        })
    }

    /// Upstream `expr_symtab_add_string_scoped` (a string field stored in `field`).
    pub fn add_string(
        &mut self,
        name: &str,
        field: OfField,
        prereqs: Option<&str>,
        write_scope: u32,
    ) -> Result<SymbolId, SymtabError> {
        self.add(Symbol {
            name: name.into(),
            width: 0,
            kind: SymbolKind::Field(field),
            level: Level::Nominal,
            prereqs: prereqs.filter(|p| !p.is_empty()).map(Into::into),
            must_crossproduct: false,
            rw: if field.writable() { write_scope } else { 0 },
        })
    }

    /// Upstream `expr_symtab_add_subfield_scoped`: `subfield` is e.g. `vlan.tci[0..11]`.
    pub fn add_subfield(
        &mut self,
        name: &str,
        prereqs: Option<&str>,
        subfield: &str,
        write_scope: u32,
    ) -> Result<SymbolId, SymtabError> {
        let f = self
            .parse_field_str(subfield)
            .map_err(|error| SymtabError::BadDefinition {
                name: name.into(),
                definition: subfield.into(),
                error,
            })?;
        let parent = self.get(f.symbol);
        let (level, rw) = (parent.level, if parent.rw != 0 { write_scope } else { 0 });
        self.add(Symbol {
            name: name.into(),
            width: f.n_bits,
            kind: SymbolKind::Subfield {
                parent: f.symbol,
                ofs: f.ofs,
            },
            level,
            prereqs: prereqs.filter(|p| !p.is_empty()).map(Into::into),
            must_crossproduct: false,
            rw,
        })
    }

    /// Upstream `expr_symtab_add_predicate`: the level comes from the expansion.
    pub fn add_predicate(&mut self, name: &str, expansion: &str) -> Result<SymbolId, SymtabError> {
        let level = crate::expr::expansion_level(expansion, self).map_err(|error| {
            SymtabError::BadDefinition {
                name: name.into(),
                definition: expansion.into(),
                error,
            }
        })?;
        self.add(Symbol {
            name: name.into(),
            width: 1,
            kind: SymbolKind::Predicate(expansion.into()),
            level,
            prereqs: None,
            must_crossproduct: false,
            rw: 0,
        })
    }

    /// Upstream `expr_symtab_add_ovn_field`.
    pub fn add_ovn_field(&mut self, field: OvnField) -> Result<SymbolId, SymtabError> {
        let width = match field {
            OvnField::Icmp4FragMtu => 16,
            OvnField::Icmp6FragMtu => 32,
        };
        self.add(Symbol {
            name: field.name().into(),
            width,
            kind: SymbolKind::Ovn(field),
            level: Level::Nominal,
            prereqs: None,
            must_crossproduct: false,
            rw: scope::ALL,
        })
    }

    fn parse_field_str(&self, s: &str) -> Result<FieldRef, String> {
        let mut lexer = Lexer::new(s);
        lexer.get();
        let f = self.parse_field(&mut lexer);
        lexer.force_end();
        match lexer.take_error() {
            Some(e) => Err(e),
            None => f.ok_or_else(|| "bad field".to_string()),
        }
    }

    /// Parses `name` or `name[lo]` or `name[lo..hi]` (upstream `parse_field`).  On failure records
    /// the error in `lexer` and returns `None`.
    pub fn parse_field(&self, lexer: &mut Lexer<'_>) -> Option<FieldRef> {
        if lexer.kind() != TokenKind::Id {
            lexer.syntax_error(Some("expecting field name"));
            return None;
        }
        let Some(id) = self.lookup(&lexer.token.text) else {
            lexer.syntax_error(Some("expecting field name"));
            return None;
        };
        lexer.get();
        let symbol = self.get(id);
        if !lexer.match_kind(TokenKind::LSquare) {
            return Some(FieldRef {
                symbol: id,
                ofs: 0,
                n_bits: symbol.width,
            });
        }
        if symbol.width == 0 {
            lexer.error(format!(
                "Cannot select subfield of string field {}.",
                symbol.name
            ));
            return None;
        }
        let low = lexer.force_int()?;
        let high = if lexer.match_kind(TokenKind::Ellipsis) {
            lexer.force_int()?
        } else {
            low
        };
        if !lexer.force_match(TokenKind::RSquare) {
            return None;
        }
        if low > high {
            lexer.error(format!("Invalid bit range {low} to {high}."));
            return None;
        }
        let (low, high) = (low as u32, high as u32);
        if high >= symbol.width {
            lexer.error(format!(
                "Cannot select bits {low} to {high} of {}-bit field {}.",
                symbol.width, symbol.name
            ));
            return None;
        }
        if symbol.level == Level::Nominal && (low != 0 || high != symbol.width - 1) {
            lexer.error(format!(
                "Cannot select subfield of nominal field {}.",
                symbol.name
            ));
            return None;
        }
        Some(FieldRef {
            symbol: id,
            ofs: low,
            n_bits: high - low + 1,
        })
    }

    /// The OpenFlow field and bit range underlying bits `ofs..ofs+n_bits` of `id`, following
    /// subfield parents (upstream `expr_resolve_field`).  `None` for predicates and OVN fields.
    pub fn resolve(
        &self,
        mut id: SymbolId,
        mut ofs: u32,
        n_bits: u32,
    ) -> Option<(OfField, u32, u32)> {
        loop {
            let s = self.get(id);
            match s.kind {
                SymbolKind::Field(f) => {
                    let n = if s.width == 0 { f.n_bits() } else { n_bits };
                    return Some((f, ofs, n));
                }
                SymbolKind::Subfield { parent, ofs: o } => {
                    ofs += o;
                    id = parent;
                }
                SymbolKind::Predicate(_) | SymbolKind::Ovn(_) => return None,
            }
        }
    }

    /// Formats `f` (upstream `expr_field_format`).
    pub fn format_field(&self, f: &FieldRef) -> String {
        let s = self.get(f.symbol);
        let mut out = s.name.to_string();
        if f.ofs != 0 || f.n_bits != s.width {
            if f.n_bits != 1 {
                out.push_str(&format!("[{}..{}]", f.ofs, f.ofs + f.n_bits - 1));
            } else {
                out.push_str(&format!("[{}]", f.ofs));
            }
        }
        out
    }

    /// One line of upstream's `dump-symtab` (`expr_symbol_format`).
    pub fn format_symbol(&self, id: SymbolId) -> String {
        let s = self.get(id);
        let def = match &s.kind {
            SymbolKind::Subfield { parent, ofs } => self.format_field(&FieldRef {
                symbol: *parent,
                ofs: *ofs,
                n_bits: s.width,
            }),
            SymbolKind::Predicate(p) => p.to_string(),
            SymbolKind::Ovn(_) => s.name.to_string(),
            SymbolKind::Field(f) => f.nx_name(),
        };
        format!("{} = {def}", s.name)
    }

    /// The symbol table ovn-controller uses (upstream `ovn_init_symtab`).
    pub fn ovn() -> Self {
        let mut t = Symtab::new();
        // Only a bug in this list can fail, and the tests build it.
        t.init_ovn()
            .unwrap_or_else(|e| panic!("built-in symbol table: {e}"));
        t
    }

    /// [`Symtab::ovn`] plus the symbols upstream's test driver adds for negative tests.
    pub fn ovn_test() -> Self {
        let mut t = Symtab::ovn();
        let x = OfField::Xreg(0);
        let d = scope::DEFAULT;
        let r = (|| -> Result<(), SymtabError> {
            t.add_field("bad_prereq", x, Some("xyzzy"), false, d)?;
            t.add_field("self_recurse", x, Some("self_recurse != 0"), false, d)?;
            t.add_field(
                "mutual_recurse_1",
                x,
                Some("mutual_recurse_2 != 0"),
                false,
                d,
            )?;
            t.add_field(
                "mutual_recurse_2",
                x,
                Some("mutual_recurse_1 != 0"),
                false,
                d,
            )?;
            t.add_string("big_string", x, None, d)?;
            Ok(())
        })();
        r.unwrap_or_else(|e| panic!("test symbol table: {e}"));
        t
    }

    fn init_ovn(&mut self) -> Result<(), SymtabError> {
        use OfField::*;
        let d = scope::DEFAULT;
        let ct = scope::CT_COMMIT;
        self.add_string("inport", Reg(14), None, d)?;
        self.add_string("outport", Reg(15), None, d)?;

        // Registers: overlapping ones must be formal subfields for the expression code.
        for xx in 0..2u8 {
            self.add_field(&format!("xxreg{xx}"), Xxreg(xx), None, false, d)?;
        }
        for x in 0..5u32 {
            let xx = x / 2;
            if xx < 2 {
                let lsb = 64 * (1 - x % 2);
                self.add_subfield(
                    &format!("xreg{x}"),
                    None,
                    &format!("xxreg{xx}[{lsb}..{}]", lsb + 63),
                    d,
                )?;
            } else {
                self.add_field(&format!("xreg{x}"), Xreg(x as u8), None, false, d)?;
            }
        }
        for i in 0..10u32 {
            let (xx, x) = (i / 4, i / 2);
            if xx < 2 {
                let lsb = 32 * (3 - i % 4);
                self.add_subfield(
                    &format!("reg{i}"),
                    None,
                    &format!("xxreg{xx}[{lsb}..{}]", lsb + 31),
                    d,
                )?;
            } else if x < 5 {
                let lsb = 32 * (1 - i % 2);
                self.add_subfield(
                    &format!("reg{i}"),
                    None,
                    &format!("xreg{x}[{lsb}..{}]", lsb + 31),
                    d,
                )?;
            } else {
                self.add_field(&format!("reg{i}"), Reg(i as u8), None, false, d)?;
            }
        }

        self.add_field("flags", Reg(10), None, false, d)?;
        for (name, bit) in [
            ("flags.loopback", 0),
            ("flags.force_snat_for_dnat", 2),
            ("flags.force_snat_for_lb", 3),
            ("flags.skip_snat_for_lb", 9),
            ("flags.use_snat_zone", 11),
        ] {
            self.add_subfield(name, None, &format!("flags[{bit}]"), d)?;
        }

        self.add_field("ct_mark", CtMark, None, false, ct)?;
        for (name, def) in [
            ("ct_mark.blocked", "ct_mark[0]"),
            ("ct_mark.natted", "ct_mark[1]"),
            ("ct_mark.ecmp_reply_port", "ct_mark[16..31]"),
            ("ct_mark.skip_snat", "ct_mark[2]"),
            ("ct_mark.force_snat", "ct_mark[3]"),
        ] {
            self.add_subfield(name, None, def, ct)?;
        }
        self.add_field("ct_label", CtLabel, None, false, ct)?;
        for (name, def) in [
            ("ct_label.blocked", "ct_label[0]"),
            ("ct_label.natted", "ct_label[1]"),
            ("ct_label.ecmp_reply_eth", "ct_label[32..79]"),
            ("ct_label.ecmp_reply_port", "ct_label[80..95]"),
            ("ct_label.label", "ct_label[96..127]"),
            ("ct_label.skip_snat", "ct_label[2]"),
            ("ct_label.force_snat", "ct_label[3]"),
        ] {
            self.add_subfield(name, None, def, ct)?;
        }

        self.add_field("ct_state", CtState, None, false, d)?;
        for (name, bit) in [
            ("ct.new", 0),
            ("ct.est", 1),
            ("ct.rel", 2),
            ("ct.rpl", 3),
            ("ct.inv", 4),
            ("ct.trk", 5),
            ("ct.snat", 6),
            ("ct.dnat", 7),
        ] {
            let prereqs = if bit == 5 { None } else { Some("ct.trk") };
            self.add_subfield(name, prereqs, &format!("ct_state[{bit}]"), d)?;
        }

        self.add_field("eth.src", EthSrc, None, false, d)?;
        self.add_field("eth.dst", EthDst, None, false, d)?;
        self.add_field("eth.type", EthType, None, true, d)?;
        self.add_predicate("eth.bcast", "eth.dst == ff:ff:ff:ff:ff:ff")?;
        self.add_subfield("eth.mcast", None, "eth.dst[40]", d)?;
        self.add_predicate("eth.mcastv6", "eth.dst[32..47] == 0x3333")?;

        self.add_field("vlan.tci", VlanTci, None, false, d)?;
        self.add_predicate("vlan.present", "vlan.tci[12]")?;
        self.add_subfield("vlan.pcp", Some("vlan.present"), "vlan.tci[13..15]", d)?;
        self.add_subfield("vlan.vid", Some("vlan.present"), "vlan.tci[0..11]", d)?;

        self.add_predicate("ip4", "eth.type == 0x800")?;
        self.add_predicate("ip6", "eth.type == 0x86dd")?;
        self.add_predicate("ip", "ip4 || ip6")?;
        self.add_field("ip.proto", IpProto, Some("ip"), true, d)?;
        self.add_field("ip.dscp", IpDscpShifted, Some("ip"), false, d)?;
        self.add_field("ip.ecn", IpEcn, Some("ip"), false, d)?;
        self.add_field("ip.ttl", IpTtl, Some("ip"), false, d)?;

        self.add_field("ip4.src", Ipv4Src, Some("ip4"), false, d)?;
        self.add_field("ip4.dst", Ipv4Dst, Some("ip4"), false, d)?;
        self.add_predicate("ip4.src_mcast", "ip4.src[28..31] == 0xe")?;
        self.add_predicate("ip4.mcast", "eth.mcast && ip4.dst[28..31] == 0xe")?;

        self.add_predicate("icmp4", "ip4 && ip.proto == 1")?;
        self.add_field("icmp4.type", Icmpv4Type, Some("icmp4"), false, d)?;
        self.add_field("icmp4.code", Icmpv4Code, Some("icmp4"), false, d)?;

        self.add_predicate("igmp", "ip4 && ip.proto == 2")?;

        self.add_field("ip6.src", Ipv6Src, Some("ip6"), false, d)?;
        self.add_field("ip6.dst", Ipv6Dst, Some("ip6"), false, d)?;
        self.add_field("ip6.label", Ipv6Label, Some("ip6"), false, d)?;

        self.add_predicate(
            "ip6.mcast_rsvd",
            "ip6.dst[116..127] == 0xff0 && ip6.dst[0..111] == 0x0",
        )?;
        self.add_predicate(
            "ip6.mcast_all_nodes",
            "ip6.dst == ff01::1 || ip6.dst == ff02::1",
        )?;
        self.add_predicate(
            "ip6.mcast_all_rtrs",
            "ip6.dst == ff01::2 || ip6.dst == ff02::2 || ip6.dst == ff05::2",
        )?;
        self.add_predicate("ip6.mcast_sol_node", "ip6.dst == ff02::1:ff00:0000/104")?;
        self.add_predicate(
            "ip6.mcast_flood",
            "eth.mcastv6 && (ip6.mcast_rsvd || ip6.mcast_all_nodes || ip6.mcast_all_rtrs || ip6.mcast_sol_node)",
        )?;
        self.add_predicate("ip6.mcast", "eth.mcastv6 && ip6.dst[120..127] == 0xff")?;

        self.add_predicate("icmp6", "ip6 && ip.proto == 58")?;
        self.add_field("icmp6.type", Icmpv6Type, Some("icmp6"), true, d)?;
        self.add_field("icmp6.code", Icmpv6Code, Some("icmp6"), true, d)?;

        self.add_predicate("icmp", "icmp4 || icmp6")?;

        self.add_field("ip.frag", IpFrag, Some("ip"), false, d)?;
        self.add_predicate("ip.is_frag", "ip.frag[0]")?;
        self.add_predicate("ip.later_frag", "ip.frag[1]")?;
        self.add_predicate("ip.first_frag", "ip.is_frag && !ip.later_frag")?;

        for (proto, eth_type) in [("arp", "0x806"), ("rarp", "0x8035")] {
            self.add_predicate(proto, &format!("eth.type == {eth_type}"))?;
            for (f, field) in [
                ("op", ArpOp),
                ("spa", ArpSpa),
                ("sha", ArpSha),
                ("tpa", ArpTpa),
                ("tha", ArpTha),
            ] {
                self.add_field(&format!("{proto}.{f}"), field, Some(proto), false, d)?;
            }
        }

        self.add_predicate(
            "nd",
            "icmp6.type == {135, 136} && icmp6.code == 0 && ip.ttl == 255",
        )?;
        self.add_predicate(
            "nd_ns",
            "icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255",
        )?;
        self.add_predicate(
            "nd_na",
            "icmp6.type == 136 && icmp6.code == 0 && ip.ttl == 255",
        )?;
        self.add_predicate(
            "nd_rs",
            "icmp6.type == 133 && icmp6.code == 0 && ip.ttl == 255",
        )?;
        self.add_predicate(
            "nd_ra",
            "icmp6.type == 134 && icmp6.code == 0 && ip.ttl == 255",
        )?;
        self.add_field("nd.target", NdTarget, Some("nd"), false, d)?;
        self.add_field("nd.sll", NdSll, Some("nd_ns"), false, d)?;
        self.add_field("nd.tll", NdTll, Some("nd_na"), false, d)?;

        self.add_predicate(
            "mldv1",
            "ip6.src == fe80::/10 && icmp6.type == {130, 131, 132}",
        )?;
        self.add_predicate("mldv2", "ip6.dst == ff02::16 && icmp6.type == 143")?;

        self.add_predicate("tcp", "ip.proto == 6")?;
        self.add_field("tcp.src", TcpSrc, Some("tcp"), false, d)?;
        self.add_field("tcp.dst", TcpDst, Some("tcp"), false, d)?;
        self.add_field("tcp.flags", TcpFlags, Some("tcp"), false, d)?;

        self.add_predicate("udp", "ip.proto == 17")?;
        self.add_field("udp.src", UdpSrc, Some("udp"), false, d)?;
        self.add_field("udp.dst", UdpDst, Some("udp"), false, d)?;

        self.add_predicate("sctp", "ip.proto == 132")?;
        self.add_field("sctp.src", SctpSrc, Some("sctp"), false, d)?;
        self.add_field("sctp.dst", SctpDst, Some("sctp"), false, d)?;

        self.add_field("pkt.mark", PktMark, None, false, d)?;

        self.add_ovn_field(OvnField::Icmp4FragMtu)?;
        self.add_ovn_field(OvnField::Icmp6FragMtu)?;
        Ok(())
    }
}
