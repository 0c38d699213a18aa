//! Briefs derived from finished posts, for brief → post training pairs.
//!
//! A post has no brief, so one is reconstructed from what a creator would have written before
//! drafting: platform, piece, audience, topic, main point, must-include cues and length. The main
//! point is *abstractive*: key terms (TF-IDF keywords and content-word pairs against the rest of
//! the library), never the post's sentences. Copying sentences would teach the model to paste
//! the brief back; so every brief is checked — no run of [`LEAK_NGRAM`] words of the post may
//! appear anywhere in the prompt — and a field that repeats one is dropped, or the example is
//! refused.

use std::collections::{BTreeMap, HashMap, HashSet};

use quill_library::{Entry, Kind, Platform};

use crate::text::{self, words};
use crate::validate::quality::is_content_word;

/// Word n-gram length of the no-leak rule.
pub const LEAK_NGRAM: usize = 6;

/// What briefs are derived against: document frequencies for keyword weights, the creator's
/// recurring sign-off lines and the workspace's audience.
#[derive(Debug, Clone, Default)]
pub struct Context {
    df: HashMap<String, usize>,
    n_docs: usize,
    signoffs: HashSet<String>,
    /// Audience from `[dataset] audience` in quill.toml.
    pub audience: Option<String>,
}

impl Context {
    /// Builds the context from every candidate text.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>, audience: Option<String>) -> Self {
        let mut df: HashMap<String, usize> = HashMap::new();
        let mut last_lines: HashMap<String, usize> = HashMap::new();
        let mut n_docs = 0;
        for t in texts {
            n_docs += 1;
            let set: HashSet<String> = words(t).into_iter().collect();
            for w in set {
                *df.entry(w).or_insert(0) += 1;
            }
            if let Some(l) = t.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
                *last_lines.entry(l.to_string()).or_insert(0) += 1;
            }
        }
        let signoffs = last_lines.into_iter().filter(|(l, n)| *n >= 2 && words(l).len() <= 8).map(|(l, _)| l).collect();
        Self { df, n_docs, signoffs, audience }
    }
}

/// A brief: the instruction line and its fields, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Brief {
    /// "Write a LinkedIn post from this brief."
    pub instruction: String,
    /// (name, value) pairs rendered as `Name: value` lines.
    pub fields: Vec<(String, String)>,
}

impl Brief {
    /// The brief body (the Alpaca `input`).
    pub fn render(&self) -> String {
        self.fields.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n")
    }
}

/// Human name of a platform, as a creator writes it in a brief.
pub fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Linkedin => "LinkedIn",
        Platform::X => "X",
        Platform::Newsletter => "newsletter",
        Platform::Email => "email",
        Platform::Instagram => "Instagram",
        Platform::Youtube => "YouTube",
        Platform::Blog => "blog",
        Platform::Other => "other",
    }
}

/// What the piece is called in a brief.
pub fn piece_name(k: Kind, p: Platform) -> &'static str {
    match (k, p) {
        (Kind::Post, Platform::Newsletter) => "issue",
        (Kind::Post, Platform::X) => "tweet",
        (Kind::Post, _) => "post",
        (Kind::Hook, _) => "hook",
        (Kind::Intro, _) => "email intro",
        (Kind::Cta, _) => "call to action",
        (Kind::Email, _) => "email",
        (Kind::Thread, _) => "thread",
        (Kind::Bio, _) => "bio",
        (Kind::Rewrite, _) => "rewrite",
        (Kind::Phrase, _) => "phrase",
    }
}

fn article(word: &str) -> &'static str {
    // Letters read as a vowel sound: "an X post", "an SMS".
    if matches!(word, "X" | "SMS" | "FAQ") {
        return "an";
    }
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

/// Rounds a word count the way a creator states a length.
fn length_phrase(n: usize) -> String {
    let r = if n < 40 { (n + 2) / 5 * 5 } else { (n + 5) / 10 * 10 };
    format!("about {} words", r.max(5))
}

/// Key terms of `body`: (keywords, content-word pairs), best first.
fn key_terms(body: &str, ctx: &Context) -> (Vec<String>, Vec<String>) {
    let w = words(body);
    let idf = |x: &str| ((ctx.n_docs as f64 + 1.0) / (*ctx.df.get(x).unwrap_or(&0) as f64 + 1.0)).ln() + 0.1;
    let mut tf: BTreeMap<&str, usize> = BTreeMap::new();
    for x in w.iter().filter(|x| is_content_word(x)) {
        *tf.entry(x.as_str()).or_insert(0) += 1;
    }
    let score: HashMap<&str, f64> = tf.iter().map(|(k, &n)| (*k, n as f64 * idf(k))).collect();
    let mut kws: Vec<(&str, f64)> = score.iter().map(|(k, s)| (*k, *s)).collect();
    kws.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let keywords: Vec<String> = kws.iter().take(5).map(|(k, _)| k.to_string()).collect();
    let mut pairs: BTreeMap<String, f64> = BTreeMap::new();
    for g in w.windows(2) {
        if is_content_word(&g[0]) && is_content_word(&g[1]) && g[0] != g[1] {
            let s = score.get(g[0].as_str()).unwrap_or(&0.0) + score.get(g[1].as_str()).unwrap_or(&0.0);
            *pairs.entry(format!("{} {}", g[0], g[1])).or_insert(0.0) += s;
        }
    }
    let mut pv: Vec<(String, f64)> = pairs.into_iter().collect();
    pv.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    (keywords, pv.into_iter().take(3).map(|(k, _)| k).collect())
}

/// Must-include cues read off the post's shape.
fn cues(body: &str, ctx: &Context) -> Vec<String> {
    let lines: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut out = Vec::new();
    let mut markers: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &lines {
        for m in ["→", "-", "*", "•", "✅"] {
            if l.starts_with(m) && l.len() > m.len() {
                *markers.entry(m).or_insert(0) += 1;
            }
        }
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && matches!(l[digits..].chars().next(), Some('.' | ')')) {
            *markers.entry("1.").or_insert(0) += 1;
        }
    }
    if let Some((m, _)) = markers.iter().filter(|(_, n)| **n >= 2).max_by_key(|(_, n)| **n) {
        out.push(if *m == "1." { "a numbered list".to_string() } else { format!("a list using {m}") });
    }
    if lines.iter().filter(|l| l.starts_with('#')).count() >= 2 {
        out.push("## section headings".into());
    }
    if body.chars().any(|c| c.is_ascii_digit()) {
        out.push("at least 1 specific number".into());
    }
    let signoff = lines.last().filter(|l| ctx.signoffs.contains(**l));
    let last_body = if signoff.is_some() { lines.iter().rev().nth(1) } else { lines.last() };
    if last_body.is_some_and(|l| l.ends_with('?')) {
        out.push("end with a question to the reader".into());
    }
    if let Some(s) = signoff {
        out.push(format!("the sign-off \"{s}\""));
    }
    out
}

/// The result of deriving one brief.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The brief.
    pub brief: Brief,
    /// Fields (or cues) dropped because they repeated a run of the post.
    pub dropped: usize,
}

/// Derives the brief for a post-like entry. `system` is included in the leak check because the
/// model sees it too. Returns `Err` with a reason when no leak-free brief exists.
pub fn derive(e: &Entry, ctx: &Context, system: Option<&str>) -> Result<Derived, String> {
    let piece = piece_name(e.kind, e.platform);
    let platform = platform_name(e.platform);
    let instruction = match e.platform {
        Platform::Other => format!("Write {} {piece} from this brief.", article(piece)),
        _ => format!("Write {} {platform} {piece} from this brief.", article(platform)),
    };
    let (keywords, pairs) = key_terms(&e.text, ctx);
    let mut fields: Vec<(String, String)> = vec![("Platform".into(), platform.into()), ("Piece".into(), piece.into())];
    if let Some(a) = &ctx.audience {
        fields.push(("Audience".into(), a.clone()));
    }
    let topic = if e.tags.is_empty() { keywords.iter().take(3).cloned().collect::<Vec<_>>() } else { e.tags.clone() };
    if !topic.is_empty() {
        fields.push(("Topic".into(), topic.join(", ")));
    }
    if let Some(t) = e.title.as_deref().filter(|t| !t.trim().is_empty()) {
        fields.push(("Title".into(), t.trim().to_string()));
    }
    if !keywords.is_empty() {
        let mut mp = format!("about {}", join_and(&keywords.iter().take(3).cloned().collect::<Vec<_>>()));
        if !pairs.is_empty() {
            mp.push_str(&format!(" (key terms: {})", pairs.join(", ")));
        }
        fields.push(("Main point".into(), mp));
    }
    let c = cues(&e.text, ctx);
    if !c.is_empty() {
        fields.push(("Must include".into(), c.join("; ")));
    }
    fields.push(("Length".into(), length_phrase(words(&e.text).len())));
    let mut brief = Brief { instruction, fields };
    let mut dropped = 0;
    loop {
        let prompt = format!("{}\n\n{}\n\n{}", system.unwrap_or(""), brief.instruction, brief.render());
        let shared = text::shared_ngrams(&e.text, &prompt, LEAK_NGRAM);
        let Some(gram) = shared.first() else { break };
        // Drop the field holding the shared run (a must-include cue on its own when possible).
        let pos = brief
            .fields
            .iter()
            .position(|(k, v)| text::ngrams(&words(&format!("{k}: {v}")), LEAK_NGRAM).contains(gram));
        match pos {
            Some(i) if brief.fields[i].0 == "Must include" && brief.fields[i].1.contains("; ") => {
                let kept: Vec<&str> = brief.fields[i]
                    .1
                    .split("; ")
                    .filter(|c| !text::ngrams(&words(c), LEAK_NGRAM).contains(gram))
                    .collect();
                brief.fields[i].1 = kept.join("; ");
                if brief.fields[i].1.is_empty() {
                    brief.fields.remove(i);
                }
            }
            Some(i) if brief.fields[i].0 != "Platform" => {
                brief.fields.remove(i);
            }
            _ => {
                return Err(format!("the prompt repeats \"{gram}\" from the post outside the brief (system prompt?)"));
            }
        }
        dropped += 1;
    }
    Ok(Derived { brief, dropped })
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, title: Option<&str>) -> Entry {
        let mut e: Entry = serde_json::from_value(serde_json::json!({
            "id": 1, "kind": "post", "platform": "linkedin", "title": title, "text": text, "before": null, "why": null,
            "polarity": null, "replacement": null, "date": null, "rating": 4, "tags": ["onboarding"], "metrics": {},
            "source": null, "notes": null, "external_id": null, "extra": {}, "created_at": "x", "updated_at": "x",
            "deleted_at": null
        }))
        .unwrap();
        e.text = text.into();
        e
    }

    const BODY: &str = "Here's the thing.\nMost agencies think onboarding starts at the kickoff call.\nIt starts the minute the client says yes.\n\n→ Send a welcome email within 4 hours of the signed contract.\n→ Book the kickoff before you hang up the sales call.\n\nWhat does your first week look like?\nRun lean. — M.";

    #[test]
    fn brief_has_cues_and_no_six_gram_of_the_post() {
        let other = "Meetings eat the calendar.\nRun lean. — M.";
        let ctx = Context::new([BODY, other], Some("agency founders".into()));
        let d =
            derive(&post(BODY, Some("Onboarding starts before the contract")), &ctx, Some("You are Maya.")).unwrap();
        let r = d.brief.render();
        assert_eq!(d.brief.instruction, "Write a LinkedIn post from this brief.");
        assert!(r.contains("Platform: LinkedIn\nPiece: post\nAudience: agency founders\nTopic: onboarding"), "{r}");
        assert!(r.contains("a list using →"), "{r}");
        assert!(r.contains("at least 1 specific number"), "{r}");
        assert!(r.contains("end with a question to the reader"), "{r}");
        assert!(r.contains("the sign-off \"Run lean. — M.\""), "{r}");
        let prompt = format!("You are Maya.\n\n{}\n\n{r}", d.brief.instruction);
        assert!(text::shared_ngrams(BODY, &prompt, LEAK_NGRAM).is_empty());
    }

    #[test]
    fn a_title_copied_from_the_post_is_dropped() {
        let ctx = Context::new([BODY], None);
        let d = derive(&post(BODY, Some("It starts the minute the client says yes")), &ctx, None).unwrap();
        assert_eq!(d.dropped, 1);
        assert!(!d.brief.render().contains("Title:"));
    }

    #[test]
    fn a_leaking_system_prompt_is_refused() {
        let ctx = Context::new([BODY], None);
        let err =
            derive(&post(BODY, None), &ctx, Some("most agencies think onboarding starts at the kickoff")).unwrap_err();
        assert!(err.contains("system prompt"), "{err}");
    }
}
