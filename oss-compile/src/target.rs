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

/// A cluster flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Any conformant cluster.
    #[default]
    Generic,
    /// Google Kubernetes Engine.
    Gke,
    /// Amazon Elastic Kubernetes Service.
    Eks,
    /// Azure Kubernetes Service.
    Aks,
    /// Red Hat OpenShift.
    Openshift,
    /// kind (Kubernetes in Docker), single node.
    Kind,
}

impl Target {
    /// Every target with its name.
    pub const ALL: &'static [(&'static str, Target)] = &[
        ("generic", Target::Generic),
        ("gke", Target::Gke),
        ("eks", Target::Eks),
        ("aks", Target::Aks),
        ("openshift", Target::Openshift),
        ("kind", Target::Kind),
    ];

    /// The target called `name`, if there is one.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The target's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        Target::ALL.iter().find(|(_, t)| *t == self).map_or("generic", |(n, _)| n)
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
