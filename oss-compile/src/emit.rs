//! Deterministic YAML emission.
//!
//! Owns: turning objects into bytes. The writer is ours (about a hundred lines) rather than a
//! YAML serializer crate so that every byte is decided here: block style, sequences at their
//! parent's indentation (as `kubectl` and `kustomize` print them), plain scalars only where no
//! YAML 1.1 or 1.2 reader could take them for anything but a string, double quotes (JSON
//! escapes) elsewhere, and literal blocks for multi-line text. Key order is the order of the
//! serialised value (struct field order; maps are BTreeMaps). Must not: reorder objects (that
//! is [`crate::bundle`]'s one job).

use serde_json::Value;
use std::fmt::Write as _;

pub mod direct;

/// Appends `value` as one YAML document (starting with `---`).
pub fn write_document(out: &mut String, value: &Value) {
    out.push_str("---\n");
    match value {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(out, a, 0),
        scalar => {
            write_scalar(out, scalar, 0);
            out.push('\n');
        }
    }
}

/// Renders one value as a YAML document.
#[must_use]
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, ind: usize) {
    write_map_after(out, map, ind, false);
}

/// Writes a mapping at indentation `ind`; with `hanging`, its first key goes where the output
/// already is (after a list item's `- `).
fn write_map_after(out: &mut String, map: &serde_json::Map<String, Value>, ind: usize, hanging: bool) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 || !hanging {
            indent(out, ind);
        }
        write_string(out, k, ind);
        out.push(':');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_map(out, m, ind + 2);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                write_seq(out, a, ind);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, ind + 2);
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], ind: usize) {
    write_seq_after(out, items, ind, false);
}

/// Writes a sequence at indentation `ind`; with `hanging`, its first `- ` goes where the output
/// already is (after an enclosing item's `- `).
fn write_seq_after(out: &mut String, items: &[Value], ind: usize, hanging: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !hanging {
            indent(out, ind);
        }
        out.push_str("- ");
        // A block item starts on the marker's line, indented under it from its second line on.
        match item {
            Value::Object(m) if !m.is_empty() => write_map_after(out, m, ind + 2, true),
            Value::Array(a) if !a.is_empty() => write_seq_after(out, a, ind + 2, true),
            _ => {
                write_scalar(out, item, ind + 2);
                out.push('\n');
            }
        }
    }
}

fn write_scalar(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s, ind),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// Words some YAML reader (1.1 or 1.2) resolves to a non-string.
const RESERVED: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    (first.is_ascii_alphabetic() || first == '_' || first == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

fn is_literal_safe(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && s.chars().all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}' && c != '\u{85}' && c != '\u{2028}' && c != '\u{2029}'))
        && s.split('\n').all(|line| !line.ends_with(' '))
}

fn write_string(out: &mut String, s: &str, ind: usize) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if is_literal_safe(s) {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        out.push_str(match trailing {
            0 => "|-",
            1 => "|",
            _ => "|+",
        });
        for line in s[..s.len() - trailing.min(1)].split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, ind);
                out.push_str(line);
            }
        }
    } else {
        write_json_string(out, s);
    }
}

/// A double-quoted scalar with JSON's escapes (valid YAML), written in place.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoted_strings_are_json_strings() {
        for s in ["", "a\"b", "back\\slash", "tab\tnew\nline\r", "\u{0}\u{1f}\u{7f}\u{8}\u{c}", "é ü 漢字 🙂", "yes", "1.0", "- a"] {
            let mut out = String::new();
            write_json_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn nested_lists_hang_off_their_markers() {
        let v = json!({"a": [[1, 2], {"b": 1, "c": [3]}, [[4]]]});
        assert_eq!(to_yaml(&v), "---\na:\n- - 1\n  - 2\n- b: 1\n  c:\n  - 3\n- - - 4\n");
    }

    #[test]
    fn block_layout_matches_kubectl_style() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"labels": {"app.kubernetes.io/name": "db"}, "name": "db"},
            "spec": {"ports": [{"name": "cql", "port": 9042}], "selector": {}, "clusterIP": "None", "x": []}
        });
        assert_eq!(
            to_yaml(&v),
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    app.kubernetes.io/name: db\n  name: db\nspec:\n  ports:\n  - name: cql\n    port: 9042\n  selector: {}\n  clusterIP: None\n  x: []\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for (s, want) in [
            ("yes", "\"yes\""),
            ("On", "\"On\""),
            ("null", "\"null\""),
            ("1", "\"1\""),
            ("1Gi", "\"1Gi\""),
            ("0x10", "\"0x10\""),
            (".inf", "\".inf\""),
            ("a: b", "\"a: b\""),
            ("- x", "\"- x\""),
            ("", "\"\""),
            ("docker.io/x:1", "\"docker.io/x:1\""),
            ("tab\there", "\"tab\\there\""),
            ("app.kubernetes.io/name", "app.kubernetes.io/name"),
            ("RuntimeDefault", "RuntimeDefault"),
        ] {
            let mut out = String::new();
            write_string(&mut out, s, 0);
            assert_eq!(out, want, "{s:?}");
        }
    }

    #[test]
    fn multi_line_strings_become_literal_blocks() {
        let v = json!({"a": {"script": "line one\n\nline two\n"}, "b": "x\ny", "c": "trailing \nspace"});
        assert_eq!(to_yaml(&v), "---\na:\n  script: |\n    line one\n\n    line two\nb: |-\n  x\n  y\nc: \"trailing \\nspace\"\n");
    }

    #[test]
    fn nested_sequences_and_maps_in_sequences() {
        let v = json!({"a": [[1, 2], {"k": [3]}]});
        assert_eq!(to_yaml(&v), "---\na:\n- - 1\n  - 2\n- k:\n  - 3\n");
    }
}
