//! JSON Schema of the Open Service Spec, generated from the Rust types.
//!
//! The checked-in `schema/openservice.schema.json` is this output; a test fails when it is stale.

/// The schema as pretty-printed JSON with a trailing newline.
#[must_use]
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<crate::model::Spec>();
    schema.insert("$id".to_owned(), "https://openservice.dev/schema/v1alpha1/service.json".into());
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
