//! Prints a GGUF file's metadata and tensor table: `cargo run -p quill-llm --example gguf_inspect -- FILE`.
use quill_llm::gguf::GgufFile;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: gguf_inspect FILE")?;
    let f = GgufFile::open(&path)?;
    println!("version {} alignment {} data_offset {}", f.version(), f.alignment(), f.data_offset());
    for (k, v) in f.metadata() {
        println!("{k} = {}", v.describe());
    }
    for t in f.tensors() {
        println!("{:40} {:8} {:?} off={} bytes={}", t.name, t.ggml_type.name(), t.dims, t.offset, t.n_bytes);
    }
    Ok(())
}
