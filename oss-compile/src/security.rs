//! Security defaults of every workload: Pod Security Standards "restricted", and the checkov
//! checks ossc skips on purpose, each with its reason.
//!
//! Owns: security contexts and the skip list. `docs/security.md` lists every skip; a test keeps
//! that page complete. Must not: loosen anything per service beyond what the spec states.

use k8s_openapi::api::core::v1::{Capabilities, PodSecurityContext, SeccompProfile, SecurityContext};
use oss_spec::Spec;

/// Pod-level security context: non-root with the image's user and group, `RuntimeDefault`
/// seccomp, and (for volumes) `fsGroup` with `OnRootMismatch` so large volumes are not
/// re-chowned at every start.
#[must_use]
pub fn pod_security_context(user: u32, group: u32, has_volumes: bool) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(i64::from(user)),
        run_as_group: Some(i64::from(group)),
        fs_group: has_volumes.then_some(i64::from(group)),
        fs_group_change_policy: has_volumes.then(|| "OnRootMismatch".to_owned()),
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
    Skip {
        id: "CKV_K8S_15",
        reason: "pinned image with IfNotPresent so restarts do not depend on the registry; pin a digest to drop this skip",
    },
];

/// The skips that apply to this spec's workload.
#[must_use]
pub fn checkov_skips(spec: &Spec) -> Vec<&'static Skip> {
    ALL_SKIPS
        .iter()
        .filter(|s| match s.id {
            "CKV_K8S_40" => spec.runtime.user < 10_000,
            "CKV_K8S_43" | "CKV_K8S_15" => !spec.runtime.image.has_digest(),
            _ => false,
        })
        .collect()
}
