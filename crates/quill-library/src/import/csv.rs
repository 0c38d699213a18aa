//! CSV/TSV with a header row.
//!
//! Columns map to fields by `--map` first, then by common header names (`Body`, `Reactions`,
//! `Published At`…); a column of numbers with an unknown header becomes a metric, anything else
//! goes to `extra`, so no data in the file is dropped.
//!
//! The `csv` crate silently swallows the rest of a file after an unterminated quote, which would
//! turn one typo into one giant post. [`read_table`] therefore scans quoting itself first, reports
//! `file:line: column: unterminated quote`, and carries on at the next line.

use serde_json::{Map, Value};

use super::fields::{self, from_map};
use super::{Ctx, Item};
use crate::ImportOptions;
use crate::entry::parse_metric_value;

/// A parsed table.
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Structural problems: (line, column name, message).
    pub problems: Vec<(usize, Option<String>, String)>,
}

/// One data row.
pub(crate) struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let (tabs, commas, semis) = (first.matches('\t').count(), first.matches(',').count(), first.matches(';').count());
    if tabs > commas && tabs > semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// A quoting error: the record's first line and byte, the column index, where parsing resumes
/// (the line after the one on which the bad quote opened), and what is wrong.
struct BadQuote {
    record_line: usize,
    record_byte: usize,
    column: usize,
    resume_byte: usize,
    resume_line: usize,
    message: String,
}

/// Finds the first quoting error. Two shapes: a quote that never closes (end of file inside a
/// field), and a quote that "closes" with text right after it — usually an unterminated quote
/// that ran on until the next row's opening quote, which the `csv` crate would silently turn
/// into one giant field.
fn scan_quotes(text: &str, delim: u8) -> Option<BadQuote> {
    let b = text.as_bytes();
    let (mut line, mut column, mut field_start, mut in_quotes) = (1usize, 0usize, true, false);
    let (mut record_line, mut record_byte) = (1usize, 0usize);
    let mut quote = (0usize, 0usize, 0usize); // (line, column, byte) of the open quote
    let bad = |quote: (usize, usize, usize), record_line, record_byte, message: String| {
        let resume_byte = text[quote.2..].find('\n').map(|o| quote.2 + o + 1).unwrap_or(text.len());
        Some(BadQuote { record_line, record_byte, column: quote.1, resume_byte, resume_line: quote.0 + 1, message })
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_quotes {
            if c == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                    if let Some(&next) = b.get(i + 1)
                        && next != delim
                        && next != b'\n'
                        && next != b'\r'
                    {
                        {
                            let message = if line > quote.0 {
                                format!(
                                    "unterminated quote (the field opened with `\"` runs on into line {line}; close it, and write a quote inside it as `\"\"`)"
                                )
                            } else {
                                "stray quote: text follows the closing `\"` (write a quote inside a quoted field as `\"\"`)".to_string()
                            };
                            return bad(quote, record_line, record_byte, message);
                        }
                    }
                }
            } else if c == b'\n' {
                line += 1;
            }
        } else if c == b'"' && field_start {
            in_quotes = true;
            quote = (line, column, i);
            field_start = false;
        } else if c == delim {
            column += 1;
            field_start = true;
        } else if c == b'\n' {
            line += 1;
            column = 0;
            field_start = true;
            record_line = line;
            record_byte = i + 1;
        } else if c != b'\r' {
            field_start = false;
        }
        i += 1;
    }
    if !in_quotes {
        return None;
    }
    let message =
        "unterminated quote (a field opens with `\"` that never closes; write a quote inside a quoted field as `\"\"`)"
            .to_string();
    bad(quote, record_line, record_byte, message)
}

/// Reads a delimited table, reporting structural problems by line instead of failing whole.
pub(crate) fn read_table(text: &str) -> Table {
    let delim = delimiter(text);
    let mut t = Table { headers: Vec::new(), rows: Vec::new(), problems: Vec::new() };
    let (mut offset, mut line_base, mut header_done) = (0usize, 0usize, false);
    loop {
        let seg = &text[offset..];
        let bad = scan_quotes(seg, delim);
        let good = match &bad {
            Some(u) => &seg[..u.record_byte],
            None => seg,
        };
        let mut rdr =
            ::csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(good.as_bytes());
        for rec in rdr.records() {
            match rec {
                Ok(r) => {
                    let line = line_base + r.position().map(|p| p.line() as usize).unwrap_or(1);
                    let cells: Vec<String> = r.iter().map(str::to_string).collect();
                    if !header_done {
                        t.headers = cells.iter().map(|h| h.trim().to_string()).collect();
                        header_done = true;
                    } else if cells.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    } else if cells.len() != t.headers.len() {
                        t.problems.push((
                            line,
                            None,
                            format!(
                                "expected {} fields (as in the header), found {}; text containing `{}` must be wrapped in double quotes",
                                t.headers.len(),
                                cells.len(),
                                delim as char
                            ),
                        ));
                    } else {
                        t.rows.push(Row { line, cells });
                    }
                }
                Err(e) => {
                    let line = line_base + e.position().map(|p| p.line() as usize).unwrap_or(1);
                    t.problems.push((line, None, e.to_string()));
                }
            }
        }
        let Some(u) = bad else { break };
        let column = t.headers.get(u.column).cloned().or_else(|| (!header_done).then(|| "header".to_string()));
        t.problems.push((line_base + u.record_line, column, u.message));
        if !header_done {
            break; // without a header nothing else can be read
        }
        offset += u.resume_byte;
        line_base += u.resume_line - 1;
        if offset >= text.len() {
            break;
        }
    }
    t
}

/// How each column is read: `Some(key)` for [`from_map`], or `None` to drop (a second column for
/// the same field goes to `extra` under its header instead).
fn column_keys(headers: &[String], rows: &[Row], opts: &ImportOptions) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mapped =
                opts.map.iter().find(|(_, theirs)| theirs.trim().eq_ignore_ascii_case(h.trim())).map(|(ours, _)| {
                    if fields::FIELD_SYNONYMS.iter().any(|(f, _)| f == ours) || ours.starts_with("metric:") {
                        ours.clone()
                    } else {
                        format!("metric:{}", fields::metric_for(ours).unwrap_or(ours))
                    }
                });
            // A header the user mapped away from its usual meaning is not auto-mapped.
            let claimed_by_map = |field: &str| opts.map.iter().any(|(ours, _)| ours == field);
            let key = mapped.or_else(|| {
                if let Some(f) = fields::field_for(h).filter(|f| !claimed_by_map(f)) {
                    return Some(f.to_string());
                }
                if let Some(m) = fields::metric_for(h) {
                    return Some(format!("metric:{m}"));
                }
                if h.starts_with("metric:") {
                    return Some(h.clone());
                }
                let numeric = rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .filter(|c| !c.trim().is_empty())
                    .all(|c| parse_metric_value(c).is_ok());
                let any = rows.iter().filter_map(|r| r.cells.get(i)).any(|c| !c.trim().is_empty());
                (numeric && any && !h.trim().is_empty()).then(|| format!("metric:{h}"))
            });
            match key {
                Some(k) if used.insert(k.clone()) => k,
                _ => h.clone(),
            }
        })
        .collect()
}

/// For folder imports: `Ok` if some column will be read as the text, else `Err(headers)`.
pub(crate) fn has_text_column(text: &str, opts: &ImportOptions) -> Result<(), String> {
    let first: String = text.lines().take(1).collect();
    let t = read_table(&first);
    let keys = column_keys(&t.headers, &[], opts);
    if keys.iter().any(|k| k == "text") { Ok(()) } else { Err(t.headers.join(", ")) }
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
    if t.headers.is_empty() {
        if out.is_empty() {
            out.push(ctx.bad(None, "is empty (a CSV needs a header row)"));
        }
        return out;
    }
    let keys = column_keys(&t.headers, &t.rows, ctx.opts);
    if !keys.iter().any(|k| k == "text") {
        out.push(
            ctx.bad(1, format!("no column holds the text (headers: {}); pass --map text=COLUMN", t.headers.join(", "))),
        );
        return out;
    }
    for row in t.rows {
        let mut map = Map::new();
        for (k, cell) in keys.iter().zip(&row.cells) {
            if !cell.trim().is_empty() {
                map.insert(k.clone(), Value::String(cell.clone()));
            }
        }
        // Report the header the user knows, not our internal key.
        let header_of = |key: &str| {
            keys.iter()
                .position(|k| k == key)
                .and_then(|i| t.headers.get(i).cloned())
                .unwrap_or_else(|| key.to_string())
        };
        match from_map(map, None, row.line) {
            Ok(r) => out.push(Item::Record(Box::new(r))),
            Err((field, msg)) => out.push(ctx.bad_field(row.line, &header_of(&field), msg)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unterminated_quote_is_located_and_parsing_resumes() {
        let text = "a,b\n1,\"ok\"\n2,\"broken\n3,fine\n";
        let t = read_table(text);
        assert_eq!(t.problems.len(), 1, "{:?}", t.problems);
        assert_eq!(t.problems[0].0, 3);
        assert_eq!(t.problems[0].1.as_deref(), Some("b"));
        let lines: Vec<usize> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn multiline_quoted_fields_keep_their_line() {
        let t = read_table("a,b\n1,\"x\ny\"\n2,z\n");
        assert!(t.problems.is_empty());
        assert_eq!(t.rows[0].cells[1], "x\ny");
        assert_eq!(t.rows[1].line, 4);
    }

    #[test]
    fn wrong_field_count_is_a_problem() {
        let t = read_table("a,b\n1,2,3\n4,5\n");
        assert_eq!(t.problems[0].0, 2);
        assert_eq!(t.rows.len(), 1);
    }
}
