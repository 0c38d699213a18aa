//! Glue between [`crate::local::EngineRun`] and `quill_llm`'s engine.

use std::path::Path;

use crate::error::{BackendError, Result};
use crate::local::{EngineRun, LocalOptions};

/// Loads the engine for `path`.
pub(crate) fn load(path: &Path, _opts: &LocalOptions) -> Result<Box<dyn EngineRun>> {
    // Validate the file now so a bad path is reported clearly even before the engine exists.
    quill_llm::gguf::GgufFile::open(path).map_err(|e| BackendError::Engine(e.to_string()))?;
    Err(BackendError::Engine("the local engine is not available in this build yet".into()))
}
