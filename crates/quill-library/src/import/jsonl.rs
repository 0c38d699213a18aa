//! JSONL: one object per line — our export shape, or anything with a `text` (or `body`,
//! `content`) key. A JSON array of such objects is accepted too, with line numbers per object.

use serde_json::Value;
use serde_json::value::RawValue;

use super::fields::from_map;
use super::{Ctx, Item};

/// For folder imports: does the first record look like a library entry?
pub(crate) fn looks_like_entries(text: &str) -> bool {
    let t = text.trim_start();
    let first = if t.starts_with('[') {
        serde_json::from_str::<Vec<Value>>(t).ok().and_then(|v| v.into_iter().next())
    } else {
        t.lines().next().and_then(|l| serde_json::from_str::<Value>(l).ok())
    };
    first
        .and_then(|v| v.as_object().map(|o| o.keys().any(|k| super::fields::field_for(k) == Some("text"))))
        .unwrap_or(false)
}

fn record(v: Value, line: usize, ctx: &Ctx<'_>) -> Item {
    match v {
        Value::Object(map) => match from_map(map, None, line) {
            Ok(r) => Item::Record(Box::new(r)),
            Err((f, m)) => ctx.bad_field(line, &f, m),
        },
        other => ctx.bad(line, format!("expected a JSON object with a `text` field, found {}", kind_of(&other))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Parses a JSON array, returning each element with the line it starts on.
pub(crate) fn array_with_lines(text: &str) -> Result<Vec<(usize, Value)>, (usize, String)> {
    let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| (e.line(), format!("invalid JSON: {e}")))?;
    let base = text.as_ptr() as usize;
    raws.into_iter()
        .map(|raw| {
            let line = line_at(text, (raw.get().as_ptr() as usize).saturating_sub(base));
            serde_json::from_str(raw.get()).map(|v| (line, v)).map_err(|e| (line, format!("invalid JSON: {e}")))
        })
        .collect()
}

pub(crate) fn parse(text: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    if text.trim_start().starts_with('[') {
        return match array_with_lines(text) {
            Ok(items) => items.into_iter().map(|(l, v)| record(v, l, ctx)).collect(),
            Err((l, m)) => vec![ctx.bad(l, m)],
        };
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => out.push(record(v, i + 1, ctx)),
            Err(e) => out.push(ctx.bad(i + 1, format!("invalid JSON at column {}: {e}", e.column()))),
        }
    }
    if out.is_empty() {
        out.push(ctx.bad(None, "has no records"));
    }
    out
}
