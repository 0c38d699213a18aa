//! `quill chat` — an interactive conversation with the local model.
//!
//! The history is kept and re-rendered with the model's chat template every turn; the engine
//! reuses the KV cache for the unchanged prefix, so only the new turn is evaluated.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_llm::{ChatMessage, Control};

use super::generate::ModelArgs;
use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill chat                                   # talk to the default model
  quill chat --system \"You are a terse editor.\"
  quill chat --temperature 0.3 --seed 1
  printf 'Hi\\nAnd again?\\n' | quill chat --json   # one JSON line per reply

Inside the chat:  /reset clears the history,  /exit (or Ctrl-D) quits.";

/// Arguments of `quill chat`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// System message for the whole conversation.
    #[arg(long, short = 's')]
    pub system: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let mut engine = args.model.load(g)?;
    let params = args.model.params();
    let interactive = std::io::stdin().is_terminal();
    let dim = console::Style::new().dim().for_stderr();
    if interactive && !g.json {
        eprintln!(
            "{}",
            dim.apply_to(format!("chatting with {} — /reset clears, /exit quits", engine.path().display()))
        );
    }
    let base: Vec<ChatMessage> = args.system.iter().map(|s| ChatMessage::system(s.clone())).collect();
    let mut history = base.clone();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut turn = 0usize;
    loop {
        if interactive {
            eprint!("{} ", console::style(">").bold().for_stderr());
            let _ = std::io::stderr().flush();
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading standard input")?;
        let input = line.trim();
        match input {
            "" => continue,
            "/exit" | "/quit" => break,
            "/reset" => {
                history = base.clone();
                engine.reset();
                if !g.json {
                    eprintln!("{}", dim.apply_to("(history cleared)"));
                }
                continue;
            }
            _ => {}
        }
        history.push(ChatMessage::user(input));
        let mut out = std::io::stdout().lock();
        let stream = !g.json;
        let done = engine.chat(&history, &params, |ev| {
            if stream && !ev.text.is_empty() && out.write_all(ev.text.as_bytes()).and_then(|_| out.flush()).is_err() {
                return Control::Stop;
            }
            Control::Continue
        });
        drop(out);
        let done = match done {
            Ok(d) => d,
            Err(quill_llm::LlmError::ContextFull { needed, n_ctx }) => {
                history.pop();
                eprintln!("context full ({needed} > {n_ctx} tokens): type /reset to start over");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        turn += 1;
        if g.json {
            println!(
                "{}",
                serde_json::json!({
                    "turn": turn,
                    "text": done.text,
                    "prompt_tokens": done.prompt_tokens,
                    "cached_prompt_tokens": done.cached_prompt_tokens,
                    "completion_tokens": done.completion_tokens,
                    "stop_reason": done.stop_reason,
                    "timings": done.timings,
                })
            );
        } else {
            println!();
            if interactive {
                eprintln!(
                    "{}",
                    dim.apply_to(format!("[{} tokens, {:.1} tok/s]", done.completion_tokens, done.timings.gen_tok_s))
                );
            }
        }
        history.push(ChatMessage::assistant(done.text));
    }
    Ok(ExitCode::SUCCESS)
}
