//! Upgrade safety: what applying a new bundle over an old one will do (docs/upgrades.md).
//!
//! Owns: pairing objects, listing changed fields, and the rules that classify each change:
//! safe; rolls pods; rejected by the API server (immutable fields, from Kubernetes' own update
//! validation); destructive (deletes a Service, a namespace, data); unsafe for the quorum.
//! Every rule is tested with a pair of bundles and proved against a real API server by
//! scripts/apiserver-tier.

use crate::bundle::Bundle;
use oss_spec::template;
use serde_json::Value;
use std::collections::BTreeMap;

/// How bad a change is, from harmless to refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Applies without disturbing anything.
    Safe,
    /// Replaces pods (one at a time, as the workload's update strategy says).
    RollsPods,
    /// Applies, but may keep pods from being created: a shrinking ResourceQuota.
    MayBlockPods,
    /// Removes replicas that must first leave the software's membership (`nodetool
    /// decommission`, `etcdctl member remove`): the commands are in [`Change::commands`].
    NeedsManualStep,
    /// Takes more replicas down at once than the quorum allows, removes spread, or stops it.
    UnsafeForQuorum,
    /// Deletes a Service, a namespace or data.
    Destructive,
    /// The API server refuses it (an immutable field).
    Rejected,
}

impl Class {
    /// Lowercase name, as printed.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::RollsPods => "rolls pods",
            Class::MayBlockPods => "may block pods",
            Class::NeedsManualStep => "unsafe without a manual step",
            Class::UnsafeForQuorum => "unsafe for the quorum",
            Class::Destructive => "destructive",
            Class::Rejected => "rejected by the API server",
        }
    }

    /// Whether `ossc diff` exits 3 for it.
    #[must_use]
    pub fn blocks(self) -> bool {
        self >= Class::NeedsManualStep
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `Kind/name`.
    pub object: String,
    /// `added`, `removed`, or the changed field path (`spec.replicas`).
    pub path: String,
    /// Old value (JSON), if any.
    pub old: Option<String>,
    /// New value (JSON), if any.
    pub new: Option<String>,
    /// Classification.
    pub class: Class,
    /// Why, and what to do about it.
    pub note: String,
    /// Commands to run, in order, before applying (each carries `-n NAMESPACE`).
    pub commands: Vec<String>,
}

/// What `diff` needs to know of the service besides the two bundles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Service<'a> {
    /// The steps that remove a replica from the software's membership
    /// (`runtime.scaling.removeMember`).
    pub remove_member: &'a [oss_spec::model::RemovalStep],
    /// Why scaling is limited (`runtime.scaling.reason`), quoted with the steps.
    pub reason: Option<&'a str>,
    /// Whether the packager says removing a replica needs an operator (`scaleDown: manual`,
    /// `automatic: false`, or `removeMember` steps): then every decrease is unsafe until that is
    /// done.
    pub manual: bool,
    /// Whether adding a replica to a running install needs a step of the software's own first
    /// (`scaleUp: manual`): then every increase is unsafe until that is done.
    pub manual_growth: bool,
    /// Why a rolling update cannot switch TLS on or off (`runtime.tls.stopToSwitch`): then a
    /// switch is unsafe until the service is stopped.
    pub tls_stop_to_switch: Option<&'a str>,
}

impl<'a> Service<'a> {
    /// The service a spec describes.
    #[must_use]
    pub fn of(spec: &'a oss_spec::Spec) -> Self {
        let scaling = &spec.runtime.scaling;
        Self {
            remove_member: &scaling.remove_member,
            reason: scaling.reason.as_deref(),
            manual: !scaling.automatic || scaling.scale_down == oss_spec::model::MemberChange::Manual || !scaling.remove_member.is_empty(),
            manual_growth: scaling.scale_up == oss_spec::model::MemberChange::Manual,
            tls_stop_to_switch: spec.runtime.tls.as_ref().and_then(|t| t.stop_to_switch.as_deref()),
        }
    }
}

fn key(v: &Value) -> (String, String) {
    let kind = v["kind"].as_str().unwrap_or_default().to_owned();
    let ns = v["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = v["metadata"]["name"].as_str().unwrap_or_default();
    (kind, format!("{ns}/{name}"))
}

/// Every leaf path where `a` and `b` differ, with the old and new values (`None` when absent).
#[must_use]
pub fn changed_leaves(a: &Value, b: &Value) -> Vec<(String, Option<Value>, Option<Value>)> {
    let mut out = Vec::new();
    leaves(a, b, "", &mut out);
    out
}

fn leaves(a: &Value, b: &Value, path: &str, out: &mut Vec<(String, Option<Value>, Option<Value>)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(p1), Some(p2)) => leaves(p1, p2, &p, out),
                    (p1, p2) => out.push((p, p1.cloned(), p2.cloned())),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p1, p2)) in x.iter().zip(y).enumerate() {
                leaves(p1, p2, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push((path.to_owned(), Some(a.clone()), Some(b.clone()))),
        _ => {}
    }
}

/// StatefulSet spec fields the API server lets an update change (apps validation:
/// "updates to statefulset spec for fields other than ... are forbidden").
const STS_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

const STORAGE_REMEDIATION: &str = "grow each claim instead (the StorageClass must allow expansion): run the commands below, wait until every claim shows the new size (`kubectl get pvc -n <ns>`), delete the StatefulSet with `--cascade=orphan` (pods and claims stay), and apply the new bundle";

fn short(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(|v| {
        let s = v.to_string();
        if s.len() > 80 { format!("{}…", &s[..s.char_indices().nth(77).map_or(s.len(), |(i, _)| i)]) } else { s }
    })
}

/// Classifies every change from `old` (objects of an earlier bundle) to `new`, a build of the
/// service `service` describes.
#[must_use]
pub fn diff(old: &[Value], new: &Bundle, service: Service) -> Vec<Change> {
    let new_values: Vec<Value> = new.objects().iter().map(crate::Object::to_value).collect();
    let old_map: BTreeMap<(String, String), &Value> = old.iter().map(|v| (key(v), v)).collect();
    let new_map: BTreeMap<(String, String), &Value> = new_values.iter().map(|v| (key(v), v)).collect();
    let mut out = Vec::new();
    let label = |(kind, id): &(String, String)| format!("{kind}/{}", id.rsplit('/').next().unwrap_or(id));
    // What the old topology allowed to lose at once: its disruption budget, else a majority.
    let old_budget = |name: &str| -> Option<i64> {
        old.iter()
            .find(|v| v["kind"] == "PodDisruptionBudget" && v["metadata"]["name"] == name)
            .and_then(|v| v["spec"]["maxUnavailable"].as_i64())
    };
    // The credentials generator's Job, and which TLS steps it has (`access.tls.enabled`):
    // any (`tls-`), or those that make the certificate with its own CA (`tls-issue`).
    let generator =
        |v: &Value| v["kind"] == "Job" && v["metadata"]["labels"]["app.kubernetes.io/name"] == crate::credentials::GENERATOR_POD_NAME;
    let steps = |v: &Value, step: &dyn Fn(&str) -> bool| {
        v["spec"]["template"]["spec"]["initContainers"].as_array().is_some_and(|cs| cs.iter().any(|c| c["name"].as_str().is_some_and(step)))
    };
    let tls_steps = |v: &Value| steps(v, &|n| n.starts_with("tls-"));
    let had_tls = old.iter().any(|o| generator(o) && tls_steps(o));
    let had_own_ca = old.iter().any(|o| generator(o) && steps(o, &|n| n == "tls-issue"));
    for (k, v) in new_map.iter().filter(|(k, _)| !old_map.contains_key(*k)) {
        let ns = v["metadata"]["namespace"].as_str().unwrap_or("default");
        // an added object that needs a step first: (why, the command)
        let manual = match v["kind"].as_str() {
            // TLS turned off: this Job's name is the one the generator had before TLS was on, so
            // the cluster may still hold it, completed, and would not run it to rewrite the binding
            Some("Job") if generator(v) && !tls_steps(v) && had_tls => Some((
                "TLS turned off: delete the generator's completed Jobs first, so that it runs again and writes the binding without TLS (docs/security.md)".to_owned(),
                format!(
                    "kubectl -n {ns} delete job -l app.kubernetes.io/name=ossc-credentials,app.kubernetes.io/instance={}",
                    v["metadata"]["labels"]["app.kubernetes.io/instance"].as_str().unwrap_or_default()
                ),
            )),
            // TLS turned off on a service without credentials: the bundle now carries the
            // binding itself, but the one the generator wrote keeps its ca.crt through an apply
            Some("Secret") if had_tls => Some((
                "TLS turned off: the bundle now carries this binding itself, and an apply removes no key, so the ca.crt the generator wrote would stay; delete the Secret first (docs/security.md)".to_owned(),
                format!("kubectl -n {ns} delete secret {}", v["metadata"]["name"].as_str().unwrap_or_default()),
            )),
            // from the generator's certificate to a cert-manager issuer's: cert-manager keeps a
            // valid certificate it finds in the Secret (until its renewal, two years away)
            Some("Certificate") if had_own_ca => {
                let secret = v["spec"]["secretName"].as_str().unwrap_or_default();
                Some((
                    format!("the certificate now comes from cert-manager, which keeps the valid one the generator made in Secret {secret} until its renewal: delete that Secret so that cert-manager issues its own; the bundle's tls-reload CronJob then restarts the replicas onto it within the hour, or at once with `kubectl -n {ns} create job --from=cronjob/{secret}-reload NAME` (docs/security.md)"),
                    format!("kubectl -n {ns} delete secret {secret}"),
                ))
            }
            _ => None,
        };
        let (class, note, commands) = match manual {
            Some((note, command)) => (Class::NeedsManualStep, note, vec![command]),
            None => (Class::Safe, "created".to_owned(), Vec::new()),
        };
        out.push(Change { object: label(k), path: "added".into(), old: None, new: None, class, note, commands });
    }
    for (k, o) in &old_map {
        let Some(n) = new_map.get(k) else {
            let pruned = format!(
                "deleted when pruned (Argo CD, Flux, `kubectl apply --prune -n {} -l app.kubernetes.io/part-of={}`); a Job that ran once (an earlier credentials or bootstrap Job) may also simply be deleted",
                o["metadata"]["namespace"].as_str().unwrap_or("default"),
                o["metadata"]["labels"]["app.kubernetes.io/part-of"].as_str().unwrap_or_default()
            );
            let (class, note): (Class, &str) = match k.0.as_str() {
                "Namespace" => (
                    Class::Destructive,
                    "deleting the namespace deletes everything in it, claims and their data included; remove it by hand only when that is meant",
                ),
                "Service" => (Class::Destructive, "clients lose the address; a new Service gets a new cluster IP"),
                "StatefulSet" | "Deployment" => (
                    Class::UnsafeForQuorum,
                    "deleting the workload stops every replica at once (claims are kept); stop it with `lifecycle.state: stopped` instead",
                ),
                _ => (Class::Safe, pruned.as_str()),
            };
            out.push(Change {
                object: label(k),
                path: "removed".into(),
                old: None,
                new: None,
                class,
                note: note.into(),
                commands: Vec::new(),
            });
            continue;
        };
        let mut changed = Vec::new();
        leaves(o, n, "", &mut changed);
        let kind = k.0.as_str();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        let ns = o["metadata"]["namespace"].as_str().unwrap_or("default");
        for (path, a, b) in changed {
            let mut commands = Vec::new();
            let (class, note): (Class, String) = if path.starts_with("metadata.labels") || path.starts_with("metadata.annotations") {
                (Class::Safe, "metadata only".into())
            } else {
                match kind {
                    "StatefulSet" => {
                        let field = path.strip_prefix("spec.").and_then(|p| p.split(['.', '[']).next()).unwrap_or("");
                        let component = n["metadata"]["labels"]["app.kubernetes.io/component"].as_str().filter(|c| *c != "server");
                        if let (Some(component), "spec.replicas") = (component, path.as_str()) {
                            component_count(component, &a, &b)
                        } else if path == "spec.replicas" {
                            let (class, note, steps) = members_leave(&a, &b, ns, name, service, old_budget(name));
                            commands = steps;
                            (class, note)
                        } else if field.is_empty() || STS_MUTABLE.contains(&field) {
                            sts_change(&path, &b, n)
                        } else if field == "volumeClaimTemplates" {
                            let replicas = o["spec"]["replicas"].as_i64().unwrap_or(0);
                            let size = b.as_ref().and_then(Value::as_str).filter(|_| path.ends_with("resources.requests.storage"));
                            if let Some(size) = size {
                                // The claim template that changed (the data volume's, or one of
                                // `runtime.volumes`): its claims are `<template>-<name>-<i>`.
                                let template = path
                                    .strip_prefix("spec.volumeClaimTemplates[")
                                    .and_then(|rest| rest.split(']').next())
                                    .and_then(|i| i.parse::<usize>().ok())
                                    .and_then(|i| n["spec"]["volumeClaimTemplates"][i]["metadata"]["name"].as_str())
                                    .unwrap_or("data");
                                let body = format!(r#"{{"spec":{{"resources":{{"requests":{{"storage":"{size}"}}}}}}}}"#);
                                for i in 0..replicas {
                                    commands.push(crate::shell::command(&["kubectl", "patch", "pvc", "-n", ns, &format!("{template}-{name}-{i}"), "-p", &body]));
                                }
                                commands.push(format!("kubectl delete statefulset -n {ns} {name} --cascade=orphan"));
                            }
                            // A volume added (`runtime.volumes`): the old templates are a prefix
                            // of the new ones. A StatefulSet makes the missing claims when it
                            // next creates each pod, so the new one, applied over the orphaned
                            // pods, rolls them onto new claims.
                            let added = match (&a, &b) {
                                (Some(Value::Array(old)), Some(Value::Array(new))) if path == "spec.volumeClaimTemplates" => {
                                    new.len() > old.len() && new.starts_with(old)
                                }
                                _ => false,
                            };
                            if added {
                                commands.push(format!("kubectl delete statefulset -n {ns} {name} --cascade=orphan"));
                            }
                            (
                                Class::Rejected,
                                if size.is_some() {
                                    format!("`spec.volumeClaimTemplates` is immutable; {}", STORAGE_REMEDIATION.replace("<ns>", ns))
                                } else if added {
                                    "`spec.volumeClaimTemplates` is immutable, and a volume is added: delete the StatefulSet with `--cascade=orphan` (pods and claims stay) and apply; the pods then roll, one at a time, and each gets its new claims as it is created again. The software must find its new directory empty and start (move what it kept elsewhere first, if the new volume takes over a path it used)".to_owned()
                                } else {
                                    "`spec.volumeClaimTemplates` is immutable; change the claims themselves, then delete the StatefulSet with `--cascade=orphan` and apply".to_owned()
                                },
                            )
                        } else {
                            (
                                Class::Rejected,
                                format!(
                                    "`spec.{field}` of a StatefulSet is immutable; delete it with `kubectl delete statefulset -n {ns} {name} --cascade=orphan` (pods and claims stay) and apply the new bundle"
                                ),
                            )
                        }
                    }
                    "Deployment" => {
                        if path.starts_with("spec.selector") {
                            (
                                Class::Rejected,
                                format!("a Deployment's `spec.selector` is immutable; delete it (`kubectl delete deployment -n {ns} {name}`) and apply the new bundle"),
                            )
                        } else if path.starts_with("spec.template") {
                            (Class::RollsPods, "pods are replaced with one extra pod at a time (maxSurge 1, maxUnavailable 0)".into())
                        } else if path == "spec.replicas" {
                            replicas_change(&a, &b, old_budget(name))
                        } else {
                            (Class::Safe, "applied in place".into())
                        }
                    }
                    "Service" if path.starts_with("spec.clusterIP") => (
                        Class::Rejected,
                        format!("`spec.clusterIP` is immutable; delete the Service (`kubectl delete service -n {ns} {name}`) and apply the new bundle (clients see a new address)"),
                    ),
                    "ResourceQuota" if path.starts_with("spec.hard") && quantity_shrinks(&a, &b) => (
                        Class::MayBlockPods,
                        "the quota shrinks: while pods of the old size run (during a roll, or if they use more than the new quota), new pods are refused until usage fits; apply the workload change first and the quota after it has rolled".into(),
                    ),
                    "Service" if path.starts_with("spec.selector") || path.starts_with("spec.ports") => {
                        (Class::Safe, "endpoints change; clients of removed ports lose them".into())
                    }
                    "PodDisruptionBudget" if path == "spec.maxUnavailable" => {
                        (Class::Safe, "voluntary disruptions follow the new budget".into())
                    }
                    _ => (Class::Safe, "applied in place".into()),
                }
            };
            out.push(Change { object: label(k), path, old: short(&a), new: short(&b), class, note, commands });
        }
    }
    // TLS switched on or off where the members cannot roll across it: stop first
    let has_tls = new_values.iter().any(|v| generator(v) && tls_steps(v));
    let workload = new_values.iter().find(|v| v["kind"] == "StatefulSet" || v["kind"] == "Deployment");
    if let (Some(reason), Some(w), true) = (service.tls_stop_to_switch, workload, has_tls != had_tls) {
        let (ns, name) = (w["metadata"]["namespace"].as_str().unwrap_or("default"), w["metadata"]["name"].as_str().unwrap_or_default());
        // the workload's own pods (not the generator's or a bootstrap step's, which stay completed)
        let selector = w["spec"]["selector"]["matchLabels"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(","))
            .unwrap_or_default();
        out.push(Change {
            object: format!("{}/{name}", w["kind"].as_str().unwrap_or_default()),
            path: "access.tls.enabled".into(),
            old: Some(had_tls.to_string()),
            new: Some(has_tls.to_string()),
            class: Class::NeedsManualStep,
            note: format!(
                "TLS switched {}: {reason}. Stop the service first: apply the current bundle with `--set lifecycle.state=stopped`, wait until its pods are gone, then apply this one (the claims and the data stay; docs/security.md)",
                if has_tls { "on" } else { "off" }
            ),
            commands: vec![format!("kubectl -n {ns} wait --for=delete pod -l {selector} --timeout=10m")],
        });
    }
    out.sort_by(|a, b| (std::cmp::Reverse(a.class), &a.object, &a.path).cmp(&(std::cmp::Reverse(b.class), &b.object, &b.path)));
    out
}

fn replicas_change(a: &Option<Value>, b: &Option<Value>, budget: Option<i64>) -> (Class, String) {
    let (Some(from), Some(to)) = (a.as_ref().and_then(Value::as_i64), b.as_ref().and_then(Value::as_i64)) else {
        return (Class::Safe, "the autoscaler owns the replica count".into());
    };
    if to == 0 && from > 0 {
        return (Class::UnsafeForQuorum, "stops the service (every replica at once); claims are kept".into());
    }
    let lost = from - to;
    let allowed = budget.unwrap_or(from - (from / 2 + 1));
    if lost > allowed.max(0) {
        return (
            Class::UnsafeForQuorum,
            format!(
                "removes {lost} replicas at once, but the old topology can lose only {allowed}; scale down in steps of at most {allowed} (and decommission first where the software needs it)",
                allowed = allowed.max(1)
            ),
        );
    }
    if lost > 0 {
        (Class::Safe, format!("removes {lost} replica(s), within the budget"))
    } else {
        (Class::Safe, format!("adds {} replica(s)", -lost))
    }
}

/// Whether a quota value (a Kubernetes quantity or a count) gets smaller.
fn quantity_shrinks(a: &Option<Value>, b: &Option<Value>) -> bool {
    let amount = |v: &Option<Value>| v.as_ref().and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string())));
    match (amount(a), amount(b)) {
        (Some(a), Some(b)) => match (oss_spec::values::Quantity::parse(&a), oss_spec::values::Quantity::parse(&b)) {
            (Ok(a), Ok(b)) => b.nanos() < a.nanos(),
            _ => a != b,
        },
        _ => false,
    }
}

/// A component's pod count changed (`runtime.components`): its pods and the software's were
/// told the count and the members at start (`${components.NAME.*}`), so software with a fixed
/// member list (a KRaft voter set) must be reconfigured by hand first. Stopping and starting
/// (to and from 0) is the lifecycle's, and safe.
fn component_count(component: &str, a: &Option<Value>, b: &Option<Value>) -> (Class, String) {
    let (from, to) = (a.as_ref().and_then(Value::as_i64).unwrap_or(0), b.as_ref().and_then(Value::as_i64).unwrap_or(0));
    if from == 0 || to == 0 {
        return (Class::Safe, format!("component `{component}` {}", if to == 0 { "stops" } else { "starts" }));
    }
    (
        Class::NeedsManualStep,
        format!(
            "changes component `{component}` from {from} to {to} pods; its pods and the software's were told its count and members at start (`${{components.{component}.*}}`), so software with a fixed member list (a quorum's voters) must be reconfigured by hand first, as its documentation says; then apply (a new install may start with this count)"
        ),
    )
}

/// A StatefulSet's replica change: the budget rule, and, for software whose members must leave
/// first, the commands for each departing replica (highest ordinal first).
fn members_leave(
    a: &Option<Value>,
    b: &Option<Value>,
    ns: &str,
    name: &str,
    service: Service,
    budget: Option<i64>,
) -> (Class, String, Vec<String>) {
    let (class, note) = replicas_change(a, b, budget);
    let (Some(from), Some(to)) = (a.as_ref().and_then(Value::as_i64), b.as_ref().and_then(Value::as_i64)) else {
        return (class, note, Vec::new());
    };
    // The packager's reason on one line, quoted after what the change does.
    let why = || service.reason.map_or_else(String::new, |r| format!(" ({})", r.split_whitespace().collect::<Vec<_>>().join(" ")));
    if to > from && from > 0 && service.manual_growth {
        let joining: Vec<String> = (from..to).map(|i| format!("{name}-{i}")).collect();
        return (
            Class::NeedsManualStep,
            format!(
                "adds {} replica(s), {}, which the running cluster must admit first{}: do that by hand first, then apply (a new install may start with this count)",
                joining.len(),
                joining.join(", "),
                why()
            ),
            Vec::new(),
        );
    }
    if !service.manual || to >= from || to == 0 {
        return (class, note, Vec::new());
    }
    let mut commands = Vec::new();
    let departing: Vec<i64> = (to..from).rev().collect();
    for &i in &departing {
        let member = format!("{name}-{i}");
        for step in service.remove_member {
            let pod = match step.run_in {
                oss_spec::model::RemovalPod::Departing => member.clone(),
                oss_spec::model::RemovalPod::First => format!("{name}-0"),
            };
            let fill = |text: &str| {
                template::substitute_with(text, template::member_reference, |r| match r {
                    template::MemberReference::Name => member.clone(),
                    template::MemberReference::Index => i.to_string(),
                    template::MemberReference::Host => format!("{member}.{name}{}.{ns}.svc", crate::context::PEERS_SUFFIX),
                })
            };
            let args: Vec<String> = step.exec.iter().map(|a| fill(a)).collect();
            let mut line = format!("kubectl exec -n {ns} {pod} -c {name} -- {}", crate::shell::command(&args));
            if let Some(n) = &step.note {
                line.push_str(&format!("    # {}", fill(n)));
            }
            commands.push(line);
        }
    }
    let names: Vec<String> = departing.iter().map(|i| format!("{name}-{i}")).collect();
    let claims: Vec<String> = departing.iter().rev().map(|i| format!("data-{name}-{i}")).collect();
    let why = why();
    let worst = class.max(Class::NeedsManualStep);
    let budget_note = if class == Class::UnsafeForQuorum { format!("; {note}") } else { String::new() };
    let what = if commands.is_empty() {
        "do that by hand first (the packager gives no commands), then apply".to_owned()
    } else {
        "run the commands below in order, each after the previous has finished, then apply".to_owned()
    };
    (
        worst,
        format!(
            "removes {} replica(s), {}, which must first leave the cluster{why}: {what}; their claims are kept (`kubectl delete pvc -n {ns} {}` once the data is no longer needed){budget_note}",
            departing.len(),
            names.join(", "),
            claims.join(" ")
        ),
        commands,
    )
}

fn sts_change(path: &str, b: &Option<Value>, new: &Value) -> (Class, String) {
    if path == "spec.template.spec.securityContext.runAsUser" {
        // The claims outlive the pods: what is on them belongs to the user that wrote it.
        return (
            Class::NeedsManualStep,
            "the pods would run as another user: the files on the claims belong to the old one, and software that checks who owns its data (PostgreSQL does) refuses to start; give the files to the new user first, or move the data into a new install".into(),
        );
    }
    if path.starts_with("spec.template.spec.topologySpreadConstraints") || path.starts_with("spec.template.spec.affinity") {
        let weaker = b.is_none() || b.as_ref().is_some_and(|v| v == "ScheduleAnyway");
        if weaker {
            return (Class::UnsafeForQuorum, "spread is removed or weakened: replicas may end up in one failure domain".into());
        }
    }
    if path.starts_with("spec.template") {
        let strategy = &new["spec"]["updateStrategy"];
        if strategy["type"] == "OnDelete" {
            return (Class::RollsPods, "pods take the change only when deleted (OnDelete)".into());
        }
        let partition = strategy["rollingUpdate"]["partition"].as_i64().unwrap_or(0);
        let replicas = new["spec"]["replicas"].as_i64();
        let which = match (partition, replicas) {
            (0, _) => "every pod".to_owned(),
            (p, Some(r)) => format!("{} pod(s) (ordinals {p} and up; canary)", (r - p).max(0)),
            (p, None) => format!("pods with ordinal {p} and up (canary)"),
        };
        return (Class::RollsPods, format!("{which} restart, one at a time, highest ordinal first, each after the previous is ready"));
    }
    (Class::Safe, "applied in place".into())
}
