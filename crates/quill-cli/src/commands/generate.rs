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
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let prompt = text_arg(&args.prompt)?;
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
