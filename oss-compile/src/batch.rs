//! Many builds in one call, spread over threads: what a GitOps repository of hundreds of
//! services needs (`ossc render`, docs/performance.md).
//!
//! Owns only the fan-out: each job is exactly `oss_spec::load` then [`crate::compile`] (or
//! [`crate::multicluster::compile_clusters`]), the calls a single `ossc build` makes, so a
//! job's bundle is byte-identical to the one-spec build. Results come back in job order,
//! whatever thread built them, so the caller's output and its diagnostics are deterministic.
//! No file I/O: inputs are texts, and `extends` goes through the caller's [`Resolver`].

use crate::{Bundle, Options};
use oss_spec::{Diagnostics, Input, Resolver, Sources};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One build: the spec and its overlays (as `ossc build SPEC -f OVERLAY...`), the `--set`
/// values, and how to build.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// `(display name, text)` of the spec, then of each overlay, in order.
    pub texts: Vec<(String, String)>,
    /// `--set PATH=VALUE`, applied after every text.
    pub sets: Vec<String>,
    /// What findings in `sets` are reported under (default `--set`).
    pub sets_origin: Option<String>,
    /// Namespace, target, monitoring.
    pub options: Options,
}

/// What became of one job.
#[derive(Debug)]
pub struct Built {
    /// Every input the job read (for rendering its diagnostics).
    pub sources: Sources,
    /// Warnings of a build that succeeded, or every finding of one that did not.
    pub diagnostics: Diagnostics,
    /// The bundles: one, or one per cluster for a spec with `clusters:` (named after them).
    /// Empty when the job has errors.
    pub bundles: Vec<(Option<String>, Bundle)>,
}

impl From<oss_spec::Failure> for Built {
    /// A job whose spec did not load (or whose text was refused before it): its findings only.
    fn from(f: oss_spec::Failure) -> Self {
        Self { sources: f.sources, diagnostics: f.diagnostics, bundles: Vec::new() }
    }
}

impl Built {
    /// Whether the job failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// Builds one job: the same calls, in the same order, as a single `ossc build`.
#[must_use]
pub fn build_one(job: &Job, resolver: &dyn Resolver) -> Built {
    let inputs: Vec<Input> = job.texts.iter().map(|(name, text)| Input { name, text }).collect();
    let spec_options = oss_spec::Options { sets: job.sets.clone(), sets_origin: job.sets_origin.clone(), ..oss_spec::Options::default() };
    let loaded = match oss_spec::load(&inputs, &spec_options, resolver) {
        Ok(l) => l,
        Err(f) => return f.into(),
    };
    let mut diagnostics = loaded.warnings.clone();
    let bundles = if loaded.spec.clusters.is_empty() {
        match crate::compile(&loaded, &job.options) {
            Ok(b) => {
                diagnostics.extend(b.warnings.clone());
                vec![(None, b)]
            }
            Err(d) => {
                diagnostics.extend(d);
                Vec::new()
            }
        }
    } else {
        match crate::multicluster::compile_clusters(&loaded, &[], &job.options) {
            Ok(all) => all
                .into_iter()
                .map(|c| {
                    diagnostics.extend(c.bundle.warnings.clone());
                    (Some(c.cluster), c.bundle)
                })
                .collect(),
            Err(d) => {
                diagnostics.extend(d);
                Vec::new()
            }
        }
    };
    Built { sources: loaded.sources, diagnostics, bundles }
}

/// Builds every job on up to `threads` threads (at least one) and returns the results in job
/// order. Threads take the next job as they finish one, so a slow spec does not hold a chunk
/// of others back.
#[must_use]
pub fn build_all(jobs: &[Job], resolver: &(dyn Resolver + Sync), threads: usize) -> Vec<Built> {
    build_each(jobs, resolver, threads, |_, built| built)
}

/// [`build_all`], handing each result to `then` on the thread that built it, as soon as it is
/// built; what `then` returns comes back in job order. A caller that writes each bundle out
/// in `then` and keeps only a summary holds one bundle per thread at a time, not all of them
/// (`ossc render`: flat memory however large the repository).
pub fn build_each<T: Send>(
    jobs: &[Job],
    resolver: &(dyn Resolver + Sync),
    threads: usize,
    then: impl Fn(usize, Built) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        return jobs.iter().enumerate().map(|(i, j)| then(i, build_one(j, resolver))).collect();
    }
    let next = AtomicUsize::new(0);
    // Each thread keeps what it built with the job's index; one sort puts them back in order.
    let then = &then;
    let mut done: Vec<(usize, T)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break mine };
                        mine.push((i, then(i, build_one(job, resolver))));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, b)| b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "apiVersion: openservice.dev/v1alpha1\nkind: Service\nmetadata: {name: web, version: \"1\"}\nfunction:\n  category: other\n  endpoints: [{name: http, port: 8080}]\nruntime:\n  image: docker.io/library/nginx:1.27\n  state: stateless\n  user: 101\n  health:\n    ready: {http: {port: http, path: /}}\n    live: {tcp: http}\n";

    fn job(name: &str, sets: &[&str]) -> Job {
        Job {
            texts: vec![(format!("{name}.yaml"), SPEC.to_owned())],
            sets: sets.iter().map(|s| (*s).to_owned()).collect(),
            sets_origin: None,
            options: Options::default(),
        }
    }

    #[test]
    fn results_keep_job_order_and_match_single_builds() {
        let jobs: Vec<Job> = (0..40).map(|i| job(&format!("s{i}"), &[&format!("metadata.name=web{i}")])).collect();
        let many = build_all(&jobs, &oss_spec::NoResolver, 3);
        assert_eq!(many.len(), 40);
        for (i, (j, b)) in jobs.iter().zip(&many).enumerate() {
            assert!(!b.failed(), "{i}: {:?}", b.diagnostics);
            let one = build_one(j, &oss_spec::NoResolver);
            assert_eq!(b.bundles[0].1.to_yaml(), one.bundles[0].1.to_yaml(), "job {i}");
            assert!(b.bundles[0].1.to_yaml().contains(&format!("name: web{i}\n")));
        }
    }

    #[test]
    fn every_failing_job_reports_its_own_findings() {
        let jobs = vec![job("a", &["redundancy.replicas=0"]), job("b", &[]), job("c", &["capacity.cpu=lots"])];
        let built = build_all(&jobs, &oss_spec::NoResolver, 2);
        assert!(built[0].failed() && !built[1].failed() && built[2].failed());
        assert!(built[0].bundles.is_empty() && built[1].bundles.len() == 1);
        assert!(built[2].diagnostics.iter().any(|d| d.message.contains("`lots`")), "{:?}", built[2].diagnostics);
    }

    #[test]
    fn each_result_is_handed_over_with_its_index_and_comes_back_in_order() {
        let jobs: Vec<Job> = (0..25).map(|i| job(&format!("s{i}"), &[&format!("metadata.name=web{i}")])).collect();
        for threads in [1, 3] {
            let names = build_each(&jobs, &oss_spec::NoResolver, threads, |i, b| {
                (i, b.bundles[0].1.objects().first().map(|o| o.name().to_owned()))
            });
            for (i, (index, ns)) in names.iter().enumerate() {
                assert_eq!((*index, ns.as_deref()), (i, Some(format!("web{i}").as_str())));
            }
        }
    }

    #[test]
    fn no_jobs_and_one_thread() {
        assert!(build_all(&[], &oss_spec::NoResolver, 4).is_empty());
        assert_eq!(build_all(&[job("a", &[])], &oss_spec::NoResolver, 0).len(), 1);
    }
}
