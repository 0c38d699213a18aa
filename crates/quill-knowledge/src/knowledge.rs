//! The knowledge base: adding, re-indexing, listing and removing documents.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use quill_store::{Db, Workspace, now_rfc3339};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chunk::{self, TokenCounter};
use crate::ingest::{self, Format};
use crate::search::{Scope, SearchScope};
use crate::vector::{VectorIndex, to_blob};
use crate::{Embedder, Error, Result, Settings, fts};

/// Where work is in a long operation, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading, extracting and chunking files.
    Reading,
    /// Computing embeddings for new or changed chunks.
    Embedding,
}

/// Receives progress; every method has a do-nothing default.
pub trait Progress {
    /// A phase with `total` steps begins.
    fn start(&mut self, _phase: Phase, _total: u64) {}
    /// `n` more steps are done; `item` names the current file when there is one.
    fn advance(&mut self, _n: u64, _item: Option<&str>) {}
    /// The phase is over.
    fn finish(&mut self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// A file that could not be ingested, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The file.
    pub path: PathBuf,
    /// The reason, with the fix where there is one.
    pub error: String,
}

/// What `add_paths` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddReport {
    /// Files indexed for the first time.
    pub added: Vec<PathBuf>,
    /// Files whose content (or the chunk settings) changed, re-indexed.
    pub updated: Vec<PathBuf>,
    /// Files already indexed with the same content hash: untouched.
    pub unchanged: Vec<PathBuf>,
    /// Documents dropped because their file is gone from a re-added folder.
    pub removed: Vec<PathBuf>,
    /// Files skipped with the reason.
    pub failed: Vec<Failure>,
    /// Chunks written.
    pub chunks: usize,
    /// Chunks whose vector was reused from an identical earlier chunk.
    pub vectors_reused: usize,
    /// Chunks embedded now.
    pub embedded: usize,
}

/// One indexed document, as `kb list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentInfo {
    /// Id, usable with `kb rm`.
    pub id: i64,
    /// Docs or library.
    pub scope: Scope,
    /// Title.
    pub title: String,
    /// File path or `library:<id>`.
    pub source: String,
    /// Format name.
    pub format: String,
    /// SHA-256 of the content.
    pub content_hash: String,
    /// File modification time.
    pub mtime: Option<String>,
    /// File size in bytes.
    pub size: Option<i64>,
    /// Chunks.
    pub chunks: i64,
    /// Chunks with a vector for the current model.
    pub embedded: i64,
    /// Last (re-)indexed.
    pub updated_at: String,
}

/// A library entry to index (scope `library`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryItem {
    /// Entry id in the library.
    pub id: i64,
    /// Entry kind (post, hook, cta, …).
    pub kind: String,
    /// Platform.
    pub platform: String,
    /// Title, if the entry has one.
    pub title: Option<String>,
    /// The text.
    pub text: String,
}

/// What `sync_library` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Entries indexed or re-indexed.
    pub indexed: usize,
    /// Entries unchanged.
    pub unchanged: usize,
    /// Entries dropped (deleted or held out from the library).
    pub removed: usize,
    /// Chunks embedded.
    pub embedded: usize,
}

/// Totals for `kb stats` / `kb list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Documents per scope.
    pub documents: HashMap<String, i64>,
    /// Chunks.
    pub chunks: i64,
    /// Chunks with a vector for the current model.
    pub embedded: i64,
    /// The model id.
    pub model: String,
}

/// The knowledge base of one workspace.
///
/// Holds the database connection, the settings, the embedding model (loaded on first use, so
/// keyword-only work never pays for it) and an in-memory copy of the vectors for dense search,
/// reloaded whenever `kb_state.generation` shows another write.
pub struct Knowledge {
    pub(crate) db: Db,
    settings: Settings,
    embedder: OnceCell<Embedder>,
    vectors: RefCell<Option<(i64, VectorIndex)>>,
}

impl std::fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Knowledge").field("db", &self.db.path()).field("settings", &self.settings).finish()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What gets embedded for a chunk: its title and headings, then its text. The prefix tells the
/// model what a terse passage ("It costs $490.") is about.
pub(crate) fn embed_text(title: &str, heading_path: &[String], text: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !title.is_empty() {
        parts.push(title);
    }
    for h in heading_path {
        if parts.last() != Some(&h.as_str()) {
            parts.push(h);
        }
    }
    if parts.is_empty() { text.to_string() } else { format!("{}\n\n{}", parts.join(" > "), text) }
}

struct NewDoc<'a> {
    scope: Scope,
    source: &'a str,
    title: &'a str,
    format: Format,
    content_hash: &'a str,
    mtime: Option<String>,
    size: Option<i64>,
    text: &'a str,
}

fn bump(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("UPDATE kb_state SET generation = generation + 1 WHERE id = 1", [])?;
    Ok(())
}

impl Knowledge {
    /// Opens the knowledge base of a workspace, with settings from its `[knowledge]` section.
    pub fn open(ws: &Workspace) -> Result<Self> {
        let settings: Settings = ws.config().section("knowledge", &ws.config_path())?;
        Self::new(ws.open_db()?, settings)
    }

    /// Wraps an open database (tests, other crates that already hold one).
    pub fn new(db: Db, settings: Settings) -> Result<Self> {
        settings.validate()?;
        Ok(Self { db, settings, embedder: OnceCell::new(), vectors: RefCell::new(None) })
    }

    /// Uses an already loaded model instead of loading one from `settings.model_dir`.
    pub fn with_embedder(self, embedder: Embedder) -> Self {
        let _ = self.embedder.set(embedder);
        self
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The embedding model, loaded on first use.
    pub fn embedder(&self) -> Result<&Embedder> {
        if let Some(e) = self.embedder.get() {
            return Ok(e);
        }
        let e = Embedder::load(&self.settings.model_dir())?;
        Ok(self.embedder.get_or_init(|| e))
    }

    /// The id vectors are stored under: the embedder's, or the model folder's name before it is
    /// loaded (they are the same).
    pub fn model_id(&self) -> String {
        match self.embedder.get() {
            Some(e) => e.id().to_string(),
            None => self
                .settings
                .model_dir()
                .file_name()
                .map_or_else(|| "embedder".into(), |n| n.to_string_lossy().into_owned()),
        }
    }

    /// Runs `f` on the in-memory vectors, reloading them first if anything was written since.
    pub(crate) fn with_vectors<T>(&self, f: impl FnOnce(&VectorIndex) -> T) -> Result<T> {
        let generation: i64 =
            self.db.conn().query_row("SELECT generation FROM kb_state WHERE id = 1", [], |r| r.get(0))?;
        let mut cache = self.vectors.borrow_mut();
        if cache.as_ref().is_none_or(|(g, _)| *g != generation) {
            *cache = Some((generation, VectorIndex::load(self.db.conn(), &self.model_id())?));
        }
        match cache.as_ref() {
            Some((_, v)) => Ok(f(v)),
            None => Ok(f(&VectorIndex::default())),
        }
    }

    /// Ingests files and folders: new and changed files are (re-)indexed, unchanged ones (same
    /// content hash and chunk settings) are skipped, documents whose file vanished from a re-added
    /// folder are dropped, and every chunk still lacking a vector is embedded. A file that cannot
    /// be read is reported in [`AddReport::failed`] and the rest go ahead.
    pub fn add_paths(&mut self, paths: &[PathBuf], progress: &mut dyn Progress) -> Result<AddReport> {
        let mut report = AddReport::default();
        let mut files: Vec<PathBuf> = Vec::new();
        let mut roots: Vec<PathBuf> = Vec::new();
        for p in paths {
            let abs = p.canonicalize().map_err(|_| Error::NotFound(p.clone()))?;
            if abs.is_dir() {
                walk(&abs, &mut files)?;
                roots.push(abs);
            } else {
                files.push(abs);
            }
        }
        files.sort();
        files.dedup();
        let existing: HashMap<String, (String, String)> = {
            let mut stmt = self
                .db
                .conn()
                .prepare("SELECT source, content_hash, chunker FROM kb_documents WHERE scope = 'docs'")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let signature = self.settings.chunker_signature();
        let max_bytes = self.settings.max_file_mb.saturating_mul(1024 * 1024);
        progress.start(Phase::Reading, files.len() as u64);
        for path in &files {
            let name = path.display().to_string();
            let source = path.to_string_lossy().into_owned();
            let fail =
                |report: &mut AddReport, error: String| report.failed.push(Failure { path: path.clone(), error });
            let Some(format) = Format::from_path(path) else {
                let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
                fail(&mut report, crate::IngestError::Unsupported(ext).to_string());
                progress.advance(1, Some(&name));
                continue;
            };
            let meta = match std::fs::metadata(path) {
                Ok(m) => m,
                Err(e) => {
                    fail(&mut report, e.to_string());
                    progress.advance(1, Some(&name));
                    continue;
                }
            };
            if meta.len() > max_bytes {
                fail(&mut report, format!("larger than {} MB ([knowledge] max_file_mb)", self.settings.max_file_mb));
                progress.advance(1, Some(&name));
                continue;
            }
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    fail(&mut report, e.to_string());
                    progress.advance(1, Some(&name));
                    continue;
                }
            };
            let hash = sha256_hex(&bytes);
            let previous = existing.get(&source);
            if previous.is_some_and(|(h, c)| *h == hash && *c == signature) {
                report.unchanged.push(path.clone());
                progress.advance(1, Some(&name));
                continue;
            }
            let extracted = match ingest::extract(&bytes, format) {
                Ok(x) => x,
                Err(e) => {
                    fail(&mut report, e.to_string());
                    progress.advance(1, Some(&name));
                    continue;
                }
            };
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| source.clone());
            let title = extracted.title.clone().unwrap_or(stem);
            let mtime = meta
                .modified()
                .ok()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            let (n, reused) = self.index_document(&NewDoc {
                scope: Scope::Docs,
                source: &source,
                title: &title,
                format,
                content_hash: &hash,
                mtime,
                size: Some(meta.len() as i64),
                text: &extracted.text,
            })?;
            report.chunks += n;
            report.vectors_reused += reused;
            if previous.is_some() {
                report.updated.push(path.clone())
            } else {
                report.added.push(path.clone())
            }
            progress.advance(1, Some(&name));
        }
        progress.finish();
        let seen: HashSet<String> = files.iter().map(|f| f.to_string_lossy().into_owned()).collect();
        for root in &roots {
            let prefix = format!("{}{}", root.to_string_lossy(), std::path::MAIN_SEPARATOR);
            let gone: Vec<(i64, String)> = {
                let mut stmt = self.db.conn().prepare(
                    "SELECT id, source FROM kb_documents WHERE scope = 'docs' AND substr(source, 1, length(?1)) = ?1",
                )?;
                let rows = stmt.query_map([&prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<std::result::Result<Vec<(i64, String)>, _>>()?
            };
            for (id, source) in gone {
                if !seen.contains(&source) && !Path::new(&source).exists() {
                    self.delete_document(id)?;
                    report.removed.push(PathBuf::from(source));
                }
            }
        }
        report.embedded = self.embed_pending(progress)?;
        Ok(report)
    }

    /// Chunks a document and writes it with its chunks and keyword index in one transaction,
    /// replacing any earlier version. Chunks whose embedded text is unchanged (same hash, in any
    /// document) keep their vectors, so an edit re-embeds only what it touched. Returns
    /// `(chunks, vectors reused)`.
    fn index_document(&mut self, doc: &NewDoc<'_>) -> Result<(usize, usize)> {
        let chunks = {
            let counter: &dyn TokenCounter = self.embedder()?;
            chunk::chunk(
                doc.text,
                doc.format.has_headings(),
                self.settings.chunk_tokens,
                self.settings.overlap_tokens,
                counter,
            )
        };
        let signature = self.settings.chunker_signature();
        let now = now_rfc3339();
        self.db.write(|tx| -> Result<(usize, usize)> {
            let prepared: Vec<(chunk::Chunk, String, String, String)> = chunks
                .into_iter()
                .map(|c| {
                    let text = doc.text[c.start..c.end].to_string();
                    let h = sha256_hex(embed_text(doc.title, &c.heading_path, &text).as_bytes());
                    let path = serde_json::to_string(&c.heading_path).unwrap_or_else(|_| "[]".into());
                    (c, text, h, path)
                })
                .collect();
            // Vectors of identical chunks, looked up before the old version is deleted.
            let mut old: HashMap<String, Vec<(String, i64, Vec<u8>)>> = HashMap::new();
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT e.model, e.dim, e.vector FROM kb_chunks c JOIN kb_embeddings e ON e.chunk_id = c.id
                     WHERE c.text_hash = ?1 GROUP BY e.model",
                )?;
                for (_, _, h, _) in &prepared {
                    if old.contains_key(h) {
                        continue;
                    }
                    let rows = stmt.query_map([h], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                    let v: Vec<(String, i64, Vec<u8>)> = rows.collect::<std::result::Result<_, _>>()?;
                    if !v.is_empty() {
                        old.insert(h.clone(), v);
                    }
                }
            }
            let existing: Option<i64> = tx
                .query_row("SELECT id FROM kb_documents WHERE scope = ?1 AND source = ?2", params![doc.scope.as_str(), doc.source], |r| r.get(0))
                .optional()?;
            let doc_id = match existing {
                Some(id) => {
                    tx.execute("DELETE FROM kb_chunks WHERE document_id = ?1", [id])?;
                    tx.execute(
                        "UPDATE kb_documents SET title = ?2, format = ?3, content_hash = ?4, chunker = ?5, mtime = ?6,
                         size = ?7, text = ?8, updated_at = ?9 WHERE id = ?1",
                        params![id, doc.title, doc.format.as_str(), doc.content_hash, signature, doc.mtime, doc.size, doc.text, now],
                    )?;
                    id
                }
                None => {
                    tx.execute(
                        "INSERT INTO kb_documents (scope, source, title, format, content_hash, chunker, mtime, size, text, added_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                        params![doc.scope.as_str(), doc.source, doc.title, doc.format.as_str(), doc.content_hash, signature, doc.mtime, doc.size, doc.text, now],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            let mut reused = 0;
            let n = prepared.len();
            {
                let mut ins = tx.prepare_cached(
                    "INSERT INTO kb_chunks (document_id, ord, heading_path, start_char, end_char, text, tokens, text_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                let mut vec_ins = tx.prepare_cached("INSERT OR REPLACE INTO kb_embeddings (chunk_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)")?;
                for (ord, (c, text, h, path)) in prepared.iter().enumerate() {
                    ins.execute(params![doc_id, ord as i64, path, c.start_char as i64, c.end_char as i64, text, c.tokens as i64, h])?;
                    let cid = tx.last_insert_rowid();
                    fts::insert(tx, cid, text, &c.heading_path.join(" › "), doc.title)?;
                    if let Some(vs) = old.get(h) {
                        for (model, dim, blob) in vs {
                            vec_ins.execute(params![cid, model, dim, blob])?;
                        }
                        reused += 1;
                    }
                }
            }
            bump(tx)?;
            Ok((n, reused))
        })
    }

    /// Indexes text that is not a file (pasted notes, generated corpora) in the `docs` scope
    /// under `source`, replacing an earlier version. Call [`Knowledge::embed_pending`] afterwards
    /// to make it searchable by meaning. Returns the number of chunks.
    pub fn add_text(&mut self, source: &str, title: &str, text: &str, format: Format) -> Result<usize> {
        let hash = sha256_hex(text.as_bytes());
        let (n, _) = self.index_document(&NewDoc {
            scope: Scope::Docs,
            source,
            title,
            format,
            content_hash: &hash,
            mtime: None,
            size: Some(text.len() as i64),
            text,
        })?;
        Ok(n)
    }

    /// Ids of every chunk, in order.
    pub fn chunk_ids(&self) -> Result<Vec<i64>> {
        let mut stmt = self.db.conn().prepare("SELECT id FROM kb_chunks ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Stores vectors computed elsewhere for the current model (benchmarks fill a large index
    /// with synthetic vectors this way). Vectors should be unit length.
    #[doc(hidden)]
    pub fn store_vectors(&mut self, items: &[(i64, Vec<f32>)]) -> Result<()> {
        let model = self.model_id();
        self.db.write(|tx| -> Result<()> {
            let mut ins = tx.prepare_cached(
                "INSERT OR REPLACE INTO kb_embeddings (chunk_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, v) in items {
                ins.execute(params![id, model, v.len() as i64, to_blob(v)])?;
            }
            bump(tx)
        })
    }

    fn delete_document(&mut self, id: i64) -> Result<()> {
        self.db.write(|tx| -> Result<()> {
            tx.execute("DELETE FROM kb_documents WHERE id = ?1", [id])?;
            bump(tx)
        })
    }

    /// Embeds every chunk that has no vector for the current model, in batches, writing each
    /// group of vectors in its own transaction (an interrupted run keeps what it finished).
    /// Returns how many were embedded.
    pub fn embed_pending(&mut self, progress: &mut dyn Progress) -> Result<usize> {
        let model = self.model_id();
        let pending: Vec<(i64, String)> = {
            let mut stmt = self.db.conn().prepare(
                "SELECT c.id, c.text, c.heading_path, d.title FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id
                 WHERE NOT EXISTS (SELECT 1 FROM kb_embeddings e WHERE e.chunk_id = c.id AND e.model = ?1) ORDER BY c.id",
            )?;
            let rows = stmt.query_map([&model], |r| {
                let text: String = r.get(1)?;
                let path: String = r.get(2)?;
                let title: String = r.get(3)?;
                let hp: Vec<String> = serde_json::from_str(&path).unwrap_or_default();
                Ok((r.get(0)?, embed_text(&title, &hp, &text)))
            })?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        if pending.is_empty() {
            return Ok(0);
        }
        let embedder = self.embedder()?;
        let model = embedder.id().to_string();
        let dim = embedder.dim() as i64;
        let batch = self.settings.batch_size;
        progress.start(Phase::Embedding, pending.len() as u64);
        let mut done = 0;
        for group in pending.chunks(batch * 16) {
            let texts: Vec<&str> = group.iter().map(|(_, t)| t.as_str()).collect();
            let vecs = {
                let embedder = self.embedder()?;
                embedder.embed(&texts, batch, &mut |n| progress.advance(n as u64, None))?
            };
            self.db.write(|tx| -> Result<()> {
                let mut ins = tx.prepare_cached(
                    "INSERT OR REPLACE INTO kb_embeddings (chunk_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for ((id, _), v) in group.iter().zip(&vecs) {
                    ins.execute(params![id, model, dim, to_blob(v)])?;
                }
                bump(tx)
            })?;
            done += group.len();
        }
        progress.finish();
        Ok(done)
    }

    /// Documents in `scope`, oldest first.
    pub fn documents(&self, scope: SearchScope) -> Result<Vec<DocumentInfo>> {
        let mut stmt = self.db.conn().prepare(
            "SELECT d.id, d.scope, d.title, d.source, d.format, d.content_hash, d.mtime, d.size, d.updated_at,
                    (SELECT count(*) FROM kb_chunks c WHERE c.document_id = d.id),
                    (SELECT count(*) FROM kb_chunks c JOIN kb_embeddings e ON e.chunk_id = c.id AND e.model = ?2 WHERE c.document_id = d.id)
             FROM kb_documents d WHERE (?1 IS NULL OR d.scope = ?1) ORDER BY d.id",
        )?;
        let rows = stmt.query_map(params![scope.as_db(), self.model_id()], |r| {
            Ok(DocumentInfo {
                id: r.get(0)?,
                scope: Scope::from_db(&r.get::<_, String>(1)?),
                title: r.get(2)?,
                source: r.get(3)?,
                format: r.get(4)?,
                content_hash: r.get(5)?,
                mtime: r.get(6)?,
                size: r.get(7)?,
                updated_at: r.get(8)?,
                chunks: r.get(9)?,
                embedded: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The extracted text of a document (what citation offsets point into).
    pub fn document_text(&self, id: i64) -> Result<Option<String>> {
        Ok(self.db.conn().query_row("SELECT text FROM kb_documents WHERE id = ?1", [id], |r| r.get(0)).optional()?)
    }

    /// Removes documents: `target` is a document id, a file path, or a folder (every document
    /// under it). The file itself is never touched. Returns what was removed.
    pub fn remove(&mut self, target: &str) -> Result<Vec<DocumentInfo>> {
        let docs = self.documents(SearchScope::All)?;
        let matched: Vec<DocumentInfo> = if let Ok(id) = target.parse::<i64>() {
            docs.into_iter().filter(|d| d.id == id).collect()
        } else {
            let p = Path::new(target);
            let abs = p.canonicalize().unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
            let exact = abs.to_string_lossy().into_owned();
            let prefix = format!("{exact}{}", std::path::MAIN_SEPARATOR);
            docs.into_iter()
                .filter(|d| d.scope == Scope::Docs && (d.source == exact || d.source.starts_with(&prefix)))
                .collect()
        };
        for d in &matched {
            self.delete_document(d.id)?;
        }
        Ok(matched)
    }

    /// Counts for `kb stats`.
    pub fn stats(&self) -> Result<Stats> {
        let conn = self.db.conn();
        let mut documents = HashMap::new();
        {
            let mut stmt = conn.prepare("SELECT scope, count(*) FROM kb_documents GROUP BY scope")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for r in rows {
                let (s, n) = r?;
                documents.insert(s, n);
            }
        }
        let model = self.model_id();
        Ok(Stats {
            documents,
            chunks: conn.query_row("SELECT count(*) FROM kb_chunks", [], |r| r.get(0))?,
            embedded: conn.query_row("SELECT count(*) FROM kb_embeddings WHERE model = ?1", [&model], |r| r.get(0))?,
            model,
        })
    }

    /// Brings the `library` scope in line with `items`: new and edited entries are (re-)indexed
    /// (keyed by entry id and content hash), entries no longer present are dropped, and new
    /// chunks are embedded.
    pub fn sync_library(&mut self, items: &[LibraryItem], progress: &mut dyn Progress) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let signature = self.settings.chunker_signature();
        let existing: HashMap<String, (i64, String, String)> = {
            let mut stmt = self
                .db
                .conn()
                .prepare("SELECT source, id, content_hash, chunker FROM kb_documents WHERE scope = 'library'")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let mut keep: HashSet<String> = HashSet::new();
        progress.start(Phase::Reading, items.len() as u64);
        for item in items {
            let source = format!("library:{}", item.id);
            keep.insert(source.clone());
            let title = library_title(item);
            let hash = sha256_hex(format!("{}\0{}\0{}\0{}", item.kind, item.platform, title, item.text).as_bytes());
            if existing.get(&source).is_some_and(|(_, h, c)| *h == hash && *c == signature)
                || item.text.trim().is_empty()
            {
                report.unchanged += 1;
                progress.advance(1, None);
                continue;
            }
            self.index_document(&NewDoc {
                scope: Scope::Library,
                source: &source,
                title: &title,
                format: Format::Library,
                content_hash: &hash,
                mtime: None,
                size: None,
                text: &item.text,
            })?;
            report.indexed += 1;
            progress.advance(1, None);
        }
        progress.finish();
        for (source, (id, _, _)) in existing {
            if !keep.contains(&source) {
                self.delete_document(id)?;
                report.removed += 1;
            }
        }
        report.embedded = self.embed_pending(progress)?;
        Ok(report)
    }
}

fn library_title(item: &LibraryItem) -> String {
    let label = item.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| {
        let first: String = item.text.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
        if item.text.split_whitespace().count() > 8 { format!("{first}…") } else { first }
    });
    format!("{} #{} ({}): {}", item.kind, item.id, item.platform, label)
}

/// The library's live entries (through `quill_library::list`, so soft-deleted ones never
/// appear), minus those held out for evaluation (validation/test splits in `entry_splits`),
/// which must never leak into prompts as examples.
pub fn library_items(db: &Db) -> Result<Vec<LibraryItem>> {
    let entries =
        quill_library::list(db, &quill_library::Filter::default()).map_err(|e| Error::Library(e.to_string()))?;
    let held: HashSet<i64> = {
        let mut stmt = db.conn().prepare("SELECT entry_id FROM entry_splits WHERE split IN ('validation','test')")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    Ok(entries
        .into_iter()
        .filter(|e| !held.contains(&e.id))
        .map(|e| LibraryItem {
            id: e.id,
            kind: e.kind.as_str().to_string(),
            platform: e.platform.as_str().to_string(),
            title: e.title,
            text: e.text,
        })
        .collect())
}

/// Every supported file under `dir`, skipping hidden entries and symlinked folders.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    for entry in rd {
        let entry = entry.map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ft = entry.file_type().map_err(|source| Error::Io { path: path.clone(), source })?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if (ft.is_file() || (ft.is_symlink() && path.is_file())) && Format::from_path(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}
