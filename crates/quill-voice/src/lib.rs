//! Rung 5: the voice checks — a style linter, a voice-match score against the creator's own
//! writing, a detector for over-used habits, and rules learned from the creator's edits.
//!
//! # Why these four
//! A model trained or prompted on a creator's posts drifts in three ways: it picks up generic
//! AI phrasing, it stops sounding like the creator, and it exaggerates the creator's own tics
//! until they become a parody. Each instrument here watches one of them, and each is built over
//! plain texts (`&[&str]` plus weights) so the prompt, evaluation and advisor crates can call it
//! without a database:
//!
//! - [`lint`] — Vale-compatible rules (AI tells, hype, hedges, fake inspiration, platform limits,
//!   the library's banned phrases, rules learned from edits).
//! - [`profile`] and [`score`] — a stylometric profile of the creator and a calibrated 0–100
//!   match score with reasons in plain words, validated by author attribution.
//! - [`habits`] — phrases, openers, closers, emoji and structures a batch of drafts uses
//!   significantly more often than the creator does, and one amplification index.
//! - [`learn`] — substitutions and deletions mined from before/after rewrites, written back as
//!   lint rules.
//!
//! [`workspace`] is the glue that reads the library and stores the profile in a workspace.
#![deny(missing_docs)]

mod error;
pub mod features;
pub mod habits;
pub mod learn;
pub mod lint;
pub mod lm;
pub mod profile;
pub mod score;
pub mod text;
pub mod workspace;

pub use error::{Error, Result};
