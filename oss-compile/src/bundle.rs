//! The compiled bundle and the one place that defines install order.
//!
//! Owns: [`Kind`] (whose declaration order IS the install order: do not reorder without a
//! changelog entry), [`Object`], and sorting. Must not: build objects.

use crate::certificate::Certificate;
use crate::gateway::{BackendTlsPolicy, HttpRoute};
use crate::monitoring::{PodMonitoring, PrometheusRule, Rules, ServiceMonitor};
use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ResourceQuota, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use serde_json::Value;

/// Kinds ossc emits, in install order: what others depend on comes first (the namespace, the
/// policy that must be in force before pods start, identities, configuration, access, the
/// Services that give workloads their DNS names, the workloads, then what watches them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `v1/Namespace`.
    Namespace,
    /// `admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy`: after the Namespace, so that
    /// `kubectl delete -f` (which deletes in file order) meets it while it still stands.
    ValidatingAdmissionPolicy,
    /// `admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding`.
    ValidatingAdmissionPolicyBinding,
    /// `v1/ResourceQuota`: in force before anything counts against it.
    ResourceQuota,
    /// `networking.k8s.io/v1/NetworkPolicy`.
    NetworkPolicy,
    /// `v1/ServiceAccount`.
    ServiceAccount,
    /// `rbac.authorization.k8s.io/v1/Role`.
    Role,
    /// `rbac.authorization.k8s.io/v1/RoleBinding`.
    RoleBinding,
    /// `v1/ConfigMap`: the service's configuration files (`runtime.files`).
    ConfigMap,
    /// `v1/Secret`: only the binding of a service without credentials (no secret value).
    Secret,
    /// `cert-manager.io/v1/Certificate` (`access.tls.issuer`): before the generator, which
    /// waits for its Secret.
    Certificate,
    /// `batch/v1/Job`: the credentials generator, before the workloads that wait for its Secret.
    Job,
    /// `batch/v1/CronJob`: backups (`backup`).
    CronJob,
    /// `v1/Service`.
    Service,
    /// `gateway.networking.k8s.io/v1/HTTPRoute` (`access.route`): after the Service it sends to.
    HttpRoute,
    /// `gateway.networking.k8s.io/v1/BackendTLSPolicy` (`access.route` to an endpoint serving
    /// HTTPS): beside its route.
    BackendTlsPolicy,
    /// `apps/v1/StatefulSet`.
    StatefulSet,
    /// `apps/v1/Deployment`.
    Deployment,
    /// `policy/v1/PodDisruptionBudget`.
    PodDisruptionBudget,
    /// `autoscaling/v2/HorizontalPodAutoscaler`.
    HorizontalPodAutoscaler,
    /// `monitoring.coreos.com/v1/ServiceMonitor`.
    ServiceMonitor,
    /// `monitoring.coreos.com/v1/PrometheusRule`.
    PrometheusRule,
    /// `monitoring.googleapis.com/v1/PodMonitoring` (GMP).
    PodMonitoring,
    /// `monitoring.googleapis.com/v1/Rules` (GMP).
    Rules,
}

impl Kind {
    /// Every kind, in install order.
    pub const ALL: &'static [Kind] = &[
        Kind::Namespace,
        Kind::ValidatingAdmissionPolicy,
        Kind::ValidatingAdmissionPolicyBinding,
        Kind::ResourceQuota,
        Kind::NetworkPolicy,
        Kind::ServiceAccount,
        Kind::Role,
        Kind::RoleBinding,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Certificate,
        Kind::Job,
        Kind::CronJob,
        Kind::Service,
        Kind::HttpRoute,
        Kind::BackendTlsPolicy,
        Kind::StatefulSet,
        Kind::Deployment,
        Kind::PodDisruptionBudget,
        Kind::HorizontalPodAutoscaler,
        Kind::ServiceMonitor,
        Kind::PrometheusRule,
        Kind::PodMonitoring,
        Kind::Rules,
    ];
}

/// One Kubernetes object, typed.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, clippy::large_enum_variant)]
pub enum Object {
    Namespace(Namespace),
    ValidatingAdmissionPolicy(ValidatingAdmissionPolicy),
    ValidatingAdmissionPolicyBinding(ValidatingAdmissionPolicyBinding),
    ResourceQuota(ResourceQuota),
    NetworkPolicy(NetworkPolicy),
    ServiceAccount(ServiceAccount),
    Role(Role),
    RoleBinding(RoleBinding),
    ConfigMap(ConfigMap),
    Secret(Secret),
    Certificate(Certificate),
    HttpRoute(HttpRoute),
    BackendTlsPolicy(BackendTlsPolicy),
    Job(Job),
    CronJob(CronJob),
    Service(Service),
    StatefulSet(StatefulSet),
    Deployment(Deployment),
    PodDisruptionBudget(PodDisruptionBudget),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    ServiceMonitor(ServiceMonitor),
    PrometheusRule(PrometheusRule),
    PodMonitoring(PodMonitoring),
    Rules(Rules),
}

/// Evaluates `$e` with `$x` bound to the inner object, whatever the variant: one place lists them.
macro_rules! each_object {
    ($o:expr, $x:ident => $e:expr) => {
        match $o {
            Object::Namespace($x) => $e,
            Object::ValidatingAdmissionPolicy($x) => $e,
            Object::ValidatingAdmissionPolicyBinding($x) => $e,
            Object::ConfigMap($x) => $e,
            Object::Secret($x) => $e,
            Object::Certificate($x) => $e,
            Object::HttpRoute($x) => $e,
            Object::BackendTlsPolicy($x) => $e,
            Object::Job($x) => $e,
            Object::CronJob($x) => $e,
            Object::ResourceQuota($x) => $e,
            Object::NetworkPolicy($x) => $e,
            Object::ServiceAccount($x) => $e,
            Object::Role($x) => $e,
            Object::RoleBinding($x) => $e,
            Object::Service($x) => $e,
            Object::StatefulSet($x) => $e,
            Object::Deployment($x) => $e,
            Object::PodDisruptionBudget($x) => $e,
            Object::HorizontalPodAutoscaler($x) => $e,
            Object::ServiceMonitor($x) => $e,
            Object::PrometheusRule($x) => $e,
            Object::PodMonitoring($x) => $e,
            Object::Rules($x) => $e,
        }
    };
}

impl Object {
    /// The object's kind.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::ValidatingAdmissionPolicy(_) => Kind::ValidatingAdmissionPolicy,
            Object::ValidatingAdmissionPolicyBinding(_) => Kind::ValidatingAdmissionPolicyBinding,
            Object::ConfigMap(_) => Kind::ConfigMap,
            Object::Secret(_) => Kind::Secret,
            Object::Certificate(_) => Kind::Certificate,
            Object::HttpRoute(_) => Kind::HttpRoute,
            Object::BackendTlsPolicy(_) => Kind::BackendTlsPolicy,
            Object::Job(_) => Kind::Job,
            Object::CronJob(_) => Kind::CronJob,
            Object::ResourceQuota(_) => Kind::ResourceQuota,
            Object::NetworkPolicy(_) => Kind::NetworkPolicy,
            Object::ServiceAccount(_) => Kind::ServiceAccount,
            Object::Role(_) => Kind::Role,
            Object::RoleBinding(_) => Kind::RoleBinding,
            Object::Service(_) => Kind::Service,
            Object::StatefulSet(_) => Kind::StatefulSet,
            Object::Deployment(_) => Kind::Deployment,
            Object::PodDisruptionBudget(_) => Kind::PodDisruptionBudget,
            Object::HorizontalPodAutoscaler(_) => Kind::HorizontalPodAutoscaler,
            Object::ServiceMonitor(_) => Kind::ServiceMonitor,
            Object::PrometheusRule(_) => Kind::PrometheusRule,
            Object::PodMonitoring(_) => Kind::PodMonitoring,
            Object::Rules(_) => Kind::Rules,
        }
    }

    /// The object's metadata.
    #[must_use]
    pub fn metadata(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        each_object!(self, o => &o.metadata)
    }

    /// The object's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// A typed object of `kind` from JSON.
    ///
    /// # Errors
    /// When the JSON is not a valid object of that kind.
    pub fn from_value(kind: Kind, v: Value) -> Result<Object, serde_json::Error> {
        Ok(match kind {
            Kind::Namespace => Object::Namespace(serde_json::from_value(v)?),
            Kind::ValidatingAdmissionPolicy => Object::ValidatingAdmissionPolicy(serde_json::from_value(v)?),
            Kind::ValidatingAdmissionPolicyBinding => Object::ValidatingAdmissionPolicyBinding(serde_json::from_value(v)?),
            Kind::ConfigMap => Object::ConfigMap(serde_json::from_value(v)?),
            Kind::Secret => Object::Secret(serde_json::from_value(v)?),
            Kind::Certificate => Object::Certificate(serde_json::from_value(v)?),
            Kind::HttpRoute => Object::HttpRoute(serde_json::from_value(v)?),
            Kind::BackendTlsPolicy => Object::BackendTlsPolicy(serde_json::from_value(v)?),
            Kind::Job => Object::Job(serde_json::from_value(v)?),
            Kind::CronJob => Object::CronJob(serde_json::from_value(v)?),
            Kind::ResourceQuota => Object::ResourceQuota(serde_json::from_value(v)?),
            Kind::NetworkPolicy => Object::NetworkPolicy(serde_json::from_value(v)?),
            Kind::ServiceAccount => Object::ServiceAccount(serde_json::from_value(v)?),
            Kind::Role => Object::Role(serde_json::from_value(v)?),
            Kind::RoleBinding => Object::RoleBinding(serde_json::from_value(v)?),
            Kind::Service => Object::Service(serde_json::from_value(v)?),
            Kind::StatefulSet => Object::StatefulSet(serde_json::from_value(v)?),
            Kind::Deployment => Object::Deployment(serde_json::from_value(v)?),
            Kind::PodDisruptionBudget => Object::PodDisruptionBudget(serde_json::from_value(v)?),
            Kind::HorizontalPodAutoscaler => Object::HorizontalPodAutoscaler(serde_json::from_value(v)?),
            Kind::ServiceMonitor => Object::ServiceMonitor(serde_json::from_value(v)?),
            Kind::PrometheusRule => Object::PrometheusRule(serde_json::from_value(v)?),
            Kind::PodMonitoring => Object::PodMonitoring(serde_json::from_value(v)?),
            Kind::Rules => Object::Rules(serde_json::from_value(v)?),
        })
    }

    /// The object as JSON (field order as Kubernetes' own types serialise it).
    #[must_use]
    pub fn to_value(&self) -> Value {
        each_object!(self, o => serde_json::to_value(o)).unwrap_or(Value::Null)
    }

    /// Appends the object as one YAML document, straight from the typed object (the bytes of
    /// `emit::write_document(out, &self.to_value())`, without building the value).
    pub fn write_yaml(&self, out: &mut String) {
        let start = out.len();
        let written = each_object!(self, o => crate::emit::direct::write_document(out, o));
        debug_assert!(written.is_ok(), "direct emission failed: {written:?}");
        if written.is_err() {
            // Not reachable with these types; the value path writes what serde_json makes of it.
            out.truncate(start);
            crate::emit::write_document(out, &self.to_value());
        }
    }
}

/// Every object of one compiled service, in install order, and the warnings of compiling it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bundle {
    objects: Vec<Object>,
    /// Warnings (not emitted; the CLI prints them).
    pub warnings: oss_spec::Diagnostics,
}

impl Bundle {
    /// A bundle of these objects, sorted into install order (kind, then name).
    #[must_use]
    pub fn new(mut objects: Vec<Object>) -> Self {
        objects.sort_by(|a, b| (a.kind(), a.name()).cmp(&(b.kind(), b.name())));
        Self { objects, warnings: oss_spec::Diagnostics::default() }
    }

    /// The objects in install order.
    #[must_use]
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The objects as one multi-document YAML stream.
    #[must_use]
    pub fn to_yaml(&self) -> String {
        let mut out = String::with_capacity(self.objects.len() * 1024);
        for o in &self.objects {
            o.write_yaml(&mut out);
        }
        out
    }

    /// The objects as JSON: a `v1` `List` whose items are in install order.
    #[must_use]
    pub fn to_json(&self) -> String {
        let items: Vec<Value> = self.objects.iter().map(Object::to_value).collect();
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The objects as a directory: one file per object, named `NN-kind-name.yaml` in install
    /// order, and a `kustomization.yaml` that lists them in that order (`sortOptions: fifo`),
    /// so `kubectl apply -k`, Argo CD and Flux apply them as they are.
    #[must_use]
    pub fn to_files(&self) -> Vec<(String, String)> {
        let width = self.objects.len().to_string().len().max(2);
        let mut files: Vec<(String, String)> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let kind = format!("{:?}", o.kind()).to_ascii_lowercase();
                (format!("{i:0width$}-{kind}-{}.yaml", o.name()), {
                    let mut text = String::new();
                    o.write_yaml(&mut text);
                    text
                })
            })
            .collect();
        let mut k = String::from(
            "# Generated by ossc; apply with `kubectl apply -k .` (or point Argo CD / Flux here).\n\
             apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsortOptions:\n  order: fifo\nresources:\n",
        );
        for (name, _) in &files {
            k.push_str("- ");
            k.push_str(name);
            k.push('\n');
        }
        files.push(("kustomization.yaml".to_owned(), k));
        files
    }

    /// The first object of a kind with this name.
    #[must_use]
    pub fn get(&self, kind: Kind, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.kind() == kind && o.name() == name)
    }

    /// The StatefulSet, if the service is stateful.
    #[must_use]
    pub fn statefulset(&self) -> Option<&StatefulSet> {
        self.objects.iter().find_map(|o| match o {
            Object::StatefulSet(s) => Some(s),
            _ => None,
        })
    }

    /// The first object of a kind.
    #[must_use]
    pub fn first(&self, kind: Kind) -> Option<&Object> {
        self.objects.iter().find(|o| o.kind() == kind)
    }

    /// The Deployment, if the service is stateless.
    #[must_use]
    pub fn deployment(&self) -> Option<&Deployment> {
        self.objects.iter().find_map(|o| match o {
            Object::Deployment(d) => Some(d),
            _ => None,
        })
    }
}
