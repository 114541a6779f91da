//! Plain-language YAML syntax errors.
//!
//! Owns: turning the parser's message ("mapping values are not allowed in this context",
//! "while scanning a plain scalar, found a tab") into what the user did — a tab used for
//! indentation, a quote never closed, a key without its colon, a line indented to the wrong
//! level, `: ` inside a plain value — located at the line and column where they did it, with a
//! help that, followed, removes the error. It reads the text around the parser's position and
//! gives up (`None`, so the parser's own message stands) when it cannot tell.

/// A line: its byte offset in the text and its text without the newline.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for l in text.split('\n') {
        out.push((start, l.strip_suffix('\r').unwrap_or(l)));
        start += l.len() + 1;
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that holds YAML (not blank, not only a comment).
fn significant(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

/// The line's content without a trailing comment (a ` #` outside quotes, roughly).
fn content(line: &str) -> &str {
    let t = line.trim();
    match t.find(" #") {
        Some(i) if !t[..i].contains(['"', '\'']) => t[..i].trim_end(),
        _ => t,
    }
}

/// The key of a `key: value` (or `- key: value`) line.
fn key(line: &str) -> Option<&str> {
    let c = content(line).trim_start_matches("- ");
    let i = c.find(':')?;
    (i > 0 && (c[i + 1..].is_empty() || c[i + 1..].starts_with(' '))).then(|| &c[..i])
}

/// What went wrong, as `(offset in text, message, help)`, or `None` to keep the parser's words.
pub(super) fn explain(text: &str, offset: usize, info: &str) -> Option<(usize, String, String)> {
    let ls = lines(text);
    let at = ls.partition_point(|(s, _)| *s <= offset).saturating_sub(1);
    // A tab in the indentation of the error's line or the one after (the parser often stops at
    // the end of the line before).
    if info.contains("tab") || info.contains("mapping values") || info.contains("expected") {
        for (i, (start, line)) in ls.iter().enumerate().skip(at).take(2) {
            let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
            if let Some(t) = line[..lead].find('\t')
                && significant(line)
            {
                return Some((
                    start + t,
                    format!("line {} is indented with a tab", i + 1),
                    "YAML indents with spaces only: replace the tab with spaces".to_owned(),
                ));
            }
        }
    }
    if info.contains("unclosed quote") || (info.contains("quoted scalar") && info.contains("end of")) {
        return Some((
            offset,
            "the quoted value that starts here is never closed".to_owned(),
            "end it with the same quote on this value (inside double quotes write `\\\"` for a quote, inside single quotes `''`)"
                .to_owned(),
        ));
    }
    if !(info.contains("mapping values are not allowed") || info.contains("did not find expected key")) {
        return None;
    }
    let (start, line) = ls[at];
    // `key: a: b`: a second `: ` inside a plain value on the same line.
    let before = &text[start..offset.min(start + line.len())];
    if let Some(k) = key(line)
        && before.trim_start().trim_start_matches("- ").len() > k.len() + 1
        && !before.contains(['"', '\''])
    {
        let end = start + line.len();
        let value_at = (start + line.find(k).unwrap_or(0) + k.len() + 2).min(end);
        return Some((
            value_at,
            format!("the value of `{k}` contains `: `, which YAML reads as a second key"),
            format!("quote the value: `{k}: \"{}\"`", content(&text[value_at..end])),
        ));
    }
    let prev = ls[..at].iter().rev().find(|(_, l)| significant(l));
    let (p_start, p_line) = *prev?;
    let (p_indent, e_indent) = (indent(p_line), indent(line));
    let p_content = content(p_line);
    if key(p_line).is_none() && !p_content.starts_with(['-', '[', '{', '"', '\'', '|', '>']) && e_indent == p_indent {
        return Some((
            p_start + p_indent,
            format!("`{p_content}` has no `:`"),
            "write a key and its value as `key: value`, with a colon and a space".to_owned(),
        ));
    }
    let e_key = key(line).unwrap_or_else(|| content(line));
    if let Some(pk) = key(p_line)
        && e_indent > p_indent
    {
        let value = p_content.trim_start_matches("- ")[pk.len() + 1..].trim();
        if !value.is_empty() && !value.starts_with(['|', '>', '&']) {
            return Some((
                start + e_indent,
                format!("`{e_key}` is indented deeper than `{pk}` on line {}, which already has a value", at_line(&ls, p_start)),
                format!(
                    "indent it by {} spaces like `{pk}`, or, if `{pk}` is to hold a mapping, remove its value `{value}`",
                    indent_of_key(p_line)
                ),
            ));
        }
    }
    if e_indent < p_indent {
        // Indented to no level the lines above use.
        let mut levels: Vec<usize> = ls[..at].iter().filter(|(_, l)| significant(l) && key(l).is_some()).map(|(_, l)| indent(l)).collect();
        levels.sort_unstable();
        levels.dedup();
        if !levels.contains(&e_indent) {
            let shown: Vec<String> = levels.iter().map(|n| format!("{n}")).collect();
            return Some((
                start + e_indent,
                format!("`{e_key}` is indented by {e_indent} spaces, a level no mapping above it uses"),
                format!("indent it like the keys it belongs with: by one of {} spaces", shown.join(", ")),
            ));
        }
    }
    None
}

fn at_line(ls: &[(usize, &str)], start: usize) -> usize {
    ls.iter().position(|(s, _)| *s == start).map_or(0, |i| i + 1)
}

/// The column (0-based) where a line's key starts, past a `- ` list marker.
fn indent_of_key(line: &str) -> usize {
    let i = indent(line);
    if line[i..].starts_with("- ") { i + 2 } else { i }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, column) of the explanation, 1-based, and its message.
    fn explained(text: &str, info: &str, at: &str) -> (usize, usize, String, String) {
        let offset = text.find(at).expect("marker");
        let (o, m, h) = explain(text, offset, info).expect("explained");
        let line = text[..o].matches('\n').count() + 1;
        let col = o - text[..o].rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, col, m, h)
    }

    #[test]
    fn a_tab_is_named_at_its_own_line() {
        let text = "redundancy:\n  replicas: 5\n\tspread: zone\n";
        let (l, c, m, h) = explained(text, "while scanning a plain scalar, found a tab", "5\n");
        assert_eq!((l, c), (3, 1));
        assert!(m.contains("tab") && h.contains("spaces"));
    }

    #[test]
    fn a_missing_colon_is_named_on_its_line() {
        let text = "redundancy:\n  replicas 5\n  spread: zone\n";
        let (l, c, m, _) = explained(text, "mapping values are not allowed in this context", ": zone");
        assert_eq!((l, c, m.as_str()), (2, 3, "`replicas 5` has no `:`"));
    }

    #[test]
    fn a_line_indented_under_a_value_is_named() {
        let text = "redundancy:\n  replicas: 5\n    spread: zone\n";
        let (l, c, m, h) = explained(text, "mapping values are not allowed in this context", ": zone");
        assert_eq!((l, c), (3, 5));
        assert!(m.contains("`spread` is indented deeper than `replicas` on line 2"), "{m}");
        assert!(h.contains("by 2 spaces"), "{h}");
    }

    #[test]
    fn a_line_indented_to_no_level_is_named() {
        let text = "redundancy:\n    replicas: 5\n  spread: zone\n";
        let (l, c, m, h) = explained(text, "did not find expected key", "spread");
        assert_eq!((l, c), (3, 3));
        assert!(m.contains("2 spaces") && h.contains("0, 4"), "{m} / {h}");
    }

    #[test]
    fn a_colon_inside_a_plain_value_asks_for_quotes() {
        let text = "metadata:\n  description: a: b\n";
        let (l, c, m, h) = explained(text, "mapping values are not allowed in this context", ": b");
        assert_eq!((l, c), (2, 16));
        assert!(m.contains("`description`") && h.contains("\"a: b\""), "{m} / {h}");
    }

    #[test]
    fn an_unclosed_quote_is_named_at_the_quote() {
        let text = "metadata:\n  description: \"abc\nx: 1\n";
        let (l, c, m, _) = explained(text, "unclosed quote", "\"abc");
        assert_eq!((l, c), (2, 16));
        assert!(m.contains("never closed"));
    }

    #[test]
    fn never_panics_at_any_offset() {
        let texts = [
            include_str!("../../../specs/cassandra.yaml"),
            "a:\n\t- é: x: y\n  - 'q\n- k:\n    v: 1\n  w: é\r\n#\n",
            "k:",
            ":",
            "",
            "- a: b: c\n- : x\n",
        ];
        let infos = ["found a tab", "unclosed quote", "mapping values are not allowed in this context", "did not find expected key"];
        for text in texts {
            for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                for info in infos {
                    let _ = explain(text, offset, info);
                }
            }
        }
    }

    #[test]
    fn other_errors_keep_the_parsers_words() {
        assert_eq!(explain("a: [1, 2\n", 8, "did not find expected ',' or ']'"), None);
    }
}
