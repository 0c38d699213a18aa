//! The OpenAI-compatible client ([`OpenAiBackend`]) against a real `quill-serve` running the real
//! default model on loopback: streaming, non-streaming, cancellation, a server that closes the
//! connection, a slow server, 429 with Retry-After, 401, 404, context length.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use quill_backends::{BackendError, ChatMessage, FinishReason, Flow, GenParams, Generator};

fn greedy(max: u32) -> GenParams {
    GenParams { temperature: Some(0.0), max_tokens: Some(max), ..Default::default() }
}

fn long_run() -> GenParams {
    GenParams { temperature: Some(0.0), max_tokens: Some(1500), ignore_eos: true, ..Default::default() }
}

fn ask() -> Vec<ChatMessage> {
    vec![ChatMessage::system("You are brief."), ChatMessage::user("Name three colours.")]
}

#[test]
fn streaming_and_non_streaming_agree() {
    let _s = serial();
    let h = start(1, |_| {});
    let streaming = client(&h, |_| {});
    let mut pieces = Vec::new();
    let s = streaming
        .generate(&ask(), &greedy(24), &mut |p| {
            pieces.push(p.to_string());
            Flow::Continue
        })
        .unwrap();
    assert!(pieces.len() > 1, "expected several pieces, got {pieces:?}");
    assert_eq!(pieces.concat(), s.text);
    assert!(s.usage.prompt_tokens > 5, "{:?}", s.usage);
    assert!(s.usage.completion_tokens >= 1 && s.usage.completion_tokens <= 24);
    assert!(matches!(s.finish_reason, FinishReason::Stop | FinishReason::Length));
    assert_eq!(s.model, "smollm2");
    assert!(s.timings.time_to_first_token.is_some());

    let whole = client(&h, |o| o.stream = false);
    let mut calls = 0;
    let n = whole
        .generate(&ask(), &greedy(24), &mut |_| {
            calls += 1;
            Flow::Continue
        })
        .unwrap();
    assert_eq!(calls, 1);
    // Greedy decoding: both transports carry the same text and counts.
    assert_eq!(n.text, s.text);
    assert_eq!(n.usage, s.usage);
    assert_eq!(n.finish_reason, s.finish_reason);

    let models = whole.list_models().unwrap();
    assert_eq!(models.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["smollm2"]);
    // The served context window is reported, and a client with none configured discovers it.
    let served_ctx = models[0].context_window().expect("context_length in /v1/models");
    assert!(served_ctx >= 512, "{served_ctx}");
    assert_eq!(whole.context_length(), Some(served_ctx));

    // Same seed, same text; length finish reported as such.
    let seeded = GenParams {
        temperature: Some(0.9),
        seed: Some(1234),
        max_tokens: Some(12),
        ignore_eos: true,
        ..Default::default()
    };
    let a = streaming.generate(&ask(), &seeded, &mut |_| Flow::Continue).unwrap();
    let b = whole.generate(&ask(), &seeded, &mut |_| Flow::Continue).unwrap();
    assert_eq!(a.text, b.text);
    assert_eq!(a.finish_reason, FinishReason::Length);
    assert_eq!(a.usage.completion_tokens, 12);
}

#[test]
fn raw_wire_format_n_stop_usage_and_sse() {
    let _s = serial();
    let h = start(1, |_| {});
    let http = http();
    let url = format!("{}/chat/completions", h.base_url());
    let body = serde_json::json!({
        "model": "smollm2",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Count: one, two,"}]}],
        "n": 2, "seed": 5, "temperature": 0.7, "top_p": 0.9, "max_tokens": 6, "stop": "\n\n"
    });
    let v: serde_json::Value = http.post(&url).json(&body).send().unwrap().json().unwrap();
    assert_eq!(v["object"], "chat.completion");
    let choices = v["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    for (i, c) in choices.iter().enumerate() {
        assert_eq!(c["index"], i);
        assert_eq!(c["message"]["role"], "assistant");
        assert!(["stop", "length"].contains(&c["finish_reason"].as_str().unwrap()), "{c}");
    }
    let u = &v["usage"];
    assert_eq!(
        u["total_tokens"].as_u64(),
        Some(u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap())
    );

    // Streaming on the wire: a role chunk, content chunks, a finish chunk, a usage chunk, [DONE].
    let body = serde_json::json!({
        "model": "smollm2", "messages": [{"role": "user", "content": "Hi"}],
        "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 5, "temperature": 0
    });
    let resp = http.post(&url).json(&body).send().unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().unwrap();
    let events: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    assert_eq!(events.last(), Some(&"[DONE]"), "{text}");
    let chunks: Vec<serde_json::Value> =
        events[..events.len() - 1].iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"].as_array().unwrap().len(), 0);
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() <= 5);
    let finish = &chunks[chunks.len() - 2]["choices"][0]["finish_reason"];
    assert!(finish == "stop" || finish == "length", "{finish}");
}

#[test]
fn cancelling_mid_stream_frees_the_slot() {
    let _s = serial();
    let h = start(1, |_| {});
    let c = client(&h, |_| {});
    let mut seen = 0;
    let started = Instant::now();
    let done = c
        .generate(&ask(), &long_run(), &mut |_| {
            seen += 1;
            if seen == 3 { Flow::Stop } else { Flow::Continue }
        })
        .unwrap();
    assert_eq!(done.finish_reason, FinishReason::Cancelled);
    assert_eq!(seen, 3);
    // The client dropped the connection; the server notices on its next write, stops generating
    // and frees its only slot long before 1500 tokens could have been produced.
    wait_until(Duration::from_secs(20), "the server to cancel the generation", || h.control().stats().cancelled == 1);
    wait_until(Duration::from_secs(5), "the slot to be free", || h.control().stats().busy == 0);
    let after = c.generate(&ask(), &greedy(4), &mut |_| Flow::Continue).unwrap();
    assert!(after.usage.completion_tokens <= 4);
    assert!(started.elapsed() < Duration::from_secs(60));

    // The same with a plain HTTP client that reads one chunk and hangs up.
    let http = http();
    let body = serde_json::json!({"messages": [{"role": "user", "content": "Hi"}], "stream": true, "max_tokens": 1500, "ignore_eos": true});
    let mut resp = http.post(format!("{}/chat/completions", h.base_url())).json(&body).send().unwrap();
    let mut buf = [0u8; 64];
    let n = std::io::Read::read(&mut resp, &mut buf).unwrap();
    assert!(n > 0);
    drop(resp);
    wait_until(Duration::from_secs(20), "the second cancellation", || h.control().stats().cancelled == 2);
    wait_until(Duration::from_secs(5), "the slot to be free again", || h.control().stats().busy == 0);
}

#[test]
fn server_closing_the_connection_mid_stream_is_a_clear_error() {
    let _s = serial();
    let h = start(1, |_| {});
    let c = client(&h, |_| {});
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        let mut first = true;
        c.generate(&ask(), &long_run(), &mut |_| {
            if first {
                first = false;
                let _ = tx.send(());
            }
            Flow::Continue
        })
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("a first piece");
    h.abort().unwrap(); // what a forced shutdown does: every open stream is cut
    let err = t.join().unwrap().unwrap_err();
    match &err {
        BackendError::StreamClosed { received, .. } => assert!(*received >= 1),
        other => panic!("expected StreamClosed, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("closed the connection mid-stream"), "{msg}");
}

#[test]
fn a_slow_server_hits_the_read_timeout() {
    let _s = serial();
    let h = start(1, |_| {});
    // Occupy the only slot with a long generation...
    let busy = client(&h, |_| {});
    let (tx, rx) = mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let t = std::thread::spawn(move || {
        let mut first = true;
        busy.generate(&ask(), &long_run(), &mut |_| {
            if first {
                first = false;
                let _ = tx.send(());
            }
            if stop2.load(std::sync::atomic::Ordering::SeqCst) { Flow::Stop } else { Flow::Continue }
        })
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("a first piece");
    // ...so the next request waits in the queue and the server sends nothing at all.
    let impatient = client(&h, |o| {
        o.read_timeout = Duration::from_millis(400);
        o.stream = false;
    });
    let t0 = Instant::now();
    let err = impatient.generate(&ask(), &greedy(4), &mut |_| Flow::Continue).unwrap_err();
    let took = t0.elapsed();
    assert!(matches!(err, BackendError::Timeout { .. }), "expected Timeout, got {err:?}");
    assert!(err.to_string().contains("read timeout"), "{err}");
    assert!(took >= Duration::from_millis(350) && took < Duration::from_secs(10), "{took:?}");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(t.join().unwrap().unwrap().finish_reason, FinishReason::Cancelled);
    // The abandoned queued request left the queue.
    wait_until(Duration::from_secs(20), "the queue to drain", || {
        let s = h.control().stats();
        s.queued == 0 && s.busy == 0
    });
}

#[test]
fn queue_full_gives_429_with_retry_after_and_the_client_honours_it() {
    let _s = serial();
    let h = start(1, |o| o.max_queue = 0);
    let busy = client(&h, |_| {});
    let (tx, rx) = mpsc::channel();
    let occupy = GenParams { max_tokens: Some(150), ..long_run() };
    let t = std::thread::spawn(move || {
        let mut first = true;
        busy.generate(&ask(), &occupy, &mut |_| {
            if first {
                first = false;
                let _ = tx.send(());
            }
            Flow::Continue
        })
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("a first piece");

    // On the wire: 429, Retry-After in whole seconds, an OpenAI-style error body.
    let resp = http()
        .post(format!("{}/chat/completions", h.base_url()))
        .json(&serde_json::json!({"messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 429);
    let after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(after >= 1);
    let v: serde_json::Value = resp.json().unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(v["error"]["code"], "queue_full");

    // Without retries the client reports the 429 and the server's hint.
    let no_retry = client(&h, |_| {});
    let err = no_retry.generate(&ask(), &greedy(4), &mut |_| Flow::Continue).unwrap_err();
    match &err {
        BackendError::Overloaded { status: 429, attempts: 1, retry_after: Some(d), .. } => {
            assert!(*d >= Duration::from_secs(1))
        }
        other => panic!("expected Overloaded 429, got {other:?}"),
    }

    // With retries it waits as told (at least the Retry-After) and gets through once the slot frees.
    let patient = client(&h, |o| o.retry.max_retries = 30);
    let t0 = Instant::now();
    let ok = patient.generate(&ask(), &greedy(4), &mut |_| Flow::Continue).unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(1), "{:?}", t0.elapsed());
    assert!(ok.usage.completion_tokens >= 1);
    t.join().unwrap().unwrap();
    assert!(h.control().stats().rejected >= 3, "{:?}", h.control().stats());
}

#[test]
fn auth_not_found_bad_json_body_limit_and_context_length() {
    let _s = serial();
    let h = start(1, |o| {
        o.token = Some("s3cret".into());
        o.max_body_bytes = 64 * 1024;
    });
    // 401 with a wrong key, and with none.
    let wrong = client(&h, |o| {
        o.api_key = Some("wrong".into());
        o.api_key_env = Some("QUILL_TEST_KEY".into());
    });
    let err = wrong.generate(&ask(), &greedy(2), &mut |_| Flow::Continue).unwrap_err();
    assert!(matches!(err, BackendError::Unauthorized { status: 401, .. }), "{err:?}");
    assert!(err.to_string().contains("$QUILL_TEST_KEY"), "{err}");
    assert!(matches!(client(&h, |_| {}).list_models(), Err(BackendError::Unauthorized { .. })));
    let right = client(&h, |o| o.api_key = Some("s3cret".into()));
    assert_eq!(right.list_models().unwrap().len(), 1);
    // /health stays open for probes.
    let http = http();
    assert_eq!(http.get(format!("http://{}/health", h.addr())).send().unwrap().status(), 200);

    // 404: a model the server does not have, and a wrong base URL.
    let other_model = client(&h, |o| {
        o.api_key = Some("s3cret".into());
        o.model = "gpt-4o".into();
    });
    let err = other_model.generate(&ask(), &greedy(2), &mut |_| Flow::Continue).unwrap_err();
    assert!(matches!(err, BackendError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("does not exist on this server"), "{err}");
    let mut o = quill_backends::OpenAiOptions::new(format!("http://{}/v2", h.addr()), "smollm2");
    o.api_key = Some("s3cret".into());
    let err = quill_backends::OpenAiBackend::new(o).unwrap().list_models().unwrap_err();
    assert!(matches!(err, BackendError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("check base_url"), "{err}");

    // 400 on malformed JSON and on a wrong shape, with OpenAI's error object.
    let url = format!("{}/chat/completions", h.base_url());
    for (body, needle) in [
        (r#"{"model": "smollm2", "messages": [{"role": "user", "content": "hi"}"#, "malformed JSON"),
        (r#"{"messages": "hi"}"#, "unexpected JSON shape"),
        (r#"{"messages": [{"role": "tool", "content": "x"}]}"#, "not supported"),
        (r#"{"messages": [{"role": "user", "content": "x"}], "temperature": 9}"#, "temperature must be between"),
    ] {
        let resp =
            http.post(&url).bearer_auth("s3cret").header("content-type", "application/json").body(body).send().unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let v: serde_json::Value = resp.json().unwrap();
        assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(needle), "{v}");
    }
    // 413 past the body limit.
    let big = serde_json::json!({"messages": [{"role": "user", "content": "x".repeat(100_000)}]});
    let resp = http.post(&url).bearer_auth("s3cret").json(&big).send().unwrap();
    assert_eq!(resp.status(), 413);
    let v: serde_json::Value = resp.json().unwrap();
    assert_eq!(v["error"]["code"], "request_too_large");

    // Context length: a prompt longer than the 2048-token window the test server loads.
    let long = vec![ChatMessage::user("hello ".repeat(3000))];
    let err = right.generate(&long, &greedy(2), &mut |_| Flow::Continue).unwrap_err();
    match &err {
        BackendError::ContextLength { limit: Some(2048), requested: Some(r), .. } => assert!(*r > 2048),
        other => panic!("expected ContextLength, got {other:?}"),
    }
    assert!(err.to_string().contains("context window of 2048 tokens"), "{err}");
}

#[test]
fn connection_refused_is_reported_after_retries() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut o = quill_backends::OpenAiOptions::new(format!("http://127.0.0.1:{port}/v1"), "m");
    o.retry.max_retries = 2;
    o.retry.base = Duration::from_millis(10);
    let err = quill_backends::OpenAiBackend::new(o).unwrap().list_models().unwrap_err();
    assert!(matches!(err, BackendError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("is the server running"), "{err}");
}
