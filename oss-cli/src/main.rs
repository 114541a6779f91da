//! `ossc`, the thin command line over `oss-spec` and `oss-compile`.
//!
//! Owns: flags, reading files, writing stdout, rendering diagnostics, exit codes. Holds no
//! compiler logic. Exit codes: 0 success, 1 the input has errors (diagnostics printed), 2 usage
//! or I/O error. A closed stdout (`ossc build x | head -1`) is not an error.

mod render;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
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
        /// A spec file, or the name of a catalog service (a path that exists wins).
        spec: PathBuf,
        #[command(flatten)]
        common: SpecArgs,
        /// Namespace of every object. Without it the service gets a namespace of its own, named
        /// after it, created by the bundle with Pod Security "restricted" enforced.
        #[arg(long, short = 'n', value_parser = parse_namespace)]
        namespace: Option<String>,
        /// Leave out ServiceMonitor and PrometheusRule, for clusters without the
        /// prometheus-operator CRDs.
        #[arg(long)]
        no_monitoring: bool,
    },
    /// Check spec files and report every problem in each.
    #[command(after_help = EXIT_HELP)]
    Validate {
        /// Files to check (`-` reads standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the fully resolved spec, defaults filled in.
    #[command(after_help = EXIT_HELP)]
    Explain {
        /// A spec file, or the name of a catalog service (a path that exists wins).
        spec: PathBuf,
        #[command(flatten)]
        common: SpecArgs,
    },
    /// Print the JSON Schema of the Open Service Spec.
    Schema,
    /// Browse the built-in catalog of services.
    #[command(subcommand)]
    Catalog(CatalogCommand),
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

#[derive(Debug, clap::Args)]
struct SpecArgs {
    /// Set a spec value by its dotted path, typed and checked like the file
    /// (e.g. `--set redundancy.replicas=5`). Repeatable; applied in order after the file.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

fn parse_namespace(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok { Ok(s.to_owned()) } else { Err("a namespace is a DNS label: lowercase letters, digits and '-', at most 63".to_owned()) }
}

/// How a command ended.
enum Outcome {
    Ok,
    Findings,
    Failed(String),
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
        Outcome::Failed(msg) => {
            let _ = writeln!(std::io::stderr(), "error[{}]: {msg}", oss_spec::Code::IoError);
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Outcome {
    match command {
        Command::Build { spec, common, namespace, no_monitoring } => {
            let Some(loaded) = load(&spec, &common) else { return Outcome::Findings };
            let Ok(loaded) = loaded else { return loaded.err().map_or(Outcome::Findings, Outcome::Failed) };
            let options = oss_compile::Options { namespace, no_monitoring };
            match oss_compile::compile(&loaded, &options) {
                Ok(bundle) => {
                    render::report(&loaded.sources, &bundle.warnings);
                    write_stdout(bundle.to_yaml().as_bytes())
                }
                Err(diags) => {
                    render::report(&loaded.sources, &diags);
                    Outcome::Findings
                }
            }
        }
        Command::Explain { spec, common } => {
            let Some(loaded) = load(&spec, &common) else { return Outcome::Findings };
            let Ok(loaded) = loaded else { return loaded.err().map_or(Outcome::Findings, Outcome::Failed) };
            let value = serde_json_value(&loaded.spec);
            write_stdout(oss_compile::emit::to_yaml(&value).as_bytes())
        }
        Command::Validate { files } => validate(&files),
        Command::Schema => write_stdout(oss_spec::schema::json_schema().as_bytes()),
        Command::Catalog(c) => catalog(c),
    }
}

fn catalog(command: CatalogCommand) -> Outcome {
    let all = match oss_catalog::load_all() {
        Ok(all) => all,
        Err((entry, failure)) => return Outcome::Failed(format!("catalog entry `{}` is broken:\n{failure}", entry.name)),
    };
    match command {
        CatalogCommand::List { format } if format == "json" => {
            let items: Vec<serde_json::Value> = all
                .iter()
                .map(|(e, l)| {
                    let s = &l.spec;
                    serde_json::json!({
                        "name": e.name,
                        "title": s.metadata.title,
                        "category": oss_catalog::category_name(s.function.category),
                        "standsInFor": s.function.stands_in_for,
                        "version": s.metadata.version,
                        "image": s.runtime.image.as_str(),
                        "description": s.metadata.description,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&items).unwrap_or_default();
            text.push('\n');
            write_stdout(text.as_bytes())
        }
        CatalogCommand::List { .. } => write_stdout(oss_catalog::list_table(&all).as_bytes()),
        CatalogCommand::Show { name } => match all.iter().find(|(e, _)| e.name == name) {
            Some((e, l)) => write_stdout(oss_catalog::show(e, l).as_bytes()),
            None => Outcome::Failed(unknown_service(&name)),
        },
    }
}

fn unknown_service(name: &str) -> String {
    match oss_catalog::suggest(name) {
        Some(s) => format!("no catalog service `{name}`; did you mean `{s}`? (`ossc catalog list` lists them)"),
        None => format!("no catalog service `{name}` (`ossc catalog list` lists them)"),
    }
}

fn serde_json_value(spec: &oss_spec::Spec) -> serde_json::Value {
    serde_json::to_value(spec).unwrap_or(serde_json::Value::Null)
}

/// Reads and parses a spec; `None` when it had errors (already printed), `Some(Err)` on I/O.
fn load(path: &std::path::Path, common: &SpecArgs) -> Option<Result<oss_spec::Loaded, String>> {
    let mut name = path.display().to_string();
    // A path that exists wins; otherwise a bare name is looked up in the catalog.
    let catalog_entry = (!path.exists() && path.components().count() == 1).then(|| oss_catalog::get(&name)).flatten();
    if catalog_entry.is_none() && !path.exists() && path.components().count() == 1 && path.extension().is_none() {
        return Some(Err(format!("cannot read `{name}`: no such file, and {}", unknown_service(&name))));
    }
    let read = match catalog_entry {
        Some(entry) => {
            name = format!("catalog:{}", entry.name);
            Ok(Input::Text(entry.text.to_owned()))
        }
        None => read_input(path),
    };
    let text = match read {
        Ok(Input::Text(t)) => t,
        Ok(Input::Refused(failure)) => {
            render::report(&failure.sources, &failure.diagnostics);
            return None;
        }
        Err(e) => return Some(Err(e)),
    };
    let options = oss_spec::Options { sets: common.sets.clone(), ..oss_spec::Options::default() };
    match oss_spec::parse_with(&name, &text, &options) {
        Ok(loaded) => {
            if !loaded.warnings.is_empty() {
                render::report(&loaded.sources, &loaded.warnings);
            }
            Some(Ok(loaded))
        }
        Err(failure) => {
            render::report(&failure.sources, &failure.diagnostics);
            None
        }
    }
}

enum Input {
    Text(String),
    Refused(oss_spec::Failure),
}

/// Reads a file (or stdin for `-`), refusing what is too large or not UTF-8 with a located
/// diagnostic rather than an I/O error.
fn read_input(path: &std::path::Path) -> Result<Input, String> {
    use std::io::Read;
    let limit = oss_spec::Limits::default().max_bytes;
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut bytes)
    } else {
        match std::fs::File::open(path) {
            Ok(f) => {
                if f.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(format!("cannot read `{name}`: it is a directory"));
                }
                f.take(limit as u64 + 1).read_to_end(&mut bytes)
            }
            Err(e) => return Err(format!("cannot read `{name}`: {e}")),
        }
    };
    read.map_err(|e| format!("cannot read `{name}`: {e}"))?;
    match oss_spec::decode_text(&name, bytes, limit) {
        Ok(text) => Ok(Input::Text(text)),
        Err(failure) => Ok(Input::Refused(failure)),
    }
}

fn validate(files: &[PathBuf]) -> Outcome {
    let mut errors = 0usize;
    let mut unread = 0usize;
    for path in files {
        let name = path.display().to_string();
        let text = match read_input(path) {
            Ok(Input::Text(t)) => t,
            Ok(Input::Refused(failure)) => {
                render::report(&failure.sources, &failure.diagnostics);
                errors += 1;
                continue;
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error[{}]: {e}", oss_spec::Code::IoError);
                unread += 1;
                continue;
            }
        };
        match oss_spec::parse(&name, &text) {
            Ok(loaded) => render::report(&loaded.sources, &loaded.warnings),
            Err(failure) => {
                render::report(&failure.sources, &failure.diagnostics);
                errors += 1;
            }
        }
    }
    let ok = files.len() - errors - unread;
    let _ = writeln!(std::io::stderr(), "{} file(s) checked: {ok} valid, {errors} with errors, {unread} unreadable", files.len());
    if unread > 0 {
        Outcome::Failed(format!("{unread} file(s) could not be read"))
    } else if errors > 0 {
        Outcome::Findings
    } else {
        Outcome::Ok
    }
}

fn write_stdout(bytes: &[u8]) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Ok,
        Err(e) => Outcome::Failed(format!("cannot write to stdout: {e}")),
    }
}
