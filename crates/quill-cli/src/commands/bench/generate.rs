//! `quill bench generate` — being built (see the issue that owns it).

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::Globals;

/// Arguments of `quill bench generate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the benchmark.
pub fn run(_args: Args, _g: &Globals) -> Result<ExitCode> {
    bail!("`quill bench generate` is not available in this build yet")
}
