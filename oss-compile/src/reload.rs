//! Restarts the replicas onto a renewed certificate (`access.tls.issuer`): cert-manager renews
//! the Secret `<name>-tls` 30 days before it ends, with a new key, but the software reads its
//! certificate at start, so a renewal only takes effect when each replica restarts. Without
//! this, a human would have to restart the service every 60 days or watch it serve an expired
//! certificate.
//!
//! Owns: a CronJob that, every hour, reads the Certificate's `status.notBefore` (when the
//! certificate now in the Secret was issued) and evicts, one at a time, the service's pods made
//! before it. Evictions go through the disruption budget, which refuses one while another
//! replica is down, so the restart rolls as an upgrade does. Must not: read any Secret (its Role
//! may get only the Certificate, list pods and evict them), or evict a pod made after the
//! certificate was written (it would restart the service every hour).
//!
//! The generator's own CA (no issuer) lasts 825 days and is renewed by hand (docs/security.md):
//! no CronJob then.

use crate::context::Context;
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{EnvVar, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use oss_spec::model::RunState;

/// `app.kubernetes.io/name` of the restarter's objects and pod (not the service's: its
/// Services, budget and NetworkPolicy never select them).
pub const POD_NAME_LABEL: &str = "ossc-tls-reload";

/// How long after the certificate's `notBefore` a pod still counts as made before it:
/// cert-manager writes the Secret moments after it issues, and a pod made in between mounted
/// the old certificate. Such a pod is restarted once more than needed, never left behind.
pub const MARGIN_SECONDS: u32 = 120;

/// How long one run may take: rolling every replica of a large service one at a time, each
/// waiting for the budget; below the hour between runs (the next run continues).
pub const DEADLINE_SECONDS: i64 = 3300;

/// The script (POSIX `sh` with curl, sed and awk: busybox in the generator's pinned image).
/// `CERTIFICATE`, `SELECTOR` and `MARGIN` come from the environment.
pub const SCRIPT: &str = r#"set -eu
sa=/var/run/secrets/kubernetes.io/serviceaccount
ns="$(cat "$sa/namespace")"
api="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
call() { curl -sS -A ossc-tls-reload --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" "$@"; }
# one JSON member a line, without blanks (the API indents for some clients; names and times have none)
lines() { tr -d ' \t\r\n' < "$1" | tr ',' '\n'; }
# seconds since the epoch of a UTC time as the API writes it (2026-01-02T03:04:05Z)
epoch() { date -u -d "$(printf '%s' "$1" | sed 's/T/ /; s/Z$//')" +%s; }
code="$(call -o /tmp/certificate -w '%{http_code}' "$api/apis/cert-manager.io/v1/namespaces/$ns/certificates/$CERTIFICATE")"
case "$code" in
  200) ;;
  404) echo "no Certificate $CERTIFICATE: TLS from cert-manager is off, and this CronJob can be deleted"; exit 0 ;;
  *) echo "reading Certificate $CERTIFICATE: HTTP $code: $(cat /tmp/certificate)"; exit 1 ;;
esac
issued="$(lines /tmp/certificate | sed -n 's/.*"notBefore":"\([^"]*\)".*/\1/p' | head -n 1)"
if [ -z "$issued" ]; then echo "$CERTIFICATE is not issued yet"; exit 0; fi
cutoff=$(( $(epoch "$issued") + MARGIN ))
if [ "$(date -u +%s)" -lt "$cutoff" ]; then echo "$CERTIFICATE was issued at $issued: the next run restarts what needs it"; exit 0; fi
# the service's pods made before the cutoff, and not already on their way out
old() {
  call --fail -G --data-urlencode "labelSelector=$SELECTOR" \
    -H 'Accept: application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' \
    "$api/api/v1/namespaces/$ns/pods" > /tmp/pods
  lines /tmp/pods | awk '
    function flush() { if (n != "" && !gone) print n, made; n = ""; made = ""; gone = 0 }
    match($0, /"metadata":\{"name":"[^"]*"/) { flush(); n = substr($0, RSTART + 20, RLENGTH - 21) }
    /^"creationTimestamp":"/ && made == "" { made = $0; sub(/^"creationTimestamp":"/, "", made); sub(/".*/, "", made) }
    /^"deletionTimestamp":"/ { gone = 1 }
    END { flush() }' > /tmp/made
  while read -r pod made; do
    if [ "$(epoch "$made")" -lt "$cutoff" ]; then echo "$pod"; fi
  done < /tmp/made
}
restarted=0
while :; do
  pods="$(old)"
  if [ -z "$pods" ]; then echo "every pod runs on the certificate issued at $issued ($restarted restarted now)"; exit 0; fi
  for pod in $pods; do
    code="$(call -o /tmp/out -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      -d "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"$pod\",\"namespace\":\"$ns\"}}" \
      "$api/api/v1/namespaces/$ns/pods/$pod/eviction")"
    case "$code" in
      200|201) echo "$pod evicted: it started before the certificate issued at $issued"; restarted=$((restarted + 1)); break ;;
      # the disruption budget says not now (another replica is down), or the pod is gone
      429|404) ;;
      *) echo "evicting $pod: HTTP $code: $(cat /tmp/out)"; exit 1 ;;
    esac
  done
  sleep 10
done
"#;

/// The restarter's objects.
#[derive(Debug)]
pub struct Objects {
    /// Its identity.
    pub service_account: ServiceAccount,
    /// What it may do: get the Certificate, list pods, evict them.
    pub role: Role,
    /// The Role, bound to the identity.
    pub role_binding: RoleBinding,
    /// Its traffic: none in, DNS and the API server out.
    pub network_policy: NetworkPolicy,
    /// The hourly run (suspended while the service is stopped).
    pub cron_job: CronJob,
}

fn name(cx: &Context) -> String {
    format!("{}-tls-reload", cx.name)
}

fn meta(cx: &Context) -> ObjectMeta {
    cx.helper_meta(name(cx), "tls-reload", POD_NAME_LABEL)
}

/// The hourly schedule, at a minute derived from the namespace and name (instances spread
/// their runs over the hour).
#[must_use]
pub fn schedule(namespace: &str, name: &str) -> String {
    format!("{} * * * *", crate::credentials::fnv1a(format!("{namespace}/{name}/tls-reload").as_bytes()) % 60)
}

/// The restarter of a service whose certificate comes from cert-manager; none otherwise.
#[must_use]
pub fn objects(cx: &Context) -> Option<Objects> {
    cx.tls_issuer()?;
    let name = name(cx);
    let rule = |group: &str, resource: &str, verb: &str, names| crate::lower::policy_rule(&[group], &[resource], &[verb], names);
    let role = Role {
        metadata: meta(cx),
        rules: Some(vec![
            rule("cert-manager.io", "certificates", "get", Some(vec![cx.tls_secret()])),
            rule("", "pods", "list", None),
            rule("", "pods/eviction", "create", None),
        ]),
    };
    let role_binding = crate::lower::service_account_binding(meta(cx), &name, &cx.namespace);
    let network_policy = crate::credentials::api_client_network_policy(meta(cx), cx.helper_selector(POD_NAME_LABEL));
    let selector = cx.selector_text();
    let env = |k: &str, v: String| EnvVar { name: k.to_owned(), value: Some(v), ..EnvVar::default() };
    let mut container = crate::credentials::step("reload", crate::credentials::IMAGE, SCRIPT.to_owned(), false);
    container.env = Some(vec![env("CERTIFICATE", cx.tls_secret()), env("SELECTOR", selector), env("MARGIN", MARGIN_SECONDS.to_string())]);
    let mut m = meta(cx);
    m.annotations = Some(crate::credentials::api_client_skips(format!(
        "it talks to the API server: its token is mounted, and its Role may only get the Certificate {}, list pods and evict them",
        cx.tls_secret()
    )));
    let cron_job = CronJob {
        metadata: m,
        spec: Some(CronJobSpec {
            schedule: schedule(&cx.namespace, &cx.name),
            time_zone: Some("Etc/UTC".to_owned()),
            concurrency_policy: Some("Forbid".to_owned()),
            starting_deadline_seconds: Some(600),
            successful_jobs_history_limit: Some(1),
            failed_jobs_history_limit: Some(1),
            // a stopped service has no pods to restart; it starts on the current certificate
            suspend: Some(cx.spec.lifecycle.state != RunState::Running),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(cx.helper_labels("tls-reload", POD_NAME_LABEL)), ..ObjectMeta::default() }),
                spec: Some(JobSpec {
                    // a failed run is tried again by the next one, an hour later
                    backoff_limit: Some(0),
                    active_deadline_seconds: Some(DEADLINE_SECONDS),
                    template: crate::credentials::api_client_pod(
                        cx.helper_labels("tls-reload", POD_NAME_LABEL),
                        &name,
                        None,
                        container,
                        vec![crate::lower::empty_dir("tmp", true, "1Mi")],
                    ),
                    ..JobSpec::default()
                }),
            },
        }),
        ..CronJob::default()
    };
    Some(Objects {
        service_account: ServiceAccount { metadata: meta(cx), ..ServiceAccount::default() },
        role,
        role_binding,
        network_policy,
        cron_job,
    })
}

/// Pods and their CPU and memory (nano-units) for the namespace's quota: one run at a time,
/// as small as the generator's pod.
#[must_use]
pub fn pod_totals(spec: &oss_spec::Spec) -> (i128, i128, i128) {
    if spec.tls_issuer().is_some() {
        let (cpu, mem) = crate::credentials::pod_totals();
        (1, cpu, mem)
    } else {
        (0, 0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_hourly_and_stable() {
        let s = schedule("db", "postgres");
        assert_eq!(s, schedule("db", "postgres"));
        let minute: u32 = s.split(' ').next().unwrap().parse().unwrap();
        assert!(minute < 60 && s.ends_with(" * * * *"), "{s}");
    }

    #[test]
    fn the_script_reads_the_names_it_is_given() {
        for var in ["$CERTIFICATE", "$SELECTOR", "MARGIN"] {
            assert!(SCRIPT.contains(var), "{var}");
        }
        // it never asks for a Secret
        assert!(!SCRIPT.contains("namespaces/$ns/secrets"));
    }
}
