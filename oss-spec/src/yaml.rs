//! YAML to a spanned tree, safely.
//!
//! Owns: turning untrusted bytes into a [`Node`] tree where every value and key carries its
//! [`Span`], under [`Limits`]. The scanner and parser are `granit-parser` (the fuzzed,
//! panic-free parser under `serde-saphyr`); [`tree`] builds the tree from its events in one pass,
//! enforcing the limits as events arrive, refusing duplicate and merge keys, and resolving
//! scalars by the YAML 1.2 core schema (so `yes`/`on` stay strings). We build our own tree rather
//! than deserialize straight into the spec types so that the decoder can report *every* error
//! of a file at once, which serde's derive stops doing at the first. Multi-document bundles of
//! Kubernetes objects (no spans needed) go through `serde-saphyr` itself: [`parse_objects`].
//! Must not: know the spec.

use crate::diag::{Code, Diagnostic};
use crate::source::{Source, SourceId, Span};

mod syntax;
mod tree;

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
}

/// Parses one YAML document from `source` (with id `id`) into a spanned tree.
///
/// # Errors
/// One diagnostic: [`Code::YamlSyntax`] for malformed YAML (including duplicate keys, merge
/// keys and several documents in one file), [`Code::InputLimit`] when a limit is exceeded.
pub fn parse(source: &Source, id: SourceId, limits: &Limits) -> Result<Node, Box<Diagnostic>> {
    parse_at(source, id, 0, source.text().len(), limits)
}

/// Parses the YAML in `source.text()[start..start + len]`, with spans relative to the source.
pub(crate) fn parse_at(source: &Source, id: SourceId, start: usize, len: usize, limits: &Limits) -> Result<Node, Box<Diagnostic>> {
    let text = &source.text()[start..start + len];
    let point = |offset: usize| Span { source: id, start: start + offset, len: 0 };
    if text.len() > limits.max_bytes {
        return Err(Box::new(
            Diagnostic::error(
                Code::InputLimit,
                format!("input is {} bytes, more than the limit of {} bytes", text.len(), limits.max_bytes),
            )
            .at(point(limits.max_bytes))
            .help("a service spec is a few kilobytes; split the input, or raise the limit with --max-bytes if it is legitimate"),
        ));
    }
    tree::build(text, limits, id, start).map_err(|r| {
        let mut message = lowercase_first(r.message.trim());
        if message.ends_with('.') {
            message.pop();
        }
        Box::new(Diagnostic::error(r.code, message).at(point(r.offset.min(text.len()))).help(r.help))
    })
}

fn offset_in(text: &str, line: usize, col: usize) -> usize {
    let line_start = if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2).map_or(text.len(), |(i, _)| i + 1) };
    text[line_start..].char_indices().nth(col.saturating_sub(1)).map_or(text.len(), |(i, _)| line_start + i)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    fn parse_str(text: &str) -> Result<Node, Box<Diagnostic>> {
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

    /// Our core-schema resolution agrees with serde-saphyr's on every catalog spec.
    #[test]
    fn catalog_specs_read_the_same_as_serde_saphyr() {
        fn json(node: &Node) -> serde_json::Value {
            use serde_json::Value as J;
            match &node.value {
                Value::Null => J::Null,
                Value::Bool(b) => J::Bool(*b),
                Value::Int(i) => J::from(i64::try_from(*i).unwrap()),
                Value::Float(f) => J::from(*f),
                Value::Str(s) => J::String(s.clone()),
                Value::Seq(items) => J::Array(items.iter().map(json).collect()),
                Value::Map(entries) => J::Object(entries.iter().map(|(k, v)| (k.as_str().unwrap().to_owned(), json(v))).collect()),
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let ours = json(&parse_str(&text).unwrap());
            let options = serde_saphyr::options! { strict_booleans: true };
            let theirs: serde_json::Value = serde_saphyr::from_str_with_options(&text, options).unwrap();
            assert_eq!(ours, theirs);
            checked += 1;
        }
        assert!(checked >= 12, "{checked}");
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
