//! Chat datasets: reading OpenAI-format JSONL, rendering with the model's own chat template,
//! masking everything but the assistant replies, and cutting epochs into batches.
//!
//! The loss mask is derived from the template itself: for each assistant turn we render the
//! conversation up to that turn with and without the generation prompt; the difference is
//! exactly what the model must learn to produce (the reply and its end-of-turn token). The
//! pieces are tokenized separately, so the boundaries are exact, and for SmolLM2's template
//! the result equals tokenizing the whole rendered text (tested against the PyTorch reference
//! token stream). Turns with OpenAI's `"weight": 0` are shown as context but not trained on.

use std::path::{Path, PathBuf};

use quill_llm::{ChatMessage, ChatTemplate, Tokenizer};
use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::rng::{Rng, purpose};
use crate::{Result, TuneError};

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// OpenAI's per-turn weight on assistant messages: 0 = context only, 1 = train.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// A conversation and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// The messages, in order.
    pub messages: Vec<Message>,
    /// Source file.
    pub path: PathBuf,
    /// 1-based line in the source file.
    pub line: usize,
}

#[derive(Deserialize)]
struct Line {
    messages: Option<Vec<serde_json::Value>>,
}

/// Reads an OpenAI chat-format JSONL file. Blank lines are skipped; anything else that is not a
/// usable conversation is an error naming the line.
pub fn read_jsonl(path: &Path) -> Result<Vec<Conversation>> {
    let text = std::fs::read_to_string(path).map_err(|e| TuneError::io("reading", path, e))?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let err = |msg: String| TuneError::Data { path: path.to_path_buf(), line, msg };
        if raw.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(raw).map_err(|e| err(format!("not valid JSON: {e}")))?;
        let msgs = parsed.messages.ok_or_else(|| {
            err("no \"messages\" list (expected the OpenAI chat format: {\"messages\": [...]})".into())
        })?;
        if msgs.is_empty() {
            return Err(err("\"messages\" is empty".into()));
        }
        let mut messages = Vec::with_capacity(msgs.len());
        for (k, m) in msgs.iter().enumerate() {
            let obj = m.as_object().ok_or_else(|| err(format!("message {} is not an object", k + 1)))?;
            let role = obj
                .get("role")
                .and_then(|r| r.as_str())
                .ok_or_else(|| err(format!("message {} has no \"role\"", k + 1)))?;
            if !matches!(role, "system" | "user" | "assistant") {
                return Err(err(format!("message {} has role {role:?}; use system, user or assistant", k + 1)));
            }
            let content = obj
                .get("content")
                .and_then(|c| c.as_str())
                .ok_or_else(|| err(format!("message {} has no text \"content\"", k + 1)))?;
            let weight = match obj.get("weight") {
                None | Some(serde_json::Value::Null) => None,
                Some(w) => {
                    let w = w
                        .as_f64()
                        .filter(|w| *w == 0.0 || *w == 1.0)
                        .ok_or_else(|| err(format!("message {}: \"weight\" must be 0 or 1", k + 1)))?;
                    if role != "assistant" {
                        return Err(err(format!(
                            "message {}: \"weight\" is only allowed on assistant messages",
                            k + 1
                        )));
                    }
                    Some(w)
                }
            };
            messages.push(Message { role: role.to_string(), content: content.to_string(), weight });
        }
        if !messages.iter().any(|m| m.role == "assistant") {
            return Err(err("no assistant message: there is nothing to learn from this example".into()));
        }
        out.push(Conversation { messages, path: path.to_path_buf(), line });
    }
    Ok(out)
}

/// The training and validation files of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFiles {
    /// Training conversations.
    pub train: PathBuf,
    /// Validation conversations, when the dataset has them.
    pub validation: Option<PathBuf>,
}

/// Finds `train.jsonl` (+ `validation.jsonl`) in a dataset folder, or takes a single file.
pub fn locate(data: &Path) -> Result<DataFiles> {
    if data.is_file() {
        return Ok(DataFiles { train: data.to_path_buf(), validation: None });
    }
    if !data.is_dir() {
        return Err(TuneError::Dataset(format!(
            "{} does not exist\n  hint: pass a folder with train.jsonl (e.g. one built by `quill dataset build`) or a .jsonl file",
            data.display()
        )));
    }
    let train = data.join("train.jsonl");
    if !train.is_file() {
        return Err(TuneError::Dataset(format!(
            "{} has no train.jsonl\n  hint: build one with `quill dataset build`, or pass the .jsonl file itself",
            data.display()
        )));
    }
    let validation =
        ["validation.jsonl", "valid.jsonl", "val.jsonl"].iter().map(|n| data.join(n)).find(|p| p.is_file());
    Ok(DataFiles { train, validation })
}

/// A tokenized conversation: ids and, per id, whether the model is trained to produce it.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Token ids.
    pub ids: Vec<u32>,
    /// `trained[i]`: token `i` is a target (predicted from `ids[..i]`).
    pub trained: Vec<bool>,
}

impl Encoded {
    /// Number of trained target tokens.
    pub fn n_trained(&self) -> usize {
        self.trained.iter().filter(|&&t| t).count()
    }
}

/// Renders and tokenizes conversations the way the model will see them at inference.
pub struct Encoder<'a> {
    tok: &'a Tokenizer,
    template: &'a ChatTemplate,
    /// Text of the end-of-turn token the assistant must learn to emit (`<|im_end|>`).
    end_of_turn: Option<String>,
}

impl std::fmt::Debug for Encoder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").field("end_of_turn", &self.end_of_turn).finish()
    }
}

impl<'a> Encoder<'a> {
    /// An encoder for a model's tokenizer and chat template.
    pub fn new(tok: &'a Tokenizer, template: &'a ChatTemplate) -> Self {
        let sp = tok.special();
        let end_of_turn =
            sp.eot.or(sp.eos).and_then(|id| tok.token_text(id)).filter(|t| !t.is_empty()).map(str::to_string);
        Encoder { tok, template, end_of_turn }
    }

    /// The end-of-turn text the model is trained to produce after each reply.
    pub fn end_of_turn(&self) -> Option<&str> {
        self.end_of_turn.as_deref()
    }

    fn render(&self, msgs: &[Message], gen_prompt: bool, conv: &Conversation) -> Result<String> {
        let chat: Vec<ChatMessage> = msgs.iter().map(|m| ChatMessage::new(m.role.clone(), m.content.clone())).collect();
        self.template.render(&chat, gen_prompt).map_err(|e| TuneError::Data {
            path: conv.path.clone(),
            line: conv.line,
            msg: format!("the chat template cannot render this conversation: {e}"),
        })
    }

    /// Renders `conv` and returns its tokens with the assistant-reply mask.
    pub fn encode(&self, conv: &Conversation) -> Result<Encoded> {
        let err = |msg: String| TuneError::Data { path: conv.path.clone(), line: conv.line, msg };
        let full = self.render(&conv.messages, false, conv)?;
        // (start, end, trained) byte spans over `full`, in order.
        let mut spans: Vec<(usize, usize, bool)> = Vec::new();
        let mut at = 0usize;
        for (k, m) in conv.messages.iter().enumerate() {
            if m.role != "assistant" {
                continue;
            }
            let pre = self.render(&conv.messages[..k], true, conv)?;
            let post = self.render(&conv.messages[..=k], false, conv)?;
            if !post.starts_with(&pre) || !full.starts_with(&post) || pre.len() < at {
                return Err(err(
                    "the chat template does not render conversations as growing prefixes, so the reply cannot be \
                     located for loss masking"
                        .into(),
                ));
            }
            let reply = &post[pre.len()..];
            // Train through the end-of-turn marker; what follows (a newline) is template glue.
            let train_len = match self.end_of_turn.as_deref().and_then(|eot| {
                reply
                    .find(&m.content)
                    .map(|c| c + m.content.len())
                    .and_then(|after| reply[after..].find(eot).map(|p| after + p + eot.len()))
            }) {
                Some(n) => n,
                None => reply.len(),
            };
            let trained = m.weight != Some(0.0);
            if pre.len() > at {
                spans.push((at, pre.len(), false));
            }
            spans.push((pre.len(), pre.len() + train_len, trained));
            at = pre.len() + train_len;
        }
        if at < full.len() {
            spans.push((at, full.len(), false));
        }
        let bos = self.tok.special().bos.and_then(|b| self.tok.token_text(b)).filter(|b| !b.is_empty());
        let add_bos = self.tok.add_bos() && !bos.is_some_and(|b| full.starts_with(b));
        let mut ids = Vec::new();
        let mut trained = Vec::new();
        if add_bos && let Some(b) = self.tok.special().bos {
            ids.push(b);
            trained.push(false);
        }
        for (s, e, t) in spans {
            if s == e {
                continue;
            }
            let piece = self.tok.encode(&full[s..e], false, true);
            trained.extend(std::iter::repeat_n(t, piece.len()));
            ids.extend(piece);
        }
        Ok(Encoded { ids, trained })
    }
}

/// How examples are laid out in rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Packing {
    /// One example per row, right-padded to the longest in the micro-batch.
    Pad,
    /// Several examples per row of `max_seq` tokens; each attends only to itself.
    Pack,
}

/// What happened while preparing a split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrepareReport {
    /// Examples kept.
    pub examples: usize,
    /// Examples cut to `max_seq` tokens.
    pub truncated: usize,
    /// Examples dropped because nothing trainable was left.
    pub dropped: usize,
    /// Tokens over all kept examples.
    pub tokens: usize,
    /// Trained tokens over all kept examples.
    pub trained_tokens: usize,
}

/// Cuts examples to `max_seq` tokens and drops those with nothing left to learn.
pub fn prepare(examples: Vec<Encoded>, max_seq: usize) -> (Vec<Encoded>, PrepareReport) {
    let mut rep = PrepareReport::default();
    let mut out = Vec::with_capacity(examples.len());
    for mut e in examples {
        if e.ids.len() > max_seq {
            e.ids.truncate(max_seq);
            e.trained.truncate(max_seq);
            rep.truncated += 1;
        }
        // Token 0 has no prefix to be predicted from.
        if let Some(t) = e.trained.first_mut() {
            *t = false;
        }
        if e.n_trained() == 0 {
            rep.dropped += 1;
            continue;
        }
        rep.tokens += e.ids.len();
        rep.trained_tokens += e.n_trained();
        out.push(e);
    }
    rep.examples = out.len();
    (out, rep)
}

/// Lays `examples` (in the given order) out into micro-batches of `rows` rows.
pub fn make_batches(examples: &[&Encoded], rows: usize, max_seq: usize, packing: Packing) -> Vec<Batch> {
    let rows = rows.max(1);
    // Each row: a list of examples placed one after the other.
    let mut row_lists: Vec<Vec<&Encoded>> = Vec::new();
    match packing {
        Packing::Pad => row_lists.extend(examples.iter().map(|e| vec![*e])),
        Packing::Pack => {
            let mut cur: Vec<&Encoded> = Vec::new();
            let mut len = 0;
            for e in examples {
                if len + e.ids.len() > max_seq && !cur.is_empty() {
                    row_lists.push(std::mem::take(&mut cur));
                    len = 0;
                }
                len += e.ids.len();
                cur.push(e);
            }
            if !cur.is_empty() {
                row_lists.push(cur);
            }
        }
    }
    row_lists
        .chunks(rows)
        .map(|chunk| {
            let t = chunk.iter().map(|r| r.iter().map(|e| e.ids.len()).sum::<usize>()).max().unwrap_or(1).max(1);
            let mut b = Batch::empty(chunk.len(), t);
            for (r, list) in chunk.iter().enumerate() {
                let mut off = 0;
                for (seg, e) in list.iter().enumerate() {
                    for (i, &id) in e.ids.iter().enumerate() {
                        let k = r * t + off + i;
                        b.tokens[k] = id;
                        b.positions[k] = i as u32;
                        b.segments[k] = seg as u32;
                        if i + 1 < e.ids.len() && e.trained[i + 1] {
                            b.targets[k] = e.ids[i + 1];
                            b.weights[k] = 1.0;
                        }
                    }
                    off += e.ids.len();
                }
                // Padding: its own segment so nothing attends to it (and it attends only to itself).
                for i in off..t {
                    let k = r * t + i;
                    b.segments[k] = list.len() as u32;
                    b.positions[k] = (i - off) as u32;
                }
            }
            b
        })
        .collect()
}

/// The micro-batches of training epoch `epoch`: a seeded shuffle of the examples, then
/// [`make_batches`]. A pure function of `(seed, epoch)`, so `--resume` rebuilds the same order.
pub fn epoch_batches(
    examples: &[Encoded],
    epoch: u64,
    seed: u64,
    rows: usize,
    max_seq: usize,
    packing: Packing,
) -> Vec<Batch> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    Rng::stream(seed, purpose::SHUFFLE, epoch).shuffle(&mut order);
    let ordered: Vec<&Encoded> = order.iter().map(|&i| &examples[i]).collect();
    make_batches(&ordered, rows, max_seq, packing)
}

/// Splits off a validation set when the dataset has none: `fraction` of the examples (at least
/// one, and only when there are at least 10), chosen by a seeded shuffle.
pub fn split_validation(
    mut convs: Vec<Conversation>,
    fraction: f64,
    seed: u64,
) -> (Vec<Conversation>, Vec<Conversation>) {
    if convs.len() < 10 || fraction <= 0.0 {
        return (convs, Vec::new());
    }
    let n_val = ((convs.len() as f64 * fraction).round() as usize).clamp(1, convs.len() / 2);
    let mut order: Vec<usize> = (0..convs.len()).collect();
    Rng::stream(seed, purpose::SPLIT, 0).shuffle(&mut order);
    let val_idx: std::collections::BTreeSet<usize> = order[..n_val].iter().copied().collect();
    let mut train = Vec::new();
    let mut val = Vec::new();
    for (i, c) in convs.drain(..).enumerate() {
        if val_idx.contains(&i) { val.push(c) } else { train.push(c) }
    }
    (train, val)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(ids: &[u32], trained: &[bool]) -> Encoded {
        Encoded { ids: ids.to_vec(), trained: trained.to_vec() }
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(
            &p,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\",\"weight\":0}]}\n\n{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n",
        )
        .unwrap();
        let e = read_jsonl(&p).unwrap_err().to_string();
        assert!(e.contains("t.jsonl:3") && e.contains("no assistant"), "{e}");
        std::fs::write(&p, "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}\n").unwrap();
        assert!(read_jsonl(&p).unwrap_err().to_string().contains(":1: message 1 has role \"tool\""));
        std::fs::write(&p, "not json\n").unwrap();
        assert!(read_jsonl(&p).unwrap_err().to_string().contains(":1: not valid JSON"));
    }

    #[test]
    fn padded_batches_predict_next_trained_token_only() {
        let a = enc(&[5, 6, 7, 8], &[false, false, true, true]);
        let b = enc(&[9, 10], &[false, true]);
        let bs = make_batches(&[&a, &b], 2, 16, Packing::Pad);
        assert_eq!(bs.len(), 1);
        let x = &bs[0];
        assert_eq!((x.b, x.t), (2, 4));
        assert_eq!(x.tokens, vec![5, 6, 7, 8, 9, 10, 0, 0]);
        assert_eq!(x.weights, vec![0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(x.targets[1], 7);
        assert_eq!(x.targets[2], 8);
        assert_eq!(x.targets[4], 10);
        assert_ne!(x.segments[6], x.segments[5]);
    }

    #[test]
    fn packing_restarts_positions_and_segments() {
        let a = enc(&[1, 2, 3], &[false, true, true]);
        let b = enc(&[4, 5], &[false, true]);
        let c = enc(&[6, 7, 8], &[false, true, true]);
        let bs = make_batches(&[&a, &b, &c], 4, 5, Packing::Pack);
        assert_eq!(bs.len(), 1);
        let x = &bs[0];
        assert_eq!(x.b, 2);
        assert_eq!(&x.tokens[..5], &[1, 2, 3, 4, 5]);
        assert_eq!(&x.positions[..5], &[0, 1, 2, 0, 1]);
        assert_eq!(&x.segments[..5], &[0, 0, 0, 1, 1]);
        // The last token of an example never predicts the first of the next.
        assert_eq!(x.weights[2], 0.0);
        assert_eq!(x.weights[3], 1.0);
    }

    #[test]
    fn epoch_order_is_seeded() {
        let ex: Vec<Encoded> = (0..20).map(|i| enc(&[i, i + 1], &[false, true])).collect();
        let a = epoch_batches(&ex, 0, 7, 2, 8, Packing::Pad);
        let b = epoch_batches(&ex, 0, 7, 2, 8, Packing::Pad);
        let c = epoch_batches(&ex, 1, 7, 2, 8, Packing::Pad);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn prepare_truncates_and_drops() {
        let (kept, rep) =
            prepare(vec![enc(&[1, 2, 3, 4], &[false, false, false, true]), enc(&[1, 2], &[false, true])], 3);
        assert_eq!(rep.truncated, 1);
        assert_eq!(rep.dropped, 1);
        assert_eq!(kept.len(), 1);
    }
}
