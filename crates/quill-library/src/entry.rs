//! The library's data model: [`Entry`] and the closed vocabularies it uses.
//!
//! One JSON shape (the `Serialize` form of [`Entry`]) is used everywhere — `--json` output,
//! `export --format jsonl`, history snapshots — so a consumer parses one thing.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

macro_rules! vocabulary {
    (
        $(#[$meta:meta])* $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lowercase name used in the database, JSON and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            /// Case-insensitive; accepts a few common aliases so imported files need no cleanup.
            fn from_str(s: &str) -> Result<Self> {
                let k = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
                match k.as_str() {
                    $( $text $(| $alias)* => Ok($name::$variant), )+
                    _ => Err(Error::Invalid(format!(
                        "{} `{}` is not one of: {}",
                        $what,
                        s.trim(),
                        $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }
    };
}

vocabulary! {
    /// What an entry is. Prompts pick few-shot examples by kind (hooks for a hook, CTAs for a CTA).
    Kind, "kind" {
        /// A complete published post.
        Post = "post" | "posts" | "tweet" | "share" | "article",
        /// An opening line meant to stop the scroll.
        Hook = "hook" | "hooks",
        /// An opening paragraph (longer than a hook).
        Intro = "intro" | "intros" | "introduction",
        /// A call to action / sign-off.
        Cta = "cta" | "ctas" | "call-to-action",
        /// An email (sales, onboarding, outreach).
        Email = "email" | "emails",
        /// A multi-part thread.
        Thread = "thread" | "threads",
        /// A profile bio.
        Bio = "bio" | "bios",
        /// A before/after edit: `before` is the draft, `text` the creator's version, `why` the reason.
        Rewrite = "rewrite" | "rewrites" | "edit",
        /// A phrase the creator uses (approved) or never uses (banned).
        Phrase = "phrase" | "phrases" | "word" | "words" | "term" | "expression",
    }
}

vocabulary! {
    /// Where an entry was (or will be) published. Performance is normalised per platform.
    Platform, "platform" {
        /// LinkedIn.
        Linkedin = "linkedin" | "li" | "linked-in",
        /// X (Twitter).
        X = "x" | "twitter" | "tweet",
        /// A newsletter issue.
        Newsletter = "newsletter" | "substack" | "beehiiv",
        /// One-to-one or sequence email.
        Email = "email",
        /// Instagram.
        Instagram = "instagram" | "ig",
        /// YouTube (scripts, descriptions, community posts).
        Youtube = "youtube" | "yt",
        /// A blog article.
        Blog = "blog" | "website" | "web",
        /// Anything else, or not platform-specific.
        Other = "other" | "any" | "general" | "none",
    }
}

vocabulary! {
    /// Whether a phrase is one the creator uses or one they never use.
    Polarity, "polarity" {
        /// The creator uses it; prompts may encourage it.
        Approved = "approved" | "use" | "allowed" | "allow" | "preferred" | "good",
        /// The creator never uses it; drafts containing it are flagged (see `replacement`).
        Banned = "banned" | "ban" | "avoid" | "never" | "forbidden" | "bad",
    }
}

/// One library entry, exactly as stored and as serialised everywhere.
///
/// Every optional field is always present in JSON (as `null`), so consumers never have to guess
/// whether a key is missing or empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable id within the workspace (other crates reference entries by it).
    pub id: i64,
    /// What the entry is.
    pub kind: Kind,
    /// Where it was published.
    pub platform: Platform,
    /// Optional title (newsletters, articles, emails' subjects).
    pub title: Option<String>,
    /// The text. For rewrites the *after* text; for phrases the phrase itself.
    pub text: String,
    /// Rewrites: the draft before the creator's edit.
    pub before: Option<String>,
    /// Rewrites: why the edit was made (teaches the voice rules).
    pub why: Option<String>,
    /// Phrases: approved or banned.
    pub polarity: Option<Polarity>,
    /// Banned phrases: what to say instead.
    pub replacement: Option<String>,
    /// Publication date: `YYYY-MM-DD`, or RFC 3339 UTC (`2024-03-06T14:22:10Z`) when the time is known.
    pub date: Option<String>,
    /// The creator's own rating, 1–5 (5 = best work).
    pub rating: Option<u8>,
    /// Lowercase tags, sorted, without `#`.
    pub tags: Vec<String>,
    /// Free-form numeric results (impressions, likes, comments, replies, reposts, clicks, leads, sales…).
    pub metrics: BTreeMap<String, f64>,
    /// Where it came from: `file:line` or a URL.
    pub source: Option<String>,
    /// The creator's notes.
    pub notes: Option<String>,
    /// Id in the source system (tweet id, LinkedIn share URN).
    pub external_id: Option<String>,
    /// Importer details that have no column (`reply_to`, `is_retweet`, `url`, unmapped CSV columns…).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// When it entered the library (RFC 3339 UTC).
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Set by `rm` (soft delete), cleared by `restore`.
    pub deleted_at: Option<String>,
}

impl Entry {
    /// Whether the entry is soft-deleted (hidden from lists, prompts and datasets).
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The entry's content as a [`NewEntry`] (for copying or re-validating after an edit).
    pub fn to_new(&self) -> NewEntry {
        NewEntry {
            kind: self.kind,
            platform: self.platform,
            title: self.title.clone(),
            text: self.text.clone(),
            before: self.before.clone(),
            why: self.why.clone(),
            polarity: self.polarity,
            replacement: self.replacement.clone(),
            date: self.date.clone(),
            rating: self.rating,
            tags: self.tags.clone(),
            metrics: self.metrics.clone(),
            source: self.source.clone(),
            notes: self.notes.clone(),
            external_id: self.external_id.clone(),
            extra: self.extra.clone(),
        }
    }

    /// Replaces the content fields with `new`'s; id and timestamps stay. With [`Entry::to_new`]
    /// this is how an edit is expressed: take the content, change it, put it back.
    pub fn set_content(&mut self, new: NewEntry) {
        self.kind = new.kind;
        self.platform = new.platform;
        self.title = new.title;
        self.text = new.text;
        self.before = new.before;
        self.why = new.why;
        self.polarity = new.polarity;
        self.replacement = new.replacement;
        self.date = new.date;
        self.rating = new.rating;
        self.tags = new.tags;
        self.metrics = new.metrics;
        self.source = new.source;
        self.notes = new.notes;
        self.external_id = new.external_id;
        self.extra = new.extra;
    }

    /// The first line of the text, cut to `max` characters — what lists show.
    pub fn preview(&self, max: usize) -> String {
        preview(&self.text, max)
    }
}

/// What a caller supplies to [`crate::add`]: an [`Entry`] without id and timestamps.
///
/// [`NewEntry::normalize`] (called by every write) trims text, lowercases tags, checks the
/// rating range and rewrites the date to ISO, so every path into the database agrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewEntry {
    /// See [`Entry::kind`].
    pub kind: Kind,
    /// See [`Entry::platform`].
    pub platform: Platform,
    /// See [`Entry::title`].
    pub title: Option<String>,
    /// See [`Entry::text`].
    pub text: String,
    /// See [`Entry::before`].
    pub before: Option<String>,
    /// See [`Entry::why`].
    pub why: Option<String>,
    /// See [`Entry::polarity`].
    pub polarity: Option<Polarity>,
    /// See [`Entry::replacement`].
    pub replacement: Option<String>,
    /// See [`Entry::date`]; any accepted date form, normalised on write.
    pub date: Option<String>,
    /// See [`Entry::rating`].
    pub rating: Option<u8>,
    /// See [`Entry::tags`].
    pub tags: Vec<String>,
    /// See [`Entry::metrics`].
    pub metrics: BTreeMap<String, f64>,
    /// See [`Entry::source`].
    pub source: Option<String>,
    /// See [`Entry::notes`].
    pub notes: Option<String>,
    /// See [`Entry::external_id`].
    pub external_id: Option<String>,
    /// See [`Entry::extra`].
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for NewEntry {
    fn default() -> Self {
        Self {
            kind: Kind::Post,
            platform: Platform::Other,
            title: None,
            text: String::new(),
            before: None,
            why: None,
            polarity: None,
            replacement: None,
            date: None,
            rating: None,
            tags: Vec::new(),
            metrics: BTreeMap::new(),
            source: None,
            notes: None,
            external_id: None,
            extra: serde_json::Map::new(),
        }
    }
}

impl NewEntry {
    /// A post (or any kind) with just a text; fill the rest with struct update syntax.
    pub fn new(kind: Kind, platform: Platform, text: impl Into<String>) -> Self {
        Self { kind, platform, text: text.into(), ..Self::default() }
    }

    /// Cleans and checks the fields; the error names the field and the fix.
    ///
    /// Kind-specific rules: a phrase needs a polarity; `before`/`why` only make sense on a
    /// rewrite and a rewrite needs `before` (without it, it is just a post).
    pub fn normalize(mut self) -> Result<Self> {
        self.text = clean_text(&self.text);
        if self.text.is_empty() {
            return Err(Error::Invalid("text is empty".into()));
        }
        self.title = clean_opt(self.title);
        self.before = clean_opt(self.before);
        self.why = clean_opt(self.why);
        self.replacement = clean_opt(self.replacement);
        self.source = clean_opt(self.source);
        self.notes = clean_opt(self.notes);
        self.external_id = clean_opt(self.external_id);
        if let Some(r) = self.rating {
            check_rating(i64::from(r))?;
        }
        self.date = match clean_opt(self.date) {
            Some(d) => Some(normalize_date(&d)?),
            None => None,
        };
        self.tags = normalize_tags(self.tags.iter().map(String::as_str))?;
        let mut metrics = BTreeMap::new();
        for (k, v) in std::mem::take(&mut self.metrics) {
            let name = normalize_metric_name(&k)?;
            if !v.is_finite() || v < 0.0 {
                return Err(Error::Invalid(format!("metric {name} = {v} must be a number ≥ 0")));
            }
            metrics.insert(name, v);
        }
        self.metrics = metrics;
        match self.kind {
            Kind::Phrase if self.polarity.is_none() => {
                return Err(Error::Invalid("a phrase needs a polarity (approved or banned)".into()));
            }
            Kind::Rewrite if self.before.is_none() => {
                return Err(Error::Invalid("a rewrite needs `before` (the draft it improves on)".into()));
            }
            _ => {}
        }
        if self.kind != Kind::Phrase && self.polarity.is_some() {
            return Err(Error::Invalid(format!("polarity only applies to phrases, not to a {}", self.kind)));
        }
        Ok(self)
    }
}

/// Checks a rating is 1–5; the message is the one users see for a bad CSV cell too.
pub(crate) fn check_rating(r: i64) -> Result<u8> {
    if (1..=5).contains(&r) { Ok(r as u8) } else { Err(Error::Invalid(format!("rating {r} is not between 1 and 5"))) }
}

/// Parses a rating written by a person: `4`, `4.0`, `4/5`, ` 4 `.
pub(crate) fn parse_rating(s: &str) -> Result<u8> {
    let t = s.trim();
    let t = t.strip_suffix("/5").unwrap_or(t).trim();
    let n: f64 =
        t.parse().map_err(|_| Error::Invalid(format!("rating `{}` is not a whole number from 1 to 5", s.trim())))?;
    if n.fract() != 0.0 {
        return Err(Error::Invalid(format!("rating {n} is not a whole number from 1 to 5")));
    }
    check_rating(n as i64)
}

/// Parses a metric value written by a person: `1234`, `1,234`, `1.2k`, `3M`, `12%` (kept as 12).
pub(crate) fn parse_metric_value(s: &str) -> Result<f64> {
    let t = s.trim().replace([',', '_', ' '], "");
    let t = t.strip_suffix('%').unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('m' | 'M') => (&t[..t.len() - 1], 1e6),
        _ => (t, 1.0),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v * mult),
        _ => Err(Error::Invalid(format!("`{}` is not a number ≥ 0", s.trim()))),
    }
}

/// Metric names are lowercase snake case so `Likes`, `likes` and ` likes ` are one metric.
pub(crate) fn normalize_metric_name(k: &str) -> Result<String> {
    let mut out = String::new();
    for c in k.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.is_empty() {
        return Err(Error::Invalid(format!("metric name `{k}` is empty")));
    }
    Ok(out)
}

/// Tags: trimmed, lowercase, no leading `#`, no commas (they separate tags in CSV), sorted, unique.
pub fn normalize_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        for part in t.split([',', ';']) {
            let p = part.trim().trim_start_matches('#').trim().to_lowercase();
            if p.is_empty() {
                continue;
            }
            if p.chars().any(|c| c.is_control()) {
                return Err(Error::Invalid(format!("tag `{p}` contains a control character")));
            }
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Line endings to `\n`, trailing spaces on each line and blank lines around the text removed.
pub(crate) fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

fn clean_opt(s: Option<String>) -> Option<String> {
    s.map(|v| clean_text(&v)).filter(|v| !v.is_empty())
}

/// Accepts the date forms found in exports and spreadsheets and returns ISO 8601:
/// `YYYY-MM-DD` when only the day is known, else RFC 3339 in UTC.
///
/// Slash dates (`03/06/2024`) are refused because month/day order is ambiguous.
pub fn normalize_date(s: &str) -> Result<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.format("%Y-%m-%d").to_string());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    // X archive: "Wed Mar 06 14:22:10 +0000 2024".
    if let Ok(dt) = DateTime::parse_from_str(t, "%a %b %d %H:%M:%S %z %Y") {
        return Ok(dt.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, f) {
            return Ok(dt.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true));
        }
    }
    // LinkedIn and spreadsheets: "2024-03-06 14:22:10" (taken as UTC, as LinkedIn exports are).
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(dt.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true));
        }
    }
    Err(Error::Invalid(format!("date `{t}` is not understood; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")))
}

/// The text on one line (Markdown heading marks dropped), cut to `max` characters with `…`.
/// Whole text rather than the first line, because many posts open with a 2-word line
/// ("True story.") that says nothing about the post.
pub(crate) fn preview(text: &str, max: usize) -> String {
    let flat: Vec<&str> =
        text.lines().map(|l| l.trim().trim_start_matches('#').trim()).filter(|l| !l.is_empty()).collect();
    let line = flat.join(" ");
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocab_parses_aliases_and_rejects_unknown() {
        assert_eq!("Twitter".parse::<Platform>().unwrap(), Platform::X);
        assert_eq!("call to action".parse::<Kind>().unwrap(), Kind::Cta);
        let e = "pots".parse::<Kind>().unwrap_err().to_string();
        assert!(e.contains("kind `pots`") && e.contains("post, hook"), "{e}");
    }

    #[test]
    fn dates_normalise() {
        assert_eq!(normalize_date("2024-03-06").unwrap(), "2024-03-06");
        assert_eq!(normalize_date("Wed Mar 06 14:22:10 +0000 2024").unwrap(), "2024-03-06T14:22:10Z");
        assert_eq!(normalize_date("2024-03-06 14:22:10").unwrap(), "2024-03-06T14:22:10Z");
        assert_eq!(normalize_date("2024-03-06T16:22:10+02:00").unwrap(), "2024-03-06T14:22:10Z");
        assert!(normalize_date("03/06/2024").unwrap_err().to_string().contains("YYYY-MM-DD"));
    }

    #[test]
    fn normalize_checks_fields() {
        let e = NewEntry { rating: Some(9), ..NewEntry::new(Kind::Post, Platform::X, "hi") };
        assert_eq!(e.normalize().unwrap_err().to_string(), "rating 9 is not between 1 and 5");
        let e = NewEntry::new(Kind::Phrase, Platform::Other, "game-changer");
        assert!(e.normalize().unwrap_err().to_string().contains("polarity"));
        let e = NewEntry {
            tags: vec!["#Ops, Systems".into(), "ops".into()],
            metrics: [("Likes ".to_string(), 3.0)].into(),
            ..NewEntry::new(Kind::Post, Platform::X, "\r\n  hello  \r\nworld \n\n")
        };
        let n = e.normalize().unwrap();
        assert_eq!(n.text, "hello\nworld");
        assert_eq!(n.tags, ["ops", "systems"]);
        assert_eq!(n.metrics["likes"], 3.0);
    }

    #[test]
    fn person_written_numbers() {
        assert_eq!(parse_metric_value("1,234").unwrap(), 1234.0);
        assert_eq!(parse_metric_value("1.5k").unwrap(), 1500.0);
        assert!(parse_metric_value("lots").is_err());
        assert_eq!(parse_rating("4/5").unwrap(), 4);
        assert_eq!(parse_rating("9").unwrap_err().to_string(), "rating 9 is not between 1 and 5");
    }
}
