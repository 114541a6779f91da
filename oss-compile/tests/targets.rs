//! Target profiles differ from `generic` exactly as docs/targets.md says, and in nothing else.

#![allow(clippy::unwrap_used)]

use oss_compile::{Options, Target, compile};
use serde_json::Value;

fn bundle(target: Target) -> (Value, Vec<oss_spec::Code>) {
    let loaded = oss_spec::parse("cassandra.yaml", include_str!("../../specs/cassandra.yaml")).unwrap();
    let b = compile(&loaded, &Options { target, ..Options::default() }).unwrap();
    let json: Value = serde_json::from_str(&b.to_json()).unwrap();
    (json, b.warnings.iter().map(|d| d.code).collect())
}

fn changes(target: Target) -> (Vec<String>, Vec<oss_spec::Code>) {
    let (generic, _) = bundle(Target::Generic);
    let (other, warnings) = bundle(target);
    let out = oss_compile::diff::changed_leaves(&generic, &other).into_iter().map(|(p, _, _)| format!(".{p}")).collect();
    (out, warnings)
}

/// Index of the StatefulSet in the cassandra bundle's `items`.
fn sts() -> usize {
    let (b, _) = bundle(Target::Generic);
    b["items"].as_array().unwrap().iter().position(|o| o["kind"] == "StatefulSet").unwrap()
}

/// Index of the bootstrap step's Job in the cassandra bundle's `items`.
fn bootstrap_job() -> usize {
    let (b, _) = bundle(Target::Generic);
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o["kind"] == "Job" && o["metadata"]["labels"]["openservice.dev/bootstrap-step"].is_string())
        .unwrap()
}

fn pod() -> String {
    format!(".items[{}].spec.template.spec", sts())
}

#[test]
fn cloud_profiles_change_only_what_must_differ() {
    assert_eq!(changes(Target::Gke), (vec![], vec![]));
    assert_eq!(changes(Target::Aks), (vec![], vec![]));
    assert_eq!(changes(Target::Eks).0, [format!(".items[{}].spec.volumeClaimTemplates[0].spec.storageClassName", sts())]);
}

#[test]
fn openshift_leaves_ids_to_the_scc() {
    let (paths, warnings) = changes(Target::Openshift);
    assert!(warnings.is_empty());
    // The bootstrap step's pod too: it runs as the service's user, which the SCC assigns.
    let job = bootstrap_job();
    let want: Vec<String> = [
        &format!(".items[{job}].metadata.annotations.checkov.io/skip1"),
        &format!(".items[{job}].metadata.annotations.checkov.io/skip2"),
        &format!(".items[{job}].spec.template.spec.securityContext.runAsGroup"),
        &format!(".items[{job}].spec.template.spec.securityContext.runAsUser"),
        &format!(".items[{}].metadata.annotations.checkov.io/skip1", sts()),
        &format!(".items[{}].metadata.annotations.checkov.io/skip2", sts()),
        &format!("{}.securityContext.fsGroup", pod()),
        &format!("{}.securityContext.fsGroupChangePolicy", pod()),
        &format!("{}.securityContext.runAsGroup", pod()),
        &format!("{}.securityContext.runAsUser", pod()),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(paths, want);
}

#[test]
fn kind_softens_spread_and_says_so() {
    let (paths, warnings) = changes(Target::Kind);
    // both the zone rule and the stateful service's hard host rule become preferences
    assert_eq!(paths, [0, 1].map(|i| format!("{}.topologySpreadConstraints[{i}].whenUnsatisfiable", pod())));
    assert_eq!(warnings, [oss_spec::Code::TargetDowngrade]);
    let (kind, _) = bundle(Target::Kind);
    assert_eq!(kind["items"][sts()]["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["whenUnsatisfiable"], "ScheduleAnyway");
}
