//! Property tests of the promises: over many generated consumer choices for every catalog spec,
//! a spec that validates compiles (or is refused with located diagnostics), compiling twice
//! gives the same bytes, and the emitted YAML parses back to exactly the objects.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

fn sets() -> impl Strategy<Value = Vec<String>> {
    (
        1u32..10,
        prop::sample::select(vec!["none", "host", "zone"]),
        prop::sample::select(vec!["majority", "one", "all", "2"]),
        prop::sample::select(vec!["250m", "1", "2", "3500m"]),
        prop::sample::select(vec!["512Mi", "1Gi", "6Gi"]),
        prop::option::of((1u32..5, 5u32..12)),
        prop::sample::select(vec!["running", "stopped"]),
        prop::option::of(prop::sample::select(vec!["99", "99.9", "99.99"])),
        any::<bool>(),
    )
        .prop_map(|(replicas, spread, quorum, cpu, memory, autoscale, state, slo, quota)| {
            let mut v = vec![
                format!("redundancy.replicas={replicas}"),
                format!("redundancy.spread={spread}"),
                format!("redundancy.quorum={quorum}"),
                format!("capacity.cpu={cpu}"),
                format!("capacity.memory={memory}"),
                format!("lifecycle.state={state}"),
                format!("capacity.quota={quota}"),
            ];
            if let Some((min, max)) = autoscale {
                v.push(format!("scaling.autoscale.min={min}"));
                v.push(format!("scaling.autoscale.max={max}"));
            }
            if let Some(slo) = slo {
                v.push(format!("slo.availability={slo}"));
            }
            v
        })
}

/// Parses our YAML output back (with the same hardened parser ossc reads specs with).
fn reparse(yaml: &str) -> Vec<serde_json::Value> {
    yaml.split("---\n").filter(|d| !d.trim().is_empty()).map(|d| serde_saphyr::from_str::<serde_json::Value>(d).unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn compile_is_deterministic_and_round_trips(entry in 0usize..12, sets in sets()) {
        let entries = oss_catalog::entries();
        let entry = &entries[entry % entries.len()];
        let options = oss_spec::Options { sets, ..oss_spec::Options::default() };
        let loaded = match entry.load(&options) {
            Ok(l) => l,
            Err(f) => {
                prop_assert!(f.diagnostics.iter().all(|d| d.span.is_some() && d.help.is_some()), "{f}");
                return Ok(());
            }
        };
        let opts = oss_compile::Options::default();
        match oss_compile::compile(&loaded, &opts) {
            Ok(a) => {
                let b = oss_compile::compile(&loaded, &opts).unwrap();
                let yaml = a.to_yaml();
                prop_assert_eq!(&yaml, &b.to_yaml());
                let objects: Vec<serde_json::Value> = a.objects().iter().map(oss_compile::Object::to_value).collect();
                prop_assert_eq!(reparse(&yaml), objects);
            }
            Err(d) => prop_assert!(d.iter().all(|d| d.span.is_some() && d.help.is_some()), "{d:?}"),
        }
    }
}
