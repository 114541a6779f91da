//! Documentation that must match the code.

#![allow(clippy::unwrap_used)]

#[test]
fn security_doc_lists_every_checkov_skip_with_its_reason() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/security.md")).unwrap();
    for skip in oss_compile::security::ALL_SKIPS {
        let documented = doc.lines().any(|l| l.starts_with(&format!("| {} |", skip.id)) && l.contains(skip.reason));
        assert!(documented, "docs/security.md has no row for {} with the reason `{}`", skip.id, skip.reason);
    }
}
