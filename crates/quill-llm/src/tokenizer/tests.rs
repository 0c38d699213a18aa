use super::*;
use crate::gguf::{GgufValue, GgufWriter};

fn build(w: &GgufWriter) -> Result<Tokenizer, GgufError> {
    let f = GgufFile::from_bytes("tok.gguf", w.to_bytes().unwrap()).unwrap();
    Tokenizer::from_gguf(&f)
}

/// A small byte-level BPE vocab: 256 byte symbols, a few merges, two control tokens.
fn bpe_writer(pre: &str) -> GgufWriter {
    let table = unicode::byte_to_char_table();
    let mut tokens: Vec<String> = vec!["<|endoftext|>".into(), "<|im_start|>".into(), "<|im_end|>".into()];
    let mut types = vec![3, 3, 3];
    for c in table.iter() {
        tokens.push(c.to_string());
        types.push(1);
    }
    let merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "Ġw o", "o r", "Ġwo r", "Ġwor l", "Ġworl d", "1 2"];
    for m in merges {
        let joined = m.replace(' ', "");
        tokens.push(joined);
        types.push(1);
    }
    let mut w = GgufWriter::new();
    w.set("tokenizer.ggml.model", GgufValue::String("gpt2".into()))
        .set("tokenizer.ggml.pre", GgufValue::String(pre.into()))
        .set("tokenizer.ggml.tokens", GgufValue::Array(GgufArray::String(tokens)))
        .set("tokenizer.ggml.token_type", GgufValue::Array(GgufArray::I32(types)))
        .set(
            "tokenizer.ggml.merges",
            GgufValue::Array(GgufArray::String(merges.iter().map(|s| s.to_string()).collect())),
        )
        .set("tokenizer.ggml.bos_token_id", GgufValue::U32(1))
        .set("tokenizer.ggml.eos_token_id", GgufValue::U32(2))
        .set("tokenizer.ggml.add_bos_token", GgufValue::Bool(false));
    w
}

#[test]
fn bpe_merges_and_specials() {
    let t = build(&bpe_writer("gpt-2")).unwrap();
    let hello = t.token_id("hello").unwrap();
    let world = t.token_id("Ġworld").unwrap();
    assert_eq!(t.encode("hello world", false, false), vec![hello, world]);
    // specials parsed only when asked
    let ids = t.encode("<|im_start|>hello<|im_end|>", false, true);
    assert_eq!(ids, vec![1, hello, 2]);
    let ids = t.encode("<|im_start|>", false, false);
    assert!(ids.len() > 1 && !ids.contains(&1));
    // round trip, with and without control tokens
    assert_eq!(t.decode(&[1, hello, world, 2], true), "<|im_start|>hello world<|im_end|>");
    assert_eq!(t.decode(&[1, hello, world, 2], false), "hello world");
    // EOG contains <|endoftext|> and <|im_end|> (eos)
    assert!(t.is_eog(0) && t.is_eog(2) && !t.is_eog(1));
    assert_eq!(t.special().eot, Some(2));
    // unknown multi-byte chars fall back to byte tokens and still round-trip
    let s = "héllo 🚀 12";
    assert_eq!(t.decode(&t.encode(s, false, false), false), s);
    // digits: gpt-2 keeps "12" together, smollm isolates digits
    let twelve = t.token_id("12").unwrap();
    assert!(t.encode("12", false, false).contains(&twelve));
    let s = build(&bpe_writer("smollm")).unwrap();
    assert!(!s.encode("12", false, false).contains(&twelve));
}

#[test]
fn bos_eos_follow_metadata() {
    let mut w = bpe_writer("gpt-2");
    w.set("tokenizer.ggml.add_bos_token", GgufValue::Bool(true));
    w.set("tokenizer.ggml.add_eos_token", GgufValue::Bool(true));
    let t = build(&w).unwrap();
    let ids = t.encode("hello", true, false);
    assert_eq!(ids.first(), Some(&1));
    assert_eq!(ids.last(), Some(&2));
    assert_eq!(t.encode("hello", false, false).len(), 1);
    assert_eq!(t.encode("", true, false), vec![1, 2]);
}

#[test]
fn rejects_unknown_models_and_pre_tokenizers() {
    let e = build(&bpe_writer("not-a-real-pre")).unwrap_err();
    assert!(e.to_string().contains("not-a-real-pre"), "{e}");
    let mut w = bpe_writer("gpt-2");
    w.set("tokenizer.ggml.model", GgufValue::String("t5".into()));
    assert!(build(&w).unwrap_err().to_string().contains("t5"));
    let mut w = GgufWriter::new();
    w.set("tokenizer.ggml.model", GgufValue::String("gpt2".into()));
    assert!(build(&w).unwrap_err().to_string().contains("tokenizer.ggml.tokens"));
    let mut w = bpe_writer("gpt-2");
    w.set("tokenizer.ggml.tokens", GgufValue::U32(3));
    assert!(build(&w).is_err());
    let mut w = bpe_writer("gpt-2");
    w.set("tokenizer.ggml.token_type", GgufValue::Array(GgufArray::I32(vec![1, 2])));
    assert!(build(&w).is_err());
}

fn spm_writer() -> GgufWriter {
    let mut tokens: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
    let mut types = vec![2, 3, 3];
    let mut scores = vec![0.0f32, 0.0, 0.0];
    for b in 0..256 {
        tokens.push(format!("<0x{b:02X}>"));
        types.push(6);
        scores.push(0.0);
    }
    for (t, s) in [
        ("▁", -1.0),
        ("h", -2.0),
        ("e", -2.0),
        ("l", -2.0),
        ("o", -2.0),
        ("▁h", -3.0),
        ("ll", -3.0),
        ("▁he", -4.0),
        ("▁hell", -5.0),
        ("▁hello", -6.0),
        ("lo", -3.5),
    ] {
        tokens.push(t.into());
        types.push(1);
        scores.push(s);
    }
    let mut w = GgufWriter::new();
    w.set("tokenizer.ggml.model", GgufValue::String("llama".into()))
        .set("tokenizer.ggml.tokens", GgufValue::Array(GgufArray::String(tokens)))
        .set("tokenizer.ggml.token_type", GgufValue::Array(GgufArray::I32(types)))
        .set("tokenizer.ggml.scores", GgufValue::Array(GgufArray::F32(scores)));
    w
}

#[test]
fn spm_scores_prefix_space_and_byte_fallback() {
    let t = build(&spm_writer()).unwrap();
    assert!(t.add_bos());
    let hello = t.token_id("▁hello").unwrap();
    assert_eq!(t.encode("hello", true, false), vec![1, hello]);
    assert_eq!(t.decode(&[1, hello], false), " hello");
    // 'z' is not in the vocab: byte fallback <0x7A>
    let ids = t.encode("hz", false, false);
    let z = t.token_id("<0x7A>").unwrap();
    assert_eq!(ids, vec![t.token_id("▁h").unwrap(), z]);
    assert_eq!(t.decode(&ids, false), " hz");
    // multi-byte char → 3 byte tokens that decode back
    let ids = t.encode("€", false, false);
    assert_eq!(ids.len(), 4);
    assert_eq!(t.decode(&ids, false), " €");
    // special token text splits fragments; prefix space re-added after it
    let ids = t.encode("hello</s>hello", false, true);
    assert_eq!(ids, vec![hello, 2, hello]);
}

#[test]
fn decoder_holds_partial_utf8() {
    let mut d = Decoder::new();
    let rocket = "🚀".as_bytes();
    assert_eq!(d.push(&rocket[..1]), "");
    assert_eq!(d.push(&rocket[1..3]), "");
    assert!(d.has_pending());
    assert_eq!(d.push(&rocket[3..]), "🚀");
    assert_eq!(d.push(b"ab\xe2"), "ab");
    assert_eq!(d.push(b"\x82\xac!"), "€!");
    // invalid byte becomes U+FFFD, the rest goes through
    assert_eq!(d.push(b"\xffok"), "\u{FFFD}ok");
    assert_eq!(d.push(b"\xe2\x82"), "");
    assert_eq!(d.flush(), "\u{FFFD}");
    assert!(!d.has_pending());
}
