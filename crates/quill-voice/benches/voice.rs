//! Throughput of the voice checks: `cargo bench -p quill-voice --bench voice`.
//!
//! Lints, scores and measures the sample creator's posts (and the other authors') over and over
//! with the built-in styles, and prints posts per second for each instrument. The target is
//! thousands of posts per second for the linter on one core.

use std::path::Path;
use std::time::Instant;

use quill_voice::habits::{HabitOptions, detect_habits};
use quill_voice::lint::{LintOptions, Linter};
use quill_voice::profile::{ProfileText, build_profile};
use quill_voice::score::score;
use quill_voice::text::split_front_matter;

fn load(dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            load(&p, out);
        } else if p.extension().is_some_and(|x| x == "md")
            && let Ok(t) = std::fs::read_to_string(&p)
        {
            out.push(split_front_matter(&t).1.to_string());
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut posts = Vec::new();
    load(&root.join("creator/library/linkedin"), &mut posts);
    load(&root.join("authors"), &mut posts);
    load(&root.join("creator/generic"), &mut posts);
    if posts.is_empty() {
        eprintln!("no posts under {}", root.display());
        std::process::exit(1);
    }
    let words: usize = posts.iter().map(|p| p.split_whitespace().count()).sum();
    println!("corpus: {} posts, {:.0} words each on average", posts.len(), words as f64 / posts.len() as f64);

    let t = Instant::now();
    let linter = Linter::builtin();
    println!("compile {} built-in rules: {:.1} ms", linter.rules().len(), t.elapsed().as_secs_f64() * 1e3);
    let opts = LintOptions { platform: Some("linkedin".into()), ..Default::default() };
    let rounds = 20;
    let t = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        for p in &posts {
            found += linter.lint(p, &opts).len();
        }
    }
    let n = (rounds * posts.len()) as f64;
    println!("lint:    {:>8.0} posts/s ({found} diagnostics)", n / t.elapsed().as_secs_f64());

    let texts: Vec<ProfileText<'_>> =
        posts.iter().map(|p| ProfileText { text: p, weight: 1.0, embedding: None }).collect();
    let t = Instant::now();
    let profile = build_profile(&texts).expect("profile");
    println!("profile: {:>8.0} posts/s ({} posts)", posts.len() as f64 / t.elapsed().as_secs_f64(), posts.len());
    let t = Instant::now();
    let mut sum = 0.0;
    for _ in 0..rounds {
        for p in &posts {
            sum += score(&profile, p, None).score;
        }
    }
    println!("score:   {:>8.0} posts/s (mean {:.1})", n / t.elapsed().as_secs_f64(), sum / n);
    let refs: Vec<&str> = posts.iter().map(String::as_str).collect();
    let t = Instant::now();
    let r = detect_habits(&refs, &refs[..refs.len() / 4], &HabitOptions::default());
    println!(
        "habits:  {:>8.0} posts/s ({} flagged)",
        posts.len() as f64 * 1.25 / t.elapsed().as_secs_f64(),
        r.habits.len()
    );
}
