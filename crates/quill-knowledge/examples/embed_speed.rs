//! Quick embedding throughput check while tuning: `cargo run --release -p quill-knowledge --example embed_speed`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let e = quill_knowledge::Embedder::load_default()?;
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let s = quill_knowledge::bench::peer_sentences(n, 30, 0);
    let r = quill_knowledge::bench::embed_throughput(&e, &s, 32, 2, 3)?;
    println!("{}", serde_json::to_string(&r)?);
    Ok(())
}
