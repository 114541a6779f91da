//! Reading inputs: spec files, catalog names, `-` for stdin, and the file-system resolver for
//! `extends:`. All file access of ossc happens here.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an input could not be had.
pub enum InputError {
    /// I/O or usage (exit 2).
    Io(String),
    /// The bytes were refused with a located diagnostic (exit 1).
    Refused(oss_spec::Failure),
}

/// Reads a file (or stdin for `-`), size-limited and UTF-8 checked.
pub fn read_file(path: &Path) -> Result<String, InputError> {
    read_file_limited(path, oss_spec::Limits::default().max_bytes)
}

/// [`read_file`] with another size limit.
pub fn read_file_limited(path: &Path, limit: usize) -> Result<String, InputError> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut bytes)
    } else {
        match std::fs::File::open(path) {
            Ok(f) => {
                if f.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(InputError::Io(format!("cannot read `{name}`: it is a directory")));
                }
                f.take(limit as u64 + 1).read_to_end(&mut bytes)
            }
            Err(e) => return Err(InputError::Io(format!("cannot read `{name}`: {e}"))),
        }
    };
    read.map_err(|e| InputError::Io(format!("cannot read `{name}`: {e}")))?;
    oss_spec::decode_text(&name, bytes, limit).map_err(InputError::Refused)
}

/// "no catalog service" with a suggestion.
pub fn unknown_service(name: &str) -> String {
    oss_catalog::unknown(name, "`ossc catalog list` lists them")
}

/// A catalog entry's display name (`catalog:NAME`) and text.
fn catalog_spec(name: &str) -> Option<(String, String)> {
    oss_catalog::get(name).map(|e| (format!("catalog:{}", e.name), e.text.to_owned()))
}

/// A spec argument: a path that exists wins; else a bare name is a catalog entry.
pub fn read_spec(path: &Path) -> Result<(String, String), InputError> {
    let name = path.display().to_string();
    let bare = path.components().count() == 1 && path.extension().is_none() && name != "-";
    if bare && !path.exists() {
        return catalog_spec(&name)
            .ok_or_else(|| InputError::Io(format!("cannot read `{name}`: no such file, and {}", unknown_service(&name))));
    }
    read_file(path).map(|t| (name, t))
}

/// A spec (`spec_or_catalog`) or overlay named in a repository manifest: a path relative to
/// the manifest's directory `base`, or (a spec only) a bare catalog name.
pub fn read_reference(base: &Path, reference: &str, spec_or_catalog: bool) -> Result<(String, String), InputError> {
    if spec_or_catalog && !is_path(reference) && !reference.contains('/') {
        return catalog_spec(reference).ok_or_else(|| {
            InputError::Io(format!(
                "cannot read `{reference}`: {}; a file is written as a path, e.g. `./{reference}.yaml`",
                unknown_service(reference)
            ))
        });
    }
    // `./` parts dropped, so that findings name `repo/svc/db.yaml`, not `repo/./svc/db.yaml`
    let path = base.join(Path::new(reference).components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect::<PathBuf>());
    read_file(&path).map(|t| (path.display().to_string(), t))
}

/// Resolves `extends:` against the file system (paths relative to the extending file) and the
/// catalog (bare names).
#[derive(Debug, Clone, Copy, Default)]
pub struct FsResolver;

/// Whether an `extends` value names a file rather than a catalog entry.
fn is_path(reference: &str) -> bool {
    reference.starts_with("./")
        || reference.starts_with("../")
        || reference.starts_with('/')
        || reference.ends_with(".yaml")
        || reference.ends_with(".yml")
}

impl oss_spec::Resolver for FsResolver {
    fn resolve(&self, from: &str, reference: &str) -> Result<(String, String), String> {
        if !is_path(reference) {
            return catalog_spec(reference)
                .ok_or_else(|| format!("{}; a file must be written as a path, e.g. `./{reference}.yaml`", unknown_service(reference)));
        }
        if from.starts_with("catalog:") || from == "-" {
            return Err(format!("`{from}` has no directory to resolve a relative path against"));
        }
        let base: PathBuf = Path::new(from).parent().unwrap_or(Path::new("")).join(reference);
        match read_file(&base) {
            Ok(text) => Ok((base.display().to_string(), text)),
            Err(InputError::Io(e)) => Err(e),
            Err(InputError::Refused(f)) => Err(format!("`{}` is not a valid UTF-8 text file under the size limit: {f}", base.display())),
        }
    }
}

/// The specs `ossc render` builds, each with the directory (relative to the output) its bundle
/// goes to: a file `x.yaml` → `x`; a directory → every `*.yaml`/`*.yml` under it (hidden
/// entries and `skip`, the output directory, left out), each at its path relative to that
/// directory without the extension; a catalog name → the name. Sorted within a directory, so
/// the order never depends on the file system.
pub fn expand_inputs(inputs: &[PathBuf], skip: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let skip = skip.canonicalize().ok();
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, skip.as_deref(), &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(format!("`{}` holds no `*.yaml` spec", input.display()));
            }
            for path in found {
                let rel = path.strip_prefix(input).unwrap_or(&path).with_extension("");
                let dir = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
                out.push((dir, path));
            }
        } else {
            let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if stem.is_empty() || input.as_os_str() == "-" {
                return Err(format!("`{}` cannot be rendered: name a spec file, a directory or a catalog service", input.display()));
            }
            out.push((stem, input.clone()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, skip: Option<&Path>, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if skip.is_some_and(|s| path.canonicalize().is_ok_and(|p| p == s)) {
                continue;
            }
            walk(&path, skip, found)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
    Ok(())
}
