-- Rung 5: the voice profile built by `quill voice profile`.
-- One row per build; the newest row is the profile in use, older rows stay for comparison.
CREATE TABLE voice_profiles (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    texts      INTEGER NOT NULL,      -- library texts it was built from
    words      INTEGER NOT NULL,
    embedder   TEXT,                  -- model id of the embedding centroid, NULL when built without one
    profile    TEXT NOT NULL CHECK (json_valid(profile))  -- quill_voice::profile::Profile as JSON
);
