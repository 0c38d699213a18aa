#!/usr/bin/env python3
"""Cuts 19th-century novels into ~150-word passages for the voice attribution benchmark.

Reproduce `passages.jsonl.gz` with:

    git clone https://github.com/mahlberg-lab/CorporaCorpus   # or any checkout/mirror of it
    python3 crates/quill-voice/tests/data/novels/extract.py --repo CorporaCorpus \
        --out crates/quill-voice/tests/data/novels/passages.jsonl.gz

(Without `--out` it writes plain JSONL to stdout. The decompressed content is identical byte for
byte on every run; the gzip bytes also depend on the zlib version.)

`--repo` may be a work tree or a bare mirror (the files are read with `git show REV:PATH`,
`--rev` defaults to the commit the committed data was cut from). `--dir DIR` reads
`DIR/NAME.txt.gz` (or `NAME.txt`) instead.

What it writes, one JSON object per line, by author then split:
    {"author": "austen", "split": "train"|"test"|"topic", "source": "pride", "at": 0.123, "text": "..."}

- `train`: PASSAGES_TRAIN passages spread evenly over the first TRAIN_END of the author's
  first-published novel in the corpus (their *primary* novel).
- `test`: PASSAGES_TEST passages spread evenly over the last (1 - TEST_START) of the same novel:
  the time split (later writing, same book; the gap in between keeps neighbours apart).
- `topic`: for authors with two or more novels, PASSAGES_TOPIC passages spread evenly over
  their *other* novels: the topic-change split (new story, new characters, new setting).
- `at`: where the passage starts in its novel, as a fraction of its passages.

Passages are built from whole sentences, start at a paragraph or sentence boundary, run to at
least MIN_WORDS and end at the first sentence end after that (never past MAX_WORDS; a
sentence that would overshoot is left for the next passage). Paragraphs stay paragraphs (one
line each, separated by a blank line); the source's hard line wraps are undone. Chapter
headings, title pages, prefaces by publishers, illustrations, ornaments (`* * *`), indented
verse and epigraphs, and the printer's colophon are skipped. Dialogue is kept: it is how these
novels are written.

Deterministic: no randomness, passages are chosen by position only.
"""

import argparse
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

# The commit of https://github.com/mahlberg-lab/CorporaCorpus the committed data was cut from.
DEFAULT_REV = "c6b01c9eb86df5bac6763bd3292bd7b55a5263cd"
CONTENT = "inst/extdata/content"

# (key, author, novels in order of first publication); the first is the primary novel.
# Mapping checked against the texts' title pages and the package's corpus_metadata('19C').
AUTHORS = [
    ("austen", "Jane Austen", ["pride", "emma", "persu"]),
    ("m-shelley", "Mary Shelley", ["frank"]),
    ("disraeli", "Benjamin Disraeli", ["vivian", "sybil"]),
    ("bulwer-lytton", "Edward Bulwer-Lytton", ["pomp"]),
    ("a-bronte", "Anne Brontë", ["agnes"]),
    ("c-bronte", "Charlotte Brontë", ["jane", "prof"]),
    ("thackeray", "William Makepeace Thackeray", ["vanity"]),
    ("e-bronte", "Emily Brontë", ["wuth"]),
    ("gaskell", "Elizabeth Gaskell", ["mary", "cran", "north"]),
    ("collins", "Wilkie Collins", ["anto", "woman", "arma"]),
    ("eliot", "George Eliot", ["mill", "deronda"]),
    ("trollope", "Anthony Trollope", ["alli"]),
    ("braddon", "Mary Elizabeth Braddon", ["audley"]),
    ("hardy", "Thomas Hardy", ["native", "tess", "jude"]),
    ("stevenson", "Robert Louis Stevenson", ["jekyll"]),
    ("wilde", "Oscar Wilde", ["dorian"]),
    ("stoker", "Bram Stoker", ["dracula"]),
    ("doyle", "Arthur Conan Doyle", ["basker"]),
    (
        "dickens",
        "Charles Dickens",
        ["PP", "OT", "NN", "OCS", "BR", "MC", "DS", "DC", "BH", "HT", "LD", "TTC", "GE", "OMF", "MED"],
    ),
]

PASSAGES_TRAIN = 60
PASSAGES_TEST = 16
PASSAGES_TOPIC = 16
TRAIN_END = 0.5
TEST_START = 0.7
MIN_WORDS = 135
MAX_WORDS = 175

HEADING = re.compile(
    r"^(chapter|letter|book|part|phase|stave|volume|vol\.|preface|the end|finis|conclusion|introduction|"
    r"appendix|contents|epilogue|prologue)\b",
    re.I,
)
ROMAN = re.compile(r"^[IVXLC]+\.?$")
# Where the story proper starts: the first chapter-like heading.
STORY_START = re.compile(r"^(chapter|letter|book|part|phase|stave|[IVXLC]+\.?$|1\.?$|story of the door)", re.I)
ABBREV = re.compile(r"\b(Mr|Mrs|Dr|St|Messrs|Mme|Mlle|Esq|Col|Capt|Gen|Rev|Sir|No|vol|ch)\.$")
SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")


def read_novel(args, name):
    if args.dir:
        d = Path(args.dir)
        gz, txt = d / f"{name}.txt.gz", d / f"{name}.txt"
        raw = gzip.decompress(gz.read_bytes()) if gz.exists() else txt.read_bytes()
    else:
        blob = subprocess.run(
            ["git", "-C", args.repo, "show", f"{args.rev}:{CONTENT}/{name}.txt.gz"],
            check=True,
            capture_output=True,
        ).stdout
        raw = gzip.decompress(blob)
    return raw.decode("utf-8").replace("\r\n", "\n")


def paragraphs(text):
    """Blank-line-separated blocks of the story proper, cleaned; headings and ornaments dropped."""
    blocks = re.split(r"\n\s*\n", text)
    start = 0
    limit = max(1, len(blocks) // 10)
    for i, b in enumerate(blocks[:limit]):
        if STORY_START.match(b.strip()):
            start = i
            break
    out = []
    for b in blocks[start:]:
        lines = [ln for ln in b.split("\n") if ln.strip()]
        if not lines:
            continue
        # Indented blocks are verse, epigraphs, letters' addresses, centred ornaments.
        if all(re.match(r"^\s{3,}", ln) for ln in lines):
            continue
        p = " ".join(ln.strip() for ln in lines)
        p = re.sub(r"\[(Illustration|ILLUSTRATION|Footnote)[^\]]*\]", " ", p)
        p = re.sub(r"\s+", " ", p).strip()
        if not p:
            continue
        letters = [c for c in p if c.isalpha()]
        if not letters:
            continue
        words = p.split()
        if sum(c.isupper() for c in letters) / len(letters) > 0.6:
            continue  # headings and title pages in capitals
        if len(words) <= 12 and (HEADING.match(p) or ROMAN.match(p.split()[0])):
            continue
        if len(words) <= 6 and not SENTENCE_END.search(p):
            continue  # short lines without a full stop: headings, datelines, signatures
        if re.match(r"^(\*\s*)+$", p):
            continue
        if re.search(r"\b(PRINTED BY|Printers?, London|Copyright)\b", p):
            continue
        out.append(p)
    return out


def sentences(par):
    """Splits a paragraph into sentences at . ! ? followed by a space and a capital or quote."""
    toks = par.split(" ")
    out, cur = [], []
    for i, t in enumerate(toks):
        cur.append(t)
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if SENTENCE_END.search(t) and not ABBREV.search(t) and (not nxt or re.match(r"^[\"'(]*[A-Z]", nxt)):
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def passages(pars):
    """Consecutive passages of whole sentences, MIN_WORDS..MAX_WORDS words."""
    units = []  # (paragraph index, sentence)
    for pi, p in enumerate(pars):
        for s in sentences(p):
            units.append((pi, s))
    out = []
    i = 0
    while i < len(units):
        n, j = 0, i
        while j < len(units) and n < MIN_WORDS:
            w = len(units[j][1].split())
            if n + w > MAX_WORDS:
                break
            n += w
            j += 1
        if n >= MIN_WORDS:
            parts, last = [], None
            for pi, s in units[i:j]:
                if pi == last:
                    parts[-1] += " " + s
                else:
                    parts.append(s)
                last = pi
            out.append("\n\n".join(parts))
            i = j
        else:
            i = max(j, i + 1)  # a sentence too long to fit: skip it
    return out


def spread(items, lo, hi, k):
    """k items evenly spaced over the fraction [lo, hi) of the list, with their positions."""
    a, b = int(len(items) * lo), int(len(items) * hi)
    span = b - a
    if span < k:
        raise SystemExit(f"only {span} passages in range, need {k}")
    picks = [a + (2 * t + 1) * span // (2 * k) for t in range(k)]
    return [(p / len(items), items[p]) for p in picks]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", help="CorporaCorpus checkout or bare mirror")
    ap.add_argument("--rev", default=DEFAULT_REV)
    ap.add_argument("--dir", help="folder with NAME.txt.gz or NAME.txt instead of --repo")
    ap.add_argument("--out", help="write gzip-compressed JSONL here instead of plain JSONL to stdout")
    args = ap.parse_args()
    if not args.repo and not args.dir:
        ap.error("give --repo or --dir")
    rows = []
    for key, _name, novels in AUTHORS:
        cut = {n: passages(paragraphs(read_novel(args, n))) for n in novels}
        primary = novels[0]
        for at, t in spread(cut[primary], 0.0, TRAIN_END, PASSAGES_TRAIN):
            rows.append({"author": key, "split": "train", "source": primary, "at": round(at, 3), "text": t})
        for at, t in spread(cut[primary], TEST_START, 1.0, PASSAGES_TEST):
            rows.append({"author": key, "split": "test", "source": primary, "at": round(at, 3), "text": t})
        others = [(n, i, p) for n in novels[1:] for i, p in enumerate(cut[n])]
        if others:
            for _, (n, i, t) in spread(others, 0.0, 1.0, PASSAGES_TOPIC):
                at = i / len(cut[n])
                rows.append({"author": key, "split": "topic", "source": n, "at": round(at, 3), "text": t})
        print(
            f"{key}: " + ", ".join(f"{n} {len(cut[n])}" for n in novels) + " passages",
            file=sys.stderr,
        )
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if args.out:
        with open(args.out, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    else:
        sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()
