//! Retrieval quality on the sample creator's documents (`examples/creator/docs`), with the
//! labelled set in `tests/fixtures/retrieval.jsonl`. Prints recall@5 / nDCG@10 / MRR@10 per mode
//! (run with `--nocapture` to see them) and checks that fusion is at least as good as either list.

mod common;

use std::path::PathBuf;

use quill_knowledge::eval::{self, LabelledQuery};
use quill_knowledge::{Knowledge, Mode, NoProgress, Settings, ingest};
use quill_store::Db;

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/creator/docs")
}

fn set() -> Vec<LabelledQuery> {
    eval::load_set(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/retrieval.jsonl")).unwrap()
}

#[test]
fn every_labelled_phrase_is_in_its_document() {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let set = set();
    assert!(set.len() >= 25, "{}", set.len());
    for q in &set {
        for r in &q.relevant {
            let text = ingest::extract_file(&docs_dir().join(&r.doc)).unwrap().text;
            assert!(norm(&text).contains(&norm(&r.phrase)), "{}: {:?} not in {}", q.query, r.phrase, r.doc);
        }
    }
}

#[test]
fn hybrid_beats_or_matches_each_retriever() {
    let tmp = tempfile::tempdir().unwrap();
    let db = Db::open(&tmp.path().join("q.db")).unwrap();
    let mut kb = Knowledge::new(db, Settings::default()).unwrap().with_embedder(common::embedder());
    let r = kb.add_paths(&[docs_dir()], &mut NoProgress).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert!(r.added.len() >= 7);
    let set = set();
    let reports: Vec<_> =
        [Mode::Bm25, Mode::Dense, Mode::Hybrid].into_iter().map(|m| eval::evaluate(&kb, &set, m).unwrap()).collect();
    for r in &reports {
        println!(
            "{:<7} recall@5 {:.3}  nDCG@10 {:.3}  MRR@10 {:.3}  ({} queries)",
            format!("{:?}", r.mode),
            r.recall_at_5,
            r.ndcg_at_10,
            r.mrr_at_10,
            r.queries
        );
    }
    let (b, d, h) = (&reports[0], &reports[1], &reports[2]);
    assert!(h.ndcg_at_10 >= b.ndcg_at_10.max(d.ndcg_at_10) - 1e-9, "{reports:?}");
    assert!(h.recall_at_5 >= b.recall_at_5.max(d.recall_at_5) - 1e-9, "{reports:?}");
}
