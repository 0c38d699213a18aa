//! SentencePiece-style ("llama" vocab) tokenization, as llama.cpp's `llm_tokenizer_spm_session`.
//!
//! Start from single code points, repeatedly merge the adjacent pair whose concatenation is the
//! highest-scoring vocabulary entry (ties: leftmost), then resegment symbols that are not tokens
//! through the recorded merges, falling back to `<0xNN>` byte tokens.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

#[derive(Clone, Copy)]
struct Sym {
    start: usize,
    len: usize,
    prev: isize,
    next: isize,
}

struct Bigram {
    left: usize,
    right: usize,
    score: f32,
    size: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Bigram {}
impl Ord for Bigram {
    fn cmp(&self, o: &Self) -> Ordering {
        // llama.cpp: (l.score < r.score) || (l.score == r.score && l.left > r.left) ⇒ max-heap on
        // score, then the smaller left index first.
        self.score.partial_cmp(&o.score).unwrap_or(Ordering::Equal).then(o.left.cmp(&self.left))
    }
}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// What the SPM session needs from the vocabulary.
pub struct SpmVocab<'a> {
    pub token_to_id: &'a HashMap<String, u32>,
    pub scores: &'a [f32],
    /// `<0xNN>` token per byte (or the single-byte text token), `None` if the vocab has neither.
    pub byte_tokens: &'a [Option<u32>; 256],
    pub unk: Option<u32>,
}

/// Tokenizes `text` (already space-escaped with ▁), appending ids to `out`.
pub fn spm_tokenize(text: &str, vocab: &SpmVocab<'_>, out: &mut Vec<u32>) {
    let mut syms: Vec<Sym> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let idx = syms.len() as isize;
        syms.push(Sym { start: i, len: c.len_utf8(), prev: idx - 1, next: idx + 1 });
    }
    if let Some(last) = syms.last_mut() {
        last.next = -1;
    }
    let mut heap = BinaryHeap::new();
    let mut rev_merge: HashMap<&str, (usize, usize)> = HashMap::new();

    for i in 1..syms.len() {
        try_add(text, vocab, &syms, &mut heap, &mut rev_merge, i as isize - 1, i as isize);
    }
    while let Some(bg) = heap.pop() {
        let (l, r) = (syms[bg.left], syms[bg.right]);
        if l.len == 0 || r.len == 0 || l.len + r.len != bg.size {
            continue;
        }
        syms[bg.left].len += r.len;
        syms[bg.right].len = 0;
        syms[bg.left].next = r.next;
        if r.next >= 0 {
            syms[r.next as usize].prev = bg.left as isize;
        }
        let (p, n) = (syms[bg.left].prev, syms[bg.left].next);
        try_add(text, vocab, &syms, &mut heap, &mut rev_merge, p, bg.left as isize);
        try_add(text, vocab, &syms, &mut heap, &mut rev_merge, bg.left as isize, n);
    }
    let mut i: isize = if syms.is_empty() { -1 } else { 0 };
    while i != -1 {
        let s = syms[i as usize];
        resegment(text, &syms, s.start, s.len, vocab, &rev_merge, out, 0);
        i = s.next;
    }
}

fn try_add<'t>(
    text: &'t str,
    vocab: &SpmVocab<'_>,
    syms: &[Sym],
    heap: &mut BinaryHeap<Bigram>,
    rev: &mut HashMap<&'t str, (usize, usize)>,
    l: isize,
    r: isize,
) {
    if l < 0 || r < 0 {
        return;
    }
    let (l, r) = (l as usize, r as usize);
    let s = &text[syms[l].start..syms[l].start + syms[l].len + syms[r].len];
    let Some(&id) = vocab.token_to_id.get(s) else {
        return;
    };
    let Some(&score) = vocab.scores.get(id as usize) else {
        return;
    };
    heap.push(Bigram { left: l, right: r, score, size: s.len() });
    rev.insert(s, (l, r));
}

#[allow(clippy::too_many_arguments)]
fn resegment(
    text: &str,
    syms: &[Sym],
    start: usize,
    len: usize,
    vocab: &SpmVocab<'_>,
    rev: &HashMap<&str, (usize, usize)>,
    out: &mut Vec<u32>,
    depth: usize,
) {
    let s = &text[start..start + len];
    if let Some(&id) = vocab.token_to_id.get(s) {
        out.push(id);
        return;
    }
    // Depth guard: recorded merges always split a string into strictly shorter parts, but a
    // bound keeps a pathological vocab from recursing deeply.
    if depth < 256
        && let Some(&(l, r)) = rev.get(s)
    {
        let (ls, rs) = (syms[l].start, syms[r].start);
        let llen = rs.saturating_sub(ls).min(len);
        resegment(text, syms, start, llen, vocab, rev, out, depth + 1);
        resegment(text, syms, start + llen, len - llen, vocab, rev, out, depth + 1);
        return;
    }
    for b in s.bytes() {
        if let Some(id) = vocab.byte_tokens[b as usize].or(vocab.unk) {
            out.push(id);
        }
    }
}
