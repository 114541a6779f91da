//! Target profiles: what must differ between clusters, and nothing else. Every difference is
//! listed here with its reason, and in docs/targets.md.
//!
//! | target | differs from `generic` | why |
//! |---|---|---|
//! | `gke`, `aks` | nothing | their default StorageClass (`standard-rwo`, `managed-csi`) exists and zones are labelled |
//! | `eks` | claims without `capacity.storageClass` get `gp2` | EKS 1.30+ creates `gp2` but no longer marks it default, so an unnamed claim would stay Pending |
//! | `openshift` | no `runAsUser`, `runAsGroup`, `fsGroup` | the restricted-v2 SCC assigns them from the namespace's range and refuses fixed ids outside it |
//! | `kind` | `spread` becomes a preference (with a warning) | a single-node cluster without zones cannot satisfy hard host or zone spread: pods would stay Pending |

use oss_spec::model::Spread;

oss_spec::spelled_enum! {
    /// A cluster flavour.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Target {
        /// Any conformant cluster.
        #[default]
        Generic = "generic",
        /// Google Kubernetes Engine.
        Gke = "gke",
        /// Amazon Elastic Kubernetes Service.
        Eks = "eks",
        /// Azure Kubernetes Service.
        Aks = "aks",
        /// Red Hat OpenShift.
        Openshift = "openshift",
        /// kind (Kubernetes in Docker), single node.
        Kind = "kind",
    }
}

impl Target {
    /// The target called `name`, if there is one.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// StorageClass for claims that name none.
    #[must_use]
    pub fn default_storage_class(self) -> Option<&'static str> {
        match self {
            Target::Eks => Some("gp2"),
            _ => None,
        }
    }

    /// Whether the pod may carry fixed user, group and fsGroup ids.
    #[must_use]
    pub fn fixed_ids(self) -> bool {
        self != Target::Openshift
    }

    /// Whether spread rules must be soft (the cluster cannot satisfy hard ones).
    #[must_use]
    pub fn soft_spread(self, spread: Spread) -> bool {
        self == Target::Kind && spread != Spread::None
    }
}
