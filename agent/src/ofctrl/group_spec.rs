//! Group specifications as the logical-flow encoder names them (the text upstream hands to
//! OVS's group parser: `type=select,selection_method=dp_hash,bucket=bucket_id=0,weight:100,
//! actions=...`), turned into OpenFlow 1.5 group descriptions.

use bytes::BytesMut;
use openflow::action::{encode_actions, parse_actions};
use openflow::msg::{Bucket, GroupDesc, GroupType, RawActions, SelectionMethod};

/// Why a group specification is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupSpecError {
    /// The `type=` is missing or unknown.
    #[error("group {spec:?}: unknown or missing type")]
    Type {
        /// The specification.
        spec: String,
    },
    /// A bucket's actions do not parse.
    #[error("group {spec:?}: bucket {bucket}: {reason}")]
    Bucket {
        /// The specification.
        spec: String,
        /// The bucket's position.
        bucket: usize,
        /// Why.
        reason: String,
    },
}

/// Parses `spec` into the description of group `group_id`.
///
/// `selection_method=hash` with `fields(...)` is sent as a plain `hash` selection without the
/// field list (the switch then hashes its default fields); `dp_hash` is exact.
pub fn parse_group_spec(group_id: u32, spec: &str) -> Result<GroupDesc, GroupSpecError> {
    let mut parts = spec.split(",bucket=");
    let head = parts.next().unwrap_or("");
    let mut ty = None;
    let mut selection_method = None;
    for item in head.split(',') {
        if let Some(t) = item.strip_prefix("type=") {
            ty = match t {
                "all" => Some(GroupType::ALL),
                "select" => Some(GroupType::SELECT),
                "indirect" => Some(GroupType::INDIRECT),
                "ff" | "fast_failover" => Some(GroupType::FF),
                _ => None,
            };
        } else if let Some(m) = item.strip_prefix("selection_method=") {
            selection_method = Some(SelectionMethod {
                method: m.to_owned(),
                param: 0,
                fields: bytes::Bytes::new(),
            });
        }
    }
    let ty = ty.ok_or_else(|| GroupSpecError::Type {
        spec: spec.to_owned(),
    })?;
    let mut buckets = Vec::new();
    for (i, b) in parts.enumerate() {
        let mut rest = b;
        let mut bucket_id = u32::try_from(i).unwrap_or(u32::MAX);
        let mut weight = None;
        let mut watch_port = 0xffff_ffff;
        loop {
            if let Some(r) = rest.strip_prefix("bucket_id=") {
                let (n, tail) = r.split_once(',').unwrap_or((r, ""));
                bucket_id = n.parse().unwrap_or(bucket_id);
                rest = tail;
            } else if let Some(r) = rest.strip_prefix("weight:") {
                let (n, tail) = r.split_once(',').unwrap_or((r, ""));
                weight = n.parse().ok();
                rest = tail;
            } else if let Some(r) = rest.strip_prefix("watch_port:") {
                let (n, tail) = r.split_once(',').unwrap_or((r, ""));
                watch_port = n.parse().unwrap_or(watch_port);
                rest = tail;
            } else {
                break;
            }
        }
        let acts = rest.strip_prefix("actions=").unwrap_or(rest);
        let actions = parse_actions(acts).map_err(|e| GroupSpecError::Bucket {
            spec: spec.to_owned(),
            bucket: i,
            reason: e.to_string(),
        })?;
        let mut raw = BytesMut::new();
        encode_actions(&actions, &mut raw);
        let mut bucket = Bucket::new(bucket_id, RawActions(raw.freeze()));
        bucket.weight = weight;
        bucket.watch_port = watch_port;
        buckets.push(bucket);
    }
    Ok(GroupDesc {
        group_id,
        ty,
        buckets,
        selection_method,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_lb_and_fwd_group_specs_parse() {
        let g = parse_group_spec(
            3,
            "type=select,selection_method=dp_hash,bucket=bucket_id=0,weight:100,actions=ct(commit,table=19,zone=NXM_NX_REG13[0..15],nat(dst=10.0.0.2:80)),bucket=bucket_id=1,weight:100,actions=ct(commit,table=19,zone=NXM_NX_REG13[0..15],nat(dst=10.0.0.3:80))",
        )
        .unwrap();
        assert_eq!(g.group_id, 3);
        assert_eq!(g.ty, GroupType::SELECT);
        assert_eq!(g.buckets.len(), 2);
        assert_eq!(g.buckets[1].bucket_id, 1);
        assert_eq!(g.buckets[1].weight, Some(100));
        assert_eq!(
            g.selection_method.as_ref().map(|m| m.method.as_str()),
            Some("dp_hash")
        );
        let f = parse_group_spec(
            1,
            "type=select,selection_method=dp_hash,bucket=watch_port:5,load=0x5->NXM_NX_REG15[0..15],resubmit(,64)",
        )
        .unwrap();
        assert_eq!(f.buckets[0].watch_port, 5);
        assert!(parse_group_spec(1, "bucket=actions=drop").is_err());
        assert!(parse_group_spec(1, "type=select,bucket=actions=bogus(").is_err());
    }
}

/// The meter configuration of meter `id` named `name` by the action encoder: an inline
/// `__string: uuid <lflow uuid> <spec>` meter (`set_meter`) is `meter=<id>,<spec>`; any other
/// name is a Southbound Meter row, given as (unit, bands of (rate, burst size)).
pub fn meter_config(
    id: u32,
    name: &str,
    sb_meter: Option<(&str, &[(u32, u32)])>,
) -> Result<openflow::msg::MeterConfig, String> {
    use openflow::msg::{MeterBand, MeterConfig, meter_flags};
    if let Some(rest) = name.strip_prefix("__string: ") {
        // `uuid <36 characters> ` precedes the specification (upstream skips 52 bytes).
        let spec = rest
            .strip_prefix("uuid ")
            .and_then(|r| r.get(37..))
            .unwrap_or(rest);
        let mut m: MeterConfig = format!("meter={id},{spec}")
            .parse()
            .map_err(|e| format!("meter {name:?}: {e:?}"))?;
        m.meter_id = id;
        return Ok(m);
    }
    let (unit, bands) = sb_meter.ok_or_else(|| format!("could not find meter named {name:?}"))?;
    let mut flags = meter_flags::STATS
        | if unit == "pktps" {
            meter_flags::PKTPS
        } else {
            meter_flags::KBPS
        };
    if bands.iter().any(|(_, b)| *b != 0) {
        flags |= meter_flags::BURST;
    }
    Ok(MeterConfig {
        meter_id: id,
        flags,
        bands: bands
            .iter()
            .map(|&(rate, burst_size)| MeterBand::Drop { rate, burst_size })
            .collect(),
    })
}

#[cfg(test)]
mod meter_tests {
    use super::*;

    #[test]
    fn inline_and_named_meters() {
        let m = meter_config(
            2,
            "__string: uuid aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee kbps burst stats bands=type=drop rate=100 burst_size=1000",
            None,
        )
        .unwrap();
        assert_eq!(m.meter_id, 2);
        assert_eq!(m.bands.len(), 1);
        let n = meter_config(3, "acl-logging", Some(("pktps", &[(10, 0)]))).unwrap();
        assert_eq!(n.meter_id, 3);
        assert!(meter_config(4, "missing", None).is_err());
    }
}
