//! The flows that depend on nothing (physical_run's tail): default drops and resubmits of
//! tables 0 and 37–41, 64, 65.

use openflow::field::Field;
use openflow::flow_match::Match;

use super::common::*;
use super::consts::*;
use super::flow::HARDCODED_SOURCE;
use super::ofpact::Ofpact;

/// Appends the static flows to `out`.
pub fn static_flows(out: &mut Flows) {
    let mut add = |table: u8, priority: u16, m: Match, acts: Vec<Ofpact>| {
        out.add_with(table, priority, 0, HARDCODED_SOURCE, m, acts);
    };
    let flags = |value: u32, mask: u32| {
        let mut m = Match::new();
        match_flags(&mut m, value, mask);
        m
    };
    let to = |t: u8| vec![Ofpact::Resubmit(t)];

    // Table 0: drop what no port or tunnel claims.
    add(OFTABLE_PHY_TO_LOG, 0, Match::new(), Vec::new());
    // Tables 37/38: no oversize handling needed → remote output; loopback goes local.
    add(
        OFTABLE_OUTPUT_LARGE_PKT_DETECT,
        0,
        Match::new(),
        to(OFTABLE_REMOTE_OUTPUT),
    );
    add(
        OFTABLE_OUTPUT_LARGE_PKT_PROCESS,
        10,
        flags(MLF_ALLOW_LOOPBACK, MLF_ALLOW_LOOPBACK),
        to(OFTABLE_LOCAL_OUTPUT),
    );
    add(
        OFTABLE_OUTPUT_LARGE_PKT_PROCESS,
        0,
        Match::new(),
        to(OFTABLE_REMOTE_OUTPUT),
    );
    // Table 39: what came from a ramp switch (unless looping back), and LOCAL_ONLY, stays here.
    add(
        OFTABLE_REMOTE_OUTPUT,
        150,
        flags(MLF_RCV_FROM_RAMP, MLF_RCV_FROM_RAMP | MLF_ALLOW_LOOPBACK),
        to(OFTABLE_LOCAL_OUTPUT),
    );
    add(
        OFTABLE_REMOTE_OUTPUT,
        150,
        flags(MLF_LOCAL_ONLY, MLF_LOCAL_ONLY),
        to(OFTABLE_LOCAL_OUTPUT),
    );
    add(
        OFTABLE_REMOTE_OUTPUT,
        0,
        Match::new(),
        to(OFTABLE_LOCAL_OUTPUT),
    );
    add(OFTABLE_LOCAL_OUTPUT, 0, Match::new(), Vec::new());
    // Table 41: clear the logical registers before egress, as a tunnelled packet has them.
    let mut acts = Vec::new();
    for i in 0..N_LOG_REGS {
        load32(&mut acts, Field::reg(i), 0);
    }
    resubmit(&mut acts, OFTABLE_LOG_EGRESS_PIPELINE);
    add(OFTABLE_CHECK_LOOPBACK, 0, Match::new(), acts);
    add(OFTABLE_SAVE_INPORT, 0, Match::new(), to(OFTABLE_LOG_TO_PHY));
    add(OFTABLE_LOG_TO_PHY, 0, Match::new(), Vec::new());
}
