//! Writes last-position logits (LE f32) for token-id lists (developer tool for parity checks):
//! `logits_dump MODEL IDS.json OUT_PREFIX` where IDS.json is `[[ids...], ...]`.
use quill_llm::gguf::GgufFile;
use quill_llm::{Logits, Model, ModelOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 4 {
        return Err("usage: logits_dump MODEL IDS.json OUT_PREFIX".into());
    }
    let lists: Vec<Vec<u32>> = serde_json::from_str(&std::fs::read_to_string(&a[2])?)?;
    let f = GgufFile::open(&a[1])?;
    for (i, ids) in lists.iter().enumerate() {
        let mut m = Model::load(&f, &ModelOptions::default())?;
        let got = m.forward(ids, Logits::Last)?;
        let bytes: Vec<u8> = got.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(format!("{}{i}.f32", a[3]), bytes)?;
    }
    Ok(())
}
