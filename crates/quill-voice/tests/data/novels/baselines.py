#!/usr/bin/env python3
"""Reference baselines for the novels attribution benchmark (not part of the test suite).

Two methods that need every candidate author's texts at once, which a creator's voice profile
never has, measured on exactly the texts `tests/attribution_novels.rs` uses (19 novelists'
passages from `passages.jsonl.gz` plus the sample creator's library and held-out posts):

- a TF-IDF character n-gram centroid (IDF over all candidates' training texts, cosine);
- a supervised linear SVM on TF-IDF character n-grams (one-vs-rest, all 20 authors).

    pip install scikit-learn
    python3 crates/quill-voice/tests/data/novels/baselines.py

The figures are quoted in docs/benchmarks/voice.md.
"""

import gzip
import json
import re
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[4] / "examples" / "creator"


def body(path):
    t = path.read_text(encoding="utf-8")
    if t.startswith("---\n"):
        t = t[t.index("\n---", 4) + 4 :]
    return t.strip()


def date(path):
    m = re.search(r'^date:\s*"?([^"\n]+)', path.read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else ""


def main():
    with gzip.open(HERE / "passages.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    lib = sorted(
        (date(p), str(p), p) for d in ["linkedin", "newsletter"] for p in (EXAMPLES / "library" / d).glob("*.md")
    )
    rows += [{"author": "creator", "split": "train", "text": body(p)} for _, _, p in lib]
    rows += [{"author": "creator", "split": "test", "text": body(p)} for p in sorted((EXAMPLES / "heldout").glob("*.md"))]
    authors = list(dict.fromkeys(r["author"] for r in rows))

    def split(name):
        sel = [r for r in rows if r["split"] == name]
        return [r["text"] for r in sel], np.array([authors.index(r["author"]) for r in sel])

    x, y = split("train")
    tests = {name: split(name) for name in ["test", "topic"]}

    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True, min_df=2, lowercase=False).fit(x)
    xv = vec.transform(x)
    centroids = np.vstack([np.asarray(xv[y == a].mean(axis=0)) for a in range(len(authors))])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    for name, (xt, yt) in tests.items():
        acc = float(np.mean((vec.transform(xt) @ centroids.T).argmax(1) == yt))
        print(f"TF-IDF char 2-5 centroid, {name}: {acc:.3f} ({len(yt)} texts)")

    for lo, hi in [(1, 4), (2, 5)]:
        svm = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(lo, hi), sublinear_tf=True, min_df=2, lowercase=False),
            LinearSVC(C=1.0),
        ).fit(x, y)
        for name, (xt, yt) in tests.items():
            print(f"linear SVM, TF-IDF char {lo}-{hi}, {name}: {float(np.mean(svm.predict(xt) == yt)):.3f}")


if __name__ == "__main__":
    main()
