//! Overlays: `extends:` chains and `-f` layering, merged on the YAML tree before decoding.
//!
//! Owns: resolution of `extends` through a caller-provided [`Resolver`] (this crate reads no
//! files), cycle and depth checks, and the merge rules (docs/overlays.md):
//! - mappings merge key by key; a later file's value wins;
//! - `null` in a later file removes the key;
//! - named lists (`function.endpoints`, `function.peerPorts`, `runtime.components`) merge item by item by `name`;
//! - every other list is replaced whole;
//! - a mapping meeting a non-mapping is a type clash (OSS028).
//!
//! Every node keeps the span of the file it came from, so errors in a base are reported at the
//! base's line and column, and `ossc explain --origins` can say which file set each value.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceId, Sources, Span};
use crate::yaml::{self, Limits, Node, Value};

/// Supplies the text of the spec a document `extends`.
pub trait Resolver {
    /// The display name and text of `reference` (as written in `extends:`) for the document
    /// named `from`. The error is a sentence saying why it cannot be had.
    ///
    /// # Errors
    /// When the base does not exist or cannot be read.
    fn resolve(&self, from: &str, reference: &str) -> Result<(String, String), String>;
}

/// A resolver that refuses every `extends` (for callers without a file system or catalog).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResolver;

impl Resolver for NoResolver {
    fn resolve(&self, _from: &str, reference: &str) -> Result<(String, String), String> {
        Err(format!("this caller resolves no bases, so `extends: {reference}` cannot be followed"))
    }
}

/// Longest `extends` chain.
pub const MAX_CHAIN: usize = 16;

/// Lists merged item by item by their `name`.
const NAMED_LISTS: &[&str] = &["function.endpoints", "function.peerPorts", "runtime.components"];

/// Parses `source` and follows its `extends` chain; returns the merged tree without `extends`.
pub(crate) fn expand(
    sources: &mut Sources,
    id: SourceId,
    resolver: &dyn Resolver,
    limits: &Limits,
    chain: &mut Vec<(String, Option<Span>)>,
    diags: &mut Diagnostics,
) -> Option<Node> {
    let mut root = match yaml::parse(sources.get(id), id, limits) {
        Ok(root) => root,
        Err(d) => {
            diags.push(*d);
            return None;
        }
    };
    let Some(extends) = take_key(&mut root, "extends") else { return Some(root) };
    let Value::Str(reference) = &extends.value else {
        diags.push(
            Diagnostic::error(Code::WrongType, "`extends` must be a string: a catalog name or a relative path")
                .at(extends.span)
                .help("write `extends: cassandra` or `extends: ./base.yaml`"),
        );
        return None;
    };
    let from = sources.get(id).name().to_owned();
    let chain_text = |chain: &[(String, Option<Span>)], sources: &Sources| {
        chain.iter().map(|(name, span)| span.map_or_else(|| name.clone(), |s| sources.location(s))).collect::<Vec<_>>().join(" -> ")
    };
    if chain.len() >= MAX_CHAIN {
        diags.push(
            Diagnostic::error(Code::ExtendsError, format!("the `extends` chain is longer than {MAX_CHAIN} files"))
                .at(extends.span)
                .help(format!("flatten the chain: {}", chain_text(chain, sources))),
        );
        return None;
    }
    let (base_name, base_text) = match resolver.resolve(&from, reference) {
        Ok(found) => found,
        Err(why) => {
            diags.push(Diagnostic::error(Code::ExtendsError, format!("cannot find the base `{reference}`: {why}")).at(extends.span).help(
                "`extends` takes a catalog name (`ossc catalog list`) or a path relative to this file that starts with `./` or `../`",
            ));
            return None;
        }
    };
    if chain.iter().any(|(n, _)| *n == base_name) {
        chain.push((base_name.clone(), Some(extends.span)));
        diags.push(
            Diagnostic::error(
                Code::ExtendsError,
                format!("`extends` cycle: `{base_name}` extends itself through {}", chain_text(chain, sources)),
            )
            .at(extends.span)
            .help("remove one `extends` so that the chain ends in a spec that extends nothing"),
        );
        return None;
    }
    chain.push((base_name.clone(), Some(extends.span)));
    let depth = u32::try_from(chain.len() - 1).unwrap_or(u32::MAX);
    let base_id = sources.add_base(base_name, base_text, depth);
    let base = expand(sources, base_id, resolver, limits, chain, diags)?;
    merge(base, root, "", sources, diags)
}

fn take_key(root: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(entries) = &mut root.value else { return None };
    let i = entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
    Some(entries.remove(i).1)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// Merges `over` onto `base` by the rules above.
pub(crate) fn merge(base: Node, over: Node, path: &str, sources: &Sources, diags: &mut Diagnostics) -> Option<Node> {
    match (base.value, over.value) {
        (Value::Map(mut b), Value::Map(o)) => {
            for (k, v) in o {
                let key = k.as_str().map(str::to_owned);
                let pos = b.iter().position(|(bk, _)| bk.as_str().is_some() && bk.as_str() == key.as_deref());
                match (pos, &v.value) {
                    (Some(i), Value::Null) => {
                        b.remove(i);
                    }
                    (None, Value::Null) => {}
                    (Some(i), _) => {
                        let (bk, bv) = b.remove(i);
                        // Two mappings merge and keep the base's key; anything else is the
                        // overlay's value, so its key (where errors about it point) is too.
                        let kept = if matches!((&bv.value, &v.value), (Value::Map(_), Value::Map(_))) { bk } else { k };
                        let merged = merge(bv, v, &join(path, key.as_deref().unwrap_or_default()), sources, diags)?;
                        b.insert(i, (kept, merged));
                    }
                    (None, _) => b.push((k, v)),
                }
            }
            Some(Node::new(Value::Map(b), base.span))
        }
        (Value::Seq(b), Value::Seq(o)) if NAMED_LISTS.contains(&path) => {
            let mut out = b;
            for item in o {
                let name = item.get("name").and_then(Node::as_str).map(str::to_owned);
                match name.and_then(|n| out.iter().position(|x| x.get("name").and_then(Node::as_str) == Some(n.as_str()))) {
                    Some(i) => {
                        let old = out.remove(i);
                        out.insert(i, merge(old, item, &format!("{path}.{i}"), sources, diags)?);
                    }
                    None => out.push(item),
                }
            }
            Some(Node::new(Value::Seq(out), over.span))
        }
        (b @ Value::Map(_), o) | (b, o @ Value::Map(_)) if !matches!(o, Value::Null) && !matches!(b, Value::Null) => {
            let describe = |v: &Value| v.type_name();
            diags.push(
                Diagnostic::error(
                    Code::OverlayTypeClash,
                    format!("`{path}` is {} in the base ({}) but {} here", describe(&b), sources.location(base.span), describe(&o)),
                )
                .at(over.span)
                .help("an overlay changes a value with one of the same shape; write a mapping to merge into a mapping, or `null` to remove it"),
            );
            None
        }
        (_, o) => Some(Node::new(o, over.span)),
    }
}
