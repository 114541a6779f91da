//! The service's HTTP endpoint behind a Gateway the cluster runs, as a Gateway API `HTTPRoute`
//! (`gateway.networking.k8s.io/v1`, the standard channel), when the consumer sets
//! `access.route`; and, when that endpoint serves HTTPS (TLS on), the `BackendTLSPolicy` that
//! makes the Gateway speak HTTPS to it, verified by the service's CA.
//!
//! Owns the typed objects. Only the fields ossc sets; field names follow the CRD schema exactly
//! (checked by the API-server tier against the Gateway API's own CRDs, from its Go module).

use crate::context::Context;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// The CRD group.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// The CRD group version.
pub const API_VERSION: &str = "gateway.networking.k8s.io/v1";

/// An HTTPRoute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// `gateway.networking.k8s.io/v1`.
    pub api_version: String,
    /// `HTTPRoute`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: HttpRouteSpec,
}

/// Where the route attaches, for which hosts, and where it sends requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// Host names; every host the listener takes when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// The Gateway (and listener).
    pub parent_refs: Vec<ParentRef>,
    /// One rule: the path prefix to the client Service's port.
    pub rules: Vec<Rule>,
}

/// A Gateway, by name and namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// `gateway.networking.k8s.io`.
    pub group: String,
    /// `Gateway`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// One of its listeners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// A routing rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Where they go.
    pub backend_refs: Vec<BackendRef>,
    /// Which requests.
    pub matches: Vec<Match>,
}

/// A request match: a path prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The path.
    pub path: PathMatch,
}

/// A path match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathMatch {
    /// `PathPrefix`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The prefix.
    pub value: String,
}

/// A Service port requests go to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendRef {
    /// `""` (the core group).
    pub group: String,
    /// `Service`.
    pub kind: String,
    /// The client Service.
    pub name: String,
    /// Its port.
    pub port: u16,
}

/// The HTTPRoute of `access.route`, named like the service, to its client Service.
#[must_use]
pub fn http_route(cx: &Context) -> Option<HttpRoute> {
    let route = cx.spec.access.route.as_ref()?;
    let endpoint = cx.spec.route_endpoint()?;
    Some(HttpRoute {
        api_version: API_VERSION.to_owned(),
        kind: "HTTPRoute".to_owned(),
        metadata: crate::lower::meta(cx, &cx.name, "server"),
        spec: HttpRouteSpec {
            hostnames: route.hostnames.clone(),
            parent_refs: vec![ParentRef {
                group: GROUP.to_owned(),
                kind: "Gateway".to_owned(),
                name: route.gateway.name.clone(),
                namespace: route.gateway.namespace.clone(),
                section_name: route.gateway.section_name.clone(),
            }],
            rules: vec![Rule {
                backend_refs: vec![BackendRef {
                    group: String::new(),
                    kind: "Service".to_owned(),
                    name: cx.name.clone(),
                    port: endpoint.port,
                }],
                matches: vec![Match { path: PathMatch { kind: "PathPrefix".to_owned(), value: route.path_prefix.clone() } }],
            }],
        },
    })
}

/// A BackendTLSPolicy (`gateway.networking.k8s.io/v1`, standard channel since Gateway API
/// v1.4): how the Gateway verifies the backend when the route's endpoint serves HTTPS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendTlsPolicy {
    /// `gateway.networking.k8s.io/v1`.
    pub api_version: String,
    /// `BackendTLSPolicy`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: BackendTlsPolicySpec,
}

/// Which Service port, and how its certificate is verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendTlsPolicySpec {
    /// The client Service's port.
    pub target_refs: Vec<PolicyTargetRef>,
    /// The CA and the name the certificate must carry.
    pub validation: BackendTlsValidation,
}

/// A Service port a policy applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTargetRef {
    /// `""` (the core group).
    pub group: String,
    /// `Service`.
    pub kind: String,
    /// The client Service.
    pub name: String,
    /// The port's name.
    pub section_name: String,
}

/// How the Gateway verifies the backend's certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendTlsValidation {
    /// The ConfigMap with the CA (`ca.crt`).
    pub ca_certificate_refs: Vec<LocalObjectRef>,
    /// The name the Gateway sends (SNI) and verifies.
    pub hostname: String,
}

/// An object in the policy's namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalObjectRef {
    /// `""` (the core group).
    pub group: String,
    /// `ConfigMap`.
    pub kind: String,
    /// Its name.
    pub name: String,
}

/// With TLS on and `access.route` to an endpoint that then serves HTTPS: the BackendTLSPolicy
/// that makes the Gateway speak HTTPS to it, verifying the certificate against the service's
/// CA (the ConfigMap [`Context::route_ca_configmap`], which the credentials generator writes)
/// for the client Service's name, which the certificate carries.
#[must_use]
pub fn backend_tls_policy(cx: &Context) -> Option<BackendTlsPolicy> {
    let endpoint = cx.https_route_endpoint()?;
    Some(BackendTlsPolicy {
        api_version: API_VERSION.to_owned(),
        kind: "BackendTLSPolicy".to_owned(),
        metadata: crate::lower::meta(cx, &cx.name, "server"),
        spec: BackendTlsPolicySpec {
            target_refs: vec![PolicyTargetRef {
                group: String::new(),
                kind: "Service".to_owned(),
                name: cx.name.clone(),
                section_name: endpoint.name.as_str().to_owned(),
            }],
            validation: BackendTlsValidation {
                ca_certificate_refs: vec![LocalObjectRef {
                    group: String::new(),
                    kind: "ConfigMap".to_owned(),
                    name: cx.route_ca_configmap(),
                }],
                hostname: cx.client_host(),
            },
        },
    })
}
