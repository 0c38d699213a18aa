//! The local model runtime: GGUF files, llama.cpp-exact tokenizers, chat templates, the Llama
//! forward pass and sampling.
//!
//! Layout (one module per job):
//! - [`gguf`]: validated GGUF reader over a memory map, and a writer (LoRA adapters, fixtures).
//! - [`config`]: `LlamaConfig` from GGUF metadata.
//! - [`tokenizer`]: llama.cpp-exact BPE / SentencePiece tokenizers and a streaming decoder.
//! - [`chat_template`]: the model's Jinja chat template through minijinja, ChatML fallback.
//! - [`model`]: the Llama forward pass over quantized kernels, KV cache, LoRA hook.
//! - [`sampling`]: llama.cpp-style samplers, seeded RNG, stop strings.
//! - [`engine`]: `Engine::load` + `chat`/`generate` with streaming and timings.

pub mod chat_template;
pub mod config;
pub mod engine;
pub mod error;
pub mod gguf;
pub mod model;
pub mod sampling;
pub mod tokenizer;

pub use chat_template::{ChatMessage, ChatTemplate};
pub use config::{LlamaConfig, RopeScaling};
pub use engine::{Completion, Control, Engine, GenerateParams, StopReason, Timings, TokenEvent};
pub use error::LlmError;
pub use model::{KvType, Logits, LoraAdapter, LoraPair, Model, ModelOptions, ModelWeights, Proj};
pub use sampling::{Sampler, SamplingParams};
pub use tokenizer::{Decoder, Tokenizer};
