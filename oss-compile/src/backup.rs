//! Backups and restores: the consumer's `backup` (when, how many, which object store) carried
//! out with the packager's `runtime.backup` (the software's own tools).
//!
//! Owns: the backup CronJob, the restore Job, the NetworkPolicy of their pods, and the store's
//! layout (`s3://BUCKET/NAMESPACE/INSTANCE/STAMP/…`, a backup complete once its marker object
//! is there). Must not: hold a credential (the store's keys are read from its binding Secret in
//! the pod), or run a restore twice for the same request (the Job's name carries a hash of it).
//!
//! Each pod has two containers and one scratch directory between them: to back up, the
//! software's container writes the files (an init container), then the uploader copies them
//! to the store and deletes the backups beyond `keep`; to restore, the uploader fetches one
//! backup (an init container), then the software's container reads it into the service.
//! Before either, a `wait` init container (the uploader's image) waits until the service's
//! client port accepts a connection from the pod: a NetworkPolicy engine may admit a new
//! pod's address only moments after it starts, and the packager's commands need not know.

use crate::context::Context;
use crate::security;
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapProjection, DownwardAPIProjection, DownwardAPIVolumeFile, EnvVarSource as Source, ObjectFieldSelector, ProjectedVolumeSource,
    ServiceAccount, ServiceAccountTokenProjection, VolumeProjection,
};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, EnvVarSource, KeyToPath, PodSpec, PodTemplateSpec, SecretKeySelector, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicySpec};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use oss_spec::model::{Backup, RunState, RuntimeBackup};
use std::collections::BTreeMap;

/// `app.kubernetes.io/name` of the backup and restore pods (not the service's: its Services,
/// budget and NetworkPolicy never select them).
pub const POD_NAME_LABEL: &str = "ossc-backup";
/// The uploader: the AWS CLI (any S3-compatible store), Amazon's image on Docker Hub, pinned.
pub const UPLOADER_IMAGE: &str = "docker.io/amazon/aws-cli:2.23.6";
/// Where the backup's files are, in both containers (`$OSS_BACKUP_DIR`).
pub const BACKUP_DIR: &str = "/backup";
/// The object written last into a backup's prefix: a backup without it is incomplete.
pub const COMPLETE_MARKER: &str = "ossc-backup-complete";
/// The uploader's cpu and memory (the AWS CLI is Python: ~100 MiB copying files).
const UPLOADER: (&str, &str) = ("100m", "256Mi");
/// What `/tmp` may hold in either container, in MiB.
const TMP_MIB: i128 = 64;
/// Where the store's CA is, when its binding has one (a store with TLS).
const STORE_CA_DIR: &str = "/etc/ossc/store";
/// Where the software's container finds the store's binding when its procedure keeps an
/// archive (`$OSS_ARCHIVE_STORE`).
pub const ARCHIVE_STORE_DIR: &str = "/etc/ossc/backup-store";
/// The archive's place under an instance's prefix in the bucket; under it, `keep/` is never
/// pruned.
const ARCHIVE_DIR: &str = "archive";

/// The backup objects of a service whose consumer asked for backups.
#[derive(Debug)]
pub struct Objects {
    /// Takes a backup on the schedule (suspended while the service is stopped).
    pub cron_job: CronJob,
    /// The restore asked for, run once; none when none is asked.
    pub restore: Option<Job>,
    /// Their pods: nothing in; DNS, the service's endpoints and the store out.
    pub network_policy: NetworkPolicy,
    /// With the restore: what lets its pod read and write the record of the restores done into
    /// the instance's data ([`RestoreAccess`]).
    pub restore_access: Option<RestoreAccess>,
}

/// The restore pod's own identity: it reads, and after a restore writes, the ConfigMap
/// `<name>-restored` that records the restores done into the instance's data, owned by the
/// claims of the instance (so it goes when the last of them goes, and stays while any stays).
#[derive(Debug)]
pub struct RestoreAccess {
    /// `<name>-restore`, whose token the restore pod mounts.
    pub service_account: ServiceAccount,
    /// Read the record, list the claims, create and patch the record.
    pub role: Role,
    /// The Role, bound to the identity.
    pub role_binding: RoleBinding,
    /// The restore pod's way to the API server (added to the backup pods' policy).
    pub network_policy: NetworkPolicy,
}

/// The CronJob, the restore Job and their NetworkPolicy; nothing without `backup`.
#[must_use]
pub fn objects(cx: &Context) -> Option<Objects> {
    let (Some(backup), Some(procedure)) = (&cx.spec.backup, &cx.spec.runtime.backup) else { return None };
    let running = cx.spec.lifecycle.state == RunState::Running;
    // a restore by a client of the service (a seeding procedure restores in the members'
    // pods instead: `seed`)
    let restore = backup.restore.as_ref().and(procedure.restore.as_deref());
    Some(Objects {
        cron_job: cron_job(cx, backup, procedure, !running),
        // in both states: a restore that left the bundle when the service stopped would be made
        // again (and run again, over newer data) when it starts, where GitOps prunes Jobs
        restore: restore.map(|command| restore_job(cx, backup, procedure, command)),
        network_policy: network_policy(cx, backup),
        restore_access: restore.map(|_| restore_access(cx)),
    })
}

/// The label that selects the backup and restore pods of this service.
#[must_use]
pub fn pod_selector(cx: &Context) -> BTreeMap<String, String> {
    cx.helper_selector(POD_NAME_LABEL)
}

fn labels(cx: &Context) -> BTreeMap<String, String> {
    cx.helper_labels("backup", POD_NAME_LABEL)
}

fn meta(cx: &Context, name: String) -> ObjectMeta {
    cx.helper_meta(name, "backup", POD_NAME_LABEL)
}

/// The default schedule: daily, at a minute and hour derived from the namespace and name, so
/// that instances spread their backups (and their load on the store) over the day.
#[must_use]
pub fn default_schedule(namespace: &str, name: &str) -> String {
    let h = crate::credentials::fnv1a(format!("{namespace}/{name}").as_bytes());
    format!("{} {} * * *", h % 60, (h >> 16) % 24)
}

/// The longest time between two backups the schedule can leave, in hours, rounded up to the
/// schedule's class (hourly, daily, weekly, monthly, yearly): what the backup alert waits for,
/// twice over, before it says a backup is missing.
#[must_use]
pub fn longest_gap_hours(schedule: &str) -> u64 {
    match schedule {
        "@hourly" => return 1,
        "@daily" | "@midnight" => return 24,
        "@weekly" => return 24 * 7,
        "@monthly" => return 24 * 31,
        "@yearly" | "@annually" => return 24 * 366,
        _ => {}
    }
    let f: Vec<&str> = schedule.split_whitespace().collect();
    let any = |i: usize| f.get(i).is_none_or(|v| *v == "*" || *v == "?");
    if !any(3) {
        24 * 366 // some months only
    } else if !any(2) {
        24 * 31 // some days of the month
    } else if !any(4) {
        24 * 7 // some days of the week
    } else if let Some(step) = f.get(1).and_then(|h| if *h == "*" { Some(1) } else { h.strip_prefix("*/")?.parse::<u64>().ok() }) {
        step.clamp(1, 24) // every hour, or every few hours
    } else {
        24 // some hours of every day
    }
}

/// The alert that says backups stopped succeeding: no successful backup for twice the longest
/// gap the schedule leaves (or none at all that long after the CronJob was made), from
/// kube-state-metrics' CronJob series. None without backups.
#[must_use]
pub fn alert(cx: &Context) -> Option<crate::monitoring::Rule> {
    let (Some(backup), Some(_)) = (&cx.spec.backup, &cx.spec.runtime.backup) else { return None };
    let schedule = backup.schedule.clone().unwrap_or_else(|| default_schedule(&cx.namespace, &cx.name));
    let hours = 2 * longest_gap_hours(&schedule);
    let sel = format!("{{namespace=\"{}\", cronjob=\"{}-backup\"}}", cx.namespace, cx.name);
    let secs = hours * 3600;
    Some(crate::monitoring::Rule {
        alert: Some("OsscBackupMissing".to_owned()),
        expr: format!(
            "(time() - kube_cronjob_status_last_successful_time{sel} > {secs})\nor\n\
             ((time() - kube_cronjob_created{sel} > {secs})\n  unless on(namespace, cronjob)\n  kube_cronjob_status_last_successful_time{sel})"
        ),
        for_: Some("10m".to_owned()),
        labels: BTreeMap::from([("service".to_owned(), cx.name.clone()), ("severity".to_owned(), "warning".to_owned())]),
        annotations: BTreeMap::from([
            ("summary".to_owned(), format!("{} has had no successful backup for {hours} hours", cx.name)),
            (
                "description".to_owned(),
                format!(
                    "No backup of {name} in {ns} has succeeded for {hours} hours (twice the longest gap of its schedule `{schedule}`): `kubectl get jobs -n {ns} -l app.kubernetes.io/name={POD_NAME_LABEL}` lists the attempts, `kubectl logs -n {ns} job/JOB --all-containers` says why.",
                    name = cx.name,
                    ns = cx.namespace
                ),
            ),
        ]),
        ..crate::monitoring::Rule::default()
    })
}

/// The store prefix of an instance's backups: `NAMESPACE/INSTANCE`.
fn prefix(namespace: &str, instance: &str) -> String {
    format!("{namespace}/{instance}")
}

/// Takes a backup and uploads it; keeps the newest `keep` complete ones.
const UPLOAD_SCRIPT: &str = r#"set -eu
[ -f /etc/ossc/store/ca.crt ] && export AWS_CA_BUNDLE=/etc/ossc/store/ca.crt
export AWS_DEFAULT_REGION="${OSS_STORE_REGION:-us-east-1}" AWS_ENDPOINT_URL="$OSS_STORE_URI"
base="s3://$OSS_BUCKET/$OSS_PREFIX"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
aws s3api head-bucket --bucket "$OSS_BUCKET" >/dev/null 2>&1 || aws s3api create-bucket --bucket "$OSS_BUCKET" >/dev/null
aws s3 cp --recursive --only-show-errors "$OSS_BACKUP_DIR" "$base/$stamp/"
echo "$stamp" | aws s3 cp --only-show-errors - "$base/$stamp/ossc-backup-complete"
echo "backup $base/$stamp/ complete:"
aws s3 ls --recursive "$base/$stamp/"
# the complete backups, oldest first; those beyond the newest $OSS_KEEP go, and so do
# incomplete ones older than the newest complete (a backup that failed half-way)
aws s3 ls "$base/" | awk '$1 == "PRE" { sub("/$", "", $2); print $2 }' | sort > /tmp/all
aws s3 ls --recursive "$base/" | awk '{ print $4 }' | sed -n 's#^.*/\([0-9T]*Z\)/ossc-backup-complete$#\1#p' | sort > /tmp/complete
n=$(wc -l < /tmp/complete)
newest=$(tail -n 1 /tmp/complete)
while read -r p; do
  if grep -qx "$p" /tmp/complete; then
    [ "$n" -gt "$OSS_KEEP" ] || continue
    n=$((n - 1))
  elif ! [ "$(echo "$p" | tr -d TZ)" -lt "$(echo "$newest" | tr -d TZ)" ] 2>/dev/null; then
    continue
  fi
  echo "deleting $base/$p/"
  aws s3 rm --recursive --only-show-errors "$base/$p/"
done < /tmp/all
[ -n "${OSS_ARCHIVE_MARGIN:-}" ] || exit 0
# the software's archive: what it wrote before the oldest backup kept began (its stamp less
# the longest a backup takes) serves no restore; keep/ stays
oldest=$(tail -n "$OSS_KEEP" /tmp/complete | head -n 1)
s=$(echo "$oldest" | sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3 \4:\5:\6/')
before=$(date -u -d "@$(( $(date -u -d "$s" +%s) - OSS_ARCHIVE_MARGIN ))" +%Y%m%d%H%M%S)
aws s3 ls --recursive "$base/archive/" | awk -v before="$before" -v keep="$OSS_PREFIX/archive/keep/" '
  { t = $1 $2; gsub(/[^0-9]/, "", t); k = $0; sub(/^[^ ]+ +[^ ]+ +[0-9]+ /, "", k) }
  t < before && index(k, keep) != 1 { print k }' > /tmp/old
n=$(wc -l < /tmp/old)
[ "$n" -gt 0 ] || exit 0
echo "deleting $n object(s) of the archive written before $before (UTC)"
split -l 1000 /tmp/old /tmp/old.
for part in /tmp/old.*; do
  sed 's/[\\"]/\\&/g; s/.*/{"Key":"&"}/' "$part" | paste -sd, - | sed 's/^/{"Objects":[/; s/$/],"Quiet":true}/' > /tmp/delete.json
  aws s3api delete-objects --bucket "$OSS_BUCKET" --delete file:///tmp/delete.json > /dev/null
done
"#;

/// Waits until `$OSS_WAIT_FOR` (`HOST:PORT`, the service's client endpoint) accepts a TCP
/// connection: bash's `/dev/tcp` (the uploader's image has bash and coreutils' `timeout`),
/// every 2 s, a line every 30 s; the Job's deadline bounds it.
const WAIT_SCRIPT: &str = r#"set -u
host="${OSS_WAIT_FOR%:*}" port="${OSS_WAIT_FOR##*:}" try=0
# shellcheck disable=SC2016 # the inner shell expands $0 and $1
until timeout 3 bash -c ': > "/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; do
  [ $((try % 15)) -eq 0 ] && echo "waiting for $OSS_WAIT_FOR to accept a connection from this pod"
  try=$((try + 1))
  sleep 2
done
echo "$OSS_WAIT_FOR accepts connections"
"#;

/// Fetches the backup a restore asks for (the newest complete one for `latest`).
const DOWNLOAD_SCRIPT: &str = r#"set -eu
[ -f /etc/ossc/store/ca.crt ] && export AWS_CA_BUNDLE=/etc/ossc/store/ca.crt
export AWS_DEFAULT_REGION="${OSS_STORE_REGION:-us-east-1}" AWS_ENDPOINT_URL="$OSS_STORE_URI"
base="s3://$OSS_BUCKET/$OSS_PREFIX"
stamp="$OSS_RESTORE"
if [ "$stamp" = latest ]; then
  # with a time to restore to: the newest stored before it
  before=$(echo "${OSS_RESTORE_TIME:-99999999999999}" | tr -dc 0-9)
  stamp=$(aws s3 ls --recursive "$base/" | awk '{ print $4 }' | sed -n 's#^.*/\([0-9T]*Z\)/ossc-backup-complete$#\1#p' | sort \
    | while read -r s; do [ "$(echo "$s" | tr -dc 0-9)" -le "$before" ] && echo "$s"; done | tail -n 1)
  [ -n "$stamp" ] || { echo "no complete backup under $base/${OSS_RESTORE_TIME:+ stored before $OSS_RESTORE_TIME}" >&2; exit 1; }
fi
aws s3 ls "$base/$stamp/ossc-backup-complete" >/dev/null || { echo "$base/$stamp/ is not a complete backup" >&2; exit 1; }
aws s3 cp --recursive --only-show-errors --exclude ossc-backup-complete "$base/$stamp/" "$OSS_BACKUP_DIR/"
echo "restoring $base/$stamp/:"
ls -l "$OSS_BACKUP_DIR"
"#;

fn plain(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar { name: name.to_owned(), value: Some(value.into()), value_from: None }
}

/// The uploader's environment: where the backups are, and the store's address and keys from
/// its binding Secret (`username` the access key, `password` the secret key, `uri` the
/// endpoint, `region` when it has one).
fn uploader_env(backup: &Backup, prefix: String, dir: &str) -> Vec<EnvVar> {
    let binding = format!("{}-binding", backup.store.service);
    let key = |name: &str, key: &str, optional: bool| EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: binding.clone(), key: key.to_owned(), optional: Some(optional) }),
            ..EnvVarSource::default()
        }),
    };
    vec![
        plain("HOME", "/tmp"),
        plain("OSS_BACKUP_DIR", dir),
        plain("OSS_BUCKET", backup.store.bucket.clone()),
        plain("OSS_PREFIX", prefix),
        plain("OSS_KEEP", backup.keep.to_string()),
        key("AWS_ACCESS_KEY_ID", "username", false),
        key("AWS_SECRET_ACCESS_KEY", "password", false),
        key("OSS_STORE_URI", "uri", false),
        key("OSS_STORE_REGION", "region", true),
        // S3-compatible stores: checksums only where the API requires them (the CLI's 2.23
        // default adds trailing checksums that not every store takes), no instance metadata
        plain("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"),
        plain("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required"),
        plain("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

/// The upload's environment; with an archive, how long before the oldest backup kept the
/// archive is still needed (the longest a backup may take: it began before its stamp).
fn upload_env(cx: &Context, backup: &Backup, procedure: &RuntimeBackup) -> Vec<EnvVar> {
    let mut env = uploader_env(backup, prefix(&cx.namespace, &cx.name), BACKUP_DIR);
    if procedure.archive.is_some() {
        env.push(plain("OSS_ARCHIVE_MARGIN", procedure.timeout.secs_ceil().to_string()));
    }
    env
}

/// A restore's moment and the archive it replays, for the download and the packager's
/// restore or seed command of a procedure that keeps an archive: `$OSS_RESTORE_TIME` (empty
/// for as far as the archive goes) and `$OSS_RESTORE_ARCHIVE_PREFIX`.
fn restore_archive_env(cx: &Context, backup: &Backup, procedure: &RuntimeBackup) -> Vec<EnvVar> {
    if procedure.archive.is_none() {
        return vec![];
    }
    let (source, _) = restore_source(cx, backup);
    let time = backup.restore.as_ref().and_then(|r| r.time.clone()).unwrap_or_default();
    vec![plain("OSS_RESTORE_TIME", time), plain("OSS_RESTORE_ARCHIVE_PREFIX", format!("{source}/{ARCHIVE_DIR}"))]
}

/// The consumer's backups and the procedure, when it keeps an archive.
fn archiving(spec: &oss_spec::Spec) -> Option<(&Backup, &RuntimeBackup)> {
    let (Some(backup), Some(procedure)) = (&spec.backup, &spec.runtime.backup) else { return None };
    procedure.archive.as_ref().map(|_| (backup, procedure))
}

/// What the software's container gets when its procedure keeps an archive: the store's
/// binding (a volume, optional: the pods start before the store admits the namespace, and
/// the kubelet adds the files when the Secret comes), its mount, and the variables.
#[derive(Debug)]
pub struct Archive {
    /// The binding Secret, every key.
    pub volume: Volume,
    /// At [`ARCHIVE_STORE_DIR`], read-only.
    pub mount: VolumeMount,
    /// `OSS_ARCHIVE_STORE`, `OSS_ARCHIVE_BUCKET`, `OSS_ARCHIVE_PREFIX`.
    pub env: Vec<EnvVar>,
}

/// The archive's pieces for the software's container; none unless the consumer asked for
/// backups and the procedure keeps an archive.
#[must_use]
pub fn archive(cx: &Context) -> Option<Archive> {
    let (backup, _) = archiving(cx.spec)?;
    let name = "ossc-backup-store";
    Some(Archive {
        volume: Volume {
            name: name.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(format!("{}-binding", backup.store.service)),
                default_mode: Some(0o440),
                optional: Some(true),
                items: None,
            }),
            ..Volume::default()
        },
        mount: mount(name, ARCHIVE_STORE_DIR, true),
        env: vec![
            plain("OSS_ARCHIVE_STORE", ARCHIVE_STORE_DIR),
            plain("OSS_ARCHIVE_BUCKET", backup.store.bucket.clone()),
            plain("OSS_ARCHIVE_PREFIX", format!("{}/{ARCHIVE_DIR}", prefix(&cx.namespace, &cx.name))),
        ],
    })
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount { name: name.to_owned(), mount_path: path.to_owned(), read_only: read_only.then_some(true), ..VolumeMount::default() }
}

/// The mounts of the uploader in a backup or restore pod.
fn uploader_mounts() -> Vec<VolumeMount> {
    vec![mount("tmp", "/tmp", false), mount("backup", BACKUP_DIR, false), mount("store-ca", STORE_CA_DIR, true)]
}

fn uploader(name: &str, script: &str, env: Vec<EnvVar>, mounts: Vec<VolumeMount>) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(UPLOADER_IMAGE.to_owned()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()]),
        env: Some(env),
        resources: Some(crate::lower::resources(UPLOADER.0, UPLOADER.1, TMP_MIB << 20)),
        security_context: Some(security::container_security_context()),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

/// An uploader that copies the backup (up, or down for a restore) with the procedure's CPU
/// when the packager gave it more than the uploader's own: a procedure given more CPU moves
/// more data, and the AWS CLI's copying is CPU-bound (at 100m each call takes about 7 s
/// before it copies anything). Memory stays the uploader's. The pod's totals do not change:
/// it counts its larger container (`larger_container`).
fn copier(procedure: &RuntimeBackup, mut container: Container) -> Container {
    if procedure.pod.cpu.nanos() > nanos(UPLOADER.0) {
        container.resources = Some(crate::lower::resources(procedure.pod.cpu.as_str(), UPLOADER.1, TMP_MIB << 20));
    }
    container
}

/// The `wait` init container: until the service's first endpoint (its client port, on the
/// client Service) accepts a connection from the pod; none for a service without one.
fn waiter(cx: &Context) -> Option<Container> {
    let port = cx.spec.function.endpoints.iter().find(|p| p.protocol == oss_spec::model::Protocol::Tcp)?;
    let mut wait = uploader("wait", WAIT_SCRIPT, vec![plain("OSS_WAIT_FOR", format!("{}:{}", cx.name, port.port))], vec![]);
    wait.command = Some(vec!["/bin/bash".to_owned(), "-c".to_owned(), WAIT_SCRIPT.to_owned()]);
    wait.volume_mounts = None;
    Some(wait)
}

/// The software's container: the packager's command with the service's client tools.
fn software(cx: &Context, procedure: &RuntimeBackup, name: &str, command: &[String], scratch: i128) -> Container {
    let (image, _, _) = procedure.pod.identity(&cx.spec.runtime);
    let env = crate::bootstrap::env(cx, vec![plain("OSS_BACKUP_DIR", BACKUP_DIR)], &procedure.pod);
    Container {
        name: name.to_owned(),
        image: Some(image.to_string()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(command.iter().map(|a| crate::lower::expand_plain(cx, a)).collect()),
        env: Some(env),
        resources: Some(crate::lower::resources(procedure.pod.cpu.as_str(), procedure.pod.memory.as_str(), (TMP_MIB << 20) + scratch)),
        security_context: Some(security::container_security_context()),
        volume_mounts: Some(
            [mount("tmp", "/tmp", false), mount("backup", BACKUP_DIR, false)]
                .into_iter()
                .chain(cx.tls().map(|tls| mount("tls-ca", tls.path.as_str(), true)))
                .collect(),
        ),
        ..Container::default()
    }
}

/// The store's CA from its binding Secret, when it has one (a store with TLS).
fn store_ca_volume(name: &str, backup: &Backup) -> Volume {
    Volume {
        name: name.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(format!("{}-binding", backup.store.service)),
            items: Some(vec![KeyToPath { key: "ca.crt".to_owned(), path: "ca.crt".to_owned(), mode: None }]),
            default_mode: Some(0o444),
            // a store without TLS has no `ca.crt` in its binding
            optional: Some(true),
        }),
        ..Volume::default()
    }
}

/// The pod both run in: the software's identity, no API token mounted by the kubelet, `wait`,
/// the `init` containers, then `main`. A restore's pod runs as its own ServiceAccount
/// ([`RestoreAccess`]), whose token only its record's two steps mount; the record's check
/// (`check`) comes first, before `wait`.
fn pod(
    cx: &Context,
    backup: &Backup,
    procedure: &RuntimeBackup,
    (check, init, main): (Option<Container>, Vec<Container>, Container),
    component: &str,
) -> PodTemplateSpec {
    let (_, user, group) = procedure.pod.identity(&cx.spec.runtime);
    let mut pod_labels = labels(cx);
    pod_labels.insert("app.kubernetes.io/component".to_owned(), component.to_owned());
    let store_ca = store_ca_volume("store-ca", backup);
    let api = component == "restore";
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels),
            // `kubectl logs job/NAME`: the software's restore, not the record's step
            annotations: api.then(|| BTreeMap::from([("kubectl.kubernetes.io/default-container".to_owned(), "restore".to_owned())])),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(if api { restore_identity(cx) } else { cx.name.clone() }),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            restart_policy: Some("Never".to_owned()),
            security_context: Some(security::pod_security_context(cx.target.fixed_ids().then_some((user, group)), false)),
            init_containers: Some(check.into_iter().chain(waiter(cx)).chain(init).collect()),
            containers: vec![main],
            volumes: Some(
                [
                    crate::lower::empty_dir("tmp", false, &format!("{TMP_MIB}Mi")),
                    crate::lower::empty_dir("backup", false, backup.scratch.as_ref().unwrap_or(&cx.spec.capacity.storage).as_str()),
                    store_ca,
                ]
                .into_iter()
                .chain(cx.tls().map(|_| crate::bootstrap::tls_ca_volume(cx)))
                .chain(api.then(api_token_volume))
                .collect(),
            ),
            ..PodSpec::default()
        }),
    }
}

/// The checkov skips a backup or restore pod needs, as annotations.
fn skips(cx: &Context, procedure: &RuntimeBackup) -> Option<BTreeMap<String, String>> {
    let (image, user, _) = procedure.pod.identity(&cx.spec.runtime);
    // The uploader's image is pinned by tag, as the software's may be; both read Secrets
    // into their environment (the store's keys, the software's credentials).
    let skips = security::skips_for(image.has_digest() && UPLOADER_IMAGE.contains('@'), user, cx.target, true, false, false);
    (!skips.is_empty())
        .then(|| skips.iter().enumerate().map(|(i, s)| (format!("checkov.io/skip{}", i + 1), format!("{}={}", s.id, s.reason))).collect())
}

/// The scratch directory's size in bytes: `backup.scratch`, else the data volume's size.
fn scratch_bytes(cx: &Context, backup: &Backup) -> i128 {
    backup.scratch.as_ref().unwrap_or(&cx.spec.capacity.storage).nanos() / 1_000_000_000
}

fn cron_job(cx: &Context, backup: &Backup, procedure: &RuntimeBackup, suspend: bool) -> CronJob {
    let scratch = scratch_bytes(cx, backup);
    let containers = (
        None,
        vec![software(cx, procedure, "backup", &procedure.run, scratch)],
        copier(procedure, uploader("upload", UPLOAD_SCRIPT, upload_env(cx, backup, procedure), uploader_mounts())),
    );
    let mut m = meta(cx, format!("{}-backup", cx.name));
    m.annotations = skips(cx, procedure);
    CronJob {
        metadata: m,
        spec: Some(CronJobSpec {
            schedule: backup.schedule.clone().unwrap_or_else(|| default_schedule(&cx.namespace, &cx.name)),
            time_zone: Some("Etc/UTC".to_owned()),
            concurrency_policy: Some("Forbid".to_owned()),
            // a backup missed by more than this (the controller down) waits for the next one
            starting_deadline_seconds: Some(3600),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            suspend: Some(suspend),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels(cx)), ..ObjectMeta::default() }),
                spec: Some(JobSpec {
                    backoff_limit: Some(2),
                    active_deadline_seconds: Some(i64::try_from(procedure.timeout.secs_ceil()).unwrap_or(i64::MAX)),
                    template: pod(cx, backup, procedure, containers, "backup"),
                    ..JobSpec::default()
                }),
            },
        }),
        ..CronJob::default()
    }
}

/// Where the restore asked for reads: the store prefix of the instance it names (this one by
/// default) and the backup's stamp (`latest` by default).
fn restore_source(cx: &Context, backup: &Backup) -> (String, String) {
    let restore = backup.restore.as_ref();
    // as every reference to another instance: its namespace defaults to its name (the one
    // ossc gives it); this instance's own backups are in this namespace
    let instance = restore.and_then(|r| r.instance.as_deref()).unwrap_or(&cx.name);
    let namespace = match restore.map(|r| (r.instance.as_deref(), r.namespace.as_deref())) {
        Some((_, Some(ns)) | (Some(ns), None)) => ns,
        _ => &cx.namespace,
    };
    (prefix(namespace, instance), restore.map_or("latest", |r| r.backup.as_str()).to_owned())
}

/// The uploader's environment to fetch the restore's backup into `dir`.
fn download_env(cx: &Context, backup: &Backup, dir: &str) -> Vec<EnvVar> {
    let (prefix, stamp) = restore_source(cx, backup);
    let mut env = uploader_env(backup, prefix, dir);
    env.retain(|e| e.name != "OSS_KEEP");
    env.push(plain("OSS_RESTORE", stamp));
    if let Some(time) = backup.restore.as_ref().and_then(|r| r.time.as_ref()) {
        env.push(plain("OSS_RESTORE_TIME", time.clone()));
    }
    env
}

fn restore_job(cx: &Context, backup: &Backup, procedure: &RuntimeBackup, command: &[String]) -> Job {
    let env = download_env(cx, backup, BACKUP_DIR);
    let scratch = scratch_bytes(cx, backup);
    let key = restore_key(cx, backup);
    let check = restore_step("record-check", RESTORE_CHECK_SCRIPT, cx, &key);
    let download =
        copier(procedure, uploader("download", &format!("{RESTORE_GATE}{DOWNLOAD_SCRIPT}{RESTORE_SOURCE}"), env, uploader_mounts()));
    let mut restore = software(cx, procedure, "restore", command, scratch);
    if let Some(env) = restore.env.as_mut() {
        env.extend(restore_archive_env(cx, backup, procedure));
    }
    // the software's command, unless the record says this restore was done into this data
    let gate = format!("{RESTORE_GATE}exec \"$@\"");
    restore.command = Some(
        ["/bin/sh".to_owned(), "-c".to_owned(), gate, "restore".to_owned()]
            .into_iter()
            .chain(restore.command.unwrap_or_default())
            .collect(),
    );
    let record = restore_step("record", RESTORE_RECORD_SCRIPT, cx, &key);
    let template = pod(cx, backup, procedure, (Some(check), vec![download, restore], record), "restore");
    // The name carries a hash of everything the pod runs (a Job's pod cannot change): an
    // unchanged restore is never made again, and a changed pod is a new Job, which the record
    // keeps from restoring again unless the request changed.
    let content = serde_json::to_string(&template).unwrap_or_default();
    let mut m = meta(cx, format!("{}-restore-{:08x}", cx.name, crate::credentials::fnv1a(content.as_bytes()) >> 32));
    if let Some(l) = m.labels.as_mut() {
        // what `kubectl wait` selects (the backups' Jobs are `backup`)
        l.insert("app.kubernetes.io/component".to_owned(), "restore".to_owned());
    }
    m.annotations = skips(cx, procedure);
    Job {
        metadata: m,
        spec: Some(JobSpec {
            backoff_limit: Some(6),
            active_deadline_seconds: Some(i64::try_from(procedure.timeout.secs_ceil()).unwrap_or(i64::MAX)),
            template,
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// The head of the download's and the software's scripts in a restore: nothing to do when
/// the record has this restore already.
const RESTORE_GATE: &str = r#"if [ -e /tmp/ossc-restored ]; then echo "this restore was done into this instance's data already: nothing to do"; exit 0; fi
"#;

/// The download's tail: which backup it fetched, for the record.
const RESTORE_SOURCE: &str = r#"echo "$base/$stamp/" > /tmp/ossc-restore-source
"#;

/// The head of both record steps' scripts (curl's image, the restore's own API token):
/// `call ARGS…` prints the HTTP status (the body goes to /tmp/body), retrying while a
/// NetworkPolicy engine has not admitted the new pod yet (the check runs before `wait`);
/// `fail WHAT CODE` says what failed with the API's answer.
const RESTORE_API: &str = r#"set -eu
sa=/var/run/secrets/kubernetes.io/serviceaccount
api="https://kubernetes.default.svc/api/v1/namespaces/$(cat "$sa/namespace")"
call() { curl -sS -A ossc-restore --connect-timeout 5 --retry 10 --retry-delay 3 --retry-connrefused -o /tmp/body -w '%{http_code}' --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" "$@"; }
fail() { echo "$1: HTTP $2" >&2; cat /tmp/body >&2; exit 1; }
"#;

/// The restore's first step (after [`RESTORE_API`]): reads the record of the restores done
/// into the instance's data (`$OSS_RESTORE_RECORD`, a ConfigMap) and leaves
/// `/tmp/ossc-restored` (the pod's shared `/tmp`) when it has this one (`$OSS_RESTORE_KEY`, a
/// hash of the request, not of what the pod runs).
const RESTORE_CHECK_SCRIPT: &str = r#"code=$(call "$api/configmaps/$OSS_RESTORE_RECORD")
case "$code" in
  200)
    done=$(tr -d '\n' < /tmp/body | sed -n "s/.*\"$OSS_RESTORE_KEY\": *\"\([^\"]*\)\".*/\1/p")
    if [ -n "$done" ]; then
      echo "restore $OSS_RESTORE_KEY was done into this instance's data already ($done): it is not run again"
      : > /tmp/ossc-restored
    else
      echo "restore $OSS_RESTORE_KEY: not done into this instance's data yet"
    fi ;;
  404) echo "restore $OSS_RESTORE_KEY: no restore done into this instance's data yet" ;;
  *) fail "reading ConfigMap $OSS_RESTORE_RECORD" "$code" ;;
esac
"#;

/// The restore's last step (after [`RESTORE_API`]; its main container: it runs once every
/// other step succeeded): records this restore in the ConfigMap, created owned by every claim
/// of the instance (those the label selector `$OSS_RESTORE_CLAIMS` lists: each member's data
/// and other volumes), so that the record goes when the data goes: the garbage collector
/// deletes it once its last owner is gone, and one member's lost disk (its claim made again)
/// leaves it.
const RESTORE_RECORD_SCRIPT: &str = r#"[ ! -e /tmp/ossc-restored ] || exit 0
# every claim of the instance owns the record: it goes only when the last of them goes
code=$(call -G --data-urlencode "labelSelector=$OSS_RESTORE_CLAIMS" "$api/persistentvolumeclaims")
[ "$code" = 200 ] || fail "listing the claims ($OSS_RESTORE_CLAIMS)" "$code"
owners=$(tr -d ' \n' < /tmp/body | tr '{' '\n' \
  | sed -n 's/^"name":"\([^"]*\)","namespace":"[^"]*","uid":"\([^"]*\)".*/{"apiVersion":"v1","kind":"PersistentVolumeClaim","name":"\1","uid":"\2"}/p' \
  | tr '\n' ',' | sed 's/,$//')
[ -n "$owners" ] || fail "no claim of the instance ($OSS_RESTORE_CLAIMS)" "$code"
what="$(cat /tmp/ossc-restore-source) by job $OSS_JOB"
code=$(call -X POST -H 'Content-Type: application/json' --data-binary \
  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$OSS_RESTORE_RECORD\",\"labels\":$OSS_RESTORE_LABELS,\"ownerReferences\":[$owners]},\"data\":{\"$OSS_RESTORE_KEY\":\"$what\"}}" \
  "$api/configmaps")
if [ "$code" = 409 ]; then
  code=$(call -X PATCH -H 'Content-Type: application/merge-patch+json' --data-binary "{\"data\":{\"$OSS_RESTORE_KEY\":\"$what\"}}" "$api/configmaps/$OSS_RESTORE_RECORD")
fi
case "$code" in
  200|201) echo "recorded in ConfigMap $OSS_RESTORE_RECORD: restore $OSS_RESTORE_KEY ($what), owned by the claims of $OSS_RESTORE_CLAIMS" ;;
  *) fail "writing ConfigMap $OSS_RESTORE_RECORD" "$code" ;;
esac
"#;

/// The restore's API token, mounted in its record's steps alone.
const API_TOKEN_VOLUME: &str = "api-token";
/// Where a pod's API token is, as if mounted by the kubelet (curl's steps read it there).
const API_TOKEN_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The token of the restore's ServiceAccount (an hour, renewed by the kubelet), the cluster's
/// CA and the namespace: what the kubelet mounts into every container, for two containers.
fn api_token_volume() -> Volume {
    let file = |key: &str| KeyToPath { key: key.to_owned(), path: key.to_owned(), mode: None };
    Volume {
        name: API_TOKEN_VOLUME.to_owned(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(0o444),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".to_owned(),
                        expiration_seconds: Some(3600),
                        audience: None,
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".to_owned(),
                        items: Some(vec![file("ca.crt")]),
                        optional: None,
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".to_owned(),
                            field_ref: Some(ObjectFieldSelector { field_path: "metadata.namespace".to_owned(), api_version: None }),
                            ..DownwardAPIVolumeFile::default()
                        }]),
                    }),
                    ..VolumeProjection::default()
                },
            ]),
        }),
        ..Volume::default()
    }
}

/// The record of the restores done into the instance's data.
pub(crate) fn restore_record(cx: &Context) -> String {
    format!("{}-restored", cx.name)
}

/// The restore pod's identity (ServiceAccount, Role and RoleBinding).
fn restore_identity(cx: &Context) -> String {
    format!("{}-restore", cx.name)
}

/// The restore asked for, as a key of the record: a hash of the request with its defaults
/// filled in (which store and bucket, which instance's backups, which backup), never of what
/// the pod runs, nor of how the model serializes: another ossc or software version must find
/// the same key, or it would restore again. Its text is fixed (a unit test pins a key).
fn restore_key(cx: &Context, backup: &Backup) -> String {
    let (source, stamp) = restore_source(cx, backup);
    let store = &backup.store;
    let mut request = format!("s3://{}/{source}/{stamp} from {}.{}", store.bucket, store.service, store.namespace());
    // (a request without a time keeps the key older releases recorded)
    if let Some(time) = backup.restore.as_ref().and_then(|r| r.time.as_ref()) {
        request.push_str(&format!(" at {time}"));
    }
    format!("restore-{:08x}", crate::credentials::fnv1a(request.as_bytes()) >> 32)
}

/// A step of the restore pod in curl's image (the record's check and write).
fn restore_step(name: &str, script: &str, cx: &Context, key: &str) -> Container {
    let mut step = crate::credentials::step(name, crate::credentials::IMAGE, format!("{RESTORE_API}{script}"), false);
    let labels = serde_json::to_string(&BTreeMap::from([
        ("app.kubernetes.io/instance", cx.name.as_str()),
        ("app.kubernetes.io/name", POD_NAME_LABEL),
        ("app.kubernetes.io/component", "restore"),
        ("app.kubernetes.io/managed-by", "ossc"),
    ]))
    .unwrap_or_default();
    // the API token in these two steps alone (the pod mounts none)
    step.volume_mounts = Some(vec![mount("tmp", "/tmp", false), mount(API_TOKEN_VOLUME, API_TOKEN_DIR, true)]);
    step.env = Some(vec![
        plain("OSS_RESTORE_RECORD", restore_record(cx)),
        plain("OSS_RESTORE_KEY", key),
        // the instance's claims carry its pods' selector (the StatefulSet puts it on them)
        plain("OSS_RESTORE_CLAIMS", cx.selector_text()),
        plain("OSS_RESTORE_LABELS", labels),
        EnvVar {
            name: "OSS_JOB".to_owned(),
            value: None,
            value_from: Some(Source {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.labels['batch.kubernetes.io/job-name']".to_owned(),
                    api_version: None,
                }),
                ..Source::default()
            }),
        },
    ]);
    step
}

/// The restore pod's identity and its way to the API server: it may read the record, list the
/// claims (their names and uids are the record's owners), and create or patch the record (`create` cannot be limited to a
/// name: RBAC knows none before the object exists).
fn restore_access(cx: &Context) -> RestoreAccess {
    let name = restore_identity(cx);
    let rule = |resource: &str, verbs: &[&str], names| crate::lower::policy_rule(&[""], &[resource], verbs, names);
    let mut restore_pods = pod_selector(cx);
    restore_pods.insert("app.kubernetes.io/component".to_owned(), "restore".to_owned());
    RestoreAccess {
        service_account: ServiceAccount { metadata: meta(cx, name.clone()), ..ServiceAccount::default() },
        role: Role {
            metadata: meta(cx, name.clone()),
            rules: Some(vec![
                rule("configmaps", &["get", "patch"], Some(vec![restore_record(cx)])),
                rule("configmaps", &["create"], None),
                // the instance's claims, by its selector (`list` cannot be limited to names)
                rule("persistentvolumeclaims", &["list"], None),
            ]),
        },
        role_binding: crate::lower::service_account_binding(meta(cx, name.clone()), &name, &cx.namespace),
        network_policy: NetworkPolicy {
            metadata: meta(cx, name),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector { match_labels: Some(restore_pods), ..LabelSelector::default() }),
                policy_types: Some(vec!["Egress".to_owned()]),
                ingress: None,
                egress: Some(vec![crate::lower::api_server_egress()]),
            }),
        },
    }
}

/// The directory under the data directory where a member's init container puts the backup it
/// seeds from (on the data volume, which has room for it; removed once seeded).
pub const SEED_DIR: &str = ".ossc-restore";

/// Fetches the backup a seeding restore asks for into the data volume, unless the volume
/// holds data already (a member that was seeded, or has run, before): then nothing.
const SEED_FETCH_SCRIPT: &str = r#"set -eu
rm -rf "$OSS_BACKUP_DIR"
for f in "$OSS_DATA_DIR"/* "$OSS_DATA_DIR"/.[!.]* "$OSS_DATA_DIR"/..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  case "${f##*/}" in lost+found|.ossc-restore) continue ;; esac
  echo "$OSS_DATA_DIR holds data ($f): this member is not seeded from a backup"
  exit 0
done
mkdir -p "$OSS_BACKUP_DIR"
"#;

/// Removes the fetched backup once the seed has written it into the data directory.
const SEED_CLEAN_SCRIPT: &str = r#"rm -rf "$OSS_BACKUP_DIR""#;

/// The consumer's backups, the procedure and its seed command, when the service restores by
/// seeding its members (the consumer asked for a restore and the procedure has a `seed`).
fn seeding(spec: &oss_spec::Spec) -> Option<(&Backup, &RuntimeBackup, &[String])> {
    let (Some(backup), Some(procedure)) = (&spec.backup, &spec.runtime.backup) else { return None };
    backup.restore.as_ref()?;
    Some((backup, procedure, procedure.seed.as_deref()?))
}

/// Whether this service restores by seeding its members.
#[must_use]
pub fn seeds(cx: &Context) -> bool {
    seeding(cx.spec).is_some()
}

/// A restore by seeding: the init containers of each member's pod and the volumes they add.
#[derive(Debug, Default)]
pub struct Seed {
    /// Fetch (the uploader), seed (the packager's command), clean (the uploader), in order.
    pub init_containers: Vec<Container>,
    /// A scratch `/tmp` for them and the store's CA.
    pub volumes: Vec<Volume>,
}

/// The seeding restore's containers and volumes for the member pods; none unless [`seeds`].
#[must_use]
pub fn seed(cx: &Context) -> Option<Seed> {
    let ((backup, procedure, command), Some(data)) = (seeding(cx.spec)?, &cx.spec.runtime.data_path) else { return None };
    let dir = format!("{}/{SEED_DIR}", data.as_str().trim_end_matches('/'));
    let (tmp, ca) = ("ossc-restore-tmp", "ossc-restore-store-ca");
    let data_mount = mount(crate::lower::DATA_VOLUME, data.as_str(), false);
    let mut fetch_env = download_env(cx, backup, &dir);
    fetch_env.insert(2, plain("OSS_DATA_DIR", data.as_str()));
    let mounts = vec![mount(tmp, "/tmp", false), data_mount.clone(), mount(ca, STORE_CA_DIR, true)];
    let fetch = copier(
        procedure,
        uploader("restore-fetch", &format!("{SEED_FETCH_SCRIPT}{}", DOWNLOAD_SCRIPT.trim_start_matches("set -eu\n")), fetch_env, mounts),
    );
    let (image, user, group) = procedure.pod.identity(&cx.spec.runtime);
    let (mut env, command) = crate::lower::expand_env_and_args(cx, command, procedure.pod.env.iter());
    let mut head = crate::bootstrap::home_unless_set(procedure.pod.env.keys().map(oss_spec::values::EnvName::as_str));
    head.push(plain("OSS_BACKUP_DIR", dir.clone()));
    head.extend(restore_archive_env(cx, backup, procedure));
    env.splice(0..0, head);
    let mut security_context = security::container_security_context();
    if (user, group) != (cx.spec.runtime.user, cx.spec.runtime.group) && cx.target.fixed_ids() {
        // another image's user, in the software's pod
        security_context.run_as_user = Some(i64::from(user));
        security_context.run_as_group = Some(i64::from(group));
    }
    let seed = Container {
        name: "restore-seed".to_owned(),
        image: Some(image.to_string()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(command),
        env: Some(env),
        resources: Some(crate::lower::resources(procedure.pod.cpu.as_str(), procedure.pod.memory.as_str(), TMP_MIB << 20)),
        security_context: Some(security_context),
        volume_mounts: Some(vec![mount(tmp, "/tmp", false), data_mount.clone()]),
        ..Container::default()
    };
    let clean =
        uploader("restore-clean", SEED_CLEAN_SCRIPT, vec![plain("OSS_BACKUP_DIR", dir)], vec![mount(tmp, "/tmp", false), data_mount]);
    Some(Seed {
        init_containers: vec![fetch, seed, clean],
        volumes: vec![crate::lower::empty_dir(tmp, false, &format!("{TMP_MIB}Mi")), store_ca_volume(ca, backup)],
    })
}

/// The member pods' way to the store while they seed from it, or when the software writes
/// its archive there (every port of its pods, as the backup pods').
#[must_use]
pub fn member_egress(cx: &Context) -> Option<NetworkPolicyEgressRule> {
    seeding(cx.spec).map(|(backup, _, _)| backup).or_else(|| archiving(cx.spec).map(|(backup, _)| backup)).map(store_egress)
}

/// The way to the store's pods: every port (the store's port is its binding's, unknown here).
fn store_egress(backup: &Backup) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule { to: Some(vec![crate::lower::instance_pods(&backup.store.service, backup.store.namespace())]), ports: None }
}

/// The backup and restore pods: nothing in; DNS, the service's endpoints and the store's pods
/// out (every port of them: the store's port is its binding's, unknown here).
fn network_policy(cx: &Context, backup: &Backup) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta(cx, format!("{}-backup", cx.name)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(pod_selector(cx)), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            ingress: None,
            egress: Some(vec![
                crate::lower::dns_egress(),
                NetworkPolicyEgressRule {
                    to: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(LabelSelector { match_labels: Some(cx.selector()), ..LabelSelector::default() }),
                        ..NetworkPolicyPeer::default()
                    }]),
                    ports: Some(crate::lower::np_ports(cx.spec.function.endpoints.iter())),
                },
                store_egress(backup),
            ]),
        }),
    }
}

/// CPU and memory (nano-units) of the largest init container of a seeding restore (the
/// packager's seed or the uploader); zero without one.
#[must_use]
pub fn seed_totals(spec: &oss_spec::Spec) -> (i128, i128) {
    seeding(spec).map_or((0, 0), |(_, procedure, _)| larger_container(procedure))
}

/// CPU and memory (nano-units) of the larger of the procedure's container and the uploader:
/// what a pod running them one after the other counts.
fn larger_container(procedure: &RuntimeBackup) -> (i128, i128) {
    (procedure.pod.cpu.nanos().max(nanos(UPLOADER.0)), procedure.pod.memory.nanos().max(nanos(UPLOADER.1)))
}

/// A quantity of this module's own (the uploader's CPU or memory) in nano-units.
fn nanos(quantity: &str) -> i128 {
    oss_spec::values::Quantity::parse(quantity).map_or(0, |q| q.nanos())
}

/// CPU and memory (nano-units) and pods of the backup and restore pods that may run at once:
/// a backup, and a restore when one is asked. A pod counts its larger container (one runs
/// after the other).
#[must_use]
pub fn pod_totals(spec: &oss_spec::Spec) -> (i128, i128, i128) {
    let (Some(backup), Some(procedure)) = (&spec.backup, &spec.runtime.backup) else { return (0, 0, 0) };
    let pods = 1 + i128::from(backup.restore.is_some() && procedure.restore.is_some());
    let (cpu, memory) = larger_container(procedure);
    (pods, pods * cpu, pods * memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_gap_follows_the_schedules_class() {
        for (schedule, hours) in [
            ("17 3 * * *", 24),
            ("0 1,13 * * *", 24),
            ("*/10 * * * *", 1),
            ("5 * * * *", 1),
            ("0 */6 * * *", 6),
            ("0 3 * * 0", 168),
            ("0 3 1 * *", 744),
            ("0 3 1 1 *", 8784),
            ("@weekly", 168),
            ("@hourly", 1),
        ] {
            assert_eq!(longest_gap_hours(schedule), hours, "{schedule}");
        }
    }

    #[test]
    fn the_restore_key_is_the_request_with_its_defaults_and_stays_fixed() {
        let spec = |restore: &str| {
            let set = format!("backup={{store: {{service: minio, bucket: db-backups}}, restore: {restore}}}");
            let options = oss_spec::Options { sets: vec![set], ..oss_spec::Options::default() };
            oss_spec::parse_with("t.yaml", include_str!("../../specs/postgres.yaml"), &options)
                .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
                .spec
        };
        let key = |restore: &str| {
            let spec = spec(restore);
            let cx = Context::new(&spec, &crate::Options::default());
            restore_key(&cx, spec.backup.as_ref().unwrap_or_else(|| panic!("no backup")))
        };
        // pinned: a new ossc must find the key an older one recorded, or it restores again
        assert_eq!(key("{instance: old-db}"), key("{instance: old-db, namespace: old-db, backup: latest}"));
        assert_eq!(key("{instance: old-db}"), "restore-7e710167");
        assert_ne!(key("{instance: old-db}"), key("{instance: old-db, backup: 20261204T031700Z}"));
        assert_ne!(key("{instance: old-db}"), key("{}"));
    }

    #[test]
    fn the_upload_prunes_the_archive_where_the_software_writes_it() {
        // the script names the place itself; the software is told it by OSS_ARCHIVE_PREFIX
        assert!(UPLOAD_SCRIPT.contains(&format!("\"$base/{ARCHIVE_DIR}/\"")), "{UPLOAD_SCRIPT}");
        assert!(UPLOAD_SCRIPT.contains(&format!("keep=\"$OSS_PREFIX/{ARCHIVE_DIR}/keep/\"")), "{UPLOAD_SCRIPT}");
    }

    #[test]
    fn default_schedule_is_a_valid_daily_time_that_differs_between_instances() {
        let a = default_schedule("db", "postgres");
        let fields: Vec<u64> = a.split(' ').take(2).map(|f| f.parse().unwrap()).collect();
        assert!(fields[0] < 60 && fields[1] < 24, "{a}");
        assert!(a.ends_with(" * * *"));
        assert_eq!(a, default_schedule("db", "postgres"));
        let others: std::collections::BTreeSet<String> = (0..20).map(|i| default_schedule("db", &format!("pg{i}"))).collect();
        assert!(others.len() > 10, "{others:?}");
    }
}
