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
}

impl Finding {
    /// A new finding.
    #[must_use]
    pub fn new(code: Code, path: &'static str, message: String, help: String) -> Self {
        Self { code, path, message, help }
    }
}
