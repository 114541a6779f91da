//! Overlays: every merge rule, and every way an `extends` chain can fail, with an in-memory
//! resolver (the library reads no files).

#![allow(clippy::unwrap_used)]

use oss_spec::{Code, Failure, Input, Loaded, Options, Resolver, load};
use std::collections::BTreeMap;

const BASE: &str = include_str!("../../specs/cassandra.yaml");

struct Mem(BTreeMap<&'static str, String>);

impl Resolver for Mem {
    fn resolve(&self, _from: &str, reference: &str) -> Result<(String, String), String> {
        self.0.get(reference).map(|t| (reference.to_owned(), t.clone())).ok_or_else(|| format!("no `{reference}` in the test tree"))
    }
}

fn tree(extra: &[(&'static str, &str)]) -> Mem {
    let mut m = BTreeMap::from([("cassandra", BASE.to_owned())]);
    for (k, v) in extra {
        m.insert(*k, (*v).to_owned());
    }
    Mem(m)
}

fn run(files: &[(&str, &str)], resolver: &Mem) -> Result<Loaded, Failure> {
    let inputs: Vec<Input> = files.iter().map(|(name, text)| Input { name, text }).collect();
    load(&inputs, &Options::default(), resolver)
}

fn ok(files: &[(&str, &str)]) -> Loaded {
    run(files, &tree(&[])).unwrap_or_else(|f| panic!("{f}"))
}

fn codes(f: &Failure) -> Vec<(Code, String)> {
    f.diagnostics.iter().map(|d| (d.code, d.span.map(|s| f.sources.location(s)).unwrap_or_default())).collect()
}

#[test]
fn maps_merge_and_the_overlay_wins() {
    let l = ok(&[("prod.yaml", "extends: cassandra\nredundancy:\n  replicas: 5\ncapacity: {memory: 8Gi}\n")]);
    assert_eq!(l.spec.redundancy.replicas, 5);
    assert_eq!(l.spec.redundancy.spread, oss_spec::model::Spread::Zone, "sibling keys of the base are kept");
    assert_eq!(l.spec.capacity.memory.as_str(), "8Gi");
    assert_eq!(l.spec.capacity.cpu.as_str(), "2");
    // Where each value came from.
    assert!(l.sources.location(l.spans.get("redundancy.replicas").unwrap()).starts_with("prod.yaml:3:"));
    assert!(l.sources.location(l.spans.get("redundancy.spread").unwrap()).starts_with("cassandra:"));
}

#[test]
fn null_removes_a_key() {
    let l = ok(&[("o.yaml", "extends: cassandra\nslo: {availability: null}\n")]);
    assert_eq!(l.spec.slo.availability, None);
}

#[test]
fn named_lists_merge_by_name_and_other_lists_are_replaced() {
    let l = ok(&[(
        "o.yaml",
        "extends: cassandra\nfunction:\n  endpoints:\n    - {name: cql, port: 9043}\n    - {name: jmx, port: 7199}\nruntime:\n  writable: [/tmp]\n",
    )]);
    let eps: Vec<(String, u16)> = l.spec.function.endpoints.iter().map(|p| (p.name.to_string(), p.port)).collect();
    assert_eq!(eps, [("cql".to_owned(), 9043), ("jmx".to_owned(), 7199)]);
    assert_eq!(l.spec.function.endpoints[0].description.as_deref(), Some("CQL native protocol, for clients."), "merged, not replaced");
    assert_eq!(l.spec.runtime.writable.len(), 1, "an unnamed list is replaced whole");
}

#[test]
fn components_merge_by_name() {
    let isolated = include_str!("../../examples/kafka-isolated.yaml");
    let m = tree(&[("kafka-isolated", isolated)]);
    let l =
        run(&[("o.yaml", "extends: kafka-isolated\nruntime:\n  components:\n    - {name: controller, replicas: 5, memory: 2Gi}\n")], &m)
            .unwrap_or_else(|f| panic!("{f}"));
    let c = &l.spec.runtime.components;
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].replicas, c[0].memory.as_str()), (5, "2Gi"));
    assert_eq!(c[0].cpu.as_str(), "500m", "the base's other fields kept");
    assert!(c[0].args.first().is_some_and(|a| a.contains("KAFKA_CONTROLLER_QUORUM_VOTERS")), "the base's start script kept");
}

#[test]
fn files_layer_in_order() {
    let l = ok(&[("a.yaml", "extends: cassandra\nredundancy: {replicas: 5}\n"), ("b.yaml", "redundancy: {replicas: 7}\n")]);
    assert_eq!(l.spec.redundancy.replicas, 7);
    let f = run(&[("a.yaml", "extends: cassandra\n"), ("b.yaml", "extends: cassandra\n")], &tree(&[])).unwrap_err();
    assert_eq!(codes(&f), [(Code::ExtendsError, "b.yaml:1:10".to_owned())]);
}

#[test]
fn chains_resolve_and_errors_in_a_base_point_into_the_base() {
    let mid = "extends: cassandra\nredundancy: {replicas: 5}\n";
    let l = run(&[("top.yaml", "extends: mid\ncapacity: {cpu: \"4\"}\n")], &tree(&[("mid", mid)])).unwrap();
    assert_eq!((l.spec.redundancy.replicas, l.spec.capacity.cpu.as_str()), (5, "4"));
    let broken_mid = "extends: cassandra\nredundancy: {replcas: 5}\n";
    let f = run(&[("top.yaml", "extends: mid\n")], &tree(&[("mid", broken_mid)])).unwrap_err();
    assert_eq!(codes(&f), [(Code::UnknownKey, "mid:2:14".to_owned())]);
}

#[test]
fn cycles_missing_bases_and_long_chains_are_refused() {
    let f = run(&[("a", "extends: b\n")], &tree(&[("b", "extends: c\n"), ("c", "extends: b\n")])).unwrap_err();
    assert_eq!(f.diagnostics.0[0].code, Code::ExtendsError);
    assert!(f.diagnostics.0[0].message.contains("cycle"), "{f}");
    let f = run(&[("self.yaml", "extends: self.yaml\n")], &tree(&[("self.yaml", "extends: self.yaml\n")])).unwrap_err();
    assert!(f.diagnostics.0[0].message.contains("cycle"), "{f}");
    let f = run(&[("a.yaml", "extends: nowhere\n")], &tree(&[])).unwrap_err();
    assert_eq!(codes(&f), [(Code::ExtendsError, "a.yaml:1:10".to_owned())]);
    let mut long = Vec::new();
    for i in 0..2000 {
        long.push((Box::leak(format!("l{i}").into_boxed_str()) as &'static str, format!("extends: l{}\n", i + 1)));
    }
    let refs: Vec<(&'static str, &str)> = long.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let f = run(&[("start", "extends: l0\n")], &tree(&refs)).unwrap_err();
    assert!(f.diagnostics.0[0].message.contains("longer than"), "{f}");
}

#[test]
fn type_clashes_name_both_places() {
    let f = run(&[("o.yaml", "extends: cassandra\nredundancy: lots\n")], &tree(&[])).unwrap_err();
    assert_eq!(f.diagnostics.0[0].code, Code::OverlayTypeClash);
    assert!(f.diagnostics.0[0].message.contains("in the base (cassandra:"), "{f}");
    assert!(f.sources.location(f.diagnostics.0[0].span.unwrap()).starts_with("o.yaml:2:"));
}

#[test]
fn set_applies_after_every_file() {
    let inputs = [Input { name: "a.yaml", text: "extends: cassandra\nredundancy: {replicas: 5}\n" }];
    let options = Options { sets: vec!["redundancy.replicas=7".to_owned()], ..Options::default() };
    assert_eq!(load(&inputs, &options, &tree(&[])).unwrap().spec.redundancy.replicas, 7);
}

#[test]
fn a_mistake_in_an_overlay_is_located_in_the_overlay() {
    let overlay = "extends: cassandra\nruntime:\n  env:\n    MAX_HEAP_SIZE: ${knobs.hep}M\n";
    let f = run(&[("my.yaml", overlay)], &tree(&[])).unwrap_err();
    assert_eq!(codes(&f), vec![(Code::UnknownReference, "my.yaml:4:20".to_owned())], "{f}");
    // A section the overlay merges into keeps the base's place; a value it replaces is its own.
    let l = ok(&[("my.yaml", "extends: cassandra\nruntime:\n  env:\n    MAX_HEAP_SIZE: 1024M\n")]);
    assert!(l.sources.location(l.spans.get("runtime.env.MAX_HEAP_SIZE").unwrap()).starts_with("my.yaml:4:"));
    assert!(l.sources.location(l.spans.get("runtime.env.CASSANDRA_DC").unwrap()).starts_with("cassandra:"));
}

#[test]
fn a_set_flag_is_credited_with_the_value_it_set() {
    let inputs = [Input { name: "my.yaml", text: "extends: cassandra\nsettings:\n  heap: 1Gi\n" }];
    let options = Options { sets: vec!["settings.heap=2Gi".to_owned()], ..Options::default() };
    let l = load(&inputs, &options, &tree(&[])).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(l.sources.location(l.spans.get("settings.heap").unwrap()), "--set:1:15");
}
