//! Building the sample creator's library (examples/creator) into every format: deterministic,
//! leak-free briefs, disjoint splits stored in the workspace, and a verdict with reasons.

use std::path::{Path, PathBuf};

use quill_dataset::build::{self, Options, Source, Weighting};
use quill_dataset::text::{shared_ngrams, words};
use quill_dataset::validate::{self, verdict::Level};
use quill_dataset::{Format, formats};
use quill_store::Workspace;

fn creator_library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/creator/library")
}

fn workspace(dir: &Path) -> Workspace {
    let ws = Workspace::init(dir, Some("Maya Okafor")).unwrap();
    let mut db = ws.open_db().unwrap();
    quill_library::import(&mut db, &[creator_library()], &quill_library::ImportOptions::default(), &mut |_, _| {})
        .unwrap();
    ws
}

fn opts(out: &Path) -> Options {
    Options { formats: Format::ALL.to_vec(), out: out.to_path_buf(), ..Options::default() }
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for f in ["openai", "sharegpt", "alpaca", "completion"] {
        for s in ["train", "validation", "test"] {
            let p = dir.join(f).join(format!("{s}.jsonl"));
            out.push((format!("{f}/{s}"), std::fs::read(&p).unwrap()));
        }
    }
    out.push(("manifest".into(), std::fs::read(dir.join("manifest.json")).unwrap()));
    out
}

#[test]
fn sample_library_builds_into_every_format_deterministically() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(&tmp.path().join("ws"));
    let r = build::build(Some(&ws), &opts(&tmp.path().join("a"))).unwrap();
    let m = &r.manifest;
    let total: usize = m.counts.examples.values().sum();
    assert!(total >= 140, "{:?}", m.counts);
    assert_eq!(m.counts.by_source["post"], 95, "{:?}", m.counts.by_source);
    assert_eq!(m.counts.by_source["rewrite"], 12);
    assert!(m.counts.examples["test"] > 0 && m.counts.examples["validation"] > 0);

    // Same seed, same library: byte-identical, also in a fresh workspace with other entry ids.
    build::build(Some(&ws), &opts(&tmp.path().join("b"))).unwrap();
    assert_eq!(read_tree(&tmp.path().join("a")), read_tree(&tmp.path().join("b")));
    let ws2 = workspace(&tmp.path().join("ws2"));
    build::build(Some(&ws2), &opts(&tmp.path().join("c"))).unwrap();
    assert_eq!(read_tree(&tmp.path().join("a")), read_tree(&tmp.path().join("c")));
    // Another seed gives another split.
    let ws3 = workspace(&tmp.path().join("ws3"));
    build::build(Some(&ws3), &Options { seed: 7, ..opts(&tmp.path().join("d")) }).unwrap();
    assert_ne!(read_tree(&tmp.path().join("a"))[2], read_tree(&tmp.path().join("d"))[2]);

    // Every file of every format reads back, with the same targets in the same order.
    for s in ["train", "validation", "test"] {
        let targets = |f: &str| -> Vec<String> {
            formats::read_file(&tmp.path().join("a").join(f).join(format!("{s}.jsonl")))
                .map(|v| v.into_iter().map(|(_, e)| e.target().to_string()).collect())
                .unwrap_or_default()
        };
        let base = targets("openai");
        for f in ["sharegpt", "alpaca", "completion"] {
            assert_eq!(targets(f), base, "{f}/{s}");
        }
    }
}

#[test]
fn no_brief_leaks_its_post_and_splits_are_disjoint_and_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(&tmp.path().join("ws"));
    let out = tmp.path().join("ds");
    build::build(Some(&ws), &Options { formats: vec![Format::Openai], out: out.clone(), ..Options::default() })
        .unwrap();
    let mut all_targets = Vec::new();
    let mut briefs = 0;
    for s in ["train", "validation", "test"] {
        for (_, ex) in formats::read_file(&out.join("openai").join(format!("{s}.jsonl"))).unwrap() {
            let user = &ex.messages.iter().find(|m| m.role == "user").unwrap().content;
            if !user.starts_with("Rewrite this in my voice.") {
                briefs += 1;
                let leaked = shared_ngrams(ex.target(), &ex.prompt_text(), 6);
                assert!(leaked.is_empty(), "{s}: brief repeats {leaked:?} of its post\n{}", ex.prompt_text());
            }
            all_targets.push((s, words(ex.target()).join(" ")));
        }
    }
    assert!(briefs >= 130, "{briefs}");
    // Disjoint: no target in two splits.
    let mut seen = std::collections::HashMap::new();
    for (s, t) in &all_targets {
        if let Some(prev) = seen.insert(t.clone(), *s) {
            assert_eq!(prev, *s, "a target is in {prev} and {s}");
        }
    }
    // The workspace holds the split; the test split is what test.jsonl holds.
    let db = ws.open_db().unwrap();
    let n_test: i64 =
        db.conn().query_row("SELECT count(*) FROM entry_splits WHERE split = 'test'", [], |r| r.get(0)).unwrap();
    let test_lines = std::fs::read_to_string(out.join("openai/test.jsonl")).unwrap().lines().count();
    assert_eq!(n_test as usize, test_lines);

    // Sticky: another seed keeps every held-out entry held out.
    let before: Vec<i64> = ids(&db, "test");
    build::build(
        Some(&ws),
        &Options { seed: 99, formats: vec![Format::Openai], out: tmp.path().join("ds2"), ..Options::default() },
    )
    .unwrap();
    let after = ids(&db, "test");
    assert!(before.iter().all(|i| after.contains(i)), "{before:?} vs {after:?}");
    // --resplit reassigns.
    build::build(
        Some(&ws),
        &Options {
            seed: 99,
            resplit: true,
            formats: vec![Format::Openai],
            out: tmp.path().join("ds3"),
            ..Options::default()
        },
    )
    .unwrap();
    assert_ne!(ids(&db, "test"), before);
}

fn ids(db: &quill_store::Db, split: &str) -> Vec<i64> {
    let mut st = db.conn().prepare("SELECT entry_id FROM entry_splits WHERE split = ?1 ORDER BY entry_id").unwrap();
    st.query_map([split], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn rating_filter_weighting_and_the_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(&tmp.path().join("ws"));
    let all = build::build(Some(&ws), &Options { out: tmp.path().join("all"), ..Options::default() }).unwrap();
    let best =
        build::build(Some(&ws), &Options { min_rating: Some(4), out: tmp.path().join("best"), ..Options::default() })
            .unwrap();
    let n = |r: &build::Report| r.manifest.counts.examples.values().sum::<usize>();
    assert!(n(&best) < n(&all), "{} vs {}", n(&best), n(&all));
    assert!(best.manifest.skipped.iter().any(|s| s.reason.contains("below --min-rating 4")));
    let rep = build::build(
        Some(&ws),
        &Options { weighting: Weighting::Repeat, out: tmp.path().join("rep"), ..Options::default() },
    )
    .unwrap();
    let train = rep.manifest.files.iter().find(|f| f.split == "train").unwrap();
    assert!(
        train.repeats > 0
            && train.lines
                > n(&all) - all.manifest.counts.examples["test"] - all.manifest.counts.examples["validation"]
    );

    // Validation inside the workspace: the sample creator's set is usable, not strong (size).
    let data = quill_dataset::validate::leakage::load_workspace(&ws.open_db().unwrap()).unwrap();
    let opts = validate::Options { workspace: Some(data.clone()), ..validate::Options::default() };
    let r = validate::validate_file(&tmp.path().join("all/openai/train.jsonl"), &opts).unwrap();
    assert_eq!(r.error_lines, 0);
    assert_eq!(r.verdict.level, Level::Usable, "{:#?}", r.verdict);
    assert_eq!(r.verdict.reasons[0].area, "size");
    assert_eq!(r.leakage.as_ref().unwrap().total(), 0);
    assert!(r.balance.as_ref().unwrap().source == "manifest");
    // With repeats, exact duplicates are intentional and do not count against the set.
    let r = validate::validate_file(&tmp.path().join("rep/openai/train.jsonl"), &opts).unwrap();
    assert!(r.duplicates.intentional_repeats && r.duplicates.exact_extra_copies > 0);
    assert_eq!(r.verdict.level, Level::Usable);

    // Leakage: a training file that contains a held-out post is caught, and the verdict says so.
    let test_text = std::fs::read_to_string(tmp.path().join("all/openai/test.jsonl")).unwrap();
    let train_text = std::fs::read_to_string(tmp.path().join("all/openai/train.jsonl")).unwrap();
    let leaky = tmp.path().join("leaky.jsonl");
    std::fs::write(&leaky, format!("{train_text}{}\n", test_text.lines().next().unwrap())).unwrap();
    let r = validate::validate_file(&leaky, &opts).unwrap();
    assert_eq!(r.leakage.as_ref().unwrap().train.leaked_examples, 1);
    assert_eq!(r.verdict.level, Level::NotYet);
}

#[test]
fn sources_without_data_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(&tmp.path().join("ws"));
    let err = build::build(
        Some(&ws),
        &Options { source: Source::Workflows, out: tmp.path().join("w"), ..Options::default() },
    )
    .unwrap_err();
    assert!(err.to_string().contains("workflow"), "{err}");
    // A file source converts between formats without a workspace.
    // A file source converts between formats without a workspace; the format is detected per line.
    let src = tmp.path().join("mixed.jsonl");
    std::fs::write(
        &src,
        concat!(
            r#"{"messages": [{"role": "user", "content": "Write a hook."}, {"role": "assistant", "content": "Boring systems win."}]}"#, "\n",
            r#"{"conversations": [{"from": "human", "value": "Name the Friday email."}, {"from": "gpt", "value": "5 lines, by 3 pm."}]}"#, "\n",
            r#"{"instruction": "Rewrite this in my voice.", "input": "Utilize synergy.", "output": "Use 1 tool."}"#, "\n",
            r#"{"prompt": "Say it plainly.", "completion": "Plainly: fewer meetings."}"#, "\n",
        ),
    )
    .unwrap();
    let r = build::build(
        None,
        &Options {
            source: Source::File(src),
            formats: vec![Format::Sharegpt, Format::Alpaca],
            out: tmp.path().join("f"),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(r.manifest.counts.examples.values().sum::<usize>(), 4);
    let lines: usize = ["train", "validation", "test"]
        .iter()
        .map(|s| std::fs::read_to_string(tmp.path().join(format!("f/alpaca/{s}.jsonl"))).unwrap().lines().count())
        .sum();
    assert_eq!(lines, 4);
    // Bad lines are listed with their numbers.
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken_format.jsonl");
    let err =
        build::build(None, &Options { source: Source::File(bad), out: tmp.path().join("g"), ..Options::default() })
            .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("line 2:") && msg.contains("line 3:"), "{msg}");
}

#[test]
fn local_model_tokenizer_counts_the_templated_conversation() {
    // Uses the real SmolLM2 GGUF; fails (with the fix in the message) when it is missing.
    let path = quill_store::default_llm_path();
    assert!(path.is_file(), "{} is missing: run scripts/fetch-models.sh", path.display());
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good_chat.jsonl");
    let local = validate::validate_file(
        &file,
        &validate::Options { encoding: validate::tokens::Encoding::Local, ..Default::default() },
    )
    .unwrap();
    let cl = validate::validate_file(&file, &validate::Options::default()).unwrap();
    assert_eq!(local.tokens.encoding, "local");
    let (l, c) = (local.tokens.total_tokens_per_example.unwrap(), cl.tokens.total_tokens_per_example.unwrap());
    assert_eq!(l.n, c.n);
    assert_ne!(l, c, "a different tokenizer and the chat template give other counts");
    // The template adds its role markers: every example has more tokens than its assistant text.
    assert!(l.min > local.tokens.assistant_tokens_per_example.unwrap().min);
}
