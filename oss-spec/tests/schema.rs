//! The checked-in JSON Schema is exactly what the types generate.

#![allow(clippy::unwrap_used)]

use std::path::Path;

/// The checked-in `schema/<file>` is exactly `generated` (rewritten with `UPDATE_GOLDEN=1`).
fn assert_fresh(file: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema").join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(checked_in == generated, "schema/{file} is stale; run `UPDATE_GOLDEN=1 cargo test`");
}

#[test]
fn checked_in_schema_is_fresh() {
    assert_fresh("openservice.schema.json", &oss_spec::schema::json_schema());
}

#[test]
fn checked_in_overlay_schema_is_fresh() {
    assert_fresh("openservice-overlay.schema.json", &oss_spec::schema::overlay_json_schema());
}

#[test]
fn overlay_schema_asks_for_extends_and_nothing_else() {
    let schema: serde_json::Value = serde_json::from_str(&oss_spec::schema::overlay_json_schema()).unwrap();
    assert_eq!(schema["required"], serde_json::json!(["extends"]));
    assert_eq!(schema["additionalProperties"], false);
    // no field is required below the root (an `if` or a `not` only tests for one), and the
    // types and bounds are the spec's
    fn asks(v: &serde_json::Value, at: &str) -> Vec<String> {
        match v {
            serde_json::Value::Object(m) => m
                .iter()
                .filter(|(k, _)| *k != "if" && *k != "not")
                .flat_map(
                    |(k, v)| if k == "required" || k == "dependentRequired" { vec![at.to_owned()] } else { asks(v, &format!("{at}/{k}")) },
                )
                .collect(),
            serde_json::Value::Array(a) => a.iter().enumerate().flat_map(|(i, v)| asks(v, &format!("{at}/{i}"))).collect(),
            _ => vec![],
        }
    }
    assert!(asks(&schema["$defs"], "").is_empty(), "{:?}", asks(&schema["$defs"], ""));
    assert_eq!(schema["$defs"]["Redundancy"]["properties"]["replicas"]["maximum"], 1000);
}

#[test]
fn schema_is_closed_and_names_the_fixed_paths() {
    let schema: serde_json::Value = serde_json::from_str(&oss_spec::schema::json_schema()).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    let defs = &schema["$defs"];
    for (def, field) in [
        ("Capacity", "cpu"),
        ("Capacity", "memory"),
        ("Capacity", "storage"),
        ("Redundancy", "replicas"),
        ("Redundancy", "quorum"),
        ("Redundancy", "spread"),
        ("Autoscale", "min"),
        ("Autoscale", "max"),
        ("Slo", "availability"),
        ("Lifecycle", "state"),
        ("Lifecycle", "restartGeneration"),
    ] {
        assert!(defs[def]["properties"][field].is_object(), "{def}.{field} missing from the schema");
        assert_eq!(defs[def]["additionalProperties"], false, "{def} is not closed");
    }
}

#[test]
fn every_diagnostic_code_is_documented() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md")).unwrap_or_default();
    for code in oss_spec::Code::ALL {
        assert!(doc.contains(&format!("## {code} ")), "docs/diagnostics.md has no section `## {code} {}`", code.slug());
    }
}
