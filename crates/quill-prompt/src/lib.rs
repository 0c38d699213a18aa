//! Rung 2: structured prompts.
//!
//! # Overview
//! A [`Brief`] names what a creator wants written; [`Presets`] carry each platform's real limits
//! and conventions; the [`lint`] module scores a prompt or a brief and says what is missing.
//! Prompt assembly (few-shot examples from the library, cited knowledge passages, voice rules)
//! and drafting build on these.
//!
//! # Example
//! ```
//! let r = quill_prompt::lint::lint_prompt("Write a LinkedIn post about AI for creators in my voice.");
//! assert_eq!(r.grade, "lazy");
//! ```
#![deny(missing_docs)]

pub mod assemble;
mod brief;
pub mod checks;
pub mod compose;
pub mod draft;
mod error;
pub mod lint;
pub mod log;
mod presets;
pub mod select;

pub use brief::{Brief, PLATFORMS};
pub use error::{Error, Result};
pub use presets::{Preset, Presets};
