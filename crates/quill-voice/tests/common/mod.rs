//! Loads the sample creator and the other authors from `examples/` for the measurement tests.
#![allow(dead_code)]

pub mod inflate;

use std::path::{Path, PathBuf};

use quill_voice::text::split_front_matter;

/// One post with the metadata the tests need.
#[derive(Debug, Clone)]
pub struct Post {
    pub path: PathBuf,
    pub date: String,
    pub rating: Option<u8>,
    pub body: String,
}

pub fn examples_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    assert!(
        p.is_dir(),
        "examples/ is missing at {}: the measurement tests read the sample creator and authors from it",
        p.display()
    );
    p
}

fn field<'a>(fm: &'a str, key: &str) -> Option<&'a str> {
    fm.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().trim_matches('"')))
}

/// Every `*.md` post in a folder, oldest first.
pub fn load_dir(dir: &Path) -> Vec<Post> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in rd {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let (fm, body) = split_front_matter(&text);
        let fm = fm.unwrap_or("");
        out.push(Post {
            date: field(fm, "date").unwrap_or("").to_string(),
            rating: field(fm, "rating").and_then(|r| r.parse().ok()),
            body: body.trim().to_string(),
            path,
        });
    }
    out.sort_by(|a, b| (a.date.as_str(), &a.path).cmp(&(b.date.as_str(), &b.path)));
    out
}

/// `(name, posts)` for every author in `examples/authors`, sorted by name.
pub fn authors() -> Vec<(String, Vec<Post>)> {
    let root = examples_dir().join("authors");
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let posts = load_dir(&root.join(&n));
            (n, posts)
        })
        .collect()
}

/// The sample creator's published library posts (LinkedIn and newsletter), oldest first.
pub fn creator_library() -> Vec<Post> {
    let lib = examples_dir().join("creator/library");
    let mut v = load_dir(&lib.join("linkedin"));
    v.extend(load_dir(&lib.join("newsletter")));
    v.sort_by(|a, b| a.date.cmp(&b.date));
    v
}

pub fn creator_heldout() -> Vec<Post> {
    load_dir(&examples_dir().join("creator/heldout"))
}

pub fn creator_generic() -> Vec<Post> {
    load_dir(&examples_dir().join("creator/generic"))
}

/// Top-1 attribution accuracy per signal: the combined score and each component alone.
#[derive(Default, Debug)]
pub struct Tally {
    pub n: usize,
    pub hits: std::collections::BTreeMap<&'static str, usize>,
    pub misses: Vec<String>,
    /// (true author, whether the combined score picked them), per text.
    pub outcomes: Vec<(usize, bool)>,
}

/// The signals a tally reports, in table order.
pub const SIGNALS: &[&str] = &["combined", "char_ngrams", "words", "function_words", "style", "signature"];

impl Tally {
    /// Records one text: `scores[i]` is its score against profile `i`; `truth` is its author.
    pub fn add(&mut self, truth: usize, scores: &[quill_voice::score::VoiceScore], label: &str, names: &[String]) {
        use quill_voice::score::VoiceScore;
        self.n += 1;
        let argmax = |f: &dyn Fn(&VoiceScore) -> f64| {
            (0..scores.len()).max_by(|&a, &b| f(&scores[a]).total_cmp(&f(&scores[b]))).unwrap_or(0)
        };
        let best = argmax(&|s| s.similarity);
        self.outcomes.push((truth, best == truth));
        if best == truth {
            *self.hits.entry("combined").or_default() += 1;
        } else {
            self.misses.push(format!("{label} → {}", names[best]));
        }
        for &comp in &SIGNALS[1..] {
            let pick = argmax(&|s| match comp {
                "char_ngrams" => s.similarities.char_ngrams,
                "words" => s.similarities.words.unwrap_or(f64::MIN),
                "function_words" => s.similarities.function_words.unwrap_or(f64::MIN),
                "style" => s.similarities.style,
                _ => s.similarities.signature,
            });
            if pick == truth {
                *self.hits.entry(comp).or_default() += 1;
            }
        }
    }

    pub fn accuracy(&self, what: &str) -> f64 {
        *self.hits.get(what).unwrap_or(&0) as f64 / self.n.max(1) as f64
    }

    pub fn print(&self, title: &str) {
        println!("{title}: {} texts", self.n);
        for what in SIGNALS {
            println!("  {what:>15}: {:.3}", self.accuracy(what));
        }
        self.print_misses("");
    }

    pub fn print_misses(&self, title: &str) {
        if !title.is_empty() && !self.misses.is_empty() {
            println!("{title}: {} misses", self.misses.len());
        }
        for m in &self.misses {
            println!("  miss: {m}");
        }
    }

    /// A Markdown table, one row per setting, one column per signal.
    pub fn print_table(rows: &[(&str, &Tally)]) {
        println!("| Setting | Texts | {} |", SIGNALS.join(" | "));
        println!("|---|---:|{}", "---:|".repeat(SIGNALS.len()));
        for (name, t) in rows {
            let cells: Vec<String> = SIGNALS.iter().map(|s| format!("{:.3}", t.accuracy(s))).collect();
            println!("| {name} | {} | {} |", t.n, cells.join(" | "));
        }
    }
}
