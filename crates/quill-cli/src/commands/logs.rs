//! `quill logs` — being built (see the issue that owns it).

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::Globals;

/// Arguments of `quill logs`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args, _g: &Globals) -> Result<ExitCode> {
    bail!("`quill logs` is not available in this build yet")
}
