//! Turning a brief into a prompt: template rendering inside the model's context budget.
//!
//! The prompt is two messages (system: who is writing and the voice rules; user: the brief,
//! examples and passages) rendered from minijinja templates that ship with Quill and can be
//! overridden per workspace (`templates/system.j2`, `templates/user.j2` at the workspace root).
//! If the result does not fit the model's context, the least valuable material goes first —
//! passages from the bottom, then examples from the lowest score — and every cut is reported.

use std::path::Path;

use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::checks::BannedPhrase;
use crate::select::Chosen;
use crate::{Brief, Error, Preset, Result};

const SYSTEM_TEMPLATE: &str = include_str!("../templates/system.j2");
const USER_TEMPLATE: &str = include_str!("../templates/user.j2");

/// A numbered knowledge passage to cite.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    /// Citation number, 1-based.
    pub number: usize,
    /// Document title.
    pub title: String,
    /// Heading path inside the document ("Pricing › Guarantees").
    pub heading: String,
    /// Source file or URL.
    pub source: String,
    /// Character range in the source document.
    pub range: (usize, usize),
    /// The passage text.
    pub text: String,
    /// Retrieval score.
    pub score: f64,
}

/// Everything a prompt is made from, besides the brief and preset.
#[derive(Debug, Clone, Default)]
pub struct Material {
    /// Creator or brand name for the system message.
    pub creator: String,
    /// Chosen examples, best first.
    pub examples: Vec<Chosen>,
    /// Knowledge passages, best first.
    pub passages: Vec<Passage>,
    /// Approved phrases.
    pub approved: Vec<String>,
    /// Banned phrases with replacements.
    pub banned: Vec<BannedPhrase>,
}

/// Context budget: the model's window, room kept for the answer, and how to count tokens.
pub struct Budget<'a> {
    /// The model's context length in tokens.
    pub context: usize,
    /// Tokens kept free for the draft.
    pub reserve: usize,
    /// Token counter for this model (an estimate for remote models).
    pub count: &'a dyn Fn(&str) -> usize,
}

/// The assembled prompt.
#[derive(Debug, Clone, Serialize)]
pub struct Prompt {
    /// System message.
    pub system: String,
    /// User message.
    pub user: String,
    /// Examples that made it in.
    pub examples: Vec<Chosen>,
    /// Passages that made it in.
    pub passages: Vec<Passage>,
    /// Tokens of system + user.
    pub tokens: usize,
    /// The budget the prompt had to fit.
    pub budget: usize,
    /// What was cut to fit, in plain words.
    pub trimmed: Vec<String>,
}

fn environment(workspace_root: Option<&Path>) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| Error::Parse { path: "templates".into(), message: e.to_string() })?;
    env.set_syntax(syntax);
    let load = |name: &str, builtin: &'static str| -> Result<String> {
        if let Some(root) = workspace_root {
            let p = root.join("templates").join(name);
            if p.is_file() {
                return std::fs::read_to_string(&p).map_err(|e| Error::Io { path: p, source: e });
            }
        }
        Ok(builtin.to_string())
    };
    for (name, builtin) in [("system.j2", SYSTEM_TEMPLATE), ("user.j2", USER_TEMPLATE)] {
        let src = load(name, builtin)?;
        env.add_template_owned(name.to_string(), src).map_err(|e| Error::Parse {
            path: workspace_root.map(|r| r.join("templates").join(name)).unwrap_or_else(|| name.into()),
            message: e.to_string(),
        })?;
    }
    Ok(env)
}

fn limits(preset: &Preset) -> String {
    let mut l = Vec::new();
    if let Some(m) = preset.max_chars {
        l.push(format!("at most {m} characters{}", if preset.thread { " per post" } else { "" }));
    }
    if let Some(h) = preset.hook_chars {
        l.push(format!("the hook must land in the first {h} characters"));
    }
    if let Some(s) = preset.subject_max_chars {
        l.push(format!("subject line under {s} characters"));
    }
    if let (Some(a), Some(b)) = (preset.preheader_min_chars, preset.preheader_max_chars) {
        l.push(format!("preheader {a}-{b} characters"));
    }
    l.join("; ")
}

fn render(
    env: &Environment<'_>,
    brief: &Brief,
    preset: &Preset,
    m: &Material,
    ex: &[Chosen],
    ps: &[Passage],
) -> Result<(String, String)> {
    let length = if brief.length.trim().is_empty() { preset.default_length.clone() } else { brief.length.clone() };
    let banned: Vec<_> = m
        .banned
        .iter()
        .map(|b| context! { phrase => b.phrase.clone(), replacement => b.replacement.clone() })
        .collect();
    let ctx = context! {
        creator => if m.creator.is_empty() { "the creator" } else { m.creator.as_str() },
        brief => Value::from(minijinja::value::Serde(brief)),
        preset => Value::from(minijinja::value::Serde(preset)),
        length => length,
        limits => limits(preset),
        examples => Value::from(minijinja::value::Serde(ex)),
        passages => Value::from(minijinja::value::Serde(ps)),
        approved => m.approved.clone(),
        banned => banned,
    };
    let r = |name: &str| -> Result<String> {
        let t = env.get_template(name).map_err(|e| Error::Parse { path: name.into(), message: e.to_string() })?;
        t.render(&ctx)
            .map(|s| s.trim().to_string())
            .map_err(|e| Error::Parse { path: name.into(), message: e.to_string() })
    };
    Ok((r("system.j2")?, r("user.j2")?))
}

/// Renders the prompt and trims it to the budget.
pub fn assemble(
    brief: &Brief,
    preset: &Preset,
    material: &Material,
    budget: &Budget<'_>,
    workspace_root: Option<&Path>,
) -> Result<Prompt> {
    let env = environment(workspace_root)?;
    let mut examples = material.examples.clone();
    let mut passages = material.passages.clone();
    let limit = budget.context.saturating_sub(budget.reserve);
    let mut trimmed = Vec::new();
    loop {
        let (system, user) = render(&env, brief, preset, material, &examples, &passages)?;
        let tokens = (budget.count)(&system) + (budget.count)(&user);
        if tokens <= limit {
            return Ok(Prompt { system, user, examples, passages, tokens, budget: limit, trimmed });
        }
        if let Some(p) = passages.pop() {
            trimmed.push(format!("dropped passage [{}] ({}) to fit {limit} tokens", p.number, p.title));
        } else if examples.len() > 1 {
            let worst =
                examples.iter().enumerate().min_by(|a, b| a.1.score.total_cmp(&b.1.score)).map(|(i, _)| i).unwrap_or(0);
            let e = examples.remove(worst);
            trimmed.push(format!("dropped example #{} (score {:.2}) to fit {limit} tokens", e.id, e.score));
        } else if let Some(e) = examples.first_mut() {
            // Last resort: shorten the one remaining example rather than drop every example.
            let keep = e.text.chars().count() * 2 / 3;
            if keep < 80 {
                let e = examples.remove(0);
                trimmed.push(format!("dropped example #{} to fit {limit} tokens", e.id));
            } else {
                e.text = e.text.chars().take(keep).collect::<String>() + " …";
                trimmed.push(format!("shortened example #{} to fit {limit} tokens", e.id));
            }
        } else {
            return Ok(Prompt { system, user, examples, passages, tokens, budget: limit, trimmed });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Presets;

    fn material() -> Material {
        Material {
            creator: "Maya".into(),
            examples: (1..=3)
                .map(|i| Chosen {
                    id: i,
                    text: format!("Example post number {i}. ").repeat(20),
                    platform: "linkedin".into(),
                    score: 1.0 / i as f64,
                    why: String::new(),
                })
                .collect(),
            passages: (1..=3)
                .map(|i| Passage {
                    number: i,
                    title: "Offer".into(),
                    heading: "Pricing".into(),
                    source: "offer.md".into(),
                    range: (0, 10),
                    text: "The sprint costs $4,800. ".repeat(10),
                    score: 1.0,
                })
                .collect(),
            approved: vec!["Run lean".into()],
            banned: vec![BannedPhrase { phrase: "leverage".into(), replacement: Some("use".into()) }],
        }
    }

    fn words(s: &str) -> usize {
        s.split_whitespace().count()
    }

    #[test]
    fn renders_every_part() {
        let brief = Brief {
            audience: "agency owners".into(),
            tone: "direct".into(),
            main_point: "handoffs lose margin".into(),
            cta: "reply AUDIT".into(),
            must_include: vec!["one number".into(), "the sign-off: Run lean. — M.".into()],
            avoid: vec!["hype".into()],
            ..Brief::default()
        };
        let preset = Presets::builtin().get("linkedin");
        let p = assemble(&brief, &preset, &material(), &Budget { context: 8192, reserve: 512, count: &words }, None)
            .unwrap();
        // Lists end with one full stop, not a doubled one after an item's own.
        assert!(p.user.contains("Include: one number; the sign-off: Run lean. — M.\n"), "{}", p.user);
        assert!(p.user.contains("Avoid: hype.\n"), "{}", p.user);
        assert!(
            p.system.contains("Never use these phrases") && p.system.contains("say \"use\" instead"),
            "{}",
            p.system
        );
        assert!(p.user.contains("for agency owners"));
        assert!(p.user.contains("### Example 3"));
        assert!(p.user.contains("[2] Offer › Pricing"));
        assert!(p.user.contains("3000 characters"));
        assert!(p.trimmed.is_empty());
    }

    #[test]
    fn trims_passages_then_lowest_examples() {
        let brief = Brief::default();
        let preset = Presets::builtin().get("linkedin");
        let full =
            assemble(&brief, &preset, &material(), &Budget { context: 100_000, reserve: 0, count: &words }, None)
                .unwrap();
        let tight = assemble(
            &brief,
            &preset,
            &material(),
            &Budget { context: full.tokens - 150, reserve: 0, count: &words },
            None,
        )
        .unwrap();
        assert!(tight.tokens <= full.tokens - 150);
        assert!(tight.passages.len() < 3);
        assert_eq!(tight.examples.len(), 3, "passages go before examples");
        let tighter =
            assemble(&brief, &preset, &material(), &Budget { context: 250, reserve: 0, count: &words }, None).unwrap();
        assert!(tighter.passages.is_empty());
        assert!(tighter.examples.iter().all(|e| e.id == 1), "the best example is kept longest: {:?}", tighter.trimmed);
        assert!(!tighter.trimmed.is_empty());
    }

    #[test]
    fn workspace_template_overrides() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/user.j2"), "Custom: {{ brief.main_point }}").unwrap();
        let brief = Brief { main_point: "x".into(), ..Brief::default() };
        let p = assemble(
            &brief,
            &Presets::builtin().get("x"),
            &Material::default(),
            &Budget { context: 1000, reserve: 0, count: &words },
            Some(dir.path()),
        )
        .unwrap();
        assert_eq!(p.user, "Custom: x");
    }
}
