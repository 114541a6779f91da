//! Lowering: the resolved spec to typed Kubernetes objects.
//!
//! Owns: one small function per object, each a pure function of the [`Context`]. Decisions that
//! deserve a name and a test of their own (probes from health checks, security context, env
//! expansion) are separate functions. Must not: order objects or serialise them.

use crate::bundle::Object;
use crate::context::Context;
use crate::derive::autoscaling::derive_autoscaler;
use crate::derive::disruption::{Budget, derive_disruption_budget};
use crate::derive::placement::derive_placement;
use crate::derive::quota::derive_quota;
use crate::derive::slo::{SliQueries, SloTarget, Workload, default_sli, derive_service_alerts, derive_slo_rules};
use crate::monitoring::{
    self, Endpoint, IntervalRuleGroup, Monitoring, NamespaceSelector, PodMonitoring, PodMonitoringSpec, PrometheusRule, PrometheusRuleSpec,
    Rules, RulesSpec, ScrapeEndpoint, ServiceMonitor, ServiceMonitorSpec,
};
use crate::security;
use k8s_openapi::api::admissionregistration::v1::{
    MatchCondition, MatchResources, NamedRuleWithOperations, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
    ValidatingAdmissionPolicyBindingSpec, ValidatingAdmissionPolicySpec, Validation,
};
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment, RollingUpdateStatefulSetStrategy, StatefulSet,
    StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::autoscaling::v2::{CrossVersionObjectReference, HorizontalPodAutoscaler};
use k8s_openapi::api::core::v1::ResourceQuota;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction, HTTPGetAction,
    KeyToPath, Lifecycle, LifecycleHandler, Namespace, ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SecretKeySelector, SecretVolumeSource, Service, ServiceAccount, ServicePort, ServiceSpec,
    TCPSocketAction, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use oss_spec::model::{Check, EnvValue, PortSpec, Protocol, RunState, StartOrder, State, UpgradeStrategy};
use oss_spec::template::{self, QuantityFormat, Reference};
use oss_spec::validate::METRICS_PORT_NAME;
use oss_spec::values::EnvName;
use std::collections::BTreeMap;

/// Pod-template annotation whose change restarts every pod (`lifecycle.restartGeneration`).
pub const RESTART_ANNOTATION: &str = "openservice.dev/restart-generation";
/// Name of the data volume (claim template) of stateful services.
pub const DATA_VOLUME: &str = "data";

/// The claims each replica of a stateful service gets, as (name, size, storage class): the
/// data volume first, then `runtime.volumes` in their order, each sized by `capacity.volumes`
/// (the validator makes sure each has its entry). The StatefulSet's claim templates and the
/// ResourceQuota both count these.
pub(crate) fn claim_templates(spec: &oss_spec::Spec) -> impl Iterator<Item = (&str, &oss_spec::values::Quantity, Option<&String>)> {
    std::iter::once((DATA_VOLUME, &spec.capacity.storage, None)).chain(spec.runtime.volumes.iter().filter_map(|v| {
        let c = spec.capacity.volumes.get(&v.name)?;
        Some((v.name.as_str(), &c.size, c.storage_class.as_ref()))
    }))
}

/// Every object of the service, unordered.
#[must_use]
pub fn lower(cx: &Context) -> Vec<Object> {
    let spec = cx.spec;
    let running = spec.lifecycle.state == RunState::Running;
    let mut objects = Vec::new();
    if cx.owns_namespace {
        objects.push(Object::Namespace(namespace(cx)));
        if spec.runtime.state == State::Stateful {
            let (policy, binding) = keep_data(cx);
            objects.push(Object::ValidatingAdmissionPolicy(policy));
            objects.push(Object::ValidatingAdmissionPolicyBinding(binding));
        }
    }
    if let Some(g) = crate::credentials::generator(cx) {
        objects.push(Object::ServiceAccount(g.service_account));
        objects.push(Object::Role(g.role));
        objects.push(Object::RoleBinding(g.role_binding));
        for (role, binding) in g.client_roles {
            objects.push(Object::Role(role));
            objects.push(Object::RoleBinding(binding));
        }
        objects.push(Object::NetworkPolicy(g.network_policy));
        objects.push(Object::Job(g.job));
    }
    objects.extend(crate::certificate::certificate(cx).map(Object::Certificate));
    if let Some(r) = crate::reload::objects(cx) {
        objects.push(Object::ServiceAccount(r.service_account));
        objects.push(Object::Role(r.role));
        objects.push(Object::RoleBinding(r.role_binding));
        objects.push(Object::NetworkPolicy(r.network_policy));
        objects.push(Object::CronJob(r.cron_job));
    }
    objects.extend(crate::gateway::http_route(cx).map(Object::HttpRoute));
    objects.extend(crate::gateway::backend_tls_policy(cx).map(Object::BackendTlsPolicy));
    objects.extend(crate::credentials::plain_binding(cx).into_iter().map(Object::Secret));
    // A stopped service cannot be bootstrapped: its steps come back with it.
    if running {
        let (jobs, policy) = crate::bootstrap::objects(cx);
        objects.extend(policy.map(Object::NetworkPolicy));
        objects.extend(jobs.into_iter().map(Object::Job));
    }
    if let Some(b) = crate::backup::objects(cx) {
        objects.push(Object::NetworkPolicy(b.network_policy));
        objects.push(Object::CronJob(b.cron_job));
        if let Some(a) = b.restore_access {
            objects.push(Object::ServiceAccount(a.service_account));
            objects.push(Object::Role(a.role));
            objects.push(Object::RoleBinding(a.role_binding));
            objects.push(Object::NetworkPolicy(a.network_policy));
        }
        objects.extend(b.restore.map(Object::Job));
    }
    if spec.capacity.quota {
        objects.push(Object::ResourceQuota(ResourceQuota {
            metadata: meta(cx, &cx.name, "server"),
            spec: Some(derive_quota(spec)),
            ..ResourceQuota::default()
        }));
    }
    objects.push(Object::NetworkPolicy(network_policy(cx)));
    objects.push(Object::ServiceAccount(service_account(cx)));
    if let Some((role, binding)) = api_rbac(cx) {
        objects.push(Object::Role(role));
        objects.push(Object::RoleBinding(binding));
    }
    objects.extend(files_config_map(cx).map(Object::ConfigMap));
    if !spec.access.operators.is_empty() {
        let (role, binding) = operator_rbac(cx);
        objects.push(Object::Role(role));
        objects.push(Object::RoleBinding(binding));
    }
    if let Some(s) = client_service(cx) {
        objects.push(Object::Service(s));
    }
    if let Some(s) = external_service(cx) {
        objects.push(Object::Service(s));
    }
    if let Some(s) = replicas_service(cx) {
        objects.push(Object::Service(s));
    }
    if let Some(s) = read_service(cx) {
        objects.push(Object::Service(s));
    }
    if let Some(s) = metrics_service(cx) {
        objects.push(Object::Service(s));
    }
    match spec.runtime.state {
        State::Stateful => {
            objects.push(Object::Service(peer_service(cx)));
            objects.push(Object::StatefulSet(statefulset(cx)));
        }
        State::Stateless => objects.push(Object::Deployment(deployment(cx))),
    }
    objects.extend(crate::component::objects(cx));
    // A stopped service keeps its data and nothing that would block node drains or alert on
    // the absence of pods it was asked not to run.
    if running {
        if let Some(pdb) = disruption_budget(cx) {
            objects.push(Object::PodDisruptionBudget(pdb));
        }
        if let Some(hpa) = autoscaler(cx) {
            objects.push(Object::HorizontalPodAutoscaler(hpa));
        }
        match cx.monitoring {
            Monitoring::Off => {}
            Monitoring::PrometheusOperator => {
                if let Some(sm) = service_monitor(cx) {
                    objects.push(Object::ServiceMonitor(sm));
                }
                objects.push(Object::PrometheusRule(prometheus_rule(cx)));
            }
            Monitoring::GoogleManagedPrometheus => {
                if let Some(pm) = pod_monitoring(cx) {
                    objects.push(Object::PodMonitoring(pm));
                }
                objects.push(Object::Rules(gmp_rules(cx)));
            }
        }
    }
    objects
}

/// Whether an autoscaler owns the replica count.
fn autoscaled(cx: &Context) -> bool {
    cx.spec.scaling.autoscale.is_some() && cx.spec.lifecycle.state == RunState::Running
}

/// The replica count the disruption budget and canary are computed from: the autoscaling
/// floor when an autoscaler owns the count (the worst case), else the configured replicas.
fn baseline_replicas(cx: &Context) -> u32 {
    match (&cx.spec.scaling.autoscale, autoscaled(cx)) {
        (Some(a), true) => a.min,
        _ => cx.spec.redundancy.replicas,
    }
}

fn disruption_budget(cx: &Context) -> Option<PodDisruptionBudget> {
    let Budget::MaxUnavailable(n) = derive_disruption_budget(baseline_replicas(cx), cx.spec.redundancy.quorum) else { return None };
    Some(PodDisruptionBudget {
        metadata: meta(cx, &cx.name, "server"),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(i32::try_from(n).unwrap_or(i32::MAX))),
            selector: Some(selector(cx)),
            // Not-ready pods do not count towards the quorum; evicting them never hurts it, and
            // a crash-looping pod must not block node drains.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

fn autoscaler(cx: &Context) -> Option<HorizontalPodAutoscaler> {
    let a = cx.spec.scaling.autoscale.as_ref()?;
    let stateful = cx.spec.runtime.state == State::Stateful;
    let mut spec = derive_autoscaler(a, stateful, &cx.spec.runtime.scaling);
    spec.scale_target_ref = CrossVersionObjectReference {
        api_version: Some("apps/v1".to_owned()),
        kind: if stateful { "StatefulSet" } else { "Deployment" }.to_owned(),
        name: cx.name.clone(),
    };
    Some(HorizontalPodAutoscaler { metadata: meta(cx, &cx.name, "server"), spec: Some(spec), ..HorizontalPodAutoscaler::default() })
}

/// `runtime.kubernetesApi`: a Role `<name>` with the spec's rules, bound to the pods'
/// ServiceAccount.
fn api_rbac(cx: &Context) -> Option<(Role, RoleBinding)> {
    let api = cx.spec.runtime.kubernetes_api.as_ref()?;
    let rules = api
        .rules
        .iter()
        .flat_map(|r| {
            // one PolicyRule per API group, in a stable order
            let groups: std::collections::BTreeSet<&str> = r.resources.iter().map(|res| res.group()).collect();
            groups.into_iter().map(|g| PolicyRule {
                api_groups: Some(vec![g.to_owned()]),
                resources: Some(r.resources.iter().filter(|res| res.group() == g).map(|res| res.name().to_owned()).collect()),
                verbs: r.verbs.iter().map(|v| v.name().to_owned()).collect(),
                ..PolicyRule::default()
            })
        })
        .collect();
    let role = Role { metadata: meta(cx, &cx.name, "server"), rules: Some(rules) };
    Some((role, service_account_binding(meta(cx, &cx.name, "server"), &cx.name, &cx.namespace)))
}

/// A RoleBinding of the Role `name` to the ServiceAccount `name` of `namespace` (the software's
/// own, the credentials generator's).
pub(crate) fn service_account_binding(metadata: ObjectMeta, name: &str, namespace: &str) -> RoleBinding {
    RoleBinding {
        metadata,
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".to_owned(), kind: "Role".to_owned(), name: name.to_owned() },
        subjects: Some(vec![Subject {
            api_group: None,
            kind: "ServiceAccount".to_owned(),
            name: name.to_owned(),
            namespace: Some(namespace.to_owned()),
        }]),
    }
}

/// A Role's rule: these verbs on these resources of these API groups (`""`: the core group),
/// limited to `names` when given.
pub(crate) fn policy_rule(groups: &[&str], resources: &[&str], verbs: &[&str], names: Option<Vec<String>>) -> PolicyRule {
    let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    PolicyRule {
        api_groups: Some(owned(groups)),
        resources: Some(owned(resources)),
        verbs: owned(verbs),
        resource_names: names,
        ..PolicyRule::default()
    }
}

fn operator_rbac(cx: &Context) -> (Role, RoleBinding) {
    let name = format!("{}-operators", cx.name);
    let workload = if cx.spec.runtime.state == State::Stateful { "statefulsets" } else { "deployments" };
    let rule = policy_rule;
    let role = Role {
        metadata: meta(cx, &name, "access"),
        rules: Some(vec![
            // See the service: pods, their logs, events, services and volumes.
            rule(
                &[""],
                &["pods", "pods/log", "events", "services", "endpoints", "persistentvolumeclaims"],
                &["get", "list", "watch"],
                None,
            ),
            rule(&["apps"], &[workload], &["get", "list", "watch"], None),
            // Roll it: `kubectl rollout restart` patches the pod template of this workload only.
            rule(&["apps"], &[workload], &["patch"], Some(vec![cx.name.clone()])),
        ]),
    };
    let binding = RoleBinding {
        metadata: meta(cx, &name, "access"),
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".to_owned(), kind: "Role".to_owned(), name: name.clone() },
        subjects: Some(
            cx.spec
                .access
                .operators
                .iter()
                .map(|g| Subject {
                    api_group: Some("rbac.authorization.k8s.io".to_owned()),
                    kind: "Group".to_owned(),
                    name: g.clone(),
                    namespace: None,
                })
                .collect(),
        ),
    };
    (role, binding)
}

/// Name of the Service Prometheus scrapes.
fn metrics_service_name(cx: &Context) -> String {
    format!("{}-metrics", cx.name)
}

/// The container port Prometheus scrapes, by name: `metrics`, or the software's own port of
/// that number when it serves its metrics there (MinIO's S3 port) and there is no exporter.
fn metrics_target(cx: &Context) -> String {
    cx.spec.metrics_on_own_port().map_or_else(|| METRICS_PORT_NAME.to_owned(), |p| p.name.to_string())
}

/// A headless Service for scraping every replica, ready or not (so that a replica's trouble
/// shows in its metrics). Clients never see the metrics port.
fn metrics_service(cx: &Context) -> Option<Service> {
    let m = cx.spec.runtime.metrics.as_ref()?;
    Some(Service {
        metadata: meta(cx, &metrics_service_name(cx), "metrics"),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            publish_not_ready_addresses: Some(true),
            selector: Some(cx.selector()),
            ports: Some(vec![ServicePort {
                name: Some(METRICS_PORT_NAME.to_owned()),
                port: i32::from(m.port),
                target_port: Some(IntOrString::String(metrics_target(cx))),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

/// The scrape's scheme and, over https, how it verifies the target: https when the metrics are
/// served on an endpoint that serves HTTPS with TLS on (`runtime.tls.https`: MinIO's S3 port),
/// verified against the certificate Secret's CA for the client Service's name (which the
/// certificate carries) rather than the pod's address.
fn metrics_scheme(cx: &Context) -> (String, Option<monitoring::ScrapeTls>) {
    if !cx.spec.metrics_on_own_port().is_some_and(|p| cx.serves_https(&p.name)) {
        return ("http".to_owned(), None);
    }
    let ca = monitoring::SecretSource { secret: SecretKeySelector { name: cx.tls_secret(), key: "ca.crt".to_owned(), optional: None } };
    ("https".to_owned(), Some(monitoring::ScrapeTls { ca, server_name: cx.client_host() }))
}

fn service_monitor(cx: &Context) -> Option<ServiceMonitor> {
    let m = cx.spec.runtime.metrics.as_ref()?;
    let (scheme, tls_config) = metrics_scheme(cx);
    let mut labels = cx.selector();
    labels.insert("app.kubernetes.io/component".to_owned(), "metrics".to_owned());
    Some(ServiceMonitor {
        api_version: monitoring::API_VERSION.to_owned(),
        kind: "ServiceMonitor".to_owned(),
        metadata: meta(cx, &cx.name, "metrics"),
        spec: ServiceMonitorSpec {
            endpoints: vec![Endpoint {
                interval: "30s".to_owned(),
                path: m.path.clone(),
                port: METRICS_PORT_NAME.to_owned(),
                scheme,
                scrape_timeout: "10s".to_owned(),
                tls_config,
            }],
            namespace_selector: NamespaceSelector { match_names: vec![cx.namespace.clone()] },
            selector: LabelSelector { match_labels: Some(labels), ..LabelSelector::default() },
        },
    })
}

/// GMP's scrape of the metrics port: selects the pods (not the Service), named like the
/// metrics Service so that the `job` label, which GMP sets to this name, is the one the SLO
/// rules select (as prometheus-operator sets it to the Service's name).
fn pod_monitoring(cx: &Context) -> Option<PodMonitoring> {
    let m = cx.spec.runtime.metrics.as_ref()?;
    let (scheme, tls) = metrics_scheme(cx);
    Some(PodMonitoring {
        api_version: monitoring::GMP_API_VERSION.to_owned(),
        kind: "PodMonitoring".to_owned(),
        metadata: meta(cx, &metrics_service_name(cx), "metrics"),
        spec: PodMonitoringSpec {
            endpoints: vec![ScrapeEndpoint {
                interval: "30s".to_owned(),
                path: m.path.clone(),
                port: metrics_target(cx),
                scheme,
                timeout: "10s".to_owned(),
                tls,
            }],
            selector: LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() },
        },
    })
}

/// The same rule groups as the PrometheusRule, as GMP Rules, each evaluated every 30 s, the
/// scrape interval (written out: GMP's default would be 1m).
fn gmp_rules(cx: &Context) -> Rules {
    let groups =
        rule_groups(cx).into_iter().map(|g| IntervalRuleGroup { interval: "30s".to_owned(), name: g.name, rules: g.rules }).collect();
    Rules {
        api_version: monitoring::GMP_API_VERSION.to_owned(),
        kind: "Rules".to_owned(),
        metadata: meta(cx, &cx.name, "monitoring"),
        spec: RulesSpec { groups },
    }
}

fn prometheus_rule(cx: &Context) -> PrometheusRule {
    PrometheusRule {
        api_version: monitoring::API_VERSION.to_owned(),
        kind: "PrometheusRule".to_owned(),
        metadata: meta(cx, &cx.name, "monitoring"),
        spec: PrometheusRuleSpec { groups: rule_groups(cx) },
    }
}

/// The SLO recording rules and alerts, and the service's own alerts.
fn rule_groups(cx: &Context) -> Vec<monitoring::RuleGroup> {
    let spec = cx.spec;
    let mut groups = Vec::new();
    if let (Some(objective), Some(m)) = (spec.slo.availability, &spec.runtime.metrics) {
        let sli = m.sli.as_ref().map_or_else(default_sli, |s| SliQueries { errors: s.errors.clone(), total: s.total.clone() });
        let target = SloTarget { service: &cx.name, selector: metrics_selector(cx), objective, sli };
        groups.extend(derive_slo_rules(&target));
    }
    let mut service = derive_service_alerts(&Workload {
        namespace: &cx.namespace,
        name: &cx.name,
        stateful: spec.runtime.state == State::Stateful,
        quorum: spec.redundancy.quorum,
    });
    service.rules.extend(crate::backup::alert(cx));
    service.rules.extend(software_alerts(cx));
    groups.push(service);
    groups
}

/// The label matchers of this instance's scraped series (`${selector}` in an SLI or an alert).
fn metrics_selector(cx: &Context) -> String {
    format!("namespace=\"{}\", job=\"{}\"", cx.namespace, metrics_service_name(cx))
}

/// The packager's alerts (`runtime.metrics.alerts`) this bundle carries: `${selector}` filled
/// in as the SLI's, `when: backup` ones only with the consumer's backups.
fn software_alerts(cx: &Context) -> Vec<monitoring::Rule> {
    let Some(m) = &cx.spec.runtime.metrics else { return Vec::new() };
    let selector = metrics_selector(cx);
    m.alerts
        .iter()
        .filter(|a| match a.when {
            None => true,
            Some(oss_spec::model::AlertWhen::Backup) => cx.spec.backup.is_some(),
        })
        .map(|a| {
            let mut annotations = BTreeMap::from([("summary".to_owned(), format!("{}: {}", cx.name, a.summary))]);
            if let Some(d) = &a.description {
                annotations.insert("description".to_owned(), d.clone());
            }
            monitoring::Rule {
                alert: Some(a.name.clone()),
                expr: a.expr.replace("${selector}", &selector),
                for_: Some(a.for_.to_string()),
                labels: BTreeMap::from([("service".to_owned(), cx.name.clone()), ("severity".to_owned(), a.severity.label().to_owned())]),
                annotations,
                ..monitoring::Rule::default()
            }
        })
        .collect()
}

/// The metadata of an object of the service in its namespace, labelled as `component`.
pub(crate) fn meta(cx: &Context, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(cx.namespace.clone()),
        labels: Some(cx.labels(component)),
        ..ObjectMeta::default()
    }
}

/// `${service.uid}`: 16 bytes from two FNV-1a hashes of the namespace and name, in base64url
/// without padding (22 characters, the form of Kafka's `kafka-storage.sh random-uuid`).
fn instance_uid(namespace: &str, name: &str) -> String {
    let mut bytes = Vec::with_capacity(16);
    for salt in [0u8, 1] {
        let text = format!("openservice.dev/uid\0{salt}\0{namespace}\0{name}");
        bytes.extend_from_slice(&crate::credentials::fnv1a(text.as_bytes()).to_be_bytes());
    }
    crate::credentials::base64_bytes(&bytes).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

/// Name of the volume holding `runtime.files`.
const FILES_VOLUME: &str = "files";
/// Pod-template annotation carrying a hash of `runtime.files`.
pub const FILES_ANNOTATION: &str = "openservice.dev/files-hash";

fn files_config_map_name(cx: &Context) -> String {
    format!("{}-files", cx.name)
}

/// The ConfigMap key of file `index`: its index and base name, made a valid key.
fn file_key(index: usize, path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or_default();
    let clean: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    let mut key = format!("{index}-{clean}");
    key.truncate(253);
    key
}

/// The files with their references filled in, as ConfigMap data (key order = declaration).
fn files_data(cx: &Context) -> BTreeMap<String, String> {
    cx.spec.runtime.files.iter().enumerate().map(|(i, f)| (file_key(i, f.path.as_str()), expand_plain(cx, &f.content))).collect()
}

fn files_hash(cx: &Context) -> Option<String> {
    if cx.spec.runtime.files.is_empty() {
        return None;
    }
    let text: String = files_data(cx).iter().map(|(k, v)| format!("{k}\n{}\n{v}\n", v.len())).collect();
    Some(format!("{:016x}", crate::credentials::fnv1a(text.as_bytes())))
}

/// The ConfigMap of `runtime.files`, when there are any.
fn files_config_map(cx: &Context) -> Option<ConfigMap> {
    (!cx.spec.runtime.files.is_empty()).then(|| ConfigMap {
        metadata: meta(cx, &files_config_map_name(cx), "server"),
        data: Some(files_data(cx)),
        ..ConfigMap::default()
    })
}

/// The label a consumer sets on the namespace to delete it, and the data with it, in one go.
pub const DELETE_DATA_LABEL: &str = "openservice.dev/delete-data";

fn namespace(cx: &Context) -> Namespace {
    let mut labels = cx.labels("server");
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), "restricted".to_owned());
    }
    // The namespace holds the claims (and the generated credentials), which are not in the
    // bundle: GitOps tools must not delete it when they prune or delete the application.
    let annotations = (cx.spec.runtime.state == State::Stateful || cx.spec.needs_generator()).then(|| {
        BTreeMap::from([
            ("argocd.argoproj.io/sync-options".to_owned(), "Delete=false".to_owned()),
            ("helm.sh/resource-policy".to_owned(), "keep".to_owned()),
            ("kustomize.toolkit.fluxcd.io/prune".to_owned(), "disabled".to_owned()),
        ])
    });
    Namespace {
        metadata: ObjectMeta { name: Some(cx.namespace.clone()), labels: Some(labels), annotations, ..ObjectMeta::default() },
        ..Namespace::default()
    }
}

/// An admission policy that refuses to delete the service's namespace, which holds its data
/// volumes, unless the namespace is labelled `openservice.dev/delete-data=true`. It comes after
/// the Namespace in the bundle, so `kubectl delete -f` (file order) meets it while it stands:
/// every object of the bundle goes, the namespace, its claims and Secrets stay
/// (docs/lifecycle: uninstall).
fn keep_data(cx: &Context) -> (ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding) {
    let name = format!("{}.keep-data.openservice.dev", cx.namespace);
    let ns = &cx.namespace;
    let policy = ValidatingAdmissionPolicy {
        metadata: ObjectMeta { name: Some(name.clone()), labels: Some(cx.labels("server")), ..ObjectMeta::default() },
        spec: Some(ValidatingAdmissionPolicySpec {
            failure_policy: Some("Fail".to_owned()),
            match_constraints: Some(MatchResources {
                resource_rules: Some(vec![NamedRuleWithOperations {
                    api_groups: Some(vec![String::new()]),
                    api_versions: Some(vec!["v1".to_owned()]),
                    operations: Some(vec!["DELETE".to_owned()]),
                    resources: Some(vec!["namespaces".to_owned()]),
                    ..NamedRuleWithOperations::default()
                }]),
                ..MatchResources::default()
            }),
            match_conditions: Some(vec![MatchCondition { name: "this-service".to_owned(), expression: format!("request.name == '{ns}'") }]),
            validations: Some(vec![Validation {
                expression: format!(
                    "has(oldObject.metadata.labels) && '{DELETE_DATA_LABEL}' in oldObject.metadata.labels && oldObject.metadata.labels['{DELETE_DATA_LABEL}'] == 'true'"
                ),
                message: Some(format!(
                    "namespace {ns} holds the data volumes of {name}: it is kept, with its claims and Secrets, so that \
                     re-applying the bundle finds the data again. To delete the data too, run `kubectl delete namespace {ns}` \
                     once this policy is gone, or label the namespace {DELETE_DATA_LABEL}=true first",
                    name = cx.name
                )),
                reason: Some("Forbidden".to_owned()),
                ..Validation::default()
            }]),
            ..ValidatingAdmissionPolicySpec::default()
        }),
        ..ValidatingAdmissionPolicy::default()
    };
    let binding = ValidatingAdmissionPolicyBinding {
        metadata: ObjectMeta { name: Some(name.clone()), labels: Some(cx.labels("server")), ..ObjectMeta::default() },
        spec: Some(ValidatingAdmissionPolicyBindingSpec {
            policy_name: Some(name),
            validation_actions: Some(vec!["Deny".to_owned()]),
            ..ValidatingAdmissionPolicyBindingSpec::default()
        }),
    };
    (policy, binding)
}

fn service_account(cx: &Context) -> ServiceAccount {
    let token = cx.spec.runtime.kubernetes_api.is_some();
    ServiceAccount { metadata: meta(cx, &cx.name, "server"), automount_service_account_token: Some(token), ..ServiceAccount::default() }
}

pub(crate) fn service_port(cx: &Context, p: &PortSpec) -> ServicePort {
    // an endpoint that serves HTTPS with TLS on (`runtime.tls.https`) says so
    let https = cx.serves_https(&p.name);
    ServicePort {
        name: Some(p.name.to_string()),
        port: i32::from(p.port),
        target_port: Some(IntOrString::String(p.name.to_string())),
        protocol: Some(protocol(p.protocol)),
        // what Gateways and meshes read to speak the right protocol to the backend
        app_protocol: p.app_protocol.map(|a| if https { oss_spec::model::AppProtocol::Https } else { a }.service_value().to_owned()),
        ..ServicePort::default()
    }
}

pub(crate) fn protocol(p: Protocol) -> String {
    p.name().to_owned()
}

/// Copies the image's content of `source` into the empty volume mounted at `target`, entry by
/// entry with their modes and times. Not `cp -a source/. target/`: that also gives `target`
/// itself the source directory's owner and times, which a non-root user may not do to a volume
/// root it does not own (the kubelet makes it root's, group fsGroup), so the copy failed on a
/// real node and the pod never started (found by the node tier).
/// Copies a Secret volume's files (`source`: its keys are links into `..data`, which `cp`
/// follows) into `target`, readable by their owner only.
fn private_copy_command(source: &str, target: &str) -> String {
    let (s, t) = (crate::shell::quote(source), crate::shell::quote(target));
    format!("for f in {s}/*; do cp \"$f\" {t}/ && chmod 0400 {t}/\"$(basename \"$f\")\" || exit 1; done")
}

pub(crate) fn seed_command(source: &str, target: &str) -> String {
    let (s, t) = (crate::shell::quote(source), crate::shell::quote(target));
    format!("for f in {s}/* {s}/.[!.]* {s}/..?*; do if [ -e \"$f\" ] || [ -L \"$f\" ]; then cp -a \"$f\" {t}/ || exit 1; fi; done")
}

/// Seconds a replica behind the client Service keeps serving after it is told to stop, before it
/// gets SIGTERM: the time kube-proxy on every node (and any load balancer) needs to drop it from
/// the Service. Without it, connections opened in that window reach a process that has already
/// closed its socket; the node tier measured such errors during rolling upgrades.
pub const ENDPOINT_DRAIN_SECONDS: i64 = 5;

/// The `preStop` hook: the packager's drain command, or else, for replicas behind the client
/// Service, a native sleep (no shell needed in the image) of [`ENDPOINT_DRAIN_SECONDS`], at most
/// half of the grace period.
/// A sidecar has no drain command of its own: it gets the sleep when it serves an endpoint.
fn pre_stop(drain: &[String], rt: &oss_spec::model::Runtime, serves_clients: bool) -> Option<LifecycleHandler> {
    if !drain.is_empty() {
        return Some(LifecycleHandler { exec: Some(ExecAction { command: Some(drain.to_vec()) }), ..LifecycleHandler::default() });
    }
    let grace = i64::try_from(rt.stop.grace_period.secs_ceil()).unwrap_or(i64::MAX);
    let seconds = ENDPOINT_DRAIN_SECONDS.min(grace / 2);
    (serves_clients && seconds > 0)
        .then(|| LifecycleHandler { sleep: Some(k8s_openapi::api::core::v1::SleepAction { seconds }), ..LifecycleHandler::default() })
}

/// The Service clients connect to: the endpoints, load-balanced over ready replicas.
/// The headless Service of `function.replicaAddresses`: every ready replica's address, for
/// clients that pick a replica themselves.
fn replicas_service(cx: &Context) -> Option<Service> {
    let endpoints = &cx.spec.function.endpoints;
    if !cx.spec.function.replica_addresses || endpoints.is_empty() {
        return None;
    }
    Some(Service {
        metadata: meta(cx, &format!("{}-replicas", cx.name), "server"),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            selector: Some(cx.selector()),
            ports: Some(endpoints.iter().map(|p| service_port(cx, p)).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

/// The pods a client Service selects: every replica, or with `function.roles` those whose role
/// label has `value`.
fn role_selector(cx: &Context, value: Option<&str>) -> BTreeMap<String, String> {
    let mut selector = cx.selector();
    if let (Some(roles), Some(value)) = (&cx.spec.function.roles, value) {
        selector.insert(roles.label.clone(), value.to_owned());
    }
    selector
}

/// The metadata of a client Service named `name`; with `function.roles` its selector has a
/// label the software sets at run time, which kube-score cannot see in the pod template.
fn client_service_meta(cx: &Context, name: &str) -> ObjectMeta {
    let mut m = meta(cx, name, "server");
    if cx.spec.function.roles.is_some() {
        m.annotations = Some(BTreeMap::from([("kube-score/ignore".to_owned(), "service-targets-pod".to_owned())]));
    }
    m
}

/// The Service of the replicas (`function.roles.replica`): reads, load-balanced over them.
fn read_service(cx: &Context) -> Option<Service> {
    let replica = cx.spec.function.roles.as_ref()?.replica.as_deref()?;
    let endpoints = &cx.spec.function.endpoints;
    (!endpoints.is_empty()).then(|| Service {
        metadata: client_service_meta(cx, &format!("{}-read", cx.name)),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(role_selector(cx, Some(replica))),
            ports: Some(endpoints.iter().map(|p| service_port(cx, p)).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

fn client_service(cx: &Context) -> Option<Service> {
    let endpoints = &cx.spec.function.endpoints;
    if endpoints.is_empty() {
        return None;
    }
    Some(Service {
        metadata: client_service_meta(cx, &cx.name),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(role_selector(cx, cx.spec.function.roles.as_ref().map(|r| r.primary.as_str()))),
            ports: Some(endpoints.iter().map(|p| service_port(cx, p)).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

/// The endpoints of `access.expose` (all of them when it names none).
pub(crate) fn exposed_endpoints<'a>(cx: &Context<'a>) -> Vec<&'a PortSpec> {
    let Some(expose) = &cx.spec.access.expose else { return Vec::new() };
    cx.spec.function.endpoints.iter().filter(|e| expose.endpoints.is_empty() || expose.endpoints.contains(&e.name)).collect()
}

/// `access.expose`: a Service `<name>-external` of type LoadBalancer or NodePort on the exposed
/// endpoints; a load balancer admits only `sourceRanges` (the NetworkPolicy does too).
fn external_service(cx: &Context) -> Option<Service> {
    let expose = cx.spec.access.expose.as_ref()?;
    let ports = exposed_endpoints(cx);
    if ports.is_empty() {
        return None;
    }
    let lb = expose.kind == oss_spec::model::ExposeType::LoadBalancer;
    Some(Service {
        metadata: meta(cx, &format!("{}-external", cx.name), "server"),
        spec: Some(ServiceSpec {
            type_: Some(expose.kind.name().to_owned()),
            selector: Some(cx.selector()),
            ports: Some(ports.into_iter().map(|p| service_port(cx, p)).collect()),
            load_balancer_source_ranges: lb.then(|| expose.source_ranges.clone()),
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
            ports: Some(cx.spec.ports().map(|p| service_port(cx, p)).collect()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

pub(crate) fn np_ports<'p>(ports: impl Iterator<Item = &'p PortSpec>) -> Vec<NetworkPolicyPort> {
    ports.map(|p| np_port(i32::from(p.port), &protocol(p.protocol))).collect()
}

/// TCP ports of a NetworkPolicy rule.
fn tcp_ports(ports: &[u16]) -> Vec<NetworkPolicyPort> {
    ports.iter().map(|p| np_port(i32::from(*p), "TCP")).collect()
}

/// One port of a NetworkPolicy rule.
pub(crate) fn np_port(port: i32, protocol: &str) -> NetworkPolicyPort {
    NetworkPolicyPort { port: Some(IntOrString::Int(port)), protocol: Some(protocol.to_owned()), ..NetworkPolicyPort::default() }
}

/// The selector of the namespace named `ns` (its `kubernetes.io/metadata.name` label, which
/// Kubernetes sets on every namespace).
pub(crate) fn namespace_selector(ns: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), ns.to_owned())])),
        ..LabelSelector::default()
    }
}

/// A NetworkPolicy peer: the pods of the instance `service` in `namespace` (every pod ossc
/// makes for it carries `app.kubernetes.io/instance: SERVICE`).
pub(crate) fn instance_pods(service: &str, namespace: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(namespace_selector(namespace)),
        pod_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([("app.kubernetes.io/instance".to_owned(), service.to_owned())])),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// A NetworkPolicy peer that is an address range.
fn ip_block(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer { ip_block: Some(IPBlock { cidr: cidr.to_owned(), except: None }), ..NetworkPolicyPeer::default() }
}

/// Egress to DNS (port 53, UDP and TCP) anywhere: the resolver's address is the cluster's,
/// unknown here. Every policy ossc writes starts its egress with it.
pub(crate) fn dns_egress() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule { to: None, ports: Some(vec![np_port(53, "UDP"), np_port(53, "TCP")]) }
}

/// Egress to the API server: its address is the cluster's, unknown here, on the Service port
/// (443) or the usual secure port behind it (6443).
pub(crate) fn api_server_egress() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule { to: None, ports: Some(vec![np_port(443, "TCP"), np_port(6443, "TCP")]) }
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
                    namespace_selector: c.namespace.as_deref().map(namespace_selector),
                    pod_selector: Some(LabelSelector {
                        match_labels: (!c.pod_labels.is_empty()).then(|| c.pod_labels.clone()),
                        ..LabelSelector::default()
                    }),
                    ..NetworkPolicyPeer::default()
                })
                .collect()
        };
        let mut from = from;
        // The bootstrap steps, backups and restores are clients too (without listed clients,
        // every pod of the namespace is admitted already).
        let own_clients = [
            (!cx.spec.runtime.bootstrap.is_empty()).then(|| crate::bootstrap::pod_selector(cx)),
            crate::backup::objects(cx).map(|_| crate::backup::pod_selector(cx)),
        ];
        if !cx.spec.access.clients.is_empty() {
            for selector in own_clients.into_iter().flatten() {
                from.push(NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector { match_labels: Some(selector), ..LabelSelector::default() }),
                    ..NetworkPolicyPeer::default()
                });
            }
        }
        ingress.push(NetworkPolicyIngressRule { from: Some(from), ports: Some(endpoints) });
    }
    if let Some(m) = &cx.spec.runtime.metrics {
        // The monitoring namespace of the spec, and with GMP the namespace of its managed
        // collectors (they scrape the pods from there).
        let mut scrapers = vec![cx.spec.access.monitoring_namespace.clone()];
        if cx.monitoring == Monitoring::GoogleManagedPrometheus && scrapers[0] != monitoring::GMP_NAMESPACE {
            scrapers.push(monitoring::GMP_NAMESPACE.to_owned());
        }
        ingress.push(NetworkPolicyIngressRule {
            from: Some(
                scrapers
                    .into_iter()
                    .map(|ns| NetworkPolicyPeer { namespace_selector: Some(namespace_selector(&ns)), ..NetworkPolicyPeer::default() })
                    .collect(),
            ),
            ports: Some(vec![NetworkPolicyPort {
                port: Some(IntOrString::Int(i32::from(m.port))),
                protocol: Some("TCP".to_owned()),
                ..NetworkPolicyPort::default()
            }]),
        });
    }
    if let (Some(route), Some(endpoint)) = (&cx.spec.access.route, cx.spec.route_endpoint()) {
        // The Gateway's proxies, which forward the route's requests to the endpoint.
        let proxies = route.proxy_namespace.as_ref().unwrap_or(&route.gateway.namespace);
        ingress.push(NetworkPolicyIngressRule {
            from: Some(vec![NetworkPolicyPeer { namespace_selector: Some(namespace_selector(proxies)), ..NetworkPolicyPeer::default() }]),
            ports: Some(vec![np_port(i32::from(endpoint.port), "TCP")]),
        });
    }
    if let Some(expose) = &cx.spec.access.expose {
        // Traffic from outside the cluster, through the load balancer or a node port.
        let ports = np_ports(exposed_endpoints(cx).into_iter());
        if !ports.is_empty() {
            let from = expose.source_ranges.iter().map(|cidr| ip_block(cidr)).collect();
            ingress.push(NetworkPolicyIngressRule { from: Some(from), ports: Some(ports) });
        }
    }
    let peer_ports = np_ports(cx.spec.function.peer_ports.iter());
    let remote: Vec<NetworkPolicyPeer> = cx.peer_cidrs.iter().map(|cidr| ip_block(cidr)).collect();
    if !remote.is_empty() && !peer_ports.is_empty() {
        // Replicas of the other active clusters (multi-cluster active-active).
        ingress.push(NetworkPolicyIngressRule { from: Some(remote.clone()), ports: Some(peer_ports.clone()) });
    }
    // the service's components: they reach the software, and it reaches them
    let (from_components, to_components) = crate::component::software_rules(cx);
    ingress.extend(from_components);
    let mut egress = vec![dns_egress()];
    egress.extend(to_components);
    if cx.spec.runtime.kubernetes_api.is_some() {
        egress.push(api_server_egress());
    }
    if !all_ports.is_empty() {
        egress.push(NetworkPolicyEgressRule { to: Some(vec![own]), ports: Some(all_ports) });
    }
    if !remote.is_empty() && !peer_ports.is_empty() {
        egress.push(NetworkPolicyEgressRule { to: Some(remote), ports: Some(peer_ports) });
    }
    // the services the software depends on, as the consumer chose them
    egress.extend(dependency_egress(cx));
    egress.extend(crate::backup::member_egress(cx));
    for e in &cx.spec.access.egress {
        let to = match (&e.instance.service, &e.cidr) {
            (Some(service), _) => instance_pods(service, e.instance.namespace_of(service)),
            (None, Some(cidr)) => ip_block(cidr),
            (None, None) => continue,
        };
        egress.push(NetworkPolicyEgressRule { to: Some(vec![to]), ports: Some(tcp_ports(&e.ports)) });
    }
    NetworkPolicy {
        metadata: meta(cx, &cx.name, "server"),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            // An empty list would be dropped by the server (a false change on re-apply).
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: Some(egress),
        }),
    }
}

/// Replicas the workload runs: none when stopped; unset when an autoscaler owns the count, so
/// that re-applying the bundle never fights the autoscaler.
fn replicas(cx: &Context) -> Option<i32> {
    match cx.spec.lifecycle.state {
        RunState::Stopped => Some(0),
        RunState::Running if autoscaled(cx) => None,
        RunState::Running => Some(i32::try_from(cx.spec.redundancy.replicas).unwrap_or(i32::MAX)),
    }
}

fn workload_meta(cx: &Context) -> ObjectMeta {
    let mut m = meta(cx, &cx.name, "server");
    m.annotations = checkov_annotations(&security::checkov_skips(cx.spec, cx.target));
    m
}

/// A workload's `checkov.io/skipN` annotations, one per deliberate skip; none without skips.
pub(crate) fn checkov_annotations(skips: &[&security::Skip]) -> Option<BTreeMap<String, String>> {
    (!skips.is_empty())
        .then(|| skips.iter().enumerate().map(|(i, s)| (format!("checkov.io/skip{}", i + 1), format!("{}={}", s.id, s.reason))).collect())
}

/// A StatefulSet's `podManagementPolicy` for a start order.
pub(crate) fn pod_management_policy(order: StartOrder) -> String {
    match order {
        StartOrder::Ordered => "OrderedReady",
        StartOrder::Parallel => "Parallel",
    }
    .to_owned()
}

/// A declared port as a container port.
pub(crate) fn container_port(p: &PortSpec) -> ContainerPort {
    ContainerPort {
        name: Some(p.name.to_string()),
        container_port: i32::from(p.port),
        protocol: Some(protocol(p.protocol)),
        ..ContainerPort::default()
    }
}

/// The startup probe of a container with `health` and the liveness probe `live`: the start's
/// own check when there is one (`health.started`), else liveness's.
pub(crate) fn startup_probe_of(cx: &Context, health: &oss_spec::model::Health, live: &Probe) -> Probe {
    match &health.started {
        Some(started) => startup_probe(&probe(cx, started), health.startup_timeout, started.period),
        None => startup_probe(live, health.startup_timeout, health.live.period),
    }
}

fn selector(cx: &Context) -> LabelSelector {
    LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }
}

/// A StatefulSet's claim template `name` of `size`, in the storage class `class`, else the
/// service's (`capacity.storageClass`), else the target's default.
pub(crate) fn claim_template(
    cx: &Context,
    name: &str,
    mut labels: BTreeMap<String, String>,
    size: &oss_spec::values::Quantity,
    class: Option<&String>,
) -> PersistentVolumeClaim {
    // No version label: claim templates are immutable, so a label that changes with every
    // release would make every upgrade a rejected update.
    labels.remove("app.kubernetes.io/version");
    PersistentVolumeClaim {
        metadata: ObjectMeta { name: Some(name.to_owned()), labels: Some(labels), ..ObjectMeta::default() },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            storage_class_name: class
                .or(cx.spec.capacity.storage_class.as_ref())
                .cloned()
                .or_else(|| cx.target.default_storage_class().map(str::to_owned)),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(size.to_string()))])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

fn statefulset(cx: &Context) -> StatefulSet {
    let spec = cx.spec;
    let update_strategy = match spec.lifecycle.upgrade.strategy {
        UpgradeStrategy::OnDelete => StatefulSetUpdateStrategy { type_: Some("OnDelete".to_owned()), rolling_update: None },
        strategy => {
            // Canary: only the pods with ordinal >= partition take the new template.
            let partition = match strategy {
                UpgradeStrategy::Canary => baseline_replicas(cx).saturating_sub(spec.lifecycle.upgrade.canary),
                _ => 0,
            };
            StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateStatefulSetStrategy {
                    partition: Some(i32::try_from(partition).unwrap_or(0)),
                    ..RollingUpdateStatefulSetStrategy::default()
                }),
            }
        }
    };
    let claims = claim_templates(spec).map(|(name, size, class)| claim_template(cx, name, cx.labels("server"), size, class)).collect();
    StatefulSet {
        metadata: workload_meta(cx),
        spec: Some(StatefulSetSpec {
            replicas: replicas(cx),
            service_name: Some(cx.peers.clone()),
            selector: selector(cx),
            pod_management_policy: Some(pod_management_policy(spec.runtime.start_order)),
            update_strategy: Some(update_strategy),
            persistent_volume_claim_retention_policy: Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Retain".to_owned()),
                when_scaled: Some("Retain".to_owned()),
            }),
            template: pod_template(cx),
            volume_claim_templates: Some(claims),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn deployment(cx: &Context) -> Deployment {
    Deployment {
        metadata: workload_meta(cx),
        spec: Some(DeploymentSpec {
            replicas: replicas(cx),
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

/// What a container may write outside its volumes, in MiB: its log files (the kubelet keeps 5
/// of 10 MiB by default) and its writable layer (next to nothing: the root filesystem is
/// read-only).
const LOG_ALLOWANCE_MIB: i128 = 64;

/// What an exporter sidecar's own `/tmp` may hold, in MiB (exporters write next to nothing).
const EXPORTER_TMP_MIB: i128 = 32;

/// A container's cpu, memory and ephemeral storage, each requested as much as its limit.
/// `disk_bytes` is what the disk-backed emptyDir volumes it writes may hold: the kubelet counts
/// them against the pod's ephemeral storage, whose limit is the sum of its containers', so they
/// are added to the log allowance (a pod over its limit is evicted).
pub(crate) fn resources(cpu: &str, memory: &str, disk_bytes: i128) -> ResourceRequirements {
    let storage = LOG_ALLOWANCE_MIB + (disk_bytes + (1 << 20) - 1) / (1 << 20);
    let r = BTreeMap::from([
        ("cpu".to_owned(), Quantity(cpu.to_owned())),
        ("ephemeral-storage".to_owned(), Quantity(format!("{storage}Mi"))),
        ("memory".to_owned(), Quantity(memory.to_owned())),
    ]);
    ResourceRequirements { limits: Some(r.clone()), requests: Some(r), ..ResourceRequirements::default() }
}

/// An emptyDir volume that may hold `size`, on disk or in memory.
pub(crate) fn empty_dir(name: &str, memory: bool, size: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource { medium: memory.then(|| "Memory".to_owned()), size_limit: Some(Quantity(size.to_owned())) }),
        ..Volume::default()
    }
}

/// The emptyDir volumes of a container's writable paths (added to `volumes`, named after
/// `owner` and the path), their mounts in order, and the bytes the disk-backed ones may hold.
pub(crate) fn writable_volumes(owner: &str, writable: &[oss_spec::model::Writable], volumes: &mut Vec<Volume>) -> (Vec<VolumeMount>, i128) {
    let mut disk_bytes = 0;
    let mounts = writable
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let name = volume_name(owner, w.path.as_str(), i);
            let size = w.size_limit();
            if !w.memory {
                disk_bytes += size.units_ceil();
            }
            volumes.push(empty_dir(&name, w.memory, size.as_str()));
            VolumeMount { name, mount_path: w.path.to_string(), ..VolumeMount::default() }
        })
        .collect();
    (mounts, disk_bytes)
}

/// A volume name for a writable path: the path's segments joined by '-', made a DNS label.
fn volume_name(owner: &str, path: &str, index: usize) -> String {
    let slug: String =
        path.trim_start_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let slug = slug.trim_matches('-');
    let mut name = format!("{owner}rw{index}-{slug}");
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
        for v in &rt.volumes {
            mounts.push(VolumeMount { name: v.name.clone(), mount_path: v.path.to_string(), ..VolumeMount::default() });
        }
    }
    let (writable, disk_bytes) = writable_volumes("", &rt.writable, &mut volumes);
    for (w, mount) in rt.writable.iter().zip(writable) {
        if w.from_image {
            let target = format!("/ossc-seed/{}", mount.name);
            seed_script.push(seed_command(w.path.as_str(), &target));
            seed_mounts.push(VolumeMount { name: mount.name.clone(), mount_path: target, ..VolumeMount::default() });
        }
        mounts.push(mount);
    }
    // the certificate's mount, for the sidecars and the exporter that take TLS (with_tls put
    // the Secret among the software's mounts)
    let mut tls_mount = None;
    for (i, m) in rt.secret_mounts.iter().enumerate() {
        let name = format!("secret{i}");
        if m.private {
            // The Secret's files are root's, readable through the pod's group: an init container
            // copies them, as the service's user, into a memory volume that only it may read.
            let copy = format!("private{i}");
            volumes.push(empty_dir(&copy, true, "1Mi"));
            let (src, dst) = (format!("/ossc-secret/{name}"), format!("/ossc-private/{copy}"));
            seed_script.push(private_copy_command(&src, &dst));
            seed_mounts.push(VolumeMount { name: name.clone(), mount_path: src, read_only: Some(true), ..VolumeMount::default() });
            seed_mounts.push(VolumeMount { name: copy.clone(), mount_path: dst, ..VolumeMount::default() });
            mounts.push(VolumeMount { name: copy, mount_path: m.path.to_string(), read_only: Some(true), ..VolumeMount::default() });
        }
        volumes.push(Volume {
            name: name.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(expand_plain(cx, &m.secret)),
                default_mode: Some(0o440),
                items: (!m.items.is_empty())
                    .then(|| m.items.iter().map(|it| KeyToPath { key: it.key.clone(), path: it.path.clone(), mode: None }).collect()),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
        let volume = if m.private { format!("private{i}") } else { name };
        let mount = VolumeMount { name: volume, mount_path: m.path.to_string(), read_only: Some(true), ..VolumeMount::default() };
        if cx.tls().is_some_and(|t| t.path == m.path && m.secret.ends_with(oss_spec::TLS_SECRET_SUFFIX)) {
            tls_mount = Some(mount.clone());
        }
        if !m.private {
            mounts.push(mount);
        }
    }
    let tls_mounts = |tls: &Option<oss_spec::model::ContainerTls>| tls.as_ref().and(tls_mount.clone()).into_iter();
    if !rt.files.is_empty() {
        volumes.push(Volume {
            name: FILES_VOLUME.to_owned(),
            config_map: Some(ConfigMapVolumeSource {
                name: files_config_map_name(cx),
                default_mode: Some(0o444),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        });
        for (i, f) in rt.files.iter().enumerate() {
            mounts.push(VolumeMount {
                name: FILES_VOLUME.to_owned(),
                mount_path: f.path.to_string(),
                sub_path: Some(file_key(i, f.path.as_str())),
                read_only: Some(true),
                ..VolumeMount::default()
            });
        }
    }
    let main_resources = resources(spec.capacity.cpu.as_str(), spec.capacity.memory.as_str(), disk_bytes);
    // IfNotPresent: a pinned image need not be fetched again, and restarts keep working while
    // the registry is down (see security::checkov_skips for CKV_K8S_15).
    let image_pull_policy = Some("IfNotPresent".to_owned());
    let mut init_containers = (!seed_script.is_empty()).then(|| {
        vec![Container {
            name: "seed-from-image".to_owned(),
            image: Some(rt.image.to_string()),
            image_pull_policy: image_pull_policy.clone(),
            command: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), seed_script.join(" && ")]),
            resources: Some(main_resources.clone()),
            security_context: Some(security::container_security_context()),
            volume_mounts: Some(seed_mounts),
            ..Container::default()
        }]
    });
    let metrics_port = |port: u16| ContainerPort {
        name: Some(METRICS_PORT_NAME.to_owned()),
        container_port: i32::from(port),
        protocol: Some("TCP".to_owned()),
        ..ContainerPort::default()
    };
    let mut ports: Vec<ContainerPort> = spec.ports().filter(|p| spec.port_sidecar(&p.name).is_none()).map(container_port).collect();
    let mut sidecars = Vec::new();
    for (i, sc) in rt.sidecars.iter().enumerate() {
        let (sc_mounts, sc_disk) = writable_volumes(&format!("s{i}"), &sc.writable, &mut volumes);
        let (env, args) = expand_env_and_args(cx, &sc.args, sc.env.iter());
        let sc_ports: Vec<ContainerPort> = spec.ports().filter(|p| sc.ports.contains(&p.name)).map(container_port).collect();
        let live = probe(cx, &sc.health.live);
        let sc_serves = spec.function.endpoints.iter().any(|e| sc.ports.contains(&e.name));
        sidecars.push(Container {
            name: sc.name.clone(),
            image: Some(sc.image(rt).to_string()),
            image_pull_policy: Some("IfNotPresent".to_owned()),
            command: (!sc.command.is_empty()).then(|| sc.command.clone()),
            args: (!args.is_empty()).then_some(args),
            env: (!env.is_empty()).then_some(env),
            ports: (!sc_ports.is_empty()).then_some(sc_ports),
            resources: Some(resources(sc.cpu.as_str(), sc.memory.as_str(), sc_disk)),
            readiness_probe: sc.health.ready.as_ref().map(|c| probe(cx, c)),
            startup_probe: Some(startup_probe(&live, sc.health.startup_timeout, sc.health.live.period)),
            liveness_probe: Some(live),
            security_context: Some(security::container_security_context()),
            volume_mounts: Some(sc_mounts.into_iter().chain(tls_mounts(&sc.tls)).collect::<Vec<_>>()).filter(|m| !m.is_empty()),
            lifecycle: pre_stop(&[], rt, sc_serves).map(|handler| Lifecycle { pre_stop: Some(handler), ..Lifecycle::default() }),
            termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
            ..Container::default()
        });
    }
    if let Some(m) = &rt.metrics {
        match &m.exporter {
            // unless the software serves them on one of its declared ports
            None if spec.metrics_on_own_port().is_some() => {}
            None => ports.push(metrics_port(m.port)),
            Some(e) => {
                let period = oss_spec::values::Duration::from_secs(10);
                let check = probe(
                    cx,
                    &Check {
                        exec: None,
                        tcp: oss_spec::values::PortName::parse(METRICS_PORT_NAME).ok(),
                        http: None,
                        period,
                        timeout: oss_spec::values::Duration::from_secs(5),
                        failures: 3,
                    },
                );
                volumes.push(empty_dir("exporter-tmp", false, &format!("{EXPORTER_TMP_MIB}Mi")));
                sidecars.push(Container {
                    name: "exporter".to_owned(),
                    image: Some(e.image.to_string()),
                    image_pull_policy: Some("IfNotPresent".to_owned()),
                    command: (!e.command.is_empty()).then(|| e.command.clone()),
                    args: (!e.args.is_empty()).then(|| e.args.clone()),
                    env: (!e.env.is_empty()).then(|| e.env.iter().map(|(k, v)| env_var(cx, k.as_str(), v)).collect()),
                    ports: Some(vec![metrics_port(m.port)]),
                    resources: Some(resources(e.cpu.as_str(), e.memory.as_str(), EXPORTER_TMP_MIB << 20)),
                    // No readiness probe: a pod is ready when all its containers are, and an
                    // exporter that fails must not take the replica out of its client Service
                    // (the alerts see the failed scrapes). Liveness restarts a wedged one, after
                    // as long as the software may take to start: an exporter may open its port
                    // only once it reaches the software (Kafka's).
                    startup_probe: Some(startup_probe(&check, rt.health.startup_timeout, period)),
                    liveness_probe: Some(check),
                    security_context: Some(security::container_security_context()),
                    volume_mounts: Some(
                        std::iter::once(VolumeMount {
                            name: "exporter-tmp".to_owned(),
                            mount_path: "/tmp".to_owned(),
                            ..VolumeMount::default()
                        })
                        .chain(tls_mounts(&e.tls))
                        .collect(),
                    ),
                    termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
                    ..Container::default()
                });
            }
        }
    }
    let (mut env, args) = expand_env_and_args(cx, &rt.args, rt.env.iter());
    // the software's own archive to the backups' store: its binding and where to write
    if let Some(archive) = crate::backup::archive(cx) {
        env.extend(archive.env);
        mounts.push(archive.mount);
        volumes.push(archive.volume);
    }
    let live = probe(cx, &rt.health.live);
    let startup = startup_probe_of(cx, &rt.health, &live);
    let serves = spec.function.endpoints.iter().any(|e| spec.port_sidecar(&e.name).is_none());
    let lifecycle = pre_stop(&rt.stop.drain, rt, serves).map(|handler| Lifecycle { pre_stop: Some(handler), ..Lifecycle::default() });
    let container = Container {
        name: cx.name.clone(),
        image: Some(rt.image.to_string()),
        image_pull_policy,
        command: (!rt.command.is_empty()).then(|| rt.command.clone()),
        args: (!args.is_empty()).then_some(args),
        env: (!env.is_empty()).then_some(env),
        ports: (!ports.is_empty()).then_some(ports),
        resources: Some(main_resources),
        readiness_probe: Some(probe(cx, &rt.health.ready)),
        liveness_probe: Some(live),
        startup_probe: Some(startup),
        lifecycle,
        security_context: Some(security::container_security_context()),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        ..Container::default()
    };
    // a restore by seeding: the backup written into the data directory before the software starts
    if let Some(seed) = crate::backup::seed(cx) {
        init_containers.get_or_insert_with(Vec::new).extend(seed.init_containers);
        volumes.extend(seed.volumes);
    }
    let mut placement = derive_placement(spec.redundancy.spread, rt.state == State::Stateful, &cx.selector());
    if cx.target.soft_spread(spec.redundancy.spread) {
        placement = soften(placement);
    }
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(cx.labels("server")),
            annotations: Some({
                let mut a = BTreeMap::from([(RESTART_ANNOTATION.to_owned(), spec.lifecycle.restart_generation.to_string())]);
                // Files are mounted by subPath, which a running container never sees change:
                // a hash of them in the template rolls the pods when they do.
                if let Some(hash) = files_hash(cx) {
                    a.insert(FILES_ANNOTATION.to_owned(), hash);
                }
                a
            }),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(cx.name.clone()),
            automount_service_account_token: Some(rt.kubernetes_api.is_some()),
            enable_service_links: Some(false),
            security_context: Some(security::pod_security_context(
                cx.target.fixed_ids().then_some((rt.user, rt.group)),
                rt.state == State::Stateful || !rt.secret_mounts.is_empty(),
            )),
            termination_grace_period_seconds: Some(i64::try_from(rt.stop.grace_period.secs_ceil()).unwrap_or(i64::MAX)),
            init_containers,
            containers: std::iter::once(container).chain(sidecars).collect(),
            affinity: placement.affinity,
            topology_spread_constraints: placement.spread,
            volumes: (!volumes.is_empty()).then_some(volumes),
            ..PodSpec::default()
        }),
    }
}

/// The same placement as preferences: hard topology spread becomes `ScheduleAnyway`, required
/// anti-affinity becomes preferred (weight 100).
pub(crate) fn soften(p: crate::derive::placement::Placement) -> crate::derive::placement::Placement {
    use k8s_openapi::api::core::v1::{PodAntiAffinity, WeightedPodAffinityTerm};
    let affinity = p.affinity.map(|mut a| {
        if let Some(anti) = a.pod_anti_affinity.take() {
            let preferred = anti
                .required_during_scheduling_ignored_during_execution
                .unwrap_or_default()
                .into_iter()
                .map(|term| WeightedPodAffinityTerm { weight: 100, pod_affinity_term: term })
                .collect();
            a.pod_anti_affinity = Some(PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(preferred),
                ..PodAntiAffinity::default()
            });
        }
        a
    });
    let spread = p.spread.map(|v| {
        v.into_iter()
            .map(|mut c| {
                c.when_unsatisfiable = "ScheduleAnyway".to_owned();
                c
            })
            .collect()
    });
    crate::derive::placement::Placement { affinity, spread }
}

/// The startup probe for a container whose liveness probe is `live`, run every `period`: the
/// same check, allowed to fail until `timeout` has passed, so liveness never fires before start.
pub(crate) fn startup_probe(live: &Probe, timeout: oss_spec::values::Duration, period: oss_spec::values::Duration) -> Probe {
    Probe {
        failure_threshold: Some(i32::try_from(timeout.millis().div_ceil(period.millis().max(1))).unwrap_or(i32::MAX).max(1)),
        success_threshold: Some(1),
        ..live.clone()
    }
}

/// A Kubernetes probe from a health check. Ports are referred to by name; an HTTP check of an
/// endpoint that serves HTTPS when TLS is on (`runtime.tls.https`) probes with HTTPS then
/// (the kubelet does not verify the certificate).
#[must_use]
pub fn probe(cx: &Context, check: &Check) -> Probe {
    let secs = |d: oss_spec::values::Duration| i32::try_from(d.secs_ceil()).unwrap_or(i32::MAX).max(1);
    Probe {
        exec: check.exec.as_ref().map(|c| ExecAction { command: Some(c.clone()) }),
        tcp_socket: check.tcp.as_ref().map(|p| TCPSocketAction { port: IntOrString::String(p.to_string()), host: None }),
        http_get: check.http.as_ref().map(|h| HTTPGetAction {
            path: Some(h.path.clone()),
            port: IntOrString::String(h.port.to_string()),
            scheme: Some(if cx.serves_https(&h.port) { "HTTPS" } else { "HTTP" }.to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(secs(check.period)),
        timeout_seconds: Some(secs(check.timeout)),
        failure_threshold: Some(i32::try_from(check.failures).unwrap_or(3)),
        success_threshold: Some(1),
        ..Probe::default()
    }
}

use oss_spec::template::POD_FIELDS;

/// Expands `${...}` in env and args. References to the pod become `$(OSS_POD_*)` (Kubernetes
/// expands them from downward-API variables defined first); everything else is a literal.
pub(crate) fn expand_env_and_args<'e>(
    cx: &Context,
    args: &[String],
    env: impl Iterator<Item = (&'e EnvName, &'e EnvValue)>,
) -> (Vec<EnvVar>, Vec<String>) {
    let mut used = Vec::new();
    let mut deps: Vec<(String, String)> = Vec::new();
    let mut expand = |s: &str| -> String {
        template::substitute(s, |r| {
            if let Some((_, var, _)) = POD_FIELDS.iter().find(|(pr, _, _)| *pr == r) {
                if !used.contains(&r) {
                    used.push(r);
                }
                format!("$({var})")
            } else if let Reference::Dependency(name, key) = r {
                let var = template::dependency_variable(&name, &key);
                if !deps.contains(&(name.clone(), key.clone())) {
                    deps.push((name, key));
                }
                format!("$({var})")
            } else {
                resolve(cx, &r)
            }
        })
    };
    let args: Vec<String> = args.iter().map(|a| expand(a)).collect();
    let spec_env: Vec<EnvVar> = env
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
    // before the spec's own variables, which may refer to them: Kubernetes expands `$(VAR)`
    // only from variables listed earlier
    env.extend(deps.iter().map(|(name, key)| EnvVar {
        name: template::dependency_variable(name, key),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: dependency_binding(cx, name), key: key.clone(), optional: Some(false) }),
            ..EnvVarSource::default()
        }),
    }));
    env.extend(spec_env);
    (env, args)
}

/// Egress to the pods of each service the software depends on, on the dependency's ports.
pub(crate) fn dependency_egress(cx: &Context) -> Vec<NetworkPolicyEgressRule> {
    cx.spec
        .runtime
        .dependencies
        .iter()
        .map(|d| {
            let (service, namespace) = dependency_target(cx, &d.name);
            NetworkPolicyEgressRule { to: Some(vec![instance_pods(&service, &namespace)]), ports: Some(tcp_ports(&d.ports)) }
        })
        .collect()
}

/// The installed service that fills dependency `name`, and its namespace: the consumer's
/// `access.dependencies` choice, else the dependency's own name.
pub(crate) fn dependency_target(cx: &Context, name: &str) -> (String, String) {
    let choice = cx.spec.access.dependencies.get(name).map(|c| &c.instance);
    let service = choice.and_then(|c| c.service.as_deref()).unwrap_or(name);
    let namespace = choice.map_or(service, |c| c.namespace_of(service));
    (service.to_owned(), namespace.to_owned())
}

/// The binding Secret of dependency `name`'s service, which that service's generator writes
/// into this namespace (this one being among its `access.clients`).
fn dependency_binding(cx: &Context, name: &str) -> String {
    format!("{}-binding", dependency_target(cx, name).0)
}

/// Expands references that need no pod field (secret names; values fixed at build time, such
/// as credentials values and binding keys).
#[must_use]
pub(crate) fn expand_plain(cx: &Context, s: &str) -> String {
    template::substitute(s, |r| resolve(cx, &r))
}

/// An exporter's environment variable: a plain value as written, or a Secret's key.
pub(crate) fn env_var(cx: &Context, name: &str, v: &EnvValue) -> EnvVar {
    match v {
        EnvValue::Value(s) => EnvVar { name: name.to_owned(), value: Some(s.clone()), value_from: None },
        EnvValue::Secret { secret_key_ref } => EnvVar {
            name: name.to_owned(),
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: expand_plain(cx, &secret_key_ref.name),
                    key: secret_key_ref.key.clone(),
                    optional: Some(false),
                }),
                ..EnvVarSource::default()
            }),
        },
    }
}

/// The value of a reference that names a fact of the deployment or a knob. Pod fields (which
/// Kubernetes fills in through `$(OSS_POD_*)`) resolve to nothing here.
#[must_use]
pub fn resolve(cx: &Context, r: &Reference) -> String {
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
        Reference::Host => cx.client_host(),
        Reference::ReadHost => format!("{}-read.{}.svc", cx.name, cx.namespace),
        Reference::PeersService => cx.peers.clone(),
        Reference::Seed => cx.replica_host(0),
        Reference::Replicas => cx.spec.redundancy.replicas.to_string(),
        Reference::Hosts => (0..cx.spec.redundancy.replicas).map(|i| cx.replica_host(i)).collect::<Vec<_>>().join(","),
        Reference::Domain => format!("{}.{}.svc", cx.peers, cx.namespace),
        Reference::ReplicaNames => (0..cx.spec.redundancy.replicas).map(|i| format!("{}-{i}", cx.name)).collect::<Vec<_>>().join(","),
        Reference::LastIndex => cx.spec.redundancy.replicas.saturating_sub(1).to_string(),
        Reference::Uid => instance_uid(&cx.namespace, &cx.name),
        Reference::MemberUrls(port) => {
            let number = cx.spec.ports().find(|p| p.name == *port).map_or(0, |p| p.port);
            (0..cx.spec.redundancy.replicas)
                .map(|i| format!("{}-{i}=http://{}:{number}", cx.name, cx.replica_host(i)))
                .collect::<Vec<_>>()
                .join(",")
        }
        Reference::CredentialsSecret => cx.credentials_secret(),
        Reference::Component(name, fact) => crate::component::resolve(cx, name, *fact),
        // Kubernetes fills these in (`$(OSS_POD_*)`, `$(OSS_DEP_*)`); validation keeps them out
        // of every other place
        Reference::PodName
        | Reference::PodNamespace
        | Reference::PodIp
        | Reference::PodIndex
        | Reference::PodZone
        | Reference::Dependency(..) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_copies_entries_and_leaves_the_volume_root_alone() {
        let cmd = seed_command("/etc/my conf", "/ossc-seed/rw0");
        assert_eq!(
            cmd,
            "for f in '/etc/my conf'/* '/etc/my conf'/.[!.]* '/etc/my conf'/..?*; do if [ -e \"$f\" ] || [ -L \"$f\" ]; \
             then cp -a \"$f\" /ossc-seed/rw0/ || exit 1; fi; done"
        );
        assert!(!cmd.contains("/. "), "copying `dir/.` would set the volume root's owner and times");
    }

    #[test]
    fn the_instance_uid_is_a_stable_22_character_base64url_id() {
        let a = instance_uid("kafka", "kafka");
        assert_eq!(a.len(), 22, "{a}");
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{a}");
        assert_eq!(a, instance_uid("kafka", "kafka"));
        assert_ne!(a, instance_uid("kafka-2", "kafka"));
        assert_ne!(a, instance_uid("kafka", "kafka-2"));
        // the boundary between namespace and name is part of the input
        assert_ne!(instance_uid("ab", "c"), instance_uid("a", "bc"));
    }

    #[test]
    fn an_entrys_alerts_are_scoped_to_the_instance_and_backup_ones_come_with_backups() {
        let alerts = |sets: Vec<String>| {
            let options = oss_spec::Options { sets, ..oss_spec::Options::default() };
            let loaded =
                oss_spec::parse_with("t.yaml", include_str!("../../specs/postgres.yaml"), &options).unwrap_or_else(|d| panic!("{d:?}"));
            let compile_options = crate::Options { namespace: Some("shop".to_owned()), ..crate::Options::default() };
            let cx = Context::new(&loaded.spec, &compile_options);
            software_alerts(&cx)
        };
        let names = |rules: &[monitoring::Rule]| rules.iter().filter_map(|r| r.alert.clone()).collect::<Vec<_>>();
        assert_eq!(names(&alerts(vec![])), ["PostgresReplicaLagging"], "the archive's alert without backups");
        let with = alerts(vec!["backup={store: {service: minio, bucket: db-backups}}".to_owned()]);
        assert_eq!(names(&with), ["PostgresReplicaLagging", "PostgresWalArchiveFailing"]);
        let rule = &with[1];
        assert!(rule.expr.contains(r#"pg_stat_archiver_failed_count{namespace="shop", job="postgres-metrics"}[10m]"#), "{}", rule.expr);
        assert!(!rule.expr.contains("${"), "{}", rule.expr);
        assert_eq!(rule.for_.as_deref(), Some("5m"));
        assert_eq!(rule.labels.get("severity").map(String::as_str), Some("warning"));
        assert_eq!(rule.labels.get("service").map(String::as_str), Some("postgres"));
        assert!(rule.annotations["summary"].starts_with("postgres: "), "{:?}", rule.annotations);
    }

    #[test]
    fn volume_names_are_dns_labels() {
        assert_eq!(volume_name("", "/var/log/cassandra", 1), "rw1-var-log-cassandra");
        assert_eq!(volume_name("", "/tmp", 0), "rw0-tmp");
        let long = format!("/{}", "a".repeat(100));
        assert!(volume_name("", &long, 3).len() <= 63);
    }
}
