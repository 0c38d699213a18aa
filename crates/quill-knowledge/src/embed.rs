//! Sentence embeddings with all-MiniLM-L6-v2, computed in Rust with candle.
//!
//! The result must match sentence-transformers, because vectors stored by one version of Quill
//! are compared with query vectors from another, and because the reference figures come from
//! it: WordPiece tokenization with `[CLS] … [SEP]`, truncation at `max_seq_length` (256, from
//! `sentence_bert_config.json`), the BERT encoder, mean pooling over real tokens only (padding
//! masked out), then L2 normalisation (the model's `Normalize` module).
//!
//! Two encoders compute this: [`Backend::Fast`] (the default, `crate::bert`: no padding, fused
//! QKV, one thread pool, vectorised GELU/softmax) and [`Backend::Candle`] (candle-transformers'
//! `BertModel`, kept as an independent reference: the tests check that both agree). Texts are
//! sorted by length before batching, so the candle path pads each batch only to its own longest
//! text, as sentence-transformers does.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use crate::chunk::TokenCounter;
use crate::{Error, Result};

/// Files an embedder folder must contain.
pub const MODEL_FILES: &[&str] = &["config.json", "model.safetensors", "tokenizer.json"];

/// Which encoder implementation runs the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Quill's own encoder (`bert.rs`): the fast path.
    #[default]
    Fast,
    /// candle-transformers' `BertModel`: the reference path.
    Candle,
}

enum Model {
    Fast(crate::bert::Bert),
    Candle(Box<BertModel>),
}

/// A loaded sentence-embedding model.
pub struct Embedder {
    model: Model,
    /// Truncates at `max_len`, never pads (batches are padded here).
    tokenizer: Tokenizer,
    /// No truncation: counts the real length of a text for chunking.
    counter: Tokenizer,
    id: String,
    dim: usize,
    max_len: usize,
    dir: PathBuf,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("id", &self.id).field("dim", &self.dim).field("dir", &self.dir).finish()
    }
}

fn load_err(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::ModelLoad { path: dir.to_path_buf(), message: e.to_string() }
}

impl Embedder {
    /// Loads the model from a sentence-transformers folder (`config.json`, `model.safetensors`,
    /// `tokenizer.json`, optional `sentence_bert_config.json`).
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with(dir, Backend::Fast)
    }

    /// Loads the model with a chosen encoder implementation.
    pub fn load_with(dir: &Path, backend: Backend) -> Result<Self> {
        for f in MODEL_FILES {
            let p = dir.join(f);
            if !p.is_file() {
                return Err(Error::ModelMissing { path: p });
            }
        }
        let cfg_text = std::fs::read_to_string(dir.join("config.json")).map_err(|e| load_err(dir, e))?;
        let config: Config = serde_json::from_str(&cfg_text).map_err(|e| load_err(dir, format!("config.json: {e}")))?;
        let max_len = std::fs::read_to_string(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v.get("max_seq_length").and_then(|m| m.as_u64()))
            .map_or(256, |m| m as usize)
            .min(config.max_position_embeddings);
        let weights = std::fs::read(dir.join("model.safetensors")).map_err(|e| load_err(dir, e))?;
        let model = match backend {
            Backend::Fast => {
                let shape = crate::bert::BertShape {
                    hidden: config.hidden_size,
                    heads: config.num_attention_heads,
                    layers: config.num_hidden_layers,
                    inter: config.intermediate_size,
                    eps: config.layer_norm_eps,
                    max_pos: config.max_position_embeddings,
                    vocab: config.vocab_size,
                };
                if config.hidden_act != candle_transformers::models::bert::HiddenAct::Gelu {
                    return Err(load_err(dir, "only GELU (erf) BERT models are supported by the fast encoder"));
                }
                Model::Fast(crate::bert::Bert::load(&weights, &shape).map_err(|e| load_err(dir, e))?)
            }
            Backend::Candle => {
                let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
                    .map_err(|e| load_err(dir, e))?;
                Model::Candle(Box::new(BertModel::load(vb, &config).map_err(|e| load_err(dir, e))?))
            }
        };
        let mut counter = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| load_err(dir, e))?;
        counter.with_padding(None);
        counter.with_truncation(None).map_err(|e| load_err(dir, e))?;
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_len, ..Default::default() }))
            .map_err(|e| load_err(dir, e))?;
        let id = dir.file_name().map_or_else(|| "embedder".to_string(), |n| n.to_string_lossy().into_owned());
        Ok(Self { model, tokenizer, counter, id, dim: config.hidden_size, max_len, dir: dir.to_path_buf() })
    }

    /// Loads the default model (`$QUILL_MODELS/all-minilm-l6-v2`).
    pub fn load_default() -> Result<Self> {
        Self::load(&quill_store::default_embedder_dir())
    }

    /// The model id stored next to every vector, so vectors from different models never mix.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Vector length (384 for MiniLM).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Longest input in tokens, `[CLS]` and `[SEP]` included; longer texts are truncated.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Embeds one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        let mut v = self.embed(&[text], 1, &mut |_| {})?;
        Ok(v.pop().unwrap_or_default())
    }

    /// Embeds `texts` (in their order) in batches of `batch_size` texts of similar length;
    /// `progress` is told how many texts each finished batch held.
    pub fn embed(&self, texts: &[&str], batch_size: usize, progress: &mut dyn FnMut(usize)) -> Result<Vec<Vec<f32>>> {
        let encodings =
            self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].len()));
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for batch in order.chunks(batch_size.max(1)) {
            let seqs: Vec<&[u32]> = batch.iter().map(|&i| encodings[i].get_ids()).collect();
            let vecs = self.forward(&seqs)?;
            for (&i, v) in batch.iter().zip(vecs) {
                out[i] = v;
            }
            progress(batch.len());
        }
        Ok(out)
    }

    /// One batch through the encoder, then mean pooling over real tokens and L2 normalisation.
    fn forward(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let model = match &self.model {
            Model::Fast(bert) => {
                let h = bert.forward(seqs);
                let d = self.dim;
                let mut off = 0;
                return Ok(seqs
                    .iter()
                    .map(|s| {
                        let v = pool(&h[off * d..(off + s.len()) * d], s.len(), d);
                        off += s.len();
                        v
                    })
                    .collect());
            }
            Model::Candle(m) => m,
        };
        let b = seqs.len();
        let len = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; b * len];
        let mut mask = vec![0u32; b * len];
        for (r, s) in seqs.iter().enumerate() {
            ids[r * len..r * len + s.len()].copy_from_slice(s);
            mask[r * len..r * len + s.len()].fill(1);
        }
        let dev = &Device::Cpu;
        let ids_t = Tensor::from_vec(ids, (b, len), dev)?;
        let type_t = ids_t.zeros_like()?;
        let mask_t = Tensor::from_vec(mask.clone(), (b, len), dev)?;
        let hidden = model.forward(&ids_t, &type_t, Some(&mask_t))?;
        let h = hidden.flatten_all()?.to_vec1::<f32>()?;
        let d = self.dim;
        let mut out = Vec::with_capacity(b);
        for (r, s) in seqs.iter().enumerate() {
            out.push(pool(&h[r * len * d..(r + 1) * len * d], s.len(), d));
        }
        Ok(out)
    }
}

/// Mean of the first `n` token vectors (the real tokens: padding is always at the end), then
/// L2 normalisation with the same epsilons as sentence-transformers / torch.
pub(crate) fn pool(h: &[f32], n: usize, d: usize) -> Vec<f32> {
    let mut v = vec![0f32; d];
    for t in 0..n {
        for (acc, x) in v.iter_mut().zip(&h[t * d..(t + 1) * d]) {
            *acc += x;
        }
    }
    let denom = (n as f32).max(1e-9);
    v.iter_mut().for_each(|x| *x /= denom);
    normalize(&mut v);
    v
}

/// Scales `v` to unit length (torch `F.normalize`, eps 1e-12).
pub(crate) fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

impl TokenCounter for Embedder {
    fn count_batch(&self, texts: &[&str]) -> Vec<usize> {
        match self.counter.encode_batch(texts.to_vec(), false) {
            Ok(encs) => encs.iter().map(|e| e.len()).collect(),
            // The tokenizer only fails on pathological input; fall back to a word count.
            Err(_) => crate::chunk::WordCounter.count_batch(texts),
        }
    }
}
