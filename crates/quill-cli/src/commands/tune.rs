//! `quill tune` — fine-tune a LoRA adapter on CPU, list runs, export adapters.
//!
//! Training is the default action (`quill tune --data DIR`); `--resume NAME` continues a run
//! exactly where its last checkpoint left it; `list` and `export` are subcommands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quill_llm::ChatMessage;
use quill_tune::check::{self, CheckInput};
use quill_tune::data::{self, Packing};
use quill_tune::export::{self, BaseInfo, Format};
use quill_tune::optim::{AdamWConfig, ScheduleKind};
use quill_tune::run::{self, Session, StartSpec};
use quill_tune::trainer::{Control, Finish, Observer, Progress, TrainConfig};
use quill_tune::{LoraConfig, Target, store};

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill tune --data datasets/maya --name maya-voice          # train (defaults: r 8, α 16, 3 epochs)
  quill tune --data train.jsonl --epochs 2 --lr 1e-4 --rank 16 --targets q,v
  quill tune --data datasets/maya --max-steps 30 --packing   # a quick run, examples packed in rows
  quill tune --resume maya-voice                             # continue after a kill or Ctrl-C
  quill tune list                                            # runs in this workspace
  quill tune export maya-voice --format all -o out/ --check  # PEFT + GGUF + Ollama, checked

Data: a folder with train.jsonl (and validation.jsonl), or one .jsonl file, in OpenAI chat
format ({\"messages\": [{\"role\": ..., \"content\": ..., \"weight\": 0|1}]}). Only assistant
replies are trained on; messages are rendered with the base model's own chat template.
Adapters, checkpoints and loss curves live in .quill/adapters/NAME/.";

/// Fine-tune a LoRA adapter on the local model (CPU), or manage trained adapters.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    cmd: Option<Sub>,
    #[command(flatten)]
    train: TrainArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// List fine-tuning runs in this workspace.
    List(ListArgs),
    /// Export an adapter for PEFT, llama.cpp or Ollama.
    Export(ExportArgs),
    /// Fine-tune with a hosted service (OpenAI) instead of locally.
    #[command(long_flag = "hosted")]
    Hosted(super::tune_hosted::HostedArgs),
}

/// Training flags.
#[derive(Debug, clap::Args)]
struct TrainArgs {
    /// Dataset folder (train.jsonl + validation.jsonl) or a .jsonl file.
    #[arg(long, value_name = "DIR|FILE", required_unless_present = "resume")]
    data: Option<PathBuf>,
    /// Base GGUF model (default: the fetched SmolLM2-135M-Instruct).
    #[arg(long, value_name = "GGUF")]
    base: Option<PathBuf>,
    /// Adapter name (default: the dataset's folder or file name).
    #[arg(long)]
    name: Option<String>,
    /// Continue the run NAME from its last checkpoint (all settings come from the run).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["data", "base", "name"])]
    resume: Option<String>,
    /// LoRA rank.
    #[arg(long, default_value_t = 8)]
    rank: usize,
    /// LoRA alpha (the update is scaled by alpha / rank).
    #[arg(long, default_value_t = 16.0)]
    alpha: f32,
    /// Dropout on the adapter input.
    #[arg(long, default_value_t = 0.05)]
    dropout: f32,
    /// Scale by alpha / √rank (rsLoRA).
    #[arg(long)]
    rslora: bool,
    /// Projections to adapt: q,k,v,o,gate,up,down or all.
    #[arg(long, default_value = "all")]
    targets: String,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-4)]
    lr: f32,
    /// Passes over the training data.
    #[arg(long, default_value_t = 3)]
    epochs: u32,
    /// Stop after this many optimizer steps.
    #[arg(long)]
    max_steps: Option<u64>,
    /// Examples (rows) per micro-batch.
    #[arg(long, default_value_t = 4)]
    batch: usize,
    /// Micro-batches per optimizer step (effective batch = batch × grad-accum).
    #[arg(long, default_value_t = 1)]
    grad_accum: usize,
    /// Longest example in tokens (longer ones are cut).
    #[arg(long, default_value_t = 512)]
    max_seq: usize,
    /// Pack several examples per row (each still attends only to itself).
    #[arg(long)]
    packing: bool,
    /// Random seed (data order, init, dropout): the same seed gives the same adapter.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Learning-rate decay after warm-up.
    #[arg(long, value_parser = ["cosine", "linear", "constant"], default_value = "cosine")]
    schedule: String,
    /// Warm-up steps as a fraction of all steps.
    #[arg(long, default_value_t = 0.1)]
    warmup: f32,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f32,
    /// Clip the gradient norm to this (0 = off).
    #[arg(long, default_value_t = 1.0)]
    max_grad_norm: f32,
    /// Validate every N steps (0 = ten times per run).
    #[arg(long, default_value_t = 0)]
    eval_every: u64,
    /// Save the resumable checkpoint every N steps (0 = at every validation).
    #[arg(long, default_value_t = 0)]
    save_every: u64,
    /// Stop after this many validations without improvement (0 = never).
    #[arg(long, default_value_t = 3)]
    patience: u32,
    /// Fraction held out for validation when the dataset has no validation file.
    #[arg(long, default_value_t = 0.1)]
    val_split: f64,
    /// Replace an existing adapter of the same name.
    #[arg(long)]
    force: bool,
    /// Compute threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Debug, clap::Args)]
struct ListArgs {}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  quill tune export maya-voice --format peft -o out/peft        # PeftModel.from_pretrained(base, 'out/peft')
  quill tune export maya-voice --format gguf -o out/            # llama-cli -m base.gguf --lora out/maya-voice.gguf
  quill tune export maya-voice --format ollama -o out/          # ollama create maya -f out/Modelfile
  quill tune export maya-voice --format all -o out/ --check     # all three, then compare generations")]
struct ExportArgs {
    /// Adapter name (see `quill tune list`).
    name: String,
    /// peft, gguf, ollama or all.
    #[arg(long, default_value = "all")]
    format: String,
    /// Output folder.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,
    /// Generate greedily in Quill (with the adapter) and, when installed, in llama.cpp and PEFT
    /// with the exported files, and report whether they agree.
    #[arg(long)]
    check: bool,
    /// Prompts used by --check (taken from the run's validation data).
    #[arg(long, default_value_t = 3)]
    check_prompts: usize,
    /// Tokens generated per prompt by --check.
    #[arg(long, default_value_t = 32)]
    max_tokens: usize,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    match args.cmd {
        Some(Sub::List(_)) => list(g),
        Some(Sub::Export(a)) => export_cmd(a, g),
        Some(Sub::Hosted(h)) => super::tune_hosted::run_hosted(h, g),
        None => train(args.train, g),
    }
}

fn set_threads(n: usize) -> Result<()> {
    if n > 0 {
        quill_tune::set_global_threads(n).context("setting the number of threads")?;
    }
    Ok(())
}

fn config_from(a: &TrainArgs) -> Result<TrainConfig> {
    let targets = Target::parse_list(&a.targets)?;
    let schedule = match a.schedule.as_str() {
        "linear" => ScheduleKind::Linear,
        "constant" => ScheduleKind::Constant,
        _ => ScheduleKind::Cosine,
    };
    Ok(TrainConfig {
        lora: LoraConfig { rank: a.rank, alpha: a.alpha, dropout: a.dropout, targets, rslora: a.rslora },
        lr: a.lr,
        adamw: AdamWConfig { weight_decay: a.weight_decay, ..AdamWConfig::default() },
        schedule,
        warmup_ratio: a.warmup,
        min_lr_ratio: 0.0,
        epochs: a.epochs,
        max_steps: a.max_steps,
        batch: a.batch,
        grad_accum: a.grad_accum,
        max_seq: a.max_seq,
        packing: if a.packing { Packing::Pack } else { Packing::Pad },
        max_grad_norm: (a.max_grad_norm > 0.0).then_some(a.max_grad_norm),
        seed: a.seed,
        eval_every: a.eval_every,
        patience: (a.patience > 0).then_some(a.patience),
        min_delta: 1e-4,
        checkpoint_every: a.save_every,
    })
}

fn default_name(data: &std::path::Path) -> String {
    let stem = if data.is_dir() { data.file_name() } else { data.file_stem() };
    let raw = stem.map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "adapter".into());
    let clean: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(48).collect();
    let clean = clean.trim_matches('-').to_string();
    if clean.is_empty() { "adapter".into() } else { clean }
}

/// Progress bar (TTY) or periodic lines on stderr (logs), never on stdout.
struct Bar {
    pb: ProgressBar,
    plain: bool,
    quiet: bool,
    last_line: std::time::Instant,
}

impl Bar {
    fn new(g: &Globals, total: u64, done: u64) -> Self {
        let pb = if g.progress {
            let pb = ProgressBar::new(total);
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{bar:28}] {pos}/{len} steps · ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            pb.enable_steady_tick(Duration::from_millis(200));
            pb.set_position(done);
            pb
        } else {
            ProgressBar::hidden()
        };
        Bar { pb, plain: !g.progress && !g.json, quiet: g.json, last_line: std::time::Instant::now() }
    }
}

fn fmt_eta(s: f64) -> String {
    let s = s.max(0.0) as u64;
    if s >= 3600 { format!("{}h{:02}m", s / 3600, (s % 3600) / 60) } else { format!("{}m{:02}s", s / 60, s % 60) }
}

impl Observer for Bar {
    fn on_step(&mut self, p: &Progress) -> Control {
        let val = p.val_loss.map(|v| format!(" · val {v:.3}")).unwrap_or_default();
        let msg = format!("loss {:.3}{val} · {:.0} tok/s", p.loss, p.tokens_per_s);
        self.pb.set_message(msg.clone());
        self.pb.set_position(p.step);
        let due = self.last_line.elapsed() >= Duration::from_secs(10) || p.step == p.total_steps || p.step == 1;
        if self.plain && !self.quiet && due {
            eprintln!("step {}/{} · {msg} · ETA {}", p.step, p.total_steps, fmt_eta(p.eta_s));
            self.last_line = std::time::Instant::now();
        }
        Control::Continue
    }

    fn on_eval(&mut self, step: u64, v: f64, best: bool) {
        if !self.quiet {
            let line = format!("step {step}: validation loss {v:.4}{}", if best { " (best)" } else { "" });
            if self.plain { eprintln!("{line}") } else { self.pb.println(line) }
        }
    }
}

fn train(a: TrainArgs, g: &Globals) -> Result<ExitCode> {
    let ws = g.workspace()?;
    let mut db = ws.open_db()?;
    set_threads(a.threads)?;
    let spinner = g.spinner("loading the base model and the dataset");
    let mut session = match &a.resume {
        Some(name) => Session::resume(&ws, &mut db, name)?,
        None => {
            let data = a.data.clone().context("--data is required")?;
            let name = a.name.clone().unwrap_or_else(|| default_name(&data));
            let base = a.base.clone().unwrap_or_else(quill_store::default_llm_path);
            let spec =
                StartSpec { name, base, data, val_fraction: a.val_split, config: config_from(&a)?, force: a.force };
            Session::start(&ws, &mut db, spec)?
        }
    };
    spinner.finish_and_clear();
    let tr = &session.trainer;
    let (rep, val) = (&session.run.train_report, &session.run.val_report);
    if !g.json {
        eprintln!(
            "{} {:?}: {} training examples ({} tokens, {} trained), {} validation; {} steps{}",
            if a.resume.is_some() { "Resuming" } else { "Training" },
            session.run.name,
            rep.examples,
            rep.tokens,
            rep.trained_tokens,
            val.examples,
            tr.total_steps(),
            if tr.state.step > 0 { format!(", continuing after step {}", tr.state.step) } else { String::new() }
        );
        for (what, r) in [("training", rep), ("validation", val)] {
            if r.truncated > 0 {
                eprintln!(
                    "warning: {} {what} examples were cut to --max-seq {}",
                    r.truncated, session.run.config.max_seq
                );
            }
            if r.dropped > 0 {
                eprintln!(
                    "warning: {} {what} examples had nothing to train on within --max-seq and were skipped",
                    r.dropped
                );
            }
        }
        if val.examples == 0 {
            eprintln!("warning: no validation examples: no validation loss and no early stopping");
        }
    }
    let mut bar = Bar::new(g, tr.total_steps(), tr.state.step);
    let finish = session.train(&mut db, &mut bar)?;
    bar.pb.finish_and_clear();
    let st = &session.trainer.state;
    let tok_s = if st.elapsed_s > 0.0 { st.tokens as f64 / st.elapsed_s } else { 0.0 };
    let dir = session.dir.clone();
    if g.json {
        g.print_json(&serde_json::json!({
            "name": session.run.name,
            "status": finish.as_str(),
            "adapter_dir": dir,
            "steps": st.step,
            "total_steps": session.trainer.total_steps(),
            "final_loss": st.history.last().map(|p| p.loss),
            "best_val_loss": st.best_val.map(|(_, v)| v),
            "best_step": st.best_val.map(|(s, _)| s),
            "tokens": st.tokens,
            "trained_tokens": st.trained_tokens,
            "train_seconds": st.elapsed_s,
            "tokens_per_s": tok_s,
            "curve": st.history,
        }))?;
    } else {
        let end = match finish {
            Finish::Completed => "finished",
            Finish::EarlyStopped => "stopped early (validation stopped improving)",
            Finish::Interrupted | Finish::Aborted => "interrupted",
        };
        println!("Adapter {:?} {end} after {} steps in {}", session.run.name, st.step, fmt_eta(st.elapsed_s));
        if let Some(p) = st.history.last() {
            println!("  last training loss  {:.4}", p.loss);
        }
        if let Some((s, v)) = st.best_val {
            println!("  best validation     {v:.4} (step {s}; this is the adapter kept)");
        }
        println!("  speed               {tok_s:.0} tokens/s");
        println!("  adapter             {}", dir.join("adapter.safetensors").display());
        println!("  loss curves         {}", dir.join("loss.svg").display());
        println!("Next: quill tune export {} --format all -o out/ --check", session.run.name);
    }
    Ok(ExitCode::SUCCESS)
}

fn list(g: &Globals) -> Result<ExitCode> {
    let ws = g.workspace()?;
    let db = ws.open_db()?;
    let runs = store::list_runs(&db)?;
    if g.json {
        g.print_json(&runs)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!("No fine-tuning runs yet. Start one with: quill tune --data DIR --name NAME");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<14} {:>11} {:>8} {:>8} {:>9}  STARTED", "NAME", "STATUS", "STEPS", "LOSS", "VAL", "EXAMPLES");
    for r in runs {
        let f = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "-".into());
        println!(
            "{:<24} {:<14} {:>11} {:>8} {:>8} {:>9}  {}",
            r.name,
            r.status,
            format!("{}/{}", r.steps_done, r.total_steps),
            f(r.final_loss),
            f(r.best_val_loss),
            format!("{}+{}", r.train_examples, r.val_examples),
            r.started_at.get(..16).unwrap_or(&r.started_at).replace('T', " ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Up to `n` conversations from the run's validation (else training) data, cut before their
/// last assistant reply: prompts the adapter was trained to answer.
fn check_prompts(run: &run::RunFile, n: usize) -> Vec<Vec<ChatMessage>> {
    let mut out = Vec::new();
    if let Ok(files) = data::locate(&run.data) {
        let mut paths: Vec<PathBuf> = files.validation.into_iter().collect();
        paths.push(files.train);
        for p in paths {
            let Ok(convs) = data::read_jsonl(&p) else {
                continue;
            };
            for c in convs {
                if out.len() >= n {
                    return out;
                }
                let Some(last) = c.messages.iter().rposition(|m| m.role == "assistant") else {
                    continue;
                };
                out.push(
                    c.messages[..last].iter().map(|m| ChatMessage::new(m.role.clone(), m.content.clone())).collect(),
                );
            }
        }
    }
    if out.is_empty() {
        out.push(vec![ChatMessage::user("Write a short post announcing a new workshop.")]);
    }
    out
}

fn export_cmd(a: ExportArgs, g: &Globals) -> Result<ExitCode> {
    let ws = g.workspace()?;
    let mut db = ws.open_db()?;
    let format = Format::parse(&a.format)?;
    let run = run::read_run_file(&ws, &a.name)?;
    let adapter = run::load_adapter(&ws, &a.name)?;
    let fp = run::fingerprint(&run.base_model)
        .with_context(|| format!("the base model of {:?} is no longer readable", a.name))?;
    if fp != run.base_fingerprint {
        eprintln!(
            "warning: {} changed since {:?} was trained; the adapter may not fit it",
            run.base_model.display(),
            a.name
        );
    }
    let (tok, tmpl) = run::load_chat(&run.base_model)?;
    if tmpl.source() != run.chat_template {
        bail!("the base model's chat template differs from the one {:?} was trained with", a.name);
    }
    let info = BaseInfo { path: &run.base_model, tokenizer: &tok, template: &tmpl };
    let done = export::export(&adapter, &a.name, format, &a.out, &info)?;
    if !done.template_mismatches.is_empty() {
        eprintln!("warning: the Ollama TEMPLATE does not reproduce the training template exactly:");
        for m in &done.template_mismatches {
            eprintln!("  {m}");
        }
    }
    let mut report = None;
    if a.check {
        let prompts = check_prompts(&run, a.check_prompts.max(1));
        let sp = g.spinner("checking generations in Quill and the peer runners");
        let r = check::check(&CheckInput {
            base: &run.base_model,
            adapter: &adapter,
            gguf: done.gguf.as_deref(),
            peft: done.peft.as_deref(),
            prompts: &prompts,
            max_tokens: a.max_tokens,
        })?;
        sp.finish_and_clear();
        report = Some(r);
    }
    let row = store::get_run(&db, &a.name)?;
    if let Some(row) = row {
        let checked = report.as_ref().and_then(|r| serde_json::to_string(r).ok());
        store::insert_export(
            &mut db,
            row.id,
            &a.format.to_ascii_lowercase(),
            &a.out.to_string_lossy(),
            checked.as_deref(),
        )?;
    }
    let passed = report.as_ref().is_none_or(|r| r.passed());
    if g.json {
        g.print_json(&serde_json::json!({ "name": a.name, "exported": done, "check": report, "passed": passed }))?;
    } else {
        println!("Exported {:?}:", a.name);
        if let Some(p) = &done.peft {
            println!("  PEFT      {}   (PeftModel.from_pretrained(base, this folder))", p.display());
        }
        if let Some(p) = &done.gguf {
            println!("  llama.cpp {}   (llama-cli -m {} --lora this file)", p.display(), run.base_model.display());
        }
        if let Some(p) = &done.modelfile {
            println!("  Ollama    {}   (ollama create {} -f this file)", p.display(), a.name);
            println!("            stop words: {}", done.stop_words.join(", "));
        }
        if let Some(r) = &report {
            println!(
                "Check ({} prompts, up to {} greedy tokens; agreement = the peer's top-1 token equals \
                 Quill's at each position of Quill's reply):",
                r.cases.len(),
                a.max_tokens
            );
            let peer_line = |name: &str, p: &check::PeerCase| {
                let stop = match p.stops_with_quill {
                    Some(true) => ", stops where Quill stops",
                    Some(false) => ", does NOT stop where Quill stops",
                    None => "",
                };
                println!("    {name:<14} {:?}  [{:.0}% agreement{stop}]", p.text, 100.0 * p.agreement);
            };
            for (i, c) in r.cases.iter().enumerate() {
                println!("  prompt {}:", i + 1);
                println!("    base model     {:?}", c.quill_base);
                let end = if c.quill_stopped { " [stopped at end of turn]" } else { " [token limit]" };
                println!("    quill+adapter  {:?}{end}", c.quill);
                if let Some(p) = &c.llama_cpp {
                    peer_line("llama.cpp", p);
                }
                if let Some(p) = &c.peft {
                    peer_line("peft", p);
                }
            }
            let n = r.cases.len();
            println!("  adapter changed the output on {}/{n} prompts", r.adapter_changes_output);
            if let Some(k) = r.llama_cpp_agree() {
                println!("  llama.cpp agrees with Quill on {k}/{n}");
            }
            if let Some(k) = r.peft_agree() {
                println!("  PEFT agrees with Quill on {k}/{n}");
            }
            for note in &r.notes {
                println!("  note: {note}");
            }
            println!(
                "  verdict: {}",
                if passed { "agree" } else { "DISAGREE (template, stop words or adapter layout mismatch)" }
            );
        }
    }
    Ok(if passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
