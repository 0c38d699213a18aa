//! A fine-tuning run in a workspace: its folder, its record, and the glue between the base
//! model, the dataset and the trainer. This is what `quill tune` calls.
//!
//! Layout of `.quill/adapters/NAME/`:
//! - `run.json`: every setting, the base model's path and fingerprint, the chat template used;
//!   `--resume NAME` needs nothing else.
//! - `checkpoints/last.safetensors` (resumable) and `checkpoints/best.safetensors`.
//! - `adapter.safetensors`: the adapter to use (best validation, else last), GGUF layout.
//! - `loss.svg`: the loss curves.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quill_llm::gguf::GgufFile;
use quill_llm::{ChatTemplate, Tokenizer};
use quill_store::{Db, Workspace};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::adapter::Adapter;
use crate::data::{self, DataFiles, Encoder, PrepareReport};
use crate::model::{Graph, TrainModel};
use crate::trainer::{Control, Dataset, Finish, Observer, Progress, TrainConfig, Trainer};
use crate::weights::BaseWeights;
use crate::{LoraParams, Result, TuneError, store};

/// `.quill/adapters` of a workspace.
pub fn adapters_dir(ws: &Workspace) -> PathBuf {
    ws.data_dir().join("adapters")
}

/// Rejects names that would not make a safe folder or model name.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(TuneError::Config(format!(
            "adapter name {name:?} must be 1-64 characters of letters, digits, '-', '_' or '.', not starting with '.'"
        )))
    }
}

/// Size and SHA-256 of the first MiB of a file: cheap, and enough to notice that the base
/// model behind a run was replaced.
pub fn fingerprint(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| TuneError::io("opening", path, e))?;
    let len = f.metadata().map_err(|e| TuneError::io("reading", path, e))?.len();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..]).map_err(|e| TuneError::io("reading", path, e))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(format!("{len}:{}", hex::encode(&sha2::Sha256::digest(&buf[..n])[..12])))
}

/// The tokenizer and chat template of a GGUF model (what export and the data pipeline need).
pub fn load_chat(path: &Path) -> Result<(Tokenizer, ChatTemplate)> {
    let f = GgufFile::open(path)?;
    let tok = Tokenizer::from_gguf(&f)?;
    let tmpl = ChatTemplate::from_gguf(&f, &tok).map_err(|e| TuneError::model(path, e.to_string()))?;
    Ok((tok, tmpl))
}

/// A base model ready to train on: frozen weights, tokenizer, chat template.
#[derive(Debug)]
pub struct Base {
    /// GGUF path.
    pub path: PathBuf,
    /// Frozen f32 weights.
    pub weights: Arc<BaseWeights>,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// Its chat template.
    pub template: ChatTemplate,
    /// See [`fingerprint`].
    pub fingerprint: String,
}

impl Base {
    /// Loads everything from one GGUF file.
    pub fn load(path: &Path) -> Result<Base> {
        if !path.is_file() {
            return Err(TuneError::model(
                path,
                "the base model file does not exist\n  hint: run scripts/fetch-models.sh for the default model, or pass --base FILE.gguf",
            ));
        }
        let f = GgufFile::open(path)?;
        let weights = Arc::new(BaseWeights::from_gguf(&f)?);
        let tokenizer = Tokenizer::from_gguf(&f)?;
        let template = ChatTemplate::from_gguf(&f, &tokenizer).map_err(|e| TuneError::model(path, e.to_string()))?;
        if tokenizer.vocab_size() != weights.cfg.vocab {
            return Err(TuneError::model(path, "the tokenizer and the output layer disagree on the vocabulary size"));
        }
        Ok(Base { path: path.to_path_buf(), weights, tokenizer, template, fingerprint: fingerprint(path)? })
    }
}

/// `run.json`: what a run needs to be resumed and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// Adapter name.
    pub name: String,
    /// Base GGUF.
    pub base_model: PathBuf,
    /// Its fingerprint when training started.
    pub base_fingerprint: String,
    /// Dataset folder or file.
    pub data: PathBuf,
    /// Fraction split off for validation when the dataset has no validation file.
    pub val_fraction: f64,
    /// Training settings.
    pub config: TrainConfig,
    /// The Jinja chat template the examples were rendered with.
    pub chat_template: String,
    /// The end-of-turn text the model learned to emit.
    pub end_of_turn: Option<String>,
    /// Training split statistics.
    pub train_report: PrepareReport,
    /// Validation split statistics.
    pub val_report: PrepareReport,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

/// The dataset of a run, tokenized.
#[derive(Debug)]
pub struct Prepared {
    /// Examples.
    pub dataset: Dataset,
    /// Training statistics.
    pub train_report: PrepareReport,
    /// Validation statistics.
    pub val_report: PrepareReport,
    /// The files read.
    pub files: DataFiles,
}

/// Reads, renders, tokenizes and masks a dataset for `base`.
pub fn prepare_data(base: &Base, data: &Path, max_seq: usize, val_fraction: f64, seed: u64) -> Result<Prepared> {
    let files = data::locate(data)?;
    let train_conv = data::read_jsonl(&files.train)?;
    let (train_conv, val_conv) = match &files.validation {
        Some(v) => (train_conv, data::read_jsonl(v)?),
        None => data::split_validation(train_conv, val_fraction, seed),
    };
    if train_conv.is_empty() {
        return Err(TuneError::Dataset(format!("{} has no examples", files.train.display())));
    }
    let enc = Encoder::new(&base.tokenizer, &base.template);
    let encode = |cs: &[data::Conversation]| cs.iter().map(|c| enc.encode(c)).collect::<Result<Vec<_>>>();
    let (train, train_report) = data::prepare(encode(&train_conv)?, max_seq);
    let (val, val_report) = data::prepare(encode(&val_conv)?, max_seq);
    if train.is_empty() {
        return Err(TuneError::Dataset(format!(
            "none of the {} training examples has an assistant reply to learn within {max_seq} tokens",
            train_conv.len()
        )));
    }
    Ok(Prepared { dataset: Dataset { train, val }, train_report, val_report, files })
}

/// What to train.
#[derive(Debug, Clone)]
pub struct StartSpec {
    /// Adapter name.
    pub name: String,
    /// Base GGUF.
    pub base: PathBuf,
    /// Dataset folder or file.
    pub data: PathBuf,
    /// Validation fraction when the dataset has no validation file.
    pub val_fraction: f64,
    /// Settings.
    pub config: TrainConfig,
    /// Replace an existing run of the same name.
    pub force: bool,
}

/// A run being trained in a workspace.
#[derive(Debug)]
pub struct Session {
    /// `run.json`.
    pub run: RunFile,
    /// The run's folder.
    pub dir: PathBuf,
    /// The training loop.
    pub trainer: Trainer,
    /// Base model.
    pub base: Base,
    /// Database row id.
    pub run_id: i64,
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| TuneError::Config(format!("internal: {e}")))?;
    quill_store::atomic_write(path, s.as_bytes())?;
    Ok(())
}

/// Reads `run.json` of adapter `name`.
pub fn read_run_file(ws: &Workspace, name: &str) -> Result<RunFile> {
    validate_name(name)?;
    let p = adapters_dir(ws).join(name).join("run.json");
    if !p.is_file() {
        return Err(TuneError::UnknownRun(name.to_string()));
    }
    let s = std::fs::read_to_string(&p).map_err(|e| TuneError::io("reading", &p, e))?;
    serde_json::from_str(&s).map_err(|e| TuneError::adapter(&p, format!("bad run.json: {e}")))
}

impl Session {
    /// Prepares a new run: loads the base and the data, creates the folder and the record.
    pub fn start(ws: &Workspace, db: &mut Db, spec: StartSpec) -> Result<Session> {
        validate_name(&spec.name)?;
        spec.config.validate()?;
        let dir = adapters_dir(ws).join(&spec.name);
        if dir.exists() || store::get_run(db, &spec.name)?.is_some() {
            if !spec.force {
                return Err(TuneError::Config(format!(
                    "an adapter named {:?} already exists\n  hint: pick another --name, continue it with --resume {}, or pass --force to replace it",
                    spec.name, spec.name
                )));
            }
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| TuneError::io("removing", &dir, e))?;
            }
        }
        let base = Base::load(&spec.base)?;
        let ctx = base.weights.cfg.context_length;
        if spec.config.max_seq > ctx {
            return Err(TuneError::Config(format!(
                "--max-seq {} is longer than the model's context ({ctx} tokens)",
                spec.config.max_seq
            )));
        }
        let max_pos = spec.config.max_seq;
        let prepared = prepare_data(&base, &spec.data, spec.config.max_seq, spec.val_fraction, spec.config.seed)?;
        let lora = LoraParams::init(&base.weights.cfg, &spec.config.lora, spec.config.seed)?;
        let model = TrainModel::new(base.weights.clone(), lora, Graph::Fused, max_pos)?;
        let ckpt = dir.join("checkpoints");
        let trainer = Trainer::new(spec.config.clone(), model, prepared.dataset, &ckpt)?;
        let enc = Encoder::new(&base.tokenizer, &base.template);
        let base_abs = spec.base.canonicalize().unwrap_or_else(|_| spec.base.clone());
        let data_abs = spec.data.canonicalize().unwrap_or_else(|_| spec.data.clone());
        let run = RunFile {
            name: spec.name.clone(),
            base_model: base_abs,
            base_fingerprint: base.fingerprint.clone(),
            data: data_abs,
            val_fraction: spec.val_fraction,
            config: spec.config.clone(),
            chat_template: base.template.source().to_string(),
            end_of_turn: enc.end_of_turn().map(str::to_string),
            train_report: prepared.train_report,
            val_report: prepared.val_report,
            created_at: quill_store::now_rfc3339(),
        };
        std::fs::create_dir_all(&ckpt).map_err(|e| TuneError::io("creating", &ckpt, e))?;
        write_json(&dir.join("run.json"), &run)?;
        let cfg_json = serde_json::to_string(&run.config).map_err(|e| TuneError::Config(e.to_string()))?;
        let run_id = store::insert_run(
            db,
            &store::NewRun {
                name: &run.name,
                base_model: &run.base_model.to_string_lossy(),
                base_fingerprint: &run.base_fingerprint,
                data_path: &run.data.to_string_lossy(),
                config: &cfg_json,
                adapter_dir: &dir.to_string_lossy(),
                train_examples: run.train_report.examples,
                val_examples: run.val_report.examples,
                total_steps: trainer.total_steps(),
            },
            spec.force,
        )?;
        Ok(Session { run, dir, trainer, base, run_id })
    }

    /// Reopens run `name` at its last checkpoint (same settings, same data order).
    pub fn resume(ws: &Workspace, db: &mut Db, name: &str) -> Result<Session> {
        let run = read_run_file(ws, name)?;
        let dir = adapters_dir(ws).join(name);
        let fp = fingerprint(&run.base_model)?;
        if fp != run.base_fingerprint {
            return Err(TuneError::model(
                &run.base_model,
                "this file changed since the run started (different size or contents); resuming would mix models",
            ));
        }
        let base = Base::load(&run.base_model)?;
        if base.template.source() != run.chat_template {
            return Err(TuneError::model(&run.base_model, "the chat template changed since the run started"));
        }
        let prepared = prepare_data(&base, &run.data, run.config.max_seq, run.val_fraction, run.config.seed)?;
        if prepared.train_report != run.train_report || prepared.val_report != run.val_report {
            return Err(TuneError::Dataset(format!(
                "the dataset {} changed since the run started; resume needs the same examples (start a new run instead)",
                run.data.display()
            )));
        }
        let lora = LoraParams::init(&base.weights.cfg, &run.config.lora, run.config.seed)?;
        let model = TrainModel::new(base.weights.clone(), lora, Graph::Fused, run.config.max_seq)?;
        let mut trainer = Trainer::new(run.config.clone(), model, prepared.dataset, &dir.join("checkpoints"))?;
        trainer.resume()?;
        let run_id = match store::get_run(db, name)? {
            Some(r) => r.id,
            None => {
                let cfg_json = serde_json::to_string(&run.config).map_err(|e| TuneError::Config(e.to_string()))?;
                store::insert_run(
                    db,
                    &store::NewRun {
                        name,
                        base_model: &run.base_model.to_string_lossy(),
                        base_fingerprint: &run.base_fingerprint,
                        data_path: &run.data.to_string_lossy(),
                        config: &cfg_json,
                        adapter_dir: &dir.to_string_lossy(),
                        train_examples: run.train_report.examples,
                        val_examples: run.val_report.examples,
                        total_steps: trainer.total_steps(),
                    },
                    false,
                )?
            }
        };
        store::update_run(db, name, &trainer.state, "running", None)?;
        Ok(Session { run, dir, trainer, base, run_id })
    }

    /// Trains to the end (or until `obs` stops it), then writes `adapter.safetensors`,
    /// `loss.svg` and the run record. Failures are recorded before they are returned.
    pub fn train(&mut self, db: &mut Db, obs: &mut dyn Observer) -> Result<Finish> {
        struct Tee<'a> {
            inner: &'a mut dyn Observer,
            db: &'a mut Db,
            name: &'a str,
        }
        impl Observer for Tee<'_> {
            fn on_step(&mut self, p: &Progress) -> Control {
                // Progress in the record is best-effort: a busy database must not stop training.
                let _ = store::update_progress(self.db, self.name, p.step, p.loss);
                self.inner.on_step(p)
            }
            fn on_eval(&mut self, step: u64, v: f64, best: bool) {
                self.inner.on_eval(step, v, best)
            }
        }
        let name = self.run.name.clone();
        let result = {
            let mut tee = Tee { inner: obs, db, name: &name };
            self.trainer.run(&mut tee)
        };
        match result {
            Ok(finish) => {
                self.write_outputs()?;
                let status = match finish {
                    Finish::Completed => "completed",
                    Finish::EarlyStopped => "early_stopped",
                    Finish::Interrupted | Finish::Aborted => "interrupted",
                };
                store::update_run(db, &name, &self.trainer.state, status, None)?;
                Ok(finish)
            }
            Err(e) => {
                let _ = store::update_run(db, &name, &self.trainer.state, "failed", Some(&e.to_string()));
                Err(e)
            }
        }
    }

    /// `adapter.safetensors` (best, else last) and `loss.svg`.
    pub fn write_outputs(&self) -> Result<()> {
        self.trainer.final_adapter()?.save(&self.dir.join("adapter.safetensors"))?;
        let title = format!("{}: loss per step", self.run.name);
        let svg = crate::svg::loss_svg(&self.trainer.state.history, &title);
        quill_store::atomic_write(&self.dir.join("loss.svg"), svg.as_bytes())?;
        Ok(())
    }
}

/// The trained adapter of run `name` (its `adapter.safetensors`, or the last checkpoint of a run
/// that has not finished).
pub fn load_adapter(ws: &Workspace, name: &str) -> Result<Adapter> {
    validate_name(name)?;
    let dir = adapters_dir(ws).join(name);
    let p = dir.join("adapter.safetensors");
    if p.is_file() {
        return Adapter::load(&p);
    }
    let last = dir.join("checkpoints").join(crate::trainer::LAST);
    if last.is_file() {
        return Adapter::load(&last);
    }
    Err(TuneError::UnknownRun(name.to_string()))
}
