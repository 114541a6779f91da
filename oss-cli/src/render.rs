//! Rendering diagnostics for people: miette's graphical report with the source snippet, the
//! `file:line:col` location and the help line. Colour only on a terminal without `NO_COLOR`.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use oss_spec::{Diagnostic, Diagnostics, Severity, Sources};
use std::fmt;
use std::io::{IsTerminal, Write};

#[derive(Debug)]
struct Report {
    diag: Diagnostic,
    source: Option<NamedSource<String>>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    // No `code()`: the plain first line already carries it, as `error[OSS003]`.
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diag.span?;
        self.source.as_ref()?;
        let label = self.diag.label.clone().or_else(|| Some("here".to_owned()));
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(label, SourceSpan::new(span.start.into(), span.len)))))
    }
}

/// Prints every finding to stderr, each headed by `file:line:col: error[CODE]: message`.
pub fn report(sources: &Sources, diags: &Diagnostics) {
    if diags.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_width(100);
    let mut out = String::new();
    for d in diags.iter() {
        let sev = if d.is_error() { "error" } else { "warning" };
        let location = d.span.map(|s| sources.location(s));
        // A plain first line that editors, CI logs and grep understand.
        match &location {
            Some(l) => out.push_str(&format!("{l}: {sev}[{}]: {}\n", d.code, d.message)),
            None => out.push_str(&format!("{sev}[{}]: {}\n", d.code, d.message)),
        }
        let source = d.span.map(|s| {
            let src = sources.get(s.source);
            NamedSource::new(src.name(), src.text().to_owned())
        });
        let report = Report { diag: d.clone(), source };
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}
