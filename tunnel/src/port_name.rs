//! Tunnel port names (encaps.c `tunnel_create_name`): `ovn<idx>-<chassis prefix>-<n in hex>`.
//! The chassis name is cut to 6 bytes, or 5 when a chassis index is present, so that names stay
//! within Linux's 15-byte interface names for small `n`.

use std::fmt::Write as _;

/// Upstream tries `n` in `0..UINT16_MAX`.
const MAX_TRIES: u32 = u16::MAX as u32;

/// The `n`-th candidate name. Truncation is by bytes like C's `%.*s`, but never splits a UTF-8
/// character (it backs off to the previous character boundary).
pub fn tunnel_port_name(chassis_idx: &str, chassis: &str, n: u16) -> String {
    format!("{}{n:x}", name_base(chassis_idx, chassis))
}

/// The part of every candidate name before the number: `ovn<idx>-<chassis prefix>-`.
pub fn name_base(chassis_idx: &str, chassis: &str) -> String {
    let limit = if chassis_idx.is_empty() { 6 } else { 5 };
    format!("ovn{chassis_idx}-{}-", truncate_bytes(chassis, limit))
}

/// The first candidate for which `taken` is false, or `None` when all 65535 are taken.
pub fn allocate_port_name(
    chassis_idx: &str,
    chassis: &str,
    taken: impl Fn(&str) -> bool,
) -> Option<String> {
    allocate_from(&name_base(chassis_idx, chassis), 0, taken).map(|(name, _)| name)
}

/// Like [`allocate_port_name`] for a precomputed base, starting at candidate `start`; also
/// returns the number used. Many chassis share a prefix (`worker-1`, `worker-2`, ... all
/// become `ovn-worker-<n>`), so a caller allocating several names resumes after the last one
/// instead of probing from 0 each time.
pub(crate) fn allocate_from(
    base: &str,
    start: u32,
    taken: impl Fn(&str) -> bool,
) -> Option<(String, u32)> {
    let mut name = String::with_capacity(base.len() + 4);
    (start..MAX_TRIES).find_map(|n| {
        name.clear();
        name.push_str(base);
        // Writing to a String cannot fail.
        let _ = write!(name, "{n:x}");
        (!taken(&name)).then(|| (name.clone(), n))
    })
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_like_23_03() {
        let cases = [
            ("", "hv2", 0, "ovn-hv2-0"),
            ("", "chassis-1", 0, "ovn-chassi-0"),
            ("", "chassis-1", 10, "ovn-chassi-a"),
            ("", "abcdef", 0xfffe, "ovn-abcdef-fffe"),
            ("2", "chassis-1", 0, "ovn2-chass-0"),
            ("2", "hv2", 1, "ovn2-hv2-1"),
            // 'é' is two bytes at offsets 5..7: cutting at 6 would split it.
            ("", "abcdeé", 0, "ovn-abcde-0"),
            ("", "", 0, "ovn--0"),
        ];
        for (idx, chassis, n, want) in cases {
            assert_eq!(
                tunnel_port_name(idx, chassis, n),
                want,
                "{idx:?} {chassis:?} {n}"
            );
        }
    }

    #[test]
    fn allocation_skips_used_names() {
        let used: BTreeSet<String> = ["ovn-chassi-0", "ovn-chassi-1", "ovn-chassi-3"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            allocate_port_name("", "chassis-x", |n| used.contains(n)).as_deref(),
            Some("ovn-chassi-2")
        );
    }

    #[test]
    fn allocation_exhausted() {
        let used: BTreeSet<String> = (0..u16::MAX)
            .map(|n| tunnel_port_name("", "hv", n))
            .collect();
        assert_eq!(allocate_port_name("", "hv", |n| used.contains(n)), None);
    }
}
