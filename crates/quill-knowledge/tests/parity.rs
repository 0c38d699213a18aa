//! all-MiniLM-L6-v2 in candle against sentence-transformers' own vectors
//! (`../shared/reference/minilm/embeddings_ref.json`).

mod common;

use quill_knowledge::vector::dot;

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    first8: Vec<f32>,
    norm: f32,
}

#[derive(serde::Deserialize)]
struct Reference {
    dim: usize,
    cases: Vec<Case>,
    cosine_0_1: f32,
}

fn reference() -> Reference {
    let path = quill_store::reference_dir().join("minilm/embeddings_ref.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set QUILL_REFERENCE to the shared reference folder)", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt())
}

#[test]
fn matches_sentence_transformers() {
    let r = reference();
    let e = common::shared();
    assert_eq!(e.dim(), r.dim);
    assert_eq!(e.max_len(), 256, "max_seq_length from sentence_bert_config.json");
    let texts: Vec<&str> = r.cases.iter().map(|c| c.text.as_str()).collect();
    // Batched together (padded to the longest), as indexing does.
    let got = e.embed(&texts, 32, &mut |_| {}).unwrap();
    for (c, v) in r.cases.iter().zip(&got) {
        assert_eq!(v.len(), r.dim);
        let norm = dot(v, v).sqrt();
        assert!((norm - c.norm).abs() < 1e-5, "{}: norm {norm}", c.text);
        for (i, (a, b)) in v.iter().zip(&c.first8).enumerate() {
            assert!((a - b).abs() < 1e-4, "{}: dim {i}: {a} vs {b}", c.text);
        }
        let cos = cosine(&v[..8], &c.first8);
        assert!(cos >= 0.999, "{}: cosine {cos}", c.text);
    }
    let c01 = dot(&got[0], &got[1]);
    assert!((c01 - r.cosine_0_1).abs() < 1e-4, "cosine(0,1) {c01} vs {}", r.cosine_0_1);
}

#[test]
fn batching_and_padding_do_not_change_vectors() {
    let e = common::shared();
    let texts = [
        "Short.",
        "A somewhat longer sentence about pricing, refunds and the onboarding call for new clients.",
        "Medium length text about newsletters.",
    ];
    let batched = e.embed(&texts, 3, &mut |_| {}).unwrap();
    for (t, b) in texts.iter().zip(&batched) {
        let alone = e.embed_one(t).unwrap();
        let cos = dot(&alone, b);
        assert!(cos > 0.99999, "{t}: {cos}");
        let max = alone.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(max < 1e-5, "{t}: max diff {max}");
    }
}

#[test]
fn long_input_is_truncated_not_rejected() {
    let e = common::shared();
    let long = "word ".repeat(2000);
    let v = e.embed_one(&long).unwrap();
    assert!((dot(&v, &v).sqrt() - 1.0).abs() < 1e-5);
    // Truncation at 256 tokens: everything past it is ignored.
    let longer = format!("{long} completely different ending about volcanoes");
    let w = e.embed_one(&longer).unwrap();
    assert!(dot(&v, &w) > 0.99999);
}

#[test]
fn fast_encoder_agrees_with_candle_bert_model() {
    let candle = quill_knowledge::Embedder::load_with(&common::model_dir(), quill_knowledge::Backend::Candle).unwrap();
    let fast = common::shared();
    let texts = [
        "The bakery on Maple Street now sells sourdough on Saturdays.",
        "Refunds are available within 14 days of purchase, no questions asked.",
        "🚀 Launch day!",
        "word",
    ];
    let a = candle.embed(&texts, 4, &mut |_| {}).unwrap();
    let b = fast.embed(&texts, 4, &mut |_| {}).unwrap();
    for ((t, x), y) in texts.iter().zip(&a).zip(&b) {
        let max = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        assert!(max < 2e-5, "{t}: max diff {max}");
    }
}
