//! The service's HTTP endpoint behind a Gateway the cluster runs, as a Gateway API `HTTPRoute`
//! (`gateway.networking.k8s.io/v1`, the standard channel), when the consumer sets
//! `access.route`.
//!
//! Owns the typed object. Only the fields ossc sets; field names follow the CRD schema exactly
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
        metadata: ObjectMeta {
            name: Some(cx.name.clone()),
            namespace: Some(cx.namespace.clone()),
            labels: Some(cx.labels("server")),
            ..ObjectMeta::default()
        },
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
