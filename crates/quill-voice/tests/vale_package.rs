//! A realistic Vale style package (tests/vale/styles: write-good- and proselint-shaped rules plus
//! a docs style) loads as a `StylesPath`, its unsupported rules are reported rather than fatal,
//! and linting a sample post gives exactly the expected diagnostics.

use std::collections::BTreeSet;
use std::path::Path;

use quill_voice::lint::{LintOptions, Linter};

#[test]
fn vale_style_package_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vale");
    let mut linter = Linter::empty();
    let n = linter.add_styles(&root.join("styles")).expect("styles load");
    assert_eq!(n, 21, "rule files read");
    let report = linter.report();
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let unsupported: BTreeSet<_> = report.unsupported.iter().map(|u| (u.rule.as_str(), u.extends.as_str())).collect();
    assert_eq!(
        unsupported,
        BTreeSet::from([
            ("Docs.Custom", "script"),
            ("Docs.PassiveSequence", "sequence"),
            ("Proselint.Spelling", "spelling")
        ])
    );
    assert_eq!(linter.rules().len(), 18);

    let sample = std::fs::read_to_string(root.join("sample.md")).expect("sample");
    let found = linter.lint(&sample, &LintOptions::default());
    let got: Vec<String> = found
        .iter()
        .map(|d| {
            let mut s = format!("{}:{}:{} {} {} {}", "sample.md", d.line, d.column, d.level, d.rule, d.message);
            if let Some(sug) = &d.suggestion {
                s.push_str(&format!(" => {sug}"));
            }
            s
        })
        .collect();
    let expected_path = root.join("expected.txt");
    if std::env::var_os("QUILL_BLESS").is_some() {
        std::fs::write(&expected_path, got.join("\n") + "\n").expect("bless");
    }
    let expected = std::fs::read_to_string(&expected_path).expect("expected.txt (run with QUILL_BLESS=1 once)");
    assert_eq!(got.join("\n") + "\n", expected);

    // Every supported extension point in the package fired at least once.
    let fired: BTreeSet<_> = found.iter().map(|d| d.rule.as_str()).collect();
    for rule in linter.rules() {
        assert!(
            fired.contains(rule.meta.name.as_str()),
            "{} ({}) never fired on the sample",
            rule.meta.name,
            rule.meta.extends
        );
    }
    // Code blocks are never linted.
    assert!(found.iter().all(|d| d.line < 19), "{found:#?}");
}
