//! SLO rules: Sloth-compatible recording rules for the SLI over every window, the objective
//! and error budget, and multi-window multi-burn-rate alerts (Google SRE workbook, chapter
//! "Alerting on SLOs", 30-day window): page at 14.4× over 1h and 5m or 6× over 6h and 30m;
//! ticket at 3× over 1d and 2h or 1× over 3d and 6h. Plus service alerts from
//! kube-state-metrics and the kubelet. See docs/slo.md.

use crate::monitoring::{Rule, RuleGroup};
use oss_spec::model::Quorum;
use oss_spec::values::Percent;
use std::collections::BTreeMap;

/// Windows over which the SLI is recorded.
pub const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// One alert condition: (burn factor, long window, short window).
pub type BurnWindow = (&'static str, &'static str, &'static str);

/// (severity, its two conditions) of the burn-rate alerts.
pub const BURN_ALERTS: [(&str, [BurnWindow; 2]); 2] =
    [("page", [("14.4", "1h", "5m"), ("6", "6h", "30m")]), ("ticket", [("3", "1d", "2h"), ("1", "3d", "6h")])];

/// The SLI as two PromQL templates over `${window}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliQueries {
    /// Bad events.
    pub errors: String,
    /// All events.
    pub total: String,
}

/// The default SLI for a service without a request-level one: the share of failed scrapes of
/// its replicas (`up == 0`), i.e. replica-time unavailable.
#[must_use]
pub fn default_sli() -> SliQueries {
    SliQueries {
        errors: "sum(count_over_time(up{${selector}}[${window}])) - sum(sum_over_time(up{${selector}}[${window}]))".to_owned(),
        total: "sum(count_over_time(up{${selector}}[${window}]))".to_owned(),
    }
}

/// What the rules are about.
#[derive(Debug, Clone)]
pub struct SloTarget<'a> {
    /// Service (instance) name.
    pub service: &'a str,
    /// Label matchers selecting the service's metrics, e.g. `namespace="db",job="db-metrics"`.
    pub selector: String,
    /// Objective.
    pub objective: Percent,
    /// SLI queries.
    pub sli: SliQueries,
}

fn slo_labels(t: &SloTarget) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("sloth_id".to_owned(), format!("{}-availability", t.service)),
        ("sloth_service".to_owned(), t.service.to_owned()),
        ("sloth_slo".to_owned(), "availability".to_owned()),
    ])
}

fn matcher(t: &SloTarget) -> String {
    format!("{{sloth_id=\"{}-availability\", sloth_service=\"{}\", sloth_slo=\"availability\"}}", t.service, t.service)
}

fn record(name: &str, expr: String, labels: BTreeMap<String, String>) -> Rule {
    Rule { record: Some(name.to_owned()), expr, labels, ..Rule::default() }
}

/// Recording rules (SLI per window, objective, budget, burn) and burn-rate alerts.
#[must_use]
pub fn derive_slo_rules(t: &SloTarget) -> Vec<RuleGroup> {
    let sel = matcher(t);
    let budget = t.objective.complement_str();
    let fill = |q: &str, w: &str| q.replace("${window}", w).replace("${selector}", &t.selector);
    let mut sli = Vec::new();
    for w in WINDOWS {
        let mut labels = slo_labels(t);
        labels.insert("sloth_window".to_owned(), w.to_owned());
        sli.push(record(
            &format!("slo:sli_error:ratio_rate{w}"),
            format!("({})\n/\n({})", fill(&t.sli.errors, w), fill(&t.sli.total, w)),
            labels,
        ));
    }
    let mut labels30 = slo_labels(t);
    labels30.insert("sloth_window".to_owned(), "30d".to_owned());
    sli.push(record(
        "slo:sli_error:ratio_rate30d",
        format!("sum_over_time(slo:sli_error:ratio_rate5m{sel}[30d])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m{sel}[30d])"),
        labels30,
    ));
    let meta = vec![
        record("slo:objective:ratio", format!("vector({})", t.objective.fraction_str()), slo_labels(t)),
        record("slo:error_budget:ratio", format!("vector({budget})"), slo_labels(t)),
        record("slo:time_period:days", "vector(30)".to_owned(), slo_labels(t)),
        record(
            "slo:current_burn_rate:ratio",
            format!("slo:sli_error:ratio_rate5m{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio{sel}"),
            slo_labels(t),
        ),
        record(
            "slo:period_burn_rate:ratio",
            format!("slo:sli_error:ratio_rate30d{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio{sel}"),
            slo_labels(t),
        ),
        record("slo:period_error_budget_remaining:ratio", format!("1 - slo:period_burn_rate:ratio{sel}"), slo_labels(t)),
    ];
    let mut alerts = Vec::new();
    for (severity, pairs) in BURN_ALERTS {
        let part = |(factor, long, short): (&str, &str, &str)| {
            format!(
                "(\n  max(slo:sli_error:ratio_rate{short}{sel} > ({factor} * {budget})) without (sloth_window)\n  and\n  max(slo:sli_error:ratio_rate{long}{sel} > ({factor} * {budget})) without (sloth_window)\n)"
            )
        };
        let mut labels = slo_labels(t);
        labels.insert("severity".to_owned(), severity.to_owned());
        let name = if severity == "page" { "OsscSloBurnRatePage" } else { "OsscSloBurnRateTicket" };
        alerts.push(Rule {
            alert: Some(name.to_owned()),
            expr: format!("{}\nor\n{}", part(pairs[0]), part(pairs[1])),
            labels,
            annotations: BTreeMap::from([
                ("summary".to_owned(), format!("{} is burning its availability error budget too fast", t.service)),
                (
                    "description".to_owned(),
                    format!(
                        "{} burns its {}% availability budget too fast: {}× over {} and {}, or {}× over {} and {}.",
                        t.service, t.objective, pairs[0].0, pairs[0].1, pairs[0].2, pairs[1].0, pairs[1].1, pairs[1].2
                    ),
                ),
            ]),
            ..Rule::default()
        });
    }
    vec![
        RuleGroup { name: format!("{}-slo-sli-recordings", t.service), rules: sli },
        RuleGroup { name: format!("{}-slo-meta-recordings", t.service), rules: meta },
        RuleGroup { name: format!("{}-slo-alerts", t.service), rules: alerts },
    ]
}

/// The workload whose health the service alerts watch.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Workload (and service) name.
    pub name: &'a str,
    /// StatefulSet (true) or Deployment.
    pub stateful: bool,
    /// The quorum rule.
    pub quorum: Quorum,
}

/// Alerts on the service itself: replicas not ready, quorum lost, volumes filling up,
/// containers restarting.
#[must_use]
pub fn derive_service_alerts(w: &Workload) -> RuleGroup {
    let (ns, name) = (w.namespace, w.name);
    let (ready, desired, pod_re) = if w.stateful {
        (
            format!("kube_statefulset_status_replicas_ready{{namespace=\"{ns}\", statefulset=\"{name}\"}}"),
            format!("kube_statefulset_replicas{{namespace=\"{ns}\", statefulset=\"{name}\"}}"),
            format!("{name}-[0-9]+"),
        )
    } else {
        (
            format!("kube_deployment_status_replicas_available{{namespace=\"{ns}\", deployment=\"{name}\"}}"),
            format!("kube_deployment_spec_replicas{{namespace=\"{ns}\", deployment=\"{name}\"}}"),
            format!("{name}-[a-z0-9]+-[a-z0-9]+"),
        )
    };
    // Vectors match on the namespace; a fixed count is a plain comparison.
    let quorum_lost = match w.quorum {
        Quorum::Majority => format!("{ready}\n< on(namespace)\n(floor({desired} / 2) + 1)"),
        Quorum::All => format!("{ready}\n< on(namespace)\n{desired}"),
        Quorum::One => format!("{ready} < 1"),
        Quorum::Count(n) => format!("{ready} < {n}"),
    };
    let labels = |sev: &str| BTreeMap::from([("service".to_owned(), name.to_owned()), ("severity".to_owned(), sev.to_owned())]);
    let notes =
        |summary: String, description: String| BTreeMap::from([("summary".to_owned(), summary), ("description".to_owned(), description)]);
    let mut rules = vec![
        Rule {
            alert: Some("OsscReplicasNotReady".to_owned()),
            expr: format!("{ready}\n< on(namespace)\n{desired}"),
            for_: Some("15m".to_owned()),
            labels: labels("warning"),
            annotations: notes(
                format!("{name} has replicas that are not ready"),
                format!("Fewer replicas of {name} in {ns} are ready than configured, for 15 minutes."),
            ),
            ..Rule::default()
        },
        Rule {
            alert: Some("OsscQuorumLost".to_owned()),
            expr: quorum_lost,
            for_: Some("2m".to_owned()),
            labels: labels("page"),
            annotations: notes(
                format!("{name} has lost its quorum"),
                format!("Fewer replicas of {name} in {ns} are ready than its quorum needs: the service is down or read-only."),
            ),
            ..Rule::default()
        },
        Rule {
            alert: Some("OsscContainerRestarting".to_owned()),
            expr: format!("increase(kube_pod_container_status_restarts_total{{namespace=\"{ns}\", pod=~\"{pod_re}\"}}[30m]) > 2"),
            labels: labels("warning"),
            annotations: notes(
                format!("a container of {name} keeps restarting"),
                "{{ $labels.pod }}/{{ $labels.container }} restarted more than twice in 30 minutes.".to_owned(),
            ),
            ..Rule::default()
        },
    ];
    if w.stateful {
        let claim = format!("{{namespace=\"{ns}\", persistentvolumeclaim=~\"data-{name}-[0-9]+\"}}");
        rules.push(Rule {
            alert: Some("OsscVolumeFillingUp".to_owned()),
            expr: format!("kubelet_volume_stats_used_bytes{claim}\n/\nkubelet_volume_stats_capacity_bytes{claim}\n> 0.85"),
            for_: Some("5m".to_owned()),
            labels: labels("warning"),
            annotations: notes(
                format!("a data volume of {name} is over 85% full"),
                "{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full; raise capacity.storage (expand the claims) or free space.".to_owned(),
            ),
            ..Rule::default()
        });
    }
    RuleGroup { name: format!("{name}-service-alerts"), rules }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> SloTarget<'static> {
        SloTarget {
            service: "db",
            selector: "namespace=\"db\",job=\"db-metrics\"".to_owned(),
            objective: Percent::parse("99.9").unwrap(),
            sli: default_sli(),
        }
    }

    #[test]
    fn budget_is_an_exact_decimal() {
        let groups = derive_slo_rules(&target());
        let meta = &groups[1].rules;
        assert_eq!(meta[0].expr, "vector(0.999)");
        assert_eq!(meta[1].expr, "vector(0.001)");
        let alerts = &groups[2].rules;
        assert!(alerts[0].expr.contains(
            "slo:sli_error:ratio_rate5m{sloth_id=\"db-availability\", sloth_service=\"db\", sloth_slo=\"availability\"} > (14.4 * 0.001)"
        ));
        assert!(alerts[1].expr.contains("ratio_rate3d{") && alerts[1].expr.contains("> (1 * 0.001)"));
    }

    #[test]
    fn every_window_is_recorded_with_sloth_labels() {
        let groups = derive_slo_rules(&target());
        let names: Vec<_> = groups[0].rules.iter().map(|r| r.record.clone().unwrap()).collect();
        assert_eq!(names.len(), 8);
        assert!(names.contains(&"slo:sli_error:ratio_rate3d".to_owned()));
        let r = &groups[0].rules[0];
        assert_eq!(r.labels["sloth_window"], "5m");
        assert!(r.expr.contains("up{namespace=\"db\",job=\"db-metrics\"}[5m]"));
        assert!(!r.expr.contains("${"));
    }

    #[test]
    fn service_alerts_follow_the_workload() {
        let g = derive_service_alerts(&Workload { namespace: "db", name: "db", stateful: true, quorum: Quorum::Majority });
        let names: Vec<_> = g.rules.iter().map(|r| r.alert.clone().unwrap()).collect();
        assert_eq!(names, ["OsscReplicasNotReady", "OsscQuorumLost", "OsscContainerRestarting", "OsscVolumeFillingUp"]);
        let g = derive_service_alerts(&Workload { namespace: "web", name: "web", stateful: false, quorum: Quorum::Count(2) });
        assert!(g.rules[1].expr.ends_with("} < 2"), "{}", g.rules[1].expr);
        assert!(g.rules.iter().all(|r| !r.expr.contains("kubelet_volume")));
    }
}
