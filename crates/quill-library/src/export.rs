//! Export in the three formats the importers read back: JSONL (the canonical JSON shape, every
//! field), CSV (one column per field, one per metric, `extra` as JSON) and Markdown (front matter
//! with every non-empty field, the text as the body).
//!
//! Each is written so that `import` of the output into a fresh workspace recreates the same
//! entries, ids and timestamps included — export is the backup format.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;

use crate::{Entry, Error, Result};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line, the shape of [`Entry`].
    Jsonl,
    /// A spreadsheet-friendly table.
    Csv,
    /// Markdown with YAML front matter, entries one after another.
    Md,
}

impl FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Ok(Self::Jsonl),
            "csv" => Ok(Self::Csv),
            "md" | "markdown" => Ok(Self::Md),
            other => Err(Error::Invalid(format!("export format `{other}` is not one of: jsonl, csv, md"))),
        }
    }
}

/// The CSV columns before the metric columns. The importer maps them back by name.
pub(crate) const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "platform",
    "title",
    "text",
    "before",
    "why",
    "polarity",
    "replacement",
    "date",
    "rating",
    "tags",
    "source",
    "notes",
    "external_id",
    "extra",
    "created_at",
    "updated_at",
    "deleted_at",
];

/// Writes `entries` to `out` in `format`.
pub fn export(entries: &[Entry], format: ExportFormat, out: &mut dyn Write) -> Result<()> {
    let io = |e: std::io::Error| Error::io("writing", "export", e);
    match format {
        ExportFormat::Jsonl => {
            for e in entries {
                serde_json::to_writer(&mut *out, e)?;
                out.write_all(b"\n").map_err(io)?;
            }
        }
        ExportFormat::Csv => write_csv(entries, out)?,
        ExportFormat::Md => {
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.write_all(b"\n").map_err(io)?;
                }
                out.write_all(entry_to_markdown(e)?.as_bytes()).map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)
}

/// Writes the export to `path` atomically (a temp file renamed over it), so an interrupted export
/// never leaves a half-written backup that looks complete.
pub fn export_to_file(entries: &[Entry], format: ExportFormat, path: &Path) -> Result<()> {
    let mut buf = Vec::new();
    export(entries, format, &mut buf)?;
    quill_store::atomic_write(path, &buf)?;
    Ok(())
}

fn metric_column(name: &str) -> String {
    if CSV_COLUMNS.contains(&name) || name.starts_with("metric:") { format!("metric:{name}") } else { name.to_string() }
}

fn write_csv(entries: &[Entry], out: &mut dyn Write) -> Result<()> {
    let metrics: BTreeSet<&str> = entries.iter().flat_map(|e| e.metrics.keys().map(String::as_str)).collect();
    let mut w = csv::Writer::from_writer(out);
    let csv_err = |e: csv::Error| Error::Invalid(format!("writing CSV: {e}"));
    let mut header: Vec<String> = CSV_COLUMNS.iter().map(|s| s.to_string()).collect();
    header.extend(metrics.iter().map(|m| metric_column(m)));
    w.write_record(&header).map_err(csv_err)?;
    for e in entries {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut row = vec![
            e.id.to_string(),
            e.kind.to_string(),
            e.platform.to_string(),
            opt(&e.title),
            e.text.clone(),
            opt(&e.before),
            opt(&e.why),
            e.polarity.map(|p| p.to_string()).unwrap_or_default(),
            opt(&e.replacement),
            opt(&e.date),
            e.rating.map(|r| r.to_string()).unwrap_or_default(),
            e.tags.join(", "),
            opt(&e.source),
            opt(&e.notes),
            opt(&e.external_id),
            if e.extra.is_empty() { String::new() } else { serde_json::to_string(&e.extra)? },
            e.created_at.clone(),
            e.updated_at.clone(),
            opt(&e.deleted_at),
        ];
        row.extend(metrics.iter().map(|m| e.metrics.get(*m).map(|v| v.to_string()).unwrap_or_default()));
        w.write_record(&row).map_err(csv_err)?;
    }
    w.flush().map_err(|e| Error::io("writing", "export", e))
}

/// Front matter for one entry: every non-empty field except the text, in a stable order.
#[derive(Serialize)]
struct FrontMatter<'a> {
    id: i64,
    kind: &'a str,
    platform: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<u8>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    metrics: &'a std::collections::BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    polarity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replacement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    extra: &'a serde_json::Map<String, serde_json::Value>,
    created_at: &'a str,
    updated_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<&'a str>,
}

/// One entry as Markdown: `---`, YAML front matter with every non-empty field, `---`, the text.
/// This is what `edit --editor` opens; [`crate::entry_from_markdown`] reads it back.
pub fn entry_to_markdown(e: &Entry) -> Result<String> {
    let fm = FrontMatter {
        id: e.id,
        kind: e.kind.as_str(),
        platform: e.platform.as_str(),
        title: e.title.as_deref(),
        date: e.date.as_deref(),
        rating: e.rating,
        tags: &e.tags,
        metrics: &e.metrics,
        before: e.before.as_deref(),
        why: e.why.as_deref(),
        polarity: e.polarity.map(|p| p.as_str()),
        replacement: e.replacement.as_deref(),
        source: e.source.as_deref(),
        notes: e.notes.as_deref(),
        external_id: e.external_id.as_deref(),
        extra: &e.extra,
        created_at: &e.created_at,
        updated_at: &e.updated_at,
        deleted_at: e.deleted_at.as_deref(),
    };
    let yaml = serde_yaml::to_string(&fm).map_err(|err| Error::Invalid(format!("writing front matter: {err}")))?;
    Ok(format!("---\n{yaml}---\n\n{}\n", e.text))
}
