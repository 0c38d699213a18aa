//! `quill draft` — being built (see the issue that owns it).

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::Globals;

/// Arguments of `quill draft`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args, _g: &Globals) -> Result<ExitCode> {
    bail!("`quill draft` is not available in this build yet")
}
