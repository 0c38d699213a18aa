//! `quill tune` — being built (see the issue that owns it).

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::Globals;

/// Arguments of `quill tune`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args, _g: &Globals) -> Result<ExitCode> {
    bail!("`quill tune` is not available in this build yet")
}
