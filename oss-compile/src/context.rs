//! Names and labels derived from a spec, computed once and shared by every lowering step.
//!
//! Owns: object names, the namespace decision, the standard labels and the selector. Must not:
//! build objects.

use crate::Options;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use oss_spec::Spec;
use std::collections::BTreeMap;

/// Derived names and labels of one compilation.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The spec being compiled.
    pub spec: &'a Spec,
    /// Instance name (every object's name or prefix).
    pub name: String,
    /// Namespace of every namespaced object.
    pub namespace: String,
    /// Whether the bundle creates the namespace (when the caller gave none).
    pub owns_namespace: bool,
    /// Name of the headless Service that gives replicas stable DNS names.
    pub peers: String,
    /// Whether to emit prometheus-operator objects.
    pub monitoring: crate::monitoring::Monitoring,
    /// The cluster flavour.
    pub target: crate::target::Target,
    /// Pod CIDRs of other clusters admitted on the peer ports.
    pub peer_cidrs: Vec<String>,
}

/// Suffix of the headless peer Service.
pub const PEERS_SUFFIX: &str = "-peers";

impl<'a> Context<'a> {
    /// Derives names for `spec` under `options`.
    #[must_use]
    pub fn new(spec: &'a Spec, options: &Options) -> Self {
        let name = spec.metadata.name.to_string();
        let (namespace, owns_namespace) = match &options.namespace {
            Some(ns) => (ns.clone(), false),
            None => (name.clone(), true),
        };
        Self {
            spec,
            peers: format!("{name}{PEERS_SUFFIX}"),
            name,
            namespace,
            owns_namespace,
            monitoring: options.monitoring,
            target: options.target,
            peer_cidrs: options.peer_cidrs.clone(),
        }
    }

    /// Labels that select this service's pods. They never include the version: a workload's
    /// selector is immutable.
    #[must_use]
    pub fn selector(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/instance".to_owned(), self.name.clone()),
            ("app.kubernetes.io/name".to_owned(), self.name.clone()),
        ])
    }

    /// [`Self::selector`] as a label selector's text (`k=v,k=v`), for an API call.
    #[must_use]
    pub fn selector_text(&self) -> String {
        self.selector().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }

    /// The six `app.kubernetes.io/*` labels every object carries.
    #[must_use]
    pub fn labels(&self, component: &str) -> BTreeMap<String, String> {
        let mut l = self.selector();
        l.insert("app.kubernetes.io/component".to_owned(), component.to_owned());
        l.insert("app.kubernetes.io/managed-by".to_owned(), "ossc".to_owned());
        l.insert("app.kubernetes.io/part-of".to_owned(), self.name.clone());
        l.insert("app.kubernetes.io/version".to_owned(), self.spec.metadata.version.clone());
        l
    }

    /// The selector of a helper's pods (the credentials generator's, a bootstrap step's, a
    /// backup's): the instance, and `name` as `app.kubernetes.io/name` instead of the service's,
    /// so that the service's Services, budget and NetworkPolicy never select them.
    #[must_use]
    pub fn helper_selector(&self, name: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/instance".to_owned(), self.name.clone()),
            ("app.kubernetes.io/name".to_owned(), name.to_owned()),
        ])
    }

    /// A helper's labels: the six every object carries, with `name` as `app.kubernetes.io/name`.
    #[must_use]
    pub fn helper_labels(&self, component: &str, name: &str) -> BTreeMap<String, String> {
        let mut l = self.labels(component);
        l.insert("app.kubernetes.io/name".to_owned(), name.to_owned());
        l
    }

    /// The metadata of a helper's object `object` in the service's namespace.
    #[must_use]
    pub fn helper_meta(&self, object: String, component: &str, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(object),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.helper_labels(component, name)),
            ..ObjectMeta::default()
        }
    }

    /// Name of the credentials Secret: the consumer's own (`access.credentialsSecret`), else
    /// the one the generator Job creates.
    #[must_use]
    pub fn credentials_secret(&self) -> String {
        self.spec.access.credentials_secret.clone().unwrap_or_else(|| format!("{}-credentials", self.name))
    }

    /// Name of the Service Binding Secret applications read.
    #[must_use]
    pub fn binding_secret(&self) -> String {
        format!("{}-binding", self.name)
    }

    /// Namespaces of `access.clients` other than the service's own, sorted, each once: the
    /// binding Secret is written there too, so a client pod mounts it from its own namespace.
    #[must_use]
    pub fn client_namespaces(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&str> =
            self.spec.access.clients.iter().filter_map(|c| c.namespace.as_deref()).filter(|ns| *ns != self.namespace).collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// Where the binding Secret is: the service's namespace, then [`Self::client_namespaces`].
    #[must_use]
    pub fn binding_namespaces(&self) -> Vec<String> {
        std::iter::once(self.namespace.clone()).chain(self.client_namespaces()).collect()
    }

    /// DNS name of the client Service.
    #[must_use]
    pub fn client_host(&self) -> String {
        format!("{}.{}.svc", self.name, self.namespace)
    }

    /// How the software takes TLS, when the consumer turned it on (`access.tls.enabled`).
    #[must_use]
    pub fn tls(&self) -> Option<&oss_spec::model::RuntimeTls> {
        self.spec.runtime.tls.as_ref().filter(|_| self.spec.tls_on())
    }

    /// Whether endpoint `port` serves HTTPS: TLS is on and `runtime.tls.https` names it.
    #[must_use]
    pub fn serves_https(&self, port: &oss_spec::values::PortName) -> bool {
        self.tls().is_some_and(|t| t.https.contains(port))
    }

    /// The endpoint `access.route` sends to, when it serves HTTPS (TLS on): the Gateway then
    /// speaks HTTPS to it, by a BackendTLSPolicy.
    #[must_use]
    pub fn https_route_endpoint(&self) -> Option<&oss_spec::model::PortSpec> {
        self.spec.route_endpoint().filter(|e| self.serves_https(&e.name))
    }

    /// The ConfigMap with the CA's certificate alone (`ca.crt`), which a Gateway's
    /// BackendTLSPolicy reads: written by the credentials generator when
    /// [`Self::https_route_endpoint`] is some (the Secret [`Self::tls_ca_secret`] holds the key too).
    #[must_use]
    pub fn route_ca_configmap(&self) -> String {
        format!("{}-crt", self.tls_ca_secret())
    }

    /// The cert-manager issuer of the certificate, when TLS is on and the consumer named one.
    #[must_use]
    pub fn tls_issuer(&self) -> Option<&oss_spec::model::TlsIssuer> {
        self.spec.tls_issuer()
    }

    /// The certificate Secret mounted into the replicas: `ca.crt`, `tls.crt`, `tls.key`.
    #[must_use]
    pub fn tls_secret(&self) -> String {
        format!("{}{}", self.name, oss_spec::TLS_SECRET_SUFFIX)
    }

    /// The CA that signs [`Self::tls_secret`]: `ca.crt`, `ca.key`; read by the generator alone.
    #[must_use]
    pub fn tls_ca_secret(&self) -> String {
        format!("{}-ca", self.tls_secret())
    }

    /// The names the certificate is valid for: the client (and read) Service, by every form a
    /// client in the cluster writes it, each replica through the headless Service (a wildcard:
    /// replicas come and go with scaling), and the loopback, for the software's own probes and
    /// sidecars.
    #[must_use]
    pub fn tls_names(&self) -> Vec<String> {
        let mut hosts = vec![self.name.clone()];
        if self.spec.function.roles.as_ref().is_some_and(|r| r.replica.is_some()) {
            hosts.push(format!("{}-read", self.name));
        }
        let mut names = Vec::new();
        for h in &hosts {
            for suffix in ["", ".NS", ".NS.svc", ".NS.svc.cluster.local"] {
                names.push(format!("DNS:{h}{}", suffix.replace("NS", &self.namespace)));
            }
        }
        for suffix in ["svc", "svc.cluster.local"] {
            names.push(format!("DNS:*.{}.{}.{suffix}", self.peers, self.namespace));
        }
        names.push("DNS:localhost".to_owned());
        names.push("IP:127.0.0.1".to_owned());
        names
    }

    /// DNS name of replica `i` through the headless Service (cluster-domain independent: the
    /// pod's resolver search path completes `.svc`).
    #[must_use]
    pub fn replica_host(&self, i: u32) -> String {
        format!("{}-{i}.{}.{}.svc", self.name, self.peers, self.namespace)
    }
}
