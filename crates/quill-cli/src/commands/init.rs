//! `quill init [DIR]` — create a workspace.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_store::Workspace;

use crate::Globals;

/// Create a workspace: `quill.toml` (settings) and `.quill/quill.db` (the library, the knowledge
/// base, logs and runs). Use one workspace per brand or client.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  quill init                 # here\n  quill init clients/acme --name \"Acme Co\""
)]
pub struct Args {
    /// Folder to create the workspace in (default: the current folder).
    pub dir: Option<PathBuf>,
    /// Display name of the creator or brand (default: the folder name).
    #[arg(long)]
    pub name: Option<String>,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let dir = match args.dir.or_else(|| g.workspace.clone()) {
        Some(d) => d,
        None => std::env::current_dir().context("reading the current folder")?,
    };
    let ws = Workspace::init(&dir, args.name.as_deref())
        .with_context(|| format!("creating a workspace in {}", dir.display()))?;
    if g.json {
        g.print_json(&serde_json::json!({
            "root": ws.root(),
            "config": ws.config_path(),
            "database": ws.db_path(),
            "name": ws.config().workspace.name,
        }))?;
    } else {
        println!("Created workspace {:?} in {}", ws.config().workspace.name, ws.root().display());
        println!("  settings: {}", ws.config_path().display());
        println!("  database: {}", ws.db_path().display());
        println!("Next: quill library import PATH");
    }
    Ok(ExitCode::SUCCESS)
}
