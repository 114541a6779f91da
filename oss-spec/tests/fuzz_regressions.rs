//! Replays every input the fuzzers ever found a problem with (fuzz/regressions/<target>/*):
//! each must now give a result or located diagnostics, without a panic.

use std::path::Path;

#[test]
fn fuzz_reproducers_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut n = 0;
    for target in ["parse", "compile"] {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else { continue };
        for e in entries.flatten() {
            if e.file_name() == ".keep" {
                continue;
            }
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            if let Ok(text) = oss_spec::decode_text("repro.yaml", bytes, 1 << 20)
                && let Err(f) = oss_spec::parse("repro.yaml", &text)
            {
                assert!(f.diagnostics.iter().all(|d| d.span.is_some()), "{}: unlocated diagnostic", e.path().display());
            }
            n += 1;
        }
    }
    eprintln!("{n} fuzz reproducer(s) replayed");
}
