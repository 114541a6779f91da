//! Embeds every `specs/*.yaml` of the repository, sorted by name, so the binary carries the
//! catalog and a list of entries exists without reading a directory at run time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // read when the script runs, not baked in when it is compiled: CI shares one target
    // directory between clean clones, and a script compiled in another (since deleted) clone
    // read that clone's specs/ (found by a test build in a second clone of this repository)
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let specs = Path::new(&manifest).join("../specs");
    println!("cargo:rerun-if-changed={}", specs.display());
    let mut files: Vec<_> = std::fs::read_dir(&specs)
        .expect("specs/ directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut out = String::from("/// Every catalog entry, sorted by name.\npub static ENTRIES: &[Entry] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_stem().and_then(|s| s.to_str()).expect("utf-8 file name");
        let abs = f.canonicalize().expect("spec path");
        writeln!(out, "    Entry {{ name: {name:?}, path: \"specs/{name}.yaml\", text: include_str!({:?}) }},", abs.display().to_string())
            .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("entries.rs");
    std::fs::write(dest, out).expect("write entries.rs");
}
