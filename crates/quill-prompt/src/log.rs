//! The generation log: what was asked, of which model, with which settings, and what came back.
//!
//! Like `llm logs`, every draft is kept with its exact prompt and parameters, so a creator can
//! see why a draft came out as it did, the evaluation can compare runs, and accepted drafts can
//! become training data.

use quill_store::{Db, now_rfc3339};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::Result;

/// One logged generation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// Row id (0 before it is written).
    pub id: i64,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Which command made it.
    pub command: String,
    /// Variants made together share a batch id.
    pub batch: Option<String>,
    /// Variant number within the batch, 1-based.
    pub variant: Option<u32>,
    /// `local` or a `[backends.NAME]`.
    pub backend: String,
    /// The model id.
    pub model: String,
    /// LoRA adapter name, if one was applied.
    pub adapter: Option<String>,
    /// The brief, as JSON.
    pub brief: Option<serde_json::Value>,
    /// System message.
    pub system: Option<String>,
    /// User message.
    pub prompt: String,
    /// The draft.
    pub response: String,
    /// Sampling parameters, as JSON.
    pub params: serde_json::Value,
    /// Tokens in the prompt.
    pub prompt_tokens: Option<u32>,
    /// Tokens generated.
    pub completion_tokens: Option<u32>,
    /// Wall time.
    pub duration_ms: Option<u64>,
    /// Time to the first token.
    pub first_token_ms: Option<u64>,
    /// stop, length or cancelled.
    pub finish_reason: Option<String>,
    /// Brief check results, as JSON.
    pub checks: serde_json::Value,
    /// Repairs made, as JSON.
    pub repairs: serde_json::Value,
    /// accepted / rejected, once reviewed.
    pub status: Option<String>,
}

fn json_text(v: &serde_json::Value, empty: &str) -> String {
    if v.is_null() { empty.to_string() } else { v.to_string() }
}

/// Writes a record; returns its id.
pub fn record(db: &mut Db, r: &Record) -> Result<i64> {
    let created = if r.created_at.is_empty() { now_rfc3339() } else { r.created_at.clone() };
    let id = db.write(|tx| -> std::result::Result<i64, rusqlite::Error> {
        tx.execute(
            "INSERT INTO generations (created_at, command, batch, variant, backend, model, adapter, brief, system, prompt,
                response, params, prompt_tokens, completion_tokens, duration_ms, first_token_ms, finish_reason, checks, repairs, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
            params![
                created,
                r.command,
                r.batch,
                r.variant,
                r.backend,
                r.model,
                r.adapter,
                r.brief.as_ref().map(|b| b.to_string()),
                r.system,
                r.prompt,
                r.response,
                json_text(&r.params, "{}"),
                r.prompt_tokens,
                r.completion_tokens,
                r.duration_ms.map(|v| v as i64),
                r.first_token_ms.map(|v| v as i64),
                r.finish_reason,
                json_text(&r.checks, "[]"),
                json_text(&r.repairs, "[]"),
                r.status,
            ],
        )?;
        Ok(tx.last_insert_rowid())
    })?;
    Ok(id)
}

const COLUMNS: &str =
    "id, created_at, command, batch, variant, backend, model, adapter, brief, system, prompt, response, params,
    prompt_tokens, completion_tokens, duration_ms, first_token_ms, finish_reason, checks, repairs, status";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(Record {
        id: row.get(0)?,
        created_at: row.get(1)?,
        command: row.get(2)?,
        batch: row.get(3)?,
        variant: row.get(4)?,
        backend: row.get(5)?,
        model: row.get(6)?,
        adapter: row.get(7)?,
        brief: parse(row.get(8)?),
        system: row.get(9)?,
        prompt: row.get(10)?,
        response: row.get(11)?,
        params: parse(row.get(12)?).unwrap_or(serde_json::Value::Null),
        prompt_tokens: row.get(13)?,
        completion_tokens: row.get(14)?,
        duration_ms: row.get::<_, Option<i64>>(15)?.map(|v| v as u64),
        first_token_ms: row.get::<_, Option<i64>>(16)?.map(|v| v as u64),
        finish_reason: row.get(17)?,
        checks: parse(row.get(18)?).unwrap_or(serde_json::Value::Null),
        repairs: parse(row.get(19)?).unwrap_or(serde_json::Value::Null),
        status: row.get(20)?,
    })
}

/// The newest `limit` records, newest first, optionally only one command's or one backend's.
pub fn list(db: &Db, limit: usize, command: Option<&str>, backend: Option<&str>) -> Result<Vec<Record>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM generations WHERE (?1 IS NULL OR command = ?1) AND (?2 IS NULL OR backend = ?2)
         ORDER BY id DESC LIMIT ?3"
    );
    let mut stmt = db.conn().prepare(&sql)?;
    let rows = stmt.query_map(params![command, backend, limit as i64], from_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One record by id.
pub fn get(db: &Db, id: i64) -> Result<Option<Record>> {
    let sql = format!("SELECT {COLUMNS} FROM generations WHERE id = ?1");
    Ok(db.conn().query_row(&sql, [id], from_row).optional()?)
}

/// Marks a draft accepted or rejected (review; accepted drafts can become training data).
pub fn set_status(db: &mut Db, id: i64, status: Option<&str>) -> Result<bool> {
    let n = db.write(|tx| tx.execute("UPDATE generations SET status = ?2 WHERE id = ?1", params![id, status]))?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_filter() {
        let mut db = Db::open_in_memory().unwrap();
        let r = Record {
            command: "draft".into(),
            backend: "local".into(),
            model: "smollm2".into(),
            prompt: "Write".into(),
            response: "Done.".into(),
            params: serde_json::json!({"temperature": 0.7}),
            checks: serde_json::json!([{"name": "max_chars", "status": "pass"}]),
            prompt_tokens: Some(12),
            ..Record::default()
        };
        let id = record(&mut db, &r).unwrap();
        record(&mut db, &Record { command: "generate".into(), backend: "ollama".into(), ..r.clone() }).unwrap();
        let got = get(&db, id).unwrap().unwrap();
        assert_eq!(got.params["temperature"], 0.7);
        assert_eq!(got.prompt_tokens, Some(12));
        assert_eq!(list(&db, 10, Some("draft"), None).unwrap().len(), 1);
        assert_eq!(list(&db, 10, None, Some("ollama")).unwrap().len(), 1);
        assert!(set_status(&mut db, id, Some("accepted")).unwrap());
        assert_eq!(get(&db, id).unwrap().unwrap().status.as_deref(), Some("accepted"));
    }
}
