//! `quill voice …` — being built (see the issue that owns it).

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::Globals;

/// Subcommands of `quill voice`.
#[derive(Debug, clap::Subcommand)]
pub enum Cmd {}

/// Runs the command.
pub fn run(cmd: Cmd, _g: &Globals) -> Result<ExitCode> {
    match cmd {}
}

#[allow(dead_code)]
fn unavailable() -> Result<ExitCode> {
    bail!("`quill voice` is not available in this build yet")
}
