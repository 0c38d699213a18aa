//! Finding the files to import and deciding what each one is.
//!
//! Folders are walked recursively in name order (hidden entries and `.quillignore` matches
//! left out); each file's format comes from its name, extension and first bytes; and in auto
//! mode a file found inside a folder must look like library material — brand documents and
//! transcripts that live next to the library belong in the knowledge base instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{Format, ImportOptions, Skipped, csv, jsonl, markdown};
use crate::Problem;

pub(super) struct Candidate {
    pub path: PathBuf,
    pub display: String,
    /// Named on the command line (imported whatever its shape) rather than found in a folder.
    pub explicit: bool,
}

pub(super) fn collect(paths: &[PathBuf], skipped: &mut Vec<Skipped>, bad: &mut Vec<Problem>) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        let display = p.display().to_string();
        match std::fs::metadata(p) {
            Err(e) => bad.push(Problem::new(display, None, format!("cannot read: {e}"))),
            Ok(m) if m.is_dir() => walk(p, &display, &mut Vec::new(), &mut out, skipped, &mut seen, bad),
            Ok(_) => {
                if seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())) {
                    out.push(Candidate { path: p.clone(), display, explicit: true });
                }
            }
        }
    }
    out
}

/// `.quillignore` patterns in force while walking: (folder they are relative to, patterns).
type Ignores = Vec<(PathBuf, Vec<String>)>;

/// Reads `dir/.quillignore`: one pattern per line, `#` comments; `name`, `*.txt`, `heldout/`
/// (folders only) or `docs/drafts` (relative to the file's folder). Lets a creator keep held-out
/// posts, drafts or negative examples next to the library without them being imported.
fn read_ignore(dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let text = std::fs::read_to_string(dir.join(".quillignore")).ok()?;
    let pats: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect();
    Some((dir.to_path_buf(), pats))
}

fn wildcard(pat: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pat.chars().collect(), s.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn ignored(ignores: &Ignores, path: &Path, is_dir: bool) -> bool {
    ignores.iter().any(|(base, pats)| {
        let Ok(rel) = path.strip_prefix(base) else {
            return false;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        pats.iter().any(|p| {
            let (p, dir_only) = match p.strip_suffix('/') {
                Some(p) => (p, true),
                None => (p.as_str(), false),
            };
            if dir_only && !is_dir {
                return false;
            }
            let p = p.trim_start_matches('/');
            if p.contains('/') { wildcard(p, &rel) } else { wildcard(p, &name) }
        })
    })
}

fn walk(
    dir: &Path,
    display: &str,
    ignores: &mut Ignores,
    out: &mut Vec<Candidate>,
    skipped: &mut Vec<Skipped>,
    seen: &mut HashSet<PathBuf>,
    bad: &mut Vec<Problem>,
) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            bad.push(Problem::new(display, None, format!("cannot list folder: {e}")));
            return;
        }
    };
    let pushed = match read_ignore(dir) {
        Some(ig) => {
            ignores.push(ig);
            true
        }
        None => false,
    };
    let mut children: Vec<(String, PathBuf)> =
        rd.filter_map(|d| d.ok()).map(|d| (d.file_name().to_string_lossy().into_owned(), d.path())).collect();
    children.sort();
    for (name, path) in children {
        if name.starts_with('.') {
            continue; // .quill, .git, .quillignore, editor swap files
        }
        let shown = format!("{}/{name}", display.trim_end_matches('/'));
        // symlink_metadata: do not follow links to folders (a loop would never end).
        let is_dir = std::fs::symlink_metadata(&path).map(|m| m.is_dir()).unwrap_or(false);
        if ignored(ignores, &path, is_dir) {
            skipped.push(Skipped { path: shown, reason: "listed in .quillignore".into() });
            continue;
        }
        if is_dir {
            walk(&path, &shown, ignores, out, skipped, seen, bad);
        } else if path.is_file() && seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())) {
            out.push(Candidate { path, display: shown, explicit: false });
        }
    }
    if pushed {
        ignores.pop();
    }
}

pub(super) fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

/// The format of a file from its name, extension and first bytes; `Err(reason)` if none fits.
pub(super) fn detect(path: &Path, text: &str) -> std::result::Result<Format, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let head = text.trim_start();
    let ext = extension(path);
    if ext == "js" {
        let stem = name.trim_end_matches(".js");
        let tweets =
            stem == "tweets" || stem == "tweet" || stem.starts_with("tweets-part") || stem.starts_with("tweet-part");
        if tweets || head.starts_with("window.YTD.tweets.") || head.starts_with("window.YTD.tweet.") {
            return Ok(Format::X);
        }
        return Err("JavaScript that is not an X archive tweets.js".into());
    }
    if ext == "csv" || ext == "tsv" {
        let first = head.lines().next().unwrap_or("").to_ascii_lowercase();
        if name == "shares.csv" || first.contains("sharecommentary") {
            return Ok(Format::Linkedin);
        }
        return Ok(Format::Csv);
    }
    for f in [Format::Md, Format::Txt, Format::Jsonl, Format::Html] {
        if f.extensions().contains(&ext.as_str()) {
            return Ok(f);
        }
    }
    Err(if ext.is_empty() {
        "no file extension to tell its format".into()
    } else {
        format!("`.{ext}` is not a format Quill imports")
    })
}

/// For files found inside a folder in auto mode: is this library material, or a document?
/// Brand documents, transcripts and notes live next to the library in real folders and belong in
/// the knowledge base, not in few-shot examples.
pub(super) fn library_shaped(format: Format, text: &str, opts: &ImportOptions) -> std::result::Result<(), String> {
    match format {
        Format::X | Format::Linkedin => Ok(()),
        Format::Md => {
            if markdown::has_entry_front_matter(text) {
                Ok(())
            } else {
                Err("Markdown without `kind:` or `platform:` front matter looks like a document, not a library entry (name the file to import it anyway; brand documents belong in `quill kb`)".into())
            }
        }
        Format::Csv => csv::has_text_column(text, opts)
            .map_err(|h| format!("CSV without a text column (headers: {h}); pass --map text=COLUMN and name the file")),
        Format::Jsonl => {
            if jsonl::looks_like_entries(text) {
                Ok(())
            } else {
                Err("JSON that is not library entries (no `text` field)".into())
            }
        }
        Format::Txt | Format::Html => Err(format!(
            "{} inside a folder is treated as a document, not library entries (name the file to import it)",
            if format == Format::Txt { "plain text" } else { "HTML" }
        )),
        Format::Auto => Err("unknown format".into()),
    }
}

pub(super) fn read_text(c: &Candidate) -> std::result::Result<String, Problem> {
    let bytes = std::fs::read(&c.path).map_err(|e| Problem::new(&c.display, None, format!("cannot read: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s).replace("\r\n", "\n")),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Err(Problem::new(&c.display, Some(line), "is not UTF-8 text; save it as UTF-8 and import again"))
        }
    }
}
