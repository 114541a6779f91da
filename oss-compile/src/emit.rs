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

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, ind: usize) {
    for (k, v) in map {
        indent(out, ind);
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
    for item in items {
        indent(out, ind);
        out.push_str("- ");
        if is_block(item) {
            // Render the item at ind + 2, then drop the indentation of its first line: it
            // follows the "- " marker.
            let mut nested = String::new();
            match item {
                Value::Object(m) => write_map(&mut nested, m, ind + 2),
                Value::Array(a) => write_seq(&mut nested, a, ind + 2),
                _ => {}
            }
            out.push_str(&nested[ind + 2..]);
        } else {
            write_scalar(out, item, ind + 2);
            out.push('\n');
        }
    }
}

fn write_scalar(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
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
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
