//! The cookbook notebook's Python code and what it needs to run offline, shared by the parity
//! tests and `quill bench dataset`.
//!
//! tiktoken downloads its BPE files on first use, which this workplace (and many creators'
//! machines) cannot do. tiktoken-rs embeds the same files; [`write_bpe_files`] rebuilds them
//! byte for byte from its tables and checks them against the SHA-256 that tiktoken itself
//! verifies, and the script puts them in tiktoken's cache.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::text::sha256_hex;

/// `tests/notebook/notebook.py`: the notebook's cells plus a JSON-printing harness.
pub const NOTEBOOK_PY: &str = include_str!("../tests/notebook/notebook.py");

/// The SHA-256 tiktoken expects for each file (from `tiktoken_ext/openai_public.py`).
pub const BPE_FILES: &[(&str, &str)] = &[
    ("cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),
    ("o200k_base", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),
];

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Rebuilds `NAME.tiktoken` ("base64(token) rank" per line) from tiktoken-rs's tables.
pub fn bpe_file(name: &str) -> Result<Vec<u8>> {
    let bpe = match name {
        "cl100k_base" => tiktoken_rs::cl100k_base_singleton(),
        "o200k_base" => tiktoken_rs::o200k_base_singleton(),
        other => return Err(Error::Invalid(format!("no BPE file for {other}"))),
    };
    let specials = bpe.special_tokens();
    let mut out = String::new();
    for rank in 0u32.. {
        let Ok(bytes) = bpe.decode_bytes(&[rank]) else {
            break;
        };
        if std::str::from_utf8(&bytes).is_ok_and(|s| specials.contains(s)) {
            break;
        }
        let _ = writeln!(out, "{} {rank}", base64(&bytes));
    }
    Ok(out.into_bytes())
}

/// Writes `cl100k_base.tiktoken` and `o200k_base.tiktoken` into `dir`, verified against the
/// hashes tiktoken checks.
pub fn write_bpe_files(dir: &Path) -> Result<()> {
    for (name, want) in BPE_FILES {
        let bytes = bpe_file(name)?;
        let got = sha256_hex(&bytes);
        if got != *want {
            return Err(Error::Invalid(format!("rebuilt {name}.tiktoken has SHA-256 {got}, tiktoken expects {want}")));
        }
        quill_store::atomic_write(&dir.join(format!("{name}.tiktoken")), &bytes)?;
    }
    Ok(())
}

/// A deterministic synthetic OpenAI chat file of `n` lines for benchmarks: varied lengths,
/// some multi-turn, no weights (so the notebook runs every cell).
pub fn synthetic_chat_jsonl(n: usize) -> String {
    const WORDS: &[&str] = &[
        "onboarding",
        "client",
        "calendar",
        "margin",
        "handoff",
        "boring",
        "system",
        "kickoff",
        "invoice",
        "scope",
        "meeting",
        "budget",
        "friday",
        "email",
        "capacity",
        "hire",
        "checklist",
        "owner",
        "deadline",
        "retainer",
        "the",
        "a",
        "to",
        "and",
        "of",
        "in",
        "is",
        "it",
        "you",
        "that",
        "for",
        "on",
        "with",
        "your",
        "not",
        "3",
        "12",
        "48-hour",
        "don't",
        "here's",
        "→",
        "✅",
        "agency",
        "team",
        "week",
        "hours",
        "days",
        "plainly",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let sentence = |len: usize, next: &mut dyn FnMut() -> u64| {
        let mut s = String::new();
        for i in 0..len {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
        }
        s.push('.');
        s
    };
    let mut out = String::with_capacity(n * 900);
    for _ in 0..n {
        let turns = 1 + (next() % 4 == 0) as usize;
        let mut msgs = vec![
            serde_json::json!({"role": "system", "content": "You are Maya's writing assistant. Write in Maya's own voice."}),
        ];
        for _ in 0..turns {
            let ulen = 8 + (next() % 40) as usize;
            let alen = 20 + (next() % 220) as usize;
            msgs.push(serde_json::json!({"role": "user", "content": sentence(ulen, &mut next)}));
            let mut a = String::new();
            let mut left = alen;
            while left > 0 {
                let k = left.min(4 + (next() % 10) as usize);
                if !a.is_empty() {
                    a.push('\n');
                }
                a.push_str(&sentence(k, &mut next));
                left -= k;
            }
            msgs.push(serde_json::json!({"role": "assistant", "content": a}));
        }
        out.push_str(&serde_json::json!({ "messages": msgs }).to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilt_bpe_files_match_tiktokens_hashes() {
        let dir = tempfile::tempdir().unwrap();
        write_bpe_files(dir.path()).unwrap();
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn synthetic_file_is_deterministic_valid_chat() {
        let a = synthetic_chat_jsonl(50);
        assert_eq!(a, synthetic_chat_jsonl(50));
        for l in a.lines() {
            let (f, _) = crate::formats::parse_line(l, 1).unwrap();
            assert_eq!(f, crate::Format::Openai);
        }
    }
}
