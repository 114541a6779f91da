//! Library benchmarks of every pipeline stage on every catalog spec, and a batch of 1000 specs.
//! Run with `cargo bench -p oss-compile`; `cargo test --all-targets` runs each once so they do
//! not rot. Benchmarks call the library, never the binary; no test asserts a time.

use std::hint::black_box;

/// Counts allocations per benchmark (reported beside the times).
#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

fn names() -> Vec<&'static str> {
    oss_catalog::entries().iter().map(|e| e.name).collect()
}

fn entry(name: &str) -> &'static oss_catalog::Entry {
    oss_catalog::get(name).expect("catalog entry")
}

/// YAML text to the spanned tree (the hardened parser, budgets on).
#[divan::bench(args = names())]
fn yaml(name: &str) -> oss_spec::yaml::Node {
    let e = entry(name);
    let mut sources = oss_spec::Sources::new();
    let id = sources.add(e.path, e.text);
    oss_spec::yaml::parse(sources.get(id), id, &oss_spec::Limits::default()).expect("valid")
}

/// Parse, resolve, decode and validate: text to a checked spec.
#[divan::bench(args = names())]
fn load(name: &str) -> oss_spec::Loaded {
    black_box(entry(name)).load(&oss_spec::Options::default()).expect("valid")
}

/// Derivations and lowering to typed objects (no emission).
#[divan::bench(args = names())]
fn compile(bencher: divan::Bencher, name: &str) {
    let loaded = entry(name).load(&oss_spec::Options::default()).expect("valid");
    bencher.bench(|| oss_compile::compile(black_box(&loaded), &oss_compile::Options::default()).expect("compiles"));
}

/// Emission of a compiled bundle to YAML bytes.
#[divan::bench(args = names())]
fn emit(bencher: divan::Bencher, name: &str) {
    let loaded = entry(name).load(&oss_spec::Options::default()).expect("valid");
    let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).expect("compiles");
    bencher.bench(|| black_box(&bundle).to_yaml());
}

/// The whole library path, text in, bytes out.
#[divan::bench(args = names())]
fn end_to_end(name: &str) -> String {
    let loaded = entry(name).load(&oss_spec::Options::default()).expect("valid");
    oss_compile::compile(&loaded, &oss_compile::Options::default()).expect("compiles").to_yaml()
}

/// 1000 specs loaded and validated, as `ossc validate` on a repository does.
#[divan::bench(sample_count = 10)]
fn validate_1000_specs() -> usize {
    let entries = oss_catalog::entries();
    (0..1000).filter(|i| entries[i % entries.len()].load(&oss_spec::Options::default()).is_ok()).count()
}
