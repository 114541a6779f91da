//! JSON Schema of the Open Service Spec, generated from the Rust types.
//!
//! The checked-in `schema/openservice.schema.json` is this output; a test fails when it is stale.

/// The schema of a spec file as pretty-printed JSON with a trailing newline: an optional field
/// is absent or valued, never `null` (the decoder refuses null).
#[must_use]
pub fn json_schema() -> String {
    let mut value = schema_with_null();
    drop_null(&mut value);
    pretty(&value)
}

/// A schema as the checked-in files hold it: pretty-printed, with a trailing newline.
fn pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// The schema of an overlay (a file with `extends`, or a later `-f` layer), derived from the
/// spec's: every field optional at every depth (an overlay sets only what it changes), `null`
/// allowed where a field is optional in the spec (it removes the key), `extends` required; the
/// types, patterns, bounds, enums and closed objects are the spec's. Rules that need a whole
/// object (exactly one probe handler, a step's `user` with its `image`) are checked on the
/// merged spec. Pretty-printed JSON with a trailing newline.
#[must_use]
pub fn overlay_json_schema() -> String {
    use serde_json::Value;
    let mut value = schema_with_null();
    partial(&mut value);
    if let Value::Object(root) = &mut value {
        root.insert("required".to_owned(), serde_json::json!(["extends"]));
        root.insert("title".to_owned(), "Open Service Spec overlay".into());
        root.insert("$id".to_owned(), "https://openservice.dev/schema/v1alpha1/overlay.json".into());
    }
    pretty(&value)
}

/// Makes every field optional at every depth: drops `required` and `dependentRequired`, and
/// the one-of/any-of branches that only required a field. An `if` or a `not` keeps its
/// `required` (there it tests for a field, it does not ask for one).
fn partial(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            map.remove("required");
            map.remove("dependentRequired");
            for key in ["oneOf", "anyOf"] {
                if let Some(Value::Array(branches)) = map.get_mut(key) {
                    let only_required = |b: &Value| b.as_object().is_some_and(|o| o.keys().all(|k| k == "required"));
                    if branches.iter().all(only_required) {
                        map.remove(key);
                    }
                }
            }
            for (key, val) in map.iter_mut() {
                if key != "if" && key != "not" {
                    partial(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(partial),
        _ => {}
    }
}

/// The schema as schemars makes it, where an optional field may also be `null`: what `--set
/// PATH=null` means (the value removed). The app store's form reads this one to know which
/// fields a consumer may empty.
#[must_use]
pub fn schema_with_null() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<crate::model::Spec>();
    schema.insert("$id".to_owned(), "https://openservice.dev/schema/v1alpha1/service.json".into());
    schema.to_value()
}

/// Removes `null` from every schema: an absent optional field is left out, and the decoder
/// refuses `null` (schemars types an `Option<T>` as `T` or null). `"type": [T, "null"]` becomes
/// `"type": T`; an `anyOf` of one schema and `{"type": "null"}` becomes that schema.
fn drop_null(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get_mut("anyOf") {
                options.retain(|o| o.get("type").and_then(Value::as_str) != Some("null"));
                if options.len() == 1
                    && let Some(Value::Object(only)) = options.pop()
                {
                    map.remove("anyOf");
                    for (k, val) in only {
                        map.entry(k).or_insert(val);
                    }
                }
            }
            for val in map.values_mut() {
                drop_null(val);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}
