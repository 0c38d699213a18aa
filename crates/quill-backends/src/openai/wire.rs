//! The OpenAI chat-completions wire format, shared by the client ([`super::OpenAiBackend`]) and
//! by `quill-serve`, so the two can never drift apart.
//!
//! Deserialisation is lenient on purpose: servers that claim compatibility (Ollama, llama.cpp,
//! vLLM, LM Studio) add, omit or retype fields (`code` is a number in llama.cpp, a string in
//! OpenAI). Unknown fields are ignored and missing ones default, so only what Quill actually
//! needs can fail.

use serde::{Deserialize, Serialize};

use crate::types::{ChatMessage, GenParams};

/// `POST /v1/chat/completions` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    /// Model id.
    #[serde(default)]
    pub model: String,
    /// The conversation.
    pub messages: Vec<WireMessage>,
    /// Stream with server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options (`include_usage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Nucleus threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Most new tokens (legacy name, what every compatible server reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Most new tokens (OpenAI's newer name; servers accept either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// Stop strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopField>,
    /// Seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// OpenAI frequency penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f32>,
    /// OpenAI presence penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f32>,
    /// Extension (llama.cpp, vLLM, Ollama): top-k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Extension (llama.cpp, vLLM): min-p.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f32>,
    /// Extension (llama.cpp): repetition penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_penalty: Option<f32>,
    /// Extension (llama.cpp, vLLM): keep going past end-of-sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_eos: Option<bool>,
}

/// `stream_options`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with token usage.
    #[serde(default)]
    pub include_usage: bool,
}

/// `stop`: one string or a list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum StopField {
    /// `"stop": "\n"`.
    One(String),
    /// `"stop": ["\n", "###"]`.
    Many(Vec<String>),
}

impl StopField {
    /// The stop strings as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            StopField::One(s) => vec![s],
            StopField::Many(v) => v,
        }
    }
}

/// One message on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireMessage {
    /// `system`, `developer`, `user`, `assistant` (others are rejected by the server).
    pub role: String,
    /// Text, or a list of content parts (only `text` parts are understood).
    #[serde(default)]
    pub content: Option<MessageContent>,
}

/// Message content: a string or OpenAI's list of typed parts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// `[{"type": "text", "text": "..."}]`.
    Parts(Vec<ContentPart>),
}

/// One content part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContentPart {
    /// `text`, `image_url`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl MessageContent {
    /// The text, or the name of the first part type that is not text.
    pub fn text(&self) -> Result<String, String> {
        match self {
            MessageContent::Text(s) => Ok(s.clone()),
            MessageContent::Parts(parts) => {
                let mut out = String::new();
                for p in parts {
                    match (p.kind.as_str(), &p.text) {
                        ("text", Some(t)) => out.push_str(t),
                        (kind, _) => return Err(kind.to_string()),
                    }
                }
                Ok(out)
            }
        }
    }
}

impl From<&ChatMessage> for WireMessage {
    fn from(m: &ChatMessage) -> Self {
        WireMessage { role: m.role.as_str().to_string(), content: Some(MessageContent::Text(m.content.clone())) }
    }
}

impl ChatCompletionRequest {
    /// Builds a request from Quill's neutral types; unset parameters are left out so the server's
    /// own defaults apply.
    pub fn from_params(model: &str, messages: &[ChatMessage], p: &GenParams, stream: bool) -> Self {
        ChatCompletionRequest {
            model: model.to_string(),
            messages: messages.iter().map(WireMessage::from).collect(),
            stream: Some(stream),
            stream_options: stream.then_some(StreamOptions { include_usage: true }),
            temperature: p.temperature,
            top_p: p.top_p,
            max_tokens: p.max_tokens,
            max_completion_tokens: None,
            stop: (!p.stop.is_empty()).then(|| StopField::Many(p.stop.clone())),
            seed: p.seed.map(|s| s as i64),
            n: None,
            frequency_penalty: p.frequency_penalty,
            presence_penalty: p.presence_penalty,
            top_k: p.top_k,
            min_p: p.min_p,
            repeat_penalty: p.repeat_penalty,
            ignore_eos: p.ignore_eos.then_some(true),
        }
    }
}

/// Token usage on the wire.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct WireUsage {
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_tokens: u32,
    /// Generated tokens.
    #[serde(default)]
    pub completion_tokens: u32,
    /// Sum.
    #[serde(default)]
    pub total_tokens: u32,
}

impl WireUsage {
    /// From Quill's usage.
    pub fn from_usage(u: &crate::Usage) -> Self {
        WireUsage { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total() }
    }
}

/// Non-streaming response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatCompletion {
    /// `chatcmpl-...`.
    #[serde(default)]
    pub id: String,
    /// `chat.completion`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Model that answered.
    #[serde(default)]
    pub model: String,
    /// One per `n`.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

/// One non-streaming choice.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Choice {
    /// Position (0..n).
    #[serde(default)]
    pub index: u32,
    /// The answer.
    pub message: ResponseMessage,
    /// `stop` or `length`.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Always null here; present because strict clients expect the key.
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
}

/// The assistant message of a choice.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResponseMessage {
    /// `assistant`.
    #[serde(default)]
    pub role: String,
    /// The text (null for tool-call answers, which Quill never requests).
    #[serde(default)]
    pub content: Option<String>,
}

/// One streamed chunk (`data: {...}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    /// Same id on every chunk of one response.
    #[serde(default)]
    pub id: String,
    /// `chat.completion.chunk`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Model.
    #[serde(default)]
    pub model: String,
    /// Deltas (empty on the final usage chunk).
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Only on the final chunk when `include_usage` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<WireUsage>,
}

/// One streamed choice delta.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Which choice this delta extends.
    #[serde(default)]
    pub index: u32,
    /// The new piece.
    #[serde(default)]
    pub delta: Delta,
    /// Set on the last chunk of the choice.
    pub finish_reason: Option<String>,
    /// Always null here.
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
}

/// What a chunk adds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant`, on the first chunk only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The new text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// `GET /v1/models` response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelList {
    /// `list`.
    #[serde(default)]
    pub object: String,
    /// The models.
    #[serde(default)]
    pub data: Vec<ModelObject>,
}

/// One model in [`ModelList`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ModelObject {
    /// The id to put in `model`.
    pub id: String,
    /// `model`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Who serves it.
    #[serde(default)]
    pub owned_by: String,
    /// The model's context window in tokens, where the server says (Quill, LM Studio style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// vLLM's name for the context window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_model_len: Option<u64>,
    /// llama.cpp server's model metadata (`n_ctx_train`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

impl ModelObject {
    /// The context window this entry reports, from whichever field its server uses.
    pub fn context_window(&self) -> Option<u32> {
        let meta =
            self.meta.as_ref().and_then(|m| m.get("n_ctx").or_else(|| m.get("n_ctx_train"))).and_then(|v| v.as_u64());
        self.context_length.or(self.max_model_len).or(meta).and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0)
    }
}

/// `{"error": {...}}`, the body of every error response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error object. `code` is a string in OpenAI's API and a number in llama.cpp's, hence a
/// JSON value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The offending parameter, if any.
    #[serde(default)]
    pub param: Option<String>,
    /// `context_length_exceeded`, `model_not_found`, ... (or a number).
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    /// llama.cpp: the context size (when it reports `exceed_context_size_error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_ctx: Option<u32>,
    /// llama.cpp: the prompt's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_prompt_tokens: Option<u32>,
}

impl ErrorDetail {
    /// `code` as text, whatever its JSON type.
    pub fn code_str(&self) -> Option<String> {
        match &self.code {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context window is read from each server's own field, and absent where none says.
    #[test]
    fn context_window_from_known_servers() {
        let m = |j: &str| serde_json::from_str::<ModelObject>(j).unwrap().context_window();
        assert_eq!(m(r#"{"id":"smollm2","object":"model","context_length":2048}"#), Some(2048));
        assert_eq!(m(r#"{"id":"x","object":"model","max_model_len":32768,"owned_by":"vllm"}"#), Some(32768));
        assert_eq!(m(r#"{"id":"x","object":"model","meta":{"n_ctx_train":8192,"n_vocab":49152}}"#), Some(8192));
        assert_eq!(m(r#"{"id":"llama3.2","object":"model","created":1,"owned_by":"library"}"#), None);
        assert_eq!(m(r#"{"id":"x","context_length":0}"#), None);
    }

    #[test]
    fn stop_accepts_string_or_list() {
        let r: ChatCompletionRequest = serde_json::from_str(r#"{"model":"m","messages":[],"stop":"\n"}"#).unwrap();
        assert_eq!(r.stop.unwrap().into_vec(), vec!["\n"]);
        let r: ChatCompletionRequest = serde_json::from_str(r#"{"model":"m","messages":[],"stop":["a","b"]}"#).unwrap();
        assert_eq!(r.stop.unwrap().into_vec(), vec!["a", "b"]);
    }

    #[test]
    fn content_parts() {
        let m: WireMessage = serde_json::from_str(
            r#"{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(m.content.unwrap().text().unwrap(), "ab");
        let m: WireMessage =
            serde_json::from_str(r#"{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}"#)
                .unwrap();
        assert_eq!(m.content.unwrap().text().unwrap_err(), "image_url");
    }

    #[test]
    fn unset_params_are_not_sent() {
        let r = ChatCompletionRequest::from_params("m", &[ChatMessage::user("hi")], &GenParams::default(), false);
        let v = serde_json::to_value(&r).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["model", "messages", "stream"]);
    }

    #[test]
    fn llama_cpp_error_with_numeric_code() {
        let e: ErrorBody = serde_json::from_str(
            r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":8192}}"#,
        )
        .unwrap();
        assert_eq!(e.error.code_str().as_deref(), Some("400"));
        assert_eq!(e.error.n_ctx, Some(8192));
    }
}
