//! The local model runtime: GGUF files, llama.cpp-exact tokenizers, chat templates, the Llama
//! forward pass and sampling.
//!
//! Layout (one module per job):
//! - [`gguf`]: validated GGUF reader over a memory map, and a writer (LoRA adapters, fixtures).
//! - [`config`]: `LlamaConfig` from GGUF metadata.
//! - [`tokenizer`]: llama.cpp-exact BPE / SentencePiece tokenizers and a streaming decoder.
//! - [`model`]: the Llama forward pass over quantized kernels, KV cache, LoRA hook.

pub mod config;
pub mod error;
pub mod gguf;
pub mod model;
pub mod tokenizer;

pub use config::{LlamaConfig, RopeScaling};
pub use error::LlmError;
pub use model::{KvType, Logits, LoraAdapter, LoraPair, Model, ModelOptions, ModelWeights, Proj};
pub use tokenizer::{Decoder, Tokenizer};
