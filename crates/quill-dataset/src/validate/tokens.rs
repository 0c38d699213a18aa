//! Token counting: the hosted models' encodings (tiktoken-rs, embedded BPE files, offline) and the
//! local model's own tokenizer (read from its GGUF).

use std::path::Path;

use serde_json::Value;
use tiktoken_rs::CoreBPE;

use crate::error::{Error, Result};

/// Which tokenizer counts tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// GPT-3.5/GPT-4 — what the cookbook notebook uses.
    Cl100kBase,
    /// GPT-4o family — what `gpt-4o-mini` fine-tuning bills with.
    O200kBase,
    /// The local model's tokenizer, counting the chat-templated conversation.
    Local,
}

impl Encoding {
    /// Name as used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::O200kBase => "o200k_base",
            Encoding::Local => "local",
        }
    }
}

impl std::str::FromStr for Encoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cl100k_base" | "cl100k" => Ok(Encoding::Cl100kBase),
            "o200k_base" | "o200k" => Ok(Encoding::O200kBase),
            "local" => Ok(Encoding::Local),
            other => Err(Error::Invalid(format!("unknown encoding {other:?}; use cl100k_base, o200k_base or local"))),
        }
    }
}

/// cl100k's special tokens. tiktoken's `encode()` (the notebook's call) raises `ValueError` when
/// a text contains one, so their presence predicts a notebook crash.
pub const CL100K_SPECIALS: &[&str] =
    &["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"];

/// Whether `text` contains a cl100k special-token string.
pub fn has_cl100k_special(text: &str) -> bool {
    text.contains("<|") && CL100K_SPECIALS.iter().any(|s| text.contains(s))
}

/// A BPE encoding from tiktoken-rs. Special-token text is counted as ordinary text (what a
/// fine-tuning service sees in a content string).
pub fn bpe(enc: Encoding) -> Result<&'static CoreBPE> {
    match enc {
        Encoding::Cl100kBase => Ok(tiktoken_rs::cl100k_base_singleton()),
        Encoding::O200kBase => Ok(tiktoken_rs::o200k_base_singleton()),
        Encoding::Local => Err(Error::Invalid("the local tokenizer is not a tiktoken encoding".into())),
    }
}

/// Counts tokens of a text with a BPE encoding.
pub fn count(bpe: &CoreBPE, text: &str) -> usize {
    bpe.encode_ordinary(text).len()
}

/// The local model's tokenizer and chat template: what local fine-tuning (quill-tune) trains on.
pub struct LocalTokenizer {
    tok: quill_llm::Tokenizer,
    template: quill_llm::ChatTemplate,
    /// The GGUF it came from, for reports.
    pub path: std::path::PathBuf,
}

impl LocalTokenizer {
    /// Loads the tokenizer and chat template from a GGUF file.
    pub fn load(path: &Path) -> Result<Self> {
        let err = |message: String| Error::Tokenizer { name: "local".into(), message };
        if !path.is_file() {
            return Err(err(format!(
                "model file {} not found\n  hint: run scripts/fetch-models.sh (or set QUILL_MODELS)",
                path.display()
            )));
        }
        let f = quill_llm::gguf::GgufFile::open(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        let tok = quill_llm::Tokenizer::from_gguf(&f).map_err(|e| err(format!("{}: {e}", path.display())))?;
        let template =
            quill_llm::ChatTemplate::from_gguf(&f, &tok).map_err(|e| err(format!("{}: {e}", path.display())))?;
        Ok(Self { tok, template, path: path.to_path_buf() })
    }

    /// Tokens of a plain text (no special tokens added).
    pub fn count_text(&self, text: &str) -> usize {
        self.tok.encode(text, false, false).len()
    }

    /// Tokens of the whole conversation as the chat template renders it.
    pub fn count_conversation(&self, messages: &[(String, String)]) -> Result<usize> {
        let msgs: Vec<quill_llm::ChatMessage> =
            messages.iter().map(|(r, c)| quill_llm::ChatMessage::new(r.as_str(), c.as_str())).collect();
        let text = self
            .template
            .render(&msgs, false)
            .map_err(|e| Error::Tokenizer { name: "local".into(), message: format!("chat template: {e}") })?;
        Ok(self.tok.encode(&text, true, true).len())
    }
}

/// Compact JSON of a non-string value, the text we count for it (e.g. a `function_call` object).
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => serde_json::to_string(other).ok(),
    }
}
