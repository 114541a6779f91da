//! Lowering: a resolved Open Service Spec to typed Kubernetes objects, emitted deterministically.
//!
//! Entry point: [`compile`]. First the derivations judge whether the topology can work (an
//! availability objective it cannot meet, an autoscaling floor below the quorum, ...), then
//! lowering builds the objects. Pure: no file, network, environment or clock access; the same
//! spec and options give the same bytes on every machine.

pub mod bundle;
pub mod compose;
pub mod context;
pub mod derive;
pub mod diff;
pub mod emit;
pub mod lower;
pub mod monitoring;
pub mod multicluster;
pub mod patch;
pub mod security;
pub mod target;

pub use bundle::{Bundle, Kind, Object};
use derive::Finding;
use derive::availability::{estimate_availability, percent, smallest_change};
use derive::disruption::{Budget, derive_disruption_budget};
use oss_spec::model::{RunState, Spread, State, UpgradeStrategy};
use oss_spec::{Code, Diagnostic, Diagnostics, Loaded};
pub use target::Target;

/// Checks a `--namespace` value: a DNS label (lowercase letters, digits and `-`, at most 63,
/// starting and ending with a letter or digit).
///
/// # Errors
/// A sentence saying what a namespace must look like.
pub fn parse_namespace(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok { Ok(s.to_owned()) } else { Err("a namespace is a DNS label: lowercase letters, digits and '-', at most 63".to_owned()) }
}

/// How to compile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Namespace of every namespaced object. When `None`, the service gets a namespace of its
    /// own, named after it, which the bundle creates with Pod Security "restricted" enforced.
    pub namespace: Option<String>,
    /// Leave out the prometheus-operator objects (ServiceMonitor, PrometheusRule), for clusters
    /// without their CRDs.
    pub no_monitoring: bool,
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
    for f in findings {
        let severity_warning = matches!(f.code, Code::NoDisruptionBudget | Code::SloNotEnforced | Code::TargetDowngrade);
        let d = if severity_warning { Diagnostic::warning(f.code, f.message) } else { Diagnostic::error(f.code, f.message) };
        diags.push(d.at_opt(loaded.spans.nearest(f.path)).help(f.help));
    }
    diags.sort();
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
    if let Some(target) = spec.slo.availability {
        let want = f64::from(target.millionths()) / 1e6;
        let have = estimate_availability(replicas, r.quorum, r.spread);
        if have < want {
            let spread_name = |s: Spread| match s {
                Spread::None => "anywhere (spread: none)",
                Spread::Host => "on distinct nodes (spread: host)",
                Spread::Zone => "across zones (spread: zone)",
            };
            let help = match smallest_change(replicas, r.quorum, r.spread, want) {
                Some((n, s)) => format!(
                    "{target}% needs at least {n} replicas {} with quorum {}; or lower `slo.availability` to at most {}%",
                    spread_name(s),
                    r.quorum,
                    percent(have)
                ),
                None => {
                    format!("no topology with quorum {} reaches {target}%; relax `redundancy.quorum` or lower `slo.availability`", r.quorum)
                }
            };
            out.push(Finding::new(
                Code::InfeasibleSlo,
                "slo.availability",
                format!(
                    "availability objective {target}% is more than {replicas} replica(s) {} can deliver (about {}%)",
                    spread_name(r.spread),
                    percent(have)
                ),
                format!("{help} (model and assumptions: docs/availability.md)"),
            ));
        }
    }
    if running
        && r.replicas > 0
        && let Budget::NoneSpare { required } = derive_disruption_budget(replicas, r.quorum)
    {
        out.push(Finding::new(
            Code::NoDisruptionBudget,
            "redundancy.replicas",
            format!(
                "no PodDisruptionBudget: all {required} replica(s) are needed for the quorum, so any node drain takes the service down"
            ),
            match &spec.runtime.replicas {
                Some(rule) if !rule.allows(replicas + 1) => {
                    format!("this service runs with at most {} replica(s) ({}); a drain or upgrade restarts it", rule.max, rule.reason)
                }
                _ => format!(
                    "add a replica (`redundancy.replicas: {}`) to let drains and upgrades proceed one replica at a time",
                    replicas + 1
                ),
            },
        ));
    }
    let up = &spec.lifecycle.upgrade;
    if spec.runtime.state == State::Stateless && up.strategy != UpgradeStrategy::Rolling {
        out.push(Finding::new(
            Code::UnsupportedUpgrade,
            "lifecycle.upgrade.strategy",
            "`canary` and `onDelete` need a stateful service (a StatefulSet); this one is a Deployment".to_owned(),
            "use `strategy: rolling`; a Deployment replaces pods with one extra pod at a time and never goes below its replica count"
                .to_owned(),
        ));
    }
    if up.strategy == UpgradeStrategy::Canary && up.canary == 0 {
        out.push(Finding::new(
            Code::UnsupportedUpgrade,
            "lifecycle.upgrade.canary",
            "`strategy: canary` with `canary: 0` would update no pod".to_owned(),
            "set `lifecycle.upgrade.canary` to the number of pods that take the new version first, e.g. 1".to_owned(),
        ));
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
