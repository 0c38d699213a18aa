//! The style linter: Vale-compatible YAML rules run over posts.
//!
//! # Why Vale's format
//! Vale's rule files are the closest thing prose linting has to a standard, and whole style
//! packages (write-good, proselint, Microsoft, AI-tells) already exist for it. Quill reads the
//! extension points that make sense for posts — existence, substitution, occurrence, repetition,
//! capitalization, conditional, consistency, metric and readability — so a creator can drop a
//! Vale style folder in and have it work; `spelling`, `sequence` and `script` rules are reported
//! as unsupported instead of failing the whole style. Quill adds what Vale lacks for social
//! writing: a `length` rule type for platform limits, `hook` and `line` scopes, `platforms:` to
//! run a rule only for some channels, and per-rule `code` and `docs` (ruff-style) so every
//! built-in rule explains itself.
//!
//! # Speed
//! Every rule is compiled once into one regular expression (tokens joined into an alternation,
//! which the regex engine turns into a literal prefilter); a post is parsed once into blocks and
//! sentences shared by all rules. Thousands of posts per second on one core is the target (see
//! `quill bench lint`).
//!
//! # Example
//! ```
//! use quill_voice::lint::{Linter, LintOptions};
//! let linter = Linter::builtin();
//! let found = linter.lint("Let's delve into the data.", &LintOptions::default());
//! assert!(found.iter().any(|d| d.code.as_deref() == Some("AI001")));
//! ```

mod capitalization;
mod conditional;
mod consistency;
mod existence;
mod length;
mod metric;
mod occurrence;
mod repetition;
pub mod rule;
pub mod scope;
mod substitution;

use std::ops::Range;
use std::path::Path;

use serde::Serialize;

pub use metric::READABILITY_METRICS;
pub use rule::{
    Level, Parsed, Rule, RuleDocs, RuleMeta, SUPPORTED_EXTENDS, UNSUPPORTED_EXTENDS, format_message, parse_rule,
};
pub use scope::{ScopeKind, ScopeSpec};

use crate::text::Document;
use crate::{Error, Result};
use rule::Check;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in rule files as `(path under styles/, YAML)`, e.g. `("AITells/Delve.yml", …)`.
pub fn builtin_rule_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULES
}

/// What a check found, before it is placed on a line and column.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) range: Range<usize>,
    pub(crate) message: String,
    pub(crate) suggestion: Option<String>,
}

/// What a check reads: the document, the text its scope sees (masked or raw) and the spans.
pub(crate) struct RunCtx<'d, 'a> {
    pub(crate) doc: &'d Document<'a>,
    pub(crate) text: &'d str,
    pub(crate) spans: &'d [Range<usize>],
}

/// One problem found in a text.
///
/// Lines and columns are 1-based; columns count characters. `end_line`/`end_column` point just
/// past the match (an empty range marks a whole-document finding such as a readability grade).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// `Style.Rule`.
    pub rule: String,
    /// Stable code (`AI001`), when the rule has one.
    pub code: Option<String>,
    /// Severity.
    pub level: Level,
    /// The rule's message, filled in.
    pub message: String,
    /// Line of the match.
    pub line: usize,
    /// Column of the match.
    pub column: usize,
    /// Line just past the match.
    pub end_line: usize,
    /// Column just past the match.
    pub end_column: usize,
    /// Byte offset of the match in the text.
    pub offset: usize,
    /// Byte offset just past the match.
    pub end_offset: usize,
    /// The text matched.
    #[serde(rename = "match")]
    pub matched: String,
    /// What to write instead, when the rule knows.
    pub suggestion: Option<String>,
    /// Where to read more.
    pub link: Option<String>,
}

/// A rule file that loaded but uses an extension point Quill does not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    /// `Style.Rule`.
    pub rule: String,
    /// Its extension point (`spelling`, `sequence`, `script`).
    pub extends: String,
    /// Its file.
    pub source: String,
}

/// What loading styles did: how many rules, which were skipped and which failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    /// Unsupported rules (skipped, not fatal).
    pub unsupported: Vec<Unsupported>,
    /// Rule files that could not be read, each message naming the file and the fix.
    pub errors: Vec<String>,
}

/// Per-run choices.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The platform the text is for (`x`, `linkedin`, …): enables that platform's rules.
    pub platform: Option<String>,
    /// Drop diagnostics below this level.
    pub min_level: Level,
    /// Rules to skip, by `Style.Rule`, code or style name.
    pub ignore: Vec<String>,
}

/// A banned phrase from the creator's library, with the preferred wording if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BannedPhrase {
    /// The phrase never to use.
    pub phrase: String,
    /// What to write instead.
    pub replacement: Option<String>,
}

/// A set of compiled rules, ready to lint any number of texts.
#[derive(Debug, Default)]
pub struct Linter {
    rules: Vec<Rule>,
    report: LoadReport,
    approved: Option<regex::Regex>,
}

impl Linter {
    /// A linter with no rules.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A linter with Quill's built-in styles (AI tells, hype, hedges, fake inspiration, platform
    /// limits). A built-in rule that fails to compile is a bug caught by the test suite; here it
    /// is recorded in the report rather than aborting.
    pub fn builtin() -> Self {
        let mut l = Self::empty();
        for (path, yaml) in BUILTIN_RULES {
            let name = rule_name_from_path(Path::new(path));
            l.load_yaml(&name, &format!("builtin:{path}"), yaml);
        }
        l
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// What loading skipped or failed.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// Adds one rule from YAML text; a later rule with the same `Style.Rule` name replaces the
    /// earlier one (so a workspace style can override a built-in rule). Errors are returned.
    pub fn add_yaml(&mut self, name: &str, source: &str, yaml: &str) -> Result<()> {
        match parse_rule(name, source, yaml)? {
            Parsed::Rule(rule) => {
                if let Some(existing) = self.rules.iter_mut().find(|r| r.meta.name == rule.meta.name) {
                    *existing = *rule;
                } else {
                    self.rules.push(*rule);
                }
            }
            Parsed::Unsupported { name, extends } => {
                self.report.unsupported.push(Unsupported { rule: name, extends, source: source.to_string() })
            }
        }
        Ok(())
    }

    /// Like [`Linter::add_yaml`], but a bad file is recorded in the report and skipped, so one
    /// broken rule does not stop the rest of a style from running.
    pub fn load_yaml(&mut self, name: &str, source: &str, yaml: &str) {
        if let Err(e) = self.add_yaml(name, source, yaml) {
            self.report.errors.push(e.to_string());
        }
    }

    /// Loads a style folder (`Style/*.yml`) or a Vale `StylesPath` (a folder of style folders).
    /// Returns how many rule files were read. Bad rule files are recorded in the report.
    pub fn add_styles(&mut self, dir: &Path) -> Result<usize> {
        let entries = read_dir_sorted(dir)?;
        let has_rules = entries.iter().any(|p| is_rule_file(p));
        let mut n = 0;
        if has_rules {
            n += self.add_style_folder(dir)?;
        } else {
            for sub in entries.iter().filter(|p| p.is_dir()) {
                n += self.add_style_folder(sub)?;
            }
        }
        Ok(n)
    }

    fn add_style_folder(&mut self, dir: &Path) -> Result<usize> {
        let mut n = 0;
        for path in read_dir_sorted(dir)?.into_iter().filter(|p| is_rule_file(p)) {
            let yaml = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
            let name = rule_name_from_path(&path);
            self.load_yaml(&name, &path.display().to_string(), &yaml);
            n += 1;
        }
        Ok(n)
    }

    /// Adds the library's banned phrases: those with a preferred wording become one substitution
    /// rule (`Library.Replace`, LB002), the rest one existence rule (`Library.Banned`, LB001).
    pub fn add_banned_phrases(&mut self, phrases: &[BannedPhrase]) -> Result<()> {
        let (with, without): (Vec<_>, Vec<_>) = phrases
            .iter()
            .filter(|p| !p.phrase.trim().is_empty())
            .partition(|p| p.replacement.as_deref().is_some_and(|r| !r.trim().is_empty()));
        if !without.is_empty() {
            let tokens: Vec<String> = without.iter().map(|p| phrase_pattern(&p.phrase)).collect();
            let yaml = banned_yaml(&tokens);
            self.add_yaml("Library.Banned", "library:banned phrases", &yaml)?;
        }
        if !with.is_empty() {
            let mut swap = serde_yaml::Mapping::new();
            for p in with {
                let repl = p.replacement.clone().unwrap_or_default();
                swap.insert(phrase_pattern(&p.phrase).into(), repl.trim().to_string().into());
            }
            let yaml = replace_yaml(swap);
            self.add_yaml("Library.Replace", "library:banned phrases", &yaml)?;
        }
        Ok(())
    }

    /// Sets the creator's approved phrases: a diagnostic from any rule outside the `Library`
    /// style that falls inside one of them is dropped, so a signature phrase ("Here's the
    /// thing") is never flagged as a cliché in the creator's own workspace.
    pub fn set_approved_phrases(&mut self, phrases: &[String]) {
        let pats: Vec<String> = phrases.iter().filter(|p| !p.trim().is_empty()).map(|p| phrase_pattern(p)).collect();
        self.approved = if pats.is_empty() { None } else { regex::Regex::new(&format!("(?i){}", pats.join("|"))).ok() };
    }

    /// Lints one text.
    pub fn lint(&self, text: &str, opts: &LintOptions) -> Vec<Diagnostic> {
        let doc = Document::new(text);
        let mut cache: Vec<(&ScopeSpec, Vec<Range<usize>>)> = Vec::new();
        let mut out = Vec::new();
        let mut hits = Vec::new();
        for rule in &self.rules {
            let m = &rule.meta;
            if m.level < opts.min_level || !applies(m, opts) {
                continue;
            }
            let idx = match cache.iter().position(|(s, _)| *s == &m.scope) {
                Some(i) => i,
                None => {
                    cache.push((&m.scope, m.scope.spans(&doc)));
                    cache.len() - 1
                }
            };
            let spans = &cache[idx].1;
            if spans.is_empty() {
                continue;
            }
            let ctx = RunCtx { doc: &doc, text: if m.scope.is_raw() { text } else { doc.masked() }, spans };
            hits.clear();
            match &rule.check {
                Check::Existence(c) => c.run(&ctx, m, &mut hits),
                Check::Substitution(c) => c.run(&ctx, m, &mut hits),
                Check::Occurrence(c) => c.run(&ctx, m, &mut hits),
                Check::Repetition(c) => c.run(&ctx, m, &mut hits),
                Check::Capitalization(c) => c.run(&ctx, m, &mut hits),
                Check::Conditional(c) => c.run(&ctx, m, &mut hits),
                Check::Consistency(c) => c.run(&ctx, m, &mut hits),
                Check::Metric(c) => c.run(&ctx, m, &mut hits),
                Check::Length(c) => c.run(&ctx, m, &mut hits),
            }
            if m.limit > 0 {
                hits.truncate(m.limit);
            }
            for h in hits.drain(..) {
                out.push(diagnostic(&doc, m, h));
            }
        }
        if let Some(ap) = &self.approved {
            let spans: Vec<Range<usize>> = ap.find_iter(text).map(|m| m.range()).collect();
            if !spans.is_empty() {
                out.retain(|d| {
                    d.rule.starts_with("Library.")
                        || !spans
                            .iter()
                            .any(|s| s.start <= d.offset && d.end_offset <= s.end && d.offset < d.end_offset)
                });
            }
        }
        out.sort_by(|a, b| (a.offset, &a.rule).cmp(&(b.offset, &b.rule)));
        out
    }
}

fn applies(m: &RuleMeta, opts: &LintOptions) -> bool {
    if !m.platforms.is_empty() {
        match &opts.platform {
            Some(p) if m.platforms.iter().any(|x| x.eq_ignore_ascii_case(p)) => {}
            _ => return false,
        }
    }
    if !opts.ignore.is_empty() {
        let style = m.name.split('.').next().unwrap_or("");
        if opts.ignore.iter().any(|i| i == &m.name || Some(i.as_str()) == m.code.as_deref() || i == style) {
            return false;
        }
    }
    true
}

fn diagnostic(doc: &Document<'_>, m: &RuleMeta, h: Hit) -> Diagnostic {
    let (line, column) = doc.line_col(h.range.start);
    let (end_line, end_column) = doc.line_col(h.range.end);
    Diagnostic {
        rule: m.name.clone(),
        code: m.code.clone(),
        level: m.level,
        message: h.message,
        line,
        column,
        end_line,
        end_column,
        offset: h.range.start,
        end_offset: h.range.end,
        matched: doc.text().get(h.range.clone()).unwrap_or_default().to_string(),
        suggestion: h.suggestion,
        link: m.link.clone(),
    }
}

/// `Style.Rule` from `…/Style/Rule.yml`, as Vale names rules.
pub fn rule_name_from_path(path: &Path) -> String {
    let rule = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match path.parent().and_then(|p| p.file_name()) {
        Some(style) => format!("{}.{rule}", style.to_string_lossy()),
        None => rule,
    }
}

fn is_rule_file(p: &Path) -> bool {
    p.is_file() && p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("reading the style folder", dir, e))?;
    let mut v: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    Ok(v)
}

/// A regex for a literal phrase that tolerates typographic apostrophes and any whitespace, with
/// word boundaries only where the phrase starts or ends with a word character.
pub fn phrase_pattern(phrase: &str) -> String {
    let p = phrase.trim();
    let mut out = String::new();
    if p.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        out.push_str(r"\b");
    }
    let mut in_space = false;
    for c in p.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push_str(r"\s+");
            }
            in_space = true;
            continue;
        }
        in_space = false;
        match c {
            '\'' | '’' => out.push_str("['’]"),
            _ => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    if p.chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        out.push_str(r"\b");
    }
    out
}

fn banned_yaml(tokens: &[String]) -> String {
    let mut m = serde_yaml::Mapping::new();
    m.insert("extends".into(), "existence".into());
    m.insert("code".into(), "LB001".into());
    m.insert("message".into(), "'%s' is on your banned list.".into());
    m.insert("level".into(), "error".into());
    m.insert("ignorecase".into(), true.into());
    m.insert("nonword".into(), true.into());
    m.insert("tokens".into(), serde_yaml::Value::Sequence(tokens.iter().map(|t| t.clone().into()).collect()));
    serde_yaml::to_string(&m).unwrap_or_default()
}

fn replace_yaml(swap: serde_yaml::Mapping) -> String {
    let mut m = serde_yaml::Mapping::new();
    m.insert("extends".into(), "substitution".into());
    m.insert("code".into(), "LB002".into());
    m.insert("message".into(), "Use '%s' instead of '%s' (your banned list).".into());
    m.insert("level".into(), "error".into());
    m.insert("ignorecase".into(), true.into());
    m.insert("nonword".into(), true.into());
    m.insert("swap".into(), serde_yaml::Value::Mapping(swap));
    serde_yaml::to_string(&m).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_all_load() {
        let l = Linter::builtin();
        assert!(l.report().errors.is_empty(), "{:#?}", l.report().errors);
        assert!(l.rules().len() >= 30, "only {} built-in rules", l.rules().len());
    }

    #[test]
    fn banned_phrases_become_rules() {
        let mut l = Linter::empty();
        l.add_banned_phrases(&[
            BannedPhrase { phrase: "synergy".into(), replacement: None },
            BannedPhrase { phrase: "circle back".into(), replacement: Some("follow up".into()) },
            BannedPhrase { phrase: "let's be honest".into(), replacement: None },
        ])
        .unwrap();
        let d = l.lint("Synergy matters. We'll circle back. Let’s be honest.", &LintOptions::default());
        let codes: Vec<_> = d.iter().map(|d| d.code.clone().unwrap_or_default()).collect();
        assert_eq!(codes, vec!["LB001", "LB002", "LB001"]);
        assert_eq!(d[1].suggestion.as_deref(), Some("follow up"));
        assert_eq!(d[1].message, "Use 'follow up' instead of 'circle back' (your banned list).");
    }

    #[test]
    fn approved_phrases_are_not_flagged() {
        let mut l = Linter::builtin();
        l.set_approved_phrases(&["Here's the thing.".to_string()]);
        let d = l.lint("Here's the thing. Here's the kicker.", &LintOptions::default());
        let m: Vec<_> = d.iter().map(|d| d.matched.as_str()).collect();
        assert_eq!(m, vec!["Here's the kicker"]);
    }

    #[test]
    fn later_rule_with_same_name_replaces() {
        let mut l = Linter::empty();
        l.add_yaml("S.R", "a", "extends: existence\nmessage: a %s\ntokens: [foo]\n").unwrap();
        l.add_yaml("S.R", "b", "extends: existence\nmessage: b %s\ntokens: [bar]\n").unwrap();
        assert_eq!(l.rules().len(), 1);
        assert_eq!(l.lint("foo bar", &LintOptions::default())[0].message, "b bar");
    }

    #[test]
    fn platform_rules_only_run_for_their_platform() {
        let mut l = Linter::empty();
        l.add_yaml("P.X", "x", "extends: length\nmessage: '%s > %s'\nplatforms: [x]\nmax: 5\nscope: raw\n").unwrap();
        assert!(l.lint("123456789", &LintOptions::default()).is_empty());
        let opts = LintOptions { platform: Some("x".into()), ..Default::default() };
        let d = l.lint("123456789", &opts);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "9 > 5");
        assert_eq!(d[0].matched, "6789");
    }
}
