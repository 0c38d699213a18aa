//! The vocabulary every generator shares: chat messages in, streamed pieces out, a [`Completion`]
//! with usage and timings at the end.
//!
//! These types are deliberately backend-neutral (no OpenAI field names, no engine types) so a
//! command written against [`crate::Generator`] never changes when a creator switches from the
//! local model to a server.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Who said a message. Only the three roles every chat template and server understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions that frame the conversation.
    System,
    /// The creator (or the tool speaking for them).
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The wire name (`system`, `user`, `assistant`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// Parses a wire name; `developer` (OpenAI's newer name for system) maps to [`Role::System`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" | "developer" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: Role,
    /// What was said (plain text).
    pub content: String,
}

impl ChatMessage {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into() }
    }
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// Sampling and stopping parameters.
///
/// Every field is optional so each backend applies its *own* defaults: a hosted API's default
/// temperature is not ours, and sending a value the creator never chose would change its output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenParams {
    /// Most new tokens to produce.
    pub max_tokens: Option<u32>,
    /// Softmax temperature; 0 means greedy.
    pub temperature: Option<f32>,
    /// Nucleus sampling threshold.
    pub top_p: Option<f32>,
    /// Keep only the k most likely tokens.
    pub top_k: Option<u32>,
    /// Drop tokens whose probability is below `min_p` times the best one's.
    pub min_p: Option<f32>,
    /// llama.cpp-style repetition penalty (1.0 = off).
    pub repeat_penalty: Option<f32>,
    /// OpenAI-style frequency penalty.
    pub frequency_penalty: Option<f32>,
    /// OpenAI-style presence penalty.
    pub presence_penalty: Option<f32>,
    /// Same seed, same text (for the local model; servers honour it on a best-effort basis).
    pub seed: Option<u64>,
    /// Stop when any of these strings appears; the stop string is not part of the output.
    pub stop: Vec<String>,
    /// Keep generating past the end-of-sequence token until `max_tokens` (load tests, benchmarks).
    pub ignore_eos: bool,
    /// Phrases the creator never uses. The local runtime bans their token sequences during
    /// sampling, so they cannot appear; servers cannot do that, so callers repair afterwards.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub banned_phrases: Vec<String>,
}

/// What a streaming callback tells the generator after each piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop now: the reader went away (a closed connection, Ctrl-C). The generator returns what
    /// it has with [`FinishReason::Cancelled`].
    Stop,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// End-of-sequence token or a stop string.
    Stop,
    /// `max_tokens` or the context window was reached.
    Length,
    /// The callback returned [`Flow::Stop`].
    Cancelled,
}

impl FinishReason {
    /// The OpenAI wire name (`stop`, `length`); a cancelled generation is reported as `stop`
    /// because the wire format has no such value and nobody is listening anyway.
    pub fn wire_name(self) -> &'static str {
        match self {
            FinishReason::Stop | FinishReason::Cancelled => "stop",
            FinishReason::Length => "length",
        }
    }
}

/// Token counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the rendered prompt.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
}

impl Usage {
    /// Prompt plus completion.
    pub fn total(&self) -> u32 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

/// Where the time went; creators compare backends with these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// From the call to the first streamed piece (queueing + prompt processing), if any piece came.
    #[serde(with = "opt_secs")]
    pub time_to_first_token: Option<Duration>,
    /// From the call to the end.
    #[serde(with = "secs")]
    pub total: Duration,
}

impl Timings {
    /// Generated tokens per second after the first token (the decode speed a reader feels).
    pub fn decode_tokens_per_sec(&self, usage: &Usage) -> Option<f64> {
        let ttft = self.time_to_first_token?;
        let decode = self.total.checked_sub(ttft)?.as_secs_f64();
        (usage.completion_tokens > 1 && decode > 0.0).then(|| f64::from(usage.completion_tokens - 1) / decode)
    }
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The whole generated text (stop strings removed).
    pub text: String,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Token counts.
    pub usage: Usage,
    /// Timings.
    pub timings: Timings,
    /// The model that answered (a server may report a more specific id than was asked for).
    pub model: String,
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}

mod opt_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Option::<f64>::deserialize(d)? {
            Some(v) => Duration::try_from_secs_f64(v).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [Role::System, Role::User, Role::Assistant] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("developer"), Some(Role::System));
        assert_eq!(Role::parse("tool"), None);
    }

    #[test]
    fn decode_speed() {
        let t = Timings { time_to_first_token: Some(Duration::from_millis(100)), total: Duration::from_millis(1100) };
        let u = Usage { prompt_tokens: 5, completion_tokens: 11 };
        let tps = t.decode_tokens_per_sec(&u).unwrap();
        assert!((tps - 10.0).abs() < 1e-9, "{tps}");
    }

    #[test]
    fn completion_json_has_seconds() {
        let c = Completion {
            text: "hi".into(),
            finish_reason: FinishReason::Length,
            usage: Usage { prompt_tokens: 3, completion_tokens: 1 },
            timings: Timings { time_to_first_token: None, total: Duration::from_millis(1500) },
            model: "m".into(),
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["timings"]["total"], 1.5);
        assert_eq!(v["finish_reason"], "length");
        let back: Completion = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
