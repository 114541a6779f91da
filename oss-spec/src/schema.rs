//! JSON Schema of the Open Service Spec, generated from the Rust types.
//!
//! The checked-in `schema/openservice.schema.json` is this output; a test fails when it is stale.

/// The schema of a spec file as pretty-printed JSON with a trailing newline: an optional field
/// is absent or valued, never `null` (the decoder refuses null).
#[must_use]
pub fn json_schema() -> String {
    let mut value = schema_with_null();
    drop_null(&mut value);
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
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
