//! The bad-input corpus (`tests/bad-input/`) and the catalog through the real binary: `validate`
//! and `build` agree, every machine-readable fix removes its finding, and every finding points
//! into the file the first comment line names.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn ossc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ossc")).args(args).current_dir(repo()).env("NO_COLOR", "1").output().expect("run ossc")
}

/// Every file of the corpus and of the catalog, as paths relative to the repository.
fn files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["tests/bad-input", "specs"] {
        let mut names: Vec<String> = std::fs::read_dir(repo().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    assert!(out.len() > 30, "corpus too small: {out:?}");
    out
}

/// The `file:line:col: severity[CODE]` heads of every finding printed.
fn findings(o: &Output) -> Vec<String> {
    let text = String::from_utf8_lossy(&o.stderr);
    let mut heads: Vec<String> = text
        .lines()
        .filter(|l| l.contains(": error[OSS") || l.contains(": warning[OSS"))
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split_once("]: ").map_or(l, |(head, _)| head).to_owned() + "]")
        .collect();
    heads.sort();
    heads
}

fn json_diagnostics(file: &str) -> Vec<serde_json::Value> {
    let o = ossc(&["validate", "--format", "json", file]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["files"][0]["diagnostics"].as_array().cloned().unwrap_or_default()
}

#[test]
fn validate_and_build_give_the_same_verdict() {
    for f in files() {
        let v = ossc(&["validate", &f]);
        let b = ossc(&["build", &f]);
        assert_eq!(v.status.code(), b.status.code(), "{f}: validate and build disagree\n{}", String::from_utf8_lossy(&b.stderr));
        assert_eq!(findings(&v), findings(&b), "{f}: different findings");
    }
}

#[test]
fn every_corpus_file_is_refused_or_warned_where_its_comment_says() {
    for f in files().iter().filter(|f| f.starts_with("tests/")) {
        let text = std::fs::read_to_string(repo().join(f)).unwrap();
        let first = text.lines().next().unwrap();
        let words: Vec<&str> = first.split_whitespace().skip(1).collect();
        let code = words[0];
        // `# OSS001 at 5:1: ...` (or `# OSS035 (warning) at 6:27: ...`) names the line and
        // column; `at some.path` only the field.
        let place = words
            .iter()
            .position(|w| *w == "at")
            .and_then(|i| words.get(i + 1))
            .and_then(|w| w.strip_suffix(':'))
            .filter(|w| w.contains(|c: char| c.is_ascii_digit()) && w.contains(':'));
        let want = place.map_or_else(|| format!("{f}:"), |lc| format!("{f}:{lc}:"));
        let found = findings(&ossc(&["build", f]));
        assert!(
            found.iter().any(|h| h.contains(&format!("[{code}]")) && h.starts_with(&want)),
            "{f}: expected {code} at {want}, got {found:?}"
        );
    }
}

#[test]
fn every_fix_removes_its_finding() {
    let mut applied = 0;
    for f in files() {
        let before = json_diagnostics(&f);
        for d in &before {
            let fix: Vec<&str> = d["fix"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            if fix.is_empty() {
                continue;
            }
            let code = d["code"].as_str().unwrap();
            let mut args = vec!["build", f.as_str()];
            for s in &fix {
                args.extend(["--set", s]);
            }
            let after = ossc(&args);
            let heads = findings(&after);
            let count = |hs: &[String], c: &str| hs.iter().filter(|h| h.contains(&format!("[{c}]"))).count();
            let before_codes: Vec<String> = before.iter().map(|d| d["code"].as_str().unwrap().to_owned()).collect();
            let before_count = before_codes.iter().filter(|c| *c == code).count();
            assert!(count(&heads, code) < before_count, "{f}: fix {fix:?} for {code} leaves it: {heads:?}");
            for h in &heads {
                let c = &h[h.rfind('[').unwrap() + 1..h.len() - 1];
                assert!(before_codes.iter().any(|b| b == c), "{f}: fix {fix:?} for {code} adds {h}");
            }
            applied += 1;
        }
    }
    assert!(applied >= 12, "only {applied} fixes were tried");
}

#[test]
fn a_finding_with_a_fix_says_so_in_its_help() {
    // The help of a finding with a fix names every path the fix sets.
    for f in files() {
        for d in json_diagnostics(&f) {
            let help = d["help"].as_str().unwrap_or_default();
            for s in d["fix"].as_array().unwrap() {
                let path = s.as_str().unwrap().split('=').next().unwrap();
                let leaf = path.rsplit('.').next().unwrap();
                assert!(help.contains(leaf), "{f}: help `{help}` does not mention `{path}` of its fix");
            }
        }
    }
}

#[test]
fn catalog_builds_print_no_warning_the_consumer_cannot_act_on() {
    for f in files().iter().filter(|f| f.starts_with("specs/")) {
        let o = ossc(&["build", f]);
        assert!(o.status.success(), "{f}");
        assert!(o.stderr.is_empty(), "{f} warns on every build:\n{}", String::from_utf8_lossy(&o.stderr));
    }
}
