//! Splitting `a,b(c,d),e` at top-level commas, as OVS's `ofputil_parse_key_value` does.

/// Splits `s` at commas that are not inside parentheses; trims whitespace and drops empty
/// items. Unbalanced parentheses keep the rest of the string in the last item.
pub fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                let t = s[start..i].trim();
                if !t.is_empty() {
                    out.push(t);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    let t = s[start..].trim();
    if !t.is_empty() {
        out.push(t);
    }
    out
}

/// Splits `key=value`, `key:value` or `key(value)` into (key, value); a bare `key` gives
/// an empty value.
pub fn split_key_value(item: &str) -> (&str, &str) {
    let pos = item.find(['=', ':', '(']);
    match pos {
        None => (item, ""),
        Some(p) => {
            let key = &item[..p];
            let rest = &item[p + 1..];
            if item.as_bytes()[p] == b'(' {
                (key, rest.strip_suffix(')').unwrap_or(rest))
            } else {
                (key, rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(split_top("a, b(c,d) ,e"), vec!["a", "b(c,d)", "e"]);
        assert_eq!(split_key_value("zone=5"), ("zone", "5"));
        assert_eq!(split_key_value("nat(src=1.2.3.4)"), ("nat", "src=1.2.3.4"));
        assert_eq!(split_key_value("commit"), ("commit", ""));
    }
}
