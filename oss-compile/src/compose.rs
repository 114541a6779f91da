//! `--target compose`: the same spec as a Docker Compose file, for local development and
//! `docker stack deploy` on swarm.
//!
//! Owns: the mapping to the Compose specification (validated in the test suite against the
//! Compose JSON Schema shipped in PyPI's `docker-compose` package) and the list of what Compose
//! cannot express. Kubernetes DNS names keep working: every replica service carries network
//! aliases for its pod DNS name, the headless peers Service and the client Service.

use crate::context::Context;
use oss_spec::model::{EnvValue, RunState, State};
use oss_spec::template::{self, Reference};
use oss_spec::{Code, Diagnostic, Diagnostics, Loaded};
use serde_json::{Map, Value, json};

/// A compose file and the warnings of making it.
#[derive(Debug, Clone)]
pub struct ComposeFile {
    /// The YAML text.
    pub yaml: String,
    /// What Compose cannot express, and other compromises.
    pub warnings: Diagnostics,
}

fn mebibytes(q: &oss_spec::values::Quantity) -> String {
    format!("{}m", (q.units_ceil() + (1 << 20) - 1) / (1 << 20))
}

fn cpus(q: &oss_spec::values::Quantity) -> String {
    let milli = (q.nanos() + 999_999) / 1_000_000;
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{}.{:03}", milli / 1000, milli % 1000).trim_end_matches('0').to_owned()
    }
}

/// A container's `deploy.resources`: reserved as much as its limit, as on Kubernetes.
fn resources(cpu: &oss_spec::values::Quantity, memory: &oss_spec::values::Quantity) -> Value {
    json!({"limits": {"cpus": cpus(cpu), "memory": mebibytes(memory)}, "reservations": {"cpus": cpus(cpu), "memory": mebibytes(memory)}})
}

/// Expands `${...}` for replica `index` (Compose has no downward API: pod facts are literals).
fn expand(cx: &Context, s: &str, index: u32, unsupported: &mut Vec<String>) -> String {
    template::substitute(s, |r| match r {
        Reference::PodName => format!("{}-{index}", cx.name),
        Reference::PodIndex => index.to_string(),
        Reference::PodNamespace => cx.namespace.clone(),
        // the client Service's network alias
        Reference::Host | Reference::ReadHost => cx.name.clone(),
        Reference::PodIp => {
            unsupported.push("`${pod.ip}` (Compose cannot name a container's address in advance; the value is empty)".to_owned());
            String::new()
        }
        Reference::PodZone => {
            unsupported.push("`${pod.zone}` (Compose has no zones; the value is empty)".to_owned());
            String::new()
        }
        Reference::Dependency(name, key) => {
            unsupported.push(format!(
                "`${{dependencies.{name}.{key}}}` (Compose has no other service's binding Secret; the value is empty: set it in an override file)"
            ));
            String::new()
        }
        other => crate::lower::resolve(cx, &other),
    })
}

/// The certificate directory of a container that takes TLS (a sidecar or the exporter that says
/// so, every bootstrap step), when TLS is on: the service's directory at `runtime.tls.path`, as
/// on Kubernetes.
fn tls_volume(x: &mut Map<String, Value>, cx: &Context, takes: bool) {
    if let Some(tls) = cx.tls().filter(|_| takes) {
        x.insert("volumes".into(), json!([format!("./secrets/{}:{}:ro", cx.tls_secret(), tls.path.as_str())]));
    }
}

/// A helper container's hardening (the exporter, a bootstrap step): read-only root with its own
/// `/tmp`, no capabilities, no privilege escalation.
fn sidecar_hardening(s: &mut Map<String, Value>) {
    s.insert("read_only".into(), json!(true));
    s.insert("tmpfs".into(), json!(["/tmp"]));
    s.insert("cap_drop".into(), json!(["ALL"]));
    s.insert("security_opt".into(), json!(["no-new-privileges:true"]));
}

/// Every `$` in the strings of `v` (not its keys) doubled: Compose's escape for a literal `$`.
fn escape_dollars(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Array(items) => items.iter_mut().for_each(escape_dollars),
        Value::Object(map) => map.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

/// What Compose service `service` (replica `index`) runs: `entrypoint` (the command as
/// written), `command` (the arguments, `${...}` expanded) and `environment` (plain values
/// expanded; a Secret's key is noted in `from_env`: the Compose file cannot hold it).
fn process<'e>(
    s: &mut Map<String, Value>,
    cx: &Context,
    (command, args, env): (&[String], &[String], impl IntoIterator<Item = (&'e oss_spec::values::EnvName, &'e EnvValue)>),
    (index, service): (u32, &str),
    from_env: &mut Vec<(String, String, String, String)>,
    unsupported: &mut Vec<String>,
) {
    if !command.is_empty() {
        s.insert("entrypoint".into(), json!(command));
    }
    if !args.is_empty() {
        let args: Vec<String> = args.iter().map(|a| expand(cx, a, index, unsupported)).collect();
        s.insert("command".into(), json!(args));
    }
    let mut out = Map::new();
    for (k, v) in env {
        match v {
            EnvValue::Value(t) => {
                out.insert(k.to_string(), json!(expand(cx, t.as_str(), index, unsupported)));
            }
            EnvValue::Secret { secret_key_ref } => {
                from_env.push((service.to_owned(), k.to_string(), secret_key_ref.key.clone(), secret_key_ref.name.clone()));
            }
        }
    }
    if !out.is_empty() {
        s.insert("environment".into(), Value::Object(out));
    }
}

/// Compiles the spec to a Compose file.
#[must_use]
pub fn compose(loaded: &Loaded, cx: &Context) -> ComposeFile {
    let spec = cx.spec;
    let rt = &spec.runtime;
    let files = files(cx);
    let stateful = rt.state == State::Stateful;
    let mut unsupported: Vec<String> = Vec::new();
    let mut services = Map::new();
    // (service, variable, Secret key, Secret): environment a Kubernetes pod gets from a Secret
    let mut from_env: Vec<(String, String, String, String)> = Vec::new();
    let mut volumes = Map::new();
    let running = spec.lifecycle.state == RunState::Running;
    let instances: Vec<Option<u32>> = if stateful { (0..spec.redundancy.replicas).map(Some).collect() } else { vec![None] };
    for instance in instances {
        let index = instance.unwrap_or(0);
        let svc_name = instance.map_or_else(|| cx.name.clone(), |i| format!("{}-{i}", cx.name));
        let mut s = Map::new();
        s.insert("image".into(), json!(rt.image.as_str()));
        process(&mut s, cx, (&rt.command, &rt.args, &rt.env), (index, &svc_name), &mut from_env, &mut unsupported);
        s.insert("user".into(), json!(format!("{}:{}", rt.user, rt.group)));
        s.insert("read_only".into(), json!(true));
        s.insert("cap_drop".into(), json!(["ALL"]));
        s.insert("security_opt".into(), json!(["no-new-privileges:true"]));
        s.insert("restart".into(), json!("unless-stopped"));
        if instance.is_some() {
            s.insert("hostname".into(), json!(svc_name));
        }
        let ports: Vec<String> = spec.function.endpoints.iter().map(|p| p.port.to_string()).collect();
        if !ports.is_empty() {
            s.insert("ports".into(), json!(ports));
        }
        let mut mounts: Vec<String> = Vec::new();
        let mut tmpfs: Vec<String> = Vec::new();
        if let (true, Some(path)) = (stateful, &rt.data_path) {
            let vol = format!("{svc_name}-data");
            mounts.push(format!("{vol}:{path}"));
            volumes.insert(vol, json!({}));
            for v in &rt.volumes {
                let vol = format!("{svc_name}-{}", v.name);
                mounts.push(format!("{vol}:{}", v.path));
                volumes.insert(vol, json!({}));
                // Kubernetes gives the claim to the pod's fsGroup; Docker makes a new named
                // volume root's unless the image has the directory.
                unsupported.push(format!(
                    "the ownership of volume `{}` (a new named volume is root's unless the image has {}, and the software runs as user {}: give it to that user once per replica, e.g. `docker compose run --rm --no-deps --user 0 --cap-add CHOWN --entrypoint chown {}-0 {} {}`)",
                    v.name, v.path, rt.user, cx.name, rt.user, v.path
                ));
            }
        }
        for (i, w) in rt.writable.iter().enumerate() {
            if w.from_image {
                // A fresh named volume is filled with the image's content at first mount.
                let vol = format!("{svc_name}-rw{i}");
                mounts.push(format!("{vol}:{}", w.path));
                volumes.insert(vol, json!({}));
            } else {
                // Docker's tmpfs options: the size limit in bytes (a named volume has none)
                tmpfs.push(format!("{}:size={}", w.path, w.size_limit().units_ceil()));
            }
        }
        for m in &rt.secret_mounts {
            let secret = expand(cx, &m.secret, index, &mut unsupported);
            mounts.push(format!("./secrets/{secret}:{}:ro", m.path));
            if !m.items.is_empty() || m.private {
                unsupported.push(format!(
                    "the file names and mode of secret mount {} (the directory ./secrets/{secret} is mounted as it is: name and chmod its files yourself)",
                    m.path
                ));
            }
        }
        if !mounts.is_empty() {
            s.insert("volumes".into(), json!(mounts));
        }
        if !files.is_empty() {
            let configs: Vec<Value> = files
                .iter()
                .enumerate()
                .map(|(i, f)| json!({"source": format!("{}-file{i}", cx.name), "target": f.path.as_str(), "mode": 0o444}))
                .collect();
            s.insert("configs".into(), Value::Array(configs));
        }
        if !tmpfs.is_empty() {
            s.insert("tmpfs".into(), json!(tmpfs));
        }
        if let Some(cmd) = &rt.health.ready.exec {
            let mut test = vec!["CMD".to_owned()];
            test.extend(cmd.iter().cloned());
            let r = &rt.health.ready;
            s.insert(
                "healthcheck".into(),
                json!({"test": test, "interval": format!("{}s", r.period.secs_ceil()), "timeout": format!("{}s", r.timeout.secs_ceil()), "retries": r.failures, "start_period": format!("{}s", rt.health.startup_timeout.secs_ceil())}),
            );
        } else {
            unsupported
                .push("the readiness check (Compose checks run a command; TCP and HTTP checks need a client tool in the image)".to_owned());
        }
        s.insert("stop_grace_period".into(), json!(format!("{}s", rt.stop.grace_period.secs_ceil())));
        let mut deploy = Map::new();
        if !stateful {
            deploy.insert("replicas".into(), json!(if running { spec.redundancy.replicas } else { 0 }));
        } else if !running {
            deploy.insert("replicas".into(), json!(0));
        }
        deploy.insert("resources".into(), resources(&spec.capacity.cpu, &spec.capacity.memory));
        s.insert("deploy".into(), Value::Object(deploy));
        let mut aliases = vec![cx.name.clone()];
        if let Some(i) = instance {
            aliases.push(cx.peers.clone());
            aliases.push(cx.replica_host(i));
        }
        aliases.retain(|a| *a != svc_name);
        s.insert("networks".into(), json!({"default": {"aliases": aliases}}));
        services.insert(svc_name.clone(), Value::Object(s));
        if let Some(e) = rt.metrics.as_ref().and_then(|m| m.exporter.as_ref()) {
            let mut x = Map::new();
            x.insert("image".into(), json!(e.image.as_str()));
            if !e.command.is_empty() {
                x.insert("entrypoint".into(), json!(e.command));
            }
            if !e.args.is_empty() {
                x.insert("command".into(), json!(e.args));
            }
            if !e.env.is_empty() {
                x.insert(
                    "environment".into(),
                    json!(
                        e.env
                            .iter()
                            .filter_map(|(k, v)| match v {
                                EnvValue::Value(v) => Some((k.to_string(), Value::String(v.clone()))),
                                EnvValue::Secret { secret_key_ref } => {
                                    from_env.push((
                                        format!("{svc_name}-exporter"),
                                        k.to_string(),
                                        secret_key_ref.key.clone(),
                                        secret_key_ref.name.clone(),
                                    ));
                                    None
                                }
                            })
                            .collect::<Map<String, Value>>()
                    ),
                );
            }
            x.insert("network_mode".into(), json!(format!("service:{svc_name}")));
            tls_volume(&mut x, cx, e.tls.is_some());
            sidecar_hardening(&mut x);
            x.insert("restart".into(), json!("unless-stopped"));
            x.insert("depends_on".into(), json!([svc_name]));
            services.insert(format!("{svc_name}-exporter"), Value::Object(x));
        }
        // Sidecars: containers in the replica's network namespace, as its user.
        if !rt.sidecars.is_empty() {
            unsupported.push("the sidecars' health checks (Compose restarts a sidecar that exits; it does not probe it)".to_owned());
        }
        for sc in &rt.sidecars {
            let name = format!("{svc_name}-{}", sc.name);
            let mut x = Map::new();
            x.insert("image".into(), json!(sc.image(rt).as_str()));
            process(&mut x, cx, (&sc.command, &sc.args, &sc.env), (index, &name), &mut from_env, &mut unsupported);
            x.insert("user".into(), json!(format!("{}:{}", rt.user, rt.group)));
            x.insert("network_mode".into(), json!(format!("service:{svc_name}")));
            tls_volume(&mut x, cx, sc.tls.is_some());
            sidecar_hardening(&mut x);
            let tmpfs: Vec<String> = sc.writable.iter().map(|w| format!("{}:size={}", w.path, w.size_limit().units_ceil())).collect();
            x.insert("tmpfs".into(), json!(tmpfs));
            x.insert("restart".into(), json!("unless-stopped"));
            x.insert("depends_on".into(), json!([svc_name]));
            x.insert("deploy".into(), json!({"resources": resources(&sc.cpu, &sc.memory)}));
            services.insert(name, Value::Object(x));
        }
    }
    // Bootstrap steps: one-shot services, retried until they succeed, started with the service.
    for step in rt.bootstrap.iter().filter(|_| running) {
        let svc_name = format!("{}-bootstrap-{}", cx.name, step.name);
        let mut b = Map::new();
        let (image, user, group) = step.pod.identity(rt);
        b.insert("image".into(), json!(image.as_str()));
        let run: Vec<String> = step.run.iter().map(|a| expand(cx, a, 0, &mut unsupported)).collect();
        b.insert("entrypoint".into(), json!(run));
        let mut env = Map::new();
        env.insert("HOME".into(), json!("/tmp"));
        if let Some(tls) = cx.tls() {
            // the service's certificate directory, for its CA (as on Kubernetes)
            env.insert(crate::bootstrap::TLS_CA_ENV.into(), json!(crate::bootstrap::tls_ca_path(tls)));
        }
        tls_volume(&mut b, cx, true);
        for (k, v) in &step.pod.env {
            match v {
                EnvValue::Value(t) => {
                    env.insert(k.to_string(), json!(expand(cx, t, 0, &mut unsupported)));
                }
                EnvValue::Secret { secret_key_ref } => {
                    from_env.push((svc_name.clone(), k.to_string(), secret_key_ref.key.clone(), secret_key_ref.name.clone()));
                }
            }
        }
        b.insert("environment".into(), Value::Object(env));
        b.insert("user".into(), json!(format!("{user}:{group}")));
        sidecar_hardening(&mut b);
        b.insert("restart".into(), json!("on-failure"));
        let first = if stateful { format!("{}-0", cx.name) } else { cx.name.clone() };
        b.insert("depends_on".into(), json!([first]));
        services.insert(svc_name, Value::Object(b));
    }
    let mut not_expressed =
        vec!["PodDisruptionBudget", "NetworkPolicy (every service on the network can connect)", "spread over nodes and zones"];
    if spec.scaling.autoscale.is_some() {
        not_expressed.push("HorizontalPodAutoscaler");
    }
    if spec.runtime.metrics.is_some() || spec.slo.availability.is_some() {
        not_expressed.push("ServiceMonitor and PrometheusRule (SLO and service alerts)");
    }
    if !spec.access.operators.is_empty() {
        not_expressed.push("operator RBAC");
    }
    if spec.capacity.quota {
        not_expressed.push("ResourceQuota");
    }
    if !spec.patches.is_empty() {
        not_expressed.push("patches (they target Kubernetes objects)");
    }
    if spec.runtime.kubernetes_api.is_some() {
        not_expressed
            .push("the software's Kubernetes API access (there is no API server: software that keeps its state there does not start)");
    }
    if spec.function.roles.is_some() {
        not_expressed.push("the client Service of the primary (the service's name reaches every replica)");
    }
    if spec.access.route.is_some() {
        not_expressed.push("the Gateway API HTTPRoute (and BackendTLSPolicy) of access.route (the endpoint's published port serves it)");
    }
    if spec.backup.is_some() && spec.runtime.backup.is_some() {
        not_expressed
            .push("backups, the restore and the software's archive of `backup` (Compose has no scheduled or one-off jobs that read another service's binding; the archive's files are left out)");
    }
    let components: Vec<&str> = spec.runtime.components.iter().map(|c| c.name.as_str()).collect();
    let components_note = format!(
        "the components of runtime.components ({}): workloads of their own, which software that needs them waits for",
        components.join(", ")
    );
    if !components.is_empty() {
        not_expressed.push(&components_note);
    }
    if spec.tls_issuer().is_some() {
        not_expressed.push("the cert-manager Certificate of access.tls.issuer (the certificate's files are yours to provide)");
    }
    let mut warnings = Diagnostics::default();
    warnings.push(
        Diagnostic::warning(Code::NotExpressible, format!("Compose cannot express: {}", not_expressed.join(", ")))
            .help("fine for local development; use a Kubernetes target for production"),
    );
    let _ = loaded;
    // Compose interpolates `$` in every value: the shell scripts and `$(VAR)` references ossc
    // writes are meant literally, so each `$` becomes `$$`. Then the values Kubernetes would
    // take from a Secret come from the environment (or `.env`) on purpose, and Compose refuses
    // to start without them rather than running the software without its credentials.
    let mut services = Value::Object(services);
    escape_dollars(&mut services);
    // The files as Compose configs with inline content (Compose 2.23+), `$` escaped likewise.
    let mut configs = Value::Object(
        files
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("{}-file{i}", cx.name), json!({"content": crate::lower::expand_plain(cx, &f.content)})))
            .collect(),
    );
    escape_dollars(&mut configs);
    for (svc, key, secret_key, secret) in from_env {
        let secret = expand(cx, &secret, 0, &mut unsupported);
        let env = services.get_mut(&svc).and_then(Value::as_object_mut).map(|s| s.entry("environment").or_insert_with(|| json!({})));
        if let Some(Value::Object(env)) = env {
            env.insert(
                key.clone(),
                json!(format!("${{{key}:?set {key} to key {secret_key} of Secret {secret} (in the environment or .env)}}")),
            );
        }
        warnings.push(
            Diagnostic::warning(
                Code::NotExpressible,
                format!("Compose has no Secrets: `{key}` of service `{svc}` is read from the environment (key `{secret_key}` of Secret `{secret}`)"),
            )
            .help(format!("set {key} in the environment or in .env before `docker compose up`; Compose refuses to start without it")),
        );
    }
    unsupported.sort();
    unsupported.dedup();
    for u in unsupported {
        warnings.push(
            Diagnostic::warning(Code::NotExpressible, format!("Compose leaves out {u}"))
                .help("set it by hand in the compose file if you need it"),
        );
    }
    let mut file = Map::new();
    file.insert("services".into(), services);
    if !volumes.is_empty() {
        file.insert("volumes".into(), Value::Object(volumes));
    }
    if !files.is_empty() {
        file.insert("configs".into(), configs);
    }
    ComposeFile { yaml: crate::emit::to_yaml(&Value::Object(file)), warnings }
}

/// The configuration files Compose mounts: `runtime.files` less those of a backup archive
/// (`runtime.backup.archive.files`), which would turn on an archive to a store Compose cannot
/// give the software (backups are not expressed).
fn files<'a>(cx: &Context<'a>) -> Vec<&'a oss_spec::model::ConfigFile> {
    let archive: Vec<_> = cx.spec.runtime.archive_files().collect();
    cx.spec.runtime.files.iter().filter(|f| !archive.contains(f)).collect()
}
