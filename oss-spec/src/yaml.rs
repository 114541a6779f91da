//! YAML to a spanned tree, safely.
//!
//! Owns: turning untrusted bytes into a [`Node`] tree where every value and key carries its
//! [`Span`], under [`Limits`]. The hardened parser is `serde-saphyr` (fuzzed, panic-free,
//! budgets for depth, nodes, aliases and scalar bytes; duplicate keys refused; YAML 1.2 core
//! schema with strict booleans, so `yes`/`on` stay strings). We deserialize into our own tree
//! rather than straight into the spec types so that the decoder can report *every* error of a
//! file at once, which serde's derive stops doing at the first. Must not: know the spec.

use crate::diag::{Code, Diagnostic};
use crate::source::{Source, SourceId, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Resource limits for one YAML input. Each is enforced while parsing, before work grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes (default 1 MiB).
    pub max_bytes: usize,
    /// Deepest nesting of maps and lists (default 32; a spec needs about 8).
    pub max_depth: usize,
    /// Most nodes (keys, values, list items; default 20 000).
    pub max_nodes: usize,
    /// Most alias uses (`*name`; default 100).
    pub max_aliases: usize,
    /// Most bytes in all scalars together (default 1 MiB).
    pub max_scalar_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_bytes: 1 << 20, max_depth: 32, max_nodes: 20_000, max_aliases: 100, max_scalar_bytes: 1 << 20 }
    }
}

/// A YAML value with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub span: Span,
}

/// A YAML value. Maps keep their written order; keys are nodes so that they carry spans.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float (finite: NaN and infinities are refused by the parser).
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in written order.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The YAML type's name, for "expected X, found Y" messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// A new node.
    #[must_use]
    pub fn new(value: Value, span: Span) -> Self {
        Self { value, span }
    }

    /// The string, when this is a string scalar.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entry under `key`, when this is a mapping that has it.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    fn relocate(&mut self, source: &Source, id: SourceId) {
        self.span.source = id;
        let end = source.text().len();
        self.span.start = self.span.start.min(end);
        self.span.len = self.span.len.min(end - self.span.start);
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.relocate(source, id)),
            Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.relocate(source, id);
                v.relocate(source, id);
            }),
            _ => {}
        }
    }
}

/// Parses one YAML document from `source` (with id `id`) into a spanned tree.
///
/// # Errors
/// One diagnostic: [`Code::YamlSyntax`] for malformed YAML (including duplicate keys, merge
/// keys and several documents in one file), [`Code::InputLimit`] when a limit is exceeded.
pub fn parse(source: &Source, id: SourceId, limits: &Limits) -> Result<Node, Diagnostic> {
    parse_at(source, id, 0, source.text().len(), limits)
}

/// Parses the YAML in `source.text()[start..start + len]`, with spans relative to the source.
pub(crate) fn parse_at(source: &Source, id: SourceId, start: usize, len: usize, limits: &Limits) -> Result<Node, Diagnostic> {
    let text = &source.text()[start..start + len];
    let point = |offset: usize| Span { source: id, start: start + offset, len: 0 };
    if text.len() > limits.max_bytes {
        return Err(Diagnostic::error(
            Code::InputLimit,
            format!("input is {} bytes, more than the limit of {} bytes", text.len(), limits.max_bytes),
        )
        .at(point(limits.max_bytes))
        .help("a service spec is a few kilobytes; split the input, or raise the limit with --max-bytes if it is legitimate"));
    }
    let mut budget = serde_saphyr::budget::Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    budget.max_total_scalar_bytes = limits.max_scalar_bytes;
    budget.max_documents = 1;
    budget.max_events = limits.max_nodes.saturating_mul(3);
    budget.max_merge_keys = 0;
    let options = serde_saphyr::options! {
        budget: Some(budget),
        strict_booleans: true,
        merge_keys: serde_saphyr::MergeKeyPolicy::Error,
    };
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(mut node) => {
            shift(&mut node, start);
            node.relocate(source, id);
            Ok(node)
        }
        Err(err) => Err(convert_error(source, id, start, text, &err, limits)),
    }
}

fn shift(node: &mut Node, by: usize) {
    node.span.start += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, by);
            shift(v, by);
        }),
        _ => {}
    }
}

fn convert_error(_source: &Source, id: SourceId, start: usize, text: &str, err: &serde_saphyr::Error, limits: &Limits) -> Diagnostic {
    // Line and column are reliable for every error kind; byte offsets are not (scanner errors).
    let offset = err.location().map_or(0, |loc| {
        let line = usize::try_from(loc.line()).unwrap_or(1);
        let col = usize::try_from(loc.column()).unwrap_or(1);
        offset_in(text, line, col)
    });
    let span = Span { source: id, start: start + offset.min(text.len()), len: 0 };
    let options = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
    let rendered = err.render_with_options(options);
    let mut message = strip_location_prefix(rendered.lines().next().unwrap_or("malformed YAML")).to_owned();
    let lower = message.to_ascii_lowercase();
    let (code, help) = if lower.contains("documents") || lower.contains("multiple yaml documents") {
        message = "a spec file holds exactly one YAML document, this one has several".to_owned();
        (Code::YamlSyntax, "remove the `---` separators, or put each service in its own file")
    } else if lower.contains("merge") {
        message = "YAML merge keys (`<<`) are not supported".to_owned();
        (Code::YamlSyntax, "write the keys out, or share settings with `extends:` in an overlay")
    } else if lower.contains("budget") || lower.contains("limit") || lower.contains("exceed") {
        message = budget_message(&lower, limits);
        (Code::InputLimit, "a service spec is small and shallow; remove alias chains and deep nesting, or split the input")
    } else if lower.contains("duplicate") {
        (Code::YamlSyntax, "a key may appear once per mapping; remove or rename one of them")
    } else if lower.contains("non-finite") {
        (Code::YamlSyntax, "use a finite number; `.nan` and `.inf` are not meaningful in a service spec")
    } else {
        (Code::YamlSyntax, "fix the YAML syntax at this place (check indentation, quotes and colons)")
    };
    if let Some(idx) = message.find(" at line ") {
        message.truncate(idx);
    }
    let mut message = lowercase_first(&message);
    if message.ends_with('.') {
        message.pop();
    }
    Diagnostic::error(code, message).at(span).help(help)
}

fn offset_in(text: &str, line: usize, col: usize) -> usize {
    let line_start = if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2).map_or(text.len(), |(i, _)| i + 1) };
    text[line_start..].char_indices().nth(col.saturating_sub(1)).map_or(text.len(), |(i, _)| line_start + i)
}

fn budget_message(lower: &str, limits: &Limits) -> String {
    if lower.contains("alias") || lower.contains("anchor") || lower.contains("replay") {
        format!("too many YAML aliases (the limit is {} alias uses)", limits.max_aliases)
    } else if lower.contains("depth") || lower.contains("nesting") {
        format!("nesting is deeper than the limit of {} levels", limits.max_depth)
    } else if lower.contains("scalar") {
        format!("strings total more than the limit of {} bytes", limits.max_scalar_bytes)
    } else if lower.contains("node") || lower.contains("event") {
        format!("more than the limit of {} YAML nodes", limits.max_nodes)
    } else {
        "the input exceeds a parser safety limit".to_owned()
    }
}

fn strip_location_prefix(line: &str) -> &str {
    // serde-saphyr prefixes "line N column M: "; our renderer prints the location itself.
    if let Some(rest) = line.strip_prefix("line ")
        && let Some(idx) = rest.find(": ")
        && rest[..idx].split(' ').all(|w| w == "column" || w.chars().all(|c| c.is_ascii_digit()))
    {
        return &rest[idx + 2..];
    }
    line.strip_prefix("error: ").unwrap_or(line)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if !s.starts_with("YAML") => c.to_lowercase().chain(chars).collect(),
        _ => s.to_owned(),
    }
}

/// Parses a multi-document stream of Kubernetes objects (an earlier bundle) into JSON values,
/// under the same limits per document (and at most 10 000 documents).
///
/// # Errors
/// A message with the line of the first problem.
pub fn parse_objects(text: &str, limits: &Limits) -> Result<Vec<serde_json::Value>, String> {
    let mut budget = serde_saphyr::budget::Budget::default();
    budget.max_depth = limits.max_depth.max(64);
    budget.max_documents = 10_000;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    let options = serde_saphyr::options! { budget: Some(budget), strict_booleans: true };
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple_with_options(text, options).map_err(|e| {
        let o = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
        e.render_with_options(o)
    })?;
    Ok(docs.into_iter().filter(|d| d.is_object()).collect())
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i128::try_from(v).map(Value::Int).map_err(|_| E::custom("integer is too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(node) = access.next_element::<Node>()? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = access.next_key::<Node>()? {
            let value = access.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Value>::deserialize(d)?;
        let span = spanned.referenced.span();
        // The source id and any offset are fixed up by `parse_at` once the tree is built.
        let start = span.byte_offset().and_then(|o| usize::try_from(o).ok()).unwrap_or(0);
        let len = span.byte_len().and_then(|o| usize::try_from(o).ok()).unwrap_or(0);
        Ok(Node { value: spanned.value, span: Span { source: SourceId(0), start, len } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    fn parse_str(text: &str) -> Result<Node, Diagnostic> {
        let mut sources = Sources::new();
        let id = sources.add("t.yaml", text);
        parse(sources.get(id), id, &Limits::default())
    }

    #[test]
    fn keys_and_values_carry_spans() {
        let node = parse_str("a: 1\nb:\n  c: hello\n").unwrap();
        let b = node.get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!(c.as_str(), Some("hello"));
        assert_eq!(c.span.start, 13);
        assert_eq!(c.span.len, 5);
    }

    #[test]
    fn yaml_11_booleans_stay_strings() {
        let node = parse_str("a: yes\nb: on\nc: true\n").unwrap();
        assert_eq!(node.get("a").unwrap().value, Value::Str("yes".into()));
        assert_eq!(node.get("b").unwrap().value, Value::Str("on".into()));
        assert_eq!(node.get("c").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn refusals_are_located_diagnostics() {
        let cases = [
            ("a: 1\na: 2\n", Code::YamlSyntax, 5),
            ("<<: {a: 1}\nb: 2\n", Code::YamlSyntax, 0),
            ("a: 1\n---\nb: 2\n", Code::YamlSyntax, 5),
            ("a: \"open\n", Code::YamlSyntax, 3),
            ("a: .nan\n", Code::YamlSyntax, 3),
        ];
        for (text, code, offset) in cases {
            let d = parse_str(text).unwrap_err();
            assert_eq!(d.code, code, "{text:?}: {d:?}");
            assert_eq!(d.span.unwrap().start, offset, "{text:?}: {d:?}");
            assert!(d.help.is_some());
        }
    }

    #[test]
    fn hostile_input_is_refused_by_limits() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse_str(&deep).unwrap_err().code, Code::InputLimit);
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        assert_eq!(parse_str(bomb).unwrap_err().code, Code::InputLimit);
        let big = "a: ".to_owned() + &"x".repeat(2 << 20);
        assert_eq!(parse_str(&big).unwrap_err().code, Code::InputLimit);
    }
}
