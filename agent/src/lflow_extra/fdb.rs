//! FDB rows → tables 71 and 72 (lflow.c `consider_fdb_flows`).

use openflow::field::Field;
use openflow::flow_match::Match;

use super::{MLF_LOOKUP_FDB_BIT, OFTABLE_GET_FDB, OFTABLE_LOOKUP_FDB, parse_mac_exact};
use crate::physical::common::{Flows, exact, load32, set_flag};
use crate::physical::consts::{LOG_DATAPATH, LOG_INPORT, LOG_OUTPORT};
use crate::physical::{PhysicalFlow, PhysicalInput};

/// A learnt MAC → port entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fdb {
    /// Row UUID.
    pub uuid: u128,
    /// `mac`.
    pub mac: String,
    /// `dp_key`.
    pub dp_key: u32,
    /// `port_key`.
    pub port_key: u32,
}

/// The flows of one FDB entry (none off local datapaths or with a bad MAC).
pub fn fdb_flows(input: &PhysicalInput, fdb: &Fdb) -> Vec<PhysicalFlow> {
    let mut out = Flows::default();
    if input.ld(fdb.dp_key).is_none() {
        return out.flows;
    }
    let Some(mac) = parse_mac_exact(&fdb.mac) else {
        tracing::warn!(mac = %fdb.mac, "bad 'mac' in FDB");
        return out.flows;
    };
    let mut m = Match::new();
    exact(&mut m, LOG_DATAPATH, u64::from(fdb.dp_key));
    exact(&mut m, Field::ETH_DST, mac);
    let mut acts = Vec::new();
    load32(&mut acts, LOG_OUTPORT, fdb.port_key);
    out.add(OFTABLE_GET_FDB, 100, fdb.uuid, m, acts);

    let mut m = Match::new();
    exact(&mut m, LOG_DATAPATH, u64::from(fdb.dp_key));
    exact(&mut m, Field::ETH_SRC, mac);
    exact(&mut m, LOG_INPORT, fdb.port_key);
    let mut acts = Vec::new();
    set_flag(&mut acts, MLF_LOOKUP_FDB_BIT);
    out.add(OFTABLE_LOOKUP_FDB, 100, fdb.uuid, m, acts);
    out.flows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical::LocalDatapath;

    #[test]
    fn get_and_lookup() {
        let mut input = PhysicalInput::default();
        input.local_datapaths.insert(
            1,
            LocalDatapath {
                key: 1,
                ..LocalDatapath::default()
            },
        );
        let f = Fdb {
            uuid: 0xabcd_0001_0000_4000_8000_0000_0000_0000,
            mac: "00:00:00:00:01:33".into(),
            dp_key: 1,
            port_key: 3,
        };
        let t: Vec<String> = fdb_flows(&input, &f)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            t,
            [
                "cookie=0xabcd0001, table=71, priority=100,metadata=0x1,dl_dst=00:00:00:00:01:33 actions=set_field:0x3->reg15",
                "cookie=0xabcd0001, table=72, priority=100,reg14=0x3,metadata=0x1,dl_src=00:00:00:00:01:33 actions=set_field:0x100/0x100->reg10",
            ]
        );
        assert!(
            fdb_flows(
                &input,
                &Fdb {
                    dp_key: 9,
                    ..f.clone()
                }
            )
            .is_empty()
        );
        assert!(
            fdb_flows(
                &input,
                &Fdb {
                    mac: "x".into(),
                    ..f
                }
            )
            .is_empty()
        );
    }
}
