//! Pre-tokenizers for byte-level BPE vocabularies, selected by `tokenizer.ggml.pre` exactly as
//! llama.cpp's `llama-vocab.cpp` does.
//!
//! llama.cpp applies a *sequence* of expressions: each one splits every fragment produced by the
//! previous one into matches and the gaps between them (both kept). Two expressions have hand
//! written splitters in llama.cpp (`unicode_regex_split_custom_gpt2` / `_llama3`); we port those
//! line by line so edge cases (runs of spaces, `\s+(?!\S)`, digit grouping) come out identical.
//! The rest run through `fancy-regex`, whose leftmost-first backtracking semantics match the
//! ECMAScript `std::regex` llama.cpp falls back to.

use super::unicode::{is_letter, is_number, is_whitespace};

/// llama.cpp's GPT-2 expression (the one its custom splitter recognises).
pub const GPT2_REGEX: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
/// llama.cpp's adapted Llama-3 expression (the one its custom splitter recognises).
pub const LLAMA3_REGEX: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2_REGEX: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const SEED_CODER_REGEX: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+";
const TEKKEN_REGEX: &str = r"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const GPT4O_REGEX: &str = r"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const DEEPSEEK_LLM_LETTERS: &str = "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u{1F7D}ᾀ-ᾴᾶ-ᾼ\u{1FBE}ῂ-ῄῆ-ῌῐ-\u{1FD3}ῖ-\u{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u{2126}ℨ\u{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";
const DEEPSEEK3_MAIN: &str = r##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"##;

/// One splitting pass.
pub enum Step {
    /// llama.cpp's `unicode_regex_split_custom_gpt2`.
    Gpt2,
    /// llama.cpp's `unicode_regex_split_custom_llama3`.
    Llama3,
    /// Any other expression.
    Regex(Box<fancy_regex::Regex>),
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Gpt2 => f.write_str("Gpt2"),
            Step::Llama3 => f.write_str("Llama3"),
            Step::Regex(r) => write!(f, "Regex({:?})", r.as_str()),
        }
    }
}

/// A pre-tokenizer plus the vocabulary flags llama.cpp ties to the same `pre` name.
#[derive(Debug)]
pub struct PreTokenizer {
    pub name: String,
    pub steps: Vec<Step>,
    /// Words that are whole vocabulary entries skip BPE merging (llama3, tekken).
    pub ignore_merges: bool,
    /// Default for `add_bos` before the GGUF key overrides it.
    pub add_bos_default: bool,
    /// llama.cpp's `clean_spaces` (used by whole-text detokenization).
    pub clean_spaces: bool,
}

fn step(expr: &str) -> Result<Step, String> {
    match expr {
        GPT2_REGEX => Ok(Step::Gpt2),
        LLAMA3_REGEX => Ok(Step::Llama3),
        _ => fancy_regex::Regex::new(expr)
            .map(|r| Step::Regex(Box::new(r)))
            .map_err(|e| format!("pre-tokenizer expression {expr:?} does not compile: {e}")),
    }
}

impl PreTokenizer {
    /// The pre-tokenizer llama.cpp uses for `tokenizer.ggml.pre == name`. Unknown names are an
    /// error rather than a guess: a wrong split silently changes every token id.
    pub fn for_name(name: &str) -> Result<Self, String> {
        let mut ignore_merges = false;
        let mut add_bos_default = false;
        let mut clean_spaces = true;
        let exprs: Vec<&str> = match name {
            "default" => vec![r"[\p{P}\$\+<=>\^~\|]+", GPT2_REGEX, r"\p{N}+", "[0-9][0-9][0-9]"],
            "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "falcon-h1" | "pixtral" | "midm-2.0" | "lfm2"
            | "jina-v5-nano" => {
                ignore_merges = true;
                add_bos_default = true;
                vec![LLAMA3_REGEX]
            }
            "dbrx" | "smaug-bpe" => vec![LLAMA3_REGEX],
            "glm4" | "chatglm-bpe" => vec![LLAMA3_REGEX],
            "deepseek-llm" => {
                clean_spaces = false;
                vec![
                    "[\r\n]",
                    DEEPSEEK_LLM_LETTERS,
                    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
                    r"\s+$",
                    "[一-龥ࠀ-一가-퟿]+",
                    r"\p{N}+",
                ]
            }
            "deepseek-coder" => {
                clean_spaces = false;
                vec!["[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", "[一-龥ࠀ-一가-퟿]+", r"\p{N}"]
            }
            "deepseek-v3" => {
                clean_spaces = false;
                vec![r"\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", DEEPSEEK3_MAIN]
            }
            "falcon" => vec![r"[\p{P}\$\+<=>\^~\|`]+", GPT2_REGEX, "[0-9][0-9][0-9]"],
            "gpt-2" | "phi-2" | "jina-es" | "jina-de" | "gigachat" | "jina-v2-es" | "jina-v2-de" | "a.x-4.0"
            | "mellum" | "modern-bert" | "mpt" | "olmo" | "jais" | "exaone4" | "jina-v1-en" | "jina-v2-code"
            | "roberta-bpe" => vec![GPT2_REGEX],
            "trillion" | "granite-docling" => {
                clean_spaces = false;
                vec![GPT2_REGEX]
            }
            "starcoder" | "refact" | "codeshell" | "exaone" | "minerva-7b" | "mellum2" => {
                vec![r"\p{N}", GPT2_REGEX]
            }
            "smollm" | "command-r" => {
                clean_spaces = false;
                vec![r"\p{N}", GPT2_REGEX]
            }
            "qwen2" | "deepseek-r1-qwen" | "kormo" | "f2llmv2" | "hunyuan" | "solar-open" => {
                clean_spaces = false;
                vec![QWEN2_REGEX]
            }
            "stablelm2" | "megrez" => vec![QWEN2_REGEX],
            "grok-2" => {
                clean_spaces = false;
                vec![QWEN2_REGEX]
            }
            "seed-coder" => {
                clean_spaces = false;
                vec![SEED_CODER_REGEX]
            }
            "tekken" => {
                clean_spaces = false;
                ignore_merges = true;
                add_bos_default = true;
                vec![TEKKEN_REGEX]
            }
            "gpt-4o" | "llama4" | "kanana2" => {
                clean_spaces = false;
                vec![GPT4O_REGEX]
            }
            other => {
                return Err(format!(
                    "unknown pre-tokenizer {other:?} (tokenizer.ggml.pre); Quill supports the llama.cpp names \
                     default, gpt-2, llama3/llama-bpe, smollm/starcoder, qwen2, deepseek-llm/-coder/-v3, falcon, \
                     tekken, gpt-4o and their aliases"
                ));
            }
        };
        let steps = exprs.into_iter().map(step).collect::<Result<Vec<_>, _>>()?;
        Ok(PreTokenizer { name: name.to_string(), steps, ignore_merges, add_bos_default, clean_spaces })
    }

    /// Splits `text` into words (byte ranges), in order, covering all of `text`.
    pub fn split(&self, text: &str) -> Vec<(usize, usize)> {
        let mut ranges = vec![(0, text.len())];
        if text.is_empty() {
            return Vec::new();
        }
        let mut next = Vec::new();
        for s in &self.steps {
            next.clear();
            for &(a, b) in &ranges {
                let sub = &text[a..b];
                match s {
                    Step::Gpt2 => split_custom(sub, a, &mut next, gpt2_rule),
                    Step::Llama3 => split_custom(sub, a, &mut next, llama3_rule),
                    Step::Regex(re) => split_regex(re, sub, a, &mut next),
                }
            }
            std::mem::swap(&mut ranges, &mut next);
        }
        ranges
    }
}

fn split_regex(re: &fancy_regex::Regex, sub: &str, base: usize, out: &mut Vec<(usize, usize)>) {
    let mut last = 0;
    for m in re.find_iter(sub) {
        let Ok(m) = m else {
            // Backtracking limit hit: keep the rest as one fragment rather than failing.
            break;
        };
        if m.start() > last {
            out.push((base + last, base + m.start()));
        }
        if m.end() > m.start() {
            out.push((base + m.start(), base + m.end()));
        }
        last = m.end().max(last);
    }
    if last < sub.len() {
        out.push((base + last, base + sub.len()));
    }
}

/// Code-point view of one fragment, with llama.cpp's out-of-range conventions (`None` / no flags).
struct Cpts {
    chars: Vec<char>,
    byte_pos: Vec<usize>,
}

#[derive(Clone, Copy, Default)]
struct Flags {
    letter: bool,
    number: bool,
    ws: bool,
    defined: bool,
}

impl Cpts {
    fn new(s: &str) -> Self {
        let mut chars = Vec::with_capacity(s.len());
        let mut byte_pos = Vec::with_capacity(s.len() + 1);
        for (i, c) in s.char_indices() {
            chars.push(c);
            byte_pos.push(i);
        }
        byte_pos.push(s.len());
        Cpts { chars, byte_pos }
    }
    fn len(&self) -> usize {
        self.chars.len()
    }
    fn cpt(&self, pos: usize) -> Option<char> {
        self.chars.get(pos).copied()
    }
    fn flags(&self, pos: usize) -> Flags {
        match self.chars.get(pos) {
            None => Flags::default(),
            Some(&c) => Flags { letter: is_letter(c), number: is_number(c), ws: is_whitespace(c), defined: true },
        }
    }
}

/// Runs one of the ported splitters over a fragment. `rule(cpts, pos)` returns the end (in code
/// points) of the token starting at `pos`.
fn split_custom(sub: &str, base: usize, out: &mut Vec<(usize, usize)>, rule: fn(&Cpts, usize) -> usize) {
    let c = Cpts::new(sub);
    let mut pos = 0;
    while pos < c.len() {
        let end = rule(&c, pos).clamp(pos + 1, c.len());
        out.push((base + c.byte_pos[pos], base + c.byte_pos[end]));
        pos = end;
    }
}

fn contraction_end(c: &Cpts, pos: usize, case_insensitive: bool) -> Option<usize> {
    let n = c.len();
    if c.cpt(pos) != Some('\'') || pos + 1 >= n {
        return None;
    }
    let low = |ch: Option<char>| {
        let ch = ch?;
        Some(if case_insensitive { ch.to_ascii_lowercase() } else { ch })
    };
    let next = low(c.cpt(pos + 1));
    if matches!(next, Some('s' | 't' | 'm' | 'd')) {
        return Some(pos + 2);
    }
    if pos + 2 < n {
        let nn = low(c.cpt(pos + 2));
        if matches!((next, nn), (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l'))) {
            return Some(pos + 3);
        }
    }
    None
}

/// Port of `unicode_regex_split_custom_gpt2`: one token starting at `pos`.
fn gpt2_rule(c: &Cpts, mut pos: usize) -> usize {
    if let Some(end) = contraction_end(c, pos, false) {
        return end;
    }
    let cpt = c.cpt(pos);
    let is_space = cpt == Some(' ');
    let mut f2 = if is_space { c.flags(pos + 1) } else { c.flags(pos) };
    // <space>?\p{L}+
    if f2.letter {
        pos += is_space as usize;
        while f2.letter {
            pos += 1;
            f2 = c.flags(pos);
        }
        return pos;
    }
    // <space>?\p{N}+
    if f2.number {
        pos += is_space as usize;
        while f2.number {
            pos += 1;
            f2 = c.flags(pos);
        }
        return pos;
    }
    // <space>?[^\s\p{L}\p{N}]+
    if !(f2.ws || f2.letter || f2.number) && f2.defined {
        pos += is_space as usize;
        while !(f2.ws || f2.letter || f2.number) && f2.defined {
            pos += 1;
            f2 = c.flags(pos);
        }
        return pos;
    }
    let mut nws = 0;
    while c.flags(pos + nws).ws {
        nws += 1;
    }
    // \s+(?!\S)
    if nws > 1 && c.cpt(pos + nws).is_some() {
        return pos + nws - 1;
    }
    // \s+
    if nws > 0 {
        return pos + nws;
    }
    pos + 1
}

/// Port of `unicode_regex_split_custom_llama3`: one token starting at `pos`.
fn llama3_rule(c: &Cpts, mut pos: usize) -> usize {
    if let Some(end) = contraction_end(c, pos, true) {
        return end;
    }
    let cpt = c.cpt(pos);
    let flags = c.flags(pos);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if !(cpt == Some('\r') || cpt == Some('\n') || flags.number) && (flags.letter || c.flags(pos + 1).letter) {
        pos += 1;
        while c.flags(pos).letter {
            pos += 1;
        }
        return pos;
    }
    // \p{N}{1,3}
    if flags.number {
        let ini = pos;
        while c.flags(pos).number {
            pos += 1;
            if pos - ini >= 3 {
                return pos;
            }
        }
        return pos;
    }
    // <space>?[^\s\p{L}\p{N}]+[\r\n]*
    let is_space = cpt == Some(' ');
    let mut f2 = if is_space { c.flags(pos + 1) } else { flags };
    if !(f2.ws || f2.letter || f2.number) && flags.defined {
        pos += is_space as usize;
        while !(f2.ws || f2.letter || f2.number) && f2.defined {
            pos += 1;
            f2 = c.flags(pos);
        }
        while matches!(c.cpt(pos), Some('\r' | '\n')) {
            pos += 1;
        }
        return pos;
    }
    let mut nws = 0;
    let mut last_end_r_or_n = 0;
    while c.flags(pos + nws).ws {
        if matches!(c.cpt(pos + nws), Some('\r' | '\n')) {
            last_end_r_or_n = pos + nws + 1;
        }
        nws += 1;
    }
    // \s*[\r\n]+
    if last_end_r_or_n > 0 {
        return last_end_r_or_n;
    }
    // \s+(?!\S)
    if nws > 1 && c.cpt(pos + nws).is_some() {
        return pos + nws - 1;
    }
    // \s+
    if nws > 0 {
        return pos + nws;
    }
    pos + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(pre: &str, text: &str) -> Vec<String> {
        let p = PreTokenizer::for_name(pre).unwrap();
        p.split(text).into_iter().map(|(a, b)| text[a..b].to_string()).collect()
    }

    #[test]
    fn every_known_name_compiles() {
        for name in [
            "default",
            "llama3",
            "llama-bpe",
            "dbrx",
            "deepseek-llm",
            "deepseek-coder",
            "deepseek-v3",
            "falcon",
            "gpt-2",
            "starcoder",
            "smollm",
            "qwen2",
            "stablelm2",
            "seed-coder",
            "tekken",
            "gpt-4o",
            "chatglm-bpe",
        ] {
            let p = PreTokenizer::for_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!p.split("Hello, world 123 ünïcode  \n\n x").is_empty());
        }
        assert!(PreTokenizer::for_name("made-up").unwrap_err().contains("made-up"));
    }

    #[test]
    fn custom_splitters_match_the_regex_engine() {
        // The ported splitters must agree with a regex engine running the same expressions, on
        // text exercising every alternative.
        let gpt2_full = fancy_regex::Regex::new(&format!(r"{GPT2_REGEX}|\s+")).unwrap();
        let llama3 = fancy_regex::Regex::new(LLAMA3_REGEX).unwrap();
        let samples = [
            "Hello world! It's 2024, isn't it? We'LL see.",
            "  leading   spaces\tand\ttabs  \n\n  trailing   ",
            "line one\r\n\r\nline two\n\n\n",
            "emoji 🚀🔥 👩‍💻 café naïve 中文字符 ١٢٣ ½",
            "def f(x):\n    return x**2  # comment\n",
            "1234567 12 3.14159 -42",
            "'s 's 'S 'Re 're 'll'd",
            "\u{3000}\u{a0}x\u{85}y",
            " ",
            "a",
            "    ",
        ];
        for s in samples {
            let mut want = Vec::new();
            split_regex(&gpt2_full, s, 0, &mut want);
            let mut got = Vec::new();
            split_custom(s, 0, &mut got, gpt2_rule);
            assert_eq!(got, want, "gpt2 split of {s:?}");
            let mut want = Vec::new();
            split_regex(&llama3, s, 0, &mut want);
            let mut got = Vec::new();
            split_custom(s, 0, &mut got, llama3_rule);
            assert_eq!(got, want, "llama3 split of {s:?}");
        }
    }

    #[test]
    fn smollm_isolates_digits() {
        assert_eq!(words("smollm", "Hello world! 123"), vec!["Hello", " world", "!", " ", "1", "2", "3"]);
        assert_eq!(words("gpt-2", "Hello world! 123"), vec!["Hello", " world", "!", " 123"]);
        assert_eq!(words("llama3", "Hello world! 1234567"), vec!["Hello", " world", "!", " ", "123", "456", "7"]);
        assert_eq!(words("qwen2", "ab 12"), vec!["ab", " ", "1", "2"]);
    }
}
