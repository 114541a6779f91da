//! ossc as a KRM function (the Kubernetes Resource Model function spec, exec form): a
//! `ResourceList` comes in, its `functionConfig` is an Open Service Spec, and the bundle's
//! objects go out appended to the list's `items`. `kustomize build --enable-alpha-plugins
//! --enable-exec` (a spec listed under `generators:`) and `kpt fn` call it this way
//! (docs/gitops.md).
//!
//! Owns: taking the list apart (the spec, the build options carried as annotations of the
//! spec's metadata, the items to pass through) and putting the answer together. Must not: read
//! files or stdin (the CLI does), or build (the caller runs the usual load and compile, so the
//! objects are byte-for-byte those of `ossc build`).

use crate::monitoring::Monitoring;
use crate::{Options, Target};
use serde_json::{Map, Value};

/// The annotation naming the namespace to build for (as `--namespace`).
pub const NAMESPACE: &str = "openservice.dev/namespace";
/// The annotation naming the target (as `--target`).
pub const TARGET: &str = "openservice.dev/target";
/// The annotation choosing monitoring objects (`prometheus-operator`,
/// `google-managed-prometheus`: as `--monitoring`).
pub const MONITORING: &str = "openservice.dev/monitoring";

/// What one function call asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The spec: the function config without `metadata.annotations`, as YAML.
    pub spec: String,
    /// The build options its annotations name.
    pub options: Options,
    /// The list's items, passed through (a generator gets none; a transformer gets all).
    pub items: Vec<Value>,
}

/// Takes a `ResourceList` apart. `list` is the parsed input document.
///
/// # Errors
/// What is wrong with the list or the annotations, in words a kustomize user can act on.
pub fn read(list: Value) -> Result<Call, String> {
    let Value::Object(mut list) = list else {
        return Err("the input is not a ResourceList object".to_owned());
    };
    if list.get("kind").and_then(Value::as_str) != Some("ResourceList") {
        return Err(format!(
            "the input is a `{}`, not a ResourceList: ossc krm is run by kustomize or kpt, which send one on stdin",
            list.get("kind").and_then(Value::as_str).unwrap_or("document without a kind")
        ));
    }
    let items = match list.remove("items") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err("the ResourceList's `items` is not a list".to_owned()),
    };
    let Some(Value::Object(mut config)) = list.remove("functionConfig") else {
        return Err("the ResourceList has no functionConfig: list the spec under `generators:` with the annotation \
                    `config.kubernetes.io/function: {exec: {path: ossc-krm}}` (docs/gitops.md)"
            .to_owned());
    };
    let annotations = match config.get_mut("metadata") {
        Some(Value::Object(meta)) => match meta.remove("annotations") {
            Some(Value::Object(a)) => a,
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err("`metadata.annotations` of the spec is not a mapping".to_owned()),
        },
        _ => Map::new(),
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match annotations.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("annotation `{key}` must be a string")),
        }
    };
    let namespace =
        text(NAMESPACE)?.map(|n| crate::parse_namespace(&n).map_err(|e| format!("annotation `{NAMESPACE}`: {e}"))).transpose()?;
    let target = match text(TARGET)? {
        None => Target::default(),
        Some(t) => Target::from_name(&t).ok_or_else(|| {
            let names: Vec<&str> = Target::ALL.iter().map(|(n, _)| *n).collect();
            format!("annotation `{TARGET}`: `{t}` is not a target; use one of {}", names.join(", "))
        })?,
    };
    let monitoring = match text(MONITORING)? {
        None => Monitoring::Off,
        Some(m) => Monitoring::from_name(&m).ok_or_else(|| {
            let names: Vec<&str> = Monitoring::ALL.iter().map(|(n, _)| *n).collect();
            format!("annotation `{MONITORING}`: `{m}` is not a monitoring choice; use one of {}", names.join(", "))
        })?,
    };
    let mut spec = String::new();
    crate::emit::write_document(&mut spec, &Value::Object(config));
    Ok(Call { spec, options: Options { namespace, monitoring, target, peer_cidrs: Vec::new() }, items })
}

/// The answer: the items passed in, then the bundle's objects in install order.
#[must_use]
pub fn write(items: Vec<Value>, bundle: &crate::Bundle) -> String {
    let mut all = items;
    all.extend(bundle.objects().iter().map(crate::bundle::Object::to_value));
    let list = serde_json::json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": all});
    let mut s = serde_json::to_string(&list).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list(config: Value) -> Value {
        json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"kind": "ConfigMap", "metadata": {"name": "kept"}}], "functionConfig": config})
    }

    #[test]
    fn the_spec_loses_its_annotations_and_they_become_options() {
        let call = read(list(json!({
            "apiVersion": "openservice.dev/v1alpha1", "kind": "Service", "extends": "valkey",
            "metadata": {"name": "cache", "annotations": {
                "config.kubernetes.io/function": "exec:\n  path: ossc-krm\n", TARGET: "gke", NAMESPACE: "shop", MONITORING: "prometheus-operator"}}
        })))
        .unwrap();
        assert_eq!(call.options.target, Target::Gke);
        assert_eq!(call.options.namespace.as_deref(), Some("shop"));
        assert_eq!(call.options.monitoring, Monitoring::PrometheusOperator);
        assert!(!call.spec.contains("annotations"), "{}", call.spec);
        assert!(call.spec.contains("extends: valkey") && call.spec.contains("name: cache"), "{}", call.spec);
        assert_eq!(call.items.len(), 1);
    }

    #[test]
    fn wrong_input_is_refused_with_what_to_do() {
        let e = read(json!({"kind": "Service"})).unwrap_err();
        assert!(e.contains("not a ResourceList"), "{e}");
        let e = read(json!({"kind": "ResourceList", "items": []})).unwrap_err();
        assert!(e.contains("generators:"), "{e}");
        let e = read(list(json!({"metadata": {"name": "x", "annotations": {TARGET: "gek"}}}))).unwrap_err();
        assert!(e.contains("`gek` is not a target"), "{e}");
        let e = read(list(json!({"metadata": {"name": "x", "annotations": {NAMESPACE: "Bad_NS"}}}))).unwrap_err();
        assert!(e.contains(NAMESPACE), "{e}");
    }

    #[test]
    fn the_answer_keeps_the_items_and_adds_the_objects_in_order() {
        let loaded =
            oss_spec::load(&[oss_spec::Input { name: "etcd", text: web_spec() }], &oss_spec::Options::default(), &oss_spec::NoResolver)
                .unwrap();
        let bundle = crate::compile(&loaded, &Options::default()).unwrap();
        let out: Value = serde_json::from_str(&write(vec![json!({"kind": "ConfigMap"})], &bundle)).unwrap();
        let items = out["items"].as_array().unwrap();
        assert_eq!(items.len(), 1 + bundle.objects().len());
        assert_eq!(items[0]["kind"], "ConfigMap");
        assert_eq!(items[1], bundle.objects()[0].to_value());
    }

    fn web_spec() -> &'static str {
        "apiVersion: openservice.dev/v1alpha1\nkind: Service\nmetadata: {name: web, version: \"1\"}\nfunction:\n  category: other\n  endpoints: [{name: http, port: 8080}]\nruntime:\n  image: docker.io/library/nginx:1.27\n  state: stateless\n  user: 101\n  health:\n    ready: {http: {port: http, path: /}}\n    live: {tcp: http}\n"
    }
}
