//! The dataset pipeline on the real model: rendering with SmolLM2's own chat template and
//! tokenizing reproduces the PyTorch reference token stream exactly, and the loss mask covers
//! the assistant replies (with their `<|im_end|>`) and nothing else.

mod common;

use quill_llm::gguf::GgufFile;
use quill_llm::{ChatTemplate, Tokenizer};
use quill_tune::data::{Conversation, Encoder, Message};

#[derive(serde::Deserialize)]
struct Example {
    user: String,
    assistant: String,
}

#[derive(serde::Deserialize)]
struct Reference {
    examples: Vec<Example>,
    stream_token_ids: Vec<u32>,
}

fn conv(msgs: Vec<Message>) -> Conversation {
    Conversation { messages: msgs, path: "test.jsonl".into(), line: 1 }
}

fn msg(role: &str, content: &str, weight: Option<f64>) -> Message {
    Message { role: role.into(), content: content.into(), weight }
}

#[test]
fn template_and_tokens_match_the_pytorch_reference_stream() {
    let f = GgufFile::open(common::model_path()).unwrap();
    let tok = Tokenizer::from_gguf(&f).unwrap();
    let tmpl = ChatTemplate::from_gguf(&f, &tok).unwrap();
    let enc = Encoder::new(&tok, &tmpl);
    assert_eq!(enc.end_of_turn(), Some("<|im_end|>"));
    let reference: Reference =
        serde_json::from_str(&std::fs::read_to_string(common::torch_lora_dir().join("reference.json")).unwrap())
            .unwrap();
    let mut stream = Vec::new();
    for ex in &reference.examples {
        let e = enc.encode(&conv(vec![msg("user", &ex.user, None), msg("assistant", &ex.assistant, None)])).unwrap();
        // Trained tokens decode to exactly the reply plus the end-of-turn marker.
        let trained: Vec<u32> = e.ids.iter().zip(&e.trained).filter(|(_, t)| **t).map(|(i, _)| *i).collect();
        assert_eq!(tok.decode(&trained, true), format!("{}<|im_end|>", ex.assistant));
        // Everything trained is one contiguous run at the end (minus the template's newline).
        let first = e.trained.iter().position(|&t| t).unwrap();
        let last = e.trained.iter().rposition(|&t| t).unwrap();
        assert!(e.trained[first..=last].iter().all(|&t| t));
        assert_eq!(last, e.ids.len() - 2);
        stream.extend(e.ids);
    }
    assert_eq!(stream, reference.stream_token_ids, "token stream differs from the reference");
}

#[test]
fn weight_zero_turns_are_context_only() {
    let f = GgufFile::open(common::model_path()).unwrap();
    let tok = Tokenizer::from_gguf(&f).unwrap();
    let tmpl = ChatTemplate::from_gguf(&f, &tok).unwrap();
    let enc = Encoder::new(&tok, &tmpl);
    let e = enc
        .encode(&conv(vec![
            msg("system", "You write in Maya's voice.", None),
            msg("user", "Draft a hook.", None),
            msg("assistant", "Old draft.", Some(0.0)),
            msg("user", "Shorter.", None),
            msg("assistant", "Short hook.", Some(1.0)),
        ]))
        .unwrap();
    let trained: Vec<u32> = e.ids.iter().zip(&e.trained).filter(|(_, t)| **t).map(|(i, _)| *i).collect();
    assert_eq!(tok.decode(&trained, true), "Short hook.<|im_end|>");
    let all = tok.decode(&e.ids, true);
    assert!(all.contains("Old draft.") && all.starts_with("<|im_start|>system\nYou write in Maya's voice."));
}
