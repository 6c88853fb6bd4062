//! Upstream's `ds_get_test_line` convention for the table-driven test modes.

/// Calls `f` for every input line that is not a comment or blank, echoing what upstream echoes:
/// a line starting with `#` is printed as is; anything after a `#` elsewhere is dropped; a line
/// that is then blank prints an empty line.
pub fn for_each_test_line(input: &str, out: &mut String, mut f: impl FnMut(&str, &mut String)) {
    let mut rest = input;
    while !rest.is_empty() {
        let (line, tail) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = tail;
        if line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let line = match line.find('#') {
            Some(i) => &line[..i],
            None => line,
        };
        if line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n')) {
            out.push('\n');
            continue;
        }
        f(line, out);
    }
}
