//! The kernels on SmolLM2-135M's real tensors: every repacked matmul must agree with an f64
//! reference computed from ggml-exact dequantization.
//!
//! Needs `$QUILL_MODELS/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` (default
//! `~/.local/share/quill/models`); fails, never skips, when it is missing.

use std::collections::HashMap;
use std::path::PathBuf;

use quill_kernels::{GgmlType, Pool, QMatrix, dequantize, row_bytes};

fn model_path() -> PathBuf {
    let base = std::env::var_os("QUILL_MODELS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/quill/models")))
        .unwrap_or_else(|| PathBuf::from("models"));
    base.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}

struct Tensor {
    dims: Vec<usize>,
    kind: u32,
    offset: usize,
}

/// Just enough GGUF (v3) to find tensors: skip metadata, read tensor infos.
fn read_gguf(bytes: &[u8]) -> (HashMap<String, Tensor>, usize) {
    let mut p = 0usize;
    let mut take = |n: usize| {
        let s = &bytes[p..p + n];
        p += n;
        s
    };
    assert_eq!(take(4), b"GGUF", "not a GGUF file");
    let _version = u32::from_le_bytes(take(4).try_into().unwrap());
    let n_tensors = u64::from_le_bytes(take(8).try_into().unwrap()) as usize;
    let n_kv = u64::from_le_bytes(take(8).try_into().unwrap()) as usize;
    let mut alignment = 32usize;
    fn skip_value(bytes: &[u8], p: &mut usize, ty: u32) {
        let u64_at = |p: &mut usize| {
            let v = u64::from_le_bytes(bytes[*p..*p + 8].try_into().unwrap());
            *p += 8;
            v as usize
        };
        match ty {
            0 | 1 | 7 => *p += 1,
            2 | 3 => *p += 2,
            4..=6 => *p += 4,
            10..=12 => *p += 8,
            8 => {
                let n = u64_at(p);
                *p += n;
            }
            9 => {
                let et = u32::from_le_bytes(bytes[*p..*p + 4].try_into().unwrap());
                *p += 4;
                let n = u64_at(p);
                for _ in 0..n {
                    skip_value(bytes, p, et);
                }
            }
            other => panic!("unknown GGUF value type {other}"),
        }
    }
    let rd_u64 = |p: &mut usize| {
        let v = u64::from_le_bytes(bytes[*p..*p + 8].try_into().unwrap());
        *p += 8;
        v as usize
    };
    let rd_u32 = |p: &mut usize| {
        let v = u32::from_le_bytes(bytes[*p..*p + 4].try_into().unwrap());
        *p += 4;
        v
    };
    for _ in 0..n_kv {
        let n = rd_u64(&mut p);
        let key = std::str::from_utf8(&bytes[p..p + n]).unwrap().to_string();
        p += n;
        let ty = rd_u32(&mut p);
        if key == "general.alignment" && ty == 4 {
            alignment = u32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) as usize;
        }
        skip_value(bytes, &mut p, ty);
    }
    let mut tensors = HashMap::new();
    for _ in 0..n_tensors {
        let n = rd_u64(&mut p);
        let name = std::str::from_utf8(&bytes[p..p + n]).unwrap().to_string();
        p += n;
        let nd = rd_u32(&mut p) as usize;
        let dims = (0..nd).map(|_| rd_u64(&mut p)).collect();
        let kind = rd_u32(&mut p);
        let offset = rd_u64(&mut p);
        tensors.insert(name, Tensor { dims, kind, offset });
    }
    let data_start = p.div_ceil(alignment) * alignment;
    (tensors, data_start)
}

#[test]
fn real_smollm2_tensors_match_reference() {
    let path = model_path();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!("cannot read {} ({e}); run scripts/fetch-models.sh (or set QUILL_MODELS)", path.display())
    });
    let (tensors, data) = read_gguf(&bytes);
    let pool = Pool::new(2).unwrap();
    for (name, want_kind) in [
        ("blk.0.attn_q.weight", GgmlType::Q4_1),
        ("blk.0.attn_k.weight", GgmlType::Q4_1),
        ("blk.7.ffn_down.weight", GgmlType::Q4_1),
        ("blk.29.ffn_gate.weight", GgmlType::Q4_1),
        ("token_embd.weight", GgmlType::Q8_0),
        ("blk.0.attn_norm.weight", GgmlType::F32),
    ] {
        let t = tensors.get(name).unwrap_or_else(|| panic!("{name} missing from the GGUF"));
        let kind = GgmlType::from_id(t.kind).unwrap();
        assert_eq!(kind, want_kind, "{name}");
        let cols = t.dims[0];
        let rows = t.dims.get(1).copied().unwrap_or(1);
        let n = row_bytes(kind, cols).unwrap() * rows;
        let raw = &bytes[data + t.offset..data + t.offset + n];
        let m = QMatrix::new(kind, rows, cols, raw).unwrap();
        let mut w = vec![0f32; rows * cols];
        dequantize(kind, raw, rows * cols, &mut w).unwrap();
        // Embedding lookups and the training path see exactly ggml's floats.
        let mut row = vec![0f32; cols];
        for r in [0, rows / 2, rows - 1] {
            m.row(r, &mut row).unwrap();
            assert_eq!(row, &w[r * cols..(r + 1) * cols], "{name} row {r}");
        }
        if rows < 50_000 {
            assert_eq!(m.dequantize_all(), w, "{name}");
        }
        for n_tokens in [1usize, 5, 16] {
            let x: Vec<f32> = (0..n_tokens * cols).map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0).collect();
            let mut out = vec![0f32; rows * n_tokens];
            m.matmul(&x, n_tokens, &mut out, &pool).unwrap();
            let mut worst = 0f64;
            for tk in 0..n_tokens {
                for r in (0..rows).step_by(if rows > 10_000 { 97 } else { 1 }) {
                    let (mut e, mut mag) = (0f64, 0f64);
                    for c in 0..cols {
                        let p = w[r * cols + c] as f64 * x[tk * cols + c] as f64;
                        e += p;
                        mag += p.abs();
                    }
                    let err = (out[tk * rows + r] as f64 - e).abs() / (mag + 1e-6);
                    worst = worst.max(err);
                }
            }
            // 8-bit activations: error is a small fraction of Σ|w·x|.
            assert!(worst < 5e-3, "{name} n_tokens={n_tokens}: relative error {worst}");
        }
    }
}
