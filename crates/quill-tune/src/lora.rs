//! LoRA parameters: which projections get adapters, their rank and scale, and the trainable
//! `A`/`B` matrices.
//!
//! Conventions follow PEFT so adapters move between tools without surprises: `A` is
//! `(r, in)`, `B` is `(out, r)`, the update is `ΔW = scale · B·A` with `scale = alpha / r`
//! (or `alpha / √r` with rsLoRA), `A` starts Kaiming-uniform(a = √5) and `B` starts at zero so
//! step 0 is exactly the base model. `B` rows of q/k are kept in GGUF's permuted order while
//! training (the base weights are in that order); [`crate::adapter`] converts at the edges.

use std::collections::BTreeMap;
use std::fmt;

use candle_core::{Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::rng::{Rng, purpose};
use crate::{Result, TuneError};

/// A linear layer of a Llama block that can carry an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Attention query projection.
    Q,
    /// Attention key projection.
    K,
    /// Attention value projection.
    V,
    /// Attention output projection.
    O,
    /// SwiGLU gate projection.
    Gate,
    /// SwiGLU up projection.
    Up,
    /// Feed-forward down projection.
    Down,
}

impl Target {
    /// Every target, in the order adapters are stored and initialised.
    pub const ALL: [Target; 7] = [Target::Q, Target::K, Target::V, Target::O, Target::Gate, Target::Up, Target::Down];

    /// Short name used on the command line (`q`, `gate`, ...).
    pub fn short(self) -> &'static str {
        match self {
            Target::Q => "q",
            Target::K => "k",
            Target::V => "v",
            Target::O => "o",
            Target::Gate => "gate",
            Target::Up => "up",
            Target::Down => "down",
        }
    }

    /// PEFT / Hugging Face module name (`q_proj`, ...).
    pub fn hf_name(self) -> &'static str {
        match self {
            Target::Q => "q_proj",
            Target::K => "k_proj",
            Target::V => "v_proj",
            Target::O => "o_proj",
            Target::Gate => "gate_proj",
            Target::Up => "up_proj",
            Target::Down => "down_proj",
        }
    }

    /// Module path inside a Hugging Face Llama layer (`self_attn.q_proj`, `mlp.up_proj`).
    pub fn hf_path(self) -> &'static str {
        match self {
            Target::Q => "self_attn.q_proj",
            Target::K => "self_attn.k_proj",
            Target::V => "self_attn.v_proj",
            Target::O => "self_attn.o_proj",
            Target::Gate => "mlp.gate_proj",
            Target::Up => "mlp.up_proj",
            Target::Down => "mlp.down_proj",
        }
    }

    /// GGUF tensor stem (`attn_q`, `ffn_gate`, ...), as in `blk.N.attn_q.weight`.
    pub fn gguf_name(self) -> &'static str {
        match self {
            Target::Q => "attn_q",
            Target::K => "attn_k",
            Target::V => "attn_v",
            Target::O => "attn_output",
            Target::Gate => "ffn_gate",
            Target::Up => "ffn_up",
            Target::Down => "ffn_down",
        }
    }

    /// Parses `q`, `q_proj`, `attn_q` (and the same for the others).
    pub fn parse(s: &str) -> Result<Target> {
        let s = s.trim().to_ascii_lowercase();
        Target::ALL
            .into_iter()
            .find(|t| s == t.short() || s == t.hf_name() || s == t.gguf_name())
            .ok_or_else(|| TuneError::Config(format!("unknown LoRA target {s:?} (use q, k, v, o, gate, up, down)")))
    }

    /// Parses a comma-separated list; `all` means all seven.
    pub fn parse_list(s: &str) -> Result<Vec<Target>> {
        if s.trim().eq_ignore_ascii_case("all") || s.trim().eq_ignore_ascii_case("all-linear") {
            return Ok(Target::ALL.to_vec());
        }
        let mut v: Vec<Target> =
            s.split(',').filter(|p| !p.trim().is_empty()).map(Target::parse).collect::<Result<_>>()?;
        v.sort();
        v.dedup();
        if v.is_empty() {
            return Err(TuneError::Config("no LoRA targets given".into()));
        }
        Ok(v)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

/// Rank, scale, dropout and targets of an adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Rank `r`.
    pub rank: usize,
    /// `alpha` (the update is scaled by `alpha / r`).
    pub alpha: f32,
    /// Dropout probability on the adapter's input while training.
    pub dropout: f32,
    /// Adapted projections, in [`Target::ALL`] order.
    pub targets: Vec<Target>,
    /// rsLoRA: scale by `alpha / √r` instead of `alpha / r`.
    #[serde(default)]
    pub rslora: bool,
}

impl Default for LoraConfig {
    fn default() -> Self {
        LoraConfig { rank: 8, alpha: 16.0, dropout: 0.05, targets: Target::ALL.to_vec(), rslora: false }
    }
}

impl LoraConfig {
    /// The factor applied to `B·A·x`.
    pub fn scale(&self) -> f32 {
        if self.rslora { self.alpha / (self.rank as f32).sqrt() } else { self.alpha / self.rank as f32 }
    }

    /// Rejects settings that cannot train.
    pub fn validate(&self) -> Result<()> {
        if self.rank == 0 || self.rank > 1024 {
            return Err(TuneError::Config(format!("rank {} is out of range (1..=1024)", self.rank)));
        }
        if !self.alpha.is_finite() || self.alpha <= 0.0 {
            return Err(TuneError::Config(format!("alpha {} must be positive", self.alpha)));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(TuneError::Config(format!("dropout {} must be in [0, 1)", self.dropout)));
        }
        if self.targets.is_empty() {
            return Err(TuneError::Config("no LoRA targets".into()));
        }
        Ok(())
    }
}

/// Where one adapted projection's `A` and `B` live inside its layer's flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Offset of `A` (`rank × n_in`, row-major).
    pub a: usize,
    /// Offset of `B` (`n_out × rank`, row-major).
    pub b: usize,
    /// Input features.
    pub n_in: usize,
    /// Output features.
    pub n_out: usize,
}

/// Views of one adapted projection's matrices. They are slices of the layer's variable, so
/// gradients through them reach it (used by the reference graph).
#[derive(Debug, Clone)]
pub struct LoraPair {
    /// `A`, `(rank, in)`.
    pub a: Tensor,
    /// `B`, `(out, rank)`, rows in GGUF order for q/k.
    pub b: Tensor,
}

#[derive(Debug, Clone)]
struct LayerParams {
    var: Var,
    slots: [Option<Slot>; 7],
}

/// All trainable adapter parameters of a model: one flat variable per layer holding every
/// adapted projection's `A` then `B` (in [`Target::ALL`] order).
///
/// Why flat per layer: the fused graph runs a whole transformer block as one autograd node, and
/// candle ops take at most three inputs; one variable per layer keeps the block a single node
/// (and the optimizer and checkpoints simple), while [`LoraParams::get`] still offers `A`/`B` views.
#[derive(Debug, Clone)]
pub struct LoraParams {
    /// Rank, scale, targets.
    pub cfg: LoraConfig,
    layers: Vec<LayerParams>,
}

/// Canonical tensor names (llama.cpp's adapter names), used in checkpoints and GGUF exports.
pub fn tensor_name(layer: usize, t: Target, b: bool) -> String {
    format!("blk.{layer}.{}.weight.lora_{}", t.gguf_name(), if b { "b" } else { "a" })
}

impl LoraParams {
    /// Fresh adapters initialised as PEFT does: `A ~ U(-1/√in, 1/√in)` (Kaiming-uniform with
    /// a = √5), `B = 0`. Deterministic for `seed`.
    pub fn init(model: &ModelConfig, cfg: &LoraConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let mut rng = Rng::stream(seed, purpose::INIT, 0);
        let r = cfg.rank;
        let mut layers = Vec::with_capacity(model.n_layer);
        for _ in 0..model.n_layer {
            let mut slots: [Option<Slot>; 7] = [None; 7];
            let mut values = Vec::new();
            for t in Target::ALL {
                if !cfg.targets.contains(&t) {
                    continue;
                }
                let (n_in, n_out) = (model.in_features(t), model.out_features(t));
                let bound = 1.0 / (n_in as f32).sqrt();
                let a = values.len();
                values.extend((0..r * n_in).map(|_| rng.uniform(-bound, bound)));
                let b = values.len();
                values.extend(std::iter::repeat_n(0.0f32, n_out * r));
                slots[t.index()] = Some(Slot { a, b, n_in, n_out });
            }
            let n = values.len();
            let var = Var::from_tensor(&Tensor::from_vec(values, n, &Device::Cpu)?)?;
            layers.push(LayerParams { var, slots });
        }
        Ok(LoraParams { cfg: cfg.clone(), layers })
    }

    /// Number of layers.
    pub fn n_layer(&self) -> usize {
        self.layers.len()
    }

    /// Where `(layer, target)` lives in the layer's variable, if that projection is adapted.
    pub fn slot(&self, layer: usize, t: Target) -> Option<Slot> {
        self.layers.get(layer).and_then(|l| l.slots[t.index()])
    }

    /// The flat variable of `layer`.
    pub fn layer_var(&self, layer: usize) -> Option<&Var> {
        self.layers.get(layer).map(|l| &l.var)
    }

    /// Tracked `A`/`B` views of `(layer, target)`, if adapted.
    pub fn get(&self, layer: usize, t: Target) -> Result<Option<LoraPair>> {
        let (Some(s), Some(l)) = (self.slot(layer, t), self.layers.get(layer)) else { return Ok(None) };
        let r = self.cfg.rank;
        let v = l.var.as_tensor();
        let a = v.narrow(0, s.a, r * s.n_in)?.reshape((r, s.n_in))?;
        let b = v.narrow(0, s.b, s.n_out * r)?.reshape((s.n_out, r))?;
        Ok(Some(LoraPair { a, b }))
    }

    /// Every adapted `(layer, target)`, in storage order.
    pub fn pairs(&self) -> Vec<(usize, Target)> {
        (0..self.layers.len())
            .flat_map(|i| Target::ALL.into_iter().filter(move |t| self.slot(i, *t).is_some()).map(move |t| (i, t)))
            .collect()
    }

    /// The variables (one per layer), the list the optimizer updates.
    pub fn vars(&self) -> Vec<Var> {
        self.layers.iter().map(|l| l.var.clone()).collect()
    }

    /// Number of trainable scalars.
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.var.elem_count()).sum()
    }

    fn layer_values(&self, layer: usize) -> Result<Vec<f32>> {
        let l = self.layers.get(layer).ok_or_else(|| TuneError::Config(format!("no layer {layer}")))?;
        Ok(l.var.as_tensor().to_vec1::<f32>()?)
    }

    /// The values of `A` (`b = false`) or `B` of `(layer, target)`.
    pub fn block(&self, layer: usize, t: Target, b: bool) -> Result<Vec<f32>> {
        let s = self.slot(layer, t).ok_or_else(|| TuneError::Config(format!("layer {layer} {t} is not adapted")))?;
        let r = self.cfg.rank;
        let (off, len) = if b { (s.b, s.n_out * r) } else { (s.a, r * s.n_in) };
        Ok(self.layer_values(layer)?[off..off + len].to_vec())
    }

    /// Overwrites `A` or `B` of `(layer, target)`.
    pub fn set_block(&self, layer: usize, t: Target, b: bool, values: &[f32]) -> Result<()> {
        let s = self.slot(layer, t).ok_or_else(|| TuneError::Config(format!("layer {layer} {t} is not adapted")))?;
        let r = self.cfg.rank;
        let (off, len) = if b { (s.b, s.n_out * r) } else { (s.a, r * s.n_in) };
        if values.len() != len {
            return Err(TuneError::Config(format!("layer {layer} {t}: {} values for a block of {len}", values.len())));
        }
        let mut all = self.layer_values(layer)?;
        all[off..off + len].copy_from_slice(values);
        let var = &self.layers[layer].var;
        var.set(&Tensor::from_vec(all, var.elem_count(), &Device::Cpu)?)?;
        Ok(())
    }

    /// The current values under canonical names (see [`tensor_name`]).
    pub fn to_named(&self) -> Result<BTreeMap<String, Tensor>> {
        let r = self.cfg.rank;
        let mut m = BTreeMap::new();
        for (i, t) in self.pairs() {
            let s = self.slot(i, t).ok_or_else(|| TuneError::Config("internal: slot".into()))?;
            m.insert(tensor_name(i, t, false), Tensor::from_vec(self.block(i, t, false)?, (r, s.n_in), &Device::Cpu)?);
            m.insert(tensor_name(i, t, true), Tensor::from_vec(self.block(i, t, true)?, (s.n_out, r), &Device::Cpu)?);
        }
        Ok(m)
    }

    /// Overwrites the values from canonical names; every adapted pair must be present with the
    /// right shape. `origin` names the file in errors.
    pub fn load_named(&self, named: &BTreeMap<String, Tensor>, origin: &std::path::Path) -> Result<()> {
        let r = self.cfg.rank;
        for (i, t) in self.pairs() {
            let s = self.slot(i, t).ok_or_else(|| TuneError::Config("internal: slot".into()))?;
            for (is_b, dims) in [(false, [r, s.n_in]), (true, [s.n_out, r])] {
                let name = tensor_name(i, t, is_b);
                let v =
                    named.get(&name).ok_or_else(|| TuneError::adapter(origin, format!("tensor {name} is missing")))?;
                if v.dims() != dims {
                    return Err(TuneError::adapter(
                        origin,
                        format!("tensor {name} has shape {:?}, expected {dims:?}", v.dims()),
                    ));
                }
                let vals = v.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
                self.set_block(i, t, is_b, &vals)?;
            }
        }
        Ok(())
    }
}
