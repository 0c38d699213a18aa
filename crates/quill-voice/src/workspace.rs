//! The glue between the voice checks and a workspace: the library's texts, banned and approved
//! phrases and rewrites go in; the stored profile and the workspace's styles come out.
//!
//! Everything else in this crate works on plain texts; this module is the only one that knows
//! where a creator's data lives, so the prompt and evaluation crates can use either level.

use std::path::PathBuf;

use quill_library::{Entry, Filter, Kind};
use quill_store::{Db, Workspace, now_rfc3339};
use serde::Serialize;

use crate::lint::{BannedPhrase, Linter};
use crate::profile::{Profile, ProfileText, build_profile, weight_for};
use crate::{Error, Result};

/// `.quill/styles`: the workspace's own Vale-format styles (one folder per style).
pub fn styles_dir(ws: &Workspace) -> PathBuf {
    ws.data_dir().join("styles")
}

/// `.quill/styles/Learned`: where accepted `quill voice learn` proposals are written.
pub fn learned_dir(ws: &Workspace) -> PathBuf {
    styles_dir(ws).join("Learned")
}

fn lib_err(e: quill_library::Error) -> Error {
    Error::Invalid(e.to_string())
}

/// The linter a workspace uses: the built-in styles, the library's banned phrases (as
/// `Library.Banned`/`Library.Replace`), every style folder under `.quill/styles`, and
/// the library's approved phrases as exceptions (a creator's own signature phrase is never
/// flagged as a cliché).
pub fn workspace_linter(ws: &Workspace, db: &Db) -> Result<Linter> {
    let mut linter = Linter::builtin();
    let phrases = quill_library::phrases(db).map_err(lib_err)?;
    let banned: Vec<BannedPhrase> = phrases
        .banned
        .iter()
        .map(|p| BannedPhrase { phrase: p.text.clone(), replacement: p.replacement.clone() })
        .collect();
    linter.add_banned_phrases(&banned)?;
    linter.set_approved_phrases(&phrases.approved.iter().map(|p| p.text.clone()).collect::<Vec<_>>());
    let dir = styles_dir(ws);
    if dir.is_dir() {
        linter.add_styles(&dir)?;
    }
    Ok(linter)
}

/// Kinds whose texts are the creator's full-length writing (the profile's input).
pub const PROFILE_KINDS: &[Kind] = &[Kind::Post, Kind::Thread, Kind::Email];

/// A library entry chosen for the profile, with its weight.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileEntry {
    /// Library id.
    pub id: i64,
    /// The text.
    pub text: String,
    /// Weight from rating and performance.
    pub weight: f64,
}

/// Texts shorter than this many words are left out of the profile: a 20-word tweet says little
/// about sentence rhythm or function-word rates, and mixing them with 450-word newsletters
/// widened the calibration so much that generic drafts scored 50–66 instead of near 0.
pub const MIN_PROFILE_WORDS: usize = 40;

/// The creator's own texts for the profile: live posts, threads and emails of at least
/// [`MIN_PROFILE_WORDS`] words, minus retweets and anything assigned to the held-out `test`
/// split, weighted by rating and performance.
pub fn profile_entries(db: &Db) -> Result<Vec<ProfileEntry>> {
    let entries =
        quill_library::list(db, &Filter { kinds: PROFILE_KINDS.to_vec(), ..Default::default() }).map_err(lib_err)?;
    let held_out = held_out_ids(db)?;
    let entries: Vec<Entry> = entries
        .into_iter()
        .filter(|e| !held_out.contains(&e.id))
        .filter(|e| !e.extra.get("is_retweet").and_then(|v| v.as_bool()).unwrap_or(false))
        .filter(|e| crate::text::word_ranges(&e.text).len() >= MIN_PROFILE_WORDS)
        .collect();
    let perf = quill_library::performance_scores(&entries);
    Ok(entries
        .into_iter()
        .zip(perf)
        .map(|(e, p)| ProfileEntry { id: e.id, weight: weight_for(e.rating, p.map(|s| s / (1.0 + s))), text: e.text })
        .collect())
}

fn held_out_ids(db: &Db) -> Result<std::collections::BTreeSet<i64>> {
    let mut stmt = db.conn().prepare("SELECT entry_id FROM entry_splits WHERE split = 'test'")?;
    let ids = stmt.query_map([], |r| r.get::<_, i64>(0))?.collect::<std::result::Result<_, _>>()?;
    Ok(ids)
}

/// A profile as stored, with when and from what it was built.
#[derive(Debug, Clone, Serialize)]
pub struct StoredProfile {
    /// Row id.
    pub id: i64,
    /// When it was built (RFC 3339).
    pub created_at: String,
    /// The embedder whose centroid it holds, if any.
    pub embedder: Option<String>,
    /// The profile.
    pub profile: Profile,
}

/// Computes embeddings for a batch of texts (the CLI wraps quill-knowledge's MiniLM embedder).
pub type EmbedFn<'a> = &'a dyn Fn(&[&str]) -> Result<Vec<Vec<f32>>>;

/// Builds the workspace's profile. `embed` computes embeddings for the texts when an embedder
/// is available (pass `None` to build the stylometric profile alone); its id is stored.
pub fn build_workspace_profile(db: &Db, embed: Option<(&str, EmbedFn<'_>)>) -> Result<(Profile, Vec<ProfileEntry>)> {
    let entries = profile_entries(db)?;
    let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
    let vectors = match embed {
        Some((_, f)) => Some(f(&texts)?),
        None => None,
    };
    let inputs: Vec<ProfileText<'_>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| ProfileText {
            text: &e.text,
            weight: e.weight,
            embedding: vectors.as_ref().and_then(|v| v.get(i)).map(Vec::as_slice),
        })
        .collect();
    let profile = build_profile(&inputs)?;
    Ok((profile, entries))
}

/// Stores a profile (the newest one is the one used).
pub fn save_profile(db: &mut Db, profile: &Profile, embedder: Option<&str>) -> Result<i64> {
    let json = serde_json::to_string(profile).map_err(|e| Error::Profile(e.to_string()))?;
    let created = now_rfc3339();
    db.write(|tx| -> Result<i64> {
        tx.execute(
            "INSERT INTO voice_profiles (created_at, texts, words, embedder, profile) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![created, profile.texts as i64, profile.words as i64, embedder, json],
        )?;
        Ok(tx.last_insert_rowid())
    })
}

/// The newest stored profile, if any.
pub fn load_profile(db: &Db) -> Result<Option<StoredProfile>> {
    let row = db
        .conn()
        .query_row("SELECT id, created_at, embedder, profile FROM voice_profiles ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
        })
        .map(Some)
        .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })?;
    let Some((id, created_at, embedder, json)) = row else {
        return Ok(None);
    };
    // Check the format version first, so a profile from an older Quill says so rather than
    // naming a missing field.
    let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| Error::Profile(e.to_string()))?;
    let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if version != u64::from(crate::profile::PROFILE_VERSION) {
        return Err(Error::Profile(format!(
            "it was built by format {version}, this Quill reads {}",
            crate::profile::PROFILE_VERSION
        )));
    }
    let profile: Profile = serde_json::from_value(value).map_err(|e| Error::Profile(e.to_string()))?;
    profile.validate()?;
    Ok(Some(StoredProfile { id, created_at, embedder, profile }))
}

/// The creator's texts as plain strings (for the habit detector's reference).
pub fn creator_texts(db: &Db) -> Result<Vec<String>> {
    Ok(profile_entries(db)?.into_iter().map(|e| e.text).collect())
}

/// The library's rewrites as (before, after) pairs.
pub fn rewrites(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(quill_library::rewrites(db).map_err(lib_err)?.into_iter().map(|r| (r.before, r.after)).collect())
}
