//! Upgrade rules, each with a pair of bundles: what `ossc diff` calls safe, rolling, unsafe,
//! destructive or rejected.

#![allow(clippy::unwrap_used)]

use oss_compile::diff::{Class, diff};
use serde_json::Value;

const CASSANDRA: &str = include_str!("../../specs/cassandra.yaml");
const CHECKOUT: &str = include_str!("../../tests/promtool/checkout.yaml");

fn bundle(text: &str, sets: &[&str]) -> oss_compile::Bundle {
    let options = oss_spec::Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..oss_spec::Options::default() };
    let loaded = oss_spec::parse_with("t.yaml", text, &options).unwrap_or_else(|f| panic!("{f}"));
    oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap()
}

fn values(b: &oss_compile::Bundle) -> Vec<Value> {
    b.objects().iter().map(oss_compile::Object::to_value).collect()
}

/// The worst class of the changes from `old` to `new`, and the changes of that class.
fn worst(old: &[Value], new: &oss_compile::Bundle) -> (Class, Vec<String>) {
    let changes = diff(old, new);
    let top = changes.iter().map(|c| c.class).max().unwrap_or(Class::Safe);
    (top, changes.iter().filter(|c| c.class == top).map(|c| format!("{} {} | {}", c.object, c.path, c.note)).collect())
}

#[test]
fn identical_bundles_have_no_changes() {
    let b = bundle(CASSANDRA, &[]);
    assert!(diff(&values(&b), &b).is_empty());
}

#[test]
fn storage_growth_is_rejected_with_a_remediation() {
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(CASSANDRA, &["capacity.storage=100Gi"]));
    assert_eq!(class, Class::Rejected);
    assert!(
        notes[0].contains("volumeClaimTemplates")
            && notes[0].contains("kubectl patch pvc data-cassandra-<i>")
            && notes[0].contains("--cascade=orphan"),
        "{notes:?}"
    );
}

#[test]
fn cpu_rolls_pods_one_at_a_time() {
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(CASSANDRA, &["capacity.cpu=4"]));
    assert_eq!(class, Class::RollsPods);
    assert!(notes.iter().all(|n| n.contains("one at a time")), "{notes:?}");
    let (class, notes) = worst(
        &values(&bundle(CASSANDRA, &[])),
        &bundle(CASSANDRA, &["capacity.cpu=4", "lifecycle.upgrade.strategy=canary", "lifecycle.upgrade.canary=1"]),
    );
    assert_eq!(class, Class::RollsPods);
    assert!(notes.iter().any(|n| n.contains("1 pod(s) (ordinals 2 and up; canary)")), "{notes:?}");
}

#[test]
fn scaling_a_majority_quorum_from_5_to_2_is_unsafe() {
    let (class, notes) = worst(
        &values(&bundle(CASSANDRA, &["redundancy.replicas=5"])),
        &bundle(CASSANDRA, &["redundancy.replicas=2", "slo.availability=null"]),
    );
    assert_eq!(class, Class::UnsafeForQuorum);
    assert!(notes.iter().any(|n| n.contains("removes 3 replicas at once, but the old topology can lose only 2")), "{notes:?}");
    let (class, _) = worst(&values(&bundle(CASSANDRA, &["redundancy.replicas=5"])), &bundle(CASSANDRA, &["redundancy.replicas=3"]));
    assert!(class <= Class::RollsPods);
}

#[test]
fn stopping_and_removing_spread_are_unsafe() {
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(CASSANDRA, &["lifecycle.state=stopped"]));
    assert_eq!(class, Class::UnsafeForQuorum, "{notes:?}");
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(CASSANDRA, &["redundancy.spread=none", "slo.availability=null"]));
    assert_eq!(class, Class::UnsafeForQuorum);
    assert!(notes.iter().any(|n| n.contains("spread is removed")), "{notes:?}");
}

#[test]
fn immutable_statefulset_fields_are_rejected() {
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(CASSANDRA, &["runtime.startOrder=parallel"]));
    assert_eq!(class, Class::Rejected);
    assert!(notes[0].contains("spec.podManagementPolicy"), "{notes:?}");
    for (field, value) in [("serviceName", Value::from("other")), ("selector", serde_json::json!({"matchLabels": {"a": "b"}}))] {
        let new = bundle(CASSANDRA, &[]);
        let mut old = values(&new);
        let sts = old.iter_mut().find(|v| v["kind"] == "StatefulSet").unwrap();
        sts["spec"][field] = value;
        assert_eq!(worst(&old, &new).0, Class::Rejected, "{field}");
    }
}

#[test]
fn deployment_selector_is_rejected_and_template_rolls() {
    let new = bundle(CHECKOUT, &[]);
    let mut old = values(&new);
    old.iter_mut().find(|v| v["kind"] == "Deployment").unwrap()["spec"]["selector"] = serde_json::json!({"matchLabels": {"app": "x"}});
    assert_eq!(worst(&old, &new).0, Class::Rejected);
    let (class, notes) = worst(&values(&bundle(CHECKOUT, &[])), &bundle(CHECKOUT, &["capacity.memory=2Gi"]));
    assert_eq!(class, Class::RollsPods);
    assert!(notes[0].contains("maxSurge 1"), "{notes:?}");
}

#[test]
fn removing_services_and_namespaces_is_destructive() {
    let old = bundle(CASSANDRA, &[]);
    let new = bundle(CASSANDRA, &[]);
    let mut old_values = values(&old);
    old_values.push(
        serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "legacy", "namespace": "cassandra"}, "spec": {}}),
    );
    let (class, notes) = worst(&old_values, &new);
    assert_eq!(class, Class::Destructive);
    assert!(notes[0].starts_with("Service/legacy removed"), "{notes:?}");
    let namespaced = oss_compile::compile(
        &oss_spec::parse("t.yaml", CASSANDRA).unwrap(),
        &oss_compile::Options { namespace: Some("shop".into()), ..oss_compile::Options::default() },
    )
    .unwrap();
    let (class, notes) = worst(&values(&old), &namespaced);
    assert_eq!(class, Class::Destructive, "{notes:?}");
}

#[test]
fn metadata_only_changes_are_safe() {
    let (class, _) = worst(
        &values(&bundle(CASSANDRA, &[])),
        &bundle(CASSANDRA, &["metadata.version=5.0.6", "runtime.image=docker.io/library/cassandra:5.0.5"]),
    );
    // The version label is in the pod template too: pods roll, nothing worse.
    assert_eq!(class, Class::RollsPods);
}
