//! Horizontal autoscaling: bounds that never break the quorum, and a behaviour that fits the
//! kind of service (stateful services change one replica at a time).

use super::Finding;
use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use oss_spec::Code;
use oss_spec::model::{Autoscale, MemberChange, Redundancy, RuntimeScaling};

/// CPU target when the consumer names none.
pub const DEFAULT_CPU_TARGET: u32 = 70;

/// Checks that autoscaling is allowed and keeps the quorum.
///
/// # Errors
/// The software cannot scale automatically (OSS024), or `min` is below the quorum (OSS023).
pub fn check_autoscale(a: &Autoscale, redundancy: &Redundancy, runtime: &RuntimeScaling) -> Result<(), Finding> {
    if !runtime.automatic {
        return Err(Finding::new(
            Code::AutoscaleUnsupported,
            "scaling.autoscale",
            "this service cannot be scaled automatically".to_owned(),
            format!(
                "{}; remove `scaling.autoscale` and set `redundancy.replicas` instead",
                runtime.reason.as_deref().unwrap_or("its packager says so")
            ),
        )
        .fix(vec!["scaling.autoscale=null".to_owned()]));
    }
    let quorum = redundancy.quorum.required(redundancy.replicas);
    if a.min < quorum {
        // The smallest floor that keeps the quorum and can still spare a replica (else the
        // fix would only trade this finding for OSS022).
        let floor = (quorum..quorum.saturating_add(16))
            .find(|&n| {
                matches!(super::disruption::derive_disruption_budget(n, redundancy.quorum), super::disruption::Budget::MaxUnavailable(_))
            })
            .unwrap_or(quorum);
        return Err(Finding::new(
            Code::AutoscaleBelowQuorum,
            "scaling.autoscale.min",
            format!(
                "autoscale min {} is below the quorum of {quorum} ({:?} of {} replicas)",
                a.min, redundancy.quorum, redundancy.replicas
            )
            .replace("Majority", "majority")
            .replace("All", "all")
            .replace("One", "one"),
            format!(
                "set `scaling.autoscale.min` to at least {quorum}, so that scaling in never leaves fewer replicas than the quorum needs; {floor} also leaves one replica to spare for drains"
            ),
        )
        .involving(&["redundancy.replicas", "redundancy.quorum"])
        .fix(std::iter::once(format!("scaling.autoscale.min={floor}")).chain((a.max < floor).then(|| format!("scaling.autoscale.max={floor}"))).collect()));
    }
    Ok(())
}

fn policy(kind: &str, value: i32, period: i32) -> HPAScalingPolicy {
    HPAScalingPolicy { type_: kind.to_owned(), value, period_seconds: period }
}

/// The autoscaler spec (without its target reference, which lowering fills in).
#[must_use]
pub fn derive_autoscaler(a: &Autoscale, stateful: bool, runtime: &RuntimeScaling) -> HorizontalPodAutoscalerSpec {
    let target = |name: &str, pct: u32| MetricSpec {
        type_: "Resource".to_owned(),
        resource: Some(ResourceMetricSource {
            name: name.to_owned(),
            target: MetricTarget {
                type_: "Utilization".to_owned(),
                average_utilization: i32::try_from(pct).ok(),
                ..MetricTarget::default()
            },
        }),
        ..MetricSpec::default()
    };
    let mut metrics = Vec::new();
    if a.cpu_utilization.is_some() || a.memory_utilization.is_none() {
        metrics.push(target("cpu", a.cpu_utilization.unwrap_or(DEFAULT_CPU_TARGET)));
    }
    if let Some(m) = a.memory_utilization {
        metrics.push(target("memory", m));
    }
    // Stateful: a new replica joins (and streams data) before the next is added; one replica
    // leaves per 10 minutes after 30 calm minutes. Stateless: double quickly, shrink gently.
    let (up, down) = if stateful {
        (
            HPAScalingRules {
                stabilization_window_seconds: Some(300),
                select_policy: Some("Max".to_owned()),
                policies: Some(vec![policy("Pods", 1, 300)]),
                ..HPAScalingRules::default()
            },
            HPAScalingRules {
                stabilization_window_seconds: Some(1800),
                select_policy: Some("Max".to_owned()),
                policies: Some(vec![policy("Pods", 1, 600)]),
                ..HPAScalingRules::default()
            },
        )
    } else {
        (
            HPAScalingRules {
                stabilization_window_seconds: Some(0),
                select_policy: Some("Max".to_owned()),
                policies: Some(vec![policy("Percent", 100, 60), policy("Pods", 4, 60)]),
                ..HPAScalingRules::default()
            },
            HPAScalingRules {
                stabilization_window_seconds: Some(300),
                select_policy: Some("Max".to_owned()),
                policies: Some(vec![policy("Pods", 1, 60)]),
                ..HPAScalingRules::default()
            },
        )
    };
    let down = if runtime.scale_down == MemberChange::Manual {
        HPAScalingRules { select_policy: Some("Disabled".to_owned()), ..down }
    } else {
        down
    };
    HorizontalPodAutoscalerSpec {
        min_replicas: i32::try_from(a.min).ok(),
        max_replicas: i32::try_from(a.max).unwrap_or(i32::MAX),
        metrics: Some(metrics),
        behavior: Some(HorizontalPodAutoscalerBehavior { scale_up: Some(up), scale_down: Some(down) }),
        ..HorizontalPodAutoscalerSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oss_spec::model::{Quorum, Spread};

    fn a(min: u32, max: u32) -> Autoscale {
        Autoscale { min, max, cpu_utilization: None, memory_utilization: None }
    }

    #[test]
    fn floor_keeps_the_quorum() {
        let r = Redundancy { replicas: 3, quorum: Quorum::Majority, spread: Spread::Zone };
        let ok = RuntimeScaling::default();
        assert!(check_autoscale(&a(2, 9), &r, &ok).is_ok());
        assert_eq!(check_autoscale(&a(1, 9), &r, &ok).unwrap_err().code, Code::AutoscaleBelowQuorum);
        let r5 = Redundancy { replicas: 5, quorum: Quorum::Count(4), spread: Spread::Zone };
        assert_eq!(check_autoscale(&a(3, 9), &r5, &ok).unwrap_err().code, Code::AutoscaleBelowQuorum);
        let fixed = RuntimeScaling { automatic: false, reason: Some("fixed ensemble".into()), ..RuntimeScaling::default() };
        let e = check_autoscale(&a(3, 9), &r, &fixed).unwrap_err();
        assert_eq!(e.code, Code::AutoscaleUnsupported);
        assert!(e.help.contains("fixed ensemble"));
    }

    #[test]
    fn behaviour_fits_the_kind_of_service() {
        let manual = RuntimeScaling {
            automatic: true,
            scale_down: MemberChange::Manual,
            reason: Some("decommission".into()),
            ..RuntimeScaling::default()
        };
        let s = derive_autoscaler(&a(3, 9), true, &manual);
        let b = s.behavior.unwrap();
        assert_eq!(b.scale_down.unwrap().select_policy.as_deref(), Some("Disabled"));
        assert_eq!(b.scale_up.unwrap().policies.unwrap()[0].value, 1);
        let s = derive_autoscaler(&a(2, 4), false, &RuntimeScaling::default());
        assert_eq!(s.metrics.unwrap()[0].resource.as_ref().unwrap().target.average_utilization, Some(70));
        assert_eq!(s.behavior.unwrap().scale_down.unwrap().select_policy.as_deref(), Some("Max"));
    }
}
