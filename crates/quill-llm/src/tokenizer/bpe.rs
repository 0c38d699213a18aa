//! Byte-level BPE merging, as llama.cpp's `llm_tokenizer_bpe_session` does it.
//!
//! Symbols start as single code points of the byte-encoded word; the adjacent pair with the lowest
//! merge rank is merged first (ties: leftmost), using a priority queue with lazy invalidation.
//! Merges are keyed by token ids (`(left, right) → (rank, merged)`) instead of strings, so the
//! loop allocates nothing per merge.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// Merge table built from `tokenizer.ggml.merges`.
#[derive(Debug, Default)]
pub struct Merges {
    map: HashMap<(u32, u32), (u32, u32)>,
}

impl Merges {
    /// Builds the table. Merges whose parts or result are not vocabulary entries cannot produce a
    /// token id and are skipped (they never occur in well-formed vocabularies).
    pub fn new(merges: &[String], token_to_id: &HashMap<String, u32>) -> Self {
        let mut map = HashMap::with_capacity(merges.len());
        let mut joined = String::new();
        for (rank, m) in merges.iter().enumerate() {
            // llama.cpp splits at the first space after position 0.
            let Some(sp) = m.bytes().enumerate().skip(1).find(|&(_, b)| b == b' ').map(|(i, _)| i) else {
                continue;
            };
            let (a, b) = (&m[..sp], &m[sp + 1..]);
            let (Some(&ia), Some(&ib)) = (token_to_id.get(a), token_to_id.get(b)) else {
                continue;
            };
            joined.clear();
            joined.push_str(a);
            joined.push_str(b);
            let Some(&ij) = token_to_id.get(joined.as_str()) else {
                continue;
            };
            // First occurrence wins, as with llama.cpp's `emplace`.
            map.entry((ia, ib)).or_insert((rank as u32, ij));
        }
        Merges { map }
    }
}

#[derive(Clone, Copy)]
struct Sym {
    /// Token id of the symbol's text, `None` when the text is not a vocabulary entry.
    id: Option<u32>,
    start: usize,
    end: usize,
    prev: usize,
    next: usize,
    alive: bool,
}

const NONE: usize = usize::MAX;

#[derive(PartialEq, Eq)]
struct Bigram {
    rank: u32,
    left: usize,
    right: usize,
    left_id: u32,
    right_id: u32,
    merged: u32,
}

impl Ord for Bigram {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: the "greatest" is the lowest rank, then the leftmost.
        other.rank.cmp(&self.rank).then(other.left.cmp(&self.left))
    }
}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reusable buffers for [`bpe_word`].
#[derive(Default)]
pub struct BpeScratch {
    syms: Vec<Sym>,
    heap: BinaryHeap<Bigram>,
}

fn push_bigram(merges: &Merges, syms: &[Sym], heap: &mut BinaryHeap<Bigram>, left: usize, right: usize) {
    if left == NONE || right == NONE {
        return;
    }
    let (Some(l), Some(r)) = (syms[left].id, syms[right].id) else {
        return;
    };
    if let Some(&(rank, merged)) = merges.map.get(&(l, r)) {
        heap.push(Bigram { rank, left, right, left_id: l, right_id: r, merged });
    }
}

/// Tokenizes one byte-encoded word, appending ids to `out`.
pub fn bpe_word(
    word: &str,
    merges: &Merges,
    token_to_id: &HashMap<String, u32>,
    scratch: &mut BpeScratch,
    out: &mut Vec<u32>,
) {
    let syms = &mut scratch.syms;
    let heap = &mut scratch.heap;
    syms.clear();
    heap.clear();
    let mut it = word.char_indices().peekable();
    while let Some((i, _)) = it.next() {
        let end = it.peek().map(|&(j, _)| j).unwrap_or(word.len());
        let idx = syms.len();
        syms.push(Sym {
            id: token_to_id.get(&word[i..end]).copied(),
            start: i,
            end,
            prev: if idx == 0 { NONE } else { idx - 1 },
            next: NONE,
            alive: true,
        });
        if idx > 0 {
            syms[idx - 1].next = idx;
        }
    }
    for i in 1..syms.len() {
        push_bigram(merges, syms, heap, i - 1, i);
    }
    while let Some(bg) = heap.pop() {
        let (l, r) = (syms[bg.left], syms[bg.right]);
        // Outdated entries: either side merged away or changed since the pair was queued.
        if !l.alive || !r.alive || l.id != Some(bg.left_id) || r.id != Some(bg.right_id) || l.next != bg.right {
            continue;
        }
        let left = bg.left;
        syms[left].id = Some(bg.merged);
        syms[left].end = r.end;
        syms[left].next = r.next;
        syms[bg.right].alive = false;
        if r.next != NONE {
            syms[r.next].prev = left;
        }
        let (p, n) = (syms[left].prev, syms[left].next);
        push_bigram(merges, syms, heap, p, left);
        push_bigram(merges, syms, heap, left, n);
    }
    let mut i = if syms.is_empty() { NONE } else { 0 };
    while i != NONE {
        let s = syms[i];
        match s.id {
            Some(id) => out.push(id),
            None => {
                // llama.cpp falls back to single-byte entries of the symbol's text.
                let text = &word[s.start..s.end];
                for b in text.bytes() {
                    if let Some(&id) = std::str::from_utf8(&[b]).ok().and_then(|t| token_to_id.get(t)) {
                        out.push(id);
                    }
                }
            }
        }
        i = s.next;
    }
}
