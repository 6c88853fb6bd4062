//! The iteration order of an OVS `sset` (lib/sset.c over lib/hmap.c, hashed with lib/hash.c's
//! murmur-based `hash_string`), so that flows whose action order upstream takes from such a set
//! (the remote chassis of a multicast group) come out identical.

/// `mhash_add__`.
fn mhash_add_inner(hash: u32, data: u32) -> u32 {
    // A zero word leaves the hash unchanged (upstream's shortcut, kept for identical values).
    if data == 0 {
        return hash;
    }
    let d = data
        .wrapping_mul(0xcc9e_2d51)
        .rotate_left(15)
        .wrapping_mul(0x1b87_3593);
    hash ^ d
}

/// `mhash_add` (= `hash_add` without SSE 4.2, as Debian builds OVS).
fn mhash_add(hash: u32, data: u32) -> u32 {
    mhash_add_inner(hash, data)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

/// `mhash_finish`.
fn mhash_finish(mut hash: u32) -> u32 {
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^ (hash >> 16)
}

/// `hash_bytes(s, strlen(s), basis)`: little-endian 32-bit words, a zero-padded tail.
pub fn hash_string(s: &str, basis: u32) -> u32 {
    let bytes = s.as_bytes();
    let mut hash = basis;
    let mut chunks = bytes.chunks_exact(4);
    for c in &mut chunks {
        hash = mhash_add(hash, u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 4];
        w[..rest.len()].copy_from_slice(rest);
        hash = mhash_add(hash, u32::from_le_bytes(w));
    }
    mhash_finish(hash ^ bytes.len() as u32)
}

/// `calc_mask`.
fn calc_mask(capacity: usize) -> usize {
    let mut mask = capacity / 2;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    mask | ((mask & 1) << 1)
}

/// The order `SSET_FOR_EACH` visits the distinct `names`, added in the given order.
pub fn sset_order<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    // Buckets hold their chain head first, as `hmap_insert_fast` links new nodes at the head.
    let mut buckets: Vec<Vec<(u32, &str)>> = vec![Vec::new()];
    let mut mask = 0usize;
    let mut n = 0usize;
    for name in names {
        if buckets.iter().flatten().any(|(_, s)| *s == name) {
            continue;
        }
        let h = hash_string(name, 0);
        buckets[h as usize & mask].insert(0, (h, name));
        n += 1;
        if n / 2 > mask {
            let new_mask = calc_mask(n);
            if new_mask > mask {
                let mut next: Vec<Vec<(u32, &str)>> = vec![Vec::new(); new_mask + 1];
                for (h, s) in buckets.into_iter().flatten() {
                    next[h as usize & new_mask].insert(0, (h, s));
                }
                buckets = next;
                mask = new_mask;
            }
        }
    }
    buckets.into_iter().flatten().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_vectors() {
        // Values from OVS's own hash_bytes (tests/test-hash.c style): an empty string hashes
        // to mhash_finish(0) = 0, and the function is a pure function of the bytes.
        assert_eq!(hash_string("", 0), 0);
        assert_ne!(hash_string("hv2", 0), hash_string("hv3", 0));
        assert_eq!(hash_string("hv2", 0), hash_string("hv2", 0));
    }

    #[test]
    fn order_is_a_permutation_without_duplicates() {
        let names = ["hv2", "hv3", "hv2", "hv4", "hv5", "hv6", "hv7"];
        let order = sset_order(names);
        assert_eq!(order.len(), 6);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["hv2", "hv3", "hv4", "hv5", "hv6", "hv7"]);
        assert_eq!(sset_order(["x"]), ["x"]);
    }
}
