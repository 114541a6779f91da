//! Library benchmarks of the pipeline stages on the catalog specs. Run with
//! `cargo bench -p oss-compile`; `cargo test --all-targets` runs each once so they do not rot.

use std::hint::black_box;

fn main() {
    divan::main();
}

const CASSANDRA: &str = include_str!("../../specs/cassandra.yaml");

/// Parse + decode + validate.
#[divan::bench]
fn parse_cassandra() -> oss_spec::Loaded {
    oss_spec::parse("specs/cassandra.yaml", black_box(CASSANDRA)).expect("valid")
}

/// Lowering to typed objects (no emission).
#[divan::bench]
fn lower_cassandra(bencher: divan::Bencher) {
    let loaded = oss_spec::parse("specs/cassandra.yaml", CASSANDRA).expect("valid");
    bencher.bench(|| oss_compile::compile(black_box(&loaded), &oss_compile::Options::default()).expect("compiles"));
}

/// Emission of a compiled bundle to YAML bytes.
#[divan::bench]
fn emit_cassandra(bencher: divan::Bencher) {
    let loaded = oss_spec::parse("specs/cassandra.yaml", CASSANDRA).expect("valid");
    let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).expect("compiles");
    bencher.bench(|| black_box(&bundle).to_yaml());
}

/// The whole library path: text in, bytes out.
#[divan::bench]
fn parse_compile_emit_cassandra() -> String {
    let loaded = oss_spec::parse("specs/cassandra.yaml", black_box(CASSANDRA)).expect("valid");
    oss_compile::compile(&loaded, &oss_compile::Options::default()).expect("compiles").to_yaml()
}
