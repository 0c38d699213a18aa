//! Tokenizers built from GGUF metadata (`tokenizer.ggml.*`) that produce the same ids as
//! llama.cpp: byte-level BPE ("gpt2") with the pre-tokenizer named by `tokenizer.ggml.pre`, and
//! SentencePiece-style ("llama") vocabularies with scores and `<0xNN>` byte fallback.
//!
//! Why our own: the ids must equal llama.cpp's exactly (prompt caches, adapters, token budgets and
//! reference logits all depend on it), and the ready-made GGUF→`tokenizers` converters get
//! SmolLM2's `smollm` pre-tokenizer wrong.

mod bpe;
pub mod pretokenize;
mod spm;
pub mod unicode;

use crate::gguf::{GgufArray, GgufError, GgufFile};
use std::collections::{BTreeSet, HashMap};

pub use pretokenize::PreTokenizer;

/// Token attributes (llama.cpp's `llama_token_attr` bits).
pub mod attr {
    pub const UNDEFINED: u8 = 0;
    pub const UNKNOWN: u8 = 1 << 0;
    pub const UNUSED: u8 = 1 << 1;
    pub const NORMAL: u8 = 1 << 2;
    pub const CONTROL: u8 = 1 << 3;
    pub const USER_DEFINED: u8 = 1 << 4;
    pub const BYTE: u8 = 1 << 5;
}

/// Which tokenization algorithm the vocabulary uses.
#[derive(Debug)]
pub enum VocabKind {
    /// Byte-level BPE (`tokenizer.ggml.model == "gpt2"`).
    Bpe { pre: PreTokenizer },
    /// SentencePiece BPE with scores (`tokenizer.ggml.model == "llama"`).
    Spm,
}

/// Ids of the special tokens a runtime needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    /// End of turn (`<|im_end|>`, `<|eot_id|>`...), found by key or by text as llama.cpp does.
    pub eot: Option<u32>,
    pub eom: Option<u32>,
    pub unk: Option<u32>,
    pub sep: Option<u32>,
    pub pad: Option<u32>,
}

/// A loaded tokenizer. Cheap to share (`&Tokenizer` is `Sync`).
#[derive(Debug)]
pub struct Tokenizer {
    kind: VocabKind,
    tokens: Vec<String>,
    attrs: Vec<u8>,
    scores: Vec<f32>,
    token_to_id: HashMap<String, u32>,
    merges: bpe::Merges,
    /// Control / user-defined / unknown tokens, longest text first (llama.cpp's
    /// `cache_special_tokens`), matched in raw text before the pre-tokenizer runs.
    special_cache: Vec<u32>,
    /// Decoded bytes of every token (llama.cpp's `cache_token_to_piece`, special = true).
    pieces: Vec<Vec<u8>>,
    byte_tokens: [Option<u32>; 256],
    special: SpecialTokens,
    eog: BTreeSet<u32>,
    add_bos: bool,
    add_eos: bool,
    add_space_prefix: bool,
}

/// Token texts llama.cpp treats as end-of-generation (matched by text, `llama-vocab.cpp`).
const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "<|end_of_text|>",
    "<end_of_utterance>",
];
/// Texts llama.cpp picks the EOT token from when `tokenizer.ggml.eot_token_id` is absent.
const EOT_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
    "_<EOT>",
    "<end_of_utterance>",
];

fn string_array<'a>(f: &'a GgufFile, key: &str) -> Result<Option<&'a [String]>, GgufError> {
    match f.get(key) {
        None => Ok(None),
        Some(v) => match v.as_array() {
            Some(GgufArray::String(s)) => Ok(Some(s)),
            _ => Err(f.error(format!("{key} must be an array of strings"))),
        },
    }
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata.
    pub fn from_gguf(f: &GgufFile) -> Result<Self, GgufError> {
        let model = f
            .get_str("tokenizer.ggml.model")
            .ok_or_else(|| f.error("tokenizer.ggml.model is missing: the file has no tokenizer"))?;
        let tokens_raw = string_array(f, "tokenizer.ggml.tokens")?
            .ok_or_else(|| f.error("tokenizer.ggml.tokens is missing: the file has no vocabulary"))?;
        let n = tokens_raw.len();
        if n == 0 || n > (1 << 24) {
            return Err(f.error(format!("vocabulary size {n} is out of range")));
        }
        let scores = match f.get_array("tokenizer.ggml.scores") {
            None => vec![0.0; n],
            Some(a) => {
                let v = a.to_f32_vec().ok_or_else(|| f.error("tokenizer.ggml.scores must be numeric"))?;
                if v.len() < n {
                    return Err(f.error(format!("tokenizer.ggml.scores has {} entries for {n} tokens", v.len())));
                }
                v
            }
        };
        let mut attrs = match f.get_array("tokenizer.ggml.token_type") {
            None => vec![attr::NORMAL; n],
            Some(a) => {
                let v = a.to_i64_vec().ok_or_else(|| f.error("tokenizer.ggml.token_type must be integers"))?;
                if v.len() < n {
                    return Err(f.error(format!("tokenizer.ggml.token_type has {} entries for {n} tokens", v.len())));
                }
                v.iter()
                    .take(n)
                    .map(|&t| match t {
                        1 => attr::NORMAL,
                        2 => attr::UNKNOWN,
                        3 => attr::CONTROL,
                        4 => attr::USER_DEFINED,
                        5 => attr::UNUSED,
                        6 => attr::BYTE,
                        _ => attr::UNDEFINED,
                    })
                    .collect()
            }
        };

        let mut tokens = Vec::with_capacity(n);
        let mut token_to_id = HashMap::with_capacity(n);
        for (i, t) in tokens_raw.iter().enumerate() {
            let t = if t.is_empty() { format!("[EMPTY_{i}]") } else { t.clone() };
            token_to_id.entry(t.clone()).or_insert(i as u32);
            tokens.push(t);
        }

        let mut special = SpecialTokens::default();
        let (kind, merges) = match model {
            "gpt2" => {
                let merges = string_array(f, "tokenizer.ggml.merges")?
                    .ok_or_else(|| f.error("tokenizer.ggml.merges is missing (required for a gpt2 BPE vocabulary)"))?;
                let pre_name = f.get_str("tokenizer.ggml.pre").unwrap_or("default");
                let pre = PreTokenizer::for_name(pre_name).map_err(|e| f.error(e))?;
                special.bos = Some(11);
                special.eos = Some(11);
                (VocabKind::Bpe { pre }, bpe::Merges::new(merges, &token_to_id))
            }
            "llama" => {
                special.bos = Some(1);
                special.eos = Some(2);
                special.unk = Some(0);
                (VocabKind::Spm, bpe::Merges::default())
            }
            other => {
                return Err(f.error(format!(
                    "tokenizer model {other:?} is not supported (Quill handles \"gpt2\" byte-level BPE and \"llama\" SentencePiece vocabularies)"
                )));
            }
        };
        let (mut add_bos, mut add_eos, mut add_space_prefix) = match &kind {
            VocabKind::Bpe { pre } => (pre.add_bos_default, false, false),
            VocabKind::Spm => (true, false, true),
        };
        if let Some(b) = f.get_bool("tokenizer.ggml.add_space_prefix") {
            add_space_prefix = b;
        }
        // Defaults out of range are disabled; keys override them when in range (llama.cpp).
        let in_range = |id: Option<u32>| id.filter(|&i| (i as usize) < n);
        special.bos = in_range(special.bos);
        special.eos = in_range(special.eos);
        special.unk = in_range(special.unk);
        let key_id = |key: &str, cur: Option<u32>| -> Option<u32> {
            match f.get_u64(key) {
                Some(v) if (v as usize) < n => Some(v as u32),
                _ => cur,
            }
        };
        special.bos = key_id("tokenizer.ggml.bos_token_id", special.bos);
        special.eos = key_id("tokenizer.ggml.eos_token_id", special.eos);
        special.eot = key_id("tokenizer.ggml.eot_token_id", None);
        special.eom = key_id("tokenizer.ggml.eom_token_id", None);
        special.unk = key_id("tokenizer.ggml.unknown_token_id", special.unk);
        special.sep = key_id("tokenizer.ggml.seperator_token_id", None);
        special.pad = key_id("tokenizer.ggml.padding_token_id", None);
        if let Some(b) = f.get_bool("tokenizer.ggml.add_bos_token") {
            add_bos = b;
        }
        if let Some(b) = f.get_bool("tokenizer.ggml.add_eos_token") {
            add_eos = b;
        }
        if add_bos && special.bos.is_none() {
            return Err(f.error("tokenizer.ggml.add_bos_token is true, but there is no BOS token"));
        }
        if add_eos && special.eos.is_none() {
            return Err(f.error("tokenizer.ggml.add_eos_token is true, but there is no EOS token"));
        }

        // EOT by text, and the end-of-generation set; such tokens are forced to CONTROL.
        if special.eot.is_none() {
            special.eot = EOT_TEXTS.iter().find_map(|t| token_to_id.get(*t).copied());
        }
        let mut eog = BTreeSet::new();
        for t in EOG_TEXTS {
            if let Some(&id) = token_to_id.get(*t) {
                eog.insert(id);
            }
        }
        for id in [special.eos, special.eot, special.eom].into_iter().flatten() {
            eog.insert(id);
        }
        for &id in &eog {
            attrs[id as usize] |= attr::CONTROL;
        }
        if let Some(eot) = special.eot {
            attrs[eot as usize] |= attr::CONTROL;
        }

        let mut special_cache: Vec<u32> = (0..n as u32)
            .filter(|&i| attrs[i as usize] & (attr::CONTROL | attr::USER_DEFINED | attr::UNKNOWN) != 0)
            .collect();
        special_cache.sort_by(|&a, &b| tokens[b as usize].len().cmp(&tokens[a as usize].len()).then(a.cmp(&b)));

        let mut byte_tokens = [None; 256];
        for (b, slot) in byte_tokens.iter_mut().enumerate() {
            *slot = match &kind {
                VocabKind::Spm => token_to_id
                    .get(&format!("<0x{b:02X}>"))
                    .copied()
                    .or_else(|| std::str::from_utf8(&[b as u8]).ok().and_then(|s| token_to_id.get(s).copied())),
                VocabKind::Bpe { .. } => {
                    let c = unicode::byte_to_char_table()[b];
                    token_to_id.get(c.to_string().as_str()).copied()
                }
            };
        }

        let mut tok = Tokenizer {
            kind,
            tokens,
            attrs,
            scores,
            token_to_id,
            merges,
            special_cache,
            pieces: Vec::new(),
            byte_tokens,
            special,
            eog,
            add_bos,
            add_eos,
            add_space_prefix,
        };
        tok.pieces = (0..n as u32).map(|i| tok.compute_piece(i)).collect();
        Ok(tok)
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }
    pub fn kind(&self) -> &VocabKind {
        &self.kind
    }
    pub fn special(&self) -> &SpecialTokens {
        &self.special
    }
    /// Whether `encode(.., add_special = true, ..)` prepends BOS (from `add_bos_token`).
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }
    pub fn add_eos(&self) -> bool {
        self.add_eos
    }
    /// Token ids that end generation (EOS, EOT, `<|im_end|>`, ...).
    pub fn eog_ids(&self) -> &BTreeSet<u32> {
        &self.eog
    }
    pub fn is_eog(&self, id: u32) -> bool {
        self.eog.contains(&id)
    }
    /// The raw vocabulary text of a token.
    pub fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.token_to_id.get(text).copied()
    }
    pub fn token_attr(&self, id: u32) -> u8 {
        self.attrs.get(id as usize).copied().unwrap_or(attr::UNDEFINED)
    }
    pub fn is_control(&self, id: u32) -> bool {
        self.token_attr(id) & (attr::CONTROL | attr::UNKNOWN) != 0
    }

    /// Tokenizes `text`. `add_special` adds BOS/EOS as the vocabulary asks; `parse_special`
    /// turns the text of control tokens (e.g. `<|im_start|>`) into those tokens. User-defined
    /// tokens are always matched, as in llama.cpp.
    pub fn encode(&self, text: &str, add_special: bool, parse_special: bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        let frags = self.partition_special(text, parse_special);
        match &self.kind {
            VocabKind::Bpe { pre } => {
                if add_special && self.add_bos {
                    out.extend(self.special.bos);
                }
                let mut scratch = bpe::BpeScratch::default();
                let mut encoded = String::new();
                for frag in frags {
                    match frag {
                        Frag::Token(id) => out.push(id),
                        Frag::Text(a, b) => {
                            let t = &text[a..b];
                            for (wa, wb) in pre.split(t) {
                                unicode::byte_encode(&t[wa..wb], &mut encoded);
                                if pre.ignore_merges
                                    && let Some(&id) = self.token_to_id.get(encoded.as_str())
                                {
                                    out.push(id);
                                    continue;
                                }
                                bpe::bpe_word(&encoded, &self.merges, &self.token_to_id, &mut scratch, &mut out);
                            }
                        }
                    }
                }
                if add_special && self.add_eos {
                    out.extend(self.special.eos);
                }
            }
            VocabKind::Spm => {
                if add_special && self.add_bos {
                    out.extend(self.special.bos);
                }
                let mut is_prev_special = true;
                let vocab = spm::SpmVocab {
                    token_to_id: &self.token_to_id,
                    scores: &self.scores,
                    byte_tokens: &self.byte_tokens,
                    unk: self.special.unk,
                };
                for frag in frags {
                    match frag {
                        Frag::Token(id) => {
                            out.push(id);
                            is_prev_special = true;
                        }
                        Frag::Text(a, b) => {
                            let mut s = String::with_capacity(b - a + 3);
                            if self.add_space_prefix && is_prev_special {
                                s.push(' ');
                            }
                            s.push_str(&text[a..b]);
                            let s = s.replace(' ', "\u{2581}");
                            spm::spm_tokenize(&s, &vocab, &mut out);
                            is_prev_special = false;
                        }
                    }
                }
                if add_special && self.add_eos {
                    out.extend(self.special.eos);
                }
            }
        }
        out
    }

    /// llama.cpp's `tokenizer_st_partition`: split raw text around special-token texts, longest
    /// tokens first.
    fn partition_special(&self, text: &str, parse_special: bool) -> Vec<Frag> {
        let mut frags = if text.is_empty() { Vec::new() } else { vec![Frag::Text(0, text.len())] };
        for &id in &self.special_cache {
            let a = self.attrs[id as usize];
            if !parse_special && a & (attr::CONTROL | attr::UNKNOWN) != 0 {
                continue;
            }
            let needle = self.tokens[id as usize].as_str();
            if needle.is_empty()
                || !frags.iter().any(|f| matches!(f, Frag::Text(a, b) if text[*a..*b].contains(needle)))
            {
                continue;
            }
            let mut next = Vec::with_capacity(frags.len() + 2);
            for f in frags {
                match f {
                    Frag::Token(_) => next.push(f),
                    Frag::Text(mut a, b) => {
                        while let Some(pos) = text[a..b].find(needle) {
                            if pos > 0 {
                                next.push(Frag::Text(a, a + pos));
                            }
                            next.push(Frag::Token(id));
                            a += pos + needle.len();
                        }
                        if a < b {
                            next.push(Frag::Text(a, b));
                        }
                    }
                }
            }
            frags = next;
        }
        frags
    }

    fn compute_piece(&self, id: u32) -> Vec<u8> {
        let i = id as usize;
        let a = self.attrs[i];
        let text = &self.tokens[i];
        if a & (attr::UNKNOWN | attr::CONTROL | attr::USER_DEFINED) != 0 {
            return text.as_bytes().to_vec();
        }
        if a & attr::BYTE != 0 {
            return parse_byte_token(text).map(|b| vec![b]).unwrap_or_default();
        }
        if a & attr::NORMAL != 0 {
            return match self.kind {
                VocabKind::Spm => text.replace('\u{2581}', " ").into_bytes(),
                VocabKind::Bpe { .. } => {
                    let mut out = Vec::with_capacity(text.len());
                    for c in text.chars() {
                        match unicode::char_to_byte(c) {
                            Some(b) => out.push(b),
                            None => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            }
                        }
                    }
                    out
                }
            };
        }
        Vec::new()
    }

    /// The bytes a token stands for. With `special == false`, control and unknown tokens give
    /// nothing (so `<|im_end|>` does not leak into generated text).
    pub fn token_to_piece(&self, id: u32, special: bool) -> &[u8] {
        let Some(p) = self.pieces.get(id as usize) else {
            return &[];
        };
        if !special && self.is_control(id) {
            return &[];
        }
        p
    }

    /// Decodes ids to text (invalid UTF-8 becomes U+FFFD).
    pub fn decode(&self, ids: &[u32], special: bool) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            bytes.extend_from_slice(self.token_to_piece(id, special));
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Piece text for display (`quill tokenize`): lossy UTF-8 of the token's bytes.
    pub fn piece_display(&self, id: u32) -> String {
        String::from_utf8_lossy(self.token_to_piece(id, true)).into_owned()
    }
}

fn parse_byte_token(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

enum Frag {
    Text(usize, usize),
    Token(u32),
}

/// Streaming UTF-8 assembly of token pieces: emits only complete characters, holding back a
/// partial multi-byte sequence until the next piece completes it (emoji are often split across
/// byte tokens).
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    pending: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a piece and returns the text that is now complete.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // SAFETY-free: from_utf8 on the valid prefix cannot fail.
                    out.push_str(std::str::from_utf8(&self.pending[..valid]).unwrap_or_default());
                    match e.error_len() {
                        None => {
                            // Incomplete sequence at the end: keep it for the next piece.
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(bad) => {
                            out.push('\u{FFFD}');
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// Returns whatever is left (an unfinished sequence becomes U+FFFD).
    pub fn flush(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        s
    }

    /// True when bytes are being held back.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests;
