//! Short names for local GGUF files: `$QUILL_MODELS/models.json`.
//!
//! Why a JSON file and not the workspace database: models are machine-wide (one 4 GB file serves
//! every client's workspace), and a creator can read or fix this file by hand. Writes are atomic.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ModelEntry, ModelError, Result, SourceKind};

/// File name under `$QUILL_MODELS`.
pub const FILE: &str = "models.json";

/// One registered file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The short name.
    pub name: String,
    /// Absolute path of the GGUF.
    pub path: PathBuf,
    /// SHA-256 at registration, to tell a replaced file from the one registered.
    #[serde(default)]
    pub sha256: Option<String>,
    /// RFC 3339 time of registration.
    #[serde(default)]
    pub added: String,
}

/// The registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// Entries, in registration order.
    #[serde(default)]
    pub models: Vec<Registered>,
}

impl Registry {
    /// Loads the registry (empty when the file does not exist).
    pub fn load(quill_dir: &Path) -> Result<Self> {
        let p = quill_dir.join(FILE);
        match std::fs::read_to_string(&p) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| ModelError::BadFile {
                path: p.clone(),
                message: format!("{e}; fix it by hand or delete it (it only holds short names for local files)"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(ModelError::io("reading", p, e)),
        }
    }

    /// Saves atomically.
    pub fn save(&self, quill_dir: &Path) -> Result<()> {
        let p = quill_dir.join(FILE);
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ModelError::BadFile { path: p.clone(), message: e.to_string() })?;
        quill_store::atomic_write(&p, text.as_bytes())
            .map_err(|e| ModelError::BadFile { path: p, message: e.to_string() })
    }

    /// An entry by name.
    pub fn get(&self, name: &str) -> Option<&Registered> {
        self.models.iter().find(|m| m.name == name)
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, r: Registered) {
        self.models.retain(|m| m.name != r.name);
        self.models.push(r);
    }

    /// Removes an entry; whether it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.models.len();
        self.models.retain(|m| m.name != name);
        before != self.models.len()
    }

    /// Entries whose file still exists, for `list`.
    pub fn entries(&self) -> Vec<ModelEntry> {
        self.models
            .iter()
            .filter(|m| m.path.is_file())
            .map(|m| ModelEntry {
                name: m.name.clone(),
                source: SourceKind::Local,
                size: super::size_on_disk(&m.path),
                path: m.path.clone(),
                origin: "registered GGUF file".into(),
            })
            .collect()
    }
}

/// Checks a short name: it must not look like a path, a hub URL or an Ollama name, or it would be
/// shadowed (or would shadow) in [`super::ModelStores::resolve`].
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.ends_with(".gguf")
        && name != "default"
        && super::wheels::by_name(name).is_none();
    if ok {
        Ok(())
    } else {
        Err(ModelError::InvalidName {
            name: name.to_string(),
            message:
                "use letters, digits, '-', '_' and '.' (no ':' or '/', not ending in .gguf, not a default model's name)"
                    .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Registry::load(dir.path()).unwrap();
        assert!(r.models.is_empty());
        let f = dir.path().join("a.gguf");
        std::fs::write(&f, b"x").unwrap();
        r.insert(Registered { name: "mine".into(), path: f.clone(), sha256: None, added: String::new() });
        r.save(dir.path()).unwrap();
        let r = Registry::load(dir.path()).unwrap();
        assert_eq!(r.get("mine").unwrap().path, f);
        assert_eq!(r.entries().len(), 1);
        for bad in ["", "a/b", "a:b", "x.gguf", "default", "smollm2"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        check_name("my-model_v2.1").unwrap();
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        assert!(Registry::load(dir.path()).unwrap_err().to_string().contains("delete it"));
    }
}
