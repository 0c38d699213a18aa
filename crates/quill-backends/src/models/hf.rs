//! Hugging Face hub files, with the cache layout `hf-hub` and Python's `huggingface_hub` share:
//! ```text
//! <cache>/models--<owner>--<repo>/
//!     refs/<revision>                 the commit hash a branch or tag pointed to
//!     blobs/<etag>                    content (the etag of an LFS file is its SHA-256)
//!     snapshots/<commit>/<file>       symlink to ../../blobs/<etag>
//! ```
//! Why that layout: a creator who downloaded a GGUF with `huggingface-cli`, `hf-hub` or Python is
//! found offline without a second copy, and what Quill downloads is visible to those tools.
//!
//! Download URL: `<endpoint>/<owner>/<repo>/resolve/<revision>/<file>`, endpoint `$HF_ENDPOINT`
//! or `https://huggingface.co`, an optional `$HF_TOKEN` as Bearer key. The hub answers with a
//! redirect to its CDN and headers `X-Repo-Commit` (the commit) and `X-Linked-Etag` (the LFS
//! SHA-256), which the download verifies.

use std::path::{Component, Path, PathBuf};

use super::download::{self, Progress};
use super::{ModelEntry, ModelError, Result, SourceKind};

/// Default endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// `hf://owner/repo[@revision]/path/to/file.gguf`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfFile {
    /// `owner/repo`.
    pub repo: String,
    /// Branch, tag or commit (`main` by default).
    pub revision: String,
    /// Path of the file inside the repository.
    pub file: String,
}

impl HfFile {
    /// Parses what follows `hf://`.
    pub fn parse(spec: &str) -> Result<Self> {
        let invalid =
            |message: &str| ModelError::InvalidName { name: format!("hf://{spec}"), message: message.to_string() };
        let mut parts = spec.splitn(3, '/');
        let (Some(owner), Some(repo_rev), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid("expected hf://owner/repo[@revision]/file.gguf"));
        };
        let (repo, revision) = match repo_rev.split_once('@') {
            Some((r, rev)) => (r, rev),
            None => (repo_rev, "main"),
        };
        let ok_id = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        if !ok_id(owner) || !ok_id(repo) {
            return Err(invalid("owner and repository use letters, digits, '_', '-' and '.'"));
        }
        if revision.is_empty() || revision.contains("..") || revision.starts_with('/') {
            return Err(invalid("bad revision"));
        }
        let file_path = Path::new(file);
        if file.is_empty() || !file_path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(invalid("the file must be a relative path inside the repository"));
        }
        Ok(Self { repo: format!("{owner}/{repo}"), revision: revision.to_string(), file: file.to_string() })
    }

    /// The canonical `hf://` name.
    pub fn display(&self) -> String {
        let (owner, repo) = self.repo.split_once('/').unwrap_or((&self.repo, ""));
        if self.revision == "main" {
            format!("hf://{owner}/{repo}/{}", self.file)
        } else {
            format!("hf://{owner}/{repo}@{}/{}", self.revision, self.file)
        }
    }

    /// The download URL (revision slashes encoded, as the hub expects for `refs/pr/1`).
    pub fn url(&self, endpoint: &str) -> String {
        format!(
            "{}/{}/resolve/{}/{}",
            endpoint.trim_end_matches('/'),
            self.repo,
            self.revision.replace('/', "%2F"),
            self.file
        )
    }

    /// `<cache>/models--owner--repo`.
    pub fn repo_dir(&self, cache: &Path) -> PathBuf {
        cache.join(format!("models--{}", self.repo.replace('/', "--")))
    }

    /// The commit the revision points to in the cache (a 40-hex revision is its own commit).
    pub fn cached_commit(&self, cache: &Path) -> Option<String> {
        if is_commit(&self.revision) {
            return Some(self.revision.clone());
        }
        let refs = self.repo_dir(cache).join("refs").join(&self.revision);
        let c = std::fs::read_to_string(refs).ok()?.trim().to_string();
        is_commit(&c).then_some(c)
    }

    /// `snapshots/<commit>/<file>`.
    pub fn snapshot_path(&self, cache: &Path, commit: &str) -> PathBuf {
        self.repo_dir(cache).join("snapshots").join(commit).join(&self.file)
    }
}

fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The endpoint in use.
pub fn endpoint() -> String {
    std::env::var("HF_ENDPOINT").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
}

/// Finds a hub file in the cache, offline.
pub fn resolve(cache: &Path, f: &HfFile) -> Result<PathBuf> {
    let not_cached = || ModelError::NotFound {
        name: f.display(),
        hint: format!(
            "not in the Hugging Face cache {}; run `quill models pull {}` where the hub is reachable",
            cache.display(),
            f.display()
        ),
    };
    let commit = f.cached_commit(cache).ok_or_else(not_cached)?;
    let p = f.snapshot_path(cache, &commit);
    // `is_file` follows the symlink, so a snapshot whose blob went missing counts as absent.
    if p.is_file() { Ok(p) } else { Err(not_cached()) }
}

/// Every `.gguf` in the cache's snapshots (the revision each `refs/` entry points to, plus any
/// other snapshot under its commit hash).
pub fn list(cache: &Path) -> Result<Vec<ModelEntry>> {
    let mut out = Vec::new();
    let Ok(repos) = std::fs::read_dir(cache) else { return Ok(out) };
    for repo in repos.flatten() {
        let dir_name = repo.file_name().to_string_lossy().into_owned();
        let Some(id) = dir_name.strip_prefix("models--") else { continue };
        let Some((owner, name)) = id.split_once("--") else { continue };
        let repo_id = format!("{owner}/{name}");
        // commit -> revision names pointing at it
        let mut refs: Vec<(String, String)> = Vec::new();
        if let Ok(rd) = std::fs::read_dir(repo.path().join("refs")) {
            for r in rd.flatten() {
                if let Ok(c) = std::fs::read_to_string(r.path()) {
                    refs.push((c.trim().to_string(), r.file_name().to_string_lossy().into_owned()));
                }
            }
        }
        let Ok(snaps) = std::fs::read_dir(repo.path().join("snapshots")) else { continue };
        for snap in snaps.flatten() {
            let commit = snap.file_name().to_string_lossy().into_owned();
            let revision = refs
                .iter()
                .find(|(c, r)| *c == commit && r == "main")
                .or_else(|| refs.iter().find(|(c, _)| *c == commit))
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| commit.clone());
            let mut files = Vec::new();
            collect_gguf(&snap.path(), &snap.path(), &mut files);
            for rel in files {
                let f = HfFile { repo: repo_id.clone(), revision: revision.clone(), file: rel };
                let path = f.snapshot_path(cache, &commit);
                if !path.is_file() {
                    continue;
                }
                out.push(ModelEntry {
                    name: f.display(),
                    source: SourceKind::Hf,
                    size: super::size_on_disk(&path),
                    origin: format!("{repo_id}@{}", &commit[..commit.len().min(12)]),
                    path,
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn collect_gguf(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_gguf(root, &p, out);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("gguf"))
            && let Ok(rel) = p.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Removes a cached file: the snapshot link and, when no other snapshot links to it, the blob.
pub fn remove(cache: &Path, f: &HfFile) -> Result<Vec<PathBuf>> {
    let p = resolve(cache, f)?;
    let blob_name = blob_name_of(&p);
    std::fs::remove_file(&p).map_err(|e| ModelError::io("removing", &p, e))?;
    let mut removed = vec![p];
    if let Some(name) = blob_name {
        let repo_dir = f.repo_dir(cache);
        let blob = repo_dir.join("blobs").join(&name);
        if (blob.is_file() || blob.is_symlink()) && !linked_from_snapshots(&repo_dir, &name) {
            std::fs::remove_file(&blob).map_err(|e| ModelError::io("removing", &blob, e))?;
            removed.push(blob);
        }
    }
    Ok(removed)
}

/// The blob a snapshot entry links to (`../../blobs/<etag>` → `<etag>`); `None` for a copied
/// file (Windows, or a cache written without symlinks).
fn blob_name_of(snapshot_file: &Path) -> Option<String> {
    let target = std::fs::read_link(snapshot_file).ok()?;
    let parent = target.parent()?;
    if parent.file_name()? != "blobs" {
        return None;
    }
    Some(target.file_name()?.to_string_lossy().into_owned())
}

fn linked_from_snapshots(repo_dir: &Path, blob: &str) -> bool {
    fn walk(dir: &Path, blob: &str) -> bool {
        let Ok(rd) = std::fs::read_dir(dir) else { return false };
        rd.flatten().any(|e| {
            let p = e.path();
            if p.is_symlink() {
                blob_name_of(&p).is_some_and(|b| b == blob)
            } else if p.is_dir() {
                walk(&p, blob)
            } else {
                false
            }
        })
    }
    walk(&repo_dir.join("snapshots"), blob)
}

/// The relative link target from a snapshot file to its blob (`../../blobs/<etag>`, one more
/// `..` per folder level of the file), as `huggingface_hub` writes it.
pub fn relative_blob_link(file: &str, etag: &str) -> PathBuf {
    let depth = file.split('/').count() - 1;
    let mut p = PathBuf::from("..").join("..");
    for _ in 0..depth {
        p.push("..");
    }
    p.join("blobs").join(etag)
}

/// Downloads a hub file into the cache (or, when cached, verifies an LFS file's SHA-256), from
/// [`endpoint`].
pub fn pull(cache: &Path, f: &HfFile, progress: &dyn Progress) -> Result<PathBuf> {
    pull_from(cache, f, &endpoint(), progress)
}

/// [`pull`] from an explicit endpoint (a mirror, or a test server).
pub fn pull_from(cache: &Path, f: &HfFile, endpoint: &str, progress: &dyn Progress) -> Result<PathBuf> {
    if let Ok(p) = resolve(cache, f) {
        // LFS blobs are named by their SHA-256: check the content still matches.
        if let Some(name) = blob_name_of(&p)
            && name.len() == 64
            && name.bytes().all(|b| b.is_ascii_hexdigit())
        {
            download::verify_sha256(&p, &name, progress)?;
        }
        return Ok(p);
    }
    let url = f.url(endpoint);
    let meta = head(&url)?;
    let commit = meta.commit.clone().unwrap_or_else(|| f.revision.clone());
    let etag = meta.etag.clone().ok_or_else(|| ModelError::Download {
        url: url.clone(),
        message: "the hub sent no ETag; is HF_ENDPOINT a Hugging Face hub?".into(),
    })?;
    let repo_dir = f.repo_dir(cache);
    let blob = repo_dir.join("blobs").join(&etag);
    let sha = (etag.len() == 64 && etag.bytes().all(|b| b.is_ascii_hexdigit())).then_some(etag.as_str());
    let headers: Vec<(&str, String)> = token().map(|t| ("Authorization", format!("Bearer {t}"))).into_iter().collect();
    if !blob.is_file() {
        download::download(&meta.location.clone().unwrap_or_else(|| url.clone()), &blob, sha, &headers, progress)?;
    }
    let snap = f.snapshot_path(cache, &commit);
    if let Some(dir) = snap.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io("creating", dir, e))?;
    }
    let _ = std::fs::remove_file(&snap);
    link_or_copy(&relative_blob_link(&f.file, &etag), &blob, &snap)?;
    if !is_commit(&f.revision) && meta.commit.is_some() {
        let r = repo_dir.join("refs").join(&f.revision);
        quill_store::atomic_write(&r, commit.as_bytes())
            .map_err(|e| ModelError::BadFile { path: r.clone(), message: e.to_string() })?;
    }
    Ok(snap)
}

#[cfg(unix)]
fn link_or_copy(rel: &Path, _blob: &Path, snap: &Path) -> Result<()> {
    std::os::unix::fs::symlink(rel, snap).map_err(|e| ModelError::io("linking", snap, e))
}

#[cfg(not(unix))]
fn link_or_copy(_rel: &Path, blob: &Path, snap: &Path) -> Result<()> {
    std::fs::copy(blob, snap).map(|_| ()).map_err(|e| ModelError::io("copying to", snap, e))
}

fn token() -> Option<String> {
    std::env::var("HF_TOKEN").ok().filter(|t| !t.is_empty())
}

#[derive(Debug, Default)]
struct HeadMeta {
    commit: Option<String>,
    etag: Option<String>,
    location: Option<String>,
}

/// The metadata request hf-hub makes: no redirect following, so the hub's own headers
/// (`X-Repo-Commit`, `X-Linked-Etag`) are read before the CDN redirect.
fn head(url: &str) -> Result<HeadMeta> {
    let url_owned = url.to_string();
    let fut = async move {
        let dl = |message: String| ModelError::Download { url: url_owned.clone(), message };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| dl(e.to_string()))?;
        let mut req = client.head(&url_owned);
        if let Some(t) = token() {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| dl(e.to_string()))?;
        let s = resp.status();
        if !(s.is_success() || s.is_redirection()) {
            let hint = match s.as_u16() {
                401 | 403 => " (a gated or private repository: set HF_TOKEN)",
                404 => " (check the owner, repository, revision and file name)",
                _ => "",
            };
            return Err(dl(format!("HTTP {s}{hint}")));
        }
        let h = resp.headers();
        let get = |k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().trim_matches('"').trim_start_matches("W/").trim_matches('"').to_string())
        };
        let location = get("location").map(|l| if l.starts_with('/') { join_origin(&url_owned, &l) } else { l });
        Ok(HeadMeta { commit: get("x-repo-commit"), etag: get("x-linked-etag").or_else(|| get("etag")), location })
    };
    crate::openai::block_on(fut).map_err(|e| ModelError::Download { url: url.to_string(), message: e.to_string() })?
}

fn join_origin(url: &str, path: &str) -> String {
    match reqwest::Url::parse(url).and_then(|u| u.join(path)) {
        Ok(u) => u.to_string(),
        Err(_) => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_urls() {
        let f = HfFile::parse("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q4_k_m.gguf").unwrap();
        assert_eq!(f.repo, "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF");
        assert_eq!(f.revision, "main");
        assert_eq!(
            f.url(DEFAULT_ENDPOINT),
            "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/resolve/main/smollm2-135m-instruct-q4_k_m.gguf"
        );
        assert_eq!(f.repo_dir(Path::new("/c")), Path::new("/c/models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF"));
        let f = HfFile::parse("o/r@refs/pr/1/sub/m.gguf");
        // A slash in the revision cannot be told apart from the file path; revisions with
        // slashes must be given as commits. The parse takes "refs" as the revision.
        assert_eq!(f.unwrap().revision, "refs");
        let f = HfFile::parse("o/r@v1.0/sub/dir/m.gguf").unwrap();
        assert_eq!(f.file, "sub/dir/m.gguf");
        assert_eq!(f.url("http://127.0.0.1:9/"), "http://127.0.0.1:9/o/r/resolve/v1.0/sub/dir/m.gguf");
        assert_eq!(f.display(), "hf://o/r@v1.0/sub/dir/m.gguf");
        assert_eq!(relative_blob_link("sub/dir/m.gguf", "abc"), Path::new("../../../../blobs/abc"));
        assert_eq!(relative_blob_link("m.gguf", "abc"), Path::new("../../blobs/abc"));
        for bad in ["o/r", "o/r/../../x.gguf", "o/r//abs", "../r/x.gguf", "o/r@/x.gguf"] {
            assert!(HfFile::parse(bad).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn resolves_and_lists_from_a_cache_written_like_hf_hub() {
        let cache = tempfile::tempdir().unwrap();
        let f = HfFile::parse("owner/repo/nested/model.gguf").unwrap();
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let etag = "e".repeat(64);
        let repo = f.repo_dir(cache.path());
        std::fs::create_dir_all(repo.join("blobs")).unwrap();
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("blobs").join(&etag), b"gguf bytes").unwrap();
        std::fs::write(repo.join("refs/main"), commit).unwrap();
        let snap = f.snapshot_path(cache.path(), commit);
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(relative_blob_link(&f.file, &etag), &snap).unwrap();

        assert_eq!(resolve(cache.path(), &f).unwrap(), snap);
        assert_eq!(std::fs::read(resolve(cache.path(), &f).unwrap()).unwrap(), b"gguf bytes");
        // By commit too.
        let by_commit = HfFile { revision: commit.into(), ..f.clone() };
        assert_eq!(resolve(cache.path(), &by_commit).unwrap(), snap);
        // Unknown revision: a clear not-found with the pull hint.
        let other = HfFile { revision: "v2".into(), ..f.clone() };
        let err = resolve(cache.path(), &other).unwrap_err().to_string();
        assert!(err.contains("quill models pull hf://owner/repo@v2/nested/model.gguf"), "{err}");

        let listed = list(cache.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "hf://owner/repo/nested/model.gguf");
        assert_eq!(listed[0].size, 10);

        let removed = remove(cache.path(), &f).unwrap();
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert!(list(cache.path()).unwrap().is_empty());
    }
}
