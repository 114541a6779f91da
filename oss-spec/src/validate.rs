//! Checks that span several fields of a decoded [`Spec`]. Each check is a small function that
//! pushes diagnostics; all run, so every problem is reported at once.
//!
//! Owns: consistency of the spec on its own (ports, references, required-when rules). Must not:
//! judge Kubernetes feasibility of a topology (that is `oss-compile`'s derivations).

use crate::decode::SpanIndex;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::{AlertWhen, EnvValue, KnobType, KnobValue, Spec, State};
use crate::source::{Sources, Span};
use crate::template::{self, Part, QuantityFormat, Reference};
use std::collections::BTreeMap;

/// Runs every check. `sources` holds the text the spans point into, to place a finding about a
/// reference on the reference itself (inside a block scalar too).
pub fn validate(spec: &Spec, spans: &SpanIndex, sources: &Sources, diags: &mut Diagnostics) {
    check_ports_unique(spec, spans, diags);
    check_state_fields(spec, spans, diags);
    check_volumes(spec, spans, diags);
    check_health_ports(spec, spans, diags);
    check_references(spec, spans, sources, diags);
    check_bootstrap(spec, spans, diags);
    check_sidecars(spec, spans, diags);
    check_components(spec, spans, diags);
    check_expose(spec, spans, diags);
    check_dependencies(spec, spans, diags);
    check_backup(spec, spans, diags);
    check_route(spec, spans, diags);
    check_roles(spec, spans, diags);
    check_topology_numbers(spec, spans, diags);
    check_writable_paths(spec, spans, diags);
    check_metrics(spec, spans, diags);
    check_alerts(spec, spans, diags);
    check_replica_rule(spec, spans, diags);
    check_credentials(spec, spans, diags);
    check_knob_shares(spec, spans, diags);
    check_reserved_env(spec, spans, diags);
}

/// Environment names beginning with `OSS_` are ossc's own: it sets them in the containers it
/// makes (`OSS_BACKUP_DIR`, `OSS_TLS_CA`, `OSS_DEP_*`, the pod's facts), and a second variable of
/// the same name in one container is refused by server-side apply ("duplicate entries for key")
/// and silently overrides with a client-side apply (the last one wins).
fn check_reserved_env(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let rt = &spec.runtime;
    let mut names: Vec<(String, String)> = Vec::new();
    let mut add = |at: String, keys: Vec<&crate::values::EnvName>| {
        names.extend(keys.into_iter().map(|k| (format!("{at}.env.{k}"), k.to_string())));
    };
    add("runtime".to_owned(), rt.env.keys().collect());
    for (i, sc) in rt.sidecars.iter().enumerate() {
        add(format!("runtime.sidecars.{i}"), sc.env.keys().collect());
    }
    for (i, c) in rt.components.iter().enumerate() {
        add(format!("runtime.components.{i}"), c.env.keys().collect());
    }
    for (path, tls) in rt.tls_takers() {
        add(path, tls.env.keys().collect());
    }
    if let Some(tls) = &rt.tls {
        add("runtime.tls".to_owned(), tls.env.keys().collect());
    }
    if let Some(e) = rt.metrics.as_ref().and_then(|m| m.exporter.as_ref()) {
        add("runtime.metrics.exporter".to_owned(), e.env.keys().collect());
    }
    for (i, step) in rt.bootstrap.iter().enumerate() {
        add(format!("runtime.bootstrap.{i}"), step.pod.env.keys().collect());
    }
    if let Some(b) = &rt.backup {
        add("runtime.backup".to_owned(), b.pod.env.keys().collect());
    }
    // per-cluster values go into the software's environment (names it may not have otherwise)
    if let Some(aa) = rt.multi_cluster.as_ref().and_then(|m| m.active_active.as_ref()) {
        add("runtime.multiCluster.activeActive".to_owned(), aa.env.keys().collect());
    }
    for (path, name) in names {
        if let Some(rest) = name.strip_prefix("OSS_") {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    format!("`{path}`: names beginning with `OSS_` are ossc's own (it sets them in the containers it makes: the backup directory, the TLS CA, dependencies' bindings, the pod's facts)"),
                )
                .at_opt(spans.get(&path).or_else(|| spans.nearest(&path)))
                .help(format!("rename the variable, e.g. `MY_{rest}`, and use that name in the commands")),
            );
        }
    }
}

/// A knob bounded by a share of the capacity or of another knob (`atMost: 50% of
/// capacity.memory`, `atMost: 50% of knobs.heap`) is within it: refused at the setting when the
/// consumer set the knob, else at the capacity or knob setting that shrank under the default
/// (`--set capacity.memory=1Gi` leaves a fixed 2Gi heap too large).
fn check_knob_shares(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    for (name, knob) in &spec.knobs {
        let Some(share) = &knob.at_most else { continue };
        let Some(KnobValue::Quantity(v)) = spec.knob_value(name.as_str()) else { continue };
        let field = share.of.setting();
        let Some(base) = spec.capacity.share_base(&share.of, |k| spec.knob_value(k.as_str())) else { continue };
        let bound = share.of_value(base);
        if v.nanos() <= bound.nanos() {
            continue;
        }
        let setting = format!("settings.{name}");
        let set = spec.settings.contains_key(name);
        let span = if set { spans.nearest(&setting) } else { spans.get(&field).or_else(|| spans.nearest(&format!("knobs.{name}"))) };
        let too_small = match &knob.min {
            Some(KnobValue::Quantity(min)) if bound.nanos() < min.nanos() => Some(min),
            _ => None,
        };
        diags.push(
            Diagnostic::error(Code::OutOfRange, format!("knob `{name}` is {v}, above its bound {share} ({bound} of {base})"))
                .at_opt(span)
                .help(match too_small {
                    // the base is too small for any value of the knob: both must change
                    Some(min) => format!(
                        "{field} {base} leaves less than the knob's minimum {min}: raise `{field}` to at least {} and set `{setting}` to {min}, or raise `{field}` to at least {} to keep {v}",
                        share.capacity_for(min),
                        share.capacity_for(v)
                    ),
                    None => format!("set `{setting}` to at most {bound}, or raise `{field}` to at least {}", share.capacity_for(v)),
                })
                .fix(match too_small {
                    Some(min) => vec![format!("{field}={}", share.capacity_for(min)), format!("{setting}={min}")],
                    None => vec![format!("{setting}={bound}")],
                }),
        );
    }
}

/// The credentials Secret, its references and the binding agree with each other.
fn check_credentials(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    if spec.access.tls.enabled && spec.runtime.tls.is_none() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("`access.tls.enabled` is true, but `{}` cannot serve TLS: its spec has no `runtime.tls`", spec.metadata.name))
                .at_opt(spans.nearest("access.tls.enabled"))
                .help("set `access.tls.enabled` to false (its security statement in `ossc catalog show` says what protects it instead); a packager adds `runtime.tls` to say how the software takes a certificate")
                .fix(vec!["access.tls.enabled=false".to_owned()]),
        );
    }
    // a sidecar or the exporter that takes TLS needs the software's `runtime.tls` (the
    // certificate's path and what turns TLS on)
    if spec.runtime.tls.is_none() {
        for (path, _) in spec.runtime.tls_takers() {
            diags.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("`{path}` says what this container takes when TLS is on, but the spec has no `runtime.tls`"),
                )
                .at_opt(spans.get(&path))
                .help("add `runtime.tls` (the certificate's `path` and what turns TLS on in the software), or remove this `tls`"),
            );
        }
    }
    if let Some(tls) = &spec.runtime.tls {
        // `https` names endpoints; `items` gives each key once and each file once
        for (i, name) in tls.https.iter().enumerate() {
            if !spec.function.endpoints.iter().any(|e| e.name == *name) {
                diags.push(not_an_endpoint(spec, name, ("runtime.tls.https", "name")).at_opt(spans.get(&format!("runtime.tls.https.{i}"))));
            }
        }
        for (i, item) in tls.items.iter().enumerate() {
            let twice = if tls.items[..i].iter().any(|o| o.key == item.key) {
                Some((format!("key `{}` is listed twice", item.key.name()), "key"))
            } else if tls.items[..i].iter().any(|o| o.path == item.path) {
                Some((format!("file `{}` is given to two keys", item.path), "path"))
            } else {
                None
            };
            if let Some((message, field)) = twice {
                diags.push(
                    Diagnostic::error(Code::Duplicate, format!("`runtime.tls.items`: {message}"))
                        .at_opt(spans.get(&format!("runtime.tls.items.{i}.{field}")))
                        .help("list each of `ca.crt`, `tls.crt` and `tls.key` at most once, each at a file name of its own"),
                );
            }
        }
    }
    if let Some(issuer) = &spec.access.tls.issuer {
        let problem = if spec.runtime.tls.is_none() {
            Some((
                format!(
                    "`access.tls.issuer` names `{}`, but `{}` cannot serve TLS: its spec has no `runtime.tls`",
                    issuer.name, spec.metadata.name
                ),
                "remove `access.tls.issuer`: this service cannot use a certificate",
                "access.tls.issuer=null",
            ))
        } else if spec.access.tls.enabled {
            None
        } else {
            Some((
                format!("`access.tls.issuer` names `{}`, but `access.tls.enabled` is false", issuer.name),
                "set `access.tls.enabled` to true for the issuer's certificate to be used, or remove `access.tls.issuer`",
                "access.tls.enabled=true",
            ))
        };
        if let Some((message, help, fix)) = problem {
            diags.push(
                Diagnostic::error(Code::Inconsistent, message)
                    .at_opt(spans.nearest("access.tls.issuer"))
                    .help(help)
                    .fix(vec![fix.to_owned()]),
            );
        }
    }
    if spec.credentials.is_empty() && spec.access.credentials_secret.is_some() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`access.credentialsSecret` is set, but this service declares no `credentials`")
                .at_opt(spans.nearest("access.credentialsSecret"))
                .help("remove `access.credentialsSecret`: the software reads no credentials Secret"),
        );
    }
    let Some(b) = &spec.function.binding else { return };
    if let Some(e) = &b.endpoint
        && !spec.function.endpoints.iter().any(|p| p.name == *e)
    {
        let names: Vec<&str> = spec.function.endpoints.iter().map(|p| p.name.as_str()).collect();
        diags.push(
            Diagnostic::error(Code::UnknownReference, format!("`function.binding.endpoint` names `{e}`, which is not an endpoint"))
                .at_opt(spans.nearest("function.binding.endpoint"))
                .help(match did_you_mean(e.as_str(), names.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("name one of `function.endpoints`: {}", names.join(", ")),
                }),
        );
    }
    if b.endpoint.is_none() && spec.function.endpoints.is_empty() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`function.binding` needs an endpoint, and the service has none")
                .at_opt(spans.nearest("function.binding"))
                .help("declare the client port under `function.endpoints`"),
        );
    }
    for (field, key) in [("username", &b.username), ("password", &b.password)] {
        if let Some(k) = key
            && !spec.credentials.contains_key(k)
        {
            let keys: Vec<&str> = spec.credentials.keys().map(|k| k.as_str()).collect();
            diags.push(
                Diagnostic::error(
                    Code::UnknownReference,
                    format!("`function.binding.{field}` names credentials key `{k}`, which is not declared"),
                )
                .at_opt(spans.nearest(&format!("function.binding.{field}")))
                .help(match did_you_mean(k.as_str(), keys.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None if keys.is_empty() => "declare it under `credentials:`".to_owned(),
                    None => format!("name one of the `credentials` keys: {}", keys.join(", ")),
                }),
            );
        }
    }
}

fn check_replica_rule(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let Some(rule) = &spec.runtime.replicas else { return };
    let mut counts = vec![("redundancy.replicas", spec.redundancy.replicas)];
    if let Some(a) = &spec.scaling.autoscale {
        counts.push(("scaling.autoscale.min", a.min));
        counts.push(("scaling.autoscale.max", a.max));
    }
    for (path, n) in counts {
        if rule.allows(n) {
            continue;
        }
        let nearest: Vec<String> = rule.nearest(n).iter().map(u32::to_string).collect();
        let what = match (rule.odd, rule.min, rule.max) {
            (true, min, max) => format!("an odd number of replicas from {min} to {max}"),
            (false, min, max) => format!("from {min} to {max} replicas"),
        };
        diags.push(
            Diagnostic::error(Code::InvalidReplicas, format!("`{path}` is {n}, but this service runs with {what}"))
                .at_opt(spans.nearest(path))
                .help(format!(
                    "{}: set `{path}` to {}",
                    rule.reason,
                    if nearest.is_empty() { "a supported count".to_owned() } else { nearest.join(" or ") }
                ))
                .fix(nearest.first().map(|n| vec![format!("{path}={n}")]).unwrap_or_default()),
        );
    }
}

/// The name of the metrics port; it may not be used by another port.
pub const METRICS_PORT_NAME: &str = "metrics";

fn check_metrics(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let Some(m) = &spec.runtime.metrics else { return };
    for p in spec.ports() {
        if p.name.as_str() == METRICS_PORT_NAME {
            diags.push(
                Diagnostic::error(Code::Duplicate, "port name `metrics` is reserved for `runtime.metrics`")
                    .at_opt(spans.get("runtime.metrics"))
                    .help("rename the other port; ossc names the scrape port `metrics`"),
            );
        }
        // without an exporter, the software may serve its metrics on one of its own ports
        // (MinIO's S3 port): then that port is scraped; an exporter needs a port of its own
        if p.port == m.port && m.exporter.is_some() {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("the exporter's metrics port {} is also port `{}`", m.port, p.name))
                    .at_opt(spans.get("runtime.metrics.port"))
                    .help("give the exporter a port of its own"),
            );
        }
    }
    if let Some(sli) = &m.sli {
        for (field, q) in [("errors", &sli.errors), ("total", &sli.total)] {
            let path = format!("runtime.metrics.sli.{field}");
            check_placeholders(
                q,
                &path,
                &["window", "selector"],
                "an SLI may use `${window}` (the range, e.g. 5m) and `${selector}` (this service's label matchers)",
                spans,
                diags,
            );
            if !q.contains("${window}") {
                diags.push(
                    Diagnostic::error(Code::InvalidValue, format!("`{path}` does not use `${{window}}`"))
                        .at_opt(spans.get(&path))
                        .help("write the range as `[${window}]` so that ossc can compute the SLI over 5m, 30m, 1h, 2h, 6h, 1d and 3d"),
                );
            }
        }
    }
}

/// Reports every `${...}` of `text` (the field at `path`) that is not one of `known`, and a
/// `${` left open.
fn check_placeholders(text: &str, path: &str, known: &[&str], help: &str, spans: &SpanIndex, diags: &mut Diagnostics) {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let body = &rest[i + 2..];
        let Some(end) = body.find('}') else {
            diags.push(
                Diagnostic::error(Code::UnknownReference, format!("`${{` without a closing `}}` in `{path}`"))
                    .at_opt(spans.get(path))
                    .help("close the placeholder"),
            );
            break;
        };
        let name = &body[..end];
        if !known.contains(&name) {
            diags.push(
                Diagnostic::error(Code::UnknownReference, format!("unknown placeholder `${{{name}}}` in `{path}`"))
                    .at_opt(spans.get(path))
                    .help(help),
            );
        }
        rest = &body[end + 1..];
    }
}

/// The packager's alerts: scoped to the instance, named once, and `when: backup` only where
/// there is a backup procedure.
fn check_alerts(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let Some(m) = &spec.runtime.metrics else { return };
    let mut seen = BTreeMap::new();
    for (i, a) in m.alerts.iter().enumerate() {
        let at = format!("runtime.metrics.alerts.{i}");
        let expr = format!("{at}.expr");
        check_placeholders(
            &a.expr,
            &expr,
            &["selector"],
            "an alert may use `${selector}` (this service's label matchers) only",
            spans,
            diags,
        );
        if !a.expr.contains("${selector}") {
            diags.push(
                Diagnostic::error(Code::InvalidValue, format!("alert `{}` does not use `${{selector}}`", a.name))
                    .at_opt(spans.get(&expr))
                    .help("put `${selector}` in the braces of every metric it reads, e.g. `pg_up{${selector}} == 0`, so that it sees this instance's series only"),
            );
        }
        if let Some(first) = seen.insert(a.name.as_str(), i) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("alerts {first} and {i} are both named `{}`", a.name))
                    .at_opt(spans.get(&format!("{at}.name")))
                    .help("give each alert a name of its own"),
            );
        }
        if a.when == Some(AlertWhen::Backup) && spec.runtime.backup.is_none() {
            diags.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("alert `{}` is for backups (`when: backup`), but the service has no `runtime.backup`", a.name),
                )
                .at_opt(spans.get(&format!("{at}.when")))
                .help("remove `when: backup`, or declare the backup procedure (`runtime.backup`)"),
            );
        }
    }
}

fn check_ports_unique(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let mut names = BTreeMap::new();
    let mut numbers = BTreeMap::new();
    let lists = [("function.endpoints", &spec.function.endpoints), ("function.peerPorts", &spec.function.peer_ports)];
    for (list, ports) in lists {
        for (i, port) in ports.iter().enumerate() {
            let path = format!("{list}.{i}");
            if let Some(first) = names.insert(port.name.as_str(), path.clone()) {
                diags.push(
                    Diagnostic::error(Code::Duplicate, format!("port name `{}` is used twice", port.name))
                        .at_opt(spans.get(&format!("{path}.name")))
                        .label(format!("also at `{first}`"))
                        .help("give every endpoint and peer port its own name"),
                );
            }
            if let Some(first) = numbers.insert((port.port, port.protocol), path.clone()) {
                diags.push(
                    Diagnostic::error(Code::Duplicate, format!("port {} is used twice", port.port))
                        .at_opt(spans.get(&format!("{path}.port")))
                        .label(format!("also at `{first}`"))
                        .help("two ports of one pod cannot share a number and protocol; change one of them"),
                );
            }
        }
    }
}

/// `runtime.volumes` belong to a stateful service, have names of their own, and each has its
/// size in `capacity.volumes` (whose every key names one of them).
fn check_volumes(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let volumes = &spec.runtime.volumes;
    if spec.runtime.state == State::Stateless && !volumes.is_empty() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`runtime.volumes` are set, but the service is stateless")
                .at_opt(spans.get("runtime.volumes"))
                .help("remove `volumes`, or make the service `state: stateful` so that each replica gets its volumes"),
        );
    }
    let mut seen = BTreeMap::new();
    for (i, v) in volumes.iter().enumerate() {
        let at = format!("runtime.volumes.{i}.name");
        if let Some(first) = seen.insert(v.name.as_str(), i) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("volume `{}` is declared twice", v.name))
                    .at_opt(spans.get(&at))
                    .label(format!("also `runtime.volumes.{first}`"))
                    .help("give each volume a name of its own"),
            );
        }
        if !spec.capacity.volumes.contains_key(&v.name) {
            diags.push(
                Diagnostic::error(Code::Inconsistent, format!("volume `{}` has no size in `capacity.volumes`", v.name))
                    .at_opt(spans.get(&at))
                    .help(format!("add `capacity.volumes.{}.size`, e.g. `capacity: {{volumes: {{{}: {{size: 10Gi}}}}}}`", v.name, v.name))
                    .fix(vec![format!("capacity.volumes.{}.size=10Gi", v.name)]),
            );
        }
    }
    for key in spec.capacity.volumes.keys() {
        if !seen.contains_key(key.as_str()) {
            let names: Vec<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
            diags.push(
                Diagnostic::error(Code::UnknownReference, format!("`capacity.volumes.{key}` names no volume of `runtime.volumes`"))
                    .at_opt(spans.nearest(&format!("capacity.volumes.{key}")))
                    .help(match did_you_mean(key, names.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None if names.is_empty() => "remove it: the service has no volumes besides its data volume".to_owned(),
                        None => format!("name one of the service's volumes: {}", names.join(", ")),
                    }),
            );
        }
    }
}

fn check_state_fields(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let rt = &spec.runtime;
    match (rt.state, &rt.data_path) {
        (State::Stateful, None) => diags.push(
            Diagnostic::error(Code::MissingField, "missing field `dataPath` in `runtime`: a stateful service needs it")
                .at_opt(spans.get("runtime.state"))
                .help("add `dataPath:` with the directory the software keeps its data in, e.g. /var/lib/cassandra"),
        ),
        (State::Stateless, Some(_)) => diags.push(
            Diagnostic::error(Code::Inconsistent, "`runtime.dataPath` is set, but the service is stateless")
                .at_opt(spans.get("runtime.dataPath"))
                .help("remove `dataPath`, or make the service `state: stateful` so that each replica gets a volume"),
        ),
        _ => {}
    }
    if rt.state == State::Stateless && !rt.scaling.remove_member.is_empty() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`runtime.scaling.removeMember` is set, but the service is stateless")
                .at_opt(spans.get("runtime.scaling.removeMember"))
                .help("remove `removeMember`: replicas of a stateless service have no identity to leave a cluster with")
                .fix(vec!["runtime.scaling.removeMember=null".to_owned()]),
        );
    }
}

fn check_health_ports(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    // The software's checks name its own ports (those no sidecar serves); a sidecar's, its own.
    let mut main: Vec<&str> = spec.ports().filter(|p| spec.port_sidecar(&p.name).is_none()).map(|p| p.name.as_str()).collect();
    if spec.runtime.metrics.as_ref().is_some_and(|m| m.exporter.is_none()) {
        // The main container serves metrics itself: its `metrics` port may carry health checks.
        main.push(METRICS_PORT_NAME);
    }
    let mut containers = vec![(
        "runtime.health".to_owned(),
        main,
        vec![
            ("ready", Some(&spec.runtime.health.ready)),
            ("live", Some(&spec.runtime.health.live)),
            ("started", spec.runtime.health.started.as_ref()),
        ],
    )];
    for (i, sc) in spec.runtime.sidecars.iter().enumerate() {
        if sc.ports.iter().any(|p| !spec.ports().any(|d| d.name == *p)) {
            continue; // an undeclared port name is reported by check_sidecars; its checks then tell nothing
        }
        let own = sc.ports.iter().map(|p| p.as_str()).collect();
        containers.push((
            format!("runtime.sidecars.{i}.health"),
            own,
            vec![("ready", sc.health.ready.as_ref()), ("live", Some(&sc.health.live))],
        ));
    }
    for (at, names, checks) in containers {
        for (which, check) in checks {
            let Some(check) = check else { continue };
            let (port, path) = match (&check.tcp, &check.http) {
                (Some(p), _) => (p, format!("{at}.{which}.tcp")),
                (_, Some(h)) => (&h.port, format!("{at}.{which}.http.port")),
                _ => continue,
            };
            if names.contains(&port.as_str()) {
                continue;
            }
            let declared = spec.ports().any(|p| p.name == *port) || port.as_str() == METRICS_PORT_NAME;
            let (message, help) = if declared {
                let server = match spec.port_sidecar(port) {
                    Some(sc) => format!("sidecar `{}`", sc.name),
                    None if port.as_str() == METRICS_PORT_NAME => "the exporter".to_owned(),
                    None => "the software's own container".to_owned(),
                };
                (
                    format!("health check `{path}` refers to port `{port}`, which {server} serves, not this container"),
                    if names.is_empty() {
                        "check this container with `exec` (a command it runs), or list the port under its `ports`".to_owned()
                    } else {
                        format!("check a port this container serves: {}", names.join(", "))
                    },
                )
            } else {
                (
                    format!("health check refers to port `{port}`, which is not declared"),
                    match did_you_mean(port.as_str(), names.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None if names.is_empty() => {
                            "declare the port under `function.endpoints` or `function.peerPorts`, or check with `exec`".to_owned()
                        }
                        None => format!("name one of the declared ports: {}", names.join(", ")),
                    },
                )
            };
            diags.push(Diagnostic::error(Code::UnknownReference, message).at_opt(spans.get(&path)).help(help));
        }
    }
}

/// Exposed endpoints are declared endpoints (peer ports stay inside the service).
fn check_expose(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let Some(expose) = &spec.access.expose else { return };
    let endpoints = &spec.function.endpoints;
    if endpoints.is_empty() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`access.expose` is set, but the service has no endpoints")
                .at_opt(spans.get("access.expose"))
                .help("declare the port clients use under `function.endpoints`, or remove `access.expose`"),
        );
    }
    for (i, name) in expose.endpoints.iter().enumerate() {
        if !endpoints.iter().any(|e| e.name == *name) {
            diags.push(
                not_an_endpoint(spec, name, ("access.expose.endpoints", "expose"))
                    .at_opt(spans.get(&format!("access.expose.endpoints.{i}"))),
            );
        }
    }
}

/// OSS013 for `field` naming `name`, which is not one of `function.endpoints`; the help says
/// what to `verb` instead (a peer port is not for clients; else the nearest endpoint's name).
fn not_an_endpoint(spec: &Spec, name: &crate::values::PortName, (field, verb): (&str, &str)) -> Diagnostic {
    let endpoints = &spec.function.endpoints;
    let peer = spec.function.peer_ports.iter().any(|p| p.name == *name);
    let help = match (peer, did_you_mean(name.as_str(), endpoints.iter().map(|e| e.name.as_str()))) {
        (true, _) => format!("a peer port is for the service's own pods; {verb} one of `function.endpoints`"),
        (false, Some(m)) => format!("did you mean `{m}`?"),
        (false, None) => format!("name one of the endpoints: {}", endpoints.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")),
    };
    Diagnostic::error(Code::UnknownReference, format!("`{field}` names `{name}`, which is not an endpoint")).help(help)
}

/// `access.route`: it routes to one of the endpoints, and that endpoint speaks HTTP.
fn check_route(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let Some(route) = &spec.access.route else { return };
    let endpoints = &spec.function.endpoints;
    let http: Vec<&str> = endpoints.iter().filter(|e| e.app_protocol.is_some()).map(|e| e.name.as_str()).collect();
    match &route.endpoint {
        Some(name) => {
            let at = spans.get("access.route.endpoint");
            match endpoints.iter().find(|e| e.name == *name) {
                None => diags.push(not_an_endpoint(spec, name, ("access.route.endpoint", "route to")).at_opt(at)),
                Some(e) if e.app_protocol.is_none() => diags.push(
                    Diagnostic::error(Code::Inconsistent, format!("`access.route` routes HTTP to endpoint `{name}`, whose protocol the spec does not say is HTTP"))
                        .at_opt(at)
                        .help(format!(
                            "a Gateway's HTTPRoute carries HTTP only: for another protocol use `access.expose` (a LoadBalancer); if `{name}` does speak HTTP, the spec's `function.endpoints` entry says so with `appProtocol: http`"
                        )),
                ),
                Some(_) => {}
            }
        }
        None if http.len() == 1 => {}
        None => diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                if http.is_empty() {
                    "`access.route` is set, but no endpoint of the service speaks HTTP (`appProtocol`)".to_owned()
                } else {
                    format!("`access.route` does not say which endpoint it routes to, and {} speak HTTP", http.join(" and "))
                },
            )
            .at_opt(spans.get("access.route"))
            .help(if http.is_empty() {
                "a Gateway's HTTPRoute carries HTTP only: expose the service with `access.expose` (a LoadBalancer) instead".to_owned()
            } else {
                format!("name one: `endpoint: {}`", http[0])
            }),
        ),
    }
    // a route to an endpoint that serves HTTPS with TLS on is fine: ossc adds a BackendTLSPolicy
    // (oss-compile's gateway.rs), so the Gateway speaks HTTPS to it and verifies it
}

/// `runtime.dependencies`: names unique; the consumer's `access.dependencies` choose only
/// declared ones; no two keys referenced from one dependency share a variable.
fn check_dependencies(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let deps = &spec.runtime.dependencies;
    let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
    refuse_repeated_names(
        &names,
        ("dependency", "runtime.dependencies"),
        "declare each service the software needs once, with every port it uses there",
        spans,
        diags,
    );
    for name in spec.access.dependencies.keys() {
        if deps.iter().any(|d| d.name == *name) {
            continue;
        }
        let help = match (did_you_mean(name, deps.iter().map(|d| d.name.as_str())), deps.is_empty()) {
            (Some(m), _) => format!("did you mean `{m}`?"),
            (None, true) => "this service declares no `runtime.dependencies`; remove the entry".to_owned(),
            (None, false) => format!("choose one of: {}", deps.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")),
        };
        diags.push(
            Diagnostic::error(
                Code::UnknownReference,
                format!("`access.dependencies` names `{name}`, which is not a dependency of this service"),
            )
            .at_opt(spans.get(&format!("access.dependencies.{name}")))
            .help(help),
        );
    }
}

/// `function.roles`: the software can set the label (its Role may patch pods), there are
/// endpoints to select with it, and the two values differ.
fn check_roles(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    use crate::model::{ApiResource, ApiVerb};
    let Some(roles) = &spec.function.roles else { return };
    let labels_pods = spec.runtime.kubernetes_api.as_ref().is_some_and(|api| {
        api.rules
            .iter()
            .any(|r| r.resources.contains(&ApiResource::Pods) && r.verbs.iter().any(|v| matches!(v, ApiVerb::Patch | ApiVerb::Update)))
    });
    if !labels_pods {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("`function.roles` selects pods by label `{}`, and nothing may set it", roles.label))
                .at_opt(spans.get("function.roles.label"))
                .help("the software sets the label through the API: add `{resources: [pods], verbs: [get, list, watch, patch]}` to `runtime.kubernetesApi.rules`; without it no pod would ever be selected"),
        );
    }
    if spec.function.endpoints.is_empty() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`function.roles` is set, but the service has no endpoints")
                .at_opt(spans.get("function.roles"))
                .help("declare the port clients use under `function.endpoints`, or remove `function.roles`"),
        );
    }
    if roles.replica.as_deref() == Some(roles.primary.as_str()) {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("`function.roles`: the primary and the replicas are both `{}`", roles.primary))
                .at_opt(spans.get("function.roles.replica"))
                .help("give the value the software sets on replicas (Patroni: `replica`), or leave `replica` out"),
        );
    }
}

/// Suffixes of the names ossc gives a service's own objects (`<name>-peers`, ...): a component
/// named so would take the object's name.
const RESERVED_COMPONENT_NAMES: &[&str] = &[
    "peers",
    "read",
    "replicas",
    "metrics",
    "credentials",
    "binding",
    "tls",
    "tls-reload",
    "files",
    "external",
    "backup",
    "restore",
    "restored",
    "operators",
    "crt",
    "ca",
    "bootstrap",
    "availability",
    "generator",
];

/// Components: unique names that no object of the service has, their own ports, checks on
/// those ports, a data path with a size, and what they cannot take yet (TLS, several clusters).
fn check_components(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let components = &spec.runtime.components;
    for (i, c) in components.iter().enumerate() {
        let at = format!("runtime.components.{i}");
        if RESERVED_COMPONENT_NAMES.contains(&c.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::Duplicate,
                    format!("component name `{}` is the name of an object ossc makes for the service", c.name),
                )
                .at_opt(spans.get(&format!("{at}.name")))
                .help(format!(
                    "name the component after what it runs, e.g. `controller`; taken: {}",
                    RESERVED_COMPONENT_NAMES.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )),
            );
        } else if components[..i].iter().any(|o| o.name == c.name) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("component `{}` is declared twice", c.name))
                    .at_opt(spans.get(&format!("{at}.name")))
                    .help("give every component a name of its own"),
            );
        }
        for (j, p) in c.ports.iter().enumerate() {
            let path = format!("{at}.ports.{j}");
            if let Some(first) = c.ports[..j].iter().find(|o| o.name == p.name || o.port == p.port) {
                diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        format!("component `{}` declares port `{}` ({}) twice", c.name, first.name, first.port),
                    )
                    .at_opt(spans.get(&path))
                    .help("give every port of the component a name and a number of its own"),
                );
            }
        }
        for (which, check) in [("ready", Some(&c.health.ready)), ("live", Some(&c.health.live)), ("started", c.health.started.as_ref())] {
            let Some(check) = check else { continue };
            let (port, path) = match (&check.tcp, &check.http) {
                (Some(p), _) => (p, format!("{at}.health.{which}.tcp")),
                (_, Some(h)) => (&h.port, format!("{at}.health.{which}.http.port")),
                _ => continue,
            };
            if !c.ports.iter().any(|p| p.name == *port) {
                let help = match did_you_mean(port.as_str(), c.ports.iter().map(|p| p.name.as_str())) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("declare the port under `{at}.ports` (the component's own), then name it here"),
                };
                diags.push(
                    Diagnostic::error(
                        Code::UnknownReference,
                        format!("component `{}` checks port `{port}`, which it does not declare", c.name),
                    )
                    .at_opt(spans.get(&path))
                    .help(help),
                );
            }
        }
        if c.data_path.is_some() != c.storage.is_some() {
            let (has, lacks) = if c.data_path.is_some() { ("dataPath", "storage") } else { ("storage", "dataPath") };
            diags.push(
                Diagnostic::error(Code::Inconsistent, format!("component `{}` has `{has}` but no `{lacks}`", c.name))
                    .at_opt(spans.get(&format!("{at}.{has}")))
                    .help(format!(
                        "give both (`dataPath`: where its volume is mounted, `storage`: its size, e.g. `10Gi`), or remove `{has}`"
                    )),
            );
        }
        for (j, w) in c.writable.iter().enumerate() {
            let path = format!("{at}.writable.{j}");
            if c.data_path.as_ref().is_some_and(|d| d.as_str() == w.path.as_str()) || c.writable[..j].iter().any(|o| o.path == w.path) {
                diags.push(
                    Diagnostic::error(Code::Duplicate, format!("component `{}` mounts `{}` twice", c.name, w.path))
                        .at_opt(spans.get(&path))
                        .help("list a path once: under `dataPath` (kept) or `writable` (emptied at every start)"),
                );
            }
        }
    }
    if components.is_empty() {
        return;
    }
    if spec.tls_on() {
        diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                "TLS (`access.tls.enabled`) does not reach a service's components yet: their traffic would stay plain",
            )
            .at_opt(spans.get("access.tls.enabled"))
            .help("turn TLS off (`access.tls.enabled: false`); the components' traffic stays inside the service's NetworkPolicy")
            .fix(vec!["access.tls.enabled=false".to_owned()]),
        );
    }
    if spec.runtime.multi_cluster.is_some() {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`runtime.multiCluster` does not place a service's components yet")
                .at_opt(spans.get("runtime.multiCluster"))
                .help("run the service in one cluster, or remove `runtime.components`"),
        );
    }
}

/// Sidecars: unique names that are not the software's or ossc's own containers, declared
/// ports each served by one container, writable paths of their own.
fn check_sidecars(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let sidecars = &spec.runtime.sidecars;
    for (i, sc) in sidecars.iter().enumerate() {
        let at = format!("runtime.sidecars.{i}");
        let reserved = [spec.metadata.name.as_str(), "exporter", "seed-from-image"];
        if reserved.contains(&sc.name.as_str()) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("sidecar name `{}` is taken by a container ossc makes", sc.name))
                    .at_opt(spans.get(&format!("{at}.name")))
                    .help("`exporter`, `seed-from-image` and the service's name (its main container) are taken; name the sidecar after what it runs, e.g. `sentinel`"),
            );
        } else if sidecars[..i].iter().any(|o| o.name == sc.name) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("sidecar `{}` is declared twice", sc.name))
                    .at_opt(spans.get(&format!("{at}.name")))
                    .help("give every sidecar a name of its own"),
            );
        }
        for (j, port) in sc.ports.iter().enumerate() {
            let path = format!("{at}.ports.{j}");
            if !spec.ports().any(|p| p.name == *port) {
                let help = match did_you_mean(port.as_str(), spec.ports().map(|p| p.name.as_str())) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => "declare the port under `function.endpoints` (clients) or `function.peerPorts` (replicas), then name it here"
                        .to_owned(),
                };
                diags.push(
                    Diagnostic::error(Code::UnknownReference, format!("sidecar `{}` serves port `{port}`, which is not declared", sc.name))
                        .at_opt(spans.get(&path))
                        .help(help),
                );
            } else if let Some(first) = sidecars[..i].iter().find(|o| o.ports.contains(port)).or(sc.ports[..j].contains(port).then_some(sc))
            {
                diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        format!("port `{port}` is served by two containers (also sidecar `{}`)", first.name),
                    )
                    .at_opt(spans.get(&path))
                    .help("one container of the pod listens on a port; list it under one sidecar"),
                );
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for (j, w) in sc.writable.iter().enumerate() {
            let path = format!("{at}.writable.{j}");
            if w.from_image {
                diags.push(
                    Diagnostic::error(Code::Inconsistent, format!("`{path}.fromImage` is not supported on a sidecar"))
                        .at_opt(spans.get(&format!("{path}.fromImage")).or_else(|| spans.get(&path)))
                        .help("remove `fromImage`: a sidecar's writable paths start empty; have its command copy what it needs there"),
                );
            }
            if seen.contains(&w.path.as_str()) {
                diags.push(
                    Diagnostic::error(Code::Duplicate, format!("path `{}` is mounted twice in sidecar `{}`", w.path, sc.name))
                        .at_opt(spans.get(&path))
                        .help("list each writable path once"),
                );
            }
            seen.push(w.path.as_str());
        }
    }
}

/// The span of the reference at `range` of `text` (the value written at `span`): the same
/// occurrence of its text inside what was written there (a reference in a multi-line script),
/// or `span` itself when it is not found as written (an escape in a quoted string, a value from
/// an overlay's merge).
fn span_of_ref(sources: &Sources, span: Option<Span>, text: &str, range: std::ops::Range<usize>) -> Option<Span> {
    let span = span?;
    let token = &text[range.clone()];
    let occurrence = text[..range.start].matches(token).count();
    let written = sources.get(span.source).text().get(span.start..span.start + span.len)?;
    let at = written.match_indices(token).nth(occurrence).map(|(i, _)| i);
    Some(at.map_or(span, |i| Span { source: span.source, start: span.start + i, len: token.len() }))
}

fn check_references(spec: &Spec, spans: &SpanIndex, sources: &Sources, diags: &mut Diagnostics) {
    let mut templates: Vec<(String, &str)> = Vec::new();
    for (i, m) in spec.runtime.secret_mounts.iter().enumerate() {
        templates.push((format!("runtime.secretMounts.{i}.secret"), &m.secret));
    }
    // Per-cluster templates: `${cluster.*}` is filled in first, then the usual references.
    let mut cluster_templates: Vec<(String, String)> = Vec::new();
    if let Some(aa) = spec.runtime.multi_cluster.as_ref().and_then(|m| m.active_active.as_ref()) {
        for (k, v) in &aa.env {
            cluster_templates.push((
                format!("runtime.multiCluster.activeActive.env.{k}"),
                v.replace("${cluster.name}", "x").replace("${cluster.seeds}", "x"),
            ));
        }
        for (k, v) in &aa.settings {
            cluster_templates.push((
                format!("runtime.multiCluster.activeActive.settings.{k}"),
                v.replace("${cluster.name}", "x").replace("${cluster.seeds}", "x"),
            ));
        }
    }
    for (path, text) in &cluster_templates {
        templates.push((path.clone(), text));
    }
    if let Some(t) = &spec.runtime.tls {
        for (k, v) in &t.env {
            templates.push((format!("runtime.tls.env.{k}"), v));
        }
        for (k, v) in &t.binding {
            templates.push((format!("runtime.tls.binding.{k}"), v));
        }
    }
    if let Some(e) = spec.runtime.metrics.as_ref().and_then(|m| m.exporter.as_ref()) {
        for (name, v) in &e.env {
            if let EnvValue::Secret { secret_key_ref } = v {
                templates.push((format!("runtime.metrics.exporter.env.{name}.secretKeyRef.name"), &secret_key_ref.name));
            }
        }
    }
    for (key, v) in &spec.credentials {
        if let crate::model::CredentialKey::Value { value } = v {
            templates.push((format!("credentials.{key}.value"), value));
        }
    }
    if let Some(b) = &spec.function.binding {
        for (key, v) in &b.keys {
            templates.push((format!("function.binding.keys.{key}"), v));
        }
    }
    container_templates(&mut templates, "runtime", ("args", &spec.runtime.args), &spec.runtime.env);
    for (i, sc) in spec.runtime.sidecars.iter().enumerate() {
        container_templates(&mut templates, &format!("runtime.sidecars.{i}"), ("args", &sc.args), &sc.env);
    }
    for (i, c) in spec.runtime.components.iter().enumerate() {
        container_templates(&mut templates, &format!("runtime.components.{i}"), ("args", &c.args), &c.env);
    }
    for (path, tls) in spec.runtime.tls_takers() {
        for (k, v) in &tls.env {
            templates.push((format!("{path}.env.{k}"), v));
        }
    }
    for (i, step) in spec.runtime.bootstrap.iter().enumerate() {
        container_templates(&mut templates, &format!("runtime.bootstrap.{i}"), ("run", &step.run), &step.pod.env);
    }
    if let Some(b) = &spec.runtime.backup {
        container_templates(&mut templates, "runtime.backup", ("run", &b.run), &b.pod.env);
        for (what, args) in [("restore", &b.restore), ("seed", &b.seed)] {
            for (j, a) in args.iter().flatten().enumerate() {
                templates.push((format!("runtime.backup.{what}.{j}"), a));
            }
        }
    }
    for (i, file) in spec.runtime.tls.iter().flat_map(|t| &t.files).enumerate() {
        templates.push((format!("runtime.tls.files.{i}.content"), &file.content));
    }
    for (i, file) in spec.runtime.archive_files().enumerate() {
        templates.push((format!("runtime.backup.archive.files.{i}.content"), &file.content));
    }
    for (i, file) in spec.runtime.files.iter().enumerate() {
        templates.push((format!("runtime.files.{i}.content"), &file.content));
    }
    let knob_names: Vec<&str> = spec.knobs.keys().map(|k| k.as_str()).collect();
    let mut valid: Vec<String> = template::FIXED.iter().map(|(n, _)| (*n).to_owned()).collect();
    valid.extend(knob_names.iter().map(|k| format!("knobs.{k}")));
    valid.extend(
        spec.runtime
            .dependencies
            .iter()
            .flat_map(|d| ["host", "port", "username", "password", "uri"].map(|k| format!("dependencies.{}.{k}", d.name))),
    );
    valid.extend(
        spec.runtime
            .components
            .iter()
            .flat_map(|c| template::COMPONENT_FACTS.iter().map(move |(fact, _)| format!("components.{}.{fact}", c.name))),
    );
    // the variables dependency references become, with the `name.key` each stands for
    let mut dep_vars: Vec<(String, String)> = Vec::new();
    for (path, text) in templates {
        let span = spans.get(&path);
        let parts = match template::parse(text) {
            Ok(parts) => parts,
            Err(errors) => {
                for e in errors {
                    let help = if e.unknown {
                        match did_you_mean(&e.text, valid.iter().map(String::as_str)) {
                            Some(m) => format!("did you mean `${{{m}}}`?"),
                            // no dot: a shell variable, e.g. `${ZONE:-rack1}`, which ossc must pass on as it is
                            None if !e.text.contains('.') => format!(
                                "for the shell's own `${{{}}}` write `$${{{}}}` (ossc turns `$${{` into `${{` and reads no reference there); ossc's references all have a dot, e.g. `${{pod.name}}`",
                                e.text, e.text
                            ),
                            None => {
                                format!("valid references: {}", valid.iter().map(|v| format!("${{{v}}}")).collect::<Vec<_>>().join(", "))
                            }
                        }
                    } else {
                        "close the reference with `}`, or write `$${` for a literal `${`".to_owned()
                    };
                    let msg = if e.unknown {
                        format!("unknown reference `${{{}}}` in `{path}`", e.text)
                    } else {
                        format!("{} in `{path}`", e.text)
                    };
                    let at = span_of_ref(sources, span, text, e.range.clone());
                    diags.push(Diagnostic::error(Code::UnknownReference, msg).at_opt(at).help(help));
                }
                continue;
            }
        };
        for part in &parts {
            let Part::Ref(r, range) = part else { continue };
            let span = span_of_ref(sources, span, text, range.clone());
            let pod_ref = !crate::template::pod_variable(r).is_empty();
            if let Reference::Dependency(name, key) = r {
                dependency_reference(spec, (&path, span), (name, key), diags);
                let var = crate::template::dependency_variable(name, key);
                let this = format!("{name}.{key}");
                match dep_vars.iter().find(|(v, _)| *v == var) {
                    Some((_, other)) if *other != this => diags.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            format!("`${{dependencies.{this}}}` and `${{dependencies.{other}}}` would both be the variable `{var}`"),
                        )
                        .at_opt(span)
                        .help("refer to only one of the two (a binding rarely has both keys), or rename a dependency so that its name and key no longer run together"),
                    ),
                    Some(_) => {}
                    None => dep_vars.push((var, this)),
                }
            }
            if let Reference::Component(name, _) = r
                && !spec.runtime.components.iter().any(|c| c.name == *name)
            {
                let names: Vec<String> = spec.runtime.components.iter().map(|c| format!("`{}`", c.name)).collect();
                diags.push(
                    Diagnostic::error(
                        Code::UnknownReference,
                        format!("`{path}` refers to component `{name}`, which `runtime.components` does not declare"),
                    )
                    .at_opt(span)
                    .help(if names.is_empty() {
                        "declare the component under `runtime.components`, or remove the reference".to_owned()
                    } else {
                        format!("the components are {}", names.join(", "))
                    }),
                );
            }
            let kube_var = match r {
                Reference::Dependency(name, key) => crate::template::dependency_variable(name, key),
                _ => crate::template::pod_variable(r).to_owned(),
            };
            if !kube_var.is_empty()
                && let Part::Ref(_, range) = part
                && inside_shell_substitution(&text[..range.start])
            {
                let var = kube_var.as_str();
                diags.push(
                    Diagnostic::warning(
                        Code::ShellSubstitution,
                        format!("`{path}` puts `${{{}}}` inside a shell `$(...)` or `$((...))`: it becomes `$({var})`, which Kubernetes leaves there and the shell runs as a command (every replica then sees an empty value)", text[range.clone()].trim_start_matches("${").trim_end_matches('}')),
                    )
                    .at_opt(span)
                    .help(format!(
                        "give the value a variable of its own in `runtime.env` (e.g. `MY_{}: \"${{{}}}\"`) and use that in the shell: `$((MY_{} + 1))`",
                        var.trim_start_matches("OSS_"),
                        text[range.clone()].trim_start_matches("${").trim_end_matches('}'),
                        var.trim_start_matches("OSS_")
                    )),
                );
            }
            // a seed runs in each member's pod, before the software: its replica is known
            let files = path.starts_with("runtime.files.")
                || path.starts_with("runtime.tls.files.")
                || path.starts_with("runtime.backup.archive.files.");
            let in_own_pod = path.starts_with("runtime.bootstrap.")
                || (path.starts_with("runtime.backup.") && !path.starts_with("runtime.backup.seed.") && !files);
            if pod_ref && in_own_pod {
                let what = if path.starts_with("runtime.backup.") { "a backup or a restore" } else { "a bootstrap step" };
                diags.push(
                    Diagnostic::error(Code::UnknownReference, format!("`{path}` refers to a replica's pod, and {what} runs in a pod of its own"))
                        .at_opt(span)
                        .help("reach the service by its client Service, `${service.name}` (or a replica by `${service.seed}`); write `$${` for a literal `${`"),
                );
            }
            if pod_ref && files {
                diags.push(
                    Diagnostic::error(Code::UnknownReference, format!("`{path}` refers to a replica's pod, and every replica gets the same file"))
                        .at_opt(span)
                        .help("pass what differs per replica in `runtime.env` or `runtime.args` (e.g. `${pod.name}`), and have the file or the entrypoint read it from there; write `$${` for a literal `${`"),
                );
            }
            let stateful_only = matches!(
                r,
                Reference::PeersService
                    | Reference::Seed
                    | Reference::Hosts
                    | Reference::Domain
                    | Reference::PodIndex
                    | Reference::MemberUrls(_)
            );
            if let Reference::MemberUrls(port) = r
                && !spec.ports().any(|p| p.name == *port)
            {
                diags.push(
                    Diagnostic::error(Code::UnknownReference, format!("`{path}` refers to port `{port}`, which is not declared"))
                        .at_opt(span)
                        .help("name one of `function.peerPorts` or `function.endpoints`"),
                );
            }
            if *r == Reference::CredentialsSecret && spec.credentials.is_empty() {
                diags.push(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!("`{path}` names `${{service.credentials}}`, but the spec declares no `credentials`"),
                    )
                    .at_opt(span)
                    .help(
                        "declare the Secret's keys under `credentials:` (e.g. `password: {random: 32}`), so that the cluster generates it",
                    ),
                );
            }
            if *r == Reference::ReadHost && spec.function.roles.as_ref().is_none_or(|roles| roles.replica.is_none()) {
                diags.push(
                    Diagnostic::error(Code::Inconsistent, format!("`{path}` names `${{service.readHost}}`, and there is no Service of the replicas"))
                        .at_opt(span)
                        .help("declare `function.roles` with the `replica` value the software sets (its Service is `<name>-read`), or use `${service.host}`"),
                );
            }
            if stateful_only && spec.runtime.state == State::Stateless {
                diags.push(
                    Diagnostic::error(Code::UnknownReference, format!("`{path}` refers to replica identities, which a stateless service does not have"))
                        .at_opt(span)
                        .help("`${service.peers}`, `${service.seed}`, `${service.hosts}`, `${service.domain}` and `${pod.index}` need `runtime.state: stateful`"),
                );
            }
        }
        for part in parts {
            let Part::Ref(Reference::Knob(name, format), range) = part else { continue };
            let span = span_of_ref(sources, span, text, range.clone());
            match spec.knobs.get(&name) {
                None => {
                    let help = match did_you_mean(name.as_str(), knob_names.iter().copied()) {
                        Some(m) => format!("did you mean `${{knobs.{m}}}`?"),
                        None => "declare the knob under `knobs:` first".to_owned(),
                    };
                    diags.push(
                        Diagnostic::error(Code::UnknownReference, format!("`{path}` refers to knob `{name}`, which is not declared"))
                            .at_opt(span)
                            .help(help),
                    );
                }
                Some(k) if format.is_some() && k.kind != KnobType::Quantity => {
                    let f = if format == Some(QuantityFormat::Mebibytes) { "mebibytes" } else { "bytes" };
                    diags.push(
                        Diagnostic::error(Code::UnknownReference, format!("`.{f}` applies to quantity knobs, and `{name}` is not one"))
                            .at_opt(span)
                            .help(format!("write `${{knobs.{name}}}`")),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// A `${dependencies.NAME.KEY}` reference at `path`: NAME must be declared, and the reference
/// must be where the binding Secret's key can reach it (a container's variables: the software's
/// and its sidecars' env and args).
fn dependency_reference(spec: &Spec, (path, span): (&str, Option<Span>), (name, key): (&str, &str), diags: &mut Diagnostics) {
    let declared: Vec<&str> = spec.runtime.dependencies.iter().map(|d| d.name.as_str()).collect();
    if !declared.contains(&name) {
        let help = match did_you_mean(name, declared.iter().copied()) {
            Some(m) => format!("did you mean `${{dependencies.{m}.{key}}}`?"),
            None => format!("declare it first: `runtime.dependencies: [{{name: {name}, ports: [...]}}]`"),
        };
        diags.push(
            Diagnostic::error(Code::UnknownReference, format!("`{path}` refers to dependency `{name}`, which is not declared"))
                .at_opt(span)
                .help(help),
        );
    }
    let segments: Vec<&str> = path.split('.').collect();
    let container_field = match segments.as_slice() {
        ["runtime", "sidecars" | "bootstrap" | "components", _, field, ..] | ["runtime", field, ..] => {
            matches!(*field, "args" | "env" | "run")
        }
        _ => false,
    };
    if !container_field || path.ends_with(".secretKeyRef.name") {
        diags.push(
            Diagnostic::error(
                Code::UnknownReference,
                format!("`{path}` refers to `${{dependencies.{name}.{key}}}`, which reaches only the variables and arguments of the software's and its sidecars' containers and of bootstrap steps"),
            )
            .at_opt(span)
            .help(format!(
                "pass it in `runtime.env` (e.g. `{}: \"${{dependencies.{name}.{key}}}\"`) and have the file, step or entrypoint read that variable; write `$${{` for a literal `${{`",
                crate::template::dependency_variable(name, key).trim_start_matches("OSS_DEP_")
            )),
        );
    }
}

/// The templates of a container at `at`: its `args` (or a step's `run`), as `(field, list)`, and
/// its environment's plain values and Secret names.
fn container_templates<'a>(
    templates: &mut Vec<(String, &'a str)>,
    at: &str,
    args: (&str, &'a [String]),
    env: &'a indexmap::IndexMap<crate::values::EnvName, EnvValue>,
) {
    for (j, a) in args.1.iter().enumerate() {
        templates.push((format!("{at}.{}.{j}", args.0), a));
    }
    for (name, v) in env {
        match v {
            EnvValue::Value(s) => templates.push((format!("{at}.env.{name}"), s)),
            EnvValue::Secret { secret_key_ref } => templates.push((format!("{at}.env.{name}.secretKeyRef.name"), &secret_key_ref.name)),
        }
    }
}

/// Whether the end of `before` is inside a shell command or arithmetic substitution, `$(` or
/// `$((`, that has not been closed: parentheses are counted, `$(` marks a substitution.
fn inside_shell_substitution(before: &str) -> bool {
    let mut stack: Vec<bool> = Vec::new();
    let bytes = before.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' => stack.push(i > 0 && bytes[i - 1] == b'$'),
            b')' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.contains(&true)
}

/// Bootstrap steps: unique names, and a service they can reach (its endpoints).
fn check_bootstrap(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let steps = &spec.runtime.bootstrap;
    if !steps.is_empty() && spec.function.endpoints.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                "`runtime.bootstrap` needs a service with endpoints: a step reaches the service as a client does",
            )
            .at_opt(spans.get("runtime.bootstrap"))
            .help("declare the port clients use under `function.endpoints`, or remove `runtime.bootstrap`"),
        );
    }
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    refuse_repeated_names(&names, ("bootstrap step", "runtime.bootstrap"), "give every step a name of its own", spans, diags);
}

/// Backups: the consumer's `backup` needs the packager's procedure, which needs data and a
/// service to reach.
fn check_backup(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    if spec.backup.is_some() && spec.runtime.backup.is_none() {
        diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                format!("`{}` has no backup procedure (`runtime.backup`), so `backup` cannot be compiled", spec.metadata.name),
            )
            .at_opt(spans.get("backup"))
            .help("remove `backup`; `ossc catalog show NAME` says which services take backups (as the packager: add `runtime.backup`)"),
        );
    }
    if let Some(restore) = spec.backup.as_ref().and_then(|b| b.restore.as_ref()) {
        check_restore_time(spec, restore, spans, diags);
    }
    let Some(procedure) = &spec.runtime.backup else { return };
    if spec.runtime.state == State::Stateless {
        diags.push(
            Diagnostic::error(Code::Inconsistent, "`runtime.backup` on a stateless service: it keeps no data to back up")
                .at_opt(spans.get("runtime.backup"))
                .help("remove `runtime.backup`, or make the service `runtime.state: stateful`"),
        );
    }
    match (&procedure.restore, &procedure.seed) {
        (Some(_), Some(_)) => diags.push(
            Diagnostic::error(Code::Inconsistent, "`runtime.backup` has both `restore` and `seed`: a restore is one or the other")
                .at_opt(spans.get("runtime.backup.restore"))
                .help("keep one and remove the other (in an overlay: `seed: null` or `restore: null`): `restore` when the running service takes a backup back (a client's restore), `seed` when the data must be in place before it starts"),
        ),
        (None, None) => diags.push(
            Diagnostic::error(Code::MissingField, "`runtime.backup` says how to take a backup but not how to restore one")
                .at_opt(spans.get("runtime.backup"))
                .help("add `restore:` (a command that reads $OSS_BACKUP_DIR into the running service) or `seed:` (one that writes it into the data directory before the software starts)"),
        ),
        _ => {}
    }
    if procedure.seed.is_some() && spec.runtime.data_path.is_none() {
        diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                "`runtime.backup.seed` writes into the data directory, and the service has no `runtime.dataPath`",
            )
            .at_opt(spans.get("runtime.backup.seed"))
            .help("add `runtime.dataPath:` (where the data volume is mounted), or restore with `restore:` instead"),
        );
    }
    if spec.function.endpoints.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                "`runtime.backup` needs a service with endpoints: a backup reaches the service as a client does",
            )
            .at_opt(spans.get("runtime.backup"))
            .help("declare the port clients use under `function.endpoints`, or remove `runtime.backup`"),
        );
    }
}

/// A restore to a point in time needs a procedure that keeps an archive, and a backup from
/// before that point.
fn check_restore_time(spec: &Spec, restore: &crate::model::Restore, spans: &SpanIndex, diags: &mut Diagnostics) {
    let Some(time) = &restore.time else { return };
    let archives = spec.runtime.backup.as_ref().is_some_and(|b| b.archive.is_some());
    if spec.runtime.backup.is_some() && !archives {
        diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                format!("`{}` keeps no archive between its backups, so it cannot be restored to a point in time", spec.metadata.name),
            )
            .at_opt(spans.get("backup.restore.time"))
            .help("remove `time`: a restore brings back the moment a backup was taken (`backup: latest` or a backup's stamp); `ossc catalog show NAME` says which services keep an archive")
            .fix(vec!["backup.restore.time=null".to_owned()]),
        );
    }
    // a stamp is `YYYYMMDDTHHMMSSZ`, a time `YYYY-MM-DDTHH:MM:SSZ`: their digits compare
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if restore.backup != "latest" && digits(&restore.backup) > digits(time) {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("backup {} was stored after {time}, the moment to restore to", restore.backup))
                .at_opt(spans.get("backup.restore.backup"))
                .help("name a backup stored before that moment, or `latest` (the newest stored before it)")
                .fix(vec!["backup.restore.backup=latest".to_owned()]),
        );
    }
}

/// OSS012 at each name of the list at `path` that an earlier entry has already.
fn refuse_repeated_names(names: &[&str], (what, path): (&str, &str), help: &str, spans: &SpanIndex, diags: &mut Diagnostics) {
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("{what} `{name}` is declared twice"))
                    .at_opt(spans.get(&format!("{path}.{i}.name")))
                    .help(help),
            );
        }
    }
}

fn check_topology_numbers(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let replicas = spec.redundancy.replicas;
    if let crate::model::Quorum::Count(n) = spec.redundancy.quorum
        && n > replicas
    {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("quorum {n} is more than the {replicas} replicas"))
                .at_opt(spans.get("redundancy.quorum"))
                .help(format!(
                    "lower `redundancy.quorum` (`majority` is {} of {replicas}), or raise `redundancy.replicas` to at least {n}",
                    replicas / 2 + 1
                ))
                .fix(vec!["redundancy.quorum=majority".to_owned()]),
        );
    }
    if let Some(a) = &spec.scaling.autoscale
        && a.min > a.max
    {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("autoscale min {} is more than max {}", a.min, a.max))
                .at_opt(spans.get("scaling.autoscale.min"))
                .help(format!("make `min` at most `max`: raise `scaling.autoscale.max` to {} or lower `min`", a.min))
                .fix(vec![format!("scaling.autoscale.max={}", a.min)]),
        );
    }
    let up = &spec.lifecycle.upgrade;
    if up.canary > replicas {
        diags.push(
            Diagnostic::error(Code::Inconsistent, format!("canary {} is more than the {replicas} replicas", up.canary))
                .at_opt(spans.get("lifecycle.upgrade.canary"))
                .help(format!("use a canary from 1 to {replicas}"))
                .fix(vec![format!("lifecycle.upgrade.canary={replicas}")]),
        );
    }
}

fn check_writable_paths(spec: &Spec, spans: &SpanIndex, diags: &mut Diagnostics) {
    let mut seen = BTreeMap::new();
    if let Some(dp) = &spec.runtime.data_path {
        seen.insert(dp.as_str(), "runtime.dataPath".to_owned());
    }
    let mounts = spec.runtime.secret_mounts.iter().enumerate().map(|(i, m)| (format!("runtime.secretMounts.{i}"), &m.path));
    let writable = spec.runtime.writable.iter().enumerate().map(|(i, w)| (format!("runtime.writable.{i}"), &w.path));
    let volumes = spec.runtime.volumes.iter().enumerate().map(|(i, v)| (format!("runtime.volumes.{i}.path"), &v.path));
    let tls = spec.runtime.tls.iter().map(|t| ("runtime.tls.path".to_owned(), &t.path));
    for (path, dir) in volumes.chain(writable).chain(mounts).chain(tls) {
        if let Some(first) = seen.insert(dir.as_str(), path.clone()) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("path `{dir}` is mounted twice"))
                    .at_opt(spans.get(&path))
                    .label(format!("also `{first}`"))
                    .help("list each writable path once"),
            );
        }
    }
    // A file sits inside a directory (the image's, or a mounted one), never on one.
    let mut total = 0usize;
    let files = spec.runtime.files.iter().enumerate().map(|(i, f)| (format!("runtime.files.{i}.path"), f));
    let tls_files = spec.runtime.tls.iter().flat_map(|t| &t.files).enumerate().map(|(i, f)| (format!("runtime.tls.files.{i}.path"), f));
    let archive_files = spec.runtime.archive_files().enumerate().map(|(i, f)| (format!("runtime.backup.archive.files.{i}.path"), f));
    for (path, file) in files.chain(tls_files).chain(archive_files) {
        if let Some(first) = seen.insert(file.path.as_str(), path.clone()) {
            diags.push(
                Diagnostic::error(Code::Duplicate, format!("path `{}` is mounted twice", file.path))
                    .at_opt(spans.get(&path))
                    .label(format!("also `{first}`"))
                    .help("give the file a path of its own, inside the directory rather than on it (e.g. `/etc/app/app.conf`)"),
            );
        }
        total += file.content.len();
    }
    if total > MAX_FILES_BYTES {
        diags.push(
            Diagnostic::error(Code::OutOfRange, format!("`runtime.files` hold {total} bytes, more than a ConfigMap's {MAX_FILES_BYTES}"))
                .at_opt(spans.get("runtime.files"))
                .help("ship large files in the image, or split the configuration so the bundle carries only what the consumer may change"),
        );
    }
}

/// The most text `runtime.files` may hold: they become one ConfigMap, which Kubernetes limits
/// to 1 MiB with its metadata; 900 KiB leaves room for that.
pub const MAX_FILES_BYTES: usize = 900 * 1024;
