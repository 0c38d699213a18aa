use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The settings in `quill.toml`.
///
/// Known sections are typed so a typo in a value is caught with a line number; sections that
/// belong to one crate (for example `[knowledge]` or `[tune]`) are read through
/// [`Config::section`], so adding a setting never needs a change here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `[workspace]`: identity of the brand or client.
    pub workspace: WorkspaceSection,
    /// `[generation]`: defaults for every command that generates.
    pub generation: GenerationSection,
    /// `[backends.NAME]`: OpenAI-compatible servers selectable with `--backend NAME`.
    pub backends: BTreeMap<String, BackendConfig>,
    /// Every other section, kept as parsed so crates can read their own.
    #[serde(flatten)]
    pub other: toml::Table,
}

/// `[workspace]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkspaceSection {
    /// Display name of the creator, brand or client.
    pub name: String,
}

/// `[generation]`: defaults that flags override.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationSection {
    /// Backend name: `local`, or a key of `[backends]`.
    pub backend: String,
    /// Model for the local backend: `default`, a GGUF path or a name from `quill models list`.
    pub model: String,
    /// Maximum new tokens per draft.
    pub max_tokens: u32,
    /// Sampling temperature.
    pub temperature: f32,
    /// Nucleus sampling threshold.
    pub top_p: f32,
}

impl Default for GenerationSection {
    fn default() -> Self {
        Self { backend: "local".into(), model: "default".into(), max_tokens: 400, temperature: 0.7, top_p: 0.95 }
    }
}

/// One `[backends.NAME]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// Wire protocol; `openai` (any OpenAI-compatible server: Ollama, llama.cpp, vLLM, hosted).
    pub kind: String,
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Model name the server expects.
    pub model: String,
    /// Name of the environment variable that holds the API key (never the key itself, so the
    /// settings file can be shared and committed).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Seconds to wait for a connection.
    #[serde(default)]
    pub connect_timeout_secs: Option<u64>,
    /// Seconds to wait between bytes of a response before giving up.
    #[serde(default)]
    pub read_timeout_secs: Option<u64>,
    /// Retries on 429 and 5xx.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// The model's context window in tokens. Prompts are fitted to it; when unset it is asked
    /// from the server's `/v1/models` (Quill and vLLM report it; Ollama and hosted APIs don't).
    #[serde(default)]
    pub context_length: Option<u32>,
}

/// The file `quill init` writes: every setting shown with its default so a creator can edit it.
pub(crate) fn template(name: &str) -> String {
    let name = toml::Value::String(name.to_string());
    format!(
        r#"# Quill workspace settings. Edit freely: every command reads this file.

[workspace]
name = {name}

[generation]
backend = "local"      # "local" or the name of a [backends.NAME] section
model = "default"      # "default" (SmolLM2-135M-Instruct), a GGUF path, or a name from `quill models list`
max_tokens = 400
temperature = 0.7
top_p = 0.95

# An OpenAI-compatible server (Ollama, LM Studio, llama.cpp server, vLLM, a hosted API):
# [backends.ollama]
# kind = "openai"
# base_url = "http://127.0.0.1:11434/v1"
# model = "llama3.2"
# api_key_env = "OLLAMA_API_KEY"   # name of the environment variable holding the key
# context_length = 8192             # the model's context window, when the server doesn't report it
"#
    )
}

impl Config {
    /// Parses `quill.toml`; errors carry the file, line and column.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
        Self::parse(&text, path)
    }

    /// Parses settings text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::Config { path: path.to_path_buf(), message: e.to_string() })
    }

    /// Reads a crate's own section (`[knowledge]`, `[tune]`, ...) into its settings type, or its
    /// defaults when the section is absent.
    pub fn section<T: serde::de::DeserializeOwned + Default>(&self, name: &str, path: &Path) -> Result<T> {
        match self.other.get(name) {
            None => Ok(T::default()),
            Some(v) => v.clone().try_into().map_err(|e: toml::de::Error| Error::Config {
                path: path.to_path_buf(),
                message: format!("in [{name}]: {e}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_defaults() {
        let c = Config::parse(&template("Maya \"Ops\" Okafor"), Path::new("quill.toml")).unwrap();
        assert_eq!(c.workspace.name, "Maya \"Ops\" Okafor");
        assert_eq!(c.generation.backend, "local");
        assert!(c.backends.is_empty());
    }

    #[test]
    fn backends_and_unknown_sections() {
        let text = r#"
[backends.ollama]
kind = "openai"
base_url = "http://127.0.0.1:11434/v1"
model = "llama3.2"
api_key_env = "OLLAMA_KEY"

[knowledge]
chunk_tokens = 300
"#;
        let c = Config::parse(text, Path::new("quill.toml")).unwrap();
        assert_eq!(c.backends["ollama"].model, "llama3.2");
        #[derive(Deserialize, Default)]
        struct K {
            chunk_tokens: u32,
        }
        let k: K = c.section("knowledge", Path::new("quill.toml")).unwrap();
        assert_eq!(k.chunk_tokens, 300);
    }

    #[test]
    fn bad_toml_names_line() {
        let err = Config::parse("[generation]\nmax_tokens = \"lots\"\n", Path::new("/w/quill.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/w/quill.toml"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }
}
