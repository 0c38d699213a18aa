//! Cross-module tests: every matmul path against an f32 reference built from `dequantize`.

use crate::act::QuantAct;
use crate::isa::Isa;
use crate::{GgmlType, Pool, QMatrix, dequantize, quantize, row_bytes};

pub(crate) fn rand_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0x1234_5678);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Random bytes that are valid blocks of `kind` (f16 scales kept small and finite).
pub(crate) fn rand_blocks(kind: GgmlType, rows: usize, cols: usize, seed: u64) -> Vec<u8> {
    let w = rand_vec(rows * cols, seed);
    match kind {
        GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q8_0 | GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
            quantize(kind, &w).unwrap()
        }
        _ => {
            // K-quants: random bytes, then overwrite the f16 scale fields with sane values.
            let n = row_bytes(kind, cols).unwrap() * rows;
            let mut s = seed | 1;
            let mut b: Vec<u8> = (0..n)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s >> 24) as u8
                })
                .collect();
            let ts = kind.type_size();
            let h = |x: f32| half::f16::from_f32(x).to_bits().to_le_bytes();
            for blk in b.chunks_exact_mut(ts) {
                match kind {
                    GgmlType::Q4_K | GgmlType::Q5_K => {
                        blk[0..2].copy_from_slice(&h(0.01));
                        blk[2..4].copy_from_slice(&h(0.02));
                    }
                    GgmlType::Q6_K => blk[208..210].copy_from_slice(&h(0.003)),
                    GgmlType::Q8_K => blk[0..4].copy_from_slice(&0.01f32.to_le_bytes()),
                    GgmlType::Q8_1 => {
                        blk[0..2].copy_from_slice(&h(0.01));
                        blk[2..4].copy_from_slice(&h(0.0));
                    }
                    _ => {}
                }
            }
            b
        }
    }
}

fn reference(w: &[f32], x: &[f32], rows: usize, cols: usize, n_tokens: usize) -> Vec<f64> {
    let mut out = vec![0f64; rows * n_tokens];
    for t in 0..n_tokens {
        for r in 0..rows {
            out[t * rows + r] = (0..cols).map(|c| w[r * cols + c] as f64 * x[t * cols + c] as f64).sum();
        }
    }
    out
}

fn check_matmul(kind: GgmlType, rows: usize, cols: usize, n_tokens: usize, pool: &Pool) {
    let bytes = rand_blocks(kind, rows, cols, (rows * 31 + cols) as u64);
    let m = QMatrix::new(kind, rows, cols, &bytes).unwrap();
    let mut w = vec![0f32; rows * cols];
    dequantize(kind, &bytes, rows * cols, &mut w).unwrap();
    assert_eq!(m.dequantize_all(), w, "{kind}: dequantize_all must be bit-exact");
    let mut row = vec![0f32; cols];
    m.row(rows - 1, &mut row).unwrap();
    assert_eq!(row, &w[(rows - 1) * cols..]);

    let x = rand_vec(n_tokens * cols, 7 + n_tokens as u64);
    let want = reference(&w, &x, rows, cols, n_tokens);
    let mut out = vec![f32::NAN; rows * n_tokens];
    m.matmul(&x, n_tokens, &mut out, pool).unwrap();
    // Quantizing the activations to 8 bits costs ~0.4% of each product's magnitude, so the
    // tolerance scales with Σ|w·x|.
    let quantized_act = matches!(
        kind,
        GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q8_0 | GgmlType::Q4_K | GgmlType::Q5_K | GgmlType::Q6_K
    );
    for t in 0..n_tokens {
        for r in 0..rows {
            let mag: f64 = (0..cols).map(|c| (w[r * cols + c] as f64 * x[t * cols + c] as f64).abs()).sum();
            let tol = if quantized_act { 1e-2 * mag + 1e-4 } else { 1e-5 * mag + 1e-6 };
            let (g, e) = (out[t * rows + r] as f64, want[t * rows + r]);
            assert!((g - e).abs() <= tol, "{kind} {rows}x{cols} t={t} r={r}: got {g}, want {e} (tol {tol})");
        }
    }
}

#[test]
fn matmul_every_type_every_shape() {
    let pool = Pool::new(2).unwrap();
    for kind in [GgmlType::Q4_1, GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::F32, GgmlType::F16, GgmlType::BF16] {
        for (rows, cols) in [(16, 32), (40, 64), (576, 576), (192, 576), (37, 1536)] {
            for n_tokens in [1, 3, 9, 70] {
                check_matmul(kind, rows, cols, n_tokens, &pool);
            }
        }
    }
    for kind in [GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K] {
        for n_tokens in [1, 5] {
            check_matmul(kind, 24, 512, n_tokens, &pool);
        }
    }
}

#[test]
fn all_isas_agree_with_scalar_tiles() {
    // The SIMD kernels and the scalar kernel on the same tiles: integer sums identical, and
    // f32 results bit-identical (one accumulation order in every tier, so a model gives the
    // same logits on every CPU).
    for kind in [GgmlType::Q4_1, GgmlType::Q4_0] {
        let (rows, cols) = (48, 576);
        let bytes = rand_blocks(kind, rows, cols, 99);
        let tiles = crate::q4::Q4Tiles::from_ggml(kind, rows, cols, &bytes).unwrap().unwrap();
        let x = rand_vec(11 * cols, 5);
        let mut act = QuantAct::default();
        act.quantize(&x, cols, 11, &Pool::new(1).unwrap());
        for tile in 0..tiles.n_tiles {
            let mut want = [[0f32; 16]; 11];
            tiles.tile_matmul(Isa::Scalar, tile, &act, 0, &mut want);
            for isa in Isa::available() {
                let mut got = [[0f32; 16]; 11];
                tiles.tile_matmul(isa, tile, &act, 0, &mut got);
                assert_eq!(got, want, "{kind} tile {tile}: {isa:?} differs from scalar");
            }
            #[cfg(target_arch = "x86_64")]
            if Isa::available().contains(&Isa::Avx512Vnni) {
                for b in 0..tiles.nb {
                    let want = crate::q4::block_isums_scalar(tiles.tile(tile), b, act.token_qs(3));
                    // SAFETY: AVX-512 VNNI is available (checked above).
                    let got = unsafe { crate::q4::x86::block_isums_avx512(tiles.tile(tile), b, act.token_qs(3)) };
                    assert_eq!(got, want);
                }
            }
        }
    }
    let (rows, cols) = (32, 576);
    let bytes = rand_blocks(GgmlType::Q8_0, rows, cols, 3);
    let tiles = crate::q8::Q8Tiles::from_ggml(rows, cols, &bytes).unwrap();
    let x = rand_vec(6 * cols, 9);
    let mut act = QuantAct::default();
    act.quantize(&x, cols, 6, &Pool::new(1).unwrap());
    for tile in 0..tiles.n_tiles {
        let mut want = [[0f32; 16]; 6];
        tiles.tile_matmul(Isa::Scalar, tile, &act, 0, &mut want);
        for isa in Isa::available() {
            let mut got = [[0f32; 16]; 6];
            tiles.tile_matmul(isa, tile, &act, 0, &mut got);
            assert_eq!(got, want, "q8_0 tile {tile}: {isa:?} differs from scalar");
        }
        #[cfg(target_arch = "x86_64")]
        if Isa::available().contains(&Isa::Avx512Vnni) {
            for b in 0..tiles.nb {
                let want = crate::q8::block_isums_scalar(tiles.tile(tile), b, act.token_qs(2));
                // SAFETY: AVX-512 VNNI is available (checked above).
                let got = unsafe { crate::q8::x86::block_isums_avx512(tiles.tile(tile), b, act.token_qs(2)) };
                assert_eq!(got, want);
            }
        }
    }
}

#[test]
fn extreme_q8_values_are_exact() {
    // −128 weights and ±127 activations: the +128 offset and sign tricks must not overflow.
    let (rows, cols) = (16, 64);
    let mut bytes = Vec::new();
    for r in 0..rows {
        for _ in 0..cols / 32 {
            bytes.extend_from_slice(&half::f16::from_f32(1.0).to_bits().to_le_bytes());
            for j in 0..32 {
                bytes.push(if (r + j) % 2 == 0 { 0x80 } else { 0x7f });
            }
        }
    }
    let tiles = crate::q8::Q8Tiles::from_ggml(rows, cols, &bytes).unwrap();
    let x: Vec<f32> = (0..cols).map(|c| if c % 3 == 0 { -1.0 } else { 1.0 }).collect();
    let mut act = QuantAct::default();
    act.quantize(&x, cols, 1, &Pool::new(1).unwrap());
    for b in 0..2 {
        let want = crate::q8::block_isums_scalar(tiles.tile(0), b, act.token_qs(0));
        let mut exact = [0i32; 16];
        for (r, e) in exact.iter_mut().enumerate() {
            for j in 0..32 {
                let w = if (r + j) % 2 == 0 { -128 } else { 127 };
                *e += w * act.token_qs(0)[32 * b + j] as i32;
            }
        }
        assert_eq!(want, exact);
        #[cfg(target_arch = "x86_64")]
        if Isa::available().contains(&Isa::Avx512Vnni) {
            // SAFETY: AVX-512 VNNI is available (checked above).
            let got = unsafe { crate::q8::x86::block_isums_avx512(tiles.tile(0), b, act.token_qs(0)) };
            assert_eq!(got, exact);
        }
    }
    for isa in Isa::available() {
        let mut got = [[0f32; 16]; 1];
        tiles.tile_matmul(isa, 0, &act, 0, &mut got);
        let mut want = [[0f32; 16]; 1];
        tiles.tile_matmul(Isa::Scalar, 0, &act, 0, &mut want);
        // Integer sums are exact (checked above); the FMA in the SIMD epilogue may differ
        // from the scalar multiply-then-add in the last bit.
        for (g, w) in got[0].iter().zip(&want[0]) {
            assert!((g - w).abs() <= 1e-6 * w.abs(), "{isa:?}: {g} vs {w}");
        }
    }
}

#[test]
fn matmul_many_matches_separate_calls() {
    let pool = Pool::new(2).unwrap();
    let cols = 576;
    let q = QMatrix::new(GgmlType::Q4_1, 576, cols, &rand_blocks(GgmlType::Q4_1, 576, cols, 1)).unwrap();
    let k = QMatrix::new(GgmlType::Q4_1, 192, cols, &rand_blocks(GgmlType::Q4_1, 192, cols, 2)).unwrap();
    let f = QMatrix::new(GgmlType::F16, 40, cols, &rand_blocks(GgmlType::F16, 40, cols, 3)).unwrap();
    for n in [1, 4] {
        let x = rand_vec(n * cols, 4);
        let (mut a, mut b, mut c) = (vec![0.0; 576 * n], vec![0.0; 192 * n], vec![0.0; 40 * n]);
        QMatrix::matmul_many(&[&q, &k, &f], &x, n, &mut [&mut a, &mut b, &mut c], &pool).unwrap();
        let (mut a2, mut b2, mut c2) = (vec![0.0; 576 * n], vec![0.0; 192 * n], vec![0.0; 40 * n]);
        q.matmul(&x, n, &mut a2, &pool).unwrap();
        k.matmul(&x, n, &mut b2, &pool).unwrap();
        f.matmul(&x, n, &mut c2, &pool).unwrap();
        assert_eq!((a, b, c), (a2, b2, c2));
    }
}

#[test]
fn bad_sizes_are_errors_not_panics() {
    let pool = Pool::new(2).unwrap();
    assert!(QMatrix::new(GgmlType::Q4_1, 2, 33, &[0; 40]).is_err());
    assert!(QMatrix::new(GgmlType::Q4_1, 2, 32, &[0; 39]).is_err());
    assert!(QMatrix::new(GgmlType::Q4_1, 0, 32, &[]).is_err());
    let m = QMatrix::new(GgmlType::Q4_1, 2, 32, &rand_blocks(GgmlType::Q4_1, 2, 32, 1)).unwrap();
    let mut out = vec![0.0; 4];
    assert!(m.matmul(&[0.0; 31], 1, &mut out, &pool).is_err());
    assert!(m.matmul(&[0.0; 64], 2, &mut out[..3], &pool).is_err());
    assert!(m.row(2, &mut [0.0; 32]).is_err());
    assert!(m.row(0, &mut [0.0; 31]).is_err());
    let other = QMatrix::new(GgmlType::Q8_0, 2, 64, &rand_blocks(GgmlType::Q8_0, 2, 64, 1)).unwrap();
    let (mut a, mut b) = (vec![0.0; 2], vec![0.0; 2]);
    assert!(QMatrix::matmul_many(&[&m, &other], &[0.0; 64], 1, &mut [&mut a, &mut b], &pool).is_err());
}

#[test]
fn matrices_and_pool_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<QMatrix>();
    shareable::<Pool>();
}

#[test]
fn matmul_many_with_more_matrices_than_one_job_holds() {
    let pool = Pool::new(2).unwrap();
    let cols = 64;
    let mats: Vec<QMatrix> = (0..11)
        .map(|i| {
            let rows = 16 + 8 * i;
            QMatrix::new(GgmlType::Q4_1, rows, cols, &rand_blocks(GgmlType::Q4_1, rows, cols, i as u64)).unwrap()
        })
        .collect();
    let refs: Vec<&QMatrix> = mats.iter().collect();
    let x = rand_vec(2 * cols, 8);
    let mut outs: Vec<Vec<f32>> = mats.iter().map(|m| vec![0.0; 2 * m.rows()]).collect();
    let mut out_refs: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
    QMatrix::matmul_many(&refs, &x, 2, &mut out_refs, &pool).unwrap();
    for (m, o) in mats.iter().zip(&outs) {
        let mut want = vec![0.0; 2 * m.rows()];
        m.matmul(&x, 2, &mut want, &pool).unwrap();
        assert_eq!(o, &want);
    }
}
