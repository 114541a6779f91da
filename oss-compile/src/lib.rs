//! Lowering: a resolved Open Service Spec to typed Kubernetes objects, emitted deterministically.
//!
//! Entry point: [`compile`]. First the derivations judge whether the topology can work (an
//! availability objective it cannot meet, an autoscaling floor below the quorum, ...), then
//! lowering builds the objects. Pure: no file, network, environment or clock access; the same
//! spec and options give the same bytes on every machine.

pub mod backup;
pub mod batch;
pub mod bootstrap;
pub mod bundle;
pub mod certificate;
pub mod component;
pub mod compose;
pub mod context;
pub mod credentials;
pub mod derive;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod gateway;
pub mod krm;
pub mod lower;
pub mod monitoring;
pub use monitoring::Monitoring;
pub mod multicluster;
pub mod patch;
pub mod pod_guard;
pub mod reload;
pub mod secret;
pub mod security;
pub mod shell;
pub mod target;

pub use bundle::{Bundle, Kind, Object};
use derive::Finding;
use derive::availability::{estimate_availability, percent, smallest_change};
use derive::disruption::{Budget, derive_disruption_budget};
use oss_spec::model::{Quorum, RunState, Spread, State, UpgradeStrategy};
use oss_spec::{Code, Diagnostic, Diagnostics, Loaded};
pub use target::Target;

/// Checks a `--namespace` value: a DNS label (lowercase letters, digits and `-`, at most 63,
/// starting and ending with a letter or digit).
///
/// # Errors
/// A sentence saying what a namespace must look like.
pub fn parse_namespace(s: &str) -> Result<String, String> {
    if oss_spec::values::is_dns_label(s) {
        Ok(s.to_owned())
    } else {
        Err("a namespace is a DNS label: lowercase letters, digits and '-', at most 63".to_owned())
    }
}

/// Checks the manifest of a Secret the consumer brings (`--secret FILE`: a Secret, SealedSecret
/// or ExternalSecret, named `name`, text `text`) against the spec: the name
/// `access.credentialsSecret` gives, the namespace the bundle uses, every credentials key. The
/// manifest is added to `loaded.sources`, where the findings point (docs/security.md).
pub fn check_secret(loaded: &mut Loaded, options: &Options, name: &str, text: &str, limits: &oss_spec::Limits) -> Diagnostics {
    let namespace = context::Context::new(&loaded.spec, options).namespace;
    secret::check(&loaded.spec, &namespace, &mut loaded.sources, name, text, limits)
}

/// How to compile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Namespace of every namespaced object. When `None`, the service gets a namespace of its
    /// own, named after it, which the bundle creates with Pod Security "restricted" enforced.
    pub namespace: Option<String>,
    /// Which monitoring objects to add: prometheus-operator's (ServiceMonitor, PrometheusRule)
    /// or GMP's (PodMonitoring, Rules). Off by default: a cluster without their CRDs refuses
    /// the whole apply, and the default output must apply to a cluster that has only built-in
    /// APIs (docs/slo.md).
    pub monitoring: monitoring::Monitoring,
    /// The cluster flavour (docs/targets.md).
    pub target: Target,
    /// Pod CIDRs of other clusters admitted on the peer ports (multi-cluster active-active).
    pub peer_cidrs: Vec<String>,
}

/// Compiles a loaded spec into a bundle; warnings travel in [`Bundle::warnings`].
///
/// # Errors
/// Every finding that makes the service impossible to run as specified.
pub fn compile(loaded: &Loaded, options: &Options) -> Result<Bundle, Diagnostics> {
    let mut diags = judgement(loaded, options);
    if diags.has_errors() {
        return Err(diags);
    }
    let cx = context::Context::new(&loaded.spec, options);
    let objects = match patch::apply(lower::lower(&cx), &loaded.spec.patches) {
        Ok(objects) => objects,
        Err(errors) => {
            for e in errors {
                let path = format!("patches.{}.{}", e.index, if e.target { "target" } else { "patch" });
                diags.push(Diagnostic::error(Code::PatchFailed, e.message).at_opt(loaded.spans.nearest(&path)).help(e.help));
            }
            return Err(diags);
        }
    };
    let mut bundle = Bundle::new(objects);
    bundle.warnings = diags;
    Ok(bundle)
}

/// The derivations' findings on the spec as a whole, located and sorted: everything `compile`
/// can refuse except a patch (lowering itself never fails).
fn judgement(loaded: &Loaded, options: &Options) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let mut findings = judge(&loaded.spec);
    if options.target.soft_spread(loaded.spec.redundancy.spread) {
        findings.push(Finding::new(
            Code::TargetDowngrade,
            "redundancy.spread",
            format!("target `{}` cannot satisfy hard spread: `spread` becomes a scheduling preference", options.target.name()),
            "fine for development on a single node; use the `generic` (or a cloud) target for clusters with several nodes and zones"
                .to_owned(),
        ));
    }
    if let Some(store) = loaded.spec.backup.as_ref().map(|b| &b.store) {
        let namespace = options.namespace.as_deref().unwrap_or(loaded.spec.metadata.name.as_str());
        if store.service == loaded.spec.metadata.name.as_str() && store.namespace() == namespace {
            findings.push(Finding::new(
                Code::Inconsistent,
                "backup.store.service",
                format!("`backup.store` is this instance itself (`{}` in namespace `{namespace}`): its backups would be lost with it, and each would hold the ones before", store.service),
                "name another object store's instance in `backup.store` (`service` and `namespace`), one that does not share this instance's disks".to_owned(),
            ));
        }
    }
    for f in findings {
        let severity_warning = matches!(f.code, Code::NoDisruptionBudget | Code::SloNotEnforced | Code::TargetDowngrade);
        let d = if severity_warning { Diagnostic::warning(f.code, f.message) } else { Diagnostic::error(f.code, f.message) };
        diags.push(d.at_opt(loaded.spans.decisive(f.path, f.involves, &loaded.sources)).help(f.help).fix(f.fix));
    }
    diags.sort();
    diags
}

/// Every finding `build` would report for this spec with these options, without emitting:
/// each of the spec's own `clusters:` is compiled when it declares any (as `build` does); a
/// spec with `patches:` is lowered and patched; any other spec needs only the judgement, since
/// lowering cannot fail. `ossc validate` gives its verdict from this, so a pre-commit check and
/// a build never disagree.
#[must_use]
pub fn findings(loaded: &Loaded, options: &Options) -> Diagnostics {
    let result = if loaded.spec.clusters.is_empty() && loaded.spec.patches.is_empty() {
        // Without patches nothing after the judgement can fail: skip lowering.
        Ok(judgement(loaded, options))
    } else if loaded.spec.clusters.is_empty() {
        compile(loaded, options).map(|b| b.warnings)
    } else {
        multicluster::compile_clusters(loaded, &[], options).map(|bundles| {
            let mut all = Diagnostics::default();
            for b in bundles {
                all.extend(b.bundle.warnings);
            }
            all.sort();
            all
        })
    };
    result.unwrap_or_else(|errors| errors)
}

/// What `ossc connect` prints for this spec and these options (docs/security.md).
#[must_use]
pub fn connect(loaded: &Loaded, options: &Options) -> String {
    credentials::connect(&context::Context::new(&loaded.spec, options))
}

/// Compiles a loaded spec into a Docker Compose file (`--target compose`).
///
/// # Errors
/// The same refusals as [`compile`].
pub fn compile_compose(loaded: &Loaded, options: &Options) -> Result<compose::ComposeFile, Diagnostics> {
    let bundle = compile(loaded, options)?;
    let cx = context::Context::new(&loaded.spec, options);
    let mut file = compose::compose(loaded, &cx);
    let mut warnings = bundle.warnings;
    warnings.extend(file.warnings.0);
    file.warnings = warnings;
    Ok(file)
}

/// Every judgement of the spec as a whole: can this topology deliver what is asked?
#[must_use]
pub fn judge(spec: &oss_spec::Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    let running = spec.lifecycle.state == RunState::Running;
    let r = &spec.redundancy;
    // The topology at its smallest: the autoscaling floor (when it is valid; a refused floor
    // would only cause follow-on findings), or the configured replicas.
    let mut replicas = r.replicas;
    if let Some(a) = &spec.scaling.autoscale {
        match derive::autoscaling::check_autoscale(a, r, &spec.runtime.scaling) {
            Ok(()) => replicas = a.min,
            Err(f) => out.push(f),
        }
    }
    let allows = |n: u32| spec.runtime.replicas.as_ref().is_none_or(|rule| rule.allows(n));
    if let Some(target) = spec.slo.availability {
        let want = f64::from(target.millionths()) / 1e6;
        let have = estimate_availability(replicas, r.quorum, r.spread);
        if have < want {
            let spread_name = |s: Spread| match s {
                Spread::None => "anywhere (spread: none)",
                Spread::Host => "on distinct nodes (spread: host)",
                Spread::Zone => "across zones (spread: zone)",
            };
            let (help, fix) = match smallest_change(replicas, r.quorum, r.spread, want, allows) {
                Some((n, s)) => {
                    let mut fix = replica_sets(spec, n);
                    if s != r.spread {
                        fix.push(format!("redundancy.spread={s}"));
                    }
                    (
                        format!(
                            "{target}% needs at least {n} replicas {} with quorum {} ({}); or lower `slo.availability` to at most {}%",
                            spread_name(s),
                            r.quorum,
                            as_yaml(&fix),
                            percent(have)
                        ),
                        fix,
                    )
                }
                None => (
                    format!(
                        "no topology with quorum {} that this service supports reaches {target}%; lower `slo.availability` to at most {}%, or relax `redundancy.quorum`",
                        r.quorum,
                        percent(have)
                    ),
                    vec![format!("slo.availability={}", percent(have))],
                ),
            };
            out.push(
                Finding::new(
                    Code::InfeasibleSlo,
                    "slo.availability",
                    format!(
                        "availability objective {target}% is more than {replicas} replica(s) {} can deliver (about {}%)",
                        spread_name(r.spread),
                        percent(have)
                    ),
                    format!("{help} (model and assumptions: docs/availability.md)"),
                )
                .fix(fix)
                .involving(TOPOLOGY),
            );
        }
    }
    // Only when the consumer can do something about it: a service that runs a single instance
    // by design says so once, in `ossc catalog show`, not on every build.
    if running
        && r.replicas > 0
        && let Budget::NoneSpare { required } = derive_disruption_budget(replicas, r.quorum)
        && let Some((n, quorum)) = spare_replica(replicas, r.quorum, allows)
    {
        let mut fix = replica_sets(spec, n);
        let help = if quorum == r.quorum {
            format!(
                "raise the replicas to {n} ({}), so that one may be down while {} keep the quorum; drains and upgrades then proceed one replica at a time",
                as_yaml(&fix),
                quorum.required(n)
            )
        } else {
            fix.push(format!("redundancy.quorum={quorum}"));
            format!(
                "with quorum `{}` no replica can ever be spared; use {}, so that drains and upgrades proceed one replica at a time",
                r.quorum,
                as_yaml(&fix)
            )
        };
        out.push(
            Finding::new(
                Code::NoDisruptionBudget,
                "redundancy.replicas",
                format!(
                    "no PodDisruptionBudget: all {required} replica(s) are needed for the quorum, so any node drain takes the service down"
                ),
                help,
            )
            .fix(fix)
            .involving(TOPOLOGY),
        );
    }
    let up = &spec.lifecycle.upgrade;
    if spec.runtime.state == State::Stateless && up.strategy != UpgradeStrategy::Rolling {
        out.push(
            Finding::new(
                Code::UnsupportedUpgrade,
                "lifecycle.upgrade.strategy",
                "`canary` and `onDelete` need a stateful service (a StatefulSet); this one is a Deployment".to_owned(),
                "use `strategy: rolling`; a Deployment replaces pods with one extra pod at a time and never goes below its replica count"
                    .to_owned(),
            )
            .fix(vec!["lifecycle.upgrade.strategy=rolling".to_owned()]),
        );
    }
    if up.strategy == UpgradeStrategy::Canary && up.canary == 0 {
        out.push(
            Finding::new(
                Code::UnsupportedUpgrade,
                "lifecycle.upgrade.canary",
                "`strategy: canary` with `canary: 0` would update no pod".to_owned(),
                "set `lifecycle.upgrade.canary` to the number of pods that take the new version first, e.g. 1".to_owned(),
            )
            .fix(vec!["lifecycle.upgrade.canary=1".to_owned()]),
        );
    }
    if spec.slo.latency.is_some() {
        out.push(Finding::new(
            Code::SloNotEnforced,
            "slo.latency",
            "`slo.latency` is recorded but not alerted on yet: ossc has no latency SLI for services".to_owned(),
            "watch the latency with the service's own metrics; ossc will derive latency alerts once specs can declare a latency SLI"
                .to_owned(),
        ));
    }
    if spec.slo.availability.is_some() && spec.runtime.metrics.is_none() {
        out.push(Finding::new(
            Code::SloNotEnforced,
            "slo.availability",
            "`slo.availability` is not measured: the service declares no `runtime.metrics`".to_owned(),
            "the packager can add `runtime.metrics` (a port, or an exporter sidecar); service alerts are emitted regardless".to_owned(),
        ));
    }
    out
}

/// The values that decide what a topology can deliver and spare.
const TOPOLOGY: &[&str] = &["redundancy.replicas", "redundancy.quorum", "redundancy.spread", "scaling.autoscale.min"];

/// `--set` arguments as the YAML a consumer writes: `` `a.b: 1`, `c: x` ``.
fn as_yaml(sets: &[String]) -> String {
    sets.iter().map(|s| format!("`{}`", s.replacen('=', ": ", 1))).collect::<Vec<_>>().join(", ")
}

/// The `--set` arguments that give the topology `n` replicas at its smallest: the autoscaling
/// floor when autoscaling is on (raising the ceiling and the replicas with it when they are
/// lower), else `redundancy.replicas`.
fn replica_sets(spec: &oss_spec::Spec, n: u32) -> Vec<String> {
    let Some(a) = &spec.scaling.autoscale else { return vec![format!("redundancy.replicas={n}")] };
    let mut sets = vec![format!("scaling.autoscale.min={n}")];
    if a.max < n {
        sets.push(format!("scaling.autoscale.max={n}"));
    }
    if spec.redundancy.replicas < n {
        sets.push(format!("redundancy.replicas={n}"));
    }
    sets
}

/// The fewest replicas (more than `replicas`, and supported by the software) that can spare one
/// under `quorum`; failing that, under a majority quorum. `None` when no supported count can.
fn spare_replica(replicas: u32, quorum: Quorum, allows: impl Fn(u32) -> bool) -> Option<(u32, Quorum)> {
    let spare = |n: u32, q: Quorum| allows(n) && matches!(derive_disruption_budget(n, q), Budget::MaxUnavailable(_));
    let upto = replicas.saturating_add(16).min(1000);
    (replicas + 1..=upto)
        .find(|&n| spare(n, quorum))
        .map(|n| (n, quorum))
        .or_else(|| (replicas.max(1)..=upto).find(|&n| spare(n, Quorum::Majority)).map(|n| (n, Quorum::Majority)))
}
