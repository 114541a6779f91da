//! The real `ossc` binary, run as a user would.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn ossc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ossc")).args(args).current_dir(repo()).env("NO_COLOR", "1").output().expect("run ossc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A directory of this test binary's own under Cargo's scratch space for integration tests
/// (`target/tmp`), the same on every run: a run leaves nothing in the system's /tmp (these were
/// once `/tmp/ossc-cli-<pid>`, one set per run, never removed) and `cargo clean` takes it.
fn tmp(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ossc-cli-{kind}"))
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = tmp("scratch");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn cassandra() -> String {
    std::fs::read_to_string(repo().join("specs/cassandra.yaml")).unwrap()
}

#[test]
fn build_writes_the_golden_bundle_and_is_deterministic() {
    let a = ossc(&["build", "specs/cassandra.yaml"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(a.stderr.is_empty(), "{}", stderr(&a));
    let golden = std::fs::read_to_string(repo().join("golden/cassandra/bundle.yaml")).unwrap();
    assert_eq!(stdout(&a), golden);
    let b = ossc(&["build", "specs/cassandra.yaml"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn misspelt_key_fails_with_location_and_suggestion() {
    let path = scratch("misspelt.yaml", &cassandra().replacen("  replicas: 3", "  replcas: 3", 1));
    let o = ossc(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let line = cassandra().lines().position(|l| l == "  replicas: 3").unwrap() + 1;
    assert!(err.contains(&format!("misspelt.yaml:{line}:3: error[OSS003]: unknown key `replcas` in `redundancy`")), "{err}");
    assert!(err.contains("did you mean `replicas`?"), "{err}");
    let build = ossc(&["build", path.to_str().unwrap()]);
    assert_eq!(build.status.code(), Some(1));
    assert!(build.stdout.is_empty());
}

#[test]
fn error_rendering_snapshot() {
    // A fixture of its own, so the snapshot changes only when the rendering does.
    let path = scratch("render.yaml", include_str!("fixtures/render.yaml"));
    let o = ossc(&["validate", path.to_str().unwrap()]);
    let text = stderr(&o).replace(path.to_str().unwrap(), "render.yaml");
    insta::assert_snapshot!(text);
}

#[test]
fn set_changes_the_statefulset_replicas() {
    let o = ossc(&["build", "specs/cassandra.yaml", "--set", "redundancy.replicas=5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let sts = out.split("---\n").find(|d| d.contains("kind: StatefulSet")).unwrap();
    assert!(sts.contains("\n  replicas: 5\n"), "{sts}");
}

#[test]
fn set_errors_point_at_the_flag() {
    let o = ossc(&["build", "specs/cassandra.yaml", "--set", "redundancy.replicas=lots"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--set:1:21: error[OSS004]"), "{}", stderr(&o));
    let o = ossc(&["build", "specs/cassandra.yaml", "--set", "redundancy.nope=1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--set:1:12: error[OSS003]"), "{}", stderr(&o));
}

#[test]
fn namespace_flag_sets_every_namespaced_object() {
    let o = ossc(&["build", "specs/cassandra.yaml", "--namespace", "shop"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(!out.contains("kind: Namespace"));
    // Every document is in `shop` (a RoleBinding's subject names it too), none in the default.
    let docs: Vec<&str> = out.split("---\n").filter(|d| !d.is_empty()).collect();
    assert!(docs.len() > 10, "{out}");
    for d in docs {
        assert!(d.contains("\n  namespace: shop\n"), "{d}");
    }
    assert!(!out.contains("namespace: cassandra"), "{out}");
    let bad = ossc(&["build", "specs/cassandra.yaml", "--namespace", "Not_A_Label"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn exit_codes_for_io_and_usage() {
    let o = ossc(&["build", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[OSS020]: cannot read `no/such/file.yaml`"), "{}", stderr(&o));
    assert_eq!(ossc(&["build", "specs"]).status.code(), Some(2));
    assert_eq!(ossc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(ossc(&[]).status.code(), Some(2));
    assert_eq!(ossc(&["--help"]).status.code(), Some(0));
    assert!(stdout(&ossc(&["--help"])).contains("Exit codes:"));
}

#[test]
fn validate_reports_every_file_and_reads_stdin() {
    let good = repo().join("specs/cassandra.yaml");
    let bad = scratch("bad.yaml", "apiVersion: v1\n");
    let o = ossc(&["validate", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("2 file(s) checked: 1 valid, 1 with errors"), "{}", stderr(&o));
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_ossc")).args(["validate", "-"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(cassandra().as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
fn closed_stdout_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ossc"))
        .args(["build", "specs/cassandra.yaml"])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn schema_and_explain() {
    let o = ossc(&["schema"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), std::fs::read_to_string(repo().join("schema/openservice.schema.json")).unwrap());
    let o = ossc(&["schema", "--overlay"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), std::fs::read_to_string(repo().join("schema/openservice-overlay.schema.json")).unwrap());
    let o = ossc(&["explain", "specs/cassandra.yaml", "--set", "redundancy.replicas=5"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("redundancy:\n  replicas: 5\n  quorum: majority\n  spread: zone\n"), "{out}");
    assert!(out.contains("lifecycle:\n  state: running\n  restartGeneration: 0\n"), "{out}");
}

#[test]
fn hostile_inputs_end_in_1_or_2_with_a_location() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("binary", vec![0, 159, 146, 150, 255, 0, 1]),
        ("utf16", vec![0xFF, 0xFE, b'a', 0, b':', 0]),
        ("deep", "[".repeat(100_000).into_bytes()),
        ("bomb", b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n".to_vec()),
        ("huge", vec![b'a'; 2 << 20]),
        ("tabs", b"\tapiVersion: x\n".to_vec()),
        ("crlf", cassandra().replace('\n', "\r\n").replacen("replicas: 3", "replicas: x", 1).into_bytes()),
        ("docs", "a: 1\n---\n".repeat(10_000).into_bytes()),
        ("bignum", b"apiVersion: openservice.dev/v1alpha1\nkind: Service\nredundancy: {replicas: 1e999999}\n".to_vec()),
    ];
    for (name, bytes) in cases {
        let path = scratch(&format!("hostile-{name}.yaml"), "");
        std::fs::write(&path, &bytes).unwrap();
        let started = std::time::Instant::now();
        let o = ossc(&["validate", path.to_str().unwrap()]);
        let code = o.status.code();
        assert!(matches!(code, Some(1 | 2)), "{name}: exit {code:?}\n{}", stderr(&o));
        assert!(stderr(&o).contains(&format!("hostile-{name}.yaml:")), "{name}: no location\n{}", stderr(&o));
        assert!(started.elapsed().as_secs() < 10, "{name} took {:?}", started.elapsed());
    }
}

#[test]
fn the_readme_example_spec_builds() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme.split("## A small spec").nth(1).unwrap();
    let block = section.split("```yaml\n").nth(1).unwrap().split("```").next().unwrap();
    let path = scratch("readme.yaml", block);
    let o = ossc(&["build", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("kind: Deployment"));
}

#[test]
fn catalog_lists_at_least_twelve_services_and_each_builds_by_name() {
    let o = ossc(&["catalog", "list", "--format", "json"]);
    assert!(o.status.success());
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<String> = list.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect();
    assert!(names.len() >= 12, "{names:?}");
    for name in &names {
        let b = ossc(&["build", name, "--namespace", "shop"]);
        assert!(b.status.success(), "{name}: {}", stderr(&b));
        assert!(stdout(&b).contains("kind: NetworkPolicy"), "{name}");
        let show = ossc(&["catalog", "show", name]);
        assert!(stdout(&show).contains("high availability:"), "{name}");
    }
    let table = stdout(&ossc(&["catalog", "list"]));
    assert!(table.starts_with("NAME") && table.contains("Amazon Kinesis"), "{table}");
    let missing = ossc(&["catalog", "show", "kafak"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("did you mean `kafka`?"));
}

#[test]
fn a_path_on_disk_wins_over_a_catalog_name() {
    let dir = tmp("wins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("etcd"), cassandra()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ossc")).args(["build", "etcd"]).current_dir(&dir).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("kind: StatefulSet\nmetadata:\n  annotations:"));
    assert!(stdout(&o).contains("name: cassandra\n"));
}

#[test]
fn quorum_systems_refuse_invalid_replica_counts_with_help() {
    for (name, n, want) in [("etcd", "9", "to 7"), ("zookeeper", "2", "to 1 or 3"), ("kafka", "1", "to 3"), ("minio", "3", "to 4")] {
        let o = ossc(&["build", name, "--set", &format!("redundancy.replicas={n}")]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = stderr(&o).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(err.contains("--set:1:") && err.contains("error[OSS027]") && err.contains(want), "{name}: {err}");
    }
}

#[test]
fn output_formats_json_and_directory() {
    let o = ossc(&["build", "cassandra", "--format", "json"]);
    assert!(o.status.success());
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    let yaml = stdout(&ossc(&["build", "cassandra"]));
    assert_eq!(list["items"].as_array().unwrap().len(), yaml.matches("---\n").count());
    let dir = tmp("out");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("99-stale-object.yaml"), "stale").unwrap();
    std::fs::write(dir.join("README.md"), "mine").unwrap();
    let o = ossc(&["build", "cassandra", "-o", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let k = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    assert!(k.contains("sortOptions:\n  order: fifo\n"));
    let listed: Vec<&str> = k.lines().filter_map(|l| l.strip_prefix("- ")).collect();
    assert_eq!(listed.first(), Some(&"00-namespace-cassandra.yaml"));
    let joined: String = listed.iter().map(|f| std::fs::read_to_string(dir.join(f)).unwrap()).collect();
    assert_eq!(joined, yaml, "the files, in kustomization order, are the stdout bundle");
    assert!(!dir.join("99-stale-object.yaml").exists(), "files of an earlier build are replaced");
    assert!(dir.join("README.md").exists(), "other files are left alone");
}

#[test]
fn overlays_from_files_and_init() {
    let init = stdout(&ossc(&["init", "cassandra"]));
    assert!(init.contains("extends: cassandra\n") && init.contains("#   heap: 2Gi"));
    let base = scratch("ov-init.yaml", &init);
    assert_eq!(stdout(&ossc(&["build", base.to_str().unwrap()])), stdout(&ossc(&["build", "cassandra"])));
    let prod = scratch("ov-prod.yaml", "extends: cassandra\nredundancy:\n  replicas: 5\n");
    let a = ossc(&["build", prod.to_str().unwrap()]);
    let b = ossc(&["build", "cassandra", "--set", "redundancy.replicas=5"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let zone = scratch("ov-zone.yaml", "redundancy:\n  replicas: 7\n");
    let c = ossc(&["build", "-f", prod.to_str().unwrap(), "-f", zone.to_str().unwrap(), "--set", "redundancy.replicas=9"]);
    assert!(stdout(&c).contains("\n  replicas: 9\n"));
    let origins = stdout(&ossc(&["explain", "-f", prod.to_str().unwrap(), "-f", zone.to_str().unwrap(), "--origins"]));
    assert!(origins.lines().any(|l| l.starts_with("redundancy.replicas\t") && l.contains("ov-zone.yaml:2:")), "{origins}");
    assert!(origins.lines().any(|l| l.starts_with("redundancy.spread\tcatalog:cassandra:")), "{origins}");
    let relative = scratch("ov-rel.yaml", "extends: ./ov-prod.yaml\nslo: {availability: 99.9}\n");
    assert!(ossc(&["build", relative.to_str().unwrap()]).status.success());
    let cycle = scratch("ov-cycle.yaml", "extends: ./ov-cycle.yaml\n");
    let o = ossc(&["build", cycle.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[OSS029]") && stderr(&o).contains("cycle"), "{}", stderr(&o));
}

#[test]
fn compose_and_multi_cluster_outputs() {
    let o = ossc(&["build", "cassandra", "--target", "compose"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("services:\n  cassandra-0:\n") && text.contains("cassandra-0.cassandra-peers.cassandra.svc"));
    assert!(stderr(&o).contains("warning[OSS032]: Compose cannot express: PodDisruptionBudget, NetworkPolicy"), "{}", stderr(&o));
    // a volume of `runtime.volumes` is a named volume per replica, and its ownership is the
    // consumer's to fix on Compose (said once, not per replica)
    let o = ossc(&["build", "examples/mariadb-galera.yaml", "--target", "compose"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("- \"galera-2-binlog:/var/lib/mysql-binlog\"\n") && stdout(&o).contains("\n  galera-2-binlog: {}\n"),
        "{}",
        stdout(&o)
    );
    assert_eq!(stderr(&o).matches("warning[OSS032]: Compose leaves out the ownership of volume `binlog`").count(), 1, "{}", stderr(&o));
    let dir = tmp("mc");
    let _ = std::fs::remove_dir_all(&dir);
    let o = ossc(&["build", "cassandra", "--cluster", "eu=active", "--cluster", "us=active", "-o", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for c in ["eu", "us"] {
        let sts: String = std::fs::read_dir(dir.join(c))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("statefulset"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(sts.contains(&format!("- name: CASSANDRA_DC\n          value: {c}\n")), "{c}");
    }
    let o = ossc(&["build", "kafka", "--cluster", "a=active", "--cluster", "b=active"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[OSS033]"), "{}", stderr(&o));
    let o = ossc(&["build", "kafka", "--cluster", "a=active", "--cluster", "b=standby"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("# cluster: b (standby)"));
}

#[test]
fn machine_readable_findings_and_check() {
    let bad = scratch(
        "json-bad.yaml",
        "apiVersion: openservice.dev/v1alpha1\nkind: Service\nmetadata: {name: x, version: \"1\"}\nredundancy: {replcas: 2}\n",
    );
    let o = ossc(&["validate", "--format", "json", bad.to_str().unwrap(), "specs/etcd.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["withErrors"], 1);
    assert_eq!(v["files"][1]["valid"], true);
    let codes: Vec<&str> = v["files"][0]["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"OSS003") && codes.contains(&"OSS005"), "{codes:?}");
    let d = v["files"][0]["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "OSS003").unwrap();
    assert_eq!((d["location"]["line"].as_u64(), d["location"]["column"].as_u64()), (Some(4), Some(14)));
    let o = ossc(&["validate", "--format", "sarif", bad.to_str().unwrap()]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(s["runs"][0]["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == "OSS003"));
    let o = ossc(&["validate", "--format", "json", "no/such.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["summary"]["unreadable"], 1);
    assert!(ossc(&["check", "golden/cassandra/bundle.yaml", "cassandra"]).status.success());
    let o = ossc(&["check", "golden/cassandra/bundle.yaml", "cassandra", "--set", "redundancy.replicas=5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("-  replicas: 3\n+  replicas: 5\n"), "{}", stdout(&o));
    let big = scratch("big.yaml", &format!("apiVersion: openservice.dev/v1alpha1\n# {}\n", "x".repeat(2 << 20)));
    assert_eq!(ossc(&["validate", big.to_str().unwrap()]).status.code(), Some(1));
    assert_ne!(ossc(&["validate", "--max-bytes", "4000000", big.to_str().unwrap()]).status.code(), Some(101));
}

/// `ossc serve` as users start it: it says where it listens, answers over a real socket with the
/// CLI's bytes, refuses a bad request with JSON, and keeps serving.
#[test]
fn serve_answers_over_a_real_socket() {
    use std::io::{BufRead, BufReader, Read};
    /// Stops the server however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_ossc"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr =
        line.split("http://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_else(|| panic!("no address in {line:?}")).to_owned();
    let http = |request: String| {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
    };
    let (status, body) =
        http("GET /api/bundle/etcd.yaml?set=redundancy.replicas%3D5 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_owned());
    let cli = ossc(&["build", "etcd", "--set", "redundancy.replicas=5"]);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body.as_bytes(), cli.stdout.as_slice());
    let junk = "{".repeat(10);
    let (status, body) = http(format!(
        "POST /api/build HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{junk}",
        junk.len()
    ));
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    assert!(body.contains("\"ok\":false"), "{body}");
    let (status, _) = http("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_owned());
    assert_eq!(status, "HTTP/1.1 200 OK");
    // DNS rebinding: another site's name pointed at loopback gets nothing.
    let (status, body) = http("GET /api/catalog HTTP/1.1\r\nHost: evil.example:7300\r\nConnection: close\r\n\r\n".to_owned());
    assert_eq!(status, "HTTP/1.1 403 Forbidden");
    assert!(body.contains("loopback"), "{body}");
}

#[test]
fn diff_refuses_removing_members_that_must_leave_first() {
    for (name, from, to, step) in
        [("cassandra", 5, 3, "nodetool decommission"), ("etcd", 5, 3, "etcdctl member remove"), ("zookeeper", 5, 3, "reconfig")]
    {
        let old = ossc(&["build", name, "-n", "prod", "--set", &format!("redundancy.replicas={from}")]);
        assert!(old.status.success(), "{}", stderr(&old));
        let path = scratch(&format!("{name}-old.yaml"), &stdout(&old));
        let o = ossc(&["diff", "--against", path.to_str().unwrap(), name, "-n", "prod", "--set", &format!("redundancy.replicas={to}")]);
        assert_eq!(o.status.code(), Some(3), "{name}: {}", stdout(&o));
        let out = stdout(&o);
        assert!(out.contains("[unsafe without a manual step]") && out.contains(step), "{name}: {out}");
        for line in out.lines().filter(|l| l.trim_start().starts_with("kubectl ")) {
            assert!(line.contains(" -n prod "), "{name}: {line}");
        }
        let json = ossc(&[
            "diff",
            "--format",
            "json",
            "--against",
            path.to_str().unwrap(),
            name,
            "-n",
            "prod",
            "--set",
            &format!("redundancy.replicas={to}"),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(v["safe"], false);
        // Growing is safe where members join by themselves (Cassandra); etcd and ZooKeeper must
        // admit them first (`scaleUp: manual`), so their growth blocks too.
        let o =
            ossc(&["diff", "--against", path.to_str().unwrap(), name, "-n", "prod", "--set", &format!("redundancy.replicas={}", from + 2)]);
        if name == "cassandra" {
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stdout(&o));
        } else {
            assert_eq!(o.status.code(), Some(3), "{name}: {}", stdout(&o));
            assert!(stdout(&o).contains("which the running cluster must admit first"), "{name}: {}", stdout(&o));
        }
    }
}

#[test]
fn a_brought_secret_is_checked_before_the_build() {
    let partial = scratch("team-db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-db\nstringData:\n  username: app\n");
    let p = partial.to_str().unwrap();
    // Missing `password`: located in the Secret's file, nothing on stdout.
    let o = ossc(&["build", "postgres", "--set", "access.credentialsSecret=team-db", "--secret", p]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains(&format!("{p}:5:1: error[OSS034]: the Secret lacks key `password`")), "{}", stderr(&o));
    // Not named by the spec: the machine-readable fix names it, and applying it removes the finding.
    let complete = scratch(
        "team-db-full.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-db\nstringData:\n  username: app\n  password: x\n  replication-password: y\n  api-password: z\n",
    );
    let c = complete.to_str().unwrap();
    let o = ossc(&["validate", "--format", "json", "--secret", c, "specs/postgres.yaml"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fix = report["files"][0]["diagnostics"][0]["fix"][0].as_str().unwrap().to_owned();
    assert_eq!(fix, "access.credentialsSecret=team-db");
    let o = ossc(&["build", "postgres", "--set", &fix, "--secret", c]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The Job then only reads it (to write the binding): it creates no credentials.
    assert!(stdout(&o).contains("reading the consumer's Secret team-db"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("created Secret"), "{}", stdout(&o));
}

/// Every file under `dir`, relative path → text.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

/// `dir` of a rendered tree `got` holds exactly the files `ossc build ARGS -o SINGLE` writes.
fn assert_rendered_as_built(got: &std::collections::BTreeMap<String, String>, dir: &str, args: &[&str], single: &Path) {
    let mut argv = vec!["build"];
    argv.extend(args);
    argv.extend(["-o", single.to_str().unwrap()]);
    let b = ossc(&argv);
    assert!(b.status.success(), "{}", stderr(&b));
    let want = tree(single);
    assert!(!want.is_empty());
    for (file, text) in &want {
        assert_eq!(got.get(&format!("{dir}/{file}")), Some(text), "{dir}/{file}");
    }
    assert_eq!(got.keys().filter(|k| k.starts_with(&format!("{dir}/"))).count(), want.len(), "{dir}");
}

#[test]
fn render_builds_many_specs_exactly_as_single_builds() {
    // A small repository: two overlays in nested directories, a catalog name, flags for all.
    let root = scratch("render-marker", "").parent().unwrap().join("render-repo");
    std::fs::create_dir_all(root.join("team-a")).unwrap();
    std::fs::write(root.join("team-a/db.yaml"), "extends: postgres\ncapacity: {storage: 5Gi}\n").unwrap();
    std::fs::create_dir_all(root.join("team-b/cache")).unwrap();
    std::fs::write(root.join("team-b/cache/valkey.yml"), "extends: valkey\nredundancy: {spread: host}\n").unwrap();
    std::fs::write(root.join("team-b/README.md"), "not a spec\n").unwrap();
    let out = root.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let o =
        ossc(&["render", root.to_str().unwrap(), "etcd", "-o", out.to_str().unwrap(), "-n", "prod", "--set", "capacity.cpu=2", "-j", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 spec(s) rendered"), "{}", stderr(&o));
    let got = tree(&out);
    for (dir, spec) in
        [("team-a/db", root.join("team-a/db.yaml")), ("team-b/cache/valkey", root.join("team-b/cache/valkey.yml")), ("etcd", "etcd".into())]
    {
        let single = root.parent().unwrap().join("render-single").join(dir);
        assert_rendered_as_built(&got, dir, &[spec.to_str().unwrap(), "-n", "prod", "--set", "capacity.cpu=2"], &single);
    }
    // Rendering again into the same place (the output inside the repository) changes nothing.
    let o = ossc(&["render", root.to_str().unwrap(), "etcd", "-o", out.to_str().unwrap(), "-n", "prod", "--set", "capacity.cpu=2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(tree(&out), got);
}

#[test]
fn render_manifest_builds_each_service_for_its_cluster_namespace_and_target() {
    let root = scratch("manifest-marker", "").parent().unwrap().join("manifest-repo");
    std::fs::create_dir_all(root.join("svc")).unwrap();
    std::fs::write(root.join("svc/orders-db.yaml"), "extends: postgres\nmetadata: {name: orders-db}\n").unwrap();
    std::fs::write(root.join("svc/prod.yaml"), "capacity: {storage: 20Gi}\n").unwrap();
    std::fs::write(
        root.join("repo.yaml"),
        "apiVersion: openservice.dev/v1alpha1\nkind: Repository\ntarget: eks\nclusters:\n  eu: {target: gke}\n  us:\n\
         services:\n  - spec: ./svc/orders-db.yaml\n    overlays: [svc/prod.yaml]\n    cluster: eu\n    namespace: orders\n\
         \x20 - spec: valkey\n    cluster: us\n    set: [capacity.memory=1Gi]\n  - spec: etcd\n    name: shared/etcd\n",
    )
    .unwrap();
    let out = root.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let o = ossc(&["render", "--manifest", root.join("repo.yaml").to_str().unwrap(), "-o", out.to_str().unwrap(), "-j", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 spec(s) rendered"), "{}", stderr(&o));
    let got = tree(&out);
    // each as `ossc build` with the flags the manifest implies (the us cluster has no target of
    // its own: the repository's, eks)
    let cases: [(&str, Vec<String>); 3] = [
        (
            "eu/orders-db",
            vec![
                root.join("svc/orders-db.yaml").display().to_string(),
                "-f".into(),
                root.join("svc/prod.yaml").display().to_string(),
                "--target".into(),
                "gke".into(),
                "-n".into(),
                "orders".into(),
            ],
        ),
        ("us/valkey", vec!["valkey".into(), "--target".into(), "eks".into(), "--set".into(), "capacity.memory=1Gi".into()]),
        ("shared/etcd", vec!["etcd".into(), "--target".into(), "eks".into()]),
    ];
    for (dir, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_rendered_as_built(&got, dir, &args, &root.join("single").join(dir));
    }
    assert!(got.keys().any(|k| k.starts_with("eu/orders-db/") && got[k].contains("namespace: orders")));
    // `--layout files`: one file per service, byte-identical to `ossc build`'s stdout
    let files = root.join("files");
    let _ = std::fs::remove_dir_all(&files);
    let o = ossc(&["render", "-m", root.join("repo.yaml").to_str().unwrap(), "-o", files.to_str().unwrap(), "--layout", "files"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = tree(&files);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["eu/orders-db.yaml", "shared/etcd.yaml", "us/valkey.yaml"]);
    let b = ossc(&["build", "valkey", "--target", "eks", "--set", "capacity.memory=1Gi"]);
    assert_eq!(got["us/valkey.yaml"], String::from_utf8(b.stdout).unwrap());
}

#[test]
fn render_manifest_reports_every_finding_located_in_it() {
    let root = scratch("manifest-bad-marker", "").parent().unwrap().join("manifest-bad");
    std::fs::create_dir_all(&root).unwrap();
    let manifest = root.join("repo.yaml");
    let out = root.join("out");
    // a manifest of these services, rendered
    let render = |services: &str| {
        std::fs::write(&manifest, format!("apiVersion: openservice.dev/v1alpha1\nkind: Repository\nservices:\n{services}")).unwrap();
        ossc(&["render", "-m", manifest.to_str().unwrap(), "-o", out.to_str().unwrap()])
    };
    // the manifest's own findings, all at once
    let o = render("  - spec: etcd\n    cluster: eu\n  - spec: etcd\n    namespce: x\n  - spec: etcd\n  - spec: ./x/etcd.yaml\n");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("repo.yaml:9:11: error[OSS012]: `services.2` and `services.3` are both written to `etcd`"), "{err}");
    // an entry with a finding is not reported again as a duplicate of another
    assert_eq!(err.matches("error[").count(), 3, "{err}");
    for want in ["repo.yaml:5:14: error[OSS013]: no cluster `eu`", "repo.yaml:7:5: error[OSS003]: unknown key `namespce`"] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    // specs that cannot be read: every one, at the line that names it (exit 2, an I/O error)
    let o = render("  - spec: ./gone.yaml\n  - spec: postgress\n");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("repo.yaml:4:11: error[OSS020]: cannot read") && err.contains("repo.yaml:5:11: error[OSS020]"), "{err}");
    assert!(err.contains("did you mean `postgres`"), "{err}");
    // a spec's own findings come with the spec's file and line, and nothing is written
    std::fs::write(root.join("bad.yaml"), "extends: etcd\ncapacity: {cpu: lots}\n").unwrap();
    let o = render("  - spec: bad.yaml\n  - spec: etcd\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.yaml:2:") && stderr(&o).contains("nothing written"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn render_reports_every_failing_spec_and_writes_nothing() {
    let a = scratch("render-bad-a.yaml", "extends: cassandra\nredundancy: {replicas: 0}\n");
    let b = scratch("render-bad-b.yaml", "extends: etcd\ncapacity: {cpu: lots}\n");
    let out = a.parent().unwrap().join("render-bad-out");
    let o = ossc(&["render", a.to_str().unwrap(), "cassandra", b.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("render-bad-a.yaml:2:") && err.contains("render-bad-b.yaml:2:"), "{err}");
    assert!(err.contains("3 spec(s): 1 built, 2 with errors; nothing written"), "{err}");
    assert!(!out.exists());
    // Two inputs that would share a directory: refused before anything is built (exit 2).
    let o = ossc(&["render", "cassandra", "specs/cassandra.yaml", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("would both be written to"), "{}", stderr(&o));
}

#[test]
fn explain_containers_shows_what_each_process_receives() {
    // The workload as written, then for one replica after Kubernetes' own expansion.
    let o = ossc(&["explain", "zookeeper", "--containers"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("StatefulSet/zookeeper\n"), "{out}");
    assert!(out.contains("      - ZK_INDEX=$(OSS_POD_INDEX)\n"), "{out}");
    assert!(out.contains("Job/zookeeper-credentials-"), "{out}");
    let o = ossc(&["explain", "zookeeper", "--containers", "--replica", "2"]);
    let out = stdout(&o);
    assert!(out.contains("StatefulSet/zookeeper, replica 2 (pod zookeeper-2)"), "{out}");
    assert!(out.contains("      - ZK_INDEX=2    # written $(OSS_POD_INDEX)\n"), "{out}");
    // The trap of a pod reference inside shell arithmetic, made visible: Kubernetes leaves it.
    let o = ossc(&["explain", "tests/bad-input/pod-index-in-shell-arithmetic.yaml", "--containers", "--replica", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("export ZOO_MY_ID=$(($(OSS_POD_INDEX) + 1))"), "{}", stdout(&o));
    let o = ossc(&["explain", "zookeeper", "--containers", "--replica", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--replica 3 is not a replica: the service has 3 (0 to 2)"), "{}", stderr(&o));
}
