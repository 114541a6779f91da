//! Specs that parse must compile (or be refused with diagnostics), deterministically, and the
//! emitted YAML must parse back as YAML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(loaded) = oss_spec::parse("fuzz.yaml", text) else { return };
    let options = oss_compile::Options::default();
    match (oss_compile::compile(&loaded, &options), oss_compile::compile(&loaded, &options)) {
        (Ok(a), Ok(b)) => {
            let (ya, yb) = (a.to_yaml(), b.to_yaml());
            assert_eq!(ya, yb, "compiling twice gave different bytes");
            let _ = a.to_json();
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("compiling twice gave different outcomes"),
    }
});
