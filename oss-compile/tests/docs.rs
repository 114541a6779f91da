//! Documentation that must match the code.

#![allow(clippy::unwrap_used)]

#[test]
fn security_doc_lists_every_checkov_skip_with_its_reason() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/security.md")).unwrap();
    for skip in oss_compile::security::ALL_SKIPS {
        let row = doc.lines().find(|l| l.starts_with(&format!("| {} |", skip.id)));
        let row = row.unwrap_or_else(|| panic!("docs/security.md has no row for {}", skip.id));
        assert!(row.contains(skip.reason), "docs/security.md gives another reason for {}", skip.id);
    }
}
