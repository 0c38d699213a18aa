//! `quill` — a thin command-line layer over Quill's library crates.
//!
//! Every command lives in its own module under `commands/`, parses its own flags (clap derive)
//! and calls into the library crate that owns the work. Nothing here decides *what* Quill does;
//! it only turns arguments into calls and results into text or JSON.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::Globals;

/// Quill: AI drafts that sound like you — and evidence on whether you need fine-tuning at all.
#[derive(Debug, Parser)]
#[command(name = "quill", version, after_long_help = EXAMPLES)]
struct Cli {
    /// Run as if started in DIR (the workspace is found from there upward).
    #[arg(short = 'C', long = "workspace", global = true, value_name = "DIR", env = "QUILL_WORKSPACE")]
    workspace: Option<PathBuf>,
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Never draw progress bars.
    #[arg(long, global = true)]
    no_progress: bool,
    /// When to use colors.
    #[arg(long, global = true, value_enum, default_value_t = output::ColorChoice::Auto)]
    color: output::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  quill init my-brand                      # create a workspace
  quill library import examples/creator    # import posts, hooks, CTAs, rewrites, phrases
  quill library stats                      # what you have, and your top performers
  quill generate \"Write a hook about client onboarding\"";

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a workspace: quill.toml and .quill/quill.db.
    Init(commands::init::Args),
    /// The voice & example library: add, import, list, edit, rate, tag, export, stats.
    #[command(subcommand, alias = "lib")]
    Library(commands::library::Cmd),
    /// Show how the local model tokenizes text (and count tokens).
    Tokenize(commands::tokenize::Args),
    /// Generate text from a prompt, streaming.
    Generate(commands::generate::Args),
    /// Chat with a model interactively.
    Chat(commands::chat::Args),
    /// Serve a model over the OpenAI-compatible API.
    Serve(commands::serve::Args),
    /// Manage models: list, info, pull, rm.
    #[command(subcommand)]
    Models(commands::models::Cmd),
    /// Knowledge base: add documents, list, search.
    #[command(subcommand)]
    Kb(commands::kb::Cmd),
    /// Assemble a structured prompt from a brief, or lint a prompt.
    Prompt(commands::prompt::Args),
    /// Generate drafts from a brief, checked against it.
    Draft(commands::draft::Args),
    /// Show the log of generations.
    Logs(commands::logs::Args),
    /// Lint drafts against the style rules.
    Lint(commands::lint::Args),
    /// Voice profile, match score, habit detector, rules learned from edits.
    #[command(subcommand)]
    Voice(commands::voice::Cmd),
    /// Fine-tuning datasets: build and validate.
    #[command(subcommand)]
    Dataset(commands::dataset::Cmd),
    /// Fine-tune a LoRA adapter locally (or with a hosted service).
    Tune(commands::tune::Args),
    /// Benchmarks against peer tools measured in the same run.
    #[command(subcommand)]
    Bench(commands::bench::Cmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let globals = Globals::new(cli.workspace, cli.json, cli.no_progress, cli.color);
    let result = match cli.command {
        Command::Init(a) => commands::init::run(a, &globals),
        Command::Library(c) => commands::library::run(c, &globals),
        Command::Tokenize(a) => commands::tokenize::run(a, &globals),
        Command::Generate(a) => commands::generate::run(a, &globals),
        Command::Chat(a) => commands::chat::run(a, &globals),
        Command::Serve(a) => commands::serve::run(a, &globals),
        Command::Models(c) => commands::models::run(c, &globals),
        Command::Kb(c) => commands::kb::run(c, &globals),
        Command::Prompt(a) => commands::prompt::run(a, &globals),
        Command::Draft(a) => commands::draft::run(a, &globals),
        Command::Logs(a) => commands::logs::run(a, &globals),
        Command::Lint(a) => commands::lint::run(a, &globals),
        Command::Voice(c) => commands::voice::run(c, &globals),
        Command::Dataset(c) => commands::dataset::run(c, &globals),
        Command::Tune(a) => commands::tune::run(a, &globals),
        Command::Bench(c) => commands::bench::run(c, &globals),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            output::print_error(&err, &globals);
            ExitCode::from(2)
        }
    }
}
