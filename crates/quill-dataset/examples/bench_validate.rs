//! `cargo run --release -p quill-dataset --example bench_validate -- [LINES] [RUNS]`: the same
//! measurement as `quill bench dataset`, without building the whole CLI.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let lines = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let py = quill_dataset::bench::find_python(None);
    let r = quill_dataset::bench::run(lines, runs, py.as_deref())?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
