//! Rung 6b: LoRA fine-tuning on CPU, with adapters exported for PEFT, llama.cpp and Ollama.
//!
//! # Overview
//! - [`weights`] loads a Llama-architecture GGUF and dequantizes it to frozen f32 tensors
//!   (GGUF layout: q/k rows permuted for llama.cpp's interleaved RoPE).
//! - [`lora`] holds the trainable adapters (PEFT conventions: `A` Kaiming-uniform, `B` zero,
//!   scale `alpha/r`), one flat candle `Var` per layer; [`adapter`] converts them to and from
//!   files, including the q/k row permutation between GGUF and PEFT.
//! - [`model`] is the differentiable graph, inside candle's autograd: a reference graph of
//!   built-in ops with a backward pass, and the fused graph of [`ops`] (one node per transformer
//!   block with a hand-written backward, a chunked LM head + cross-entropy), which never
//!   computes a gradient for a frozen weight and never materialises the full logits. Tests
//!   hold both to each other and to finite differences.
//! - [`data`] reads OpenAI chat JSONL, renders it with the model's own chat template and masks
//!   everything but the assistant replies; [`trainer`] runs epochs with AdamW ([`optim`]),
//!   warm-up + decay, clipping, accumulation, validation, early stopping and atomic,
//!   exactly-resumable [`checkpoint`]s; [`step`] is one optimizer step.
//! - [`run`] ties a run to a workspace (`.quill/adapters/NAME/`, [`store`] rows in SQLite,
//!   the [`svg`] loss curve); [`export`] writes PEFT, GGUF LoRA and Ollama files; [`check`]
//!   compares generations in Quill, llama.cpp and PEFT; [`bench`] measures training speed.
//!
//! # Example
//! ```no_run
//! # fn main() -> quill_tune::Result<()> {
//! use std::sync::Arc;
//! use quill_tune::{LoraConfig, LoraParams, batch::Batch, model::{Graph, TrainModel}};
//! use quill_tune::{optim::AdamWConfig, step::Stepper, weights::BaseWeights};
//!
//! let base = Arc::new(BaseWeights::load(&quill_store::default_llm_path())?);
//! let lora = LoraParams::init(&base.cfg, &LoraConfig::default(), 42)?;
//! let model = TrainModel::new(base, lora, Graph::Fused, 256)?;
//! let mut stepper = Stepper::new(model, AdamWConfig::default());
//! let batch = Batch::plain_lm(&[vec![1, 9690, 198, 2683, 359]]);
//! let stats = stepper.step(&[batch], 2e-4, Some(1.0), None)?;
//! println!("loss {}", stats.loss);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod adapter;
pub mod batch;
pub mod bench;
pub mod check;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod dequant;
mod error;
pub mod export;
pub mod gemm;
pub mod lora;
pub mod model;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod rope;
pub mod run;
pub mod st;
pub mod step;
pub mod store;
pub mod svg;
pub mod trainer;
pub mod weights;

pub use error::{Result, TuneError};
pub use lora::{LoraConfig, LoraParams, Target};

/// Sets how many threads training uses (the global rayon pool every op and GEMM runs on).
/// Call it before the first training step; later calls fail because the pool already exists.
pub fn set_global_threads(n: usize) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n.max(1))
        .build_global()
        .map_err(|e| TuneError::Config(format!("cannot set {n} threads: {e}")))
}
