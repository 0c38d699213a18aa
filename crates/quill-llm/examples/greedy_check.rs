//! Compares greedy decoding through `Model` and through `Engine` (developer check).
use quill_llm::gguf::GgufFile;
use quill_llm::{Engine, GenerateParams, Logits, Model, ModelOptions, SamplingParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: greedy_check MODEL")?;
    let ids: Vec<u32> = vec![
        1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407, 19712, 8182, 2,
        198, 1, 4093, 198, 19161, 253, 1890, 28, 614, 15727, 1329, 2902, 1681, 34769, 338, 653, 32339, 1209, 26064,
        12152, 38731, 335, 334, 3821, 13680, 30, 2, 198, 1, 520, 9531, 198,
    ];
    let f = GgufFile::open(&path)?;
    let mut m = Model::load(&f, &ModelOptions::default())?;
    let mut logits = m.forward(&ids, Logits::Last)?;
    let mut a = Vec::new();
    for _ in 0..8 {
        let t = quill_llm::sampling::argmax(&logits);
        a.push(t);
        logits = m.forward(&[t], Logits::Last)?;
    }
    println!("model : {a:?}");
    let mut e = Engine::load(&path, &ModelOptions::default())?;
    let p = GenerateParams { sampling: SamplingParams::greedy(), max_tokens: 8, ..Default::default() };
    let c = e.generate(&ids, &p, |_| quill_llm::Control::Continue)?;
    println!("engine: {:?}", c.tokens);
    Ok(())
}
