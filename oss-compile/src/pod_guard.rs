//! What a patch may do to a pod template (docs/patches.md, "Containers a patch adds").
//!
//! Owns: the rules that keep a patched workload as safe as the one ossc emitted. A container a
//! patch adds gets ossc's restricted security context for every field the patch leaves out;
//! then every container and the pod itself are held to Pod Security "restricted" (a patch can
//! add but never weaken), an added container must state its resources (ossc cannot guess what
//! a sidecar needs, and a pod without them is BestEffort and evicted first), and no two
//! containers may share a port name or number (a Service's named `targetPort` would reach
//! whichever comes first). Works on the JSON of the patched object, before its typed round trip.

use crate::bundle::Kind;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Where a workload kind keeps its pod spec (a JSON pointer), if it has one.
fn pod_spec_path(kind: Kind) -> Option<&'static str> {
    matches!(kind, Kind::StatefulSet | Kind::Deployment).then_some("/spec/template/spec")
}

/// The lists of a pod spec that hold containers.
const CONTAINER_LISTS: [&str; 2] = ["initContainers", "containers"];

/// The names of every container (init containers included) of a workload's pod template.
#[must_use]
pub fn container_names(kind: Kind, object: &Value) -> BTreeSet<String> {
    let Some(pod) = pod_spec_path(kind).and_then(|p| object.pointer(p)) else { return BTreeSet::new() };
    containers(pod).filter_map(|c| c["name"].as_str().map(str::to_owned)).collect()
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    CONTAINER_LISTS.into_iter().flat_map(move |k| pod[k].as_array().into_iter().flatten())
}

/// Secures the containers of `object` whose names are not in `emitted`, then checks the whole
/// pod template. Returns every rule the patched object breaks, as `(what, how to fix it)`.
pub fn guard(kind: Kind, object: &mut Value, emitted: &BTreeSet<String>) -> Vec<(String, String)> {
    let Some(pod) = pod_spec_path(kind).and_then(|p| object.pointer_mut(p)) else { return Vec::new() };
    let defaults = serde_json::to_value(crate::security::container_security_context()).unwrap_or(Value::Null);
    for list in CONTAINER_LISTS {
        let Some(items) = pod.get_mut(list).and_then(Value::as_array_mut) else { continue };
        for c in items.iter_mut().filter(|c| c["name"].as_str().is_none_or(|n| !emitted.contains(n))) {
            let ctx = c.as_object_mut().map(|m| m.entry("securityContext").or_insert_with(|| json!({})));
            if let (Some(Value::Object(ctx)), Value::Object(d)) = (ctx, &defaults) {
                for (k, v) in d {
                    ctx.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    check_pod_level(pod, &mut out);
    let mut port_names = BTreeSet::new();
    let mut port_numbers = BTreeSet::new();
    for c in containers(pod) {
        let name = c["name"].as_str().unwrap_or("?");
        check_container(name, &c["securityContext"], &mut out);
        let missing: Vec<String> = ["requests", "limits"]
            .iter()
            .flat_map(|r| ["cpu", "memory", "ephemeral-storage"].map(|res| (r, res)))
            .filter(|(r, res)| c["resources"][**r][*res].is_null())
            .map(|(r, res)| format!("`resources.{r}.{res}`"))
            .collect();
        if !emitted.contains(name) && !missing.is_empty() {
            out.push((
                format!("container `{name}` added by the patch has no {}", missing.join(", ")),
                "give it `resources.requests` and `resources.limits` for cpu, memory and ephemeral-storage (equal, as ossc's own containers have; ephemeral-storage covers its logs, 64Mi for a quiet one, and any emptyDir it writes): ossc cannot guess what a sidecar needs".to_owned(),
            ));
        }
        for p in c["ports"].as_array().into_iter().flatten() {
            if let Some(n) = p["name"].as_str()
                && !port_names.insert(n.to_owned())
            {
                out.push((
                    format!("container `{name}` declares the port name `{n}`, which another container of the pod has"),
                    "give the port a name of its own: a Service's named target port would reach whichever container comes first".to_owned(),
                ));
            }
            if let Some(n) = p["containerPort"].as_i64()
                && !port_numbers.insert(n)
            {
                out.push((
                    format!("container `{name}` declares port {n}, which another container of the pod has"),
                    "containers of a pod share one network namespace: use another port".to_owned(),
                ));
            }
        }
    }
    out
}

/// Whether a security context (pod or container) lets the process run as root.
fn may_run_as_root(ctx: &Value) -> bool {
    ctx["runAsNonRoot"] == false || ctx["runAsUser"] == 0
}

/// Whether a security context names a seccomp profile "restricted" does not allow.
fn weak_seccomp(ctx: &Value) -> bool {
    ctx["seccompProfile"]["type"].as_str().is_some_and(|t| t != "RuntimeDefault" && t != "Localhost")
}

const WEAKEN_HELP: &str =
    "a patch may add to ossc's security defaults but not weaken them (Pod Security \"restricted\"); remove this field from the patch";

fn check_pod_level(pod: &Value, out: &mut Vec<(String, String)>) {
    for k in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[k] == true {
            out.push((format!("the pod sets `{k}: true`, which Pod Security \"restricted\" forbids"), WEAKEN_HELP.to_owned()));
        }
    }
    let ctx = &pod["securityContext"];
    if may_run_as_root(ctx) {
        out.push(("the pod may run as root, which Pod Security \"restricted\" forbids".to_owned(), WEAKEN_HELP.to_owned()));
    }
    if weak_seccomp(ctx) {
        out.push(("the pod's seccomp profile is not `RuntimeDefault`".to_owned(), WEAKEN_HELP.to_owned()));
    }
    for v in pod["volumes"].as_array().into_iter().flatten() {
        if v.get("hostPath").is_some() {
            let name = v["name"].as_str().unwrap_or("?");
            out.push((
                format!("volume `{name}` is a hostPath, which Pod Security \"restricted\" forbids"),
                "use an emptyDir, a ConfigMap, a Secret or a claim".to_owned(),
            ));
        }
    }
}

fn check_container(name: &str, ctx: &Value, out: &mut Vec<(String, String)>) {
    let mut broken = Vec::new();
    if ctx["privileged"] == true {
        broken.push("`privileged: true`".to_owned());
    }
    if ctx["allowPrivilegeEscalation"] != false {
        broken.push("privilege escalation (`allowPrivilegeEscalation` must be false)".to_owned());
    }
    if may_run_as_root(ctx) {
        broken.push("running as root".to_owned());
    }
    let drops_all = ctx["capabilities"]["drop"].as_array().is_some_and(|d| d.iter().any(|c| c == "ALL"));
    if !drops_all {
        broken.push("capabilities not dropped (`capabilities.drop: [ALL]`)".to_owned());
    }
    for cap in ctx["capabilities"]["add"].as_array().into_iter().flatten() {
        if cap != "NET_BIND_SERVICE" {
            broken.push(format!("the added capability {cap}"));
        }
    }
    if weak_seccomp(ctx) {
        broken.push("a seccomp profile other than `RuntimeDefault`".to_owned());
    }
    for b in broken {
        out.push((format!("container `{name}` would violate Pod Security \"restricted\": {b}"), WEAKEN_HELP.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(containers: Value) -> Value {
        json!({"spec": {"template": {"spec": {"securityContext": {"runAsNonRoot": true}, "containers": containers}}}})
    }

    fn secure() -> Value {
        serde_json::to_value(crate::security::container_security_context()).unwrap()
    }

    #[test]
    fn an_added_container_gets_the_defaults_and_must_state_resources() {
        let emitted = BTreeSet::from(["db".to_owned()]);
        let r = json!({"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"});
        let res = json!({"requests": r, "limits": r});
        let mut o = sts(json!([{"name": "db", "securityContext": secure()}, {"name": "side", "resources": res}]));
        assert_eq!(guard(Kind::StatefulSet, &mut o, &emitted), Vec::<(String, String)>::new());
        assert_eq!(o["spec"]["template"]["spec"]["containers"][1]["securityContext"], secure());
        let mut o = sts(json!([{"name": "db", "securityContext": secure()}, {"name": "side"}]));
        let found = guard(Kind::StatefulSet, &mut o, &emitted);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].0.contains(
                "`resources.requests.cpu`, `resources.requests.memory`, `resources.requests.ephemeral-storage`, `resources.limits.cpu`"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn no_container_may_be_weakened() {
        let emitted = BTreeSet::from(["db".to_owned()]);
        let mut weak = secure();
        weak["allowPrivilegeEscalation"] = json!(true);
        weak["capabilities"] = json!({"add": ["SYS_ADMIN"]});
        let mut o = sts(json!([{"name": "db", "securityContext": weak}]));
        let found: Vec<String> = guard(Kind::StatefulSet, &mut o, &emitted).into_iter().map(|f| f.0).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        let mut o = sts(json!([{"name": "db", "securityContext": secure()}]));
        o["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        assert_eq!(guard(Kind::StatefulSet, &mut o, &emitted).len(), 1);
    }

    #[test]
    fn ports_are_unique_in_the_pod() {
        let emitted = BTreeSet::from(["db".to_owned(), "exporter".to_owned()]);
        let port = json!([{"name": "metrics", "containerPort": 9000}]);
        let mut o = sts(
            json!([{"name": "db", "securityContext": secure(), "ports": port}, {"name": "exporter", "securityContext": secure(), "ports": port}]),
        );
        assert_eq!(guard(Kind::StatefulSet, &mut o, &emitted).len(), 2);
    }
}
