//! Checks a draft against its brief and platform preset.
//!
//! Every draft is shown with these results, so a creator sees at once whether it is over the
//! limit, hides its hook below "see more", misses a required element or uses a banned phrase.
//! The same results drive repair: a failed check tells the drafter what to regenerate.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use crate::{Brief, Preset};

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Satisfied.
    Pass,
    /// Broken: the draft should be repaired.
    Fail,
    /// Quill cannot tell mechanically (a must-include written as a description); shown for review.
    Review,
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable name: `max_chars`, `hook`, `hashtags`, `must_include`, `banned_phrase`, `subject`, `preheader`,
    /// `thread_post`, `copied_example`.
    pub name: &'static str,
    /// Outcome.
    pub status: Status,
    /// Plain-words explanation.
    pub message: String,
    /// For span problems: the byte range in the draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
}

/// A banned phrase and its preferred replacement, from the library and the brief's avoid list.
#[derive(Debug, Clone)]
pub struct BannedPhrase {
    /// The phrase (matched case-insensitively on word boundaries).
    pub phrase: String,
    /// What to say instead, when the creator gave one.
    pub replacement: Option<String>,
}

static URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"https?://\S+").unwrap_or_else(|e| panic!("{e}")));
static HASHTAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|\s)#[\p{L}\p{N}_]+").unwrap_or_else(|e| panic!("{e}")));

fn is_emoji_grapheme(g: &str) -> bool {
    g.chars().any(|c| {
        let u = c as u32;
        (0x1F000..=0x1FAFF).contains(&u) || (0x2600..=0x27BF).contains(&u) || u == 0x200D || u == 0xFE0F
    })
}

/// Length as X counts it (twitter-text v3): URLs count 23; an emoji (even a ZWJ sequence) counts
/// 2; code points outside the Latin-heavy ranges (CJK, …) count 2; everything else 1.
pub fn x_weighted_len(text: &str) -> usize {
    let mut total = 0;
    let mut last = 0;
    for m in URL.find_iter(text) {
        total += weighted_plain(&text[last..m.start()]) + 23;
        last = m.end();
    }
    total + weighted_plain(&text[last..])
}

fn weighted_plain(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| {
            if is_emoji_grapheme(g) {
                2
            } else {
                g.chars()
                    .map(|c| {
                        let u = c as u32;
                        let light = u <= 4351
                            || (8192..=8205).contains(&u)
                            || (8208..=8223).contains(&u)
                            || (8242..=8247).contains(&u);
                        if light { 1 } else { 2 }
                    })
                    .sum()
            }
        })
        .sum()
}

/// Length in user-perceived characters (what LinkedIn, Instagram and YouTube count, near enough).
pub fn char_len(text: &str) -> usize {
    text.graphemes(true).count()
}

fn platform_len(platform: &str, text: &str) -> usize {
    if platform == "x" || platform == "x_thread" { x_weighted_len(text) } else { char_len(text) }
}

/// Splits a thread draft into its posts: blank-line separated blocks, or lines starting "1/", "2/" ...
pub fn thread_posts(text: &str) -> Vec<&str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Finds `phrase` in `text` case-insensitively on word boundaries; returns byte spans.
pub fn find_phrase(text: &str, phrase: &str) -> Vec<(usize, usize)> {
    let escaped = regex::escape(phrase.trim());
    if escaped.is_empty() {
        return Vec::new();
    }
    let pat = format!(r"(?i)(^|[^\p{{L}}\p{{N}}]){escaped}($|[^\p{{L}}\p{{N}}])");
    let Ok(re) = Regex::new(&pat) else { return Vec::new() };
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(c) = re.captures_at(text, start) {
        let (Some(whole), Some(pre)) = (c.get(0), c.get(1)) else { break };
        let s = pre.end();
        let e = s + phrase.trim().len().min(text.len() - s);
        out.push((s, e));
        start = whole.end().max(s + 1);
        if start >= text.len() {
            break;
        }
    }
    out
}

/// Finds a banned phrase the way a reader would: case-insensitively, on word boundaries, and in
/// its inflected forms ("game-changers", "leveraged", "leveraging", "synergy's"), since a
/// creator who bans "leverage" bans "leveraging" too. Returns byte spans (inflection included)
/// and the inflection suffix found (empty for the bare phrase).
pub fn find_banned(text: &str, phrase: &str) -> Vec<(usize, usize, String)> {
    let p = phrase.trim();
    if p.is_empty() {
        return Vec::new();
    }
    // A final "e" is dropped before -ed/-ing ("leverage" → "leveraged", "leveraging").
    let stem = p.strip_suffix('e').filter(|s| !s.is_empty()).map(regex::escape);
    let body = match stem {
        Some(stem) => format!("(?:{}(?P<sfx>s|'s|’s|d)?|{stem}(?P<sfx2>ing|ed))", regex::escape(p)),
        None => format!("{}(?P<sfx>s|es|'s|’s|ed|ing)?", regex::escape(p)),
    };
    let pat = format!(r"(?i)(?:^|[^\p{{L}}\p{{N}}])(?P<m>{body})(?:$|[^\p{{L}}\p{{N}}])");
    let Ok(re) = Regex::new(&pat) else { return Vec::new() };
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let Some(c) = re.captures_at(text, start) else { break };
        let Some(m) = c.name("m") else { break };
        let sfx = c.name("sfx").or_else(|| c.name("sfx2")).map(|x| x.as_str().to_lowercase()).unwrap_or_default();
        out.push((m.start(), m.end(), sfx));
        start = m.end();
    }
    out
}

/// `word` with an inflection suffix as found by [`find_banned`] ("use" + "d" → "used",
/// "use" + "ing" → "using", "say" + "s" → "says", "try" + "ed" → "tried").
pub fn inflect(word: &str, suffix: &str) -> String {
    let consonant_y = word.ends_with('y')
        && word.chars().rev().nth(1).is_some_and(|c| c.is_alphabetic() && !"aeiou".contains(c.to_ascii_lowercase()));
    match suffix {
        "" => word.to_string(),
        "'s" | "’s" => format!("{word}{suffix}"),
        "s" | "es" => {
            if consonant_y {
                format!("{}ies", &word[..word.len() - 1])
            } else if ["s", "x", "z", "ch", "sh"].iter().any(|e| word.ends_with(e)) {
                format!("{word}es")
            } else {
                format!("{word}s")
            }
        }
        "d" | "ed" => {
            if word.ends_with('e') {
                format!("{word}d")
            } else if consonant_y {
                format!("{}ied", &word[..word.len() - 1])
            } else {
                format!("{word}ed")
            }
        }
        "ing" => match word.strip_suffix('e') {
            Some(stem) if !word.ends_with("ee") && !stem.is_empty() => format!("{stem}ing"),
            _ => format!("{word}ing"),
        },
        other => format!("{word}{other}"),
    }
}

fn line_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let l = l.trim_start_matches(['*', '#', ' ']);
        let lower = l.to_ascii_lowercase();
        lower.starts_with(key).then(|| l[key.len()..].trim_start_matches([':', ' ', '*']).trim())
    })
}

/// Descriptions like "one number" or "a question" that can be checked mechanically. A
/// description that names specifics is held to them: "a number (median 12 days)" needs the 12,
/// "a list using → arrows" needs arrow items, not any bullets.
fn descriptor_check(item: &str, text: &str) -> Option<bool> {
    let i = item.to_lowercase();
    if i.contains("list") || i.contains("bullet") {
        return Some(has_list(&i, text));
    }
    if i.contains("number") || i.contains("statistic") || i.contains("stat ") || i.contains("figure") {
        let wanted = numbers_in(item);
        if wanted.is_empty() {
            return Some(text.chars().any(|c| c.is_ascii_digit()));
        }
        let have = numbers_in(text);
        return Some(wanted.iter().all(|n| have.contains(n)));
    }
    if i.contains("question") {
        return Some(text.contains('?'));
    }
    None
}

/// The digit runs of `s` (`"1,200"` and `"1200"` both read as `1200`; decimals kept).
fn numbers_in(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !cur.is_empty() && (c == ',' || c == '.') && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            if c == '.' {
                cur.push('.');
            }
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// At least two list items, with the marker the description names when it names one: a symbol
/// such as `→` or `•`, "dashes", or "numbered".
fn has_list(description: &str, text: &str) -> bool {
    let symbols: Vec<char> = description
        .chars()
        .filter(|c| !c.is_alphanumeric() && !c.is_whitespace() && !c.is_ascii_punctuation())
        .collect();
    let numbered = |l: &str| {
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && (l[digits..].starts_with(". ") || l[digits..].starts_with(") "))
    };
    let is_item = |l: &str| -> bool {
        let l = l.trim_start();
        if !symbols.is_empty() {
            return symbols.iter().any(|s| l.starts_with(*s));
        }
        if description.contains("numbered") {
            return numbered(l);
        }
        if description.contains("dash") || description.contains("hyphen") {
            return l.starts_with("- ");
        }
        l.starts_with("- ")
            || l.starts_with("* ")
            || l.starts_with('→')
            || l.starts_with('•')
            || l.starts_with('✓')
            || l.starts_with('✅')
            || numbered(l)
    };
    text.lines().filter(|l| is_item(l)).count() >= 2
}

/// Consecutive words a draft may share with one of the prompt's examples before it counts as
/// copying. Eight words is past any stock phrase ("at the end of the day, it's") and short of a
/// sentence lifted whole; the sign-offs and phrases a creator always uses are exempted by the
/// caller passing them as `allowed`.
pub const COPY_RUN_WORDS: usize = 8;

/// Flags a draft that repeats [`COPY_RUN_WORDS`] or more words in a row from one of the
/// few-shot examples: small models in particular copy an example instead of writing to the
/// brief, and a creator must never publish a recycled post by accident. `examples` are
/// `(label, text)`; runs made only of an `allowed` phrase (the creator's approved phrases, a
/// required sign-off) don't count. Returns the longest run as a failed check.
pub fn check_copying(text: &str, examples: &[(String, &str)], allowed: &[String]) -> Option<Check> {
    let words = |s: &str| -> Vec<(usize, usize, String)> {
        s.unicode_word_indices().map(|(i, w)| (i, i + w.len(), w.to_lowercase())).collect()
    };
    let draft = words(text);
    if draft.len() < COPY_RUN_WORDS {
        return None;
    }
    let allowed: Vec<Vec<String>> = allowed
        .iter()
        .map(|a| words(a).into_iter().map(|w| w.2).collect())
        .filter(|a: &Vec<String>| !a.is_empty())
        .collect();
    let dw: Vec<String> = draft.iter().map(|w| w.2.clone()).collect();
    let mut best: Option<(usize, usize, usize, &str)> = None; // (run words, start word, end word, label)
    for (label, ex) in examples {
        let ex_words: Vec<String> = words(ex).into_iter().map(|w| w.2).collect();
        if ex_words.len() < COPY_RUN_WORDS {
            continue;
        }
        let grams: std::collections::HashSet<&[String]> = ex_words.windows(COPY_RUN_WORDS).collect();
        let mut i = 0;
        while i + COPY_RUN_WORDS <= dw.len() {
            if !grams.contains(&dw[i..i + COPY_RUN_WORDS]) {
                i += 1;
                continue;
            }
            let mut j = i + COPY_RUN_WORDS;
            while j < dw.len() && grams.contains(&dw[j + 1 - COPY_RUN_WORDS..=j]) {
                j += 1;
            }
            let run = &dw[i..j];
            let exempt = allowed.iter().any(|a| a.len() >= run.len() && a.windows(run.len()).any(|w| w == run));
            if !exempt && best.is_none_or(|b| j - i > b.0) {
                best = Some((j - i, i, j, label.as_str()));
            }
            i = j;
        }
    }
    let (n, a, z, label) = best?;
    let (start, end) = (draft[a].0, draft[z - 1].1);
    let flat = text[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    let quoted: String =
        if flat.chars().count() > 80 { format!("{}…", flat.chars().take(79).collect::<String>()) } else { flat };
    Some(Check {
        name: "copied_example",
        status: Status::Fail,
        message: format!("repeats {n} words in a row from {label}: \"{quoted}\""),
        span: Some((start, end)),
    })
}

fn content_words(s: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "a", "an", "the", "one", "of", "to", "and", "or", "in", "on", "for", "with", "my", "your", "their", "that",
        "this", "about", "simple", "some",
    ];
    s.unicode_words().map(str::to_lowercase).filter(|w| !STOP.contains(&w.as_str()) && w.len() > 2).collect()
}

/// Runs every check that applies to this platform and brief.
pub fn check_draft(text: &str, brief: &Brief, preset: &Preset, banned: &[BannedPhrase]) -> Vec<Check> {
    let mut out = Vec::new();
    let platform = brief.platform.as_str();
    let mut push = |name, status, message: String, span| out.push(Check { name, status, message, span });

    if preset.thread {
        let posts = thread_posts(text);
        if let Some(max) = preset.max_posts.filter(|max| posts.len() > *max) {
            push("thread_post", Status::Fail, format!("{} posts; a thread here has at most {max}", posts.len()), None);
        }
        if let Some(max) = preset.max_chars {
            for (i, p) in posts.iter().enumerate() {
                let n = platform_len(platform, p);
                if n > max {
                    push(
                        "thread_post",
                        Status::Fail,
                        format!("post {} is {n} characters; the limit is {max}", i + 1),
                        None,
                    );
                }
            }
        }
    } else if let Some(max) = preset.max_chars {
        let n = platform_len(platform, text);
        let status = if n <= max { Status::Pass } else { Status::Fail };
        push("max_chars", status, format!("{n} of {max} characters"), None);
    }

    if let Some(hook) = preset.hook_chars {
        let first = text.trim_start().split("\n\n").next().unwrap_or("");
        let n = char_len(first.trim());
        let status = if n <= hook { Status::Pass } else { Status::Fail };
        push("hook", status, format!("the opening is {n} characters; {hook} show before the platform cuts it"), None);
    }

    if let Some(max) = preset.max_hashtags {
        let n = HASHTAG.find_iter(text).count();
        if n > max {
            push("hashtags", Status::Fail, format!("{n} hashtags; use at most {max}"), None);
        }
    }

    if let Some(max) = preset.subject_max_chars {
        match line_value(text, "subject") {
            None => push("subject", Status::Fail, "no \"Subject:\" line".into(), None),
            Some(s) => {
                let n = char_len(s);
                let status = if n > 0 && n <= max { Status::Pass } else { Status::Fail };
                push("subject", status, format!("subject is {n} characters (limit {max})"), None);
            }
        }
    }
    if let (Some(lo), Some(hi)) = (preset.preheader_min_chars, preset.preheader_max_chars) {
        match line_value(text, "preheader") {
            None => push("preheader", Status::Fail, "no \"Preheader:\" line".into(), None),
            Some(s) => {
                let n = char_len(s);
                let status = if (lo..=hi).contains(&n) { Status::Pass } else { Status::Fail };
                push("preheader", status, format!("preheader is {n} characters (aim for {lo}-{hi})"), None);
            }
        }
    }

    let lower = text.to_lowercase();
    for item in &brief.must_include {
        let literal = item.trim_matches('"');
        // "the sign-off: Run lean. — M." names the element, then gives it literally after the colon.
        let after_colon = literal.rsplit_once(':').map(|(_, t)| t.trim().trim_matches('"')).filter(|t| t.len() >= 3);
        if !find_phrase(text, literal).is_empty() || after_colon.is_some_and(|t| !find_phrase(text, t).is_empty()) {
            push("must_include", Status::Pass, format!("includes {literal:?}"), None);
        } else if let Some(ok) = descriptor_check(item, text) {
            let status = if ok { Status::Pass } else { Status::Fail };
            push("must_include", status, format!("{} {item:?}", if ok { "has" } else { "missing" }), None);
        } else {
            let words = content_words(item);
            let hits = words.iter().filter(|w| lower.contains(w.as_str())).count();
            let status = if !words.is_empty() && hits * 2 >= words.len() { Status::Review } else { Status::Fail };
            let msg = match status {
                Status::Review => format!("probably covers {item:?} ({hits}/{} key words) — check by eye", words.len()),
                _ => format!("missing {item:?}"),
            };
            push("must_include", status, msg, None);
        }
    }

    for b in banned {
        for (s, e, _) in find_banned(text, &b.phrase) {
            let fix = b.replacement.as_deref().map(|r| format!(" — say {r:?} instead")).unwrap_or_default();
            let form = if text[s..e].eq_ignore_ascii_case(&b.phrase) {
                String::new()
            } else {
                format!(" (as {:?})", &text[s..e])
            };
            push("banned_phrase", Status::Fail, format!("uses banned phrase {:?}{form}{fix}", b.phrase), Some((s, e)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Presets;

    fn brief(platform: &str) -> Brief {
        Brief { platform: platform.into(), ..Brief::default() }
    }

    fn status(checks: &[Check], name: &str) -> Status {
        checks.iter().find(|c| c.name == name).map(|c| c.status).unwrap_or_else(|| panic!("no {name} check"))
    }

    #[test]
    fn x_limit_boundary_is_exact() {
        let p = Presets::builtin().get("x");
        let ok = "a".repeat(280);
        let over = "a".repeat(281);
        assert_eq!(status(&check_draft(&ok, &brief("x"), &p, &[]), "max_chars"), Status::Pass);
        assert_eq!(status(&check_draft(&over, &brief("x"), &p, &[]), "max_chars"), Status::Fail);
    }

    #[test]
    fn x_weights_urls_emoji_and_cjk() {
        assert_eq!(x_weighted_len("see https://example.com/a/very/long/path/that/is/long"), 4 + 23);
        assert_eq!(x_weighted_len("👩‍💻"), 2);
        assert_eq!(x_weighted_len("日本"), 4);
        // 140 CJK characters fill a post exactly.
        let p = Presets::builtin().get("x");
        assert_eq!(status(&check_draft(&"日".repeat(140), &brief("x"), &p, &[]), "max_chars"), Status::Pass);
        assert_eq!(status(&check_draft(&"日".repeat(141), &brief("x"), &p, &[]), "max_chars"), Status::Fail);
    }

    #[test]
    fn linkedin_limit_and_hook_boundaries() {
        let p = Presets::builtin().get("linkedin");
        let hook = "h".repeat(210);
        let body = format!("{hook}\n\n{}", "b".repeat(3000 - 212));
        assert_eq!(char_len(&body), 3000);
        let c = check_draft(&body, &brief("linkedin"), &p, &[]);
        assert_eq!(status(&c, "max_chars"), Status::Pass);
        assert_eq!(status(&c, "hook"), Status::Pass);
        let c = check_draft(&format!("{body}!"), &brief("linkedin"), &p, &[]);
        assert_eq!(status(&c, "max_chars"), Status::Fail);
        let c = check_draft(&format!("h{body}"), &brief("linkedin"), &p, &[]);
        assert_eq!(status(&c, "hook"), Status::Fail);
    }

    #[test]
    fn email_subject_and_preheader() {
        let p = Presets::builtin().get("email");
        let text = format!("Subject: {}\nPreheader: {}\n\nHi.", "s".repeat(60), "p".repeat(40));
        let c = check_draft(&text, &brief("email"), &p, &[]);
        assert_eq!(status(&c, "subject"), Status::Pass);
        assert_eq!(status(&c, "preheader"), Status::Pass);
        let text = format!("Subject: {}\nPreheader: {}\n\nHi.", "s".repeat(61), "p".repeat(39));
        let c = check_draft(&text, &brief("email"), &p, &[]);
        assert_eq!(status(&c, "subject"), Status::Fail);
        assert_eq!(status(&c, "preheader"), Status::Fail);
    }

    #[test]
    fn thread_posts_each_checked() {
        let p = Presets::builtin().get("x_thread");
        let text = format!("1/ hook\n\n2/ {}\n\n3/ end", "x".repeat(290));
        let c = check_draft(&text, &brief("x_thread"), &p, &[]);
        assert!(c.iter().any(|c| c.name == "thread_post" && c.message.contains("post 2")), "{c:?}");
    }

    #[test]
    fn banned_phrases_found_on_word_boundaries() {
        let p = Presets::builtin().get("linkedin");
        let banned = [BannedPhrase { phrase: "leverage".into(), replacement: Some("use".into()) }];
        let c = check_draft("We Leverage tools. Unleveraged funds are different.", &brief("linkedin"), &p, &banned);
        let hits: Vec<_> = c.iter().filter(|c| c.name == "banned_phrase").collect();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].span, Some((3, 11)));
        assert!(hits[0].message.contains("\"use\""));
    }

    #[test]
    fn must_include_literal_descriptor_and_review() {
        let p = Presets::builtin().get("linkedin");
        let b = Brief {
            must_include: vec![
                "Lean Ops Sprint".into(),
                "a question".into(),
                "one number".into(),
                "a practical takeaway about handoffs".into(),
            ],
            ..brief("linkedin")
        };
        let c = check_draft("Book the lean ops sprint. Why wait? The practical fix: handoffs.", &b, &p, &[]);
        let signoff = Brief { must_include: vec!["the sign-off: Run lean. — M.".into()], ..brief("linkedin") };
        let ok = check_draft("Short post.\n\nRun lean. — M.", &signoff, &p, &[]);
        assert_eq!(ok.iter().find(|c| c.name == "must_include").map(|c| c.status), Some(Status::Pass));
        let mi: Vec<Status> = c.iter().filter(|c| c.name == "must_include").map(|c| c.status).collect();
        assert_eq!(mi, vec![Status::Pass, Status::Pass, Status::Fail, Status::Review]);
    }

    /// A draft that lifts a run of an example is caught at the threshold, with its span; stock
    /// phrases and allowed sign-offs are not.
    #[test]
    fn copying_from_an_example_is_flagged() {
        let ex = "A founder I work with took two weeks off in August. No laptop. No Slack. Run lean. — M.";
        let examples = vec![("example 1 (entry #7)".to_string(), ex)];
        let lifted = "Here is my post.\n\nA founder I work with took two weeks off in August and rested.";
        let c = check_copying(lifted, &examples, &[]).expect("flagged");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.starts_with("repeats 11 words in a row from example 1 (entry #7)"), "{}", c.message);
        let (s, e) = c.span.unwrap();
        assert_eq!(&lifted[s..e], "A founder I work with took two weeks off in August");
        // Seven shared words are not copying.
        assert!(check_copying("Yesterday a founder I work with took two days off.", &examples, &[]).is_none());
        // The creator's own sign-off, allowed, does not count even when it is long.
        let sign = "Thanks for reading. No laptop. No Slack. Run lean. — M.";
        let allowed = vec!["No laptop. No Slack. Run lean. — M.".to_string()];
        assert!(check_copying(sign, &examples, &[]).is_none(), "7 words");
        let longer = "Thanks for reading. In August. No laptop. No Slack. Run lean. — M.";
        assert!(check_copying(longer, &examples, &[]).is_some());
        assert!(
            check_copying(longer, &examples, &["in August. No laptop. No Slack. Run lean. — M.".to_string()]).is_none()
        );
        assert!(check_copying(longer, &examples, &allowed).is_some(), "the run is longer than the allowed phrase");
    }

    /// Banned phrases are found in their inflected forms, and replacements follow the inflection.
    #[test]
    fn banned_phrases_are_found_inflected() {
        let spans = |t: &str, p: &str| {
            find_banned(t, p).into_iter().map(|(s, e, x)| (t[s..e].to_string(), x)).collect::<Vec<_>>()
        };
        assert_eq!(spans("A real game-changers list.", "game-changer"), vec![("game-changers".into(), "s".into())]);
        assert_eq!(
            spans("We leveraged it, leveraging more. Leverage!", "leverage"),
            vec![
                ("leveraged".into(), "d".into()),
                ("leveraging".into(), "ing".into()),
                ("Leverage".into(), String::new())
            ]
        );
        assert_eq!(spans("synergy's cost; synergies", "synergy"), vec![("synergy's".into(), "'s".into())]);
        assert!(spans("leverages? no: leveragex", "leverage").len() == 1);
        assert!(spans("unleveraged", "leverage").is_empty(), "word boundary before");
        assert_eq!(spans("We delved in.", "delve"), vec![("delved".into(), "d".into())]);
        assert_eq!(inflect("use", "d"), "used");
        assert_eq!(inflect("use", "ing"), "using");
        assert_eq!(inflect("use", "s"), "uses");
        assert_eq!(inflect("try", "ed"), "tried");
        assert_eq!(inflect("fix", "s"), "fixes");
        assert_eq!(inflect("see", "ing"), "seeing");
        let p = Presets::builtin().get("linkedin");
        let banned = [BannedPhrase { phrase: "game-changer".into(), replacement: None }];
        let c = check_draft("The audit is a game-changers.", &brief("linkedin"), &p, &banned);
        let hit = c.iter().find(|c| c.name == "banned_phrase").expect("flagged");
        assert!(hit.message.contains("(as \"game-changers\")"), "{}", hit.message);
    }

    /// Descriptions that name specifics are held to them.
    #[test]
    fn descriptors_hold_drafts_to_named_specifics() {
        let check = |item: &str, text: &str| descriptor_check(item, text);
        let arrows = "a list using → arrows";
        assert_eq!(check(arrows, "Steps:\n* one\n* two"), Some(false), "bullets are not arrows");
        assert_eq!(check(arrows, "Steps:\n→ one\n→ two"), Some(true));
        assert_eq!(check(arrows, "→ only one"), Some(false), "a list has two items");
        assert_eq!(check("a bulleted list", "- a\n• b"), Some(true));
        assert_eq!(check("a numbered list", "- a\n- b"), Some(false));
        assert_eq!(check("a numbered list", "1. a\n2) b"), Some(true));
        let median = "a specific number from the audits (median 12 days from signature to first work)";
        assert_eq!(check(median, "Day 1: we start."), Some(false), "the named 12 is missing");
        assert_eq!(check(median, "It took 12 days, median."), Some(true));
        assert_eq!(check("one number", "Day 1"), Some(true));
        assert_eq!(check("a statistic like 1,200 signups", "We hit 1200 signups."), Some(true));
        assert_eq!(numbers_in("v2.5 costs $1,200 or 3"), vec!["2.5", "1200", "3"]);
    }
}
