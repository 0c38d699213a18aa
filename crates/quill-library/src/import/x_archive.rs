//! The X/Twitter archive's `data/tweets.js` (older archives: `tweet.js`).
//!
//! The file is JavaScript: `window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]`. Counts are
//! strings, `created_at` is `Wed Mar 06 14:22:10 +0000 2024`, and `full_text` has HTML entities
//! (`&amp;`) and t.co links. Replies are imported and marked (`extra.is_reply`, tag `reply`);
//! retweets are someone else's words, so they are skipped (with a note) unless
//! `include_retweets` asks for them.

use serde_json::{Map, Value, json};

use super::jsonl::array_with_lines;
use super::{Ctx, Item, Record};
use crate::entry::{normalize_date, parse_metric_value};
use crate::store::Keep;
use crate::{Kind, NewEntry, Platform};

/// Decodes the HTML entities X writes into `full_text` (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&#39;`, numeric forms).
pub(crate) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // Entities are short; look for the `;` within the next 12 characters only.
        let Some(end) = rest.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            n if n.starts_with("#x") || n.starts_with("#X") => {
                u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)
            }
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn str_field<'a>(t: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    t.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// t.co links → the URLs they stand for; media links (the picture itself) removed.
fn expand_links(text: &str, t: &Map<String, Value>) -> String {
    let mut text = text.to_string();
    let entities = t.get("entities");
    for u in entities.and_then(|e| e.get("urls")).and_then(Value::as_array).into_iter().flatten() {
        if let (Some(short), Some(long)) =
            (u.get("url").and_then(Value::as_str), u.get("expanded_url").and_then(Value::as_str))
        {
            text = text.replace(short, long);
        }
    }
    let media = t.get("extended_entities").or(entities).and_then(|e| e.get("media")).and_then(Value::as_array);
    for m in media.into_iter().flatten() {
        if let Some(short) = m.get("url").and_then(Value::as_str) {
            text = text.replace(short, "");
        }
    }
    text.trim().to_string()
}

fn tweet(v: &Value, line: usize, ctx: &Ctx<'_>) -> Item {
    let Some(t) = v.get("tweet").unwrap_or(v).as_object() else {
        return ctx.bad(line, "expected {\"tweet\": {...}}");
    };
    let Some(full) = str_field(t, "full_text").or_else(|| str_field(t, "text")) else {
        return ctx.bad_field(line, "full_text", "missing");
    };
    let id = str_field(t, "id_str")
        .map(str::to_string)
        .or_else(|| t.get("id").map(|v| v.to_string().trim_matches('"').to_string()));
    let text = decode_entities(&expand_links(full, t));
    let retweet = full.starts_with("RT @") || t.get("retweeted").and_then(Value::as_bool).unwrap_or(false);
    if retweet && !ctx.opts.include_retweets {
        return ctx.note(
            line,
            format!("retweet {} skipped (pass --include-retweets to import retweets)", id.as_deref().unwrap_or("?")),
        );
    }
    let mut e = NewEntry::new(Kind::Post, Platform::X, text);
    if let Some(c) = str_field(t, "created_at") {
        match normalize_date(c) {
            Ok(d) => e.date = Some(d),
            Err(err) => return ctx.bad_field(line, "created_at", err.to_string()),
        }
    }
    for (key, metric) in [
        ("favorite_count", "likes"),
        ("retweet_count", "reposts"),
        ("reply_count", "replies"),
        ("quote_count", "quotes"),
    ] {
        let Some(v) = t.get(key) else { continue };
        let parsed = match v {
            Value::String(s) => parse_metric_value(s).map_err(|x| x.to_string()),
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number")),
            other => Err(format!("{other} is not a number")),
        };
        match parsed {
            Ok(x) => {
                e.metrics.insert(metric.into(), x);
            }
            Err(m) => return ctx.bad_field(line, key, m),
        }
    }
    if let Some(id) = &id {
        e.external_id = Some(id.clone());
        e.extra.insert("url".into(), json!(format!("https://x.com/i/web/status/{id}")));
    }
    if let Some(reply_to) = str_field(t, "in_reply_to_status_id_str") {
        e.extra.insert("is_reply".into(), json!(true));
        e.extra.insert("reply_to".into(), json!(reply_to));
        if let Some(user) = str_field(t, "in_reply_to_screen_name") {
            e.extra.insert("reply_to_user".into(), json!(user));
        }
        e.tags.push("reply".into());
    }
    if retweet {
        e.extra.insert("is_retweet".into(), json!(true));
        e.tags.push("retweet".into());
    }
    let hashtags: Vec<Value> = t
        .get("entities")
        .and_then(|x| x.get("hashtags"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.get("text").cloned())
        .collect();
    if !hashtags.is_empty() {
        e.extra.insert("hashtags".into(), Value::Array(hashtags));
    }
    Item::Record(Box::new(Record {
        line,
        kind: Some(Kind::Post),
        platform: Some(Platform::X),
        entry: e,
        keep: Keep::default(),
    }))
}

pub(crate) fn parse(text: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    // Everything before the first `[` is the `window.YTD.tweets.part0 =` assignment.
    let Some(start) = text.find('[') else {
        return vec![ctx.bad(1, "not an X archive: expected `window.YTD.tweets.part0 = [ ... ]`")];
    };
    let prefix = text[..start].trim();
    let assignment = prefix.starts_with("window.YTD.") && prefix.ends_with('=');
    if !prefix.is_empty() && !assignment {
        return vec![ctx.bad(
            1,
            format!(
                "not an X archive: unexpected `{}` before the tweet list",
                super::super::entry::preview(prefix, 40)
            ),
        )];
    }
    let body = text[start..].trim_end().trim_end_matches(';');
    // Lines inside `body` count from the line where `[` is.
    let offset = text[..start].matches('\n').count();
    match array_with_lines(body) {
        Err((l, m)) => vec![ctx.bad(l + offset, m)],
        Ok(items) => {
            let out: Vec<Item> = items.iter().map(|(l, v)| tweet(v, l + offset, ctx)).collect();
            if out.is_empty() { vec![ctx.note(None, "the archive holds no tweets")] } else { out }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;3 &#8217; &#x1F600; & c &bogus;"),
            "a & b <3 \u{2019} 😀 & c &bogus;"
        );
    }
}
