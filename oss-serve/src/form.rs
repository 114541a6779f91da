//! The knob form of a service, derived from the spec's JSON Schema (types, bounds, choices,
//! descriptions) and from the service itself (its knobs, its current values).

use oss_spec::Loaded;
use serde_json::{Map, Value, json};

/// The consumer's sections, in the order a form shows them.
const SECTIONS: &[(&str, &str)] = &[
    ("redundancy", "Redundancy"),
    ("capacity", "Capacity"),
    ("scaling", "Scaling"),
    ("slo", "Service level objectives"),
    ("access", "Access"),
    ("lifecycle", "Lifecycle"),
    ("backup", "Backups"),
];

/// One input of the form.
struct Field {
    path: String,
    group: &'static str,
    kind: &'static str,
    description: String,
    min: Value,
    max: Value,
    choices: Vec<String>,
    nullable: bool,
    /// The schema's default. A boolean the serialized spec leaves out (`access.tls.enabled:
    /// false` is skipped) shows as this, so that an untouched checkbox is not a change.
    default: Value,
}

/// The fields of `loaded`'s form as JSON: `settings.*` (the service's own knobs) first, then the
/// consumer sections of the schema. Lists (`access.clients`, `access.operators`) are left to
/// overlays. Each field: `path`, `group`, `label`, `kind` (`int`, `number`, `decimal`, `bool`, `enum`,
/// `choiceOrInt`, `quantity`, `duration`, `string`), `description`, `value` (the service's
/// current value as text, empty for none), `min`, `max`, `choices`, `nullable`.
#[must_use]
pub fn fields(schema: &Value, loaded: &Loaded) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, knob) in &loaded.spec.knobs {
        // The form's kinds for knobs are the knob types' own spellings.
        let kind = knob.kind.name();
        let value = loaded.spec.settings.get(name).unwrap_or(&knob.default).render();
        out.push(json!({
            "path": format!("settings.{name}"),
            "group": "Settings",
            "label": name,
            "kind": kind,
            "description": knob.description,
            "value": value,
            "min": knob.min.as_ref().map(oss_spec::model::KnobValue::render),
            "max": knob.max.as_ref().map(oss_spec::model::KnobValue::render),
            "choices": knob.values,
            "nullable": false,
        }));
    }
    let current = serde_json::to_value(&loaded.spec).unwrap_or(Value::Null);
    let mut found = Vec::new();
    for (section, group) in SECTIONS {
        if let Some(prop) = schema.pointer(&format!("/properties/{section}")) {
            walk(schema, prop, section, group, false, 0, &mut found);
        }
        // `capacity.volumes` is a map by volume name: one size (and class) per volume of this
        // service.
        if *section == "capacity"
            && let Some(def) = schema.pointer("/$defs/VolumeCapacity")
        {
            for v in &loaded.spec.runtime.volumes {
                walk(schema, def, &format!("capacity.volumes.{}", v.name), group, false, 0, &mut found);
            }
        }
    }
    for mut f in found {
        let disabled = apply_service_rules(&mut f, &loaded.spec);
        let pointer = format!("/{}", f.path.replace('.', "/"));
        let value = match current.pointer(&pointer).filter(|v| !v.is_null()).or(Some(&f.default).filter(|d| d.is_boolean())) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        // Without the section, which the group already names: `replicas`, `autoscale.min`.
        let label = f.path.split_once('.').map_or(f.path.as_str(), |(_, rest)| rest).to_owned();
        out.push(json!({
            "path": f.path, "group": f.group, "label": label, "kind": f.kind, "description": f.description,
            "value": value, "min": f.min, "max": f.max, "choices": f.choices, "nullable": f.nullable,
            "disabled": disabled,
        }));
    }
    out
}

/// Narrows a field to what this service allows, beyond the language's own bounds: replica
/// counts to the packager's `runtime.replicas` (odd counts as a choice), upgrade strategies a
/// Deployment can carry out. Returns why the field cannot be used at all (autoscaling of
/// software that refuses it), for the page to show instead of an input.
fn apply_service_rules(f: &mut Field, spec: &oss_spec::Spec) -> Option<String> {
    let counts = ["redundancy.replicas", "scaling.autoscale.min", "scaling.autoscale.max"];
    if f.path.starts_with("scaling.autoscale") && !spec.runtime.scaling.automatic {
        return Some(format!(
            "this service cannot be scaled automatically: {}",
            spec.runtime.scaling.reason.as_deref().unwrap_or("its packager says so")
        ));
    }
    if f.path.starts_with("backup.") && spec.runtime.backup.is_none() {
        return Some(
            "this service takes no backups yet (its spec has no `runtime.backup`); docs/backup.md says what to do instead".to_owned(),
        );
    }
    if f.path.starts_with("access.tls.") && spec.runtime.tls.is_none() {
        return Some(
            "this service cannot serve TLS (its spec has no `runtime.tls`); its security statement says what protects it".to_owned(),
        );
    }
    if let Some(rule) = spec.runtime.replicas.as_ref().filter(|_| counts.contains(&f.path.as_str())) {
        f.min = json!(rule.min);
        f.max = json!(rule.max);
        if rule.odd || rule.min == rule.max {
            f.kind = "enum";
            f.choices = (rule.min..=rule.max).filter(|&n| rule.allows(n)).map(|n| n.to_string()).collect();
        }
        f.description = format!(
            "{} This service: {} to {}{} ({}).",
            f.description,
            rule.min,
            rule.max,
            if rule.odd { ", odd only" } else { "" },
            rule.reason
        );
    }
    if f.path == "lifecycle.upgrade.strategy" && spec.runtime.state == oss_spec::model::State::Stateless {
        f.choices.retain(|c| c == "rolling");
        f.description = format!("{} A stateless service (a Deployment) rolls; it has no partitions.", f.description);
    }
    None
}

/// The definition a `$ref` names, and its name.
fn deref<'s>(schema: &'s Value, node: &'s Value) -> (Option<&'s str>, &'s Value) {
    match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        Some(name) => (Some(name), schema.pointer(&format!("/$defs/{name}")).unwrap_or(node)),
        None => (None, node),
    }
}

fn types(node: &Value) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn walk(schema: &Value, node: &Value, path: &str, group: &'static str, nullable: bool, depth: usize, out: &mut Vec<Field>) {
    if depth > 6 {
        return;
    }
    let description = node.get("description").and_then(Value::as_str).unwrap_or_default().to_owned();
    let (name, def) = deref(schema, node);
    let mut field = |kind: &'static str, def: &Value, choices: Vec<String>, nullable: bool| {
        out.push(Field {
            path: path.to_owned(),
            group,
            kind,
            description: if description.is_empty() {
                def.get("description").and_then(Value::as_str).unwrap_or_default().to_owned()
            } else {
                description.clone()
            },
            default: node.get("default").or_else(|| def.get("default")).cloned().unwrap_or(Value::Null),
            min: def.get("minimum").cloned().unwrap_or(Value::Null),
            max: def.get("maximum").cloned().unwrap_or(Value::Null),
            choices,
            nullable,
        });
    };
    match name {
        Some("Quantity" | "PositiveQuantity") => return field("quantity", def, Vec::new(), nullable),
        Some("Duration") => return field("duration", def, Vec::new(), nullable),
        Some("Percent") => return field("number", def, Vec::new(), nullable),
        _ => {}
    }
    if let Some(Value::Array(variants)) = def.get("anyOf") {
        let nullable = nullable || variants.iter().any(|v| types(v) == ["null"]);
        let rest: Vec<&Value> = variants.iter().filter(|v| types(v) != ["null"]).collect();
        if let [only] = rest.as_slice() {
            let mut inner = (*only).clone();
            if let (Some(obj), false) = (inner.as_object_mut(), description.is_empty()) {
                obj.insert("description".to_owned(), Value::String(description.clone()));
            }
            return walk(schema, &inner, path, group, nullable, depth + 1, out);
        }
        let choices: Vec<String> = rest
            .iter()
            .filter_map(|v| v.get("enum"))
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let int = rest.iter().find(|v| types(v).contains(&"integer")).copied().unwrap_or(def);
        return field("choiceOrInt", int, choices, nullable);
    }
    if let Some(Value::Array(variants)) = def.get("oneOf") {
        let choices = variants.iter().filter_map(|v| v.get("const").and_then(Value::as_str)).map(str::to_owned).collect();
        return field("enum", def, choices, nullable);
    }
    let ts = types(def);
    let nullable = nullable || ts.contains(&"null");
    if let Some(Value::Object(props)) = def.get("properties") {
        // Inside an optional section every field may be emptied (`PATH=null` removes it).
        walk_object(schema, props, path, group, nullable, depth, out);
    } else if ts.contains(&"integer") {
        field("int", def, Vec::new(), nullable);
    } else if ts.contains(&"number") {
        field("number", def, Vec::new(), nullable);
    } else if ts.contains(&"boolean") {
        field("bool", def, Vec::new(), nullable);
    } else if ts.contains(&"string") {
        let choices: Vec<String> =
            def.get("enum").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        field(if choices.is_empty() { "string" } else { "enum" }, def, choices, nullable);
    }
    // Arrays and free-form maps are not form material: overlays set them.
}

fn walk_object(
    schema: &Value,
    props: &Map<String, Value>,
    path: &str,
    group: &'static str,
    nullable: bool,
    depth: usize,
    out: &mut Vec<Field>,
) {
    for (key, prop) in props {
        walk(schema, prop, &format!("{path}.{key}"), group, nullable, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cassandra_form_has_typed_bounded_fields_with_current_values() {
        let schema: Value = oss_spec::schema::schema_with_null();
        let loaded = oss_catalog::get("cassandra").unwrap().load(&oss_spec::Options::default()).unwrap();
        let fields = fields(&schema, &loaded);
        let get = |p: &str| fields.iter().find(|f| f["path"] == p).unwrap_or_else(|| panic!("no field {p}: {fields:#?}"));
        let replicas = get("redundancy.replicas");
        assert_eq!((replicas["kind"].as_str(), replicas["min"].as_i64(), replicas["max"].as_i64()), (Some("int"), Some(1), Some(1000)));
        assert_eq!(replicas["value"], loaded.spec.redundancy.replicas.to_string());
        assert_eq!(get("redundancy.spread")["choices"], json!(["none", "host", "zone"]));
        assert_eq!(get("redundancy.quorum")["kind"], "choiceOrInt");
        assert_eq!(get("capacity.memory")["kind"], "quantity");
        assert_eq!(get("slo.availability")["kind"], "number");
        assert_eq!(get("slo.latency.p99")["kind"], "duration");
        assert_eq!(get("scaling.autoscale.max")["nullable"], true);
        assert_eq!(get("lifecycle.upgrade.strategy")["choices"], json!(["rolling", "canary", "onDelete"]));
        assert!(fields.iter().any(|f| f["group"] == "Settings"));
        assert!(!fields.iter().any(|f| f["path"] == "access.clients"));
        for f in &fields {
            assert!(!f["description"].as_str().unwrap().is_empty(), "{f}");
        }
        assert_eq!(get("scaling.autoscale.min")["disabled"], Value::Null);
    }

    #[test]
    fn each_volume_of_the_service_has_its_size_and_class_in_the_form() {
        let schema: Value = oss_spec::schema::schema_with_null();
        let text = include_str!("../../examples/mariadb-galera.yaml");
        let loaded = oss_spec::parse("mariadb-galera.yaml", text).unwrap_or_else(|e| panic!("{e:?}"));
        let fields = fields(&schema, &loaded);
        let get = |p: &str| fields.iter().find(|f| f["path"] == p).unwrap_or_else(|| panic!("no field {p}"));
        let size = get("capacity.volumes.binlog.size");
        assert_eq!(
            (size["kind"].as_str(), size["value"].as_str(), size["label"].as_str()),
            (Some("quantity"), Some("10Gi"), Some("volumes.binlog.size"))
        );
        assert_eq!(get("capacity.volumes.binlog.storageClass")["kind"], "string");
        // a service without volumes has no such fields
        let cassandra = super::fields(&schema, &oss_catalog::get("cassandra").unwrap().load(&oss_spec::Options::default()).unwrap());
        assert!(!cassandra.iter().any(|f| f["path"].as_str().is_some_and(|p| p.starts_with("capacity.volumes"))));
    }

    #[test]
    fn the_form_shows_the_services_own_rules() {
        let schema: Value = oss_spec::schema::schema_with_null();
        let form = |name: &str| fields(&schema, &oss_catalog::get(name).unwrap().load(&oss_spec::Options::default()).unwrap());
        let get = |fields: &[Value], p: &str| fields.iter().find(|f| f["path"] == p).cloned().unwrap();
        let postgres = form("postgres");
        let r = get(&postgres, "redundancy.replicas");
        assert_eq!((r["kind"].as_str(), &r["min"]), (Some("int"), &json!(1)));
        assert!(r["description"].as_str().unwrap().contains("one pod has no failover"), "{r}");
        assert!(get(&postgres, "scaling.autoscale.min")["disabled"].as_str().unwrap().contains("one primary takes every write"));
        // backups where the entry has a procedure; said why not elsewhere
        for path in
            ["backup.schedule", "backup.keep", "backup.scratch", "backup.store.service", "backup.store.bucket", "backup.restore.backup"]
        {
            let f = get(&postgres, path);
            assert!(f["disabled"].is_null(), "{f}");
        }
        assert_eq!(get(&postgres, "backup.keep")["kind"], "int");
        assert!(get(&form("valkey"), "backup.keep")["disabled"].is_null());
        assert!(get(&form("etcd"), "backup.keep")["disabled"].is_null());
        let zookeeper = form("zookeeper");
        assert!(get(&zookeeper, "backup.keep")["disabled"].as_str().unwrap().contains("no `runtime.backup`"));
        assert_eq!(get(&zookeeper, "redundancy.replicas")["choices"], json!(["1", "3", "5", "7"]));
        let minio = form("minio");
        let r = get(&minio, "redundancy.replicas");
        assert_eq!((r["kind"].as_str(), &r["min"], &r["max"]), (Some("int"), &json!(4), &json!(16)));
        assert_eq!(get(&form("function"), "lifecycle.upgrade.strategy")["choices"], json!(["rolling"]));
        // TLS: a checkbox where the software takes a certificate, explained away elsewhere; off
        // unless set (the spec leaves `false` out), so the page's command stays the plain build
        let nats = form("nats");
        assert_eq!(get(&nats, "access.tls.enabled")["value"], "false");
        assert_eq!(
            (get(&nats, "access.tls.enabled")["kind"].as_str(), &get(&nats, "access.tls.enabled")["disabled"]),
            (Some("bool"), &Value::Null)
        );
        assert!(get(&form("function"), "access.tls.enabled")["disabled"].as_str().unwrap().contains("cannot serve TLS"));
    }
}
