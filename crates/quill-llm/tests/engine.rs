//! Engine behaviour on the real model: seeded sampling, stop strings, limits, streaming,
//! cancellation, banned sequences, prompt-cache reuse and the LoRA hook.
mod common;

use quill_llm::{
    ChatMessage, Control, Engine, GenerateParams, Logits, LoraAdapter, LoraPair, ModelOptions, Proj, SamplingParams,
    StopReason,
};

fn engine() -> Engine {
    Engine::load(common::model_path(), &ModelOptions { n_ctx: Some(1024), ..Default::default() }).expect("load")
}

fn msgs() -> Vec<ChatMessage> {
    vec![ChatMessage::user("Write a short, upbeat social media post about our new sourdough.")]
}

fn sampled(seed: u64, max_tokens: usize) -> GenerateParams {
    GenerateParams {
        sampling: SamplingParams { seed: Some(seed), temperature: 0.9, ..Default::default() },
        max_tokens,
        ..Default::default()
    }
}

#[test]
fn same_seed_same_text_and_streaming_equals_result() {
    let mut e = engine();
    let mut streamed = String::new();
    let a = e
        .chat(&msgs(), &sampled(42, 40), |ev| {
            streamed.push_str(ev.text);
            Control::Continue
        })
        .unwrap();
    assert_eq!(streamed, a.text);
    assert_eq!(a.seed, 42);
    // second request reuses the cached prompt but must give the same text
    let b = e.chat(&msgs(), &sampled(42, 40), |_| Control::Continue).unwrap();
    assert!(b.cached_prompt_tokens > 0);
    assert_eq!(a.text, b.text);
    assert_eq!(a.tokens, b.tokens);
    // a fresh engine agrees too
    let c = engine().chat(&msgs(), &sampled(42, 40), |_| Control::Continue).unwrap();
    assert_eq!(a.text, c.text);
    let d = e.chat(&msgs(), &sampled(43, 40), |_| Control::Continue).unwrap();
    assert_ne!(a.tokens, d.tokens, "different seeds should differ");
    assert!(a.completion_tokens <= 40);
    assert!(a.timings.gen_tok_s > 0.0 && a.timings.prompt_ms > 0.0);
}

#[test]
fn max_tokens_eos_and_cancel() {
    let mut e = engine();
    let greedy = GenerateParams { sampling: SamplingParams::greedy(), max_tokens: 5, ..Default::default() };
    let r = e.chat(&msgs(), &greedy, |_| Control::Continue).unwrap();
    assert_eq!(r.completion_tokens, 5);
    assert_eq!(r.stop_reason, StopReason::MaxTokens);
    // "Reply with one word" ends with <|im_end|> well before 200 tokens
    let short = vec![ChatMessage::user("Reply with exactly one word: hello")];
    let long = GenerateParams { sampling: SamplingParams::greedy(), max_tokens: 200, ..Default::default() };
    let r = e.chat(&short, &long, |_| Control::Continue).unwrap();
    assert_eq!(r.stop_reason, StopReason::Eos);
    assert!(!r.text.contains("<|im_end|>"));
    let mut n = 0;
    let r = e
        .chat(&msgs(), &long, |_| {
            n += 1;
            if n == 3 { Control::Stop } else { Control::Continue }
        })
        .unwrap();
    assert_eq!(r.stop_reason, StopReason::Cancelled);
    assert_eq!(r.completion_tokens, 3);
}

#[test]
fn stop_strings_cut_output_even_across_tokens() {
    let mut e = engine();
    let greedy = GenerateParams { sampling: SamplingParams::greedy(), max_tokens: 30, ..Default::default() };
    let full = e.chat(&msgs(), &greedy, |_| Control::Continue).unwrap().text;
    assert!(full.chars().count() > 12, "{full:?}");
    // a stop string made of the 4th..7th characters of the greedy text (likely inside a token)
    let stop: String = full.chars().skip(3).take(4).collect();
    let p = GenerateParams { stop: vec![stop.clone()], ..greedy.clone() };
    let mut streamed = String::new();
    let r = e
        .chat(&msgs(), &p, |ev| {
            streamed.push_str(ev.text);
            Control::Continue
        })
        .unwrap();
    assert_eq!(r.stop_reason, StopReason::StopString);
    let want: String = full.chars().take(3).collect();
    assert_eq!(r.text, want);
    assert_eq!(streamed, want, "stop string leaked into the stream");
}

#[test]
fn banned_sequences_are_never_generated() {
    let mut e = engine();
    let greedy = GenerateParams { sampling: SamplingParams::greedy(), max_tokens: 12, ..Default::default() };
    let r = e.chat(&msgs(), &greedy, |_| Control::Continue).unwrap();
    // ban the greedy 2-token opening: generation must take another path
    let ban = r.tokens[..2].to_vec();
    let p = GenerateParams {
        sampling: SamplingParams { banned_sequences: vec![ban.clone()], ..SamplingParams::greedy() },
        ..greedy.clone()
    };
    let r2 = e.chat(&msgs(), &p, |_| Control::Continue).unwrap();
    assert!(!r2.tokens.windows(2).any(|w| w == ban.as_slice()), "{:?}", r2.tokens);
    assert_eq!(r2.tokens[0], ban[0], "only the last token of the sequence is banned");
}

#[test]
fn lora_hook_zero_b_is_identity_and_nonzero_changes_output() {
    let mut e = engine();
    let ids = e.tokenize_prompt(&e.render_chat(&msgs(), true).unwrap());
    let c = e.config().clone();
    let m = e.model_mut();
    let base = m.forward(&ids, Logits::Last).unwrap();
    let (out, inp) = Proj::Q.shape(&c);
    let r = 4;
    let a: Vec<f32> = (0..r * inp).map(|i| ((i * 37 % 101) as f32 / 101.0 - 0.5) * 0.1).collect();
    let mut adapter = LoraAdapter::new(c.n_layer);
    adapter.set(0, Proj::Q, LoraPair { rank: r, a: a.clone(), b: vec![0.0; out * r], scale: 2.0 });
    m.set_adapter(Some(adapter)).unwrap();
    m.reset();
    let same = m.forward(&ids, Logits::Last).unwrap();
    assert_eq!(base, same, "B = 0 must not change anything");
    let (out_d, inp_d) = Proj::Down.shape(&c);
    let mut adapter = LoraAdapter::new(c.n_layer);
    adapter.set(
        3,
        Proj::Down,
        LoraPair {
            rank: r,
            a: (0..r * inp_d).map(|i| ((i * 13 % 97) as f32 / 97.0 - 0.5) * 0.2).collect(),
            b: (0..out_d * r).map(|i| ((i * 7 % 89) as f32 / 89.0 - 0.5) * 0.2).collect(),
            scale: 1.0,
        },
    );
    m.set_adapter(Some(adapter)).unwrap();
    m.reset();
    let changed = m.forward(&ids, Logits::Last).unwrap();
    let max = base.iter().zip(&changed).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(max > 0.01, "a non-zero adapter must change the logits (max |Δ| {max})");
    // wrong shapes are rejected
    let mut bad = LoraAdapter::new(c.n_layer);
    bad.set(0, Proj::K, LoraPair { rank: 2, a: vec![0.0; 3], b: vec![0.0; 4], scale: 1.0 });
    assert!(m.set_adapter(Some(bad)).is_err());
    m.set_adapter(None).unwrap();
    m.reset();
    assert_eq!(m.forward(&ids, Logits::Last).unwrap(), base);
}

#[test]
fn context_limit_is_an_error_not_a_panic() {
    let mut e = Engine::load(common::model_path(), &ModelOptions { n_ctx: Some(16), ..Default::default() }).unwrap();
    let err = e.chat(&msgs(), &GenerateParams::default(), |_| Control::Continue).unwrap_err();
    assert!(matches!(err, quill_llm::LlmError::ContextFull { .. }), "{err}");
    let mut e = Engine::load(common::model_path(), &ModelOptions { n_ctx: Some(60), ..Default::default() }).unwrap();
    let p =
        GenerateParams { sampling: SamplingParams::greedy(), max_tokens: 100, ignore_eos: true, ..Default::default() };
    let r = e.chat(&msgs(), &p, |_| Control::Continue).unwrap();
    assert_eq!(r.stop_reason, StopReason::ContextFull);
    assert!(r.prompt_tokens + r.completion_tokens <= 61);
}
