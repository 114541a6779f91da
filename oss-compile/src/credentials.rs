//! Credentials made in the cluster, and the Service Binding Secret applications read.
//!
//! Owns: the generator Job (its script, image, identity, Role and NetworkPolicy), the binding's
//! keys, and the plain binding Secret of a service without credentials. Must not: put a secret
//! value in the output. Randomness happens in the Job's pod, once: the script creates the
//! credentials Secret only when it is absent, so re-applying the bundle, Argo CD and Flux
//! re-syncs never rotate anything (docs/security.md).

use crate::context::Context;
use crate::lower::dns_egress;
use crate::security;
use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Secret, ServiceAccount, VolumeMount};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use oss_spec::model::CredentialKey;
use std::collections::BTreeMap;

/// The generator's image: the curl project's own image (Alpine, busybox `sh`, user
/// `curl_user` 100:101), pinned. It talks to the API server with the pod's service-account
/// token; nothing else is needed.
pub const IMAGE: &str = "docker.io/curlimages/curl:8.14.1";
/// The image's user and group.
pub const IMAGE_IDS: (u32, u32) = (100, 101);
/// The image that makes the TLS CA and certificate (`access.tls.enabled`): Alpine's
/// `openssl` package, the alpine-docker project's image, pinned; run as [`IMAGE_IDS`].
pub const TLS_IMAGE: &str = "docker.io/alpine/openssl:3.5.8";
/// Days the generated CA is valid.
pub const CA_DAYS: u32 = 3650;
/// Days a generated certificate is valid (the most Apple's platforms accept for a TLS server
/// certificate; renewal: docs/security.md).
pub const CERT_DAYS: u32 = 825;
/// CPU and memory of the generator (requests = limits).
pub const CPU: &str = "100m";
/// See [`CPU`].
pub const MEMORY: &str = "64Mi";
/// The binding's `provider` key.
pub const PROVIDER: &str = "openservice.dev";

/// The generator's objects.
#[derive(Debug)]
pub struct Generator {
    /// Its identity.
    pub service_account: ServiceAccount,
    /// What it may do: create Secrets, read the credentials Secret, patch the binding.
    pub role: Role,
    /// The Role, bound to the identity.
    pub role_binding: RoleBinding,
    /// In each client namespace (`access.clients`): a Role that may create Secrets and patch
    /// the binding copy, bound to the same identity.
    pub client_roles: Vec<(Role, RoleBinding)>,
    /// Its traffic: none in, DNS and the API server out.
    pub network_policy: NetworkPolicy,
    /// The Job.
    pub job: Job,
}

/// Name of the generator's objects (the Job adds a content hash).
fn generator_name(cx: &Context) -> String {
    format!("{}-credentials", cx.name)
}

/// Labels of the generator's objects: the instance's, but not its selector (`app.kubernetes.io/name`
/// differs), so the service's Services, PDB and NetworkPolicy never select the Job's pod.
fn labels(cx: &Context) -> BTreeMap<String, String> {
    cx.helper_labels("credentials", GENERATOR_POD_NAME)
}

fn meta(cx: &Context, name: &str) -> ObjectMeta {
    cx.helper_meta(name.to_owned(), "credentials", GENERATOR_POD_NAME)
}

/// `app.kubernetes.io/name` of the generator's objects and pod.
pub(crate) const GENERATOR_POD_NAME: &str = "ossc-credentials";

/// One binding key: a fixed value, or the value of a credentials key (base64, as the API has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingValue {
    /// Known at build time.
    Fixed(String),
    /// The credentials Secret's key of this name.
    Credential(String),
    /// The CA certificate of the TLS Secret (`ca.crt`), read in the cluster.
    TlsCa,
    /// `scheme://user:password@host:port/path`, assembled in the cluster.
    Uri {
        /// Everything before the user info (`scheme://`).
        prefix: String,
        /// Credentials keys of the user name and password.
        user: Option<String>,
        /// See `user`.
        password: Option<String>,
        /// Everything after the user info (`host:port/path`).
        suffix: String,
    },
}

/// The binding Secret's keys, in the order the specification lists them, then the packager's.
#[must_use]
pub fn binding_keys(cx: &Context) -> Vec<(String, BindingValue)> {
    let Some(b) = &cx.spec.function.binding else { return Vec::new() };
    let endpoint = b.endpoint.as_ref().and_then(|e| cx.spec.function.endpoints.iter().find(|p| p.name == *e));
    let port = endpoint.or_else(|| cx.spec.function.endpoints.first()).map_or(0, |p| p.port);
    let key = |explicit: &Option<oss_spec::values::EnvName>, default: &str| {
        explicit
            .as_ref()
            .map(|k| k.as_str().to_owned())
            .or_else(|| cx.spec.credentials.keys().find(|k| k.as_str() == default).map(|k| k.as_str().to_owned()))
    };
    let user = key(&b.username, "username");
    let password = key(&b.password, "password");
    let host = cx.client_host();
    let mut keys = vec![
        ("type".to_owned(), BindingValue::Fixed(b.kind.clone())),
        ("provider".to_owned(), BindingValue::Fixed(PROVIDER.to_owned())),
        ("host".to_owned(), BindingValue::Fixed(host.clone())),
        ("port".to_owned(), BindingValue::Fixed(port.to_string())),
    ];
    if let Some(u) = &user {
        keys.push(("username".to_owned(), BindingValue::Credential(u.clone())));
    }
    if let Some(p) = &password {
        keys.push(("password".to_owned(), BindingValue::Credential(p.clone())));
    }
    let scheme = cx.tls().and_then(|t| t.scheme.as_deref()).or(b.scheme.as_deref()).unwrap_or(&b.kind);
    let prefix = format!("{scheme}://");
    let suffix = format!("{host}:{port}{}", b.path.as_deref().unwrap_or(""));
    keys.push((
        "uri".to_owned(),
        if !b.uri_credentials || (user.is_none() && password.is_none()) {
            BindingValue::Fixed(format!("{prefix}{suffix}"))
        } else {
            BindingValue::Uri { prefix, user, password, suffix }
        },
    ));
    let tls = cx.tls();
    if let Some(tls) = tls {
        keys.push(("ca.crt".to_owned(), BindingValue::TlsCa));
        for (k, v) in &tls.binding {
            keys.push((k.as_str().to_owned(), BindingValue::Fixed(crate::lower::expand_plain(cx, v))));
        }
    }
    // a key runtime.tls.binding also has (Kafka's `security.protocol`) takes its TLS value
    for (k, v) in b.keys.iter().filter(|(k, _)| !tls.is_some_and(|t| t.binding.contains_key(*k))) {
        keys.push((k.as_str().to_owned(), BindingValue::Fixed(crate::lower::expand_plain(cx, v))));
    }
    keys
}

/// The binding Secret itself, for a service without credentials: nothing in it is secret, so it
/// is part of the bundle (values base64-encoded here, so a re-apply compares equal), in the
/// service's namespace and in each client namespace.
#[must_use]
pub fn plain_binding(cx: &Context) -> Vec<Secret> {
    let Some(b) = cx.spec.function.binding.as_ref().filter(|_| !cx.spec.needs_generator()) else { return Vec::new() };
    let data: BTreeMap<String, ByteString> = binding_keys(cx)
        .into_iter()
        .filter_map(|(k, v)| match v {
            BindingValue::Fixed(s) => Some((k, ByteString(s.into_bytes()))),
            BindingValue::Credential(_) | BindingValue::TlsCa | BindingValue::Uri { .. } => None,
        })
        .collect();
    cx.binding_namespaces()
        .into_iter()
        .map(|ns| Secret {
            metadata: ObjectMeta {
                name: Some(cx.binding_secret()),
                namespace: Some(ns),
                labels: Some(cx.labels("binding")),
                ..ObjectMeta::default()
            },
            type_: Some(format!("servicebinding.io/{}", b.kind)),
            data: Some(data.clone()),
            ..Secret::default()
        })
        .collect()
}

/// Base64 of `s`, as the API server stores Secret data.
fn base64(s: &str) -> String {
    base64_bytes(s.as_bytes())
}

/// Standard base64 with padding (through k8s-openapi's `ByteString`, as the API writes it).
pub(crate) fn base64_bytes(bytes: &[u8]) -> String {
    match serde_json::to_value(ByteString(bytes.to_vec())) {
        Ok(serde_json::Value::String(b)) => b,
        _ => String::new(),
    }
}

/// A JSON string literal of `s` (the script embeds the Secret documents it posts).
fn json(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// `s` as one single-quoted shell word.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A credentials key as the shell word `key` takes: quoted, its `.` escaped for sed.
fn key_word(k: &str) -> String {
    sh(&k.replace('.', "\\."))
}

/// The start of a Secret document the script posts, up to its open `data` object.
fn secret_doc_head(name: &str, labels: &BTreeMap<String, String>, type_: &str) -> String {
    format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{{\"name\":{},\"labels\":{}}},\"type\":{},\"data\":{{",
        json(name),
        json_labels(labels),
        json(type_)
    )
}

/// A JSON object of these labels.
fn json_labels(l: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = l.iter().map(|(k, v)| format!("{}:{}", json(k), json(v))).collect();
    format!("{{{}}}", parts.join(","))
}

/// The functions every script of the generator that talks to the API server starts with.
fn prelude() -> String {
    String::from(
        "set -eu\n\
         sa=/var/run/secrets/kubernetes.io/serviceaccount\n\
         namespaces=https://kubernetes.default.svc/api/v1/namespaces\n\
         api=\"$namespaces/$(cat \"$sa/namespace\")/secrets\"\n\
         # call METHOD URL [FILE [CONTENT-TYPE]]: prints the HTTP status; the body goes to /tmp/body\n\
         call() {\n\
         \x20 set -- \"$@\" \"\" \"\"\n\
         \x20 if [ -n \"$3\" ]; then\n\
         \x20   curl -sS -A ossc-credentials -o /tmp/body -w '%{http_code}' --cacert \"$sa/ca.crt\" -H \"Authorization: Bearer $(cat \"$sa/token\")\" \\\n\
         \x20     -H \"Content-Type: ${4:-application/json}\" -X \"$1\" --data-binary \"@$3\" \"$2\"\n\
         \x20 else\n\
         \x20   curl -sS -A ossc-credentials -o /tmp/body -w '%{http_code}' --cacert \"$sa/ca.crt\" -H \"Authorization: Bearer $(cat \"$sa/token\")\" -X \"$1\" \"$2\"\n\
         \x20 fi\n\
         }\n\
         # shows the API's own error (a Status), never a Secret read last: it holds values\n\
         fail() { echo \"$1\" >&2; if grep -q '\"kind\": *\"Status\"' /tmp/body 2>/dev/null; then cat /tmp/body >&2; fi; exit 1; }\n\
         random() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c \"$1\"; }\n\
         b64() { printf '%s' \"$1\" | base64 | tr -d '\\n'; }\n\
         # key NAME: the base64 value of key NAME in the Secret read last\n\
         key() { tr -d ' \\n\\r\\t' </tmp/body | sed -n \"s/.*\\\"data\\\":{[^}]*\\\"$1\\\":\\\"\\([^\\\"]*\\)\\\".*/\\1/p\"; }\n",
    )
}

/// The first step of TLS (an init container of curl's image): reads the CA and whether the
/// certificate Secret exists, into `/work`, for the next step.
#[must_use]
pub fn tls_read_script(cx: &Context) -> String {
    let (ca, leaf) = (cx.tls_ca_secret(), cx.tls_secret());
    let mut s = prelude();
    s.push_str(&format!(
        "code=$(call GET \"$api/{leaf}\")\n\
         case \"$code\" in\n\
         \x20 200) touch /work/leaf-exists; echo \"Secret {leaf} exists: kept as it is (never overwritten)\"; exit 0 ;;\n\
         \x20 404) ;;\n\
         \x20 *) fail \"reading Secret {leaf} failed: HTTP $code\" ;;\n\
         esac\n\
         code=$(call GET \"$api/{ca}\")\n\
         case \"$code\" in\n\
         \x20 200) key 'ca\\.crt' | base64 -d > /work/ca.crt; key 'ca\\.key' | base64 -d > /work/ca.key\n\
         \x20   [ -s /work/ca.key ] || fail \"Secret {ca} has no ca.key\"\n\
         \x20   echo \"signing a new certificate with the CA of Secret {ca}\" ;;\n\
         \x20 404) echo \"no CA yet: one is made\" ;;\n\
         \x20 *) fail \"reading Secret {ca} failed: HTTP $code\" ;;\n\
         esac\n"
    ));
    s
}

/// The first step of TLS with a cert-manager issuer (an init container of curl's image, in
/// place of the two steps that make a certificate): waits until cert-manager has written the
/// certificate Secret with its CA, for the binding.
#[must_use]
pub fn tls_wait_script(cx: &Context) -> String {
    let leaf = cx.tls_secret();
    let (kind, name) = cx.tls_issuer().map_or(("", ""), |i| (i.kind.name(), i.name.as_str()));
    let issuer = format!("{kind} {name}");
    // cert-manager's annotations on the Secret: issued by this issuer (not a certificate made
    // before, by the generator or another issuer, which cert-manager is about to replace)
    let mark = |key: &str, value: &str| sh(&format!("\"cert-manager.io/{key}\":\"{value}\""));
    let by_issuer = format!("grep -qF {} /tmp/issued && grep -qF {} /tmp/issued", mark("issuer-kind", kind), mark("issuer-name", name));
    let adopted = adopted(cx);
    let mut s = prelude();
    s.push_str(&format!(
        "i=0\n\
         while :; do\n\
         \x20 # 000: the API server not reached yet (a new pod's network policy takes a moment)\n\
         \x20 code=$(call GET \"$api/{leaf}\") || code=000\n\
         \x20 if [ \"$code\" = 200 ] && tr -d ' \\n\\r\\t' </tmp/body >/tmp/issued && {by_issuer} && [ -n \"$(key 'ca\\.crt')\" ] && [ -n \"$(key 'tls\\.crt')\" ]; then\n\
         \x20   echo \"Secret {leaf} is issued (by {issuer}, through cert-manager)\"; exit 0\n\
         \x20 fi\n\
         \x20 case \"$code\" in 200|404|000) ;; *) fail \"reading Secret {leaf} failed: HTTP $code\" ;; esac\n\
         \x20 if [ \"$code\" = 200 ] && [ \"$i\" = 0 ]; then echo {first}; fi\n\
         \x20 i=$((i + 1))\n\
         \x20 [ \"$i\" -lt 120 ] || fail \"cert-manager has not issued Secret {leaf} (by {issuer}, with a ca.crt) in 10 minutes (last answer: HTTP $code): kubectl -n {ns} describe certificate {leaf} (the issuer must write ca.crt, as CA and Vault issuers do). {adopted}\"\n\
         \x20 sleep 5\n\
         done\n",
        ns = cx.namespace,
        first = sh(&format!("Secret {leaf} exists, not issued by {issuer} (yet). {adopted}")),
    ));
    s
}

/// What to do when `<name>-tls` exists but cert-manager did not issue it: cert-manager keeps a
/// valid certificate it finds in its Secret (one without its issuer annotations) until that
/// certificate's renewal, so the generator's own certificate (or a consumer's) stays in place.
fn adopted(cx: &Context) -> String {
    let leaf = cx.tls_secret();
    format!(
        "If it was made before (by ossc's own CA, or brought by you), cert-manager keeps it until its renewal: delete it (kubectl -n {} delete secret {leaf}) and cert-manager issues its own",
        cx.namespace
    )
}

/// The second step of TLS (an init container of [`TLS_IMAGE`]): makes the CA when there is
/// none, and the certificate when its Secret does not exist, in `/work`. ECDSA P-256 keys.
#[must_use]
pub fn tls_issue_script(cx: &Context) -> String {
    let ca_cnf = format!(
        "[req]\\ndistinguished_name = dn\\nprompt = no\\nx509_extensions = ca\\n[dn]\\nCN = {} CA\\n[ca]\\nbasicConstraints = critical,CA:TRUE,pathlen:0\\nkeyUsage = critical,keyCertSign,cRLSign\\nsubjectKeyIdentifier = hash\\n",
        cx.client_host()
    );
    let leaf_cnf = format!(
        "[req]\\ndistinguished_name = dn\\nprompt = no\\n[dn]\\nCN = {}\\n[leaf]\\nbasicConstraints = critical,CA:FALSE\\nkeyUsage = critical,digitalSignature\\nextendedKeyUsage = serverAuth,clientAuth\\nsubjectAltName = {}\\nsubjectKeyIdentifier = hash\\nauthorityKeyIdentifier = keyid\\n",
        cx.client_host(),
        cx.tls_names().join(",")
    );
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc";
    format!(
        "set -eu\n\
         cd /work\n\
         [ ! -e leaf-exists ] || exit 0\n\
         if [ ! -s ca.key ]; then\n\
         \x20 printf {} > ca.cnf\n\
         \x20 openssl req -x509 -config ca.cnf {key} -keyout ca.key -out ca.crt -days {CA_DAYS}\n\
         \x20 touch new-ca\n\
         fi\n\
         printf {} > leaf.cnf\n\
         openssl req -new -config leaf.cnf {key} -keyout tls.key -out tls.csr\n\
         openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAserial ca.srl -CAcreateserial -days {CERT_DAYS} -extfile leaf.cnf -extensions leaf -out tls.crt\n\
         touch new-leaf\n\
         openssl x509 -in tls.crt -noout -subject -enddate -ext subjectAltName\n",
        sh(&ca_cnf),
        sh(&leaf_cnf),
    )
}

/// The part of the main script that stores what the TLS steps made, then reads the CA the
/// binding carries (into `$tls_ca`, base64).
fn tls_store_script(cx: &Context) -> String {
    let (ca, leaf) = (cx.tls_ca_secret(), cx.tls_secret());
    let l = labels(cx);
    let ca_doc = format!("{}\"ca.crt\":\"%s\",\"ca.key\":\"%s\"}}}}", secret_doc_head(&ca, &l, "Opaque"));
    let leaf_doc =
        format!("{}\"ca.crt\":\"%s\",\"tls.crt\":\"%s\",\"tls.key\":\"%s\"}}}}", secret_doc_head(&leaf, &l, "kubernetes.io/tls"));
    format!(
        "b64file() {{ base64 < \"$1\" | tr -d '\\n'; }}\n\
         if [ -e /work/new-ca ]; then\n\
         \x20 # shellcheck disable=SC2059\n\
         \x20 printf {} \"$(b64file /work/ca.crt)\" \"$(b64file /work/ca.key)\" > /tmp/ca\n\
         \x20 code=$(call POST \"$api\" /tmp/ca)\n\
         \x20 # another run made a CA meanwhile: this certificate is not signed by it; the Job retries\n\
         \x20 [ \"$code\" = 201 ] || fail \"creating Secret {ca} failed: HTTP $code\"\n\
         \x20 echo \"created Secret {ca} (a CA valid {CA_DAYS} days)\"\n\
         fi\n\
         if [ -e /work/new-leaf ]; then\n\
         \x20 # shellcheck disable=SC2059\n\
         \x20 printf {} \"$(b64file /work/ca.crt)\" \"$(b64file /work/tls.crt)\" \"$(b64file /work/tls.key)\" > /tmp/leaf\n\
         \x20 code=$(call POST \"$api\" /tmp/leaf)\n\
         \x20 case \"$code\" in\n\
         \x20   201) echo \"created Secret {leaf} (a certificate valid {CERT_DAYS} days)\" ;;\n\
         \x20   409) echo \"Secret {leaf} appeared meanwhile: kept as it is\" ;;\n\
         \x20   *) fail \"creating Secret {leaf} failed: HTTP $code\" ;;\n\
         \x20 esac\n\
         fi\n\
         code=$(call GET \"$api/{leaf}\")\n\
         [ \"$code\" = 200 ] || fail \"reading Secret {leaf} failed: HTTP $code\"\n\
         tls_ca=$(key 'ca\\.crt')\n\
         [ -n \"$tls_ca\" ] || fail \"Secret {leaf} has no ca.crt: the binding cannot carry the CA clients need\"\n{}",
        sh(&printf_format(&ca_doc)),
        sh(&printf_format(&leaf_doc)),
        route_ca_script(cx),
    )
}

/// With `access.route` to an endpoint serving HTTPS: the part of the main script that writes
/// the CA's certificate (from `$tls_ca`) into the ConfigMap the Gateway's BackendTLSPolicy
/// reads, on every run (a new CA, or cert-manager's, replaces it); nothing otherwise.
fn route_ca_script(cx: &Context) -> String {
    if cx.https_route_endpoint().is_none() {
        return String::new();
    }
    let cm = cx.route_ca_configmap();
    let doc = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":{},\"labels\":{}}},\"data\":{{\"ca.crt\":\"%s\"}}}}",
        json(&cm),
        json_labels(&labels(cx))
    );
    format!(
        "# the CA's certificate for the Gateway's BackendTLSPolicy (access.route to an HTTPS endpoint)\n\
         configmaps=\"$namespaces/$(cat \"$sa/namespace\")/configmaps\"\n\
         # shellcheck disable=SC2059\n\
         printf {} \"$(printf %s \"$tls_ca\" | base64 -d | awk '{{printf \"%s\\\\n\", $0}}')\" > /tmp/ca-crt\n\
         code=$(call POST \"$configmaps\" /tmp/ca-crt)\n\
         case \"$code\" in\n\
         \x20 201) echo \"created ConfigMap {cm} (the CA's certificate, for the Gateway)\" ;;\n\
         \x20 409) code=$(call PUT \"$configmaps/{cm}\" /tmp/ca-crt)\n\
         \x20   [ \"$code\" = 200 ] || fail \"updating ConfigMap {cm} failed: HTTP $code\"\n\
         \x20   echo \"updated ConfigMap {cm} (the CA's certificate, for the Gateway)\" ;;\n\
         \x20 *) fail \"creating ConfigMap {cm} failed: HTTP $code\" ;;\n\
         esac\n",
        sh(&printf_format(&doc)),
    )
}

/// The generator's shell script (POSIX `sh`: busybox in the pinned image, dash elsewhere).
#[must_use]
pub fn script(cx: &Context) -> String {
    let cred = cx.credentials_secret();
    let generated = cx.spec.access.credentials_secret.is_none();
    let binding = cx.binding_secret();
    let keys: Vec<&str> = cx.spec.credentials.keys().map(|k| k.as_str()).collect();
    let mut s = prelude();
    if cx.tls().is_some() {
        s.push_str(&tls_store_script(cx));
    }
    if !keys.is_empty() {
        s.push_str(&format!("code=$(call GET \"$api/{cred}\")\n"));
        if generated {
            let mut doc = secret_doc_head(&cred, &labels(cx), "Opaque");
            let mut first = true;
            let mut printf = String::new();
            // For an existing Secret: each declared key it lacks, as a JSON member (`"k":"b64"`).
            let mut additions = String::new();
            for (k, v) in &cx.spec.credentials {
                let sep = if first { "" } else { "," };
                first = false;
                let value = match v {
                    CredentialKey::Random { random } => {
                        // made in the pod: a placeholder in the document, the command as its argument
                        let value = format!("$(b64 \"$(random {random})\")");
                        doc.push_str(&format!("{sep}{}:\"%s\"", json(k.as_str())));
                        printf.push_str(&format!(" \"{value}\""));
                        value
                    }
                    CredentialKey::Value { value } => {
                        let b64 = base64(&crate::lower::expand_plain(cx, value));
                        doc.push_str(&format!("{sep}{}:{}", json(k.as_str()), json(&b64)));
                        b64
                    }
                };
                // key names are `[-._a-zA-Z0-9]`: nothing to escape inside the double quotes
                additions.push_str(&format!(
                    "\x20 if [ -z \"$(key {})\" ]; then add=\"$add${{add:+,}}\\\"{k}\\\":\\\"{value}\\\"\"; added=\"$added {k}\"; fi\n",
                    key_word(k.as_str())
                ));
            }
            doc.push_str("}}");
            s.push_str(&format!(
                "if [ \"$code\" = 404 ]; then\n\
             \x20 # shellcheck disable=SC2059\n\
             \x20 printf {}{printf} > /tmp/new\n\
             \x20 code=$(call POST \"$api\" /tmp/new)\n\
             \x20 case \"$code\" in\n\
             \x20   201) echo \"created Secret {cred}\" ;;\n\
             \x20   409) echo \"Secret {cred} appeared meanwhile: kept as it is\" ;;\n\
             \x20   *) fail \"creating Secret {cred} failed: HTTP $code\" ;;\n\
             \x20 esac\n\
             \x20 code=$(call GET \"$api/{cred}\")\n\
             else\n\
             \x20 echo \"Secret {cred} exists: its keys are kept as they are (never overwritten)\"\n\
             \x20 # A key the service declares that an older Secret lacks (a later version of the\n\
             \x20 # entry needs it) is added; the resourceVersion makes the write conditional.\n\
             \x20 add=\"\"; added=\"\"\n\
             {additions}\
             \x20 if [ -n \"$add\" ]; then\n\
             \x20   rv=$(tr -d ' \\n\\r\\t' </tmp/body | sed -n 's/.*\"resourceVersion\":\"\\([^\"]*\\)\".*/\\1/p')\n\
             \x20   printf '{{\"metadata\":{{\"resourceVersion\":\"%s\"}},\"data\":{{%s}}}}' \"$rv\" \"$add\" > /tmp/add\n\
             \x20   code=$(call PATCH \"$api/{cred}\" /tmp/add application/merge-patch+json)\n\
             \x20   [ \"$code\" = 200 ] || fail \"adding the key(s)$added to Secret {cred} failed: HTTP $code\"\n\
             \x20   echo \"added the key(s)$added to Secret {cred}; the other keys kept as they were\"\n\
             \x20   code=$(call GET \"$api/{cred}\")\n\
             \x20 fi\n\
             fi\n",
                sh(&printf_format(&doc)),
            ));
        } else {
            s.push_str(&format!("echo \"reading the consumer's Secret {cred} (access.credentialsSecret)\"\n"));
        }
        s.push_str(&format!(
            "[ \"$code\" = 200 ] || fail \"reading Secret {cred} failed: HTTP $code\"\n\
         missing=\"\"\n\
         for k in {}; do [ -n \"$(key \"$k\")\" ] || missing=\"$missing $k\"; done\n\
         [ -z \"$missing\" ] || fail \"Secret {cred} lacks the key(s):$missing; the service needs: {}\"\n",
            keys.iter().map(|k| key_word(k)).collect::<Vec<_>>().join(" "),
            keys.join(", "),
        ));
    }
    let bkeys = binding_keys(cx);
    if let Some(b) = &cx.spec.function.binding {
        let mut vars = String::new();
        let mut doc = secret_doc_head(&binding, &cx.labels("binding"), &format!("servicebinding.io/{}", b.kind));
        let mut args = String::new();
        for (i, (k, v)) in bkeys.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            match v {
                BindingValue::Fixed(text) => doc.push_str(&format!("{sep}{}:{}", json(k), json(&base64(text)))),
                BindingValue::Credential(c) => {
                    doc.push_str(&format!("{sep}{}:\"%s\"", json(k)));
                    args.push_str(&format!(" \"$(key {})\"", key_word(c)));
                }
                BindingValue::TlsCa => {
                    doc.push_str(&format!("{sep}{}:\"%s\"", json(k)));
                    args.push_str(" \"$tls_ca\"");
                }
                BindingValue::Uri { prefix, user, password, suffix } => {
                    let dec = |c: &str| format!("$(key {} | base64 -d)", key_word(c));
                    let userinfo = match (user, password) {
                        (Some(u), Some(p)) => format!("{}:{}@", dec(u), dec(p)),
                        (Some(u), None) => format!("{}@", dec(u)),
                        (None, Some(p)) => format!(":{}@", dec(p)),
                        (None, None) => String::new(),
                    };
                    vars.push_str(&format!("uri=\"{prefix}{userinfo}{suffix}\"\n"));
                    doc.push_str(&format!("{sep}{}:\"%s\"", json(k)));
                    args.push_str(" \"$(b64 \"$uri\")\"");
                }
            }
        }
        doc.push_str("}}");
        s.push_str(&vars);
        let clients: Vec<String> = cx.client_namespaces().iter().map(|ns| sh(ns)).collect();
        s.push_str(&format!(
            "# shellcheck disable=SC2059\n\
             printf {}{args} > /tmp/binding\n\
             {}\
             # The binding is derived: brought up to date from the credentials on every run, in the\n\
             # service's namespace and in each client namespace (access.clients), which must exist.\n\
             write_binding() {{\n\
             \x20 code=$(call POST \"$1\" /tmp/binding)\n\
             \x20 [ \"$code\" != 409 ] || code=$(call PATCH \"$1/{binding}\" /tmp/binding-patch application/merge-patch+json)\n\
             \x20 case \"$code\" in\n\
             \x20   200|201) echo \"Secret {binding} written in $2 (servicebinding.io/{kind})\" ;;\n\
             \x20   *) fail \"writing Secret {binding} in $2 failed: HTTP $code\" ;;\n\
             \x20 esac\n\
             }}\n\
             write_binding \"$api\" \"$(cat \"$sa/namespace\")\"\n",
            sh(&printf_format(&doc)),
            if cx.tls().is_some() {
                "cp /tmp/binding /tmp/binding-patch\n".to_owned()
            } else {
                // `null` in a merge patch removes the key
                // (a key the plain binding has too is rewritten with its plain value instead)
                let nulls: String = std::iter::once("ca.crt")
                    .chain(cx.spec.runtime.tls.iter().flat_map(|t| t.binding.keys().map(oss_spec::values::EnvName::as_str)))
                    .filter(|k| !bkeys.iter().any(|(b, _)| b == k))
                    .map(|k| format!(",{}:null", json(k)))
                    .collect();
                format!(
                    "# without TLS: what an earlier run with TLS on put in the binding leaves it\n\
                     sed 's/}}}}$/{}}}}}/' /tmp/binding > /tmp/binding-patch\n",
                    nulls
                )
            },
            kind = b.kind,
        ));
        for ns in &clients {
            s.push_str(&format!("write_binding \"$namespaces\"/{ns}/secrets {}\n", sh(&format!("namespace {}", ns.trim_matches('\'')))));
        }
    }
    s
}

/// `doc` as a printf format: its `"%s"` placeholders kept, every other `%` and `\\` literal.
fn printf_format(doc: &str) -> String {
    doc.replace('\\', "\\\\").replace('%', "%%").replace("\"%%s\"", "\"%s\"")
}

/// The `outside` lines of `ossc connect`: how clients outside the cluster reach the service,
/// through `access.expose`'s Service and `access.route`'s Gateway.
fn outside(cx: &Context, o: &mut String) {
    use std::fmt::Write as _;
    let s = cx.spec;
    if let Some(expose) = &s.access.expose {
        let ports: Vec<String> = crate::lower::exposed_endpoints(cx).iter().map(|e| format!("{} {}", e.name, e.port)).collect();
        let (kind, address) = match expose.kind {
            oss_spec::model::ExposeType::LoadBalancer => ("LoadBalancer", "'{.status.loadBalancer.ingress[0]}'"),
            oss_spec::model::ExposeType::NodePort => ("NodePort", "'{.spec.ports[*].nodePort}' (on any node's address)"),
        };
        let _ = writeln!(
            o,
            "outside   {kind} Service {name}-external ({}), from {}:\n          kubectl -n {} get service {name}-external -o jsonpath={address}",
            ports.join(", "),
            expose.source_ranges.join(", "),
            cx.namespace,
            name = cx.name,
        );
    }
    if let (Some(route), Some(endpoint)) = (&s.access.route, s.route_endpoint()) {
        let hosts = if route.hostnames.is_empty() { "every host of the listener".to_owned() } else { route.hostnames.join(", ") };
        let _ = writeln!(
            o,
            "outside   through Gateway {}/{}{}: {hosts}, path {} to {} (HTTPRoute {})",
            route.gateway.namespace,
            route.gateway.name,
            route.gateway.section_name.as_ref().map_or(String::new(), |l| format!(" (listener {l})")),
            route.path_prefix,
            endpoint.name,
            cx.name
        );
        if cx.https_route_endpoint().is_some() {
            let _ = writeln!(
                o,
                "          the Gateway speaks HTTPS to {}, verifying it by ConfigMap {} (BackendTLSPolicy {}; the Gateway must implement it)",
                endpoint.name,
                cx.route_ca_configmap(),
                cx.name
            );
        }
    }
}

/// What `ossc connect` prints: the addresses, the binding Secret and a first command.
#[must_use]
pub fn connect(cx: &Context) -> String {
    use std::fmt::Write as _;
    let s = cx.spec;
    let mut o = String::new();
    let title = s.metadata.title.as_deref().unwrap_or(&cx.name);
    let _ = writeln!(o, "{title} {} as `{}` in namespace {}\n", s.metadata.version, cx.name, cx.namespace);
    for p in &s.function.endpoints {
        let _ = writeln!(
            o,
            "address   {}:{}  ({}{})",
            cx.client_host(),
            p.port,
            p.name,
            p.description.as_deref().map_or(String::new(), |d| format!(": {d}"))
        );
    }
    let who = if s.access.clients.is_empty() {
        format!("any pod in namespace {}", cx.namespace)
    } else {
        s.access
            .clients
            .iter()
            .map(|c| {
                let labels: Vec<String> = c.pod_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "pods{} in namespace {}",
                    if labels.is_empty() { String::new() } else { format!(" labelled {}", labels.join(",")) },
                    c.namespace.as_deref().unwrap_or(&cx.namespace)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let _ = writeln!(o, "          reachable from {who} (access.clients)");
    outside(cx, &mut o);
    if let Some(b) = &s.function.binding {
        let keys: Vec<String> = binding_keys(cx).into_iter().map(|(k, _)| k).collect();
        let namespaces = cx.binding_namespaces();
        let _ = writeln!(
            o,
            "binding   Secret {} in namespace{} {} (servicebinding.io/{})",
            cx.binding_secret(),
            if namespaces.len() > 1 { "s" } else { "" },
            namespaces.join(", "),
            b.kind
        );
        let _ = writeln!(o, "          keys: {}", keys.join(", "));
        if !s.credentials.is_empty() {
            let made = if s.access.credentials_secret.is_some() { "brought by you" } else { "generated in the cluster at install" };
            let _ = writeln!(o, "          written by the Job {}-*, from Secret {} ({made})", generator_name(cx), cx.credentials_secret());
        }
        let _ =
            writeln!(o, "read it   kubectl -n {} get secret {} -o jsonpath='{{.data.uri}}' | base64 -d", cx.namespace, cx.binding_secret());
        if cx.tls().is_some() {
            let _ = writeln!(
                o,
                "tls       on: verify the server with the binding's ca.crt (the CA {}; docs/security.md):\n          \
                 kubectl -n {} get secret {} -o jsonpath='{{.data.ca\\.crt}}' | base64 -d > ca.crt",
                cx.tls_issuer().map_or_else(
                    || "made in the cluster".to_owned(),
                    |i| format!("of cert-manager {} {}, which renews the certificate", i.kind.name(), i.name)
                ),
                cx.namespace,
                cx.binding_secret()
            );
        } else if s.runtime.tls.is_some() {
            let _ = writeln!(o, "tls       off (on with --set access.tls.enabled=true: docs/security.md)");
        }
        if let Some(t) = cx.tls().and_then(|t| t.first_command.as_ref()).or(b.first_command.as_ref()) {
            let _ = writeln!(o, "try       {t}");
            let _ = writeln!(
                o,
                "          (in a pod with the binding as environment: envFrom: [{{secretRef: {{name: {}}}}}], or its files\n          mounted at $SERVICE_BINDING_ROOT/{})",
                cx.binding_secret(),
                cx.name
            );
        }
    }
    if !s.runtime.bootstrap.is_empty() {
        let names: Vec<&str> = s.runtime.bootstrap.iter().map(|b| b.name.as_str()).collect();
        let _ = writeln!(o, "bootstrap {} (a Job each): clients are served once they complete:", names.join(", "));
        let _ = writeln!(
            o,
            "          kubectl -n {} wait --for=condition=complete job -l app.kubernetes.io/instance={},app.kubernetes.io/name={}",
            cx.namespace,
            cx.name,
            crate::bootstrap::POD_NAME_LABEL
        );
    }
    if let Some(b) = &s.backup {
        let schedule = b.schedule.clone().unwrap_or_else(|| crate::backup::default_schedule(&cx.namespace, &cx.name));
        let _ = writeln!(
            o,
            "backups   `{schedule}` (UTC) to bucket {} of {} in namespace {}, the newest {} kept (docs/backup.md); one now:\n          \
             kubectl -n {ns} create job --from=cronjob/{name}-backup {name}-backup-now",
            b.store.bucket,
            b.store.service,
            b.store.namespace(),
            b.keep,
            ns = cx.namespace,
            name = cx.name
        );
        if crate::backup::seeds(cx) {
            let _ = writeln!(
                o,
                "restore   by seeding each member whose data volume is empty, before it starts: kubectl -n {} logs {}-0 -c restore-fetch",
                cx.namespace, cx.name
            );
        } else if b.restore.is_some() {
            let _ = writeln!(
                o,
                "restore   once, by a Job: kubectl -n {} wait --for=condition=complete job -l app.kubernetes.io/instance={},app.kubernetes.io/component=restore --timeout=1h\n          done, recorded in: kubectl -n {} get configmap {} -o yaml",
                cx.namespace,
                cx.name,
                cx.namespace,
                crate::backup::restore_record(cx)
            );
        }
    }
    if let Some(sec) = &s.function.security {
        let _ = writeln!(o, "\nsecurity: {}", sec.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    o
}

/// FNV-1a, 64 bits: a stable content hash for the Job's name (a Job's pod template is
/// immutable, so a changed script is a new Job).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The generator, when the spec declares credentials.
#[must_use]
pub fn generator(cx: &Context) -> Option<Generator> {
    if !cx.spec.needs_generator() {
        return None;
    }
    let name = generator_name(cx);
    let has_credentials = !cx.spec.credentials.is_empty();
    let cred = cx.credentials_secret();
    // the generator writes the credentials Secret (not a consumer's own)
    let generated = has_credentials && cx.spec.access.credentials_secret.is_none();
    let binding = cx.binding_secret();
    let script = script(cx);
    // The init steps that make the certificate (`tls-read`, `tls-issue`), or wait for the
    // issuer's (`tls-wait`).
    let tls_steps: Vec<(&str, &str, String)> = match (cx.tls(), cx.tls_issuer()) {
        (None, _) => Vec::new(),
        (Some(_), Some(_)) => vec![("tls-wait", IMAGE, tls_wait_script(cx))],
        (Some(_), None) => vec![("tls-read", IMAGE, tls_read_script(cx)), ("tls-issue", TLS_IMAGE, tls_issue_script(cx))],
    };
    // (as it was before `tls-wait`, so that an upgrade re-runs no Job)
    let hashed = match tls_steps.as_slice() {
        [(_, _, read), (_, _, issue)] => format!("{IMAGE}\n{script}\n{TLS_IMAGE}\n{read}\n{issue}"),
        steps => steps.iter().fold(format!("{IMAGE}\n{script}"), |h, (_, _, s)| format!("{h}\n{s}")),
    };
    let job_name = format!("{name}-{:08x}", fnv1a(hashed.as_bytes()) >> 32);
    let mut readable = Vec::new();
    if has_credentials {
        readable.push(cred.clone());
    }
    if cx.tls().is_some() {
        readable.push(cx.tls_secret());
        // the CA's Secret is the generator's own, unless an issuer signs
        if cx.tls_issuer().is_none() {
            readable.push(cx.tls_ca_secret());
        }
    }
    let rule = |verbs: &[&str], names| crate::lower::policy_rule(&[""], &["secrets"], verbs, names);
    let mut rules = vec![
        // `create` cannot be limited to names (RBAC knows no name before the object exists).
        rule(&["create"], None),
        rule(&["get"], Some(readable.clone())),
        // the binding, derived on every run; a generated credentials Secret, to add a key that
        // a later version of the entry declares (never a consumer's own Secret)
        rule(&["patch"], Some(if generated { vec![binding.clone(), cred] } else { vec![binding.clone()] })),
    ];
    // the CA's certificate for the Gateway (access.route to an HTTPS endpoint)
    let route_ca = cx.https_route_endpoint().map(|_| cx.route_ca_configmap());
    if let Some(cm) = &route_ca {
        let cm_rule = |verbs: &[&str], names| crate::lower::policy_rule(&[""], &["configmaps"], verbs, names);
        rules.extend([cm_rule(&["create"], None), cm_rule(&["update"], Some(vec![cm.clone()]))]);
    }
    let role = Role { metadata: meta(cx, &name), rules: Some(rules) };
    let bind = |meta: ObjectMeta| crate::lower::service_account_binding(meta, &name, &cx.namespace);
    let role_binding = bind(meta(cx, &name));
    let client_roles = cx
        .client_namespaces()
        .into_iter()
        .map(|ns| {
            let m = ObjectMeta { namespace: Some(ns), ..meta(cx, &name) };
            let role =
                Role { metadata: m.clone(), rules: Some(vec![rule(&["create"], None), rule(&["patch"], Some(vec![binding.clone()]))]) };
            (role, bind(m))
        })
        .collect();
    let network_policy = api_client_network_policy(meta(cx, &name), job_selector(cx));
    let mut job_meta = meta(cx, &job_name);
    job_meta.annotations = Some(api_client_skips(format!(
        "the generator talks to the API server: its token is mounted, and its Role may only create Secrets, read {} and patch {}{}{}",
        readable.join(", "),
        cx.binding_secret(),
        if generated { format!(" and {}", cx.credentials_secret()) } else { String::new() },
        route_ca
            .map_or_else(String::new, |cm| format!(", and create and update the ConfigMap {cm} (the CA's certificate, for the Gateway)"))
    )));
    let job = Job {
        metadata: job_meta,
        spec: Some(JobSpec {
            backoff_limit: Some(6),
            template: api_client_pod(
                labels(cx),
                &name,
                (!tls_steps.is_empty())
                    .then(|| tls_steps.into_iter().map(|(name, image, script)| step(name, image, script, true)).collect()),
                step("generate", IMAGE, script, cx.tls().is_some()),
                if cx.tls().is_some() {
                    // the keys, between the steps: in memory, gone with the pod
                    vec![crate::lower::empty_dir("tmp", true, "1Mi"), crate::lower::empty_dir("work", true, "1Mi")]
                } else {
                    vec![crate::lower::empty_dir("tmp", true, "1Mi")]
                },
            ),
            ..JobSpec::default()
        }),
        ..Job::default()
    };
    let service_account = ServiceAccount { metadata: meta(cx, &name), ..ServiceAccount::default() };
    Some(Generator { service_account, role, role_binding, client_roles, network_policy, job })
}

/// The pod of a helper that talks to the API server from curl's image (the generator, the
/// tls-reload CronJob): the token of its own ServiceAccount, no service links, never restarted
/// in place, the image's non-root user. `labels` are the helper's (they hold its selector).
pub(crate) fn api_client_pod(
    labels: BTreeMap<String, String>,
    service_account: &str,
    init_containers: Option<Vec<Container>>,
    container: Container,
    volumes: Vec<k8s_openapi::api::core::v1::Volume>,
) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
        spec: Some(PodSpec {
            service_account_name: Some(service_account.to_owned()),
            automount_service_account_token: Some(true),
            enable_service_links: Some(false),
            restart_policy: Some("Never".to_owned()),
            security_context: Some(security::pod_security_context(Some(IMAGE_IDS), false)),
            init_containers,
            containers: vec![container],
            volumes: Some(volumes),
            ..PodSpec::default()
        }),
    }
}

/// The NetworkPolicy of such a helper's pods (`selector`): nothing in, DNS and the API server out.
pub(crate) fn api_client_network_policy(metadata: ObjectMeta, selector: BTreeMap<String, String>) -> NetworkPolicy {
    NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(selector), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            // No ingress rule at all: with `Ingress` in policyTypes that denies every
            // connection. Not `ingress: []`: the server drops the empty list, so a
            // re-apply would see a change (generation 2) where there is none.
            ingress: None,
            // DNS, and the API server
            egress: Some(vec![dns_egress(), crate::lower::api_server_egress()]),
        }),
    }
}

/// checkov's findings such a helper's Job or CronJob is skipped for, with the reasons: its API
/// token (`token`: why it needs one, and what its Role allows), and curl's pinned image and user.
pub(crate) fn api_client_skips(token: String) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("checkov.io/skip1".to_owned(), format!("CKV_K8S_38={token}")),
        ("checkov.io/skip2".to_owned(), "CKV_K8S_40=runs as the image's own non-root user (curl_user, 100)".to_owned()),
        ("checkov.io/skip3".to_owned(), "CKV_K8S_43=image pinned to a release tag (docs/runtime.md names it)".to_owned()),
        ("checkov.io/skip4".to_owned(), "CKV_K8S_15=pinned image with IfNotPresent".to_owned()),
    ])
}

/// One container of the generator's pod: `script` run by `/bin/sh` in `image`, with `/tmp`
/// (and `/work`, the TLS steps' hand-over, when `work`).
pub(crate) fn step(name: &str, image: &str, script: String, work: bool) -> Container {
    let mount = |volume: &str, path: &str| VolumeMount { name: volume.to_owned(), mount_path: path.to_owned(), ..VolumeMount::default() };
    let mut mounts = vec![mount("tmp", "/tmp")];
    if work {
        mounts.push(mount("work", "/work"));
    }
    Container {
        name: name.to_owned(),
        image: Some(image.to_owned()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script]),
        resources: Some(crate::lower::resources(CPU, MEMORY, 0)),
        security_context: Some(security::container_security_context()),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

/// The label that selects the generator's pods (for its NetworkPolicy).
fn job_selector(cx: &Context) -> BTreeMap<String, String> {
    cx.helper_selector(GENERATOR_POD_NAME)
}

/// CPU and memory of the generator's pod (nano-units), for the namespace's quota: [`CPU`] and
/// [`MEMORY`], read as the pod's resources are.
#[must_use]
pub fn pod_totals() -> (i128, i128) {
    let nanos = |q: &str| oss_spec::values::Quantity::parse(q).map_or(0, |q| q.nanos());
    (nanos(CPU), nanos(MEMORY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn the_quota_counts_the_pods_own_resources() {
        assert_eq!(pod_totals(), (100_000_000, 64 * (1 << 20) * 1_000_000_000));
    }

    #[test]
    fn base64_and_shell_quoting() {
        assert_eq!(base64("postgres"), "cG9zdGdyZXM=");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
