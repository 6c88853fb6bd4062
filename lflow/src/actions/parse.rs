//! The action parser (upstream `ovnacts_parse` and the `parse_*` functions of lib/actions.c).
//!
//! Errors follow upstream exactly: the first error recorded in the lexer wins, every message is
//! upstream's text, and a failed action list yields no actions.

use super::ast::*;
use super::mf::{MfField, MfSubfield};
use super::options::{
    ND_OPT_DNSSL, ND_OPT_MTU, ND_OPT_PREFIX_INFORMATION, ND_OPT_RDNSS, ND_OPT_ROUTE_INFO_TYPE,
    ND_OPT_SOURCE_LINKADDR, ND_RA_FLAG_ADDR_MODE, ND_RA_FLAG_PRF, OptTable,
};
use super::prereqs::{self, PrereqCache};
use crate::expr::{self, AndOr, Expr};
use crate::lex::{Lexer, NumFormat, TokenKind};
use crate::symtab::{FieldRef, SymbolKind, Symtab, scope};

/// Upstream `MAX_NESTED_ACTION_DEPTH`.
const MAX_NESTED_ACTION_DEPTH: u32 = 32;
/// Upstream `QDISC_MAX_QUEUE_ID`.
const QDISC_MAX_QUEUE_ID: i32 = 0xf000;

/// What the parser needs to know (upstream `struct ovnact_parse_params`).
#[derive(Debug, Clone, Copy)]
pub struct ParseParams<'a> {
    /// Logical fields.
    pub symtab: &'a Symtab,
    /// DHCPv4 options (`put_dhcp_opts`).
    pub dhcp_opts: &'a OptTable,
    /// DHCPv6 options (`put_dhcpv6_opts`).
    pub dhcpv6_opts: &'a OptTable,
    /// IPv6 RA options (`put_nd_ra_opts`).
    pub nd_ra_opts: &'a OptTable,
    /// Options of the `empty_lb_backends` controller event.
    pub event_opts: &'a OptTable,
    /// Number of logical tables in the pipeline (0: `next` not allowed).
    pub n_tables: u8,
    /// Logical table of the flow being parsed.
    pub cur_ltable: u8,
    /// Pipeline of the flow.
    pub pipeline: Pipeline,
    /// Memoized prerequisite expressions (none: parse them every time, like upstream).
    pub prereq_cache: Option<&'a PrereqCache>,
}

/// A successfully parsed action list and its prerequisites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The actions (empty = `drop;`).
    pub actions: Actions,
    /// Prerequisites to AND into the flow's match.
    pub prereqs: Option<Expr>,
}

/// A parse error: upstream's exact message and the byte offset in the input where parsing
/// stopped (the offending token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ActionError {
    /// The message, as upstream prints it.
    pub message: String,
    /// Byte offset of the offending token.
    pub position: usize,
}

/// Parses `s` as an action list (upstream `ovnacts_parse_string`).
pub fn parse_actions_str(s: &str, pp: &ParseParams<'_>) -> Result<Parsed, ActionError> {
    let mut lexer = Lexer::new(s);
    lexer.get();
    parse_actions_lexer(&mut lexer, pp)
}

/// Parses actions from `lexer` up to the end of input (upstream `ovnacts_parse`).
pub fn parse_actions_lexer(
    lexer: &mut Lexer<'_>,
    pp: &ParseParams<'_>,
) -> Result<Parsed, ActionError> {
    let mut p = Parser {
        pp,
        lexer,
        prereqs: None,
        depth: 0,
        scope: scope::DEFAULT,
    };
    let mut actions = Vec::new();
    if !p.lexer.has_error() {
        p.parse_actions(TokenKind::End, &mut actions);
    }
    let position = p.lexer.token_start();
    match p.lexer.take_error() {
        None => Ok(Parsed {
            actions,
            prereqs: p.prereqs,
        }),
        Some(message) => Err(ActionError { message, position }),
    }
}

struct Parser<'p, 'a, 'l> {
    pp: &'p ParseParams<'p>,
    lexer: &'l mut Lexer<'a>,
    prereqs: Option<Expr>,
    depth: u32,
    scope: u32,
}

impl Parser<'_, '_, '_> {
    fn symtab(&self) -> &Symtab {
        self.pp.symtab
    }

    fn err(&mut self) -> bool {
        self.lexer.has_error()
    }

    fn add_prerequisite(&mut self, text: &str) {
        let e = match self.pp.prereq_cache {
            Some(c) => c.plain(self.pp.symtab, text),
            None => prereqs::parse_plain(self.pp.symtab, text),
        };
        self.prereqs = Expr::combine(AndOr::And, self.prereqs.take(), e);
    }

    // --- fields and constants (upstream expr_field_parse, expr_type_check, …) ---

    /// Upstream `expr_field_parse`: a field, with its prerequisites added.
    fn field_parse(&mut self) -> Option<Field> {
        let symtab = self.pp.symtab;
        let r = symtab.parse_field(self.lexer);
        let Some(r) = r else {
            // parse_field records its error; make sure one exists.
            if !self.err() {
                self.lexer.syntax_error(Some("expecting field name"));
            }
            return None;
        };
        let sym = symtab.get(r.symbol);
        if sym.predicate().is_some() {
            self.lexer.error(format!(
                "Predicate symbol {} used where lvalue required.",
                sym.name
            ));
        }
        if self.err() {
            return None;
        }
        let mut id = Some(r.symbol);
        while let Some(i) = id {
            let s = symtab.get(i);
            if let Some(text) = &s.prereqs {
                let e = match self.pp.prereq_cache {
                    Some(c) => c.annotated(symtab, text),
                    None => prereqs::parse_and_annotate(symtab, text),
                };
                match e {
                    Ok(e) => self.prereqs = Expr::combine(AndOr::And, self.prereqs.take(), Some(e)),
                    Err(msg) => {
                        self.lexer.error(msg);
                        return None;
                    }
                }
            }
            id = s.parent().map(|(p, _)| p);
        }
        Some(make_field(symtab, r))
    }

    fn type_check(&self, f: &Field, n_bits: u32, rw: bool) -> Result<(), String> {
        type_check(self.symtab(), f, n_bits, rw, self.scope)
    }

    /// Upstream `action_parse_field`.
    fn action_parse_field(&mut self, n_bits: u32, rw: bool) -> Option<Field> {
        let f = self.field_parse()?;
        if let Err(e) = self.type_check(&f, n_bits, rw) {
            self.lexer.error(e);
            return None;
        }
        Some(f)
    }

    /// Upstream `action_parse_uint16`.
    fn parse_uint16(&mut self, what: &str) -> Option<u16> {
        if self.lexer.is_int() {
            let v = self.lexer.token.value;
            if v <= u128::from(u16::MAX) {
                self.lexer.get();
                return Some(v as u16);
            }
        }
        self.lexer.syntax_error(Some(&format!("expecting {what}")));
        None
    }

    fn is_decimal(&self) -> bool {
        self.lexer.kind() == TokenKind::Integer && self.lexer.token.format == NumFormat::Decimal
    }

    fn int64(&self) -> u64 {
        self.lexer.token.value as u64
    }

    // --- action lists ---

    fn parse_actions(&mut self, sentinel: TokenKind, out: &mut Vec<Action>) {
        // "drop;" by itself is a valid (empty) list; it cannot be combined with other actions.
        if self.lexer.is_id("drop") && self.lexer.lookahead() == TokenKind::Semicolon {
            self.lexer.get();
            self.lexer.get();
            self.lexer.force_match(sentinel);
            return;
        }
        while !self.lexer.match_kind(sentinel) {
            if !self.parse_action(out) {
                return;
            }
        }
    }

    fn parse_action(&mut self, out: &mut Vec<Action>) -> bool {
        if self.lexer.kind() == TokenKind::Template {
            self.lexer.error("Unexpanded template.");
            return false;
        }
        if self.lexer.kind() != TokenKind::Id {
            self.lexer.syntax_error(None);
            return false;
        }
        let la = self.lexer.lookahead();
        if matches!(
            la,
            TokenKind::Equals | TokenKind::Exchange | TokenKind::LSquare
        ) {
            self.parse_set_action(out);
        } else {
            let name = self.lexer.token.text.to_string();
            let known = KEYWORDS.contains(&name.as_str());
            if known {
                self.lexer.get();
                self.parse_keyword_action(&name, out);
            } else {
                self.lexer.syntax_error(Some("expecting action"));
            }
        }
        self.lexer.force_match(TokenKind::Semicolon);
        !self.err()
    }

    fn parse_keyword_action(&mut self, name: &str, out: &mut Vec<Action>) {
        match name {
            "next" => self.parse_next(out),
            "push" => self.parse_push_pop(true, out),
            "pop" => self.parse_push_pop(false, out),
            "output" => out.push(Action::Output),
            "ip.ttl" => {
                self.lexer.force_match(TokenKind::Decrement);
                out.push(Action::DecTtl);
                self.add_prerequisite("ip");
            }
            "ct_next" => {
                if self.pp.cur_ltable >= self.pp.n_tables {
                    self.lexer
                        .error("\"ct_next\" action not allowed in last table.");
                    return;
                }
                self.add_prerequisite("ip");
                out.push(Action::CtNext {
                    ltable: self.pp.cur_ltable + 1,
                });
            }
            "ct_commit" => self.parse_ct_commit(out),
            "ct_dnat" => self.parse_ct_nat("ct_dnat", out, Action::CtDnat),
            "ct_snat" => self.parse_ct_nat("ct_snat", out, Action::CtSnat),
            "ct_dnat_in_czone" => self.parse_ct_nat("ct_dnat_in_czone", out, Action::CtDnatInCzone),
            "ct_snat_in_czone" => self.parse_ct_nat("ct_snat_in_czone", out, Action::CtSnatInCzone),
            "ct_lb" => self.parse_ct_lb(false, out),
            "ct_lb_mark" => self.parse_ct_lb(true, out),
            "ct_clear" => out.push(Action::CtClear),
            "ct_commit_nat" => {
                self.add_prerequisite("ip");
                if self.pp.cur_ltable >= self.pp.n_tables {
                    self.lexer
                        .error("\"ct_commit_related\" action not allowed in last table.");
                    return;
                }
                out.push(Action::CtCommitNat(Box::new(CtNat {
                    ip: None,
                    ports: None,
                    commit: true,
                    ltable: self.pp.cur_ltable + 1,
                })));
            }
            "clone" => self.parse_nested(NestKind::Clone, None, scope::DEFAULT, out),
            "arp" => self.parse_nested(NestKind::Arp, Some("ip4"), self.scope, out),
            "icmp4" => self.parse_nested(NestKind::Icmp4, Some("ip4"), self.scope, out),
            "icmp4_error" => self.parse_nested(NestKind::Icmp4Error, Some("ip4"), self.scope, out),
            "icmp6" => self.parse_nested(NestKind::Icmp6, Some("ip6"), self.scope, out),
            "icmp6_error" => self.parse_nested(NestKind::Icmp6Error, Some("ip6"), self.scope, out),
            "igmp" => out.push(Action::Igmp),
            "tcp_reset" => self.parse_nested(NestKind::TcpReset, Some("tcp"), self.scope, out),
            "sctp_abort" => self.parse_nested(NestKind::SctpAbort, Some("sctp"), self.scope, out),
            "nd_na" => self.parse_nested(NestKind::NdNa, Some("nd_ns"), self.scope, out),
            "nd_na_router" => {
                self.parse_nested(NestKind::NdNaRouter, Some("nd_ns"), self.scope, out);
            }
            "nd_ns" => self.parse_nested(NestKind::NdNs, Some("ip6"), self.scope, out),
            "get_arp" => self.parse_get_mac_bind(32, false, out),
            "put_arp" => self.parse_put_mac_bind(32, false, out),
            "get_nd" => self.parse_get_mac_bind(128, true, out),
            "put_nd" => self.parse_put_mac_bind(128, true, out),
            "set_queue" => self.parse_set_queue(out),
            "log" => self.parse_log(out),
            "set_meter" => self.parse_set_meter(out),
            "trigger_event" => self.parse_trigger_event(out),
            "bind_vport" => self.parse_bind_vport(out),
            "handle_svc_check" => {
                if !self.lexer.force_match(TokenKind::LParen) {
                    return;
                }
                let port = self.action_parse_field(0, false);
                self.lexer.force_match(TokenKind::RParen);
                if let Some(port) = port {
                    out.push(Action::HandleSvcCheck(Box::new(port)));
                }
            }
            "fwd_group" => self.parse_fwd_group(out),
            "handle_dhcpv6_reply" => out.push(Action::Dhcp6Reply),
            "handle_bfd_msg" => {
                if !self.lexer.force_match(TokenKind::LParen) {
                    return;
                }
                out.push(Action::BfdMsg);
                self.lexer.force_match(TokenKind::RParen);
            }
            "reject" => self.parse_nested(NestKind::Reject, None, self.scope, out),
            "ct_snat_to_vip" => out.push(Action::CtSnatToVip),
            "put_fdb" => {
                self.lexer.force_match(TokenKind::LParen);
                let port = self.action_parse_field(0, false);
                self.lexer.force_match(TokenKind::Comma);
                let mac = self.action_parse_field(48, false);
                self.lexer.force_match(TokenKind::RParen);
                if let (Some(p), Some(m)) = (port, mac) {
                    out.push(Action::PutFdb(Box::new((p, m))));
                }
            }
            "commit_ecmp_nh" => self.parse_commit_ecmp_nh(out),
            "commit_lb_aff" => self.parse_commit_lb_aff(out),
            "sample" => self.parse_sample(out),
            _ => self.lexer.syntax_error(Some("expecting action")),
        }
    }

    // --- next, push/pop ---

    fn parse_next(&mut self, out: &mut Vec<Action>) {
        if self.pp.n_tables == 0 {
            self.lexer.error("\"next\" action not allowed here.");
            return;
        }
        let mut pipeline = self.pp.pipeline;
        let mut table = i64::from(self.pp.cur_ltable) + 1;
        if self.lexer.match_kind(TokenKind::LParen) {
            if self.lexer.is_int() {
                table = i64::from(self.lexer.get_int().unwrap_or(0));
            } else {
                loop {
                    if self.lexer.match_id("pipeline") {
                        if !self.lexer.force_match(TokenKind::Equals) {
                            return;
                        }
                        if self.lexer.match_id("ingress") {
                            pipeline = Pipeline::Ingress;
                        } else if self.lexer.match_id("egress") {
                            pipeline = Pipeline::Egress;
                        } else {
                            self.lexer
                                .syntax_error(Some("expecting \"ingress\" or \"egress\""));
                            return;
                        }
                    } else if self.lexer.match_id("table") {
                        if !self.lexer.force_match(TokenKind::Equals) {
                            return;
                        }
                        match self.lexer.force_int() {
                            Some(t) => table = i64::from(t),
                            None => return,
                        }
                    } else {
                        self.lexer
                            .syntax_error(Some("expecting \"pipeline\" or \"table\""));
                        return;
                    }
                    if !self.lexer.match_kind(TokenKind::Comma) {
                        break;
                    }
                }
            }
            if !self.lexer.force_match(TokenKind::RParen) {
                return;
            }
        }
        if table >= i64::from(self.pp.n_tables) {
            self.lexer.error(format!(
                "\"next\" action cannot advance beyond table {}.",
                i64::from(self.pp.n_tables) - 1
            ));
            return;
        }
        out.push(Action::Next(Next {
            pipeline,
            ltable: table as u8,
            src_pipeline: self.pp.pipeline,
            src_ltable: self.pp.cur_ltable,
        }));
    }

    fn parse_push_pop(&mut self, is_push: bool, out: &mut Vec<Action>) {
        self.lexer.force_match(TokenKind::LParen);
        let Some(f) = self.field_parse() else { return };
        if let Err(e) = self.type_check(&f, f.r.n_bits, !is_push) {
            self.lexer.error(e);
            return;
        }
        self.lexer.force_match(TokenKind::RParen);
        out.push(if is_push {
            Action::Push(Box::new(f))
        } else {
            Action::Pop(Box::new(f))
        });
    }

    // --- assignments and result actions ---

    fn parse_set_action(&mut self, out: &mut Vec<Action>) {
        let Some(lhs) = self.field_parse() else {
            return;
        };
        if self.lexer.match_kind(TokenKind::Exchange) {
            self.parse_assignment(true, lhs, out);
        } else if self.lexer.match_kind(TokenKind::Equals) {
            if self.lexer.kind() != TokenKind::Id || self.lexer.lookahead() != TokenKind::LParen {
                if self.lexer.kind() != TokenKind::Id {
                    self.parse_load(lhs, out);
                } else {
                    self.parse_assignment(false, lhs, out);
                }
                return;
            }
            let func = self.lexer.token.text.to_string();
            match func.as_str() {
                "select" => self.parse_select(lhs, out),
                "put_dhcp_opts" => self.parse_put_opts(OptsKind::Dhcpv4, lhs, out),
                "put_dhcpv6_opts" => self.parse_put_opts(OptsKind::Dhcpv6, lhs, out),
                "put_nd_ra_opts" => self.parse_put_opts(OptsKind::NdRa, lhs, out),
                "dns_lookup" => self.parse_result(ResultKind::DnsLookup, Some("udp"), lhs, out),
                "check_pkt_larger" => self.parse_check_pkt_larger(lhs, out),
                "lookup_arp" => self.parse_lookup_mac_bind(lhs, 32, false, out),
                "lookup_nd" => self.parse_lookup_mac_bind(lhs, 128, true, out),
                "lookup_arp_ip" => self.parse_lookup_mac_bind_ip(lhs, 32, false, out),
                "lookup_nd_ip" => self.parse_lookup_mac_bind_ip(lhs, 128, true, out),
                "chk_lb_hairpin" => self.parse_result(ResultKind::ChkLbHairpin, None, lhs, out),
                "chk_lb_hairpin_reply" => {
                    self.parse_result(ResultKind::ChkLbHairpinReply, None, lhs, out);
                }
                "get_fdb" => self.parse_get_fdb(lhs, out),
                "lookup_fdb" => self.parse_lookup_fdb(lhs, out),
                "check_in_port_sec" => {
                    self.parse_result(ResultKind::CheckInPortSec, None, lhs, out);
                }
                "check_out_port_sec" => {
                    self.parse_result(ResultKind::CheckOutPortSec, None, lhs, out);
                }
                "chk_ecmp_nh_mac" => self.parse_result(ResultKind::ChkEcmpNhMac, None, lhs, out),
                "chk_ecmp_nh" => self.parse_result(ResultKind::ChkEcmpNh, None, lhs, out),
                "chk_lb_aff" => self.parse_result(ResultKind::ChkLbAff, None, lhs, out),
                _ => self.parse_assignment(false, lhs, out),
            }
        } else {
            self.lexer.syntax_error(Some("expecting `=' or `<->'"));
        }
    }

    fn parse_load(&mut self, lhs: Field, out: &mut Vec<Action>) {
        if let Err(e) = self.type_check(&lhs, lhs.r.n_bits, true) {
            self.lexer.error(e);
            return;
        }
        let Some(c) = expr::parse_constant(self.lexer, self.pp.symtab, &lhs.r) else {
            return;
        };
        let imm = owned_constant(c);
        let sym = self.pp.symtab.get(lhs.r.symbol);
        if let SymbolKind::Ovn(field) = sym.kind {
            let value = match &imm {
                Constant::Int(i) => i.value as u32,
                Constant::Str(_) => 0,
            };
            out.push(Action::OvnFieldLoad { field, value });
        } else {
            out.push(Action::Load(Box::new((lhs, imm))));
        }
    }

    fn parse_assignment(&mut self, exchange: bool, lhs: Field, out: &mut Vec<Action>) {
        let Some(rhs) = self.field_parse() else {
            return;
        };
        let symtab = self.pp.symtab;
        let ls = symtab.get(lhs.r.symbol);
        let rs = symtab.get(rhs.r.symbol);
        let kind = |w: u32| if w != 0 { "integer" } else { "string" };
        if (ls.width != 0) != (rs.width != 0) {
            if exchange {
                self.lexer.error(format!(
                    "Can't exchange {} field ({}) with {} field ({}).",
                    kind(ls.width),
                    ls.name,
                    kind(rs.width),
                    rs.name
                ));
            } else {
                self.lexer.error(format!(
                    "Can't assign {} field ({}) to {} field ({}).",
                    kind(rs.width),
                    rs.name,
                    kind(ls.width),
                    ls.name
                ));
            }
            return;
        }
        if lhs.r.n_bits != rhs.r.n_bits {
            if exchange {
                self.lexer.error(format!(
                    "Can't exchange {}-bit field with {}-bit field.",
                    lhs.r.n_bits, rhs.r.n_bits
                ));
            } else {
                self.lexer.error(format!(
                    "Can't assign {}-bit value to {}-bit destination.",
                    rhs.r.n_bits, lhs.r.n_bits
                ));
            }
            return;
        } else if lhs.r.n_bits == 0 && lhs.mf.field.n_bits() != rhs.mf.field.n_bits() {
            self.lexer.error(format!(
                "String fields {} and {} are incompatible for {}.",
                ls.name,
                rs.name,
                if exchange { "exchange" } else { "assignment" }
            ));
            return;
        }
        let checked = self
            .type_check(&lhs, lhs.r.n_bits, true)
            .and_then(|()| self.type_check(&rhs, rhs.r.n_bits, exchange));
        if let Err(e) = checked {
            self.lexer.error(e);
            return;
        }
        let pair = Box::new((lhs, rhs));
        out.push(if exchange {
            Action::Exchange(pair)
        } else {
            Action::Move(pair)
        });
    }

    /// Upstream `parse_ovnact_result`.
    fn parse_result(
        &mut self,
        kind: ResultKind,
        prereq: Option<&str>,
        dst: Field,
        out: &mut Vec<Action>,
    ) {
        self.lexer.get();
        self.lexer.get();
        if !self.lexer.match_kind(TokenKind::RParen) {
            self.lexer
                .error(format!("{} doesn't take any parameters", kind.name()));
            return;
        }
        if let Err(e) = self.type_check(&dst, 1, true) {
            self.lexer.error(e);
            return;
        }
        out.push(Action::Result(kind, Box::new(dst)));
        if let Some(p) = prereq {
            self.add_prerequisite(p);
        }
    }

    fn parse_check_pkt_larger(&mut self, dst: Field, out: &mut Vec<Action>) {
        if let Err(e) = self.type_check(&dst, 1, true) {
            self.lexer.error(e);
            return;
        }
        self.lexer.get();
        if !self.lexer.force_match(TokenKind::LParen) {
            return;
        }
        let Some(len) = self.lexer.get_int() else {
            return;
        };
        if !self.lexer.force_match(TokenKind::RParen) {
            return;
        }
        out.push(Action::CheckPktLarger {
            dst: Box::new(dst),
            pkt_len: len as u16,
        });
    }

    fn parse_select(&mut self, res: Field, out: &mut Vec<Action>) {
        if let Err(e) = self.type_check(&res, res.r.n_bits, true) {
            self.lexer.error(e);
            return;
        }
        if res.r.n_bits < 16 {
            let name = &self.pp.symtab.get(res.r.symbol).name;
            self.lexer.error(format!(
                "cannot use {}-bit field {}[{}..{}] for \"select\", which requires at least 16 bits.",
                res.r.n_bits,
                name,
                res.r.ofs,
                i64::from(res.r.ofs) + i64::from(res.r.n_bits) - 1
            ));
            return;
        }
        if self.pp.cur_ltable >= self.pp.n_tables {
            self.lexer
                .error("\"select\" action not allowed in last table.");
            return;
        }
        self.lexer.get();
        self.lexer.get();
        let mut dsts = Vec::new();
        while !self.lexer.match_kind(TokenKind::RParen) {
            let Some(id) = self.parse_uint16("id") else {
                return;
            };
            let mut weight = 0;
            if self.lexer.match_kind(TokenKind::Equals) {
                let Some(w) = self.parse_uint16("weight") else {
                    return;
                };
                weight = w;
                if weight == 0 {
                    self.lexer.syntax_error(Some("weight can't be 0"));
                }
            }
            if weight == 0 {
                weight = 100;
            }
            self.lexer.match_kind(TokenKind::Comma);
            dsts.push((id, weight));
        }
        if dsts.len() <= 1 {
            self.lexer
                .syntax_error(Some("expecting at least 2 group members"));
            return;
        }
        out.push(Action::Select(Box::new(Select {
            res,
            dsts,
            ltable: self.pp.cur_ltable + 1,
        })));
    }

    // --- conntrack ---

    fn parse_ct_commit(&mut self, out: &mut Vec<Action>) {
        match self.lexer.kind() {
            TokenKind::LCurly => {
                self.parse_nested(NestKind::CtCommit, Some("ip"), scope::CT_COMMIT, out);
            }
            TokenKind::LParen => self.parse_ct_commit_v1(out),
            _ => {
                self.add_prerequisite("ip");
                out.push(Action::Nested(NestKind::CtCommit, Vec::new()));
            }
        }
    }

    fn parse_ct_commit_v1(&mut self, out: &mut Vec<Action>) {
        self.add_prerequisite("ip");
        let mut cc = CtCommitV1::default();
        if self.lexer.match_kind(TokenKind::LParen) {
            while !self.lexer.match_kind(TokenKind::RParen) {
                self.parse_ct_commit_v1_arg(&mut cc);
                if self.err() {
                    return;
                }
                self.lexer.match_kind(TokenKind::Comma);
            }
        }
        out.push(Action::CtCommitV1(Box::new(cc)));
    }

    fn parse_ct_commit_v1_arg(&mut self, cc: &mut CtCommitV1) {
        let is_mark = self.lexer.match_id("ct_mark");
        if !is_mark && !self.lexer.match_id("ct_label") {
            self.lexer.syntax_error(None);
            return;
        }
        if !self.lexer.force_match(TokenKind::Equals) {
            return;
        }
        let (value, mask) = match self.lexer.kind() {
            TokenKind::Integer => (self.lexer.token.value, None),
            TokenKind::MaskedInteger => (self.lexer.token.value, Some(self.lexer.token.mask)),
            _ => {
                self.lexer.syntax_error(Some("expecting integer"));
                return;
            }
        };
        if is_mark {
            cc.ct_mark = value as u64 as u32;
            cc.ct_mark_mask = mask.map_or(u32::MAX, |m| m as u64 as u32);
        } else {
            cc.ct_label = value;
            cc.ct_label_mask = mask.unwrap_or(u128::MAX);
        }
        self.lexer.get();
    }

    fn parse_ct_nat(&mut self, name: &str, out: &mut Vec<Action>, make: fn(Box<CtNat>) -> Action) {
        self.add_prerequisite("ip");
        if self.pp.cur_ltable >= self.pp.n_tables {
            self.lexer
                .error(format!("\"{name}\" action not allowed in last table."));
            return;
        }
        let mut cn = CtNat {
            ip: None,
            ports: None,
            commit: false,
            ltable: self.pp.cur_ltable + 1,
        };
        if self.lexer.match_kind(TokenKind::LParen) {
            let fmt = self.lexer.token.format;
            if self.lexer.kind() != TokenKind::Integer
                || !matches!(fmt, NumFormat::Ipv4 | NumFormat::Ipv6)
            {
                self.lexer
                    .syntax_error(Some("expecting IPv4 or IPv6 address"));
                return;
            }
            cn.commit = true;
            cn.ip = Some(if fmt == NumFormat::Ipv4 {
                NatIp::V4(self.lexer.token.value as u32)
            } else {
                NatIp::V6(self.lexer.token.value)
            });
            self.lexer.get();
            if self.lexer.match_kind(TokenKind::Comma) {
                if !self.is_decimal() {
                    self.lexer
                        .syntax_error(Some("expecting Integer for port range"));
                }
                let lo = self.int64() as u16;
                if lo == 0 {
                    self.lexer.syntax_error(Some("range can't be 0"));
                }
                self.lexer.get();
                let mut hi = 0;
                if self.lexer.match_kind(TokenKind::Hyphen) {
                    if self.lexer.kind() != TokenKind::Integer {
                        self.lexer
                            .syntax_error(Some("expecting Integer for port range"));
                    }
                    hi = self.int64() as u16;
                    if hi <= lo {
                        self.lexer
                            .syntax_error(Some("range high should be greater than range low"));
                    }
                    self.lexer.get();
                }
                cn.ports = Some((lo, hi));
            }
            if !self.lexer.force_match(TokenKind::RParen) {
                return;
            }
        }
        out.push(make(Box::new(cn)));
    }

    fn parse_ct_lb(&mut self, mark: bool, out: &mut Vec<Action>) {
        if self.pp.cur_ltable >= self.pp.n_tables {
            self.lexer
                .error("\"ct_lb\" action not allowed in last table.");
            return;
        }
        self.add_prerequisite("ip");
        let mut dsts = Vec::new();
        let mut hash_fields = None;
        let mut flag = CtLbFlag::None;
        if self.lexer.match_kind(TokenKind::LParen) && !self.lexer.match_kind(TokenKind::RParen) {
            if !self.lexer.match_id("backends") || !self.lexer.force_match(TokenKind::Equals) {
                self.lexer.syntax_error(Some("expecting backends"));
                return;
            }
            while !self.lexer.match_kind(TokenKind::Semicolon)
                && !self.lexer.match_kind(TokenKind::RParen)
            {
                let dst;
                if self.lexer.match_kind(TokenKind::LSquare) {
                    if self.lexer.kind() != TokenKind::Integer
                        || self.lexer.token.format != NumFormat::Ipv6
                    {
                        self.lexer.syntax_error(Some("expecting IPv6 address"));
                        return;
                    }
                    let ip = NatIp::V6(self.lexer.token.value);
                    self.lexer.get();
                    if !self.lexer.match_kind(TokenKind::RSquare) {
                        self.lexer.syntax_error(Some("no closing square bracket"));
                        return;
                    }
                    let mut port = 0;
                    if self.lexer.match_kind(TokenKind::Colon) {
                        let Some(p) = self.parse_uint16("port number") else {
                            return;
                        };
                        port = p;
                    }
                    dst = LbDst { ip, port };
                } else {
                    let fmt = self.lexer.token.format;
                    if self.lexer.kind() != TokenKind::Integer
                        || !matches!(fmt, NumFormat::Ipv4 | NumFormat::Ipv6)
                    {
                        self.lexer.syntax_error(Some("expecting IP address"));
                        return;
                    }
                    let ip = if fmt == NumFormat::Ipv4 {
                        NatIp::V4(self.lexer.token.value as u32)
                    } else {
                        NatIp::V6(self.lexer.token.value)
                    };
                    self.lexer.get();
                    let mut port = 0;
                    if self.lexer.match_kind(TokenKind::Colon) {
                        if matches!(ip, NatIp::V6(_)) {
                            self.lexer.syntax_error(Some(
                                "IPv6 address needs square brackets if port is included",
                            ));
                            return;
                        }
                        let Some(p) = self.parse_uint16("port number") else {
                            return;
                        };
                        port = p;
                    }
                    dst = LbDst { ip, port };
                }
                self.lexer.match_kind(TokenKind::Comma);
                dsts.push(dst);
            }
            if self.lexer.match_id("hash_fields") {
                if !self.lexer.match_kind(TokenKind::Equals)
                    || self.lexer.kind() != TokenKind::String
                {
                    self.lexer.syntax_error(Some("invalid hash_fields"));
                    return;
                }
                hash_fields = Some(Box::from(&*self.lexer.token.text));
                self.lexer.get();
                if !self.lexer.match_kind(TokenKind::Semicolon) {
                    self.lexer.get();
                }
            }
            if self.lexer.match_id("skip_snat") {
                flag = CtLbFlag::SkipSnat;
                self.lexer.get();
            } else if self.lexer.match_id("force_snat") {
                flag = CtLbFlag::ForceSnat;
                self.lexer.get();
            }
        }
        let lb = Box::new(CtLb {
            dsts,
            hash_fields,
            flag,
            ltable: self.pp.cur_ltable + 1,
        });
        out.push(if mark {
            Action::CtLbMark(lb)
        } else {
            Action::CtLb(lb)
        });
    }

    // --- nested actions ---

    fn parse_nested(
        &mut self,
        kind: NestKind,
        prereq: Option<&str>,
        scope: u32,
        out: &mut Vec<Action>,
    ) {
        if !self.lexer.force_match(TokenKind::LCurly) {
            return;
        }
        if self.depth + 1 == MAX_NESTED_ACTION_DEPTH {
            self.lexer.error("maximum depth of nested actions reached");
            return;
        }
        let outer_prereqs = self.prereqs.take();
        let outer_scope = std::mem::replace(&mut self.scope, scope);
        self.depth += 1;
        let mut nested = Vec::new();
        self.parse_actions(TokenKind::RCurly, &mut nested);
        self.depth -= 1;
        self.scope = outer_scope;
        let inner_prereqs = std::mem::replace(&mut self.prereqs, outer_prereqs);
        match prereq {
            // Upstream drops the inner prerequisites of "arp", "nd_na" & co.
            Some(p) => self.add_prerequisite(p),
            // For "clone", the inner prerequisites come first.
            None => {
                let outer = self.prereqs.take();
                self.prereqs = Expr::combine(AndOr::And, inner_prereqs, outer);
            }
        }
        if self.err() {
            return;
        }
        out.push(Action::Nested(kind, nested));
    }

    // --- MAC bindings and FDB ---

    fn parse_get_mac_bind(&mut self, width: u32, nd: bool, out: &mut Vec<Action>) {
        self.lexer.force_match(TokenKind::LParen);
        let port = self.action_parse_field(0, false);
        self.lexer.force_match(TokenKind::Comma);
        let ip = self.action_parse_field(width, false);
        self.lexer.force_match(TokenKind::RParen);
        if let (Some(p), Some(i)) = (port, ip) {
            let b = Box::new((p, i));
            out.push(if nd {
                Action::GetNd(b)
            } else {
                Action::GetArp(b)
            });
        }
    }

    fn parse_put_mac_bind(&mut self, width: u32, nd: bool, out: &mut Vec<Action>) {
        self.lexer.force_match(TokenKind::LParen);
        let port = self.action_parse_field(0, false);
        self.lexer.force_match(TokenKind::Comma);
        let ip = self.action_parse_field(width, false);
        self.lexer.force_match(TokenKind::Comma);
        let mac = self.action_parse_field(48, false);
        self.lexer.force_match(TokenKind::RParen);
        if let (Some(p), Some(i), Some(m)) = (port, ip, mac) {
            let b = Box::new((p, i, m));
            out.push(if nd {
                Action::PutNd(b)
            } else {
                Action::PutArp(b)
            });
        }
    }

    fn parse_lookup_mac_bind(&mut self, dst: Field, width: u32, nd: bool, out: &mut Vec<Action>) {
        if let Err(e) = self.type_check(&dst, 1, true) {
            self.lexer.error(e);
            return;
        }
        self.lexer.get();
        self.lexer.get();
        let port = self.action_parse_field(0, false);
        self.lexer.force_match(TokenKind::Comma);
        let ip = self.action_parse_field(width, false);
        self.lexer.force_match(TokenKind::Comma);
        let mac = self.action_parse_field(48, false);
        self.lexer.force_match(TokenKind::RParen);
        if let (Some(p), Some(i), Some(m)) = (port, ip, mac) {
            let b = Box::new([dst, p, i, m]);
            out.push(if nd {
                Action::LookupNd(b)
            } else {
                Action::LookupArp(b)
            });
        }
    }

    fn parse_lookup_mac_bind_ip(
        &mut self,
        dst: Field,
        width: u32,
        nd: bool,
        out: &mut Vec<Action>,
    ) {
        if let Err(e) = self.type_check(&dst, 1, true) {
            self.lexer.error(e);
            return;
        }
        self.lexer.get();
        self.lexer.get();
        let port = self.action_parse_field(0, false);
        self.lexer.force_match(TokenKind::Comma);
        let ip = self.action_parse_field(width, false);
        self.lexer.force_match(TokenKind::RParen);
        if let (Some(p), Some(i)) = (port, ip) {
            let b = Box::new([dst, p, i]);
            out.push(if nd {
                Action::LookupNdIp(b)
            } else {
                Action::LookupArpIp(b)
            });
        }
    }

    fn parse_get_fdb(&mut self, dst: Field, out: &mut Vec<Action>) {
        self.lexer.get();
        self.lexer.get();
        if dst.r.n_bits != 0
            && let Err(e) = self.type_check(&dst, 32, true)
        {
            self.lexer.error(e);
            return;
        }
        let mac = self.action_parse_field(48, false);
        self.lexer.force_match(TokenKind::RParen);
        if let Some(m) = mac {
            out.push(Action::GetFdb(Box::new((dst, m))));
        }
    }

    fn parse_lookup_fdb(&mut self, dst: Field, out: &mut Vec<Action>) {
        self.lexer.get();
        self.lexer.get();
        if let Err(e) = self.type_check(&dst, 1, true) {
            self.lexer.error(e);
            return;
        }
        let port = self.action_parse_field(0, false);
        self.lexer.force_match(TokenKind::Comma);
        let mac = self.action_parse_field(48, false);
        self.lexer.force_match(TokenKind::RParen);
        if let (Some(p), Some(m)) = (port, mac) {
            out.push(Action::LookupFdb(Box::new([dst, p, m])));
        }
    }

    // --- generic options ---

    /// Upstream `parse_gen_opt`.  `None` after recording an error.
    fn parse_gen_opt(&mut self, opts: &OptTable, opts_type: &str) -> Option<GenOption> {
        if self.lexer.kind() != TokenKind::Id {
            self.lexer.syntax_error(None);
            return None;
        }
        let Some(def) = opts.get(&self.lexer.token.text).cloned() else {
            self.lexer
                .syntax_error(Some(&format!("expecting {opts_type} option name")));
            return None;
        };
        self.lexer.get();
        if !self.lexer.force_match(TokenKind::Equals) {
            return None;
        }
        let cs = expr::parse_constant_set(self.lexer, self.pp.symtab)?;
        if self.err() {
            return None;
        }
        let value = owned_set(cs);
        match def.ty {
            OptType::HostId => {}
            OptType::Str | OptType::Domains => {
                if !value.is_string() {
                    self.lexer.error(format!(
                        "{opts_type} option {} requires string value.",
                        def.name
                    ));
                    return None;
                }
            }
            _ => {
                if value.is_string() {
                    self.lexer.error(format!(
                        "{opts_type} option {} requires numeric value.",
                        def.name
                    ));
                    return None;
                }
            }
        }
        Some(GenOption { def, value })
    }

    fn parse_put_opts(&mut self, kind: OptsKind, dst: Field, out: &mut Vec<Action>) {
        let (table, opts_type) = match kind {
            OptsKind::Dhcpv4 => (self.pp.dhcp_opts, "DHCPv4"),
            OptsKind::Dhcpv6 => (self.pp.dhcpv6_opts, "DHCPv6"),
            OptsKind::NdRa => (self.pp.nd_ra_opts, "IPv6 ND RA"),
        };
        self.lexer.get();
        self.lexer.get();
        if let Err(e) = self.type_check(&dst, 1, true) {
            self.lexer.error(e);
            return;
        }
        let mut options = Vec::new();
        while !self.lexer.match_kind(TokenKind::RParen) {
            let Some(o) = self.parse_gen_opt(table, opts_type) else {
                return;
            };
            options.push(o);
            self.lexer.match_kind(TokenKind::Comma);
        }
        match kind {
            OptsKind::Dhcpv4 => {
                if !options.iter().any(|o| o.def.code == 0) {
                    self.lexer
                        .error("put_dhcp_opts requires offerip to be specified.");
                    return;
                }
            }
            OptsKind::Dhcpv6 => {}
            OptsKind::NdRa => {
                if !self.validate_nd_ra(&options) {
                    return;
                }
            }
        }
        out.push(Action::PutOpts(Box::new(PutOpts { kind, dst, options })));
        if kind == OptsKind::NdRa {
            self.add_prerequisite("ip6");
        }
    }

    fn validate_nd_ra(&mut self, options: &[GenOption]) -> bool {
        let mut stateful = false;
        let mut prefix_set = false;
        let mut slla = false;
        for o in options {
            let bad = |p: &mut Self| {
                p.lexer
                    .error(format!("Invalid value for \"{}\" option", o.def.name));
                false
            };
            if o.value.values.len() > 1 {
                return bad(self);
            }
            let s = o.value.first_str();
            let int = o.value.first_int();
            let ok = match o.def.code {
                ND_RA_FLAG_ADDR_MODE => {
                    let ok = matches!(s, Some("slaac" | "dhcpv6_stateful" | "dhcpv6_stateless"));
                    if s == Some("dhcpv6_stateful") {
                        stateful = true;
                    }
                    ok
                }
                ND_RA_FLAG_PRF => matches!(s, Some("MEDIUM" | "HIGH" | "LOW")),
                ND_OPT_SOURCE_LINKADDR => {
                    slla = true;
                    int.is_some_and(|i| i.format == NumFormat::Ethernet)
                }
                ND_OPT_PREFIX_INFORMATION => {
                    prefix_set = true;
                    int.is_some_and(|i| i.format == NumFormat::Ipv6 && i.masked)
                }
                ND_OPT_MTU => int.is_some_and(|i| i.format == NumFormat::Decimal),
                ND_OPT_RDNSS => int.is_some_and(|i| i.format == NumFormat::Ipv6),
                ND_OPT_ROUTE_INFO_TYPE | ND_OPT_DNSSL => s.is_some(),
                _ => true,
            };
            if !ok {
                return bad(self);
            }
        }
        if !slla {
            self.lexer.error("slla option not present");
            return false;
        }
        if !stateful && !prefix_set {
            self.lexer.error(
                "prefix option needs to be set when address mode is slaac/dhcpv6_stateless.",
            );
            return false;
        }
        true
    }

    fn parse_trigger_event(&mut self, out: &mut Vec<Action>) {
        self.lexer.force_match(TokenKind::LParen);
        if !self.lexer.match_id("event") {
            self.lexer.syntax_error(Some("Expecting 'event' option"));
            return;
        }
        if !self.lexer.force_match(TokenKind::Equals) {
            return;
        }
        if self.lexer.kind() != TokenKind::String || self.lexer.token.text.len() >= 64 {
            self.lexer.syntax_error(Some("Expecting string"));
            return;
        }
        if &*self.lexer.token.text != "empty_lb_backends" {
            self.lexer.syntax_error(Some("Unknown event '-1'"));
            return;
        }
        self.lexer.get();
        self.lexer.match_kind(TokenKind::Comma);
        let mut options = Vec::new();
        let table = self.pp.event_opts;
        while !self.lexer.match_kind(TokenKind::RParen) {
            let Some(o) = self.parse_gen_opt(table, "empty_lb_backends") else {
                return;
            };
            options.push(o);
            self.lexer.match_kind(TokenKind::Comma);
        }
        if let Err(e) = validate_empty_lb_backends(&options) {
            self.lexer.error(e);
            return;
        }
        out.push(Action::TriggerEvent(Box::new(TriggerEvent {
            event: 0,
            options,
        })));
    }

    // --- misc ---

    fn parse_set_queue(&mut self, out: &mut Vec<Action>) {
        if !self.lexer.force_match(TokenKind::LParen) {
            return;
        }
        let Some(q) = self.lexer.get_int() else {
            return;
        };
        if !self.lexer.force_match(TokenKind::RParen) {
            return;
        }
        if !(0..=QDISC_MAX_QUEUE_ID).contains(&q) {
            self.lexer.error(format!(
                "Queue ID {q} for set_queue is not in valid range 0 to {QDISC_MAX_QUEUE_ID}."
            ));
            return;
        }
        out.push(Action::SetQueue(q as u16));
    }

    fn parse_log(&mut self, out: &mut Vec<Action>) {
        let mut log = Log {
            name: None,
            verdict: LogVerdict::Allow,
            severity: 6,
            meter: None,
        };
        let mut verdict = None;
        if self.lexer.match_kind(TokenKind::LParen) {
            while !self.lexer.match_kind(TokenKind::RParen) {
                self.parse_log_arg(&mut log, &mut verdict);
                if self.err() {
                    return;
                }
                self.lexer.match_kind(TokenKind::Comma);
            }
        }
        match verdict {
            Some(v) => {
                log.verdict = v;
                out.push(Action::Log(Box::new(log)));
            }
            None => self.lexer.syntax_error(Some("expecting verdict")),
        }
    }

    fn parse_log_arg(&mut self, log: &mut Log, verdict: &mut Option<LogVerdict>) {
        if self.lexer.match_id("verdict") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            *verdict = Some(if self.lexer.match_id("drop") {
                LogVerdict::Drop
            } else if self.lexer.match_id("reject") {
                LogVerdict::Reject
            } else if self.lexer.match_id("allow") {
                LogVerdict::Allow
            } else {
                self.lexer.syntax_error(Some("unknown verdict"));
                return;
            });
        } else if self.lexer.match_id("name") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.lexer.kind() != TokenKind::String {
                self.lexer.syntax_error(Some("expecting string"));
                return;
            }
            if self.lexer.token.text.len() >= 64 {
                self.lexer
                    .syntax_error(Some("name must be shorter than 64 characters"));
                return;
            }
            log.name = Some(Box::from(&*self.lexer.token.text));
            self.lexer.get();
        } else if self.lexer.match_id("severity") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.lexer.kind() == TokenKind::Id {
                match severity_from_str(&self.lexer.token.text) {
                    Some(s) => {
                        log.severity = s;
                        self.lexer.get();
                    }
                    None => self.lexer.syntax_error(Some("unknown severity")),
                }
                return;
            }
            self.lexer.syntax_error(Some("expecting severity"));
        } else if self.lexer.match_id("meter") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.lexer.kind() != TokenKind::String {
                self.lexer.syntax_error(Some("expecting string"));
                return;
            }
            log.meter = Some(Box::from(&*self.lexer.token.text));
            self.lexer.get();
        } else {
            self.lexer.syntax_error(None);
        }
    }

    fn parse_set_meter(&mut self, out: &mut Vec<Action>) {
        let mut rate = 0;
        let mut burst = 0;
        self.lexer.force_match(TokenKind::LParen);
        if self.is_decimal() {
            rate = self.int64();
        }
        self.lexer.get();
        if self.lexer.match_kind(TokenKind::Comma) {
            if self.is_decimal() {
                burst = self.int64();
            }
            self.lexer.get();
        }
        self.lexer.force_match(TokenKind::RParen);
        if rate == 0 {
            self.lexer
                .error(format!("Rate {rate} for set_meter is not in valid."));
            return;
        }
        out.push(Action::SetMeter { rate, burst });
    }

    fn parse_bind_vport(&mut self, out: &mut Vec<Action>) {
        if !self.lexer.force_match(TokenKind::LParen) {
            return;
        }
        if self.lexer.kind() != TokenKind::String {
            self.lexer.syntax_error(Some("expecting port name string"));
            return;
        }
        let vport: Box<str> = Box::from(&*self.lexer.token.text);
        self.lexer.get();
        if !self.lexer.force_match(TokenKind::Comma) {
            return;
        }
        let Some(parent) = self.action_parse_field(0, false) else {
            return;
        };
        if !self.lexer.force_match(TokenKind::RParen) {
            return;
        }
        out.push(Action::BindVport(Box::new((vport, parent))));
    }

    fn parse_fwd_group(&mut self, out: &mut Vec<Action>) {
        let mut liveness = false;
        let mut child_ports = Vec::new();
        if self.lexer.match_kind(TokenKind::LParen) {
            if self.lexer.match_id("liveness") {
                if !self.lexer.force_match(TokenKind::Equals) {
                    return;
                }
                if self.lexer.match_string("true") || self.lexer.match_id("true") {
                    liveness = true;
                } else if self.lexer.match_string("false") || self.lexer.match_id("false") {
                    liveness = false;
                } else {
                    self.lexer.syntax_error(Some("expecting true or false"));
                    return;
                }
                self.lexer.force_match(TokenKind::Comma);
            }
            if self.lexer.match_id("childports") {
                if !self.lexer.force_match(TokenKind::Equals) {
                    return;
                }
                while !self.lexer.match_kind(TokenKind::RParen) {
                    if self.lexer.kind() != TokenKind::String {
                        self.lexer
                            .syntax_error(Some("expecting logical switch port"));
                        return;
                    }
                    child_ports.push(Box::from(&*self.lexer.token.text));
                    self.lexer.get();
                    self.lexer.match_kind(TokenKind::Comma);
                }
            }
        }
        out.push(Action::FwdGroup(Box::new(FwdGroup {
            liveness,
            child_ports,
            ltable: self.pp.cur_ltable + 1,
        })));
    }

    fn parse_sample(&mut self, out: &mut Vec<Action>) {
        let mut s = Sample::default();
        if self.lexer.match_kind(TokenKind::LParen) {
            while !self.lexer.match_kind(TokenKind::RParen) {
                self.parse_sample_arg(&mut s);
                if self.err() {
                    return;
                }
                self.lexer.match_kind(TokenKind::Comma);
            }
        }
        if s.probability == 0 {
            self.lexer.error("probability must be greater than zero");
            return;
        }
        out.push(Action::Sample(Box::new(s)));
    }

    fn parse_sample_arg(&mut self, s: &mut Sample) {
        if self.lexer.match_id("probability") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.is_decimal()
                && let Some(p) = self.parse_uint16("probability")
            {
                s.probability = p;
            }
        } else if self.lexer.match_id("obs_point") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.lexer.kind() == TokenKind::Macro && &*self.lexer.token.text == "cookie" {
                s.use_cookie = true;
                self.lexer.get();
            } else if self.is_decimal() {
                s.obs_point_id = self.int64() as u32;
                self.lexer.get();
            } else {
                self.lexer
                    .syntax_error(Some("malformed sample observation_point_id"));
            }
        } else if self.lexer.match_id("obs_domain") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.is_decimal() {
                let d = self.int64() as u32;
                if d > u32::from(u8::MAX) {
                    self.lexer
                        .syntax_error(Some("obs_domain must be 8-bit long"));
                    return;
                }
                s.obs_domain_id = d as u8;
            }
            self.lexer.get();
        } else if self.lexer.match_id("collector_set") {
            if !self.lexer.force_match(TokenKind::Equals) {
                return;
            }
            if self.is_decimal() {
                s.collector_set_id = self.int64() as u32;
            }
            self.lexer.get();
        } else {
            self.lexer.syntax_error(Some("unknown argument"));
        }
    }

    fn parse_commit_ecmp_nh(&mut self, out: &mut Vec<Action>) {
        self.lexer.force_match(TokenKind::LParen);
        if !self.lexer.match_id("ipv6") {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        }
        if !self.lexer.force_match(TokenKind::Equals) {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        }
        let ipv6 = if self.lexer.match_string("true") || self.lexer.match_id("true") {
            true
        } else if self.lexer.match_string("false") || self.lexer.match_id("false") {
            false
        } else {
            self.lexer.syntax_error(Some("expecting true or false"));
            return;
        };
        self.lexer.force_match(TokenKind::Comma);
        if !self.lexer.match_id("proto") {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        }
        if !self.lexer.force_match(TokenKind::Equals) {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        }
        let Some(proto) = self.parse_proto() else {
            return;
        };
        self.lexer.force_match(TokenKind::RParen);
        out.push(Action::CommitEcmpNh { ipv6, proto });
    }

    fn parse_proto(&mut self) -> Option<u8> {
        if self.lexer.match_id("tcp") {
            Some(6)
        } else if self.lexer.match_id("udp") {
            Some(17)
        } else if self.lexer.match_id("sctp") {
            Some(132)
        } else {
            self.lexer.syntax_error(Some("invalid protocol"));
            None
        }
    }

    /// `NAME = "string"` with upstream's "invalid parameter" errors; returns the string.
    fn lb_aff_param(&mut self, name: &str) -> Option<String> {
        if !self.lexer.match_id(name) {
            self.lexer.syntax_error(Some("invalid parameter"));
            return None;
        }
        if !self.lexer.force_match(TokenKind::Equals) {
            self.lexer.syntax_error(Some("invalid parameter"));
            return None;
        }
        if self.lexer.kind() != TokenKind::String {
            self.lexer.syntax_error(Some("invalid parameter"));
            return None;
        }
        Some(self.lexer.token.text.to_string())
    }

    fn parse_commit_lb_aff(&mut self, out: &mut Vec<Action>) {
        self.lexer.force_match(TokenKind::LParen);
        let Some(vip_s) = self.lb_aff_param("vip") else {
            return;
        };
        let Some((vip, vip_port, vip_v6)) = ip_and_port_from_lb_key(&vip_s) else {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        };
        self.lexer.get();
        self.lexer.force_match(TokenKind::Comma);
        let Some(be_s) = self.lb_aff_param("backend") else {
            return;
        };
        let Some((backend, backend_port, be_v6)) = ip_and_port_from_lb_key(&be_s) else {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        };
        if be_v6 != vip_v6 {
            self.lexer.syntax_error(Some("invalid protocol family"));
            return;
        }
        self.lexer.get();
        self.lexer.force_match(TokenKind::Comma);
        let mut proto = 0;
        if vip_port != 0 {
            if !self.lexer.match_id("proto") {
                self.lexer.syntax_error(Some("invalid parameter"));
                return;
            }
            if !self.lexer.force_match(TokenKind::Equals) {
                self.lexer.syntax_error(Some("invalid parameter"));
                return;
            }
            let Some(p) = self.parse_proto() else { return };
            proto = p;
            self.lexer.force_match(TokenKind::Comma);
        }
        if !self.lexer.match_id("timeout") {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        }
        if !self.lexer.force_match(TokenKind::Equals) {
            self.lexer.syntax_error(Some("invalid parameter"));
            return;
        }
        let Some(timeout) = self.parse_uint16("affinity timeout") else {
            return;
        };
        self.lexer.force_match(TokenKind::RParen);
        out.push(Action::CommitLbAff(Box::new(CommitLbAff {
            vip,
            vip_port,
            backend,
            backend_port,
            proto,
            timeout,
        })));
    }
}

/// Upstream `validate_empty_lb_backends`.
fn validate_empty_lb_backends(options: &[GenOption]) -> Result<(), String> {
    use super::options::{EMPTY_LB_LOAD_BALANCER, EMPTY_LB_PROTOCOL, EMPTY_LB_VIP};
    for o in options {
        let (1, Some(s)) = (o.value.values.len(), o.value.first_str()) else {
            return Err(format!("Invalid value for \"{}\" option", o.def.name));
        };
        match o.def.code {
            EMPTY_LB_VIP if !inet_parse_active(s) => {
                return Err(format!("Invalid load balancer VIP '{s}'"));
            }
            EMPTY_LB_PROTOCOL if !matches!(s, "tcp" | "udp" | "sctp") => {
                return Err(format!(
                    "Load balancer protocol '{s}' is not 'tcp', 'udp', or 'sctp'"
                ));
            }
            EMPTY_LB_LOAD_BALANCER if !is_uuid(s) => {
                return Err(format!("Load balancer '{s}' is not a UUID"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Actions introduced by a keyword (upstream `parse_action`'s `lexer_match_id` chain).
const KEYWORDS: &[&str] = &[
    "next",
    "push",
    "pop",
    "output",
    "ip.ttl",
    "ct_next",
    "ct_commit",
    "ct_dnat",
    "ct_snat",
    "ct_dnat_in_czone",
    "ct_snat_in_czone",
    "ct_lb",
    "ct_lb_mark",
    "ct_clear",
    "ct_commit_nat",
    "clone",
    "arp",
    "icmp4",
    "icmp4_error",
    "icmp6",
    "icmp6_error",
    "igmp",
    "tcp_reset",
    "sctp_abort",
    "nd_na",
    "nd_na_router",
    "nd_ns",
    "get_arp",
    "put_arp",
    "get_nd",
    "put_nd",
    "set_queue",
    "log",
    "set_meter",
    "trigger_event",
    "bind_vport",
    "handle_svc_check",
    "fwd_group",
    "handle_dhcpv6_reply",
    "handle_bfd_msg",
    "reject",
    "ct_snat_to_vip",
    "put_fdb",
    "commit_ecmp_nh",
    "commit_lb_aff",
    "sample",
];

/// Builds a [`Field`] for a parsed reference, resolving its OpenFlow subfield.
pub(crate) fn make_field(symtab: &Symtab, r: FieldRef) -> Field {
    let string = symtab.get(r.symbol).width == 0;
    let mf = match symtab.resolve(r.symbol, r.ofs, r.n_bits) {
        Some((of, ofs, n)) => MfSubfield {
            field: MfField::from(of),
            ofs: ofs as u16,
            n_bits: n as u16,
        },
        None => MfSubfield {
            field: MfField::Reg(0),
            ofs: 0,
            n_bits: r.n_bits as u16,
        },
    };
    Field { r, mf, string }
}

/// Upstream `expr_type_check`.
pub(crate) fn type_check(
    symtab: &Symtab,
    f: &Field,
    n_bits: u32,
    rw: bool,
    scope: u32,
) -> Result<(), String> {
    let sym = symtab.get(f.r.symbol);
    if n_bits != f.r.n_bits {
        return Err(if n_bits != 0 && f.r.n_bits != 0 {
            format!(
                "Cannot use {}-bit field {}[{}..{}] where {}-bit field is required.",
                f.r.n_bits,
                sym.name,
                f.r.ofs,
                f.r.ofs + f.r.n_bits - 1,
                n_bits
            )
        } else if n_bits != 0 {
            format!(
                "Cannot use string field {} where numeric field is required.",
                sym.name
            )
        } else {
            format!(
                "Cannot use numeric field {} where string field is required.",
                sym.name
            )
        });
    }
    if rw && sym.rw & scope == 0 {
        return Err(format!("Field {} is not modifiable.", sym.name));
    }
    Ok(())
}

fn owned_constant(c: expr::Constant<'_>) -> Constant {
    match c {
        expr::Constant::Int(i) => Constant::Int(i),
        expr::Constant::Str(s) => Constant::Str(Box::from(&*s)),
    }
}

fn owned_set(cs: expr::ConstSet<'_>) -> ConstSet {
    ConstSet {
        values: cs.values.into_iter().map(owned_constant).collect(),
        in_curlies: cs.in_curlies,
    }
}

fn severity_from_str(s: &str) -> Option<u8> {
    Some(match s {
        "alert" => 1,
        "warning" => 4,
        "notice" => 5,
        "info" => 6,
        "debug" => 7,
        _ => return None,
    })
}

/// Upstream `uuid_from_string`: 8-4-4-4-12 hex digits.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Upstream `inet_parse_active(s, 0, …, false)`: `IPv4[:port]`, `IPv6` or `[IPv6][:port]`.
fn inet_parse_active(s: &str) -> bool {
    parse_host_port(s).is_some()
}

/// Splits `host[:port]` / `[v6][:port]`; returns (address, port, is IPv6).
fn parse_host_port(s: &str) -> Option<(u128, u16, bool)> {
    use crate::lex::addr::{parse_ipv4, parse_ipv6};
    let parse_port = |p: &str| -> Option<u16> {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse::<u16>().ok()
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        let a = parse_ipv6(host)?;
        let port = match tail {
            "" => 0,
            t => parse_port(t.strip_prefix(':')?)?,
        };
        return Some((a, port, true));
    }
    if let Some(a) = parse_ipv6(s) {
        return Some((a, 0, true));
    }
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, parse_port(p)?),
        None => (s, 0),
    };
    let a = parse_ipv4(host)?;
    Some((u128::from(a), port, false))
}

/// Upstream `ip_address_and_port_from_lb_key`: the address as an IPv4-mapped IPv6 address for
/// IPv4, the port, and whether it is IPv6.
fn ip_and_port_from_lb_key(s: &str) -> Option<(u128, u16, bool)> {
    let (a, port, v6) = parse_host_port(s)?;
    let mapped = if v6 { a } else { (0xffffu128 << 32) | a };
    Some((mapped, port, v6))
}
