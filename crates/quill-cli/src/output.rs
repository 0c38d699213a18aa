//! What every command shares: global flags, the workspace lookup, JSON/text output, progress bars
//! and error printing.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use quill_store::Workspace;

/// `--color`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colors when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Flags shared by every command.
#[derive(Debug, Clone)]
pub struct Globals {
    /// `-C DIR` (or `QUILL_WORKSPACE`).
    pub workspace: Option<PathBuf>,
    /// `--json`: data as JSON on stdout.
    pub json: bool,
    /// Whether progress bars may be drawn (stderr is a terminal, no `--no-progress`, no `--json`).
    pub progress: bool,
    /// Whether stdout gets colors.
    pub color: bool,
}

impl Globals {
    /// Resolves the flags against the terminal and the environment.
    pub fn new(workspace: Option<PathBuf>, json: bool, no_progress: bool, color: ColorChoice) -> Self {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color && std::io::stderr().is_terminal());
        let progress = !no_progress && !json && std::io::stderr().is_terminal();
        Self { workspace, json, progress, color }
    }

    /// The workspace this command works in (`-C`, `QUILL_WORKSPACE`, or found upward).
    pub fn workspace(&self) -> Result<Workspace> {
        Ok(Workspace::locate(self.workspace.as_deref())?)
    }

    /// A progress bar for `len` steps (hidden when progress is off), with a message.
    pub fn progress(&self, len: u64, msg: impl Into<String>) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(msg.into());
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    /// A spinner for work of unknown length.
    pub fn spinner(&self, msg: impl Into<String>) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new_spinner();
        pb.set_message(msg.into());
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value).context("serialising output")?;
        print_stdout(&text)
    }
}

/// Writes a line to stdout; a closed pipe (`quill ... --json | head`) ends quietly instead of
/// panicking the way `println!` does.
pub fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("writing to stdout"),
    }
}

/// Prints an error chain as `error: …` / `  caused by: …`, or as JSON with `--json`.
pub fn print_error(err: &anyhow::Error, g: &Globals) {
    if g.json {
        let chain: Vec<String> = err.chain().skip(1).map(|e| e.to_string()).collect();
        let v = serde_json::json!({ "error": err.to_string(), "causes": chain });
        eprintln!("{v}");
        return;
    }
    let red = console::Style::new().red().bold().for_stderr();
    eprintln!("{} {err}", red.apply_to("error:"));
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
