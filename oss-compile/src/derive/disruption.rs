//! How many replicas a voluntary disruption (a node drain, an upgrade) may take down at once.

use oss_spec::model::Quorum;

/// The disruption budget a topology allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// At most this many replicas may be down at once (≥ 1).
    MaxUnavailable(u32),
    /// No replica can be spared: a PodDisruptionBudget would block node drains forever, so
    /// none is emitted and the consumer is warned.
    NoneSpare {
        /// Replicas that must stay up.
        required: u32,
    },
}

/// `replicas - quorum`: what the quorum rule lets go.
#[must_use]
pub fn derive_disruption_budget(replicas: u32, quorum: Quorum) -> Budget {
    let required = quorum.required(replicas).min(replicas);
    match replicas - required {
        0 => Budget::NoneSpare { required },
        n => Budget::MaxUnavailable(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_replicas_minus_quorum() {
        let table = [
            (3, Quorum::Majority, Budget::MaxUnavailable(1)),
            (5, Quorum::Majority, Budget::MaxUnavailable(2)),
            (4, Quorum::Majority, Budget::MaxUnavailable(1)),
            (2, Quorum::Majority, Budget::NoneSpare { required: 2 }),
            (1, Quorum::Majority, Budget::NoneSpare { required: 1 }),
            (3, Quorum::All, Budget::NoneSpare { required: 3 }),
            (3, Quorum::One, Budget::MaxUnavailable(2)),
            (6, Quorum::Count(4), Budget::MaxUnavailable(2)),
        ];
        for (n, q, want) in table {
            assert_eq!(derive_disruption_budget(n, q), want, "{n} {q:?}");
        }
    }
}
