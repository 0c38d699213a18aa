//! Exporting adapters for the tools creators already use: PEFT, llama.cpp (GGUF LoRA) and
//! Ollama (a Modelfile whose TEMPLATE and stop words come from the training template).
//!
//! The most reported failure with fine-tuned models is a chat-template or stop-token mismatch
//! between trainer and runner (gibberish, replies that never stop). So the Modelfile is not
//! written from a generic ChatML guess: the model's own Jinja template is rendered with
//! sentinel messages, the per-role wrappers are cut out of the renderings, and the resulting
//! Go template is re-rendered and compared with the Jinja output for several conversations
//! before it is written.

use std::path::{Path, PathBuf};

use quill_llm::gguf::{GgufValue, GgufWriter, WriterTensor};
use quill_llm::{ChatMessage, ChatTemplate, Tokenizer};
use serde::Serialize;

use crate::adapter::Adapter;
use crate::lora::tensor_name;
use crate::{Result, TuneError};

/// Which formats `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PEFT folder (`adapter_config.json` + `adapter_model.safetensors`).
    Peft,
    /// llama.cpp GGUF LoRA adapter.
    Gguf,
    /// Ollama Modelfile + the GGUF adapter it points to.
    Ollama,
    /// All of the above.
    All,
}

impl Format {
    /// Parses `peft`, `gguf`, `ollama` or `all`.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "peft" | "hf" | "safetensors" => Format::Peft,
            "gguf" | "llama.cpp" | "llamacpp" => Format::Gguf,
            "ollama" | "modelfile" => Format::Ollama,
            "all" => Format::All,
            other => {
                return Err(TuneError::Config(format!("unknown export format {other:?} (peft, gguf, ollama, all)")));
            }
        })
    }
}

/// Writes a llama.cpp LoRA adapter: `general.type = adapter`, `adapter.type = lora`,
/// `adapter.lora.alpha`, tensors `blk.N.<proj>.weight.lora_a/lora_b` in GGUF row order (as
/// trained: the base weights were already permuted).
pub fn write_gguf(adapter: &Adapter, path: &Path, name: &str) -> Result<()> {
    let mut w = GgufWriter::new();
    w.set("general.architecture", GgufValue::String(adapter.model.arch.clone()));
    w.set("general.type", GgufValue::String("adapter".into()));
    w.set("general.name", GgufValue::String(name.to_string()));
    w.set("adapter.type", GgufValue::String("lora".into()));
    // llama.cpp scales by alpha / rank; rsLoRA's alpha / √rank is expressed through alpha.
    let alpha = adapter.lora.scale() * adapter.lora.rank as f32;
    w.set("adapter.lora.alpha", GgufValue::F32(alpha));
    let r = adapter.lora.rank;
    for (&(layer, t), m) in &adapter.mats {
        let tw = |is_b: bool| -> Result<WriterTensor> {
            let (rows, cols, data) = if is_b { (m.n_out, r, &m.b) } else { (r, m.n_in, &m.a) };
            WriterTensor::f32_matrix(tensor_name(layer, t, is_b), rows, cols, data)
                .map_err(|e| TuneError::io("encoding", path, e))
        };
        w.add_tensor(tw(false)?);
        w.add_tensor(tw(true)?);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| TuneError::io("creating", dir, e))?;
    }
    w.write_file(path).map_err(|e| TuneError::io("writing", path, e))
}

/// A chat format cut out of a Jinja template: what surrounds each role's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatFormat {
    /// Text before the first message (e.g. a BOS token).
    pub start: String,
    /// System message prefix and suffix.
    pub system: (String, String),
    /// User message prefix and suffix.
    pub user: (String, String),
    /// Assistant message prefix and suffix.
    pub assistant: (String, String),
    /// What `add_generation_prompt` appends.
    pub generation_prompt: String,
    /// The system message the template inserts when the conversation has none.
    pub default_system: Option<String>,
}

const S_SYS: &str = "\u{1}QUILL-SYSTEM\u{1}";
const S_USR: &str = "\u{1}QUILL-USER\u{1}";
const S_AST: &str = "\u{1}QUILL-ASSISTANT\u{1}";
const S_USR2: &str = "\u{1}QUILL-USER-2\u{1}";

fn split_block(block: &str, sentinel: &str) -> Option<(String, String)> {
    let (a, b) = block.split_once(sentinel)?;
    Some((a.to_string(), b.to_string()))
}

impl ChatFormat {
    /// Derives the format by rendering `tmpl` with sentinel messages. Fails when the template is
    /// not "prefix + content + suffix per message" (then no faithful Ollama TEMPLATE exists).
    pub fn derive(tmpl: &ChatTemplate) -> Result<ChatFormat> {
        let fail =
            |why: &str| TuneError::Config(format!("cannot derive an Ollama TEMPLATE from the chat template: {why}"));
        let r = |msgs: &[(&str, &str)], g: bool| -> Result<String> {
            let m: Vec<ChatMessage> = msgs.iter().map(|(r, c)| ChatMessage::new(*r, *c)).collect();
            tmpl.render(&m, g).map_err(|e| fail(&e.to_string()))
        };
        let (sys, usr, ast, usr2) = (("system", S_SYS), ("user", S_USR), ("assistant", S_AST), ("user", S_USR2));
        let r0 = r(&[sys], false)?;
        let r1 = r(&[sys, usr], false)?;
        let r2 = r(&[sys, usr, ast], false)?;
        let r3 = r(&[sys, usr, ast, usr2], false)?;
        let g1 = r(&[sys, usr], true)?;
        if !(r1.starts_with(&r0) && r2.starts_with(&r1) && r3.starts_with(&r2) && g1.starts_with(&r1)) {
            return Err(fail("renderings do not grow by whole messages"));
        }
        let start = r(&[], false).ok().filter(|s| r0.starts_with(s.as_str())).unwrap_or_default();
        let system = split_block(&r0[start.len()..], S_SYS).ok_or_else(|| fail("system content not found"))?;
        let user = split_block(&r1[r0.len()..], S_USR).ok_or_else(|| fail("user content not found"))?;
        let assistant = split_block(&r2[r1.len()..], S_AST).ok_or_else(|| fail("assistant content not found"))?;
        let user2 = split_block(&r3[r2.len()..], S_USR2).ok_or_else(|| fail("second user turn not found"))?;
        if user2 != user {
            return Err(fail("user turns render differently depending on their position"));
        }
        let generation_prompt = g1[r1.len()..].to_string();
        let mut fmt = ChatFormat { start, system, user, assistant, generation_prompt, default_system: None };
        // A template that inserts a default system message when there is none.
        let ru = r(&[usr], false)?;
        let plain = format!("{}{}{S_USR}{}", fmt.start, fmt.user.0, fmt.user.1);
        if ru != plain {
            let head = format!("{}{}", fmt.start, fmt.system.0);
            let tail = format!("{}{}{S_USR}{}", fmt.system.1, fmt.user.0, fmt.user.1);
            let d = ru.strip_prefix(&head).and_then(|x| x.strip_suffix(&tail)).ok_or_else(|| {
                fail("a conversation without a system message renders in a way the Modelfile cannot express")
            })?;
            fmt.default_system = Some(d.to_string());
        }
        Ok(fmt)
    }

    /// Renders messages the way the derived Ollama template does (for verification).
    pub fn render(&self, msgs: &[ChatMessage], add_generation_prompt: bool) -> String {
        let mut out = self.start.clone();
        let has_system = msgs.first().is_some_and(|m| m.role == "system");
        let default = self.default_system.as_ref().filter(|_| !has_system);
        let sys_msg = default.map(|d| ChatMessage::system(d.clone()));
        for m in sys_msg.iter().chain(msgs) {
            let (p, s) = match m.role.as_str() {
                "system" => &self.system,
                "user" => &self.user,
                _ => &self.assistant,
            };
            out.push_str(p);
            out.push_str(&m.content);
            out.push_str(s);
        }
        if add_generation_prompt {
            out.push_str(&self.generation_prompt);
        }
        out
    }

    /// The Ollama (Go) TEMPLATE text. The default system message goes to `SYSTEM` instead:
    /// Ollama passes it as the first message when the chat has none, as the Jinja template does.
    pub fn ollama_template(&self) -> Result<String> {
        let parts = [
            &self.start,
            &self.system.0,
            &self.system.1,
            &self.user.0,
            &self.user.1,
            &self.assistant.0,
            &self.assistant.1,
            &self.generation_prompt,
        ];
        if parts.iter().any(|p| p.contains("{{") || p.contains("}}") || p.contains("\"\"\"")) {
            return Err(TuneError::Config(
                "the chat template's literal text contains {{, }} or \"\"\"; write the Modelfile TEMPLATE by hand"
                    .into(),
            ));
        }
        Ok(format!(
            "{}{{{{ range .Messages }}}}{{{{ if eq .Role \"system\" }}}}{}{{{{ .Content }}}}{}{{{{ else if eq .Role \"user\" }}}}{}{{{{ .Content }}}}{}{{{{ else if eq .Role \"assistant\" }}}}{}{{{{ .Content }}}}{}{{{{ end }}}}{{{{ end }}}}{}",
            self.start,
            self.system.0,
            self.system.1,
            self.user.0,
            self.user.1,
            self.assistant.0,
            self.assistant.1,
            self.generation_prompt
        ))
    }
}

/// Conversations the derived format is checked on.
fn probe_conversations() -> Vec<Vec<ChatMessage>> {
    vec![
        vec![ChatMessage::user("Write a hook about Mondays.")],
        vec![ChatMessage::system("You are Maya."), ChatMessage::user("Hi!\nTwo lines.")],
        vec![
            ChatMessage::system("Be brief."),
            ChatMessage::user("One?"),
            ChatMessage::assistant("Yes."),
            ChatMessage::user("Two? {braces} \"quotes\""),
        ],
        vec![ChatMessage::user("a"), ChatMessage::assistant("b"), ChatMessage::user("c")],
    ]
}

/// Whether the derived format reproduces the Jinja template on the probe conversations.
pub fn verify_format(fmt: &ChatFormat, tmpl: &ChatTemplate) -> Result<Vec<String>> {
    let mut mismatches = Vec::new();
    for conv in probe_conversations() {
        for g in [true, false] {
            let want = tmpl.render(&conv, g).map_err(|e| TuneError::Config(e.to_string()))?;
            let got = fmt.render(&conv, g);
            if want != got {
                mismatches.push(format!("{} message(s), generation prompt {g}: {want:?} vs {got:?}", conv.len()));
            }
        }
    }
    Ok(mismatches)
}

/// Stop strings for runners: the end-of-turn token, EOS, and the special token that opens a
/// user turn (so a model that keeps going stops before writing the user's next message).
pub fn stop_words(fmt: &ChatFormat, tok: &Tokenizer) -> Vec<String> {
    let mut stops: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !s.is_empty() && !stops.iter().any(|x| x == s) {
            stops.push(s.to_string());
        }
    };
    let sp = tok.special();
    for id in [sp.eot, sp.eos].into_iter().flatten() {
        if let Some(t) = tok.token_text(id) {
            push(t);
        }
    }
    let ids = tok.encode(&fmt.user.0, false, true);
    if let Some(&first) = ids.first()
        && tok.is_control(first)
        && let Some(t) = tok.token_text(first)
    {
        push(t);
    }
    stops
}

fn modelfile_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The Ollama Modelfile text.
pub fn modelfile(base: &Path, adapter_file: &str, fmt: &ChatFormat, stops: &[String], name: &str) -> Result<String> {
    let mut s = String::new();
    s.push_str(&format!("# Adapter {name:?} exported by `quill tune export`.\n"));
    s.push_str("# TEMPLATE, SYSTEM and stop words are derived from the chat template the adapter was trained with.\n");
    s.push_str("# Use: ollama create NAME -f Modelfile && ollama run NAME\n");
    s.push_str(&format!("FROM {}\n", base.display()));
    s.push_str(&format!("ADAPTER ./{adapter_file}\n"));
    s.push_str(&format!("TEMPLATE \"\"\"{}\"\"\"\n", fmt.ollama_template()?));
    if let Some(d) = &fmt.default_system {
        if d.contains("\"\"\"") {
            return Err(TuneError::Config("the default system message contains \"\"\"".into()));
        }
        s.push_str(&format!("SYSTEM \"\"\"{d}\"\"\"\n"));
    }
    for st in stops {
        s.push_str(&format!("PARAMETER stop {}\n", modelfile_quote(st)));
    }
    Ok(s)
}

/// What `export` wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exported {
    /// PEFT folder.
    pub peft: Option<PathBuf>,
    /// GGUF adapter file.
    pub gguf: Option<PathBuf>,
    /// Ollama Modelfile.
    pub modelfile: Option<PathBuf>,
    /// Stop words written to the Modelfile.
    pub stop_words: Vec<String>,
    /// Differences between the derived Ollama template and the Jinja template (empty = exact).
    pub template_mismatches: Vec<String>,
}

/// Everything export needs to know about the base model.
#[derive(Debug)]
pub struct BaseInfo<'a> {
    /// Base GGUF path (Modelfile `FROM`, PEFT `base_model_name_or_path`).
    pub path: &'a Path,
    /// Its tokenizer.
    pub tokenizer: &'a Tokenizer,
    /// The chat template used in training.
    pub template: &'a ChatTemplate,
}

/// Writes the requested formats into `out`: `peft` writes the PEFT files into `out` itself;
/// `all` writes `out/peft/`, `out/NAME.gguf` and `out/Modelfile`.
pub fn export(adapter: &Adapter, name: &str, format: Format, out: &Path, base: &BaseInfo<'_>) -> Result<Exported> {
    std::fs::create_dir_all(out).map_err(|e| TuneError::io("creating", out, e))?;
    let mut done = Exported::default();
    let base_name = base.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let gguf_name = format!("{name}.gguf");
    match format {
        Format::Peft => {
            adapter.write_peft(out, &base_name)?;
            done.peft = Some(out.to_path_buf());
        }
        Format::Gguf => {
            write_gguf(adapter, &out.join(&gguf_name), name)?;
            done.gguf = Some(out.join(&gguf_name));
        }
        Format::Ollama | Format::All => {
            if format == Format::All {
                adapter.write_peft(&out.join("peft"), &base_name)?;
                done.peft = Some(out.join("peft"));
            }
            write_gguf(adapter, &out.join(&gguf_name), name)?;
            done.gguf = Some(out.join(&gguf_name));
            let fmt = ChatFormat::derive(base.template)?;
            done.template_mismatches = verify_format(&fmt, base.template)?;
            done.stop_words = stop_words(&fmt, base.tokenizer);
            let base_abs = base.path.canonicalize().unwrap_or_else(|_| base.path.to_path_buf());
            let text = modelfile(&base_abs, &gguf_name, &fmt, &done.stop_words, name)?;
            let p = out.join("Modelfile");
            quill_store::atomic_write(&p, text.as_bytes())?;
            done.modelfile = Some(p);
        }
    }
    Ok(done)
}
