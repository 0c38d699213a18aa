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
    pub const ALL: [Target; 7] = [
        Target::Q,
        Target::K,
        Target::V,
        Target::O,
        Target::Gate,
        Target::Up,
        Target::Down,
    ];

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
            .ok_or_else(|| {
                TuneError::Config(format!(
                    "unknown LoRA target {s:?} (use q, k, v, o, gate, up, down)"
                ))
            })
    }

    /// Parses a comma-separated list; `all` means all seven.
    pub fn parse_list(s: &str) -> Result<Vec<Target>> {
        if s.trim().eq_ignore_ascii_case("all") || s.trim().eq_ignore_ascii_case("all-linear") {
            return Ok(Target::ALL.to_vec());
        }
        let mut v: Vec<Target> = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Target::parse)
            .collect::<Result<_>>()?;
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
        LoraConfig {
            rank: 8,
            alpha: 16.0,
            dropout: 0.05,
            targets: Target::ALL.to_vec(),
            rslora: false,
        }
    }
}

impl LoraConfig {
    /// The factor applied to `B·A·x`.
    pub fn scale(&self) -> f32 {
        if self.rslora {
            self.alpha / (self.rank as f32).sqrt()
        } else {
            self.alpha / self.rank as f32
        }
    }

    /// Rejects settings that cannot train.
    pub fn validate(&self) -> Result<()> {
        if self.rank == 0 || self.rank > 1024 {
            return Err(TuneError::Config(format!(
                "rank {} is out of range (1..=1024)",
                self.rank
            )));
        }
        if !self.alpha.is_finite() || self.alpha <= 0.0 {
            return Err(TuneError::Config(format!(
                "alpha {} must be positive",
                self.alpha
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(TuneError::Config(format!(
                "dropout {} must be in [0, 1)",
                self.dropout
            )));
        }
        if self.targets.is_empty() {
            return Err(TuneError::Config("no LoRA targets".into()));
        }
        Ok(())
    }
}

/// One adapted projection: `A (r×in)` and `B (out×r)` as trainable variables.
#[derive(Debug, Clone)]
pub struct LoraPair {
    /// Down-projection `(r, in)`.
    pub a: Var,
    /// Up-projection `(out, r)`, rows in GGUF order for q/k.
    pub b: Var,
}

/// All trainable adapter parameters of a model.
#[derive(Debug, Clone)]
pub struct LoraParams {
    /// Rank, scale, targets.
    pub cfg: LoraConfig,
    layers: Vec<[Option<LoraPair>; 7]>,
}

/// Canonical tensor names (llama.cpp's adapter names), used in checkpoints and GGUF exports.
pub fn tensor_name(layer: usize, t: Target, b: bool) -> String {
    format!(
        "blk.{layer}.{}.weight.lora_{}",
        t.gguf_name(),
        if b { "b" } else { "a" }
    )
}

impl LoraParams {
    /// Fresh adapters initialised as PEFT does: `A ~ U(-1/√in, 1/√in)` (Kaiming-uniform with
    /// a = √5), `B = 0`. Deterministic for `seed`.
    pub fn init(model: &ModelConfig, cfg: &LoraConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let mut rng = Rng::stream(seed, purpose::INIT, 0);
        let mut layers = Vec::with_capacity(model.n_layer);
        for _ in 0..model.n_layer {
            let mut row: [Option<LoraPair>; 7] = Default::default();
            for t in Target::ALL {
                if !cfg.targets.contains(&t) {
                    continue;
                }
                let (inp, out) = (model.in_features(t), model.out_features(t));
                let bound = 1.0 / (inp as f32).sqrt();
                let a: Vec<f32> = (0..cfg.rank * inp)
                    .map(|_| rng.uniform(-bound, bound))
                    .collect();
                let a = Var::from_tensor(&Tensor::from_vec(a, (cfg.rank, inp), &Device::Cpu)?)?;
                let b = Var::from_tensor(&Tensor::zeros(
                    (out, cfg.rank),
                    candle_core::DType::F32,
                    &Device::Cpu,
                )?)?;
                row[t.index()] = Some(LoraPair { a, b });
            }
            layers.push(row);
        }
        Ok(LoraParams {
            cfg: cfg.clone(),
            layers,
        })
    }

    /// Number of layers.
    pub fn n_layer(&self) -> usize {
        self.layers.len()
    }

    /// The adapter on `(layer, target)`, if that projection is adapted.
    pub fn get(&self, layer: usize, t: Target) -> Option<&LoraPair> {
        self.layers
            .get(layer)
            .and_then(|row| row[t.index()].as_ref())
    }

    /// Every `(layer, target, pair)` in storage order.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, Target, &LoraPair)> {
        self.layers.iter().enumerate().flat_map(|(i, row)| {
            Target::ALL
                .into_iter()
                .filter_map(move |t| row[t.index()].as_ref().map(|p| (i, t, p)))
        })
    }

    /// Every variable (A then B per pair), the list the optimizer updates.
    pub fn vars(&self) -> Vec<Var> {
        self.pairs()
            .flat_map(|(_, _, p)| [p.a.clone(), p.b.clone()])
            .collect()
    }

    /// Number of trainable scalars.
    pub fn n_params(&self) -> usize {
        self.vars().iter().map(|v| v.elem_count()).sum()
    }

    /// The current values under canonical names (see [`tensor_name`]).
    pub fn to_named(&self) -> Result<BTreeMap<String, Tensor>> {
        let mut m = BTreeMap::new();
        for (i, t, p) in self.pairs() {
            m.insert(tensor_name(i, t, false), p.a.as_tensor().copy()?);
            m.insert(tensor_name(i, t, true), p.b.as_tensor().copy()?);
        }
        Ok(m)
    }

    /// Overwrites the values from canonical names; every adapted pair must be present with the
    /// right shape. `origin` names the file in errors.
    pub fn load_named(
        &self,
        named: &BTreeMap<String, Tensor>,
        origin: &std::path::Path,
    ) -> Result<()> {
        for (i, t, p) in self.pairs() {
            for (is_b, var) in [(false, &p.a), (true, &p.b)] {
                let name = tensor_name(i, t, is_b);
                let v = named.get(&name).ok_or_else(|| {
                    TuneError::adapter(origin, format!("tensor {name} is missing"))
                })?;
                if v.dims() != var.dims() {
                    return Err(TuneError::adapter(
                        origin,
                        format!(
                            "tensor {name} has shape {:?}, expected {:?}",
                            v.dims(),
                            var.dims()
                        ),
                    ));
                }
                var.set(&v.to_dtype(candle_core::DType::F32)?)?;
            }
        }
        Ok(())
    }
}
