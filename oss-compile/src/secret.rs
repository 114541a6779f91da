//! A Secret the consumer brings (`access.credentialsSecret`), checked before anything is applied.
//!
//! Owns: reading the key names of a Secret manifest as GitOps repositories hold it — a plain
//! `Secret` (`data`, `stringData`), a Bitnami `SealedSecret` (`spec.encryptedData`) or an
//! External Secrets `ExternalSecret` (`spec.data[].secretKey`) — and comparing them and its name
//! with what the spec reads. Must not: keep, print or compare a value; only key names and the
//! Secret's name are looked at.

use oss_spec::yaml::{self, Limits, Node, Value};
use oss_spec::{Code, Diagnostic, Diagnostics, SourceId, Sources, Span, Spec};

/// What the manifest says: the Secret's name and namespace, where they are written, and its keys.
struct Manifest<'a> {
    kind: &'a str,
    name: Option<(&'a str, Span)>,
    namespace: Option<(&'a str, Span)>,
    /// `None` when the keys cannot be known from the file (an ExternalSecret's `dataFrom`).
    keys: Option<Vec<&'a str>>,
    /// Where a missing key should be added.
    keys_at: Span,
}

fn entries(n: &Node) -> &[(Node, Node)] {
    match &n.value {
        Value::Map(e) => e,
        _ => &[],
    }
}

/// The span of the key `key` of mapping `n` (where a finding about its entries points).
fn key_span(n: Option<&Node>, key: &str) -> Option<Span> {
    n.and_then(|n| entries(n).iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, _)| k.span))
}

fn str_at(n: Option<&Node>) -> Option<(&str, Span)> {
    n.and_then(|n| n.as_str().map(|s| (s, n.span)))
}

fn read(root: &Node) -> Result<Manifest<'_>, Box<Diagnostic>> {
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    let meta = root.get("metadata");
    let name = str_at(meta.and_then(|m| m.get("name")));
    let namespace = str_at(meta.and_then(|m| m.get("namespace")));
    let spec = root.get("spec");
    match kind {
        "Secret" => {
            let data = root.get("data");
            let string_data = root.get("stringData");
            let keys = [data, string_data].into_iter().flatten().flat_map(entries).filter_map(|(k, _)| k.as_str()).collect();
            Ok(Manifest {
                kind,
                name,
                namespace,
                keys: Some(keys),
                keys_at: key_span(Some(root), "stringData").or(key_span(Some(root), "data")).unwrap_or(root.span),
            })
        }
        "SealedSecret" => {
            let template = spec.and_then(|s| s.get("template")).and_then(|t| t.get("metadata"));
            let data = spec.and_then(|s| s.get("encryptedData"));
            Ok(Manifest {
                kind,
                name: str_at(template.and_then(|m| m.get("name"))).or(name),
                namespace: str_at(template.and_then(|m| m.get("namespace"))).or(namespace),
                keys: Some(data.map(|d| entries(d).iter().filter_map(|(k, _)| k.as_str()).collect()).unwrap_or_default()),
                keys_at: key_span(spec, "encryptedData").or(key_span(Some(root), "spec")).unwrap_or(root.span),
            })
        }
        "ExternalSecret" => {
            let data = spec.and_then(|s| s.get("data"));
            let keys = match data.map(|d| &d.value) {
                _ if spec.and_then(|s| s.get("dataFrom")).is_some() => None,
                Some(Value::Seq(items)) => Some(items.iter().filter_map(|i| i.get("secretKey").and_then(Node::as_str)).collect()),
                _ => Some(Vec::new()),
            };
            Ok(Manifest {
                kind,
                name: str_at(spec.and_then(|s| s.get("target")).and_then(|t| t.get("name"))).or(name),
                namespace,
                keys,
                keys_at: key_span(spec, "data").or(key_span(spec, "dataFrom")).or(key_span(Some(root), "spec")).unwrap_or(root.span),
            })
        }
        _ => Err(Box::new(
            Diagnostic::error(Code::CredentialsSecret, format!("`{kind}` is not a Secret manifest ossc can read"))
                .at(root.get("kind").map_or(root.span, |k| k.span))
                .help("give a `v1` Secret, a SealedSecret or an ExternalSecret: the file you apply to create the credentials Secret"),
        )),
    }
}

/// Checks a consumer's Secret manifest (`name`, `text`; added to `sources`) against the spec
/// that reads it, in namespace `namespace`: its name is `access.credentialsSecret`, it is in
/// that namespace (when it says), and it holds every key of `credentials`. All findings at once,
/// located in the manifest.
pub fn check(spec: &Spec, namespace: &str, sources: &mut Sources, name: &str, text: &str, limits: &Limits) -> Diagnostics {
    let id: SourceId = sources.add(name, text);
    let mut out = Diagnostics::default();
    let root = match yaml::parse(sources.get(id), id, limits) {
        Ok(root) => root,
        Err(d) => {
            out.push(*d);
            return out;
        }
    };
    let m = match read(&root) {
        Ok(m) => m,
        Err(d) => {
            out.push(*d);
            return out;
        }
    };
    let service = spec.metadata.name.as_str();
    if spec.credentials.is_empty() {
        out.push(
            Diagnostic::error(Code::CredentialsSecret, format!("{service} reads no credentials: this {} is not used", m.kind))
                .at(m.name.map_or(root.span, |n| n.1))
                .help("drop the file; the service's entry says how clients are authenticated (`ossc catalog show`)"),
        );
        return out;
    }
    let wanted = spec.credentials.keys().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
    match (m.name, spec.access.credentials_secret.as_deref()) {
        (None, _) => out.push(
            Diagnostic::error(Code::CredentialsSecret, format!("this {} has no name", m.kind))
                .at(root.span)
                .help("give it `metadata.name`, the name `access.credentialsSecret` names"),
        ),
        (Some((found, at)), None) => out.push(
            Diagnostic::error(
                Code::CredentialsSecret,
                format!("{service} generates its own credentials: Secret `{found}` would not be read"),
            )
            .at(at)
            .label("not named by `access.credentialsSecret`")
            .help(format!("to bring this Secret instead, set `access.credentialsSecret: {found}`"))
            .fix(vec![format!("access.credentialsSecret={found}")]),
        ),
        (Some((found, at)), Some(expected)) if found != expected => out.push(
            Diagnostic::error(
                Code::CredentialsSecret,
                format!("this Secret is `{found}`, but {service} reads `{expected}` (access.credentialsSecret)"),
            )
            .at(at)
            .help(format!("name it `{expected}`, or set `access.credentialsSecret: {found}`"))
            .fix(vec![format!("access.credentialsSecret={found}")]),
        ),
        _ => {}
    }
    if let Some((ns, at)) = m.namespace.filter(|(ns, _)| *ns != namespace) {
        out.push(
            Diagnostic::error(Code::CredentialsSecret, format!("this Secret is in namespace `{ns}`, but {service} runs in `{namespace}`"))
                .at(at)
                .help(format!("a pod reads Secrets of its own namespace only: put it in `{namespace}` (or drop `namespace:` and apply it with `-n {namespace}`)")),
        );
    }
    match &m.keys {
        None => out.push(
            Diagnostic::warning(
                Code::CredentialsSecret,
                format!("the keys of this ExternalSecret come from `dataFrom`: not checked (needs: {wanted})"),
            )
            .at(m.keys_at)
            .help("list the keys under `spec.data` (secretKey) to have them checked before apply"),
        ),
        Some(keys) => {
            for key in spec.credentials.keys().map(|k| k.as_str()).filter(|k| !keys.contains(k)) {
                let how = match m.kind {
                    "SealedSecret" => format!("seal a value for `{key}` into `spec.encryptedData` (`kubeseal --merge-into`)"),
                    "ExternalSecret" => format!("add `{{secretKey: {key}, remoteRef: {{key: ...}}}}` under `spec.data`"),
                    _ => format!("add `{key}: <value>` under `stringData`"),
                };
                out.push(
                    Diagnostic::error(
                        Code::CredentialsSecret,
                        format!("the Secret lacks key `{key}`, which {service} reads (it needs: {wanted})"),
                    )
                    .at(m.keys_at)
                    .help(how),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postgres() -> Spec {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/postgres.yaml")).unwrap_or_default();
        let mut loaded = oss_spec::parse("specs/postgres.yaml", &text).unwrap_or_else(|f| panic!("{f}"));
        loaded.spec.access.credentials_secret = Some("team-db".to_owned());
        // the two keys an application's own Secret usually has (the entry's other keys are
        // Patroni's, checked the same way)
        loaded.spec.credentials.retain(|k, _| matches!(k.as_str(), "username" | "password"));
        loaded.spec
    }

    fn findings(spec: &Spec, text: &str) -> Vec<(String, String)> {
        let mut sources = Sources::new();
        let d = check(spec, "postgres", &mut sources, "secret.yaml", text, &Limits::default());
        d.0.iter().map(|d| (d.span.map(|s| sources.location(s)).unwrap_or_default(), d.message.clone())).collect()
    }

    #[test]
    fn a_complete_secret_passes_and_values_are_never_looked_at() {
        let spec = postgres();
        assert_eq!(
            findings(&spec, "apiVersion: v1\nkind: Secret\nmetadata: {name: team-db}\nstringData: {username: app, password: s3cret}\n"),
            []
        );
        assert_eq!(
            findings(&spec, "apiVersion: v1\nkind: Secret\nmetadata: {name: team-db}\ndata: {username: YQ==}\nstringData: {password: x}\n"),
            []
        );
    }

    #[test]
    fn a_missing_key_is_located_where_keys_go() {
        let f = findings(&postgres(), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-db\nstringData:\n  username: app\n");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "secret.yaml:5:1");
        assert!(f[0].1.contains("lacks key `password`"), "{}", f[0].1);
    }

    #[test]
    fn name_and_namespace_must_be_the_ones_read() {
        let f = findings(&postgres(), "kind: Secret\nmetadata: {name: other, namespace: shop}\nstringData: {username: a, password: b}\n");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].1.contains("reads `team-db`") && f[1].1.contains("namespace `shop`"), "{f:?}");
    }

    #[test]
    fn sealed_and_external_secrets_are_read_by_their_key_names() {
        let spec = postgres();
        let sealed = "kind: SealedSecret\nmetadata: {name: team-db}\nspec:\n  encryptedData: {username: AgB, password: AgC}\n";
        assert_eq!(findings(&spec, sealed), []);
        let external = "kind: ExternalSecret\nmetadata: {name: x}\nspec:\n  target: {name: team-db}\n  data:\n    - {secretKey: username, remoteRef: {key: db}}\n";
        let f = findings(&spec, external);
        assert!(f.len() == 1 && f[0].1.contains("lacks key `password`"), "{f:?}");
        let from = "kind: ExternalSecret\nmetadata: {name: team-db}\nspec:\n  dataFrom: [{extract: {key: db}}]\n";
        assert!(findings(&spec, from)[0].1.contains("not checked"));
    }

    #[test]
    fn other_kinds_are_refused() {
        let f = findings(&postgres(), "kind: ConfigMap\nmetadata: {name: team-db}\n");
        assert!(f[0].1.contains("not a Secret manifest"), "{f:?}");
    }
}
