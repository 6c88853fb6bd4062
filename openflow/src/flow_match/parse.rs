//! `FromStr` for matches in the syntax `ovs-ofctl add-flow` accepts (the match part).

use std::str::FromStr;

use super::format::{CT_STATE_NAMES, TCP_FLAG_NAMES};
use super::{Match, MatchError};
use crate::field::{Field, Format, Value};
use crate::text::{
    parse_hex_bytes, parse_ipv4_masked, parse_ipv6_masked, parse_mac, parse_port, parse_u128,
    parse_value,
};

/// Protocol shorthand → (eth_type, ip_proto).
pub(crate) fn shorthand(word: &str) -> Option<(u16, Option<u8>)> {
    Some(match word {
        "ip" => (0x0800, None),
        "ipv6" => (0x86dd, None),
        "icmp" => (0x0800, Some(1)),
        "icmp6" => (0x86dd, Some(58)),
        "tcp" => (0x0800, Some(6)),
        "tcp6" => (0x86dd, Some(6)),
        "udp" => (0x0800, Some(17)),
        "udp6" => (0x86dd, Some(17)),
        "sctp" => (0x0800, Some(132)),
        "sctp6" => (0x86dd, Some(132)),
        "arp" => (0x0806, None),
        "rarp" => (0x8035, None),
        "mpls" => (0x8847, None),
        "mplsm" => (0x8848, None),
        _ => return None,
    })
}

/// Parses `+a-b` or `a|b` flag syntax (or a number) into (value, mask).
fn parse_flags(s: &str, names: &[&str], max: u128) -> Option<(u128, Option<u128>)> {
    if let Some((v, m)) = s.split_once('/') {
        return Some((parse_u128(v)?, Some(parse_u128(m)?)));
    }
    if let Some(v) = parse_u128(s) {
        return Some((v, None));
    }
    let bit = |n: &str| {
        names
            .iter()
            .position(|x| !x.is_empty() && *x == n)
            .map(|b| 1u128 << b)
    };
    if s.starts_with('+') || s.starts_with('-') {
        let (mut v, mut m) = (0u128, 0u128);
        let mut rest = s;
        while !rest.is_empty() {
            let sign = rest.as_bytes()[0];
            if sign != b'+' && sign != b'-' {
                return None;
            }
            let body = &rest[1..];
            let end = body.find(['+', '-']).unwrap_or(body.len());
            let b = bit(&body[..end])?;
            if m & b != 0 {
                return None;
            }
            m |= b;
            if sign == b'+' {
                v |= b;
            }
            rest = &body[end..];
        }
        return Some((v, Some(m)));
    }
    let mut v = 0;
    for n in s.split('|') {
        // ovs-ofctl prints bits without a name as a trailing hex number (`fin|0x200`).
        v |= bit(n).or_else(|| parse_u128(n))?;
    }
    Some((v, Some(max)))
}

impl Match {
    /// Applies one `key[=value]` item of `ovs-ofctl add-flow` match syntax: a protocol
    /// shorthand (`ip`, `tcp6`, …) or `field=value[/mask]` where field is an OVS name or
    /// alias (`dl_src`, `nw_dst`, `tp_dst`, `reg0`, `xxreg1`, `tun_metadata0`, `ct_state`).
    /// Prerequisites are not checked here (see [`check_prereqs`](Self::check_prereqs)).
    pub fn parse_item(&mut self, key: &str, value: Option<&str>) -> Result<(), MatchError> {
        if key == "dl_vlan" || key == "dl_vlan_pcp" {
            // OVS's OF1.0-style VLAN fields: they also require a VLAN header (CFI bit).
            let text = value.ok_or_else(|| MatchError::Syntax(key.to_owned()))?;
            let bad = || MatchError::BadValue {
                field: Field::VLAN_TCI,
                text: text.to_owned(),
            };
            let v: u16 = crate::text::parse_int(text).ok_or_else(bad)?;
            if key == "dl_vlan" {
                if v > 0xfff {
                    return Err(bad());
                }
                self.set_masked(Field::VLAN_VID, v | 0x1000, 0x1fffu16)?;
            } else {
                if v > 7 {
                    return Err(bad());
                }
                self.set(Field::VLAN_PCP, v as u8)?;
            }
            return Ok(());
        }
        if key == "eth" && value.is_none() {
            // packet_type=(0,0), the default for every OpenFlow flow.
            return Ok(());
        }
        if let (Some((dl, proto)), None) = (shorthand(key), value) {
            self.set(Field::ETH_TYPE, dl)?;
            if let Some(p) = proto {
                self.set(Field::IP_PROTO, p)?;
            }
            return Ok(());
        }
        let field = Field::from_name(key)
            .or_else(|| Field::from_nxm_name(key))
            .ok_or_else(|| MatchError::UnknownField(key.to_owned()))?;
        let text = value.ok_or_else(|| MatchError::Syntax(key.to_owned()))?;
        let bad = || MatchError::BadValue {
            field,
            text: text.to_owned(),
        };
        let info = field.info();
        let n = field.n_bytes();
        if field.is_tun_metadata() {
            let (v, m) = match text.split_once('/') {
                Some((v, m)) => (v, Some(m)),
                None => (text, None),
            };
            // Without the switch's TLV map the width is unknown; like ovs-ofctl, use the fewest
            // bytes that hold the value and the mask (at least one).
            let digits = v.trim_start_matches("0x").trim_start_matches('0').len();
            let mdigits = m.map_or(0, |m| {
                m.trim_start_matches("0x").trim_start_matches('0').len()
            });
            let width = digits.max(mdigits).div_ceil(2).max(1);
            let vb = parse_hex_bytes(v, width).ok_or_else(bad)?;
            let mb = match m {
                Some(m) => Some(parse_hex_bytes(m, width).ok_or_else(bad)?),
                None => None,
            };
            self.set_bytes(field, &vb, mb.as_deref())?;
            return Ok(());
        }
        let split = || match text.split_once('/') {
            Some((v, m)) => (v, Some(m)),
            None => (text, None),
        };
        match info.format {
            Format::Ethernet => {
                let (v, m) = split();
                let v = parse_mac(v).ok_or_else(bad)?;
                match m {
                    Some(m) => self.set_masked(field, v, parse_mac(m).ok_or_else(bad)?)?,
                    None => self.set(field, v)?,
                };
            }
            Format::Ipv4 => {
                let (v, m) = parse_ipv4_masked(text).ok_or_else(bad)?;
                match m {
                    Some(m) => self.set_masked(field, v, m)?,
                    None => self.set(field, v)?,
                };
            }
            Format::Ipv6 => {
                let (v, m) = parse_ipv6_masked(text).ok_or_else(bad)?;
                match m {
                    Some(m) => {
                        self.set_masked(field, u128::from_be_bytes(v), u128::from_be_bytes(m))?
                    }
                    None => self.set(field, u128::from_be_bytes(v))?,
                };
            }
            Format::Port | Format::Port11 => {
                let p = parse_port(text).ok_or_else(bad)?;
                if field == Field::ACTSET_OUTPUT || field == Field::IN_PORT_OXM {
                    self.set(field, crate::text::port_to_ofp11(p))?;
                } else {
                    self.set(field, p)?;
                }
            }
            Format::CtState | Format::TcpFlags | Format::TunFlags => {
                let (names, max): (&[&str], u128) = match info.format {
                    Format::CtState => (&CT_STATE_NAMES, 0xff),
                    Format::TcpFlags => (&TCP_FLAG_NAMES, 0xfff),
                    _ => (&["oam"], 1),
                };
                let (v, m) = parse_flags(text, names, max).ok_or_else(bad)?;
                match m {
                    Some(m) if m != field.full_mask().to_u128() => {
                        self.set_masked(field, Value::from_u128(v, n), Value::from_u128(m, n))?
                    }
                    _ => self.set(field, Value::from_u128(v, n))?,
                };
            }
            Format::Frag => {
                let (v, m) = match text {
                    "no" => (0, 3),
                    "yes" => (1, 1),
                    "first" => (1, 3),
                    "later" => (3, 3),
                    "not_later" => (0, 2),
                    _ => {
                        let (v, m) = split();
                        (
                            parse_u128(v).ok_or_else(bad)?,
                            m.map_or(Some(3), parse_u128).ok_or_else(bad)?,
                        )
                    }
                };
                self.set_masked(field, Value::from_u128(v, 1), Value::from_u128(m, 1))?;
            }
            Format::PacketType if text.starts_with('(') => {
                // `(namespace,type)`, e.g. `(0,0x800)`; (0,0) is Ethernet.
                let inner = text
                    .strip_prefix('(')
                    .and_then(|t| t.strip_suffix(')'))
                    .ok_or_else(bad)?;
                let (ns, ty) = inner.split_once(',').ok_or_else(bad)?;
                let ns: u16 = crate::text::parse_int(ns.trim()).ok_or_else(bad)?;
                let ty: u16 = crate::text::parse_int(ty.trim()).ok_or_else(bad)?;
                self.set(field, (u32::from(ns) << 16) | u32::from(ty))?;
            }
            Format::Decimal | Format::Hex | Format::PacketType => {
                let (v, m) = split();
                let v = parse_value(v, n).ok_or_else(bad)?;
                match m {
                    Some(m) => self.set_masked(field, v, parse_value(m, n).ok_or_else(bad)?)?,
                    None => self.set(field, v)?,
                };
            }
        }
        Ok(())
    }

    /// `tp_src`/`tp_dst` (and `tcp_*`, `udp_*`, `sctp_*`) share one slot in OVS, as do
    /// `icmp_type`/`icmpv6_type`; move them to the field that the final `ip_proto` and
    /// `eth_type` select, as ovs-ofctl's parser effectively does.
    fn normalize_l4(&mut self) -> Result<(), MatchError> {
        let proto = self.get(Field::IP_PROTO).map(|e| e.value_u128());
        let dl = self.value_of(Field::ETH_TYPE);
        let (src, dst) = match proto {
            Some(17) => (Field::UDP_SRC, Field::UDP_DST),
            Some(132) => (Field::SCTP_SRC, Field::SCTP_DST),
            _ => (Field::TCP_SRC, Field::TCP_DST),
        };
        for (group, target) in [
            ([Field::TCP_SRC, Field::UDP_SRC, Field::SCTP_SRC], src),
            ([Field::TCP_DST, Field::UDP_DST, Field::SCTP_DST], dst),
        ] {
            for f in group {
                if f != target {
                    self.move_entry(f, target)?;
                }
            }
        }
        if dl == 0x86dd {
            self.move_entry(Field::ICMPV4_TYPE, Field::ICMPV6_TYPE)?;
            self.move_entry(Field::ICMPV4_CODE, Field::ICMPV6_CODE)?;
        } else {
            self.move_entry(Field::ICMPV6_TYPE, Field::ICMPV4_TYPE)?;
            self.move_entry(Field::ICMPV6_CODE, Field::ICMPV4_CODE)?;
        }
        Ok(())
    }

    fn move_entry(&mut self, from: Field, to: Field) -> Result<(), MatchError> {
        if let Some(e) = self.get(from) {
            let (v, m) = (e.value.to_vec(), e.mask.map(<[u8]>::to_vec));
            self.remove(from);
            self.set_bytes(to, &v, m.as_deref())?;
        }
        Ok(())
    }

    /// Parses a comma/space separated list of match items (no `priority`, `table`,
    /// `actions`), normalizes shared L4 slots, and checks prerequisites.
    pub fn parse_items<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Match, MatchError> {
        let mut m = Match::new();
        for item in items {
            let (k, v) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item.trim(), None),
            };
            m.parse_item(k, v)?;
        }
        m.normalize_l4()?;
        m.check_prereqs()?;
        Ok(m)
    }
}

impl FromStr for Match {
    type Err = MatchError;

    /// `ip,nw_dst=10.0.0.0/8,reg14=0x1` (the match part of an ovs-ofctl flow); the empty
    /// string is the catch-all match.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.replace([' ', '\t'], ",");
        Match::parse_items(crate::text::split_top(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        for (input, out) in [
            (
                "metadata=0x1,dl_dst=0a:58:00:00:00:01",
                "metadata=0x1,dl_dst=0a:58:00:00:00:01",
            ),
            (
                "ip,nw_dst=10.0.0.0/8,metadata=0x1",
                "ip,metadata=0x1,nw_dst=10.0.0.0/8",
            ),
            ("reg14=1", "reg14=0x1"),
            ("xreg3=0x55/0xff", "reg7=0x55/0xff"),
            ("ct_state=+trk-new", "ct_state=-new+trk"),
            ("udp,tp_dst=53", "udp,tp_dst=53"),
            ("tcp6,tcp_dst=80/0xfff0", "tcp6,tp_dst=0x50/0xfff0"),
            ("", ""),
        ] {
            let m: Match = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(m.to_string(), out, "{input}");
        }
        assert!("nw_dst=10.0.0.1".parse::<Match>().is_err());
        assert!("bogus=1".parse::<Match>().is_err());
    }
}
