//! The repository manifest (`kind: Repository`): every service a GitOps repository renders in
//! one `ossc render --manifest` call, each with its spec and overlays, namespace, cluster and
//! `--set` values; each cluster with its target. docs/gitops.md documents the format.
//!
//! Owns: decoding and checking the manifest, with every finding located in it (unknown keys,
//! an unknown cluster or target, two services written to one directory). Must not: read the
//! specs it names (the caller resolves and reads them; no I/O here).

use crate::Failure;
use crate::decode::{Decoder, SpanIndex};
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::API_VERSION;
use crate::source::{Sources, Span};
use crate::values::is_dns_label;
use crate::yaml::{self, Limits, Node, Value};
use indexmap::IndexMap;

/// The manifest's kind.
pub const KIND: &str = "Repository";

/// Limits for a manifest: a repository of 10 000 services is about 60 000 nodes and 1 MiB, so
/// the spec's limits (20 000 nodes, 1 MiB) are raised; depth stays low (a manifest needs 4).
pub const LIMITS: Limits = Limits { max_bytes: 32 << 20, max_depth: 8, max_nodes: 2_000_000, max_aliases: 100, max_scalar_bytes: 32 << 20 };

/// A decoded manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Repository {
    /// The target of services without a cluster, and of clusters without one of their own.
    pub target: Option<String>,
    /// `monitoring:` (as `--monitoring`, one of the caller's choices), for every service.
    pub monitoring: Option<String>,
    /// Clusters by name, in written order.
    pub clusters: IndexMap<String, Cluster>,
    /// Services, in written order (the order of the report).
    pub services: Vec<Entry>,
}

/// One cluster the repository renders for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cluster {
    /// Its target (docs/targets.md); `None`: the repository's.
    pub target: Option<String>,
}

/// One service of the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The directory its bundle goes to, relative to the cluster's (or the output's).
    pub name: String,
    /// The spec: a path relative to the manifest, or a catalog name.
    pub spec: String,
    /// Where `spec` was written (a spec that cannot be read is reported there).
    pub spec_span: Span,
    /// Overlays merged on the spec in order (as `-f`), paths relative to the manifest, each
    /// with where it was written.
    pub overlays: Vec<(String, Span)>,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// The cluster it belongs to (a key of `clusters`).
    pub cluster: Option<String>,
    /// `--set PATH=VALUE`, applied after the overlays.
    pub sets: Vec<String>,
}

impl Entry {
    /// Where its bundle goes, relative to the output directory: `<cluster>/<name>` or `<name>`.
    #[must_use]
    pub fn output(&self) -> String {
        match &self.cluster {
            Some(c) => format!("{c}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl Repository {
    /// The target an entry builds for: its cluster's, else the repository's; `None`: generic.
    #[must_use]
    pub fn target_of(&self, entry: &Entry) -> Option<&str> {
        entry.cluster.as_ref().and_then(|c| self.clusters.get(c)).and_then(|c| c.target.as_deref()).or(self.target.as_deref())
    }
}

/// Decodes a manifest; `targets` and `monitors` are the target and monitoring names the caller
/// can build. The spec files it names are not read here.
///
/// # Errors
/// Every finding, located in the manifest, each with a fix.
pub fn parse(name: &str, text: &str, targets: &[&'static str], monitors: &[&'static str]) -> Result<(Sources, Repository), Failure> {
    let mut sources = Sources::new();
    let id = sources.add(name, text);
    let mut diagnostics = Diagnostics::default();
    let root = match yaml::parse(sources.get(id), id, &LIMITS) {
        Ok(n) => n,
        Err(d) => {
            diagnostics.push(*d);
            return Err(Failure { sources, diagnostics });
        }
    };
    let mut spans = SpanIndex::default();
    let repo = decode(&mut Decoder { diags: &mut diagnostics, spans: &mut spans }, &root, targets, monitors);
    diagnostics.sort();
    match repo {
        Some(r) if !diagnostics.has_errors() => Ok((sources, r)),
        _ => Err(Failure { sources, diagnostics }),
    }
}

fn decode(d: &mut Decoder, root: &Node, targets: &[&'static str], monitors: &[&'static str]) -> Option<Repository> {
    if root.value == Value::Null {
        d.error(
            Code::EmptyDocument,
            root,
            "the manifest is empty".to_owned(),
            format!("start with `apiVersion: {API_VERSION}`, `kind: {KIND}` and a `services:` list (docs/gitops.md)"),
        );
        return None;
    }
    let mut f = d.fields(root, "", root.span)?;
    let header = f.req(d, "apiVersion", |d, n, p| {
        let s = d.string(n, p)?;
        (s == API_VERSION).then_some(()).or_else(|| {
            let help = format!("this version of ossc reads `apiVersion: {API_VERSION}`");
            d.error(Code::WrongDocument, n, format!("unsupported apiVersion `{s}`"), help);
            None
        })
    });
    let kind = f.req(d, "kind", |d, n, p| {
        let s = d.string(n, p)?;
        (s == KIND).then_some(()).or_else(|| {
            let help = format!("a repository manifest has `kind: {KIND}`; a spec (`kind: Service`) is rendered with `ossc render FILE`");
            d.error(Code::WrongDocument, n, format!("`kind: {s}` is not a repository manifest"), help);
            None
        })
    });
    let target = f.opt(d, "target", |d, n, p| one_of(d, n, p, targets, "target"));
    let monitoring = f.opt(d, "monitoring", |d, n, p| one_of(d, n, p, monitors, "monitoring choice"));
    let clusters = f.opt(d, "clusters", |d, n, p| {
        d.map(
            n,
            p,
            |k| {
                if is_dns_label(k) {
                    Ok(k.to_owned())
                } else {
                    Err(crate::values::ValueError::new(
                        Code::InvalidName,
                        format!("cluster name `{k}` is not a DNS label"),
                        "use lowercase letters, digits and `-` (it names a directory of the output)",
                    ))
                }
            },
            |d, _, n, p| {
                if n.value == Value::Null {
                    return Some(Cluster::default());
                }
                let mut f = d.fields(n, p, n.span)?;
                let target = f.opt(d, "target", |d, n, p| one_of(d, n, p, targets, "target"));
                f.finish(d);
                Some(Cluster { target })
            },
        )
    });
    let clusters = clusters.unwrap_or_default();
    // An entry with a finding is left out of the rest (it would only repeat it as a duplicate),
    // while the others are still checked against each other.
    let services = f.req(d, "services", |d, n, p| d.list(n, p, |d, n, p| Some(entry(d, n, p, &clusters))));
    f.finish(d);
    let services: Vec<(usize, Entry, Span)> = services?.into_iter().enumerate().filter_map(|(i, e)| e.map(|(e, at)| (i, e, at))).collect();
    if services.is_empty() {
        d.error(
            Code::InvalidValue,
            root,
            "the manifest lists no service".to_owned(),
            "add an entry under `services:`, e.g. `- spec: ./db.yaml`",
        );
        return None;
    }
    // Two services written to one directory: the later one is reported, at its name (or spec).
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::with_capacity(services.len());
    for (i, e, at) in &services {
        if let Some(first) = seen.insert(e.output(), *i) {
            d.diags.push(
                Diagnostic::error(Code::Duplicate, format!("`services.{first}` and `services.{i}` are both written to `{}`", e.output()))
                    .at(*at)
                    .label("the second one")
                    .help("give one of them another `name:` (the directory its bundle goes to) or another `cluster:`"),
            );
        }
    }
    header?;
    kind?;
    Some(Repository { target, monitoring, clusters, services: services.into_iter().map(|(_, e, _)| e).collect() })
}

/// A string among the caller's `choices` (targets, monitoring choices), else a finding with
/// the closest one.
fn one_of(d: &mut Decoder, n: &Node, p: &str, choices: &[&'static str], what: &str) -> Option<String> {
    let s = d.string(n, p)?;
    if choices.contains(&s.as_str()) {
        return Some(s);
    }
    let help = match did_you_mean(&s, choices.iter().copied()) {
        Some(m) => format!("did you mean `{m}`? Choices: {}", choices.join(", ")),
        None => format!("use one of {}", choices.join(", ")),
    };
    d.error(Code::UnknownVariant, n, format!("`{s}` is not a {what} this ossc renders"), help);
    None
}

/// One `services:` item, with the span a duplicate is reported at.
fn entry(d: &mut Decoder, n: &Node, p: &str, clusters: &IndexMap<String, Cluster>) -> Option<(Entry, Span)> {
    let errors_before = d.diags.iter().filter(|x| x.is_error()).count();
    let mut f = d.fields(n, p, n.span)?;
    let spec = f.req(d, "spec", |d, n, p| {
        d.non_blank(n, p, "`spec` is empty", "name a spec file (`./db.yaml`) or a catalog service (`postgres`)").map(|s| (s, n.span))
    });
    let name = f.opt(d, "name", |d, n, p| {
        let s = d.string(n, p)?;
        output_name(&s).then_some((s.clone(), n.span)).or_else(|| {
            let help = "use `/`-separated parts of letters, digits, `.`, `_` and `-` (not `.` or `..`), e.g. `shop/orders-db`";
            d.error(Code::InvalidName, n, format!("`{s}` cannot name a directory of the output"), help);
            None
        })
    });
    let overlays = f.opt(d, "overlays", |d, n, p| d.list(n, p, |d, n, p| d.string(n, p).map(|s| (s, n.span))));
    let namespace = f.opt(d, "namespace", |d, n, p| {
        let s = d.string(n, p)?;
        is_dns_label(&s).then_some(s.clone()).or_else(|| {
            let help = "a namespace is 1-63 lowercase letters, digits and `-`, starting and ending with a letter or digit";
            d.error(Code::InvalidName, n, format!("`{s}` is not a valid namespace"), help);
            None
        })
    });
    let cluster = f.opt(d, "cluster", |d, n, p| {
        let s = d.string(n, p)?;
        if clusters.contains_key(&s) {
            return Some(s);
        }
        let help = match did_you_mean(&s, clusters.keys().map(String::as_str)) {
            Some(m) => format!("did you mean `{m}`?"),
            None if clusters.is_empty() => format!("declare it under `clusters:` (`clusters: {{{s}: {{target: generic}}}}`)"),
            None => format!(
                "declare it under `clusters:`, or use one of {}",
                clusters.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        d.error(Code::UnknownReference, n, format!("no cluster `{s}` in `clusters`"), help);
        None
    });
    let sets = f.opt(d, "set", |d, n, p| d.strings(n, p));
    f.finish(d);
    let (spec, spec_span) = spec?;
    if d.diags.iter().filter(|x| x.is_error()).count() > errors_before {
        return None;
    }
    let (name, at) = match name {
        Some(named) => named,
        None => {
            let derived = default_name(&spec);
            if !output_name(&derived) {
                let help = "add `name:` with the directory its bundle goes to";
                d.diags.push(
                    Diagnostic::error(Code::InvalidName, format!("no directory name follows from `{spec}`")).at(spec_span).help(help),
                );
                return None;
            }
            (derived, spec_span)
        }
    };
    let entry = Entry { name, spec, spec_span, overlays: overlays.unwrap_or_default(), namespace, cluster, sets: sets.unwrap_or_default() };
    Some((entry, at))
}

/// The directory a spec goes to without a `name`: its file name without `.yaml`/`.yml` (a
/// catalog name as it is).
fn default_name(spec: &str) -> String {
    let file = spec.rsplit('/').next().unwrap_or(spec);
    file.strip_suffix(".yaml").or_else(|| file.strip_suffix(".yml")).unwrap_or(file).to_owned()
}

/// A relative directory path that stays inside the output: `/`-separated parts of ASCII
/// letters, digits, `.`, `_`, `-`, none empty, `.` or `..`.
fn output_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGETS: &[&str] = &["generic", "gke", "aks"];
    const MONITORS: &[&str] = &["prometheus-operator"];

    fn ok(text: &str) -> Repository {
        match parse("repo.yaml", text, TARGETS, MONITORS) {
            Ok((_, r)) => r,
            Err(f) => panic!("{f}"),
        }
    }

    fn findings(text: &str) -> String {
        match parse("repo.yaml", text, TARGETS, MONITORS) {
            Ok(r) => panic!("accepted: {r:?}"),
            Err(f) => f.to_string(),
        }
    }

    const HEAD: &str = "apiVersion: openservice.dev/v1alpha1\nkind: Repository\n";

    #[test]
    fn entries_take_cluster_targets_and_default_names() {
        let r = ok(&format!(
            "{HEAD}target: aks\nclusters:\n  eu: {{target: gke}}\n  us:\nservices:\n  - spec: ./svc/orders-db.yaml\n    cluster: eu\n    namespace: orders\n    set: [redundancy.replicas=5]\n  - spec: postgres\n    name: shop/pg\n    overlays: [./prod.yaml]\n  - spec: valkey\n    cluster: us\n"
        ));
        let [a, b, c] = &r.services[..] else { panic!("{r:?}") };
        assert_eq!((a.output(), r.target_of(a)), ("eu/orders-db".to_owned(), Some("gke")));
        assert_eq!(a.namespace.as_deref(), Some("orders"));
        assert_eq!(a.sets, ["redundancy.replicas=5"]);
        assert_eq!((b.output(), r.target_of(b)), ("shop/pg".to_owned(), Some("aks")));
        assert_eq!(b.overlays.iter().map(|(o, _)| o.as_str()).collect::<Vec<_>>(), ["./prod.yaml"]);
        // a cluster without a target of its own takes the repository's
        assert_eq!((c.output(), r.target_of(c)), ("us/valkey".to_owned(), Some("aks")));
    }

    #[test]
    fn every_finding_is_reported_at_once_and_located() {
        let out = findings(&format!(
            "{HEAD}target: gkee\nclusters:\n  eu: {{target: gke}}\nservices:\n  - spec: ./a.yaml\n    cluster: euu\n  - spec: ./x/a.yaml\n  - spec: ./y/a.yaml\n  - spec: b\n    name: ../escape\n    namspace: x\n  - spec: c\n    namespace: Not_A_Label\n"
        ));
        for want in [
            "repo.yaml:3:9: error[OSS015]: `gkee` is not a target",
            "did you mean `gke`?",
            "repo.yaml:8:14: error[OSS013]: no cluster `euu` in `clusters`",
            // services.0 has a finding of its own: not reported again as a duplicate
            "repo.yaml:10:11: error[OSS012]: `services.1` and `services.2` are both written to `a`",
            "repo.yaml:12:11: error[OSS007]: `../escape` cannot name a directory",
            "repo.yaml:13:5: error[OSS003]: unknown key `namspace`",
            "repo.yaml:15:16: error[OSS007]: `Not_A_Label` is not a valid namespace",
        ] {
            assert!(out.contains(want), "missing {want:?} in:\n{out}");
        }
        assert_eq!(out.matches("error[").count(), 6, "{out}");
    }

    #[test]
    fn a_spec_is_not_a_manifest() {
        let out = findings("apiVersion: openservice.dev/v1alpha1\nkind: Service\nservices: []\n");
        assert!(out.contains("error[OSS011]: `kind: Service` is not a repository manifest"), "{out}");
        let out = findings(&format!("{HEAD}services: []\n"));
        assert!(out.contains("the manifest lists no service"), "{out}");
        assert!(findings("").contains("the manifest is empty"));
    }

    #[test]
    fn output_names_stay_inside_the_output() {
        for good in ["a", "shop/orders-db", "a.b_c-1"] {
            assert!(output_name(good), "{good}");
        }
        for bad in ["", "/abs", "a//b", "..", "a/../b", "a/.", "sp ace", "a\\b"] {
            assert!(!output_name(bad), "{bad}");
        }
        assert_eq!(default_name("./dir/db.yml"), "db");
        assert_eq!(default_name("postgres"), "postgres");
    }
}
