//! `extends: metric` (a formula over document counts, e.g. `words / sentences` with
//! `condition: "> 20"`) and `extends: readability` (grade-level formulas averaged).

use std::collections::HashMap;

use super::rule::{Fields, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;
use crate::text::{BlockKind, TextCounts};

/// Readability formulas Vale knows.
pub const READABILITY_METRICS: &[&str] =
    &["Flesch-Kincaid", "Gunning Fog", "Coleman-Liau", "SMOG", "Automated Readability"];

#[derive(Debug)]
enum Kind {
    Formula { formula: Expr, op: CmpOp, rhs: Expr },
    Readability { metrics: Vec<String>, grade: f64 },
}

/// A compiled metric or readability rule.
#[derive(Debug)]
pub(crate) struct Metric {
    kind: Kind,
}

impl Metric {
    pub(crate) fn compile_metric(f: &Fields<'_>) -> Result<Self> {
        let formula =
            f.string("formula")?.ok_or_else(|| f.err("a metric rule needs 'formula', e.g. `words / sentences`"))?;
        let condition = f.string("condition")?.ok_or_else(|| f.err("a metric rule needs 'condition', e.g. `> 20`"))?;
        let formula = Expr::parse(&formula).map_err(|e| f.err(format!("in 'formula': {e}")))?;
        let c = condition.trim();
        let (op, rest) = CmpOp::split(c)
            .ok_or_else(|| f.err(format!("'condition' must start with >, >=, <, <=, == or !=, not '{c}'")))?;
        let rhs = Expr::parse(rest).map_err(|e| f.err(format!("in 'condition': {e}")))?;
        Ok(Self { kind: Kind::Formula { formula, op, rhs } })
    }

    pub(crate) fn compile_readability(f: &Fields<'_>) -> Result<Self> {
        let metrics = f.strings("metrics")?;
        if metrics.is_empty() {
            return Err(f.err(format!(
                "a readability rule needs 'metrics': one or more of {}",
                READABILITY_METRICS.join(", ")
            )));
        }
        for m in &metrics {
            if !READABILITY_METRICS.contains(&m.as_str()) {
                return Err(f.err(format!("unknown readability metric '{m}'; use {}", READABILITY_METRICS.join(", "))));
            }
        }
        let grade = f
            .number("grade")?
            .ok_or_else(|| f.err("a readability rule needs 'grade': the highest acceptable grade"))?;
        Ok(Self { kind: Kind::Readability { metrics, grade } })
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        let counts = TextCounts::of(ctx.doc);
        if counts.words == 0.0 {
            return;
        }
        let value = match &self.kind {
            Kind::Formula { formula, op, rhs } => {
                let vars = variables(ctx, &counts);
                let (Some(v), Some(r)) = (formula.eval(&vars), rhs.eval(&vars)) else {
                    return;
                };
                if !v.is_finite() || !op.holds(v, r) {
                    return;
                }
                v
            }
            Kind::Readability { metrics, grade } => {
                let sum: f64 = metrics
                    .iter()
                    .map(|m| match m.as_str() {
                        "Flesch-Kincaid" => counts.flesch_kincaid(),
                        "Gunning Fog" => counts.gunning_fog(),
                        "Coleman-Liau" => counts.coleman_liau(),
                        "SMOG" => counts.smog(),
                        _ => counts.automated_readability(),
                    })
                    .sum();
                let g = sum / metrics.len() as f64;
                if g <= *grade {
                    return;
                }
                g
            }
        };
        let at = ctx.spans.first().map(|s| s.start).unwrap_or(0);
        let shown = format!("{value:.2}");
        out.push(Hit {
            range: at..at,
            message: format_message(&meta.message, &[&shown]),
            suggestion: meta.suggest.clone(),
        });
    }
}

fn variables(ctx: &RunCtx<'_, '_>, c: &TextCounts) -> HashMap<String, f64> {
    let mut v: HashMap<String, f64> = [
        ("words", c.words),
        ("sentences", c.sentences),
        ("syllables", c.syllables),
        ("characters", c.characters),
        ("complex_words", c.complex_words),
        ("long_words", c.long_words),
        ("polysyllabic_words", c.polysyllabic_words),
        ("paragraphs", c.paragraphs),
        ("pre", 0.0),
        ("list", 0.0),
        ("blockquote", 0.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for l in 1..=6 {
        v.insert(format!("heading_h{l}"), 0.0);
    }
    for b in ctx.doc.blocks() {
        let key = match b.kind {
            BlockKind::Code => "pre".to_string(),
            BlockKind::ListItem => "list".to_string(),
            BlockKind::Blockquote => "blockquote".to_string(),
            BlockKind::Heading(l) => format!("heading_h{l}"),
            BlockKind::Paragraph => continue,
        };
        *v.entry(key).or_insert(0.0) += 1.0;
    }
    v
}

#[derive(Debug, Clone, Copy)]
enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl CmpOp {
    fn split(s: &str) -> Option<(Self, &str)> {
        for (p, op) in [
            (">=", CmpOp::Ge),
            ("<=", CmpOp::Le),
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            (">", CmpOp::Gt),
            ("<", CmpOp::Lt),
        ] {
            if let Some(rest) = s.strip_prefix(p) {
                return Some((op, rest));
            }
        }
        None
    }

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Eq => (a - b).abs() < 1e-9,
            CmpOp::Ne => (a - b).abs() >= 1e-9,
        }
    }
}

/// A small arithmetic expression: numbers, variables, `+ - * / %`, parentheses and `math.*`
/// functions — the subset of Tengo that Vale's metric rules use.
#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Var(String),
    Neg(Box<Expr>),
    Bin(Box<Expr>, char, Box<Expr>),
    Call(String, Vec<Expr>),
}

impl Expr {
    fn parse(s: &str) -> std::result::Result<Self, String> {
        let toks = tokenize(s)?;
        let mut p = Parser { toks, i: 0 };
        let e = p.expr()?;
        if p.i != p.toks.len() {
            return Err(format!("unexpected '{}' in `{s}`", p.toks[p.i]));
        }
        Ok(e)
    }

    fn eval(&self, vars: &HashMap<String, f64>) -> Option<f64> {
        Some(match self {
            Expr::Num(n) => *n,
            Expr::Var(v) => *vars.get(v)?,
            Expr::Neg(e) => -e.eval(vars)?,
            Expr::Bin(a, op, b) => {
                let (a, b) = (a.eval(vars)?, b.eval(vars)?);
                match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    '/' => a / b,
                    _ => a % b,
                }
            }
            Expr::Call(name, args) => {
                let a: Option<Vec<f64>> = args.iter().map(|e| e.eval(vars)).collect();
                let a = a?;
                let x = *a.first()?;
                match name.as_str() {
                    "math.sqrt" => x.sqrt(),
                    "math.abs" => x.abs(),
                    "math.log" => x.ln(),
                    "math.log10" => x.log10(),
                    "math.log2" => x.log2(),
                    "math.floor" => x.floor(),
                    "math.ceil" => x.ceil(),
                    "math.round" => x.round(),
                    "math.pow" => x.powf(*a.get(1)?),
                    "math.min" => x.min(*a.get(1)?),
                    "math.max" => x.max(*a.get(1)?),
                    _ => return None,
                }
            }
        })
    }
}

fn tokenize(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let st = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            out.push(cs[st..i].iter().collect());
        } else if c.is_alphabetic() || c == '_' {
            let st = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_' || cs[i] == '.') {
                i += 1;
            }
            let id: String = cs[st..i].iter().collect();
            // Vale writes `heading.h1` in formulas and rewrites it to `heading_h1`.
            out.push(if id.starts_with("math.") { id } else { id.replace('.', "_") });
        } else if "+-*/%(),".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            return Err(format!("unexpected character '{c}' in `{s}`"));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<String>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.i).map(String::as_str)
    }

    fn expr(&mut self) -> std::result::Result<Expr, String> {
        let mut e = self.term()?;
        while let Some(op @ ("+" | "-")) = self.peek() {
            let op = op.chars().next().unwrap_or('+');
            self.i += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.term()?));
        }
        Ok(e)
    }

    fn term(&mut self) -> std::result::Result<Expr, String> {
        let mut e = self.factor()?;
        while let Some(op @ ("*" | "/" | "%")) = self.peek() {
            let op = op.chars().next().unwrap_or('*');
            self.i += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.factor()?));
        }
        Ok(e)
    }

    fn factor(&mut self) -> std::result::Result<Expr, String> {
        let t = self.peek().ok_or("the expression ends too early")?.to_string();
        self.i += 1;
        if t == "-" {
            return Ok(Expr::Neg(Box::new(self.factor()?)));
        }
        if t == "(" {
            let e = self.expr()?;
            if self.peek() != Some(")") {
                return Err("missing ')'".into());
            }
            self.i += 1;
            return Ok(e);
        }
        if let Ok(n) = t.parse::<f64>() {
            return Ok(Expr::Num(n));
        }
        if t.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') {
            if self.peek() == Some("(") {
                self.i += 1;
                let mut args = Vec::new();
                if self.peek() != Some(")") {
                    loop {
                        args.push(self.expr()?);
                        match self.peek() {
                            Some(",") => self.i += 1,
                            Some(")") => break,
                            _ => return Err(format!("missing ')' after the arguments of {t}")),
                        }
                    }
                }
                self.i += 1;
                return Ok(Expr::Call(t, args));
            }
            return Ok(Expr::Var(t));
        }
        Err(format!("unexpected '{t}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_evaluate() {
        let vars: HashMap<String, f64> =
            [("words".to_string(), 100.0), ("sentences".to_string(), 4.0), ("heading_h1".to_string(), 1.0)].into();
        let e = Expr::parse("(words / sentences) * 2 - -1").unwrap();
        assert_eq!(e.eval(&vars), Some(51.0));
        assert_eq!(Expr::parse("math.sqrt(words) + heading.h1").unwrap().eval(&vars), Some(11.0));
        assert!(Expr::parse("words $ 2").is_err());
        assert_eq!(Expr::parse("nope + 1").unwrap().eval(&vars), None);
    }
}
