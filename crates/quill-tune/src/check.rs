//! `quill tune export --check`: does the adapter behave the same in every runner?
//!
//! A few prompts are rendered with the training template. Quill's own runtime (the inference
//! hook, quantized base) decodes each greedily with the adapter attached, until the
//! end-of-turn token or a token limit. The same prompt + continuation is then fed to llama.cpp
//! with the exported GGUF adapter and to PEFT on the Hugging Face model with the exported PEFT
//! folder (each only when installed in the peer venv, `../shared/tools/peer-bench install`),
//! and their top-1 prediction at every position of the continuation is compared with Quill's
//! token ("teacher forcing").
//!
//! Why teacher forcing rather than comparing free-running greedy text: independent
//! implementations differ in their last bits (quantized activations vs fp32), so two greedy
//! decodes split for good at the first near-tie and everything after is incomparable. Per
//! position top-1 agreement is unaffected by that, and it still catches what matters: a wrong
//! adapter layout (q/k rows permuted the wrong way) or a missing adapter drops agreement far
//! below [`AGREE_MIN`], and a stop-token mismatch shows as disagreement on the end-of-turn
//! position. Free-running outputs are shown too, and the base model's, so a creator can see
//! what the adapter changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use quill_llm::{ChatMessage, Engine, GenerateParams, ModelOptions, SamplingParams};
use serde::Serialize;

use crate::adapter::Adapter;
use crate::{Result, TuneError};

/// Smallest per-position top-1 agreement with Quill that counts as "agrees". Implementations
/// that compute the same function agree on nearly every position (the misses are near-ties).
pub const AGREE_MIN: f64 = 0.85;

/// How one peer runner compared on one prompt.
#[derive(Debug, Clone, Serialize)]
pub struct PeerCase {
    /// Its own free-running greedy continuation.
    pub text: String,
    /// Fraction of Quill's continuation positions where its top-1 token is Quill's token.
    pub agreement: f64,
    /// Whether it also predicts the end-of-turn token where Quill stopped (`None` when Quill
    /// hit the token limit instead).
    pub stops_with_quill: Option<bool>,
}

/// One prompt's outputs.
#[derive(Debug, Clone, Serialize)]
pub struct CheckCase {
    /// The rendered prompt.
    pub prompt: String,
    /// Quill without the adapter.
    pub quill_base: String,
    /// Quill with the adapter.
    pub quill: String,
    /// Whether Quill ended with the end-of-turn token (rather than the token limit).
    pub quill_stopped: bool,
    /// llama.cpp with the GGUF adapter.
    pub llama_cpp: Option<PeerCase>,
    /// PEFT with the PEFT adapter.
    pub peft: Option<PeerCase>,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Per prompt.
    pub cases: Vec<CheckCase>,
    /// Prompts where the adapter changed Quill's output.
    pub adapter_changes_output: usize,
    /// Why a peer was not run.
    pub notes: Vec<String>,
}

fn peer_ok(p: &PeerCase) -> bool {
    p.agreement >= AGREE_MIN && p.stops_with_quill != Some(false)
}

impl CheckReport {
    /// Prompts where llama.cpp agrees (`None` when it was not run).
    pub fn llama_cpp_agree(&self) -> Option<usize> {
        self.count(|c| c.llama_cpp.as_ref())
    }

    /// Prompts where PEFT agrees (`None` when it was not run).
    pub fn peft_agree(&self) -> Option<usize> {
        self.count(|c| c.peft.as_ref())
    }

    fn count(&self, f: impl Fn(&CheckCase) -> Option<&PeerCase>) -> Option<usize> {
        let ran: Vec<&PeerCase> = self.cases.iter().filter_map(f).collect();
        (!ran.is_empty()).then(|| ran.iter().filter(|p| peer_ok(p)).count())
    }

    /// True when every runner that ran agrees with Quill on every prompt.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.llama_cpp.iter().chain(&c.peft).all(peer_ok))
    }
}

/// The peer venv's Python (`$PEER_VENV`, default `~/.cache/quill-peers/venv`).
pub fn peer_python() -> PathBuf {
    let venv = std::env::var_os("PEER_VENV").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        home.join(".cache/quill-peers/venv")
    });
    venv.join("bin/python")
}

/// Whether the peer Python can import `module`.
pub fn peer_has(module: &str) -> bool {
    let py = peer_python();
    py.is_file()
        && Command::new(&py).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
}

/// Input of the peer scripts: per prompt, the prompt ids and Quill's continuation ids.
/// Output: per prompt, `[top1 per continuation position, free-running greedy ids]`.
const LLAMA_SCRIPT: &str = r#"
import json, sys
import numpy as np
from llama_cpp import Llama
base, adapter, cases, n, eog = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), int(sys.argv[4]), set(json.loads(sys.argv[5]))
llm = Llama(model_path=base, lora_path=adapter, n_ctx=2048, n_threads=2, n_threads_batch=2, logits_all=True, verbose=False, seed=0)
out = []
for prompt, cont in cases:
    llm.reset()
    llm.eval(prompt + cont)
    scores = np.asarray(llm.scores[: len(prompt) + len(cont)])
    top1 = [int(i) for i in scores[len(prompt) - 1 : len(prompt) + len(cont) - 1].argmax(axis=1)]
    llm.reset()
    free = []
    for t in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True):
        if t in eog or len(free) >= n:
            break
        free.append(int(t))
    out.append([top1, free])
print(json.dumps(out))
"#;

const PEFT_SCRIPT: &str = r#"
import json, os, sys, torch
from transformers import AutoModelForCausalLM
from peft import PeftModel
base, peft_dir, cases, n, eog = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), int(sys.argv[4]), json.loads(sys.argv[5])
torch.set_num_threads(2)
d, f = os.path.split(os.path.abspath(base))
m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
m = PeftModel.from_pretrained(m, peft_dir).eval()
out = []
for prompt, cont in cases:
    with torch.no_grad():
        x = torch.tensor([prompt + cont])
        logits = m(input_ids=x).logits[0]
        top1 = logits[len(prompt) - 1 : len(prompt) + len(cont) - 1].argmax(dim=-1).tolist()
        p = torch.tensor([prompt])
        y = m.generate(input_ids=p, attention_mask=torch.ones_like(p), max_new_tokens=n, do_sample=False, eos_token_id=eog, pad_token_id=eog[0])
    free = [t for t in y[0, len(prompt):].tolist()]
    out.append([top1, free])
print(json.dumps(out))
"#;

fn temp_dir() -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let d = std::env::temp_dir().join(format!("quill-tune-check-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).map_err(|e| TuneError::io("creating", &d, e))?;
    Ok(d)
}

fn run_python(dir: &Path, script: &str, args: &[&str]) -> Result<String> {
    let sp = dir.join("check.py");
    std::fs::write(&sp, script).map_err(|e| TuneError::io("writing", &sp, e))?;
    let out = Command::new(peer_python())
        .arg(&sp)
        .args(args)
        .output()
        .map_err(|e| TuneError::io("running", peer_python(), e))?;
    if !out.status.success() {
        let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(6)..].join("\n");
        return Err(TuneError::Config(format!("peer check failed ({}):\n{tail}", out.status)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    Ok(stdout.lines().rev().find(|l| l.starts_with('[')).unwrap_or("[]").to_string())
}

/// Converts an adapter for the runtime's inference hook.
pub fn to_runtime(adapter: &Adapter) -> quill_llm::LoraAdapter {
    let mut out = quill_llm::LoraAdapter::new(adapter.model.n_layer);
    let scale = adapter.lora.scale();
    for (&(layer, t), m) in &adapter.mats {
        let proj = quill_llm::Proj::ALL[t as usize];
        let pair = quill_llm::model::LoraPair { rank: adapter.lora.rank, a: m.a.clone(), b: m.b.clone(), scale };
        out.set(layer, proj, pair);
    }
    out
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
    /// Most tokens generated per prompt.
    pub max_tokens: usize,
}

/// Quill's side of one prompt.
struct Quill {
    prompt: Vec<u32>,
    /// Continuation, ending with the end-of-turn token when generation stopped on it.
    cont: Vec<u32>,
    stopped: bool,
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
    let eog_id = {
        let sp = engine.tokenizer().special();
        sp.eot.or(sp.eos)
    };
    let mut cases = Vec::new();
    let mut quill = Vec::new();
    for conv in input.prompts {
        let text = engine.render_chat(conv, true).map_err(llm_err)?;
        let ids = engine.tokenize_prompt(&text);
        let base_out = engine.generate(&ids, &params, |_| quill_llm::Control::Continue).map_err(llm_err)?;
        cases.push(CheckCase {
            prompt: text,
            quill_base: base_out.text,
            quill: String::new(),
            quill_stopped: false,
            llama_cpp: None,
            peft: None,
        });
        quill.push(Quill { prompt: ids, cont: Vec::new(), stopped: false });
    }
    engine.model_mut().set_adapter(Some(to_runtime(input.adapter))).map_err(llm_err)?;
    for (case, q) in cases.iter_mut().zip(&mut quill) {
        let out = engine.generate(&q.prompt, &params, |_| quill_llm::Control::Continue).map_err(llm_err)?;
        case.quill = out.text;
        q.cont = out.tokens;
        if out.stop_reason == quill_llm::StopReason::Eos
            && let Some(e) = eog_id
        {
            q.cont.push(e);
            q.stopped = true;
        }
        case.quill_stopped = q.stopped;
    }
    let tok = engine.tokenizer();
    let mut report = CheckReport {
        adapter_changes_output: cases.iter().filter(|c| c.quill != c.quill_base).count(),
        cases,
        notes: Vec::new(),
    };
    let dir = temp_dir()?;
    let cases_path = dir.join("cases.json");
    let payload: Vec<(&Vec<u32>, &Vec<u32>)> = quill.iter().map(|q| (&q.prompt, &q.cont)).collect();
    std::fs::write(&cases_path, serde_json::json!(payload).to_string())
        .map_err(|e| TuneError::io("writing", &cases_path, e))?;
    let eog: Vec<u32> = tok.eog_ids().iter().copied().collect();
    let eog_json = serde_json::json!(eog).to_string();
    let n = input.max_tokens.to_string();
    let base = input.base.to_string_lossy().into_owned();
    let cases_arg = cases_path.to_string_lossy().into_owned();
    let compare = |out: &str, what: &str| -> Result<Vec<PeerCase>> {
        let outs: Vec<(Vec<u32>, Vec<u32>)> =
            serde_json::from_str(out).map_err(|e| TuneError::Config(format!("{what} check output: {e}")))?;
        Ok(outs
            .into_iter()
            .zip(&quill)
            .map(|((top1, free), q)| {
                let same = top1.iter().zip(&q.cont).filter(|(a, b)| a == b).count();
                let agreement = if q.cont.is_empty() { 1.0 } else { same as f64 / q.cont.len() as f64 };
                let stops_with_quill = q.stopped.then(|| top1.last() == q.cont.last());
                let free: Vec<u32> = free.into_iter().take_while(|t| !tok.is_eog(*t)).collect();
                PeerCase { text: tok.decode(&free, false), agreement, stops_with_quill }
            })
            .collect())
    };
    let install_hint = format!("installed in {} (run ../shared/tools/peer-bench install)", peer_python().display());
    match input.gguf {
        Some(g) if peer_has("llama_cpp") => {
            let out = run_python(&dir, LLAMA_SCRIPT, &[&base, &g.to_string_lossy(), &cases_arg, &n, &eog_json])?;
            for (c, p) in report.cases.iter_mut().zip(compare(&out, "llama.cpp")?) {
                c.llama_cpp = Some(p);
            }
        }
        Some(_) => report.notes.push(format!("llama.cpp not checked: llama-cpp-python is not {install_hint}")),
        None => {}
    }
    match input.peft {
        Some(p) if peer_has("peft") && peer_has("gguf") => {
            let out = run_python(&dir, PEFT_SCRIPT, &[&base, &p.to_string_lossy(), &cases_arg, &n, &eog_json])?;
            for (c, p) in report.cases.iter_mut().zip(compare(&out, "PEFT")?) {
                c.peft = Some(p);
            }
        }
        Some(_) => report.notes.push(format!("PEFT not checked: torch/transformers/peft are not {install_hint}")),
        None => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}
