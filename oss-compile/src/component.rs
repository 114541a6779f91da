//! The service's components (`runtime.components`): workloads beside the software's replicas,
//! each a StatefulSet of its own with a headless Service, a disruption budget and a
//! NetworkPolicy, in the service's namespace.
//!
//! Owns: the components' objects, their names and selectors, what `${components.*}` resolves
//! to, and the rules the software's own policy gets to reach them. Must not: change the
//! software's own workload.

use crate::bundle::Object;
use crate::context::Context;
use crate::derive::placement::derive_placement;
use crate::lower::{self, meta};
use crate::security;
use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, PersistentVolumeClaim, PodSpec, PodTemplateSpec, Service, ServiceSpec, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use oss_spec::model::{Component, RunState};
use oss_spec::template::ComponentFact;
use std::collections::BTreeMap;

/// The component's objects' name, `<service>-<component>`: its StatefulSet, headless Service
/// (the pods' DNS domain), budget and policy, and its pods' prefix.
#[must_use]
pub fn workload_name(cx: &Context, component: &str) -> String {
    format!("{}-{component}", cx.name)
}

/// The labels that select the component's pods: the service's instance, the component's own
/// name (never the software's, so that the software's selector never takes them in).
fn selector(cx: &Context, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/instance".to_owned(), cx.name.clone()),
        ("app.kubernetes.io/name".to_owned(), workload_name(cx, component)),
    ])
}

/// The labels of the component's objects: the service's, with its own name and component.
fn labels(cx: &Context, component: &str) -> BTreeMap<String, String> {
    let mut l = cx.labels(component);
    l.insert("app.kubernetes.io/name".to_owned(), workload_name(cx, component));
    l
}

fn component_meta(cx: &Context, c: &Component) -> ObjectMeta {
    let mut m = meta(cx, &workload_name(cx, &c.name), &c.name);
    m.labels = Some(labels(cx, &c.name));
    m
}

/// A NetworkPolicy peer: the component's pods.
fn pods(cx: &Context, component: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector { match_labels: Some(selector(cx, component)), ..LabelSelector::default() }),
        ..NetworkPolicyPeer::default()
    }
}

/// The value of `${components.NAME.FACT}` (validation has checked that NAME is a component).
#[must_use]
pub fn resolve(cx: &Context, component: &str, fact: ComponentFact) -> String {
    let name = workload_name(cx, component);
    let replicas = cx.spec.runtime.components.iter().find(|c| c.name == component).map_or(0, |c| c.replicas);
    let domain = format!("{name}.{}.svc", cx.namespace);
    match fact {
        ComponentFact::Name => name,
        ComponentFact::Replicas => replicas.to_string(),
        ComponentFact::Domain => domain,
        ComponentFact::Hosts => (0..replicas).map(|i| format!("{name}-{i}.{domain}")).collect::<Vec<_>>().join(","),
    }
}

/// What the software's policy adds for the components: ingress from their pods on every port
/// of the software, egress to each one's pods on its ports.
pub(crate) fn software_rules(cx: &Context) -> (Vec<NetworkPolicyIngressRule>, Vec<NetworkPolicyEgressRule>) {
    let components = &cx.spec.runtime.components;
    let mut ingress = Vec::new();
    let software_ports = lower::np_ports(cx.spec.ports());
    if !components.is_empty() && !software_ports.is_empty() {
        ingress.push(NetworkPolicyIngressRule {
            from: Some(components.iter().map(|c| pods(cx, &c.name)).collect()),
            ports: Some(software_ports),
        });
    }
    let egress = components
        .iter()
        .filter(|c| !c.ports.is_empty())
        .map(|c| NetworkPolicyEgressRule { to: Some(vec![pods(cx, &c.name)]), ports: Some(lower::np_ports(c.ports.iter())) })
        .collect();
    (ingress, egress)
}

/// Every component's objects; a stopped service keeps its components' claims and runs none of
/// their pods, and has no budgets.
#[must_use]
pub fn objects(cx: &Context) -> Vec<Object> {
    let mut out = Vec::new();
    for c in &cx.spec.runtime.components {
        out.push(Object::Service(service(cx, c)));
        out.push(Object::NetworkPolicy(network_policy(cx, c)));
        out.push(Object::StatefulSet(statefulset(cx, c)));
        if cx.spec.lifecycle.state == RunState::Running
            && let Some(keep) = c.min_available()
        {
            out.push(Object::PodDisruptionBudget(PodDisruptionBudget {
                metadata: component_meta(cx, c),
                spec: Some(PodDisruptionBudgetSpec {
                    min_available: Some(IntOrString::Int(i32::try_from(keep).unwrap_or(i32::MAX))),
                    selector: Some(LabelSelector { match_labels: Some(selector(cx, &c.name)), ..LabelSelector::default() }),
                    unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
                    ..PodDisruptionBudgetSpec::default()
                }),
                ..PodDisruptionBudget::default()
            }));
        }
    }
    out
}

/// The headless Service that gives the component's pods their DNS names.
fn service(cx: &Context, c: &Component) -> Service {
    Service {
        metadata: component_meta(cx, c),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector(cx, &c.name)),
            ports: Some(c.ports.iter().map(|p| lower::service_port(cx, p)).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// Default-deny for the component's pods, then: the software's pods and the service's
/// components on its ports; egress to DNS, to the software's pods on every port of theirs, to
/// the components on theirs, and to the services the software depends on.
fn network_policy(cx: &Context, c: &Component) -> NetworkPolicy {
    let software = NetworkPolicyPeer {
        pod_selector: Some(LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }),
        ..NetworkPolicyPeer::default()
    };
    let components = &cx.spec.runtime.components;
    let mut ingress = Vec::new();
    if !c.ports.is_empty() {
        let from = std::iter::once(software.clone()).chain(components.iter().map(|o| pods(cx, &o.name))).collect();
        ingress.push(NetworkPolicyIngressRule { from: Some(from), ports: Some(lower::np_ports(c.ports.iter())) });
    }
    let mut egress = vec![lower::dns_egress()];
    let software_ports = lower::np_ports(cx.spec.ports());
    if !software_ports.is_empty() {
        egress.push(NetworkPolicyEgressRule { to: Some(vec![software]), ports: Some(software_ports) });
    }
    for o in components.iter().filter(|o| !o.ports.is_empty()) {
        egress.push(NetworkPolicyEgressRule { to: Some(vec![pods(cx, &o.name)]), ports: Some(lower::np_ports(o.ports.iter())) });
    }
    egress.extend(lower::dependency_egress(cx));
    NetworkPolicy {
        metadata: component_meta(cx, c),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(selector(cx, &c.name)), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: Some(egress),
        }),
    }
}

fn statefulset(cx: &Context, c: &Component) -> StatefulSet {
    let spec = cx.spec;
    let rt = &spec.runtime;
    let name = workload_name(cx, &c.name);
    let mut volumes = Vec::new();
    let (mut mounts, disk_bytes) = lower::writable_volumes("", &c.writable, &mut volumes);
    // writable paths that start as a copy of the image's (`fromImage`), as the software's
    let seeds: Vec<(String, VolumeMount)> = c
        .writable
        .iter()
        .zip(&mounts)
        .filter(|(w, _)| w.from_image)
        .map(|(w, m)| {
            let target = format!("/ossc-seed/{}", m.name);
            (
                lower::seed_command(w.path.as_str(), &target),
                VolumeMount { name: m.name.clone(), mount_path: target, ..VolumeMount::default() },
            )
        })
        .collect();
    let resources = lower::resources(c.cpu.as_str(), c.memory.as_str(), disk_bytes);
    let init_containers = (!seeds.is_empty()).then(|| {
        let (script, seed_mounts): (Vec<String>, Vec<VolumeMount>) = seeds.into_iter().unzip();
        vec![Container {
            name: "seed-from-image".to_owned(),
            image: Some(c.image(rt).to_string()),
            image_pull_policy: Some("IfNotPresent".to_owned()),
            command: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script.join(" && ")]),
            resources: Some(resources.clone()),
            security_context: Some(security::container_security_context()),
            volume_mounts: Some(seed_mounts),
            ..Container::default()
        }]
    });
    let claims: Vec<PersistentVolumeClaim> = match (&c.data_path, &c.storage) {
        (Some(path), Some(size)) => {
            mounts.insert(0, VolumeMount { name: lower::DATA_VOLUME.to_owned(), mount_path: path.to_string(), ..VolumeMount::default() });
            vec![lower::claim_template(cx, lower::DATA_VOLUME, labels(cx, &c.name), size, None)]
        }
        _ => Vec::new(),
    };
    let (env, args) = lower::expand_env_and_args(cx, &c.args, c.env.iter());
    let ports: Vec<ContainerPort> = c.ports.iter().map(lower::container_port).collect();
    let live = lower::probe(cx, &c.health.live);
    let startup = lower::startup_probe_of(cx, &c.health, &live);
    let container = Container {
        name: c.name.clone(),
        image: Some(c.image(rt).to_string()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: (!c.command.is_empty()).then(|| c.command.clone()),
        args: (!args.is_empty()).then_some(args),
        env: (!env.is_empty()).then_some(env),
        ports: (!ports.is_empty()).then_some(ports),
        resources: Some(resources),
        readiness_probe: Some(lower::probe(cx, &c.health.ready)),
        liveness_probe: Some(live),
        startup_probe: Some(startup),
        security_context: Some(security::container_security_context()),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        ..Container::default()
    };
    let stateful = !claims.is_empty();
    let mut placement = derive_placement(spec.redundancy.spread, stateful, &selector(cx, &c.name));
    if cx.target.soft_spread(spec.redundancy.spread) {
        placement = lower::soften(placement);
    }
    let secret_env = c.env.values().any(|v| matches!(v, oss_spec::model::EnvValue::Secret { .. }));
    let skips = security::skips_for(c.image(rt).has_digest(), rt.user, cx.target, secret_env, false, false);
    let mut metadata = component_meta(cx, c);
    metadata.annotations = lower::checkov_annotations(&skips);
    let replicas = match spec.lifecycle.state {
        RunState::Stopped => 0,
        RunState::Running => i32::try_from(c.replicas).unwrap_or(i32::MAX),
    };
    StatefulSet {
        metadata,
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas),
            service_name: Some(name),
            selector: LabelSelector { match_labels: Some(selector(cx, &c.name)), ..LabelSelector::default() },
            pod_management_policy: Some(lower::pod_management_policy(c.start_order)),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateStatefulSetStrategy {
                    partition: Some(0),
                    ..RollingUpdateStatefulSetStrategy::default()
                }),
            }),
            persistent_volume_claim_retention_policy: Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Retain".to_owned()),
                when_scaled: Some("Retain".to_owned()),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(cx, &c.name)),
                    annotations: Some(BTreeMap::from([(
                        lower::RESTART_ANNOTATION.to_owned(),
                        spec.lifecycle.restart_generation.to_string(),
                    )])),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(cx.name.clone()),
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    security_context: Some(security::pod_security_context(cx.target.fixed_ids().then_some((rt.user, rt.group)), stateful)),
                    termination_grace_period_seconds: Some(i64::try_from(rt.stop.grace_period.secs_ceil()).unwrap_or(i64::MAX)),
                    init_containers,
                    containers: vec![container],
                    affinity: placement.affinity,
                    topology_spread_constraints: placement.spread,
                    volumes: (!volumes.is_empty()).then_some(volumes),
                    ..PodSpec::default()
                }),
            },
            volume_claim_templates: (!claims.is_empty()).then_some(claims),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn isolated(sets: &[&str]) -> oss_spec::Spec {
        let options = oss_spec::Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..oss_spec::Options::default() };
        oss_spec::parse_with("kafka-isolated.yaml", include_str!("../../examples/kafka-isolated.yaml"), &options)
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
            .spec
    }

    #[test]
    fn references_name_the_components_pods() {
        let spec = isolated(&[]);
        let options = crate::Options { namespace: Some("streams".to_owned()), ..crate::Options::default() };
        let cx = Context::new(&spec, &options);
        assert_eq!(resolve(&cx, "controller", ComponentFact::Name), "kafka-isolated-controller");
        assert_eq!(resolve(&cx, "controller", ComponentFact::Replicas), "3");
        assert_eq!(resolve(&cx, "controller", ComponentFact::Domain), "kafka-isolated-controller.streams.svc");
        assert_eq!(
            resolve(&cx, "controller", ComponentFact::Hosts),
            "kafka-isolated-controller-0.kafka-isolated-controller.streams.svc,\
             kafka-isolated-controller-1.kafka-isolated-controller.streams.svc,\
             kafka-isolated-controller-2.kafka-isolated-controller.streams.svc"
        );
    }

    #[test]
    fn a_budget_keeps_a_majority_and_is_left_out_when_none_can_be_spared() {
        for (replicas, keep) in [(1, None), (2, None), (3, Some(2)), (4, Some(3)), (5, Some(3)), (9, Some(5))] {
            let spec = isolated(&[&format!("runtime.components.0.replicas={replicas}")]);
            assert_eq!(spec.runtime.components[0].min_available(), keep, "{replicas} pods");
        }
    }

    #[test]
    fn the_components_never_share_the_softwares_selector_and_stop_with_it() {
        let spec = isolated(&[]);
        let cx = Context::new(&spec, &crate::Options::default());
        let built = objects(&cx);
        let kinds: Vec<_> = built.iter().map(|o| format!("{:?}", o.kind())).collect();
        assert_eq!(kinds, ["Service", "NetworkPolicy", "StatefulSet", "PodDisruptionBudget"]);
        let Some(Object::StatefulSet(sts)) = built.iter().find(|o| matches!(o, Object::StatefulSet(_))) else { panic!("no StatefulSet") };
        let labels = sts.spec.as_ref().and_then(|s| s.selector.match_labels.clone()).unwrap_or_default();
        assert_ne!(labels, cx.selector(), "a component's pods must not match the software's selector");
        assert!(cx.selector().iter().any(|(k, v)| labels.get(k) != Some(v)), "the software's selector would take the component's pods in");
        assert_eq!(sts.spec.as_ref().and_then(|s| s.replicas), Some(3));
        let stopped = isolated(&["lifecycle.state=stopped"]);
        let cx = Context::new(&stopped, &crate::Options::default());
        let built = objects(&cx);
        assert!(!built.iter().any(|o| matches!(o, Object::PodDisruptionBudget(_))), "a stopped service keeps no budget");
        let Some(Object::StatefulSet(sts)) = built.iter().find(|o| matches!(o, Object::StatefulSet(_))) else { panic!("no StatefulSet") };
        assert_eq!(sts.spec.as_ref().and_then(|s| s.replicas), Some(0));
    }
}
