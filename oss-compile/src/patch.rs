//! The escape hatch: patches on emitted objects (docs/patches.md).
//!
//! Owns: selecting targets, strategic-merge and RFC 6902 application, and the structural check
//! that every patched object is still a well-typed Kubernetes object with nothing unknown in it
//! (the typed round trip must give back exactly the patched JSON).

use crate::bundle::{Kind, Object};
use oss_spec::model::{Patch, PatchType};
use serde_json::Value;

/// A patch that could not be applied: which patch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    /// Index in `patches`.
    pub index: usize,
    /// Whether the problem is the target (else the patch itself).
    pub target: bool,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// The kind named `name`, if ossc emits it.
#[must_use]
pub fn kind_named(name: &str) -> Option<Kind> {
    Kind::ALL.iter().copied().find(|k| format!("{k:?}") == name)
}

/// Applies every patch in order. All errors are reported, each for its patch.
///
/// # Errors
/// Patches whose target does not exist, whose operations fail, or whose result is not a valid
/// object of its kind.
pub fn apply(mut objects: Vec<Object>, patches: &[Patch]) -> Result<Vec<Object>, Vec<PatchError>> {
    let mut errors = Vec::new();
    for (index, p) in patches.iter().enumerate() {
        let fail = |target: bool, message: String, help: &str| PatchError { index, target, message, help: help.to_owned() };
        let Some(kind) = kind_named(&p.target.kind) else {
            let kinds: Vec<String> = Kind::ALL.iter().map(|k| format!("{k:?}")).collect();
            errors.push(fail(
                true,
                format!("ossc emits no `{}` objects", p.target.kind),
                &format!("patch one of the kinds ossc emits: {}", kinds.join(", ")),
            ));
            continue;
        };
        let matches: Vec<usize> = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.kind() == kind && p.target.name.as_deref().is_none_or(|n| o.name() == n))
            .map(|(i, _)| i)
            .collect();
        if matches.is_empty() {
            let names: Vec<&str> = objects.iter().filter(|o| o.kind() == kind).map(Object::name).collect();
            let help = if names.is_empty() {
                format!("this bundle has no {:?}; check the spec produces one", kind)
            } else {
                format!("{:?} objects in this bundle: {}", kind, names.join(", "))
            };
            let what = p
                .target
                .name
                .as_deref()
                .map_or_else(|| format!("no {kind:?} in the bundle"), |n| format!("no {kind:?} named `{n}` in the bundle"));
            errors.push(fail(true, what, &help));
            continue;
        }
        for i in matches {
            let name = objects[i].name().to_owned();
            let mut value = objects[i].to_value();
            let emitted = crate::pod_guard::container_names(kind, &value);
            match p.kind {
                PatchType::Strategic => strategic_merge(&mut value, &p.patch),
                PatchType::Json => {
                    let ops: Result<json_patch::Patch, _> = serde_json::from_value(p.patch.clone());
                    match ops {
                        Ok(ops) => {
                            if let Err(e) = json_patch::patch(&mut value, &ops) {
                                errors.push(fail(
                                    false,
                                    format!("JSON patch on {kind:?}/{name} failed: {e}"),
                                    "check each operation's `path` against `ossc build` output",
                                ));
                                continue;
                            }
                        }
                        Err(e) => {
                            errors.push(fail(
                                false,
                                format!("not a valid RFC 6902 patch: {e}"),
                                "write operations as `{op: add|remove|replace|move|copy|test, path: /json/pointer, value: ...}`",
                            ));
                            continue;
                        }
                    }
                }
            }
            strip_nulls(&mut value);
            let broken = crate::pod_guard::guard(kind, &mut value, &emitted);
            if !broken.is_empty() {
                for (what, help) in broken {
                    errors.push(PatchError { index, target: false, message: format!("in the patched {kind:?}/{name}: {what}"), help });
                }
                continue;
            }
            match Object::from_value(kind, value.clone()) {
                Ok(typed) => {
                    let mut back = typed.to_value();
                    strip_nulls(&mut back);
                    let mut lost = Vec::new();
                    unknown_paths(&value, &back, "", &mut lost);
                    if lost.is_empty() && typed.name() == name && typed.kind() == kind {
                        objects[i] = typed;
                    } else if !lost.is_empty() {
                        errors.push(fail(
                            false,
                            format!("the patched {kind:?}/{name} has fields Kubernetes does not define: {}", lost.join(", ")),
                            "check the spelling against the Kubernetes API reference; ossc refuses fields it would silently drop",
                        ));
                    } else {
                        errors.push(fail(
                            false,
                            format!("a patch may not rename or re-kind {kind:?}/{name}"),
                            "change `metadata.name` in the spec instead",
                        ));
                    }
                }
                Err(e) => errors.push(fail(
                    false,
                    format!("the patched {kind:?}/{name} is not a valid {kind:?}: {e}"),
                    "fix the value's type at the path the message names",
                )),
            }
        }
    }
    if errors.is_empty() { Ok(objects) } else { Err(errors) }
}

/// Keys whose items in a list of objects identify them, in the order tried.
const MERGE_KEYS: &[&str] = &["name", "containerPort", "mountPath", "port", "topologyKey"];

/// `kubectl patch --type strategic`, simplified: maps merge, `null` deletes, lists of objects
/// merge by the first merge key both sides have (`name`, `containerPort`, `mountPath`, ...),
/// other lists are replaced.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else if let Some(existing) = t.get_mut(k) {
                    strategic_merge(existing, v);
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        (Value::Array(t), Value::Array(p)) => {
            let key = MERGE_KEYS.iter().find(|k| p.iter().chain(t.iter()).all(|item| item.get(**k).is_some()));
            match key {
                Some(key) => {
                    for item in p {
                        match t.iter_mut().find(|x| x.get(*key) == item.get(*key)) {
                            Some(existing) => strategic_merge(existing, item),
                            None => t.push(item.clone()),
                        }
                    }
                }
                None => *t = p.clone(),
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Paths present in `patched` but missing or different after the typed round trip.
fn unknown_paths(patched: &Value, back: &Value, path: &str, out: &mut Vec<String>) {
    match (patched, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match b.get(k) {
                    Some(w) => unknown_paths(v, w, &p, out),
                    None => out.push(p),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, v) in a.iter().enumerate() {
                match b.get(i) {
                    Some(w) => unknown_paths(v, w, &format!("{path}[{i}]"), out),
                    None => out.push(format!("{path}[{i}]")),
                }
            }
        }
        (a, b) if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_rules() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "list": [{"name": "x", "v": 1}, {"name": "y", "v": 2}], "plain": [1, 2]});
        strategic_merge(&mut t, &json!({"a": {"c": null, "d": 4}, "list": [{"name": "y", "v": 3}, {"name": "z"}], "plain": [9]}));
        assert_eq!(t, json!({"a": {"b": 1, "d": 4}, "list": [{"name": "x", "v": 1}, {"name": "y", "v": 3}, {"name": "z"}], "plain": [9]}));
    }
}
