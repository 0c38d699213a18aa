//! Glue between [`crate::local::EngineRun`] and `quill_llm`'s [`Engine`]: parameter mapping,
//! stop reasons and errors.

use std::path::Path;

use quill_llm::{Control, Engine, GenerateParams, LlmError, ModelOptions, SamplingParams, StopReason};

use crate::error::{BackendError, Result};
use crate::local::{EngineRun, LocalOptions};
use crate::types::{ChatMessage, FinishReason, Flow, GenParams, Usage};

/// Loads the engine for `path`.
pub(crate) fn load(path: &Path, opts: &LocalOptions) -> Result<Box<dyn EngineRun>> {
    let mo = ModelOptions { n_ctx: opts.n_ctx, threads: opts.threads.unwrap_or(0), ..ModelOptions::default() };
    let mut engine = Engine::load(path, &mo).map_err(engine_error)?;
    if let Some(adapter) = &opts.adapter {
        attach_adapter(&mut engine, adapter)?;
    }
    Ok(Box::new(engine))
}

/// Applies a trained LoRA adapter: a run folder (`.quill/adapters/NAME/`, its
/// `adapter.safetensors`, else its last checkpoint) or an adapter file written by `quill tune`.
/// The runtime adds `scale·B(A·x)` to each adapted projection, which equals the merged weights.
fn attach_adapter(engine: &mut Engine, adapter: &Path) -> Result<()> {
    let file = if adapter.is_dir() {
        let best = adapter.join("adapter.safetensors");
        if best.is_file() { best } else { adapter.join("checkpoints").join(quill_tune::trainer::LAST) }
    } else {
        adapter.to_path_buf()
    };
    if !file.is_file() {
        return Err(BackendError::Engine(format!(
            "no adapter at {}: name a run from `quill tune list` or an adapter file",
            adapter.display()
        )));
    }
    let a = quill_tune::adapter::Adapter::load(&file)
        .map_err(|e| BackendError::Engine(format!("loading the adapter {}: {e}", file.display())))?;
    engine
        .model_mut()
        .set_adapter(Some(quill_tune::check::to_runtime(&a)))
        .map_err(|e| BackendError::Engine(format!("the adapter {} does not fit this model: {e}", file.display())))
}

/// Maps engine errors: a full context becomes [`BackendError::ContextLength`] (the server turns
/// it into OpenAI's `context_length_exceeded`), bad input an invalid request.
pub(crate) fn engine_error(e: LlmError) -> BackendError {
    match e {
        LlmError::ContextFull { needed, n_ctx } => BackendError::ContextLength {
            limit: u32::try_from(n_ctx).ok(),
            requested: u32::try_from(needed).ok(),
            message: format!("{needed} tokens needed, the context holds {n_ctx}"),
        },
        LlmError::InvalidInput(m) => BackendError::InvalidRequest(m),
        other => BackendError::Engine(other.to_string()),
    }
}

/// Quill's neutral parameters onto the engine's; unset values keep the engine's (llama.cpp's)
/// defaults. No `max_tokens` means "until the model stops or the context is full".
pub(crate) fn engine_params(p: &GenParams) -> GenerateParams {
    let d = SamplingParams::default();
    GenerateParams {
        sampling: SamplingParams {
            temperature: p.temperature.unwrap_or(d.temperature),
            top_k: p.top_k.map(|k| i32::try_from(k).unwrap_or(i32::MAX)).unwrap_or(d.top_k),
            top_p: p.top_p.unwrap_or(d.top_p),
            min_p: p.min_p.unwrap_or(d.min_p),
            repeat_penalty: p.repeat_penalty.unwrap_or(d.repeat_penalty),
            frequency_penalty: p.frequency_penalty.unwrap_or(d.frequency_penalty),
            presence_penalty: p.presence_penalty.unwrap_or(d.presence_penalty),
            seed: p.seed,
            ..d
        },
        max_tokens: p.max_tokens.map(|m| m as usize).unwrap_or(usize::MAX),
        stop: p.stop.clone(),
        ignore_eos: p.ignore_eos,
    }
}

/// Token sequences that spell each banned phrase the ways it can start in running text: with or
/// without a leading space, lower-case or capitalised. Banning the last token of each sequence
/// once the rest has been generated keeps the phrase out without touching anything else.
pub(crate) fn banned_sequences(tok: &quill_llm::Tokenizer, phrases: &[String]) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    for phrase in phrases {
        let p = phrase.trim();
        if p.is_empty() {
            continue;
        }
        let lower = p.to_lowercase();
        let mut cap = String::new();
        let mut chars = lower.chars();
        if let Some(c) = chars.next() {
            cap.extend(c.to_uppercase());
            cap.push_str(chars.as_str());
        }
        let mut forms = vec![p.to_string(), lower.clone(), cap];
        // Inflected forms too ("leveraging" is not the tokens of "leverage" plus more), matching
        // what the draft checks count as the banned phrase.
        let base: Vec<String> = forms.clone();
        for f in &base {
            let stem = f.strip_suffix('e').filter(|s| !s.is_empty());
            forms.push(format!("{f}s"));
            match stem {
                Some(stem) => {
                    forms.push(format!("{f}d"));
                    forms.push(format!("{stem}ing"));
                }
                None => {
                    forms.push(format!("{f}ed"));
                    forms.push(format!("{f}ing"));
                }
            }
        }
        for form in forms {
            for text in [form.clone(), format!(" {form}")] {
                let ids = tok.encode(&text, false, false);
                if !ids.is_empty() && !out.contains(&ids) {
                    out.push(ids);
                }
            }
        }
    }
    out
}

pub(crate) fn finish_reason(r: StopReason) -> FinishReason {
    match r {
        StopReason::Eos | StopReason::StopString => FinishReason::Stop,
        StopReason::MaxTokens | StopReason::ContextFull => FinishReason::Length,
        StopReason::Cancelled => FinishReason::Cancelled,
    }
}

impl EngineRun for Engine {
    fn run(
        &mut self,
        messages: &[ChatMessage],
        params: &GenParams,
        on_piece: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<(String, FinishReason, Usage)> {
        let msgs: Vec<quill_llm::ChatMessage> =
            messages.iter().map(|m| quill_llm::ChatMessage::new(m.role.as_str(), m.content.clone())).collect();
        let mut gp = engine_params(params);
        gp.sampling.banned_sequences = banned_sequences(self.tokenizer(), &params.banned_phrases);
        let c = self
            .chat(&msgs, &gp, |ev| match on_piece(ev.text) {
                Flow::Continue => Control::Continue,
                Flow::Stop => Control::Stop,
            })
            .map_err(engine_error)?;
        let usage = Usage {
            prompt_tokens: u32::try_from(c.prompt_tokens).unwrap_or(u32::MAX),
            completion_tokens: u32::try_from(c.completion_tokens).unwrap_or(u32::MAX),
        };
        Ok((c.text, finish_reason(c.stop_reason), usage))
    }

    fn n_ctx(&self) -> usize {
        Engine::n_ctx(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_map_and_default() {
        let g = engine_params(&GenParams::default());
        assert_eq!(g.sampling, SamplingParams::default());
        assert_eq!(g.max_tokens, usize::MAX);
        let g = engine_params(&GenParams {
            temperature: Some(0.0),
            top_k: Some(5),
            seed: Some(7),
            max_tokens: Some(3),
            stop: vec!["\n".into()],
            ignore_eos: true,
            ..Default::default()
        });
        assert_eq!((g.sampling.temperature, g.sampling.top_k, g.sampling.seed), (0.0, 5, Some(7)));
        assert_eq!((g.max_tokens, g.stop.len(), g.ignore_eos), (3, 1, true));
    }

    /// A ban covers the phrase's case and inflected forms, with and without a leading space,
    /// as the default model tokenizes them (the model must be fetched: scripts/fetch-models.sh).
    #[test]
    fn bans_cover_case_and_inflections() {
        let path = quill_store::default_llm_path();
        assert!(path.is_file(), "{} is missing: run scripts/fetch-models.sh", path.display());
        let f = quill_llm::gguf::GgufFile::open(&path).expect("open model");
        let tok = quill_llm::Tokenizer::from_gguf(&f).expect("tokenizer");
        let seqs = banned_sequences(&tok, &["leverage".to_string(), "game-changer".to_string()]);
        for form in
            [" leverage", "Leverage", " leveraging", " leveraged", " Leverages", " game-changers", "Game-changer"]
        {
            let ids = tok.encode(form, false, false);
            assert!(seqs.contains(&ids), "{form:?} ({ids:?}) is not banned");
        }
        assert!(!seqs.contains(&tok.encode(" lever", false, false)));
    }

    #[test]
    fn errors_map() {
        let e = engine_error(LlmError::ContextFull { needed: 9000, n_ctx: 8192 });
        assert!(matches!(e, BackendError::ContextLength { limit: Some(8192), requested: Some(9000), .. }));
        assert!(matches!(engine_error(LlmError::InvalidInput("x".into())), BackendError::InvalidRequest(_)));
        assert_eq!(finish_reason(StopReason::ContextFull), FinishReason::Length);
    }
}
