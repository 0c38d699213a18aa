//! One Generator trait for every model Quill can talk to: the local runtime and OpenAI-compatible servers; model management.
