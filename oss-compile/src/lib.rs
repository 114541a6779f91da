//! Lowering: a resolved Open Service Spec to typed Kubernetes objects, emitted deterministically.
//!
//! Entry point: [`compile`]. Pure: no file, network, environment or clock access; the same
//! spec and options give the same bytes on every machine.

pub mod bundle;
pub mod context;
pub mod emit;
pub mod lower;
pub mod security;

pub use bundle::{Bundle, Kind, Object};
use oss_spec::{Diagnostics, Loaded};

/// How to compile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Namespace of every namespaced object. When `None`, the service gets a namespace of its
    /// own, named after it, which the bundle creates with Pod Security "restricted" enforced.
    pub namespace: Option<String>,
}

/// Compiles a loaded spec into a bundle.
///
/// # Errors
/// Findings that make the service impossible to deploy as specified (none yet: every decoded
/// spec lowers; derivations that can refuse a topology report here).
pub fn compile(loaded: &Loaded, options: &Options) -> Result<Bundle, Diagnostics> {
    let cx = context::Context::new(&loaded.spec, options);
    Ok(Bundle::new(lower::lower(&cx)))
}
