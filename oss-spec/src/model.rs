//! The resolved Open Service Spec: plain data, every default filled in.
//!
//! Owns: the shape of the language (the JSON Schema is generated from these types). Values with
//! a grammar are newtypes from [`crate::values`]. Must not: hold spans (they live in
//! [`crate::SpanIndex`], keyed by path) or Kubernetes types.

use crate::values::{
    AbsPath, Decimal, Duration, EnvName, ImageRef, KnobName, Percent, PortName, PositiveQuantity, Quantity, ServiceName, Share, ShareOf,
};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The only `apiVersion` this version of ossc reads.
pub const API_VERSION: &str = "openservice.dev/v1alpha1";
/// The only `kind`.
pub const KIND: &str = "Service";

/// An Open Service Spec document.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Open Service Spec", extend("additionalProperties" = false))]
pub struct Spec {
    /// Always `openservice.dev/v1alpha1`.
    #[schemars(extend("const" = "openservice.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `Service`.
    #[schemars(extend("const" = "Service"))]
    pub kind: String,
    /// In an overlay: the spec it builds on, a catalog name or a path relative to this file
    /// (`./base.yaml`). Resolved away before anything else; never set in a resolved spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub extends: Option<String>,
    /// Name, title and version.
    pub metadata: Metadata,
    /// What the service provides to consumers.
    pub function: Function,
    /// How the software runs (the packager's side).
    pub runtime: Runtime,
    /// Service-specific settings the packager offers, typed and bounded.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub knobs: IndexMap<KnobName, Knob>,
    /// The consumer's values for knobs (a knob not set here takes its default).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub settings: IndexMap<KnobName, KnobValue>,
    /// CPU, memory and storage per replica.
    #[schemars(default)]
    pub capacity: Capacity,
    /// Replicas, quorum and failure-domain spread.
    #[schemars(default)]
    pub redundancy: Redundancy,
    /// Autoscaling.
    #[schemars(default)]
    pub scaling: Scaling,
    /// Who may connect and who may operate.
    #[schemars(default)]
    pub access: Access,
    /// Service level objectives.
    #[schemars(default)]
    pub slo: Slo,
    /// Running or stopped, restarts and upgrades.
    #[schemars(default)]
    pub lifecycle: Lifecycle,
    /// The packager's: the keys of the credentials Secret the software needs (docs/security.md).
    /// ossc emits a Job that creates that Secret in the cluster, once, with random values where
    /// a key says `random`; the output never holds a secret value. A consumer may bring their
    /// own Secret instead (`access.credentialsSecret`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub credentials: IndexMap<EnvName, CredentialKey>,
    /// The escape hatch: patches on emitted objects, for what the spec cannot express.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub patches: Vec<Patch>,
    /// Clusters to build for: one bundle each (docs/multicluster.md).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub clusters: Vec<ClusterSpec>,
    /// Backups to an object store, and a restore (needs the packager's `runtime.backup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<Backup>,
}

/// A patch on emitted objects (docs/patches.md).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend(
    "if" = {"properties": {"type": {"const": "json"}}, "required": ["type"]},
    "then" = {"properties": {"patch": {"type": "array", "items": {"type": "object", "required": ["op", "path"]}}}},
    "else" = {"properties": {"patch": {"type": "object"}}}
))]
pub struct Patch {
    /// Which objects: a kind, and a name (all objects of the kind when absent).
    pub target: PatchTarget,
    /// `strategic` (default: a partial object merged in) or `json` (RFC 6902 operations).
    #[serde(rename = "type")]
    #[schemars(default)]
    pub kind: PatchType,
    /// The partial object (strategic) or the list of operations (json).
    pub patch: serde_json::Value,
}

/// The objects a patch applies to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct PatchTarget {
    /// Object kind, e.g. `StatefulSet`.
    pub kind: String,
    /// Object name; every object of the kind when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// How a patch is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PatchType {
    /// A partial object, merged like `kubectl patch --type strategic`: maps merge, `null`
    /// deletes, lists of named items merge by name, other lists are replaced.
    #[default]
    Strategic,
    /// RFC 6902 JSON Patch operations.
    Json,
}

/// Identity of the service.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Metadata {
    /// Instance name: every object is named after it.
    pub name: ServiceName,
    /// Human-readable title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Version of the software (the `app.kubernetes.io/version` label); quote it.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"))]
    pub version: String,
    /// What the service is, in a sentence or two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Annotations of the spec document itself, for the tools that read it (kustomize's
    /// `config.kubernetes.io/function`, `ossc krm`'s build options). Never copied to objects.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub annotations: IndexMap<String, String>,
}

crate::spelled_enum! {
    serde
    /// Kinds of service, as a catalog groups them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
    #[allow(missing_docs)]
    pub enum Category {
        Nosql = "nosql",
        KeyValue = "key-value",
        Streaming = "streaming",
        ObjectStorage = "object-storage",
        Relational = "relational",
        Queue = "queue",
        Coordination = "coordination",
        Search = "search",
        Cache = "cache",
        Functions = "functions",
        Other = "other",
    }
}

/// The contract consumers get.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Function {
    /// Catalog category.
    pub category: Category,
    /// Cloud services this one stands in for (e.g. `DynamoDB`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub stands_in_for: Vec<String>,
    /// Client-facing ports: the client Service exposes them.
    #[schemars(default)]
    pub endpoints: Vec<PortSpec>,
    /// Replica-to-replica ports: only the service's own pods reach them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub peer_ports: Vec<PortSpec>,
    /// What high availability this service really gives (failover, quorum, what is lost), in
    /// prose, for the catalog. Be honest: say when it does not fail over by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<String>,
    /// What the software does to authenticate clients and protect traffic, in prose, for the
    /// catalog; say plainly when it has no authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    /// Clients pick a replica themselves (consistent hashing, as memcached clients do): a
    /// headless Service `<name>-replicas` resolves to every ready replica's address, beside the
    /// load-balancing client Service.
    #[schemars(default)]
    pub replica_addresses: bool,
    /// How applications bind to the service (the binding Secret, `ossc connect`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
    /// The software labels each pod with its role (Patroni's `role` label): the client Service
    /// then reaches only the primary, and `<name>-read` the replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Roles>,
}

/// The pod label through which the software says which member is the primary.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Roles {
    /// The label's key (a Kubernetes label name, not one of ossc's `app.kubernetes.io/*`).
    #[schemars(regex(
        // a DNS prefix of at most 253 characters in labels of at most 63, not ossc's own
        // `app.kubernetes.io`, as the parser (`role_label`) says
        pattern = r"^(?![^/]{254,}/)(?!app\.kubernetes\.io/)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
    ))]
    pub label: String,
    /// Its value on the member that takes writes: the client Service selects it.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"))]
    pub primary: String,
    /// Its value on the members that serve reads: a Service `<name>-read` selects it (none
    /// when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"))]
    pub replica: Option<String>,
}

/// A key of the credentials Secret: generated in the cluster, or a fixed value.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CredentialKey {
    /// `{random: N}`: N random letters and digits, made once in the cluster (16 to 256).
    #[schemars(extend("additionalProperties" = false))]
    Random {
        /// Length.
        #[schemars(range(min = 16, max = 256))]
        random: u16,
    },
    /// `{value: TEXT}`: a fixed, non-secret value such as a user name (`${knobs.*}` and
    /// `${service.name}` allowed).
    #[schemars(extend("additionalProperties" = false))]
    Value {
        /// The value.
        value: String,
    },
}

/// How applications bind to the service: the Service Binding for Kubernetes Secret
/// (servicebinding.io) `<name>-binding` and what `ossc connect` prints.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Binding {
    /// The binding `type` (e.g. `postgresql`, `redis`, `kafka`); the Secret's type is
    /// `servicebinding.io/<type>`.
    #[serde(rename = "type")]
    #[schemars(regex(pattern = "^[a-z][a-z0-9-]{0,62}$"))]
    pub kind: String,
    /// The endpoint whose port is the binding's `port` (default: the first endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<PortName>,
    /// Scheme of the binding's `uri` (default: the type).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z][a-z0-9+.-]{0,62}$"))]
    pub scheme: Option<String>,
    /// Path of the `uri` after the port (e.g. `/postgres`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^/"))]
    pub path: Option<String>,
    /// The credentials key that is the binding's `username` (default `username`, when the
    /// credentials have it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<EnvName>,
    /// The credentials key that is the binding's `password` (default `password`, when the
    /// credentials have it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<EnvName>,
    /// Whether the `uri` carries the user name and password (`scheme://user:password@host`);
    /// default true. S3 clients, for one, take the endpoint and the keys apart.
    #[schemars(default = "defaults::yes")]
    pub uri_credentials: bool,
    /// More keys with fixed values (e.g. `database: postgres`; `${knobs.*}` allowed).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub keys: IndexMap<EnvName, String>,
    /// The first command to try, run with the service's own client from a pod that mounts the
    /// binding at `/bindings/<name>` (`ossc connect` prints it).
    #[serde(rename = "try", skip_serializing_if = "Option::is_none")]
    pub first_command: Option<String>,
}

/// A named port.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct PortSpec {
    /// Port name (IANA service name, ≤ 15 characters).
    pub name: PortName,
    /// Port number, 1–65535.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// `TCP` (default) or `UDP`.
    #[schemars(default)]
    pub protocol: Protocol,
    /// The application protocol, when it is HTTP: `http`, `https` or `h2c` (HTTP/2 without
    /// TLS, gRPC's); the Services' `appProtocol`, and what `access.route` needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<AppProtocol>,
    /// What the port is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

crate::spelled_enum! {
    serde
    /// An HTTP port's application protocol.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    #[allow(missing_docs)]
    pub enum AppProtocol {
        Http = "http",
        Https = "https",
        H2c = "h2c",
    }
}

impl AppProtocol {
    /// The Service port's `appProtocol` (Kubernetes' own prefix for h2c).
    #[must_use]
    pub fn service_value(self) -> &'static str {
        match self {
            AppProtocol::Http => "http",
            AppProtocol::Https => "https",
            AppProtocol::H2c => "kubernetes.io/h2c",
        }
    }
}

crate::spelled_enum! {
    serde
    /// Transport protocol of a port, spelled as Kubernetes writes it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, JsonSchema)]
    #[allow(missing_docs)]
    pub enum Protocol {
        #[default]
        Tcp = "TCP",
        Udp = "UDP",
    }
}

/// Whether the service keeps data on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// Each replica owns a volume: a StatefulSet with a PersistentVolumeClaim per pod.
    Stateful,
    /// Replicas are interchangeable: a Deployment.
    Stateless,
}

/// How the software runs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend(
    "if" = {"properties": {"state": {"const": "stateful"}}},
    "then" = {"required": ["dataPath"]},
    "else" = {"not": {"required": ["dataPath"]}, "properties": {"volumes": {"maxItems": 0}}}
))]
pub struct Runtime {
    /// Container image, pinned by tag (not `latest`) or digest.
    pub image: ImageRef,
    /// `stateful` or `stateless`.
    pub state: State,
    /// Where the data volume is mounted (required when stateful).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_path: Option<AbsPath>,
    /// Numeric user id the container runs as (never 0).
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub user: u32,
    /// Numeric group id (default: the user id); also the volume `fsGroup`.
    #[schemars(range(min = 1, max = 2_147_483_647))]
    #[schemars(with = "Option<u32>")]
    pub group: u32,
    /// Entrypoint override; the image's own when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub command: Vec<String>,
    /// Arguments; may contain `${...}` references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub args: Vec<String>,
    /// Environment; values may contain `${...}` references or refer to a Secret.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, EnvValue>,
    /// Health checks.
    pub health: Health,
    /// Paths the software writes to besides the data path (the root filesystem is read-only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    #[schemars(with = "Vec<WritableInput>")]
    pub writable: Vec<Writable>,
    /// How the software stops.
    #[schemars(default)]
    pub stop: Stop,
    /// Whether replicas start one after another (`ordered`, default) or together (`parallel`).
    #[schemars(default)]
    pub start_order: StartOrder,
    /// What the software lets an autoscaler do.
    #[schemars(default)]
    pub scaling: RuntimeScaling,
    /// Prometheus metrics, and the SLI computed from them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Which replica counts the software supports (e.g. odd ensembles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaRule>,
    /// Secrets mounted as files (credentials, cookies, keys).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub secret_mounts: Vec<SecretMount>,
    /// How the service runs across several clusters (docs/multicluster.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_cluster: Option<MultiCluster>,
    /// More volumes per replica beside the data volume (stateful only), e.g. a write-ahead
    /// log or binary logs on a disk of their own: a claim template each, sized by
    /// `capacity.volumes.NAME`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub volumes: Vec<ExtraVolume>,
    /// Configuration files written into every replica, read-only (a ConfigMap the bundle
    /// holds; never a secret: those are `secretMounts`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub files: Vec<ConfigFile>,
    /// One-off steps run against the running service after install, each in a Job with the
    /// service's image (a superuser created, an auth keyspace replicated, a bucket made).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub bootstrap: Vec<BootstrapStep>,
    /// More containers in every replica's pod, beside the software (a Sentinel beside Valkey,
    /// a proxy, a backup agent): they share its network and run as its user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub sidecars: Vec<Sidecar>,
    /// More workloads of the service, beside the software's own replicas (Kafka's KRaft
    /// controllers beside its brokers): each its own pods, count, disk and disruption budget, in
    /// the service's namespace, under its policy, reached by the software at
    /// `${components.NAME.hosts}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub components: Vec<Component>,
    /// The software's own use of the Kubernetes API, in its namespace (Patroni keeps its leader
    /// lock in ConfigMaps and labels its pods): a Role with these rules for the pods'
    /// ServiceAccount, its token mounted, and egress to the API server. Never Secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_api: Option<KubernetesApi>,
    /// How the software takes TLS, when the consumer turns it on (`access.tls.enabled`): where
    /// the certificate files appear and what tells the software to use them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<RuntimeTls>,
    /// Other services the software connects to (ZooKeeper under ClickHouse, PostgreSQL behind
    /// a pooler): each one's binding keys become `${dependencies.NAME.KEY}` references, and its
    /// pods become reachable on `ports`. The consumer picks the instance
    /// (`access.dependencies.NAME`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub dependencies: Vec<Dependency>,
    /// How the software's data is backed up and restored with its own tools, when the consumer
    /// asks for backups (`backup`): `run` writes files into `$OSS_BACKUP_DIR`, which ossc
    /// uploads to the consumer's object store; `restore` reads such files back into the
    /// running service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<RuntimeBackup>,
}

/// The packager's backup procedure: two commands with the software's own tools, run as a
/// client of the running service in a pod of their own (the service's image, user and
/// security defaults, unless `image` is given), with the directory `$OSS_BACKUP_DIR` between
/// them and the object store.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend("dependentRequired" = {"image": ["user"]}))]
pub struct RuntimeBackup {
    /// What a backup holds and what a restore does (shown by `catalog show`).
    #[schemars(length(min = 1))]
    pub description: String,
    /// The pod both commands run in: image, user, group, environment, CPU and memory.
    #[serde(flatten)]
    pub pod: OneOffPod,
    /// Takes a backup: writes its files into `$OSS_BACKUP_DIR`, exits 0 only when they are
    /// complete. May use `${...}` references, but not `${pod.*}`.
    #[schemars(length(min = 1))]
    pub run: Vec<String>,
    /// Restores the files of one backup, found in `$OSS_BACKUP_DIR`, into the running service
    /// (waiting until it answers), in a Job of its own. It runs once per restore the consumer
    /// asks for. Give this or `seed`, not both.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub restore: Option<Vec<String>>,
    /// Restores by seeding instead: writes the files of one backup, found in
    /// `$OSS_BACKUP_DIR`, into the data directory (`runtime.dataPath`) before the software
    /// starts, in an init container of each member whose data volume is empty (a new instance's
    /// first start, or a member on a new disk). Runs in the image of `image` (the software's by
    /// default) with the same environment; `$OSS_BACKUP_DIR` does not exist when the member is
    /// not to be seeded, and the command then exits 0 without writing. For software that loads
    /// its data only at start (an RDB file, a snapshot). Give this or `restore`, not both.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub seed: Option<Vec<String>>,
    /// How long a backup or a restore may take in all, retries included (default `1h`).
    #[schemars(default = "defaults::backup_timeout")]
    pub timeout: Duration,
    /// The software's own continuous archive (PostgreSQL's write-ahead log), which lets a
    /// restore go to any moment after the oldest backup kept (`backup.restore.time`), not
    /// only to the moment of a backup. With the consumer's backups on, ossc gives the
    /// software's pods the store's binding and a way to its pods; the software writes the
    /// archive itself, under the instance's prefix in the bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<BackupArchive>,
}

/// The packager's continuous archive: what turns it on in the software. With the consumer's
/// backups on, the software's container gets the store's binding Secret (optional: the pods
/// start before the store admits the namespace) at `/etc/ossc/backup-store` (`uri`,
/// `username`, `password`, `region`, `ca.crt`) and `$OSS_ARCHIVE_STORE`, `$OSS_ARCHIVE_BUCKET`
/// and `$OSS_ARCHIVE_PREFIX` (`NAMESPACE/INSTANCE/archive`, where it writes). After each
/// backup the uploader deletes what the archive holds from before the oldest backup kept
/// (less the procedure's `timeout`), except under `PREFIX/keep/`. A restore's commands get
/// `$OSS_RESTORE_ARCHIVE_PREFIX` (the archive to replay) and `$OSS_RESTORE_TIME` (the moment
/// asked for, empty for as far as the archive goes).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct BackupArchive {
    /// What the archive holds (shown by `catalog show`).
    #[schemars(length(min = 1))]
    pub description: String,
    /// Configuration files added when the consumer asks for backups, as `runtime.files` (what
    /// turns the archive on, and the scripts it runs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub files: Vec<ConfigFile>,
}

/// The consumer's backups: when, how many, where (an object store ossc installed, by its
/// binding), and a restore to run once.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Backup {
    /// When to take a backup: a cron schedule of five fields, in UTC (default: once a day, at
    /// a minute and hour derived from the instance's namespace and name, so that instances
    /// spread their backups over the day).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\*|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]{0,8})?(,(\*|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]{0,8})?)* (\*|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]{0,8})?(,(\*|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]{0,8})?)* (\*|\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[1-9][0-9]{0,8})?(,(\*|\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[1-9][0-9]{0,8})?)* (\*|(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[1-9][0-9]{0,8})?(,(\*|(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[1-9][0-9]{0,8})?)* (\*|\?|([0-6]|sun|mon|tue|wed|thu|fri|sat|SUN|MON|TUE|WED|THU|FRI|SAT)(-([0-6]|sun|mon|tue|wed|thu|fri|sat|SUN|MON|TUE|WED|THU|FRI|SAT))?)(/[1-9][0-9]{0,8})?(,(\*|\?|([0-6]|sun|mon|tue|wed|thu|fri|sat|SUN|MON|TUE|WED|THU|FRI|SAT)(-([0-6]|sun|mon|tue|wed|thu|fri|sat|SUN|MON|TUE|WED|THU|FRI|SAT))?)(/[1-9][0-9]{0,8})?)*)$"
    ))]
    pub schedule: Option<String>,
    /// How many complete backups to keep in the store (default 7); older ones are deleted after
    /// each new one.
    #[schemars(range(min = 1, max = 1000), default = "defaults::backup_keep")]
    pub keep: u32,
    /// Room for one backup's files before the upload: the backup pod's scratch directory, and
    /// as much ephemeral storage requested from its node (default `capacity.storage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<PositiveQuantity>")]
    pub scratch: Option<Quantity>,
    /// Where backups go: an object store's instance (its binding Secret in this namespace gives
    /// the address and the keys) and a bucket.
    pub store: BackupStore,
    /// Restore a backup into this instance, once (the restore runs again only when this
    /// section changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<Restore>,
}

/// The object store backups go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct BackupStore {
    /// The store's instance: its pods (`app.kubernetes.io/instance: SERVICE`) are reached, its
    /// binding Secret `<service>-binding` read.
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub service: String,
    /// Its namespace (default: the service's name, the namespace ossc gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
    /// The bucket (created when missing): 3 to 63 lowercase letters, digits, '.' and '-'.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"))]
    pub bucket: String,
}

impl BackupStore {
    /// The store's namespace: the one written, else the service's name.
    #[must_use]
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(&self.service)
    }
}

/// Which backup to restore: by default this instance's own latest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Restore {
    /// The instance whose backups to read (default: this one).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub instance: Option<String>,
    /// That instance's namespace (default: the instance's name, the namespace ossc gives it;
    /// without `instance`, this instance's namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
    /// `latest` (the newest complete backup) or a backup's time stamp, `20261204T031700Z`;
    /// with `time`, `latest` is the newest complete backup stored before that moment.
    #[schemars(regex(pattern = r"^(latest|[0-9]{8}T[0-9]{6}Z)$"), default = "defaults::latest")]
    pub backup: String,
    /// A point in time to restore to, in UTC (`2026-12-04T03:17:00Z`), for a service whose
    /// procedure keeps an archive (`runtime.backup.archive`): the backup, then the archive
    /// replayed up to that moment. Without it such a service replays the whole archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"))]
    pub time: Option<String>,
}

/// A service the software needs, reached through that service's binding Secret.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Dependency {
    /// The name references use (`${dependencies.NAME.host}`), and the instance's name unless the
    /// consumer says otherwise: a DNS label of at most 40 characters.
    #[schemars(regex(pattern = r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$"))]
    pub name: String,
    /// What it is for (shown by `catalog show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The TCP ports of its pods the software connects to (NetworkPolicy egress).
    #[schemars(length(min = 1), inner(range(min = 1)))]
    pub ports: Vec<u16>,
}

/// Another service ossc installed, by instance name and namespace: what fills a dependency
/// (`access.dependencies.NAME`), or where an egress rule leads (`access.egress`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRef {
    /// The instance's name: the pods labelled `app.kubernetes.io/instance: NAME` (for a
    /// dependency, default the dependency's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub service: Option<String>,
    /// Its namespace (default: the instance's name, the namespace ossc gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
}

impl InstanceRef {
    /// The instance's namespace: the one written, else the namespace ossc gives an instance
    /// called `service`, its own name.
    #[must_use]
    pub fn namespace_of<'a>(&'a self, service: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(service)
    }
}

/// Which installed service fills a dependency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct DependencyChoice {
    /// The instance.
    #[serde(flatten)]
    pub instance: InstanceRef,
}

/// How the software takes TLS. With `access.tls.enabled`, the Secret `<name>-tls` (keys
/// `ca.crt`, `tls.crt`, `tls.key`: a certificate for the service's every name, signed by a CA
/// made in the cluster) is mounted at `path` and `env` is added to the software's container.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct RuntimeTls {
    /// Directory where `ca.crt`, `tls.crt` and `tls.key` appear.
    pub path: AbsPath,
    /// The files readable by the service's user only (0400), for software that refuses a
    /// group-readable key (PostgreSQL): as `secretMounts[].private`.
    #[schemars(default)]
    pub private: bool,
    /// The certificate's files under other names, for software that looks for fixed ones
    /// (MinIO's `public.crt`, `private.key` and `CAs/`): only these keys of `ca.crt`, `tls.crt`
    /// and `tls.key`, each at the file name given (default: all three, under their own names).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub items: Vec<TlsItem>,
    /// Endpoints that serve HTTPS when TLS is on (the software's own HTTP port, as MinIO's S3
    /// and console ports): their HTTP health checks then probe with `scheme: HTTPS`, and a
    /// metrics endpoint among them is scraped over https, verified against the CA.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub https: Vec<PortName>,
    /// Environment added to the software's container when TLS is on (what turns it on: a flag
    /// list, a variable its configuration reads); may use `${...}` references.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, String>,
    /// Scheme of the binding's `uri` when TLS is on (e.g. `tls`, `rediss`; default: the
    /// binding's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z][a-z0-9+.-]{0,62}$"))]
    pub scheme: Option<String>,
    /// Configuration files added when TLS is on, as `runtime.files` (for software whose TLS
    /// settings live in a file: a drop-in a configuration directory reads after the others).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub files: Vec<ConfigFile>,
    /// More binding keys when TLS is on, with fixed values (`sslmode: verify-full`); `ca.crt`
    /// is always added.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub binding: IndexMap<EnvName, String>,
    /// The first command to try when TLS is on, in place of `function.binding.try` (`ossc
    /// connect` prints it), for a client that needs more than the binding's `uri` to speak TLS.
    #[serde(rename = "try", skip_serializing_if = "Option::is_none")]
    pub first_command: Option<String>,
    /// Why TLS cannot be switched on or off by a rolling update (members with and without TLS
    /// cannot talk, so the roll would stall or split the service): the service is stopped
    /// first (`lifecycle.state: stopped`), and `ossc diff` asks for that as a manual step.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub stop_to_switch: Option<String>,
}

/// What the software may do through the Kubernetes API, in the service's namespace.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct KubernetesApi {
    /// Why the software needs it (the catalog and the policy tools' skip reason say it).
    #[schemars(length(min = 1))]
    pub reason: String,
    /// The Role's rules.
    #[schemars(length(min = 1))]
    pub rules: Vec<ApiRule>,
}

/// One rule of the software's Role: these verbs on these kinds of object.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ApiRule {
    /// The kinds of object, by their API resource name.
    #[schemars(length(min = 1))]
    pub resources: Vec<ApiResource>,
    /// What it may do with them.
    #[schemars(length(min = 1))]
    pub verbs: Vec<ApiVerb>,
}

crate::spelled_enum! {
    serde
    /// A kind of object the software may use (state and coordination; never Secrets or
    /// workloads), by its API resource name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
    #[allow(missing_docs)]
    pub enum ApiResource {
        Configmaps = "configmaps",
        Endpoints = "endpoints",
        Pods = "pods",
        Services = "services",
        Leases = "leases",
    }
}

impl ApiResource {
    /// Its API group (`""`, the core group, but for leases).
    #[must_use]
    pub fn group(self) -> &'static str {
        if self == ApiResource::Leases { "coordination.k8s.io" } else { "" }
    }
}

crate::spelled_enum! {
    serde
    /// A verb of a Role's rule.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
    #[allow(missing_docs)]
    pub enum ApiVerb {
        Get = "get",
        List = "list",
        Watch = "watch",
        Create = "create",
        Update = "update",
        Patch = "patch",
        Delete = "delete",
    }
}

/// A container that runs beside the software in every replica's pod, as its user, with the same
/// hardening; it serves the ports it names and writes only its own `writable` paths.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Sidecar {
    /// The container's name: a DNS label, unique, not the service's name, `exporter` or
    /// `seed-from-image`.
    #[schemars(regex(pattern = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: String,
    /// What it does (shown by `catalog show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its image, pinned like `runtime.image` (default: the service's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// Entrypoint override; the image's own when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub command: Vec<String>,
    /// Arguments; may contain `${...}` references, `${pod.*}` included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub args: Vec<String>,
    /// Environment, as `runtime.env`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, EnvValue>,
    /// The declared ports (`function.endpoints`, `function.peerPorts`) this container serves
    /// instead of the software, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub ports: Vec<PortName>,
    /// Its health checks: `live` (required), `ready` (optional: without it the sidecar never
    /// takes the replica out of its Services), `startupTimeout`.
    pub health: SidecarHealth,
    /// Paths it writes (emptyDirs of its own), as `runtime.writable`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    #[schemars(with = "Vec<WritableInput>")]
    pub writable: Vec<Writable>,
    /// CPU, requested and limited (default `100m`).
    #[schemars(default = "defaults::exporter_cpu")]
    pub cpu: Quantity,
    /// Memory, requested and limited (default `128Mi`).
    #[schemars(default = "defaults::exporter_memory")]
    pub memory: Quantity,
    /// What this container takes when the consumer turns TLS on (needs `runtime.tls`): the
    /// certificate Secret mounted read-only at `runtime.tls.path`, as in the software's
    /// container, and `env` added (for a sidecar that speaks to the software, or serves clients,
    /// over TLS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ContainerTls>,
}

/// A workload of the service beside the software's replicas: a StatefulSet of its own (pods
/// `<name>-<component>-N`), with the software's user, hardening and spread.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend("dependentRequired" = {"dataPath": ["storage"], "storage": ["dataPath"]}))]
pub struct Component {
    /// Its name: a DNS label of at most 20 characters, unique, not one of the names ossc gives
    /// the service's own objects (`peers`, `read`, `metrics`, ...).
    #[schemars(regex(pattern = r"^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$"))]
    pub name: String,
    /// What it does (shown by `catalog show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How many pods it runs (1 to 9), whatever the software's own count.
    #[schemars(range(min = 1, max = 9))]
    pub replicas: u32,
    /// Its image, pinned like `runtime.image` (default: the service's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// Entrypoint override; the image's own when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub command: Vec<String>,
    /// Arguments; may contain `${...}` references, `${pod.*}` (its own pod's) included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub args: Vec<String>,
    /// Environment, as `runtime.env`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, EnvValue>,
    /// The ports it serves: reached by the software's pods and the service's other
    /// components' (never by clients).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub ports: Vec<PortSpec>,
    /// Its health checks, as `runtime.health`, on its own ports.
    pub health: Health,
    /// Paths it writes besides its data path (emptyDirs), as `runtime.writable`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    #[schemars(with = "Vec<WritableInput>")]
    pub writable: Vec<Writable>,
    /// Where its data volume is mounted (with `storage`): a claim per pod, kept as the
    /// software's are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_path: Option<AbsPath>,
    /// Size of each pod's data volume (with `dataPath`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Quantity>,
    /// CPU of each pod, requested and limited.
    pub cpu: Quantity,
    /// Memory of each pod, requested and limited.
    pub memory: Quantity,
    /// `ordered` (default) or `parallel`, as `runtime.startOrder`.
    #[schemars(default)]
    pub start_order: StartOrder,
}

impl Component {
    /// Its image: its own, or the service's.
    #[must_use]
    pub fn image<'a>(&'a self, rt: &'a Runtime) -> &'a ImageRef {
        self.image.as_ref().unwrap_or(&rt.image)
    }

    /// The pods' disruption budget: most of them must stay up (a quorum), so as many may be
    /// down at once as leave a majority; none for one or two pods.
    #[must_use]
    pub fn min_available(&self) -> Option<u32> {
        let keep = self.replicas / 2 + 1;
        (self.replicas > keep).then_some(keep)
    }
}

/// What a sidecar or the exporter takes when TLS is on: the certificate Secret at
/// `runtime.tls.path` and more environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ContainerTls {
    /// Environment added to this container when TLS is on, replacing a variable of its own
    /// `env` of the same name; may use `${...}` references.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, String>,
}

impl Runtime {
    /// The configuration files of the backup procedure's archive (`runtime.backup.archive.files`),
    /// added to `runtime.files` when the consumer asks for backups.
    pub fn archive_files(&self) -> impl Iterator<Item = &ConfigFile> {
        self.backup.iter().flat_map(|b| &b.archive).flat_map(|a| &a.files)
    }

    /// The sidecars and the exporter that take TLS (their `tls`), each with its path in the
    /// spec (`runtime.sidecars.<i>.tls`, `runtime.metrics.exporter.tls`).
    pub fn tls_takers(&self) -> impl Iterator<Item = (String, &ContainerTls)> {
        let sidecars = self.sidecars.iter().enumerate().filter_map(|(i, sc)| Some((format!("runtime.sidecars.{i}.tls"), sc.tls.as_ref()?)));
        let exporter = self
            .metrics
            .iter()
            .flat_map(|m| &m.exporter)
            .filter_map(|e| Some(("runtime.metrics.exporter.tls".to_owned(), e.tls.as_ref()?)));
        sidecars.chain(exporter)
    }
}

impl Sidecar {
    /// The image it runs: its own, else the service's.
    #[must_use]
    pub fn image<'a>(&'a self, rt: &'a Runtime) -> &'a ImageRef {
        self.image.as_ref().unwrap_or(&rt.image)
    }
}

/// A sidecar's health checks.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct SidecarHealth {
    /// When the sidecar is ready; the replica is ready only when it is too. Leave it out for a
    /// helper whose failure must not take the replica out of its Services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<Check>,
    /// When the sidecar is broken and must be restarted.
    pub live: Check,
    /// The longest it may take to start; liveness waits this long (default `5m`).
    #[schemars(default = "default_startup_timeout")]
    pub startup_timeout: Duration,
}

/// The pod a one-off command runs in (a bootstrap step's, the backup procedure's): the
/// service's image, user and security defaults unless `image` is given; declared once here
/// and flattened into both.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneOffPod {
    /// Another image, pinned like `runtime.image` (default: the service's own, which has the
    /// software's client); needs `user` then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// The numeric user (default: `runtime.user`; required with `image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub user: Option<u32>,
    /// The numeric group (default: its user's, or `runtime.group`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub group: Option<u32>,
    /// Environment: plain values with `${...}`, or keys of a Secret (the credentials).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, EnvValue>,
    /// CPU of the pod's software container (default `100m`).
    #[schemars(default = "defaults::exporter_cpu")]
    pub cpu: Quantity,
    /// Memory of the pod's software container (default `256Mi`).
    #[schemars(default = "defaults::bootstrap_memory")]
    pub memory: Quantity,
}

impl OneOffPod {
    /// The image, user and group the pod runs as: its own image with its user, or the
    /// service's.
    #[must_use]
    pub fn identity<'a>(&'a self, rt: &'a Runtime) -> (&'a ImageRef, u32, u32) {
        match &self.image {
            Some(image) => {
                let user = self.user.unwrap_or(rt.user);
                (image, user, self.group.unwrap_or(user))
            }
            None => (&rt.image, self.user.unwrap_or(rt.user), self.group.unwrap_or(self.user.unwrap_or(rt.group))),
        }
    }
}

/// A step run once against the running service, as a client of it: a Job with the service's
/// image, user and security defaults, that may reach only DNS and the service's endpoints. It
/// runs again only when its content changes (the Job's name carries a hash of it), so it must
/// be idempotent, and it retries on its own until the service answers.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend("dependentRequired" = {"image": ["user"]}))]
pub struct BootstrapStep {
    /// The step's name: lowercase letters, digits and '-', at most 30 characters, unique.
    #[schemars(regex(pattern = r"^[a-z]([-a-z0-9]{0,28}[a-z0-9])?$"))]
    pub name: String,
    /// What the step does (shown by `catalog show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The pod the step runs in: image, user, group, environment, CPU and memory.
    #[serde(flatten)]
    pub pod: OneOffPod,
    /// The command and its arguments; may use `${...}` references, but not `${pod.*}`.
    #[schemars(length(min = 1))]
    pub run: Vec<String>,
    /// How long the step may take in all, retries included (default `15m`).
    #[schemars(default = "defaults::bootstrap_timeout")]
    pub timeout: Duration,
}

/// What the software supports across clusters. Active-standby as a cold copy (the standby
/// cluster keeps the service installed and stopped) needs no declaration.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct MultiCluster {
    /// Every cluster serves: how each cluster's copy differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_active: Option<ClusterMode>,
}

/// How one cluster's copy differs in a multi-cluster mode.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ClusterMode {
    /// What the mode gives and what the consumer must provide.
    pub description: String,
    /// Knob values per cluster (string knobs); may use `${cluster.name}`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub settings: IndexMap<KnobName, String>,
    /// Environment values replaced per cluster; may use `${cluster.name}` and
    /// `${cluster.remoteSeeds}` besides the usual references.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, String>,
}

/// An IPv4 or IPv6 address range in CIDR form, for the schema (the decoder also wants no
/// address bits after the prefix, which a pattern cannot say).
const CIDR_PATTERN: &str = "^(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])|(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:))/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))$";

/// One cluster the consumer deploys to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ClusterSpec {
    /// Cluster name (a DNS label; also the subdirectory with `-o`).
    #[schemars(with = "ServiceName")]
    pub name: String,
    /// `active` (serves) or `standby` (installed, stopped: a cold copy).
    pub role: ClusterRole,
    /// How the other clusters reach this cluster's seed replica (routable between clusters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_address: Option<String>,
    /// This cluster's pod CIDR, admitted by the other clusters' NetworkPolicies on peer ports
    /// (canonical: no address bits after the prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = CIDR_PATTERN))]
    pub pod_cidr: Option<String>,
}

/// A cluster's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ClusterRole {
    /// Serves traffic.
    Active,
    /// Holds the service installed and stopped, to be started on failover.
    Standby,
}

/// The replica counts a service supports.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ReplicaRule {
    /// Fewest replicas (default 1).
    #[schemars(default = "defaults::replicas", range(min = 1, max = 1000))]
    pub min: u32,
    /// Most replicas (default 1000).
    #[schemars(default = "defaults::max_replicas", range(min = 1, max = 1000))]
    pub max: u32,
    /// Only odd counts (quorum ensembles, where an even member adds no fault tolerance).
    #[schemars(default)]
    pub odd: bool,
    /// Why; quoted when a count is refused.
    pub reason: String,
}

impl ReplicaRule {
    /// Whether `n` replicas are allowed.
    #[must_use]
    pub fn allows(&self, n: u32) -> bool {
        n >= self.min && n <= self.max && (!self.odd || n % 2 == 1)
    }

    /// The allowed counts nearest to `n` (one below, one above), for help messages.
    #[must_use]
    pub fn nearest(&self, n: u32) -> Vec<u32> {
        let below = (self.min..n).rev().find(|&k| self.allows(k));
        let above = (n + 1..=self.max).find(|&k| self.allows(k));
        below.into_iter().chain(above).collect()
    }
}

/// Start order of replicas (StatefulSet `podManagementPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum StartOrder {
    /// One at a time, each after the previous is ready (joining a ring or an ensemble).
    #[default]
    Ordered,
    /// All at once (peers that find each other by DNS and need no order).
    Parallel,
}

/// What the software lets an autoscaler do.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
// as decode_runtime_scaling: any limit needs its `reason`; `scaleUp: manual` needs
// `automatic: false`
#[schemars(extend("allOf" = [
    {"if": {"properties": {"automatic": {"const": false}}, "required": ["automatic"]}, "then": {"required": ["reason"]}},
    {"if": {"properties": {"scaleDown": {"const": "manual"}}, "required": ["scaleDown"]}, "then": {"required": ["reason"]}},
    {"if": {"properties": {"scaleUp": {"const": "manual"}}, "required": ["scaleUp"]},
     "then": {"required": ["reason", "automatic"], "properties": {"automatic": {"const": false}}}}
]))]
pub struct RuntimeScaling {
    /// Whether replicas may be added and removed automatically at all (default true).
    #[schemars(default = "defaults::yes")]
    pub automatic: bool,
    /// `automatic` (default), or `manual` when removing a replica needs a step first (e.g.
    /// `nodetool decommission`): the autoscaler then only adds replicas.
    #[schemars(default)]
    pub scale_down: MemberChange,
    /// `automatic` (default), or `manual` when a running install cannot simply be given more
    /// replicas: the software must admit a member first (`etcdctl member add`, ZooKeeper
    /// `reconfig`) or cannot grow in place at all (a static KRaft voter set, a fixed erasure
    /// set). `ossc diff` then calls every replica increase unsafe and quotes `reason`; requires
    /// `automatic: false`. A new install may still start with any allowed count.
    #[schemars(default)]
    pub scale_up: MemberChange,
    /// Why scaling is limited; shown in errors and the catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What an operator runs, in order, for each replica before it is removed (highest ordinal
    /// first): leaving the ring, the Raft cluster or the ensemble. With steps, `ossc diff` calls
    /// every replica decrease unsafe and prints the commands; `catalog show` lists them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub remove_member: Vec<RemovalStep>,
}

impl Default for RuntimeScaling {
    fn default() -> Self {
        Self {
            automatic: true,
            scale_down: MemberChange::Automatic,
            scale_up: MemberChange::Automatic,
            reason: None,
            remove_member: Vec::new(),
        }
    }
}

/// One step of removing a replica from the software's membership.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct RemovalStep {
    /// The pod whose main container runs `exec`: `departing` (default), the replica that goes,
    /// or `first`, replica 0, which never goes.
    #[serde(rename = "in")]
    #[schemars(default)]
    pub run_in: RemovalPod,
    /// The command, run with `kubectl exec`; may use `${member.name}` (the departing pod's
    /// name), `${member.index}` (its ordinal) and `${member.host}` (its stable DNS name).
    #[schemars(length(min = 1))]
    pub exec: Vec<String>,
    /// What the step does, or what the operator does with its output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where a removal step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RemovalPod {
    /// The replica being removed.
    #[default]
    Departing,
    /// Replica 0 (removal takes the highest ordinals, so it stays).
    First,
}

impl RemovalPod {
    /// The pod in words, for the catalog.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            RemovalPod::Departing => "the departing replica",
            RemovalPod::First => "replica 0",
        }
    }
}

/// Whether replicas may be removed (`scaleDown`) or added (`scaleUp`) without a step of the
/// software's own first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum MemberChange {
    /// Yes.
    #[default]
    Automatic,
    /// No: an operator prepares the change first (or the software cannot make it in place).
    Manual,
}

/// Prometheus metrics.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Metrics {
    /// Port Prometheus scrapes (named `metrics`), in the main container or the exporter.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// HTTP path (default `/metrics`).
    #[schemars(default = "defaults::metrics_path", regex(pattern = r"^/"))]
    pub path: String,
    /// A sidecar that exposes the metrics, for software without a Prometheus endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exporter: Option<Exporter>,
    /// The availability SLI as PromQL; without it ossc uses its default SLI (docs/slo.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sli: Option<Sli>,
    /// Alerts of the software's own, from its metrics (a failing write-ahead-log archive, a
    /// replica far behind): added to the service's alert group beside ossc's, each scoped to
    /// this instance by `${selector}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub alerts: Vec<MetricAlert>,
}

/// An alert the packager derives from the software's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct MetricAlert {
    /// The alert's name: PascalCase, unique among the service's alerts (ossc's own begin with
    /// `Ossc`).
    #[schemars(regex(pattern = r"^[A-Z][A-Za-z0-9]{0,62}$"))]
    pub name: String,
    /// PromQL that returns a series while the condition holds, with `${selector}` standing for
    /// this service's label matchers (required: without it the alert would see every instance).
    #[schemars(regex(pattern = r"\$\{selector\}"))]
    pub expr: String,
    /// How long the condition must hold before the alert fires (default `10m`).
    #[serde(rename = "for")]
    #[schemars(default = "defaults::alert_for")]
    pub for_: Duration,
    /// `warning` (default: someone looks at it today) or `page` (someone looks now).
    #[schemars(default)]
    pub severity: AlertSeverity,
    /// One line for whoever receives it (the alert's `summary`), not blank.
    #[schemars(regex(pattern = r"\S"))]
    pub summary: String,
    /// What to look at and what to do (the alert's `description`); may use Prometheus's
    /// templates (`{{ $labels.pod }}`, `{{ $value }}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `backup`: only when the consumer asks for backups (an alert on what backups turn on, as
    /// PostgreSQL's archive). Always, without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<AlertWhen>,
}

/// How urgent an alert is (its `severity` label, as ossc's own alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AlertSeverity {
    /// Someone looks at it within the working day.
    #[default]
    Warning,
    /// Someone looks now.
    Page,
}

impl AlertSeverity {
    /// The `severity` label's value.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Page => "page",
        }
    }
}

/// When a packager's alert is in the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AlertWhen {
    /// Only when the consumer asks for backups (`backup`).
    Backup,
}

/// An exporter sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Exporter {
    /// Image, pinned like `runtime.image`.
    pub image: ImageRef,
    /// Entrypoint override; the image's own when empty (e.g. a shell that waits for the software
    /// before it starts an exporter that exits when it cannot connect).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub command: Vec<String>,
    /// Arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub args: Vec<String>,
    /// Environment: plain values, or keys of a Secret (e.g. the service's credentials, so that
    /// the exporter authenticates).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub env: IndexMap<EnvName, EnvValue>,
    /// CPU of the sidecar (default `100m`).
    #[schemars(default = "defaults::exporter_cpu")]
    pub cpu: Quantity,
    /// Memory of the sidecar (default `128Mi`).
    #[schemars(default = "defaults::exporter_memory")]
    pub memory: Quantity,
    /// What the exporter takes when TLS is on (needs `runtime.tls`), as `sidecars[].tls`: for
    /// an exporter that reads the software over TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ContainerTls>,
}

/// An availability SLI: PromQL for bad events and all events over `${window}`, with
/// `${selector}` standing for this service's label matchers.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Sli {
    /// Bad events over the window, e.g. `sum(rate(http_requests_total{${selector},code=~"5.."}[${window}]))`.
    #[schemars(regex(pattern = r"\$\{window\}"))]
    pub errors: String,
    /// All events over the window.
    #[schemars(regex(pattern = r"\$\{window\}"))]
    pub total: String,
}

/// An environment variable's value.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// A string with optional `${...}` references.
    Value(String),
    /// A key of a Secret the consumer creates; the spec never holds the secret itself.
    #[schemars(extend("additionalProperties" = false))]
    Secret {
        /// `{name, key}` of the Secret.
        #[serde(rename = "secretKeyRef")]
        secret_key_ref: SecretKeyRef,
    },
}

/// A key in a Secret.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SecretKeyRef {
    /// Secret name (may contain `${service.name}`).
    pub name: String,
    /// Key in the Secret.
    pub key: String,
}

/// Health checks.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Health {
    /// When a replica can take traffic (readiness).
    pub ready: Check,
    /// When a replica is broken and must be restarted (liveness).
    pub live: Check,
    /// When a replica has finished starting (the startup probe's check; default: `live`):
    /// readiness and liveness wait for it, so a rolling update waits for it too. For software
    /// whose start ends later than its process answers; it must pass while the other members
    /// are still on the old version (a check that needs them all deadlocks such a roll).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Check>,
    /// The longest a replica may take to start; liveness waits this long (startup probe).
    #[schemars(default = "default_startup_timeout")]
    pub startup_timeout: Duration,
}

fn default_startup_timeout() -> Duration {
    Duration::from_secs(300)
}

/// Defaults the decoder fills in, shown in the JSON Schema.
pub(crate) mod defaults {
    use super::{Duration, Quantity};
    pub fn period() -> Duration {
        Duration::from_secs(10)
    }
    pub fn timeout() -> Duration {
        Duration::from_secs(5)
    }
    pub fn failures() -> u32 {
        3
    }
    pub fn grace_period() -> Duration {
        Duration::from_secs(30)
    }
    pub fn replicas() -> u32 {
        1
    }
    pub fn max_replicas() -> u32 {
        1000
    }
    pub fn yes() -> bool {
        true
    }
    pub fn metrics_path() -> String {
        "/metrics".to_owned()
    }
    pub fn route_path() -> String {
        "/".to_owned()
    }
    pub fn writable_disk() -> Quantity {
        Quantity::parse("256Mi").unwrap_or_else(|_| unreachable!())
    }
    pub fn writable_memory() -> Quantity {
        Quantity::parse("64Mi").unwrap_or_else(|_| unreachable!())
    }
    pub fn exporter_cpu() -> Quantity {
        Quantity::parse("100m").unwrap_or_else(|_| unreachable!())
    }
    pub fn exporter_memory() -> Quantity {
        Quantity::parse("128Mi").unwrap_or_else(|_| unreachable!())
    }
    pub fn bootstrap_timeout() -> Duration {
        Duration::from_secs(900)
    }
    pub fn backup_timeout() -> Duration {
        Duration::from_secs(3600)
    }
    pub fn backup_keep() -> u32 {
        7
    }
    pub fn alert_for() -> Duration {
        Duration::from_secs(600)
    }
    pub fn latest() -> String {
        "latest".to_owned()
    }
    pub fn bootstrap_memory() -> Quantity {
        Quantity::parse("256Mi").unwrap_or_else(|_| unreachable!())
    }
    pub fn monitoring_namespace() -> String {
        "monitoring".to_owned()
    }
    pub fn cpu() -> Quantity {
        super::Capacity::default().cpu
    }
    pub fn memory() -> Quantity {
        super::Capacity::default().memory
    }
    pub fn storage() -> Quantity {
        super::Capacity::default().storage
    }
}

/// One health check: exactly one of `exec`, `tcp`, `http`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend("oneOf" = [{"required": ["exec"]}, {"required": ["tcp"]}, {"required": ["http"]}]))]
pub struct Check {
    /// Run a command; exit 0 is healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub exec: Option<Vec<String>>,
    /// Open a TCP connection to this named port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<PortName>,
    /// HTTP GET; 2xx and 3xx are healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// How often to check (default 10s).
    #[schemars(default = "defaults::period")]
    pub period: Duration,
    /// How long one check may take (default 5s).
    #[schemars(default = "defaults::timeout")]
    pub timeout: Duration,
    /// Consecutive failures before acting (default 3).
    #[schemars(range(min = 1, max = 100))]
    #[schemars(default = "defaults::failures")]
    pub failures: u32,
}

/// An HTTP health check.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct HttpCheck {
    /// Named port.
    pub port: PortName,
    /// Path, e.g. `/healthz`.
    #[schemars(regex(pattern = r"^/"))]
    pub path: String,
}

/// A writable path on the otherwise read-only root filesystem.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Writable {
    /// Absolute path.
    pub path: AbsPath,
    /// Copy what the image has at this path into the volume before start (for config
    /// directories the entrypoint edits).
    #[schemars(default)]
    pub from_image: bool,
    /// Back the path with memory (tmpfs), e.g. `/dev/shm` for PostgreSQL.
    #[schemars(default)]
    pub memory: bool,
    /// The most the software may write here (the volume's `sizeLimit`; a pod over it is
    /// evicted and replaced). Default 256Mi on disk, 64Mi in memory. A path on disk adds its
    /// size to the container's `ephemeral-storage`; one in memory counts against `memory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<PositiveQuantity>")]
    pub size: Option<Quantity>,
}

impl Writable {
    /// What the volume may hold: `size`, or the default for its medium.
    #[must_use]
    pub fn size_limit(&self) -> Quantity {
        self.size.clone().unwrap_or_else(|| if self.memory { defaults::writable_memory() } else { defaults::writable_disk() })
    }
}

/// A volume of its own per replica beside the data volume: a claim template named `name`
/// (claims `NAME-<service>-<i>`), mounted at `path` in the software's container.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ExtraVolume {
    /// The claim template's name: at most 20 lowercase letters and '-' (no digits: the
    /// bundle's own volumes are numbered), not `data`, `files` or `exporter-tmp`.
    #[schemars(regex(pattern = r"^[a-z]([-a-z]{0,18}[a-z])?$"))]
    #[schemars(extend("not" = {"enum": ["data", "files", "exporter-tmp"]}))]
    pub name: String,
    /// Where it is mounted (not the path of another mount).
    pub path: AbsPath,
    /// What the software keeps there (shown by `catalog show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The size and class of one of `runtime.volumes`, per replica.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct VolumeCapacity {
    /// Size of each replica's claim.
    #[schemars(with = "PositiveQuantity")]
    pub size: Quantity,
    /// StorageClass of these claims (e.g. a faster one for a log); `capacity.storageClass`
    /// when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// A configuration file: its path in the container and its text.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct ConfigFile {
    /// Absolute path of the file (not a directory another mount owns).
    pub path: AbsPath,
    /// The text; may use `${...}` references, but not `${pod.*}` (one file for every replica).
    pub content: String,
}

/// A Secret the consumer creates, mounted read-only as files (safer than variables: not in
/// `kubectl describe`, not inherited by child processes).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct SecretMount {
    /// Secret name; may contain `${service.name}`.
    pub secret: String,
    /// Directory the Secret's keys appear in, one file per key.
    pub path: AbsPath,
    /// The files readable by the service's user only (mode 0400, owned by it), for software
    /// that refuses a group-readable key (mongod's keyfile, ssh keys). Kubernetes writes a
    /// Secret's files owned by root and readable through the pod's group, so they are copied at
    /// start, by an init container of the service's image (`/bin/sh`, `cp`, `chmod`), into a
    /// memory volume at `path`. Default false: the Secret's own volume, mode 0440.
    #[schemars(default)]
    pub private: bool,
    /// Only these keys, each at a file name of its choosing (default: every key, named after it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub items: Vec<SecretItem>,
}

/// A file name under a mount (`secretMounts[].items[].path`, `runtime.tls.items[].path`):
/// relative, without `..` or empty parts (the decoder's `item_path` says the same).
const ITEM_PATH: &str = r"^(?!\.\.(/|$))(?!.*/\.\.(/|$))[^/]+(/[^/]+)*$";

crate::spelled_enum! {
    serde
    /// A key of the certificate Secret `<name>-tls`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
    pub enum TlsKey {
        /// The CA's certificate.
        CaCrt = "ca.crt",
        /// The service's certificate.
        TlsCrt = "tls.crt",
        /// Its private key.
        TlsKey = "tls.key",
    }
}

/// One key of the certificate Secret and the file it becomes (`runtime.tls.items`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct TlsItem {
    /// The Secret's key.
    pub key: TlsKey,
    /// The file's name under `runtime.tls.path` (a relative path without `..`).
    #[schemars(regex(pattern = ITEM_PATH))]
    pub path: String,
}

/// One key of a mounted Secret and the file it becomes.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SecretItem {
    /// The Secret's key.
    pub key: String,
    /// The file's name under the mount (a relative path without `..`).
    #[schemars(regex(pattern = ITEM_PATH))]
    pub path: String,
}

/// A writable path as written: a bare path, or the full form.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum WritableInput {
    Path(AbsPath),
    Full(Writable),
}

/// How the software stops.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Stop {
    /// Time between SIGTERM and SIGKILL (default 30s).
    #[schemars(default = "defaults::grace_period")]
    pub grace_period: Duration,
    /// Command run before SIGTERM to drain the replica (e.g. `nodetool drain`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub drain: Vec<String>,
}

impl Default for Stop {
    fn default() -> Self {
        Self { grace_period: Duration::from_secs(30), drain: Vec::new() }
    }
}

crate::spelled_enum! {
    serde
    /// A knob's type.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    #[allow(missing_docs)]
    pub enum KnobType {
        Int = "int",
        Quantity = "quantity",
        String = "string",
        Bool = "bool",
        Enum = "enum",
        Duration = "duration",
        Decimal = "decimal",
    }
}

/// A typed value of a knob.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum KnobValue {
    Int(i64),
    Bool(bool),
    Quantity(Quantity),
    Duration(Duration),
    Decimal(Decimal),
    String(String),
}

impl KnobValue {
    /// The value as it is substituted into env and args.
    #[must_use]
    pub fn render(&self) -> String {
        match self {
            KnobValue::Int(i) => i.to_string(),
            KnobValue::Bool(b) => b.to_string(),
            KnobValue::Quantity(q) => q.to_string(),
            KnobValue::Duration(d) => d.to_string(),
            KnobValue::Decimal(d) => d.to_string(),
            KnobValue::String(s) => s.clone(),
        }
    }
}

/// A knob: a typed, bounded, documented setting of this service.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
// What each type allows, as the decoder reads it (decode_knob): the default's and the bounds'
// form, bounds only on int, quantity, duration and decimal, `atMost` only on quantity, `values`
// required on enum. One branch per type (a schema-driven generator picks one; `if`/`then`
// would make it guess and retry).
#[schemars(extend("anyOf" = [
    {"properties": {"type": {"const": "int"},
                    "default": {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX},
                    "min": {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX},
                    "max": {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX},
                    "atMost": false}},
    {"properties": {"type": {"const": "quantity"},
                    "default": {"anyOf": [{"$ref": "#/$defs/Quantity"}, {"$ref": "#/$defs/Share"}]},
                    "min": {"$ref": "#/$defs/Quantity"}, "max": {"$ref": "#/$defs/Quantity"}}},
    {"properties": {"type": {"const": "duration"}, "default": {"$ref": "#/$defs/Duration"},
                    "min": {"$ref": "#/$defs/Duration"}, "max": {"$ref": "#/$defs/Duration"}, "atMost": false}},
    {"properties": {"type": {"const": "decimal"}, "default": {"$ref": "#/$defs/Decimal"},
                    "min": {"$ref": "#/$defs/Decimal"}, "max": {"$ref": "#/$defs/Decimal"}, "atMost": false}},
    {"properties": {"type": {"const": "string"}, "default": {"type": "string"}, "min": false, "max": false, "atMost": false}},
    {"properties": {"type": {"const": "bool"}, "default": {"type": "boolean"}, "min": false, "max": false, "atMost": false}},
    {"properties": {"type": {"const": "enum"}, "default": {"type": "string"}, "values": {"minItems": 1},
                    "min": false, "max": false, "atMost": false},
     "required": ["values"]}
]))]
pub struct Knob {
    /// Type of the values.
    #[serde(rename = "type")]
    pub kind: KnobType,
    /// Value when the consumer sets none. A quantity knob's default may be a share of the
    /// replica's capacity, `50% of capacity.memory`: it is then worked out from the capacity in
    /// effect (rounded down to MiB or millicores), so the knob follows `capacity`.
    pub default: KnobValue,
    /// The share the default was worked out from, if it was written as one.
    #[serde(skip)]
    #[schemars(skip)]
    pub default_share: Option<Share>,
    /// Smallest allowed value (int, quantity, duration, decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<KnobValue>,
    /// Largest allowed value (int, quantity, duration, decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<KnobValue>,
    /// A quantity knob's bound relative to the replica's capacity, `50% of capacity.memory`
    /// (a JVM heap that leaves room for off-heap memory and the page cache): a value above it
    /// is refused, at the setting or at the capacity that made it too large.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Share>,
    /// The choices (enum).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub values: Vec<String>,
    /// What the knob does.
    pub description: String,
}

impl Capacity {
    /// The quantity a share is taken of: the capacity it names, or the value in effect of the
    /// knob it names (`knob` gives it: a setting, else the default); `None` when that knob has
    /// no quantity value.
    pub fn share_base<'a>(&'a self, of: &ShareOf, knob: impl FnOnce(&KnobName) -> Option<&'a KnobValue>) -> Option<&'a Quantity> {
        match of {
            ShareOf::Capacity(field) => Some(self.get(*field)),
            ShareOf::Knob(name) => match knob(name) {
                Some(KnobValue::Quantity(q)) => Some(q),
                _ => None,
            },
        }
    }

    /// The value of `capacity.<field>`.
    #[must_use]
    pub fn get(&self, field: crate::values::CapacityField) -> &Quantity {
        use crate::values::CapacityField;
        match field {
            CapacityField::Cpu => &self.cpu,
            CapacityField::Memory => &self.memory,
            CapacityField::Storage => &self.storage,
        }
    }
}

/// CPU, memory and storage of one replica.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Capacity {
    /// CPU per replica (request and limit), default `1`.
    #[schemars(default = "defaults::cpu", with = "PositiveQuantity")]
    pub cpu: Quantity,
    /// Memory per replica (request and limit), default `1Gi`.
    #[schemars(default = "defaults::memory", with = "PositiveQuantity")]
    pub memory: Quantity,
    /// Data volume per replica (stateful only), default `10Gi`.
    #[schemars(default = "defaults::storage", with = "PositiveQuantity")]
    pub storage: Quantity,
    /// StorageClass of the data volumes; the cluster default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Emit a ResourceQuota sized to the most the service can grow to (default false).
    #[schemars(default)]
    pub quota: bool,
    /// Size (and class) of each of `runtime.volumes`, by name; every one needs an entry.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z]([-a-z]{0,18}[a-z])?$", "not": {"enum": ["data", "files", "exporter-tmp"]}}))]
    pub volumes: IndexMap<String, VolumeCapacity>,
}

impl Default for Capacity {
    fn default() -> Self {
        let q = |s| Quantity::parse(s).unwrap_or_else(|_| unreachable!("valid literal"));
        Self { cpu: q("1"), memory: q("1Gi"), storage: q("10Gi"), storage_class: None, quota: false, volumes: IndexMap::new() }
    }
}

/// How many replicas must be up for the service to work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quorum {
    /// More than half of the replicas.
    #[default]
    Majority,
    /// Every replica.
    All,
    /// Any one replica.
    One,
    /// This many replicas.
    Count(u32),
}

impl Serialize for Quorum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Quorum::Majority => s.serialize_str("majority"),
            Quorum::All => s.serialize_str("all"),
            Quorum::One => s.serialize_str("one"),
            Quorum::Count(n) => s.serialize_u32(*n),
        }
    }
}

impl JsonSchema for Quorum {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quorum".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "How many replicas must be up: `majority` (default), `all`, `one`, or a number.",
            "anyOf": [
                {"type": "string", "enum": ["majority", "all", "one"]},
                {"type": "integer", "minimum": 1, "maximum": 1000}
            ]
        })
    }
}

/// The spelling in specs: `majority`, `all`, `one` or the number.
impl std::fmt::Display for Quorum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quorum::Majority => f.write_str("majority"),
            Quorum::All => f.write_str("all"),
            Quorum::One => f.write_str("one"),
            Quorum::Count(n) => write!(f, "{n}"),
        }
    }
}

/// The spelling in specs: `none`, `host` or `zone`.
impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Spread::None => "none",
            Spread::Host => "host",
            Spread::Zone => "zone",
        })
    }
}

impl Quorum {
    /// How many of `replicas` must be up.
    #[must_use]
    pub fn required(self, replicas: u32) -> u32 {
        match self {
            Quorum::Majority => replicas / 2 + 1,
            Quorum::All => replicas,
            Quorum::One => 1.min(replicas),
            Quorum::Count(n) => n,
        }
    }
}

/// Failure domains replicas are spread over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Spread {
    /// No constraint.
    None,
    /// At most one replica per node.
    #[default]
    Host,
    /// Even spread over zones (and over nodes, best effort).
    Zone,
}

/// Replicas, quorum and spread.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Redundancy {
    /// Number of replicas (default 1).
    #[schemars(range(min = 1, max = 1000))]
    #[schemars(default = "defaults::replicas")]
    pub replicas: u32,
    /// How many must be up (default `majority` for stateful services, `one` for stateless ones).
    #[schemars(with = "Option<Quorum>")]
    pub quorum: Quorum,
    /// `none`, `host` (default) or `zone`.
    #[schemars(default)]
    pub spread: Spread,
}

impl Default for Redundancy {
    fn default() -> Self {
        Self { replicas: 1, quorum: Quorum::Majority, spread: Spread::Host }
    }
}

/// Scaling.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Scaling {
    /// Horizontal autoscaling; off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
}

/// Horizontal autoscaling bounds and targets.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Autoscale {
    /// Fewest replicas.
    #[schemars(range(min = 1, max = 1000))]
    pub min: u32,
    /// Most replicas.
    #[schemars(range(min = 1, max = 1000))]
    pub max: u32,
    /// Target average CPU use, percent of the request (default 70 when no target is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub cpu_utilization: Option<u32>,
    /// Target average memory use, percent of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub memory_utilization: Option<u32>,
}

/// Who may connect and who may operate.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Access {
    /// Pods allowed to reach the endpoints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub clients: Vec<Client>,
    /// Groups allowed to see and roll the service's pods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub operators: Vec<String>,
    /// Namespace Prometheus scrapes from (default `monitoring`).
    #[schemars(default = "defaults::monitoring_namespace")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub monitoring_namespace: String,
    /// A credentials Secret the consumer brings (in the service's namespace) instead of the one
    /// ossc's Job generates; it must hold every key of the spec's `credentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"), length(max = 253))]
    pub credentials_secret: Option<String>,
    /// What the service's pods may connect to besides DNS and each other: another service's
    /// pods, or an address range outside the cluster.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub egress: Vec<Egress>,
    /// Endpoints reachable from outside the cluster (a LoadBalancer or NodePort Service),
    /// from the listed address ranges only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expose: Option<Expose>,
    /// TLS in transit, for clients and, where the software does it, between replicas.
    #[serde(skip_serializing_if = "AccessTls::is_off")]
    #[schemars(default)]
    pub tls: AccessTls,
    /// An HTTP endpoint published through a Gateway API Gateway the cluster runs (an
    /// `HTTPRoute`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// The installed service that fills each of `runtime.dependencies`, by its name. That
    /// service must list this one's namespace in its `access.clients`, so that its binding
    /// Secret is written here and its pods admit these.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(default)]
    pub dependencies: IndexMap<String, DependencyChoice>,
}

/// The consumer's TLS knob.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct AccessTls {
    /// Serve TLS (needs the spec's `runtime.tls`), with a certificate made in the cluster by a
    /// CA of the service's own, or by `issuer`. Default false: clients then need no CA.
    #[schemars(default)]
    pub enabled: bool,
    /// A cert-manager issuer that makes and renews the certificate instead (a `Certificate`
    /// object in the bundle); it must write `ca.crt` into the Secret (CA and Vault issuers do).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<TlsIssuer>,
}

impl AccessTls {
    /// Whether TLS is off (the default, left out of the serialized spec).
    #[must_use]
    pub fn is_off(&self) -> bool {
        !self.enabled && self.issuer.is_none()
    }
}

/// The cert-manager issuer of the service's certificate (`issuerRef` of its `Certificate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct TlsIssuer {
    /// The issuer's name.
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"), length(max = 253))]
    pub name: String,
    /// `Issuer` (in the service's namespace, the default) or `ClusterIssuer`.
    #[schemars(default)]
    pub kind: IssuerKind,
}

/// Which kind of cert-manager issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub enum IssuerKind {
    /// A namespaced `Issuer`, in the service's namespace.
    #[default]
    Issuer,
    /// A cluster-wide `ClusterIssuer`.
    ClusterIssuer,
}

impl IssuerKind {
    /// The kind's spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            IssuerKind::Issuer => "Issuer",
            IssuerKind::ClusterIssuer => "ClusterIssuer",
        }
    }
}

impl Default for Access {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            operators: Vec::new(),
            monitoring_namespace: defaults::monitoring_namespace(),
            credentials_secret: None,
            egress: Vec::new(),
            expose: None,
            tls: AccessTls::default(),
            route: None,
            dependencies: IndexMap::new(),
        }
    }
}

/// A destination the service's pods may connect to: exactly one of `service` and `cidr`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
#[schemars(extend("oneOf" = [{"required": ["service"]}, {"required": ["cidr"]}]))]
pub struct Egress {
    /// Another service ossc installed (`service`, `namespace`).
    #[serde(flatten)]
    pub instance: InstanceRef,
    /// An address range, in canonical CIDR form (`203.0.113.0/24`, `2001:db8::/32`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = CIDR_PATTERN))]
    pub cidr: Option<String>,
    /// The TCP ports it may reach there.
    #[schemars(length(min = 1), inner(range(min = 1)))]
    pub ports: Vec<u16>,
}

/// Endpoints exposed outside the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Expose {
    /// `LoadBalancer` (default) or `NodePort`.
    #[serde(rename = "type")]
    #[schemars(default)]
    pub kind: ExposeType,
    /// The endpoints exposed, by name (default: every endpoint).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub endpoints: Vec<PortName>,
    /// The address ranges allowed to connect, in canonical CIDR form; required, so that exposing
    /// to everyone (`0.0.0.0/0`) is written down.
    #[schemars(length(min = 1), inner(regex(pattern = CIDR_PATTERN)))]
    pub source_ranges: Vec<String>,
}

/// An HTTP endpoint behind a Gateway (Gateway API `HTTPRoute`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Route {
    /// The Gateway the route attaches to.
    pub gateway: GatewayRef,
    /// The endpoint routed to, by name (default: the service's only HTTP endpoint); it must
    /// have an `appProtocol`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<PortName>,
    /// Host names the route answers for (`shop.example.com`, `*.example.com`); every host the
    /// Gateway's listener takes when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        default,
        inner(regex(pattern = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"), length(max = 253))
    )]
    pub hostnames: Vec<String>,
    /// The path prefix routed (default `/`).
    #[schemars(default = "defaults::route_path", regex(pattern = r"^/"), length(max = 1024))]
    pub path_prefix: String,
    /// The namespace of the pods that forward the Gateway's traffic, which the NetworkPolicy
    /// admits (default: the Gateway's; Envoy Gateway runs them in its own, `envoy-gateway-system`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub proxy_namespace: Option<String>,
}

/// A Gateway, by name and namespace, and optionally one of its listeners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct GatewayRef {
    /// The Gateway's name.
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"), length(max = 253))]
    pub name: String,
    /// Its namespace.
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: String,
    /// One of its listeners, by name (default: every listener that admits the route).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"), length(max = 253))]
    pub section_name: Option<String>,
}

/// How endpoints are exposed outside the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub enum ExposeType {
    /// A Service of type LoadBalancer (the cloud's load balancer).
    #[default]
    LoadBalancer,
    /// A Service of type NodePort (a port on every node).
    NodePort,
}

impl ExposeType {
    /// The Service type's spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ExposeType::LoadBalancer => "LoadBalancer",
            ExposeType::NodePort => "NodePort",
        }
    }
}

/// A set of client pods.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Client {
    /// Namespace of the clients; the service's own when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
    /// Labels the client pods carry; all pods of the namespace when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(default)]
    pub pod_labels: BTreeMap<String, String>,
}

/// Service level objectives.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Slo {
    /// Availability objective in percent over 30 days, e.g. `99.9`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Percent>,
    /// Latency objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
}

/// Latency objective.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Latency {
    /// 99th percentile bound.
    pub p99: Duration,
}

/// Running or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    /// Replicas as configured.
    #[default]
    Running,
    /// No replicas; data is kept.
    Stopped,
}

/// How new versions roll out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum UpgradeStrategy {
    /// Replace pods one at a time.
    #[default]
    Rolling,
    /// Update only `canary` pods first.
    Canary,
    /// Update a pod only when it is deleted by hand.
    OnDelete,
}

/// Upgrade settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Upgrade {
    /// `rolling` (default), `canary` or `onDelete`.
    #[schemars(default)]
    pub strategy: UpgradeStrategy,
    /// With `canary`: how many pods take the new version first.
    #[schemars(default, range(max = 1000))]
    pub canary: u32,
}

/// Lifecycle control.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct Lifecycle {
    /// `running` (default) or `stopped`.
    #[schemars(default)]
    pub state: RunState,
    /// Bump to restart every pod (rolling).
    #[schemars(default, range(max = 4_294_967_295_u64))]
    pub restart_generation: u64,
    /// Upgrade strategy.
    #[schemars(default)]
    pub upgrade: Upgrade,
}

impl Spec {
    /// Whether the service serves TLS: the consumer turned it on and the spec says how.
    #[must_use]
    pub fn tls_on(&self) -> bool {
        self.access.tls.enabled && self.runtime.tls.is_some()
    }

    /// The cert-manager issuer of the certificate, when TLS is on and the consumer named one.
    #[must_use]
    pub fn tls_issuer(&self) -> Option<&TlsIssuer> {
        self.access.tls.issuer.as_ref().filter(|_| self.tls_on())
    }

    /// Whether the bundle carries the generator Job: the spec declares credentials, or TLS is
    /// on (its certificate is made in the cluster too).
    #[must_use]
    pub fn needs_generator(&self) -> bool {
        !self.credentials.is_empty() || self.tls_on()
    }

    /// The value of a knob: the consumer's setting, else its default.
    #[must_use]
    pub fn knob_value(&self, name: &str) -> Option<&KnobValue> {
        self.settings
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v)
            .or_else(|| self.knobs.iter().find(|(k, _)| k.as_str() == name).map(|(_, k)| &k.default))
    }

    /// Every port (endpoints, then peer ports).
    pub fn ports(&self) -> impl Iterator<Item = &PortSpec> {
        self.function.endpoints.iter().chain(&self.function.peer_ports)
    }

    /// The sidecar that serves the port named `name`, if one claims it (else the software does).
    #[must_use]
    pub fn port_sidecar(&self, name: &PortName) -> Option<&Sidecar> {
        self.runtime.sidecars.iter().find(|s| s.ports.contains(name))
    }

    /// The software's own declared port its metrics are served on, when `runtime.metrics.port`
    /// is one of them and there is no exporter (MinIO's S3 port): that port is scraped, and no
    /// `metrics` port is added.
    #[must_use]
    pub fn metrics_on_own_port(&self) -> Option<&PortSpec> {
        let m = self.runtime.metrics.as_ref().filter(|m| m.exporter.is_none())?;
        self.ports().find(|p| p.port == m.port)
    }

    /// The endpoint `access.route` routes to: the one it names, else the only endpoint with an
    /// `appProtocol` (validation refuses the other cases).
    #[must_use]
    pub fn route_endpoint(&self) -> Option<&PortSpec> {
        let route = self.access.route.as_ref()?;
        match &route.endpoint {
            Some(name) => self.function.endpoints.iter().find(|e| e.name == *name),
            None => {
                let mut http = self.function.endpoints.iter().filter(|e| e.app_protocol.is_some());
                let first = http.next();
                if http.next().is_some() { None } else { first }
            }
        }
    }
}
