//! `Engine`: a model, its tokenizer and chat template behind one generate API.
//!
//! This is what the CLI, the server and the other rungs call. It keeps the tokens that are in
//! the KV cache, so a chat that grows turn by turn only evaluates the new part of the prompt.

use crate::chat_template::{ChatMessage, ChatTemplate};
use crate::config::LlamaConfig;
use crate::error::LlmError;
use crate::gguf::GgufFile;
use crate::model::{Model, ModelOptions};
use crate::sampling::{Sampler, SamplingParams, StopMatcher};
use crate::tokenizer::{Decoder, Tokenizer};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Generation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateParams {
    pub sampling: SamplingParams,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Generation ends before any of these strings; they are not part of the output.
    pub stop: Vec<String>,
    /// Keep going past end-of-generation tokens (benchmarks).
    pub ignore_eos: bool,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams { sampling: SamplingParams::default(), max_tokens: 512, stop: Vec::new(), ignore_eos: false }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model produced an end-of-generation token (EOS, `<|im_end|>`, ...).
    Eos,
    /// A stop string was generated.
    StopString,
    /// `max_tokens` reached.
    MaxTokens,
    /// The callback asked to stop.
    Cancelled,
    /// The context window is full.
    ContextFull,
}

/// What the streaming callback returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// One streaming event: the text that became final with this token (possibly empty while a
/// partial character or a possible stop string is held back). `id` is `None` for the final
/// flush of held-back text.
#[derive(Debug, Clone, Copy)]
pub struct TokenEvent<'a> {
    pub id: Option<u32>,
    pub text: &'a str,
}

/// Timing of one request, in milliseconds and tokens per second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    pub prompt_ms: f64,
    pub gen_ms: f64,
    pub prompt_tok_s: f64,
    pub gen_tok_s: f64,
}

/// The result of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completion {
    pub text: String,
    /// Generated token ids (without the end-of-generation token).
    pub tokens: Vec<u32>,
    pub prompt_tokens: usize,
    /// Prompt tokens that were already in the KV cache and not evaluated again.
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
    pub stop_reason: StopReason,
    pub timings: Timings,
    /// The sampling seed used (repeat a run by passing it back).
    pub seed: u64,
}

/// A loaded model ready to generate. `Send`: a server can own it on a worker thread.
#[derive(Debug)]
pub struct Engine {
    path: PathBuf,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    model: Model,
    /// Tokens currently in the KV cache, in order.
    cached: Vec<u32>,
    logits: Vec<f32>,
    name: String,
}

impl Engine {
    /// Opens a GGUF model: config, weights, tokenizer and chat template. The memory map is
    /// released once the weights are copied into the kernels' layout.
    pub fn load(path: impl AsRef<Path>, opts: &ModelOptions) -> Result<Self, LlmError> {
        let path = path.as_ref().to_path_buf();
        let f = GgufFile::open(&path)?;
        let tokenizer = Tokenizer::from_gguf(&f)?;
        let template = ChatTemplate::from_gguf(&f, &tokenizer)?;
        let model = Model::load(&f, opts)?;
        if tokenizer.vocab_size() != model.config().n_vocab {
            return Err(f
                .error(format!(
                    "the tokenizer has {} tokens but the model's output has {}",
                    tokenizer.vocab_size(),
                    model.config().n_vocab
                ))
                .into());
        }
        let name = f.get_str("general.name").unwrap_or("").to_string();
        Ok(Engine { path, tokenizer, template, model, cached: Vec::new(), logits: Vec::new(), name })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    /// `general.name` from the file (may be empty).
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }
    pub fn config(&self) -> &LlamaConfig {
        self.model.config()
    }
    pub fn model(&self) -> &Model {
        &self.model
    }
    /// Mutable model access (adapters, raw forward passes). Forgets the prompt cache.
    pub fn model_mut(&mut self) -> &mut Model {
        self.cached.clear();
        self.model.reset();
        &mut self.model
    }
    pub fn n_ctx(&self) -> usize {
        self.model.n_ctx()
    }

    /// Forgets the KV cache (next request evaluates its whole prompt).
    pub fn reset(&mut self) {
        self.cached.clear();
        self.model.reset();
    }

    /// Renders messages with the model's chat template.
    pub fn render_chat(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String, LlmError> {
        self.template.render(messages, add_generation_prompt)
    }

    /// Tokenizes a rendered chat prompt: special tokens parsed, BOS added when the vocabulary
    /// asks for it and the template did not already write it.
    pub fn tokenize_prompt(&self, text: &str) -> Vec<u32> {
        let bos_text = self.tokenizer.special().bos.and_then(|b| self.tokenizer.token_text(b));
        let has_bos = bos_text.is_some_and(|b| !b.is_empty() && text.starts_with(b));
        self.tokenizer.encode(text, !has_bos, true)
    }

    /// Chat: renders `messages` with the generation prompt, then generates the reply.
    pub fn chat(
        &mut self,
        messages: &[ChatMessage],
        params: &GenerateParams,
        on_token: impl FnMut(TokenEvent<'_>) -> Control,
    ) -> Result<Completion, LlmError> {
        let text = self.render_chat(messages, true)?;
        let ids = self.tokenize_prompt(&text);
        self.generate(&ids, params, on_token)
    }

    /// Generates after a raw prompt text (special-token text is parsed).
    pub fn complete(
        &mut self,
        prompt: &str,
        params: &GenerateParams,
        on_token: impl FnMut(TokenEvent<'_>) -> Control,
    ) -> Result<Completion, LlmError> {
        let ids = self.tokenize_prompt(prompt);
        self.generate(&ids, params, on_token)
    }

    /// Generates after prompt token ids, streaming pieces to `on_token`.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        params: &GenerateParams,
        mut on_token: impl FnMut(TokenEvent<'_>) -> Control,
    ) -> Result<Completion, LlmError> {
        if prompt.is_empty() {
            return Err(LlmError::InvalidInput("the prompt is empty".into()));
        }
        let n_ctx = self.model.n_ctx();
        if prompt.len() >= n_ctx {
            return Err(LlmError::ContextFull { needed: prompt.len() + 1, n_ctx });
        }
        let mut sampler = Sampler::new(params.sampling.clone());

        // Reuse the cached prefix; at least one token must be evaluated to get logits.
        let mut common = self.cached.iter().zip(prompt).take_while(|(a, b)| a == b).count();
        if common == prompt.len() {
            common -= 1;
        }
        self.model.truncate(common);
        self.cached.truncate(common);
        let t0 = Instant::now();
        let fresh = &prompt[common..];
        let logits = self.model.forward_last(fresh)?;
        self.logits.clear();
        self.logits.extend_from_slice(logits);
        self.cached.extend_from_slice(fresh);
        let prompt_ms = t0.elapsed().as_secs_f64() * 1e3;

        let t1 = Instant::now();
        let mut history = prompt.to_vec();
        let mut tokens = Vec::new();
        let mut decoder = Decoder::new();
        let mut stops = StopMatcher::new(&params.stop);
        let mut reason = StopReason::MaxTokens;
        while tokens.len() < params.max_tokens {
            let id = sampler.sample(&mut self.logits, &history);
            if self.tokenizer.is_eog(id) && !params.ignore_eos {
                reason = StopReason::Eos;
                break;
            }
            tokens.push(id);
            history.push(id);
            let piece = decoder.push(self.tokenizer.token_to_piece(id, false));
            let (emit, hit) = stops.push(&piece);
            if on_token(TokenEvent { id: Some(id), text: &emit }) == Control::Stop {
                reason = StopReason::Cancelled;
                break;
            }
            if hit {
                reason = StopReason::StopString;
                break;
            }
            if tokens.len() >= params.max_tokens {
                reason = StopReason::MaxTokens;
                break;
            }
            if self.model.n_past() >= n_ctx {
                reason = StopReason::ContextFull;
                break;
            }
            let logits = self.model.forward_last(&[id])?;
            self.logits.copy_from_slice(logits);
            self.cached.push(id);
        }
        if reason != StopReason::StopString {
            let tail = decoder.flush();
            let (mut rest, _) = if tail.is_empty() { (String::new(), false) } else { stops.push(&tail) };
            rest.push_str(&stops.flush());
            if !rest.is_empty() {
                let _ = on_token(TokenEvent { id: None, text: &rest });
            }
        }
        let gen_ms = t1.elapsed().as_secs_f64() * 1e3;
        let per_s = |n: usize, ms: f64| if ms > 0.0 { n as f64 / (ms / 1e3) } else { 0.0 };
        Ok(Completion {
            text: stops.text().to_string(),
            completion_tokens: tokens.len(),
            tokens,
            prompt_tokens: prompt.len(),
            cached_prompt_tokens: common,
            stop_reason: reason,
            timings: Timings {
                prompt_ms,
                gen_ms,
                prompt_tok_s: per_s(fresh.len(), prompt_ms),
                gen_tok_s: per_s(history.len() - prompt.len(), gen_ms),
            },
            seed: sampler.seed(),
        })
    }
}

#[cfg(test)]
mod tests {
    fn assert_send<T: Send>() {}

    #[test]
    fn engine_is_send() {
        assert_send::<super::Engine>();
    }
}
