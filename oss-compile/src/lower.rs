//! Lowering: the resolved spec to typed Kubernetes objects.
//!
//! Owns: one small function per object, each a pure function of the [`Context`]. Decisions that
//! deserve a name and a test of their own (probes from health checks, security context, env
//! expansion) are separate functions. Must not: order objects or serialise them.

use crate::bundle::Object;
use crate::context::Context;
use crate::security;
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment, RollingUpdateStatefulSetStrategy, StatefulSet,
    StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction, HTTPGetAction, Lifecycle, LifecycleHandler,
    Namespace, ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SecretKeySelector, Service, ServiceAccount, ServicePort, ServiceSpec, TCPSocketAction, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use oss_spec::model::{Check, EnvValue, PortSpec, Protocol, RunState, State, UpgradeStrategy};
use oss_spec::template::{self, Part, QuantityFormat, Reference};
use std::collections::BTreeMap;

/// Pod-template annotation whose change restarts every pod (`lifecycle.restartGeneration`).
pub const RESTART_ANNOTATION: &str = "openservice.dev/restart-generation";
/// Name of the data volume (claim template) of stateful services.
pub const DATA_VOLUME: &str = "data";

/// Every object of the service, unordered.
#[must_use]
pub fn lower(cx: &Context) -> Vec<Object> {
    let mut objects = Vec::new();
    if cx.owns_namespace {
        objects.push(Object::Namespace(namespace(cx)));
    }
    objects.push(Object::NetworkPolicy(network_policy(cx)));
    objects.push(Object::ServiceAccount(service_account(cx)));
    if let Some(s) = client_service(cx) {
        objects.push(Object::Service(s));
    }
    match cx.spec.runtime.state {
        State::Stateful => {
            objects.push(Object::Service(peer_service(cx)));
            objects.push(Object::StatefulSet(statefulset(cx)));
        }
        State::Stateless => objects.push(Object::Deployment(deployment(cx))),
    }
    objects
}

fn meta(cx: &Context, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(cx.namespace.clone()),
        labels: Some(cx.labels(component)),
        ..ObjectMeta::default()
    }
}

fn namespace(cx: &Context) -> Namespace {
    let mut labels = cx.labels("server");
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), "restricted".to_owned());
    }
    Namespace {
        metadata: ObjectMeta { name: Some(cx.namespace.clone()), labels: Some(labels), ..ObjectMeta::default() },
        ..Namespace::default()
    }
}

fn service_account(cx: &Context) -> ServiceAccount {
    ServiceAccount { metadata: meta(cx, &cx.name, "server"), automount_service_account_token: Some(false), ..ServiceAccount::default() }
}

fn service_port(p: &PortSpec) -> ServicePort {
    ServicePort {
        name: Some(p.name.to_string()),
        port: i32::from(p.port),
        target_port: Some(IntOrString::String(p.name.to_string())),
        protocol: Some(protocol(p.protocol)),
        ..ServicePort::default()
    }
}

fn protocol(p: Protocol) -> String {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
    }
    .to_owned()
}

/// The Service clients connect to: the endpoints, load-balanced over ready replicas.
fn client_service(cx: &Context) -> Option<Service> {
    let endpoints = &cx.spec.function.endpoints;
    if endpoints.is_empty() {
        return None;
    }
    Some(Service {
        metadata: meta(cx, &cx.name, "server"),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(cx.selector()),
            ports: Some(endpoints.iter().map(service_port).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

/// The headless Service that gives each replica a DNS name (`name-0.name-peers`). It publishes
/// replicas before they are ready: peers must find each other to become ready at all.
fn peer_service(cx: &Context) -> Service {
    Service {
        metadata: meta(cx, &cx.peers, "server"),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            publish_not_ready_addresses: Some(true),
            selector: Some(cx.selector()),
            ports: Some(cx.spec.ports().map(service_port).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn np_ports<'p>(ports: impl Iterator<Item = &'p PortSpec>) -> Vec<NetworkPolicyPort> {
    ports
        .map(|p| NetworkPolicyPort {
            port: Some(IntOrString::Int(i32::from(p.port))),
            protocol: Some(protocol(p.protocol)),
            ..NetworkPolicyPort::default()
        })
        .collect()
}

/// Default-deny for the service's pods, then: its own pods on every port, clients on the
/// endpoints (listed clients, or the service's namespace when none are listed); egress to DNS
/// and to its own pods.
fn network_policy(cx: &Context) -> NetworkPolicy {
    let own = NetworkPolicyPeer {
        pod_selector: Some(LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }),
        ..NetworkPolicyPeer::default()
    };
    let all_ports = np_ports(cx.spec.ports());
    let mut ingress = Vec::new();
    if !all_ports.is_empty() {
        ingress.push(NetworkPolicyIngressRule { from: Some(vec![own.clone()]), ports: Some(all_ports.clone()) });
    }
    let endpoints = np_ports(cx.spec.function.endpoints.iter());
    if !endpoints.is_empty() {
        let from: Vec<NetworkPolicyPeer> = if cx.spec.access.clients.is_empty() {
            vec![NetworkPolicyPeer { pod_selector: Some(LabelSelector::default()), ..NetworkPolicyPeer::default() }]
        } else {
            cx.spec
                .access
                .clients
                .iter()
                .map(|c| NetworkPolicyPeer {
                    namespace_selector: c.namespace.as_ref().map(|ns| LabelSelector {
                        match_labels: Some(BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), ns.clone())])),
                        ..LabelSelector::default()
                    }),
                    pod_selector: Some(LabelSelector {
                        match_labels: (!c.pod_labels.is_empty()).then(|| c.pod_labels.clone()),
                        ..LabelSelector::default()
                    }),
                    ..NetworkPolicyPeer::default()
                })
                .collect()
        };
        ingress.push(NetworkPolicyIngressRule { from: Some(from), ports: Some(endpoints) });
    }
    let dns = ["UDP", "TCP"]
        .into_iter()
        .map(|p| NetworkPolicyPort { port: Some(IntOrString::Int(53)), protocol: Some(p.to_owned()), ..NetworkPolicyPort::default() })
        .collect();
    let mut egress = vec![NetworkPolicyEgressRule { ports: Some(dns), to: None }];
    if !all_ports.is_empty() {
        egress.push(NetworkPolicyEgressRule { to: Some(vec![own]), ports: Some(all_ports) });
    }
    NetworkPolicy {
        metadata: meta(cx, &cx.name, "server"),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            ingress: Some(ingress),
            egress: Some(egress),
        }),
    }
}

/// Replicas the workload runs: none when stopped.
fn replicas(cx: &Context) -> i32 {
    match cx.spec.lifecycle.state {
        RunState::Stopped => 0,
        RunState::Running => i32::try_from(cx.spec.redundancy.replicas).unwrap_or(i32::MAX),
    }
}

fn workload_meta(cx: &Context) -> ObjectMeta {
    let mut m = meta(cx, &cx.name, "server");
    let skips = security::checkov_skips(cx.spec);
    if !skips.is_empty() {
        m.annotations =
            Some(skips.iter().enumerate().map(|(i, s)| (format!("checkov.io/skip{}", i + 1), format!("{}={}", s.id, s.reason))).collect());
    }
    m
}

fn selector(cx: &Context) -> LabelSelector {
    LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }
}

fn statefulset(cx: &Context) -> StatefulSet {
    let spec = cx.spec;
    let update_strategy = match spec.lifecycle.upgrade.strategy {
        UpgradeStrategy::OnDelete => StatefulSetUpdateStrategy { type_: Some("OnDelete".to_owned()), rolling_update: None },
        _ => StatefulSetUpdateStrategy {
            type_: Some("RollingUpdate".to_owned()),
            rolling_update: Some(RollingUpdateStatefulSetStrategy { partition: Some(0), ..RollingUpdateStatefulSetStrategy::default() }),
        },
    };
    let claim = PersistentVolumeClaim {
        metadata: ObjectMeta { name: Some(DATA_VOLUME.to_owned()), labels: Some(cx.labels("server")), ..ObjectMeta::default() },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            storage_class_name: spec.capacity.storage_class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(spec.capacity.storage.to_string()))])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    };
    StatefulSet {
        metadata: workload_meta(cx),
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas(cx)),
            service_name: Some(cx.peers.clone()),
            selector: selector(cx),
            pod_management_policy: Some("OrderedReady".to_owned()),
            update_strategy: Some(update_strategy),
            persistent_volume_claim_retention_policy: Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Retain".to_owned()),
                when_scaled: Some("Retain".to_owned()),
            }),
            template: pod_template(cx),
            volume_claim_templates: Some(vec![claim]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn deployment(cx: &Context) -> Deployment {
    Deployment {
        metadata: workload_meta(cx),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas(cx)),
            selector: selector(cx),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: pod_template(cx),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// A volume name for a writable path: the path's segments joined by '-', made a DNS label.
fn volume_name(path: &str, index: usize) -> String {
    let slug: String =
        path.trim_start_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let slug = slug.trim_matches('-');
    let mut name = format!("rw{index}-{slug}");
    name.truncate(63);
    name.trim_end_matches('-').to_owned()
}

fn pod_template(cx: &Context) -> PodTemplateSpec {
    let spec = cx.spec;
    let rt = &spec.runtime;
    let mut mounts = Vec::new();
    let mut volumes = Vec::new();
    let mut seed_mounts = Vec::new();
    let mut seed_script = Vec::new();
    if let (State::Stateful, Some(path)) = (rt.state, &rt.data_path) {
        mounts.push(VolumeMount { name: DATA_VOLUME.to_owned(), mount_path: path.to_string(), ..VolumeMount::default() });
    }
    for (i, w) in rt.writable.iter().enumerate() {
        let name = volume_name(w.path.as_str(), i);
        volumes.push(Volume { name: name.clone(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Volume::default() });
        mounts.push(VolumeMount { name: name.clone(), mount_path: w.path.to_string(), ..VolumeMount::default() });
        if w.from_image {
            let target = format!("/ossc-seed/{name}");
            seed_script.push(format!("cp -a {}/. {target}/", w.path));
            seed_mounts.push(VolumeMount { name, mount_path: target, ..VolumeMount::default() });
        }
    }
    let resources = {
        let r = BTreeMap::from([
            ("cpu".to_owned(), Quantity(spec.capacity.cpu.to_string())),
            ("memory".to_owned(), Quantity(spec.capacity.memory.to_string())),
        ]);
        ResourceRequirements { limits: Some(r.clone()), requests: Some(r), ..ResourceRequirements::default() }
    };
    // IfNotPresent: a pinned image need not be fetched again, and restarts keep working while
    // the registry is down (see security::checkov_skips for CKV_K8S_15).
    let image_pull_policy = Some("IfNotPresent".to_owned());
    let init_containers = (!seed_script.is_empty()).then(|| {
        vec![Container {
            name: "seed-from-image".to_owned(),
            image: Some(rt.image.to_string()),
            image_pull_policy: image_pull_policy.clone(),
            command: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), seed_script.join(" && ")]),
            resources: Some(resources.clone()),
            security_context: Some(security::container_security_context()),
            volume_mounts: Some(seed_mounts),
            ..Container::default()
        }]
    });
    let ports: Vec<ContainerPort> = spec
        .ports()
        .map(|p| ContainerPort {
            name: Some(p.name.to_string()),
            container_port: i32::from(p.port),
            protocol: Some(protocol(p.protocol)),
            ..ContainerPort::default()
        })
        .collect();
    let (env, args) = expand_env_and_args(cx);
    let live = probe(&rt.health.live);
    let startup = Probe {
        failure_threshold: Some(
            i32::try_from(rt.health.startup_timeout.millis().div_ceil(rt.health.live.period.millis().max(1))).unwrap_or(i32::MAX).max(1),
        ),
        success_threshold: Some(1),
        ..live.clone()
    };
    let lifecycle = (!rt.stop.drain.is_empty()).then(|| Lifecycle {
        pre_stop: Some(LifecycleHandler { exec: Some(ExecAction { command: Some(rt.stop.drain.clone()) }), ..LifecycleHandler::default() }),
        ..Lifecycle::default()
    });
    let container = Container {
        name: cx.name.clone(),
        image: Some(rt.image.to_string()),
        image_pull_policy,
        command: (!rt.command.is_empty()).then(|| rt.command.clone()),
        args: (!args.is_empty()).then_some(args),
        env: (!env.is_empty()).then_some(env),
        ports: (!ports.is_empty()).then_some(ports),
        resources: Some(resources),
        readiness_probe: Some(probe(&rt.health.ready)),
        liveness_probe: Some(live),
        startup_probe: Some(startup),
        lifecycle,
        security_context: Some(security::container_security_context()),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        ..Container::default()
    };
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(cx.labels("server")),
            annotations: Some(BTreeMap::from([(RESTART_ANNOTATION.to_owned(), spec.lifecycle.restart_generation.to_string())])),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(cx.name.clone()),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            security_context: Some(security::pod_security_context(rt.user, rt.group, rt.state == State::Stateful)),
            termination_grace_period_seconds: Some(i64::try_from(rt.stop.grace_period.secs_ceil()).unwrap_or(i64::MAX)),
            init_containers,
            containers: vec![container],
            volumes: (!volumes.is_empty()).then_some(volumes),
            ..PodSpec::default()
        }),
    }
}

/// A Kubernetes probe from a health check. Ports are referred to by name.
#[must_use]
pub fn probe(check: &Check) -> Probe {
    let secs = |d: oss_spec::values::Duration| i32::try_from(d.secs_ceil()).unwrap_or(i32::MAX).max(1);
    Probe {
        exec: check.exec.as_ref().map(|c| ExecAction { command: Some(c.clone()) }),
        tcp_socket: check.tcp.as_ref().map(|p| TCPSocketAction { port: IntOrString::String(p.to_string()), host: None }),
        http_get: check.http.as_ref().map(|h| HTTPGetAction {
            path: Some(h.path.clone()),
            port: IntOrString::String(h.port.to_string()),
            scheme: Some("HTTP".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(secs(check.period)),
        timeout_seconds: Some(secs(check.timeout)),
        failure_threshold: Some(i32::try_from(check.failures).unwrap_or(3)),
        success_threshold: Some(1),
        ..Probe::default()
    }
}

const POD_FIELDS: &[(Reference, &str, &str)] = &[
    (Reference::PodName, "OSS_POD_NAME", "metadata.name"),
    (Reference::PodNamespace, "OSS_POD_NAMESPACE", "metadata.namespace"),
    (Reference::PodIp, "OSS_POD_IP", "status.podIP"),
];

/// Expands `${...}` in env and args. References to the pod become `$(OSS_POD_*)` (Kubernetes
/// expands them from downward-API variables defined first); everything else is a literal.
fn expand_env_and_args(cx: &Context) -> (Vec<EnvVar>, Vec<String>) {
    let rt = &cx.spec.runtime;
    let mut used = Vec::new();
    let mut expand = |s: &str| -> String {
        let Ok(parts) = template::parse(s) else { return s.to_owned() };
        parts
            .into_iter()
            .map(|p| match p {
                Part::Literal(l) => l,
                Part::Ref(r, _) => {
                    if let Some((_, var, _)) = POD_FIELDS.iter().find(|(pr, _, _)| *pr == r) {
                        if !used.contains(&r) {
                            used.push(r);
                        }
                        format!("$({var})")
                    } else {
                        resolve(cx, &r)
                    }
                }
            })
            .collect()
    };
    let args: Vec<String> = rt.args.iter().map(|a| expand(a)).collect();
    let spec_env: Vec<EnvVar> = rt
        .env
        .iter()
        .map(|(name, v)| match v {
            EnvValue::Value(s) => EnvVar { name: name.to_string(), value: Some(expand(s)), value_from: None },
            EnvValue::Secret { secret_key_ref } => EnvVar {
                name: name.to_string(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: expand(&secret_key_ref.name),
                        key: secret_key_ref.key.clone(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }),
            },
        })
        .collect();
    let mut env: Vec<EnvVar> = POD_FIELDS
        .iter()
        .filter(|(r, _, _)| used.contains(r))
        .map(|(_, var, field)| EnvVar {
            name: (*var).to_owned(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector { field_path: (*field).to_owned(), api_version: Some("v1".to_owned()) }),
                ..EnvVarSource::default()
            }),
        })
        .collect();
    env.extend(spec_env);
    (env, args)
}

fn resolve(cx: &Context, r: &Reference) -> String {
    match r {
        Reference::Knob(name, format) => {
            let Some(v) = cx.spec.knob_value(name.as_str()) else { return String::new() };
            match (v, format) {
                (oss_spec::model::KnobValue::Quantity(q), Some(QuantityFormat::Mebibytes)) => (q.units_ceil() / (1 << 20)).to_string(),
                (oss_spec::model::KnobValue::Quantity(q), Some(QuantityFormat::Bytes)) => q.units_ceil().to_string(),
                (v, _) => v.render(),
            }
        }
        Reference::ServiceName => cx.name.clone(),
        Reference::PeersService => cx.peers.clone(),
        Reference::Seed => cx.replica_host(0),
        Reference::Replicas => cx.spec.redundancy.replicas.to_string(),
        Reference::PodName | Reference::PodNamespace | Reference::PodIp => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_are_dns_labels() {
        assert_eq!(volume_name("/var/log/cassandra", 1), "rw1-var-log-cassandra");
        assert_eq!(volume_name("/tmp", 0), "rw0-tmp");
        let long = format!("/{}", "a".repeat(100));
        assert!(volume_name(&long, 3).len() <= 63);
    }
}
