//! One rule: its Vale-compatible definition (`extends`, `message`, `level`, `scope`, …), Quill's
//! additions (`code`, `docs`, `platforms`, `suggest`) and the compiled check.
//!
//! Rule files are read as loose YAML maps rather than a strict struct, the way Vale reads them:
//! real style packages carry keys Quill does not use (`vocab`, `append`, `pos`, …) and write
//! `scope: sentence` as often as `scope: [sentence]`, and neither should stop a style from
//! loading.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use super::scope::ScopeSpec;
use super::{
    capitalization::Capitalization, conditional::Conditional, consistency::Consistency, existence::Existence,
    length::Length, metric::Metric, occurrence::Occurrence, repetition::Repetition, substitution::Substitution,
};
use crate::{Error, Result};

/// How serious a diagnostic is. `quill lint` exits non-zero when any `error` is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A nudge; fine to ignore.
    #[default]
    Suggestion,
    /// Probably worth changing.
    Warning,
    /// Must change (banned phrases, hard platform limits).
    Error,
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "suggestion" => Ok(Level::Suggestion),
            "warning" => Ok(Level::Warning),
            "error" => Ok(Level::Error),
            other => Err(format!("level must be suggestion, warning or error, not '{other}'")),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Suggestion => "suggestion",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// The documentation every built-in rule carries (ruff-style: what, why, example, instead).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDocs {
    /// What the rule flags.
    #[serde(default)]
    pub what: String,
    /// Why it matters to a reader.
    #[serde(default)]
    pub why: String,
    /// A sentence that triggers it.
    #[serde(default)]
    pub example: String,
    /// What to write instead.
    #[serde(default)]
    pub instead: String,
}

impl RuleDocs {
    /// Whether all four fields are filled in.
    pub fn is_complete(&self) -> bool {
        [&self.what, &self.why, &self.example, &self.instead].iter().all(|s| !s.trim().is_empty())
    }
}

/// Everything about a rule except how it matches.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// `Style.Rule`, as Vale names it (the folder and the file name).
    pub name: String,
    /// Stable short code (`AI001`), Quill's addition; absent in plain Vale rules.
    pub code: Option<String>,
    /// The extension point (`existence`, `substitution`, …).
    pub extends: String,
    /// Message template; `%s` is filled with the match (and, for substitutions, the replacement).
    pub message: String,
    /// Longer explanation (Vale's `description`).
    pub description: Option<String>,
    /// Severity.
    pub level: Level,
    /// Where to read more.
    pub link: Option<String>,
    /// Which parts of the text the rule reads.
    pub scope: ScopeSpec,
    /// At most this many diagnostics per file (Vale's `limit`; 0 = no limit).
    pub limit: usize,
    /// Only run for these platforms (`x`, `linkedin`, …); empty means every platform.
    pub platforms: Vec<String>,
    /// A fixed suggestion (Quill's `suggest`, or Vale's `action: {name: replace|remove}`).
    pub suggest: Option<String>,
    /// Ruff-style documentation.
    pub docs: Option<RuleDocs>,
    /// Where the rule came from: a file path or `builtin:Style/Rule.yml`.
    pub source: String,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Its definition.
    pub meta: RuleMeta,
    pub(crate) check: Check,
}

/// The compiled matching logic of each supported extension point.
#[derive(Debug)]
pub(crate) enum Check {
    Existence(Existence),
    Substitution(Substitution),
    Occurrence(Occurrence),
    Repetition(Repetition),
    Capitalization(Capitalization),
    Conditional(Conditional),
    Consistency(Consistency),
    Metric(Metric),
    Length(Length),
}

/// Extension points Vale has and Quill does not run; files using them are reported, not fatal.
pub const UNSUPPORTED_EXTENDS: &[&str] = &["spelling", "sequence", "script"];

/// Extension points Quill runs.
pub const SUPPORTED_EXTENDS: &[&str] = &[
    "existence",
    "substitution",
    "occurrence",
    "repetition",
    "capitalization",
    "conditional",
    "consistency",
    "metric",
    "readability",
    "length",
];

/// The result of reading one rule file.
#[derive(Debug)]
pub enum Parsed {
    /// A rule ready to run.
    Rule(Box<Rule>),
    /// A valid rule of an extension point Quill does not implement.
    Unsupported {
        /// `Style.Rule`.
        name: String,
        /// The extension point.
        extends: String,
    },
}

/// Parses and compiles one rule file. `name` is `Style.Rule`; `source` is used in errors.
pub fn parse_rule(name: &str, source: &str, yaml: &str) -> Result<Parsed> {
    let value: Value = serde_yaml::from_str(yaml).map_err(|e| Error::Rule {
        path: source.to_string(),
        line: e.location().map(|l| l.line()),
        message: format!("not valid YAML: {e}"),
    })?;
    let Value::Mapping(map) = value else {
        return Err(Error::rule(source, "a rule file must be a YAML mapping of keys (extends, message, level, ...)"));
    };
    let f = Fields { map: &map, source };
    let extends = f.string("extends")?.ok_or_else(|| {
        Error::rule(source, format!("missing the required 'extends' key (one of {})", SUPPORTED_EXTENDS.join(", ")))
    })?;
    let extends = extends.trim().to_string();
    if UNSUPPORTED_EXTENDS.contains(&extends.as_str()) {
        return Ok(Parsed::Unsupported { name: name.to_string(), extends });
    }
    if !SUPPORTED_EXTENDS.contains(&extends.as_str()) {
        return Err(Error::rule(
            source,
            format!("'extends: {extends}' is not an extension point; use one of {}", SUPPORTED_EXTENDS.join(", ")),
        ));
    }
    let message = f.string("message")?.ok_or_else(|| Error::rule(source, "missing the required 'message' key"))?;
    let level = match f.string("level")? {
        None => Level::Suggestion,
        Some(l) => l.parse().map_err(|e: String| Error::rule(source, e))?,
    };
    let default_scope = match extends.as_str() {
        "metric" | "readability" => "summary",
        "capitalization" => "heading",
        _ => "text",
    };
    let scope_list = f.strings("scope")?;
    let scope = if scope_list.is_empty() {
        ScopeSpec::parse(&[default_scope.to_string()]).map_err(|e| Error::rule(source, e))?
    } else {
        ScopeSpec::parse(&scope_list).map_err(|e| Error::rule(source, e))?
    };
    let suggest = match f.string("suggest")? {
        Some(s) => Some(s),
        None => action_suggestion(&f)?,
    };
    let docs = match map.get("docs") {
        None => None,
        Some(v) => Some(
            serde_yaml::from_value::<RuleDocs>(v.clone())
                .map_err(|e| Error::rule(source, format!("'docs' must map what/why/example/instead to text: {e}")))?,
        ),
    };
    let meta = RuleMeta {
        name: name.to_string(),
        code: f.string("code")?,
        extends: extends.clone(),
        message,
        description: f.string("description")?,
        level,
        link: f.string("link")?,
        scope,
        limit: f.number("limit")?.map(|n| n.max(0.0) as usize).unwrap_or(0),
        platforms: f.strings("platforms")?.into_iter().map(|p| p.to_ascii_lowercase()).collect(),
        suggest,
        docs,
        source: source.to_string(),
    };
    let check = match extends.as_str() {
        "existence" => Check::Existence(Existence::compile(&f)?),
        "substitution" => Check::Substitution(Substitution::compile(&f)?),
        "occurrence" => Check::Occurrence(Occurrence::compile(&f)?),
        "repetition" => Check::Repetition(Repetition::compile(&f)?),
        "capitalization" => Check::Capitalization(Capitalization::compile(&f)?),
        "conditional" => Check::Conditional(Conditional::compile(&f)?),
        "consistency" => Check::Consistency(Consistency::compile(&f)?),
        "metric" => Check::Metric(Metric::compile_metric(&f)?),
        "readability" => Check::Metric(Metric::compile_readability(&f)?),
        "length" => Check::Length(Length::compile(&f)?),
        _ => unreachable_extends(source, &extends)?,
    };
    Ok(Parsed::Rule(Box::new(Rule { meta, check })))
}

fn unreachable_extends(source: &str, extends: &str) -> Result<Check> {
    Err(Error::rule(source, format!("'extends: {extends}' is not supported")))
}

fn action_suggestion(f: &Fields<'_>) -> Result<Option<String>> {
    let Some(Value::Mapping(action)) = f.map.get("action") else {
        return Ok(None);
    };
    let name = action.get("name").and_then(Value::as_str).unwrap_or_default();
    match name {
        "remove" => Ok(Some("remove it".to_string())),
        "replace" => {
            let params: Vec<String> = match action.get("params") {
                Some(Value::Sequence(s)) => s.iter().filter_map(scalar_string).collect(),
                Some(v) => scalar_string(v).into_iter().collect(),
                None => Vec::new(),
            };
            Ok(if params.is_empty() { None } else { Some(params.join(" or ")) })
        }
        _ => Ok(None),
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Typed, lenient access to a rule file's keys, with errors that name the key.
pub(crate) struct Fields<'a> {
    pub(crate) map: &'a Mapping,
    pub(crate) source: &'a str,
}

impl Fields<'_> {
    pub(crate) fn err(&self, message: impl Into<String>) -> Error {
        Error::rule(self.source, message)
    }

    /// A scalar as a string (numbers and booleans are accepted, as Vale's weak decoding does).
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => scalar_string(v).map(Some).ok_or_else(|| self.err(format!("'{key}' must be a single value"))),
        }
    }

    /// A list of strings; a single scalar counts as a one-item list.
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|v| scalar_string(v).ok_or_else(|| self.err(format!("every item of '{key}' must be text"))))
                .collect(),
            Some(v) => scalar_string(v)
                .map(|s| vec![s])
                .ok_or_else(|| self.err(format!("'{key}' must be text or a list of text"))),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Result<bool> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(self.err(format!("'{key}' must be true or false"))),
        }
    }

    pub(crate) fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) => {
                s.trim().parse().map(Some).map_err(|_| self.err(format!("'{key}' must be a number, not '{s}'")))
            }
            Some(_) => Err(self.err(format!("'{key}' must be a number"))),
        }
    }

    /// A mapping of text to text, in file order (Vale's `swap` and `either`).
    pub(crate) fn pairs(&self, key: &str) -> Result<Vec<(String, String)>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Mapping(m)) => m
                .iter()
                .map(|(k, v)| match (scalar_string(k), scalar_string(v)) {
                    (Some(k), Some(v)) => Ok((k, v)),
                    _ => Err(self.err(format!("'{key}' must map text to text"))),
                })
                .collect(),
            Some(_) => Err(self.err(format!("'{key}' must be a mapping like `bad phrase: better phrase`"))),
        }
    }
}

/// A compiled regular expression: the fast `regex` engine when the pattern allows it, else
/// `fancy-regex` for the lookarounds and backreferences some Vale packages use.
#[derive(Debug)]
pub(crate) enum Pattern {
    Std(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
}

/// One match: whole-match range and the ranges of the capture groups (index 0 is the match).
pub(crate) type Groups = Vec<Option<std::ops::Range<usize>>>;

impl Pattern {
    pub(crate) fn new(src: &str) -> std::result::Result<Self, String> {
        match regex::Regex::new(&ascii_word_boundaries(src)) {
            Ok(r) => Ok(Pattern::Std(r)),
            Err(std_err) => match fancy_regex::Regex::new(src) {
                Ok(r) => Ok(Pattern::Fancy(Box::new(r))),
                Err(_) => Err(format!("invalid regular expression `{src}`: {std_err}")),
            },
        }
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Std(r) => r.is_match(text),
            Pattern::Fancy(r) => r.is_match(text).unwrap_or(false),
        }
    }

    /// All non-overlapping matches in `text[range]`, with offsets into `text`.
    pub(crate) fn find_iter(&self, text: &str, range: std::ops::Range<usize>) -> Vec<std::ops::Range<usize>> {
        let s = &text[range.clone()];
        let base = range.start;
        match self {
            Pattern::Std(r) => r.find_iter(s).map(|m| base + m.start()..base + m.end()).collect(),
            Pattern::Fancy(r) => {
                r.find_iter(s).filter_map(|m| m.ok()).map(|m| base + m.start()..base + m.end()).collect()
            }
        }
    }

    /// All matches with their capture groups, offsets into `text`.
    pub(crate) fn captures_iter(&self, text: &str, range: std::ops::Range<usize>) -> Vec<Groups> {
        let s = &text[range.clone()];
        let base = range.start;
        let shift = |m: Option<std::ops::Range<usize>>| m.map(|r| base + r.start..base + r.end);
        match self {
            Pattern::Std(r) => {
                r.captures_iter(s).map(|c| c.iter().map(|m| shift(m.map(|m| m.range()))).collect()).collect()
            }
            Pattern::Fancy(r) => r
                .captures_iter(s)
                .filter_map(|c| c.ok())
                .map(|c| c.iter().map(|m| shift(m.map(|m| m.range()))).collect())
                .collect(),
        }
    }
}

/// Rewrites `\b`/`\B` to their ASCII forms, `(?-u:\b)`.
///
/// Vale's engine (Go) treats `\b` as an ASCII word boundary, so this keeps its meaning; and the
/// Unicode `\b` of Rust's `regex` cannot run in its fast lazy DFA once the text holds any
/// non-ASCII character (an emoji, a curly quote), which made linting several times slower.
fn ascii_word_boundaries(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(b @ ('b' | 'B')) if !in_class => {
                    out.push_str("(?-u:\\");
                    out.push(b);
                    out.push(')');
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
            continue;
        }
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Fills the `%s` placeholders of a Vale message in order (`%%` is a literal `%`).
pub fn format_message(template: &str, subs: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    out.push_str(subs.get(next).copied().unwrap_or(""));
                    next += 1;
                    continue;
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                    continue;
                }
                Some('[') => {
                    // %[2]s — explicit argument index
                    let rest: String = chars.clone().take(6).collect();
                    if let Some(close) = rest.find("]s")
                        && let Ok(i) = rest[1..close].parse::<usize>()
                    {
                        for _ in 0..close + 2 {
                            chars.next();
                        }
                        out.push_str(subs.get(i.saturating_sub(1)).copied().unwrap_or(""));
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_boundaries_become_ascii() {
        assert_eq!(ascii_word_boundaries(r"\bfoo\b"), r"(?-u:\b)foo(?-u:\b)");
        assert_eq!(ascii_word_boundaries(r"\\b[\b]"), r"\\b[\b]");
        assert!(Pattern::new(r"\bdelve\b").unwrap().is_match("🚀 let's delve!"));
    }

    #[test]
    fn messages_fill_in_order() {
        assert_eq!(format_message("Use '%s' instead of '%s'.", &["use", "utilize"]), "Use 'use' instead of 'utilize'.");
        assert_eq!(format_message("100%% sure about %s", &["x"]), "100% sure about x");
        assert_eq!(format_message("%[2]s then %[1]s", &["a", "b"]), "b then a");
    }

    #[test]
    fn unknown_extends_is_an_error_naming_the_file() {
        let e = parse_rule("S.R", "S/R.yml", "extends: bogus\nmessage: x\n").unwrap_err();
        assert!(e.to_string().contains("S/R.yml"), "{e}");
        assert!(e.to_string().contains("existence"), "{e}");
    }

    #[test]
    fn unsupported_extends_is_reported_not_fatal() {
        let p = parse_rule("S.Spell", "S/Spell.yml", "extends: spelling\nmessage: x\n").unwrap();
        assert!(matches!(p, Parsed::Unsupported { .. }));
    }

    #[test]
    fn yaml_error_has_line() {
        let e = parse_rule("S.R", "S/R.yml", "extends: existence\nmessage: [unclosed\n").unwrap_err();
        assert!(matches!(e, Error::Rule { line: Some(_), .. }), "{e:?}");
    }
}
