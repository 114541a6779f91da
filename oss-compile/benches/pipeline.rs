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

/// The overlays of a generated GitOps repository: `n` services over the catalog's bases, each
/// with its own name, capacity and replicas, for three targets in turn.
fn repository(n: usize) -> Vec<oss_compile::batch::Job> {
    let bases: Vec<&str> = oss_catalog::entries().iter().map(|e| e.name).collect();
    let targets = [oss_compile::Target::Generic, oss_compile::Target::Gke, oss_compile::Target::Eks];
    (0..n)
        .map(|i| oss_compile::batch::Job {
            texts: vec![(
                format!("apps/team-{}/svc-{i}.yaml", i % 37),
                format!("extends: {}\nmetadata: {{name: svc-{i}}}\ncapacity: {{storage: {}Gi}}\n", bases[i % bases.len()], 1 + i % 50),
            )],
            sets: Vec::new(),
            sets_origin: None,
            options: oss_compile::Options {
                namespace: Some(format!("team-{}", i % 37)),
                target: targets[i % targets.len()],
                ..oss_compile::Options::default()
            },
        })
        .collect()
}

/// `ossc render` of a 1000-service repository, without the file writes: every bundle built
/// and turned into its `-o` files, on 1 and 2 threads.
#[divan::bench(sample_count = 5, args = [1, 2])]
fn render_1000_services(bencher: divan::Bencher, threads: usize) {
    let jobs = repository(1000);
    bencher.bench(|| {
        let built = oss_compile::batch::build_all(&jobs, &oss_catalog::CatalogResolver, threads);
        built.iter().flat_map(|b| &b.bundles).map(|(_, b)| b.to_files().len()).sum::<usize>()
    });
}
