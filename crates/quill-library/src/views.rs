//! Typed views for the consumers that need one kind only: the style linter and prompts read
//! phrases, the voice-rule learner reads rewrites. They save every consumer re-checking
//! `kind` and unwrapping kind-specific fields.

use quill_store::Db;
use serde::{Deserialize, Serialize};

use crate::store::{Filter, list};
use crate::{Kind, Platform, Polarity, Result};

/// An approved or banned phrase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phrase {
    /// Entry id.
    pub id: i64,
    /// The phrase itself.
    pub text: String,
    /// Banned phrases: what to write instead.
    pub replacement: Option<String>,
    /// Platform it applies to (`other` = everywhere).
    pub platform: Platform,
    /// The creator's notes (why it is banned, when to use it).
    pub notes: Option<String>,
}

/// All live phrases, split by polarity, in id order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phrases {
    /// Phrases the creator uses.
    pub approved: Vec<Phrase>,
    /// Phrases the creator never uses.
    pub banned: Vec<Phrase>,
}

/// A before/after edit by the creator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rewrite {
    /// Entry id.
    pub id: i64,
    /// The draft before the edit.
    pub before: String,
    /// The creator's version.
    pub after: String,
    /// Why (the rule the edit teaches), when given.
    pub why: Option<String>,
    /// Platform.
    pub platform: Platform,
    /// Tags.
    pub tags: Vec<String>,
}

/// The live phrase lists.
pub fn phrases(db: &Db) -> Result<Phrases> {
    let mut out = Phrases::default();
    for e in list(db, &Filter { kinds: vec![Kind::Phrase], ..Filter::default() })? {
        let p = Phrase { id: e.id, text: e.text, replacement: e.replacement, platform: e.platform, notes: e.notes };
        match e.polarity {
            Some(Polarity::Banned) => out.banned.push(p),
            _ => out.approved.push(p),
        }
    }
    Ok(out)
}

/// The live before/after rewrites.
pub fn rewrites(db: &Db) -> Result<Vec<Rewrite>> {
    Ok(list(db, &Filter { kinds: vec![Kind::Rewrite], ..Filter::default() })?
        .into_iter()
        .map(|e| Rewrite {
            id: e.id,
            before: e.before.unwrap_or_default(),
            after: e.text,
            why: e.why,
            platform: e.platform,
            tags: e.tags,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewEntry, add};

    #[test]
    fn phrases_and_rewrites() {
        let mut db = Db::open_in_memory().unwrap();
        add(
            &mut db,
            NewEntry {
                polarity: Some(Polarity::Banned),
                replacement: Some("useful".into()),
                ..NewEntry::new(Kind::Phrase, Platform::Other, "game-changer")
            },
        )
        .unwrap();
        add(
            &mut db,
            NewEntry {
                polarity: Some(Polarity::Approved),
                ..NewEntry::new(Kind::Phrase, Platform::Other, "here's the thing")
            },
        )
        .unwrap();
        add(
            &mut db,
            NewEntry {
                before: Some("We leverage synergies.".into()),
                why: Some("plain words".into()),
                ..NewEntry::new(Kind::Rewrite, Platform::Linkedin, "We work together.")
            },
        )
        .unwrap();
        let p = phrases(&db).unwrap();
        assert_eq!(p.banned[0].replacement.as_deref(), Some("useful"));
        assert_eq!(p.approved[0].text, "here's the thing");
        let r = rewrites(&db).unwrap();
        assert_eq!((r[0].before.as_str(), r[0].after.as_str()), ("We leverage synergies.", "We work together."));
    }
}
