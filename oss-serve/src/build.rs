//! One build request, start to end, with no I/O: the same library calls as `ossc build`, so the
//! bytes are the CLI's bytes.

use oss_compile::monitoring::Monitoring;
use oss_compile::shell::quote;
use oss_compile::{Options, Target};
use oss_spec::{Diagnostic, Sources, SpanIndex};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write as _;

/// What `POST /api/build` accepts (JSON). One of `service`, `spec` or `overlay` is required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildRequest {
    /// A catalog service to start from.
    pub service: Option<String>,
    /// A whole spec (YAML text) to start from, instead of a catalog service.
    pub spec: Option<String>,
    /// An overlay (YAML text) applied over the service or spec; alone, it must `extends:` a
    /// catalog service.
    pub overlay: Option<String>,
    /// `PATH=VALUE` settings, as `--set`.
    #[serde(default)]
    pub sets: Vec<String>,
    /// As `--namespace`.
    pub namespace: Option<String>,
    /// As `--target` (`generic` when absent; `compose` gives a Docker Compose file).
    pub target: Option<String>,
    /// As `--monitoring prometheus-operator`.
    #[serde(default)]
    pub monitoring: bool,
    /// `yaml` (default), `json`, or `files` (the `-o DIR` layout).
    #[serde(default)]
    pub format: Format,
}

/// The shape of a successful build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One multi-document YAML stream, as `ossc build` prints.
    #[default]
    Yaml,
    /// A `v1` `List`, as `ossc build --format json` prints.
    Json,
    /// One file per object and a `kustomization.yaml`, as `ossc build -o DIR` writes.
    Files,
}

/// A compiled bundle.
#[derive(Debug, Clone)]
pub struct Built {
    /// The service's name (for file names).
    pub name: String,
    /// The bundle as text, in the asked format (`yaml` or `json`; empty for `files`).
    pub text: String,
    /// The `-o DIR` layout: relative path and content, in install order.
    pub files: Vec<(String, String)>,
    /// Warnings, as JSON diagnostics with their `field`.
    pub warnings: Vec<Value>,
    /// The equivalent command line, when the request has one (a catalog service and knobs).
    pub command: Option<String>,
}

/// Why a request did not give a bundle.
#[derive(Debug, Clone)]
pub enum Refused {
    /// The request itself is wrong (HTTP 400 or 404): a message and how to fix it.
    Request { status: u16, message: String, help: String },
    /// The spec has errors (HTTP 422): every finding, as JSON diagnostics with their `field`,
    /// and the command line that reproduces them (as in [`Built::command`]).
    Findings(Vec<Value>, Option<String>),
}

/// What to do about an unknown catalog name.
#[must_use]
pub fn unknown_help(name: &str) -> String {
    oss_catalog::suggest(name).map_or("GET /api/catalog lists the services".to_owned(), |s| format!("did you mean `{s}`?"))
}

fn bad(message: impl Into<String>, help: impl Into<String>) -> Refused {
    Refused::Request { status: 400, message: message.into(), help: help.into() }
}

/// Builds a request.
///
/// # Errors
/// [`Refused`] with what to fix.
pub fn build(req: &BuildRequest) -> Result<Built, Refused> {
    let target_name = req.target.as_deref().unwrap_or("generic");
    let compose = target_name == "compose";
    let target = match Target::from_name(target_name) {
        Some(t) => t,
        None if compose => Target::Generic,
        None => {
            let names: Vec<&str> = Target::ALL.iter().map(|(n, _)| *n).chain(["compose"]).collect();
            return Err(bad(format!("unknown target `{target_name}`"), format!("use one of: {}", names.join(", "))));
        }
    };
    if compose && req.format != Format::Yaml {
        return Err(bad("`compose` gives one Docker Compose file", "ask for `format: yaml` with `target: compose`"));
    }
    let namespace = match &req.namespace {
        Some(n) if !n.is_empty() => {
            Some(oss_compile::parse_namespace(n).map_err(|e| bad(format!("namespace `{n}`: {e}"), "fix the namespace or leave it out"))?)
        }
        _ => None,
    };
    let mut inputs: Vec<(String, &str)> = Vec::new();
    match (&req.service, &req.spec) {
        (Some(_), Some(_)) => return Err(bad("give either `service` or `spec`, not both", "drop one of them")),
        (Some(name), None) => match oss_catalog::get(name) {
            Some(entry) => inputs.push((format!("catalog:{}", entry.name), entry.text)),
            None => {
                let help =
                    oss_catalog::suggest(name).map_or("GET /api/catalog lists the services".to_owned(), |s| format!("did you mean `{s}`?"));
                return Err(Refused::Request { status: 404, message: format!("no catalog service `{name}`"), help });
            }
        },
        (None, Some(text)) => inputs.push(("spec.yaml".to_owned(), text)),
        (None, None) if req.overlay.is_none() => {
            return Err(bad(
                "nothing to build",
                "give `service` (a catalog name), `spec` (YAML text) or `overlay` (YAML text that extends a catalog service)",
            ));
        }
        (None, None) => {}
    }
    if let Some(overlay) = &req.overlay {
        inputs.push(("overlay.yaml".to_owned(), overlay));
    }
    let command = match (&req.service, &req.overlay) {
        (Some(service), None) => Some(command(service, &req.sets, namespace.as_deref(), target_name, req.monitoring)),
        _ => None,
    };
    let spec_inputs: Vec<oss_spec::Input> = inputs.iter().map(|(name, text)| oss_spec::Input { name, text }).collect();
    let options = oss_spec::Options { sets: req.sets.clone(), ..oss_spec::Options::default() };
    let loaded = oss_spec::load(&spec_inputs, &options, &oss_catalog::CatalogResolver)
        .map_err(|f| Refused::Findings(with_fields(&f.sources, f.diagnostics.0.iter(), None), command.clone()))?;
    let mut warnings = with_fields(&loaded.sources, loaded.warnings.0.iter(), Some(&loaded.spans));
    let options = Options {
        namespace: namespace.clone(),
        monitoring: if req.monitoring { Monitoring::PrometheusOperator } else { Monitoring::Off },
        target,
        peer_cidrs: Vec::new(),
    };
    let name = loaded.spec.metadata.name.as_str().to_owned();
    let findings =
        |d: oss_spec::Diagnostics| Refused::Findings(with_fields(&loaded.sources, d.0.iter(), Some(&loaded.spans)), command.clone());
    if compose {
        let file = oss_compile::compile_compose(&loaded, &options).map_err(findings)?;
        warnings.extend(with_fields(&loaded.sources, file.warnings.0.iter(), Some(&loaded.spans)));
        return Ok(Built { name, text: file.yaml, files: Vec::new(), warnings, command });
    }
    let bundle = oss_compile::compile(&loaded, &options).map_err(findings)?;
    warnings.extend(with_fields(&loaded.sources, bundle.warnings.0.iter(), Some(&loaded.spans)));
    let (text, files) = match req.format {
        Format::Yaml => (bundle.to_yaml(), Vec::new()),
        Format::Json => (bundle.to_json(), Vec::new()),
        Format::Files => (String::new(), bundle.to_files()),
    };
    Ok(Built { name, text, files, warnings, command })
}

/// Diagnostics as JSON, each with the spec path it concerns (`field`), so a form can show it next
/// to its input: the path of a `--set` it points into, else the path whose value it points at.
fn with_fields<'a>(sources: &Sources, diagnostics: impl Iterator<Item = &'a Diagnostic>, spans: Option<&SpanIndex>) -> Vec<Value> {
    diagnostics
        .map(|d| {
            let mut v = oss_spec::diagnostic_json(sources, d);
            v["field"] = field_of(sources, d, spans).map_or(Value::Null, Value::String);
            v
        })
        .collect()
}

fn field_of(sources: &Sources, d: &Diagnostic, spans: Option<&SpanIndex>) -> Option<String> {
    let span = d.span?;
    let source = sources.get(span.source);
    if source.name() == oss_spec::SET_SOURCE {
        return source.text().split_once('=').map(|(path, _)| path.trim().to_owned());
    }
    spans?.iter().find(|(_, s)| *s == span).map(|(path, _)| path.to_owned())
}

/// The command line that gives the same bytes.
#[must_use]
pub fn command(service: &str, sets: &[String], namespace: Option<&str>, target: &str, monitoring: bool) -> String {
    let mut words = vec!["ossc".to_owned(), "build".to_owned(), quote(service)];
    for s in sets {
        words.push("--set".to_owned());
        words.push(quote(s));
    }
    if let Some(n) = namespace {
        words.push("--namespace".to_owned());
        words.push(quote(n));
    }
    if target != "generic" {
        words.push("--target".to_owned());
        words.push(quote(target));
    }
    if monitoring {
        words.push("--monitoring".to_owned());
        words.push("prometheus-operator".to_owned());
    }
    words.join(" ")
}

/// The `-o DIR` layout as a zip: every file under `NAME/`, stored (not compressed), with fixed
/// times and modes, so the same bundle gives the same bytes.
///
/// # Errors
/// Only if the zip writer fails on an in-memory buffer.
pub fn zip(name: &str, files: &[(String, String)]) -> Result<Vec<u8>, String> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (path, content) in files {
        writer.start_file(format!("{name}/{path}"), options).map_err(|e| e.to_string())?;
        writer.write_all(content.as_bytes()).map_err(|e| e.to_string())?;
    }
    writer.finish().map(std::io::Cursor::into_inner).map_err(|e| e.to_string())
}

/// The JSON body of a successful build.
#[must_use]
pub fn built_json(b: &Built, format: Format) -> Value {
    let mut v = json!({"ok": true, "name": b.name, "warnings": b.warnings, "command": b.command});
    match format {
        Format::Yaml => v["yaml"] = Value::String(b.text.clone()),
        Format::Json => v["json"] = Value::String(b.text.clone()),
        Format::Files => v["files"] = b.files.iter().map(|(path, content)| json!({"path": path, "content": content})).collect(),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(service: &str, sets: &[&str]) -> BuildRequest {
        BuildRequest { service: Some(service.to_owned()), sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..BuildRequest::default() }
    }

    #[test]
    fn commands_quote_what_a_shell_would_split() {
        assert_eq!(
            command("cassandra", &["redundancy.replicas=5".into()], None, "generic", false),
            "ossc build cassandra --set redundancy.replicas=5"
        );
        assert_eq!(
            command("etcd", &["settings.x=a b".into(), "it's=1".into()], Some("db"), "gke", true),
            r"ossc build etcd --set 'settings.x=a b' --set 'it'\''s=1' --namespace db --target gke --monitoring prometheus-operator"
        );
    }

    #[test]
    fn findings_carry_the_field_they_concern() {
        let Err(Refused::Findings(diags, command)) = build(&req("cassandra", &["redundancy.replicas=0"])) else {
            panic!("expected findings")
        };
        assert_eq!(command.as_deref(), Some("ossc build cassandra --set redundancy.replicas=0"));
        assert_eq!(diags[0]["field"], "redundancy.replicas", "{diags:?}");
        assert!(diags[0]["code"].as_str().unwrap().starts_with("OSS"));
        let Err(Refused::Findings(diags, _)) = build(&req("cassandra", &["slo.availability=99.999"])) else { panic!("expected findings") };
        assert!(diags.iter().any(|d| d["code"] == "OSS021" && d["field"] == "slo.availability"), "{diags:?}");
    }

    #[test]
    fn bad_requests_say_how_to_fix_them() {
        let Err(Refused::Request { status, help, .. }) = build(&req("casandra", &[])) else { panic!() };
        assert_eq!((status, help.as_str()), (404, "did you mean `cassandra`?"));
        let r = BuildRequest { target: Some("mars".into()), ..req("etcd", &[]) };
        assert!(matches!(build(&r), Err(Refused::Request { status: 400, .. })));
        assert!(matches!(build(&BuildRequest::default()), Err(Refused::Request { status: 400, .. })));
    }

    #[test]
    fn overlays_extend_only_the_catalog() {
        let r = BuildRequest { overlay: Some("extends: etcd\nredundancy:\n  replicas: 5\n".into()), ..BuildRequest::default() };
        let built = build(&r).unwrap();
        assert!(built.text.contains("replicas: 5"));
        assert!(built.command.is_none());
        let r = BuildRequest { overlay: Some("extends: ./etc/passwd\n".into()), ..BuildRequest::default() };
        assert!(matches!(build(&r), Err(Refused::Findings(..))));
    }

    #[test]
    fn zips_are_deterministic() {
        let files = vec![("01-a.yaml".to_owned(), "a: 1\n".to_owned()), ("kustomization.yaml".to_owned(), "k: 2\n".to_owned())];
        let a = zip("svc", &files).unwrap();
        assert_eq!(a, zip("svc", &files).unwrap());
        assert_eq!(&a[..4], b"PK\x03\x04");
        assert!(a.windows(13).any(|w| w == b"svc/01-a.yaml"));
    }
}
