//! `quill generate` — generate text from a prompt with the local model, streaming to stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_llm::{ChatMessage, Control, Engine, GenerateParams, ModelOptions, SamplingParams};

use super::tokenize::{model_path, text_arg};
use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill generate \"Write a hook about client onboarding\"
  quill generate --system \"You write for LinkedIn.\" --max-tokens 120 \"Announce our new course\"
  quill generate --temperature 0 \"List three post ideas\"        # greedy, deterministic
  quill generate --seed 7 --top-p 0.9 \"Tagline for a bakery\"     # same seed, same text
  quill generate --stop \"\\n\\n\" --json \"One sentence about tea\"   # text, token counts, timings as JSON
  echo \"Summarise: ...\" | quill generate -";

/// Model and sampling flags shared by `generate` and `chat`.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// GGUF model (default: the fetched SmolLM2-135M-Instruct).
    #[arg(long, short = 'm', value_name = "GGUF")]
    pub model: Option<PathBuf>,
    /// Most tokens to generate.
    #[arg(long, short = 'n', default_value_t = 512)]
    pub max_tokens: usize,
    /// Sampling temperature; 0 = greedy.
    #[arg(long, short = 't', default_value_t = 0.8)]
    pub temperature: f32,
    /// Nucleus sampling: keep the most likely tokens up to this probability mass (1 = off).
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f32,
    /// Keep only the K most likely tokens (0 = off).
    #[arg(long, default_value_t = 40)]
    pub top_k: i32,
    /// Drop tokens less likely than this fraction of the best one (0 = off).
    #[arg(long, default_value_t = 0.05)]
    pub min_p: f32,
    /// Repetition penalty over the last 64 tokens (1 = off).
    #[arg(long, default_value_t = 1.0)]
    pub repeat_penalty: f32,
    /// Frequency penalty (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub frequency_penalty: f32,
    /// Presence penalty (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub presence_penalty: f32,
    /// Random seed; the same seed gives the same text. Default: random (reported with --json).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop before this string (repeatable).
    #[arg(long = "stop", value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Compute threads (default: QUILL_THREADS or all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Context window in tokens (default: the model's own, e.g. 8192).
    #[arg(long, value_name = "TOKENS")]
    pub ctx: Option<usize>,
}

impl ModelArgs {
    /// Loads the engine, with a spinner while the weights load.
    pub fn load(&self, g: &Globals) -> Result<Engine> {
        let path = model_path(self.model.clone())?;
        let spin = g.spinner(format!("loading {}", path.display()));
        let opts = ModelOptions { n_ctx: self.ctx, threads: self.threads, ..Default::default() };
        let engine = Engine::load(&path, &opts).with_context(|| format!("loading model {}", path.display()));
        spin.finish_and_clear();
        engine
    }

    /// Generation parameters from the flags (unescaping `\n` and `\t` in stop strings).
    pub fn params(&self) -> GenerateParams {
        GenerateParams {
            sampling: SamplingParams {
                temperature: self.temperature,
                top_k: self.top_k,
                top_p: self.top_p,
                min_p: self.min_p,
                repeat_penalty: self.repeat_penalty,
                frequency_penalty: self.frequency_penalty,
                presence_penalty: self.presence_penalty,
                seed: self.seed,
                ..Default::default()
            },
            max_tokens: self.max_tokens,
            stop: self.stop.iter().map(|s| s.replace("\\n", "\n").replace("\\t", "\t")).collect(),
            ignore_eos: false,
        }
    }
}

/// Arguments of `quill generate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The prompt (a user message), or `-` to read standard input.
    pub prompt: String,
    /// System message (default: the model template's own, if any).
    #[arg(long, short = 's')]
    pub system: Option<String>,
    /// Send the prompt as-is, without the chat template.
    #[arg(long)]
    pub raw: bool,
    /// Generate with a `[backends.NAME]` server from quill.toml (any OpenAI-compatible API)
    /// instead of the local model; `local` is the local model. `--model` then names the
    /// server's model.
    #[arg(long, value_name = "NAME")]
    pub backend: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let prompt = text_arg(&args.prompt)?;
    if let Some(name) = args.backend.as_deref().filter(|b| *b != quill_backends::LOCAL) {
        return run_backend(name, &args, prompt, g);
    }
    let mut engine = args.model.load(g)?;
    let params = args.model.params();
    let mut out = std::io::stdout().lock();
    let stream = !g.json;
    let on_token = |ev: quill_llm::TokenEvent<'_>| {
        if stream && !ev.text.is_empty() {
            // A closed pipe (e.g. `| head`) ends generation quietly.
            if out.write_all(ev.text.as_bytes()).and_then(|_| out.flush()).is_err() {
                return Control::Stop;
            }
        }
        Control::Continue
    };
    let done = if args.raw {
        engine.complete(&prompt, &params, on_token)?
    } else {
        let mut msgs = Vec::new();
        if let Some(s) = &args.system {
            msgs.push(ChatMessage::system(s.clone()));
        }
        msgs.push(ChatMessage::user(prompt));
        engine.chat(&msgs, &params, on_token)?
    };
    if g.json {
        g.print_json(&serde_json::json!({
            "model": engine.path(),
            "text": done.text,
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "stop_reason": done.stop_reason,
            "seed": done.seed,
            "timings": done.timings,
        }))?;
    } else {
        println!();
        let dim = console::Style::new().dim().for_stderr();
        eprintln!(
            "{}",
            dim.apply_to(format!(
                "{} prompt tokens ({:.0} tok/s), {} generated ({:.1} tok/s), stop: {:?}, seed {}",
                done.prompt_tokens,
                done.timings.prompt_tok_s,
                done.completion_tokens,
                done.timings.gen_tok_s,
                done.stop_reason,
                done.seed
            ))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--backend NAME`: the same prompt, parameters and output through a [`quill_backends::Generator`].
fn run_backend(name: &str, args: &Args, prompt: String, g: &Globals) -> Result<ExitCode> {
    use quill_backends::{ChatMessage as Msg, Flow, GenParams};
    anyhow::ensure!(!args.raw, "--raw works with the local model only (servers apply their own chat template)");
    let ws = g.workspace().context("--backend NAME reads [backends.NAME] from the workspace's quill.toml")?;
    let model = args.model.model.as_ref().map(|m| m.to_string_lossy().into_owned());
    let backend = quill_backends::open_generator(Some(&ws), Some(name), model.as_deref(), &Default::default())?;
    let m = &args.model;
    let params = GenParams {
        max_tokens: Some(u32::try_from(m.max_tokens).unwrap_or(u32::MAX)),
        temperature: Some(m.temperature),
        top_p: Some(m.top_p),
        top_k: u32::try_from(m.top_k).ok().filter(|k| *k > 0),
        min_p: Some(m.min_p).filter(|p| *p > 0.0),
        repeat_penalty: Some(m.repeat_penalty).filter(|p| *p != 1.0),
        frequency_penalty: Some(m.frequency_penalty).filter(|p| *p != 0.0),
        presence_penalty: Some(m.presence_penalty).filter(|p| *p != 0.0),
        seed: m.seed,
        stop: m.params().stop,
        ignore_eos: false,
        banned_phrases: Vec::new(),
    };
    let mut msgs = Vec::new();
    if let Some(s) = &args.system {
        msgs.push(Msg::system(s.clone()));
    }
    msgs.push(Msg::user(prompt));
    let mut out = std::io::stdout().lock();
    let stream = !g.json;
    let done = backend.generate(&msgs, &params, &mut |piece| {
        if stream && out.write_all(piece.as_bytes()).and_then(|_| out.flush()).is_err() {
            return Flow::Stop;
        }
        Flow::Continue
    })?;
    drop(out);
    if g.json {
        g.print_json(&serde_json::json!({
            "backend": name,
            "model": done.model,
            "text": done.text,
            "prompt_tokens": done.usage.prompt_tokens,
            "completion_tokens": done.usage.completion_tokens,
            "finish_reason": done.finish_reason,
            "timings": done.timings,
        }))?;
    } else {
        println!();
        let dim = console::Style::new().dim().for_stderr();
        let ttft = done
            .timings
            .time_to_first_token
            .map(|d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
            .unwrap_or_else(|| "-".into());
        eprintln!(
            "{}",
            dim.apply_to(format!(
                "{name}/{}: {} prompt tokens, {} generated, first token after {ttft}, {:.1}s total, finish: {:?}",
                done.model,
                done.usage.prompt_tokens,
                done.usage.completion_tokens,
                done.timings.total.as_secs_f64(),
                done.finish_reason
            ))
        );
    }
    Ok(ExitCode::SUCCESS)
}
