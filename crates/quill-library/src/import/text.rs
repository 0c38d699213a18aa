//! Plain text: one entry per blank-line-separated block.
//!
//! Posts often have several paragraphs, so when a file contains separator lines (`---`, `***`,
//! `===`, `___`, `* * *`) those separate entries instead and blank lines stay inside them.

use super::fields::from_map;
use super::{Ctx, Item};

fn is_separator(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '=')
            || t.chars().all(|c| c == '_'))
}

pub(crate) fn parse(text: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    let lines: Vec<&str> = text.lines().collect();
    let by_separator = lines.iter().any(|l| is_separator(l));
    let mut out = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    let mut start = 1usize;
    let mut flush = |block: &mut Vec<&str>, start: usize| {
        let body = block.join("\n");
        if !body.trim().is_empty() {
            // Leading blank lines inside a block move its first line down.
            let skip = block.iter().take_while(|l| l.trim().is_empty()).count();
            match from_map(serde_json::Map::new(), Some(body), start + skip) {
                Ok(r) => out.push(Item::Record(Box::new(r))),
                Err((f, m)) => out.push(ctx.bad_field(start + skip, &f, m)),
            }
        }
        block.clear();
    };
    for (i, line) in lines.iter().enumerate() {
        let end_here = if by_separator { is_separator(line) } else { line.trim().is_empty() };
        if end_here {
            flush(&mut block, start);
            start = i + 2;
        } else {
            if block.is_empty() && !by_separator {
                start = i + 1;
            }
            block.push(line);
        }
    }
    flush(&mut block, start);
    if out.is_empty() {
        out.push(ctx.bad(None, "has no text"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImportOptions;

    fn lines_and_texts(text: &str) -> Vec<(usize, String)> {
        let opts = ImportOptions::default();
        parse(text, &Ctx { file: "t.txt".into(), opts: &opts })
            .into_iter()
            .map(|i| match i {
                Item::Record(r) => (r.line, r.entry.text),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn blank_lines_separate() {
        assert_eq!(lines_and_texts("one\ncontinued\n\n\ntwo\n"), [(1, "one\ncontinued".into()), (5, "two".into())]);
    }

    #[test]
    fn separators_win_over_blank_lines() {
        let got = lines_and_texts("para 1\n\npara 2\n---\n\nnext post\n");
        assert_eq!(got, [(1, "para 1\n\npara 2".into()), (6, "\nnext post".into())]);
    }
}
