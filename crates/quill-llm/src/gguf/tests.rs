use super::*;

fn sample_writer() -> GgufWriter {
    let mut w = GgufWriter::new();
    w.set("general.architecture", GgufValue::String("llama".into()))
        .set("general.name", GgufValue::String("tiny ☃".into()))
        .set("llama.block_count", GgufValue::U32(2))
        .set("llama.rope.freq_base", GgufValue::F32(10000.0))
        .set("x.i8", GgufValue::I8(-3))
        .set("x.u16", GgufValue::U16(65535))
        .set("x.i16", GgufValue::I16(-300))
        .set("x.i64", GgufValue::I64(-5_000_000_000))
        .set("x.u64", GgufValue::U64(5_000_000_000))
        .set("x.f64", GgufValue::F64(0.125))
        .set("x.bool", GgufValue::Bool(true))
        .set("x.u8", GgufValue::U8(7))
        .set("x.i32", GgufValue::I32(-7))
        .set("tokenizer.ggml.tokens", GgufValue::Array(GgufArray::String(vec!["a".into(), "b".into(), "".into()])))
        .set("tokenizer.ggml.scores", GgufValue::Array(GgufArray::F32(vec![0.5, -1.0, 2.0])))
        .set("tokenizer.ggml.token_type", GgufValue::Array(GgufArray::I32(vec![1, 3, 6])))
        .set("x.bools", GgufValue::Array(GgufArray::Bool(vec![true, false])))
        .set("x.u64s", GgufValue::Array(GgufArray::U64(vec![1, u64::MAX])));
    let vals: Vec<f32> = (0..6).map(|i| i as f32 * 0.5).collect();
    w.add_tensor(WriterTensor::f32_matrix("a.weight", 2, 3, &vals).unwrap());
    // a Q8_0 tensor: one block of 32 = 34 bytes
    let mut q = vec![0u8; 34];
    q[0] = 0x00;
    q[1] = 0x3c; // f16 1.0
    for (i, b) in q[2..].iter_mut().enumerate() {
        *b = i as u8;
    }
    w.add_tensor(WriterTensor { name: "b.weight".into(), dims: vec![32], ggml_type: GgmlType::Q8_0, data: q });
    w
}

#[test]
fn round_trip_preserves_metadata_and_tensors() {
    let w = sample_writer();
    let bytes = w.to_bytes().unwrap();
    let f = GgufFile::from_bytes("mem.gguf", bytes).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.alignment(), 32);
    assert_eq!(f.data_offset() % 32, 0);
    assert_eq!(f.get_str("general.architecture"), Some("llama"));
    assert_eq!(f.get_str("general.name"), Some("tiny ☃"));
    assert_eq!(f.get_u64("llama.block_count"), Some(2));
    assert_eq!(f.get_f64("llama.rope.freq_base"), Some(10000.0));
    assert_eq!(f.get("x.i64"), Some(&GgufValue::I64(-5_000_000_000)));
    assert_eq!(f.get("x.u64"), Some(&GgufValue::U64(5_000_000_000)));
    assert_eq!(f.get("x.f64"), Some(&GgufValue::F64(0.125)));
    assert_eq!(f.get("x.i16"), Some(&GgufValue::I16(-300)));
    assert_eq!(f.get_bool("x.bool"), Some(true));
    assert_eq!(f.get_array("tokenizer.ggml.tokens"), Some(&GgufArray::String(vec!["a".into(), "b".into(), "".into()])));
    assert_eq!(f.get_array("x.u64s"), Some(&GgufArray::U64(vec![1, u64::MAX])));
    assert_eq!(f.metadata().len(), 18);
    assert_eq!(f.metadata()[0].0, "general.architecture");

    let (a, bytes) = f.tensor("a.weight").unwrap();
    assert_eq!(a.dims, vec![3, 2]);
    assert_eq!(a.ggml_type, GgmlType::F32);
    let floats: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(floats, vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    let (b, bytes) = f.tensor("b.weight").unwrap();
    assert_eq!(b.ggml_type, GgmlType::Q8_0);
    assert_eq!(b.offset % 32, 0);
    assert_eq!(bytes.len(), 34);
    assert_eq!(bytes[33], 31);
    assert!(f.tensor("missing").is_err());
}

#[test]
fn write_file_is_atomic_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.gguf");
    sample_writer().write_file(&p).unwrap();
    let f = GgufFile::open(&p).unwrap();
    assert_eq!(f.tensors().len(), 2);
    // no temp files left behind
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn writer_rejects_wrong_tensor_size() {
    let mut w = GgufWriter::new();
    w.add_tensor(WriterTensor { name: "t".into(), dims: vec![32], ggml_type: GgmlType::Q8_0, data: vec![0; 33] });
    assert!(w.to_bytes().is_err());
}

fn kind(bytes: Vec<u8>) -> GgufErrorKind {
    match GgufFile::from_bytes("bad.gguf", bytes) {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert!(e.to_string().starts_with("bad.gguf: "), "{e}");
            e.kind
        }
    }
}

/// Hand-built header: magic, version, counts.
fn header(version: u32, n_tensors: u64, n_kv: u64) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"GGUF");
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&n_tensors.to_le_bytes());
    b.extend_from_slice(&n_kv.to_le_bytes());
    b
}

fn push_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u64).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

#[test]
fn rejects_wrong_magic_and_versions() {
    let mut b = sample_writer().to_bytes().unwrap();
    b[0] = b'X';
    assert!(matches!(kind(b), GgufErrorKind::BadMagic(_)));
    assert!(matches!(kind(b"PK\x03\x04rest".to_vec()), GgufErrorKind::BadMagic(_)));
    assert!(matches!(kind(header(1, 0, 0)), GgufErrorKind::UnsupportedVersion(1)));
    assert!(matches!(kind(header(4, 0, 0)), GgufErrorKind::UnsupportedVersion(4)));
    assert!(matches!(kind(header(0x0300_0000, 0, 0)), GgufErrorKind::BigEndian));
    assert!(matches!(kind(Vec::new()), GgufErrorKind::Truncated { .. }));
    assert!(matches!(kind(b"GG".to_vec()), GgufErrorKind::Truncated { .. }));
    // empty but valid
    assert!(GgufFile::from_bytes("ok", header(2, 0, 0)).is_ok());
}

#[test]
fn rejects_huge_counts_without_allocating() {
    assert!(matches!(kind(header(3, u64::MAX, 0)), GgufErrorKind::TooLarge { .. }));
    assert!(matches!(kind(header(3, 0, u64::MAX)), GgufErrorKind::TooLarge { .. }));
    assert!(matches!(kind(header(3, 1 << 40, 1 << 40)), GgufErrorKind::TooLarge { .. }));

    // key string length 2^60
    let mut b = header(3, 0, 1);
    b.extend_from_slice(&(1u64 << 60).to_le_bytes());
    b.extend_from_slice(b"abc");
    assert!(matches!(kind(b), GgufErrorKind::TooLarge { .. }));

    // string value length 2^60
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&(1u64 << 60).to_le_bytes());
    b.extend_from_slice(&[0; 64]);
    assert!(matches!(kind(b), GgufErrorKind::TooLarge { .. }));

    // array of 2^62 u32
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&9u32.to_le_bytes());
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(&(1u64 << 62).to_le_bytes());
    b.extend_from_slice(&[0; 64]);
    assert!(matches!(kind(b), GgufErrorKind::TooLarge { .. }));

    // array of 2^40 strings
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&9u32.to_le_bytes());
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&(1u64 << 40).to_le_bytes());
    b.extend_from_slice(&[0; 64]);
    assert!(matches!(kind(b), GgufErrorKind::TooLarge { .. }));

    // string array whose element claims 2^50 bytes
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&9u32.to_le_bytes());
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&2u64.to_le_bytes());
    b.extend_from_slice(&(1u64 << 50).to_le_bytes());
    b.extend_from_slice(&[0; 32]);
    assert!(matches!(kind(b), GgufErrorKind::TooLarge { .. }));
}

#[test]
fn rejects_bad_types_and_structures() {
    // unknown value type
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&99u32.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    assert!(matches!(kind(b), GgufErrorKind::UnknownValueType { type_id: 99, .. }));

    // nested array
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&9u32.to_le_bytes());
    b.extend_from_slice(&9u32.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.extend_from_slice(&[0; 16]);
    assert!(matches!(kind(b), GgufErrorKind::NestedArray { .. }));

    // duplicate key
    let mut b = header(3, 0, 2);
    for _ in 0..2 {
        push_str(&mut b, "k");
        b.extend_from_slice(&0u32.to_le_bytes());
        b.push(1);
    }
    assert!(matches!(kind(b), GgufErrorKind::DuplicateKey(_)));

    // bad bool
    let mut b = header(3, 0, 1);
    push_str(&mut b, "k");
    b.extend_from_slice(&7u32.to_le_bytes());
    b.push(2);
    assert!(matches!(kind(b), GgufErrorKind::Invalid(_)));

    // alignment not a power of two / wrong type
    let mut b = header(3, 0, 1);
    push_str(&mut b, "general.alignment");
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(&24u32.to_le_bytes());
    assert!(matches!(kind(b), GgufErrorKind::BadAlignment(_)));
    let mut b = header(3, 0, 1);
    push_str(&mut b, "general.alignment");
    b.extend_from_slice(&8u32.to_le_bytes());
    push_str(&mut b, "32");
    assert!(matches!(kind(b), GgufErrorKind::BadAlignment(_)));
}

fn tensor_file(dims: &[u64], type_id: u32, offset: u64, data_len: usize) -> Vec<u8> {
    let mut b = header(3, 1, 0);
    push_str(&mut b, "t");
    b.extend_from_slice(&(dims.len() as u32).to_le_bytes());
    for d in dims {
        b.extend_from_slice(&d.to_le_bytes());
    }
    b.extend_from_slice(&type_id.to_le_bytes());
    b.extend_from_slice(&offset.to_le_bytes());
    while !b.len().is_multiple_of(32) {
        b.push(0);
    }
    b.extend(std::iter::repeat_n(0u8, data_len));
    b
}

#[test]
fn rejects_bad_tensor_infos() {
    assert!(GgufFile::from_bytes("ok", tensor_file(&[4, 2], 0, 0, 32)).is_ok());
    assert!(matches!(kind(tensor_file(&[4, 2], 0, 0, 31)), GgufErrorKind::TensorOutOfBounds { .. }));
    assert!(matches!(kind(tensor_file(&[4, 2], 0, 32, 40)), GgufErrorKind::TensorOutOfBounds { .. }));
    assert!(matches!(kind(tensor_file(&[4, 2], 0, 16, 64)), GgufErrorKind::MisalignedTensor { .. }));
    assert!(matches!(kind(tensor_file(&[4, 2], 5, 0, 64)), GgufErrorKind::UnknownGgmlType { type_id: 5, .. }));
    assert!(matches!(kind(tensor_file(&[4, 2], 1000, 0, 64)), GgufErrorKind::UnknownGgmlType { .. }));
    // Q4_0 needs rows that are multiples of 32
    assert!(matches!(kind(tensor_file(&[33, 2], 2, 0, 64)), GgufErrorKind::NotBlockMultiple { .. }));
    assert!(matches!(kind(tensor_file(&[1, 1, 1, 1, 1], 0, 0, 64)), GgufErrorKind::TooManyDims { .. }));
    assert!(matches!(kind(tensor_file(&[u64::MAX, u64::MAX], 0, 0, 64)), GgufErrorKind::SizeOverflow { .. }));
    assert!(matches!(kind(tensor_file(&[1 << 40, 1 << 30], 0, 0, 64)), GgufErrorKind::SizeOverflow { .. }));
    assert!(matches!(kind(tensor_file(&[1 << 31, 1 << 20], 0, 0, 64)), GgufErrorKind::TensorOutOfBounds { .. }));
    assert!(matches!(kind(tensor_file(&[4], 0, u64::MAX - 7, 64)), GgufErrorKind::MisalignedTensor { .. }));
    assert!(matches!(kind(tensor_file(&[4], 0, u64::MAX - 31, 64)), GgufErrorKind::TensorOutOfBounds { .. }));
    assert!(matches!(kind(tensor_file(&[64], 0, u64::MAX - 31, 64)), GgufErrorKind::SizeOverflow { .. }));
    // header cut right before the data section
    let mut b = tensor_file(&[4, 2], 0, 0, 0);
    b.truncate(b.len() - 3);
    assert!(matches!(kind(b), GgufErrorKind::Truncated { .. } | GgufErrorKind::TensorOutOfBounds { .. }));
}

/// Tiny deterministic PRNG (xorshift64*), so the fuzz cases are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn fuzz_truncations_never_panic() {
    let good = sample_writer().to_bytes().unwrap();
    for len in 0..good.len() {
        let r = GgufFile::from_bytes("cut.gguf", good[..len].to_vec());
        assert!(r.is_err(), "truncation to {len} bytes was accepted");
    }
}

#[test]
fn fuzz_byte_flips_never_panic() {
    let good = sample_writer().to_bytes().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let interesting = [0x00u8, 0xFF, 0x7F, 0x80, 0x01, 0x20, 0x40];
    for _ in 0..20_000 {
        let mut b = good.clone();
        let n = 1 + rng.below(4);
        for _ in 0..n {
            let i = rng.below(b.len());
            b[i] = if rng.below(2) == 0 { interesting[rng.below(interesting.len())] } else { rng.next() as u8 };
        }
        if rng.below(4) == 0 {
            let cut = rng.below(b.len());
            b.truncate(cut);
        }
        // Must return (Ok or Err) without panicking; on Ok every tensor slice must be in bounds.
        if let Ok(f) = GgufFile::from_bytes("fuzz.gguf", b) {
            for t in f.tensors() {
                assert_eq!(f.tensor_bytes(t).len() as u64, t.n_bytes);
            }
        }
    }
}

#[test]
fn fuzz_random_u64_fields_never_panic() {
    // Overwrite aligned 8-byte words with extreme values: hits every count/length/offset field.
    let good = sample_writer().to_bytes().unwrap();
    let extremes = [u64::MAX, 1 << 63, 1 << 60, 1 << 32, u32::MAX as u64, 0, 1, 1 << 20];
    let header_len = (good.len() - 64).min(600);
    for pos in 0..header_len {
        for &x in &extremes {
            let mut b = good.clone();
            if pos + 8 <= b.len() {
                b[pos..pos + 8].copy_from_slice(&x.to_le_bytes());
            }
            let _ = GgufFile::from_bytes("fuzz.gguf", b);
        }
    }
}
