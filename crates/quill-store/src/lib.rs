//! The workspace: where a creator's Quill data lives.
//!
//! # Overview
//! A workspace is a folder with a human-editable `quill.toml` and a `.quill/quill.db` SQLite file.
//! One workspace per brand or client keeps an agency's clients apart, and one database file is one
//! thing to back up. Every other crate reaches its tables through [`Db`], which applies the
//! versioned [`migrations`] on open, so an old workspace upgrades itself the first time a newer
//! Quill touches it.
//!
//! Commands find the workspace the way git finds a repository: an explicit `-C DIR`, else the
//! `QUILL_WORKSPACE` environment variable, else the current folder and its parents
//! ([`Workspace::locate`]).
//!
//! # Example
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let ws = quill_store::Workspace::init(dir.path(), Some("acme")).unwrap();
//! let db = ws.open_db().unwrap();
//! let n: i64 = db.conn().query_row("SELECT count(*) FROM _migrations", [], |r| r.get(0)).unwrap();
//! assert!(n >= 1);
//! ```
#![deny(missing_docs)]

mod atomic;
mod config;
mod db;
mod error;
pub mod migrations;
mod paths;
mod workspace;

pub use atomic::{atomic_write, atomic_write_with};
pub use config::{BackendConfig, Config};
pub use db::{Db, now_rfc3339};
pub use error::{Error, Result};
pub use paths::{default_embedder_dir, default_llm_path, models_dir, reference_dir};
pub use workspace::{CONFIG_FILE, DATA_DIR, DB_FILE, Workspace};
