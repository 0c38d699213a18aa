-- Rung 6a: hosted fine-tuning jobs started from Quill and the models they produced, so a model
-- trained last month can still be found (and its dataset traced) after the terminal is closed.
CREATE TABLE hosted_jobs (
    job_id            TEXT PRIMARY KEY,           -- ftjob-…
    provider          TEXT NOT NULL,              -- openai
    base_url          TEXT NOT NULL,              -- API base the job lives at
    base_model        TEXT NOT NULL,              -- e.g. gpt-4o-mini-2024-07-18
    training_file     TEXT NOT NULL,              -- uploaded file id
    validation_file   TEXT,
    suffix            TEXT,
    dataset_dir       TEXT,                       -- the `quill dataset build` folder it came from
    manifest_sha256   TEXT,                       -- SHA-256 of that build's manifest.json
    status            TEXT NOT NULL,              -- validating_files, queued, running, succeeded, failed, cancelled
    fine_tuned_model  TEXT,                       -- the resulting model name, once succeeded
    trained_tokens    INTEGER,
    error             TEXT,
    backend_name      TEXT,                       -- the [backends.NAME] added to quill.toml for it
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX hosted_jobs_model ON hosted_jobs(fine_tuned_model);
