//! Upgrade rules, each with a pair of bundles: what `ossc diff` calls safe, rolling, unsafe,
//! destructive or rejected.

#![allow(clippy::unwrap_used)]

use oss_compile::diff::{Class, Service, diff};
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

fn spec(text: &str, sets: &[&str]) -> oss_spec::Spec {
    let options = oss_spec::Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..oss_spec::Options::default() };
    oss_spec::parse_with("t.yaml", text, &options).unwrap_or_else(|f| panic!("{f}")).spec
}

/// The changes of building `text` with `new` settings over a build with `old` settings, for
/// the service the spec describes (its membership steps included).
fn changes(text: &str, old: &[&str], new: &[&str]) -> Vec<oss_compile::diff::Change> {
    let new_spec = spec(text, new);
    diff(&values(&bundle(text, old)), &bundle(text, new), Service::of(&new_spec))
}

/// The worst class of the changes from `old` to `new`, and the changes of that class.
fn worst(old: &[Value], new: &oss_compile::Bundle) -> (Class, Vec<String>) {
    let changes = diff(old, new, Service::default());
    let top = changes.iter().map(|c| c.class).max().unwrap_or(Class::Safe);
    (top, changes.iter().filter(|c| c.class == top).map(|c| format!("{} {} | {}", c.object, c.path, c.note)).collect())
}

#[test]
fn identical_bundles_have_no_changes() {
    let b = bundle(CASSANDRA, &[]);
    assert!(diff(&values(&b), &b, Service::default()).is_empty());
}

#[test]
fn storage_growth_is_rejected_with_a_remediation() {
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(CASSANDRA, &["capacity.storage=100Gi"]));
    assert_eq!(class, Class::Rejected);
    assert!(notes[0].contains("volumeClaimTemplates") && notes[0].contains("--cascade=orphan"), "{notes:?}");
    let c = changes(CASSANDRA, &[], &["capacity.storage=100Gi"]);
    let claims = c.iter().find(|c| c.path.contains("volumeClaimTemplates")).unwrap();
    assert_eq!(claims.commands.len(), 4, "{:?}", claims.commands);
    assert_eq!(
        claims.commands[2],
        r#"kubectl patch pvc -n cassandra data-cassandra-2 -p '{"spec":{"resources":{"requests":{"storage":"100Gi"}}}}'"#
    );
    assert_eq!(claims.commands[3], "kubectl delete statefulset -n cassandra cassandra --cascade=orphan");
}

#[test]
fn growing_a_second_volume_patches_that_volumes_claims() {
    const GALERA: &str = include_str!("../../examples/mariadb-galera.yaml");
    let c = changes(GALERA, &[], &["capacity.volumes.binlog.size=50Gi"]);
    let claims = c.iter().find(|c| c.path.contains("volumeClaimTemplates")).unwrap();
    assert_eq!(claims.class, Class::Rejected);
    assert!(claims.path.contains("volumeClaimTemplates[1]"), "{}", claims.path);
    assert_eq!(
        claims.commands[..3],
        ["galera-0", "galera-1", "galera-2"].map(|pod| format!(
            r#"kubectl patch pvc -n galera binlog-{pod} -p '{{"spec":{{"resources":{{"requests":{{"storage":"50Gi"}}}}}}}}'"#
        ))
    );
    assert_eq!(claims.commands[3], "kubectl delete statefulset -n galera galera --cascade=orphan");
}

#[test]
fn adding_a_volume_says_how_the_pods_get_their_new_claims() {
    const GALERA: &str = include_str!("../../examples/mariadb-galera.yaml");
    let before = GALERA.replacen("\n  volumes:\n    - name: binlog\n", "\n  unused:\n    - name: binlog\n", 1);
    let start = before.find("\n  unused:").unwrap();
    let end = before[start..].find("\n  health:").unwrap() + start;
    let before = format!("{}{}", &before[..start], &before[end..]).replacen("  volumes:\n    binlog: {size: 10Gi}\n", "", 1);
    assert!(!before.contains("binlog: {size") && !before.contains("name: binlog"), "fixture drifted");
    let old = values(&bundle(&before, &[]));
    let c = diff(&old, &bundle(GALERA, &[]), Service::default());
    let claims = c.iter().find(|c| c.path == "spec.volumeClaimTemplates").unwrap();
    assert_eq!(claims.class, Class::Rejected);
    assert!(claims.note.contains("a volume is added"), "{}", claims.note);
    assert_eq!(claims.commands, ["kubectl delete statefulset -n galera galera --cascade=orphan"]);
}

#[test]
fn another_user_over_kept_claims_needs_a_manual_step() {
    let other = CASSANDRA.replacen("\n  user: 999", "\n  user: 1001", 1);
    assert_ne!(other, CASSANDRA, "fixture drifted");
    let (class, notes) = worst(&values(&bundle(CASSANDRA, &[])), &bundle(&other, &[]));
    assert_eq!(class, Class::NeedsManualStep);
    assert!(notes.len() == 1 && notes[0].contains("runAsUser") && notes[0].contains("belong to the old one"), "{notes:?}");
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
    // Within the budget, for software whose replicas may simply go.
    let (class, _) = worst(&values(&bundle(CASSANDRA, &["redundancy.replicas=5"])), &bundle(CASSANDRA, &["redundancy.replicas=3"]));
    assert!(class <= Class::RollsPods);
}

const ETCD: &str = include_str!("../../specs/etcd.yaml");
const KAFKA: &str = include_str!("../../specs/kafka.yaml");
const MEMCACHED: &str = include_str!("../../specs/memcached.yaml");

#[test]
fn removing_members_that_must_leave_first_is_unsafe_with_the_commands() {
    let c = changes(CASSANDRA, &["redundancy.replicas=5"], &["redundancy.replicas=3"]);
    let sts = c.iter().find(|c| c.path == "spec.replicas").unwrap();
    assert_eq!(sts.class, Class::NeedsManualStep);
    assert!(sts.class.blocks());
    assert_eq!(sts.commands.len(), 2, "{:?}", sts.commands);
    assert!(
        sts.commands[0].starts_with("kubectl exec -n cassandra cassandra-4 -c cassandra -- nodetool decommission"),
        "{:?}",
        sts.commands
    );
    assert!(sts.commands[1].starts_with("kubectl exec -n cassandra cassandra-3 -c cassandra -- nodetool decommission"));
    assert!(sts.note.contains("kubectl delete pvc -n cassandra data-cassandra-3 data-cassandra-4"), "{}", sts.note);
    // etcd: found and removed from replica 0, for each departing member, highest first.
    let c = changes(ETCD, &["redundancy.replicas=5"], &["redundancy.replicas=3"]);
    let sts = c.iter().find(|c| c.path == "spec.replicas").unwrap();
    assert_eq!(sts.class, Class::NeedsManualStep);
    assert_eq!(sts.commands.len(), 4);
    assert!(
        sts.commands[1].starts_with(
            "kubectl exec -n etcd etcd-0 -c etcd -- etcdctl --user=root '--password=<password of root>' member remove '<ID of etcd-4>'"
        ),
        "{:?}",
        sts.commands
    );
    assert!(sts.commands[3].contains("'<ID of etcd-3>'"));
    // A packager's reason without commands still blocks, quoting the reason.
    let c = changes(KAFKA, &["redundancy.replicas=5"], &["redundancy.replicas=3"]);
    let sts = c.iter().find(|c| c.path == "spec.replicas").unwrap();
    assert_eq!(sts.class, Class::NeedsManualStep);
    assert!(sts.commands.is_empty() && sts.note.contains("partitions must be moved off"), "{}", sts.note);
    // Growing needs nothing where members join by themselves; software whose replicas may
    // simply go is safe within the budget.
    assert!(changes(CASSANDRA, &[], &["redundancy.replicas=5"]).iter().all(|c| !c.class.blocks()));
    let c = changes(MEMCACHED, &["scaling.autoscale=null", "redundancy.replicas=4"], &["scaling.autoscale=null", "redundancy.replicas=3"]);
    assert!(c.iter().all(|c| c.class == Class::Safe), "{c:?}");
}

#[test]
fn growing_software_that_must_admit_members_first_is_unsafe() {
    // scaleUp: manual (a static voter set, an ensemble, a Raft membership, an erasure set): the
    // increase blocks, names the joining replicas and quotes the packager's reason.
    for (text, reason) in [
        (KAFKA, "static voter set"),
        (ETCD, "etcdctl member add"),
        (include_str!("../../specs/zookeeper.yaml"), "reconfig"),
        (include_str!("../../specs/minio.yaml"), "server pool"),
    ] {
        let from = if text.contains("name: minio") { "4" } else { "3" };
        let to = if text.contains("name: minio") { "6" } else { "5" };
        let c = changes(text, &[&format!("redundancy.replicas={from}")], &[&format!("redundancy.replicas={to}")]);
        let sts = c.iter().find(|c| c.path == "spec.replicas").unwrap();
        assert_eq!(sts.class, Class::NeedsManualStep, "{sts:?}");
        assert!(sts.note.starts_with("adds 2 replica(s)") && sts.note.contains(reason), "{}", sts.note);
    }
    // Members that join by themselves (RabbitMQ, NATS) grow safely.
    for text in [include_str!("../../specs/rabbitmq.yaml"), include_str!("../../specs/nats.yaml")] {
        let c = changes(text, &[], &["redundancy.replicas=5"]);
        assert!(c.iter().all(|c| !c.class.blocks()), "{c:?}");
    }
}

#[test]
fn a_shrinking_quota_may_block_pods() {
    let c = changes(CASSANDRA, &["capacity.quota=true"], &["capacity.quota=true", "capacity.memory=2Gi"]);
    let quota: Vec<_> = c.iter().filter(|c| c.object.starts_with("ResourceQuota/")).collect();
    assert!(!quota.is_empty() && quota.iter().all(|c| c.class == Class::MayBlockPods), "{quota:?}");
    assert!(!Class::MayBlockPods.blocks());
    let c = changes(CASSANDRA, &["capacity.quota=true"], &["capacity.quota=true", "capacity.memory=8Gi"]);
    assert!(c.iter().filter(|c| c.object.starts_with("ResourceQuota/")).all(|c| c.class == Class::Safe));
}

#[test]
fn every_printed_command_names_the_namespace() {
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (CASSANDRA, &[], &["capacity.storage=100Gi"]),
        (CASSANDRA, &[], &["runtime.startOrder=parallel"]),
        (CASSANDRA, &["redundancy.replicas=5"], &["redundancy.replicas=3"]),
        (ETCD, &["redundancy.replicas=5"], &["redundancy.replicas=3"]),
    ];
    for (text, old, new) in cases {
        for c in changes(text, old, new) {
            for command in c.commands.iter().map(String::as_str).chain(c.note.split('`').skip(1).step_by(2)) {
                if command.starts_with("kubectl ") {
                    assert!(command.contains(" -n "), "{command}");
                }
            }
        }
    }
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

#[test]
fn turning_tls_off_asks_for_the_generator_to_run_again_and_turning_it_on_does_not() {
    const NATS: &str = include_str!("../../specs/nats.yaml");
    let off = changes(NATS, &["access.tls.enabled=true"], &[]);
    let job = off.iter().find(|c| c.object.starts_with("Job/nats-credentials-") && c.path == "added").unwrap();
    assert_eq!(job.class, Class::NeedsManualStep);
    assert_eq!(job.commands, ["kubectl -n nats delete job -l app.kubernetes.io/name=ossc-credentials,app.kubernetes.io/instance=nats"]);
    let on = changes(NATS, &[], &["access.tls.enabled=true"]);
    assert!(on.iter().filter(|c| c.object.starts_with("Job/")).all(|c| c.class < Class::NeedsManualStep), "{on:?}");
    // a service without credentials: its plain bundle carries the binding, whose ca.crt must go
    const MEMCACHED: &str = include_str!("../../specs/memcached.yaml");
    let off = changes(MEMCACHED, &["access.tls.enabled=true"], &[]);
    let binding = off.iter().find(|c| c.object == "Secret/memcached-binding").unwrap();
    assert_eq!(
        (binding.class, binding.commands.as_slice()),
        (Class::NeedsManualStep, ["kubectl -n memcached delete secret memcached-binding".to_owned()].as_slice())
    );
    // from the generator's certificate to an issuer's: the Secret must go, or cert-manager keeps it
    let to_issuer = changes(NATS, &["access.tls.enabled=true"], &["access.tls.enabled=true", "access.tls.issuer.name=team-ca"]);
    let cert = to_issuer.iter().find(|c| c.object == "Certificate/nats-tls").unwrap();
    assert_eq!(
        (cert.class, cert.commands.as_slice()),
        (Class::NeedsManualStep, ["kubectl -n nats delete secret nats-tls".to_owned()].as_slice())
    );
    // the same from a cert-manager issuer's certificate (the generator's step there is tls-wait)
    let issued = changes(NATS, &["access.tls.enabled=true", "access.tls.issuer.name=team-ca"], &[]);
    let job = issued.iter().find(|c| c.object.starts_with("Job/nats-credentials-") && c.path == "added").unwrap();
    assert_eq!(job.class, Class::NeedsManualStep);
}

#[test]
fn a_tls_switch_the_members_cannot_roll_across_asks_for_a_stop_first() {
    const VALKEY: &str = include_str!("../../specs/valkey.yaml");
    let stop = |changes: &[oss_compile::diff::Change]| changes.iter().find(|c| c.path == "access.tls.enabled").cloned();
    for (old, new, to) in [(&[][..], &["access.tls.enabled=true"][..], "on"), (&["access.tls.enabled=true"][..], &[][..], "off")] {
        let c = stop(&changes(VALKEY, old, new)).unwrap_or_else(|| panic!("no stop step when TLS turns {to}"));
        assert_eq!((c.object.as_str(), c.class), ("StatefulSet/valkey", Class::NeedsManualStep));
        assert!(
            c.note.starts_with(&format!("TLS switched {to}: members, Sentinels")) && c.note.contains("lifecycle.state=stopped"),
            "{}",
            c.note
        );
        assert_eq!(
            c.commands,
            ["kubectl -n valkey wait --for=delete pod -l app.kubernetes.io/instance=valkey,app.kubernetes.io/name=valkey --timeout=10m"]
        );
    }
    // no switch, no step; and a spec without stopToSwitch rolls across it (NATS)
    assert!(stop(&changes(VALKEY, &["access.tls.enabled=true"], &["access.tls.enabled=true", "redundancy.replicas=5"])).is_none());
    const NATS: &str = include_str!("../../specs/nats.yaml");
    assert!(stop(&changes(NATS, &[], &["access.tls.enabled=true"])).is_none());
}

const KAFKA_ISOLATED: &str = include_str!("../../examples/kafka-isolated.yaml");

#[test]
fn a_components_count_needs_a_manual_step_and_its_stop_does_not() {
    let grow = changes(KAFKA_ISOLATED, &[], &["runtime.components.0.replicas=5"]);
    let count = grow.iter().find(|c| c.object == "StatefulSet/kafka-isolated-controller" && c.path == "spec.replicas").unwrap();
    assert_eq!(count.class, Class::NeedsManualStep, "{}", count.note);
    assert!(count.note.contains("component `controller` from 3 to 5"), "{}", count.note);
    // the software's own scaling reason is not quoted for a component
    assert!(!count.note.contains("kafka-reassign-partitions"), "{}", count.note);
    let stop = changes(KAFKA_ISOLATED, &[], &["lifecycle.state=stopped"]);
    let count = stop.iter().find(|c| c.object == "StatefulSet/kafka-isolated-controller" && c.path == "spec.replicas").unwrap();
    assert_eq!(count.class, Class::Safe, "{}", count.note);
}
