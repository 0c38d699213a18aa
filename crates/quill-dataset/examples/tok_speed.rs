fn main() {
    let text = quill_dataset::py::synthetic_chat_jsonl(20_000);
    let bpe = tiktoken_rs::cl100k_base_singleton();
    let t = std::time::Instant::now();
    let lines = quill_dataset::validate::parse_lines(text.as_bytes());
    eprintln!("parse {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut n = 0;
    for l in &lines { if let quill_dataset::validate::notebook::Line::Json(v) = l { for m in v["messages"].as_array().unwrap() { n += bpe.encode_ordinary(m["content"].as_str().unwrap()).len(); } } }
    eprintln!("tokenize 1 thread {:?} ({n} tokens)", t.elapsed());
    let t = std::time::Instant::now();
    let texts: Vec<&str> = lines.iter().filter_map(|l| if let quill_dataset::validate::notebook::Line::Json(v) = l { v["messages"][1]["content"].as_str() } else { None }).collect();
    let d = quill_dataset::validate::dedup::docs(&texts);
    eprintln!("minhash {:?} {}", t.elapsed(), d.len());
    let t = std::time::Instant::now();
    let r = quill_dataset::validate::validate_bytes(std::path::Path::new("x.jsonl"), text.as_bytes(), &Default::default()).unwrap();
    eprintln!("validate {:?} {}", t.elapsed(), r.clean_examples);
}
