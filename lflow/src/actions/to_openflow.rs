//! Conversion of the encoder's internal [`OfAction`]s to the `openflow` crate's
//! [`openflow::Action`] (what the flow installer sends), choosing the same wire forms as
//! ovn-controller 23.03 (e.g. `dec_ttl` as NXAST_DEC_TTL_CNT_IDS with no ids).

use openflow::action::{self as of, Action};
use openflow::field::{Subfield, Value};

use super::mf::MfSubfield;
use super::ofpact::{Learn, LearnSpec, Nat, NatAddr, OfAction};

fn sub(s: &MfSubfield) -> Option<Subfield> {
    Some(Subfield {
        field: s.field.to_openflow()?,
        ofs: s.ofs,
        n_bits: s.n_bits,
    })
}

/// `OFPP_NONE`, "no sampling port".
const OFPP_NONE: u16 = 0xffff;

fn nat(n: &Nat) -> Action {
    let flags = match n.src {
        Some(true) => of::Nat::F_SRC,
        Some(false) => of::Nat::F_DST,
        None => 0,
    };
    let range = match n.addr {
        Some(NatAddr::V4(v)) => of::NatRange::V4 {
            min: v.to_be_bytes(),
            max: None,
        },
        Some(NatAddr::V6(v)) => of::NatRange::V6 {
            min: v.to_be_bytes(),
            max: None,
        },
        None => of::NatRange::None,
    };
    let (proto_min, proto_max) = match (n.addr, n.ports) {
        (Some(_), Some((lo, hi))) => (lo, hi),
        _ => (0, 0),
    };
    Action::Nat(Box::new(of::Nat {
        flags,
        range,
        proto_min,
        proto_max,
    }))
}

fn learn(l: &Learn) -> Option<Action> {
    let imm = |dst: &MfSubfield, imm: &[u8]| -> Box<[u8]> {
        // The wire carries ceil(n_bits/16)*2 bytes, right-aligned.
        let n = 2 * usize::from(dst.n_bits).div_ceil(16);
        let k = usize::from(dst.n_bits).div_ceil(8).min(imm.len());
        let mut v = vec![0u8; n.saturating_sub(k)];
        v.extend_from_slice(&imm[..k]);
        v.into_boxed_slice()
    };
    let mut specs = Vec::with_capacity(l.specs.len());
    for s in &l.specs {
        specs.push(match s {
            LearnSpec::MatchField { dst, src } => of::LearnSpec::Match {
                // On the wire the source has the spec's width.
                src: of::LearnSrc::Field(Subfield {
                    field: src.field.to_openflow()?,
                    ofs: src.ofs,
                    n_bits: dst.n_bits,
                }),
                dst: sub(dst)?,
            },
            LearnSpec::MatchImm { dst, imm: v } => of::LearnSpec::Match {
                src: of::LearnSrc::Imm(imm(dst, v)),
                dst: sub(dst)?,
            },
            LearnSpec::LoadImm { dst, imm: v } => of::LearnSpec::Load {
                src: of::LearnSrc::Imm(imm(dst, v)),
                dst: sub(dst)?,
            },
        });
    }
    Some(Action::Learn(Box::new(of::Learn {
        idle_timeout: l.idle_timeout,
        hard_timeout: l.hard_timeout,
        priority: 0x8000,
        cookie: 0,
        flags: if l.delete_learned {
            of::Learn::F_DELETE_LEARNED
        } else {
            0
        },
        table: l.table,
        fin_idle_timeout: 0,
        fin_hard_timeout: 0,
        specs,
    })))
}

impl OfAction {
    /// The same action as an [`openflow::Action`]; `None` only if a field is unknown to the
    /// `openflow` crate (none of the fields OVN uses is).
    pub fn to_openflow(&self) -> Option<Action> {
        Some(match self {
            OfAction::Resubmit(t) => Action::resubmit_table(*t),
            OfAction::SetField { field, value, mask } => {
                let f = field.to_openflow()?;
                let n = f.n_bytes().min(Value::MAX_LEN);
                Action::set_field_masked(
                    f,
                    Value::from_u128(*value, n),
                    Value::from_u128(*mask, n),
                )?
            }
            OfAction::Move { src, dst } => Action::Move {
                src: sub(src)?,
                dst: sub(dst)?,
            },
            OfAction::Push(s) => Action::Push(sub(s)?),
            OfAction::Pop(s) => Action::Pop(sub(s)?),
            OfAction::DecTtl => Action::DecTtlCntIds(Box::default()),
            OfAction::Ct {
                commit,
                table,
                zone,
                nat: n,
                exec,
            } => {
                let mut actions = Vec::with_capacity(exec.len() + 1);
                if let Some(n) = n {
                    actions.push(nat(n));
                }
                for a in exec {
                    actions.push(a.to_openflow()?);
                }
                Action::Ct(Box::new(of::Ct {
                    commit: *commit,
                    force: false,
                    table: table.unwrap_or(255),
                    zone: of::CtZone::Field(sub(zone)?),
                    alg: 0,
                    actions,
                }))
            }
            OfAction::CtClear => Action::CtClear,
            OfAction::Clone(acts) => Action::Clone(Box::new(to_openflow_actions(acts)?)),
            OfAction::Controller {
                userdata,
                pause,
                meter_id,
            } => Action::controller(of::Controller {
                userdata: userdata.clone().into_boxed_slice(),
                pause: *pause,
                meter_id: meter_id.unwrap_or(of::NX_CTLR_NO_METER),
                ..of::Controller::default()
            }),
            OfAction::Group(g) => Action::Group(*g),
            OfAction::Meter(m) => Action::Meter(*m),
            OfAction::SetQueue(q) => Action::SetQueue(*q),
            OfAction::CheckPktLarger { pkt_len, dst } => Action::CheckPktLarger {
                pkt_len: *pkt_len,
                dst: sub(dst)?,
            },
            OfAction::Sample {
                probability,
                collector_set_id,
                obs_domain_id,
                obs_point_id,
            } => Action::Sample(Box::new(of::Sample {
                probability: *probability,
                collector_set_id: *collector_set_id,
                obs_domain_id: *obs_domain_id,
                obs_point_id: *obs_point_id,
                sampling_port: OFPP_NONE,
                direction: 0,
            })),
            OfAction::Learn(l) => learn(l)?,
        })
    }
}

/// Converts a whole list (see [`OfAction::to_openflow`]).
pub fn to_openflow_actions(acts: &[OfAction]) -> Option<Vec<Action>> {
    acts.iter().map(OfAction::to_openflow).collect()
}
