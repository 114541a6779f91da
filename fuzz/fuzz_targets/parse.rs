//! Any bytes through the front end: decoding, YAML, the decoder and validation. It must never
//! panic, hang or blow the stack; every refusal must be a located diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match oss_spec::decode_text("fuzz.yaml", data.to_vec(), 1 << 20) {
        Ok(t) => t,
        Err(f) => {
            assert!(f.diagnostics.iter().all(|d| d.span.is_some()));
            return;
        }
    };
    if let Err(f) = oss_spec::parse("fuzz.yaml", &text) {
        assert!(f.diagnostics.has_errors());
        for d in f.diagnostics.iter() {
            if let Some(s) = d.span {
                let _ = f.sources.location(s);
            }
        }
    }
});
