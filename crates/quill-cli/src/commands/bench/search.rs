//! `quill bench search` — being built (see the issue that owns it).

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::Globals;

/// Arguments of `quill bench search`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the benchmark.
pub fn run(_args: Args, _g: &Globals) -> Result<ExitCode> {
    bail!("`quill bench search` is not available in this build yet")
}
