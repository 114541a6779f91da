//! `--set PATH=VALUE`: set one spec value by its dotted path, typed and validated like the file.
//!
//! Owns: applying flags to the YAML tree before decoding, so that a flag's value goes through
//! the same decoder as the file and errors point into the flag's own text. Must not: know the
//! schema (an unknown path is caught by the decoder, located in the flag).

use crate::diag::{Code, Diagnostic};
use crate::source::{Source, SourceId, Span};
use crate::yaml::{self, Limits, Node, Value};

/// Applies one `--set` flag (its text is `source`) to `root`.
///
/// # Errors
/// A located diagnostic when the flag is malformed or its path runs through a scalar.
pub fn apply(root: &mut Node, source: &Source, id: SourceId, limits: &Limits) -> Result<(), Box<Diagnostic>> {
    let text = source.text();
    let at = |start: usize, len: usize| Span { source: id, start, len };
    let Some(eq) = text.find('=') else {
        return Err(Box::new(
            Diagnostic::error(Code::InvalidSet, format!("`--set {text}` has no `=`"))
                .at(at(0, text.len()))
                .help("write `--set PATH=VALUE`, e.g. `--set redundancy.replicas=5`"),
        ));
    };
    let path = &text[..eq];
    let mut value = yaml::parse_at(source, id, eq + 1, text.len() - eq - 1, limits)?;
    if value.span.len == 0 && value.value == Value::Null {
        value.span = at(eq, 1);
    }
    let mut segments = Vec::new();
    let mut start = 0;
    for seg in path.split('.') {
        if seg.is_empty() {
            return Err(Box::new(
                Diagnostic::error(Code::InvalidSet, format!("`--set` path `{path}` has an empty segment"))
                    .at(at(start, 0))
                    .help("separate keys with single dots, e.g. `redundancy.replicas`"),
            ));
        }
        segments.push((seg, at(start, seg.len())));
        start += seg.len() + 1;
    }
    let mut node = root;
    for (i, (seg, span)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if node.value == Value::Null {
            node.value = Value::Map(Vec::new());
        }
        let next = match &mut node.value {
            Value::Map(entries) if last && value.value == Value::Null => {
                // `--set a.b=null` removes the value, as `null` does in an overlay.
                entries.retain(|(k, _)| k.as_str() != Some(seg));
                return Ok(());
            }
            Value::Map(entries) => {
                let pos = match entries.iter().position(|(k, _)| k.as_str() == Some(seg)) {
                    Some(p) => p,
                    None => {
                        let fresh = Node::new(Value::Map(Vec::new()), *span);
                        entries.push((Node::new(Value::Str((*seg).to_owned()), *span), fresh));
                        entries.len() - 1
                    }
                };
                &mut entries[pos].1
            }
            Value::Seq(items) => {
                let len = items.len();
                match seg.parse::<usize>().ok().filter(|&n| n < len) {
                    Some(n) => &mut items[n],
                    None => {
                        return Err(Box::new(
                            Diagnostic::error(Code::InvalidSet, format!("`{seg}` is not an index of this list (it has {len} items)"))
                                .at(*span)
                                .help(format!("use an index from 0 to {}", len.saturating_sub(1))),
                        ));
                    }
                }
            }
            other => {
                return Err(Box::new(
                    Diagnostic::error(Code::InvalidSet, format!("cannot set `{seg}` inside {}", other.type_name())).at(*span).help(
                        format!("`{}` is a single value; set it directly", segments[..i].iter().map(|s| s.0).collect::<Vec<_>>().join(".")),
                    ),
                ));
            }
        };
        if last {
            *next = value;
            return Ok(());
        }
        node = next;
    }
    Ok(())
}
