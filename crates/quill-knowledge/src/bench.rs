//! Measurements behind `quill bench embed` and `quill bench search`.
//!
//! Speed targets live here and in the CLI, never in timed tests. The embedding benchmark mirrors
//! `peer-bench embed` (2,000 sentences of 30 words from the same vocabulary, batch 32, two
//! threads, median of three runs after a warm-up) so the two figures can be divided.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::search::{Mode, Scope, SearchOptions, SearchScope};
use crate::vector::VectorIndex;
use crate::{Embedder, Error, Knowledge, Result};

/// The vocabulary `peer-bench embed` draws its sentences from.
pub const PEER_WORDS: &str = "the a creator post voice library example model prompt draft write edit audience hook offer email thread brand story test data train style tone short clear plain sharp simple weekly reader reply share";

/// A small deterministic generator (SplitMix64), so runs are comparable without a `rand` dep.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// `n` sentences of `words` words each, drawn from [`PEER_WORDS`].
pub fn peer_sentences(n: usize, words: usize, seed: u64) -> Vec<String> {
    let vocab: Vec<&str> = PEER_WORDS.split(' ').collect();
    let mut rng = Rng::new(seed);
    (0..n).map(|_| (0..words).map(|_| vocab[rng.below(vocab.len())]).collect::<Vec<_>>().join(" ")).collect()
}

/// Runs `f` on a rayon pool of `threads` threads (candle's matrix multiplies run on the current
/// pool), so "2 threads" means 2 whatever the machine has.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::Settings(format!("thread pool: {e}")))?;
    Ok(pool.install(f))
}

/// Result of the embedding benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedBench {
    /// Sentences embedded per run.
    pub sentences: usize,
    /// Words per sentence.
    pub words: usize,
    /// Batch size.
    pub batch: usize,
    /// Threads.
    pub threads: usize,
    /// Each run's sentences per second.
    pub runs: Vec<f64>,
    /// Median sentences per second.
    pub sentences_per_s: f64,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() { 0.0 } else { s[s.len() / 2] }
}

/// Embeds `sentences` `runs` times (after a 64-sentence warm-up) and reports the median rate.
pub fn embed_throughput(
    e: &Embedder,
    sentences: &[String],
    batch: usize,
    threads: usize,
    runs: usize,
) -> Result<EmbedBench> {
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let rates = with_threads(threads, || -> Result<Vec<f64>> {
        e.embed(&refs[..refs.len().min(64)], batch, &mut |_| {})?;
        let mut rates = Vec::new();
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            e.embed(&refs, batch, &mut |_| {})?;
            rates.push(refs.len() as f64 / t.elapsed().as_secs_f64());
        }
        Ok(rates)
    })??;
    Ok(EmbedBench {
        sentences: sentences.len(),
        words: sentences.first().map_or(0, |s| s.split(' ').count()),
        batch,
        threads,
        sentences_per_s: median(&rates),
        runs: rates,
    })
}

/// `peer-bench`'s location: `$QUILL_PEER_BENCH`, else `tools/peer-bench` next to the reference folder.
pub fn peer_bench_path() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_PEER_BENCH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    quill_store::reference_dir().join("../tools/peer-bench")
}

/// Whether the peer tools are installed (`peer-bench install` made its venv).
pub fn peer_available() -> bool {
    let venv = std::env::var_os("PEER_VENV")
        .map(PathBuf::from)
        .or_else(|| dirs_home().map(|h| h.join(".cache/quill-peers/venv")));
    peer_bench_path().is_file() && venv.is_some_and(|v| v.join("bin/python").is_file())
}

fn dirs_home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// Runs `peer-bench embed MODEL_DIR` and returns its JSON line.
pub fn run_peer_embed(model_dir: &Path) -> std::result::Result<serde_json::Value, String> {
    let out = std::process::Command::new(peer_bench_path())
        .arg("embed")
        .arg(model_dir)
        .output()
        .map_err(|e| format!("running {}: {e}", peer_bench_path().display()))?;
    if !out.status.success() {
        return Err(format!("peer-bench failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).ok_or("peer-bench printed no JSON")?;
    serde_json::from_str(line).map_err(|e| format!("peer-bench output: {e}"))
}

/// Latency figures of one mode at one corpus size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Retrieval mode.
    pub mode: Mode,
    /// Chunks in the index.
    pub chunks: usize,
    /// Queries timed.
    pub queries: usize,
    /// Median milliseconds per query.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
}

/// Percentile (nearest rank) of `ms`.
pub fn percentile(ms: &[f64], p: f64) -> f64 {
    let mut s = ms.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[i.clamp(1, s.len()) - 1]
}

/// Times `queries` through `kb.search` in each mode (query embedding included for dense/hybrid).
pub fn search_latency(kb: &Knowledge, queries: &[String], chunks: usize) -> Result<Vec<Latency>> {
    let mut out = Vec::new();
    for mode in [Mode::Bm25, Mode::Dense, Mode::Hybrid] {
        let opts = SearchOptions { k: 10, mode, scope: SearchScope::Docs, ..SearchOptions::default() };
        kb.search(&queries[0], &opts)?; // warm: loads vectors into memory, prepares statements
        let mut ms = Vec::with_capacity(queries.len());
        for q in queries {
            let t = Instant::now();
            kb.search(q, &opts)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        out.push(Latency {
            mode,
            chunks,
            queries: queries.len(),
            p50_ms: percentile(&ms, 50.0),
            p95_ms: percentile(&ms, 95.0),
        });
    }
    Ok(out)
}

/// Brute-force scan time alone (no SQLite, no query embedding) over `n` random unit vectors.
pub fn dense_scan_ms(n: usize, dim: usize, queries: usize) -> (f64, f64) {
    let mut rng = Rng::new(7);
    let mut idx = VectorIndex::default();
    let mut v = vec![0f32; dim];
    for i in 0..n {
        for x in v.iter_mut() {
            *x = (rng.next_u64() % 2001) as f32 / 1000.0 - 1.0;
        }
        crate::embed::normalize(&mut v);
        idx.push_vec(i as i64, Scope::Docs, &v);
    }
    let mut ms = Vec::new();
    for q in 0..queries {
        let t = Instant::now();
        let row = idx.vector((q * 7919 % n) as i64).map(<[f32]>::to_vec).unwrap_or_default();
        let _ = idx.top_k(&row, 10, SearchScope::Docs);
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    (percentile(&ms, 50.0), percentile(&ms, 95.0))
}

/// Words for synthetic documents: a mix of common and rare terms so keyword posting lists
/// look like real text (Zipf-like draw below).
const SYNTH_WORDS: &str = "the of and to in a is that for it as with was on be by this are or from at an have not but they which one you were all we can her has there been if more when will would who so no time out up about into than them only some could other then its over also after new what use two how our work first well way even because any these give most us client offer course price refund onboarding email newsletter launch audience hook story template framework workshop coaching call week month plan pricing payment invoice discount bonus module lesson community member support schedule calendar content post thread video podcast guest interview script outline draft edit publish brand voice tone style example feedback review testimonial result case study goal metric growth revenue funnel landing page signup waitlist cohort session replay recording download checklist worksheet guide playbook system process habit routine focus energy burnout boundary rest retreat travel";

fn zipf_word<'a>(vocab: &[&'a str], rng: &mut Rng) -> &'a str {
    // Square of a uniform draw biases toward the front of the list (the common words).
    let u = (rng.next_u64() % 1_000_000) as f64 / 1_000_000.0;
    vocab[((u * u) * vocab.len() as f64) as usize % vocab.len()]
}

/// A synthetic Markdown document with `sections` sections of about `words` words.
pub fn synthetic_doc(rng: &mut Rng, sections: usize, words: usize) -> String {
    let vocab: Vec<&str> = SYNTH_WORDS.split(' ').collect();
    let mut s = String::new();
    for k in 0..sections {
        let heading: Vec<&str> = (0..3).map(|_| vocab[rng.below(vocab.len())]).collect();
        s.push_str(&format!("## {} {k}\n\n", heading.join(" ")));
        let mut para: Vec<&str> = Vec::with_capacity(words);
        for i in 0..words {
            para.push(zipf_word(&vocab, rng));
            if i % 15 == 14 {
                para.push("and");
            }
        }
        s.push_str(&para.join(" "));
        s.push_str(".\n\n");
    }
    s
}

/// Queries of 3–6 words drawn like the documents.
pub fn synthetic_queries(n: usize, seed: u64) -> Vec<String> {
    let vocab: Vec<&str> = SYNTH_WORDS.split(' ').collect();
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let len = 3 + rng.below(4);
            (0..len).map(|_| vocab[100 + rng.below(vocab.len() - 100)]).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// A random unit vector.
pub fn random_unit(rng: &mut Rng, dim: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dim).map(|_| (rng.next_u64() % 2001) as f32 / 1000.0 - 1.0).collect();
    crate::embed::normalize(&mut v);
    v
}

/// Indexing and latency figures at one corpus size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusBench {
    /// Chunks indexed.
    pub chunks: usize,
    /// Documents.
    pub documents: usize,
    /// Seconds to chunk and write them (keyword index included, embedding excluded).
    pub index_s: f64,
    /// Chunks per second for that.
    pub index_chunks_per_s: f64,
    /// Query latency per mode.
    pub latency: Vec<Latency>,
}

/// Embedding of real-sized chunks: the dominant cost of indexing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkEmbedBench {
    /// Chunks embedded.
    pub chunks: usize,
    /// Mean tokens per chunk.
    pub mean_tokens: usize,
    /// Seconds.
    pub seconds: f64,
    /// Chunks per second.
    pub chunks_per_s: f64,
}

/// Everything `quill bench search` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchBench {
    /// Threads used.
    pub threads: usize,
    /// One entry per corpus size.
    pub corpora: Vec<CorpusBench>,
    /// Embedding throughput on real-sized chunks.
    pub embed: Option<ChunkEmbedBench>,
}

const SECTIONS: usize = 10;
const SECTION_WORDS: usize = 120;

/// Builds synthetic corpora of `sizes` chunks in temporary databases, times indexing, fills them
/// with random unit vectors, and times `queries` searches per mode. `status` hears what is
/// happening, for a spinner.
pub fn search_benchmark(
    sizes: &[usize],
    queries: usize,
    threads: usize,
    status: &mut dyn FnMut(String),
) -> Result<SearchBench> {
    let qs = synthetic_queries(queries.max(1), 11);
    let mut corpora = Vec::new();
    let mut embed = None;
    for &size in sizes {
        let dir = tempfile::tempdir().map_err(|source| Error::Io { path: std::env::temp_dir(), source })?;
        let db = quill_store::Db::open(&dir.path().join("bench.db"))?;
        let mut kb = Knowledge::new(db, crate::Settings::default())?.with_embedder(Embedder::load_default()?);
        let dim = kb.embedder()?.dim();
        let docs = size.div_ceil(SECTIONS);
        let mut rng = Rng::new(size as u64);
        let texts: Vec<String> = (0..docs).map(|_| synthetic_doc(&mut rng, SECTIONS, SECTION_WORDS)).collect();
        status(format!("indexing {size} synthetic chunks"));
        let t = Instant::now();
        let mut chunks = 0;
        for (i, text) in texts.iter().enumerate() {
            chunks +=
                kb.add_text(&format!("synthetic/{i}.md"), &format!("Synthetic {i}"), text, crate::Format::Markdown)?;
        }
        let index_s = t.elapsed().as_secs_f64();
        let ids = kb.chunk_ids()?;
        let vecs: Vec<(i64, Vec<f32>)> = ids.iter().map(|&id| (id, random_unit(&mut rng, dim))).collect();
        kb.store_vectors(&vecs)?;
        if embed.is_none() {
            status("embedding 256 real-sized chunks".into());
            let sample: Vec<String> = texts
                .iter()
                .flat_map(|t| t.split("## ").skip(1).map(|s| format!("## {s}")).collect::<Vec<_>>())
                .take(256)
                .collect();
            let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
            let embedder = kb.embedder()?;
            let tokens: usize = crate::chunk::TokenCounter::count_batch(embedder, &refs).iter().sum();
            with_threads(threads, || embedder.embed(&refs[..32.min(refs.len())], 32, &mut |_| {}))??; // warm-up
            let start = Instant::now();
            with_threads(threads, || embedder.embed(&refs, 32, &mut |_| {}))??;
            let s = start.elapsed().as_secs_f64();
            embed = Some(ChunkEmbedBench {
                chunks: refs.len(),
                mean_tokens: tokens / refs.len().max(1),
                seconds: s,
                chunks_per_s: refs.len() as f64 / s,
            });
        }
        status(format!("timing {} queries × 3 modes at {chunks} chunks", qs.len()));
        let qs_ref = qs.clone();
        let (latency, kb) = with_threads(threads, move || (search_latency(&kb, &qs_ref, chunks), kb))?;
        let latency = latency?;
        drop(kb);
        corpora.push(CorpusBench {
            chunks,
            documents: docs,
            index_s,
            index_chunks_per_s: chunks as f64 / index_s,
            latency,
        });
    }
    Ok(SearchBench { threads, corpora, embed })
}
