-- Rung 3: the knowledge base. Documents (files, and library entries in their own scope), their
-- chunks with citation offsets, a BM25 index (FTS5, Porter stemming) and stored embeddings.
CREATE TABLE kb_documents (
    id            INTEGER PRIMARY KEY,
    scope         TEXT NOT NULL CHECK (scope IN ('docs','library')),
    source        TEXT NOT NULL,            -- absolute file path, or 'library:<entry id>'
    title         TEXT NOT NULL,
    format        TEXT NOT NULL,            -- markdown, text, html, pdf, docx, library
    content_hash  TEXT NOT NULL,            -- SHA-256 of the file bytes (library: of the indexed text)
    chunker       TEXT NOT NULL,            -- chunking settings it was cut with; a change re-chunks
    mtime         TEXT,                     -- file modification time, RFC 3339
    size          INTEGER,                  -- file size in bytes
    text          TEXT NOT NULL,            -- the extracted text that chunk offsets point into
    added_at      TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (scope, source)
);

CREATE TABLE kb_chunks (
    id            INTEGER PRIMARY KEY,
    document_id   INTEGER NOT NULL REFERENCES kb_documents(id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,         -- position in the document
    heading_path  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(heading_path)),
    start_char    INTEGER NOT NULL,         -- [start_char, end_char) in kb_documents.text
    end_char      INTEGER NOT NULL,
    text          TEXT NOT NULL,
    tokens        INTEGER NOT NULL,
    text_hash     TEXT NOT NULL,            -- SHA-256 of what is embedded: unchanged chunks keep their vectors
    UNIQUE (document_id, ord)
);
CREATE INDEX kb_chunks_hash ON kb_chunks(text_hash);

-- Keyword index; rowid = kb_chunks.id. Contentless (the text lives in kb_chunks) with deletes.
CREATE VIRTUAL TABLE kb_fts USING fts5(
    body, heading, title,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- One vector per chunk and model: little-endian f32, L2-normalised.
CREATE TABLE kb_embeddings (
    chunk_id  INTEGER NOT NULL REFERENCES kb_chunks(id) ON DELETE CASCADE,
    model     TEXT NOT NULL,
    dim       INTEGER NOT NULL,
    vector    BLOB NOT NULL,
    PRIMARY KEY (chunk_id, model)
) WITHOUT ROWID;

-- Bumped by every write, so a process holding vectors in memory knows when to reload them.
CREATE TABLE kb_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT INTO kb_state (id, generation) VALUES (1, 0);

-- The keyword index has no content of its own, so a removed chunk (deleted directly or through
-- the cascade from its document) must be removed from it explicitly.
CREATE TRIGGER kb_chunks_fts_delete AFTER DELETE ON kb_chunks BEGIN
    DELETE FROM kb_fts WHERE rowid = old.id;
END;
