//! The model's own chat template must render exactly what llama.cpp / transformers render.
mod common;

use quill_llm::gguf::GgufFile;
use quill_llm::{ChatMessage, ChatTemplate, Tokenizer};

fn load() -> (ChatTemplate, Tokenizer) {
    let f = GgufFile::open(common::model_path()).expect("open model");
    let tok = Tokenizer::from_gguf(&f).expect("tokenizer");
    (ChatTemplate::from_gguf(&f, &tok).expect("template"), tok)
}

#[test]
fn fixed_prompt_renders_identically() {
    let (t, tok) = load();
    assert!(!t.is_fallback());
    let r = common::reference_json("fixed_prompt_ref.json");
    let msgs: Vec<ChatMessage> = serde_json::from_value(r["prompt_messages"].clone()).unwrap();
    let text = t.render(&msgs, true).unwrap();
    assert_eq!(text, r["prompt_text"].as_str().unwrap());
    assert_eq!(tok.encode(&text, true, true), common::ids(&r["prompt_ids"]));
}

#[test]
fn multi_turn_with_system_renders_identically() {
    let (t, _) = load();
    let r = common::reference_json("tokenizer_ref.json");
    let case = r["cases"].as_array().unwrap().iter().find(|c| c["name"] == "chat_template").unwrap();
    let msgs = [
        ChatMessage::system("You are a concise assistant."),
        ChatMessage::user("Give me one tip for writing a tweet."),
        ChatMessage::assistant("Lead with the most surprising fact."),
        ChatMessage::user("And another?"),
    ];
    assert_eq!(t.render(&msgs, true).unwrap(), case["text"].as_str().unwrap());
}
