//! The voice score as a measurement on real authors: 19 novelists of the 19th century (public
//! domain, `tests/data/novels/`) and the sample creator, 20 authors, ~150-word passages.
//!
//! Every author's profile is built with [`build_profile`] from 60 passages (~8,900 words) spread
//! over the first half of their first novel in the corpus (the creator: her 53 library posts,
//! ~13,700 words) — the same call `quill voice profile` makes. Then every test passage is scored
//! with [`score`] — what `quill voice score` runs — against all 20 profiles and attributed to the
//! profile with the highest `similarity`:
//! - **time split**: 16 passages per novelist from the last 30% of the same novel (the creator:
//!   her 2025 held-out posts);
//! - **topic change**: for the 8 novelists with two or more novels, 16 passages from their
//!   *other* novels (new story, characters and setting), against the same profiles.
//!
//! Each component is also scored alone (top-1 by that raw similarity) to show what carries the
//! combined score. Nothing here was tuned on the test passages: the component weights come from
//! cross-validation within the training texts (the ignored test at the end of this file). The
//! figures printed here are the ones in `docs/benchmarks/voice.md`; the data and how it was cut
//! are described in `tests/data/novels/README.md`.

mod common;

use common::{Tally, authors, creator_heldout, creator_library};
use quill_voice::profile::{Profile, ProfileText, Sims, build_profile, weight_for};
use quill_voice::score::{VoiceScore, score};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Passage {
    author: String,
    split: String,
    source: String,
    at: f64,
    text: String,
}

fn passages() -> Vec<Passage> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/novels/passages.jsonl.gz");
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let data = String::from_utf8(common::inflate::gunzip(&gz)).expect("UTF-8 passages");
    data.lines().map(|l| serde_json::from_str(l).expect("a passage per line")).collect()
}

struct Bench {
    names: Vec<String>,
    profiles: Vec<Profile>,
    /// (true author, label, text)
    time: Vec<(usize, String, String)>,
    topic: Vec<(usize, String, String)>,
}

fn bench() -> Bench {
    let all = passages();
    let mut names: Vec<String> = Vec::new();
    for p in &all {
        if !names.contains(&p.author) {
            names.push(p.author.clone());
        }
    }
    let mut profiles = Vec::new();
    let (mut time, mut topic) = (Vec::new(), Vec::new());
    for (a, name) in names.iter().enumerate() {
        let train: Vec<ProfileText<'_>> = all
            .iter()
            .filter(|p| &p.author == name && p.split == "train")
            .map(|p| ProfileText { text: &p.text, weight: 1.0, embedding: None })
            .collect();
        profiles.push(build_profile(&train).expect("profile builds"));
        for p in all.iter().filter(|p| &p.author == name) {
            let label = format!("{name}/{}@{:.2}", p.source, p.at);
            match p.split.as_str() {
                "test" => time.push((a, label, p.text.clone())),
                "topic" => topic.push((a, label, p.text.clone())),
                _ => {}
            }
        }
    }
    // The sample creator: her library builds the profile, her 2025 posts are the time split.
    let lib = creator_library();
    let texts: Vec<ProfileText<'_>> = lib
        .iter()
        .map(|p| ProfileText { text: &p.body, weight: weight_for(p.rating, None), embedding: None })
        .collect();
    profiles.push(build_profile(&texts).expect("creator profile"));
    names.push("creator".into());
    let c = names.len() - 1;
    for p in creator_heldout() {
        let label = format!("creator/{}", p.path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default());
        time.push((c, label, p.body));
    }
    Bench { names, profiles, time, topic }
}

fn run(b: &Bench, set: &[(usize, String, String)]) -> Tally {
    let mut tally = Tally::default();
    for (truth, label, text) in set {
        let scores: Vec<VoiceScore> = b.profiles.iter().map(|p| score(p, text, None)).collect();
        tally.add(*truth, &scores, label, &b.names);
    }
    tally
}

#[test]
fn attribution_twenty_authors_time_split_and_topic_change() {
    let t0 = std::time::Instant::now();
    let b = bench();
    assert_eq!(b.names.len(), 20, "19 novelists and the creator");
    let time = run(&b, &b.time);
    let topic = run(&b, &b.topic);
    println!("20 authors, ~150-word passages; profiles from 60 early passages (creator: her library)");
    Tally::print_table(&[
        (&format!("time split ({} texts)", time.n), &time),
        (&format!("topic change ({} texts)", topic.n), &topic),
    ]);
    for (title, t) in [("time split", &time), ("topic change", &topic)] {
        let per: Vec<String> = (0..b.names.len())
            .filter_map(|a| {
                let n = t.outcomes.iter().filter(|o| o.0 == a).count();
                let hits = t.outcomes.iter().filter(|o| o.0 == a && o.1).count();
                (n > 0).then(|| format!("{} {hits}/{n}", b.names[a]))
            })
            .collect();
        println!("{title}, per author: {}", per.join(", "));
    }
    time.print_misses("time split");
    topic.print_misses("topic change");
    println!("elapsed {:.1} s", t0.elapsed().as_secs_f64());

    // The bars actually reached (docs/benchmarks/voice.md): the target for the time
    // split is 0.85; this score reaches 0.845 (262/310) and 0.383 (49/128) after a change of
    // topic. On the same texts a supervised linear SVM trained on all 20 authors at once reaches
    // 0.877 / 0.367 and a TF-IDF centroid 0.787 / 0.297. The asserts leave a few texts of slack
    // so that a harmless change in tokenisation does not fail them.
    let (tc, kc) = (time.accuracy("combined"), topic.accuracy("combined"));
    assert!(tc >= 0.835, "time split top-1 {tc:.3} < 0.835");
    assert!(
        time.accuracy("combined") >= time.accuracy("char_ngrams"),
        "the combination must not lose to its best part"
    );
    // A change of topic costs every signal dearly; the score must stay well above the
    // function-word profile (the classic topic-robust baseline) there.
    let fw = topic.accuracy("function_words");
    assert!(kc >= 0.37 && kc >= 2.0 * fw, "topic change top-1 {kc:.3} (function words alone {fw:.3})");
    // The creator's own held-out posts are hers.
    let c = b.names.len() - 1;
    assert!(
        time.outcomes.iter().filter(|o| o.0 == c).all(|o| o.1),
        "a held-out post of the creator was attributed elsewhere"
    );
}

/// The components, as the combined similarity names them.
const COMPONENTS: [&str; 5] = ["char_ngrams", "words", "function_words", "style", "signature"];

fn component(s: &Sims, c: &str) -> Option<f64> {
    match c {
        "char_ngrams" => Some(s.char_ngrams),
        "words" => s.words,
        "function_words" => s.function_words,
        "style" => Some(s.style),
        _ => Some(s.signature),
    }
}

/// Cross-validation rows: for each held-out training text, each component's similarity to every
/// candidate profile of its benchmark (centred across the candidates), and the true author.
struct CvRows {
    x: Vec<Vec<[f64; 5]>>,
    truth: Vec<usize>,
    group: Vec<usize>,
}

/// 5-fold cross-validation within each author's training texts (contiguous blocks, oldest
/// first); adds the rows to `rows` under `group`.
fn cross_validate(train: &[Vec<(String, f64)>], group: usize, rows: &mut CvRows) {
    let k = 5;
    for fold in 0..k {
        let mut profiles = Vec::new();
        let mut held: Vec<(usize, &str)> = Vec::new();
        for (a, texts) in train.iter().enumerate() {
            let (lo, hi) = (fold * texts.len() / k, (fold + 1) * texts.len() / k);
            let rest: Vec<ProfileText<'_>> = texts[..lo]
                .iter()
                .chain(&texts[hi..])
                .map(|(t, w)| ProfileText { text: t, weight: *w, embedding: None })
                .collect();
            profiles.push(build_profile(&rest).expect("fold profile"));
            held.extend(texts[lo..hi].iter().map(|(t, _)| (a, t.as_str())));
        }
        for (a, t) in held {
            let sims: Vec<Sims> = profiles.iter().map(|p| score(p, t, None).similarities).collect();
            let mut row = vec![[0.0; 5]; sims.len()];
            for (c, name) in COMPONENTS.iter().enumerate() {
                let v: Vec<Option<f64>> = sims.iter().map(|s| component(s, name)).collect();
                let present: Vec<f64> = v.iter().flatten().copied().collect();
                let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
                for (r, vi) in row.iter_mut().zip(&v) {
                    r[c] = vi.map_or(0.0, |x| x - mean);
                }
            }
            rows.x.push(row);
            rows.truth.push(a);
            rows.group.push(group);
        }
    }
}

/// How the component weights and scales in `quill_voice::profile` were chosen, on training
/// texts only, in both regimes the score must hold up in:
/// - **novels**: the 19 novelists' 60 training passages and the creator's library (20 authors);
/// - **posts**: the creator's library and the first 8 posts of each of the 8 authors in
///   `examples/authors` (the training part of `tests/attribution.rs`; 9 authors).
///
/// Each is cross-validated 5-fold within each author's training texts. For every held-out text,
/// each component's similarity to all the fold profiles is centred across the profiles; a
/// component's *scale* is the pooled spread of those centred values, and the weights are those
/// of a conditional-logit model (softmax over the candidate profiles, weights non-negative)
/// fitted to pick the true author, with the two regimes counting equally. Prints what is needed
/// to reproduce the constants (about 20 s in debug):
/// `cargo test -p quill-voice --test attribution_novels -- --ignored --nocapture`.
#[test]
#[ignore = "prints the cross-validated fit of the score's weights; run with --ignored --nocapture"]
fn component_weights_by_cross_validation_on_training_texts() {
    let all = passages();
    let mut names: Vec<String> = Vec::new();
    for p in &all {
        if !names.contains(&p.author) {
            names.push(p.author.clone());
        }
    }
    let creator: Vec<(String, f64)> =
        creator_library().into_iter().map(|p| (p.body, weight_for(p.rating, None))).collect();
    let mut novels: Vec<Vec<(String, f64)>> = names
        .iter()
        .map(|n| all.iter().filter(|p| &p.author == n && p.split == "train").map(|p| (p.text.clone(), 1.0)).collect())
        .collect();
    novels.push(creator.clone());
    let mut posts: Vec<Vec<(String, f64)>> = vec![creator];
    for (_, p) in authors() {
        posts.push(p.into_iter().take(8).map(|p| (p.body, weight_for(p.rating, None))).collect());
    }
    let mut rows = CvRows { x: Vec::new(), truth: Vec::new(), group: Vec::new() };
    cross_validate(&novels, 0, &mut rows);
    cross_validate(&posts, 1, &mut rows);
    let CvRows { mut x, truth, group } = rows;
    let count = [group.iter().filter(|&&g| g == 0).count() as f64, group.iter().filter(|&&g| g == 1).count() as f64];
    let mut scale = [0.0; 5];
    for (c, s) in scale.iter_mut().enumerate() {
        let cells: usize = x.iter().map(Vec::len).sum();
        let ss: f64 = x.iter().flat_map(|r| r.iter().map(move |p| p[c] * p[c])).sum();
        *s = (ss / cells as f64).sqrt().max(1e-12);
    }
    for r in &mut x {
        for p in r.iter_mut() {
            for c in 0..5 {
                p[c] /= scale[c];
            }
        }
    }
    let top1 = |w: &[f64; 5], g: usize| {
        let hits = x
            .iter()
            .zip(&truth)
            .zip(&group)
            .filter(|((r, t), gi)| {
                let s: Vec<f64> = r.iter().map(|p| (0..5).map(|c| w[c] * p[c]).sum()).collect();
                **gi == g && (0..s.len()).max_by(|&a, &b| s[a].total_cmp(&s[b])) == Some(**t)
            })
            .count();
        hits as f64 / count[g]
    };
    println!("held-out training texts: {} novels (20 authors), {} posts (9 authors)", count[0], count[1]);
    println!("{:>15}  {:>6}  {:>6}  {:>7}", "component", "novels", "posts", "scale");
    for (c, name) in COMPONENTS.iter().enumerate() {
        let mut w = [0.0; 5];
        w[c] = 1.0;
        println!("{name:>15}  {:>6.3}  {:>6.3}  {:>7.4}", top1(&w, 0), top1(&w, 1), scale[c]);
    }
    // Conditional logit by projected gradient ascent; each regime's mean log-likelihood counts
    // equally.
    let mut w = [1.0, 0.0, 0.0, 0.0, 0.0];
    let mut ll = [0.0; 2];
    for _ in 0..4000 {
        let mut grad = [0.0; 5];
        ll = [0.0; 2];
        for ((r, &t), &g) in x.iter().zip(&truth).zip(&group) {
            let s: Vec<f64> = r.iter().map(|p| (0..5).map(|c| w[c] * p[c]).sum()).collect();
            let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = s.iter().map(|v| (v - m).exp()).sum();
            ll[g] += (s[t] - m - z.ln()) / count[g];
            for c in 0..5 {
                let expect: f64 = r.iter().zip(&s).map(|(p, v)| p[c] * (v - m).exp() / z).sum();
                grad[c] += (r[t][c] - expect) / count[g];
            }
        }
        for c in 0..5 {
            w[c] = (w[c] + 0.5 * (grad[c] / 2.0 - 1e-3 * w[c])).max(0.0);
        }
    }
    let w0 = w[0].max(1e-12);
    println!(
        "conditional logit: top-1 novels {:.3}, posts {:.3} (mean log-likelihood {:.3}, {:.3})",
        top1(&w, 0),
        top1(&w, 1),
        ll[0],
        ll[1]
    );
    for (c, name) in COMPONENTS.iter().enumerate() {
        println!("{name:>15}  weight {:.3} (relative to char_ngrams)", w[c] / w0);
    }
}
