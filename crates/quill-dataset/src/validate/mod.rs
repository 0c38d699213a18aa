//! `quill dataset validate`: the cookbook notebook's checks and numbers (exactly), then what the
//! notebook does not look at — duplicates, test-split leakage, banned phrases, short or cut-off
//! targets, balance — and a verdict.
//!
//! Work is split so a 100k-line file takes seconds: lines are parsed and tokenised in parallel
//! (rayon), and only the notebook's own walk, which must follow Python's order to crash where
//! Python crashes, is sequential over precomputed counts.

pub mod dedup;
pub mod leakage;
pub mod notebook;
pub mod quality;
pub mod stats;
pub mod tokens;
pub mod verdict;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::formats::{self, Format};
use crate::manifest::Manifest;
use crate::text::sha256_hex;
use notebook::{Line, NotebookReport};
use stats::Distribution;
use tokens::{Encoding, LocalTokenizer};

/// Splits file bytes into lines the way Python's text mode does (universal newlines: `\n`,
/// `\r\n` and `\r` each end a line; a final terminator does not start an empty line), so line
/// numbers match the notebook's `for line in f`.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&bytes[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push(&bytes[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

/// Parses every line (in parallel) into what `json.loads` would make of it.
pub fn parse_lines(bytes: &[u8]) -> Vec<Line> {
    split_lines(bytes)
        .par_iter()
        .map(|raw| match std::str::from_utf8(raw) {
            Err(_) => Line::NotUtf8,
            Ok(s) if s.trim().is_empty() => Line::Blank,
            Ok(s) => serde_json::from_str::<Value>(s).map(Line::Json).unwrap_or_else(|e| Line::Invalid(e.to_string())),
        })
        .collect()
}

/// How a line failed a check.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    /// 1-based line.
    pub line: usize,
    /// A notebook category (`message_missing_key`, …) or one of ours (`invalid_json`,
    /// `blank_line`, `not_utf8`, `messages_not_a_list`, `message_not_object`, `invalid_weight`,
    /// `special_token_text`).
    pub category: &'static str,
    /// What is wrong, and where in the line.
    pub message: String,
}

/// Our categories beyond the notebook's; all are errors except `special_token_text`.
pub const EXTRA_CATEGORIES: &[&str] = &[
    "invalid_json",
    "blank_line",
    "not_utf8",
    "messages_not_a_list",
    "message_not_object",
    "invalid_weight",
    "special_token_text",
];

/// Settings of one validation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Encoding for our own token statistics (the notebook block always uses cl100k_base).
    pub encoding: Encoding,
    /// GGUF for `Encoding::Local` (default: the embedded SmolLM2).
    pub local_model: Option<PathBuf>,
    /// A held-out test file (any supported format).
    pub test_split: Option<PathBuf>,
    /// Data from the workspace: phrases, few-shot pool, knowledge, stored test split.
    pub workspace: Option<leakage::WorkspaceData>,
    /// At most this many issues are listed (all are counted).
    pub max_issues: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self { encoding: Encoding::Cl100kBase, local_model: None, test_split: None, workspace: None, max_issues: 1000 }
    }
}

/// Our token statistics over the clean examples.
#[derive(Debug, Clone, Serialize)]
pub struct TokenStats {
    /// Encoding used.
    pub encoding: &'static str,
    /// How totals are counted.
    pub method: String,
    /// Examples counted (the clean ones).
    pub examples: usize,
    /// Messages per example.
    pub messages_per_example: Option<Distribution>,
    /// Tokens per example.
    pub total_tokens_per_example: Option<Distribution>,
    /// Assistant tokens per example.
    pub assistant_tokens_per_example: Option<Distribution>,
    /// Lines over 16,385 tokens.
    pub over_limit_lines: Vec<usize>,
    /// The notebook's epoch and billing estimate, over the clean examples.
    pub cost: notebook::Cost,
}

/// Duplicate findings.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicates {
    /// Groups of lines holding the same example (normalised), first 50.
    pub exact_groups: Vec<Vec<usize>>,
    /// Extra copies in all exact groups.
    pub exact_extra_copies: usize,
    /// Whether the manifest says the build repeated examples on purpose (`--weighting repeat`).
    pub intentional_repeats: bool,
    /// Groups of lines with the same target but different prompts, first 50.
    pub same_target_groups: Vec<Vec<usize>>,
    /// Near-duplicate target pairs (line, line, Jaccard), first 100.
    pub near_pairs: Vec<(usize, usize, f64)>,
    /// All near-duplicate pairs found.
    pub near_pair_count: usize,
    /// Distinct examples in a near pair.
    pub near_examples: usize,
}

/// Target quality findings.
#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    /// Lines whose target has fewer than 4 words.
    pub short_lines: Vec<usize>,
    /// (line, why) for targets that look cut off.
    pub truncated: Vec<(usize, String)>,
    /// Banned phrases found (None: no phrase list, i.e. not in a workspace).
    pub banned: Option<Vec<quality::BannedHit>>,
    /// Lines with at least one banned phrase.
    pub banned_lines: usize,
}

/// Everything `validate` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The file.
    pub file: PathBuf,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Physical lines.
    pub lines: usize,
    /// Lines per detected format (`openai`, `sharegpt`, `alpaca`, `completion`, `unknown`).
    pub formats: BTreeMap<String, usize>,
    /// Examples with no error: what a trainer would get.
    pub clean_examples: usize,
    /// Lines with at least one error.
    pub error_lines: usize,
    /// Issue counts by category: the notebook's seven first, then ours.
    pub issue_counts: Map<String, Value>,
    /// The issues (first `max_issues`).
    pub issues: Vec<Issue>,
    /// "Num examples missing system/user message" over the clean examples.
    pub missing_system: usize,
    /// See `missing_system`.
    pub missing_user: usize,
    /// The notebook, as it would run on this file (converted to chat format when it is not).
    pub notebook: NotebookReport,
    /// What the notebook was run on: `file`, or `converted to OpenAI chat`.
    pub notebook_input: String,
    /// Our token statistics over the clean examples.
    pub tokens: TokenStats,
    /// Duplicates.
    pub duplicates: Duplicates,
    /// Test-split leakage (None: no test split known).
    pub leakage: Option<leakage::LeakageReport>,
    /// Target checks.
    pub targets: Targets,
    /// Platform/kind balance.
    pub balance: Option<quality::Balance>,
    /// The manifest that describes this file, when found.
    pub manifest: Option<String>,
    /// The grade.
    pub verdict: verdict::Verdict,
}

/// A clean example, reduced to what the later checks need.
struct Clean<'a> {
    line: usize,
    value: &'a Value,
    target: &'a str,
    /// Hash of the whole conversation, normalised (exact duplicates).
    whole: u64,
    user: &'a str,
}

/// Checks one parsed line with the notebook's categories (never crashing) plus ours.
fn check_value(v: &Value, line: usize, out: &mut Vec<Issue>) {
    let mut push = |category, message: String| out.push(Issue { line, category, message });
    let Value::Object(obj) = v else {
        push("data_type", "the line is not a JSON object".into());
        return;
    };
    let messages = obj.get("messages");
    if !messages.is_some_and(notebook::truthy) {
        let m = match messages {
            None => "no \"messages\" key".to_string(),
            Some(x) => format!("\"messages\" is empty ({x})"),
        };
        push("missing_messages_list", m);
        return;
    }
    let Some(Value::Array(msgs)) = messages else {
        push("messages_not_a_list", "\"messages\" is not a list".into());
        return;
    };
    const KEYS: [&str; 5] = ["role", "content", "name", "function_call", "weight"];
    let mut has_assistant = false;
    for (i, m) in msgs.iter().enumerate() {
        let Value::Object(m) = m else {
            push("message_not_object", format!("messages[{i}] is not an object"));
            continue;
        };
        if !m.contains_key("role") || !m.contains_key("content") {
            let missing = if m.contains_key("role") { "content" } else { "role" };
            push("message_missing_key", format!("messages[{i}] has no \"{missing}\""));
        }
        if let Some(k) = m.keys().find(|k| !KEYS.contains(&k.as_str())) {
            push(
                "message_unrecognized_key",
                format!("messages[{i}] has key {k:?} (allowed: role, content, name, function_call, weight)"),
            );
        }
        let role = m.get("role").and_then(Value::as_str);
        if !role.is_some_and(|r| matches!(r, "system" | "user" | "assistant" | "function")) {
            push(
                "unrecognized_role",
                format!("messages[{i}] has role {}", m.get("role").map_or("(none)".into(), |r| r.to_string())),
            );
        }
        has_assistant |= role == Some("assistant");
        let content = m.get("content");
        let fc = m.get("function_call");
        if (!content.is_some_and(notebook::truthy) && !fc.is_some_and(notebook::truthy))
            || !content.is_some_and(Value::is_string)
        {
            push("missing_content", format!("messages[{i}] has no text content"));
        }
        if let Some(w) = m.get("weight") {
            if !matches!(w.as_u64(), Some(0 | 1)) {
                push("invalid_weight", format!("messages[{i}] has weight {w}; use 0 or 1"));
            } else if role != Some("assistant") {
                push(
                    "invalid_weight",
                    format!(
                        "messages[{i}] is a {} turn with a weight; only assistant turns take one",
                        role.unwrap_or("?")
                    ),
                );
            }
        }
        if m.values().any(|x| x.as_str().is_some_and(tokens::has_cl100k_special)) {
            push("special_token_text", format!("messages[{i}] contains special-token text such as <|endoftext|>"));
        }
    }
    if !has_assistant {
        push("example_missing_assistant_message", "no assistant message".into());
    }
}

/// The chat object a line stands for: itself when it has `messages`, else its conversion when it
/// is another known format, else None.
fn as_chat(v: &Value, line: usize) -> (Option<Format>, Option<Value>) {
    if v.get("messages").is_some() {
        return (Some(Format::Openai), None);
    }
    match formats::parse_value(v, line, String::new()) {
        Ok((f, ex)) => {
            let msgs: Vec<Value> =
                ex.messages.iter().map(|m| serde_json::json!({ "role": m.role, "content": m.content })).collect();
            (Some(f), Some(serde_json::json!({ "messages": msgs })))
        }
        Err(_) => (None, None),
    }
}

/// Validates a file.
pub fn validate_file(path: &Path, opts: &Options) -> Result<Report> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    validate_bytes(path, &bytes, opts)
}

/// Validates file contents; `path` names the file in the report and locates its manifest.
pub fn validate_bytes(path: &Path, bytes: &[u8], opts: &Options) -> Result<Report> {
    let timer = Timer::new();
    let sha256 = sha256_hex(bytes);
    let manifest = Manifest::for_file(path, &sha256);
    let raw = parse_lines(bytes);
    timer.mark("parse");

    // Formats and the chat view of each line.
    let converted: Vec<(Option<Format>, Option<Value>)> = raw
        .par_iter()
        .enumerate()
        .map(|(i, l)| match l {
            Line::Json(v) => as_chat(v, i + 1),
            _ => (None, None),
        })
        .collect();
    let mut formats_seen: BTreeMap<String, usize> = BTreeMap::new();
    for (l, (f, _)) in raw.iter().zip(&converted) {
        if matches!(l, Line::Json(_)) {
            *formats_seen.entry(f.map_or("unknown".into(), |f| f.to_string())).or_insert(0) += 1;
        }
    }
    let any_converted = converted.iter().any(|(_, c)| c.is_some());
    timer.mark("convert");
    let lines: Vec<Line> = raw
        .into_iter()
        .zip(converted)
        .map(|(l, (_, c))| match c {
            Some(v) => Line::Json(v),
            None => l,
        })
        .collect();

    // Per-line checks.
    let per_line: Vec<Vec<Issue>> = lines
        .par_iter()
        .enumerate()
        .map(|(i, l)| {
            let mut out = Vec::new();
            let line = i + 1;
            match l {
                Line::Json(v) => check_value(v, line, &mut out),
                Line::Blank => out.push(Issue {
                    line,
                    category: "blank_line",
                    message: "blank line (the notebook's json.loads fails on it)".into(),
                }),
                Line::NotUtf8 => out.push(Issue { line, category: "not_utf8", message: "not valid UTF-8".into() }),
                Line::Invalid(e) => {
                    out.push(Issue { line, category: "invalid_json", message: format!("not valid JSON: {e}") })
                }
            }
            out
        })
        .collect();
    let is_error = |i: &Issue| i.category != "special_token_text";
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    let mut issues = Vec::new();
    let mut error_lines = 0;
    for li in &per_line {
        if li.iter().any(is_error) {
            error_lines += 1;
        }
        for i in li {
            *counts.entry(i.category).or_insert(0) += 1;
            if issues.len() < opts.max_issues {
                issues.push(i.clone());
            }
        }
    }
    let mut issue_counts = Map::new();
    timer.mark("checks");
    for c in notebook::CATEGORIES.iter().chain(EXTRA_CATEGORIES) {
        if let Some(n) = counts.get(c) {
            issue_counts.insert(c.to_string(), Value::from(*n));
        }
    }

    // The notebook, on cl100k counts computed in parallel.
    let cl100k = tokens::bpe(Encoding::Cl100kBase)?;
    let nb_tokens: Vec<Option<notebook::ExampleTokens>> = lines
        .par_iter()
        .map_init(notebook::TokenCache::default, |cache, l| notebook::example_tokens_cached(l, cl100k, cache))
        .collect();
    let nb = notebook::run(&lines, &nb_tokens);
    timer.mark("notebook");

    // Clean examples.
    let clean: Vec<Clean> = lines
        .par_iter()
        .zip(&per_line)
        .enumerate()
        .filter(|(_, (l, iss))| matches!(l, Line::Json(_)) && !iss.iter().any(is_error))
        .filter_map(|(i, (l, _))| {
            let Line::Json(v) = l else { return None };
            let msgs = v.get("messages")?.as_array()?;
            fn text(m: &Value) -> &str {
                m.get("content").and_then(Value::as_str).unwrap_or("")
            }
            let role = |m: &Value| m.get("role").and_then(Value::as_str).unwrap_or("").to_string();
            let target = msgs.iter().rev().find(|m| role(m) == "assistant").map(text).unwrap_or("");
            let mut whole: u64 = 0;
            for m in msgs {
                whole = whole.rotate_left(5)
                    ^ crate::text::norm_hash(&role(m))
                    ^ crate::text::norm_hash(text(m)).rotate_left(17);
            }
            let user = msgs.iter().find(|m| role(m) == "user").map(text).unwrap_or("");
            Some(Clean { line: i + 1, value: v, target, whole, user })
        })
        .collect();
    timer.mark("clean");
    let missing_system = clean.iter().filter(|c| !has_role(c.value, "system")).count();
    let missing_user = clean.iter().filter(|c| !has_role(c.value, "user")).count();

    let token_stats = own_token_stats(&clean, &nb_tokens, opts)?;
    timer.mark("tokens");

    // Duplicates.
    let intentional = manifest.as_ref().is_some_and(|(m, _)| m.settings.weighting == "repeat");
    let duplicates = find_duplicates(&clean, intentional);
    timer.mark("dups");

    // Targets.
    let short_lines: Vec<usize> = clean.iter().filter(|c| quality::is_short(c.target)).map(|c| c.line).collect();
    let truncated: Vec<(usize, String)> =
        clean.iter().filter_map(|c| quality::truncation(c.target).map(|why| (c.line, why))).collect();
    let (banned, banned_lines) = match &opts.workspace {
        Some(ws) if !ws.banned.is_empty() => {
            let m = quality::BannedMatcher::new(&ws.banned);
            let per: Vec<Vec<quality::BannedHit>> = clean.par_iter().map(|c| m.find(c.target, c.line)).collect();
            let lines_hit = per.iter().filter(|h| !h.is_empty()).count();
            (Some(per.into_iter().flatten().collect()), lines_hit)
        }
        Some(_) => (Some(Vec::new()), 0),
        None => (None, 0),
    };

    // Balance.
    let balance = if let Some((_, f)) = &manifest {
        Some(quality::Balance::from_strata("manifest", &f.strata))
    } else {
        let mut strata = BTreeMap::new();
        let mut known = 0;
        for c in &clean {
            if let Some(s) = quality::stratum_from_prompt(c.user) {
                *strata.entry(s).or_insert(0) += 1;
                known += 1;
            }
        }
        (known > 0 && known * 2 >= clean.len()).then(|| quality::Balance::from_strata("prompts", &strata))
    };

    // Leakage.
    let leakage = leakage_report(&clean, opts)?;
    timer.mark("leak");

    // Verdict.
    let distinct = clean.len() - if intentional { duplicates.exact_extra_copies } else { 0 };
    let proven = manifest.as_ref().and_then(|(_, f)| (f.with_evidence > 0).then_some((f.proven, f.with_evidence)));
    let inputs = verdict::Inputs {
        format_error_lines: error_lines,
        examples: distinct,
        exact_duplicates: if intentional { 0 } else { duplicates.exact_extra_copies },
        near_duplicate_examples: duplicates.near_examples,
        banned_examples: banned.as_ref().map(|_| banned_lines),
        short: short_lines.len(),
        truncated: truncated.len(),
        over_limit: token_stats.over_limit_lines.len(),
        leaks: leakage.as_ref().map(|l| l.total()),
        test_examples: leakage.as_ref().map(|l| l.test_examples),
        balance: balance.as_ref().map(|b| (b.top_platform_share, b.by_platform.len(), b.thin_strata.clone())),
        proven,
    };
    let verdict = verdict::judge(&inputs);

    Ok(Report {
        file: path.to_path_buf(),
        sha256,
        lines: lines.len(),
        formats: formats_seen,
        clean_examples: clean.len(),
        error_lines,
        issue_counts,
        issues,
        missing_system,
        missing_user,
        notebook: nb,
        notebook_input: if any_converted { "converted to OpenAI chat".into() } else { "file".into() },
        tokens: token_stats,
        duplicates,
        leakage,
        targets: Targets { short_lines, truncated, banned, banned_lines },
        balance,
        manifest: manifest.map(|(_, f)| f.path),
        verdict,
    })
}

/// Phase timings on stderr when `QUILL_DATASET_TIMINGS` is set (for profiling the validator).
struct Timer(Option<std::cell::Cell<std::time::Instant>>);

impl Timer {
    fn new() -> Self {
        Self(std::env::var_os("QUILL_DATASET_TIMINGS").map(|_| std::cell::Cell::new(std::time::Instant::now())))
    }
    fn mark(&self, what: &str) {
        if let Some(t) = &self.0 {
            eprintln!("validate: {what:<10} {:>8.3} s", t.get().elapsed().as_secs_f64());
            t.set(std::time::Instant::now());
        }
    }
}

fn has_role(v: &Value, role: &str) -> bool {
    v.get("messages")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|m| m.get("role").and_then(Value::as_str) == Some(role)))
}

/// Our counts for one clean example with a BPE encoding: the notebook's formula, except that
/// `weight` and null values count nothing and other non-string values count as their JSON text
/// (where the notebook would raise).
fn bpe_counts(v: &Value, bpe: &tiktoken_rs::CoreBPE, pre: Option<&notebook::ExampleTokens>) -> (u64, u64, u64) {
    let msgs = v.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut total = 0u64;
    let mut assistant = 0u64;
    for (mi, m) in msgs.iter().enumerate() {
        total += 3;
        let Some(o) = m.as_object() else { continue };
        let pm = pre.and_then(|p| p.get(mi)).and_then(Option::as_ref);
        for (ki, (k, val)) in o.iter().enumerate() {
            if k == "weight" || val.is_null() {
                continue;
            }
            let n = match (val, pm.and_then(|p| p.get(ki))) {
                (Value::String(_), Some(notebook::ValTok::Str { n, .. })) => *n as u64,
                (Value::String(s), _) => tokens::count(bpe, s) as u64,
                (other, _) => tokens::value_text(other).map_or(0, |t| tokens::count(bpe, &t) as u64),
            };
            total += n;
            if k == "name" {
                total += 1;
            }
            if k == "content" && o.get("role").and_then(Value::as_str) == Some("assistant") {
                assistant += n;
            }
        }
    }
    (msgs.len() as u64, total + 3, assistant)
}

fn own_token_stats(
    clean: &[Clean],
    nb_tokens: &[Option<notebook::ExampleTokens>],
    opts: &Options,
) -> Result<TokenStats> {
    let (method, counts): (String, Vec<(u64, u64, u64)>) = match opts.encoding {
        Encoding::Local => {
            let path = opts.local_model.clone().unwrap_or_else(quill_store::default_llm_path);
            let tok = LocalTokenizer::load(&path)?;
            let counts = clean
                .iter()
                .map(|c| {
                    let msgs: Vec<(String, String)> = c.value["messages"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|m| {
                                    (
                                        m.get("role").and_then(Value::as_str).unwrap_or("").to_string(),
                                        m.get("content").and_then(Value::as_str).unwrap_or("").to_string(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let total = tok.count_conversation(&msgs)? as u64;
                    let assistant: u64 =
                        msgs.iter().filter(|(r, _)| r == "assistant").map(|(_, c)| tok.count_text(c) as u64).sum();
                    Ok((msgs.len() as u64, total, assistant))
                })
                .collect::<Result<Vec<_>>>()?;
            (
                format!(
                    "the conversation rendered with the chat template of {}, special tokens included",
                    path.display()
                ),
                counts,
            )
        }
        enc => {
            let bpe = tokens::bpe(enc)?;
            let reuse = enc == Encoding::Cl100kBase;
            let counts = clean
                .par_iter()
                .map(|c| {
                    bpe_counts(
                        c.value,
                        bpe,
                        if reuse { nb_tokens.get(c.line - 1).and_then(Option::as_ref) } else { None },
                    )
                })
                .collect();
            (
                "the notebook's formula: 3 per message + every text value + 1 per name + 3 (weights count nothing)"
                    .into(),
                counts,
            )
        }
    };
    let msgs: Vec<u64> = counts.iter().map(|c| c.0).collect();
    let totals: Vec<u64> = counts.iter().map(|c| c.1).collect();
    let assistant: Vec<u64> = counts.iter().map(|c| c.2).collect();
    let over_limit_lines = clean
        .iter()
        .zip(&totals)
        .filter(|(_, t)| **t > notebook::MAX_TOKENS_PER_EXAMPLE)
        .map(|(c, _)| c.line)
        .collect();
    Ok(TokenStats {
        encoding: opts.encoding.as_str(),
        method,
        examples: clean.len(),
        messages_per_example: Distribution::of(&msgs),
        total_tokens_per_example: Distribution::of(&totals),
        assistant_tokens_per_example: Distribution::of(&assistant),
        over_limit_lines,
        cost: notebook::cost_cell(clean.len() as u64, &totals),
    })
}

fn find_duplicates(clean: &[Clean], intentional: bool) -> Duplicates {
    let groups = |keys: &[u64]| -> Vec<Vec<usize>> {
        let mut by: HashMap<u64, Vec<usize>> = HashMap::new();
        for (c, k) in clean.iter().zip(keys) {
            by.entry(*k).or_default().push(c.line);
        }
        let mut g: Vec<Vec<usize>> = by.into_values().filter(|v| v.len() > 1).collect();
        g.sort();
        g
    };
    let whole: Vec<u64> = clean.iter().map(|c| c.whole).collect();
    let target_keys: Vec<u64> = clean.par_iter().map(|c| crate::text::norm_hash(c.target)).collect();
    let exact = groups(&whole);
    let exact_extra_copies = exact.iter().map(|g| g.len() - 1).sum();
    let mut same_target = groups(&target_keys);
    same_target.retain(|g| !exact.contains(g));
    // Near duplicates among distinct targets only.
    let mut first_of: HashMap<u64, usize> = HashMap::new();
    let mut skip = vec![false; clean.len()];
    for (i, k) in target_keys.iter().enumerate() {
        if first_of.contains_key(k) {
            skip[i] = true;
        } else {
            first_of.insert(*k, i);
        }
    }
    let targets: Vec<&str> = clean.iter().map(|c| c.target).collect();
    let docs = dedup::docs(&targets);
    let pairs = dedup::Index::new(&docs).pairs_within(dedup::NEAR_THRESHOLD, &skip);
    let mut involved: Vec<usize> = pairs.iter().flat_map(|p| [p.0, p.1]).collect();
    involved.sort_unstable();
    involved.dedup();
    let near_pairs: Vec<(usize, usize, f64)> = pairs
        .iter()
        .take(100)
        .map(|&(i, j, s)| (clean[i].line, clean[j].line, (s * 1000.0).round() / 1000.0))
        .collect();
    let mut exact_groups = exact;
    exact_groups.truncate(50);
    same_target.truncate(50);
    Duplicates {
        exact_groups,
        exact_extra_copies,
        intentional_repeats: intentional,
        same_target_groups: same_target,
        near_pair_count: pairs.len(),
        near_pairs,
        near_examples: involved.len(),
    }
}

fn leakage_report(clean: &[Clean], opts: &Options) -> Result<Option<leakage::LeakageReport>> {
    let test = if let Some(p) = &opts.test_split {
        let items = formats::read_file(p)?
            .into_iter()
            .map(|(_, ex)| (format!("{}:{}", p.display(), ex.origin.line.unwrap_or(0)), None, ex.target().to_string()))
            .collect();
        leakage::TestSet { source: p.display().to_string(), items }
    } else if let Some(ws) = opts.workspace.as_ref().filter(|w| !w.test_entries.is_empty()) {
        let items = ws.test_entries.iter().map(|(id, label, text)| (label.clone(), Some(*id), text.clone())).collect();
        leakage::TestSet { source: "workspace entry_splits (split = 'test')".into(), items }
    } else {
        return Ok(None);
    };
    let test_texts: Vec<&str> = test.items.iter().map(|x| x.2.as_str()).collect();
    let test_docs = dedup::docs(&test_texts);
    let labels: Vec<String> = clean.iter().map(|c| format!("line {}", c.line)).collect();
    let texts: Vec<String> = clean.iter().map(|c| c.target.to_string()).collect();
    let docs = dedup::docs(&texts);
    let train = leakage::against_texts(&test, &test_docs, &labels, &texts, &docs);
    let (pool, kb) = match &opts.workspace {
        Some(ws) => (
            Some(leakage::against_pool(&test, &test_docs, &ws.pool)),
            Some(leakage::against_kb(&test, &test_docs, &ws.kb)),
        ),
        None => (None, None),
    };
    Ok(Some(leakage::LeakageReport {
        test_source: test.source.clone(),
        test_examples: test.items.len(),
        train,
        few_shot_pool: pool,
        knowledge_base: kb,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn universal_newlines_like_python() {
        let l = split_lines(b"a\r\nb\rc\n\nd");
        assert_eq!(l, [&b"a"[..], b"b", b"c", b"", b"d"]);
        assert_eq!(split_lines(b"a\n").len(), 1);
        assert!(split_lines(b"").is_empty());
    }
}
