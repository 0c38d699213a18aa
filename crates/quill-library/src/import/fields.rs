//! Turning a key/value record (a JSONL object, YAML front matter, a mapped CSV row) into a
//! [`Record`], with one set of rules and one set of error messages for every format.
//!
//! Values are accepted loosely (numbers written as strings, tags as a list or a comma string)
//! because creators' files come from spreadsheets and hand edits; anything that cannot be read
//! is reported with the field name.

use serde_json::{Map, Value};

use super::Record;
use crate::entry::{normalize_metric_name, parse_metric_value, parse_rating};
use crate::store::Keep;
use crate::{Kind, NewEntry, Platform, Polarity};

/// Canonical metric names with the header spellings that map to them.
pub(crate) const METRIC_SYNONYMS: &[(&str, &[&str])] = &[
    ("likes", &["likes", "reactions", "favorites", "favourites", "favoritecount", "likecount", "hearts"]),
    ("comments", &["comments", "commentcount"]),
    ("replies", &["replies", "replycount"]),
    ("reposts", &["reposts", "retweets", "retweetcount", "reshares", "repostcount"]),
    ("shares", &["shares", "sharecount"]),
    ("quotes", &["quotes", "quotecount"]),
    ("saves", &["saves", "savecount"]),
    ("bookmarks", &["bookmarks", "bookmarkcount"]),
    ("clicks", &["clicks", "linkclicks", "clickcount"]),
    ("impressions", &["impressions", "impressioncount"]),
    ("views", &["views", "viewcount", "videoviews"]),
    ("opens", &["opens", "opencount"]),
    ("reach", &["reach"]),
    ("leads", &["leads"]),
    ("sales", &["sales"]),
    ("revenue", &["revenue"]),
    ("signups", &["signups"]),
    ("subscribers", &["subscribers", "newsubscribers"]),
    ("followers", &["followers", "newfollowers", "follows"]),
    ("unsubscribes", &["unsubscribes"]),
    ("profile_visits", &["profilevisits", "profileviews"]),
    ("engagements", &["engagements"]),
];

/// Our fields with the header spellings that map to them (compared after [`squash`]).
pub(crate) const FIELD_SYNONYMS: &[(&str, &[&str])] = &[
    ("id", &["id"]),
    ("kind", &["kind", "type", "contenttype", "entrytype"]),
    ("platform", &["platform", "channel", "network", "socialnetwork"]),
    ("title", &["title", "subject", "headline", "subjectline"]),
    (
        "text",
        &[
            "text",
            "body",
            "content",
            "post",
            "posttext",
            "copy",
            "sharecommentary",
            "commentary",
            "fulltext",
            "tweet",
            "message",
            "caption",
            "after",
            "phrase",
        ],
    ),
    ("before", &["before", "original", "draft", "beforetext"]),
    ("why", &["why", "reason", "rationale", "explanation"]),
    ("polarity", &["polarity"]),
    ("replacement", &["replacement", "useinstead", "instead", "preferred", "alternative", "suggestion"]),
    (
        "date",
        &["date", "published", "publishedat", "publishdate", "posted", "postedat", "sentat", "senton", "datetime"],
    ),
    ("rating", &["rating", "stars", "myrating"]),
    ("tags", &["tags", "tag", "labels", "topics"]),
    ("source", &["source", "url", "link", "permalink", "sharelink", "posturl"]),
    ("notes", &["notes", "note", "remarks"]),
    ("external_id", &["externalid", "postid", "tweetid", "urn"]),
    ("extra", &["extra"]),
    ("created_at", &["createdat"]),
    ("updated_at", &["updatedat"]),
    ("deleted_at", &["deletedat"]),
    ("metrics", &["metrics"]),
];

/// Lowercase letters and digits only: `Share Commentary`, `share_commentary` → `sharecommentary`.
pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The field a header (or front-matter key) means, if any.
pub(crate) fn field_for(header: &str) -> Option<&'static str> {
    let s = squash(header);
    FIELD_SYNONYMS.iter().find(|(_, names)| names.contains(&s.as_str())).map(|(f, _)| *f)
}

/// The canonical metric a header means, if it is a known metric spelling.
pub(crate) fn metric_for(header: &str) -> Option<&'static str> {
    let s = squash(header);
    METRIC_SYNONYMS.iter().find(|(_, names)| names.contains(&s.as_str())).map(|(m, _)| *m)
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn as_metric(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => {
            n.as_f64().filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| format!("{n} is not a number ≥ 0"))
        }
        Value::String(s) => parse_metric_value(s).map_err(|e| e.to_string()),
        other => Err(format!("{other} is not a number")),
    }
}

/// A field error: (field, message).
pub(crate) type FieldError = (String, String);

fn err(field: &str, msg: impl Into<String>) -> FieldError {
    (field.to_string(), msg.into())
}

/// Builds a record from key/value pairs. Keys are matched through [`field_for`]; `metric:NAME`
/// keys and known metric spellings become metrics; anything else goes to `extra` unchanged.
/// A `body` (Markdown) is the text unless a text key is present too.
pub(crate) fn from_map(map: Map<String, Value>, body: Option<String>, line: usize) -> Result<Record, FieldError> {
    let mut e = NewEntry::default();
    let mut kind = None;
    let mut platform = None;
    let mut keep = Keep::default();
    let mut text: Option<String> = None;
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        if let Some(m) = key.strip_prefix("metric:").or_else(|| key.strip_prefix("metrics.")) {
            let name = normalize_metric_name(m).map_err(|x| err(&key, x.to_string()))?;
            e.metrics.insert(name, as_metric(&value).map_err(|x| err(&key, x))?);
            continue;
        }
        let Some(field) = field_for(&key) else {
            if let Some(m) = metric_for(&key) {
                e.metrics.insert(m.to_string(), as_metric(&value).map_err(|x| err(&key, x))?);
            } else {
                e.extra.insert(key, value);
            }
            continue;
        };
        let s = as_string(&value).unwrap_or_default();
        match field {
            "id" => match value.as_i64().or_else(|| s.trim().parse().ok()) {
                Some(id) => keep.id = Some(id),
                None => {
                    e.extra.insert(key, value);
                }
            },
            "kind" => kind = Some(s.parse::<Kind>().map_err(|x| err(&key, x.to_string()))?),
            "platform" => platform = Some(s.parse::<Platform>().map_err(|x| err(&key, x.to_string()))?),
            "polarity" => e.polarity = Some(s.parse::<Polarity>().map_err(|x| err(&key, x.to_string()))?),
            "title" => e.title = Some(s),
            "text" if text.is_none() => text = Some(s),
            "text" => {
                e.extra.insert(key, value);
            }
            "before" => e.before = Some(s),
            "why" => e.why = Some(s),
            "replacement" => e.replacement = Some(s),
            "date" => e.date = Some(s),
            "rating" => {
                if !s.trim().is_empty() {
                    e.rating = Some(parse_rating(&s).map_err(|x| err(&key, x.to_string()))?);
                }
            }
            "tags" => match &value {
                Value::Array(items) => e.tags.extend(items.iter().filter_map(as_string)),
                _ => e.tags.push(s),
            },
            "source" => e.source = Some(s),
            "notes" => e.notes = Some(s),
            "external_id" => e.external_id = Some(s),
            "extra" => match value {
                Value::Object(m) => e.extra.extend(m),
                Value::String(ref js) if js.trim().is_empty() => {}
                Value::String(js) => match serde_json::from_str::<Value>(&js) {
                    Ok(Value::Object(m)) => e.extra.extend(m),
                    _ => return Err(err(&key, "must be a JSON object")),
                },
                _ => return Err(err(&key, "must be a JSON object")),
            },
            "metrics" => match value {
                Value::Object(m) => {
                    for (k, v) in m {
                        if v.is_null() {
                            continue;
                        }
                        let name = normalize_metric_name(&k).map_err(|x| err(&key, x.to_string()))?;
                        let val = as_metric(&v).map_err(|x| err(&format!("metrics.{k}"), x))?;
                        e.metrics.insert(name, val);
                    }
                }
                _ => return Err(err(&key, "must be a mapping of metric name to number")),
            },
            "created_at" => keep.created_at = Some(s),
            "updated_at" => keep.updated_at = Some(s),
            "deleted_at" => keep.deleted_at = Some(s).filter(|s| !s.trim().is_empty()),
            _ => {
                e.extra.insert(key, value);
            }
        }
    }
    let body = body.filter(|b| !b.trim().is_empty());
    e.text = match (text, body) {
        (Some(t), None) => t,
        (None, Some(b)) => b,
        (None, None) => String::new(),
        (Some(t), Some(b)) if t.trim() == b.trim() => t,
        (Some(_), Some(_)) => {
            return Err(err("text", "given both as `text:` and as the body; keep one"));
        }
    };
    for ts in [&keep.created_at, &keep.updated_at, &keep.deleted_at].into_iter().flatten() {
        if chrono::DateTime::parse_from_rfc3339(ts).is_err() {
            return Err(err("created_at", format!("timestamp `{ts}` is not RFC 3339")));
        }
    }
    Ok(Record { line, kind, platform, entry: e, keep })
}
