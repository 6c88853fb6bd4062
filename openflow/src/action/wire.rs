//! OpenFlow 1.5 wire form of actions: standard OFPAT_* layouts and the Nicira
//! (`type=0xffff`, vendor 0x2320, subtype) extensions, as OVS lib/ofp-actions.c encodes them
//! for OpenFlow 1.5. Unknown actions decode to [`Action::Unknown`] and re-encode verbatim.

use bytes::BufMut;

use super::types::Multipath;
use super::types::{
    Action, Bundle, Controller, Ct, CtZone, Learn, LearnSpec, LearnSrc, Nat, NatRange, Sample,
    SetField,
};
use crate::codec::{DecodeError, DecodeErrorKind, Reader, align8, pad8, put_zeros};
use crate::field::{Field, OxmHeader, Subfield, Value};
use crate::text::{OFPP_CONTROLLER, port_from_ofp11, port_to_ofp11};

pub(crate) const OFPAT_OUTPUT: u16 = 0;
pub(crate) const OFPAT_PUSH_VLAN: u16 = 17;
pub(crate) const OFPAT_POP_VLAN: u16 = 18;
pub(crate) const OFPAT_SET_QUEUE: u16 = 21;
pub(crate) const OFPAT_GROUP: u16 = 22;
pub(crate) const OFPAT_DEC_NW_TTL: u16 = 24;
pub(crate) const OFPAT_SET_FIELD: u16 = 25;
pub(crate) const OFPAT_COPY_FIELD: u16 = 28;
pub(crate) const OFPAT_METER: u16 = 29;
pub(crate) const OFPAT_EXPERIMENTER: u16 = 0xffff;
/// Nicira's experimenter id.
pub const NX_VENDOR_ID: u32 = 0x0000_2320;

const NXAST_RESUBMIT: u16 = 1;
const NXAST_NOTE: u16 = 8;
const NXAST_MULTIPATH: u16 = 10;
const NXAST_BUNDLE: u16 = 12;
const NXAST_BUNDLE_LOAD: u16 = 13;
const NXAST_RESUBMIT_TABLE: u16 = 14;
const NXAST_OUTPUT_REG: u16 = 15;
const NXAST_LEARN: u16 = 16;
const NXAST_EXIT: u16 = 17;
const NXAST_FIN_TIMEOUT: u16 = 19;
const NXAST_CONTROLLER: u16 = 20;
const NXAST_DEC_TTL_CNT_IDS: u16 = 21;
const NXAST_STACK_PUSH: u16 = 27;
const NXAST_STACK_POP: u16 = 28;
const NXAST_SAMPLE: u16 = 29;
const NXAST_OUTPUT_REG2: u16 = 32;
const NXAST_CONJUNCTION: u16 = 34;
const NXAST_CT: u16 = 35;
const NXAST_NAT: u16 = 36;
const NXAST_CONTROLLER2: u16 = 37;
const NXAST_SAMPLE2: u16 = 38;
const NXAST_SAMPLE3: u16 = 41;
const NXAST_CLONE: u16 = 42;
const NXAST_CT_CLEAR: u16 = 43;
const NXAST_RESUBMIT_TABLE_CT: u16 = 44;
const NXAST_CHECK_PKT_LARGER: u16 = 49;

const NXAC2PT_MAX_LEN: u16 = 0;
const NXAC2PT_CONTROLLER_ID: u16 = 1;
const NXAC2PT_REASON: u16 = 2;
const NXAC2PT_USERDATA: u16 = 3;
const NXAC2PT_PAUSE: u16 = 4;
const NXAC2PT_METER_ID: u16 = 5;

const NX_NAT_RANGE_IPV4_MIN: u16 = 1;
const NX_NAT_RANGE_IPV4_MAX: u16 = 2;
const NX_NAT_RANGE_IPV6_MIN: u16 = 4;
const NX_NAT_RANGE_IPV6_MAX: u16 = 8;
const NX_NAT_RANGE_PROTO_MIN: u16 = 16;
const NX_NAT_RANGE_PROTO_MAX: u16 = 32;

/// Header OVS writes for `field` in actions where it asks for version 0 (the NXM name's
/// header): stack ops, output_reg, check_pkt_larger, learn, ct zone.
pub(crate) fn nxm_header(field: Field) -> OxmHeader {
    let info = field.info();
    info.nxm_names
        .iter()
        .position(|n| *n == info.nxm_name)
        .and_then(|i| info.headers.get(i).copied())
        .or(info.oxm)
        .unwrap_or(OxmHeader {
            class: 0,
            field: 0,
            experimenter: 0,
        })
}

/// Header OVS writes for `field` in OpenFlow 1.5 (set_field, copy_field).
fn of15_header(field: Field) -> OxmHeader {
    field.info().oxm.unwrap_or_else(|| nxm_header(field))
}

/// Width written in action field headers: the field's (124 bytes for an unmapped
/// `tun_metadataN`, as ovs-ofctl sends it; vswitchd resolves the real width from its TLV map).
fn header_width(field: Field) -> usize {
    field.n_bytes()
}

fn ofs_nbits(sf: &Subfield) -> u16 {
    (sf.ofs << 6) | (sf.n_bits.saturating_sub(1) & 0x3f)
}

fn nx_len(body: usize) -> usize {
    align8(10 + body)
}

fn prop_len(payload: usize) -> usize {
    align8(4 + payload)
}

impl Action {
    /// Bytes this action occupies on the wire (always a multiple of 8).
    pub fn encoded_len(&self) -> usize {
        match self {
            Action::Output { .. } => 16,
            Action::OutputReg { .. } => 24,
            Action::Group(_)
            | Action::Meter(_)
            | Action::SetQueue(_)
            | Action::PushVlan(_)
            | Action::PopVlan
            | Action::DecTtl => 8,
            Action::SetField(sf) => {
                let n = sf.value.len() * if sf.mask.is_some() { 2 } else { 1 };
                align8(4 + of15_header(sf.field).header_len() + n)
            }
            Action::Move { src, dst } => align8(
                12 + of15_header(src.field).header_len() + of15_header(dst.field).header_len(),
            ),
            Action::Push(sf) | Action::Pop(sf) => {
                nx_len(2 + nxm_header(sf.field).header_len() + 2).max(24)
            }
            Action::Resubmit { .. }
            | Action::CtClear
            | Action::Exit
            | Action::FinTimeout { .. } => 16,
            Action::Conjunction { .. } => 16,
            Action::Ct(ct) => 24 + ct.actions.iter().map(Action::encoded_len).sum::<usize>(),
            Action::Nat(n) => nat_len(n),
            Action::Learn(l) => learn_len(l),
            Action::Controller(c) => controller_len(c),
            Action::Note(n) => nx_len(n.len()).max(16),
            Action::DecTtlCntIds(ids) => align8(16 + 2 * ids.len()),
            Action::CheckPktLarger { .. } => 24,
            Action::Clone(acts) => 16 + acts.iter().map(Action::encoded_len).sum::<usize>(),
            Action::Sample(s) => {
                if s.sampling_port == crate::text::OFPP_NONE && s.direction == 0 {
                    24
                } else {
                    32
                }
            }
            Action::Bundle(b) => align8(32 + 2 * b.members.len()),
            Action::Multipath(_) => 32,
            Action::Unknown(raw) => raw.len(),
        }
    }

    /// Appends the wire form.
    pub fn encode<B: BufMut>(&self, out: &mut B) {
        let len = self.encoded_len();
        let len16 = u16::try_from(len).unwrap_or(u16::MAX);
        let nx = |out: &mut B, subtype: u16| {
            out.put_u16(OFPAT_EXPERIMENTER);
            out.put_u16(len16);
            out.put_u32(NX_VENDOR_ID);
            out.put_u16(subtype);
        };
        match self {
            Action::Output { port, max_len } => {
                out.put_u16(OFPAT_OUTPUT);
                out.put_u16(16);
                out.put_u32(port_to_ofp11(*port));
                out.put_u16(*max_len);
                put_zeros(out, 6);
            }
            Action::OutputReg { src, max_len } => {
                let h = nxm_header(src.field);
                if h.is_experimenter() {
                    nx(out, NXAST_OUTPUT_REG2);
                    out.put_u16(ofs_nbits(src));
                    out.put_u16(*max_len);
                    h.encode_plain(out, header_width(src.field));
                    put_zeros(out, 24 - 14 - h.header_len());
                } else {
                    nx(out, NXAST_OUTPUT_REG);
                    out.put_u16(ofs_nbits(src));
                    h.encode_plain(out, header_width(src.field));
                    out.put_u16(*max_len);
                    put_zeros(out, 6);
                }
            }
            Action::Group(v) | Action::Meter(v) | Action::SetQueue(v) => {
                out.put_u16(match self {
                    Action::Group(_) => OFPAT_GROUP,
                    Action::Meter(_) => OFPAT_METER,
                    _ => OFPAT_SET_QUEUE,
                });
                out.put_u16(8);
                out.put_u32(*v);
            }
            Action::PushVlan(t) => {
                out.put_u16(OFPAT_PUSH_VLAN);
                out.put_u16(8);
                out.put_u16(*t);
                put_zeros(out, 2);
            }
            Action::PopVlan | Action::DecTtl => {
                out.put_u16(if matches!(self, Action::PopVlan) {
                    OFPAT_POP_VLAN
                } else {
                    OFPAT_DEC_NW_TTL
                });
                out.put_u16(8);
                put_zeros(out, 4);
            }
            Action::SetField(sf) => {
                out.put_u16(OFPAT_SET_FIELD);
                out.put_u16(len16);
                let h = of15_header(sf.field);
                let n = sf.value.len();
                h.encode(
                    out,
                    sf.mask.is_some(),
                    n * if sf.mask.is_some() { 2 } else { 1 },
                );
                out.put_slice(sf.value.as_slice());
                if let Some(m) = &sf.mask {
                    out.put_slice(m.as_slice());
                }
                let used = 4 + h.header_len() + n * if sf.mask.is_some() { 2 } else { 1 };
                put_zeros(out, len - used);
            }
            Action::Move { src, dst } => {
                out.put_u16(OFPAT_COPY_FIELD);
                out.put_u16(len16);
                out.put_u16(dst.n_bits);
                out.put_u16(src.ofs);
                out.put_u16(dst.ofs);
                put_zeros(out, 2);
                let (hs, hd) = (of15_header(src.field), of15_header(dst.field));
                hs.encode_plain(out, header_width(src.field));
                hd.encode_plain(out, header_width(dst.field));
                put_zeros(out, len - 12 - hs.header_len() - hd.header_len());
            }
            Action::Push(sf) | Action::Pop(sf) => {
                nx(
                    out,
                    if matches!(self, Action::Push(_)) {
                        NXAST_STACK_PUSH
                    } else {
                        NXAST_STACK_POP
                    },
                );
                out.put_u16(sf.ofs);
                let h = nxm_header(sf.field);
                h.encode_plain(out, header_width(sf.field));
                out.put_u16(sf.n_bits);
                put_zeros(out, len - 14 - h.header_len());
            }
            Action::Resubmit { port, table, ct } => {
                // ovs-ofctl sends RESUBMIT_TABLE (table 255 = none) even for `resubmit:P`.
                nx(
                    out,
                    if *ct {
                        NXAST_RESUBMIT_TABLE_CT
                    } else {
                        NXAST_RESUBMIT_TABLE
                    },
                );
                out.put_u16(*port);
                out.put_u8(*table);
                put_zeros(out, 3);
            }
            Action::CtClear | Action::Exit => {
                nx(
                    out,
                    if matches!(self, Action::CtClear) {
                        NXAST_CT_CLEAR
                    } else {
                        NXAST_EXIT
                    },
                );
                put_zeros(out, 6);
            }
            Action::FinTimeout { idle, hard } => {
                nx(out, NXAST_FIN_TIMEOUT);
                out.put_u16(*idle);
                out.put_u16(*hard);
                put_zeros(out, 2);
            }
            Action::Conjunction {
                id,
                clause,
                n_clauses,
            } => {
                nx(out, NXAST_CONJUNCTION);
                out.put_u8(*clause);
                out.put_u8(*n_clauses);
                out.put_u32(*id);
            }
            Action::Ct(ct) => {
                nx(out, NXAST_CT);
                out.put_u16(u16::from(ct.commit) | (u16::from(ct.force) << 1));
                match ct.zone {
                    CtZone::Imm(z) => {
                        out.put_u32(0);
                        out.put_u16(z);
                    }
                    CtZone::Field(sf) => {
                        nxm_header(sf.field).encode_plain(out, header_width(sf.field));
                        out.put_u16(ofs_nbits(&sf));
                    }
                }
                out.put_u8(ct.table);
                put_zeros(out, 3);
                out.put_u16(ct.alg);
                for a in &ct.actions {
                    a.encode(out);
                }
            }
            Action::Nat(n) => {
                nx(out, NXAST_NAT);
                put_zeros(out, 2);
                out.put_u16(n.flags);
                let (present, used) = nat_present(n);
                out.put_u16(present);
                match n.range {
                    NatRange::V4 { min, max } => {
                        if present & NX_NAT_RANGE_IPV4_MIN != 0 {
                            out.put_slice(&min);
                        }
                        if let Some(max) = max.filter(|_| present & NX_NAT_RANGE_IPV4_MAX != 0) {
                            out.put_slice(&max);
                        }
                    }
                    NatRange::V6 { min, max } => {
                        if present & NX_NAT_RANGE_IPV6_MIN != 0 {
                            out.put_slice(&min);
                        }
                        if let Some(max) = max.filter(|_| present & NX_NAT_RANGE_IPV6_MAX != 0) {
                            out.put_slice(&max);
                        }
                    }
                    NatRange::None => {}
                }
                if present & NX_NAT_RANGE_PROTO_MIN != 0 {
                    out.put_u16(n.proto_min);
                }
                if present & NX_NAT_RANGE_PROTO_MAX != 0 {
                    out.put_u16(n.proto_max);
                }
                put_zeros(out, len - 16 - used);
            }
            Action::Learn(l) => {
                nx(out, NXAST_LEARN);
                out.put_u16(l.idle_timeout);
                out.put_u16(l.hard_timeout);
                out.put_u16(l.priority);
                out.put_u64(l.cookie);
                out.put_u16(l.flags);
                out.put_u8(l.table);
                out.put_u8(0);
                out.put_u16(l.fin_idle_timeout);
                out.put_u16(l.fin_hard_timeout);
                let mut used = 32;
                for spec in &l.specs {
                    used += encode_learn_spec(out, spec);
                }
                put_zeros(out, len - used);
            }
            Action::Controller(c) => encode_controller(out, c, len16),
            Action::Note(n) => {
                nx(out, NXAST_NOTE);
                out.put_slice(n);
                put_zeros(out, len - 10 - n.len());
            }
            Action::DecTtlCntIds(ids) => {
                nx(out, NXAST_DEC_TTL_CNT_IDS);
                out.put_u16(u16::try_from(ids.len()).unwrap_or(u16::MAX));
                put_zeros(out, 4);
                for id in ids.iter() {
                    out.put_u16(*id);
                }
                put_zeros(out, len - 16 - 2 * ids.len());
            }
            Action::CheckPktLarger { pkt_len, dst } => {
                nx(out, NXAST_CHECK_PKT_LARGER);
                out.put_u16(*pkt_len);
                out.put_u16(dst.ofs);
                let h = nxm_header(dst.field);
                h.encode_plain(out, header_width(dst.field));
                put_zeros(out, 24 - 14 - h.header_len());
            }
            Action::Clone(acts) => {
                nx(out, NXAST_CLONE);
                put_zeros(out, 6);
                for a in acts.iter() {
                    a.encode(out);
                }
            }
            Action::Sample(s) => {
                let sub = if len == 24 {
                    NXAST_SAMPLE
                } else if s.direction != 0 {
                    NXAST_SAMPLE3
                } else {
                    NXAST_SAMPLE2
                };
                nx(out, sub);
                out.put_u16(s.probability);
                out.put_u32(s.collector_set_id);
                out.put_u32(s.obs_domain_id);
                out.put_u32(s.obs_point_id);
                if sub != NXAST_SAMPLE {
                    out.put_u16(s.sampling_port);
                    out.put_u8(if sub == NXAST_SAMPLE3 { s.direction } else { 0 });
                    put_zeros(out, 5);
                }
            }
            Action::Bundle(b) => {
                nx(
                    out,
                    if b.dst.is_some() {
                        NXAST_BUNDLE_LOAD
                    } else {
                        NXAST_BUNDLE
                    },
                );
                out.put_u16(b.algorithm);
                out.put_u16(b.fields);
                out.put_u16(b.basis);
                nxm_header(Field::IN_PORT).encode_plain(out, 2);
                out.put_u16(u16::try_from(b.members.len()).unwrap_or(u16::MAX));
                match &b.dst {
                    Some(d) => {
                        out.put_u16(ofs_nbits(d));
                        nxm_header(d.field).encode_plain(out, header_width(d.field));
                    }
                    None => {
                        out.put_u16(0);
                        out.put_u32(0);
                    }
                }
                put_zeros(out, 4);
                for m in &b.members {
                    out.put_u16(*m);
                }
                put_zeros(out, len - 32 - 2 * b.members.len());
            }
            Action::Multipath(m) => {
                nx(out, NXAST_MULTIPATH);
                out.put_u16(m.fields);
                out.put_u16(m.basis);
                put_zeros(out, 2);
                out.put_u16(m.algorithm);
                out.put_u16(m.max_link);
                out.put_u32(m.arg);
                put_zeros(out, 2);
                out.put_u16(ofs_nbits(&m.dst));
                nxm_header(m.dst.field).encode_plain(out, header_width(m.dst.field));
            }
            Action::Unknown(raw) => out.put_slice(raw),
        }
    }
}

fn nat_present(n: &Nat) -> (u16, usize) {
    let mut p = 0;
    let mut used = 0;
    match n.range {
        NatRange::V4 { min, max } => {
            if min != [0; 4] {
                p |= NX_NAT_RANGE_IPV4_MIN;
                used += 4;
            }
            if max.is_some_and(|m| m != [0; 4]) {
                p |= NX_NAT_RANGE_IPV4_MAX;
                used += 4;
            }
        }
        NatRange::V6 { min, max } => {
            if min != [0; 16] {
                p |= NX_NAT_RANGE_IPV6_MIN;
                used += 16;
            }
            if max.is_some_and(|m| m != [0; 16]) {
                p |= NX_NAT_RANGE_IPV6_MAX;
                used += 16;
            }
        }
        NatRange::None => {}
    }
    if n.range != NatRange::None {
        if n.proto_min != 0 {
            p |= NX_NAT_RANGE_PROTO_MIN;
            used += 2;
        }
        if n.proto_max != 0 {
            p |= NX_NAT_RANGE_PROTO_MAX;
            used += 2;
        }
    }
    (p, used)
}

fn nat_len(n: &Nat) -> usize {
    align8(16 + nat_present(n).1)
}

fn learn_spec_len(spec: &LearnSpec) -> usize {
    let src = match spec {
        LearnSpec::Match { src, .. } | LearnSpec::Load { src, .. } => match src {
            LearnSrc::Field(_) => 6,
            LearnSrc::Imm(v) => v.len(),
        },
        LearnSpec::Output { .. } => 6,
    };
    let dst = if matches!(spec, LearnSpec::Output { .. }) {
        0
    } else {
        6
    };
    2 + src + dst
}

fn learn_len(l: &Learn) -> usize {
    align8(32 + l.specs.iter().map(learn_spec_len).sum::<usize>())
}

fn put_sf<B: BufMut>(out: &mut B, sf: &Subfield) {
    nxm_header(sf.field).encode_plain(out, header_width(sf.field));
    out.put_u16(sf.ofs);
}

fn encode_learn_spec<B: BufMut>(out: &mut B, spec: &LearnSpec) -> usize {
    let (src_imm, dst_type) = match spec {
        LearnSpec::Match { src, .. } => (matches!(src, LearnSrc::Imm(_)), 0u16),
        LearnSpec::Load { src, .. } => (matches!(src, LearnSrc::Imm(_)), 1 << 11),
        LearnSpec::Output { .. } => (false, 2 << 11),
    };
    out.put_u16((u16::from(src_imm) << 13) | dst_type | (spec.n_bits() & 0x3ff));
    match spec {
        LearnSpec::Match { src, dst } | LearnSpec::Load { src, dst } => {
            match src {
                LearnSrc::Field(sf) => put_sf(out, sf),
                LearnSrc::Imm(v) => out.put_slice(v),
            }
            put_sf(out, dst);
        }
        LearnSpec::Output { src } => put_sf(out, src),
    }
    learn_spec_len(spec)
}

fn controller_wire(c: &Controller) -> u8 {
    // 0: OFPAT_OUTPUT to CONTROLLER, 1: NXAST_CONTROLLER, 2: NXAST_CONTROLLER2 (OVS's choice
    // in encode_CONTROLLER).
    if !c.userdata.is_empty() || c.pause || c.meter_id != super::types::NX_CTLR_NO_METER {
        2
    } else if c.controller_id == 0 && c.reason == super::types::OFPR_ACTION {
        0
    } else {
        1
    }
}

fn controller_len(c: &Controller) -> usize {
    match controller_wire(c) {
        0 | 1 => 16,
        _ => {
            let mut n = 16;
            // ofpprop_put_u16/u8 pad the value to 4 bytes inside the property length.
            if c.max_len != u16::MAX {
                n += prop_len(4);
            }
            if c.controller_id != 0 {
                n += prop_len(4);
            }
            if c.reason != super::types::OFPR_ACTION {
                n += prop_len(4);
            }
            if !c.userdata.is_empty() {
                n += prop_len(c.userdata.len());
            }
            if c.pause {
                n += prop_len(0);
            }
            if c.meter_id != super::types::NX_CTLR_NO_METER {
                n += prop_len(4);
            }
            n
        }
    }
}

fn put_prop<B: BufMut>(out: &mut B, ty: u16, payload: &[u8]) {
    out.put_u16(ty);
    out.put_u16(u16::try_from(4 + payload.len()).unwrap_or(u16::MAX));
    out.put_slice(payload);
    put_zeros(out, pad8(4 + payload.len()));
}

fn encode_controller<B: BufMut>(out: &mut B, c: &Controller, len16: u16) {
    match controller_wire(c) {
        0 => {
            out.put_u16(OFPAT_OUTPUT);
            out.put_u16(16);
            out.put_u32(port_to_ofp11(OFPP_CONTROLLER));
            out.put_u16(c.max_len);
            put_zeros(out, 6);
        }
        1 => {
            out.put_u16(OFPAT_EXPERIMENTER);
            out.put_u16(16);
            out.put_u32(NX_VENDOR_ID);
            out.put_u16(NXAST_CONTROLLER);
            out.put_u16(c.max_len);
            out.put_u16(c.controller_id);
            out.put_u8(c.reason);
            out.put_u8(0);
        }
        _ => {
            out.put_u16(OFPAT_EXPERIMENTER);
            out.put_u16(len16);
            out.put_u32(NX_VENDOR_ID);
            out.put_u16(NXAST_CONTROLLER2);
            put_zeros(out, 6);
            if c.max_len != u16::MAX {
                let [a, b] = c.max_len.to_be_bytes();
                put_prop(out, NXAC2PT_MAX_LEN, &[a, b, 0, 0]);
            }
            if c.controller_id != 0 {
                let [a, b] = c.controller_id.to_be_bytes();
                put_prop(out, NXAC2PT_CONTROLLER_ID, &[a, b, 0, 0]);
            }
            if c.reason != super::types::OFPR_ACTION {
                put_prop(out, NXAC2PT_REASON, &[c.reason, 0, 0, 0]);
            }
            if !c.userdata.is_empty() {
                put_prop(out, NXAC2PT_USERDATA, &c.userdata);
            }
            if c.pause {
                put_prop(out, NXAC2PT_PAUSE, &[]);
            }
            if c.meter_id != super::types::NX_CTLR_NO_METER {
                put_prop(out, NXAC2PT_METER_ID, &c.meter_id.to_be_bytes());
            }
        }
    }
}

/// Total encoded length of an action list.
pub fn actions_len(actions: &[Action]) -> usize {
    actions.iter().map(Action::encoded_len).sum()
}

/// Appends an action list.
pub fn encode_actions<B: BufMut>(actions: &[Action], out: &mut B) {
    for a in actions {
        a.encode(out);
    }
}

/// Decodes an action list that fills all of `r`.
pub fn decode_actions(r: &mut Reader<'_>) -> Result<Vec<Action>, DecodeError> {
    decode_actions_depth(r, 0)
}

/// Nesting limit for `clone`/`ct`, so hostile input cannot exhaust the stack.
const MAX_DEPTH: u32 = 16;

fn decode_actions_depth(r: &mut Reader<'_>, depth: u32) -> Result<Vec<Action>, DecodeError> {
    let saved = r.context();
    r.set_context("action");
    let mut out = Vec::new();
    while !r.is_empty() {
        let start = r.offset();
        let mut peek = r.clone();
        let _ty = peek.u16()?;
        let len = usize::from(peek.u16()?);
        if len < 8 || len % 8 != 0 {
            return Err(r.error_at(DecodeErrorKind::BadLength { len }, start));
        }
        let mut a = r.sub(len)?;
        out.push(decode_one(&mut a, depth)?);
    }
    r.set_context(saved);
    Ok(out)
}

fn subfield_at(
    r: &Reader<'_>,
    start: usize,
    field: Field,
    ofs: u16,
    n_bits: u16,
) -> Result<Subfield, DecodeError> {
    if n_bits == 0 || u32::from(ofs) + u32::from(n_bits) > u32::from(field.n_bits()) {
        return Err(r.error_at(
            DecodeErrorKind::BadValue {
                value: (u64::from(ofs) << 16) | u64::from(n_bits),
            },
            start,
        ));
    }
    Ok(Subfield { field, ofs, n_bits })
}

fn read_field(r: &mut Reader<'_>) -> Result<Field, DecodeError> {
    let start = r.offset();
    let t = OxmHeader::decode(r)?;
    let h = t.header;
    Field::from_header(h).ok_or_else(|| {
        r.error_at(
            DecodeErrorKind::Unknown {
                code: (u64::from(h.experimenter) << 32)
                    | (u64::from(h.class) << 16)
                    | u64::from(h.field),
            },
            start,
        )
    })
}

fn decode_ofs_nbits(v: u16) -> (u16, u16) {
    (v >> 6, (v & 0x3f) + 1)
}

fn decode_one(a: &mut Reader<'_>, depth: u32) -> Result<Action, DecodeError> {
    let start = a.offset();
    let raw = a.rest();
    let unknown = || Ok(Action::Unknown(Box::new(raw.to_vec())));
    let ty = a.u16()?;
    let len = usize::from(a.u16()?);
    let bad_len = |a: &Reader<'_>| a.error_at(DecodeErrorKind::BadLength { len }, start);
    match ty {
        OFPAT_OUTPUT => {
            let p = a.u32()?;
            let port = port_from_ofp11(p).ok_or_else(|| {
                a.error_at(
                    DecodeErrorKind::BadValue {
                        value: u64::from(p),
                    },
                    start,
                )
            })?;
            let max_len = a.u16()?;
            Ok(Action::Output { port, max_len })
        }
        OFPAT_GROUP => Ok(Action::Group(a.u32()?)),
        OFPAT_METER => Ok(Action::Meter(a.u32()?)),
        OFPAT_SET_QUEUE => Ok(Action::SetQueue(a.u32()?)),
        OFPAT_PUSH_VLAN => Ok(Action::PushVlan(a.u16()?)),
        OFPAT_POP_VLAN => Ok(Action::PopVlan),
        OFPAT_DEC_NW_TTL => Ok(Action::DecTtl),
        OFPAT_SET_FIELD => {
            let t = OxmHeader::decode(a)?;
            let field = Field::from_header(t.header).ok_or_else(|| {
                a.error_at(
                    DecodeErrorKind::Unknown {
                        code: u64::from(t.header.field),
                    },
                    start,
                )
            })?;
            let n = if t.has_mask {
                t.payload_len / 2
            } else {
                t.payload_len
            };
            let expect = if field.is_tun_metadata() {
                n
            } else {
                field.n_bytes()
            };
            if n != expect || n > Value::MAX_LEN || n == 0 || (t.has_mask && t.payload_len % 2 != 0)
            {
                return Err(bad_len(a));
            }
            let value = Value::from_slice(a.bytes(n)?).ok_or_else(|| bad_len(a))?;
            let mask = if t.has_mask {
                Some(Value::from_slice(a.bytes(n)?).ok_or_else(|| bad_len(a))?)
            } else {
                None
            };
            if !field.info().writable {
                return Err(a.error_at(
                    DecodeErrorKind::BadValue {
                        value: u64::from(field.0),
                    },
                    start,
                ));
            }
            Ok(Action::SetField(Box::new(SetField { field, value, mask })))
        }
        OFPAT_COPY_FIELD => {
            let n_bits = a.u16()?;
            let src_ofs = a.u16()?;
            let dst_ofs = a.u16()?;
            a.skip(2)?;
            let sf = read_field(a)?;
            let df = read_field(a)?;
            let src = subfield_at(a, start, sf, src_ofs, n_bits)?;
            let dst = subfield_at(a, start, df, dst_ofs, n_bits)?;
            Ok(Action::Move { src, dst })
        }
        OFPAT_EXPERIMENTER => {
            if len < 16 {
                return Err(bad_len(a));
            }
            if a.u32()? != NX_VENDOR_ID {
                return unknown();
            }
            let sub = a.u16()?;
            decode_nx(a, sub, start, len, depth, raw)
        }
        _ => unknown(),
    }
}

fn decode_nx(
    a: &mut Reader<'_>,
    sub: u16,
    start: usize,
    len: usize,
    depth: u32,
    raw: &[u8],
) -> Result<Action, DecodeError> {
    let bad_value =
        |a: &Reader<'_>, v: u64| a.error_at(DecodeErrorKind::BadValue { value: v }, start);
    match sub {
        NXAST_RESUBMIT | NXAST_RESUBMIT_TABLE | NXAST_RESUBMIT_TABLE_CT => {
            let port = a.u16()?;
            let table = a.u8()?;
            let table = if sub == NXAST_RESUBMIT { 255 } else { table };
            Ok(Action::Resubmit {
                port,
                table,
                ct: sub == NXAST_RESUBMIT_TABLE_CT,
            })
        }
        NXAST_OUTPUT_REG => {
            let (ofs, n) = decode_ofs_nbits(a.u16()?);
            let f = read_field(a)?;
            let max_len = a.u16()?;
            Ok(Action::OutputReg {
                src: subfield_at(a, start, f, ofs, n)?,
                max_len,
            })
        }
        NXAST_OUTPUT_REG2 => {
            let (ofs, n) = decode_ofs_nbits(a.u16()?);
            let max_len = a.u16()?;
            let f = read_field(a)?;
            Ok(Action::OutputReg {
                src: subfield_at(a, start, f, ofs, n)?,
                max_len,
            })
        }
        NXAST_STACK_PUSH | NXAST_STACK_POP => {
            let ofs = a.u16()?;
            let f = read_field(a)?;
            let n = a.u16()?;
            let sf = subfield_at(a, start, f, ofs, n)?;
            Ok(if sub == NXAST_STACK_PUSH {
                Action::Push(sf)
            } else {
                Action::Pop(sf)
            })
        }
        NXAST_MULTIPATH => {
            let fields = a.u16()?;
            let basis = a.u16()?;
            a.skip(2)?;
            let algorithm = a.u16()?;
            let max_link = a.u16()?;
            let arg = a.u32()?;
            a.skip(2)?;
            let (ofs, nb) = decode_ofs_nbits(a.u16()?);
            let f = read_field(a)?;
            if fields > 6 || algorithm > 3 {
                return Err(bad_value(a, u64::from(algorithm)));
            }
            let dst = subfield_at(a, start, f, ofs, nb)?;
            Ok(Action::Multipath(Box::new(Multipath {
                fields,
                basis,
                algorithm,
                max_link,
                arg,
                dst,
            })))
        }
        NXAST_BUNDLE | NXAST_BUNDLE_LOAD => {
            let algorithm = a.u16()?;
            let fields = a.u16()?;
            let basis = a.u16()?;
            let _member_type = a.u32()?;
            let n = usize::from(a.u16()?);
            let ofsn = a.u16()?;
            let dst_h = a.u32()?;
            a.skip(4)?;
            if algorithm > 1 || fields > 6 || n > a.remaining() / 2 {
                return Err(bad_value(a, u64::from(algorithm)));
            }
            let dst = if sub == NXAST_BUNDLE_LOAD {
                let h = OxmHeader {
                    class: (dst_h >> 16) as u16,
                    field: ((dst_h >> 9) & 0x7f) as u8,
                    experimenter: 0,
                };
                let f = Field::from_header(h).ok_or_else(|| {
                    a.error_at(
                        DecodeErrorKind::Unknown {
                            code: u64::from(dst_h),
                        },
                        start,
                    )
                })?;
                let (ofs, nb) = decode_ofs_nbits(ofsn);
                Some(subfield_at(a, start, f, ofs, nb)?)
            } else {
                None
            };
            let mut members = Vec::with_capacity(n);
            for _ in 0..n {
                members.push(a.u16()?);
            }
            Ok(Action::Bundle(Box::new(Bundle {
                algorithm,
                fields,
                basis,
                dst,
                members,
            })))
        }
        NXAST_CT_CLEAR => Ok(Action::CtClear),
        NXAST_EXIT => Ok(Action::Exit),
        NXAST_FIN_TIMEOUT => Ok(Action::FinTimeout {
            idle: a.u16()?,
            hard: a.u16()?,
        }),
        NXAST_CONJUNCTION => {
            let clause = a.u8()?;
            let n_clauses = a.u8()?;
            let id = a.u32()?;
            if !(2..=64).contains(&n_clauses) || clause >= n_clauses {
                return Err(bad_value(a, u64::from(n_clauses)));
            }
            Ok(Action::Conjunction {
                id,
                clause,
                n_clauses,
            })
        }
        NXAST_CT => {
            let flags = a.u16()?;
            let zone_src = a.u32()?;
            let zone_v = a.u16()?;
            let table = a.u8()?;
            a.skip(3)?;
            let alg = a.u16()?;
            let zone = if zone_src == 0 {
                CtZone::Imm(zone_v)
            } else {
                let h = OxmHeader {
                    class: (zone_src >> 16) as u16,
                    field: ((zone_src >> 9) & 0x7f) as u8,
                    experimenter: 0,
                };
                let f = Field::from_header(h).ok_or_else(|| {
                    a.error_at(
                        DecodeErrorKind::Unknown {
                            code: u64::from(zone_src),
                        },
                        start,
                    )
                })?;
                let (ofs, n) = decode_ofs_nbits(zone_v);
                CtZone::Field(subfield_at(a, start, f, ofs, n)?)
            };
            if depth >= MAX_DEPTH {
                return Err(bad_value(a, u64::from(depth)));
            }
            let actions = decode_actions_depth(a, depth + 1)?;
            Ok(Action::Ct(Box::new(Ct {
                commit: flags & 1 != 0,
                force: flags & 2 != 0,
                table,
                zone,
                alg,
                actions,
            })))
        }
        NXAST_NAT => {
            a.skip(2)?;
            let flags = a.u16()?;
            let present = a.u16()?;
            let mut n = Nat {
                flags,
                range: NatRange::None,
                proto_min: 0,
                proto_max: 0,
            };
            if present & (NX_NAT_RANGE_IPV4_MIN | NX_NAT_RANGE_IPV4_MAX) != 0 {
                let min = if present & NX_NAT_RANGE_IPV4_MIN != 0 {
                    a.array::<4>()?
                } else {
                    [0; 4]
                };
                let max = if present & NX_NAT_RANGE_IPV4_MAX != 0 {
                    Some(a.array::<4>()?)
                } else {
                    None
                };
                n.range = NatRange::V4 { min, max };
            } else if present & (NX_NAT_RANGE_IPV6_MIN | NX_NAT_RANGE_IPV6_MAX) != 0 {
                let min = if present & NX_NAT_RANGE_IPV6_MIN != 0 {
                    a.array::<16>()?
                } else {
                    [0; 16]
                };
                let max = if present & NX_NAT_RANGE_IPV6_MAX != 0 {
                    Some(a.array::<16>()?)
                } else {
                    None
                };
                n.range = NatRange::V6 { min, max };
            }
            if present & NX_NAT_RANGE_PROTO_MIN != 0 {
                n.proto_min = a.u16()?;
            }
            if present & NX_NAT_RANGE_PROTO_MAX != 0 {
                n.proto_max = a.u16()?;
            }
            if present & !0x3f != 0 || (n.range == NatRange::None && present & 0x30 != 0) {
                return Err(bad_value(a, u64::from(present)));
            }
            Ok(Action::Nat(Box::new(n)))
        }
        NXAST_CONTROLLER => {
            let max_len = a.u16()?;
            let controller_id = a.u16()?;
            let reason = a.u8()?;
            Ok(Action::Controller(Box::new(Controller {
                max_len,
                controller_id,
                reason,
                ..Controller::default()
            })))
        }
        NXAST_CONTROLLER2 => {
            a.skip(6)?;
            let mut c = Controller::default();
            while !a.is_empty() {
                let pstart = a.offset();
                let pty = a.u16()?;
                let plen = usize::from(a.u16()?);
                if plen < 4 {
                    return Err(a.error_at(DecodeErrorKind::BadLength { len: plen }, pstart));
                }
                let mut p = a.sub(plen - 4)?;
                a.skip(pad8(plen).min(a.remaining()))?;
                match pty {
                    NXAC2PT_MAX_LEN => c.max_len = p.u16()?,
                    NXAC2PT_CONTROLLER_ID => c.controller_id = p.u16()?,
                    NXAC2PT_REASON => c.reason = p.u8()?,
                    NXAC2PT_USERDATA => c.userdata = p.rest().into(),
                    NXAC2PT_PAUSE => c.pause = true,
                    NXAC2PT_METER_ID => c.meter_id = p.u32()?,
                    _ => {
                        return Err(a.error_at(
                            DecodeErrorKind::Unknown {
                                code: u64::from(pty),
                            },
                            pstart,
                        ));
                    }
                }
            }
            Ok(Action::Controller(Box::new(c)))
        }
        NXAST_NOTE => Ok(Action::Note(Box::new(a.rest().to_vec()))),
        NXAST_DEC_TTL_CNT_IDS => {
            let n = usize::from(a.u16()?);
            a.skip(4)?;
            let mut ids = Vec::with_capacity(n.min(a.remaining() / 2));
            for _ in 0..n {
                ids.push(a.u16()?);
            }
            Ok(Action::DecTtlCntIds(Box::new(ids)))
        }
        NXAST_CHECK_PKT_LARGER => {
            let pkt_len = a.u16()?;
            let ofs = a.u16()?;
            let f = read_field(a)?;
            Ok(Action::CheckPktLarger {
                pkt_len,
                dst: subfield_at(a, start, f, ofs, 1)?,
            })
        }
        NXAST_CLONE => {
            a.skip(6)?;
            if depth >= MAX_DEPTH {
                return Err(bad_value(a, u64::from(depth)));
            }
            Ok(Action::Clone(Box::new(decode_actions_depth(a, depth + 1)?)))
        }
        NXAST_SAMPLE | NXAST_SAMPLE2 | NXAST_SAMPLE3 => {
            let mut s = Sample {
                probability: a.u16()?,
                collector_set_id: a.u32()?,
                obs_domain_id: a.u32()?,
                obs_point_id: a.u32()?,
                ..Sample::default()
            };
            if sub != NXAST_SAMPLE {
                s.sampling_port = a.u16()?;
                let d = a.u8()?;
                if sub == NXAST_SAMPLE3 {
                    s.direction = d;
                }
            }
            Ok(Action::Sample(Box::new(s)))
        }
        NXAST_LEARN => {
            let mut l = Learn {
                idle_timeout: a.u16()?,
                hard_timeout: a.u16()?,
                priority: a.u16()?,
                cookie: a.u64()?,
                flags: a.u16()?,
                table: a.u8()?,
                ..Learn::default()
            };
            a.skip(1)?;
            l.fin_idle_timeout = a.u16()?;
            l.fin_hard_timeout = a.u16()?;
            while a.remaining() >= 2 {
                let h = a.u16()?;
                if h == 0 {
                    break;
                }
                let n_bits = h & 0x3ff;
                let src_imm = h >> 13 & 1 == 1;
                let dst_type = h >> 11 & 3;
                let read_sf = |a: &mut Reader<'_>| -> Result<Subfield, DecodeError> {
                    let f = read_field(a)?;
                    let ofs = a.u16()?;
                    subfield_at(a, start, f, ofs, n_bits)
                };
                let src = if src_imm {
                    if dst_type == 2 {
                        return Err(bad_value(a, u64::from(h)));
                    }
                    LearnSrc::Imm(a.bytes(usize::from(n_bits.div_ceil(16)) * 2)?.into())
                } else {
                    LearnSrc::Field(read_sf(a)?)
                };
                let spec = match (dst_type, src) {
                    (0, src) => LearnSpec::Match {
                        src,
                        dst: read_sf(a)?,
                    },
                    (1, src) => LearnSpec::Load {
                        src,
                        dst: read_sf(a)?,
                    },
                    (2, LearnSrc::Field(src)) => LearnSpec::Output { src },
                    _ => return Err(bad_value(a, u64::from(h))),
                };
                l.specs.push(spec);
            }
            Ok(Action::Learn(Box::new(l)))
        }
        _ => {
            let _ = len;
            Ok(Action::Unknown(Box::new(raw.to_vec())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Provenance: the APPLY_ACTIONS body of the FLOW_MOD that
    /// `ovs-ofctl --no-names -O OpenFlow15 add-flows` sends for
    /// `… actions=set_field:0x1->reg15,resubmit(,34)` (fake-switch capture, see
    /// tests/action_oracle.rs).
    #[test]
    fn golden_set_field_resubmit() {
        let wire = hex("0019001000011e040000000100000000 ffff001000002320000efff822000000");
        let acts = vec![
            Action::set_field(Field::reg(15), 1u32).unwrap(),
            Action::resubmit_table(34),
        ];
        let mut out = Vec::new();
        encode_actions(&acts, &mut out);
        assert_eq!(out, wire);
        assert_eq!(actions_len(&acts), wire.len());
        assert_eq!(decode_actions(&mut Reader::new(&wire)).unwrap(), acts);
    }
}
