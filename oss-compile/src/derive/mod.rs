//! Derivations: what the consumer's intent (redundancy, SLO, scaling, capacity) implies for the
//! cluster. Each decision is a small pure function named after what it decides, with a table of
//! tests beside it; lowering turns the decisions into objects.

pub mod autoscaling;
pub mod availability;
pub mod disruption;
pub mod placement;
pub mod quantity;
pub mod quota;
pub mod slo;

use oss_spec::Code;

/// A derivation's refusal or warning, before it is located: the spec path it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Diagnostic code.
    pub code: Code,
    /// Dotted spec path the finding is about (located through the span index).
    pub path: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The change the help proposes as `--set` arguments (see `oss_spec::Diagnostic::fix`).
    pub fix: Vec<String>,
    /// Other paths whose values decide the finding; it is reported at whichever of these and
    /// `path` the user wrote last (`SpanIndex::decisive`).
    pub involves: &'static [&'static str],
}

impl Finding {
    /// A new finding.
    #[must_use]
    pub fn new(code: Code, path: &'static str, message: String, help: String) -> Self {
        Self { code, path, message, help, fix: Vec::new(), involves: &[] }
    }

    /// With the other paths that decide it.
    #[must_use]
    pub fn involving(mut self, paths: &'static [&'static str]) -> Self {
        self.involves = paths;
        self
    }

    /// With the machine-readable form of the change the help proposes.
    #[must_use]
    pub fn fix(mut self, sets: Vec<String>) -> Self {
        self.fix = sets;
        self
    }
}
