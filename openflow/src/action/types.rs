//! The action model: one [`Action`] per OpenFlow/NX action, compact (16 bytes; large
//! variants boxed) so that 1M flows' action lists stay small.

use crate::field::{Field, Subfield, Value};
use crate::text::{OFPP_CONTROLLER, OFPP_IN_PORT, OFPP_NONE};

/// One action, as `ovs-ofctl -O OpenFlow15` shows and OVS encodes it for OpenFlow 1.5.
///
/// Ports are OVS's 16-bit numbers (reserved ports `0xfff8..=0xffff`: `IN_PORT`, `TABLE`,
/// `NORMAL`, `FLOOD`, `ALL`, `CONTROLLER`, `LOCAL`, `ANY`); the wire uses the 32-bit
/// OF1.1+ form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `output:N` / `LOCAL` / `IN_PORT` / `CONTROLLER:max_len` (OFPAT_OUTPUT).
    Output { port: u16, max_len: u16 },
    /// `output:NXM_NX_REG15[]` (NXAST_OUTPUT_REG).
    OutputReg { src: Subfield, max_len: u16 },
    /// `group:N` (OFPAT_GROUP).
    Group(u32),
    /// `set_field:V[/M]->F` (OFPAT_SET_FIELD; masked in OF1.5). `load:` and `mod_dl_src:`
    /// style input parses into this too.
    SetField(Box<SetField>),
    /// `move:SRC->DST` (OF1.5 OFPAT_COPY_FIELD).
    Move { src: Subfield, dst: Subfield },
    /// `push:F[..]` (NXAST_STACK_PUSH).
    Push(Subfield),
    /// `pop:F[..]` (NXAST_STACK_POP).
    Pop(Subfield),
    /// `push_vlan:0x8100` (OFPAT_PUSH_VLAN).
    PushVlan(u16),
    /// `pop_vlan` (= `strip_vlan`; OFPAT_POP_VLAN).
    PopVlan,
    /// `resubmit(port,table[,ct])`, `resubmit:port` (NXAST_RESUBMIT[_TABLE[_CT]]). `port` is
    /// `IN_PORT` (0xfff8) when omitted, `table` 255 when omitted.
    Resubmit { port: u16, table: u8, ct: bool },
    /// `ct(...)` (NXAST_CT).
    Ct(Box<Ct>),
    /// `nat(...)` (NXAST_NAT); valid only inside `ct`.
    Nat(Box<Nat>),
    /// `ct_clear` (NXAST_CT_CLEAR).
    CtClear,
    /// `learn(...)` (NXAST_LEARN).
    Learn(Box<Learn>),
    /// `conjunction(id,clause/n_clauses)`; `clause` is 0-based here and on the wire, 1-based
    /// in text (NXAST_CONJUNCTION).
    Conjunction { id: u32, clause: u8, n_clauses: u8 },
    /// `controller(...)` (NXAST_CONTROLLER2, or the legacy forms when they suffice).
    Controller(Box<Controller>),
    /// `note:xx.xx` (NXAST_NOTE). Holds the bytes as on the wire (zero padding included).
    Note(Box<Vec<u8>>),
    /// `dec_ttl` (OFPAT_DEC_NW_TTL).
    DecTtl,
    /// `dec_ttl(id,...)` (NXAST_DEC_TTL_CNT_IDS).
    DecTtlCntIds(Box<Vec<u16>>),
    /// `check_pkt_larger(N)->DST` (NXAST_CHECK_PKT_LARGER).
    CheckPktLarger { pkt_len: u16, dst: Subfield },
    /// `clone(...)` (NXAST_CLONE).
    Clone(Box<Vec<Action>>),
    /// `meter:N` (OF1.5 OFPAT_METER).
    Meter(u32),
    /// `set_queue:N` (OFPAT_SET_QUEUE).
    SetQueue(u32),
    /// `exit` (NXAST_EXIT).
    Exit,
    /// `sample(...)` (NXAST_SAMPLE, SAMPLE2/3 when needed).
    Sample(Box<Sample>),
    /// `bundle(…)` / `bundle_load(…)` (NXAST_BUNDLE[_LOAD]); OVN uses it for HA chassis.
    Bundle(Box<Bundle>),
    /// `multipath(fields,basis,algorithm,n_links,arg,dst)` (NXAST_MULTIPATH).
    Multipath(Box<Multipath>),
    /// `fin_timeout(idle_timeout=I,hard_timeout=H)` (NXAST_FIN_TIMEOUT).
    FinTimeout { idle: u16, hard: u16 },
    /// An action this codec does not model: the complete wire action (header included),
    /// re-emitted verbatim.
    Unknown(Box<Vec<u8>>),
}

/// `set_field:value[/mask]->field`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetField {
    pub field: Field,
    /// Big-endian, the field's width (≤ 16 bytes; `tun_metadataN` uses its mapped width).
    pub value: Value,
    /// `None` for a full-width write.
    pub mask: Option<Value>,
}

/// The conntrack zone of `ct(zone=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtZone {
    Imm(u16),
    Field(Subfield),
}

/// `ct(commit,force,table=T,zone=Z,nat(…),exec(…),alg=A)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ct {
    pub commit: bool,
    pub force: bool,
    /// Recirculation table, 255 for none.
    pub table: u8,
    pub zone: CtZone,
    /// Well-known port of the ALG (21 = ftp, 69 = tftp), 0 for none.
    pub alg: u16,
    /// Nested actions: an optional leading `nat`, then `exec(…)` (set_field on ct_mark /
    /// ct_label).
    pub actions: Vec<Action>,
}

/// Address range of a `nat(src=…)`/`nat(dst=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatRange {
    None,
    V4 {
        min: [u8; 4],
        max: Option<[u8; 4]>,
    },
    V6 {
        min: [u8; 16],
        max: Option<[u8; 16]>,
    },
}

/// `nat`, `nat(src=A[-B][:P[-Q]][,persistent][,hash|random])`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nat {
    /// NX_NAT_F_*: SRC 1, DST 2, PERSISTENT 4, PROTO_HASH 8, PROTO_RANDOM 16.
    pub flags: u16,
    pub range: NatRange,
    /// Port range (0 = absent).
    pub proto_min: u16,
    pub proto_max: u16,
}

impl Nat {
    pub const F_SRC: u16 = 1;
    pub const F_DST: u16 = 2;
    pub const F_PERSISTENT: u16 = 4;
    pub const F_PROTO_HASH: u16 = 8;
    pub const F_PROTO_RANDOM: u16 = 16;
}

/// `controller(reason=…,max_len=…,id=…,userdata=…,pause,meter_id=…)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Controller {
    pub max_len: u16,
    pub controller_id: u16,
    /// `ofp_packet_in_reason`; 1 = OFPR_ACTION (the default).
    pub reason: u8,
    pub userdata: Box<[u8]>,
    pub pause: bool,
    /// 0 for none (NX_CTLR_NO_METER; meter ids start at 1).
    pub meter_id: u32,
}

impl Default for Controller {
    fn default() -> Self {
        Controller {
            max_len: u16::MAX,
            controller_id: 0,
            reason: OFPR_ACTION,
            userdata: Box::default(),
            pause: false,
            meter_id: NX_CTLR_NO_METER,
        }
    }
}

/// `OFPR_ACTION`, the default packet-in reason of `controller`.
pub const OFPR_ACTION: u8 = 1;
/// No meter on a `controller` action.
pub const NX_CTLR_NO_METER: u32 = 0;

/// `sample(probability=…,collector_set_id=…,obs_domain_id=…,obs_point_id=…[,sampling_port=…][,ingress|egress])`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sample {
    pub probability: u16,
    pub collector_set_id: u32,
    pub obs_domain_id: u32,
    pub obs_point_id: u32,
    /// `ANY` (0xffff) for none.
    pub sampling_port: u16,
    /// 0 default, 1 ingress, 2 egress.
    pub direction: u8,
}

/// `bundle(fields,basis,algorithm,ofport,members:p,…)` or, with `dst`,
/// `bundle_load(fields,basis,algorithm,ofport,dst,members:…)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bundle {
    /// NX_BD_ALG_*: 0 active_backup, 1 hrw.
    pub algorithm: u16,
    /// NX_HASH_FIELDS_*: 0 eth_src, 1 symmetric_l4, 2 symmetric_l3l4, 3 symmetric_l3l4+udp,
    /// 4 nw_src, 5 nw_dst, 6 symmetric_l3.
    pub fields: u16,
    pub basis: u16,
    pub dst: Option<Subfield>,
    pub members: Vec<u16>,
}

/// `multipath(fields,basis,algorithm,n_links,arg,dst)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Multipath {
    /// NX_HASH_FIELDS_* (see [`BUNDLE_FIELDS`]).
    pub fields: u16,
    pub basis: u16,
    /// NX_MP_ALG_*: 0 modulo_n, 1 hash_threshold, 2 hrw, 3 iter_hash.
    pub algorithm: u16,
    /// Number of links minus one.
    pub max_link: u16,
    pub arg: u32,
    pub dst: Subfield,
}

/// Names of `Multipath::algorithm` values, in code order.
pub const MULTIPATH_ALGORITHMS: [&str; 4] = ["modulo_n", "hash_threshold", "hrw", "iter_hash"];

/// Names of `Bundle::fields` values, in code order.
pub const BUNDLE_FIELDS: [&str; 7] = [
    "eth_src",
    "symmetric_l4",
    "symmetric_l3l4",
    "symmetric_l3l4+udp",
    "nw_src",
    "nw_dst",
    "symmetric_l3",
];

/// `learn(table=…,…,specs…)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Learn {
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub priority: u16,
    pub cookie: u64,
    /// NX_LEARN_F_*: SEND_FLOW_REM 1, DELETE_LEARNED 2, WRITE_RESULT 4.
    pub flags: u16,
    pub table: u8,
    pub fin_idle_timeout: u16,
    pub fin_hard_timeout: u16,
    pub specs: Vec<LearnSpec>,
}

impl Learn {
    pub const F_SEND_FLOW_REM: u16 = 1;
    pub const F_DELETE_LEARNED: u16 = 2;
}

impl Default for Learn {
    fn default() -> Self {
        Learn {
            idle_timeout: 0,
            hard_timeout: 0,
            priority: 0x8000,
            cookie: 0,
            flags: 0,
            table: 1,
            fin_idle_timeout: 0,
            fin_hard_timeout: 0,
            specs: Vec::new(),
        }
    }
}

/// Where a learn spec takes its bits from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LearnSrc {
    Field(Subfield),
    /// Immediate value, big-endian, `ceil(n_bits/16)*2` bytes as on the wire.
    Imm(Box<[u8]>),
}

/// One flow_mod spec of `learn`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LearnSpec {
    /// Match `dst` in the learned flow against `src`.
    Match { src: LearnSrc, dst: Subfield },
    /// `load:src->dst` in the learned flow's actions.
    Load { src: LearnSrc, dst: Subfield },
    /// `output:src` in the learned flow's actions.
    Output { src: Subfield },
}

impl LearnSpec {
    pub fn n_bits(&self) -> u16 {
        match self {
            LearnSpec::Match { dst, .. } | LearnSpec::Load { dst, .. } => dst.n_bits,
            LearnSpec::Output { src } => src.n_bits,
        }
    }
}

impl Action {
    /// `output:port`.
    pub fn output(port: u16) -> Action {
        Action::Output { port, max_len: 0 }
    }

    /// `resubmit(,table)`.
    pub fn resubmit_table(table: u8) -> Action {
        Action::Resubmit {
            port: OFPP_IN_PORT,
            table,
            ct: false,
        }
    }

    /// `set_field:value->field` (value resized to the field's width; `None` if it does not
    /// fit).
    pub fn set_field(field: Field, value: impl Into<Value>) -> Option<Action> {
        let value = value.into().resize(field.n_bytes().min(Value::MAX_LEN))?;
        Some(Action::SetField(Box::new(SetField {
            field,
            value,
            mask: None,
        })))
    }

    /// `set_field:value/mask->field`; a full mask is stored as unmasked.
    pub fn set_field_masked(
        field: Field,
        value: impl Into<Value>,
        mask: impl Into<Value>,
    ) -> Option<Action> {
        let n = field.n_bytes().min(Value::MAX_LEN);
        let (value, mask) = (value.into().resize(n)?, mask.into().resize(n)?);
        let value = Value::from_u128(value.to_u128() & mask.to_u128(), n);
        let mask = (mask != Value::ones(n)).then_some(mask);
        Some(Action::SetField(Box::new(SetField { field, value, mask })))
    }

    /// `move:src->dst`.
    pub fn move_field(src: Subfield, dst: Subfield) -> Action {
        Action::Move { src, dst }
    }

    /// `controller(userdata=…,pause)` etc.
    pub fn controller(c: Controller) -> Action {
        Action::Controller(Box::new(c))
    }

    /// `CONTROLLER:max_len` (output to the controller port).
    pub fn to_controller(max_len: u16) -> Action {
        Action::Output {
            port: OFPP_CONTROLLER,
            max_len,
        }
    }
}

impl Default for Sample {
    fn default() -> Self {
        Sample {
            probability: 0,
            collector_set_id: 0,
            obs_domain_id: 0,
            obs_point_id: 0,
            sampling_port: OFPP_NONE,
            direction: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_is_compact() {
        assert!(
            std::mem::size_of::<Action>() <= 16,
            "{}",
            std::mem::size_of::<Action>()
        );
    }
}
