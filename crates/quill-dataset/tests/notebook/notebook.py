#!/usr/bin/env python3
"""The OpenAI cookbook notebook examples/Chat_finetuning_data_prep.ipynb (openai/openai-cookbook,
commit b774cbf), transcribed cell by cell, with a harness that runs it on a file and prints what
each cell printed and computed as JSON.

The cells' code is the notebook's, unchanged except for being wrapped in functions (one per
cell) so a crash in one cell can be reported and the next cells still run, as they would for a
reader stepping through the notebook. The harness never changes what a cell computes.

Usage: notebook.py [--bpe-dir DIR] FILE
  --bpe-dir DIR   a folder holding cl100k_base.tiktoken; it is put into tiktoken's cache so no
                  download is needed (tiktoken checks its SHA-256 against the published hash)
"""
import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import time
from collections import defaultdict


def seed_tiktoken_cache(bpe_dir):
    cache = os.path.join(bpe_dir, "cache")
    os.makedirs(cache, exist_ok=True)
    for name in ("cl100k_base", "o200k_base"):
        src = os.path.join(bpe_dir, name + ".tiktoken")
        if os.path.exists(src):
            url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
            shutil.copy(src, os.path.join(cache, hashlib.sha1(url.encode()).hexdigest()))
    os.environ["TIKTOKEN_CACHE_DIR"] = cache


args = sys.argv[1:]
if len(args) >= 2 and args[0] == "--bpe-dir":
    seed_tiktoken_cache(args[1])
    args = args[2:]
if len(args) != 1:
    sys.exit(__doc__)
data_path = args[0]

# ---- cell 1
import json
import tiktoken # for token counting
import numpy as np
from collections import defaultdict


class TrackedList(list):
    """`dataset` with the position of the running `for ex in dataset` loop recorded, so a crash
    can be tied to its example. Iteration yields exactly the list's items."""
    pos = None

    def __iter__(self):
        for i, x in enumerate(list.__iter__(self)):
            self.pos = i
            yield x


# ---- cell 2: Data loading
def cell_load():
    # Load the dataset
    with open(data_path, 'r', encoding='utf-8') as f:
        dataset = [json.loads(line) for line in f]
    return dataset


def cell_preview(dataset):
    # Initial dataset stats
    print("Num examples:", len(dataset))
    print("First example:")
    for message in dataset[0]["messages"]:
        print(message)


# ---- cell 3: Format validation
def cell_format(dataset):
    # Format error checks
    format_errors = defaultdict(int)

    for ex in dataset:
        if not isinstance(ex, dict):
            format_errors["data_type"] += 1
            continue

        messages = ex.get("messages", None)
        if not messages:
            format_errors["missing_messages_list"] += 1
            continue

        for message in messages:
            if "role" not in message or "content" not in message:
                format_errors["message_missing_key"] += 1

            if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                format_errors["message_unrecognized_key"] += 1

            if message.get("role", None) not in ("system", "user", "assistant", "function"):
                format_errors["unrecognized_role"] += 1

            content = message.get("content", None)
            function_call = message.get("function_call", None)

            if (not content and not function_call) or not isinstance(content, str):
                format_errors["missing_content"] += 1

        if not any(message.get("role", None) == "assistant" for message in messages):
            format_errors["example_missing_assistant_message"] += 1

    if format_errors:
        print("Found errors:")
        for k, v in format_errors.items():
            print(f"{k}: {v}")
    else:
        print("No errors found")
    return format_errors


# ---- cell 4: Token Counting Utilities
encoding = tiktoken.get_encoding("cl100k_base")

# not exact!
# simplified from https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb
def num_tokens_from_messages(messages, tokens_per_message=3, tokens_per_name=1):
    num_tokens = 0
    for message in messages:
        num_tokens += tokens_per_message
        for key, value in message.items():
            num_tokens += len(encoding.encode(value))
            if key == "name":
                num_tokens += tokens_per_name
    num_tokens += 3
    return num_tokens

def num_assistant_tokens_from_messages(messages):
    num_tokens = 0
    for message in messages:
        if message["role"] == "assistant":
            num_tokens += len(encoding.encode(message["content"]))
    return num_tokens

def print_distribution(values, name):
    print(f"\n#### Distribution of {name}:")
    print(f"min / max: {min(values)}, {max(values)}")
    print(f"mean / median: {np.mean(values)}, {np.median(values)}")
    print(f"p5 / p95: {np.quantile(values, 0.1)}, {np.quantile(values, 0.9)}")


def dist(values):
    """Harness: the numbers print_distribution prints, for comparison."""
    return {
        "min": int(min(values)), "max": int(max(values)),
        "mean": float(np.mean(values)), "median": float(np.median(values)),
        "p10": float(np.quantile(values, 0.1)), "p90": float(np.quantile(values, 0.9)),
    }


# ---- cell 5: Data Warnings and Token Counts
def cell_warnings(dataset):
    # Warnings and tokens counts
    n_missing_system = 0
    n_missing_user = 0
    n_messages = []
    convo_lens = []
    assistant_message_lens = []

    for ex in dataset:
        messages = ex["messages"]
        if not any(message["role"] == "system" for message in messages):
            n_missing_system += 1
        if not any(message["role"] == "user" for message in messages):
            n_missing_user += 1
        n_messages.append(len(messages))
        convo_lens.append(num_tokens_from_messages(messages))
        assistant_message_lens.append(num_assistant_tokens_from_messages(messages))

    print("Num examples missing system message:", n_missing_system)
    print("Num examples missing user message:", n_missing_user)
    print_distribution(n_messages, "num_messages_per_example")
    print_distribution(convo_lens, "num_total_tokens_per_example")
    print_distribution(assistant_message_lens, "num_assistant_tokens_per_example")
    n_too_long = sum(l > 16385 for l in convo_lens)
    print(f"\n{n_too_long} examples may be over the 16,385 token limit, they will be truncated during fine-tuning")
    return {
        "n_missing_system": n_missing_system,
        "n_missing_user": n_missing_user,
        "num_messages_per_example": dist(n_messages),
        "num_total_tokens_per_example": dist(convo_lens),
        "num_assistant_tokens_per_example": dist(assistant_message_lens),
        "n_too_long": int(n_too_long),
    }, convo_lens


# ---- cell 6: Cost Estimation
def cell_cost(dataset, convo_lens):
    # Pricing and default n_epochs estimate
    MAX_TOKENS_PER_EXAMPLE = 16385

    TARGET_EPOCHS = 3
    MIN_TARGET_EXAMPLES = 100
    MAX_TARGET_EXAMPLES = 25000
    MIN_DEFAULT_EPOCHS = 1
    MAX_DEFAULT_EPOCHS = 25

    n_epochs = TARGET_EPOCHS
    n_train_examples = len(dataset)
    if n_train_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        n_epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_train_examples)
    elif n_train_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        n_epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_train_examples)

    n_billing_tokens_in_dataset = sum(min(MAX_TOKENS_PER_EXAMPLE, length) for length in convo_lens)
    print(f"Dataset has ~{n_billing_tokens_in_dataset} tokens that will be charged for during training")
    print(f"By default, you'll train for {n_epochs} epochs on this dataset")
    print(f"By default, you'll be charged for ~{n_epochs * n_billing_tokens_in_dataset} tokens")
    return {
        "n_train_examples": n_train_examples,
        "n_epochs": n_epochs,
        "n_billing_tokens_in_dataset": n_billing_tokens_in_dataset,
        "charged_tokens": n_epochs * n_billing_tokens_in_dataset,
    }


# ---- harness
def run_cell(fn, *a, dataset=None):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            value = fn(*a)
        return {"status": "ok", "value": value, "stdout": out.getvalue()}
    except Exception as e:  # a cell crashed: report where, as the notebook would show it
        line = None
        if isinstance(dataset, TrackedList) and dataset.pos is not None:
            line = dataset.pos + 1
        return {"status": "crashed", "exception": type(e).__name__, "message": str(e), "line": line,
                "stdout": out.getvalue()}


def first_bad_line():
    """Harness: the line json.loads failed on (the load cell's comprehension hides it)."""
    with open(data_path, 'r', encoding='utf-8', errors='strict') as f:
        for i, line in enumerate(f):
            try:
                json.loads(line)
            except Exception:
                return i + 1
    return None


def main():
    started = time.perf_counter()
    report = {}
    load = run_cell(cell_load)
    if load["status"] != "ok":
        try:
            load["line"] = first_bad_line()
        except UnicodeDecodeError:
            load["line"] = None
        load.pop("stdout", None)
        report["load"] = load
        print(json.dumps(report))
        return
    dataset = TrackedList(load["value"])
    report["load"] = {"status": "ok", "num_examples": len(dataset)}
    prev = run_cell(cell_preview, dataset)
    prev.pop("value", None)
    if prev["status"] == "crashed":
        prev["line"] = 1 if len(dataset) else None
    prev["stdout"] = prev["stdout"].splitlines()[:1]
    report["first_example"] = prev
    dataset.pos = None
    fmt = run_cell(cell_format, dataset, dataset=dataset)
    if fmt["status"] == "ok":
        fmt["value"] = [[k, v] for k, v in fmt["value"].items()]
    report["format_errors"] = fmt
    dataset.pos = None
    warn = run_cell(cell_warnings, dataset, dataset=dataset)
    convo_lens = None
    if warn["status"] == "ok":
        warn["value"], convo_lens = warn["value"]
    report["warnings"] = warn
    if convo_lens is not None:
        report["cost"] = run_cell(cell_cost, dataset, convo_lens)
    else:
        report["cost"] = {"status": "skipped"}
    report["seconds"] = time.perf_counter() - started
    report["versions"] = {"tiktoken": tiktoken.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    print(json.dumps(report))


main()
