//! Golden bundles: every spec in `specs/` compiles to exactly the bytes checked in under
//! `golden/<name>/bundle.yaml`. Goldens change only through `UPDATE_GOLDEN=1 cargo test`, and
//! the diff is reviewed like code.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The `.yaml` files of a repository directory, sorted.
fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("{dir}/: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no specs found in {dir}/");
    v
}

fn specs() -> Vec<PathBuf> {
    yaml_files("specs")
}

fn build_for(path: &Path, target: oss_compile::Target) -> String {
    let text = std::fs::read_to_string(path).expect("read spec");
    let name = format!("specs/{}", path.file_name().unwrap().to_string_lossy());
    let loaded = oss_spec::parse(&name, &text).unwrap_or_else(|f| panic!("{f}"));
    let bundle = oss_compile::compile(&loaded, &oss_compile::Options { target, ..oss_compile::Options::default() }).expect("compiles");
    bundle.to_yaml()
}

/// The objects `--monitoring prometheus-operator` adds to the default build, as a stream of
/// their own; `None` when it adds none. The test below holds the rest of that build equal to
/// the default one.
fn monitoring_objects(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).expect("read spec");
    let loaded = oss_spec::parse("spec.yaml", &text).unwrap_or_else(|f| panic!("{f}"));
    added_by_monitoring(&loaded)
}

/// What `--monitoring prometheus-operator` adds to the bundle of `loaded`, if anything.
fn added_by_monitoring(loaded: &oss_spec::Loaded) -> Option<String> {
    let with = oss_compile::compile(
        loaded,
        &oss_compile::Options { monitoring: oss_compile::Monitoring::PrometheusOperator, ..oss_compile::Options::default() },
    )
    .expect("compiles");
    let (added, rest): (Vec<_>, Vec<_>) = with
        .objects()
        .iter()
        .cloned()
        .partition(|o| matches!(o.kind(), oss_compile::Kind::ServiceMonitor | oss_compile::Kind::PrometheusRule));
    let without = oss_compile::compile(loaded, &oss_compile::Options::default()).expect("compiles");
    assert_eq!(oss_compile::Bundle::new(rest).to_yaml(), without.to_yaml(), "--monitoring changes more than it adds");
    (!added.is_empty()).then(|| oss_compile::Bundle::new(added).to_yaml())
}

fn build(path: &Path) -> String {
    build_for(path, oss_compile::Target::Generic)
}

/// `spec` with the overlay at `overlay` (a repository path that `extends` the spec by its
/// catalog name) layered on top.
fn with_overlay(spec: &Path, overlay: &str) -> oss_spec::Loaded {
    let stem = spec.file_stem().unwrap().to_string_lossy().into_owned();
    // the overlay's own `extends` (a catalog name or a relative path) is the base given here
    let text = std::fs::read_to_string(repo().join(overlay)).unwrap();
    let over: String = text.lines().filter(|l| !l.starts_with("extends: ")).map(|l| format!("{l}\n")).collect();
    let base = std::fs::read_to_string(spec).unwrap();
    let inputs = [oss_spec::Input { name: &format!("{stem}.yaml"), text: &base }, oss_spec::Input { name: overlay, text: &over }];
    oss_spec::load(&inputs, &oss_spec::Options::default(), &oss_spec::NoResolver).unwrap_or_else(|f| panic!("{f}"))
}

/// `golden/<name>/bundle.yaml` for every spec; for cassandra also `golden/cassandra/<target>.yaml`
/// for every other target profile.
fn goldens() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for spec in specs() {
        let stem = spec.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((repo().join("golden").join(&stem).join("bundle.yaml"), build(&spec)));
        // What `--monitoring prometheus-operator` adds: the bundle above plus these objects.
        if let Some(monitoring) = monitoring_objects(&spec) {
            out.push((repo().join("golden").join(&stem).join("monitoring.yaml"), monitoring));
        }
        if stem == "cassandra" {
            for (name, target) in oss_compile::Target::ALL.iter().skip(1) {
                out.push((repo().join("golden").join(&stem).join(format!("{name}.yaml")), build_for(&spec, *target)));
            }
        }
        if stem == "cassandra" {
            // GKE with its managed Prometheus: PodMonitoring and Rules, gmp-system admitted to
            // the metrics port (docs/targets.md).
            let text = std::fs::read_to_string(&spec).unwrap();
            let loaded = oss_spec::parse("specs/cassandra.yaml", &text).unwrap();
            let options = oss_compile::Options {
                target: oss_compile::Target::Gke,
                monitoring: oss_compile::Monitoring::GoogleManagedPrometheus,
                ..oss_compile::Options::default()
            };
            out.push((
                repo().join("golden").join(&stem).join("gke-managed-prometheus.yaml"),
                oss_compile::compile(&loaded, &options).unwrap().to_yaml(),
            ));
            // A two-cluster active-active layout: one bundle per cluster.
            let loaded = with_overlay(&spec, "tests/multicluster/cassandra-two-datacenters.yaml");
            for c in oss_compile::multicluster::compile_clusters(&loaded, &[], &oss_compile::Options::default()).unwrap() {
                out.push((repo().join("golden").join(&stem).join(format!("cluster-{}.yaml", c.cluster)), c.bundle.to_yaml()));
            }
        }
        if stem == "memcached" {
            // A sidecar added by a patch, secured by ossc (docs/patches.md).
            let loaded = with_overlay(&spec, "tests/patches/memcached-sidecar.yaml");
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("sidecar-patch.yaml"), bundle.to_yaml()));
        }
        if stem == "function" {
            // Exposed outside the cluster, and calling out (access.expose, access.egress).
            let loaded = with_overlay(&spec, "tests/access/function-exposed.yaml");
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("exposed.yaml"), bundle.to_yaml()));
            // Behind a Gateway the cluster runs: an HTTPRoute, and its proxies let in.
            let loaded = with_overlay(&spec, "tests/access/function-route.yaml");
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("route.yaml"), bundle.to_yaml()));
        }
        if stem == "minio" {
            // Behind a Gateway with TLS on: the route's endpoint serves HTTPS, so a
            // BackendTLSPolicy, and the generator writes the CA's certificate for it.
            let loaded = with_overlay(&spec, "tests/access/minio-route-tls.yaml");
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("route-tls.yaml"), bundle.to_yaml()));
        }
        if ["nats", "kafka", "etcd", "cassandra", "valkey", "minio"].contains(&stem.as_str()) {
            // TLS on: the CA and certificate made in the cluster, mounted, in the binding
            // (Kafka: the TLS variables and binding keys replace the plain ones).
            let loaded = with_overlay(&spec, &format!("tests/tls/{stem}-tls.yaml"));
            if stem == "minio" {
                // metrics served on an endpoint that turns HTTPS with TLS: the scrape over https,
                // verified against the CA, for both operators (their CRD schemas in the API-server tier)
                for (file, monitoring) in [
                    ("tls.yaml", oss_compile::Monitoring::PrometheusOperator),
                    ("tls-gmp.yaml", oss_compile::Monitoring::GoogleManagedPrometheus),
                ] {
                    let options = oss_compile::Options { monitoring, ..oss_compile::Options::default() };
                    let bundle = oss_compile::compile(&loaded, &options).unwrap_or_else(|d| panic!("{d:?}"));
                    out.push((repo().join("golden").join(&stem).join(file), bundle.to_yaml()));
                }
            } else {
                let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
                out.push((repo().join("golden").join(&stem).join("tls.yaml"), bundle.to_yaml()));
            }
        }
        if stem == "postgres" {
            // Clients in two other namespaces: the binding is written there too.
            let loaded = with_overlay(&spec, "tests/clients/postgres-clients.yaml");
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("clients.yaml"), bundle.to_yaml()));
            // TLS from a cert-manager issuer: its Certificate, and the generator waiting for it.
            let loaded = with_overlay(&spec, "tests/tls/postgres-cert-manager.yaml");
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("cert-manager.yaml"), bundle.to_yaml()));
        }
        // Backups to an object store and a restore (docs/backup.md), for every service with an
        // overlay in tests/backup/: PostgreSQL's from another namespace (a Job), Valkey's from
        // another instance (seeded into the members).
        let overlay = format!("tests/backup/{stem}-backup.yaml");
        if repo().join(&overlay).exists() {
            let loaded = with_overlay(&spec, &overlay);
            let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
            out.push((repo().join("golden").join(&stem).join("backup.yaml"), bundle.to_yaml()));
            // and, for an entry with alerts of its own that come with backups
            // (`runtime.metrics.alerts` with `when: backup`: PostgreSQL's on its archive), the
            // monitoring objects backups bring
            let own_alerts = loaded
                .spec
                .runtime
                .metrics
                .as_ref()
                .is_some_and(|m| m.alerts.iter().any(|a| a.when == Some(oss_spec::model::AlertWhen::Backup)));
            if let Some(monitoring) = added_by_monitoring(&loaded).filter(|_| own_alerts) {
                out.push((repo().join("golden").join(&stem).join("backup-monitoring.yaml"), monitoring));
            }
        }
        // Every service as a Compose file (a level deeper: it is not a Kubernetes bundle).
        let text = std::fs::read_to_string(&spec).unwrap();
        let loaded = oss_spec::parse("spec.yaml", &text).unwrap();
        let file = oss_compile::compile_compose(&loaded, &oss_compile::Options::default()).unwrap();
        out.push((repo().join("golden").join(&stem).join("compose").join("compose.yaml"), file.yaml));
    }
    // The packaging guide's examples (not catalog entries): built with no finding at all, and
    // checked by the same validators and API-server tier as the catalog's bundles.
    for example in yaml_files("examples") {
        let text = std::fs::read_to_string(&example).unwrap();
        let name = format!("examples/{}", example.file_name().unwrap().to_string_lossy());
        let loaded = oss_spec::parse(&name, &text).unwrap_or_else(|f| panic!("{f}"));
        assert!(loaded.warnings.is_empty(), "{name} has findings: {:?}", loaded.warnings);
        let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
        out.push((repo().join("golden").join("examples").join(example.file_name().unwrap()), bundle.to_yaml()));
    }
    // The Galera example's backups, and a restore of a named backup (docs/backup.md).
    let loaded = with_overlay(&repo().join("examples/mariadb-galera.yaml"), "tests/backup/galera-backup.yaml");
    let bundle = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap_or_else(|d| panic!("{d:?}"));
    out.push((repo().join("golden").join("examples").join("mariadb-galera-backup.yaml"), bundle.to_yaml()));
    out
}

#[test]
fn every_spec_matches_its_golden_bundle() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (golden, actual) in goldens() {
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
            stale.push(format!("{} (first difference at line {line})", golden.display()));
        }
    }
    assert!(stale.is_empty(), "golden bundles out of date; review and run `UPDATE_GOLDEN=1 cargo test`:\n{}", stale.join("\n"));
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    for spec in specs() {
        assert_eq!(build(&spec), build(&spec));
    }
}
