//! `quill tokenize` — show how the local model tokenizes text, and count tokens.
//!
//! Only the tokenizer is loaded (no weights), so this is instant even for large models.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_llm::Tokenizer;
use quill_llm::gguf::GgufFile;

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill tokenize \"Hello world! 123\"            # ids and pieces, then the count
  quill tokenize --count - < post.txt          # just the number of tokens
  quill tokenize --json \"<|im_start|>user\"     # machine-readable
  quill tokenize --model other.gguf \"text\"     # another GGUF model";

/// Arguments of `quill tokenize`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Text to tokenize, or `-` to read standard input.
    pub text: String,
    /// GGUF model whose tokenizer to use (default: the fetched SmolLM2).
    #[arg(long, short = 'm', value_name = "GGUF")]
    pub model: Option<PathBuf>,
    /// Print only the number of tokens.
    #[arg(long)]
    pub count: bool,
    /// Treat special-token text (e.g. `<|im_start|>`) as plain text.
    #[arg(long)]
    pub no_special: bool,
    /// Add BOS/EOS as the model's vocabulary asks (as a prompt would be).
    #[arg(long)]
    pub add_special: bool,
}

/// The model path to use: `--model`, else the fetched default, with a fix-it message if absent.
pub(crate) fn model_path(model: Option<PathBuf>) -> Result<PathBuf> {
    let explicit = model.is_some();
    let p = model.unwrap_or_else(quill_store::default_llm_path);
    if !p.is_file() {
        if explicit {
            anyhow::bail!("model file {} does not exist", p.display());
        }
        anyhow::bail!(
            "the default model {} is missing: run scripts/fetch-models.sh (or pass --model PATH to a GGUF file)",
            p.display()
        );
    }
    Ok(p)
}

/// Reads `-` as standard input, anything else as the text itself.
pub(crate) fn text_arg(text: &str) -> Result<String> {
    if text == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading standard input")?;
        return Ok(s);
    }
    Ok(text.to_string())
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let path = model_path(args.model)?;
    let text = text_arg(&args.text)?;
    let f = GgufFile::open(&path)?;
    let tok = Tokenizer::from_gguf(&f)?;
    let ids = tok.encode(&text, args.add_special, !args.no_special);
    if g.json {
        let tokens: Vec<serde_json::Value> =
            ids.iter().map(|&id| serde_json::json!({ "id": id, "piece": tok.piece_display(id) })).collect();
        let v = if args.count {
            serde_json::json!({ "model": path, "n_tokens": ids.len() })
        } else {
            serde_json::json!({ "model": path, "n_tokens": ids.len(), "ids": ids, "tokens": tokens })
        };
        g.print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.count {
        println!("{}", ids.len());
        return Ok(ExitCode::SUCCESS);
    }
    let dim = console::Style::new().dim();
    for &id in &ids {
        println!("{id:>7}  {:?}", tok.piece_display(id));
    }
    println!("{}", dim.apply_to(format!("{} tokens", ids.len())));
    Ok(ExitCode::SUCCESS)
}
