//! `ossc`, the thin command line over `oss-spec`, `oss-compile` and `oss-catalog`.
//!
//! Owns: flags, reading and writing files (through `input`), rendering diagnostics, exit codes.
//! Holds no compiler logic. Exit codes: 0 success, 1 the input has errors (diagnostics
//! printed), 2 usage or I/O error. A closed stdout (`ossc build x | head -1`) is not an error.

mod input;
mod render;
mod report;

use clap::{Parser, Subcommand};
use input::InputError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_HELP: &str = "Exit codes:\n  0  success\n  1  the input has errors (diagnostics are printed)\n  2  usage or I/O error";

/// The Open Service Spec compiler: one declarative spec in, plain Kubernetes YAML out.
#[derive(Debug, Parser)]
#[command(name = "ossc", version, about, after_help = EXIT_HELP, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile a spec into a Kubernetes bundle (multi-document YAML on stdout).
    #[command(after_help = EXIT_HELP)]
    Build {
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        build: BuildArgs,
        /// Output format on stdout: `yaml` (a multi-document stream) or `json` (a v1 List).
        #[arg(long, default_value = "yaml", value_parser = ["yaml", "json"])]
        format: String,
        /// Write one file per object and a kustomization.yaml into this directory instead.
        #[arg(long, short = 'o', value_name = "DIR")]
        output: Option<PathBuf>,
        /// Build for a cluster, `NAME=active|standby` (repeatable): one bundle each, in
        /// `DIR/NAME/` with `-o` (overrides the spec's `clusters:`).
        #[arg(long = "cluster", value_name = "NAME=ROLE", value_parser = parse_cluster)]
        clusters: Vec<oss_spec::model::ClusterSpec>,
        /// The manifest of a credentials Secret you bring (a Secret, SealedSecret or
        /// ExternalSecret; repeatable): its name, namespace and keys are checked against the
        /// spec before anything is built. Values are never read.
        #[arg(long = "secret", value_name = "FILE")]
        secrets: Vec<PathBuf>,
    },
    /// Build many specs in one call, in parallel, each into `DIR/<name>/` exactly as
    /// `ossc build SPEC -o DIR/<name>` would (a GitOps repository's whole render). A directory
    /// argument stands for every `*.yaml` under it; `--manifest` reads a repository manifest
    /// instead (services, overlays, namespaces, clusters and their targets: docs/gitops.md).
    /// Nothing is written unless every spec builds; the findings of all of them are printed
    /// together.
    #[command(after_help = EXIT_HELP)]
    Render {
        /// Spec or overlay files, directories of them, or catalog names.
        #[arg(required_unless_present = "manifest")]
        inputs: Vec<PathBuf>,
        /// A repository manifest (`kind: Repository`): what to render, for which namespace,
        /// cluster and target. Takes the place of INPUTS and of --set, --namespace, --target
        /// and --monitoring, which it sets per service.
        #[arg(long, short = 'm', value_name = "FILE", conflicts_with_all = ["inputs", "sets", "namespace", "target", "monitoring"])]
        manifest: Option<PathBuf>,
        /// Where the bundle directories go.
        #[arg(long, short = 'o', value_name = "DIR")]
        output: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
        /// Set a value in every spec (as `build --set`). Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Threads (default: the machine's cores).
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// `dirs`: each bundle as `ossc build -o` writes it, `DIR/<name>/` with one file per
        /// object and a kustomization.yaml; `files`: each bundle as one multi-document file,
        /// `DIR/<name>.yaml`, as `ossc build` prints it (13 times fewer files to write).
        #[arg(long, default_value = "dirs", value_parser = ["dirs", "files"])]
        layout: String,
    },
    /// How to connect to a service: its addresses, the binding Secret applications read, and a
    /// first command to try with the service's own client.
    Connect {
        #[command(flatten)]
        spec: SpecArgs,
        /// Namespace the service was built for (as `build --namespace`).
        #[arg(long, short = 'n', value_parser = oss_compile::parse_namespace)]
        namespace: Option<String>,
    },
    /// Check spec files and report every problem in each.
    #[command(after_help = EXIT_HELP)]
    Validate {
        /// Files to check (`-` reads standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `human` (default, on stderr), `json` or `sarif` (on stdout).
        #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif"])]
        format: String,
        /// Largest input file in bytes (default 1 MiB).
        #[arg(long, value_name = "BYTES")]
        max_bytes: Option<usize>,
        /// A credentials Secret's manifest (as `build --secret`), checked against every file.
        #[arg(long = "secret", value_name = "FILE")]
        secrets: Vec<PathBuf>,
    },
    /// Print the fully resolved spec, defaults filled in.
    #[command(after_help = EXIT_HELP)]
    Explain {
        #[command(flatten)]
        spec: SpecArgs,
        /// Instead, list every value the inputs set and where (file:line:col, or the flag).
        #[arg(long)]
        origins: bool,
        /// Instead, print the command, args and environment of every container (workload and
        /// Jobs) exactly as the bundle gives them to Kubernetes.
        #[arg(long, conflicts_with = "origins")]
        containers: bool,
        /// With --containers: the workload's values for this replica, after Kubernetes' own
        /// `$(VAR)` expansion (what the container's process really receives).
        #[arg(long, value_name = "N", requires = "containers")]
        replica: Option<u32>,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Check that a checked-in bundle (a YAML file or an `-o` directory) is what the spec
    /// builds to now; exit 1 with a diff when it is out of date.
    #[command(after_help = EXIT_HELP)]
    Check {
        /// The checked-in bundle: a YAML file, or a directory written by `build -o`.
        bundle: PathBuf,
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Say, before anything is applied, what building SPEC over an earlier bundle will do:
    /// exit 0 when every change is safe, 3 when one is rejected, destructive or unsafe.
    #[command(
        after_help = "Exit codes:\n  0  every change is safe (or only rolls pods)\n  1  the input has errors\n  2  usage or I/O error\n  3  a change is rejected by the API server, destructive or unsafe for the quorum"
    )]
    Diff {
        /// The earlier bundle: a YAML file or a directory written by `build -o`.
        #[arg(long, value_name = "OLD")]
        against: PathBuf,
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        build: BuildArgs,
        /// `human` (default) or `json`.
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
    },
    /// Print the JSON Schema of the Open Service Spec.
    Schema {
        /// The schema of an overlay (a file with `extends`): every field optional, `null`
        /// removes one, `extends` required.
        #[arg(long)]
        overlay: bool,
    },
    /// Browse the built-in catalog of services.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print a commented overlay for a catalog service, to edit and build.
    Init {
        /// Catalog name, e.g. `cassandra`.
        name: String,
    },
    /// Run as a KRM function (exec form), as kustomize (`generators:`, with
    /// `--enable-alpha-plugins --enable-exec`) and kpt call it: a ResourceList on stdin whose
    /// functionConfig is a spec; the list with the bundle's objects added on stdout. Build
    /// options are annotations of the spec: openservice.dev/namespace, openservice.dev/target,
    /// openservice.dev/monitoring (docs/gitops.md).
    #[command(after_help = EXIT_HELP)]
    Krm,
    /// Serve the app store: a local web page to browse the catalog, set knobs, preview and
    /// download bundles (docs/serve.md). Stops on Ctrl-C.
    Serve {
        /// Address to listen on. Loopback by default; port 0 picks a free port. The first line
        /// on stdout says where it listens.
        #[arg(long, default_value = "127.0.0.1:7300")]
        listen: std::net::SocketAddr,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// List every service: name, category, what it stands in for, version.
    List {
        /// `table` (default) or `json`.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Describe one service: endpoints, knobs with type, default and bounds, HA notes.
    Show {
        /// Catalog name, e.g. `cassandra`.
        name: String,
    },
}

/// How to build: the flags `build`, `check` and `diff` share.
#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// Namespace of every object. Without it the service gets a namespace of its own, named
    /// after it, created by the bundle with Pod Security "restricted" enforced.
    #[arg(long, short = 'n', value_parser = oss_compile::parse_namespace)]
    namespace: Option<String>,
    /// Add the monitoring objects of this operator: `prometheus-operator` adds a
    /// ServiceMonitor and a PrometheusRule (SLO recording rules and alerts);
    /// `google-managed-prometheus` a PodMonitoring and Rules (GKE's managed collection). Off by
    /// default, so that the output applies to a cluster with only built-in APIs.
    #[arg(long, value_name = "OPERATOR", value_parser = ["prometheus-operator", "google-managed-prometheus"])]
    monitoring: Option<String>,
    /// No monitoring objects: the default since 0.9; accepted so that older scripts still run.
    #[arg(long, hide = true, conflicts_with = "monitoring")]
    no_monitoring: bool,
    /// Cluster flavour: what must differ between clusters (docs/targets.md); `compose` (build
    /// only) emits a Docker Compose file instead of Kubernetes objects.
    #[arg(long, default_value = "generic", value_parser = ["generic", "gke", "eks", "aks", "openshift", "kind", "compose"])]
    target: String,
}

impl BuildArgs {
    fn options(&self) -> oss_compile::Options {
        let target = oss_compile::Target::from_name(&self.target).unwrap_or_default();
        let monitoring = self.monitoring.as_deref().and_then(oss_compile::monitoring::Monitoring::from_name).unwrap_or_default();
        oss_compile::Options { namespace: self.namespace.clone(), monitoring, target, peer_cidrs: Vec::new() }
    }

    fn compose(&self) -> bool {
        self.target == "compose"
    }
}

#[derive(Debug, clap::Args)]
struct SpecArgs {
    /// A spec file, or the name of a catalog service (a path that exists wins).
    spec: Option<PathBuf>,
    /// Overlay files, applied in order (the first may be the spec itself when SPEC is omitted).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Set a spec value by its dotted path, typed and checked like the file
    /// (e.g. `--set redundancy.replicas=5`). Repeatable; applied in order, after every file.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

fn parse_cluster(s: &str) -> Result<oss_spec::model::ClusterSpec, String> {
    let (name, role) = s.split_once('=').ok_or("write NAME=active or NAME=standby")?;
    let name = oss_compile::parse_namespace(name).map_err(|_| "a cluster name is a DNS label".to_owned())?;
    let role = match role {
        "active" => oss_spec::model::ClusterRole::Active,
        "standby" => oss_spec::model::ClusterRole::Standby,
        _ => return Err("the role is `active` or `standby`".to_owned()),
    };
    Ok(oss_spec::model::ClusterSpec { name, role, seed_address: None, pod_cidr: None })
}

/// How a command ended.
enum Outcome {
    Ok,
    Findings,
    Failed(String),
    /// An exit code whose message was already written.
    Exit(u8),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli.command) {
        Outcome::Ok => ExitCode::SUCCESS,
        Outcome::Findings => ExitCode::from(1),
        Outcome::Exit(code) => ExitCode::from(code),
        Outcome::Failed(msg) => {
            let _ = writeln!(std::io::stderr(), "error[{}]: {msg}", oss_spec::Code::IoError);
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Outcome {
    match command {
        Command::Connect { spec, namespace } => {
            let loaded = match load(&spec) {
                Ok(l) => l,
                Err(o) => return o,
            };
            print!("{}", oss_compile::connect(&loaded, &oss_compile::Options { namespace, ..oss_compile::Options::default() }));
            Outcome::Ok
        }
        Command::Render { manifest: Some(manifest), output, jobs, layout, .. } => {
            render_manifest(&manifest, &Layout { out: &output, files: layout == "files" }, jobs)
        }
        Command::Render { inputs, output, build, sets, jobs, manifest: None, layout } => {
            render_many(&inputs, &Layout { out: &output, files: layout == "files" }, &build, &sets, jobs)
        }
        Command::Build { spec, build, format, output, clusters, secrets } => {
            let mut loaded = match load(&spec) {
                Ok(l) => l,
                Err(o) => return o,
            };
            let compose = build.compose();
            let options = build.options();
            let found = match read_secrets(&secrets) {
                Ok(texts) => check_secrets(&mut loaded, &options, &texts),
                Err(o) => return o,
            };
            match found {
                found if found.has_errors() => {
                    // All at once: the Secret's findings and the spec's own.
                    let mut all = found;
                    all.extend(oss_compile::findings(&loaded, &options));
                    all.sort();
                    render::report(&loaded.sources, &all);
                    return Outcome::Findings;
                }
                found => render::report(&loaded.sources, &found),
            }
            if !clusters.is_empty() || !loaded.spec.clusters.is_empty() {
                if compose || format != "yaml" {
                    return Outcome::Failed(
                        "multi-cluster builds write YAML bundles (use `-o DIR` for one directory per cluster)".to_owned(),
                    );
                }
                return match oss_compile::multicluster::compile_clusters(&loaded, &clusters, &options) {
                    Ok(bundles) => {
                        for b in &bundles {
                            render::report(&loaded.sources, &b.bundle.warnings);
                        }
                        match output {
                            Some(dir) => {
                                for b in &bundles {
                                    if let Outcome::Failed(e) = write_dir(&dir.join(&b.cluster), &b.bundle.to_files()) {
                                        return Outcome::Failed(e);
                                    }
                                }
                                Outcome::Ok
                            }
                            None => {
                                let mut text = String::new();
                                for b in &bundles {
                                    let role = if b.role == oss_spec::model::ClusterRole::Active { "active" } else { "standby" };
                                    text.push_str(&format!("# cluster: {} ({role})\n", b.cluster));
                                    text.push_str(&b.bundle.to_yaml());
                                }
                                write_stdout(text.as_bytes())
                            }
                        }
                    }
                    Err(diags) => {
                        render::report(&loaded.sources, &diags);
                        Outcome::Findings
                    }
                };
            }
            if compose {
                if output.is_some() || format != "yaml" {
                    return Outcome::Failed("`--target compose` writes one YAML file to stdout; drop `-o` and `--format`".to_owned());
                }
                return match oss_compile::compile_compose(&loaded, &options) {
                    Ok(file) => {
                        render::report(&loaded.sources, &file.warnings);
                        write_stdout(file.yaml.as_bytes())
                    }
                    Err(diags) => {
                        render::report(&loaded.sources, &diags);
                        Outcome::Findings
                    }
                };
            }
            match oss_compile::compile(&loaded, &options) {
                Ok(bundle) => {
                    render::report(&loaded.sources, &bundle.warnings);
                    match (output, format.as_str()) {
                        (Some(dir), _) => write_dir(&dir, &bundle.to_files()),
                        (None, "json") => write_stdout(bundle.to_json().as_bytes()),
                        (None, _) => write_stdout(bundle.to_yaml().as_bytes()),
                    }
                }
                Err(diags) => {
                    render::report(&loaded.sources, &diags);
                    Outcome::Findings
                }
            }
        }
        Command::Explain { spec, origins, containers, replica, build } => {
            let loaded = match load(&spec) {
                Ok(l) => l,
                Err(o) => return o,
            };
            if containers {
                if build.compose() {
                    return Outcome::Failed(
                        "`explain --containers` shows Kubernetes containers; `--target compose` is for `build`".to_owned(),
                    );
                }
                let options = build.options();
                let bundle = match oss_compile::compile(&loaded, &options) {
                    Ok(b) => b,
                    Err(diags) => {
                        render::report(&loaded.sources, &diags);
                        return Outcome::Findings;
                    }
                };
                let name = loaded.spec.metadata.name.to_string();
                let replica = replica.map(|index| oss_compile::explain::Replica {
                    index,
                    pod_name: format!("{name}-{index}"),
                    namespace: options.namespace.clone().unwrap_or_else(|| name.clone()),
                });
                if let Some(r) = &replica
                    && r.index >= loaded.spec.redundancy.replicas
                {
                    return Outcome::Failed(format!(
                        "--replica {} is not a replica: the service has {} (0 to {})",
                        r.index,
                        loaded.spec.redundancy.replicas,
                        loaded.spec.redundancy.replicas.saturating_sub(1)
                    ));
                }
                return write_stdout(oss_compile::explain::containers(&bundle, replica.as_ref()).as_bytes());
            }
            if origins {
                let mut out = String::new();
                for (path, span) in loaded.spans.iter() {
                    out.push_str(&format!("{path}\t{}\n", loaded.sources.location(span)));
                }
                return write_stdout(out.as_bytes());
            }
            let value = serde_json::to_value(&loaded.spec).unwrap_or(serde_json::Value::Null);
            write_stdout(oss_compile::emit::to_yaml(&value).as_bytes())
        }
        Command::Validate { files, format, max_bytes, secrets } => validate(&files, &format, max_bytes, &secrets),
        Command::Schema { overlay: false } => write_stdout(oss_spec::schema::json_schema().as_bytes()),
        Command::Schema { overlay: true } => write_stdout(oss_spec::schema::overlay_json_schema().as_bytes()),
        Command::Diff { against, spec, build, format } => {
            if build.compose() {
                return Outcome::Failed("`diff` compares Kubernetes bundles; `--target compose` is for `build`".to_owned());
            }
            let old = match read_bundle(&against) {
                Ok(old) => old,
                Err(e) => return Outcome::Failed(e),
            };
            let loaded = match load(&spec) {
                Ok(l) => l,
                Err(o) => return o,
            };
            let new = match oss_compile::compile(&loaded, &build.options()) {
                Ok(b) => b,
                Err(diags) => {
                    render::report(&loaded.sources, &diags);
                    return Outcome::Findings;
                }
            };
            let changes = oss_compile::diff::diff(&old, &new, oss_compile::diff::Service::of(&loaded.spec));
            let blocking = changes.iter().any(|c| c.class.blocks());
            let text = if format == "json" {
                let items: Vec<serde_json::Value> = changes
                    .iter()
                    .map(|c| serde_json::json!({"object": c.object, "path": c.path, "old": c.old, "new": c.new, "class": c.class.name(), "note": c.note, "commands": c.commands}))
                    .collect();
                let mut t = serde_json::to_string_pretty(&serde_json::json!({"version": 1, "safe": !blocking, "changes": items}))
                    .unwrap_or_default();
                t.push('\n');
                t
            } else {
                let mut t = String::new();
                for c in &changes {
                    let values = match (&c.old, &c.new) {
                        (Some(a), Some(b)) => format!(": {a} -> {b}"),
                        (None, Some(b)) => format!(": (none) -> {b}"),
                        (Some(a), None) => format!(": {a} -> (none)"),
                        (None, None) => String::new(),
                    };
                    t.push_str(&format!("[{}] {} {}{values}\n    {}\n", c.class.name(), c.object, c.path, c.note));
                    for command in &c.commands {
                        t.push_str(&format!("      {command}\n"));
                    }
                }
                if changes.is_empty() {
                    t.push_str("no changes\n");
                }
                t
            };
            if let Outcome::Failed(e) = write_stdout(text.as_bytes()) {
                return Outcome::Failed(e);
            }
            if blocking { Outcome::Exit(3) } else { Outcome::Ok }
        }
        Command::Check { bundle, spec, build } => {
            if build.compose() {
                return Outcome::Failed("`check` compares Kubernetes bundles; `--target compose` is for `build`".to_owned());
            }
            let loaded = match load(&spec) {
                Ok(l) => l,
                Err(o) => return o,
            };
            match oss_compile::compile(&loaded, &build.options()) {
                Ok(fresh) => check(&bundle, &fresh),
                Err(diags) => {
                    render::report(&loaded.sources, &diags);
                    Outcome::Findings
                }
            }
        }
        Command::Catalog(c) => catalog(c),
        Command::Serve { listen } => serve(listen),
        Command::Krm => krm(),
        Command::Init { name } => match oss_catalog::get(&name) {
            Some(entry) => match entry.load(&oss_spec::Options::default()) {
                Ok(loaded) => write_stdout(oss_catalog::init_overlay(entry, &loaded).as_bytes()),
                Err(f) => Outcome::Failed(format!("catalog entry `{name}` is broken:\n{f}")),
            },
            None => Outcome::Failed(input::unknown_service(&name)),
        },
    }
}

/// Reads the spec and overlays and loads them; on failure the outcome to return (diagnostics
/// already printed).
fn load(args: &SpecArgs) -> Result<oss_spec::Loaded, Outcome> {
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut paths: Vec<&Path> = args.spec.iter().map(PathBuf::as_path).collect();
    paths.extend(args.files.iter().map(PathBuf::as_path));
    if paths.is_empty() {
        return Err(Outcome::Failed("name a spec: `ossc build SPEC` or `ossc build -f FILE`".to_owned()));
    }
    for (i, p) in paths.iter().enumerate() {
        // The first input may be a catalog name; overlays are files.
        let read = if i == 0 { input::read_spec(p) } else { input::read_file(p).map(|t| (p.display().to_string(), t)) };
        match read {
            Ok(t) => texts.push(t),
            Err(InputError::Io(e)) => return Err(Outcome::Failed(e)),
            Err(InputError::Refused(f)) => {
                render::report(&f.sources, &f.diagnostics);
                return Err(Outcome::Findings);
            }
        }
    }
    let inputs: Vec<oss_spec::Input> = texts.iter().map(|(name, text)| oss_spec::Input { name, text }).collect();
    let options = oss_spec::Options { sets: args.sets.clone(), ..oss_spec::Options::default() };
    match oss_spec::load(&inputs, &options, &input::FsResolver) {
        Ok(loaded) => {
            render::report(&loaded.sources, &loaded.warnings);
            Ok(loaded)
        }
        Err(failure) => {
            render::report(&failure.sources, &failure.diagnostics);
            Err(Outcome::Findings)
        }
    }
}

fn serve(listen: std::net::SocketAddr) -> Outcome {
    let listener = match std::net::TcpListener::bind(listen) {
        Ok(l) => l,
        Err(e) => return Outcome::Failed(format!("cannot listen on {listen}: {e}")),
    };
    let addr = listener.local_addr().unwrap_or(listen);
    if !addr.ip().is_loopback() {
        let _ = writeln!(
            std::io::stderr(),
            "warning: listening on {addr}, not loopback: anyone who can reach it can use it (there is no authentication)"
        );
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ossc serve: listening on http://{addr}/ (Ctrl-C stops)");
    let _ = out.flush();
    match oss_serve::run(listener, oss_serve::Config::default()) {
        Ok(()) => Outcome::Ok,
        Err(e) => Outcome::Failed(format!("server stopped: {e}")),
    }
}

fn catalog(command: CatalogCommand) -> Outcome {
    let all = match oss_catalog::load_all() {
        Ok(all) => all,
        Err((entry, failure)) => return Outcome::Failed(format!("catalog entry `{}` is broken:\n{failure}", entry.name)),
    };
    match command {
        CatalogCommand::List { format } if format == "json" => {
            let items: Vec<serde_json::Value> = all.iter().map(|(e, l)| oss_catalog::summary_json(e, l)).collect();
            let mut text = serde_json::to_string_pretty(&items).unwrap_or_default();
            text.push('\n');
            write_stdout(text.as_bytes())
        }
        CatalogCommand::List { .. } => write_stdout(oss_catalog::list_table(&all).as_bytes()),
        CatalogCommand::Show { name } => match all.iter().find(|(e, _)| e.name == name) {
            Some((e, l)) => write_stdout(oss_catalog::show(e, l).as_bytes()),
            None => Outcome::Failed(input::unknown_service(&name)),
        },
    }
}

/// Reads each `--secret` manifest: (display name, text); on failure the outcome to return.
fn read_secrets(files: &[PathBuf]) -> Result<Vec<(String, String)>, Outcome> {
    let mut texts = Vec::with_capacity(files.len());
    for path in files {
        match input::read_file(path) {
            Ok(text) => texts.push((path.display().to_string(), text)),
            Err(InputError::Io(e)) => return Err(Outcome::Failed(e)),
            Err(InputError::Refused(f)) => {
                render::report(&f.sources, &f.diagnostics);
                return Err(Outcome::Findings);
            }
        }
    }
    Ok(texts)
}

/// Checks each `--secret` manifest against the loaded spec; the manifests join its sources.
fn check_secrets(loaded: &mut oss_spec::Loaded, options: &oss_compile::Options, secrets: &[(String, String)]) -> oss_spec::Diagnostics {
    let mut all = oss_spec::Diagnostics::default();
    for (name, text) in secrets {
        all.extend(oss_compile::check_secret(loaded, options, name, text, &oss_spec::Limits::default()));
    }
    all
}

fn validate(files: &[PathBuf], format: &str, max_bytes: Option<usize>, secrets: &[PathBuf]) -> Outcome {
    let mut limits = oss_spec::Limits::default();
    if let Some(m) = max_bytes {
        limits.max_bytes = m;
        limits.max_scalar_bytes = limits.max_scalar_bytes.max(m);
    }
    let secret_texts = match read_secrets(secrets) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let human = format == "human";
    let mut reports = Vec::with_capacity(files.len());
    for path in files {
        let name = path.display().to_string();
        let report = match input::read_file_limited(path, limits.max_bytes) {
            Ok(text) => {
                let inputs = [oss_spec::Input { name: &name, text: &text }];
                let options = oss_spec::Options { limits, ..oss_spec::Options::default() };
                match oss_spec::load(&inputs, &options, &input::FsResolver) {
                    Ok(mut l) => {
                        // The same checks as `build` (compile included, output discarded).
                        let mut diagnostics = l.warnings.0.clone();
                        diagnostics.extend(oss_compile::findings(&l, &oss_compile::Options::default()).0);
                        diagnostics.extend(check_secrets(&mut l, &oss_compile::Options::default(), &secret_texts).0);
                        report::FileReport { file: name, sources: l.sources, diagnostics, readable: true }
                    }
                    Err(f) => report::FileReport { file: name, sources: f.sources, diagnostics: f.diagnostics.0, readable: true },
                }
            }
            Err(InputError::Refused(f)) => {
                report::FileReport { file: name, sources: f.sources, diagnostics: f.diagnostics.0, readable: true }
            }
            Err(InputError::Io(e)) => {
                if human {
                    let _ = writeln!(std::io::stderr(), "error[{}]: {e}", oss_spec::Code::IoError);
                }
                let d = oss_spec::Diagnostic::error(oss_spec::Code::IoError, e).help("check the path and its permissions");
                report::FileReport { file: name, sources: oss_spec::Sources::new(), diagnostics: vec![d], readable: false }
            }
        };
        if human && report.readable {
            render::report(&report.sources, &oss_spec::Diagnostics(report.diagnostics.clone()));
        }
        let report = if human {
            // Printed already: keep only what the summary counts, so memory stays flat over
            // thousands of files.
            let diagnostics = report.diagnostics.into_iter().filter(oss_spec::Diagnostic::is_error).take(1).collect();
            report::FileReport { file: String::new(), sources: oss_spec::Sources::new(), diagnostics, readable: report.readable }
        } else {
            report
        };
        reports.push(report);
    }
    let unread = reports.iter().filter(|r| !r.readable).count();
    let errors = reports.iter().filter(|r| r.readable && r.diagnostics.iter().any(oss_spec::Diagnostic::is_error)).count();
    let ok = files.len() - errors - unread;
    let written = match format {
        "json" => write_stdout(report::json(&reports).as_bytes()),
        "sarif" => write_stdout(report::sarif(&reports).as_bytes()),
        _ => {
            let _ = writeln!(std::io::stderr(), "{} file(s) checked: {ok} valid, {errors} with errors, {unread} unreadable", files.len());
            Outcome::Ok
        }
    };
    if let Outcome::Failed(e) = written {
        return Outcome::Failed(e);
    }
    if unread > 0 {
        if human { Outcome::Failed(format!("{unread} file(s) could not be read")) } else { Outcome::Exit(2) }
    } else if errors > 0 {
        Outcome::Findings
    } else {
        Outcome::Ok
    }
}

/// Reads an earlier bundle: a YAML stream, or the object files of a `build -o` directory.
fn read_bundle(path: &Path) -> Result<Vec<serde_json::Value>, String> {
    let mut texts = Vec::new();
    if path.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml") && p.file_name().is_some_and(|n| n != "kustomization.yaml"))
            .collect();
        names.sort();
        for n in names {
            texts.push((n.display().to_string(), std::fs::read_to_string(&n).map_err(|e| format!("cannot read `{}`: {e}", n.display()))?));
        }
    } else {
        let text = input::read_file_limited(path, 64 << 20).map_err(|e| match e {
            InputError::Io(e) => e,
            InputError::Refused(f) => f.to_string(),
        })?;
        texts.push((path.display().to_string(), text));
    }
    let mut out = Vec::new();
    for (name, text) in texts {
        out.extend(
            oss_spec::yaml::parse_objects(&text, &oss_spec::Limits::default())
                .map_err(|e| format!("`{name}` is not a YAML bundle: {e}"))?,
        );
    }
    Ok(out)
}

/// Compares a checked-in bundle with a fresh build; prints a unified diff per differing file.
fn check(path: &Path, fresh: &oss_compile::Bundle) -> Outcome {
    let mut pairs: Vec<(String, String, String)> = Vec::new(); // (name, checked in, fresh)
    if path.is_dir() {
        let want = fresh.to_files();
        let mut names: Vec<String> = want.iter().map(|(n, _)| n.clone()).collect();
        if let Ok(entries) = std::fs::read_dir(path) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.ends_with(".yaml") && !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names.sort();
        for n in names {
            let have = std::fs::read_to_string(path.join(&n)).unwrap_or_default();
            let new = want.iter().find(|(w, _)| *w == n).map(|(_, t)| t.clone()).unwrap_or_default();
            pairs.push((path.join(&n).display().to_string(), have, new));
        }
    } else {
        match input::read_file(path) {
            Ok(have) => pairs.push((path.display().to_string(), have, fresh.to_yaml())),
            Err(InputError::Io(e)) => return Outcome::Failed(e),
            Err(InputError::Refused(f)) => {
                render::report(&f.sources, &f.diagnostics);
                return Outcome::Findings;
            }
        }
    }
    let mut stale = 0;
    let mut out = String::new();
    for (name, have, new) in &pairs {
        if have != new {
            stale += 1;
            let diff = similar::TextDiff::from_lines(have, new);
            out.push_str(
                &diff.unified_diff().context_radius(3).header(&format!("{name} (checked in)"), &format!("{name} (built now)")).to_string(),
            );
        }
    }
    if stale == 0 {
        let _ = writeln!(std::io::stderr(), "{}: up to date", path.display());
        return Outcome::Ok;
    }
    let _ = write_stdout(out.as_bytes());
    let _ = writeln!(
        std::io::stderr(),
        "error: {} is out of date with its spec ({stale} file(s) differ); rebuild it with `ossc build ... {}`",
        path.display(),
        if path.is_dir() { format!("-o {}", path.display()) } else { format!("> {}", path.display()) }
    );
    Outcome::Findings
}

/// `ossc render`: every input built on its own (`oss_compile::batch`), findings printed in
/// input order, then the directories written, only when all built.
fn render_many(inputs: &[PathBuf], layout: &Layout, build: &BuildArgs, sets: &[String], jobs: Option<usize>) -> Outcome {
    let out = layout.out;
    if build.compose() {
        return Outcome::Failed("`ossc render` writes Kubernetes bundles; build `--target compose` one spec at a time".to_owned());
    }
    let found = match input::expand_inputs(inputs, out) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(e),
    };
    let mut seen: std::collections::BTreeMap<&str, &Path> = std::collections::BTreeMap::new();
    for (dir, path) in &found {
        if let Some(first) = seen.insert(dir, path) {
            return Outcome::Failed(format!(
                "`{}` and `{}` would both be written to `{}`; render them in separate calls or rename one",
                first.display(),
                path.display(),
                out.join(dir).display()
            ));
        }
    }
    let options = build.options();
    let mut planned = Vec::with_capacity(found.len());
    for (dir, path) in found {
        match input::read_spec(&path) {
            Ok(text) => {
                let job = oss_compile::batch::Job { texts: vec![text], sets: sets.to_vec(), sets_origin: None, options: options.clone() };
                planned.push((dir, Ok(job)));
            }
            Err(InputError::Io(e)) => return Outcome::Failed(e),
            Err(InputError::Refused(f)) => planned.push((dir, Err(f))),
        }
    }
    render_planned(planned, layout, jobs)
}

/// `ossc render --manifest`: the manifest's findings, then those of every spec it names that
/// cannot be read, all located in the manifest and printed together; then the builds as
/// [`render_planned`] does them.
fn render_manifest(manifest: &Path, layout: &Layout, jobs: Option<usize>) -> Outcome {
    let text = match input::read_file_limited(manifest, oss_spec::repository::LIMITS.max_bytes) {
        Ok(t) => t,
        Err(InputError::Io(e)) => return Outcome::Failed(e),
        Err(InputError::Refused(f)) => {
            render::report(&f.sources, &f.diagnostics);
            return Outcome::Findings;
        }
    };
    let targets: Vec<&'static str> = oss_compile::Target::ALL.iter().map(|(n, _)| *n).collect();
    let monitors: Vec<&'static str> = oss_compile::monitoring::Monitoring::ALL.iter().map(|(n, _)| *n).collect();
    let (sources, repo) = match oss_spec::repository::parse(&manifest.display().to_string(), &text, &targets, &monitors) {
        Ok(r) => r,
        Err(f) => {
            render::report(&f.sources, &f.diagnostics);
            return Outcome::Findings;
        }
    };
    let base = manifest.parent().unwrap_or(Path::new(""));
    let monitoring = repo.monitoring.as_deref().and_then(oss_compile::Monitoring::from_name).unwrap_or_default();
    let mut unreadable = oss_spec::Diagnostics::default();
    let mut io = false;
    let mut planned = Vec::with_capacity(repo.services.len());
    for (i, entry) in repo.services.iter().enumerate() {
        let mut texts = Vec::with_capacity(1 + entry.overlays.len());
        let mut refused = None;
        let named = std::iter::once((&entry.spec, entry.spec_span)).chain(entry.overlays.iter().map(|(o, at)| (o, *at)));
        for (k, (reference, at)) in named.enumerate() {
            match input::read_reference(base, reference, k == 0) {
                Ok(text) => texts.push(text),
                Err(InputError::Io(e)) => {
                    io = true;
                    let help = "fix the path (relative to the manifest) or name a catalog service (`ossc catalog list`)";
                    unreadable.push(oss_spec::Diagnostic::error(oss_spec::Code::IoError, e).at(at).help(help));
                }
                Err(InputError::Refused(f)) => refused = Some(f),
            }
        }
        let target = repo.target_of(entry).and_then(oss_compile::Target::from_name).unwrap_or_default();
        let options = oss_compile::Options { namespace: entry.namespace.clone(), monitoring, target, peer_cidrs: Vec::new() };
        // a bad `set` value is reported as `repo.yaml services.3.set:1:14`
        let sets_origin = Some(format!("{} services.{i}.set", manifest.display()));
        let job = oss_compile::batch::Job { texts, sets: entry.sets.clone(), sets_origin, options };
        planned.push((entry.output(), refused.map_or(Ok(job), Err)));
    }
    if !unreadable.is_empty() {
        render::report(&sources, &unreadable);
        let _ = writeln!(
            std::io::stderr(),
            "{} spec(s) or overlay(s) named in {} cannot be read; nothing built",
            unreadable.len(),
            manifest.display()
        );
        return if io { Outcome::Exit(2) } else { Outcome::Findings };
    }
    render_planned(planned, layout, jobs)
}

/// Where `ossc render` writes, and how.
struct Layout<'a> {
    out: &'a Path,
    /// One multi-document file per bundle instead of a directory.
    files: bool,
}

/// One bundle of `ossc render`, ready to write: a directory as `ossc build -o` writes it, or
/// one multi-document file (`--layout files`).
enum Output {
    Dir(PathBuf, Vec<(String, String)>),
    File(PathBuf, String),
}

/// Builds every planned job (`oss_compile::batch`, in parallel), prints the findings in plan
/// order, and writes each bundle into `out/<dir>` only when every one built. A plan whose
/// text was refused before parsing (not UTF-8, too large) carries that failure, reported with
/// the builds' findings.
fn render_planned(
    planned: Vec<(String, Result<oss_compile::batch::Job, oss_spec::Failure>)>,
    layout: &Layout,
    jobs: Option<usize>,
) -> Outcome {
    let out = layout.out;
    let threads = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let mut batch = Vec::with_capacity(planned.len());
    let mut job_dirs = Vec::with_capacity(planned.len());
    let mut refused = Vec::with_capacity(planned.len());
    for (dir, plan) in planned {
        match plan {
            Ok(job) => {
                batch.push(job);
                job_dirs.push(dir);
                refused.push(None);
            }
            Err(f) => refused.push(Some(f)),
        }
    }
    // Two passes over the specs, so that memory stays flat however many there are: the first
    // builds each and keeps only its findings; only when every spec built does the second
    // build each again and write its bundle as soon as it is built (builds are deterministic,
    // so the second pass builds what the first checked). Staging bundles on disk and moving
    // them into place instead cost 3 to 6 times the CPU in file-system work (docs/performance.md).
    let checked = oss_compile::batch::build_each(&batch, &input::FsResolver, threads, |_, built| {
        // the sources are kept only when there is something to show in them
        let sources = if built.diagnostics.is_empty() { oss_spec::Sources::new() } else { built.sources };
        (sources, built.diagnostics)
    });
    // One result per plan, in plan order: a refused text's findings, else the next build.
    let mut checked = checked.into_iter();
    let results: Vec<(oss_spec::Sources, oss_spec::Diagnostics)> =
        refused.into_iter().filter_map(|r| r.map_or_else(|| checked.next(), |f| Some((f.sources, f.diagnostics)))).collect();
    for (sources, diagnostics) in &results {
        render::report(sources, diagnostics);
    }
    let failed = results.iter().filter(|(_, d)| d.has_errors()).count();
    if failed > 0 {
        let _ = writeln!(
            std::io::stderr(),
            "{} spec(s): {} built, {failed} with errors; nothing written",
            results.len(),
            results.len() - failed
        );
        return Outcome::Findings;
    }
    // The second pass builds on every thread, but one thread writes: on this project's
    // machines, two threads creating files at once cost five times the kernel time of one
    // (1000 services: 6.6 s of system time against 1.2 s). A bounded channel between them
    // keeps at most a few bundles in memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Output>>(threads * 2);
    let written = std::thread::scope(|s| {
        s.spawn(move || {
            oss_compile::batch::build_each(&batch, &input::FsResolver, threads, |i, built| {
                let outputs = built
                    .bundles
                    .iter()
                    .map(|(cluster, bundle)| {
                        let target = match cluster {
                            Some(c) => out.join(&job_dirs[i]).join(c),
                            None => out.join(&job_dirs[i]),
                        };
                        if layout.files {
                            // appended, not `with_extension`: a name may hold dots of its own
                            let mut file = target.into_os_string();
                            file.push(".yaml");
                            Output::File(PathBuf::from(file), bundle.to_yaml())
                        } else {
                            Output::Dir(target, bundle.to_files())
                        }
                    })
                    .collect();
                // the writer stops taking only after a write failed; the rest is then moot
                let _ = tx.send(outputs);
            })
        });
        let mut result = Outcome::Ok;
        for outputs in rx {
            for output in outputs {
                if matches!(result, Outcome::Ok) {
                    result = match output {
                        Output::Dir(dir, files) => write_dir(&dir, &files),
                        Output::File(file, text) => write_file(&file, &text),
                    };
                }
            }
        }
        result
    });
    if !matches!(written, Outcome::Ok) {
        return written;
    }
    let _ = writeln!(std::io::stderr(), "{} spec(s) rendered into {}", results.len(), out.display());
    Outcome::Ok
}

/// Writes a file, making its directory first.
fn write_file(file: &Path, text: &str) -> Outcome {
    match std::fs::create_dir_all(file.parent().unwrap_or(Path::new("."))).and_then(|()| std::fs::write(file, text)) {
        Ok(()) => Outcome::Ok,
        Err(e) => Outcome::Failed(format!("cannot write `{}`: {e}", file.display())),
    }
}

/// `ossc krm`: one KRM function call. The spec is built exactly as `ossc build` builds it;
/// findings go to stderr (kustomize shows them) with exit 1.
fn krm() -> Outcome {
    // a ResourceList may be as large as a repository manifest
    let limits = oss_spec::repository::LIMITS;
    let text = match input::read_file_limited(Path::new("-"), limits.max_bytes) {
        Ok(t) => t,
        Err(InputError::Io(e)) => return Outcome::Failed(e),
        Err(InputError::Refused(f)) => {
            render::report(&f.sources, &f.diagnostics);
            return Outcome::Findings;
        }
    };
    let list = match oss_spec::yaml::parse_objects(&text, &limits) {
        Ok(mut docs) if docs.len() == 1 => docs.remove(0),
        Ok(docs) => return Outcome::Failed(format!("ossc krm reads one ResourceList on stdin, got {} documents", docs.len())),
        Err(e) => return Outcome::Failed(format!("ossc krm: stdin is not a YAML ResourceList: {e}")),
    };
    let call = match oss_compile::krm::read(list) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("ossc krm: {e}")),
    };
    let job =
        oss_compile::batch::Job { texts: vec![("functionConfig".to_owned(), call.spec)], options: call.options, ..Default::default() };
    let built = oss_compile::batch::build_one(&job, &input::FsResolver);
    render::report(&built.sources, &built.diagnostics);
    if built.failed() {
        return Outcome::Findings;
    }
    match &built.bundles[..] {
        [(None, bundle)] => write_stdout(oss_compile::krm::write(call.items, bundle).as_bytes()),
        _ => Outcome::Failed(
            "ossc krm builds one bundle; a spec with `clusters:` is rendered with `ossc render` or `ossc build -o`".to_owned(),
        ),
    }
}

/// Writes a bundle directory, replacing what an earlier build wrote there (numbered object
/// files and kustomization.yaml) and leaving anything else alone.
fn write_dir(dir: &Path, files: &[(String, String)]) -> Outcome {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return Outcome::Failed(format!("cannot create `{}`: {e}", dir.display()));
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let generated = name == "kustomization.yaml"
                || (name.ends_with(".yaml")
                    && name.split('-').next().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())));
            if generated {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for (name, text) in files {
        if let Err(e) = std::fs::write(dir.join(name), text) {
            return Outcome::Failed(format!("cannot write `{}`: {e}", dir.join(name).display()));
        }
    }
    Outcome::Ok
}

fn write_stdout(bytes: &[u8]) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Ok,
        Err(e) => Outcome::Failed(format!("cannot write to stdout: {e}")),
    }
}
