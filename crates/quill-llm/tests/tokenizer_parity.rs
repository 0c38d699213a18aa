//! Token ids must equal llama.cpp's (reference data in ../shared/reference/smollm2/).
mod common;

use quill_llm::gguf::GgufFile;
use quill_llm::tokenizer::Tokenizer;

fn tokenizer() -> Tokenizer {
    let f = GgufFile::open(common::model_path()).expect("open model");
    Tokenizer::from_gguf(&f).expect("tokenizer")
}

#[test]
fn reference_strings_match_llama_cpp() {
    let t = tokenizer();
    let r = common::reference_json("tokenizer_ref.json");
    let cases = r["cases"].as_array().expect("cases");
    assert!(cases.len() >= 6);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let text = c["text"].as_str().unwrap();
        assert_eq!(t.encode(text, false, true), common::ids(&c["ids_no_special"]), "case {name}");
        assert_eq!(t.encode(text, true, true), common::ids(&c["ids_add_special"]), "case {name} (add_special)");
        if c["roundtrip_equal"].as_bool() == Some(true) {
            assert_eq!(t.decode(&common::ids(&c["ids_no_special"]), true), text, "round trip {name}");
        }
    }
}

#[test]
fn fixed_prompt_ids_match_llama_cpp() {
    let t = tokenizer();
    let r = common::reference_json("fixed_prompt_ref.json");
    let text = r["prompt_text"].as_str().unwrap();
    assert_eq!(t.encode(text, true, true), common::ids(&r["prompt_ids"]));
}

#[test]
fn perplexity_text_ids_match_llama_cpp() {
    let t = tokenizer();
    let r = common::reference_json("perplexity_ref.json");
    let path = common::reference_dir().join("smollm2").join(r["text_file"].as_str().unwrap());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ids = t.encode(&text, false, false);
    let want = common::ids(&r["token_ids"]);
    assert_eq!(&ids[..want.len()], &want[..]);
}

#[test]
fn special_tokens_and_stop_ids() {
    let t = tokenizer();
    assert_eq!(t.vocab_size(), 49152);
    assert!(!t.add_bos());
    let s = t.special();
    assert_eq!(s.bos, Some(1));
    assert_eq!(s.eos, Some(2));
    assert_eq!(t.token_text(2), Some("<|im_end|>"));
    assert!(t.is_eog(2) && t.is_eog(0));
    assert!(!t.is_eog(1));
    // control tokens render only when asked
    assert_eq!(t.decode(&[1, 4093, 2], true), "<|im_start|>user<|im_end|>");
    assert_eq!(t.decode(&[1, 4093, 2], false), "user");
}

/// More text (emoji ZWJ sequences and flags, CJK, digits, spaces, newline runs, code,
/// contractions, specials inside text, URLs, math): ids from llama.cpp, stored in
/// tests/data/llama_cpp_extra_tokens.json.
#[test]
fn extra_strings_match_llama_cpp() {
    let t = tokenizer();
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/llama_cpp_extra_tokens.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 14);
    for c in cases {
        let text = c["text"].as_str().unwrap();
        assert_eq!(t.encode(text, false, true), common::ids(&c["ids"]), "special=true: {text:?}");
        assert_eq!(t.encode(text, false, false), common::ids(&c["ids_plain"]), "special=false: {text:?}");
        assert_eq!(t.decode(&common::ids(&c["ids_plain"]), true), text, "round trip {text:?}");
    }
}

#[test]
fn streaming_decoder_reassembles_split_emoji() {
    let t = tokenizer();
    let text = "Launch 🚀 family 👨‍👩‍👧 done";
    let ids = t.encode(text, false, false);
    let mut d = quill_llm::Decoder::new();
    let mut out = String::new();
    for &id in &ids {
        let piece = d.push(t.token_to_piece(id, false));
        assert!(!piece.contains('\u{FFFD}'), "partial UTF-8 leaked: {piece:?}");
        out.push_str(&piece);
    }
    out.push_str(&d.flush());
    assert_eq!(out, text);
}
