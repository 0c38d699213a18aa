//! The crate's error type.

use crate::gguf::GgufError;

/// Everything that can go wrong in the runtime. File problems carry the file path (through
/// [`GgufError`]); input problems say what was asked and what the limit is.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The GGUF file is unreadable, malformed or describes a model we cannot run.
    #[error(transparent)]
    Gguf(#[from] GgufError),
    /// A kernel rejected its inputs (sizes from the model file that do not fit together).
    #[error("{context}: {source}")]
    Kernel {
        context: String,
        #[source]
        source: quill_kernels::KernelError,
    },
    /// The chat template failed to compile or render.
    #[error("chat template: {0}")]
    Template(String),
    /// The request does not fit the model (too many tokens, bad token id, bad adapter shape...).
    #[error("{0}")]
    InvalidInput(String),
    /// The prompt plus the requested tokens exceed the context window.
    #[error(
        "context window exceeded: {needed} tokens needed, the context holds {n_ctx} (shorten the prompt or history, or load with a larger context)"
    )]
    ContextFull { needed: usize, n_ctx: usize },
}

pub(crate) trait KernelContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, LlmError>;
}

impl<T> KernelContext<T> for Result<T, quill_kernels::KernelError> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, LlmError> {
        self.map_err(|source| LlmError::Kernel { context: context(), source })
    }
}
