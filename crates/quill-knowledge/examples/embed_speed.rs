//! Quick embedding throughput check while tuning:
//! `cargo run --release -p quill-knowledge --example embed_speed -- [SENTENCES] [WORDS] [BATCH]`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |i: usize, d: usize| std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let e = quill_knowledge::Embedder::load_default()?;
    let s = quill_knowledge::bench::peer_sentences(arg(1, 2000), arg(2, 30), 0);
    let r = quill_knowledge::bench::embed_throughput(&e, &s, arg(3, 32), 2, 3)?;
    println!("{}", serde_json::to_string(&r)?);
    Ok(())
}
