-- Rung 6b: local LoRA fine-tuning runs and their exports.
-- One row per adapter name; a resumed run updates its row. The adapter files, checkpoints and
-- the loss-curve SVG live in .quill/adapters/<name>/ (adapter_dir); the curve is also kept here
-- so `quill tune list` and reports need no file access.
CREATE TABLE tune_runs (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL
                    CHECK (status IN ('running','completed','early_stopped','interrupted','failed')),
    base_model      TEXT NOT NULL,            -- path of the base GGUF
    base_fingerprint TEXT NOT NULL,           -- size + hash of its header, to detect a swapped file
    data_path       TEXT NOT NULL,
    config          TEXT NOT NULL CHECK (json_valid(config)),   -- every training setting
    adapter_dir     TEXT NOT NULL,
    train_examples  INTEGER NOT NULL,
    val_examples    INTEGER NOT NULL,
    total_steps     INTEGER NOT NULL,
    steps_done      INTEGER NOT NULL DEFAULT 0,
    tokens          INTEGER NOT NULL DEFAULT 0,  -- tokens through the model, padding included
    trained_tokens  INTEGER NOT NULL DEFAULT 0,  -- tokens the loss was computed on
    train_seconds   REAL NOT NULL DEFAULT 0,
    final_loss      REAL,
    best_val_loss   REAL,
    best_step       INTEGER,
    curve           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(curve)), -- [{step, loss, lr, grad_norm, val_loss?}]
    error           TEXT,
    pid             INTEGER,                  -- process training it while status = 'running'
    started_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX tune_runs_status ON tune_runs(status);

CREATE TABLE tune_exports (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES tune_runs(id) ON DELETE CASCADE,
    format      TEXT NOT NULL CHECK (format IN ('peft','gguf','ollama','all')),
    path        TEXT NOT NULL,
    checked     TEXT CHECK (checked IS NULL OR json_valid(checked)),  -- `--check` results
    created_at  TEXT NOT NULL
);
CREATE INDEX tune_exports_run ON tune_exports(run_id);
