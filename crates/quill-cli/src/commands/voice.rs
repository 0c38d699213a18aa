//! `quill voice …` — the creator's voice profile, the voice-match score, the habit detector and
//! rules learned from edits. The measurements live in `quill_voice`; this file reads the
//! workspace, embeds texts when the MiniLM model is present, and prints.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use console::style;
use quill_store::{Db, Workspace};
use quill_voice::features::SCALARS;
use quill_voice::habits::{HabitOptions, detect_habits};
use quill_voice::learn::{LearnOptions, Rewrite, accepted_ids, propose, write_rules};
use quill_voice::profile::Profile;
use quill_voice::score::score;
use quill_voice::text::split_front_matter;
use quill_voice::workspace::{self as vws, StoredProfile};
use serde_json::json;

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill voice profile                  # build your profile from the library (best work counts more)
  quill voice score draft.md           # 0-100, with the top reasons in plain words
  quill voice habits drafts/           # phrases a batch over-uses compared with you
  quill voice learn                    # rules proposed from your before/after rewrites
  quill voice learn --accept r1a2b3c   # write one as a lint rule in .quill/styles/Learned";

/// Subcommands of `quill voice`.
#[derive(Debug, clap::Subcommand)]
#[command(after_long_help = EXAMPLES)]
pub enum Cmd {
    /// Build (and store) your voice profile from the library.
    #[command(
        after_long_help = "Examples:\n  quill voice profile\n  quill voice profile --json\n  quill voice profile --no-embed   # stylometry only, without the MiniLM centroid"
    )]
    Profile(ProfileArgs),
    /// Score drafts 0-100 against your profile, with reasons.
    #[command(
        after_long_help = "Examples:\n  quill voice score draft.md\n  quill voice score drafts/*.md --json\n  pbpaste | quill voice score -"
    )]
    Score(FilesArgs),
    /// Find phrases, openers, closers, emoji and structures a batch of drafts over-uses.
    #[command(
        after_long_help = "Examples:\n  quill voice habits drafts/\n  quill voice habits a.md b.md c.md --json\n  quill voice habits drafts/ --alpha 0.01"
    )]
    Habits(HabitsArgs),
    /// Propose lint rules from your before/after rewrites; accept them into your style.
    #[command(
        after_long_help = "Examples:\n  quill voice learn\n  quill voice learn --accept r1a2b3c s44f0d2\n  quill voice learn --accept-all\n  quill voice learn --json"
    )]
    Learn(LearnArgs),
}

/// `quill voice profile`.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    /// Skip the embedding centroid even when the model is installed.
    #[arg(long)]
    no_embed: bool,
}

/// Files to read (folders expand to `.md`/`.txt`; `-` is stdin).
#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// Draft files or folders; `-` reads stdin.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
}

/// `quill voice habits`.
#[derive(Debug, clap::Args)]
pub struct HabitsArgs {
    /// The batch of drafts: files or folders; `-` reads stdin as one draft.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
    /// False-discovery rate (Benjamini-Hochberg).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Only test items present in at least this many drafts.
    #[arg(long, default_value_t = 2)]
    min_docs: usize,
    /// Minimum ratio of the batch's rate to yours.
    #[arg(long, default_value_t = 2.0)]
    min_ratio: f64,
}

/// `quill voice learn`.
#[derive(Debug, clap::Args)]
pub struct LearnArgs {
    /// Accept proposals by id (written to .quill/styles/Learned).
    #[arg(long, value_name = "ID", num_args = 1.., conflicts_with = "accept_all")]
    accept: Vec<String>,
    /// Accept every proposal.
    #[arg(long)]
    accept_all: bool,
    /// Minimum number of edits behind a proposal.
    #[arg(long, default_value_t = 2)]
    min_count: usize,
}

/// Runs the command.
pub fn run(cmd: Cmd, g: &Globals) -> Result<ExitCode> {
    match cmd {
        Cmd::Profile(a) => profile(a, g),
        Cmd::Score(a) => score_cmd(a, g),
        Cmd::Habits(a) => habits(a, g),
        Cmd::Learn(a) => learn(a, g),
    }
}

fn open(g: &Globals) -> Result<(Workspace, Db)> {
    let ws = g.workspace()?;
    let db = ws.open_db()?;
    Ok((ws, db))
}

/// Loads MiniLM if it is installed; `None` (with the reason) otherwise. The score works without
/// it — the stylometric components carry the validated accuracy — so a missing model is a note.
fn embedder(g: &Globals) -> Option<quill_knowledge::Embedder> {
    match quill_knowledge::Embedder::load_default() {
        Ok(e) => Some(e),
        Err(err) => {
            if !g.json {
                eprintln!("note: no embedding centroid ({err}); run scripts/fetch-models.sh to add one");
            }
            None
        }
    }
}

fn embed_all(e: &quill_knowledge::Embedder, texts: &[&str], g: &Globals) -> quill_voice::Result<Vec<Vec<f32>>> {
    let pb = g.progress(texts.len() as u64, "embedding");
    let out = e.embed(texts, 16, &mut |n| pb.inc(n as u64)).map_err(|err| quill_voice::Error::Invalid(err.to_string()));
    pb.finish_and_clear();
    out
}

fn profile(args: ProfileArgs, g: &Globals) -> Result<ExitCode> {
    let (_ws, mut db) = open(g)?;
    let emb = if args.no_embed { None } else { embedder(g) };
    let embed_fn = |texts: &[&str]| -> quill_voice::Result<Vec<Vec<f32>>> {
        match &emb {
            Some(e) => embed_all(e, texts, g),
            None => Ok(Vec::new()),
        }
    };
    let id = emb.as_ref().map(|e| e.id().to_string());
    let spinner = g.spinner("measuring your writing");
    let built = match &id {
        Some(id) => vws::build_workspace_profile(&db, Some((id.as_str(), &embed_fn))),
        None => vws::build_workspace_profile(&db, None),
    };
    spinner.finish_and_clear();
    let (profile, entries) = built?;
    let row = vws::save_profile(&mut db, &profile, id.as_deref())?;
    let stored = StoredProfile { id: row, created_at: quill_store::now_rfc3339(), embedder: id, profile };
    if g.json {
        g.print_json(&summary_json(&stored, entries.len()))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_profile(&stored);
    Ok(ExitCode::SUCCESS)
}

fn summary_json(s: &StoredProfile, entries: usize) -> serde_json::Value {
    let p = &s.profile;
    let scalars: Vec<_> = p
        .scalars
        .iter()
        .zip(SCALARS)
        .map(|(st, d)| json!({ "key": st.key, "label": d.label, "mean": st.mean, "sd": st.sd }))
        .collect();
    json!({
        "id": s.id,
        "created_at": s.created_at,
        "texts": p.texts,
        "entries_read": entries,
        "words": p.words,
        "embedder": s.embedder,
        "scalars": scalars,
        "openers": p.openers.iter().take(8).collect::<Vec<_>>(),
        "closers": p.closers.iter().take(5).collect::<Vec<_>>(),
        "calibration": p.calibration,
    })
}

fn print_profile(s: &StoredProfile) {
    let p = &s.profile;
    let get = |k: &str| p.scalar(k).map(|x| x.mean).unwrap_or(0.0);
    println!(
        "{} built from {} texts ({} words){}",
        style("Voice profile").bold(),
        p.texts,
        p.words,
        s.embedder.as_deref().map(|e| format!(", embedding centroid: {e}")).unwrap_or_default()
    );
    println!(
        "  sentences      {:.1} words on average (±{:.1})",
        get("sentence_words"),
        p.scalar("sentence_words").map(|x| x.sd).unwrap_or(0.0)
    );
    println!(
        "  paragraphs     {:.0} words, {:.1} lines; {:.0}% are one line",
        get("paragraph_words"),
        get("lines_per_paragraph"),
        100.0 * get("one_line_paragraphs")
    );
    println!("  lists          {:.0}% of lines; arrows {:.1} per 100 words", 100.0 * get("list_lines"), get("arrows"));
    println!(
        "  person         I {:.1} · we {:.1} · you {:.1} per 100 words",
        get("i_rate"),
        get("we_rate"),
        get("you_rate")
    );
    println!("  questions      {:.0}% of sentences", 100.0 * get("questions"));
    println!(
        "  punctuation    commas {:.1} · dashes {:.1} · colons {:.1} · exclamations {:.1} per 100 words",
        get("commas"),
        get("dashes"),
        get("colons"),
        get("exclamations")
    );
    println!("  emoji/hashtags {:.1} / {:.1} per 100 words", get("emoji"), get("hashtags"));
    println!("  numbers        digits {:.1} · spelled out {:.1} per 100 words", get("digits"), get("number_words"));
    println!(
        "  vocabulary     {:.0}% distinct words per 50; reading grade {:.1}",
        100.0 * get("vocabulary"),
        get("grade")
    );
    let openers: Vec<String> = p
        .openers
        .iter()
        .filter(|k| k.share >= 0.05)
        .take(5)
        .map(|k| format!("'{}' {:.0}%", k.example, 100.0 * k.share))
        .collect();
    if !openers.is_empty() {
        println!("  openers        {}", openers.join(" · "));
    }
    if let Some(c) = p.closers.first().filter(|c| c.share >= 0.2) {
        println!("  sign-off       '{}' in {:.0}% of texts", c.example, 100.0 * c.share);
    }
    eprintln!("stored as profile #{}; `quill voice score FILE` uses it", s.id);
}

fn need_profile(db: &Db) -> Result<StoredProfile> {
    vws::load_profile(db)?.context("no voice profile in this workspace yet\n  hint: run `quill voice profile` first")
}

/// `(display path, body)` for every input; front matter is dropped (it is not the creator's
/// prose).
/// The inputs with any front matter removed (the score reads the post, not its metadata).
fn read_inputs(files: &[String]) -> Result<Vec<(String, String)>> {
    let raw = super::inputs::read_inputs(files)?;
    Ok(raw.into_iter().map(|(label, text)| (label, split_front_matter(&text).1.to_string())).collect())
}

fn score_cmd(args: FilesArgs, g: &Globals) -> Result<ExitCode> {
    let (_ws, db) = open(g)?;
    let stored = need_profile(&db)?;
    let inputs = read_inputs(&args.files)?;
    let embeddings = draft_embeddings(&stored.profile, stored.embedder.as_deref(), &inputs, g)?;
    let mut results = Vec::new();
    for (i, (path, text)) in inputs.iter().enumerate() {
        let s = score(&stored.profile, text, embeddings.as_ref().and_then(|e| e.get(i)).map(Vec::as_slice));
        results.push((path.clone(), s));
    }
    if g.json {
        let v: Vec<_> = results.iter().map(|(p, s)| json!({ "path": p, "score": s })).collect();
        g.print_json(&json!({ "profile": stored.id, "results": v }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for (path, s) in &results {
        let n = s.score.round();
        let shown = if n >= 70.0 {
            style(format!("{n:>3}")).green().bold()
        } else if n >= 40.0 {
            style(format!("{n:>3}")).yellow().bold()
        } else {
            style(format!("{n:>3}")).red().bold()
        };
        println!("{shown}/100  {path}");
        for r in &s.reasons {
            println!("        · {}", r.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Embeds drafts when the stored profile has a centroid from the installed model.
fn draft_embeddings(
    profile: &Profile,
    embedder_id: Option<&str>,
    inputs: &[(String, String)],
    g: &Globals,
) -> Result<Option<Vec<Vec<f32>>>> {
    let (Some(want), Some(_)) = (embedder_id, profile.embedding.as_ref()) else {
        return Ok(None);
    };
    let Some(e) = embedder(g) else {
        return Ok(None);
    };
    if e.id() != want {
        eprintln!(
            "note: the profile's centroid came from {want}, the installed model is {}; scoring without it",
            e.id()
        );
        return Ok(None);
    }
    let texts: Vec<&str> = inputs.iter().map(|(_, t)| t.as_str()).collect();
    Ok(Some(embed_all(&e, &texts, g)?))
}

fn habits(args: HabitsArgs, g: &Globals) -> Result<ExitCode> {
    let (_ws, db) = open(g)?;
    let creator = vws::creator_texts(&db)?;
    if creator.len() < 4 {
        bail!(
            "only {} of your texts are in the library; the habit detector needs at least 4\n  hint: `quill library import` your posts first",
            creator.len()
        );
    }
    let inputs = read_inputs(&args.files)?;
    if inputs.is_empty() {
        bail!("no drafts found in {}", args.files.join(", "));
    }
    let opts =
        HabitOptions { alpha: args.alpha, min_docs: args.min_docs, min_ratio: args.min_ratio, ..Default::default() };
    let cre: Vec<&str> = creator.iter().map(String::as_str).collect();
    let batch: Vec<&str> = inputs.iter().map(|(_, t)| t.as_str()).collect();
    let report = detect_habits(&cre, &batch, &opts);
    if g.json {
        g.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let a = report.amplification;
    let shown = if a >= 1.5 {
        style(format!("{a:.2}")).red().bold()
    } else if a >= 1.2 {
        style(format!("{a:.2}")).yellow().bold()
    } else {
        style(format!("{a:.2}")).green().bold()
    };
    println!(
        "habit amplification {shown}  ({} drafts vs {} of your texts; 1.00 = your own rate of your {} signature habits)",
        report.batch_size, report.creator_size, report.signature_items
    );
    if report.habits.is_empty() {
        println!(
            "no phrase, opener, closer, emoji or structure is used significantly more than you use it ({} tested)",
            report.tested
        );
    }
    for h in &report.habits {
        println!(
            "  {:<9} {}  (×{:.1}, q={:.3})",
            format!("{:?}", h.kind).to_lowercase(),
            h.message,
            h.ratio,
            h.q_value
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn learn(args: LearnArgs, g: &Globals) -> Result<ExitCode> {
    let (ws, db) = open(g)?;
    let pairs = vws::rewrites(&db)?;
    let rewrites: Vec<Rewrite<'_>> = pairs.iter().map(|(b, a)| Rewrite { before: b, after: a }).collect();
    // Words the creator uses in published writing are never proposed as "always removed".
    let known_words = vws::creator_texts(&db)?.iter().flat_map(|t| quill_voice::text::words_lower(t)).collect();
    let proposals = propose(&rewrites, &LearnOptions { min_count: args.min_count, known_words, ..Default::default() });
    let dir = vws::learned_dir(&ws);
    let mut accepted = accepted_ids(&dir)?;
    let wanted: Vec<&quill_voice::learn::Proposal> = if args.accept_all {
        proposals.iter().collect()
    } else {
        for id in &args.accept {
            if !proposals.iter().any(|p| &p.id == id) {
                bail!("no proposal with id '{id}'\n  hint: run `quill voice learn` to list the current ids");
            }
        }
        proposals.iter().filter(|p| args.accept.contains(&p.id)).collect()
    };
    let written = if wanted.is_empty() { Vec::new() } else { write_rules(&dir, &wanted)? };
    for p in &wanted {
        accepted.insert(p.id.clone());
    }
    if g.json {
        let v: Vec<_> =
            proposals.iter().map(|p| json!({ "proposal": p, "accepted": accepted.contains(&p.id) })).collect();
        g.print_json(&json!({ "rewrites": rewrites.len(), "proposals": v, "written": written }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if proposals.is_empty() {
        println!(
            "no rule has enough evidence yet in your {} rewrites (needs {} edits)",
            rewrites.len(),
            args.min_count
        );
    }
    for p in &proposals {
        let mark = if accepted.contains(&p.id) { style("✓ accepted").green().to_string() } else { String::new() };
        println!("{}  {}  {}", style(&p.id).bold(), p.message, mark);
    }
    for w in &written {
        eprintln!("wrote {}", w.display());
    }
    if !proposals.is_empty() && written.is_empty() && !args.accept_all {
        eprintln!("accept with `quill voice learn --accept ID…` or `--accept-all`; accepted rules run in `quill lint`");
    }
    Ok(ExitCode::SUCCESS)
}
