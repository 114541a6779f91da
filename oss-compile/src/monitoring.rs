//! Typed prometheus-operator objects (`monitoring.coreos.com/v1`): ServiceMonitor and
//! PrometheusRule. Only the fields ossc sets; field names follow the CRD schema exactly (checked
//! in the test suite against the prometheus-operator models and a real API server).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CRD group version.
pub const API_VERSION: &str = "monitoring.coreos.com/v1";

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
    /// `http`.
    pub scheme: String,
    /// Scrape timeout.
    pub scrape_timeout: String,
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
