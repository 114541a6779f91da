//! The spanned tree, built straight from the parser's event stream.
//!
//! Owns: turning `granit-parser` events (the scanner and parser under serde-saphyr, fuzzed and
//! panic-free) into a [`Node`] tree in one pass, enforcing [`Limits`] as the events arrive, and
//! resolving plain scalars by the YAML 1.2 core schema. Going through serde instead cost four
//! times as much (a `Spanned` newtype per node, then two more passes to fix spans): see
//! docs/performance.md. Must not: know the spec.
//!
//! Decisions, all refusals with a location:
//! - one document per file; a mapping key at most once; no merge keys (`<<`);
//! - keys are scalars (a spec never needs a list or mapping as a key);
//! - tags: only the core schema's (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`,
//!   `!!map`) and the non-specific `!`; any other tag would silently mean nothing to us;
//! - `.nan`, `.inf` and numbers too large for a double are refused, not kept as strings.
//!
//! Plain scalars follow the YAML 1.2 core schema exactly: `true`/`True`/`TRUE` (not `yes`/`on`),
//! `null`/`~`/empty, decimal integers with an optional sign, `0o` octal, `0x` hex, and floats;
//! everything else (including `1_000` and `0b101`, which YAML 1.1 read as numbers) is a string.

use super::{Limits, Node, Value};
use crate::diag::Code;
use crate::source::{SourceId, Span};
use serde_saphyr::granit_parser::{ErrorKind, Event, Parser, ScalarStyle, ScanError, StructureStyle, Tag};
use std::borrow::Cow;
use std::collections::HashSet;

/// Why the input was refused, relative to the parsed text.
#[derive(Debug)]
pub(super) struct Refusal {
    pub offset: usize,
    pub code: Code,
    pub message: String,
    pub help: std::borrow::Cow<'static, str>,
}

impl Refusal {
    fn syntax(offset: usize, message: impl Into<String>, help: &'static str) -> Self {
        Self { offset, code: Code::YamlSyntax, message: message.into(), help: help.into() }
    }
    fn limit(offset: usize, message: String) -> Self {
        Self {
            offset,
            code: Code::InputLimit,
            message,
            help: "a service spec is small and shallow; remove alias chains and deep nesting, or split the input".into(),
        }
    }
    /// Nesting past `limits.max_depth`, whether our count or the parser's own guard saw it.
    fn too_deep(offset: usize, limits: &Limits) -> Self {
        Self::limit(offset, format!("nesting is deeper than the limit of {} levels", limits.max_depth))
    }
    /// A list or mapping where a key goes (written there, or brought there by an alias).
    fn complex_key(offset: usize) -> Self {
        Self::syntax(offset, "a mapping key must be a plain value, not a list or mapping", "write the key as a string")
    }
}

const SYNTAX_HELP: &str = "fix the YAML syntax at this place (check indentation, quotes and colons)";
const TAG_HELP: &str = "remove the tag; a spec's values are plain YAML (quote a value to make it a string)";

/// Parses `text` (one YAML document) into a tree whose spans are in source `id`, with `text`
/// starting at byte `base` of that source. Refusal offsets are relative to `text`.
pub(super) fn build(text: &str, limits: &Limits, id: SourceId, base: usize) -> Result<Node, Refusal> {
    Builder { limits, id, base, stack: Vec::new(), anchors: Vec::new(), nodes: 0, scalar_bytes: 0, aliases: 0, root: None, documents: 0 }
        .run(text)
}

/// A mapping key's identity for the duplicate check (scalars only).
#[derive(Hash, PartialEq, Eq)]
enum KeyId {
    Null,
    Bool(bool),
    Int(i128),
    Float(u64),
    Str(String),
}

impl KeyId {
    fn of(value: &Value) -> Option<Self> {
        Some(match value {
            Value::Null => KeyId::Null,
            Value::Bool(b) => KeyId::Bool(*b),
            Value::Int(i) => KeyId::Int(*i),
            Value::Float(f) => KeyId::Float(f.to_bits()),
            Value::Str(s) => KeyId::Str(s.clone()),
            Value::Seq(_) | Value::Map(_) => return None,
        })
    }
}

/// Mappings up to this many entries check duplicates by scanning; larger ones keep a set, so
/// that a hostile mapping with thousands of keys costs linear time, not quadratic.
const SCAN_LIMIT: usize = 16;

enum Kind {
    Seq(Vec<Node>),
    Map { entries: Vec<(Node, Node)>, key: Option<Node>, seen: Option<HashSet<KeyId>> },
}

struct Frame {
    kind: Kind,
    start: usize,
    len: usize,
    anchor: usize,
    nodes_before: usize,
    bytes_before: usize,
}

struct Anchored {
    id: usize,
    node: Node,
    nodes: usize,
    bytes: usize,
}

struct Builder<'l> {
    limits: &'l Limits,
    id: SourceId,
    base: usize,
    stack: Vec<Frame>,
    anchors: Vec<Anchored>,
    nodes: usize,
    scalar_bytes: usize,
    aliases: usize,
    root: Option<Node>,
    documents: usize,
}

impl<'l> Builder<'l> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span { source: self.id, start: self.base + start, len: end.saturating_sub(start) }
    }

    fn run(mut self, text: &str) -> Result<Node, Refusal> {
        for item in Parser::new_from_str(text) {
            let (event, span) = item.map_err(|e| self.scan_error(text, &e))?;
            let start = span.start.byte_offset().unwrap_or(0).min(text.len());
            let end = span.end.byte_offset().unwrap_or(start).clamp(start, text.len());
            // Tag errors point at the tag, which may stand apart from the value.
            let tag_at = span.tag_start.and_then(|m| m.byte_offset()).map_or(start, |o| o.min(text.len()));
            match event {
                Event::DocumentStart(..) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(Refusal::syntax(
                            start,
                            "a spec file holds exactly one YAML document, this one has several",
                            "remove the `---` separators, or put each service in its own file",
                        ));
                    }
                }
                Event::Scalar(written, style, anchor, tag) => {
                    let bytes = written.len();
                    self.count(start, 1, bytes)?;
                    if style == ScalarStyle::Plain && tag.is_none() && written == "<<" && self.expects_key() {
                        return Err(Refusal::syntax(
                            start,
                            "YAML merge keys (`<<`) are not supported",
                            "write the keys out, or share settings with `extends:` in an overlay",
                        ));
                    }
                    let value = scalar(written, style, tag.as_deref(), tag_at)?;
                    self.finish(Node::new(value, self.span(start, end)), anchor, 1, bytes)?;
                }
                Event::SequenceStart(style, anchor, tag) => {
                    collection_tag(tag.as_deref(), "seq", tag_at)?;
                    self.open(Kind::Seq(Vec::new()), start, style, anchor)?;
                }
                Event::MappingStart(style, anchor, tag) => {
                    collection_tag(tag.as_deref(), "map", tag_at)?;
                    self.open(Kind::Map { entries: Vec::new(), key: None, seen: None }, start, style, anchor)?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(end)?,
                Event::Alias(id) => self.alias(id, start, end)?,
                // Stream and document ends, and metadata events this parser is not asked for.
                _ => {}
            }
        }
        let empty = self.span(0, 0);
        Ok(self.root.unwrap_or_else(|| Node::new(Value::Null, empty)))
    }

    fn scan_error(&self, text: &str, e: &ScanError) -> Refusal {
        let marker = e.marker();
        let offset = marker.byte_offset().unwrap_or_else(|| super::offset_in(text, marker.line(), marker.col() + 1)).min(text.len());
        match e.kind() {
            ErrorKind::RecursionLimitExceeded => Refusal::too_deep(offset, self.limits),
            ErrorKind::InputByteLimitExceeded { .. }
            | ErrorKind::DirectiveByteLimitExceeded { .. }
            | ErrorKind::TooManyReservedDirectiveParams { .. }
            | ErrorKind::AnchorCountOverflow => Refusal::limit(offset, format!("the input exceeds a parser safety limit: {}", e.info())),
            _ => match super::syntax::explain(text, offset, &e.info().to_string()) {
                Some((at, message, help)) => Refusal { offset: at, code: Code::YamlSyntax, message, help: help.into() },
                None => Refusal::syntax(offset, e.info(), SYNTAX_HELP),
            },
        }
    }

    fn count(&mut self, at: usize, nodes: usize, bytes: usize) -> Result<(), Refusal> {
        self.nodes += nodes;
        if self.nodes > self.limits.max_nodes {
            return Err(Refusal::limit(at, format!("more than the limit of {} YAML nodes", self.limits.max_nodes)));
        }
        self.scalar_bytes += bytes;
        if self.scalar_bytes > self.limits.max_scalar_bytes {
            return Err(Refusal::limit(at, format!("strings total more than the limit of {} bytes", self.limits.max_scalar_bytes)));
        }
        Ok(())
    }

    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame { kind: Kind::Map { key: None, .. }, .. }))
    }

    fn open(&mut self, kind: Kind, start: usize, style: StructureStyle, anchor: usize) -> Result<(), Refusal> {
        self.count(start, 1, 0)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(Refusal::too_deep(start, self.limits));
        }
        if self.expects_key() {
            return Err(Refusal::complex_key(start));
        }
        // A collection is reported at its first character: the bracket of a flow collection,
        // a point before the first entry of a block one. A label spanning the whole block would
        // repeat the file in the diagnostic.
        let len = usize::from(style == StructureStyle::Flow);
        self.stack.push(Frame { kind, start, len, anchor, nodes_before: self.nodes - 1, bytes_before: self.scalar_bytes });
        Ok(())
    }

    fn close(&mut self, end: usize) -> Result<(), Refusal> {
        let Some(frame) = self.stack.pop() else {
            return Err(Refusal::syntax(end, "unbalanced YAML collection", SYNTAX_HELP));
        };
        let value = match frame.kind {
            Kind::Seq(items) => Value::Seq(items),
            Kind::Map { entries, .. } => Value::Map(entries),
        };
        let node = Node::new(value, self.span(frame.start, frame.start + frame.len));
        let (nodes, bytes) = (self.nodes - frame.nodes_before, self.scalar_bytes - frame.bytes_before);
        self.finish(node, frame.anchor, nodes, bytes)
    }

    fn alias(&mut self, id: usize, start: usize, end: usize) -> Result<(), Refusal> {
        self.aliases += 1;
        if self.aliases > self.limits.max_aliases {
            return Err(Refusal::limit(start, format!("too many YAML aliases (the limit is {} alias uses)", self.limits.max_aliases)));
        }
        let Some(index) = self.anchors.iter().rposition(|a| a.id == id) else {
            return Err(Refusal::syntax(
                start,
                "this alias refers to a collection that contains it",
                "an alias may only repeat a value that is complete where the alias is used",
            ));
        };
        let (nodes, bytes) = (self.anchors[index].nodes, self.anchors[index].bytes);
        // Count before copying, so that an alias bomb is refused before it allocates.
        self.count(start, nodes, bytes)?;
        let mut node = self.anchors[index].node.clone();
        // The copy is reported where it is used; the value's own spans stay on its definition.
        node.span = self.span(start, end);
        self.finish(node, 0, nodes, bytes)
    }

    /// Places a complete node: as the root, a list item, a key or a value.
    fn finish(&mut self, node: Node, anchor: usize, nodes: usize, bytes: usize) -> Result<(), Refusal> {
        if anchor != 0 {
            if self.anchors.len() >= self.limits.max_aliases {
                let limit = self.limits.max_aliases;
                return Err(Refusal::limit(node.span.start - self.base, format!("too many YAML anchors (the limit is {limit})")));
            }
            self.anchors.push(Anchored { id: anchor, node: node.clone(), nodes, bytes });
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut frame.kind {
            Kind::Seq(items) => items.push(node),
            Kind::Map { entries, key, seen } => match key.take() {
                Some(k) => entries.push((k, node)),
                None => {
                    check_key(&node, entries, seen, self.base)?;
                    *key = Some(node);
                }
            },
        }
        Ok(())
    }
}

fn check_key(node: &Node, entries: &[(Node, Node)], seen: &mut Option<HashSet<KeyId>>, base: usize) -> Result<(), Refusal> {
    let at = node.span.start - base;
    let Some(id) = KeyId::of(&node.value) else {
        return Err(Refusal::complex_key(at));
    };
    let duplicate = match seen {
        Some(set) => !set.insert(id),
        None => {
            let found = entries.iter().any(|(k, _)| k.value == node.value);
            if entries.len() + 1 >= SCAN_LIMIT {
                let mut set: HashSet<KeyId> = entries.iter().filter_map(|(k, _)| KeyId::of(&k.value)).collect();
                set.insert(id);
                *seen = Some(set);
            }
            found
        }
    };
    if duplicate {
        let name = node.as_str().map_or_else(|| "this key".to_owned(), |s| format!("key `{s}`"));
        return Err(Refusal::syntax(
            at,
            format!("duplicate mapping key: {name} appears twice in this mapping"),
            "a key may appear once per mapping; remove or rename one of them",
        ));
    }
    Ok(())
}

fn core_suffix(tag: &Tag) -> Option<&str> {
    ["str", "int", "float", "bool", "null", "seq", "map"].into_iter().find(|s| tag.is_yaml_core_schema_tag(s))
}

fn is_non_specific(tag: &Tag) -> bool {
    tag.parts() == ("", "!")
}

fn unsupported_tag(tag: &Tag, at: usize) -> Refusal {
    Refusal::syntax(at, format!("YAML tag `{}` is not supported here", tag.original()), TAG_HELP)
}

fn collection_tag(tag: Option<&Tag>, expected: &str, at: usize) -> Result<(), Refusal> {
    match tag {
        None => Ok(()),
        Some(t) if is_non_specific(t) || core_suffix(t) == Some(expected) => Ok(()),
        Some(t) => Err(unsupported_tag(t, at)),
    }
}

fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>, at: usize) -> Result<Value, Refusal> {
    let wrong = |text: &str, what: &str| Refusal::syntax(at, format!("`{text}` is not {what}"), TAG_HELP);
    match tag {
        None if style == ScalarStyle::Plain => plain(&text, at),
        None => Ok(Value::Str(text.into_owned())),
        Some(t) if is_non_specific(t) => Ok(Value::Str(text.into_owned())),
        Some(t) => match core_suffix(t) {
            Some("str") => Ok(Value::Str(text.into_owned())),
            Some("int") => match plain(&text, at)? {
                v @ Value::Int(_) => Ok(v),
                _ => Err(wrong(&text, "an integer")),
            },
            Some("float") => match plain(&text, at)? {
                Value::Int(i) => Ok(Value::Float(i as f64)),
                v @ Value::Float(_) => Ok(v),
                _ => Err(wrong(&text, "a number")),
            },
            Some("bool") => match plain(&text, at)? {
                v @ Value::Bool(_) => Ok(v),
                _ => Err(wrong(&text, "a boolean (`true` or `false`)")),
            },
            Some("null") => match plain(&text, at)? {
                Value::Null => Ok(Value::Null),
                _ => Err(wrong(&text, "null")),
            },
            _ => Err(unsupported_tag(t, at)),
        },
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn plain(text: &str, at: usize) -> Result<Value, Refusal> {
    let non_finite = || {
        Refusal::syntax(
            at,
            format!("`{text}` is a non-finite number"),
            "use a finite number; `.nan` and `.inf` are not meaningful in a service spec",
        )
    };
    Ok(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Err(non_finite()),
        _ => {
            let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
            if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
                return Err(non_finite());
            }
            if let Some(digits) = text.strip_prefix("0o").filter(|d| !d.is_empty() && d.bytes().all(|b| matches!(b, b'0'..=b'7'))) {
                return Ok(i128::from_str_radix(digits, 8).map_or_else(|_| Value::Str(text.to_owned()), Value::Int));
            }
            if let Some(digits) = text.strip_prefix("0x").filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Ok(i128::from_str_radix(digits, 16).map_or_else(|_| Value::Str(text.to_owned()), Value::Int));
            }
            if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(i) = text.parse::<i128>() {
                    return Ok(Value::Int(i));
                }
            } else if !is_core_float(unsigned) {
                return Ok(Value::Str(text.to_owned()));
            }
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Value::Float(f),
                _ => return Err(non_finite()),
            }
        }
    })
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float without its sign.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        let from = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i, i - from)
    };
    let (mut i, whole) = digits(0);
    if i < b.len() && b[i] == b'.' {
        let (j, fraction) = digits(i + 1);
        if whole == 0 && fraction == 0 {
            return false;
        }
        i = j;
    } else if whole == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let (j, exponent) = digits(i);
        if exponent == 0 {
            return false;
        }
        i = j;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, Refusal> {
        build(text, &Limits::default(), SourceId(0), 0)
    }

    fn value(text: &str) -> Value {
        plain(text, 0).unwrap()
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(value(t), Value::Null, "{t:?}");
        }
        assert_eq!(value("True"), Value::Bool(true));
        assert_eq!(value("FALSE"), Value::Bool(false));
        assert_eq!(value("-12"), Value::Int(-12));
        assert_eq!(value("+7"), Value::Int(7));
        assert_eq!(value("012"), Value::Int(12));
        assert_eq!(value("0o17"), Value::Int(15));
        assert_eq!(value("0xff"), Value::Int(255));
        assert_eq!(value("1.5"), Value::Float(1.5));
        assert_eq!(value("-.5e1"), Value::Float(-5.0));
        assert_eq!(value("3."), Value::Float(3.0));
        assert_eq!(value("1e3"), Value::Float(1000.0));
        assert_eq!(value("123456789012345678901234567890123456789012"), Value::Float(1.2345678901234568e41));
        for t in ["yes", "on", "1_000", "0b101", "0x", "0o8", "1e", "1.2.3", ".", "-", "+0x1", "1Gi", "50%", "e3", "inf", "nan"] {
            assert_eq!(value(t), Value::Str(t.to_owned()), "{t:?}");
        }
        for t in [".nan", ".inf", "-.Inf", "+.INF", "1e999"] {
            assert!(plain(t, 0).is_err(), "{t:?}");
        }
    }

    #[test]
    fn duplicate_keys_are_found_in_large_mappings_too() {
        let small = "a: 1\nb: 2\na: 3\n";
        assert!(parse(small).unwrap_err().message.contains("`a`"));
        let mut large: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(parse(&large).is_ok());
        large.push_str("k42: again\n");
        let refusal = parse(&large).unwrap_err();
        assert!(refusal.message.contains("`k42`"), "{}", refusal.message);
        assert_eq!(refusal.offset, large.len() - "k42: again\n".len());
    }

    #[test]
    fn tags_are_core_schema_or_refused() {
        let node = parse("a: !!str 5\nb: !!int '7'\nc: ! 8\nd: !!seq [1]\n").unwrap();
        assert_eq!(node.get("a").unwrap().value, Value::Str("5".into()));
        assert_eq!(node.get("b").unwrap().value, Value::Int(7));
        assert_eq!(node.get("c").unwrap().value, Value::Str("8".into()));
        for bad in ["a: !custom x\n", "a: !!int x\n", "a: !!map [1]\n", "a: !!binary aGk=\n"] {
            let refusal = parse(bad).unwrap_err();
            assert_eq!(refusal.code, Code::YamlSyntax, "{bad}");
            assert_eq!(refusal.offset, 3, "{bad}");
        }
    }

    #[test]
    fn aliases_copy_complete_values_within_budget() {
        let node = parse("a: &x {b: 1}\nc: *x\n").unwrap();
        assert_eq!(node.get("c").unwrap().get("b").unwrap().value, Value::Int(1));
        assert_eq!(node.get("c").unwrap().span.start, 16);
        let refusal = parse("a: &x [1, *x]\n").unwrap_err();
        assert!(refusal.message.contains("contains it"), "{}", refusal.message);
        let limits = Limits { max_nodes: 10, ..Limits::default() };
        assert_eq!(build("a: &x [1, 2, 3, 4]\nb: *x\nc: *x\n", &limits, SourceId(0), 0).unwrap_err().code, Code::InputLimit);
    }

    #[test]
    fn complex_keys_are_refused() {
        assert_eq!(parse("? [a]\n: 1\n").unwrap_err().code, Code::YamlSyntax);
        assert_eq!(parse("{a: 1}: 2\n").unwrap_err().code, Code::YamlSyntax);
        // An alias can bring a list to a key's place too.
        let refusal = parse("a: &x [1]\n*x : 2\n").unwrap_err();
        assert_eq!((refusal.code, refusal.offset), (Code::YamlSyntax, 10));
        assert!(refusal.message.contains("plain value"), "{}", refusal.message);
    }
}
