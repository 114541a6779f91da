//! Typed monitoring objects: prometheus-operator's (`monitoring.coreos.com/v1`) ServiceMonitor
//! and PrometheusRule, and Google Cloud Managed Service for Prometheus's
//! (`monitoring.googleapis.com/v1`) PodMonitoring and Rules. Only the fields ossc sets; field
//! names follow the CRD schemas exactly (checked in the test suite against the
//! prometheus-operator models, the GMP CRDs in tests/crds/, and a real API server).

use k8s_openapi::api::core::v1::SecretKeySelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CRD group version.
pub const API_VERSION: &str = "monitoring.coreos.com/v1";

/// Google Cloud Managed Service for Prometheus's CRD group version.
pub const GMP_API_VERSION: &str = "monitoring.googleapis.com/v1";

/// The namespace GMP's managed collectors run in (GKE): what the metrics port must admit.
pub const GMP_NAMESPACE: &str = "gmp-system";

/// Which monitoring objects a bundle carries (`--monitoring`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Monitoring {
    /// None: the bundle needs only built-in APIs.
    #[default]
    Off,
    /// ServiceMonitor and PrometheusRule (prometheus-operator, kube-prometheus-stack,
    /// OpenShift's user-workload monitoring).
    PrometheusOperator,
    /// PodMonitoring and Rules (Google Cloud Managed Service for Prometheus, on by default on GKE).
    GoogleManagedPrometheus,
}

impl Monitoring {
    /// Every choice with its name, as `--monitoring` takes it.
    pub const ALL: &'static [(&'static str, Monitoring)] =
        &[("prometheus-operator", Monitoring::PrometheusOperator), ("google-managed-prometheus", Monitoring::GoogleManagedPrometheus)];

    /// The choice called `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Monitoring> {
        Monitoring::ALL.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }

    /// Whether any monitoring object is emitted.
    #[must_use]
    pub fn is_on(self) -> bool {
        self != Monitoring::Off
    }
}

/// A ServiceMonitor: which Services Prometheus scrapes, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitor {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `ServiceMonitor`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ServiceMonitorSpec,
}

/// ServiceMonitor spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Scrape endpoints (by Service port name).
    pub endpoints: Vec<Endpoint>,
    /// Namespaces of the selected Services.
    pub namespace_selector: NamespaceSelector,
    /// Labels of the selected Services.
    pub selector: LabelSelector,
}

/// Namespaces a ServiceMonitor looks in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Namespace names.
    pub match_names: Vec<String>,
}

/// One scrape endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Scrape interval.
    pub interval: String,
    /// HTTP path.
    pub path: String,
    /// Service port name.
    pub port: String,
    /// `http`, or `https` for a metrics endpoint that serves HTTPS with TLS on.
    pub scheme: String,
    /// Scrape timeout.
    pub scrape_timeout: String,
    /// With `https`: the CA the target is verified against, and the name it is verified for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<ScrapeTls>,
}

/// How a scrape over https verifies its target (prometheus-operator's `tlsConfig`, GMP's
/// `tls`: the same two fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeTls {
    /// The CA's certificate, from a Secret of the target's namespace.
    pub ca: SecretSource,
    /// The name the target's certificate is verified for.
    pub server_name: String,
}

/// A value from a Secret's key (Kubernetes' own selector: both operators take its shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretSource {
    /// The Secret and its key.
    pub secret: SecretKeySelector,
}

/// A PrometheusRule: recording and alerting rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRule {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `PrometheusRule`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PrometheusRuleSpec,
}

/// PrometheusRule spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrometheusRuleSpec {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A named group of rules, evaluated together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    /// Group name (unique in the object).
    pub name: String,
    /// Rules.
    pub rules: Vec<Rule>,
}

/// One recording or alerting rule.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Rule {
    /// Recorded series name (recording rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Alert name (alerting rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// PromQL.
    pub expr: String,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations (alerts).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A PodMonitoring (GMP): which pods the managed collectors scrape, and how. Its name is the
/// scrape job's name (the `job` label of every series).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitoring {
    /// `monitoring.googleapis.com/v1`.
    pub api_version: String,
    /// `PodMonitoring`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PodMonitoringSpec,
}

/// PodMonitoring spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitoringSpec {
    /// Scrape endpoints (by container port name).
    pub endpoints: Vec<ScrapeEndpoint>,
    /// Labels of the selected pods.
    pub selector: LabelSelector,
}

/// One GMP scrape endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeEndpoint {
    /// Scrape interval.
    pub interval: String,
    /// HTTP path.
    pub path: String,
    /// Container port name.
    pub port: String,
    /// `http`, or `https` for a metrics endpoint that serves HTTPS with TLS on.
    pub scheme: String,
    /// Scrape timeout.
    pub timeout: String,
    /// With `https`: the CA the target is verified against, and the name it is verified for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ScrapeTls>,
}

/// Rules (GMP): recording and alerting rules over the series of the object's namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// `monitoring.googleapis.com/v1`.
    pub api_version: String,
    /// `Rules`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: RulesSpec,
}

/// Rules spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesSpec {
    /// Rule groups, each with its evaluation interval written out (GMP's default is 1m).
    pub groups: Vec<IntervalRuleGroup>,
}

/// A rule group with its evaluation interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalRuleGroup {
    /// Evaluation interval.
    pub interval: String,
    /// Group name.
    pub name: String,
    /// Rules.
    pub rules: Vec<Rule>,
}
