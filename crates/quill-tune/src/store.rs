//! Run records in the workspace database (`tune_runs`, `tune_exports`, migration 005).
//!
//! The database is what `quill tune list` reads and what other rungs (drafting with an
//! adapter, reports) query; the files in `.quill/adapters/NAME/` are the source of truth for
//! weights and checkpoints. Every write is one statement or one transaction.

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::Result;
use crate::checkpoint::TrainState;
use quill_store::{Db, now_rfc3339};

/// One row of `tune_runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    /// Row id.
    pub id: i64,
    /// Adapter name.
    pub name: String,
    /// `running`, `completed`, `early_stopped`, `interrupted` or `failed`.
    pub status: String,
    /// Base GGUF path.
    pub base_model: String,
    /// Dataset path.
    pub data_path: String,
    /// Adapter folder.
    pub adapter_dir: String,
    /// Training examples.
    pub train_examples: i64,
    /// Validation examples.
    pub val_examples: i64,
    /// Planned steps.
    pub total_steps: i64,
    /// Steps done.
    pub steps_done: i64,
    /// Tokens trained on.
    pub trained_tokens: i64,
    /// Seconds of training.
    pub train_seconds: f64,
    /// Loss of the last step.
    pub final_loss: Option<f64>,
    /// Best validation loss.
    pub best_val_loss: Option<f64>,
    /// Step of the best validation loss.
    pub best_step: Option<i64>,
    /// Error message of a failed run.
    pub error: Option<String>,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// End time.
    pub finished_at: Option<String>,
    /// Settings as JSON.
    pub config: serde_json::Value,
}

/// What a new run row needs.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// Adapter name.
    pub name: &'a str,
    /// Base GGUF path.
    pub base_model: &'a str,
    /// Size + header hash of the base file.
    pub base_fingerprint: &'a str,
    /// Dataset path.
    pub data_path: &'a str,
    /// Settings JSON.
    pub config: &'a str,
    /// Adapter folder.
    pub adapter_dir: &'a str,
    /// Training examples.
    pub train_examples: usize,
    /// Validation examples.
    pub val_examples: usize,
    /// Planned steps.
    pub total_steps: u64,
}

/// Inserts a run (replacing an older run of the same name when `replace`).
pub fn insert_run(db: &mut Db, r: &NewRun<'_>, replace: bool) -> Result<i64> {
    let now = now_rfc3339();
    db.write(|tx| {
        if replace {
            tx.execute("DELETE FROM tune_runs WHERE name = ?1", [r.name])?;
        }
        tx.execute(
            "INSERT INTO tune_runs (name, status, base_model, base_fingerprint, data_path, config, adapter_dir,
                 train_examples, val_examples, total_steps, started_at, updated_at, pid)
             VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
            params![
                r.name,
                r.base_model,
                r.base_fingerprint,
                r.data_path,
                r.config,
                r.adapter_dir,
                r.train_examples as i64,
                r.val_examples as i64,
                r.total_steps as i64,
                now,
                std::process::id() as i64
            ],
        )?;
        Ok(tx.last_insert_rowid())
    })
}

/// Records progress (and, with `status`, the end) of a run from its trainer state.
pub fn update_run(db: &mut Db, name: &str, state: &TrainState, status: &str, error: Option<&str>) -> Result<()> {
    let curve = serde_json::to_string(&state.history).unwrap_or_else(|_| "[]".into());
    let now = now_rfc3339();
    let finished = (status != "running").then(|| now.clone());
    db.write(|tx| {
        tx.execute(
            "UPDATE tune_runs SET status = ?2, steps_done = ?3, tokens = ?4, trained_tokens = ?5, train_seconds = ?6,
                 final_loss = ?7, best_val_loss = ?8, best_step = ?9, curve = ?10, error = ?11, updated_at = ?12,
                 finished_at = ?13, pid = CASE WHEN ?2 = 'running' THEN ?14 ELSE NULL END
             WHERE name = ?1",
            params![
                name,
                status,
                state.step as i64,
                state.tokens as i64,
                state.trained_tokens as i64,
                state.elapsed_s,
                state.history.last().map(|p| p.loss as f64),
                state.best_val.map(|(_, v)| v),
                state.best_val.map(|(s, _)| s as i64),
                curve,
                error,
                now,
                finished,
                std::process::id() as i64
            ],
        )?;
        Ok(())
    })
}

const COLS: &str = "id, name, status, base_model, data_path, adapter_dir, train_examples, val_examples, total_steps,
    steps_done, trained_tokens, train_seconds, final_loss, best_val_loss, best_step, error, started_at, finished_at, config, pid";

/// A `running` row whose process is gone was killed: report it as `interrupted`.
fn effective_status(status: String, pid: Option<i64>) -> String {
    if status != "running" {
        return status;
    }
    let alive = pid.is_some_and(|p| p == std::process::id() as i64 || Path::new(&format!("/proc/{p}")).exists());
    if alive || !Path::new("/proc/self").exists() { status } else { "interrupted".into() }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let cfg: String = r.get(18)?;
    let pid: Option<i64> = r.get(19)?;
    Ok(RunRow {
        id: r.get(0)?,
        name: r.get(1)?,
        status: effective_status(r.get(2)?, pid),
        base_model: r.get(3)?,
        data_path: r.get(4)?,
        adapter_dir: r.get(5)?,
        train_examples: r.get(6)?,
        val_examples: r.get(7)?,
        total_steps: r.get(8)?,
        steps_done: r.get(9)?,
        trained_tokens: r.get(10)?,
        train_seconds: r.get(11)?,
        final_loss: r.get(12)?,
        best_val_loss: r.get(13)?,
        best_step: r.get(14)?,
        error: r.get(15)?,
        started_at: r.get(16)?,
        finished_at: r.get(17)?,
        config: serde_json::from_str(&cfg).unwrap_or(serde_json::Value::Null),
    })
}

/// Light per-step progress (so `quill tune list` shows a live run moving).
pub fn update_progress(db: &mut Db, name: &str, step: u64, loss: f32) -> Result<()> {
    db.conn().execute(
        "UPDATE tune_runs SET steps_done = ?2, final_loss = ?3, updated_at = ?4 WHERE name = ?1",
        params![name, step as i64, loss as f64, now_rfc3339()],
    )?;
    Ok(())
}

/// Every run, newest first.
pub fn list_runs(db: &Db) -> Result<Vec<RunRow>> {
    let mut st = db.conn().prepare(&format!("SELECT {COLS} FROM tune_runs ORDER BY started_at DESC, id DESC"))?;
    let rows = st.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The run named `name`, if any.
pub fn get_run(db: &Db, name: &str) -> Result<Option<RunRow>> {
    Ok(db.conn().query_row(&format!("SELECT {COLS} FROM tune_runs WHERE name = ?1"), [name], row).optional()?)
}

/// The loss curve stored with a run.
pub fn run_curve(db: &Db, name: &str) -> Result<Vec<crate::checkpoint::LogPoint>> {
    let s: Option<String> =
        db.conn().query_row("SELECT curve FROM tune_runs WHERE name = ?1", [name], |r| r.get(0)).optional()?;
    Ok(s.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
}

/// Records an export (and its `--check` results as JSON).
pub fn insert_export(db: &mut Db, run_id: i64, format: &str, path: &str, checked: Option<&str>) -> Result<()> {
    let now = now_rfc3339();
    db.write(|tx| {
        tx.execute(
            "INSERT INTO tune_exports (run_id, format, path, checked, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run_id, format, path, checked, now],
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::LogPoint;

    fn new_run<'a>(name: &'a str) -> NewRun<'a> {
        NewRun {
            name,
            base_model: "/m.gguf",
            base_fingerprint: "1:ab",
            data_path: "/d",
            config: "{\"rank\":8}",
            adapter_dir: "/a",
            train_examples: 10,
            val_examples: 2,
            total_steps: 30,
        }
    }

    #[test]
    fn insert_update_list_and_replace() {
        let mut db = Db::open_in_memory().unwrap();
        let id = insert_run(&mut db, &new_run("maya"), false).unwrap();
        assert!(insert_run(&mut db, &new_run("maya"), false).is_err(), "names are unique");
        let mut st = TrainState { step: 3, tokens: 300, trained_tokens: 120.0, ..Default::default() };
        st.history.push(LogPoint { step: 3, loss: 2.5, lr: 1e-4, grad_norm: 0.7, val_loss: Some(2.7) });
        st.best_val = Some((3, 2.7));
        update_progress(&mut db, "maya", 3, 2.5).unwrap();
        update_run(&mut db, "maya", &st, "completed", None).unwrap();
        let rows = list_runs(&db).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.id, r.status.as_str(), r.steps_done, r.best_step), (id, "completed", 3, Some(3)));
        assert_eq!(r.best_val_loss, Some(2.7));
        assert_eq!(r.config["rank"], 8);
        assert!(r.finished_at.is_some());
        assert_eq!(run_curve(&db, "maya").unwrap(), st.history);
        insert_export(&mut db, id, "all", "/out", Some("{\"ok\":true}")).unwrap();
        // Replacing drops the old row and its exports.
        insert_run(&mut db, &new_run("maya"), true).unwrap();
        let n: i64 = db.conn().query_row("SELECT count(*) FROM tune_exports", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
        assert_eq!(get_run(&db, "maya").unwrap().unwrap().status, "running");
        assert!(get_run(&db, "other").unwrap().is_none());
    }

    #[test]
    fn running_row_of_a_dead_process_reads_as_interrupted() {
        let mut db = Db::open_in_memory().unwrap();
        insert_run(&mut db, &new_run("x"), false).unwrap();
        assert_eq!(get_run(&db, "x").unwrap().unwrap().status, "running");
        db.conn().execute("UPDATE tune_runs SET pid = 999999999", []).unwrap();
        assert_eq!(get_run(&db, "x").unwrap().unwrap().status, "interrupted");
    }
}
