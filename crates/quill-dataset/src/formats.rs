//! The JSONL formats trainers accept, written and read.
//!
//! * **OpenAI chat**: `{"messages":[{"role","content"},…]}`, assistant turns with `"weight": 0|1`.
//! * **ShareGPT**: `{"conversations":[{"from":"system|human|gpt","value"},…]}` (axolotl, LLaMA-Factory).
//! * **Alpaca**: `{"instruction","input","output"[,"system"]}` — one turn.
//! * **Completion**: `{"prompt","completion"}` — one turn, plain text (TRL's prompt-completion shape).
//!
//! Reading detects the format per line, so a file mixing formats still imports; every bad line is
//! reported with its number instead of stopping at the first.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{Error, LineProblem, Result};
use crate::example::{Example, Message, Origin};
use crate::text::sha256_hex;

/// A dataset file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// OpenAI chat fine-tuning JSONL.
    Openai,
    /// ShareGPT conversations.
    Sharegpt,
    /// Alpaca instruction/input/output.
    Alpaca,
    /// Plain prompt/completion.
    Completion,
}

impl Format {
    /// Every format, in the order `--format all` writes them.
    pub const ALL: &'static [Format] = &[Format::Openai, Format::Sharegpt, Format::Alpaca, Format::Completion];

    /// Lowercase name, also the folder name under the output directory.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Openai => "openai",
            Format::Sharegpt => "sharegpt",
            Format::Alpaca => "alpaca",
            Format::Completion => "completion",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "openai" | "chat" => Ok(Format::Openai),
            "sharegpt" => Ok(Format::Sharegpt),
            "alpaca" => Ok(Format::Alpaca),
            "completion" | "prompt-completion" => Ok(Format::Completion),
            other => {
                Err(Error::Invalid(format!("unknown format {other:?}; use openai, sharegpt, alpaca or completion")))
            }
        }
    }
}

/// Renders one example as one JSON line (no trailing newline).
///
/// Alpaca and completion hold one turn; a multi-turn conversation is refused rather than silently
/// cut, and an explicit `weight` is only kept by the OpenAI format.
pub fn render(ex: &Example, format: Format) -> std::result::Result<String, String> {
    let v = match format {
        Format::Openai => {
            let msgs: Vec<Value> = ex
                .messages
                .iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("role".into(), Value::String(m.role.clone()));
                    o.insert("content".into(), Value::String(m.content.clone()));
                    if m.role == "assistant"
                        && let Some(w) = m.weight
                    {
                        o.insert("weight".into(), json!(w));
                    }
                    Value::Object(o)
                })
                .collect();
            json!({ "messages": msgs })
        }
        Format::Sharegpt => {
            let turns: Vec<Value> = ex
                .messages
                .iter()
                .map(|m| {
                    let from = match m.role.as_str() {
                        "user" => "human",
                        "assistant" => "gpt",
                        other => other,
                    };
                    json!({ "from": from, "value": m.content })
                })
                .collect();
            json!({ "conversations": turns })
        }
        Format::Alpaca | Format::Completion => {
            let (instruction, input) = single_turn_parts(ex)?;
            let system = ex.system();
            let output = ex.target();
            if format == Format::Alpaca {
                let mut o = Map::new();
                o.insert("instruction".into(), Value::String(instruction));
                o.insert("input".into(), Value::String(input));
                o.insert("output".into(), Value::String(output.to_string()));
                if let Some(s) = system {
                    o.insert("system".into(), Value::String(s.to_string()));
                }
                Value::Object(o)
            } else {
                let mut prompt = String::new();
                if let Some(s) = system {
                    prompt.push_str(s);
                    prompt.push_str("\n\n");
                }
                prompt.push_str(&instruction);
                if !input.is_empty() {
                    prompt.push_str("\n\n");
                    prompt.push_str(&input);
                }
                prompt.push_str("\n\n");
                json!({ "prompt": prompt, "completion": output })
            }
        }
    };
    serde_json::to_string(&v).map_err(|e| e.to_string())
}

/// Instruction and input of a one-turn example (from the example's own fields when it was built
/// that way, else from its only user turn).
fn single_turn_parts(ex: &Example) -> std::result::Result<(String, String), String> {
    let turns = ex.turns();
    if turns != 1 {
        return Err(format!(
            "has {turns} assistant turns; alpaca and completion hold exactly 1 (use openai or sharegpt)"
        ));
    }
    if let Some(i) = &ex.instruction {
        return Ok((i.clone(), ex.input.clone().unwrap_or_default()));
    }
    let user = ex.messages.iter().find(|m| m.role == "user").map(|m| m.content.clone()).unwrap_or_default();
    Ok((user, String::new()))
}

/// Parses one JSONL line of any supported format. `Err` is a message for a [`LineProblem`].
pub fn parse_line(line: &str, line_no: usize) -> std::result::Result<(Format, Example), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON ({e})"))?;
    parse_value(&v, line_no, sha256_hex(line.trim().as_bytes()))
}

/// Like [`parse_line`] on an already parsed value; `key` becomes the example's content key.
pub fn parse_value(v: &Value, line_no: usize, key: String) -> std::result::Result<(Format, Example), String> {
    let Value::Object(obj) = v else {
        return Err("not a JSON object; each line must be one example object".into());
    };
    let origin = Origin {
        kind: "import".into(),
        platform: obj.get("platform").and_then(Value::as_str).unwrap_or("unknown").to_string(),
        entry_id: None,
        line: Some(line_no),
        key,
        rating: None,
        score: None,
    };
    if let Some(msgs) = obj.get("messages") {
        let arr = msgs.as_array().ok_or("\"messages\" must be a list of {role, content} objects")?;
        let mut messages = Vec::with_capacity(arr.len());
        for (i, m) in arr.iter().enumerate() {
            let m = m.as_object().ok_or_else(|| format!("messages[{i}] is not an object"))?;
            let role =
                m.get("role").and_then(Value::as_str).ok_or_else(|| format!("messages[{i}] has no \"role\" string"))?;
            if !matches!(role, "system" | "user" | "assistant") {
                return Err(format!("messages[{i}] has role {role:?}; use system, user or assistant"));
            }
            let content = m
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("messages[{i}] has no \"content\" string"))?;
            let weight = match m.get("weight") {
                None => None,
                Some(w) => match w.as_u64() {
                    Some(0) => Some(0),
                    Some(1) => Some(1),
                    _ => return Err(format!("messages[{i}] has weight {w}; use 0 or 1")),
                },
            };
            if weight.is_some() && role != "assistant" {
                return Err(format!("messages[{i}] is a {role} turn with a weight; only assistant turns take one"));
            }
            messages.push(Message { role: role.to_string(), content: content.to_string(), weight });
        }
        check_conversation(&messages)?;
        return Ok((Format::Openai, Example { messages, instruction: None, input: None, origin }));
    }
    if let Some(conv) = obj.get("conversations") {
        let arr = conv.as_array().ok_or("\"conversations\" must be a list of {from, value} objects")?;
        let mut messages = Vec::with_capacity(arr.len());
        for (i, t) in arr.iter().enumerate() {
            let t = t.as_object().ok_or_else(|| format!("conversations[{i}] is not an object"))?;
            let from = t
                .get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("conversations[{i}] has no \"from\" string"))?;
            let role = match from {
                "system" => "system",
                "human" | "user" => "user",
                "gpt" | "assistant" | "bot" => "assistant",
                other => {
                    return Err(format!("conversations[{i}] is from {other:?}; use system, human or gpt"));
                }
            };
            let value = t
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("conversations[{i}] has no \"value\" string"))?;
            messages.push(Message::new(role, value));
        }
        check_conversation(&messages)?;
        return Ok((Format::Sharegpt, Example { messages, instruction: None, input: None, origin }));
    }
    let s = |k: &str| obj.get(k).and_then(Value::as_str);
    if obj.contains_key("instruction") && obj.contains_key("output") {
        let instruction = s("instruction").ok_or("\"instruction\" must be a string")?;
        let output = s("output").ok_or("\"output\" must be a string")?;
        let input = match obj.get("input") {
            None | Some(Value::Null) => "",
            Some(Value::String(i)) => i.as_str(),
            Some(_) => return Err("\"input\" must be a string".into()),
        };
        let system = match obj.get("system") {
            None | Some(Value::Null) => None,
            Some(Value::String(x)) => Some(x.as_str()),
            Some(_) => return Err("\"system\" must be a string".into()),
        };
        if output.trim().is_empty() {
            return Err("\"output\" is empty".into());
        }
        let mut ex = Example::single_turn(system, instruction, input, output, origin);
        if let Some(m) = ex.messages.last_mut() {
            m.weight = None;
        }
        return Ok((Format::Alpaca, ex));
    }
    if obj.contains_key("prompt") && obj.contains_key("completion") {
        let prompt = s("prompt").ok_or("\"prompt\" must be a string")?;
        let completion = s("completion").ok_or("\"completion\" must be a string")?;
        if completion.trim().is_empty() {
            return Err("\"completion\" is empty".into());
        }
        let trimmed = prompt.trim_end();
        let messages = vec![Message::new("user", trimmed), Message::new("assistant", completion)];
        return Ok((
            Format::Completion,
            Example { messages, instruction: Some(trimmed.to_string()), input: Some(String::new()), origin },
        ));
    }
    let keys: Vec<&str> = obj.keys().map(String::as_str).take(6).collect();
    Err(format!(
        "not a known format (keys: {}); expected \"messages\" (openai), \"conversations\" (sharegpt), \"instruction\"+\"output\" (alpaca) or \"prompt\"+\"completion\"",
        keys.join(", ")
    ))
}

/// A conversation must have a user turn and end with a non-empty assistant turn.
fn check_conversation(messages: &[Message]) -> std::result::Result<(), String> {
    if !messages.iter().any(|m| m.role == "user") {
        return Err("has no user turn".into());
    }
    match messages.iter().rev().find(|m| m.role == "assistant") {
        None => Err("has no assistant turn (nothing to train on)".into()),
        Some(m) if m.content.trim().is_empty() => Err("its last assistant turn is empty".into()),
        Some(_) => Ok(()),
    }
}

/// Reads a JSONL dataset in any supported format (detected per line). Blank lines are skipped.
/// Any bad line fails the whole read with every problem listed, so nothing half-imports.
pub fn read_file(path: &Path) -> Result<Vec<(Format, Example)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in crate::validate::split_lines(&bytes).into_iter().enumerate() {
        let line_no = i + 1;
        let Ok(line) = std::str::from_utf8(raw) else {
            problems.push(LineProblem { line: line_no, message: "is not valid UTF-8".into() });
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line, line_no) {
            Ok(x) => out.push(x),
            Err(message) => problems.push(LineProblem { line: line_no, message }),
        }
    }
    if !problems.is_empty() {
        return Err(Error::BadLines { path: path.to_path_buf(), problems });
    }
    if out.is_empty() {
        return Err(Error::Invalid(format!("{}: no examples found", path.display())));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            kind: "post".into(),
            platform: "linkedin".into(),
            entry_id: Some(1),
            line: None,
            key: "k".into(),
            rating: None,
            score: None,
        }
    }

    #[test]
    fn every_format_round_trips_a_single_turn_example() {
        let ex = Example::single_turn(
            Some("You write as Maya."),
            "Rewrite this in my voice.",
            "We utilize synergy.",
            "Use 1 tool.",
            origin(),
        );
        for &f in Format::ALL {
            let line = render(&ex, f).unwrap();
            let (got_f, back) = parse_line(&line, 7).unwrap();
            assert_eq!(got_f, f, "{line}");
            assert_eq!(back.target(), "Use 1 tool.", "{f}");
            // The completion format has no system turn: the system prompt opens the prompt text.
            let want = if f == Format::Completion { None } else { Some("You write as Maya.") };
            assert_eq!(back.system(), want, "{f}");
            assert!(back.prompt_text().contains("You write as Maya."), "{f}");
            assert!(back.prompt_text().contains("We utilize synergy."), "{f}: {}", back.prompt_text());
            assert_eq!(back.origin.line, Some(7));
        }
        let openai = render(&ex, Format::Openai).unwrap();
        assert!(openai.ends_with(r#""role":"assistant","content":"Use 1 tool.","weight":1}]}"#), "{openai}");
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert!(
            parse_line("{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}", 1)
                .unwrap_err()
                .contains("role \"bot\"")
        );
        assert!(parse_line("[1,2]", 1).unwrap_err().contains("not a JSON object"));
        assert!(parse_line("{\"text\": \"x\"}", 1).unwrap_err().contains("not a known format"));
        assert!(
            parse_line("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 1)
                .unwrap_err()
                .contains("no assistant")
        );
        let w = r#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":2}]}"#;
        assert!(parse_line(w, 1).unwrap_err().contains("weight 2"));
    }

    #[test]
    fn multi_turn_refuses_single_turn_formats() {
        let line = r#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":0},{"role":"user","content":"c"},{"role":"assistant","content":"d","weight":1}]}"#;
        let (_, ex) = parse_line(line, 1).unwrap();
        assert!(render(&ex, Format::Alpaca).unwrap_err().contains("2 assistant turns"));
        let again = render(&ex, Format::Openai).unwrap();
        assert!(again.contains(r#""weight":0"#));
    }
}
