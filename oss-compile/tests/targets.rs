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

/// Every leaf path where `a` and `b` differ.
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                diff(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

fn changes(target: Target) -> (Vec<String>, Vec<oss_spec::Code>) {
    let (generic, _) = bundle(Target::Generic);
    let (other, warnings) = bundle(target);
    let mut out = Vec::new();
    diff(&generic, &other, "", &mut out);
    (out, warnings)
}

const POD: &str = ".items[6].spec.template.spec";

#[test]
fn cloud_profiles_change_only_what_must_differ() {
    assert_eq!(changes(Target::Gke), (vec![], vec![]));
    assert_eq!(changes(Target::Aks), (vec![], vec![]));
    assert_eq!(changes(Target::Eks).0, [".items[6].spec.volumeClaimTemplates[0].spec.storageClassName"]);
}

#[test]
fn openshift_leaves_ids_to_the_scc() {
    let (paths, warnings) = changes(Target::Openshift);
    assert!(warnings.is_empty());
    let want: Vec<String> = [
        ".items[6].metadata.annotations.checkov.io/skip1",
        ".items[6].metadata.annotations.checkov.io/skip2",
        &format!("{POD}.securityContext.fsGroup"),
        &format!("{POD}.securityContext.fsGroupChangePolicy"),
        &format!("{POD}.securityContext.runAsGroup"),
        &format!("{POD}.securityContext.runAsUser"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(paths, want);
}

#[test]
fn kind_softens_spread_and_says_so() {
    let (paths, warnings) = changes(Target::Kind);
    assert_eq!(paths, [format!("{POD}.topologySpreadConstraints[0].whenUnsatisfiable")]);
    assert_eq!(warnings, [oss_spec::Code::TargetDowngrade]);
    let (kind, _) = bundle(Target::Kind);
    assert_eq!(kind["items"][6]["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["whenUnsatisfiable"], "ScheduleAnyway");
}
