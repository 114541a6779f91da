//! The built-in catalog — the "app store": every spec of the repository's `specs/`, embedded in
//! the binary, so `ossc build cassandra` works anywhere.
//!
//! Owns: the list of entries, lookup by name, and the catalog page (`docs/catalog.md`, kept
//! fresh by a test). Must not: read files at run time (the build script embeds them).

use oss_spec::model::{Category, Knob};
use oss_spec::{Failure, Loaded};
use std::fmt::Write as _;

/// One embedded spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Catalog name (the file stem, also `metadata.name`).
    pub name: &'static str,
    /// Where it lives in the repository.
    pub path: &'static str,
    /// The spec text.
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/entries.rs"));

impl Entry {
    /// Parses the entry (the name shown in diagnostics is `catalog:<name>`).
    ///
    /// # Errors
    /// Never for a shipped entry (a test parses them all).
    pub fn load(&self, options: &oss_spec::Options) -> Result<Loaded, Failure> {
        oss_spec::parse_with(&format!("catalog:{}", self.name), self.text, options)
    }
}

/// Every entry, sorted by name.
#[must_use]
pub fn entries() -> &'static [Entry] {
    ENTRIES
}

/// The entry called `name`.
#[must_use]
pub fn get(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.name == name)
}

/// The nearest entry name, for "did you mean".
#[must_use]
pub fn suggest(name: &str) -> Option<&'static str> {
    oss_spec::diag::did_you_mean(name, ENTRIES.iter().map(|e| e.name))
}

/// "no catalog service `NAME`", with the nearest name when there is one, and `hint` (where
/// the names are listed, or why only catalog names work here) in parentheses.
#[must_use]
pub fn unknown(name: &str, hint: &str) -> String {
    match suggest(name) {
        Some(s) => format!("no catalog service `{name}`; did you mean `{s}`? ({hint})"),
        None => format!("no catalog service `{name}` ({hint})"),
    }
}

/// An entry in one JSON object: what `ossc catalog list --format json` prints per service and
/// `GET /api/catalog` serves.
#[must_use]
pub fn summary_json(entry: &Entry, loaded: &Loaded) -> serde_json::Value {
    let s = &loaded.spec;
    serde_json::json!({
        "name": entry.name,
        "title": s.metadata.title,
        "category": category_name(s.function.category),
        "standsInFor": s.function.stands_in_for,
        "version": s.metadata.version,
        "image": s.runtime.image.as_str(),
        "description": s.metadata.description,
    })
}

/// Resolves `extends:` against the catalog only: for callers that must not read files (the
/// `ossc serve` API, embedders).
#[derive(Debug, Clone, Copy, Default)]
pub struct CatalogResolver;

impl oss_spec::Resolver for CatalogResolver {
    fn resolve(&self, _from: &str, reference: &str) -> Result<(String, String), String> {
        get(reference)
            .map(|e| (format!("catalog:{}", e.name), e.text.to_owned()))
            .ok_or_else(|| unknown(reference, "only catalog services can be extended here"))
    }
}

/// Spelling of a category in specs and pages.
#[must_use]
pub fn category_name(c: Category) -> &'static str {
    Category::ALL.iter().find(|(_, k)| *k == c).map_or("other", |(n, _)| n)
}

/// A knob's type, default and bounds in one line, e.g. `quantity, default 2Gi, 1Gi..31Gi`.
#[must_use]
pub fn knob_line(knob: &Knob) -> String {
    let mut s = format!("{}, default {}", knob.kind.name(), knob.default.render());
    match (&knob.min, &knob.max) {
        (Some(a), Some(b)) => write!(s, ", {}..{}", a.render(), b.render()).unwrap_or(()),
        (Some(a), None) => write!(s, ", at least {}", a.render()).unwrap_or(()),
        (None, Some(b)) => write!(s, ", at most {}", b.render()).unwrap_or(()),
        (None, None) => {}
    }
    if !knob.values.is_empty() {
        write!(s, ", one of {}", knob.values.join(" | ")).unwrap_or(());
    }
    s
}

/// One line per entry: name, category, what it stands in for, version.
#[must_use]
pub fn list_table(loaded: &[(Entry, Loaded)]) -> String {
    let mut rows = vec![["NAME".to_owned(), "CATEGORY".to_owned(), "STANDS IN FOR".to_owned(), "VERSION".to_owned()]];
    for (e, l) in loaded {
        let s = &l.spec;
        rows.push([
            e.name.to_owned(),
            category_name(s.function.category).to_owned(),
            s.function.stands_in_for.join(", "),
            s.metadata.version.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..4).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let line = format!("{:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3], w0 = widths[0], w1 = widths[1], w2 = widths[2]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Everything a consumer needs to decide: description, endpoints, knobs, HA notes.
#[must_use]
pub fn show(entry: &Entry, loaded: &Loaded) -> String {
    let s = &loaded.spec;
    let mut o = String::new();
    let title = s.metadata.title.as_deref().unwrap_or(entry.name);
    let _ = writeln!(o, "{} ({}) {}", title, entry.name, s.metadata.version);
    let _ = writeln!(o, "category: {}", category_name(s.function.category));
    if !s.function.stands_in_for.is_empty() {
        let _ = writeln!(o, "stands in for: {}", s.function.stands_in_for.join(", "));
    }
    if let Some(d) = &s.metadata.description {
        let _ = writeln!(o, "\n{d}");
    }
    let _ = writeln!(o, "\nimage: {}", s.runtime.image);
    let _ = writeln!(o, "\nendpoints:");
    for p in &s.function.endpoints {
        let _ = writeln!(o, "  {} {}/{}  {}", p.name, p.port, p.protocol.name(), p.description.as_deref().unwrap_or(""));
    }
    if !s.function.peer_ports.is_empty() {
        let _ = writeln!(o, "peer ports:");
        for p in &s.function.peer_ports {
            let _ = writeln!(o, "  {} {}  {}", p.name, p.port, p.description.as_deref().unwrap_or(""));
        }
    }
    if !s.knobs.is_empty() {
        let _ = writeln!(o, "\nknobs (set with --set settings.NAME=VALUE):");
        for (name, k) in &s.knobs {
            let _ = writeln!(o, "  {name}: {}\n      {}", knob_line(k), k.description);
        }
    }
    let r = &s.redundancy;
    let _ = writeln!(
        o,
        "\ndefaults: {} replicas, quorum {}, spread {}; cpu {}, memory {}, storage {}",
        r.replicas, r.quorum, r.spread, s.capacity.cpu, s.capacity.memory, s.capacity.storage
    );
    for v in &s.runtime.volumes {
        let size = s.capacity.volumes.get(&v.name).map_or_else(String::new, |c| format!(", {}", c.size));
        let what = v.description.as_deref().map_or_else(String::new, |d| format!(": {}", d.trim()));
        let _ = writeln!(o, "volume {} at {}{size} (--set capacity.volumes.{}.size=...){what}", v.name, v.path, v.name);
    }
    if let Some(rule) = &s.runtime.replicas {
        let _ = writeln!(o, "replica counts: {}..{}{} ({})", rule.min, rule.max, if rule.odd { ", odd only" } else { "" }, rule.reason);
    }
    if let Some(reason) = &s.runtime.scaling.reason {
        let _ = writeln!(o, "scaling: {}", reason.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if !s.runtime.scaling.remove_member.is_empty() {
        let _ = writeln!(o, "removing a replica (`ossc diff` prints these for each one that goes, highest ordinal first):");
        for step in &s.runtime.scaling.remove_member {
            let pod = step.run_in.describe();
            let _ = writeln!(o, "  in {pod}: {}", step.exec.join(" "));
            if let Some(note) = &step.note {
                let _ = writeln!(o, "      {note}");
            }
        }
    }
    if let Some(limit) = drain_limit(s) {
        let _ = writeln!(o, "disruption: {limit}");
    }
    if !s.runtime.bootstrap.is_empty() {
        let _ = writeln!(o, "bootstrap (a Job each, after install):");
        for step in &s.runtime.bootstrap {
            let _ = writeln!(o, "  {}: {}", step.name, step.description.as_deref().unwrap_or("(no description)").trim());
        }
    }
    if !s.runtime.sidecars.is_empty() {
        let _ = writeln!(o, "sidecars (beside the software in every replica):");
        for sc in &s.runtime.sidecars {
            let _ = writeln!(o, "  {}: {}", sc.name, sc.description.as_deref().unwrap_or("(no description)").trim());
        }
    }
    if !s.runtime.components.is_empty() {
        let _ = writeln!(o, "components (workloads of their own beside the software):");
        for c in &s.runtime.components {
            let _ = writeln!(o, "  {} ({} pods): {}", c.name, c.replicas, c.description.as_deref().unwrap_or("(no description)").trim());
        }
    }
    if let Some(ha) = &s.function.high_availability {
        let _ = writeln!(o, "\nhigh availability:\n  {}", ha.trim());
    }
    if let Some(sec) = &s.function.security {
        let _ = writeln!(o, "\nsecurity:\n  {}", sec.trim());
    }
    if !s.credentials.is_empty() {
        let keys: Vec<&str> = s.credentials.keys().map(|k| k.as_str()).collect();
        let _ = writeln!(
            o,
            "credentials: Secret {}-credentials, generated in the cluster at install (keys {}); bring your own with --set access.credentialsSecret=NAME",
            entry.name,
            keys.join(", ")
        );
    }
    let _ = writeln!(
        o,
        "tls: {}",
        if let Some(tls) = &s.runtime.tls {
            let stop = tls
                .stop_to_switch
                .as_ref()
                .map(|why| format!("; switch it on a stopped service ({why}): `ossc diff` says how"))
                .unwrap_or_default();
            format!(
                "off by default; --set access.tls.enabled=true makes a CA and a certificate in the cluster (Secret {}-tls) and puts the CA in the binding{stop}",
                entry.name
            )
        } else {
            "not available: the spec does not say how the software takes a certificate (the security statement says what protects it)"
                .to_owned()
        }
    );
    let _ = writeln!(o, "backups: {}", backup_line(s));
    if let Some(m) = s.runtime.metrics.as_ref().filter(|m| !m.alerts.is_empty()) {
        let _ = writeln!(o, "alerts (beside ossc's own): {}", alerts_text(m));
    }
    if let Some(b) = &s.function.binding {
        let _ = writeln!(
            o,
            "connect: Secret {}-binding (servicebinding.io/{}); `ossc connect {}` prints the address and a first command",
            entry.name, b.kind, entry.name
        );
    }
    o
}

/// Whether and how the entry takes backups (`runtime.backup`), in one line.
fn backup_line(s: &oss_spec::Spec) -> String {
    match &s.runtime.backup {
        Some(b) => {
            let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            let archive = b.archive.as_ref().map_or_else(String::new, |a| {
                format!(" Point-in-time restore (`backup.restore.time`), from its archive: {}.", words(&a.description))
            });
            format!("{}{archive} Set `backup.store` to an object store that admits this namespace (docs/backup.md).", words(&b.description))
        }
        None => "none yet: the entry has no backup procedure (`runtime.backup`); docs/backup.md says what to do instead".to_owned(),
    }
}

/// What a consumer cannot change about drains: when no replica count the software supports can
/// spare one under the entry's quorum, every node drain or upgrade restarts the service. Said
/// here once instead of as a warning on every build.
#[must_use]
pub fn drain_limit(spec: &oss_spec::Spec) -> Option<String> {
    let rule = spec.runtime.replicas.as_ref()?;
    let quorum = spec.redundancy.quorum;
    let spares = (rule.min..=rule.max).any(|n| rule.allows(n) && n > quorum.required(n));
    (!spares).then(|| {
        format!(
            "no PodDisruptionBudget can be given: a node drain or an upgrade restarts the service (it runs at most {} replica(s): {})",
            rule.max, rule.reason
        )
    })
}

/// The catalog page, `docs/catalog.md`.
#[must_use]
pub fn markdown(loaded: &[(Entry, Loaded)]) -> String {
    let mut o = String::from(
        "# The catalog\n\n<!-- Generated from specs/ by `UPDATE_GOLDEN=1 cargo test -p oss-catalog`; do not edit by hand. -->\n\n\
         Every service builds by name: `ossc build NAME [--set ...]` (a path that exists on disk wins over a catalog name). \
         Why object storage is MinIO built from its source: [the decision](#object-storage-the-decision).\n\n\
         | service | category | stands in for | version | image |\n|---|---|---|---|---|\n",
    );
    for (e, l) in loaded {
        let s = &l.spec;
        let _ = writeln!(
            o,
            "| [{}](#{}) | {} | {} | {} | `{}` |",
            e.name,
            e.name,
            category_name(s.function.category),
            s.function.stands_in_for.join(", "),
            s.metadata.version,
            s.runtime.image
        );
    }
    for (e, l) in loaded {
        let s = &l.spec;
        let _ = writeln!(o, "\n## {}\n", e.name);
        let _ = writeln!(
            o,
            "**{}** — {}\n",
            s.metadata.title.as_deref().unwrap_or(e.name),
            s.metadata.description.as_deref().unwrap_or("").trim()
        );
        let ports: Vec<String> = s.function.endpoints.iter().map(|p| format!("`{}` {}", p.name, p.port)).collect();
        let _ = writeln!(o, "- endpoints: {}", if ports.is_empty() { "none".to_owned() } else { ports.join(", ") });
        let r = &s.redundancy;
        let (quorum, spread) = (r.quorum, r.spread);
        let _ = writeln!(o, "- defaults: {} replicas, quorum {quorum}, spread {spread}", r.replicas);
        for v in &s.runtime.volumes {
            let size = s.capacity.volumes.get(&v.name).map_or_else(String::new, |c| format!(", {} by default", c.size));
            let what = v.description.as_deref().map_or_else(String::new, |d| format!(" — {}", d.trim()));
            let _ = writeln!(o, "- volume `{}` at `{}`{size} (`capacity.volumes.{}.size`){what}", v.name, v.path, v.name);
        }
        if let Some(rule) = &s.runtime.replicas {
            let _ =
                writeln!(o, "- replica counts: {} to {}{} — {}", rule.min, rule.max, if rule.odd { ", odd only" } else { "" }, rule.reason);
        }
        if let Some(reason) = &s.runtime.scaling.reason {
            let _ = writeln!(o, "- scaling: {}", reason.trim());
        }
        for step in &s.runtime.scaling.remove_member {
            let pod = step.run_in.describe();
            let note = step.note.as_deref().map_or_else(String::new, |n| format!(" — {n}"));
            let _ = writeln!(o, "- before a replica is removed, in {pod}: `{}`{note}", step.exec.join(" "));
        }
        if let Some(limit) = drain_limit(s) {
            let _ = writeln!(o, "- disruption: {limit}");
        }
        for step in &s.runtime.bootstrap {
            let _ = writeln!(o, "- bootstrap `{}`: {}", step.name, step.description.as_deref().unwrap_or("(no description)").trim());
        }
        for sc in &s.runtime.sidecars {
            let _ = writeln!(o, "- sidecar `{}`: {}", sc.name, sc.description.as_deref().unwrap_or("(no description)").trim());
        }
        for c in &s.runtime.components {
            let _ = writeln!(
                o,
                "- component `{}` ({} pods): {}",
                c.name,
                c.replicas,
                c.description.as_deref().unwrap_or("(no description)").trim()
            );
        }
        let _ = writeln!(o, "- metrics: {}", metrics_line(s));
        let _ = writeln!(o, "- backups: {}", backup_line(s));
        for (name, k) in &s.knobs {
            let _ = writeln!(o, "- knob `{name}` ({}): {}", knob_line(k), k.description);
        }
        if let Some(ha) = &s.function.high_availability {
            let _ = writeln!(o, "\n*High availability:* {}", ha.trim());
        }
        if let Some(sec) = &s.function.security {
            let _ = writeln!(o, "\n*Security:* {}", sec.trim());
        }
        if let Some(b) = &s.function.binding {
            let _ = writeln!(
                o,
                "\n*Connect:* the binding Secret `{}-binding` (servicebinding.io/{}); `ossc connect {}`.",
                e.name, b.kind, e.name
            );
        }
    }
    // decisions about the catalog as a whole, kept beside the code that writes the page
    let _ = write!(o, "\n{}", include_str!("../decisions.md"));
    o
}

/// Where the entry's metrics come from, and what its SLO rules measure.
fn metrics_line(s: &oss_spec::Spec) -> String {
    let Some(m) = &s.runtime.metrics else {
        return "none (no scrape target, no SLO rules)".to_owned();
    };
    let source = m.exporter.as_ref().map_or_else(|| "the software's own endpoint".to_owned(), |e| format!("the exporter `{}`", e.image));
    let sli = if m.sli.is_some() { "the entry's own availability SLI" } else { "the default SLI (failed scrapes)" };
    let slo = s.slo.availability.map_or_else(
        || "no objective by default (`slo.availability`)".to_owned(),
        |a| format!("{a}% availability by default ([slo.md](slo.md)), measured by {sli}"),
    );
    let alerts = alerts_text(m);
    let alerts = if alerts.is_empty() { String::new() } else { format!("; alerts of its own: {alerts}") };
    format!("`:{}{}` from {source}; {slo}{alerts}", m.port, m.path)
}

/// The entry's own alerts (`runtime.metrics.alerts`), each with when it is in the bundle and
/// its summary; empty without any.
fn alerts_text(m: &oss_spec::model::Metrics) -> String {
    m.alerts
        .iter()
        .map(|a| {
            let when = match a.when {
                Some(oss_spec::model::AlertWhen::Backup) => " (with backups)",
                None => "",
            };
            format!("`{}`{when}, {}: {}", a.name, a.severity.label(), a.summary)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A commented consumer overlay for `entry`: `extends`, every knob with its default and
/// bounds, and the common consumer sections at their current values, commented out.
#[must_use]
pub fn init_overlay(entry: &Entry, loaded: &Loaded) -> String {
    let s = &loaded.spec;
    let mut o = String::new();
    let title = s.metadata.title.as_deref().unwrap_or(entry.name);
    let _ = writeln!(o, "# An overlay for the catalog service `{}` ({title} {}).", entry.name, s.metadata.version);
    let _ = writeln!(o, "# Uncomment and change what you need; build with `ossc build THIS_FILE`.");
    let _ = writeln!(o, "# Merge rules: docs/overlays.md. Every field: docs/spec.md.");
    let _ = writeln!(o, "apiVersion: openservice.dev/v1alpha1");
    let _ = writeln!(o, "kind: Service");
    let _ = writeln!(o, "extends: {}", entry.name);
    let _ = writeln!(o, "# metadata:\n#   name: {}            # the instance name (and default namespace)", entry.name);
    if !s.knobs.is_empty() {
        let _ = writeln!(o, "# settings:");
        for (name, k) in &s.knobs {
            let _ = writeln!(o, "#   {name}: {}    # {}; {}", k.default.render(), knob_line(k), k.description);
        }
    }
    let c = &s.capacity;
    let _ = writeln!(o, "# capacity:\n#   cpu: \"{}\"\n#   memory: {}", c.cpu, c.memory);
    if s.runtime.state == oss_spec::model::State::Stateful {
        let _ = writeln!(o, "#   storage: {}\n#   storageClass: fast-ssd", c.storage);
    }
    let r = &s.redundancy;
    let (quorum, spread) = (r.quorum, r.spread);
    let _ = writeln!(o, "# redundancy:\n#   replicas: {}\n#   quorum: {quorum}\n#   spread: {spread}", r.replicas);
    if let Some(rule) = &s.runtime.replicas {
        let _ = writeln!(o, "#   # replica counts: {} to {}{} ({})", rule.min, rule.max, if rule.odd { ", odd" } else { "" }, rule.reason);
    }
    let _ =
        writeln!(o, "# access:\n#   clients:\n#     - namespace: shop\n#       podLabels: {{app: orders}}\n#   operators: [platform-team]");
    match s.slo.availability {
        Some(a) => {
            let _ = writeln!(o, "# slo:\n#   availability: {a}");
        }
        None => {
            let _ = writeln!(o, "# slo:\n#   availability: 99.9");
        }
    }
    let _ = writeln!(
        o,
        "# lifecycle:\n#   state: running      # or stopped: no pods, data kept\n#   restartGeneration: 0 # bump to restart every pod"
    );
    o
}

/// Parses every entry (for list, the page and tests).
///
/// # Errors
/// The first entry that does not parse, with its diagnostics.
pub fn load_all() -> Result<Vec<(Entry, Loaded)>, (Entry, Failure)> {
    ENTRIES.iter().map(|e| e.load(&oss_spec::Options::default()).map(|l| (*e, l)).map_err(|f| (*e, f))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses_and_is_named_after_its_file() {
        let all = load_all().unwrap_or_else(|(e, f)| panic!("{}: {f}", e.name));
        assert!(!all.is_empty());
        for (e, l) in &all {
            assert_eq!(l.spec.metadata.name.as_str(), e.name, "{} must be named after its file", e.path);
            assert!(l.spec.function.high_availability.is_some(), "{}: say what HA it gives (function.highAvailability)", e.name);
            assert!(l.spec.metadata.description.is_some(), "{}: needs a description", e.name);
        }
        let names: Vec<_> = all.iter().map(|(e, _)| e.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn catalog_page_is_fresh() {
        let all = load_all().unwrap_or_else(|(e, f)| panic!("{}: {f}", e.name));
        let page = markdown(&all);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/catalog.md");
        if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
            std::fs::write(path, &page).unwrap();
            return;
        }
        assert!(
            std::fs::read_to_string(path).unwrap_or_default() == page,
            "docs/catalog.md is stale; run `UPDATE_GOLDEN=1 cargo test -p oss-catalog`"
        );
    }

    #[test]
    fn lookup_and_suggestions() {
        assert!(get("cassandra").is_some());
        assert_eq!(suggest("casandra"), Some("cassandra"));
        assert!(get("nope").is_none());
    }
}
