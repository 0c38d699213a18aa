//! One test per extension point, each pinning the Vale semantics Quill reproduces (how tokens
//! are joined, what `nonword`, `ignorecase`, `exceptions`, `max`/`min`, `first`/`second`,
//! `formula`/`condition` and scopes mean), with hand-written rules independent of the built-ins.

use quill_voice::lint::{Diagnostic, Level, LintOptions, Linter};

fn lint_with(yaml: &str, text: &str) -> Vec<Diagnostic> {
    lint_opts(yaml, text, &LintOptions::default())
}

fn lint_opts(yaml: &str, text: &str, opts: &LintOptions) -> Vec<Diagnostic> {
    let mut l = Linter::empty();
    l.add_yaml("Test.Rule", "Test/Rule.yml", yaml).unwrap_or_else(|e| panic!("{e}"));
    l.lint(text, opts)
}

fn matches(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.matched.as_str()).collect()
}

#[test]
fn existence_tokens_words_case_and_exceptions() {
    let y = "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: error\nignorecase: true\ntokens: [obviously, of course]\nexceptions: [of course not]\n";
    let d = lint_with(y, "Obviously it works. Of course. Of course not! Unobviously.");
    assert_eq!(matches(&d), vec!["Obviously", "Of course"]);
    assert_eq!(d[0].message, "Avoid 'Obviously'.");
    assert_eq!(d[0].level, Level::Error);
    assert_eq!((d[1].line, d[1].column), (1, 21));
    // Without ignorecase the match is case-sensitive.
    let d = lint_with("extends: existence\nmessage: x\ntokens: [obviously]\n", "Obviously obviously");
    assert_eq!(matches(&d), vec!["obviously"]);
}

#[test]
fn existence_raw_nonword_and_code_is_masked() {
    let y = "extends: existence\nmessage: \"'%s'\"\nnonword: true\ntokens: ['\\$\\d+k']\n";
    let d = lint_with(y, "We made $10k. `not $5k` and https://x.com/$3k too.");
    assert_eq!(matches(&d), vec!["$10k"]);
    let y = "extends: existence\nmessage: \"'%s'\"\nraw: ['\\b(?:TODO|FIXME)', ':']\n";
    assert_eq!(matches(&lint_with(y, "TODO: fix. FIXME later")), vec!["TODO:"]);
}

#[test]
fn substitution_swaps_and_alternatives() {
    let y = "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nignorecase: true\nswap:\n  utilize: use\n  e-mail|email: newsletter|note\n  use: use\n";
    let d = lint_with(y, "Utilize the e-mail. We use it.");
    assert_eq!(matches(&d), vec!["Utilize", "e-mail"]);
    assert_eq!(d[0].message, "Use 'use' instead of 'Utilize'.");
    assert_eq!(d[0].suggestion.as_deref(), Some("Use"));
    assert_eq!(d[1].message, "Use 'newsletter' or 'note' instead of 'e-mail'.");
    // A capture group in a key is refused with the fix spelled out.
    let err = Linter::empty()
        .add_yaml("T.R", "T/R.yml", "extends: substitution\nmessage: x\nswap:\n  '(a|b)': c\n")
        .unwrap_err();
    assert!(err.to_string().contains("(?:"), "{err}");
}

#[test]
fn occurrence_max_and_min_per_scope() {
    let y = "extends: occurrence\nmessage: '%s hashtags (max %s)'\nscope: raw\nmax: 2\ntoken: '#\\w+'\n";
    let d = lint_with(y, "#a #b\n#c #d");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].message, "4 hashtags (max 2)");
    assert_eq!(d[0].matched, "#c");
    let y = "extends: occurrence\nmessage: too few\nscope: paragraph\nmin: 3\ntoken: '\\w+'\n";
    let d = lint_with(y, "one two three\n\nfour five");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].line, 3);
    let y = "extends: occurrence\nmessage: long\nscope: sentence\nmax: 3\ntoken: '\\w+'\n";
    assert_eq!(lint_with(y, "One two three. One two three four five.").len(), 1);
}

#[test]
fn repetition_flags_doubles_within_a_sentence() {
    let y = "extends: repetition\nmessage: \"'%s' is repeated!\"\nalpha: true\nignorecase: true\ntokens: ['[^\\s]+']\n";
    let d = lint_with(y, "The the cat. That is it. That is all. 1 1 ok.");
    assert_eq!(matches(&d), vec!["The the"]);
    assert_eq!(d[0].message, "'the' is repeated!");
}

#[test]
fn capitalization_styles() {
    let title = "extends: capitalization\nmessage: \"'%s' needs title case\"\nscope: heading\nmatch: $title\n";
    assert!(lint_with(title, "# The Best Way to Write a Hook\n").is_empty());
    assert_eq!(lint_with(title, "# the best way to write a hook\n").len(), 1);
    let chicago = "extends: capitalization\nmessage: x\nscope: heading\nmatch: $title\nstyle: Chicago\n";
    assert!(lint_with(chicago, "# Notes from the Studio\n").is_empty());
    assert_eq!(lint_with(title, "# Notes from the Studio\n").len(), 1, "AP capitalises four-letter prepositions");
    let sentence = "extends: capitalization\nmessage: x\nscope: heading\nmatch: $sentence\nexceptions: [LinkedIn]\n";
    assert!(lint_with(sentence, "## Why we post on LinkedIn\n").is_empty());
    assert_eq!(lint_with(sentence, "## Why We Post On LinkedIn\n").len(), 1);
    let lower = "extends: capitalization\nmessage: x\nscope: heading\nmatch: $lower\n";
    assert_eq!(lint_with(lower, "# Hello\n").len(), 1);
    let upper = "extends: capitalization\nmessage: x\nscope: heading\nmatch: $upper\n";
    assert!(lint_with(upper, "# HELLO\n").is_empty());
    let pattern = "extends: capitalization\nmessage: x\nscope: heading\nmatch: '^[A-Z]'\n";
    assert_eq!(lint_with(pattern, "# hello\n## World\n").len(), 1);
}

#[test]
fn conditional_definitions_must_come_first() {
    let y = "extends: conditional\nmessage: \"'%s' has no definition\"\nfirst: '\\b([A-Z]{3,5})\\b'\nsecond: '(?:\\b[A-Z][a-z]+ )+\\(([A-Z]{3,5})\\)'\nexceptions: [CEO]\n";
    let d = lint_with(y, "The World Health Organization (WHO) says WHO data matters.\n\nThe CEO and the CDC disagree.");
    assert_eq!(matches(&d), vec!["CDC"]);
    // Plain presence check when `second` has no group.
    let y = "extends: conditional\nmessage: needs a link\nfirst: 'free trial'\nsecond: 'https?://'\nscope: raw\n";
    assert_eq!(lint_with(y, "Start a free trial today.").len(), 1);
    assert!(lint_with(y, "Start a free trial: https://x.test").is_empty());
}

#[test]
fn consistency_keeps_the_first_spelling() {
    let y = "extends: consistency\nmessage: \"'%s' vs '%s'\"\nignorecase: true\neither:\n  email: e-mail\n";
    let d = lint_with(y, "Send an e-mail. Then another email. Then e-mail again.");
    assert_eq!(matches(&d), vec!["email"]);
    assert_eq!(d[0].message, "'email' vs 'e-mail'");
}

#[test]
fn metric_formula_and_readability() {
    let y = "extends: metric\nmessage: 'avg %s words'\nformula: words / sentences\ncondition: '> 5'\n";
    let d = lint_with(y, "One two three four five six seven. Eight nine ten eleven twelve thirteen fourteen.");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].message, "avg 7.00 words");
    assert!(lint_with(y, "Short one. Short two.").is_empty());
    let y = "extends: metric\nmessage: '%s'\nformula: 'heading.h2 + list'\ncondition: '>= 2'\n";
    assert_eq!(lint_with(y, "## A\n\n- x\n\nText here.").len(), 1);
    let y = "extends: readability\nmessage: 'grade %s'\nmetrics: [Flesch-Kincaid, Gunning Fog]\ngrade: 8\n";
    assert!(lint_with(y, "The cat sat. The dog ran.").is_empty());
    assert_eq!(
        lint_with(
            y,
            "Organizational transformation necessitates comprehensive multidimensional stakeholder alignment."
        )
        .len(),
        1
    );
    let err = Linter::empty()
        .add_yaml("T.R", "T/R.yml", "extends: readability\nmessage: x\nmetrics: [Fleschy]\ngrade: 3\n")
        .unwrap_err();
    assert!(err.to_string().contains("Flesch-Kincaid"), "{err}");
}

#[test]
fn length_counts_units_and_points_at_the_cut() {
    let y = "extends: length\nmessage: '%s/%s'\nscope: raw\nunit: words\nmax: 3\n";
    let d = lint_with(y, "one two three four five");
    assert_eq!(d[0].message, "5/3");
    assert_eq!(d[0].matched, "four five");
    let y = "extends: length\nmessage: '%s/%s'\nscope: hook\nunit: lines\nmax: 2\n";
    assert_eq!(lint_with(y, "a\nb\nc\n\nd\ne\nf").len(), 1);
}

#[test]
fn scopes_levels_limits_and_platforms() {
    let y = "extends: existence\nmessage: x\nscope: [heading, list]\ntokens: [foo]\nlimit: 2\n";
    let d = lint_with(y, "# foo\n\nfoo in text\n\n- foo\n- foo");
    assert_eq!(d.len(), 2, "limit caps the count");
    assert!(d.iter().all(|d| d.line != 3), "paragraph text is out of scope");
    let y = "extends: existence\nmessage: x\nlevel: suggestion\ntokens: [foo]\n";
    let opts = LintOptions { min_level: Level::Warning, ..Default::default() };
    assert!(lint_opts(y, "foo", &opts).is_empty());
    let y = "extends: existence\nmessage: x\nplatforms: [linkedin]\ntokens: [foo]\n";
    assert!(lint_with(y, "foo").is_empty());
    let opts = LintOptions { platform: Some("LinkedIn".into()), ..Default::default() };
    assert_eq!(lint_opts(y, "foo", &opts).len(), 1);
    let opts = LintOptions { ignore: vec!["Test".into()], platform: Some("linkedin".into()), ..Default::default() };
    assert!(lint_opts(y, "foo", &opts).is_empty());
}

#[test]
fn bad_rules_name_file_and_fix() {
    for (yaml, needle) in [
        ("message: x\n", "extends"),
        ("extends: existence\n", "message"),
        ("extends: existence\nmessage: x\nlevel: fatal\n", "suggestion, warning or error"),
        ("extends: existence\nmessage: x\n", "tokens"),
        ("extends: existence\nmessage: x\ntokens: ['(unclosed']\n", "invalid regular expression"),
        ("extends: occurrence\nmessage: x\ntoken: a\n", "max"),
        ("extends: existence\nmessage: x\nscope: sentance\ntokens: [a]\n", "unknown scope"),
    ] {
        let err = Linter::empty().add_yaml("T.R", "styles/T/R.yml", yaml).unwrap_err().to_string();
        assert!(err.contains("styles/T/R.yml") && err.contains(needle), "{yaml:?} → {err}");
    }
}

#[test]
fn lookaround_patterns_fall_back_to_fancy_regex() {
    let y = "extends: existence\nmessage: x\nnonword: true\ntokens: ['\\b\\w+(?=!)']\n";
    assert_eq!(matches(&lint_with(y, "Wow! Nice.")), vec!["Wow"]);
}
