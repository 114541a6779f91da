//! A ResourceQuota sized to the most the service can grow to: the largest replica count
//! (autoscaling `max`, else `replicas`), plus the extra pod a Deployment surges during a rollout.

use super::quantity::{format_bytes, format_decimal};
use k8s_openapi::api::core::v1::ResourceQuotaSpec;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use oss_spec::Spec;
use oss_spec::model::State;
use std::collections::BTreeMap;

/// Per-pod CPU and memory (nano-units): the main container, an exporter and the sidecars, or
/// the largest init container of a seeding restore when it is larger (init containers run one
/// at a time, before the others: the pod counts the larger of the two).
#[must_use]
pub fn pod_totals(spec: &Spec) -> (i128, i128) {
    let exporter = spec.runtime.metrics.as_ref().and_then(|m| m.exporter.as_ref());
    let helpers = exporter.map(|e| (&e.cpu, &e.memory)).into_iter().chain(spec.runtime.sidecars.iter().map(|s| (&s.cpu, &s.memory)));
    let (cpu, mem) =
        helpers.fold((spec.capacity.cpu.nanos(), spec.capacity.memory.nanos()), |(cpu, mem), (c, m)| (cpu + c.nanos(), mem + m.nanos()));
    let (init_cpu, init_mem) = crate::backup::seed_totals(spec);
    (cpu.max(init_cpu), mem.max(init_mem))
}

/// The quota's hard limits.
#[must_use]
pub fn derive_quota(spec: &Spec) -> ResourceQuotaSpec {
    let stateful = spec.runtime.state == State::Stateful;
    let most = spec.scaling.autoscale.as_ref().map_or(spec.redundancy.replicas, |a| a.max.max(spec.redundancy.replicas));
    let pods = i128::from(most) + i128::from(!stateful);
    let (cpu, mem) = pod_totals(spec);
    // The credentials generator's pod runs beside them (once, at install).
    let (gen_pods, (gen_cpu, gen_mem)) = if !spec.needs_generator() { (0, (0, 0)) } else { (1, crate::credentials::pod_totals()) };
    // And the bootstrap steps' pods, which may all run at once.
    let (boot_cpu, boot_mem) = crate::bootstrap::pod_totals(&spec.runtime.bootstrap);
    // And a backup and a restore (`backup`).
    let (backup_pods, backup_cpu, backup_mem) = crate::backup::pod_totals(spec);
    // And the restart onto a renewed certificate (`access.tls.issuer`).
    let (reload_pods, reload_cpu, reload_mem) = crate::reload::pod_totals(spec);
    // And the components' pods (`runtime.components`), each at its own size; a rolling update
    // replaces a pod after the old one is gone, so no surge.
    let components = &spec.runtime.components;
    let comp_pods: i128 = components.iter().map(|c| i128::from(c.replicas)).sum();
    let comp_cpu: i128 = components.iter().map(|c| i128::from(c.replicas) * c.cpu.nanos()).sum();
    let comp_mem: i128 = components.iter().map(|c| i128::from(c.replicas) * c.memory.nanos()).sum();
    let (gen_pods, gen_cpu, gen_mem) = (
        gen_pods + i128::try_from(spec.runtime.bootstrap.len()).unwrap_or(0) + backup_pods + reload_pods + comp_pods,
        gen_cpu + boot_cpu + backup_cpu + reload_cpu + comp_cpu,
        gen_mem + boot_mem + backup_mem + reload_mem + comp_mem,
    );
    let mut hard = BTreeMap::from([
        ("pods".to_owned(), Quantity((pods + gen_pods).to_string())),
        ("requests.cpu".to_owned(), Quantity(format_decimal(cpu * pods + gen_cpu))),
        ("limits.cpu".to_owned(), Quantity(format_decimal(cpu * pods + gen_cpu))),
        ("requests.memory".to_owned(), Quantity(format_bytes(mem * pods + gen_mem))),
        ("limits.memory".to_owned(), Quantity(format_bytes(mem * pods + gen_mem))),
    ]);
    // Per replica: every claim its StatefulSet makes; and the components' claims.
    let (comp_claims, comp_bytes) = components
        .iter()
        .filter_map(|c| c.storage.as_ref().map(|s| (i128::from(c.replicas), i128::from(c.replicas) * s.nanos())))
        .fold((0i128, 0i128), |(n, sum), (k, b)| (n + k, sum + b));
    if stateful || comp_claims > 0 {
        let (claims, bytes) = if stateful {
            crate::lower::claim_templates(spec).fold((0i128, 0i128), |(n, sum), (_, size, _)| (n + 1, sum + size.nanos()))
        } else {
            (0, 0)
        };
        hard.insert("persistentvolumeclaims".to_owned(), Quantity((claims * i128::from(most) + comp_claims).to_string()));
        hard.insert("requests.storage".to_owned(), Quantity(format_bytes(bytes * i128::from(most) + comp_bytes)));
    }
    ResourceQuotaSpec { hard: Some(hard), ..ResourceQuotaSpec::default() }
}
