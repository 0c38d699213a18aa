//! The format-neutral training example every source produces and every format renders.

use serde::{Deserialize, Serialize};

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text of the turn.
    pub content: String,
    /// OpenAI's per-turn training weight on assistant turns: `Some(0)` shows the turn as context
    /// without training on it. `None` = the service default (trained).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u8>,
}

impl Message {
    /// A turn with no explicit weight.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.to_string(), content: content.into(), weight: None }
    }
}

/// Where an example came from; used for the stratified split, the manifest and the balance check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// What kind of example: `post`, `hook`, `rewrite`, … (a library kind) or `import`.
    pub kind: String,
    /// Platform (`linkedin`, `x`, …) or `unknown` for imported files that do not say.
    pub platform: String,
    /// The library entry, when built from the library (joins `entry_splits`).
    pub entry_id: Option<i64>,
    /// The line of the imported file, when imported.
    pub line: Option<usize>,
    /// A stable content key (hex SHA-256): the split orders by `hash(seed, key)`, so the same
    /// library gives the same split in any workspace, whatever the entry ids.
    pub key: String,
    /// The entry's rating, for weighting and the "proven" part of the verdict.
    pub rating: Option<u8>,
    /// The entry's performance score (1.0 = a typical post on its platform).
    pub score: Option<f64>,
}

/// One training example: a conversation whose last turn is the target, plus the single-turn
/// pieces (instruction, input) that the Alpaca format keeps apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The conversation: optional system turn, then user/assistant turns ending with the target.
    pub messages: Vec<Message>,
    /// Single-turn examples: the instruction ("Rewrite this in my voice.").
    pub instruction: Option<String>,
    /// Single-turn examples: the input the instruction applies to (a draft, a brief).
    pub input: Option<String>,
    /// Where it came from.
    pub origin: Origin,
}

impl Example {
    /// A single-turn example: `[system], user = instruction + "\n\n" + input, assistant = target`.
    pub fn single_turn(system: Option<&str>, instruction: &str, input: &str, target: &str, origin: Origin) -> Self {
        let mut messages = Vec::with_capacity(3);
        if let Some(s) = system.filter(|s| !s.trim().is_empty()) {
            messages.push(Message::new("system", s));
        }
        let user = if input.is_empty() { instruction.to_string() } else { format!("{instruction}\n\n{input}") };
        messages.push(Message::new("user", user));
        messages.push(Message { role: "assistant".into(), content: target.to_string(), weight: Some(1) });
        Self { messages, instruction: Some(instruction.to_string()), input: Some(input.to_string()), origin }
    }

    /// The system prompt, if any.
    pub fn system(&self) -> Option<&str> {
        self.messages.iter().find(|m| m.role == "system").map(|m| m.content.as_str())
    }

    /// The final assistant turn: what the model is trained to write.
    pub fn target(&self) -> &str {
        self.messages.iter().rev().find(|m| m.role == "assistant").map(|m| m.content.as_str()).unwrap_or("")
    }

    /// Everything the model sees before the target (system and earlier turns), for leak checks.
    pub fn prompt_text(&self) -> String {
        let last = self.messages.iter().rposition(|m| m.role == "assistant").unwrap_or(self.messages.len());
        self.messages[..last].iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n\n")
    }

    /// The number of user→assistant turns.
    pub fn turns(&self) -> usize {
        self.messages.iter().filter(|m| m.role == "assistant").count()
    }
}
