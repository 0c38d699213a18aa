//! Rung 6b: LoRA fine-tuning on CPU, with adapters exported for PEFT, llama.cpp and Ollama.
//!
//! # Overview
//! - [`weights`] loads a Llama-architecture GGUF and dequantizes it to frozen f32 tensors.
//! - [`lora`] holds the trainable `A`/`B` adapters (PEFT conventions); [`adapter`] converts
//!   them to and from files, including the q/k row permutation between GGUF and PEFT.
//! - [`model`] builds the differentiable graph (candle autograd): a reference graph of built-in
//!   ops and a fused one ([`ops`]) with hand-written backward passes that never computes a
//!   gradient for a frozen weight and never materialises the full logits.
//! - [`step`] runs one optimizer step (accumulation, clipping, AdamW from [`optim`]).
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
