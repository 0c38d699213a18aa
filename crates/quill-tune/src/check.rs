//! `quill tune export --check`: does the adapter behave the same in every runner?
//!
//! A few prompts are rendered with the training template and decoded greedily by Quill's own
//! runtime with the adapter attached (the inference hook, quantized base), by llama.cpp with the
//! exported GGUF adapter, and by PEFT on the Hugging Face model with the exported PEFT folder —
//! the last two only when `llama-cpp-python` / `peft` are installed in the peer venv
//! (`../shared/tools/peer-bench install`). Independent implementations drift apart after some
//! greedy tokens (the runtime reference measured agreement on the first 7 tokens), so two
//! outputs agree when one is a prefix of the other or they share their first
//! [`AGREE_TOKENS`] tokens. The base model's own output is shown too: an adapter that changes
//! nothing was probably not applied.

use std::path::{Path, PathBuf};
use std::process::Command;

use quill_llm::{ChatMessage, Engine, GenerateParams, ModelOptions, SamplingParams};
use serde::Serialize;

use crate::adapter::Adapter;
use crate::{Result, TuneError};

/// Tokens two greedy outputs must share to count as agreeing.
pub const AGREE_TOKENS: usize = 7;

/// One prompt's outputs.
#[derive(Debug, Clone, Serialize)]
pub struct CheckCase {
    /// The rendered prompt.
    pub prompt: String,
    /// Quill without the adapter.
    pub quill_base: String,
    /// Quill with the adapter.
    pub quill: String,
    /// llama.cpp with the GGUF adapter.
    pub llama_cpp: Option<String>,
    /// PEFT with the PEFT adapter.
    pub peft: Option<String>,
    /// Quill's output token ids (with adapter).
    #[serde(skip)]
    pub quill_ids: Vec<u32>,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Per prompt.
    pub cases: Vec<CheckCase>,
    /// Prompts where llama.cpp agrees with Quill (`None` = not run).
    pub llama_cpp_agree: Option<usize>,
    /// Prompts where PEFT agrees with Quill.
    pub peft_agree: Option<usize>,
    /// Prompts where the adapter changed Quill's output.
    pub adapter_changes_output: usize,
    /// Why a peer was not run.
    pub notes: Vec<String>,
}

impl CheckReport {
    /// True when every runner that ran agrees with Quill on every prompt.
    pub fn passed(&self) -> bool {
        let n = self.cases.len();
        self.llama_cpp_agree.is_none_or(|a| a == n) && self.peft_agree.is_none_or(|a| a == n)
    }
}

/// The peer venv's Python (`$PEER_VENV`, default `~/.cache/quill-peers/venv`).
pub fn peer_python() -> PathBuf {
    let venv = std::env::var_os("PEER_VENV").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cache/quill-peers/venv")
    });
    venv.join("bin/python")
}

/// Whether the peer Python can import `module`.
pub fn peer_has(module: &str) -> bool {
    let py = peer_python();
    py.is_file()
        && Command::new(&py).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
}

const LLAMA_SCRIPT: &str = r#"
import json, sys
from llama_cpp import Llama
base, adapter, prompts, n = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), int(sys.argv[4])
llm = Llama(model_path=base, lora_path=adapter, n_ctx=2048, n_threads=2, n_threads_batch=2, verbose=False, seed=0)
outs = []
for p in prompts:
    llm.reset()
    r = llm.create_completion(prompt=p, max_tokens=n, temperature=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0)
    outs.append(r["choices"][0]["text"])
print(json.dumps(outs))
"#;

const PEFT_SCRIPT: &str = r#"
import json, os, sys, torch
from transformers import AutoModelForCausalLM
from peft import PeftModel
base, peft_dir, prompts, n, eos = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), int(sys.argv[4]), json.loads(sys.argv[5])
torch.set_num_threads(2)
d, f = os.path.split(os.path.abspath(base))
m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
m = PeftModel.from_pretrained(m, peft_dir).eval()
outs = []
for ids in prompts:
    x = torch.tensor([ids])
    with torch.no_grad():
        y = m.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=n, do_sample=False, eos_token_id=eos, pad_token_id=eos[0])
    outs.append([t for t in y[0, len(ids):].tolist()])
print(json.dumps(outs))
"#;

fn run_python(script: &str, args: &[&str]) -> Result<String> {
    let dir = tempfile_dir()?;
    let sp = dir.join("check.py");
    std::fs::write(&sp, script).map_err(|e| TuneError::io("writing", &sp, e))?;
    let out = Command::new(peer_python())
        .arg(&sp)
        .args(args)
        .output()
        .map_err(|e| TuneError::io("running", peer_python(), e))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(6)..].join("\n");
        return Err(TuneError::Config(format!("peer check failed ({}):\n{tail}", out.status)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    Ok(stdout.lines().rev().find(|l| l.starts_with('[')).unwrap_or("[]").to_string())
}

fn tempfile_dir() -> Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("quill-tune-check-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&d).map_err(|e| TuneError::io("creating", &d, e))?;
    Ok(d)
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// Converts an adapter for the runtime's inference hook.
pub fn to_runtime(adapter: &Adapter) -> quill_llm::LoraAdapter {
    let mut out = quill_llm::LoraAdapter::new(adapter.model.n_layer);
    let scale = adapter.lora.scale();
    for (&(layer, t), m) in &adapter.mats {
        let proj = quill_llm::Proj::ALL[t as usize];
        out.set(
            layer,
            proj,
            quill_llm::model::LoraPair { rank: adapter.lora.rank, a: m.a.clone(), b: m.b.clone(), scale },
        );
    }
    out
}

/// Whether two token sequences agree (see the module docs).
pub fn agree(a: &[u32], b: &[u32]) -> bool {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    common >= AGREE_TOKENS || common == a.len().min(b.len())
}

/// What to check.
#[derive(Debug)]
pub struct CheckInput<'a> {
    /// Base GGUF.
    pub base: &'a Path,
    /// The adapter.
    pub adapter: &'a Adapter,
    /// Exported GGUF adapter (for llama.cpp).
    pub gguf: Option<&'a Path>,
    /// Exported PEFT folder.
    pub peft: Option<&'a Path>,
    /// Conversations to continue.
    pub prompts: &'a [Vec<ChatMessage>],
    /// Tokens to generate per prompt.
    pub max_tokens: usize,
}

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> Result<CheckReport> {
    let llm_err = |e: quill_llm::LlmError| TuneError::model(input.base, e.to_string());
    let opts = ModelOptions { n_ctx: Some(2048), threads: 2, ..ModelOptions::default() };
    let mut engine = Engine::load(input.base, &opts).map_err(llm_err)?;
    let params = GenerateParams {
        sampling: SamplingParams::greedy(),
        max_tokens: input.max_tokens,
        ..GenerateParams::default()
    };
    let mut texts = Vec::new();
    let mut cases = Vec::new();
    for conv in input.prompts {
        let text = engine.render_chat(conv, true).map_err(llm_err)?;
        let ids = engine.tokenize_prompt(&text);
        let base_out = engine.generate(&ids, &params, |_| quill_llm::Control::Continue).map_err(llm_err)?;
        cases.push(CheckCase {
            prompt: text.clone(),
            quill_base: base_out.text,
            quill: String::new(),
            llama_cpp: None,
            peft: None,
            quill_ids: Vec::new(),
        });
        texts.push((text, ids));
    }
    engine.model_mut().set_adapter(Some(to_runtime(input.adapter))).map_err(llm_err)?;
    for (case, (_, ids)) in cases.iter_mut().zip(&texts) {
        let out = engine.generate(ids, &params, |_| quill_llm::Control::Continue).map_err(llm_err)?;
        case.quill = out.text;
        case.quill_ids = out.tokens;
    }
    let tok = engine.tokenizer();
    let mut report = CheckReport {
        adapter_changes_output: cases.iter().filter(|c| c.quill != c.quill_base).count(),
        cases,
        llama_cpp_agree: None,
        peft_agree: None,
        notes: Vec::new(),
    };
    let dir = tempfile_dir()?;
    let prompts_text = dir.join("prompts.json");
    let prompts_ids = dir.join("prompt_ids.json");
    let write =
        |p: &Path, v: serde_json::Value| std::fs::write(p, v.to_string()).map_err(|e| TuneError::io("writing", p, e));
    write(&prompts_text, serde_json::json!(texts.iter().map(|t| &t.0).collect::<Vec<_>>()))?;
    write(&prompts_ids, serde_json::json!(texts.iter().map(|t| &t.1).collect::<Vec<_>>()))?;
    let n = input.max_tokens.to_string();
    let base = input.base.to_string_lossy().into_owned();

    match input.gguf {
        Some(g) if peer_has("llama_cpp") => {
            let out = run_python(LLAMA_SCRIPT, &[&base, &g.to_string_lossy(), &prompts_text.to_string_lossy(), &n])?;
            let outs: Vec<String> =
                serde_json::from_str(&out).map_err(|e| TuneError::Config(format!("llama.cpp check output: {e}")))?;
            let mut agree_n = 0;
            for (c, o) in report.cases.iter_mut().zip(outs) {
                let ids = tok.encode(&o, false, false);
                let ours = tok.encode(&c.quill, false, false);
                if agree(&ids, &ours) {
                    agree_n += 1;
                }
                c.llama_cpp = Some(o);
            }
            report.llama_cpp_agree = Some(agree_n);
        }
        Some(_) => report.notes.push(format!(
            "llama.cpp not checked: llama-cpp-python is not installed in {} (run ../shared/tools/peer-bench install)",
            peer_python().display()
        )),
        None => {}
    }
    match input.peft {
        Some(p) if peer_has("peft") && peer_has("gguf") => {
            let eog: Vec<u32> = tok.eog_ids().iter().copied().collect();
            let eog_json = serde_json::json!(eog).to_string();
            let out = run_python(PEFT_SCRIPT, &[&base, &p.to_string_lossy(), &prompts_ids.to_string_lossy(), &n, &eog_json])?;
            let outs: Vec<Vec<u32>> = serde_json::from_str(&out).map_err(|e| TuneError::Config(format!("PEFT check output: {e}")))?;
            let mut agree_n = 0;
            for (c, ids) in report.cases.iter_mut().zip(outs) {
                let ids: Vec<u32> = ids.into_iter().take_while(|t| !tok.is_eog(*t)).collect();
                if agree(&ids, &c.quill_ids) {
                    agree_n += 1;
                }
                c.peft = Some(tok.decode(&ids, false));
            }
            report.peft_agree = Some(agree_n);
        }
        Some(_) => report.notes.push(format!(
            "PEFT not checked: torch/transformers/peft are not installed in {} (run ../shared/tools/peer-bench install)",
            peer_python().display()
        )),
        None => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}
