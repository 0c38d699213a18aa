//! Rules learned from edits: the creator's before/after rewrites, aligned word by word, turned
//! into proposed lint rules with the evidence counted.
//!
//! Three kinds of proposal:
//! - **substitution** — a short span replaced by another in aligned text, at least `min_count`
//!   times: "you replaced 'utilize' with 'use' 7 times";
//! - **removal** — a word or phrase present in the draft and gone from the edit every time (and
//!   never written in any edited version): "you removed 'synergy' in 2 of 2 edits";
//! - **cut sentence** — sentences starting the same way that were cut every time: "you cut
//!   every sentence that starts with 'In today's' (3 of 3)".
//!
//! Accepted proposals are written as Vale-format YAML into the workspace's `Learned` style, one
//! file per rule, atomically; `quill lint` picks them up like any other style.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::features::FUNCTION_WORDS;
use crate::lint::phrase_pattern;
use crate::text::{Document, word_ranges, words_lower};
use crate::{Error, Result};

/// One before/after pair.
#[derive(Debug, Clone, Copy)]
pub struct Rewrite<'a> {
    /// The draft before the creator's edit.
    pub before: &'a str,
    /// The creator's edited version.
    pub after: &'a str,
}

/// What a proposal would enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// Replace one phrase with another.
    Substitution,
    /// Flag a phrase the creator always removes.
    Removal,
    /// Flag sentences opening a way the creator always cuts.
    CutSentence,
}

/// A proposed rule and the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// Stable id (same evidence → same id across runs), used with `--accept`.
    pub id: String,
    /// Kind.
    pub kind: ProposalKind,
    /// The phrase (or sentence opening) flagged.
    pub from: String,
    /// Other surface forms seen ("utilized", "utilizing").
    pub forms: Vec<String>,
    /// The replacement, for substitutions.
    pub to: Option<String>,
    /// Edits that did it.
    pub count: usize,
    /// Edits where the phrase was present in the draft (count ≤ seen).
    pub seen: usize,
    /// The question put to the creator.
    pub message: String,
    /// `Learned.<Name>` — the rule it becomes.
    pub rule: String,
    /// The rule file's YAML.
    pub yaml: String,
}

/// Knobs for [`propose`].
#[derive(Debug, Clone)]
pub struct LearnOptions {
    /// Minimum number of edits backing a proposal.
    pub min_count: usize,
    /// Longest phrase considered, in words.
    pub max_words: usize,
    /// Lower-case words the creator uses in their own published writing. A removal is only
    /// proposed for a word (or a phrase with at least one word) outside this set: cutting
    /// 'agencies' from one draft is an edit, not a rule, when 'agencies' is all over their posts.
    pub known_words: BTreeSet<String>,
}

impl Default for LearnOptions {
    fn default() -> Self {
        Self { min_count: 2, max_words: 3, known_words: BTreeSet::new() }
    }
}

fn is_function(w: &str) -> bool {
    FUNCTION_WORDS.binary_search(&w).is_ok()
}

/// A crude stem so "utilize", "utilized" and "utilizing" count as one habit.
fn stem(w: &str) -> String {
    for suf in ["ing", "ed", "es", "s", "e"] {
        if let Some(s) = w.strip_suffix(suf)
            && s.chars().count() >= 4
        {
            return s.to_string();
        }
    }
    w.to_string()
}

/// Word tokens with their lower-case form, for alignment.
fn tokens(text: &str) -> Vec<String> {
    words_lower(Document::new(text).masked())
}

/// Longest-common-subsequence alignment; returns hunks of (deleted, inserted) words.
fn diff_hunks(a: &[String], b: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 || n * m > 4_000_000 {
        return vec![(a.to_vec(), b.to_vec())];
    }
    let mut dp = vec![0u32; (n + 1) * (m + 1)];
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            dp[idx(i, j)] =
                if a[i] == b[j] { dp[idx(i + 1, j + 1)] + 1 } else { dp[idx(i + 1, j)].max(dp[idx(i, j + 1)]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut hunks = Vec::new();
    let (mut del, mut ins) = (Vec::new(), Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            if !del.is_empty() || !ins.is_empty() {
                hunks.push((std::mem::take(&mut del), std::mem::take(&mut ins)));
            }
            i += 1;
            j += 1;
        } else if j < m && (i == n || dp[idx(i, j + 1)] >= dp[idx(i + 1, j)]) {
            ins.push(b[j].clone());
            j += 1;
        } else {
            del.push(a[i].clone());
            i += 1;
        }
    }
    if !del.is_empty() || !ins.is_empty() {
        hunks.push((del, ins));
    }
    hunks
}

/// N-grams (1..=max) of content phrases: not starting or ending with a function word.
fn content_ngrams(words: &[String], max: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in 1..=max {
        for w in words.windows(n) {
            if is_function(&w[0]) || is_function(&w[n - 1]) || w.iter().any(|t| t.chars().all(|c| c.is_ascii_digit())) {
                continue;
            }
            out.insert(w.join(" "));
        }
    }
    out
}

/// Proposes rules from the rewrites.
pub fn propose(rewrites: &[Rewrite<'_>], opts: &LearnOptions) -> Vec<Proposal> {
    let befores: Vec<Vec<String>> = rewrites.iter().map(|r| tokens(r.before)).collect();
    let afters: Vec<Vec<String>> = rewrites.iter().map(|r| tokens(r.after)).collect();
    let all_after: BTreeSet<String> = afters.iter().flat_map(|a| content_ngrams(a, opts.max_words)).collect();
    let after_words: BTreeSet<&str> = afters.iter().flatten().map(String::as_str).collect();
    let mut out = Vec::new();

    // 1. Substitutions from small aligned hunks.
    let mut subs: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (b, a) in befores.iter().zip(&afters) {
        let mut seen_here = BTreeSet::new();
        for (del, ins) in diff_hunks(b, a) {
            if del.is_empty() || ins.is_empty() || del.len() > opts.max_words || ins.len() > opts.max_words {
                continue;
            }
            if del.iter().all(|w| is_function(w)) {
                continue;
            }
            seen_here.insert((del.join(" "), ins.join(" ")));
        }
        for k in seen_here {
            *subs.entry(k).or_default() += 1;
        }
    }
    let mut substituted: BTreeSet<String> = BTreeSet::new();
    for ((from, to), count) in subs {
        if count < opts.min_count {
            continue;
        }
        let seen = befores.iter().filter(|b| contains_phrase(b, &from)).count();
        substituted.insert(from.clone());
        let message = format!("you replaced '{from}' with '{to}' {count} times — add a substitution?");
        out.push(make(ProposalKind::Substitution, from, vec![], Some(to), count, seen, message));
    }

    // 2. Removals: present before, absent after, never written in any edited version.
    let mut removed: BTreeMap<String, (usize, usize)> = BTreeMap::new(); // phrase -> (removed, seen)
    for (b, a) in befores.iter().zip(&afters) {
        let before_set = content_ngrams(b, opts.max_words);
        let after_set = content_ngrams(a, opts.max_words);
        for g in before_set {
            let e = removed.entry(g.clone()).or_default();
            e.1 += 1;
            if !after_set.contains(&g) {
                e.0 += 1;
            }
        }
    }
    // Kept at least once, or written in an edited version: not a habit of cutting it.
    let phrases: Vec<(String, usize, usize)> = removed
        .iter()
        .filter(|(g, (r, s))| r == s && g.contains(' ') && !all_after.contains(*g) && !substituted.contains(*g))
        .map(|(g, (r, s))| (g.clone(), *r, *s))
        .collect();
    let known = |g: &str| g.split(' ').all(|w| opts.known_words.contains(w) || is_function(w));
    // Phrases first: the most specific phrase for a given set of edits wins.
    let phrase_ok: Vec<&(String, usize, usize)> = phrases
        .iter()
        .filter(|(g, r, _)| {
            *r >= opts.min_count
                && !known(g)
                && !phrases
                    .iter()
                    .any(|(h, r2, _)| h.len() > g.len() && r2 == r && format!(" {h} ").contains(&format!(" {g} ")))
        })
        .collect();
    // Group single words by stem ("utilize", "utilized" → one proposal); a word that only ever
    // went with a proposed phrase ("fast-paced" in "today's fast-paced world") is left to it.
    let mut by_stem: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (g, (r, s)) in &removed {
        if *r != *s || all_after.contains(g) || substituted.contains(g) || g.contains(' ') || known(g) {
            continue;
        }
        if after_words.iter().any(|w| stem(w) == stem(g)) {
            continue;
        }
        if phrase_ok.iter().any(|(h, r2, _)| r2 == r && h.split(' ').any(|w| w == g)) {
            continue;
        }
        by_stem.entry(stem(g)).or_default().push(g.clone());
    }
    for (st, forms) in by_stem {
        // The same edit can remove two forms; count edits, not forms.
        let edits = befores.iter().zip(&afters).filter(|(b, _)| b.iter().any(|w| stem(w) == st)).count();
        if edits < opts.min_count {
            continue;
        }
        let mut forms = forms;
        forms.sort_by_key(|f| (f.len(), f.clone()));
        let from = forms[0].clone();
        let others: Vec<String> = forms[1..].to_vec();
        let also = if others.is_empty() { String::new() } else { format!(" (and '{}')", others.join("', '")) };
        let message =
            format!("you removed '{from}'{also} in every edit where it appeared ({edits} of {edits}) — flag it?");
        out.push(make(ProposalKind::Removal, from, others, None, edits, edits, message));
    }
    // Phrases whose words are not already proposed on their own.
    let single: BTreeSet<String> = out
        .iter()
        .filter(|p| p.kind == ProposalKind::Removal)
        .flat_map(|p| std::iter::once(p.from.clone()).chain(p.forms.clone()))
        .collect();
    for (g, r, s) in phrase_ok {
        if g.split(' ').any(|w| single.contains(w)) {
            continue;
        }
        let message = format!("you removed '{g}' in every edit where it appeared ({r} of {s}) — flag it?");
        out.push(make(ProposalKind::Removal, g.clone(), vec![], None, *r, *s, message));
    }

    // 3. Cut sentences, grouped by their first two words.
    let mut openers: BTreeMap<String, (usize, usize, String)> = BTreeMap::new(); // key -> (cut, seen, example)
    for r in rewrites {
        let after_sents: Vec<BTreeSet<String>> = sentences(r.after).iter().map(|s| content_set(s)).collect();
        for s in sentences(r.before) {
            let words: Vec<String> = words_lower(&s);
            if words.len() < 3 {
                continue;
            }
            let key = words[..2].join(" ");
            let mine = content_set(&s);
            let kept = after_sents.iter().any(|a| overlap(&mine, a) >= 0.5);
            let e = openers.entry(key).or_insert_with(|| (0, 0, String::new()));
            e.1 += 1;
            if !kept {
                e.0 += 1;
                if e.2.is_empty() {
                    e.2 = s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
                }
            }
        }
    }
    let after_openers: BTreeSet<String> = rewrites
        .iter()
        .flat_map(|r| sentences(r.after))
        .map(|s| words_lower(&s).into_iter().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    for (key, (cut, seen, example)) in openers {
        if cut < opts.min_count || cut != seen || after_openers.contains(&key) || key.split(' ').all(is_function) {
            continue;
        }
        let message = format!("you cut every sentence that starts with '{example}' ({cut} of {seen}) — flag them?");
        out.push(make(ProposalKind::CutSentence, example, vec![], None, cut, seen, message));
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)).then(a.from.cmp(&b.from)));
    out
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    words.windows(p.len()).any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
}

fn sentences(text: &str) -> Vec<String> {
    let doc = Document::new(text);
    doc.sentences().into_iter().map(|r| doc.masked()[r].to_string()).collect()
}

fn content_set(s: &str) -> BTreeSet<String> {
    words_lower(s).into_iter().filter(|w| !is_function(w)).collect()
}

fn overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    a.intersection(b).count() as f64 / a.len() as f64
}

fn camel(s: &str) -> String {
    let s = s.replace(['\'', '’'], "");
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn make(
    kind: ProposalKind,
    from: String,
    forms: Vec<String>,
    to: Option<String>,
    count: usize,
    seen: usize,
    message: String,
) -> Proposal {
    let tag = match kind {
        ProposalKind::Substitution => "s",
        ProposalKind::Removal => "r",
        ProposalKind::CutSentence => "c",
    };
    let id = format!("{tag}{:06x}", fnv(&format!("{tag}|{from}|{}", to.as_deref().unwrap_or(""))) & 0xff_ffff);
    let name = match kind {
        ProposalKind::Substitution => {
            format!("{}To{}", camel(&from), camel(to.as_deref().unwrap_or("")))
        }
        ProposalKind::Removal => format!("No{}", camel(&from)),
        ProposalKind::CutSentence => format!("Cut{}", camel(&from)),
    };
    let rule = format!("Learned.{name}");
    let yaml = rule_yaml(kind, &id, &from, &forms, to.as_deref(), count);
    Proposal { id, kind, from, forms, to, count, seen, message, rule, yaml }
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn rule_yaml(kind: ProposalKind, id: &str, from: &str, forms: &[String], to: Option<&str>, count: usize) -> String {
    let mut y = String::new();
    let docs = |what: &str, instead: &str| {
        format!(
            "docs:\n  what: {}\n  why: {}\n  example: {}\n  instead: {}\n",
            q(what),
            q(&format!("Learned from {count} of your own edits by `quill voice learn`.")),
            q(from),
            q(instead)
        )
    };
    match kind {
        ProposalKind::Substitution => {
            let to = to.unwrap_or("");
            y.push_str("extends: substitution\n");
            y.push_str(&format!("code: {}\n", id.to_uppercase()));
            y.push_str(&format!(
                "message: {}\n",
                q(&format!("You usually write '%s' instead of '%s' ({count} edits)."))
            ));
            y.push_str("level: warning\nignorecase: true\nnonword: true\nswap:\n");
            y.push_str(&format!("  {}: {}\n", q(&phrase_pattern(from)), q(to)));
            y.push_str(&docs(&format!("Flags '{from}', which you replaced with '{to}' in your edits."), to));
        }
        ProposalKind::Removal => {
            y.push_str("extends: existence\n");
            y.push_str(&format!("code: {}\n", id.to_uppercase()));
            y.push_str(&format!("message: {}\n", q(&format!("You removed '%s' in your edits ({count} of {count})."))));
            y.push_str("level: warning\nignorecase: true\nnonword: true\ntokens:\n");
            for f in std::iter::once(from).chain(forms.iter().map(String::as_str)) {
                y.push_str(&format!("  - {}\n", q(&phrase_pattern(f))));
            }
            y.push_str(&docs(&format!("Flags '{from}', which you always cut from drafts."), "Cut it, as you do."));
        }
        ProposalKind::CutSentence => {
            y.push_str("extends: existence\n");
            y.push_str(&format!("code: {}\n", id.to_uppercase()));
            y.push_str(&format!(
                "message: {}\n",
                q(&format!("You cut every sentence starting '%s' in your edits ({count})."))
            ));
            y.push_str("level: warning\nscope: sentence\nignorecase: true\nnonword: true\ntokens:\n");
            y.push_str(&format!("  - {}\n", q(&format!("^\\s*{}", phrase_pattern(from)))));
            y.push_str(&docs(
                &format!("Flags sentences that open with '{from}', which you always cut."),
                "Start with the point.",
            ));
        }
    }
    y
}

/// Writes accepted proposals into `dir` (the workspace's `Learned` style folder), one file per
/// rule, each atomically. Returns the files written. A proposal whose file already exists is
/// rewritten with the newer evidence.
pub fn write_rules(dir: &Path, accepted: &[&Proposal]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in accepted {
        let name = p.rule.strip_prefix("Learned.").unwrap_or(&p.rule);
        let path = dir.join(format!("{name}.yml"));
        // Check the rule compiles before it reaches the folder `quill lint` reads.
        crate::lint::parse_rule(&p.rule, &path.display().to_string(), &p.yaml)?;
        quill_store::atomic_write(&path, p.yaml.as_bytes())?;
        out.push(path);
    }
    Ok(out)
}

/// Which proposals already have a rule file in `dir` (accepted earlier).
pub fn accepted_ids(dir: &Path) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(Error::io("reading", dir, e)),
    };
    for entry in rd.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "yml") {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
            if let Some(code) = text.lines().find_map(|l| l.strip_prefix("code: ")) {
                ids.insert(code.trim().to_lowercase());
            }
        }
    }
    Ok(ids)
}

/// Counts helper for callers that show totals.
pub fn summary(props: &[Proposal]) -> HashMap<ProposalKind, usize> {
    let mut m = HashMap::new();
    for p in props {
        *m.entry(p.kind).or_default() += 1;
    }
    m
}

/// Word count of a text, for callers that report how much was read.
pub fn word_count(text: &str) -> usize {
    word_ranges(text).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_substitutions_are_counted() {
        let pairs = [
            ("We utilize the calendar.", "We use the calendar."),
            ("Teams utilize checklists daily.", "Teams use checklists daily."),
            ("They utilize nothing.", "They use nothing."),
        ];
        let rw: Vec<Rewrite<'_>> = pairs.iter().map(|(b, a)| Rewrite { before: b, after: a }).collect();
        let p = propose(&rw, &LearnOptions::default());
        let sub = p.iter().find(|p| p.kind == ProposalKind::Substitution).expect("a substitution");
        assert_eq!((sub.from.as_str(), sub.to.as_deref(), sub.count), ("utilize", Some("use"), 3));
        assert_eq!(sub.message, "you replaced 'utilize' with 'use' 3 times — add a substitution?");
        assert!(!p.iter().any(|p| p.kind == ProposalKind::Removal && p.from == "utilize"));
        crate::lint::parse_rule(&sub.rule, "x", &sub.yaml).expect("yaml compiles");
    }

    #[test]
    fn removals_and_cut_sentences() {
        let pairs = [
            ("In today's fast-paced world, synergy wins. Ship it.", "Ship it."),
            ("In today's market, nobody waits. Call them.", "Call them."),
            ("Synergy matters. In today's world we rush.", "We rush less now."),
        ];
        let rw: Vec<Rewrite<'_>> = pairs.iter().map(|(b, a)| Rewrite { before: b, after: a }).collect();
        let p = propose(&rw, &LearnOptions::default());
        let msgs: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
        assert!(
            msgs.contains(&"you cut every sentence that starts with 'In today's' (3 of 3) — flag them?"),
            "{msgs:#?}"
        );
        assert!(msgs.iter().any(|m| m.starts_with("you removed 'synergy'")), "{msgs:#?}");
        for prop in &p {
            crate::lint::parse_rule(&prop.rule, "x", &prop.yaml).unwrap_or_else(|e| panic!("{e}\n{}", prop.yaml));
        }
        // Ids are stable.
        assert_eq!(p, propose(&rw, &LearnOptions::default()));
    }
}
