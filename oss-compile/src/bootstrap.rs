//! Bootstrap steps: one-off work against the running service, each in a Job of its own.
//!
//! Owns: the steps' Jobs (the service's image, user and security defaults, a content hash in
//! the name) and the NetworkPolicy of their pods (DNS and the service's endpoints out, nothing
//! in). Must not: run a step before the service is applied, or twice for the same content: a
//! Job's pod template is immutable, so the name carries a hash of everything the pod runs, and
//! re-applying an unchanged bundle creates nothing (docs/spec.md, `runtime.bootstrap`).

use crate::context::Context;
use crate::security;
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, EnvVar, KeyToPath, PodSpec, PodTemplateSpec, SecretVolumeSource, Volume, VolumeMount};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use oss_spec::model::{BootstrapStep, EnvValue, OneOffPod};
use oss_spec::values::EnvName;
use std::collections::BTreeMap;

/// `app.kubernetes.io/name` of every step's pod (not the service's: its Services, budget and
/// NetworkPolicy never select a step's pod).
pub const POD_NAME_LABEL: &str = "ossc-bootstrap";
/// The label naming the step a Job runs.
pub const STEP_LABEL: &str = "openservice.dev/bootstrap-step";
/// How many times a failed pod is replaced before the Job gives up (within `timeout`).
const BACKOFF_LIMIT: i32 = 6;

/// The label that selects the steps' pods of this service.
#[must_use]
pub fn pod_selector(cx: &Context) -> BTreeMap<String, String> {
    cx.helper_selector(POD_NAME_LABEL)
}

fn labels(cx: &Context) -> BTreeMap<String, String> {
    cx.helper_labels("bootstrap", POD_NAME_LABEL)
}

fn meta(cx: &Context, name: String) -> ObjectMeta {
    cx.helper_meta(name, "bootstrap", POD_NAME_LABEL)
}

/// The Job of each step, and one NetworkPolicy for their pods; nothing without steps.
#[must_use]
pub fn objects(cx: &Context) -> (Vec<Job>, Option<NetworkPolicy>) {
    let steps = &cx.spec.runtime.bootstrap;
    if steps.is_empty() {
        return (Vec::new(), None);
    }
    (steps.iter().map(|s| job(cx, s)).collect(), Some(network_policy(cx)))
}

/// A backup's environment: ossc's variables ([`head`], with `own` after `HOME`), then the
/// packager's (`pod.env`) plain values expanded and Secret keys referred to.
pub(crate) fn env(cx: &Context, own: Vec<EnvVar>, pod: &OneOffPod) -> Vec<EnvVar> {
    let mut env = head(cx, pod, own);
    env.extend(pod.env.iter().map(|(name, v)| match v {
        EnvValue::Value(s) => EnvVar { name: name.to_string(), value: Some(crate::lower::expand_plain(cx, s)), value_from: None },
        EnvValue::Secret { .. } => crate::lower::env_var(cx, name.as_str(), v),
    }));
    env
}

/// ossc's variables in a one-off container, before the packager's (`pod.env`): `HOME` (unless
/// the packager sets it), `own`, and the CA's file with TLS on.
pub(crate) fn head(cx: &Context, pod: &OneOffPod, own: Vec<EnvVar>) -> Vec<EnvVar> {
    // cqlsh, psql and most clients write history or caches under $HOME; the root filesystem
    // is read-only, /tmp is not. A packager's own HOME replaces it (twice the same name in one
    // container: server-side apply refuses the bundle, kube-score flags it).
    let mut env = home_unless_set(pod.env.keys().map(EnvName::as_str));
    env.extend(own);
    // With TLS on, a step is a client of a TLS service: the CA that signed it, by file
    if let Some(tls) = cx.tls() {
        env.push(EnvVar { name: TLS_CA_ENV.to_owned(), value: Some(tls_ca_path(tls)), value_from: None });
    }
    env
}

/// `HOME=/tmp`, unless `names` (the packager's variables) has `HOME`.
pub(crate) fn home_unless_set<'a>(mut names: impl Iterator<Item = &'a str>) -> Vec<EnvVar> {
    if names.any(|n| n == "HOME") {
        Vec::new()
    } else {
        vec![EnvVar { name: "HOME".to_owned(), value: Some("/tmp".to_owned()), value_from: None }]
    }
}

/// The variable that gives a step the CA's file when TLS is on (`access.tls.enabled`).
pub const TLS_CA_ENV: &str = "OSS_TLS_CA";

/// Where a step finds the CA: `ca.crt` in `runtime.tls.path`, as in the service's pods.
#[must_use]
pub fn tls_ca_path(tls: &oss_spec::model::RuntimeTls) -> String {
    format!("{}/ca.crt", tls.path.as_str().trim_end_matches('/'))
}

/// What a step's `/tmp` may hold, in MiB.
const TMP_MIB: i128 = 64;

fn job(cx: &Context, step: &BootstrapStep) -> Job {
    let rt = &cx.spec.runtime;
    let (image, user, group) = step.pod.identity(rt);
    // `${dependencies.NAME.KEY}` become `$(OSS_DEP_NAME_KEY)`, read from that service's binding
    // Secret, as in the software's container
    let (step_env, command) = crate::lower::expand_env_and_args(cx, &step.run, step.pod.env.iter());
    let mut env = head(cx, &step.pod, Vec::new());
    env.extend(step_env);
    let container = Container {
        name: step.name.clone(),
        image: Some(image.to_string()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(command),
        env: Some(env),
        resources: Some(crate::lower::resources(step.pod.cpu.as_str(), step.pod.memory.as_str(), TMP_MIB << 20)),
        security_context: Some(security::container_security_context()),
        volume_mounts: Some(
            std::iter::once(VolumeMount { name: "tmp".to_owned(), mount_path: "/tmp".to_owned(), ..VolumeMount::default() })
                .chain(cx.tls().map(|tls| VolumeMount {
                    name: "tls-ca".to_owned(),
                    mount_path: tls.path.as_str().to_owned(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                }))
                .collect(),
        ),
        ..Container::default()
    };
    // The name carries a hash of everything the pod runs: a changed step is a new Job.
    let content = serde_json::to_string(&container).unwrap_or_default();
    let name = format!("{}-bootstrap-{:08x}", cx.name, crate::credentials::fnv1a(format!("{}\n{content}", step.name).as_bytes()) >> 32);
    let mut job_meta = meta(cx, name);
    let secret_env = step.pod.env.values().any(|v| matches!(v, EnvValue::Secret { .. }));
    let skips = security::skips_for(image.has_digest(), user, cx.target, secret_env, false, false);
    if !skips.is_empty() {
        job_meta.annotations =
            Some(skips.iter().enumerate().map(|(i, s)| (format!("checkov.io/skip{}", i + 1), format!("{}={}", s.id, s.reason))).collect());
    }
    if let Some(l) = job_meta.labels.as_mut() {
        l.insert(STEP_LABEL.to_owned(), step.name.clone());
    }
    let mut pod_labels = labels(cx);
    pod_labels.insert(STEP_LABEL.to_owned(), step.name.clone());
    Job {
        metadata: job_meta,
        spec: Some(JobSpec {
            backoff_limit: Some(BACKOFF_LIMIT),
            active_deadline_seconds: Some(i64::try_from(step.timeout.secs_ceil()).unwrap_or(i64::MAX)),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(pod_labels), ..ObjectMeta::default() }),
                spec: Some(PodSpec {
                    service_account_name: Some(cx.name.clone()),
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    restart_policy: Some("Never".to_owned()),
                    security_context: Some(security::pod_security_context(cx.target.fixed_ids().then_some((user, group)), false)),
                    containers: vec![container],
                    volumes: Some(
                        std::iter::once(crate::lower::empty_dir("tmp", false, &format!("{TMP_MIB}Mi")))
                            .chain(cx.tls().map(|_| tls_ca_volume(cx)))
                            .collect(),
                    ),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// The certificate Secret's `ca.crt` alone (a step verifies the service; it never needs the
/// service's key).
pub(crate) fn tls_ca_volume(cx: &Context) -> Volume {
    Volume {
        name: "tls-ca".to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(cx.tls_secret()),
            items: Some(vec![KeyToPath { key: "ca.crt".to_owned(), path: "ca.crt".to_owned(), mode: None }]),
            default_mode: Some(0o444),
            optional: Some(false),
        }),
        ..Volume::default()
    }
}

/// The steps' pods: nothing in; DNS and the service's endpoints out.
fn network_policy(cx: &Context) -> NetworkPolicy {
    let endpoints = crate::lower::np_ports(cx.spec.function.endpoints.iter());
    NetworkPolicy {
        metadata: meta(cx, format!("{}-bootstrap", cx.name)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(pod_selector(cx)), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            // No ingress rule: with `Ingress` in policyTypes that denies every connection.
            ingress: None,
            egress: Some(
                [
                    crate::lower::dns_egress(),
                    NetworkPolicyEgressRule {
                        to: Some(vec![NetworkPolicyPeer {
                            pod_selector: Some(LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }),
                            ..NetworkPolicyPeer::default()
                        }]),
                        ports: Some(endpoints),
                    },
                ]
                .into_iter()
                .chain(crate::lower::dependency_egress(cx))
                .collect(),
            ),
        }),
    }
}

/// CPU and memory of every step's pod (nano-units), for the namespace's quota: the steps may
/// run at once.
#[must_use]
pub fn pod_totals(steps: &[BootstrapStep]) -> (i128, i128) {
    steps.iter().fold((0, 0), |(c, m), s| (c + s.pod.cpu.nanos(), m + s.pod.memory.nanos()))
}

#[cfg(test)]
mod tests {
    use super::home_unless_set;

    #[test]
    fn home_is_tmp_unless_the_packager_sets_it() {
        let home = home_unless_set(["PGHOST", "PGUSER"].into_iter());
        assert_eq!(home.len(), 1);
        assert_eq!((home[0].name.as_str(), home[0].value.as_deref()), ("HOME", Some("/tmp")));
        // a packager's own HOME: only theirs, not a second HOME the container would get twice
        assert!(home_unless_set(["ADMIN_USER", "HOME"].into_iter()).is_empty());
    }
}
