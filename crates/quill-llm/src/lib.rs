//! The local model runtime: GGUF files, llama.cpp-exact tokenizers, chat templates, the Llama
//! forward pass and sampling.
//!
//! Layout (one module per job):
//! - [`gguf`]: validated GGUF reader over a memory map, and a writer (LoRA adapters, fixtures).
//! - [`config`]: `LlamaConfig` from GGUF metadata.
//! - [`tokenizer`]: llama.cpp-exact BPE / SentencePiece tokenizers and a streaming decoder.
//! - [`chat_template`]: the model's Jinja chat template through minijinja, ChatML fallback.

pub mod gguf;
