//! The Open Service Spec language: types, spanned YAML parsing, validation, diagnostics and
//! JSON Schema.
//!
//! The entry point is [`parse`] (or [`parse_with`] for `--set` flags and limits): bytes and a
//! file name in, a resolved [`Spec`] with a [`SpanIndex`] out, or every [`Diagnostic`] found.
//! This crate does no file, network, environment or clock I/O, and knows nothing of Kubernetes.
//!
//! ```
//! let text = std::fs::read_to_string("../specs/cassandra.yaml").unwrap();
//! let loaded = oss_spec::parse("specs/cassandra.yaml", &text).unwrap();
//! assert_eq!(loaded.spec.metadata.name.as_str(), "cassandra");
//! ```

/// An enum of fixed choices whose spellings are written once: the variants, `ALL` (every
/// value with its spelling, for decoders and help texts) and `name()` come from one list.
/// With `serde` first, each variant is also (de)serialised by its spelling.
///
/// ```
/// oss_spec::spelled_enum! {
///     /// A colour.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Colour { Red = "red", DarkBlue = "dark-blue" }
/// }
/// assert_eq!(Colour::DarkBlue.name(), "dark-blue");
/// assert_eq!(Colour::ALL[0], ("red", Colour::Red));
/// ```
#[macro_export]
macro_rules! spelled_enum {
    (serde $(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $spelling:literal),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name { $($(#[$vmeta])* #[serde(rename = $spelling)] $variant),+ }
        $crate::spelled_enum!(@impl $name { $($variant = $spelling),+ });
    };
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $spelling:literal),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name { $($(#[$vmeta])* $variant),+ }
        $crate::spelled_enum!(@impl $name { $($variant = $spelling),+ });
    };
    (@impl $name:ident { $($variant:ident = $spelling:literal),+ }) => {
        impl $name {
            /// Every value with its spelling, in declaration order.
            pub const ALL: &'static [(&'static str, $name)] = &[$(($spelling, $name::$variant)),+];

            /// Its spelling.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $spelling),+
                }
            }
        }
    };
}

pub mod decode;
pub mod diag;
pub mod model;
pub mod overlay;
pub mod repository;
pub mod schema;
pub mod set;
pub mod source;
pub mod template;
pub mod validate;
pub mod values;
pub mod yaml;

pub use decode::SpanIndex;
pub use diag::{Code, Diagnostic, Diagnostics, Severity};
pub use model::Spec;
pub use overlay::{NoResolver, Resolver};
pub use source::{Source, SourceId, Sources, Span};
pub use yaml::Limits;

/// The source name of each `--set` (`Options::sets`): diagnostics about a setting point into a
/// source of this name whose text is the `PATH=VALUE` as given.
pub const SET_SOURCE: &str = "--set";

use std::fmt;
use yaml::Node;

/// What to parse besides the file itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `PATH=VALUE` settings applied over the file, in order (the CLI's `--set`).
    pub sets: Vec<String>,
    /// The name findings in `sets` are reported under (default [`SET_SOURCE`], `--set`): a
    /// repository manifest names the entry that holds them.
    pub sets_origin: Option<String>,
    /// Resource limits for each input.
    pub limits: Limits,
}

/// A spec that parsed and validated, with everything needed to point back at its text.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The resolved spec, defaults filled in.
    pub spec: Spec,
    /// Where each value was written.
    pub spans: SpanIndex,
    /// Every input (the file, each `--set`), for rendering later diagnostics.
    pub sources: Sources,
    /// Warnings (the spec is usable).
    pub warnings: Diagnostics,
}

/// A spec that did not make it, with every finding and the inputs they point into.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Every input.
    pub sources: Sources,
    /// Every finding (at least one error).
    pub diagnostics: Diagnostics,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render_plain(&self.sources, &self.diagnostics))
    }
}

impl std::error::Error for Failure {}

/// Parses and validates one spec file with default options.
///
/// # Errors
/// Every problem found, each with a code, a span and a fix.
pub fn parse(name: &str, text: &str) -> Result<Loaded, Failure> {
    parse_with(name, text, &Options::default())
}

/// Parses and validates one spec file, then applies `options.sets`. An `extends:` in it is
/// refused (no resolver); use [`load`] for overlays.
///
/// # Errors
/// Every problem found, each with a code, a span and a fix.
pub fn parse_with(name: &str, text: &str, options: &Options) -> Result<Loaded, Failure> {
    load(&[Input { name, text }], options, &NoResolver)
}

/// One input document: a display name (a path, `catalog:NAME`) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Display name.
    pub name: &'a str,
    /// Text.
    pub text: &'a str,
}

/// Loads a spec from layered inputs: the first may `extends` a base (resolved by `resolver`,
/// chains allowed); each further input is an overlay merged on top, in order; `options.sets`
/// apply last. Merge rules: [`overlay`].
///
/// # Errors
/// Every problem found, each with a code, a span (in whichever file it is) and a fix.
pub fn load(inputs: &[Input], options: &Options, resolver: &dyn Resolver) -> Result<Loaded, Failure> {
    let mut sources = Sources::new();
    let mut diagnostics = Diagnostics::default();
    let mut root: Option<Node> = None;
    for (i, input) in inputs.iter().enumerate() {
        let id = sources.add(input.name, input.text);
        let node = if i == 0 {
            let mut chain = vec![(input.name.to_owned(), None)];
            overlay::expand(&mut sources, id, resolver, &options.limits, &mut chain, &mut diagnostics)
        } else {
            match yaml::parse(sources.get(id), id, &options.limits) {
                Ok(node) => {
                    if let Some(e) = node.get("extends") {
                        diagnostics.push(
                            Diagnostic::error(Code::ExtendsError, "only the first file may use `extends`")
                                .at(e.span)
                                .help("layer files in order with repeated `-f`; the first one names the base"),
                        );
                        None
                    } else {
                        Some(node)
                    }
                }
                Err(d) => {
                    diagnostics.push(*d);
                    None
                }
            }
        };
        root = match (root, node) {
            (None, n) if i == 0 => n,
            (Some(base), Some(over)) => overlay::merge(base, over, "", &sources, &mut diagnostics),
            _ => None,
        };
        if root.is_none() {
            break;
        }
    }
    let Some(mut root) = root else {
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic::error(Code::EmptyDocument, "no input was given").help("name at least one spec"));
        }
        return Err(Failure { sources, diagnostics });
    };
    let origin = options.sets_origin.as_deref().unwrap_or(SET_SOURCE);
    let set_ids: Vec<SourceId> = options.sets.iter().map(|s| sources.add(origin, s.as_str())).collect();
    for id in set_ids {
        if let Err(d) = set::apply(&mut root, sources.get(id), id, &options.limits) {
            diagnostics.push(*d);
        }
    }
    if diagnostics.has_errors() {
        return Err(Failure { sources, diagnostics });
    }
    let mut spans = SpanIndex::default();
    let spec = decode::decode_spec(&mut decode::Decoder { diags: &mut diagnostics, spans: &mut spans }, &root);
    if let Some(spec) = &spec {
        validate::validate(spec, &spans, &sources, &mut diagnostics);
    }
    diagnostics.sort();
    match spec {
        Some(mut spec) if !diagnostics.has_errors() => {
            with_tls(&mut spec);
            with_archive(&mut spec);
            Ok(Loaded { spec, spans, sources, warnings: diagnostics })
        }
        _ => Err(Failure { sources, diagnostics }),
    }
}

/// TLS turned on (`access.tls.enabled`) is, for the software's container, one more Secret
/// mount, more environment and more files: the certificate Secret `<name>-tls` at
/// `runtime.tls.path`, `runtime.tls.env` and `runtime.tls.files`. Done once here, after validation, so that every later stage (lowering,
/// the quota, compose, `explain`) sees them as it sees the packager's own.
fn with_tls(spec: &mut Spec) {
    let Some(tls) = spec.runtime.tls.clone().filter(|_| spec.access.tls.enabled) else { return };
    spec.runtime.secret_mounts.push(model::SecretMount {
        secret: format!("${{service.name}}{TLS_SECRET_SUFFIX}"),
        path: tls.path,
        private: tls.private,
        items: tls.items.iter().map(|it| model::SecretItem { key: it.key.name().to_owned(), path: it.path.clone() }).collect(),
    });
    for (k, v) in tls.env {
        spec.runtime.env.insert(k, model::EnvValue::Value(v));
    }
    spec.runtime.files.extend(tls.files);
    // the sidecars and the exporter that say they take TLS: their environment (the mount is
    // the lowering's, beside the software's)
    let exporter = spec.runtime.metrics.as_mut().and_then(|m| m.exporter.as_mut()).map(|e| (&mut e.env, e.tls.as_ref()));
    let sidecars = spec.runtime.sidecars.iter_mut().map(|sc| (&mut sc.env, sc.tls.as_ref()));
    for (env, tls) in sidecars.chain(exporter) {
        for (k, v) in tls.iter().flat_map(|t| &t.env) {
            env.insert(k.clone(), model::EnvValue::Value(v.clone()));
        }
    }
}

/// Backups asked for (`backup`) of a service whose procedure keeps an archive
/// (`runtime.backup.archive`): its files join `runtime.files`, as TLS's do. The store's
/// binding, the variables and the way to the store are the lowering's (they name the store).
fn with_archive(spec: &mut Spec) {
    if spec.backup.is_none() {
        return;
    }
    let files: Vec<_> = spec.runtime.archive_files().cloned().collect();
    spec.runtime.files.extend(files);
}

/// The certificate Secret's name is the instance name and this suffix (`<name>-tls`).
pub const TLS_SECRET_SUFFIX: &str = "-tls";

/// One finding as JSON, the shape documented in docs/diagnostics.md ("JSON output"):
/// `code`, `name`, `severity`, `message`, `help` and `location` (`file`, `line`, `column`,
/// `endLine`, `endColumn`, `offset`, `length`; null when the finding has no place).
#[must_use]
pub fn diagnostic_json(sources: &Sources, d: &Diagnostic) -> serde_json::Value {
    let location = d.span.map_or(serde_json::Value::Null, |span| {
        let src = sources.get(span.source);
        let (line, column) = src.line_col(span.start);
        let (end_line, end_column) = src.line_col(span.start + span.len);
        serde_json::json!({"file": src.name(), "line": line, "column": column, "endLine": end_line, "endColumn": end_column, "offset": span.start, "length": span.len})
    });
    let severity = match d.severity {
        diag::Severity::Error => "error",
        diag::Severity::Warning => "warning",
    };
    serde_json::json!({"code": d.code.as_str(), "name": d.code.slug(), "severity": severity, "message": d.message, "help": d.help, "fix": d.fix, "location": location})
}

/// Renders findings as plain text, one block each:
/// `file:line:col: error[OSS003]: message` then `  help: ...`.
#[must_use]
pub fn render_plain(sources: &Sources, diagnostics: &Diagnostics) -> String {
    let mut out = String::new();
    for d in diagnostics.iter() {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if let Some(span) = d.span {
            out.push_str(&sources.location(span));
            out.push_str(": ");
        }
        out.push_str(&format!("{sev}[{}]: {}\n", d.code, d.message));
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {help}\n"));
        }
    }
    out
}

/// Turns raw input bytes into text: refuses input over `max_bytes`, UTF-16 and invalid UTF-8
/// with a located diagnostic, and drops a UTF-8 byte order mark.
///
/// # Errors
/// A [`Failure`] with one diagnostic locating the problem.
pub fn decode_text(name: &str, bytes: Vec<u8>, max_bytes: usize) -> Result<String, Failure> {
    let fail = |text: String, offset: usize, code: Code, message: String, help: &str| {
        let mut sources = Sources::new();
        let id = sources.add(name, text);
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(Diagnostic::error(code, message).at(Span { source: id, start: offset, len: 0 }).help(help));
        Failure { sources, diagnostics }
    };
    if bytes.len() > max_bytes {
        return Err(fail(
            String::new(),
            0,
            Code::InputLimit,
            format!("input is larger than the limit of {max_bytes} bytes"),
            "a service spec is a few kilobytes; check that this is the file you meant",
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(fail(String::new(), 0, Code::YamlSyntax, "input is UTF-16".to_owned(), "save the file as UTF-8"));
    }
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Offsets in the lossy text match up to the first bad byte.
            Err(fail(
                text,
                at,
                Code::YamlSyntax,
                "input is not valid UTF-8".to_owned(),
                "save the file as UTF-8; this byte is not part of any UTF-8 character",
            ))
        }
    }
}
