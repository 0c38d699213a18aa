//! Platform presets: limits and conventions as data.
//!
//! The limits are the platforms' real ones (X's 280 weighted characters, LinkedIn's 3,000 with
//! the "see more" cut, inbox subject lengths …). They live in a TOML file shipped with Quill so a
//! workspace can override any field in its own `presets.toml` when a platform changes its rules,
//! without waiting for a release.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const BUILTIN: &str = include_str!("../presets/platforms.toml");

/// One platform's limits and conventions. Every limit is optional: a blog has no hard cap.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Preset {
    /// Human name ("LinkedIn post").
    pub display: String,
    /// Hard character limit of one post (X: weighted count).
    pub max_chars: Option<usize>,
    /// Characters visible before the platform truncates ("see more"); the hook must fit.
    pub hook_chars: Option<usize>,
    /// Most hashtags that make sense.
    pub max_hashtags: Option<usize>,
    /// Email/newsletter subject line limit.
    pub subject_max_chars: Option<usize>,
    /// Preheader lower bound.
    pub preheader_min_chars: Option<usize>,
    /// Preheader upper bound.
    pub preheader_max_chars: Option<usize>,
    /// Whether the output is a thread of posts, each under `max_chars`.
    pub thread: bool,
    /// Most posts in a thread.
    pub max_posts: Option<usize>,
    /// Length used when the brief gives none.
    pub default_length: String,
    /// Instructions rendered into prompts.
    pub conventions: Vec<String>,
}

/// All presets by platform key (`linkedin`, `x`, `x_thread`, `newsletter`, ...).
#[derive(Debug, Clone)]
pub struct Presets {
    map: BTreeMap<String, Preset>,
}

impl Presets {
    /// The presets shipped with Quill.
    pub fn builtin() -> Self {
        // The shipped file is tested below; a parse failure here is a build defect, not user input.
        let map = toml::from_str(BUILTIN).unwrap_or_default();
        Self { map }
    }

    /// Shipped presets with a workspace's `presets.toml` merged over them field by field.
    pub fn load(workspace_root: &Path) -> Result<Self> {
        let mut base: toml::Table = toml::from_str(BUILTIN).unwrap_or_default();
        let path = workspace_root.join("presets.toml");
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::Io { path: path.clone(), source: e })?;
            let over: toml::Table =
                toml::from_str(&text).map_err(|e| Error::Parse { path: path.clone(), message: e.to_string() })?;
            for (name, value) in over {
                match (base.get_mut(&name), value) {
                    (Some(toml::Value::Table(b)), toml::Value::Table(o)) => b.extend(o),
                    (_, v) => {
                        base.insert(name, v);
                    }
                }
            }
        }
        let map: BTreeMap<String, Preset> = toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| Error::Parse { path, message: e.to_string() })?;
        Ok(Self { map })
    }

    /// The preset for `platform`, or the generic one.
    pub fn get(&self, platform: &str) -> Preset {
        self.map.get(platform).or_else(|| self.map.get("other")).cloned().unwrap_or_default()
    }

    /// Names of every preset.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_with_real_limits() {
        let map: BTreeMap<String, Preset> = toml::from_str(BUILTIN).expect("shipped presets must parse");
        assert_eq!(map["x"].max_chars, Some(280));
        assert_eq!(map["linkedin"].max_chars, Some(3000));
        assert_eq!(map["linkedin"].hook_chars, Some(210));
        assert!(map["x_thread"].thread);
        assert_eq!(map["email"].subject_max_chars, Some(60));
    }

    #[test]
    fn workspace_overrides_one_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("presets.toml"), "[linkedin]\nhook_chars = 140\n").unwrap();
        let p = Presets::load(dir.path()).unwrap();
        assert_eq!(p.get("linkedin").hook_chars, Some(140));
        assert_eq!(p.get("linkedin").max_chars, Some(3000));
    }

    #[test]
    fn bad_override_names_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("presets.toml"), "[linkedin]\nmax_chars = \"lots\"\n").unwrap();
        let err = Presets::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("presets.toml"), "{err}");
    }
}
