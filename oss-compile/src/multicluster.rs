//! Multi-cluster: one bundle per cluster (docs/multicluster.md).
//!
//! Owns: checking that the service supports the requested mode, and deriving each cluster's
//! spec: a standby cluster gets the service installed and stopped (a cold copy, which every
//! service supports); several active clusters need the packager's `activeActive` mode, whose
//! per-cluster knob values and variables are filled with `${cluster.name}` and
//! `${cluster.seeds}` (this cluster's seed, then the other active clusters' seed addresses), and
//! whose NetworkPolicy admits the other clusters' pod CIDRs on the peer ports.

use crate::{Bundle, Options, compile};
use oss_spec::model::{ClusterRole, ClusterSpec, EnvValue, KnobType, KnobValue, RunState};
use oss_spec::{Code, Diagnostic, Diagnostics, Loaded};

/// One cluster's bundle.
#[derive(Debug, Clone)]
pub struct ClusterBundle {
    /// Cluster name.
    pub cluster: String,
    /// Its role.
    pub role: ClusterRole,
    /// The bundle to apply there.
    pub bundle: Bundle,
}

fn fill(template: &str, cluster: &str, seeds: &str) -> String {
    template.replace("${cluster.name}", cluster).replace("${cluster.seeds}", seeds)
}

/// Builds one bundle per cluster of `clusters` (the spec's `clusters:` when empty).
///
/// # Errors
/// An unsupported mode (OSS033), a per-cluster value that does not fit its knob, and every
/// refusal of compiling a cluster's spec.
pub fn compile_clusters(loaded: &Loaded, clusters: &[ClusterSpec], options: &Options) -> Result<Vec<ClusterBundle>, Diagnostics> {
    let clusters = if clusters.is_empty() { &loaded.spec.clusters } else { clusters };
    let span = loaded.spans.nearest("clusters");
    let mut diags = Diagnostics::default();
    let active: Vec<&ClusterSpec> = clusters.iter().filter(|c| c.role == ClusterRole::Active).collect();
    let mode = loaded.spec.runtime.multi_cluster.as_ref().and_then(|m| m.active_active.as_ref());
    let mut names: Vec<&str> = clusters.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) || clusters.is_empty() {
        diags.push(
            Diagnostic::error(Code::MultiClusterUnsupported, "clusters need distinct names, and at least one")
                .at_opt(span)
                .help("name each cluster once"),
        );
        return Err(diags);
    }
    if active.len() > 1 && mode.is_none() {
        diags.push(
            Diagnostic::error(Code::MultiClusterUnsupported, format!("`{}` supports no active-active mode: it has no replication between clusters", loaded.spec.metadata.name))
                .at_opt(span)
                .help("make one cluster `active` and the others `standby` (installed and stopped: a cold copy you restore a backup into on failover)"),
        );
        return Err(diags);
    }
    let mut out = Vec::new();
    for c in clusters {
        let mut l = loaded.clone();
        let spec = &mut l.spec;
        let mut peer_cidrs = Vec::new();
        if c.role == ClusterRole::Standby {
            spec.lifecycle.state = RunState::Stopped;
        } else if let (Some(mode), true) = (mode, active.len() > 1) {
            let mut seeds = vec!["${service.seed}".to_owned()];
            for other in active.iter().filter(|o| o.name != c.name) {
                match &other.seed_address {
                    Some(a) => seeds.push(a.clone()),
                    None => diags.push(
                        Diagnostic::warning(
                            Code::MultiClusterUnsupported,
                            format!("cluster `{}` has no `seedAddress`: `{}` cannot find its peers there", other.name, c.name),
                        )
                        .at_opt(span)
                        .help("give every active cluster a `seedAddress` routable from the others"),
                    ),
                }
                if let Some(cidr) = &other.pod_cidr {
                    peer_cidrs.push(cidr.clone());
                }
            }
            let seeds = seeds.join(",");
            for (knob, template) in &mode.settings {
                let value = fill(template, &c.name, &seeds);
                match spec.knobs.get(knob) {
                    Some(k) if k.kind == KnobType::String || (k.kind == KnobType::Enum && k.values.contains(&value)) => {
                        spec.settings.insert(knob.clone(), KnobValue::String(value));
                    }
                    _ => diags.push(
                        Diagnostic::error(
                            Code::MultiClusterUnsupported,
                            format!("per-cluster setting `{knob}` = `{value}` does not fit the knob"),
                        )
                        .at_opt(loaded.spans.nearest("runtime.multiCluster"))
                        .help("per-cluster settings name string knobs (or enum knobs with a listed value)"),
                    ),
                }
            }
            for (name, template) in &mode.env {
                spec.runtime.env.insert(name.clone(), EnvValue::Value(fill(template, &c.name, &seeds)));
            }
        }
        let opts = Options { peer_cidrs, ..options.clone() };
        match compile(&l, &opts) {
            Ok(mut bundle) => {
                bundle.warnings.0.retain(|w| !diags.0.contains(w));
                out.push(ClusterBundle { cluster: c.name.clone(), role: c.role, bundle });
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if let Some(first) = out.first_mut() {
        first.bundle.warnings.extend(diags);
    }
    Ok(out)
}
