//! Diagnostics: what went wrong, where, and how to fix it.
//!
//! Owns: the [`Diagnostic`] value and the one registry of stable codes ([`Code`]). Every
//! diagnostic any stage reports has a code from here; `docs/diagnostics.md` documents each one
//! (a test keeps it complete). Must not: render — the CLI renders (miette, JSON).

use crate::source::Span;
use std::fmt;

macro_rules! codes {
    ($($variant:ident = $code:literal, $slug:literal, $summary:literal;)*) => {
        /// A stable diagnostic code. Codes are never reused or renumbered.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code { $(#[doc = $summary] $variant,)* }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed, e.g. `OSS003`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `unknown-key`.
            #[must_use]
            pub const fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }

            /// One line saying what the code means.
            #[must_use]
            pub const fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    YamlSyntax = "OSS001", "yaml-syntax", "The input is not well-formed YAML.";
    InputLimit = "OSS002", "input-limit", "The input exceeds a safety limit (size, depth, nodes, aliases, documents).";
    UnknownKey = "OSS003", "unknown-key", "A key that the Open Service Spec does not define.";
    WrongType = "OSS004", "wrong-type", "A value of the wrong YAML type (e.g. a list where a number belongs).";
    MissingField = "OSS005", "missing-field", "A required field is absent.";
    OutOfRange = "OSS006", "out-of-range", "A number or quantity outside its allowed bounds.";
    InvalidName = "OSS007", "invalid-name", "A name that Kubernetes would refuse (DNS-1123 label, port name, env var name).";
    InvalidQuantity = "OSS008", "invalid-quantity", "A resource quantity that is not in Kubernetes quantity syntax.";
    InvalidImage = "OSS009", "invalid-image", "An image reference without a pinned tag or digest, or malformed.";
    InvalidDuration = "OSS010", "invalid-duration", "A duration that is not like `30s`, `5m` or `1h30m`.";
    WrongDocument = "OSS011", "wrong-document", "The document is not `apiVersion: openservice.dev/v1alpha1`, `kind: Service`.";
    Duplicate = "OSS012", "duplicate", "Two entries share a name or a port number that must be unique.";
    UnknownReference = "OSS013", "unknown-reference", "A `${...}` reference to a knob or value that does not exist.";
    InvalidKnob = "OSS014", "invalid-knob", "A knob definition or setting that does not fit the knob's type or bounds.";
    UnknownVariant = "OSS015", "unknown-variant", "A value outside a fixed set of choices.";
    InvalidSet = "OSS016", "invalid-set", "A `--set PATH=VALUE` flag that is malformed or names no spec value.";
    EmptyDocument = "OSS017", "empty-document", "The input holds no document.";
    InvalidValue = "OSS018", "invalid-value", "A value that breaks a rule of its field (a relative path, an empty list, ...).";
    Inconsistent = "OSS019", "inconsistent", "Fields that contradict each other.";
    IoError = "OSS020", "io-error", "A file could not be read (reported by the CLI, exit code 2).";
    InfeasibleSlo = "OSS021", "infeasible-slo", "The availability objective is more than the topology can deliver.";
    NoDisruptionBudget = "OSS022", "no-disruption-budget", "No replica can be spared, so no PodDisruptionBudget is emitted (warning).";
    AutoscaleBelowQuorum = "OSS023", "autoscale-below-quorum", "The autoscaling floor would break the quorum.";
    AutoscaleUnsupported = "OSS024", "autoscale-unsupported", "The software cannot be scaled automatically.";
    UnsupportedUpgrade = "OSS025", "unsupported-upgrade", "An upgrade strategy the workload kind cannot carry out.";
    SloNotEnforced = "OSS026", "slo-not-enforced", "An objective ossc cannot measure for this service (warning).";
    InvalidReplicas = "OSS027", "invalid-replicas", "A replica count the software does not support (e.g. an even ensemble).";
    OverlayTypeClash = "OSS028", "overlay-type-clash", "An overlay gives a value of another shape than its base (a mapping against a scalar).";
    ExtendsError = "OSS029", "extends-error", "An `extends` that cannot be followed: missing base, cycle, too long a chain.";
    TargetDowngrade = "OSS030", "target-downgrade", "The target profile softens a rule its cluster cannot satisfy (warning).";
    PatchFailed = "OSS031", "patch-failed", "A patch whose target does not exist, that fails, or whose result is not a valid object.";
    NotExpressible = "OSS032", "not-expressible", "Part of the service that the output format cannot express (warning).";
    MultiClusterUnsupported = "OSS033", "multi-cluster", "A multi-cluster layout the service does not support, or an incomplete one.";
    CredentialsSecret = "OSS034", "credentials-secret", "A credentials Secret the consumer brings that the service cannot use: wrong name or namespace, a key missing.";
    ShellSubstitution = "OSS035", "shell-substitution", "A pod reference inside a shell `$(...)` or `$((...))`, where it would run as a command (warning).";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input cannot be compiled.
    Error,
    /// The input compiles, but probably not as intended.
    Warning,
}

/// One finding: a code, a lowercase message saying what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// Where; `None` only for findings about no particular place.
    pub span: Option<Span>,
    /// The label shown under the span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// The change the help proposes, machine-readable: `--set` arguments (`PATH=VALUE`,
    /// `PATH=null` to remove) that, applied to the same inputs, make this finding go away.
    /// Empty when the fix is not a value (a rename, a new file).
    pub fix: Box<[String]>,
}

impl Diagnostic {
    /// A new error with this code and message.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self { code, severity: Severity::Error, message: message.into(), span: None, label: None, help: None, fix: Box::default() }
    }

    /// A new warning with this code and message.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(code, message) }
    }

    /// Points the diagnostic at a span.
    #[must_use]
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Points the diagnostic at a span, when there is one.
    #[must_use]
    pub fn at_opt(mut self, span: Option<Span>) -> Self {
        self.span = span.or(self.span);
        self
    }

    /// Sets the label shown under the span.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the machine-readable fix (`--set` arguments; see [`Diagnostic::fix`]).
    #[must_use]
    pub fn fix(mut self, sets: Vec<String>) -> Self {
        self.fix = sets.into_boxed_slice();
        self
    }

    /// Whether this is an error (not a warning).
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// All findings of one run, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds a finding.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Whether any finding is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Sorts findings by place, then code, so output does not depend on check order.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
        self.0.dedup();
    }

    /// Iterates the findings.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Number of findings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no findings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        self.0.extend(iter);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// "did you mean `x`?" for a misspelt word among the valid ones, or `None` when nothing is close.
#[must_use]
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(c.as_str().starts_with("OSS") && c.as_str().len() == 6);
            assert!(c.summary().ends_with('.'));
        }
    }

    #[test]
    fn did_you_mean_finds_close_words_only() {
        let keys = ["replicas", "quorum", "spread"];
        assert_eq!(did_you_mean("replcas", keys), Some("replicas"));
        assert_eq!(did_you_mean("Quorum", keys), Some("quorum"));
        assert_eq!(did_you_mean("banana", keys), None);
    }
}
