//! `quill models info`: what a GGUF file holds, read from its header only (no weights loaded), so
//! it is instant even for a 40 GB model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quill_llm::gguf::GgufFile;
use serde::Serialize;

use super::{ModelError, Result};

/// One ggml type's share of the tensors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuantShare {
    /// Number of tensors of this type.
    pub tensors: usize,
    /// Their parameters.
    pub params: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// What `info` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// The file read.
    pub path: PathBuf,
    /// `general.name`, if set.
    pub name: Option<String>,
    /// `general.architecture` (`llama`, `qwen2`, ...); `safetensors` for the embedder folder.
    pub architecture: String,
    /// Sum of every tensor's element count.
    pub parameters: u64,
    /// Tensors per ggml type (`Q4_1`, `F32`, ...), keyed by type name.
    pub quantization: BTreeMap<String, QuantShare>,
    /// `general.file_type` as llama.cpp names it (`MOSTLY_Q4_1`), when set.
    pub file_type: Option<String>,
    /// `<arch>.context_length`.
    pub context_length: Option<u64>,
    /// `<arch>.embedding_length`.
    pub embedding_length: Option<u64>,
    /// `<arch>.block_count`.
    pub layers: Option<u64>,
    /// Tokens in `tokenizer.ggml.tokens`.
    pub vocab_size: Option<usize>,
    /// `tokenizer.ggml.model` (`gpt2`, `llama`).
    pub tokenizer: Option<String>,
    /// `tokenizer.chat_template`.
    pub chat_template: Option<String>,
    /// Bytes on disk.
    pub file_size: u64,
    /// GGUF version.
    pub gguf_version: u32,
}

/// llama.cpp's `enum llama_ftype` names (the ones in use).
fn file_type_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "ALL_F32",
        1 => "MOSTLY_F16",
        2 => "MOSTLY_Q4_0",
        3 => "MOSTLY_Q4_1",
        7 => "MOSTLY_Q8_0",
        8 => "MOSTLY_Q5_0",
        9 => "MOSTLY_Q5_1",
        10 => "MOSTLY_Q2_K",
        11 => "MOSTLY_Q3_K_S",
        12 => "MOSTLY_Q3_K_M",
        13 => "MOSTLY_Q3_K_L",
        14 => "MOSTLY_Q4_K_S",
        15 => "MOSTLY_Q4_K_M",
        16 => "MOSTLY_Q5_K_S",
        17 => "MOSTLY_Q5_K_M",
        18 => "MOSTLY_Q6_K",
        32 => "MOSTLY_BF16",
        _ => return None,
    })
}

/// Reads the header of a GGUF file (or sizes up the embedder folder).
pub fn model_info(path: &Path) -> Result<ModelInfo> {
    if path.is_dir() {
        return Ok(ModelInfo {
            path: path.to_path_buf(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            architecture: "safetensors".into(),
            parameters: 0,
            quantization: BTreeMap::new(),
            file_type: None,
            context_length: None,
            embedding_length: None,
            layers: None,
            vocab_size: None,
            tokenizer: None,
            chat_template: None,
            file_size: super::size_on_disk(path),
            gguf_version: 0,
        });
    }
    let f = GgufFile::open(path)?;
    let arch = f.get_str("general.architecture").unwrap_or("unknown").to_string();
    let mut quantization: BTreeMap<String, QuantShare> = BTreeMap::new();
    let mut parameters = 0u64;
    for t in f.tensors() {
        let n = t.n_elements();
        parameters += n;
        let q = quantization.entry(t.ggml_type.name().to_string()).or_insert(QuantShare {
            tensors: 0,
            params: 0,
            bytes: 0,
        });
        q.tensors += 1;
        q.params += n;
        q.bytes += t.n_bytes;
    }
    let file_size = std::fs::metadata(path).map_err(|e| ModelError::io("reading", path, e))?.len();
    Ok(ModelInfo {
        path: path.to_path_buf(),
        name: f.get_str("general.name").map(str::to_string),
        parameters,
        quantization,
        file_type: f
            .get_u64("general.file_type")
            .map(|v| file_type_name(v).map(str::to_string).unwrap_or_else(|| format!("type {v}"))),
        context_length: f.get_u64(&format!("{arch}.context_length")),
        embedding_length: f.get_u64(&format!("{arch}.embedding_length")),
        layers: f.get_u64(&format!("{arch}.block_count")),
        vocab_size: f.get_array("tokenizer.ggml.tokens").map(|a| a.len()),
        tokenizer: f.get_str("tokenizer.ggml.model").map(str::to_string),
        chat_template: f.get_str("tokenizer.chat_template").map(str::to_string),
        file_size,
        gguf_version: f.version(),
        architecture: arch,
    })
}

/// "135M", "1.2B": how model cards write parameter counts.
pub fn human_params(n: u64) -> String {
    match n {
        0 => "-".into(),
        n if n >= 1_000_000_000 => format!("{:.1}B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.0}M", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.0}K", n as f64 / 1e3),
        n => n.to_string(),
    }
}

/// "91.4 MB": decimal units, as `ollama list` prints sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humans() {
        assert_eq!(human_params(134_515_008), "135M");
        assert_eq!(human_params(1_235_814_400), "1.2B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(91_400_000), "91.4 MB");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gguf");
        std::fs::write(&p, b"not a model at all").unwrap();
        let err = model_info(&p).unwrap_err().to_string();
        assert!(err.contains("not a GGUF file"), "{err}");
    }
}
