-- The generation log: every draft (and every generation a command asks to keep), with the exact
-- prompt, response, model, parameters, timings and token counts — like `llm logs`. The evaluation
-- and the workflows read it; accepted drafts feed fine-tuning datasets.
CREATE TABLE generations (
    id                INTEGER PRIMARY KEY,
    created_at        TEXT NOT NULL,
    command           TEXT NOT NULL,                 -- draft, generate, workflow, eval ...
    batch             TEXT,                          -- variants generated together share it
    variant           INTEGER,                       -- 1-based within the batch
    backend           TEXT NOT NULL,                 -- local or a [backends.NAME]
    model             TEXT NOT NULL,
    adapter           TEXT,
    brief             TEXT CHECK (brief IS NULL OR json_valid(brief)),
    system            TEXT,
    prompt            TEXT NOT NULL,
    response          TEXT NOT NULL,
    params            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    duration_ms       INTEGER,
    first_token_ms    INTEGER,
    finish_reason     TEXT,
    checks            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checks)),  -- results of the brief checks
    repairs           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(repairs)), -- what was repaired, and how
    status            TEXT CHECK (status IS NULL OR status IN ('accepted','rejected')),
    extra             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra))
);
CREATE INDEX generations_created ON generations(created_at);
CREATE INDEX generations_batch ON generations(batch);
