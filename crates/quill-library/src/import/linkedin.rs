//! LinkedIn's data export `Shares.csv`: `Date, ShareLink, ShareCommentary, SharedUrl, MediaUrl,
//! Visibility`. Commentary spans lines inside quotes; a share without commentary is a bare
//! reshare of someone else's post, so it is skipped with a note rather than imported empty.

use serde_json::json;

use super::csv::read_table;
use super::{Ctx, Item, Record};
use crate::entry::normalize_date;
use crate::store::Keep;
use crate::{Kind, NewEntry, Platform};

/// `https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A123/` → `urn:li:share:123`.
fn urn_from_link(link: &str) -> Option<String> {
    let decoded = percent_decode(link);
    let start = decoded.find("urn:li:")?;
    let urn: String = decoded[start..].chars().take_while(|c| !matches!(c, '/' | '?' | '#' | ' ')).collect();
    Some(urn)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// LinkedIn writes hashtags in some exports as `{hashtag|\#|leadership}`.
fn decode_hashtags(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("{hashtag|") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "{hashtag|".len()..];
        match after.find('}') {
            Some(end) => {
                let inner = &after[..end];
                let word = inner.rsplit('|').next().unwrap_or(inner);
                out.push('#');
                out.push_str(word);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn parse(text: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    let t = read_table(text);
    let mut out: Vec<Item> = t
        .problems
        .iter()
        .map(|(l, f, m)| match f {
            Some(f) => ctx.bad_field(*l, f, m.clone()),
            None => ctx.bad(*l, m.clone()),
        })
        .collect();
    let col = |name: &str| t.headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(commentary) = col("ShareCommentary") else {
        out.push(ctx.bad(
            1,
            format!(
                "not a LinkedIn Shares.csv: no ShareCommentary column (headers: {}); use --format csv",
                t.headers.join(", ")
            ),
        ));
        return out;
    };
    let (date, link, shared, media, vis) =
        (col("Date"), col("ShareLink"), col("SharedUrl"), col("MediaUrl"), col("Visibility"));
    for row in &t.rows {
        let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty());
        let Some(body) = cell(Some(commentary)) else {
            out.push(ctx.note(row.line, "share without commentary (a bare reshare) skipped"));
            continue;
        };
        let mut e = NewEntry::new(Kind::Post, Platform::Linkedin, decode_hashtags(body));
        if let Some(d) = cell(date) {
            match normalize_date(d) {
                Ok(d) => e.date = Some(d),
                Err(err) => {
                    out.push(ctx.bad_field(row.line, "Date", err.to_string()));
                    continue;
                }
            }
        }
        if let Some(l) = cell(link) {
            e.extra.insert("url".into(), json!(l));
            e.external_id = urn_from_link(l);
        }
        for (key, i) in [("shared_url", shared), ("media_url", media), ("visibility", vis)] {
            if let Some(v) = cell(i) {
                e.extra.insert(key.into(), json!(v));
            }
        }
        out.push(Item::Record(Box::new(Record {
            line: row.line,
            kind: Some(Kind::Post),
            platform: Some(Platform::Linkedin),
            entry: e,
            keep: Keep::default(),
        })));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_and_hashtags() {
        assert_eq!(
            urn_from_link("https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A7012345678901234567/").as_deref(),
            Some("urn:li:share:7012345678901234567")
        );
        assert_eq!(decode_hashtags("Ship it {hashtag|\\#|ops} now"), "Ship it #ops now");
    }
}
