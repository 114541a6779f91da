//! Machine-readable diagnostics for tools: a documented JSON shape (docs/diagnostics.md,
//! "JSON output") and SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

use oss_spec::{Diagnostic, Severity, Sources};
use serde_json::{Value, json};

/// Findings of one checked file.
pub struct FileReport {
    /// Display name.
    pub file: String,
    /// Sources the diagnostics point into.
    pub sources: Sources,
    /// Findings (errors and warnings).
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the file could be read at all.
    pub readable: bool,
}

/// A SARIF artifact URI: relative paths stay relative (GitHub resolves them against the
/// checkout), absolute ones become `file://` URIs; characters outside the URI grammar are
/// percent-encoded.
fn artifact_uri(name: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    if name.starts_with('/') { format!("file://{encoded}") } else { encoded }
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `ossc validate --format json`.
#[must_use]
pub fn json(reports: &[FileReport]) -> String {
    let files: Vec<Value> = reports
        .iter()
        .map(|r| {
            let diags: Vec<Value> = r.diagnostics.iter().map(|d| oss_spec::diagnostic_json(&r.sources, d)).collect();
            let valid = r.readable && !r.diagnostics.iter().any(Diagnostic::is_error);
            json!({"file": r.file, "readable": r.readable, "valid": valid, "diagnostics": diags})
        })
        .collect();
    let valid = reports.iter().filter(|r| r.readable && !r.diagnostics.iter().any(Diagnostic::is_error)).count();
    let unreadable = reports.iter().filter(|r| !r.readable).count();
    let out = json!({
        "version": 1,
        "files": files,
        "summary": {"files": reports.len(), "valid": valid, "withErrors": reports.len() - valid - unreadable, "unreadable": unreadable},
    });
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

/// `ossc validate --format sarif`: SARIF 2.1.0 with one rule per diagnostic code.
#[must_use]
pub fn sarif(reports: &[FileReport]) -> String {
    let docs = "https://github.com/openservice/ossc/blob/main/docs/diagnostics.md";
    let rules: Vec<Value> = oss_spec::Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.slug(),
                "shortDescription": {"text": c.summary()},
                "helpUri": format!("{docs}#{}-{}", c.as_str().to_ascii_lowercase(), c.slug()),
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        for d in &r.diagnostics {
            let rule_index = oss_spec::Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index,
                "level": severity(d),
                "message": {"text": text},
            });
            let physical = match d.span {
                Some(span) => {
                    let src = r.sources.get(span.source);
                    let (line, column) = src.line_col(span.start);
                    let (end_line, end_column) = src.line_col(span.start + span.len);
                    json!({"artifactLocation": {"uri": artifact_uri(src.name())}, "region": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column.max(column)}})
                }
                None => json!({"artifactLocation": {"uri": artifact_uri(&r.file)}}),
            };
            result["locations"] = json!([{"physicalLocation": physical}]);
            results.push(result);
        }
    }
    let out = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ossc", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/openservice/ossc", "rules": rules}},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}
