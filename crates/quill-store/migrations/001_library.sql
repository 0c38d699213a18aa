-- Rung 1: the voice & example library.
-- One row per entry; kind-specific fields are nullable columns (rewrites: before/after/why;
-- phrases: polarity/replacement) so every entry shares history, tags, metrics and soft delete.
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('post','hook','intro','cta','email','thread','bio','rewrite','phrase')),
    platform      TEXT NOT NULL DEFAULT 'other'
                  CHECK (platform IN ('linkedin','x','newsletter','email','instagram','youtube','blog','other')),
    title         TEXT,
    text          TEXT NOT NULL,          -- for rewrites: the "after" text; for phrases: the phrase
    before_text   TEXT,                   -- rewrite: the draft before the creator's edit
    why           TEXT,                   -- rewrite: why the edit was made
    polarity      TEXT CHECK (polarity IS NULL OR polarity IN ('approved','banned')),
    replacement   TEXT,                   -- banned phrase: the preferred replacement
    date          TEXT,                   -- publication date, ISO 8601 (date or date-time)
    rating        INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    source        TEXT,                   -- file:line or URL it came from
    notes         TEXT,
    external_id   TEXT,                   -- id in the source system (tweet id, LinkedIn share URN)
    extra         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra)), -- importer details (reply_to, is_retweet, ...)
    content_hash  TEXT NOT NULL,          -- hash of normalised text, for exact-duplicate detection
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT                    -- soft delete: `rm` sets it, `restore` clears it
);
CREATE INDEX entries_kind_platform ON entries(kind, platform) WHERE deleted_at IS NULL;
CREATE INDEX entries_hash ON entries(content_hash);
CREATE INDEX entries_date ON entries(date);

CREATE TABLE entry_tags (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (entry_id, tag)
) WITHOUT ROWID;
CREATE INDEX entry_tags_tag ON entry_tags(tag);

-- Free-form numeric results: impressions, likes, comments, replies, reposts, clicks, leads, sales, ...
CREATE TABLE entry_metrics (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (entry_id, name)
) WITHOUT ROWID;
CREATE INDEX entry_metrics_name ON entry_metrics(name, value);

-- Every change keeps the previous state as a JSON snapshot, so edits can be inspected and undone.
CREATE TABLE entry_history (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    action     TEXT NOT NULL,            -- add, edit, rate, tag, rm, restore, import
    snapshot   TEXT NOT NULL CHECK (json_valid(snapshot)), -- the entry as it was AFTER this action
    changed_at TEXT NOT NULL,
    UNIQUE (entry_id, version)
);

-- One row per `quill library import`, for provenance and the summary printed afterwards.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    paths       TEXT NOT NULL CHECK (json_valid(paths)),
    format      TEXT,
    added       INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    bad         INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE entries ADD COLUMN import_id INTEGER REFERENCES imports(id);

-- Held-out splits: entries reserved for evaluation are never used as few-shot examples or training data.
CREATE TABLE entry_splits (
    entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    split    TEXT NOT NULL CHECK (split IN ('train','validation','test')),
    assigned_at TEXT NOT NULL
);
