//! Security defaults of every workload: Pod Security Standards "restricted", and the checkov
//! checks ossc skips on purpose, each with its reason.
//!
//! Owns: security contexts and the skip list. `docs/security.md` lists every skip; a test keeps
//! that page complete. Must not: loosen anything per service beyond what the spec states.

use k8s_openapi::api::core::v1::{Capabilities, PodSecurityContext, SeccompProfile, SecurityContext};
use oss_spec::Spec;

/// Pod-level security context: non-root with the image's user and group (`ids`; `None` where
/// the platform assigns them, as on OpenShift), `RuntimeDefault` seccomp, and (for volumes)
/// `fsGroup` with `OnRootMismatch` so large volumes are not re-chowned at every start.
#[must_use]
pub fn pod_security_context(ids: Option<(u32, u32)>, has_volumes: bool) -> PodSecurityContext {
    let (user, group) = ids.map_or((None, None), |(u, g)| (Some(i64::from(u)), Some(i64::from(g))));
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: user,
        run_as_group: group,
        fs_group: group.filter(|_| has_volumes),
        fs_group_change_policy: (has_volumes && group.is_some()).then(|| "OnRootMismatch".to_owned()),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_owned(), localhost_profile: None }),
        ..PodSecurityContext::default()
    }
}

/// Container-level security context: no privilege, no escalation, every capability dropped,
/// read-only root filesystem (writable paths are volumes).
#[must_use]
pub fn container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_owned()]), add: None }),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_owned(), localhost_profile: None }),
        ..SecurityContext::default()
    }
}

/// A checkov check skipped on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// Check id, e.g. `CKV_K8S_40`.
    pub id: &'static str,
    /// Why, in one sentence (written into the annotation).
    pub reason: &'static str,
}

/// Every skip ossc may emit, for the docs.
pub const ALL_SKIPS: &[Skip] = &[
    Skip { id: "CKV_K8S_40", reason: "runs as the image's own non-root user; a uid above 10000 would not own the image's files" },
    Skip { id: "CKV_K8S_43", reason: "image pinned to a release tag; pin a digest in runtime.image to drop this skip" },
    Skip { id: "CKV_K8S_40", reason: "OpenShift's SCC assigns a non-root uid from the namespace range at admission" },
    Skip {
        id: "CKV_K8S_35",
        reason: "the software or its exporter takes this credential from the environment only (e.g. Valkey's --requirepass, redis_exporter's REDIS_PASSWORD)",
    },
    Skip {
        id: "CKV_K8S_9",
        reason: "the exporter (and a sidecar without a readiness check) has no readiness probe on purpose: a failing helper must not take the replica out of its Service; the main container has one",
    },
    Skip {
        id: "CKV_K8S_38",
        reason: "the software itself talks to the Kubernetes API (runtime.kubernetesApi): its token is mounted, and its Role may use only the objects that field lists in this namespace, never Secrets",
    },
    Skip {
        id: "CKV_K8S_15",
        reason: "pinned image with IfNotPresent so restarts do not depend on the registry; pin a digest to drop this skip",
    },
];

/// The skips that apply to this spec's workload on `target`.
#[must_use]
pub fn checkov_skips(spec: &Spec, target: crate::target::Target) -> Vec<&'static Skip> {
    let secret = |v: &oss_spec::model::EnvValue| matches!(v, oss_spec::model::EnvValue::Secret { .. });
    let secret_env = spec.runtime.env.values().any(secret)
        || spec.runtime.metrics.as_ref().and_then(|m| m.exporter.as_ref()).is_some_and(|e| e.env.values().any(secret))
        || spec.runtime.sidecars.iter().any(|s| s.env.values().any(secret));
    let helper_without_readiness = spec.runtime.metrics.as_ref().is_some_and(|m| m.exporter.is_some())
        || spec.runtime.sidecars.iter().any(|s| s.health.ready.is_none());
    let api_access = spec.runtime.kubernetes_api.is_some();
    skips_for(spec.runtime.image.has_digest(), spec.runtime.user, target, secret_env, helper_without_readiness, api_access)
}

/// The skips that apply on `target` to a pod of an image (pinned by digest or not) run as
/// `user`, whose environment takes a Secret's key when `secret_env`, with a helper container
/// without a readiness probe (the exporter, a sidecar without `ready`) when
/// `helper_without_readiness`, with the API token mounted when `api_access` (the workload, a
/// bootstrap step).
#[must_use]
pub fn skips_for(
    digest: bool,
    user: u32,
    target: crate::target::Target,
    secret_env: bool,
    helper_without_readiness: bool,
    api_access: bool,
) -> Vec<&'static Skip> {
    let fixed = target.fixed_ids();
    ALL_SKIPS
        .iter()
        .filter(|s| match (s.id, s.reason.starts_with("OpenShift")) {
            ("CKV_K8S_40", false) => fixed && user < 10_000,
            ("CKV_K8S_40", true) => !fixed,
            ("CKV_K8S_43" | "CKV_K8S_15", _) => !digest,
            ("CKV_K8S_35", _) => secret_env,
            ("CKV_K8S_9", _) => helper_without_readiness,
            ("CKV_K8S_38", _) => api_access,
            _ => false,
        })
        .collect()
}
