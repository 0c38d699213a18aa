//! Markdown with YAML front matter: one entry per file, or several entries one after another,
//! each a `---` front-matter block followed by its body.
//!
//! A `---` line inside a body is a horizontal rule unless what follows it up to the next `---`
//! parses as a YAML mapping of `key: value` lines, so posts may use rules freely.
//! A file without front matter is one entry (a leading `# Heading` becomes the title).

use serde_json::{Map, Value};

use super::fields::{FIELD_SYNONYMS, from_map, metric_for};
use super::{Ctx, Item};

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

fn looks_like_key(line: &str) -> bool {
    let Some((k, _)) = line.split_once(':') else {
        return false;
    };
    !k.is_empty() && !k.starts_with(' ') && k.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
}

/// If `lines[i]` opens a front-matter block, the index of its closing fence.
///
/// After the first block (`strict`), the YAML must also name one of our fields: a body may hold
/// a `---` rule followed by "Note: …" lines, which is valid YAML but not front matter.
fn block_at(lines: &[&str], i: usize, strict: bool) -> Option<usize> {
    if !is_fence(lines.get(i)?) {
        return None;
    }
    let close = (i + 1..lines.len()).find(|&j| is_fence(lines[j]) || lines[j].trim_end() == "...")?;
    let first = lines[i + 1..close].iter().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    if !looks_like_key(first) {
        return None;
    }
    if strict {
        let known = |k: &str| {
            let k = k.trim().to_ascii_lowercase();
            FIELD_SYNONYMS.iter().any(|(f, _)| *f == k) || metric_for(&k).is_some()
        };
        let ok = match parse_yaml(&lines[i + 1..close].join("\n")) {
            Ok(map) => map.keys().any(|k| known(k)),
            // Broken YAML that starts like ours is still a block, so its error is reported
            // instead of the block silently becoming part of the previous body.
            Err(_) => first.split_once(':').is_some_and(|(k, _)| known(k)),
        };
        if !ok {
            return None;
        }
    }
    Some(close)
}

fn parse_yaml(yaml: &str) -> Result<Map<String, Value>, (Option<usize>, String)> {
    let v: serde_yaml::Value =
        serde_yaml::from_str(yaml).map_err(|e| (e.location().map(|l| l.line()), e.to_string()))?;
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err((None, "front matter must be `key: value` lines".into())),
        Err(e) => Err((None, format!("front matter cannot be read: {e}"))),
    }
}

/// For folder imports: does the first block declare library fields (`kind:` or `platform:`)?
pub(crate) fn has_entry_front_matter(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return false;
    };
    let Some(close) = block_at(&lines, start, false) else {
        return false;
    };
    match parse_yaml(&lines[start + 1..close].join("\n")) {
        Ok(m) => m.keys().any(|k| matches!(k.trim().to_ascii_lowercase().as_str(), "kind" | "platform")),
        Err(_) => true, // broken front matter: import it so the error is reported, not skipped silently
    }
}

pub(crate) fn parse(text: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return vec![ctx.bad(None, "is empty")];
    };
    if !is_fence(lines[start]) {
        return vec![whole_file(&lines[start..], start + 1, ctx)];
    }
    let mut out = Vec::new();
    let mut i = start;
    while i < lines.len() {
        let Some(close) = block_at(&lines, i, i != start) else {
            // Only possible for the first fence: later ones are found by `block_at` itself.
            let unclosed =
                !lines[i + 1..].iter().any(|l| is_fence(l)) && lines.get(i + 1).is_some_and(|l| looks_like_key(l));
            if unclosed {
                out.push(ctx.bad(i + 1, "front matter opened with `---` is never closed by another `---` line"));
            } else {
                out.push(whole_file(&lines[i..], i + 1, ctx));
            }
            break;
        };
        // The body runs to the next line that opens another block.
        let mut end = close + 1;
        while end < lines.len() && block_at(&lines, end, true).is_none() {
            end += 1;
        }
        let body = lines[close + 1..end].join("\n");
        match parse_yaml(&lines[i + 1..close].join("\n")) {
            Err((l, msg)) => out.push(ctx.bad_field(l.map(|l| i + 1 + l).unwrap_or(i + 1), "front matter", msg)),
            Ok(map) => match from_map(map, Some(body), i + 1) {
                Ok(r) => out.push(Item::Record(Box::new(r))),
                Err((field, msg)) => out.push(ctx.bad_field(i + 1, &field, msg)),
            },
        }
        i = end;
    }
    out
}

fn whole_file(lines: &[&str], first_line: usize, ctx: &Ctx<'_>) -> Item {
    let mut map = Map::new();
    let mut body = lines;
    if let Some(h) = lines[0].strip_prefix("# ") {
        map.insert("title".into(), Value::String(h.trim().to_string()));
        body = &lines[1..];
    }
    let mut text = body.join("\n");
    if text.trim().is_empty() {
        text = lines.join("\n").trim_start_matches("# ").to_string();
    }
    match from_map(map, Some(text), first_line) {
        Ok(r) => Item::Record(Box::new(r)),
        Err((field, msg)) => ctx.bad_field(first_line, &field, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImportOptions;

    fn run(text: &str) -> Vec<Item> {
        let opts = ImportOptions::default();
        parse(text, &Ctx { file: "t.md".into(), opts: &opts })
    }

    #[test]
    fn several_entries_and_horizontal_rules() {
        let text = "---\nkind: hook\nrating: 5\n---\nFirst hook.\n\n---\n\nStill the first body.\n---\nkind: hook\ntags: [a, b]\n---\nSecond.\n";
        let items = run(text);
        let recs: Vec<_> = items
            .iter()
            .map(|i| match i {
                Item::Record(r) => r,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].entry.text.trim(), "First hook.\n\n---\n\nStill the first body.");
        assert_eq!(recs[1].line, 10);
        assert_eq!(recs[1].entry.tags, ["a", "b"]);
    }

    #[test]
    fn bad_yaml_names_the_line() {
        let items = run("---\nkind: post\ntitle: [unclosed\n---\nbody\n");
        match &items[0] {
            Item::Bad(p) => assert!(p.line.is_some_and(|l| (2..=4).contains(&l)), "{p}"),
            other => panic!("{other:?}"),
        }
    }
}
