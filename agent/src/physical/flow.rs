//! One physical flow, as ovn-controller hands it to ofctrl (`ofctrl_add_flow`).

use std::fmt;

use openflow::flow_match::Match;

use crate::ofctrl::flow_table::SourceId;
use openflow::action::{Action, write_actions};

/// Source of the flows ovn-controller attributes to no Southbound row (its per-process
/// `hc_uuid`): the static flows and the tunnel decapsulation flows. A fixed value that no random
/// (version 4) row UUID can take, since those have the version nibble set to 4.
pub const HARDCODED_SOURCE: SourceId = 0x0000_0000_0000_0000_0000_0000_0000_0001;

/// The cookie ovn-controller gives flows of a row: the first 32 bits of its UUID
/// (`uuid.parts[0]`).
pub fn cookie_of(uuid: u128) -> u64 {
    (uuid >> 96) as u64
}

/// A flow: where, with which identity, matching what, doing what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicalFlow {
    /// OpenFlow table.
    pub table: u8,
    /// Priority.
    pub priority: u16,
    /// Cookie (0 for hard-coded flows).
    pub cookie: u64,
    /// The row the flow belongs to; removing that row's flows removes this one.
    pub source: SourceId,
    /// The match.
    pub matches: Match,
    /// The actions (an empty list drops), as a flow_mod carries them.
    pub actions: Vec<Action>,
}

impl PhysicalFlow {
    /// The actions (a copy of [`PhysicalFlow::actions`], kept for callers of the earlier API).
    pub fn openflow_actions(&self) -> Vec<Action> {
        self.actions.clone()
    }
}

/// Prints the flow as `ovs-ofctl -O OpenFlow15 dump-flows --no-stats` does (without its leading
/// space): `cookie=0x…, table=T, priority=P,MATCH actions=…`, where a zero cookie and table 0
/// are omitted.
impl fmt::Display for PhysicalFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cookie != 0 {
            write!(f, "cookie={:#x}, ", self.cookie)?;
        }
        if self.table != 0 {
            write!(f, "table={}, ", self.table)?;
        }
        write!(f, "priority={}", self.priority)?;
        if !self.matches.is_empty() {
            write!(f, ",{}", self.matches)?;
        }
        f.write_str(" actions=")?;
        write_actions(f, &self.actions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical::consts::*;
    use openflow::field::Field;

    #[test]
    fn prints_like_a_dump() {
        let mut m = Match::new();
        m.set(LOG_OUTPORT, 2u32).unwrap();
        m.set(LOG_DATAPATH, 1u64).unwrap();
        let f = PhysicalFlow {
            table: 65,
            priority: 100,
            cookie: cookie_of(0xc73e6199_0000_4000_8000_000000000000),
            source: 7,
            matches: m,
            actions: vec![Action::output(2)],
        };
        assert_eq!(
            f.to_string(),
            "cookie=0xc73e6199, table=65, priority=100,reg15=0x2,metadata=0x1 actions=output:2"
        );
        let d = PhysicalFlow {
            table: 0,
            priority: 0,
            cookie: 0,
            source: HARDCODED_SOURCE,
            matches: Match::new(),
            actions: vec![],
        };
        assert_eq!(d.to_string(), "priority=0 actions=drop");
        let mut m = Match::new();
        m.set(Field::IN_PORT, 5u16).unwrap();
        let t = PhysicalFlow {
            matches: m,
            priority: 100,
            ..d
        };
        assert_eq!(t.to_string(), "priority=100,in_port=5 actions=drop");
    }
}
