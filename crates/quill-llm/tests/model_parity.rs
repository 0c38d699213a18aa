//! Logits, greedy continuation and perplexity against llama.cpp (../shared/reference/smollm2/).
//! Tolerances are the ones measured between three independent implementations (README there).
mod common;

use quill_llm::gguf::GgufFile;
use quill_llm::{Logits, Model, ModelOptions};

fn model(opts: &ModelOptions) -> Model {
    let f = GgufFile::open(common::model_path()).expect("open model");
    Model::load(&f, opts).expect("load model")
}

fn reference_logits() -> Vec<f32> {
    let p = common::reference_dir().join("smollm2/fixed_prompt_logits.f32");
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(b.len(), 49152 * 4);
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn argmax(v: &[f32]) -> usize {
    v.iter().enumerate().fold(0, |b, (i, &x)| if x > v[b] { i } else { b })
}

fn top_k(v: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
    idx.truncate(k);
    idx
}

#[test]
fn fixed_prompt_logits_match_llama_cpp() {
    let r = common::reference_json("fixed_prompt_ref.json");
    let ids = common::ids(&r["prompt_ids"]);
    let want = reference_logits();
    let mut m = model(&ModelOptions::default());
    let got = m.forward(&ids, Logits::Last).unwrap();
    assert_eq!(got.len(), want.len());

    assert_eq!(argmax(&got), argmax(&want), "top-1 differs");
    let (tg, tw) = (top_k(&got, 10), top_k(&want, 10));
    let overlap = tw.iter().filter(|i| tg.contains(i)).count();
    let top_delta = tw.iter().map(|&i| (got[i] - want[i]).abs()).fold(0.0f32, f32::max);
    let diffs: Vec<f32> = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).collect();
    let max = diffs.iter().cloned().fold(0.0f32, f32::max);
    let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
    eprintln!("top10 overlap {overlap}/10, max |Δ| on top-10 {top_delta:.4}, max |Δ| {max:.4}, mean |Δ| {mean:.4}");
    assert!(overlap >= 8, "top-10 overlap {overlap}");
    assert!(top_delta <= 0.25, "top-10 |Δlogit| {top_delta}");
    assert!(max <= 1.0, "max |Δlogit| {max}");
    assert!(mean <= 0.3, "mean |Δlogit| {mean}");
}

/// The first 7 greedy tokens, checked two ways. Teacher-forced: at every step our argmax must
/// be llama.cpp's token, except where llama.cpp's own top-2 margin is inside the logit
/// tolerance (0.25); there the reference token's logit must be within 0.25 of our best. Step 2
/// of this prompt is such a near-tie (margin 0.006): llama.cpp itself picks a different third
/// token with flash attention, an F32 cache or one-token batches
/// (tests/data/llama_cpp_greedy_margins.json). Free-running: the first 7 generated tokens
/// equal llama.cpp's.
#[test]
fn greedy_prefix_matches_llama_cpp() {
    let r = common::reference_json("fixed_prompt_ref.json");
    let ids = common::ids(&r["prompt_ids"]);
    let want = common::ids(&r["greedy32_ids"]);
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/llama_cpp_greedy_margins.json");
    let margins: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let steps = margins["steps"].as_array().unwrap();
    let mut m = model(&ModelOptions::default());
    let mut seq = ids.clone();
    seq.extend_from_slice(&want[..7]);
    let logits = m.forward(&seq, Logits::All).unwrap();
    let nv = m.config().n_vocab;
    for k in 0..7 {
        let row = &logits[(ids.len() - 1 + k) * nv..(ids.len() + k) * nv];
        let margin = steps[k]["margin"].as_f64().unwrap() as f32;
        let (best, reference) = (argmax(row), want[k] as usize);
        if margin >= 0.25 {
            assert_eq!(best, reference, "greedy step {k}: llama.cpp margin {margin}");
        } else {
            let gap = row[best] - row[reference];
            assert!(gap <= 0.25, "near-tie step {k}: ours picks {best}, reference {reference} is {gap} below");
        }
    }
    // Free-running greedy decoding: the first 7 tokens equal llama.cpp's (the bar; the
    // near-tie at step 2 happens to resolve the same way, and the forward pass is
    // bit-identical on every x86-64 CPU, so this does not depend on the machine).
    let mut m = model(&ModelOptions::default());
    let mut logits = m.forward(&ids, Logits::Last).unwrap();
    let mut got = Vec::new();
    for _ in 0..32 {
        let t = argmax(&logits) as u32;
        got.push(t);
        logits = m.forward(&[t], Logits::Last).unwrap();
    }
    let same = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
    eprintln!("greedy: {same} of {} tokens equal llama.cpp's", want.len());
    assert!(same >= 7, "free-running greedy diverges at token {same}: {got:?}");
}

#[test]
fn perplexity_matches_llama_cpp() {
    let r = common::reference_json("perplexity_ref.json");
    let ids = common::ids(&r["token_ids"]);
    assert_eq!(ids.len(), 512);
    let want = r["perplexity"].as_f64().unwrap();
    let mut m = model(&ModelOptions { n_ctx: Some(512), ..Default::default() });
    let logits = m.forward(&ids, Logits::All).unwrap();
    let nv = m.config().n_vocab;
    // mean NLL of tokens 2..512 given their prefix (llama.cpp's protocol: token i predicted by
    // the logits at position i-1, for i = 1..511, i.e. the 2nd through 512th token).
    let mut nll = 0.0f64;
    let mut count = 0;
    for i in 1..ids.len() {
        let row = &logits[(i - 1) * nv..i * nv];
        let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
        let lse = row.iter().map(|&x| ((x as f64) - max).exp()).sum::<f64>().ln() + max;
        nll += lse - row[ids[i] as usize] as f64;
        count += 1;
    }
    let ppl = (nll / count as f64).exp();
    eprintln!("perplexity {ppl:.3} (llama.cpp {want:.3})");
    assert!(((ppl - want) / want).abs() <= 0.02, "perplexity {ppl} vs {want}");
}

#[test]
fn batched_prompt_equals_token_by_token() {
    let r = common::reference_json("fixed_prompt_ref.json");
    let ids = common::ids(&r["prompt_ids"]);
    for kv_type in [quill_llm::KvType::F16, quill_llm::KvType::F32] {
        let mut a = model(&ModelOptions { kv_type, ..Default::default() });
        let batched = a.forward(&ids, Logits::All).unwrap();
        let mut b = model(&ModelOptions { kv_type, n_batch: 7, ..Default::default() });
        let mut last = Vec::new();
        for &t in &ids {
            last = b.forward(&[t], Logits::Last).unwrap();
        }
        // chunked prompt (n_batch 7): crosses the small-batch and block attention paths
        let mut c = model(&ModelOptions { kv_type, n_batch: 7, ..Default::default() });
        let chunked = c.forward(&ids, Logits::Last).unwrap();
        let nv = a.config().n_vocab;
        let tail = &batched[(ids.len() - 1) * nv..];
        // Every token is computed with the same operation shapes whether it comes in a batch
        // or alone, so prompt batching and prompt-cache reuse give identical logits.
        let diff = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        let (d_seq, d_chunk) = (diff(tail, &last), diff(tail, &chunked));
        assert!(d_seq < 1e-4 && d_chunk < 1e-4, "{kv_type:?}: batched vs sequential {d_seq}, chunked {d_chunk}");
        assert_eq!(argmax(tail), argmax(&chunked));
        assert_eq!(argmax(tail), argmax(&last));
    }
}
