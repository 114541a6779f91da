//! Service semantics: what the consumer's intent compiles to, and what is refused.

#![allow(clippy::unwrap_used)]

use oss_compile::{Kind, Object, Options, compile};
use oss_spec::{Code, Options as ParseOptions, parse_with};

const CASSANDRA: &str = include_str!("../../specs/cassandra.yaml");
const CHECKOUT: &str = include_str!("../../tests/promtool/checkout.yaml");

fn build_with(text: &str, sets: &[&str], options: &Options) -> Result<oss_compile::Bundle, Vec<(Code, String)>> {
    let loaded =
        parse_with("t.yaml", text, &ParseOptions { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..ParseOptions::default() })
            .map_err(|f| f.diagnostics.iter().map(|d| (d.code, d.message.clone())).collect::<Vec<_>>())?;
    compile(&loaded, options)
        .map_err(|d| d.iter().map(|d| (d.code, format!("{} | {}", d.message, d.help.clone().unwrap_or_default()))).collect())
}

fn build(sets: &[&str]) -> oss_compile::Bundle {
    build_with(CASSANDRA, sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn refused(text: &str, sets: &[&str]) -> Vec<(Code, String)> {
    build_with(text, sets, &Options::default()).expect_err("should be refused")
}

fn kinds(b: &oss_compile::Bundle) -> Vec<Kind> {
    b.objects().iter().map(Object::kind).collect()
}

#[test]
fn defaults_give_a_highly_available_monitored_service() {
    let b = build(&[]);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    let sts = b.statefulset().unwrap().spec.as_ref().unwrap();
    assert_eq!(sts.replicas, Some(3));
    let pod = sts.template.spec.as_ref().unwrap();
    let spread = pod.topology_spread_constraints.as_ref().unwrap();
    assert_eq!((spread[0].topology_key.as_str(), spread[0].when_unsatisfiable.as_str()), ("topology.kubernetes.io/zone", "DoNotSchedule"));
    let main = &pod.containers[0];
    assert!(main.readiness_probe.is_some() && main.liveness_probe.is_some() && main.startup_probe.is_some());
    let Some(Object::PodDisruptionBudget(pdb)) = b.first(Kind::PodDisruptionBudget) else { panic!("no PDB") };
    let pdb = pdb.spec.as_ref().unwrap();
    assert_eq!(pdb.max_unavailable, Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1)));
    assert_eq!(pdb.unhealthy_pod_eviction_policy.as_deref(), Some("AlwaysAllow"));
    assert!(kinds(&b).contains(&Kind::NetworkPolicy));
    assert!(!kinds(&b).contains(&Kind::HorizontalPodAutoscaler));
    let monitored =
        build_with(CASSANDRA, &[], &Options { monitoring: oss_compile::Monitoring::PrometheusOperator, ..Options::default() }).unwrap();
    for k in [Kind::ServiceMonitor, Kind::PrometheusRule] {
        assert!(kinds(&monitored).contains(&k), "no {k:?} with monitoring on");
    }
    let retention = sts.persistent_volume_claim_retention_policy.as_ref().unwrap();
    assert_eq!((retention.when_deleted.as_deref(), retention.when_scaled.as_deref()), (Some("Retain"), Some("Retain")));
}

#[test]
fn google_managed_prometheus_gets_its_own_objects_with_the_same_rules() {
    let gmp = build_with(CASSANDRA, &[], &Options { monitoring: oss_compile::Monitoring::GoogleManagedPrometheus, ..Options::default() })
        .unwrap();
    let operator =
        build_with(CASSANDRA, &[], &Options { monitoring: oss_compile::Monitoring::PrometheusOperator, ..Options::default() }).unwrap();
    assert!(kinds(&gmp).contains(&Kind::PodMonitoring) && kinds(&gmp).contains(&Kind::Rules));
    assert!(!kinds(&gmp).contains(&Kind::ServiceMonitor) && !kinds(&gmp).contains(&Kind::PrometheusRule));
    let (Some(Object::Rules(rules)), Some(Object::PrometheusRule(rule))) = (gmp.first(Kind::Rules), operator.first(Kind::PrometheusRule))
    else {
        panic!("no rules")
    };
    // the same groups and rules, each GMP group evaluated at the scrape interval
    assert_eq!(rules.spec.groups.len(), rule.spec.groups.len());
    for (g, p) in rules.spec.groups.iter().zip(&rule.spec.groups) {
        assert_eq!((&g.name, &g.rules, g.interval.as_str()), (&p.name, &p.rules, "30s"));
    }
    // GMP names the job after the PodMonitoring: the metrics Service's name, as the SLO selects
    let Some(Object::PodMonitoring(pm)) = gmp.first(Kind::PodMonitoring) else { panic!("no PodMonitoring") };
    assert_eq!(pm.metadata.name.as_deref(), Some("cassandra-metrics"));
    assert!(rule.spec.groups.iter().flat_map(|g| &g.rules).any(|r| r.expr.contains("job=\"cassandra-metrics\"")));
    // the managed collectors' namespace may scrape; without GMP it may not
    let admits = |b: &oss_compile::Bundle| {
        let Some(Object::NetworkPolicy(np)) = b.first(Kind::NetworkPolicy) else { panic!("no NetworkPolicy") };
        serde_json::to_string(np).unwrap().contains("\"gmp-system\"")
    };
    assert!(admits(&gmp) && !admits(&operator));
}

#[test]
fn stopped_keeps_data_and_nothing_that_blocks_drains() {
    let b = build_with(
        CASSANDRA,
        &["lifecycle.state=stopped"],
        &Options { monitoring: oss_compile::Monitoring::PrometheusOperator, ..Options::default() },
    )
    .unwrap();
    assert_eq!(b.statefulset().unwrap().spec.as_ref().unwrap().replicas, Some(0));
    for k in [Kind::HorizontalPodAutoscaler, Kind::PodDisruptionBudget, Kind::PrometheusRule, Kind::ServiceMonitor] {
        assert!(!kinds(&b).contains(&k), "{k:?} emitted for a stopped service");
    }
    let b = build(&["lifecycle.state=stopped", "scaling.autoscale.min=3", "scaling.autoscale.max=9"]);
    assert!(!kinds(&b).contains(&Kind::HorizontalPodAutoscaler));
    assert_eq!(b.statefulset().unwrap().spec.as_ref().unwrap().replicas, Some(0));
}

#[test]
fn autoscaling_owns_the_replica_count_and_keeps_the_quorum() {
    let b = build(&["scaling.autoscale.min=3", "scaling.autoscale.max=9"]);
    let Some(Object::HorizontalPodAutoscaler(hpa)) = b.first(Kind::HorizontalPodAutoscaler) else { panic!("no HPA") };
    let spec = hpa.spec.as_ref().unwrap();
    assert_eq!((spec.min_replicas, spec.max_replicas), (Some(3), 9));
    assert_eq!(spec.scale_target_ref.kind, "StatefulSet");
    // Cassandra declares manual scale-down: the autoscaler only adds nodes.
    assert_eq!(spec.behavior.as_ref().unwrap().scale_down.as_ref().unwrap().select_policy.as_deref(), Some("Disabled"));
    assert_eq!(b.statefulset().unwrap().spec.as_ref().unwrap().replicas, None);
    let e = refused(CASSANDRA, &["scaling.autoscale.min=1", "scaling.autoscale.max=9"]);
    assert_eq!(e.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [Code::AutoscaleBelowQuorum], "{e:?}");
    let e = refused(CASSANDRA, &["runtime.scaling.automatic=false", "scaling.autoscale.min=3", "scaling.autoscale.max=9"]);
    assert_eq!(e[0].0, Code::AutoscaleUnsupported, "{e:?}");
    assert!(e[0].1.contains("decommission"), "{e:?}");
}

#[test]
fn infeasible_availability_is_refused_with_the_smallest_fix() {
    let e = refused(CASSANDRA, &["slo.availability=99.99", "redundancy.replicas=1"]);
    let e: Vec<_> = e.into_iter().filter(|(c, _)| *c == Code::InfeasibleSlo).collect();
    assert_eq!(e.len(), 1);
    assert!(e[0].1.contains("99.99% needs at least 3 replicas across zones (spread: zone)"), "{e:?}");
    let e = refused(CASSANDRA, &["slo.availability=99.999"]);
    assert!(e[0].1.contains("99.999% needs at least 9 replicas across zones"), "{e:?}");
    let e = refused(CASSANDRA, &["slo.availability=99.9", "redundancy.spread=none"]);
    assert!(e[0].1.contains("on distinct nodes (spread: host)"), "{e:?}");
    build(&["slo.availability=99.99"]);
}

#[test]
fn disruption_budget_never_blocks_drains() {
    for sets in [&["redundancy.replicas=1"][..], &["redundancy.quorum=all"][..]] {
        let b = build_with(CASSANDRA, &[sets, &["slo.availability=90"]].concat(), &Options::default()).unwrap();
        assert!(!kinds(&b).contains(&Kind::PodDisruptionBudget), "{sets:?}");
        assert_eq!(b.warnings.iter().next().unwrap().code, Code::NoDisruptionBudget);
    }
    let b = build(&["redundancy.replicas=5"]);
    let Some(Object::PodDisruptionBudget(pdb)) = b.first(Kind::PodDisruptionBudget) else { panic!() };
    assert_eq!(pdb.spec.as_ref().unwrap().max_unavailable, Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(2)));
}

#[test]
fn lifecycle_controls() {
    let b = build(&["lifecycle.restartGeneration=5", "lifecycle.upgrade.strategy=canary", "lifecycle.upgrade.canary=1"]);
    let sts = b.statefulset().unwrap().spec.as_ref().unwrap();
    let ann = sts.template.metadata.as_ref().unwrap().annotations.as_ref().unwrap();
    assert_eq!(ann["openservice.dev/restart-generation"], "5");
    assert_eq!(sts.update_strategy.as_ref().unwrap().rolling_update.as_ref().unwrap().partition, Some(2));
    let b = build(&["lifecycle.upgrade.strategy=onDelete"]);
    assert_eq!(b.statefulset().unwrap().spec.as_ref().unwrap().update_strategy.as_ref().unwrap().type_.as_deref(), Some("OnDelete"));
    assert_eq!(refused(CHECKOUT, &["lifecycle.upgrade.strategy=canary", "lifecycle.upgrade.canary=1"])[0].0, Code::UnsupportedUpgrade);
    assert_eq!(refused(CASSANDRA, &["lifecycle.upgrade.strategy=canary"])[0].0, Code::UnsupportedUpgrade);
}

#[test]
fn quota_is_sized_to_the_largest_the_service_grows_to() {
    let b = build(&["capacity.quota=true", "scaling.autoscale.min=3", "scaling.autoscale.max=5"]);
    let Some(Object::ResourceQuota(q)) = b.first(Kind::ResourceQuota) else { panic!("no quota") };
    let hard = q.spec.as_ref().unwrap().hard.as_ref().unwrap();
    let get = |k: &str| hard[k].0.clone();
    // 5 pods of cassandra (2 CPU, 4Gi) plus the exporter (200m, 384Mi), and the credentials
    // generator (100m, 64Mi) and the bootstrap step (100m, 256Mi), one pod each.
    assert_eq!(get("pods"), "7");
    assert_eq!(get("limits.cpu"), "11200m");
    assert_eq!(get("requests.memory"), "22720Mi");
    assert_eq!(get("requests.storage"), "250Gi");
    assert_eq!(get("persistentvolumeclaims"), "5");
}

#[test]
fn a_second_volume_is_a_claim_template_of_its_own_mounted_in_the_software() {
    const GALERA: &str = include_str!("../../examples/mariadb-galera.yaml");
    let b = build_with(GALERA, &["capacity.quota=true", "capacity.volumes.binlog.storageClass=fast"], &Options::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let sts = b.statefulset().unwrap().spec.as_ref().unwrap();
    let claims: Vec<(String, String, Option<String>)> = sts
        .volume_claim_templates
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| {
            let spec = c.spec.as_ref().unwrap();
            let size = spec.resources.as_ref().unwrap().requests.as_ref().unwrap()["storage"].0.clone();
            (c.metadata.name.clone().unwrap(), size, spec.storage_class_name.clone())
        })
        .collect();
    assert_eq!(claims, [("data".to_owned(), "20Gi".to_owned(), None), ("binlog".to_owned(), "10Gi".to_owned(), Some("fast".to_owned()))]);
    let main = &sts.template.spec.as_ref().unwrap().containers[0];
    let mounts = main.volume_mounts.as_ref().unwrap();
    assert!(mounts.iter().any(|m| m.name == "binlog" && m.mount_path == "/var/lib/mysql-binlog"), "{mounts:?}");
    // the quota counts both claims of every replica
    let Some(Object::ResourceQuota(q)) = b.first(Kind::ResourceQuota) else { panic!("no quota") };
    let hard = q.spec.as_ref().unwrap().hard.as_ref().unwrap();
    assert_eq!((hard["persistentvolumeclaims"].0.as_str(), hard["requests.storage"].0.as_str()), ("6", "90Gi"));
}

#[test]
fn operators_get_a_namespaced_role() {
    let b = build(&["access.operators=[dba]"]);
    assert!(kinds(&b).contains(&Kind::Role));
    let text = CASSANDRA.replace("slo:\n", "access:\n  operators: [dba-team]\nslo:\n");
    let b = build_with(&text, &[], &Options::default()).unwrap();
    let Some(Object::Role(role)) = b.get(Kind::Role, "cassandra-operators") else { panic!("no role") };
    let rules = role.rules.as_ref().unwrap();
    assert!(rules.iter().any(|r| r.verbs == ["patch"] && r.resource_names.as_deref() == Some(&["cassandra".to_owned()][..])));
    assert!(rules.iter().all(|r| !r.verbs.contains(&"*".to_owned()) && !r.verbs.contains(&"delete".to_owned())));
    let Some(Object::RoleBinding(rb)) = b.get(Kind::RoleBinding, "cassandra-operators") else { panic!("no binding") };
    assert_eq!(rb.subjects.as_ref().unwrap()[0].name, "dba-team");
}

#[test]
fn monitoring_objects_are_opt_in_so_a_bare_cluster_takes_the_default() {
    let b = build_with(CASSANDRA, &[], &Options::default()).unwrap();
    for o in b.objects() {
        let api = o.to_value()["apiVersion"].as_str().unwrap().to_owned();
        assert!(!api.contains(".coreos.com"), "{api} in the default build: a bare cluster refuses it");
    }
}

#[test]
fn patches_apply_and_are_checked() {
    let text = format!(
        "{CASSANDRA}patches:\n  - target: {{kind: StatefulSet, name: cassandra}}\n    patch: {{spec: {{template: {{spec: {{priorityClassName: db-critical}}}}}}}}\n  - target: {{kind: Service, name: cassandra}}\n    type: json\n    patch:\n      - {{op: add, path: /metadata/annotations, value: {{team: data}}}}\n"
    );
    let b = build_with(&text, &[], &Options::default()).unwrap();
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(pod.priority_class_name.as_deref(), Some("db-critical"));
    let Some(Object::Service(svc)) = b.get(Kind::Service, "cassandra") else { panic!() };
    assert_eq!(svc.metadata.annotations.as_ref().unwrap()["team"], "data");
    for (patch, want) in [
        ("  - target: {kind: StatefulSet, name: nope}\n    patch: {spec: {}}\n", "no StatefulSet named `nope`"),
        ("  - target: {kind: Deployment}\n    patch: {spec: {}}\n", "no Deployment in the bundle"),
        ("  - target: {kind: StatefulSet}\n    patch: {spec: {replicaz: 4}}\n", "does not define: spec.replicaz"),
        ("  - target: {kind: StatefulSet}\n    patch: {spec: {replicas: many}}\n", "not a valid StatefulSet"),
        ("  - target: {kind: Service}\n    type: json\n    patch: [{op: remove, path: /spec/nope}]\n", "JSON patch"),
        ("  - target: {kind: Pod}\n    patch: {spec: {}}\n", "ossc emits no `Pod` objects"),
    ] {
        let e = refused(&format!("{CASSANDRA}patches:\n{patch}"), &[]);
        assert!(e.iter().any(|(c, m)| *c == Code::PatchFailed && m.contains(want)), "{want}: {e:?}");
    }
}

/// The bootstrap Jobs of a bundle: (name, step label, command).
fn bootstrap_jobs(b: &oss_compile::Bundle) -> Vec<(String, String, Vec<String>)> {
    b.objects()
        .iter()
        .filter_map(|o| match o {
            Object::Job(j) if j.metadata.labels.as_ref().is_some_and(|l| l.contains_key("openservice.dev/bootstrap-step")) => {
                let pod = j.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
                Some((
                    j.metadata.name.clone().unwrap(),
                    j.metadata.labels.as_ref().unwrap()["openservice.dev/bootstrap-step"].clone(),
                    pod.containers[0].command.clone().unwrap(),
                ))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn bootstrap_steps_are_jobs_named_by_their_content_that_reach_only_the_service() {
    let b = build(&[]);
    let jobs = bootstrap_jobs(&b);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let (name, step, command) = &jobs[0];
    assert_eq!(step, "superuser");
    assert!(name.starts_with("cassandra-bootstrap-") && name.len() <= 63, "{name}");
    assert!(command[2].contains("n=3;") && command[2].contains("cqlsh $ssl cassandra 9042"), "references expanded: {}", command[2]);
    // Same content, same name (re-applying creates nothing); a changed command, a new Job.
    assert_eq!(bootstrap_jobs(&build(&[]))[0].0, *name);
    assert_eq!(bootstrap_jobs(&build(&["settings.heap=1Gi"]))[0].0, *name, "the heap is not in the step");
    assert_ne!(bootstrap_jobs(&build(&["redundancy.replicas=5"]))[0].0, *name, "the replica count is");
    // The step's pod: the service's image and user, no token, and a policy of its own.
    let Some(Object::Job(job)) =
        b.objects().iter().find(|o| matches!(o, Object::Job(j) if j.metadata.name.as_deref() == Some(name.as_str())))
    else {
        panic!("no job")
    };
    let pod = job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(pod.containers[0].image.as_deref(), Some("docker.io/library/cassandra:5.0.5"));
    assert_eq!(pod.automount_service_account_token, Some(false));
    assert_eq!(pod.security_context.as_ref().unwrap().run_as_user, Some(999));
    assert_eq!(job.spec.as_ref().unwrap().active_deadline_seconds, Some(1800));
    let policy = b
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::NetworkPolicy(p) if p.metadata.name.as_deref() == Some("cassandra-bootstrap") => Some(p.clone()),
            _ => None,
        })
        .expect("the steps' NetworkPolicy");
    let egress = policy.spec.unwrap().egress.unwrap();
    let ports: Vec<_> = egress[1].ports.as_ref().unwrap().iter().map(|p| p.port.clone()).collect();
    assert_eq!(ports, vec![Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(9042))], "endpoints only, not gossip");
    // Listed clients elsewhere: the service's policy still admits the steps.
    let listed = build(&["access.clients=[{namespace: shop}]"]);
    let own = listed
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::NetworkPolicy(p) if p.metadata.name.as_deref() == Some("cassandra") => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    let admitted = serde_json::to_string(&own.spec.unwrap().ingress).unwrap();
    assert!(admitted.contains("ossc-bootstrap"), "{admitted}");
    // Stopped: no steps; they come back with the service.
    assert!(bootstrap_jobs(&build(&["lifecycle.state=stopped"])).is_empty());
}

#[test]
fn bootstrap_needs_endpoints_to_reach() {
    let text = CASSANDRA.replacen(
        "  endpoints:\n    - name: cql\n      port: 9042\n      description: CQL native protocol, for clients.\n",
        "",
        1,
    );
    assert_ne!(text, CASSANDRA, "fixture drifted");
    let found = refused(&text, &[]);
    assert!(
        found.iter().any(|(c, m)| *c == Code::Inconsistent && m.contains("`runtime.bootstrap` needs a service with endpoints")),
        "{found:?}"
    );
}

#[test]
fn files_are_one_config_map_mounted_file_by_file_and_roll_the_pods_when_changed() {
    let function = include_str!("../../specs/function.yaml");
    let b = build_with(function, &[], &Options::default()).unwrap();
    let Some(Object::ConfigMap(cm)) = b.first(Kind::ConfigMap) else { panic!("no ConfigMap") };
    assert_eq!(cm.metadata.name.as_deref(), Some("function-files"));
    let data = cm.data.as_ref().unwrap();
    assert!(data["0-default.conf"].contains("server_name function;"), "references filled in: {data:?}");
    let pod = b.deployment().unwrap().spec.as_ref().unwrap().template.clone();
    let mount = pod.spec.as_ref().unwrap().containers[0]
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.mount_path == "/etc/nginx/conf.d/default.conf")
        .cloned()
        .expect("the file is mounted at its path");
    assert_eq!((mount.sub_path.as_deref(), mount.read_only), (Some("0-default.conf"), Some(true)));
    let hash = |b: &oss_compile::Bundle| {
        b.deployment().unwrap().spec.as_ref().unwrap().template.metadata.as_ref().unwrap().annotations.as_ref().unwrap()
            ["openservice.dev/files-hash"]
            .clone()
    };
    let renamed = build_with(function, &["metadata.name=api"], &Options::default()).unwrap();
    assert_ne!(hash(&b), hash(&renamed), "a changed file rolls the pods");
    assert_eq!(hash(&b), hash(&build_with(function, &[], &Options::default()).unwrap()));
}

#[test]
fn private_secret_mounts_are_copied_for_the_user_alone() {
    let postgres = include_str!("../../specs/postgres.yaml");
    let mount = "  secretMounts:\n    - secret: ${service.credentials}\n      path: /run/secrets/postgres\n      private: true\n      items: [{key: password, path: pw}]\n";
    let text = postgres.replacen("  files:\n", &format!("{mount}  files:\n"), 1);
    assert_ne!(text, postgres, "fixture drifted");
    let b = build_with(&text, &[], &Options::default()).unwrap();
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let volumes = pod.volumes.unwrap();
    let secret = volumes.iter().find(|v| v.name == "secret0").and_then(|v| v.secret.clone()).unwrap();
    assert_eq!(secret.items.unwrap()[0].path, "pw");
    let copy = volumes.iter().find(|v| v.name == "private0").and_then(|v| v.empty_dir.clone()).unwrap();
    assert_eq!(copy.medium.as_deref(), Some("Memory"));
    let main = &pod.containers[0];
    let at = |c: &k8s_openapi::api::core::v1::Container, path: &str| {
        c.volume_mounts.as_ref().unwrap().iter().find(|m| m.mount_path == path).map(|m| m.name.clone())
    };
    assert_eq!(at(main, "/run/secrets/postgres").as_deref(), Some("private0"), "the main container sees the copy only");
    let init = &pod.init_containers.unwrap()[0];
    assert!(init.command.as_ref().unwrap()[2].contains("chmod 0400"), "{:?}", init.command);
    assert_eq!(at(init, "/ossc-secret/secret0").as_deref(), Some("secret0"));
}

#[test]
fn writable_paths_are_bounded_and_the_container_claims_their_disk() {
    let b = build(&[]);
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let size = |name: &str| {
        let v = pod.volumes.as_ref().unwrap().iter().find(|v| v.name == name).unwrap();
        v.empty_dir.as_ref().unwrap().size_limit.as_ref().map(|q| q.0.clone())
    };
    // the spec's own size for Cassandra's logs, the default for the others
    assert_eq!(size("rw1-var-log-cassandra").as_deref(), Some("10Gi"));
    assert_eq!(size("rw0-etc-cassandra").as_deref(), Some("256Mi"));
    assert_eq!(size("rw2-tmp").as_deref(), Some("256Mi"));
    // 10Gi + 2 × 256Mi of disk volumes + 64Mi for logs, requested as much as limited
    let storage = |c: &k8s_openapi::api::core::v1::Container| {
        let r = c.resources.as_ref().unwrap();
        (r.requests.as_ref().unwrap()["ephemeral-storage"].0.clone(), r.limits.as_ref().unwrap()["ephemeral-storage"].0.clone())
    };
    assert_eq!(storage(&pod.containers[0]), ("10816Mi".to_owned(), "10816Mi".to_owned()));
    // the exporter: its 32Mi /tmp and its logs
    assert_eq!(storage(&pod.containers[1]).0, "96Mi");
    // a path in memory counts against memory, not ephemeral storage
    let text = CASSANDRA.replacen("    - /tmp\n", "    - {path: /tmp, memory: true, size: 1Gi}\n", 1);
    assert_ne!(text, CASSANDRA);
    let mem = build_with(&text, &[], &Options::default()).unwrap();
    let pod = mem.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let tmp = pod.volumes.as_ref().unwrap().iter().find(|v| v.name == "rw2-tmp").unwrap().empty_dir.clone().unwrap();
    assert_eq!((tmp.medium.as_deref(), tmp.size_limit.map(|q| q.0).as_deref()), (Some("Memory"), Some("1Gi")));
    assert_eq!(storage(&pod.containers[0]).0, "10560Mi");
}

const VALKEY: &str = include_str!("../../specs/valkey.yaml");

#[test]
fn sidecars_serve_their_ports_with_the_same_hardening_and_count_in_the_quota() {
    let b = build_with(VALKEY, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["valkey", "sentinel", "proxy", "exporter"]);
    let ports = |name: &str| -> Vec<String> {
        let c = pod.containers.iter().find(|c| c.name == name).unwrap();
        c.ports.iter().flatten().map(|p| p.name.clone().unwrap()).collect()
    };
    // each declared port is served by the one container that claims it
    assert_eq!(ports("valkey"), ["member"]);
    assert_eq!(ports("sentinel"), ["sentinel"]);
    assert_eq!(ports("proxy"), ["valkey", "proxy-ready"]);
    let main_sc = pod.containers[0].security_context.clone();
    for c in &pod.containers[1..3] {
        assert_eq!(c.security_context, main_sc, "{} is not hardened as the software", c.name);
        assert!(c.liveness_probe.is_some() && c.startup_probe.is_some() && c.readiness_probe.is_some(), "{}", c.name);
        // they serve endpoints: the same preStop sleep as the software's
        assert!(c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).and_then(|h| h.sleep.as_ref()).is_some(), "{}", c.name);
        // pod references become the downward-API variables in the sidecar's own environment
        let env: Vec<&str> = c.env.iter().flatten().map(|e| e.name.as_str()).collect();
        if c.name == "sentinel" {
            assert!(env.contains(&"OSS_POD_NAME"), "{env:?}");
        }
    }
    let proxy = pod.containers.iter().find(|c| c.name == "proxy").unwrap();
    assert_eq!(proxy.image.as_deref(), Some("docker.io/library/haproxy:3.0.11"));
    let sentinel = pod.containers.iter().find(|c| c.name == "sentinel").unwrap();
    assert_eq!(sentinel.image, pod.containers[0].image, "a sidecar without an image runs the service's");
    let mounts: Vec<&str> = sentinel.volume_mounts.iter().flatten().map(|m| m.mount_path.as_str()).collect();
    assert_eq!(mounts, ["/run/sentinel"], "a sidecar sees only its own writable paths");
    // each pod counts 1 cpu + 100m + 100m + 50m in the quota: the software, the sidecars, the exporter
    let (cpu, _) = oss_compile::derive::quota::pod_totals(&parse_with("t.yaml", VALKEY, &ParseOptions::default()).unwrap().spec);
    assert_eq!(cpu, 1_250_000_000, "per-pod cpu in nano-units");
    let b = build_with(VALKEY, &["capacity.quota=true"], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let Some(Object::ResourceQuota(q)) = b.first(Kind::ResourceQuota) else { panic!("no quota") };
    let hard = q.spec.as_ref().unwrap().hard.as_ref().unwrap();
    // three pods and the credentials generator's 100m
    assert_eq!(hard["requests.cpu"].0, "3850m");
}

#[test]
fn a_port_claimed_twice_or_a_check_on_another_containers_port_is_refused() {
    let twice = VALKEY.replace("      ports: [valkey, proxy-ready]\n", "      ports: [valkey, proxy-ready, sentinel]\n");
    assert_ne!(twice, VALKEY);
    let errors = refused(&twice, &[]);
    assert!(errors.iter().any(|(c, m)| *c == Code::Duplicate && m.contains("port `sentinel` is served by two containers")), "{errors:?}");
    let check = VALKEY.replace("      tcp: member\n", "      tcp: valkey\n");
    assert_ne!(check, VALKEY);
    let errors = refused(&check, &[]);
    assert!(errors.iter().any(|(c, m)| *c == Code::UnknownReference && m.contains("which sidecar `proxy` serves")), "{errors:?}");
    let seeded = VALKEY.replace("{path: /run/haproxy, memory: true, size: 1Mi}", "{path: /run/haproxy, fromImage: true}");
    assert_ne!(seeded, VALKEY);
    let errors = refused(&seeded, &[]);
    assert!(errors.iter().any(|(c, m)| *c == Code::Inconsistent && m.contains("fromImage")), "{errors:?}");
}

#[test]
fn the_softwares_api_access_is_its_own_role_and_the_client_service_follows_the_primary() {
    use oss_compile::Object;
    let postgres = include_str!("../../specs/postgres.yaml");
    let text = postgres.replacen("      - resources: [configmaps]\n", "      - resources: [configmaps, leases]\n", 1);
    assert_ne!(text, postgres, "fixture drifted");
    let b = build_with(&text, &[], &Options::default()).unwrap();
    let named = |o: &&Object, name: &str| o.to_value()["metadata"]["name"] == name;
    // the software's Role: one rule per API group, leases in coordination.k8s.io; never secrets
    let role = b.objects().iter().find(|o| matches!(o, Object::Role(_)) && named(o, "postgres")).unwrap().to_value();
    let rules = role["rules"].as_array().unwrap();
    let groups: Vec<(&str, Vec<&str>)> = rules
        .iter()
        .map(|r| (r["apiGroups"][0].as_str().unwrap(), r["resources"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect()))
        .collect();
    assert_eq!(groups, [("", vec!["configmaps"]), ("coordination.k8s.io", vec!["leases"]), ("", vec!["pods"])]);
    assert!(!role.to_string().contains("secrets"));
    let binding = b.objects().iter().find(|o| matches!(o, Object::RoleBinding(_)) && named(o, "postgres")).unwrap().to_value();
    assert_eq!(binding["subjects"][0]["name"], "postgres");
    // its token mounted, on the ServiceAccount and the pod; egress to the API server
    let sa = b.objects().iter().find(|o| matches!(o, Object::ServiceAccount(_)) && named(o, "postgres")).unwrap().to_value();
    assert_eq!(sa["automountServiceAccountToken"], true);
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert_eq!(pod.automount_service_account_token, Some(true));
    let np = b.objects().iter().find(|o| matches!(o, Object::NetworkPolicy(_)) && named(o, "postgres")).unwrap().to_value();
    assert!(
        np["spec"]["egress"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ports"][0]["port"] == 443 && r["ports"][1]["port"] == 6443 && r["to"].is_null())
    );
    // the client Service selects the primary; `postgres-read` the replicas
    let selector = |name: &str| {
        b.objects().iter().find(|o| matches!(o, Object::Service(_)) && named(o, name)).unwrap().to_value()["spec"]["selector"]["role"]
            .clone()
    };
    assert_eq!((selector("postgres"), selector("postgres-read")), (serde_json::json!("primary"), serde_json::json!("replica")));
    // without the section, none of it: the default ServiceAccount token stays unmounted
    let cache = build_with(include_str!("../../specs/memcached.yaml"), &[], &Options::default()).unwrap();
    let pod = cache.deployment().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert_eq!(pod.automount_service_account_token, Some(false));
    assert!(!cache.objects().iter().any(|o| matches!(o, Object::Role(_)) && o.to_value()["metadata"]["name"] == "memcached"));
}

/// Each container of a pod by name, with its image and script (`image\nscript`).
type Steps = Vec<(String, String)>;

/// The generator Job of a bundle: its init containers and its containers.
fn generator(b: &oss_compile::Bundle) -> (Steps, Steps) {
    let job = b
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::Job(j) if j.metadata.name.as_deref().is_some_and(|n| n.contains("-credentials-")) => Some(j),
            _ => None,
        })
        .expect("a generator Job");
    let pod = job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let scripts = |cs: &[k8s_openapi::api::core::v1::Container]| {
        cs.iter().map(|c| (c.name.clone(), c.image.clone().unwrap() + "\n" + &c.command.as_ref().unwrap()[2])).collect::<Vec<_>>()
    };
    (scripts(pod.init_containers.as_deref().unwrap_or_default()), scripts(&pod.containers))
}

#[test]
fn tls_makes_the_certificate_in_the_cluster_mounts_it_and_puts_the_ca_in_the_binding() {
    const NATS: &str = include_str!("../../specs/nats.yaml");
    let off = build_with(NATS, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let on = build_with(NATS, &["access.tls.enabled=true"], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    // off: one step, no certificate anywhere, and a binding that drops the CA of an earlier run
    let (init, main) = generator(&off);
    assert!(init.is_empty());
    assert!(main[0].1.contains(r#"sed 's/}}$/,"ca.crt":null}}/'"#), "{}", main[0].1);
    assert!(!off.to_yaml().contains("nats-tls"));
    // on: read what exists, issue with openssl, then store; every value made in the pod
    let (init, main) = generator(&on);
    let names: Vec<&str> = init.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["tls-read", "tls-issue"]);
    assert!(init[1].1.starts_with("docker.io/alpine/openssl:3.5.8\n"));
    assert!(
        init[1].1.contains("DNS:nats.nats.svc,") && init[1].1.contains("DNS:*.nats-peers.nats.svc,") && init[1].1.contains("IP:127.0.0.1")
    );
    assert!(init[0].1.contains("exists: kept as it is (never overwritten)"));
    assert!(main[0].1.contains("\"uri\":\"%s\",\"ca.crt\":\"%s\"") && main[0].1.contains("uri=\"tls://"), "{}", main[0].1);
    assert!(!on.to_yaml().contains("BEGIN"), "no key material in the bundle");
    // the workload mounts the Secret and gets the spec's environment
    let pod = on.statefulset().unwrap().spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let c = &pod.containers[0];
    assert!(c.volume_mounts.as_ref().unwrap().iter().any(|m| m.mount_path == "/etc/nats/tls"));
    assert!(c.env.as_ref().unwrap().iter().any(|e| e.name == "TLS_DIR" && e.value.as_deref() == Some("/etc/nats/tls")));
    assert!(pod.volumes.as_ref().unwrap().iter().any(|v| v.secret.as_ref().is_some_and(|s| s.secret_name.as_deref() == Some("nats-tls"))));
    // the generator may read the certificate Secrets, and create (never replace) them
    let role = on
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::Role(r) if r.metadata.name.as_deref() == Some("nats-credentials") => Some(r),
            _ => None,
        })
        .unwrap();
    let get = role.rules.as_ref().unwrap().iter().find(|r| r.verbs == ["get"]).unwrap();
    assert_eq!(get.resource_names.as_deref().unwrap(), ["nats-credentials", "nats-tls", "nats-tls-ca"]);
    // a changed script is a new Job: turning TLS on runs the generator again
    assert_ne!(generator(&off).1[0].1, generator(&on).1[0].1);
}

#[test]
fn a_cert_manager_issuer_gets_a_certificate_for_the_same_names_and_the_generator_waits_for_it() {
    const POSTGRES: &str = include_str!("../../specs/postgres.yaml");
    let own = build_with(POSTGRES, &["access.tls.enabled=true"], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let sets = ["access.tls.enabled=true", "access.tls.issuer.name=team-ca", "access.tls.issuer.kind=ClusterIssuer"];
    let issued = build_with(POSTGRES, &sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(own.first(Kind::Certificate).is_none());
    let Some(Object::Certificate(c)) = issued.get(Kind::Certificate, "postgres-tls") else { panic!("no Certificate postgres-tls") };
    assert_eq!(
        (c.spec.secret_name.as_str(), c.spec.issuer_ref.kind.as_str(), c.spec.issuer_ref.name.as_str()),
        ("postgres-tls", "ClusterIssuer", "team-ca")
    );
    // the names of the certificate the generator makes otherwise, in its openssl config
    let (init, _) = generator(&own);
    let issue = &init.iter().find(|(n, _)| n == "tls-issue").expect("tls-issue").1;
    for name in c.spec.dns_names.iter().map(|n| format!("DNS:{n}")).chain(c.spec.ip_addresses.iter().map(|n| format!("IP:{n}"))) {
        assert!(issue.contains(&name), "{name} is not in the generator's certificate: {issue}");
    }
    assert!(
        c.spec.dns_names.contains(&"postgres-read.postgres.svc".to_owned())
            && c.spec.dns_names.contains(&"*.postgres-peers.postgres.svc".to_owned())
    );
    // no CA of its own: the generator waits for cert-manager's Secret and may not read a CA
    let (init, main) = generator(&issued);
    assert_eq!(init.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["tls-wait"]);
    assert!(init[0].1.contains("ClusterIssuer team-ca") && main[0].1.contains("tls_ca=$(key 'ca\\.crt')"));
    let Some(Object::Role(role)) = issued.get(Kind::Role, "postgres-credentials") else { panic!("no generator Role") };
    let readable: Vec<&String> = role.rules.as_ref().unwrap().iter().flat_map(|r| r.resource_names.iter().flatten()).collect();
    assert!(readable.iter().any(|n| *n == "postgres-tls") && !readable.iter().any(|n| *n == "postgres-tls-ca"), "{readable:?}");
    // the mounted Secret is the same
    let mounts = |b: &oss_compile::Bundle| serde_json::to_string(&b.statefulset().unwrap().spec.as_ref().unwrap().template).unwrap();
    assert_eq!(mounts(&own), mounts(&issued));
}

#[test]
fn a_renewed_certificate_is_put_in_service_by_an_eviction_cronjob_that_reads_no_secret() {
    const POSTGRES: &str = include_str!("../../specs/postgres.yaml");
    let b = |sets: &[&str]| build_with(POSTGRES, sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let issuer = ["access.tls.enabled=true", "access.tls.issuer.name=team-ca"];
    // only with cert-manager: the generator's own certificate lasts 825 days, renewed by hand
    for plain in [b(&[]), b(&["access.tls.enabled=true"])] {
        assert!(plain.get(Kind::CronJob, "postgres-tls-reload").is_none());
    }
    let on = b(&issuer);
    let Some(Object::CronJob(cj)) = on.get(Kind::CronJob, "postgres-tls-reload") else { panic!("no tls-reload CronJob") };
    let spec = cj.spec.as_ref().unwrap();
    assert_eq!((spec.suspend, spec.concurrency_policy.as_deref()), (Some(false), Some("Forbid")));
    let pod = spec.job_template.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(pod.service_account_name.as_deref(), Some("postgres-tls-reload"));
    let env: Vec<(String, String)> =
        pod.containers[0].env.iter().flatten().map(|e| (e.name.clone(), e.value.clone().unwrap_or_default())).collect();
    assert!(env.contains(&("CERTIFICATE".to_owned(), "postgres-tls".to_owned())), "{env:?}");
    assert!(env.contains(&("SELECTOR".to_owned(), "app.kubernetes.io/instance=postgres,app.kubernetes.io/name=postgres".to_owned())));
    // its Role: that Certificate, pods listed and evicted; no Secret at all
    let Some(Object::Role(role)) = on.get(Kind::Role, "postgres-tls-reload") else { panic!("no Role") };
    let rules: Vec<(String, String, Vec<String>)> = role
        .rules
        .iter()
        .flatten()
        .map(|r| (r.resources.clone().unwrap().join(","), r.verbs.join(","), r.resource_names.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        rules,
        [
            ("certificates".to_owned(), "get".to_owned(), vec!["postgres-tls".to_owned()]),
            ("pods".to_owned(), "list".to_owned(), vec![]),
            ("pods/eviction".to_owned(), "create".to_owned(), vec![])
        ]
    );
    // its pod is the generator's kind: a NetworkPolicy of its own lets out DNS and the API only
    let Some(Object::NetworkPolicy(np)) = on.get(Kind::NetworkPolicy, "postgres-tls-reload") else { panic!("no NetworkPolicy") };
    let np = np.spec.as_ref().unwrap();
    assert!(np.ingress.is_none() && np.egress.as_ref().unwrap().len() == 2);
    // a stopped service has nothing to restart
    let stopped = b(&[&issuer[..], &["lifecycle.state=stopped"]].concat());
    let Some(Object::CronJob(cj)) = stopped.get(Kind::CronJob, "postgres-tls-reload") else { panic!("no CronJob when stopped") };
    assert_eq!(cj.spec.as_ref().unwrap().suspend, Some(true));
}

#[test]
fn with_tls_on_a_bootstrap_step_gets_the_ca_alone() {
    const ETCD: &str = include_str!("../../specs/etcd.yaml");
    let step = |sets: &[&str]| {
        let b = build_with(ETCD, sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
        b.objects()
            .iter()
            .find_map(|o| match o {
                Object::Job(j) if j.metadata.name.as_deref().is_some_and(|n| n.starts_with("etcd-bootstrap-")) => Some(j.clone()),
                _ => None,
            })
            .expect("the auth step")
    };
    let (off, on) = (step(&[]), step(&["access.tls.enabled=true"]));
    assert_ne!(off.metadata.name, on.metadata.name, "a step that changes is a new Job");
    let pod = |j: &k8s_openapi::api::batch::v1::Job| j.spec.clone().unwrap().template.spec.unwrap();
    let env = |j| pod(j).containers[0].env.clone().unwrap();
    assert!(!env(&off).iter().any(|e| e.name == "OSS_TLS_CA"));
    assert!(env(&on).iter().any(|e| e.name == "OSS_TLS_CA" && e.value.as_deref() == Some("/etc/etcd/tls/ca.crt")));
    // the certificate Secret's ca.crt, never its key
    let volumes = pod(&on).volumes.unwrap();
    let secret = volumes.iter().find_map(|v| v.secret.clone()).expect("the CA volume");
    assert_eq!(secret.secret_name.as_deref(), Some("etcd-tls"));
    assert_eq!(secret.items.unwrap().iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["ca.crt"]);
}

#[test]
fn a_tls_binding_key_replaces_the_plain_one_and_turning_tls_off_rewrites_it() {
    const KAFKA: &str = include_str!("../../specs/kafka.yaml");
    // base64 of the values: SASL_SSL, PEM, SASL_PLAINTEXT
    let (ssl, pem, plain) = ("U0FTTF9TU0w=", "UEVN", "U0FTTF9QTEFJTlRFWFQ=");
    let key = |v: &str| format!("\"security.protocol\":\"{v}\"");
    let on = build_with(KAFKA, &["access.tls.enabled=true"], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let script = &generator(&on).1[0].1;
    assert_eq!(script.matches("\"security.protocol\"").count(), 1, "one key, the TLS one: {script}");
    assert!(script.contains(&key(ssl)) && script.contains(&format!("\"ssl.truststore.type\":\"{pem}\"")));
    // off: the plain value, and the patch removes only the keys the plain binding lacks
    let off = build_with(KAFKA, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let script = &generator(&off).1[0].1;
    assert!(script.contains(&key(plain)));
    assert!(script.contains(r#"sed 's/}}$/,"ca.crt":null,"ssl.truststore.type":null}}/'"#), "{script}");
}

#[test]
fn backups_compile_to_a_cronjob_a_restore_once_and_a_line_in_connect() {
    const ETCD: &str = include_str!("../../specs/etcd.yaml");
    let sets = ["backup={store: {service: minio, bucket: db-backups}, restore: {instance: old-db}}"];
    let b = build_with(ETCD, &sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let Some(Object::CronJob(cron)) = b.first(Kind::CronJob) else { panic!("no CronJob") };
    let spec = cron.spec.as_ref().unwrap();
    assert_eq!(spec.schedule, oss_compile::backup::default_schedule("etcd", "etcd"));
    let pod = spec.job_template.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let init: Vec<&str> = pod.init_containers.iter().flatten().map(|c| c.name.as_str()).collect();
    assert_eq!(init, ["wait", "backup"], "the way to the service open, then the software's command");
    // the wait: the client Service's first endpoint, in the uploader's image (bash's /dev/tcp)
    let wait = &pod.init_containers.as_ref().unwrap()[0];
    assert_eq!(wait.image.as_deref(), Some(oss_compile::backup::UPLOADER_IMAGE));
    assert_eq!(wait.command.as_ref().unwrap()[0], "/bin/bash");
    let target = wait.env.as_ref().unwrap().iter().find(|e| e.name == "OSS_WAIT_FOR").unwrap();
    assert_eq!(target.value.as_deref(), Some("etcd:2379"));
    let upload = &pod.containers[0];
    assert_eq!(upload.image.as_deref(), Some(oss_compile::backup::UPLOADER_IMAGE));
    let key = upload.env.as_ref().unwrap().iter().find(|e| e.name == "AWS_SECRET_ACCESS_KEY").unwrap();
    let from = key.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
    assert_eq!((from.name.as_str(), from.key.as_str()), ("minio-binding", "password"), "the store's key from its binding only");
    let prefix = |job: &k8s_openapi::api::core::v1::PodSpec| {
        let c = job
            .init_containers
            .iter()
            .flatten()
            .chain(&job.containers)
            .filter(|c| c.image.as_deref() == Some(oss_compile::backup::UPLOADER_IMAGE))
            .find_map(|c| c.env.as_ref()?.iter().find(|e| e.name == "OSS_PREFIX"));
        c.unwrap().value.clone().unwrap()
    };
    assert_eq!(prefix(pod), "etcd/etcd");
    let restores: Vec<_> = b.objects().iter().filter(|o| o.name().starts_with("etcd-restore-")).collect();
    let [Object::Job(restore)] = restores.as_slice() else { panic!("one restore Job: {restores:?}") };
    let restore_pod = restore.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let init: Vec<&str> = restore_pod.init_containers.iter().flatten().map(|c| c.name.as_str()).collect();
    assert_eq!(init, ["record-check", "wait", "download", "restore"], "the record read, the way open, the backup fetched and restored");
    assert_eq!(restore_pod.containers[0].name, "record", "recorded once every step succeeded");
    // the API token: in the record's two steps alone, not in the software's or the uploader's
    assert_eq!(restore_pod.automount_service_account_token, Some(false));
    assert_eq!(restore_pod.service_account_name.as_deref(), Some("etcd-restore"));
    let with_token: Vec<&str> = restore_pod
        .init_containers
        .iter()
        .flatten()
        .chain(&restore_pod.containers)
        .filter(|c| c.volume_mounts.iter().flatten().any(|m| m.mount_path == "/var/run/secrets/kubernetes.io/serviceaccount"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(with_token, ["record-check", "record"]);
    // the software's command runs unless the record has this restore
    let software = restore_pod.init_containers.iter().flatten().find(|c| c.name == "restore").unwrap();
    let command = software.command.as_ref().unwrap();
    assert!(command[2].starts_with("if [ -e /tmp/ossc-restored ]") && command[2].ends_with("exec \"$@\""), "{command:?}");
    assert_eq!(command[3], "restore", "$0 of the gate");
    assert_eq!(command[4..6], ["/bin/sh", "-c"], "then the procedure's own command, as written");
    let key = |b: &oss_compile::Bundle| {
        let Some(Object::Job(job)) = b.objects().iter().find(|o| o.name().starts_with("etcd-restore-")) else { panic!("no restore Job") };
        let pod = job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
        let record = &pod.containers[0];
        record.env.iter().flatten().find(|e| e.name == "OSS_RESTORE_KEY").unwrap().value.clone().unwrap()
    };
    // what the pod runs changes the Job (a new name: a Job's pod is immutable), not the
    // request's key: the new Job finds the record and restores nothing
    let changed = build_with(ETCD, &[sets[0], "backup.scratch=2Gi"], &Options::default()).unwrap();
    assert!(!changed.objects().iter().any(|o| o.name() == restore.metadata.name.as_deref().unwrap()));
    assert_eq!(key(&changed), key(&b));
    // the old instance's backups: its namespace defaults to its name
    assert_eq!(prefix(restore.spec.as_ref().unwrap().template.spec.as_ref().unwrap()), "old-db/old-db");
    // the same spec builds the same restore Job (run once); another restore is another Job
    let again = build_with(ETCD, &sets, &Options::default()).unwrap();
    assert!(again.objects().iter().any(|o| o.name() == restore.metadata.name.as_deref().unwrap()));
    let other = build_with(
        ETCD,
        &["backup={store: {service: minio, bucket: db-backups}, restore: {instance: old-db, backup: 20261204T031700Z}}"],
        &Options::default(),
    )
    .unwrap();
    assert!(!other.objects().iter().any(|o| o.name() == restore.metadata.name.as_deref().unwrap()));
    assert_ne!(key(&other), key(&b), "another backup: another restore");
    // stopped: suspended; the restore Job stays as it was (a Job pruned on stop and made again
    // on start would run the restore again, over newer data)
    let stopped = build_with(ETCD, &[sets[0], "lifecycle.state=stopped"], &Options::default()).unwrap();
    let Some(Object::CronJob(cron)) = stopped.first(Kind::CronJob) else { panic!("no CronJob") };
    assert_eq!(cron.spec.as_ref().unwrap().suspend, Some(true));
    let kept = stopped.objects().iter().find(|o| o.name().starts_with("etcd-restore-")).expect("the restore Job");
    assert_eq!(kept.name(), restore.metadata.name.as_deref().unwrap());
    let text = oss_compile::connect(
        &parse_with("t.yaml", ETCD, &ParseOptions { sets: vec![sets[0].to_owned()], ..ParseOptions::default() }).unwrap(),
        &Options::default(),
    );
    assert!(text.contains("kubectl -n etcd create job --from=cronjob/etcd-backup etcd-backup-now"), "{text}");
    assert!(text.contains("app.kubernetes.io/component=restore"), "{text}");
}

#[test]
fn a_seeding_restore_runs_in_each_member_before_the_software_and_only_then() {
    let sets = ["backup={store: {service: minio, namespace: storage, bucket: cache-backups}, restore: {instance: cache-old}}"];
    let b = build_with(VALKEY, &sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!b.objects().iter().any(|o| o.name().starts_with("valkey-restore-")), "no restore Job: the members seed");
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let init: Vec<&str> = pod.init_containers.iter().flatten().map(|c| c.name.as_str()).collect();
    assert!(init.ends_with(&["restore-fetch", "restore-seed", "restore-clean"]), "{init:?}");
    let fetch = pod.init_containers.iter().flatten().find(|c| c.name == "restore-fetch").unwrap();
    let env = |name: &str| fetch.env.iter().flatten().find(|e| e.name == name).and_then(|e| e.value.clone());
    // the named instance's backups (its namespace: its name), fetched onto the data volume
    assert_eq!(env("OSS_PREFIX").as_deref(), Some("cache-old/cache-old"));
    assert_eq!(env("OSS_BACKUP_DIR").as_deref(), Some("/data/.ossc-restore"));
    assert!(fetch.volume_mounts.iter().flatten().any(|m| m.name == "data" && m.mount_path == "/data" && m.read_only.is_none()));
    let to_store = |b: &oss_compile::Bundle| {
        let np = b.objects().iter().find_map(|o| match o {
            Object::NetworkPolicy(np) if np.metadata.name.as_deref() == Some("valkey") => Some(np.clone()),
            _ => None,
        });
        let egress = np.unwrap().spec.unwrap().egress.unwrap_or_default();
        egress.iter().flat_map(|e| e.to.iter().flatten()).any(|p| {
            p.namespace_selector.as_ref().is_some_and(|s| s.match_labels.as_ref().unwrap()["kubernetes.io/metadata.name"] == "storage")
        })
    };
    assert!(to_store(&b), "the members reach the store while they seed");
    let text = oss_compile::connect(
        &parse_with("t.yaml", VALKEY, &ParseOptions { sets: vec![sets[0].to_owned()], ..ParseOptions::default() }).unwrap(),
        &Options::default(),
    );
    assert!(text.contains("restore   by seeding") && text.contains("logs valkey-0 -c restore-fetch"), "{text}");
    assert!(!text.contains("component=restore"), "no restore Job to wait for: {text}");
    // the quota counts a seed larger than the pod's containers (it runs alone, first)
    let big = ParseOptions { sets: vec![sets[0].to_owned(), "runtime.backup.memory=4Gi".to_owned()], ..ParseOptions::default() };
    let (_, mem) = oss_compile::derive::quota::pod_totals(&parse_with("t.yaml", VALKEY, &big).unwrap().spec);
    assert_eq!(mem, (4_i128 << 30) * 1_000_000_000, "4Gi, in nano-units");
    // backups without a restore: the members neither seed nor reach the store (the backup pods do)
    let plain = build_with(VALKEY, &["backup={store: {service: minio, namespace: storage, bucket: cache-backups}}"], &Options::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let pod = plain.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert!(!pod.init_containers.iter().flatten().any(|c| c.name.starts_with("restore-")));
    assert!(!to_store(&plain));
    // the packager gives one way to restore: both, or neither, is refused
    let both = refused(VALKEY, &["runtime.backup.restore=[/bin/true]"]);
    assert!(both.iter().any(|(c, m)| *c == Code::Inconsistent && m.contains("both `restore` and `seed`")), "{both:?}");
    let neither = refused(VALKEY, &["runtime.backup.seed=null"]);
    assert!(neither.iter().any(|(c, m)| *c == Code::MissingField && m.contains("not how to restore")), "{neither:?}");
}

#[test]
fn an_archive_reaches_the_store_from_the_software_and_a_restore_replays_it_to_a_time() {
    const POSTGRES: &str = include_str!("../../specs/postgres.yaml");
    let store = "backup={store: {service: minio, namespace: storage, bucket: db-backups}";
    let b =
        build_with(POSTGRES, &[&format!("{store}, restore: {{instance: old-db, time: '2026-12-04T03:17:00Z'}}}}")], &Options::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let main = &pod.containers[0];
    let env = |c: &k8s_openapi::api::core::v1::Container, name: &str| {
        c.env.iter().flatten().find(|e| e.name == name).and_then(|e| e.value.clone()).unwrap_or_else(|| panic!("no {name} in {}", c.name))
    };
    // the software writes its archive under its own prefix, with the store's binding
    assert_eq!(env(main, "OSS_ARCHIVE_PREFIX"), "postgres/postgres/archive");
    assert_eq!(env(main, "OSS_ARCHIVE_BUCKET"), "db-backups");
    assert_eq!(env(main, "OSS_ARCHIVE_STORE"), oss_compile::backup::ARCHIVE_STORE_DIR);
    let mount = main.volume_mounts.iter().flatten().find(|m| m.mount_path == oss_compile::backup::ARCHIVE_STORE_DIR).unwrap();
    let volume = pod.volumes.iter().flatten().find(|v| v.name == mount.name).unwrap().secret.clone().unwrap();
    assert_eq!(volume.secret_name.as_deref(), Some("minio-binding"));
    assert_eq!(volume.optional, Some(true), "the database starts before the store admits its namespace");
    assert!(main.volume_mounts.iter().flatten().any(|m| m.mount_path == "/etc/patroni/wal-archive.yml"), "the archive's files");
    // the restore: the backup before the time, then the old instance's archive to that time
    let fetch = pod.init_containers.iter().flatten().find(|c| c.name == "restore-fetch").unwrap();
    assert_eq!(env(fetch, "OSS_RESTORE_TIME"), "2026-12-04T03:17:00Z");
    let seed = pod.init_containers.iter().flatten().find(|c| c.name == "restore-seed").unwrap();
    assert_eq!(env(seed, "OSS_RESTORE_TIME"), "2026-12-04T03:17:00Z");
    assert_eq!(env(seed, "OSS_RESTORE_ARCHIVE_PREFIX"), "old-db/old-db/archive");
    // the upload prunes the archive older than the oldest backup kept, less the procedure's timeout
    let Some(Object::CronJob(cron)) = b.first(Kind::CronJob) else { panic!("no CronJob") };
    let job = cron.spec.as_ref().unwrap().job_template.spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert_eq!(env(&job.containers[0], "OSS_ARCHIVE_MARGIN"), "3600");
    // the members reach the store (for the archive, not only while they seed)
    let reaches_store = |b: &oss_compile::Bundle| {
        let np = b.objects().iter().find_map(|o| match o {
            Object::NetworkPolicy(np) if np.metadata.name.as_deref() == Some("postgres") => Some(np.clone()),
            _ => None,
        });
        np.unwrap().spec.unwrap().egress.unwrap_or_default().iter().flat_map(|e| e.to.iter().flatten()).any(|p| {
            p.namespace_selector.as_ref().is_some_and(|s| s.match_labels.as_ref().unwrap()["kubernetes.io/metadata.name"] == "storage")
        })
    };
    assert!(reaches_store(&b));
    let backups = build_with(POSTGRES, &[&format!("{store}}}")], &Options::default()).unwrap();
    assert!(reaches_store(&backups), "backups without a restore: the archive still goes to the store");
    // another time is another restore
    let key = |b: &oss_compile::Bundle| {
        let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
        env(pod.init_containers.iter().flatten().find(|c| c.name == "restore-seed").unwrap(), "OSS_RESTORE_TIME")
    };
    let later =
        build_with(POSTGRES, &[&format!("{store}, restore: {{instance: old-db, time: '2026-12-05T00:00:00Z'}}}}")], &Options::default())
            .unwrap();
    assert_ne!(key(&later), key(&b));
    // Compose expresses no backups: nor does it turn the archive on
    let opts = ParseOptions { sets: vec![format!("{store}}}")], ..ParseOptions::default() };
    let compose = oss_compile::compile_compose(&parse_with("t.yaml", POSTGRES, &opts).unwrap(), &Options::default()).unwrap();
    assert!(compose.yaml.contains("/etc/patroni/patroni.yml") && !compose.yaml.contains("wal-archive"), "{}", compose.yaml);
    // without backups: none of it, and Patroni's own initdb
    let none = build_with(POSTGRES, &[], &Options::default()).unwrap();
    let pod = none.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert!(!pod.containers[0].env.iter().flatten().any(|e| e.name.starts_with("OSS_ARCHIVE")));
    assert!(!pod.containers[0].volume_mounts.iter().flatten().any(|m| m.mount_path.contains("wal-archive")));
    assert!(!reaches_store(&none));
}

#[test]
fn connect_says_how_to_speak_tls_when_it_is_on() {
    const KAFKA: &str = include_str!("../../specs/kafka.yaml");
    let connect = |sets: &[&str]| {
        let opts = ParseOptions { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..ParseOptions::default() };
        oss_compile::connect(&parse_with("t.yaml", KAFKA, &opts).unwrap(), &Options::default())
    };
    let off = connect(&[]);
    assert!(off.contains("tls       off (on with --set access.tls.enabled=true"), "{off}");
    assert!(off.contains("try       printf 'security.protocol=SASL_PLAINTEXT"), "{off}");
    let on = connect(&["access.tls.enabled=true"]);
    assert!(on.contains("jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt"), "{on}");
    // runtime.tls.try in place of the binding's
    assert!(on.contains("try       printf 'security.protocol=SASL_SSL") && on.contains("ssl.truststore.location=ca.crt"), "{on}");
    // a service whose spec has no runtime.tls says nothing of TLS there
    let function = oss_compile::connect(
        &parse_with("t.yaml", include_str!("../../specs/function.yaml"), &ParseOptions::default()).unwrap(),
        &Options::default(),
    );
    assert!(!function.contains("tls       "), "{function}");
}

#[test]
fn connect_says_how_clients_outside_the_cluster_reach_the_service() {
    let connect = |spec: &str, sets: &[&str]| {
        let opts = ParseOptions { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..ParseOptions::default() };
        oss_compile::connect(&parse_with("t.yaml", spec, &opts).unwrap(), &Options::default())
    };
    const FUNCTION: &str = include_str!("../../specs/function.yaml");
    const MINIO: &str = include_str!("../../specs/minio.yaml");
    assert!(!connect(FUNCTION, &[]).contains("\noutside   "), "nothing outside without expose or route");
    let exposed = connect(FUNCTION, &["access.expose={sourceRanges: [203.0.113.0/24]}"]);
    assert!(exposed.contains("outside   LoadBalancer Service function-external (http 8080), from 203.0.113.0/24:"), "{exposed}");
    assert!(exposed.contains("get service function-external -o jsonpath='{.status.loadBalancer.ingress[0]}'"), "{exposed}");
    let route = ["access.route={gateway: {name: public, namespace: gateways}, endpoint: s3, hostnames: [s3.example.com]}"];
    let plain = connect(MINIO, &route);
    assert!(plain.contains("outside   through Gateway gateways/public: s3.example.com, path / to s3 (HTTPRoute minio)"), "{plain}");
    assert!(!plain.contains("BackendTLSPolicy"), "{plain}");
    let tls = connect(MINIO, &[route[0], "access.tls.enabled=true"]);
    assert!(tls.contains("the Gateway speaks HTTPS to s3, verifying it by ConfigMap minio-tls-ca-crt (BackendTLSPolicy minio"), "{tls}");
}

#[test]
fn tls_needs_a_spec_that_says_how_the_software_takes_it() {
    let e = refused(include_str!("../../specs/function.yaml"), &["access.tls.enabled=true"]);
    assert!(e.iter().any(|(c, m)| *c == Code::Inconsistent && m.contains("cannot serve TLS")), "{e:?}");
    // a service without credentials gets the generator for its certificate alone, and its
    // binding from it (no plain binding Secret in the bundle)
    const MEMCACHED: &str = include_str!("../../specs/memcached.yaml");
    let off = build_with(MEMCACHED, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(kinds(&off).contains(&Kind::Secret) && !kinds(&off).contains(&Kind::Job), "a plain binding Secret, no generator");
    let on = build_with(MEMCACHED, &["runtime.tls.path=/etc/memcached/tls", "access.tls.enabled=true"], &Options::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!kinds(&on).contains(&Kind::Secret), "the binding is written by the generator, never in the bundle");
    let (init, main) = generator(&on);
    assert_eq!(init.len(), 2);
    assert!(!main[0].1.contains("memcached-credentials"), "no credentials to read: {}", main[0].1);
}

#[test]
fn a_sidecar_or_exporter_that_takes_tls_gets_the_certificate_and_its_environment_only_when_tls_is_on() {
    // Valkey's Sentinel, HAProxy and exporter take TLS; a copy whose HAProxy does not
    let proxy_tls = "      cpu: 100m\n      memory: 64Mi\n      tls:\n        env:\n          TLS_DIR: /etc/valkey-tls\n  metrics:";
    let proxy_without = VALKEY.replacen(proxy_tls, "      cpu: 100m\n      memory: 64Mi\n  metrics:", 1);
    assert_ne!(proxy_without, VALKEY, "the test's spec edit must apply");
    let pod = |text: &str, sets: &[&str]| {
        let b = build_with(text, sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
        b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap()
    };
    let container =
        |pod: &k8s_openapi::api::core::v1::PodSpec, name: &str| pod.containers.iter().find(|c| c.name == name).cloned().unwrap();
    let mounts = |c: &k8s_openapi::api::core::v1::Container| {
        c.volume_mounts.iter().flatten().map(|m| (m.mount_path.clone(), m.name.clone(), m.read_only)).collect::<Vec<_>>()
    };
    let env = |c: &k8s_openapi::api::core::v1::Container, name: &str| {
        c.env.iter().flatten().filter(|e| e.name == name).map(|e| e.value.clone().unwrap_or_default()).collect::<Vec<_>>()
    };
    let on = pod(&proxy_without, &["access.tls.enabled=true"]);
    let tls_volume =
        on.volumes.iter().flatten().find(|v| v.secret.as_ref().is_some_and(|s| s.secret_name.as_deref() == Some("valkey-tls"))).unwrap();
    let at_path = |c: &k8s_openapi::api::core::v1::Container| {
        mounts(c).contains(&("/etc/valkey-tls".to_owned(), tls_volume.name.clone(), Some(true)))
    };
    let (main, sentinel, proxy, exporter) =
        (container(&on, "valkey"), container(&on, "sentinel"), container(&on, "proxy"), container(&on, "exporter"));
    assert!(at_path(&main) && at_path(&sentinel) && at_path(&exporter), "{:?} {:?}", mounts(&sentinel), mounts(&exporter));
    assert!(!at_path(&proxy) && env(&proxy, "TLS_DIR").is_empty(), "a sidecar without `tls` never sees the certificate");
    assert_eq!(env(&sentinel, "VALKEY_TLS_ARGS"), ["--tls --cacert /etc/valkey-tls/ca.crt"], "its env");
    assert_eq!(env(&exporter, "REDIS_ADDR"), ["rediss://localhost:6380"], "replacing the plain variable of the same name");
    let off = pod(VALKEY, &[]);
    assert!(off.containers.iter().all(|c| !at_path(c) && env(c, "TLS_DIR").is_empty() && env(c, "VALKEY_TLS_ARGS").is_empty()));
    assert_eq!(env(&container(&off, "exporter"), "REDIS_ADDR"), ["redis://localhost:6380"]);
    // without runtime.tls, a sidecar's tls is refused where it is written: the bad-input corpus
    // (tests/bad-input/sidecar-tls-without-runtime-tls.yaml, through the real binary)
}

#[test]
fn an_exporter_takes_its_own_entrypoint_and_waits_as_long_as_the_software_may_take_to_start() {
    // Kafka's exporter: a shell that starts kafka_exporter again until a broker answers; its
    // liveness must not restart it while the broker's JVM starts (startupTimeout 10m)
    const KAFKA: &str = include_str!("../../specs/kafka.yaml");
    let b = build_with(KAFKA, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let exporter = pod.containers.iter().find(|c| c.name == "exporter").unwrap();
    assert_eq!(exporter.command.as_deref(), Some(&["/bin/sh".to_owned(), "-c".to_owned()][..]));
    assert!(exporter.args.as_ref().unwrap()[0].contains("/bin/kafka_exporter --kafka.server=localhost:9092"));
    let startup = exporter.startup_probe.as_ref().unwrap();
    assert_eq!(startup.failure_threshold, Some(60), "10m at the liveness period of 10 s");
    assert_eq!(startup.tcp_socket, exporter.liveness_probe.as_ref().unwrap().tcp_socket, "the same check as liveness");
    // an exporter without `command` keeps its image's entrypoint
    let m = build_with(include_str!("../../specs/memcached.yaml"), &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let pod = m.deployment().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert!(pod.containers.iter().find(|c| c.name == "exporter").unwrap().command.is_none());
}

#[test]
fn a_dependency_becomes_variables_from_its_binding_and_egress_to_the_instance_the_consumer_chose() {
    const PGBOUNCER: &str = include_str!("../../examples/pgbouncer.yaml");
    let b = build_with(
        PGBOUNCER,
        &["access.dependencies.postgres.service=orders-db", "access.dependencies.postgres.namespace=shop"],
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let pod = b.deployment().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let env = pod.containers[0].env.clone().unwrap();
    let names: Vec<&str> = env.iter().map(|e| e.name.as_str()).collect();
    let host = names.iter().position(|n| *n == "OSS_DEP_POSTGRES_HOST").unwrap();
    assert!(host < names.iter().position(|n| *n == "PG_HOST").unwrap(), "defined before the variable that refers to it: {names:?}");
    let from = env[host].value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
    assert_eq!((from.name.as_str(), from.key.as_str(), from.optional), ("orders-db-binding", "host", Some(false)));
    let pg_host = env.iter().find(|e| e.name == "PG_HOST").unwrap();
    assert_eq!(pg_host.value.as_deref(), Some("$(OSS_DEP_POSTGRES_HOST)"));
    let Some(Object::NetworkPolicy(np)) = b.first(Kind::NetworkPolicy) else { panic!("no NetworkPolicy") };
    let policy = serde_json::to_value(np).unwrap();
    let rule = policy["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ports"][0]["port"] == 5432)
        .unwrap_or_else(|| panic!("no egress to 5432: {policy}"));
    assert_eq!(rule["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "shop");
    assert_eq!(rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"], "orders-db");
    // by default the instance named like the dependency, in its own namespace
    let b = build_with(PGBOUNCER, &[], &Options::default()).unwrap();
    let pod = b.deployment().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let env = pod.containers[0].env.clone().unwrap();
    assert_eq!(env[0].value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap().name, "postgres-binding");
    // two keys that would be one variable are refused where the second is written
    let clash = PGBOUNCER.replace(
        "PG_PORT: ${dependencies.postgres.port}",
        "PG_PORT: ${dependencies.postgres.ca.crt}\n    PG_CA: ${dependencies.postgres.ca_crt}",
    );
    let e = build_with(&clash, &[], &Options::default()).unwrap_err();
    assert!(e.iter().any(|(c, m)| *c == Code::Duplicate && m.contains("OSS_DEP_POSTGRES_CA_CRT")), "{e:?}");
}

#[test]
fn a_bootstrap_step_reads_a_dependencys_binding_and_may_reach_its_pods() {
    const PGBOUNCER: &str = include_str!("../../examples/pgbouncer.yaml");
    let step = r#"[{name: schema, env: {PGPASSWORD: "${dependencies.postgres.password}"}, run: [/bin/sh, -c, "psql -h ${dependencies.postgres.host} -c 'select 1'"]}]"#;
    let set = format!("runtime.bootstrap={step}");
    let b = build_with(PGBOUNCER, &[&set, "access.dependencies.postgres.service=orders-db"], &Options::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let job = b
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::Job(j) if o.name().starts_with("pgbouncer-bootstrap-") => Some(j.clone()),
            _ => None,
        })
        .expect("the step's Job");
    let c = &job.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(c.command.as_ref().unwrap()[2], "psql -h $(OSS_DEP_POSTGRES_HOST) -c 'select 1'");
    let env = c.env.clone().unwrap();
    let names: Vec<&str> = env.iter().map(|e| e.name.as_str()).collect();
    let host = names.iter().position(|n| *n == "OSS_DEP_POSTGRES_HOST").unwrap_or_else(|| panic!("{names:?}"));
    assert!(host < names.iter().position(|n| *n == "PGPASSWORD").unwrap(), "defined first: {names:?}");
    assert_eq!(env[host].value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap().name, "orders-db-binding");
    let policy = b
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::NetworkPolicy(np) if o.name() == "pgbouncer-bootstrap" => Some(serde_json::to_value(np).unwrap()),
            _ => None,
        })
        .expect("the steps' NetworkPolicy");
    let to_postgres = policy["spec"]["egress"].as_array().unwrap().iter().find(|r| r["ports"][0]["port"] == 5432);
    assert_eq!(to_postgres.unwrap()["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"], "orders-db", "{policy}");
    // still not as a Secret's name
    let named = r#"runtime.bootstrap=[{name: schema, env: {X: {secretKeyRef: {name: "${dependencies.postgres.host}", key: k}}}, run: [/bin/true]}]"#;
    let e = refused(PGBOUNCER, &[named]);
    assert!(e.iter().any(|(c, m)| *c == Code::UnknownReference && m.contains("secretKeyRef.name") && m.contains("reaches only")), "{e:?}");
}

#[test]
fn metrics_on_the_softwares_own_port_scrape_that_port_and_add_none() {
    // MinIO serves its metrics on the S3 port
    let b = build_with(include_str!("../../specs/minio.yaml"), &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.clone().unwrap();
    let ports: Vec<(String, i32)> =
        pod.containers[0].ports.iter().flatten().map(|p| (p.name.clone().unwrap_or_default(), p.container_port)).collect();
    assert_eq!(ports, [("s3".to_owned(), 9000), ("console".to_owned(), 9001)], "no second port 9000");
    let svc = b
        .objects()
        .iter()
        .find_map(|o| match o {
            Object::Service(s) if s.metadata.name.as_deref() == Some("minio-metrics") => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    let port = &svc.spec.unwrap().ports.unwrap()[0];
    assert_eq!(
        (port.port, port.target_port.clone()),
        (9000, Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("s3".to_owned())))
    );
    // an exporter needs a port of its own
    const MEMCACHED: &str = include_str!("../../specs/memcached.yaml");
    let clash = MEMCACHED.replacen("port: 9150", "port: 11211", 1);
    assert_ne!(clash, MEMCACHED, "the test's spec edit must apply");
    let e = build_with(&clash, &[], &Options::default()).unwrap_err();
    assert!(e.iter().any(|(c, m)| *c == Code::Duplicate && m.contains("exporter's metrics port 11211")), "{e:?}");
}

#[test]
fn a_route_goes_to_the_one_http_endpoint_or_the_one_named() {
    const MINIO: &str = include_str!("../../specs/minio.yaml");
    let gw = "access.route.gateway={name: public, namespace: gateways}";
    // two HTTP endpoints (s3, console): the route must name one
    let e = build_with(MINIO, &[gw], &Options::default()).unwrap_err();
    assert!(e.iter().any(|(c, m)| *c == Code::Inconsistent && m.contains("s3 and console")), "{e:?}");
    let b = build_with(MINIO, &[gw, "access.route.endpoint=console"], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let Some(Object::HttpRoute(r)) = b.first(Kind::HttpRoute) else { panic!("no HTTPRoute") };
    assert_eq!((r.spec.rules[0].backend_refs[0].name.as_str(), r.spec.rules[0].backend_refs[0].port), ("minio", 9001));
    assert_eq!(r.spec.parent_refs[0].namespace, "gateways");
    // a named endpoint that does not say it speaks HTTP
    let plain = MINIO.replacen("      appProtocol: http\n      description: Web console.", "      description: Web console.", 1);
    assert_ne!(plain, MINIO, "the test's spec edit must apply");
    let e = build_with(&plain, &[gw, "access.route.endpoint=console"], &Options::default()).unwrap_err();
    assert!(e.iter().any(|(c, m)| *c == Code::Inconsistent && m.contains("does not say is HTTP")), "{e:?}");
}

#[test]
fn a_route_to_an_endpoint_serving_https_gets_a_backend_tls_policy_and_the_ca_for_it() {
    const MINIO: &str = include_str!("../../specs/minio.yaml");
    let route = ["access.route.gateway={name: public, namespace: gateways}", "access.route.endpoint=s3"];
    let role_writes_configmaps = |b: &oss_compile::Bundle| {
        b.objects().iter().any(|o| match o {
            Object::Role(r) if r.metadata.name.as_deref() == Some("minio-credentials") => {
                r.rules.iter().flatten().any(|rule| rule.resources.iter().flatten().any(|res| res == "configmaps"))
            }
            _ => false,
        })
    };
    // TLS off: the route alone, and the generator writes no ConfigMap
    let b = build_with(MINIO, &route, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(b.first(Kind::HttpRoute).is_some() && b.first(Kind::BackendTlsPolicy).is_none());
    assert!(!role_writes_configmaps(&b));
    // TLS on: the s3 port serves HTTPS; the Gateway verifies it by the CA's ConfigMap and the
    // client Service's name, which the certificate carries
    let sets = [route[0], route[1], "access.tls.enabled=true"];
    let b = build_with(MINIO, &sets, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let Some(Object::BackendTlsPolicy(p)) = b.first(Kind::BackendTlsPolicy) else { panic!("no BackendTLSPolicy") };
    assert_eq!((p.spec.target_refs[0].name.as_str(), p.spec.target_refs[0].section_name.as_str()), ("minio", "s3"));
    assert_eq!(p.spec.validation.hostname, "minio.minio.svc");
    assert_eq!(p.spec.validation.ca_certificate_refs[0].name, "minio-tls-ca-crt");
    assert!(role_writes_configmaps(&b));
    let (init, main) = generator(&b);
    assert!(main[0].1.contains("minio-tls-ca-crt") && main[0].1.contains("configmaps"), "the generator writes the CA's ConfigMap");
    // the certificate names the host the Gateway verifies
    let issue = init.iter().find(|(name, _)| name == "tls-issue").expect("the tls-issue step");
    assert!(issue.1.contains("DNS:minio.minio.svc"), "the certificate's names: {}", issue.1);
}

#[test]
fn a_bootstrap_steps_own_home_replaces_osscs_default() {
    // ossc gives one-off containers HOME=/tmp; a step that sets HOME itself must not get it
    // twice (server-side apply refuses "duplicate entries for key")
    let anchor = "        ADMIN_USER: {secretKeyRef: {name: \"${service.credentials}\", key: username}}\n";
    assert!(CASSANDRA.contains(anchor));
    let homes = |text: &str| {
        let b = build_with(text, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let jobs: Vec<_> = b
            .objects()
            .iter()
            .filter_map(|o| match o {
                Object::Job(j) if j.metadata.name.as_deref().is_some_and(|n| n.contains("bootstrap")) => Some(j),
                _ => None,
            })
            .collect();
        assert_eq!(jobs.len(), 1);
        let c = &jobs[0].spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0];
        c.env.iter().flatten().filter(|e| e.name == "HOME").map(|e| e.value.clone().unwrap_or_default()).collect::<Vec<_>>()
    };
    assert_eq!(homes(CASSANDRA), vec!["/tmp".to_owned()]);
    assert_eq!(homes(&CASSANDRA.replacen(anchor, &format!("        HOME: /var/tmp\n{anchor}"), 1)), vec!["/var/tmp".to_owned()]);
}

#[test]
fn an_https_endpoint_is_probed_scraped_and_announced_as_https_only_when_tls_is_on() {
    const MINIO: &str = include_str!("../../specs/minio.yaml");
    let monitored = Options { monitoring: oss_compile::Monitoring::PrometheusOperator, ..Options::default() };
    let gmp = Options { monitoring: oss_compile::Monitoring::GoogleManagedPrometheus, ..Options::default() };
    let off = build_with(MINIO, &[], &monitored).unwrap_or_else(|e| panic!("{e:?}"));
    let on = build_with(MINIO, &["access.tls.enabled=true"], &monitored).unwrap_or_else(|e| panic!("{e:?}"));
    let schemes = |b: &oss_compile::Bundle| {
        let pod = b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.as_ref().unwrap();
        let c = &pod.containers[0];
        [&c.readiness_probe, &c.liveness_probe, &c.startup_probe]
            .iter()
            .map(|p| p.as_ref().unwrap().http_get.as_ref().unwrap().scheme.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(schemes(&off), ["HTTP", "HTTP", "HTTP"]);
    assert_eq!(schemes(&on), ["HTTPS", "HTTPS", "HTTPS"]);
    let (off_yaml, on_yaml) = (off.to_yaml(), on.to_yaml());
    // the certificate under MinIO's own file names, and the nodes' list over https
    assert!(on_yaml.contains("key: tls.crt\n            path: public.crt") && on_yaml.contains("path: CAs/ca.crt"), "{on_yaml}");
    assert!(on_yaml.contains("https://minio-{0...3}.minio-peers.minio.svc:9000/data") && !on_yaml.contains("http://minio-{0"));
    assert!(off_yaml.contains("http://minio-{0...3}.minio-peers.minio.svc:9000/data") && !off_yaml.contains("minio-tls"));
    // the Service ports say https, the scrape goes over https verified against the CA
    assert!(!off_yaml.contains("appProtocol: https") && on_yaml.contains("appProtocol: https"));
    assert!(!off_yaml.contains("tlsConfig") && !off_yaml.contains("scheme: https"));
    assert!(on_yaml.contains("scheme: https\n    scrapeTimeout: \"10s\"\n    tlsConfig:\n      ca:\n        secret:\n          key: ca.crt\n          name: minio-tls\n      serverName: minio.minio.svc"), "{on_yaml}");
    let on_gmp = build_with(MINIO, &["access.tls.enabled=true"], &gmp).unwrap_or_else(|e| panic!("{e:?}")).to_yaml();
    assert!(
        on_gmp.contains(
            "scheme: https\n    timeout: \"10s\"\n    tls:\n      ca:\n        secret:\n          key: ca.crt\n          name: minio-tls"
        ),
        "{on_gmp}"
    );
    // an exporter's metrics port is not the software's: still http (NATS's, with TLS on)
    const NATS: &str = include_str!("../../specs/nats.yaml");
    let nats = build_with(NATS, &["access.tls.enabled=true"], &monitored).unwrap_or_else(|e| panic!("{e:?}")).to_yaml();
    assert!(!nats.contains("tlsConfig"));
}

#[test]
fn tls_items_and_https_endpoints_are_checked() {
    const MINIO: &str = include_str!("../../specs/minio.yaml");
    let e = refused(MINIO, &["runtime.tls.https=[s3, s4]"]);
    assert!(
        e.iter().any(|(c, m)| *c == Code::UnknownReference && m.contains("`runtime.tls.https` names `s4`, which is not an endpoint")),
        "{e:?}"
    );
    let e = refused(MINIO, &["runtime.tls.items=[{key: tls.crt, path: a}, {key: tls.crt, path: b}]"]);
    assert!(e.iter().any(|(c, m)| *c == Code::Duplicate && m.contains("key `tls.crt` is listed twice")), "{e:?}");
    let e = refused(MINIO, &["runtime.tls.items=[{key: tls.crt, path: a}, {key: tls.key, path: a}]"]);
    assert!(e.iter().any(|(c, m)| *c == Code::Duplicate && m.contains("file `a` is given to two keys")), "{e:?}");
    let e = refused(MINIO, &["runtime.tls.items=[{key: tls.pem, path: a}]"]);
    assert!(e.iter().any(|(_, m)| m.contains("tls.pem")), "{e:?}");
    let e = refused(MINIO, &["runtime.tls.items=[{key: tls.crt, path: ../a}]"]);
    assert!(e.iter().any(|(c, m)| *c == Code::InvalidValue && m.contains("is not a file name under the mount")), "{e:?}");
}

#[test]
fn a_start_check_of_its_own_is_the_startup_probe_and_its_period_sets_the_threshold() {
    const NATS: &str = include_str!("../../specs/nats.yaml");
    let started = ["runtime.health.started={http: {port: monitor, path: /healthz}, period: 5s}"];
    let b = build_with(NATS, &started, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let c = &b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0];
    let startup = c.startup_probe.as_ref().unwrap();
    assert_eq!(startup.http_get.as_ref().unwrap().path.as_deref(), Some("/healthz"));
    // 5m at 5 s
    assert_eq!((startup.period_seconds, startup.failure_threshold), (Some(5), Some(60)));
    assert!(c.liveness_probe.as_ref().unwrap().tcp_socket.is_some());
    assert_eq!(c.readiness_probe.as_ref().unwrap().http_get.as_ref().unwrap().path.as_deref(), Some("/healthz?js-enabled-only=true"));
    // without it, the liveness check, at its period (NATS as the catalog has it)
    let b = build_with(NATS, &[], &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let c = &b.statefulset().unwrap().spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0];
    let (startup, live) = (c.startup_probe.as_ref().unwrap(), c.liveness_probe.as_ref().unwrap());
    assert_eq!((&startup.exec, &startup.tcp_socket, &startup.http_get), (&live.exec, &live.tcp_socket, &live.http_get));
    assert_eq!((startup.period_seconds, startup.failure_threshold), (Some(10), Some(30)));
    // its port must be declared
    let e = refused(NATS, &["runtime.health.started={http: {port: monitr, path: /healthz}}"]);
    assert!(e.iter().any(|(c, m)| *c == Code::UnknownReference && m.contains("`monitr`")), "{e:?}");
}

#[test]
fn an_object_store_backs_up_to_another_instance_never_to_itself() {
    const MINIO: &str = include_str!("../../specs/minio.yaml");
    let to = |service: &str, namespace: &str| format!("backup={{store: {{service: {service}, namespace: {namespace}, bucket: media}}}}");
    // the same name and namespace: its backups would go with it
    let errors = build_with(MINIO, &[&to("minio", "minio")], &Options::default()).expect_err("refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, Code::Inconsistent);
    assert!(errors[0].1.contains("is this instance itself (`minio` in namespace `minio`)"), "{errors:?}");
    // the same name in the namespace it is built into (`--namespace`)
    let options = Options { namespace: Some("storage".to_owned()), ..Options::default() };
    assert!(build_with(MINIO, &[&to("minio", "storage")], &options).is_err());
    // another instance, or the same name elsewhere: a CronJob whose software container is the
    // AWS CLI with the instance's own root keys
    for (sets, options) in [(to("archive", "archive"), Options::default()), (to("minio", "minio"), options)] {
        let b = build_with(MINIO, &[&sets], &options).unwrap_or_else(|e| panic!("{e:?}"));
        let Some(Object::CronJob(cron)) = b.first(Kind::CronJob) else { panic!("no CronJob") };
        let pod = cron.spec.as_ref().unwrap().job_template.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
        let backup = pod.init_containers.iter().flatten().find(|c| c.name == "backup").unwrap();
        assert_eq!(backup.image.as_deref(), Some(oss_compile::backup::UPLOADER_IMAGE));
        let key = backup.env.iter().flatten().find(|e| e.name == "AWS_SECRET_ACCESS_KEY").unwrap();
        assert_eq!(key.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap().name, "minio-credentials");
    }
}
