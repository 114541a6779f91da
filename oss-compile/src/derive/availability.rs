//! The availability model: what a topology (replicas, quorum, spread) can deliver, and the
//! smallest change that meets an objective. Assumptions and sources: `docs/availability.md`.
//!
//! The model counts infrastructure failures only (nodes and zones), independent of each other;
//! software bugs, overload and operator error are not in it. It is a ceiling, not a promise.

use oss_spec::model::{Quorum, Spread};

/// Availability of one node (and so of a replica on it): the instance-level uptime that major
/// clouds commit to, e.g. Amazon EC2's instance-level SLA of 99.5%.
pub const NODE: f64 = 0.995;
/// Availability of one zone.
pub const ZONE: f64 = 0.9995;
/// Zones assumed for `spread: zone` (most regions offer three).
pub const ZONES: u32 = 3;

/// Probability that fewer than `q` of `m` independent replicas, each up with probability `p`,
/// are up. Computed term by term in log space, so small results stay precise.
fn below(m: u32, q: u32, p: f64) -> f64 {
    if q == 0 {
        return 0.0;
    }
    if q > m {
        return 1.0;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut ln_choose = 0.0; // ln C(m, 0)
    let mut sum = 0.0;
    for k in 0..q {
        if k > 0 {
            ln_choose += f64::from(m - k + 1).ln() - f64::from(k).ln();
        }
        sum += (ln_choose + f64::from(k) * lp + f64::from(m - k) * lq).exp();
    }
    sum.min(1.0)
}

/// Estimated availability (a fraction, e.g. 0.9999) of a service that works while at least
/// `quorum.required(replicas)` replicas are up.
///
/// - `none`: replicas may share one node, so one node and one zone carry them all.
/// - `host`: one replica per node, but all may sit in one zone.
/// - `zone`: replicas spread evenly over [`ZONES`] zones (fewer when there are fewer replicas).
#[must_use]
pub fn estimate_availability(replicas: u32, quorum: Quorum, spread: Spread) -> f64 {
    let q = quorum.required(replicas);
    match spread {
        Spread::None => NODE * ZONE,
        Spread::Host => ZONE * (1.0 - below(replicas, q, NODE)),
        Spread::Zone => {
            let zones = replicas.clamp(1, ZONES);
            let sizes: Vec<u32> = (0..zones).map(|z| replicas / zones + u32::from(z < replicas % zones)).collect();
            let mut up = 0.0;
            for mask in 0u32..(1 << zones) {
                let mut p = 1.0;
                let mut alive = 0;
                for (z, size) in sizes.iter().enumerate() {
                    if mask & (1 << z) != 0 {
                        p *= ZONE;
                        alive += size;
                    } else {
                        p *= 1.0 - ZONE;
                    }
                }
                up += p * (1.0 - below(alive, q, NODE));
            }
            up
        }
    }
}

/// The smallest change of replicas and spread that meets `target` (a fraction), keeping the
/// quorum rule and only replica counts the software `allows`: fewest added replicas first, each
/// step of spread counted as two replicas.
#[must_use]
pub fn smallest_change(replicas: u32, quorum: Quorum, spread: Spread, target: f64, allows: impl Fn(u32) -> bool) -> Option<(u32, Spread)> {
    let rank = |s: Spread| match s {
        Spread::None => 0u32,
        Spread::Host => 1,
        Spread::Zone => 2,
    };
    let mut best: Option<(u32, u32, Spread)> = None;
    for s in [Spread::None, Spread::Host, Spread::Zone] {
        if rank(s) < rank(spread) {
            continue;
        }
        let floor = match quorum {
            Quorum::Count(n) => replicas.max(n),
            _ => replicas,
        };
        for n in floor..=floor.saturating_add(12).min(1000) {
            if allows(n) && estimate_availability(n, quorum, s) >= target {
                let cost = (n - replicas) + 2 * (rank(s) - rank(spread));
                if best.is_none_or(|(c, bn, _)| (cost, n) < (c, bn)) {
                    best = Some((cost, n, s));
                }
                break;
            }
        }
    }
    best.map(|(_, n, s)| (n, s))
}

/// `99.99` style rendering of a fraction, rounded down to two decimals of a percent.
#[must_use]
pub fn percent(fraction: f64) -> String {
    let basis_points = (fraction * 10_000.0).floor() / 100.0;
    let s = format!("{basis_points:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_replicas_across_zones_are_more_available() {
        let a = |n, s| estimate_availability(n, Quorum::Majority, s);
        assert!(a(3, Spread::Zone) > a(3, Spread::Host));
        assert!(a(3, Spread::Host) > a(3, Spread::None));
        assert!(a(5, Spread::Zone) > a(3, Spread::Zone));
        assert!((a(1, Spread::Zone) - NODE * ZONE).abs() < 1e-12);
    }

    #[test]
    fn table_of_topologies() {
        // (replicas, quorum, spread, meets 99.9, meets 99.99, meets 99.999)
        let table = [
            (1, Quorum::Majority, Spread::Zone, false, false, false),
            (2, Quorum::Majority, Spread::Zone, false, false, false),
            (3, Quorum::Majority, Spread::None, false, false, false),
            (3, Quorum::Majority, Spread::Host, true, false, false),
            (3, Quorum::Majority, Spread::Zone, true, true, false),
            (5, Quorum::Majority, Spread::Zone, true, true, false),
            (3, Quorum::All, Spread::Zone, false, false, false),
            (3, Quorum::One, Spread::Zone, true, true, true),
        ];
        for (n, q, s, t3, t4, t5) in table {
            let a = estimate_availability(n, q, s);
            assert_eq!((a >= 0.999, a >= 0.9999, a >= 0.99999), (t3, t4, t5), "{n} {q:?} {s:?}: {a}");
        }
    }

    #[test]
    fn quorum_all_gets_worse_with_more_replicas() {
        let a = |n| estimate_availability(n, Quorum::All, Spread::Zone);
        assert!(a(5) < a(3));
    }

    #[test]
    fn smallest_change_prefers_replicas_then_spread() {
        let any = |_| true;
        assert_eq!(smallest_change(1, Quorum::Majority, Spread::Zone, 0.9999, any), Some((3, Spread::Zone)));
        assert_eq!(smallest_change(3, Quorum::Majority, Spread::Host, 0.9999, any), Some((3, Spread::Zone)));
        assert_eq!(smallest_change(3, Quorum::Majority, Spread::None, 0.999, any), Some((3, Spread::Host)));
        assert_eq!(smallest_change(3, Quorum::All, Spread::Zone, 0.9999, any), None);
        // Only counts the software supports: a single-instance service cannot grow.
        assert_eq!(smallest_change(1, Quorum::Majority, Spread::Zone, 0.9999, |n| n == 1), None);
        assert_eq!(percent(0.994502), "99.45");
        assert_eq!(percent(0.9999), "99.99");
    }
}
