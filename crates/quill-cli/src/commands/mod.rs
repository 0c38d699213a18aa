//! One module per command. Each exposes its clap arguments and a `run` function.

pub mod bench;
pub mod chat;
pub mod dataset;
pub mod draft;
pub mod generate;
pub mod init;
pub mod inputs;
pub mod kb;
pub mod library;
pub mod lint;
pub mod logs;
pub mod models;
pub mod prompt;
pub mod serve;
pub mod tokenize;
pub mod tune;
// `quill tune --hosted openai …` (issue 8); tune.rs mounts it (see the module docs).
pub mod tune_hosted;
pub mod voice;
