//! What each container of a bundle runs: command, args and environment exactly as the bundle
//! gives them to Kubernetes, and, for one replica, as the container sees them after
//! Kubernetes' own `$(VAR)` expansion (`ossc explain --containers [--replica N]`).
//!
//! Owns: a faithful copy of Kubernetes' expansion rules (`$$` is `$`; `$(NAME)` is the value of
//! a variable defined before it, in env, or of any variable of the container, in command and
//! args; anything else stays as written), so the three layers of `$` (ossc's `${...}`,
//! Kubernetes' `$(...)`, the shell's) can be seen apart. Must not: run anything.

use crate::bundle::{Bundle, Object};
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec};
use std::fmt::Write as _;

/// One replica's values of the downward-API fields ossc uses.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The ordinal.
    pub index: u32,
    /// The pod's name, `<name>-<index>` for a StatefulSet.
    pub pod_name: String,
    /// The namespace.
    pub namespace: String,
}

/// Kubernetes' expansion of `$(NAME)` references in `input` (k8s.io/kubernetes
/// third_party/forked/golang/expansion): `$$` becomes `$`, `$(NAME)` the value `lookup` gives,
/// an unknown or malformed reference stays as written.
#[must_use]
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() {
            out.push_str(&input[checkpoint..i]);
            match bytes[i + 1] {
                b'$' => {
                    out.push('$');
                    i += 2;
                }
                b'(' => {
                    // the name runs to the first ')'; without one, the text stays
                    match input[i + 2..].find(')') {
                        Some(end) => {
                            let name = &input[i + 2..i + 2 + end];
                            match lookup(name) {
                                Some(v) => out.push_str(&v),
                                None => out.push_str(&input[i..i + 3 + end]),
                            }
                            i += 3 + end;
                        }
                        None => {
                            out.push_str(&input[i..]);
                            i = bytes.len();
                        }
                    }
                }
                _ => {
                    out.push('$');
                    i += 1;
                }
            }
            checkpoint = i;
        } else {
            i += 1;
        }
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    out
}

/// The value of a downward-API field for `replica`, when ossc's output uses it.
fn field(path: &str, replica: &Replica) -> Option<String> {
    match path {
        "metadata.name" => Some(replica.pod_name.clone()),
        "metadata.namespace" => Some(replica.namespace.clone()),
        "metadata.labels['apps.kubernetes.io/pod-index']" => Some(replica.index.to_string()),
        "status.podIP" => Some("<pod IP>".to_owned()),
        _ => None,
    }
}

/// An env variable's value as written, or where it comes from.
fn source(e: &EnvVar) -> String {
    if let Some(v) = &e.value {
        return v.clone();
    }
    let from = e.value_from.as_ref();
    if let Some(s) = from.and_then(|f| f.secret_key_ref.as_ref()) {
        return format!("<key {} of Secret {}>", s.key, s.name);
    }
    if let Some(f) = from.and_then(|f| f.field_ref.as_ref()) {
        return format!("<field {}>", f.field_path);
    }
    String::new()
}

fn list(out: &mut String, label: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "    {label}:");
    for item in items {
        let mut lines = item.lines();
        let _ = writeln!(out, "      - {}", lines.next().unwrap_or_default());
        for line in lines {
            let _ = writeln!(out, "        {line}");
        }
    }
}

fn container(out: &mut String, kind: &str, c: &Container, replica: Option<&Replica>) {
    let _ = writeln!(out, "  {kind} {} ({})", c.name, c.image.as_deref().unwrap_or("?"));
    // Env in order: a reference sees only the variables defined before it.
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    let mut env_lines = Vec::new();
    for e in c.env.iter().flatten() {
        let written = source(e);
        let value = match replica {
            None => None,
            Some(r) => {
                let known = |n: &str| seen.iter().rev().find(|(k, _)| k == n).and_then(|(_, v)| v.clone());
                if let Some(f) = e.value_from.as_ref().and_then(|f| f.field_ref.as_ref()) {
                    field(&f.field_path, r)
                } else if e.value.is_some() {
                    Some(expand(&written, &known))
                } else {
                    None
                }
            }
        };
        env_lines.push(match &value {
            Some(v) if *v != written => format!("{}={v}    # written {written}", e.name),
            _ => format!("{}={written}", e.name),
        });
        seen.push((e.name.clone(), value.or_else(|| replica.map(|_| written.clone()))));
    }
    let all = |n: &str| seen.iter().rev().find(|(k, _)| k == n).and_then(|(_, v)| v.clone());
    let shown = |items: &Option<Vec<String>>| -> Vec<String> {
        items.iter().flatten().map(|a| if replica.is_some() { expand(a, &all) } else { a.clone() }).collect()
    };
    list(out, "command", &shown(&c.command));
    list(out, "args", &shown(&c.args));
    list(out, "env", &env_lines);
}

fn pod(out: &mut String, title: &str, spec: &PodSpec, replica: Option<&Replica>) {
    let _ = writeln!(out, "{title}");
    for c in spec.init_containers.iter().flatten() {
        container(out, "init container", c, replica);
    }
    for c in &spec.containers {
        container(out, "container", c, replica);
    }
    out.push('\n');
}

/// The containers of `bundle`: the workload's (for `replica` when given, with Kubernetes'
/// expansion applied), then each Job's and CronJob's.
#[must_use]
pub fn containers(bundle: &Bundle, replica: Option<&Replica>) -> String {
    let mut out = String::new();
    let workloads = bundle.objects().iter().filter(|o| matches!(o, Object::StatefulSet(_) | Object::Deployment(_)));
    let jobs = bundle.objects().iter().filter(|o| matches!(o, Object::Job(_) | Object::CronJob(_)));
    for o in workloads.chain(jobs) {
        let (title, spec) = match o {
            Object::StatefulSet(s) => (format!("StatefulSet/{}", o.name()), s.spec.as_ref().and_then(|s| s.template.spec.as_ref())),
            Object::Deployment(d) => (format!("Deployment/{}", o.name()), d.spec.as_ref().and_then(|s| s.template.spec.as_ref())),
            Object::Job(j) => (format!("Job/{}", o.name()), j.spec.as_ref().and_then(|s| s.template.spec.as_ref())),
            Object::CronJob(c) => (
                format!("CronJob/{}", o.name()),
                c.spec.as_ref().and_then(|s| s.job_template.spec.as_ref()).and_then(|s| s.template.spec.as_ref()),
            ),
            _ => continue,
        };
        let Some(spec) = spec else { continue };
        // each StatefulSet's pods are named after it (the software's and each component's)
        let own = match (replica, o) {
            (Some(r), Object::StatefulSet(s)) => {
                let count = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                if i64::from(r.index) >= i64::from(count) && count > 0 {
                    let _ = writeln!(out, "{title}: no replica {} (it runs {count})\n", r.index);
                    continue;
                }
                Some(Replica { pod_name: format!("{}-{}", o.name(), r.index), ..r.clone() })
            }
            (Some(r), Object::Deployment(_)) => Some(r.clone()),
            // A Job's pod is no replica: its downward fields are its own.
            _ => None,
        };
        let title = match &own {
            Some(r) => format!("{title}, replica {} (pod {})", r.index, r.pod_name),
            None => title,
        };
        pod(&mut out, &title, spec, own.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(n: &str) -> Option<String> {
        match n {
            "OSS_POD_INDEX" => Some("2".to_owned()),
            "A" => Some("x".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn expansion_follows_kubernetes() {
        assert_eq!(expand("id $(OSS_POD_INDEX)", &vars), "id 2");
        assert_eq!(expand("$$(A) $(A) $$ $", &vars), "$(A) x $ $");
        assert_eq!(expand("$(UNKNOWN) $(A", &vars), "$(UNKNOWN) $(A");
        // The trap of issue 18: inside shell arithmetic the reference is not expanded.
        assert_eq!(expand("$(($(OSS_POD_INDEX) + 1))", &vars), "$(($(OSS_POD_INDEX) + 1))");
        assert_eq!(expand("$((OSS_POD_INDEX + 1))", &vars), "$((OSS_POD_INDEX + 1))");
    }
}
