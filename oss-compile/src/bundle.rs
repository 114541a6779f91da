//! The compiled bundle and the one place that defines install order.
//!
//! Owns: [`Kind`] (whose declaration order IS the install order: do not reorder without a
//! changelog entry), [`Object`], and sorting. Must not: build objects.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::Value;

/// Kinds ossc emits, in install order: what others depend on comes first (the namespace, the
/// policy that must be in force before pods start, identities, configuration, access, the
/// Services that give workloads their DNS names, the workloads, then what watches them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `v1/Namespace`.
    Namespace,
    /// `networking.k8s.io/v1/NetworkPolicy`.
    NetworkPolicy,
    /// `v1/ServiceAccount`.
    ServiceAccount,
    /// `v1/Service`.
    Service,
    /// `apps/v1/StatefulSet`.
    StatefulSet,
    /// `apps/v1/Deployment`.
    Deployment,
}

/// One Kubernetes object, typed.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, clippy::large_enum_variant)]
pub enum Object {
    Namespace(Namespace),
    NetworkPolicy(NetworkPolicy),
    ServiceAccount(ServiceAccount),
    Service(Service),
    StatefulSet(StatefulSet),
    Deployment(Deployment),
}

impl Object {
    /// The object's kind.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::NetworkPolicy(_) => Kind::NetworkPolicy,
            Object::ServiceAccount(_) => Kind::ServiceAccount,
            Object::Service(_) => Kind::Service,
            Object::StatefulSet(_) => Kind::StatefulSet,
            Object::Deployment(_) => Kind::Deployment,
        }
    }

    /// The object's metadata.
    #[must_use]
    pub fn metadata(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
        }
    }

    /// The object's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// The object as JSON (field order as Kubernetes' own types serialise it).
    #[must_use]
    pub fn to_value(&self) -> Value {
        let v = match self {
            Object::Namespace(o) => serde_json::to_value(o),
            Object::NetworkPolicy(o) => serde_json::to_value(o),
            Object::ServiceAccount(o) => serde_json::to_value(o),
            Object::Service(o) => serde_json::to_value(o),
            Object::StatefulSet(o) => serde_json::to_value(o),
            Object::Deployment(o) => serde_json::to_value(o),
        };
        v.unwrap_or(Value::Null)
    }
}

/// Every object of one compiled service, in install order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bundle {
    objects: Vec<Object>,
}

impl Bundle {
    /// A bundle of these objects, sorted into install order (kind, then name).
    #[must_use]
    pub fn new(mut objects: Vec<Object>) -> Self {
        objects.sort_by(|a, b| (a.kind(), a.name()).cmp(&(b.kind(), b.name())));
        Self { objects }
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
            crate::emit::write_document(&mut out, &o.to_value());
        }
        out
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

    /// The Deployment, if the service is stateless.
    #[must_use]
    pub fn deployment(&self) -> Option<&Deployment> {
        self.objects.iter().find_map(|o| match o {
            Object::Deployment(d) => Some(d),
            _ => None,
        })
    }
}
