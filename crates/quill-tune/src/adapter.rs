//! A trained adapter as plain data, and its file formats.
//!
//! Inside Quill an adapter is kept in the base GGUF's layout: `B` rows of q and k follow
//! llama.cpp's permuted order because the frozen weights we trained against are in that order.
//! That is also exactly what llama.cpp's GGUF LoRA format wants. PEFT (Hugging Face) expects the
//! un-permuted order, so reading and writing PEFT applies the same permutation llama.cpp's
//! converter uses, `reshape(n_head, 2, out/n_head/2, r).swapaxes(1, 2)`, or its inverse.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::lora::{LoraConfig, LoraParams, Target, tensor_name};
use crate::st::{self, Array};
use crate::{Result, TuneError};

/// One adapted projection's matrices, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraMats {
    /// `A`, `(rank, in)`.
    pub a: Vec<f32>,
    /// `B`, `(out, rank)`, GGUF row order.
    pub b: Vec<f32>,
    /// Input features.
    pub n_in: usize,
    /// Output features.
    pub n_out: usize,
}

/// A LoRA adapter for a specific base architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapter {
    /// Rank, alpha, targets.
    pub lora: LoraConfig,
    /// The base model's shapes (needed to permute q/k and to check compatibility).
    pub model: ModelConfig,
    /// Matrices per `(layer, target)`.
    pub mats: BTreeMap<(usize, Target), LoraMats>,
}

/// llama.cpp's q/k row permutation (Hugging Face order → GGUF order) applied to a row-major
/// matrix with `n_rows` rows of `row_len`, for `n_head` heads.
pub fn permute_hf_to_gguf(m: &[f32], n_rows: usize, row_len: usize, n_head: usize) -> Vec<f32> {
    permute_rows(m, n_rows, row_len, n_head, true)
}

/// The inverse of [`permute_hf_to_gguf`].
pub fn permute_gguf_to_hf(m: &[f32], n_rows: usize, row_len: usize, n_head: usize) -> Vec<f32> {
    permute_rows(m, n_rows, row_len, n_head, false)
}

fn permute_rows(m: &[f32], n_rows: usize, row_len: usize, n_head: usize, to_gguf: bool) -> Vec<f32> {
    let hd = n_rows / n_head;
    let half = hd / 2;
    let mut out = vec![0.0f32; m.len()];
    for h in 0..n_head {
        for i in 0..half {
            for j in 0..2 {
                let gguf_row = h * hd + 2 * i + j;
                let hf_row = h * hd + j * half + i;
                let (dst, src) = if to_gguf { (gguf_row, hf_row) } else { (hf_row, gguf_row) };
                out[dst * row_len..(dst + 1) * row_len].copy_from_slice(&m[src * row_len..(src + 1) * row_len]);
            }
        }
    }
    out
}

/// Metadata key holding Quill's adapter description in safetensors headers.
const META_KEY: &str = "quill.adapter";

#[derive(Serialize, Deserialize)]
struct NativeMeta {
    lora: LoraConfig,
    model: ModelConfig,
    layout: String,
}

/// PEFT's `adapter_config.json`, the fields we read (everything else is ignored).
#[derive(Deserialize)]
struct PeftConfigIn {
    peft_type: Option<String>,
    r: usize,
    lora_alpha: f32,
    #[serde(default)]
    lora_dropout: f32,
    #[serde(default)]
    use_rslora: bool,
    #[serde(default)]
    use_dora: bool,
    #[serde(default)]
    fan_in_fan_out: bool,
    #[serde(default)]
    rank_pattern: HashMap<String, serde_json::Value>,
    #[serde(default)]
    alpha_pattern: HashMap<String, serde_json::Value>,
}

impl Adapter {
    /// Snapshot of the trainable parameters.
    pub fn from_params(params: &LoraParams, model: &ModelConfig) -> Result<Self> {
        let mut mats = BTreeMap::new();
        for (i, t) in params.pairs() {
            let a = params.block(i, t, false)?;
            let b = params.block(i, t, true)?;
            mats.insert((i, t), LoraMats { a, b, n_in: model.in_features(t), n_out: model.out_features(t) });
        }
        Ok(Adapter { lora: params.cfg.clone(), model: model.clone(), mats })
    }

    /// Copies the matrices into trainable parameters (same targets and rank required).
    pub fn load_into(&self, params: &LoraParams, origin: &Path) -> Result<()> {
        let named = self
            .to_arrays()
            .into_iter()
            .map(|(n, a)| Ok((n, candle_core::Tensor::from_vec(a.data, a.shape, &candle_core::Device::Cpu)?)))
            .collect::<Result<BTreeMap<_, _>>>()?;
        params.load_named(&named, origin)
    }

    /// Fresh trainable parameters holding these values.
    pub fn to_params(&self, origin: &Path) -> Result<LoraParams> {
        let p = LoraParams::init(&self.model, &self.lora, 0)?;
        self.load_into(&p, origin)?;
        Ok(p)
    }

    fn n_head_for(&self, t: Target) -> Option<usize> {
        match t {
            Target::Q => Some(self.model.n_head),
            Target::K => Some(self.model.n_head_kv),
            _ => None,
        }
    }

    /// Arrays under canonical (llama.cpp) names, GGUF layout.
    pub fn to_arrays(&self) -> BTreeMap<String, Array> {
        let r = self.lora.rank;
        let mut out = BTreeMap::new();
        for (&(i, t), m) in &self.mats {
            out.insert(tensor_name(i, t, false), Array { shape: vec![r, m.n_in], data: m.a.clone() });
            out.insert(tensor_name(i, t, true), Array { shape: vec![m.n_out, r], data: m.b.clone() });
        }
        out
    }

    /// The safetensors header entries that describe this adapter (also used by checkpoints).
    pub fn header(&self) -> Result<HashMap<String, String>> {
        let meta = NativeMeta { lora: self.lora.clone(), model: self.model.clone(), layout: "gguf".into() };
        let mut md = HashMap::new();
        md.insert(META_KEY.to_string(), serde_json::to_string(&meta).map_err(|e| TuneError::Config(e.to_string()))?);
        Ok(md)
    }

    /// Writes Quill's own format: one safetensors file, GGUF layout, config in the header.
    pub fn save(&self, path: &Path) -> Result<()> {
        st::write(path, &self.to_arrays(), &self.header()?)
    }

    /// Reads a file written by [`Adapter::save`] (or a checkpoint, which has the same header).
    pub fn load(path: &Path) -> Result<Self> {
        let f = st::read(path)?;
        Self::from_st(&f, path)
    }

    /// Builds an adapter from an already read safetensors file with Quill's header.
    pub fn from_st(f: &st::StFile, path: &Path) -> Result<Self> {
        let meta = f
            .metadata
            .get(META_KEY)
            .ok_or_else(|| TuneError::adapter(path, "not a Quill adapter (no quill.adapter header)"))?;
        let meta: NativeMeta = serde_json::from_str(meta)
            .map_err(|e| TuneError::adapter(path, format!("bad quill.adapter header: {e}")))?;
        let r = meta.lora.rank;
        let mut mats = BTreeMap::new();
        for layer in 0..meta.model.n_layer {
            for &t in &meta.lora.targets {
                let get = |b: bool, shape: [usize; 2]| -> Result<Vec<f32>> {
                    let n = tensor_name(layer, t, b);
                    let a =
                        f.arrays.get(&n).ok_or_else(|| TuneError::adapter(path, format!("tensor {n} is missing")))?;
                    if a.shape != shape {
                        return Err(TuneError::adapter(
                            path,
                            format!("tensor {n} has shape {:?}, expected {shape:?}", a.shape),
                        ));
                    }
                    Ok(a.data.clone())
                };
                let (n_in, n_out) = (meta.model.in_features(t), meta.model.out_features(t));
                mats.insert((layer, t), LoraMats { a: get(false, [r, n_in])?, b: get(true, [n_out, r])?, n_in, n_out });
            }
        }
        Ok(Adapter { lora: meta.lora, model: meta.model, mats })
    }

    /// Reads a PEFT adapter folder (`adapter_config.json` + `adapter_model.safetensors`) trained
    /// on the Hugging Face version of `model`, permuting q/k `B` rows into GGUF order.
    pub fn read_peft(dir: &Path, model: &ModelConfig) -> Result<Self> {
        let cfg_path = dir.join("adapter_config.json");
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| TuneError::io("reading", &cfg_path, e))?;
        let cfg: PeftConfigIn = serde_json::from_str(&text)
            .map_err(|e| TuneError::adapter(&cfg_path, format!("bad adapter_config.json: {e}")))?;
        if cfg.peft_type.as_deref().is_some_and(|t| t != "LORA") {
            return Err(TuneError::adapter(&cfg_path, format!("peft_type {:?} is not LORA", cfg.peft_type)));
        }
        if cfg.use_dora || cfg.fan_in_fan_out || !cfg.rank_pattern.is_empty() || !cfg.alpha_pattern.is_empty() {
            return Err(TuneError::adapter(
                &cfg_path,
                "DoRA, fan_in_fan_out and per-module rank/alpha patterns are not supported",
            ));
        }
        let st_path = dir.join("adapter_model.safetensors");
        let f = st::read(&st_path)?;
        let mut mats = BTreeMap::new();
        let mut targets = Vec::new();
        let r = cfg.r;
        for (name, arr) in &f.arrays {
            let Some(rest) = name.strip_prefix("base_model.model.model.layers.") else {
                return Err(TuneError::adapter(
                    &st_path,
                    format!("unexpected tensor {name} (only LoRA on decoder layers is supported)"),
                ));
            };
            let (layer, rest) =
                rest.split_once('.').ok_or_else(|| TuneError::adapter(&st_path, format!("bad tensor name {name}")))?;
            let layer: usize =
                layer.parse().map_err(|_| TuneError::adapter(&st_path, format!("bad layer in {name}")))?;
            let rest = rest.replace(".default.", ".");
            let t = Target::ALL
                .into_iter()
                .find(|t| rest.starts_with(&format!("{}.", t.hf_path())))
                .ok_or_else(|| TuneError::adapter(&st_path, format!("unsupported module in {name}")))?;
            let is_b = if rest.ends_with("lora_A.weight") {
                false
            } else if rest.ends_with("lora_B.weight") {
                true
            } else {
                return Err(TuneError::adapter(&st_path, format!("unsupported tensor {name}")));
            };
            if layer >= model.n_layer {
                return Err(TuneError::adapter(
                    &st_path,
                    format!("{name}: the base model has {} layers", model.n_layer),
                ));
            }
            let (n_in, n_out) = (model.in_features(t), model.out_features(t));
            let expect = if is_b { vec![n_out, r] } else { vec![r, n_in] };
            if arr.shape != expect {
                return Err(TuneError::adapter(
                    &st_path,
                    format!(
                        "{name} has shape {:?}, expected {expect:?}: was it trained on this base model?",
                        arr.shape
                    ),
                ));
            }
            if !targets.contains(&t) {
                targets.push(t);
            }
            let e = mats.entry((layer, t)).or_insert_with(|| LoraMats { a: Vec::new(), b: Vec::new(), n_in, n_out });
            if is_b {
                e.b = arr.data.clone();
            } else {
                e.a = arr.data.clone();
            }
        }
        targets.sort();
        let lora =
            LoraConfig { rank: r, alpha: cfg.lora_alpha, dropout: cfg.lora_dropout, targets, rslora: cfg.use_rslora };
        lora.validate().map_err(|e| TuneError::adapter(&cfg_path, e.to_string()))?;
        for layer in 0..model.n_layer {
            for &t in &lora.targets {
                let m = mats.get(&(layer, t)).filter(|m| !m.a.is_empty() && !m.b.is_empty()).ok_or_else(|| {
                    TuneError::adapter(&st_path, format!("layer {layer} {} lacks lora_A or lora_B", t.hf_name()))
                })?;
                let _ = m;
            }
        }
        let mut ad = Adapter { lora, model: model.clone(), mats };
        for ((_, t), m) in ad.mats.iter_mut() {
            let nh = match t {
                Target::Q => Some(model.n_head),
                Target::K => Some(model.n_head_kv),
                _ => None,
            };
            if let Some(nh) = nh {
                m.b = permute_hf_to_gguf(&m.b, m.n_out, r, nh);
            }
        }
        Ok(ad)
    }

    /// PEFT tensors (Hugging Face names and layout): q/k `B` rows un-permuted.
    pub fn peft_arrays(&self) -> BTreeMap<String, Array> {
        let r = self.lora.rank;
        let mut out = BTreeMap::new();
        for (&(i, t), m) in &self.mats {
            let stem = format!("base_model.model.model.layers.{i}.{}", t.hf_path());
            let b = match self.n_head_for(t) {
                Some(nh) => permute_gguf_to_hf(&m.b, m.n_out, r, nh),
                None => m.b.clone(),
            };
            out.insert(format!("{stem}.lora_A.weight"), Array { shape: vec![r, m.n_in], data: m.a.clone() });
            out.insert(format!("{stem}.lora_B.weight"), Array { shape: vec![m.n_out, r], data: b });
        }
        out
    }

    /// PEFT's `adapter_config.json` for this adapter (sorted keys, like PEFT writes it).
    pub fn peft_config(&self, base_model: &str) -> serde_json::Value {
        let targets: Vec<&str> = self.lora.targets.iter().map(|t| t.hf_name()).collect();
        // serde_json's map keeps insertion order here (preserve_order), so insert sorted.
        let mut m: Vec<(&str, serde_json::Value)> = vec![
            ("alpha_pattern", serde_json::json!({})),
            ("auto_mapping", serde_json::Value::Null),
            ("base_model_name_or_path", serde_json::json!(base_model)),
            ("bias", serde_json::json!("none")),
            ("fan_in_fan_out", serde_json::json!(false)),
            ("inference_mode", serde_json::json!(true)),
            ("init_lora_weights", serde_json::json!(true)),
            ("layers_pattern", serde_json::Value::Null),
            ("layers_to_transform", serde_json::Value::Null),
            ("lora_alpha", serde_json::json!(self.lora.alpha)),
            ("lora_dropout", serde_json::json!(self.lora.dropout)),
            ("modules_to_save", serde_json::Value::Null),
            ("peft_type", serde_json::json!("LORA")),
            ("r", serde_json::json!(self.lora.rank)),
            ("rank_pattern", serde_json::json!({})),
            ("revision", serde_json::Value::Null),
            ("target_modules", serde_json::json!(targets)),
            ("task_type", serde_json::json!("CAUSAL_LM")),
            ("use_dora", serde_json::json!(false)),
            ("use_rslora", serde_json::json!(self.lora.rslora)),
        ];
        m.sort_by(|a, b| a.0.cmp(b.0));
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// Writes a PEFT adapter folder that `PeftModel.from_pretrained(base, dir)` loads.
    pub fn write_peft(&self, dir: &Path, base_model: &str) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| TuneError::io("creating", dir, e))?;
        let cfg = serde_json::to_string_pretty(&self.peft_config(base_model))
            .map_err(|e| TuneError::Config(e.to_string()))?;
        quill_store::atomic_write(&dir.join("adapter_config.json"), cfg.as_bytes())?;
        let mut md = HashMap::new();
        md.insert("format".to_string(), "pt".to_string());
        st::write(&dir.join("adapter_model.safetensors"), &self.peft_arrays(), &md)
    }

    /// Largest absolute difference to another adapter with the same tensors (for tests/checks).
    pub fn max_abs_diff(&self, other: &Adapter) -> Option<f32> {
        let mut worst = 0.0f32;
        if self.mats.len() != other.mats.len() {
            return None;
        }
        for (k, m) in &self.mats {
            let o = other.mats.get(k)?;
            if m.a.len() != o.a.len() || m.b.len() != o.b.len() {
                return None;
            }
            for (x, y) in m.a.iter().zip(&o.a).chain(m.b.iter().zip(&o.b)) {
                worst = worst.max((x - y).abs());
            }
        }
        Some(worst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_matches_llama_cpp_and_round_trips() {
        // 2 heads of size 4, rows labelled by their HF index.
        let n_rows = 8;
        let m: Vec<f32> = (0..n_rows).map(|i| i as f32).collect();
        let g = permute_hf_to_gguf(&m, n_rows, 1, 2);
        // reshape(2, 2, 2).swapaxes(1, 2): head 0 rows [0, 2, 1, 3], head 1 rows [4, 6, 5, 7].
        assert_eq!(g, vec![0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]);
        assert_eq!(permute_gguf_to_hf(&g, n_rows, 1, 2), m);
        // Wider rows and a bigger head.
        let m: Vec<f32> = (0..24 * 3).map(|i| i as f32 * 0.5).collect();
        let back = permute_gguf_to_hf(&permute_hf_to_gguf(&m, 24, 3, 2), 24, 3, 2);
        assert_eq!(back, m);
    }
}
