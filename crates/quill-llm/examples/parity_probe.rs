//! Prints logit deltas vs llama.cpp's reference for the fixed prompt (developer tool).
use quill_llm::gguf::GgufFile;
use quill_llm::{KvType, Logits, Model, ModelOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = std::env::args().nth(1).ok_or("usage: parity_probe MODEL REFDIR")?;
    let refdir = std::path::PathBuf::from(std::env::args().nth(2).ok_or("usage: parity_probe MODEL REFDIR")?);
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(refdir.join("fixed_prompt_ref.json"))?)?;
    let ids: Vec<u32> =
        r["prompt_ids"].as_array().ok_or("ids")?.iter().filter_map(|x| x.as_u64()).map(|x| x as u32).collect();
    let want: Vec<f32> = std::fs::read(refdir.join("fixed_prompt_logits.f32"))?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let f = GgufFile::open(&model)?;
    for kv in [KvType::F16, KvType::F32] {
        let mut m = Model::load(&f, &ModelOptions { kv_type: kv, ..Default::default() })?;
        let got = m.forward(&ids, Logits::Last)?;
        if let Ok(dir) = std::env::var("PROBE_DUMP") {
            let bytes: Vec<u8> = got.iter().flat_map(|x| x.to_le_bytes()).collect();
            std::fs::write(format!("{dir}/ours_{kv:?}.f32"), bytes)?;
        }
        let mut idx: Vec<usize> = (0..want.len()).collect();
        idx.sort_by(|&a, &b| want[b].total_cmp(&want[a]));
        let d: Vec<f32> = got.iter().zip(&want).map(|(a, b)| a - b).collect();
        let mean = d.iter().map(|x| x.abs()).sum::<f32>() / d.len() as f32;
        let bias = d.iter().sum::<f32>() / d.len() as f32;
        println!(
            "{kv:?}: mean|Δ| {mean:.4} mean Δ {bias:.4} max|Δ| {:.4}",
            d.iter().map(|x| x.abs()).fold(0.0, f32::max)
        );
        for &i in &idx[..10] {
            println!("  id {i:6} ref {:8.4} ours {:8.4} Δ {:+.4}", want[i], got[i], d[i]);
        }
    }
    if std::env::var("PROBE_F32").is_ok() {
        // Same model with every matrix dequantized to F32: the "exact" quantized-model forward.
        let m = Model::load(&f, &ModelOptions { kv_type: KvType::F32, ..Default::default() })?;
        let w = m.weights().as_ref().clone();
        let to_f32 = |q: &quill_kernels::QMatrix| -> quill_kernels::QMatrix {
            let v = q.dequantize_all();
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            quill_kernels::QMatrix::new(quill_kernels::GgmlType::F32, q.rows(), q.cols(), &b).unwrap()
        };
        let mut w2 = w.clone();
        w2.token_embd = to_f32(&w.token_embd);
        for l in &mut w2.layers {
            for q in [&mut l.wq, &mut l.wk, &mut l.wv, &mut l.wo, &mut l.w_gate, &mut l.w_up, &mut l.w_down] {
                *q = to_f32(q);
            }
        }
        let mut m2 = Model::from_weights(
            std::sync::Arc::new(w2),
            m.pool().clone(),
            &ModelOptions { kv_type: KvType::F32, ..Default::default() },
        )?;
        let got = m2.forward(&ids, Logits::Last)?;
        let bytes: Vec<u8> = got.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write("/tmp/ours_exact.f32", bytes)?;
    }
    Ok(())
}
